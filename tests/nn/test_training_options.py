"""Augmentation, per-batch schedules, no decay on norms/biases, accumulation."""

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from skorch.callbacks import Callback  # noqa: E402

from sklearn_tune.nn import (  # noqa: E402
    FineTuneClassifier,
    FineTuneRegressor,
    LRFactor,
    RandomCrop,
    RandomFlip,
)


class Linear2(torch.nn.Module):
    """Two Linear layers, no BatchNorm: accumulation is exact for it."""

    def __init__(self, n_features=6, n_classes=3):
        super().__init__()
        self.hidden = torch.nn.Linear(n_features, 5)
        self.out = torch.nn.Linear(5, n_classes)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


class RecordingTransform:
    """Adds 0 to the batch and records the module's mode at each call."""

    def __init__(self, net_ref):
        self.net_ref = net_ref
        self.calls = []

    def __call__(self, x):
        self.calls.append((self.net_ref[0].module_.training, len(x)))
        return x


class StepCounter(Callback):
    def on_train_begin(self, net, **kwargs):
        self.steps_ = 0

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.steps_ += 1


class Crash(Callback):
    """Stop the process (as a power cut would) when epoch ``at`` begins."""

    def __init__(self, at=None):
        self.at = at

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.at:
            raise RuntimeError("power cut")


def _tabular(n=32, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 6).astype("float32")
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    return X, y


# -- transform ------------------------------------------------------------------


def test_transform_sees_training_batches_only(images, make_net):
    X, y = images
    ref = []
    transform = RecordingTransform(ref)
    net = make_net(transform=transform, validation_fraction=0.25, batch_size=6)
    ref.append(net)
    net.fit(X, y)
    # 18 training samples in batches of 6, 2 epochs; validation not augmented
    assert transform.calls == [(True, 6)] * 6
    net.predict(X)
    net.predict_proba(X)
    assert len(transform.calls) == 6


def test_random_flip_flips_whole_images_per_sample():
    x = torch.arange(2 * 1 * 2 * 3, dtype=torch.float32).reshape(2, 1, 2, 3)
    assert torch.equal(RandomFlip(p=1.0)(x), x.flip(-1))
    assert torch.equal(RandomFlip(p=0.0)(x), x)
    torch.manual_seed(0)
    big = torch.rand(200, 2, 4, 4)
    out = RandomFlip()(big)
    flipped = (out == big.flip(-1)).flatten(1).all(1)
    kept = (out == big).flatten(1).all(1)
    assert bool((flipped | kept).all())
    assert 50 < int(flipped.sum()) < 150  # a choice per image


def test_random_crop_is_a_shift_of_the_zero_padded_image():
    torch.manual_seed(0)
    x = torch.rand(40, 2, 5, 6) + 1  # no zeros inside the images
    out = RandomCrop(padding=2)(x)
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    offsets = set()
    for i in range(len(x)):
        matches = [
            (dy, dx)
            for dy in range(5)
            for dx in range(5)
            if torch.equal(out[i], padded[i, :, dy : dy + 5, dx : dx + 6])
        ]
        assert len(matches) == 1, i
        offsets.add(matches[0])
    assert len(offsets) > 5  # an offset per image


def test_random_crop_default_padding_is_an_eighth_of_the_side():
    x = torch.ones(1, 1, 32, 32)
    torch.manual_seed(1)
    out = RandomCrop()(x)
    # a shift of at most 4 pixels: the centre stays, zeros only near the edge
    assert bool((out[0, 0, 4:28, 4:28] == 1).all())


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param("flip", id="flip"),
        pytest.param(["crop", "flip"], id="crop then flip"),
        pytest.param(RandomCrop(padding=1), id="instance"),
    ],
)
def test_augmentation_changes_training_and_is_seeded(images, make_net, transform):
    X, y = images
    plain = make_net().fit(X, y)
    first = make_net(transform=transform).fit(X, y)
    again = make_net(transform=transform).fit(X, y)
    w_plain = plain.module_.state_dict()
    w_first, w_again = first.module_.state_dict(), again.module_.state_dict()
    assert all(torch.equal(w_first[k], w_again[k]) for k in w_first)
    assert any(not torch.equal(w_first[k], w_plain[k]) for k in w_first)


def test_builtin_transform_on_tabular_data_fails_before_training():
    X, y = _tabular()
    net = FineTuneClassifier(Linear2, transform="flip", device="cpu", max_epochs=1)
    msg = "FineTuneClassifier(transform='flip'): ['flip'] augment images of shape"
    with pytest.raises(ValueError, match=re.escape(msg)):
        net.fit(X, y)
    assert not net.initialized_


@pytest.mark.parametrize(
    ("transform", "message"),
    [
        pytest.param("rotate", "'transform' parameter", id="unknown name"),
        pytest.param(
            ["flip", 3],
            "holds 3 (int), which is neither a built-in augmentation nor a "
            "callable. Use ['crop', 'flip']",
            id="list item",
        ),
    ],
)
def test_bad_transform_is_refused(images, make_net, transform, message):
    X, y = images
    with pytest.raises(ValueError, match=re.escape(message)):
        make_net(transform=transform).fit(X, y)


# -- per-batch warm-up and one-cycle --------------------------------------------


def _batch_lrs(net):
    return [b["event_lr"] for epoch in net.history for b in epoch["batches"]]


def test_warmup_batches_ramps_per_batch_then_follows_the_schedule(images, make_net):
    X, y = images  # 24 samples, batches of 8: 3 per epoch
    net = make_net(
        lr=0.01,
        warmup_batches=4,
        lr_schedule="step",
        step_size=1,
        gamma=0.5,
        max_epochs=3,
    )
    net.fit(X, y)
    epoch = [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    ramp = [1 / 5, 2 / 5, 3 / 5, 4 / 5, 1, 1, 1, 1, 1]
    expected = [0.01 * e * r for e, r in zip(epoch, ramp, strict=True)]
    assert _batch_lrs(net) == pytest.approx(expected)


def test_onecycle_rises_to_lr_then_anneals_per_batch(images, make_net):
    X, y = images
    net = make_net(lr=0.01, lr_schedule="onecycle", warmup_batches=3, max_epochs=4)
    net.fit(X, y)
    lrs = _batch_lrs(net)
    assert len(lrs) == 12
    assert lrs[0] == pytest.approx(0.01 / 25)
    assert lrs[3] == pytest.approx(0.01)  # peak after the 3 rising steps
    assert lrs[:4] == sorted(lrs[:4])
    assert lrs[3:] == sorted(lrs[3:], reverse=True)
    assert lrs[-1] < 0.01 / 25
    # a second call runs a new cycle from the same base rate
    net.partial_fit(X, y)
    assert _batch_lrs(net)[12:] == pytest.approx(lrs)


def test_onecycle_peaks_at_each_groups_base_rate(images, make_net):
    X, y = images
    net = make_net(lr=0.01, lr_schedule="onecycle", backbone_lr_scale=0.1, max_epochs=2)
    net.fit(X, y)
    group_lrs = [g["base_lr"] for g in net.optimizer_.param_groups]
    assert group_lrs == pytest.approx([0.01, 0.001])
    maxes = [g["max_lr"] for g in net.optimizer_.param_groups]
    assert maxes == pytest.approx([0.01, 0.001])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param(
            {"warmup_epochs": 1, "warmup_batches": 5},
            "FineTuneClassifier(warmup_batches=5): and warmup_epochs=1 both set a "
            "warm-up. Count the warm-up in epochs or in batches",
            id="both warm-ups",
        ),
    ],
)
def test_schedule_rules(images, make_net, params, message):
    X, y = images
    with pytest.raises(ValueError, match=re.escape(message)):
        make_net(**params).fit(X, y)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"warmup_epochs": 3, "max_epochs": 2}, [0.5, 1.0], id="3 of 2"),
        pytest.param({"warmup_epochs": 2, "max_epochs": 1}, [1.0], id="2 of 1"),
        pytest.param({"warmup_epochs": 1, "max_epochs": 3}, [0.5, 1, 1], id="1 of 3"),
        pytest.param(
            {"warmup_batches": 10, "max_epochs": 1, "batches_per_epoch": 4},
            [0.25, 0.5, 0.75, 1.0],
            id="10 batches of 4",
        ),
    ],
)
def test_a_warm_up_ends_before_the_last_epoch_of_a_call(params, expected):
    params = {"warmup_epochs": 0, **params}
    factor = LRFactor(lr_schedule="constant", step_size=1, gamma=1.0, **params)
    steps = params["max_epochs"] * params.get("batches_per_epoch", 1)
    assert [factor(step) for step in range(steps)] == pytest.approx(expected)


@pytest.mark.parametrize("schedule", ["constant", "cosine", "onecycle"])
def test_a_warm_up_longer_than_the_fit_is_cut_to_it(images, make_net, schedule):
    X, y = images
    net = make_net(warmup_epochs=3, max_epochs=2, lr=0.01, lr_schedule=schedule)
    net.fit(X, y)  # onecycle refused it: warmup_epochs must be < max_epochs
    lrs = net.history[:, "event_lr"] if schedule != "onecycle" else []
    if schedule == "constant":
        assert lrs == pytest.approx([0.005, 0.01])
    assert np.isfinite(net.history[-1, "train_loss"])


# -- no weight decay on norms and biases ----------------------------------------


def test_decay_norm_and_bias_false_moves_them_to_a_group_without_decay(
    images, make_net
):
    X, y = images
    net = make_net(weight_decay=0.1, decay_norm_and_bias=False, max_epochs=1)
    net.fit(X, y)
    groups = net.optimizer_.param_groups
    assert [g["weight_decay"] for g in groups] == [0.1, 0.0]
    names = {id(p): n for n, p in net.module_.named_parameters()}
    decayed = {names[id(p)] for p in groups[0]["params"]}
    exempt = {names[id(p)] for p in groups[1]["params"]}
    assert decayed and all(n.endswith("weight") for n in decayed)
    assert all(p.ndim > 1 for p in groups[0]["params"])
    modules = net.module_.named_modules()
    bn = {n for n, m in modules if isinstance(m, torch.nn.BatchNorm2d)}
    assert {f"{b}.weight" for b in bn} <= exempt
    assert {n for n in names.values() if n.endswith("bias")} <= exempt
    assert len(decayed) + len(exempt) == len(names)


def test_decay_norm_and_bias_keeps_the_backbone_scale(images, make_net):
    X, y = images
    net = make_net(weight_decay=0.1, decay_norm_and_bias=False, backbone_lr_scale=0.1)
    net.fit(X, y)
    groups = net.optimizer_.param_groups
    settings = [(g["weight_decay"], g.get("lr_scale", 1.0)) for g in groups]
    assert settings == [(0.1, 1.0), (0.0, 1.0), (0.1, 0.1), (0.0, 0.1)]


def test_default_decays_every_parameter(images, make_net):
    X, y = images
    net = make_net(weight_decay=0.1, max_epochs=1).fit(X, y)
    assert [g["weight_decay"] for g in net.optimizer_.param_groups] == [0.1]


# -- gradient accumulation ------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "batch", "k"),
    [
        pytest.param(32, 8, 2, id="4 batches, groups of 2"),
        pytest.param(40, 8, 3, id="5 batches, groups of 3 then 2"),
    ],
)
def test_accumulation_equals_a_k_times_larger_batch(n, batch, k):
    X, y = _tabular(n)

    def fit(batch_size, accumulate):
        counter = StepCounter()
        net = FineTuneClassifier(
            Linear2,
            optimizer="sgd",
            lr=0.5,
            batch_size=batch_size,
            accumulate_grad_batches=accumulate,
            max_epochs=2,
            device="cpu",
            random_state=0,
            iterator_train__shuffle=False,
            callbacks=[("steps", counter)],
        )
        return net.fit(X, y), counter

    small, small_steps = fit(batch, k)
    large, large_steps = fit(batch * k, 1)
    assert small_steps.steps_ == large_steps.steps_ == 2 * -(-n // (batch * k))
    for key, value in large.module_.state_dict().items():
        torch.testing.assert_close(small.module_.state_dict()[key], value)
    # the loss recorded per batch is the batch's own, not divided by k
    losses = [b["train_loss"] for b in small.history[0, "batches"]]
    assert min(losses) > 0.3


def test_accumulation_differs_from_single_batches():
    X, y = _tabular(32)
    nets = [
        FineTuneRegressor(
            Linear2,
            module__n_classes=1,
            optimizer="sgd",
            lr=0.1,
            batch_size=8,
            accumulate_grad_batches=k,
            max_epochs=1,
            device="cpu",
            random_state=0,
        ).fit(X, X[:, 0])
        for k in (1, 2)
    ]
    a, b = (net.module_.state_dict() for net in nets)
    assert any(not torch.equal(a[key], b[key]) for key in a)


def test_accumulation_refuses_lbfgs():
    X, y = _tabular()
    net = FineTuneClassifier(
        Linear2, optimizer=torch.optim.LBFGS, accumulate_grad_batches=2, device="cpu"
    )
    msg = "FineTuneClassifier(accumulate_grad_batches=2): LBFGS evaluates the loss"
    with pytest.raises(ValueError, match=re.escape(msg)):
        net.fit(X, y)


def test_onecycle_of_fewer_than_three_batches_trains_at_lr(images, make_net):
    X, y = images
    net = make_net(lr=0.01, lr_schedule="onecycle", batch_size=24, max_epochs=2)
    net.fit(X, y)
    assert _batch_lrs(net) == pytest.approx([0.01, 0.01])


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"lr_schedule": "onecycle"}, id="onecycle"),
        pytest.param(
            {"warmup_batches": 4, "lr_schedule": "cosine"}, id="warm-up in batches"
        ),
    ],
)
def test_a_resumed_fit_goes_on_with_the_per_batch_schedule(
    images, make_net, tmp_path, params
):
    X, y = images
    params = {"lr": 0.01, "max_epochs": 5, "checkpoint_dir": tmp_path, **params}
    reference = make_net(**params).fit(X, y)
    with pytest.raises(RuntimeError, match="power cut"):
        make_net(**params, callbacks=[("crash", Crash(at=3))]).fit(X, y)
    (state_file,) = tmp_path.glob("fit-*-state.pt")
    net = make_net(**params).resume(state_file, X, y)
    assert _batch_lrs(net) == pytest.approx(_batch_lrs(reference))
