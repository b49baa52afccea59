"""Stages, head and freezing: frozen parameters do not move, the head does."""

from functools import partial

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from skorch.callbacks import Callback  # noqa: E402
from torch import nn  # noqa: E402

from sklearn_tune.nn import (  # noqa: E402
    CifarResNet,
    FineTuneClassifier,
    find_head,
    make_freeze_plan,
    replace_head,
)


class _TorchvisionLike(nn.Module):
    """The top-level layout of torchvision's ResNet."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.layer1 = nn.Sequential(nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4))
        self.layer2 = nn.Sequential(nn.Conv2d(4, 4, 3))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 10)

    def forward(self, x):
        x = self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x)))))
        return self.fc(torch.flatten(self.pool(x), 1))


class Snapshot(Callback):
    """Keep a copy of the module's state when training begins."""

    def on_train_begin(self, net, **kwargs):
        self.state_ = {k: v.clone() for k, v in net.module_.state_dict().items()}


def test_stages_of_the_builtin_resnet():
    plan = make_freeze_plan(CifarResNet(8, 3, 1, width=4))
    assert [stage[0].split(".")[0] for stage in plan.stages] == [
        "stem",
        "stage1",
        "stage2",
        "stage3",
    ]
    assert plan.head == ["fc.weight", "fc.bias"]
    assert plan.frozen == []


def test_top_level_norm_joins_the_stage_before_it():
    plan = make_freeze_plan(_TorchvisionLike(), n_trainable_stages=1)
    tops = [sorted({name.split(".")[0] for name in stage}) for stage in plan.stages]
    assert tops == [["bn1", "conv1"], ["layer1"], ["layer2"]]
    assert {n.split(".")[0] for n in plan.frozen} == {"conv1", "bn1", "layer1"}
    assert plan.frozen_norms == ["bn1", "layer1.1"]


@pytest.mark.parametrize(
    ("n_trainable", "n_frozen_stages"), [(None, 0), (0, 4), (1, 3), (4, 0), (9, 0)]
)
def test_n_trainable_stages_counts_from_the_head(n_trainable, n_frozen_stages):
    plan = make_freeze_plan(CifarResNet(8, 3, 1, width=4), n_trainable)
    assert plan.frozen == [n for stage in plan.stages[:n_frozen_stages] for n in stage]


def test_any_module_has_a_head_and_it_can_be_replaced():
    mlp = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    assert find_head(mlp) == "2"
    replace_head(mlp, 5)
    assert mlp[2].out_features == 5
    plan = make_freeze_plan(mlp, 0)
    assert plan.frozen == ["0.weight", "0.bias"]
    assert find_head(nn.Conv2d(1, 1, 1)) is None
    assert replace_head(nn.Linear(3, 2), 4).out_features == 4


def test_frozen_parameters_unchanged_head_changed(images, make_net):
    X, y = images
    snapshot = Snapshot()
    net = make_net(n_trainable_stages=1, lr=0.05, optimizer="sgd", callbacks=[snapshot])
    net.fit(X, y)
    before, after = snapshot.state_, net.module_.state_dict()
    frozen = set(net.freeze_plan_.frozen)
    assert frozen
    assert all(name.startswith(("stem.", "stage1.", "stage2.")) for name in frozen)
    for name in frozen:
        assert torch.equal(before[name], after[name]), name
    # BatchNorm running statistics of frozen stages are frozen too
    assert net.freeze_plan_.frozen_norms
    for name in net.freeze_plan_.frozen_norms:
        key = f"{name}.running_mean"
        assert torch.equal(before[key], after[key]), key
    assert not torch.equal(before["fc.weight"], after["fc.weight"])
    trained = [n for n in net.freeze_plan_.stages[-1] if n.endswith("weight")]
    assert any(not torch.equal(before[n], after[n]) for n in trained)
    params = dict(net.module_.named_parameters())
    assert not any(params[name].requires_grad for name in frozen)


def test_head_only(images, make_net):
    X, y = images
    snapshot = Snapshot()
    net = make_net(
        n_trainable_stages=0, optimizer="adam", lr=0.05, callbacks=[snapshot]
    )
    net.fit(X, y)
    changed = {
        k
        for k, v in net.module_.named_parameters()
        if not torch.equal(snapshot.state_[k], v)
    }
    assert changed == {"fc.weight", "fc.bias"}


def test_gradual_unfreezing_with_partial_fit(images, make_net):
    X, y = images
    net = make_net(n_trainable_stages=0, max_epochs=1).fit(X, y)
    stem = net.module_.stem[0].weight.clone()
    net.partial_fit(X, y)
    assert torch.equal(net.module_.stem[0].weight, stem)
    net.set_params(n_trainable_stages=None)
    net.partial_fit(X, y)
    assert not torch.equal(net.module_.stem[0].weight, stem)
    assert net.freeze_plan_.frozen == []


@pytest.mark.parametrize("schedule", ["cosine", "step"])
def test_gradual_unfreezing_recipe_end_to_end(images, make_net, schedule):
    """Fit the head on a frozen backbone, unfreeze, continue: the backbone learns."""
    X, y = images
    net = make_net(
        n_trainable_stages=0,
        lr_schedule=schedule,
        step_size=1,
        gamma=0.1,
        max_epochs=3,
        optimizer="sgd",
        lr=0.05,
    ).fit(X, y)
    backbone = {n: p.detach().clone() for n, p in net.module_.named_parameters()}
    stem_mean = net.module_.stem[1].running_mean.clone()  # a BatchNorm, frozen
    net.set_params(n_trainable_stages=None)
    net.partial_fit(X, y)
    # unfrozen BatchNorm layers learn their statistics again
    assert net.module_.stem[1].training
    assert not torch.equal(net.module_.stem[1].running_mean, stem_mean)
    lrs = net.history[3:, "event_lr"]
    assert lrs[0] == pytest.approx(0.05)
    assert min(lrs) > 0
    moved = [
        n
        for n, p in net.module_.named_parameters()
        if n in net.freeze_plan_.backbone and not torch.equal(p, backbone[n])
    ]
    assert {n.split(".")[0] for n in moved} == {"stem", "stage1", "stage2", "stage3"}


class _Wrapper(nn.Module):
    """A user's wrapper around the network: one top-level child."""

    def __init__(self):
        super().__init__()
        self.model = CifarResNet(8, 3, 1, width=4)

    def forward(self, x):
        return self.model(x)


def test_a_wrapper_is_looked_through():
    plan = make_freeze_plan(_Wrapper(), n_trainable_stages=1)
    tops = [
        sorted({".".join(n.split(".")[:2]) for n in stage}) for stage in plan.stages
    ]
    assert tops == [
        ["model.stem"],
        ["model.stage1"],
        ["model.stage2"],
        ["model.stage3"],
    ]
    assert plan.head == ["model.fc.weight", "model.fc.bias"]
    assert {n.split(".")[1] for n in plan.frozen} == {"stem", "stage1", "stage2"}


@pytest.mark.slow
def test_compile_keeps_freezing(images, make_net):
    X, y = images
    snapshot = Snapshot()
    net = make_net(
        n_trainable_stages=1,
        lr=0.05,
        optimizer="sgd",
        compile=True,
        compile__backend="eager",
        callbacks=[snapshot],
    ).fit(X, y)
    assert type(net.module_).__name__ == "OptimizedModule"
    frozen = set(net.freeze_plan_.frozen)
    assert {n.split(".")[1] for n in frozen} == {"stem", "stage1", "stage2"}
    after = net.module_.state_dict()
    for name in frozen:
        assert torch.equal(snapshot.state_[name], after[name]), name
    assert not torch.equal(
        snapshot.state_["_orig_mod.fc.weight"], after["_orig_mod.fc.weight"]
    )
    norms = net.freeze_plan_.frozen_norms
    assert norms and all(n.startswith("_orig_mod.") for n in norms)
    key = f"{norms[0]}.running_mean"
    assert torch.equal(snapshot.state_[key], after[key])


class _TinyViT(nn.Module):
    """The top-level layout of a vision transformer: parameters of its own."""

    def __init__(self):
        super().__init__()
        self.patch_embed = nn.Conv2d(1, 8, 4, stride=4)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 8))
        self.pos_embed = nn.Parameter(torch.randn(1, 5, 8) * 0.02)
        self.blocks = nn.Sequential(nn.Linear(8, 8), nn.GELU())
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(len(x), -1, -1)
        tokens = torch.cat([cls, tokens], dim=1) + self.pos_embed
        return self.head(self.norm(self.blocks(tokens))[:, 0])


def test_top_level_parameters_join_the_first_stage():
    plan = make_freeze_plan(_TinyViT(), n_trainable_stages=1)
    assert plan.stages[0][:2] == ["cls_token", "pos_embed"]
    assert {"cls_token", "pos_embed"} <= set(plan.frozen)
    assert "blocks.0.weight" not in plan.frozen


def test_top_level_parameters_are_frozen_and_scaled(images):
    X, y = images
    snapshot = Snapshot()
    make_net = partial(FineTuneClassifier, device="cpu", max_epochs=2, random_state=0)
    net = make_net(
        _TinyViT(),
        n_trainable_stages=0,
        optimizer="sgd",
        lr=0.1,
        callbacks=[snapshot],
    ).fit(X, y)
    params = dict(net.module_.named_parameters())
    for name in ("cls_token", "pos_embed"):
        assert not params[name].requires_grad
        assert torch.equal(snapshot.state_[name], params[name]), name
    net = make_net(_TinyViT(), lr=0.1, backbone_lr_scale=0.01).initialize()
    head, body = net.optimizer_.param_groups
    body_ids = {id(p) for p in body["params"]}
    assert id(net.module_.cls_token) in body_ids
    assert id(net.module_.pos_embed) in body_ids
    assert body["lr"] == pytest.approx(0.001)
