"""Optimizer names onto torch optimizers; the learning rate of every epoch."""

import math
import re

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from skorch.callbacks import Callback  # noqa: E402

from sklearn_tune.nn import LRFactor  # noqa: E402

KNOBS = {"momentum": 0.8, "beta1": 0.85, "beta2": 0.95, "eps": 1e-6}

EXPECTED = {
    "sgd": (torch.optim.SGD, {"momentum": 0, "nesterov": False}),
    "momentum": (torch.optim.SGD, {"momentum": 0.8, "nesterov": False}),
    "nesterov": (torch.optim.SGD, {"momentum": 0.8, "nesterov": True}),
    "adam": (torch.optim.Adam, {"betas": (0.85, 0.95), "eps": 1e-6}),
    "adamw": (torch.optim.AdamW, {"betas": (0.85, 0.95), "eps": 1e-6}),
    "rmsprop": (torch.optim.RMSprop, {"alpha": 0.95, "eps": 1e-6, "momentum": 0}),
    "adagrad": (torch.optim.Adagrad, {"eps": 1e-6}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_optimizer_name_builds_torch_optimizer(make_net, name):
    net = make_net(optimizer=name, lr=0.05, weight_decay=1e-3, **KNOBS).initialize()
    cls, expected = EXPECTED[name]
    assert type(net.optimizer_) is cls
    group = net.optimizer_.param_groups[0]
    assert group["lr"] == pytest.approx(0.05)
    assert group["weight_decay"] == pytest.approx(1e-3)
    for key, value in expected.items():
        assert group[key] == pytest.approx(value), key


def test_routed_optimizer_parameter_wins_over_flat_knob(make_net):
    net = make_net(optimizer="adam", eps=1e-8, optimizer__eps=1e-3).initialize()
    assert net.optimizer_.param_groups[0]["eps"] == pytest.approx(1e-3)


def test_optimizer_class_as_in_skorch(make_net):
    net = make_net(optimizer=torch.optim.SGD, lr=0.2, optimizer__momentum=0.5)
    net.initialize()
    assert type(net.optimizer_) is torch.optim.SGD
    assert net.optimizer_.param_groups[0]["momentum"] == 0.5
    assert net.optimizer_.param_groups[0]["lr"] == pytest.approx(0.2)


def test_backbone_lr_scale_makes_a_group_for_the_backbone(make_net):
    net = make_net(lr=0.1, backbone_lr_scale=0.01).initialize()
    head, body = net.optimizer_.param_groups
    assert head["lr"] == pytest.approx(0.1)
    assert body["lr"] == pytest.approx(0.001)
    head_ids = {id(p) for p in net.module_.fc.parameters()}
    assert {id(p) for p in head["params"]} == head_ids
    n_params = len(list(net.module_.parameters()))
    assert len(head["params"]) + len(body["params"]) == n_params


def _expected_lr(lr, epoch, warmup, schedule, step_size, gamma, max_epochs):
    if epoch < warmup:
        return lr * (epoch + 1) / (warmup + 1)
    t = epoch - warmup
    return (
        lr
        * {
            "constant": 1.0,
            "step": gamma ** (t // step_size),
            "exponential": gamma**t,
            "cosine": (1 + math.cos(math.pi * t / (max_epochs - warmup))) / 2,
        }[schedule]
    )


@pytest.mark.parametrize("schedule", ["constant", "step", "exponential", "cosine"])
@pytest.mark.parametrize("warmup", [0, 2])
def test_lr_per_epoch_follows_warmup_and_schedule(images, make_net, schedule, warmup):
    X, y = images
    params = {"warmup_epochs": warmup, "step_size": 2, "gamma": 0.5, "max_epochs": 6}
    net = make_net(lr=0.01, lr_schedule=schedule, batch_size=24, **params)
    net.fit(X, y)
    expected = [_expected_lr(0.01, e, warmup, schedule, 2, 0.5, 6) for e in range(6)]
    assert net.history[:, "event_lr"] == pytest.approx(expected)


def test_lr_factor_is_what_lambda_lr_applies():
    factor = LRFactor(1, "step", step_size=1, gamma=0.1, max_epochs=4)
    assert [factor(e) for e in range(4)] == pytest.approx([0.5, 1.0, 0.1, 0.01])
    assert "step" in repr(factor)


@pytest.mark.parametrize("schedule", ["step", "exponential", "cosine"])
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_continued_training_restarts_the_schedule(images, make_net, schedule, how):
    X, y = images
    params = {"warmup_epochs": 1, "step_size": 1, "gamma": 0.5, "max_epochs": 3}
    net = make_net(lr=0.01, lr_schedule=schedule, batch_size=24, **params)
    net.fit(X, y)
    first = net.history[:, "event_lr"]
    if how == "warm_start":
        net.set_params(warm_start=True).fit(X, y)
    else:
        net.partial_fit(X, y)
    second = net.history[3:, "event_lr"]
    assert second == pytest.approx(first)
    assert min(second) > 0


def test_set_lr_between_calls_is_the_new_base(images, make_net):
    X, y = images
    net = make_net(lr=0.01, lr_schedule="cosine", batch_size=24, max_epochs=2)
    net.fit(X, y)
    net.set_params(lr=0.001)
    net.partial_fit(X, y)
    assert net.history[2:, "event_lr"] == pytest.approx([0.001, 0.0005])


@pytest.mark.parametrize(
    ("optimizer", "beta2", "key", "expected"),
    [
        pytest.param("rmsprop", None, "alpha", 0.99, id="rmsprop default"),
        pytest.param("rmsprop", 0.9, "alpha", 0.9, id="rmsprop set"),
        pytest.param("adam", None, "betas", (0.9, 0.999), id="adam default"),
        pytest.param("adamw", 0.99, "betas", (0.9, 0.99), id="adamw set"),
    ],
)
def test_beta2_defaults_to_torchs_default_of_each_optimizer(
    make_net, optimizer, beta2, key, expected
):
    knobs = {} if beta2 is None else {"beta2": beta2}  # None: the default
    net = make_net(optimizer=optimizer, **knobs).initialize()
    assert net.optimizer_.param_groups[0][key] == pytest.approx(expected)


def test_batch_size_minus_one_is_one_batch(images, make_net):
    X, y = images
    net = make_net(batch_size=-1, max_epochs=1).fit(X, y)
    assert net.history[-1, "train_batch_count"] == 1
    assert net.predict(X).shape == (24,)


class Rates(Callback):
    """The learning rate of every parameter group when each epoch begins."""

    def initialize(self):
        self.seen_ = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.seen_.append([group["lr"] for group in net.optimizer_.param_groups])


def test_set_lr_between_calls_keeps_the_backbone_scale(images, make_net):
    X, y = images
    rates = Rates()
    net = make_net(
        lr=0.1, backbone_lr_scale=0.1, batch_size=24, max_epochs=1, callbacks=[rates]
    )
    net.fit(X, y)
    net.set_params(lr=0.01)
    net.partial_fit(X, y)
    assert rates.seen_ == [pytest.approx([0.1, 0.01]), pytest.approx([0.01, 0.001])]


def test_another_scheduler_policy_is_skorchs(images, make_net):
    X, y = images
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau
    net = make_net(
        lr=0.1, batch_size=24, max_epochs=3, callbacks__lr_scheduler__policy=plateau
    ).fit(X, y)
    assert net.history[:, "event_lr"] == pytest.approx([0.1, 0.1, 0.1])
    scheduler = dict(net.callbacks_)["lr_scheduler"].lr_scheduler_
    assert isinstance(scheduler, plateau)


class Groups(Callback):
    """The optimizer's parameter groups (settings, sizes) when each epoch begins."""

    def initialize(self):
        self.seen_ = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.seen_.append(
            [
                {
                    **{k: v for k, v in group.items() if k != "params"},
                    "n": len(group["params"]),
                }
                for group in net.optimizer_.param_groups
            ]
        )


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
@pytest.mark.parametrize(
    ("optimizer", "knobs", "expected"),
    [
        pytest.param(
            "adamw",
            {"weight_decay": 0.01, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3},
            {"weight_decay": 0.01, "betas": (0.5, 0.9), "eps": 1e-3},
            id="adamw weight_decay betas eps",
        ),
        pytest.param(
            "momentum",
            {"momentum": 0.5, "weight_decay": 1e-3},
            {"momentum": 0.5, "weight_decay": 1e-3},
            id="sgd momentum weight_decay",
        ),
        pytest.param("rmsprop", {"beta2": 0.9}, {"alpha": 0.9}, id="rmsprop alpha"),
    ],
)
def test_optimizer_knobs_set_on_a_fitted_net_apply_when_training_goes_on(
    images, make_net, how, optimizer, knobs, expected
):
    X, y = images
    groups = Groups()
    net = make_net(optimizer=optimizer, lr=0.01, max_epochs=1, callbacks=[groups])
    net.fit(X, y)
    n_steps = {float(s.get("step", 0)) for s in net.optimizer_.state.values()}
    net.set_params(**knobs)
    if how == "warm_start":
        net.set_params(warm_start=True).fit(X, y)
    else:
        net.partial_fit(X, y)
    before, after = groups.seen_
    for key, value in expected.items():
        assert before[0][key] != pytest.approx(value), key
        assert after[0][key] == pytest.approx(value), key
    assert after[0]["lr"] == pytest.approx(0.01)
    if optimizer != "momentum":  # the state goes on: step counts add up
        steps = {float(s["step"]) for s in net.optimizer_.state.values()}
        assert steps == {2 * max(n_steps)}


@pytest.mark.parametrize("scale_from", [1.0, 0.5], ids=["no scale", "another scale"])
def test_gradual_unfreezing_trains_the_backbone_at_the_lr_asked_for(
    images, make_net, scale_from
):
    X, y = images
    groups = Groups()
    net = make_net(
        optimizer="sgd",
        lr=0.05,
        n_trainable_stages=0,
        backbone_lr_scale=scale_from,
        max_epochs=1,
        callbacks=[groups],
    ).fit(X, y)
    stem = net.module_.stem[0].weight.detach().clone()
    net.set_params(n_trainable_stages=None, backbone_lr_scale=0.1)
    net.partial_fit(X, y)
    head, body = groups.seen_[-1]
    assert (head["n"], head["lr"]) == (2, pytest.approx(0.05))
    assert body["lr"] == pytest.approx(0.005)
    assert head["n"] + body["n"] == len(list(net.module_.parameters()))
    assert not torch.equal(net.module_.stem[0].weight, stem)  # the backbone trained
    net.set_params(lr=0.01)  # the scale stays with the new rate
    net.partial_fit(X, y)
    assert [g["lr"] for g in groups.seen_[-1]] == pytest.approx([0.01, 0.001])


def test_another_optimizer_on_a_fitted_net_fails_before_training_goes_on(
    images, make_net
):
    X, y = images
    net = make_net(optimizer="adam", max_epochs=1).fit(X, y)
    net.set_params(optimizer="sgd")  # stored: skorch would fail here
    message = (
        "FineTuneClassifier(optimizer='sgd'): was set after the net was built with "
        "optimizer='adam', and partial_fit goes on training with the state"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        net.partial_fit(X, y)
    with pytest.raises(ValueError, match="warm_start=False to train from scratch"):
        net.set_params(warm_start=True).fit(X, y)
    assert len(net.history) == 1  # nothing trained
    net.set_params(warm_start=False).fit(X, y)  # from scratch: the new optimizer
    assert type(net.optimizer_) is torch.optim.SGD
