"""Stages, head and freezing: frozen parameters do not move, the head does."""

from functools import partial

import numpy as np
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
from sklearn_tune.nn._device import use_channels_last  # noqa: E402


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


# -- torchvision's and timm's models, given as instances ---------------------------


def _block(channels):
    return nn.Sequential(
        nn.Conv2d(channels, channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(channels),
        nn.ReLU(),
    )


class _ResNetLayout(nn.Module):
    """The attribute layout of torchvision's (and timm's) ResNets, tiny."""

    def __init__(self, in_channels=3, num_classes=1000, width=4):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(2)
        self.layer1, self.layer2 = _block(width), _block(width)
        self.layer3, self.layer4 = _block(width), _block(width)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class _TimmLike(_ResNetLayout):
    """A timm-style model: ``get_classifier()`` names its head, and a Linear
    layer registered after the head (used before it) is not the head."""

    def __init__(self, in_channels=3, num_classes=1000, width=4):
        super().__init__(in_channels, num_classes, width)
        self.proj = nn.Linear(width, width)

    def get_classifier(self):
        return self.fc

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.proj(torch.flatten(self.avgpool(x), 1)))


_TimmLike.__module__ = "timm.models.stand_in"  # where timm's models live


def _import_or_skip(name):
    """``name`` imported, or the test skipped where it does not import
    (missing, or built for another torch)."""
    try:
        return pytest.importorskip(name)
    except pytest.skip.Exception:
        raise
    except Exception as err:
        pytest.skip(f"{name} does not import here: {type(err).__name__}: {err}")


def _rgb_images(n=12, side=16):
    rng = np.random.RandomState(0)
    y = np.arange(n) % 3
    X = rng.rand(n, 3, side, side).astype("float32") + y[:, None, None, None]
    return X, y


def _check_fine_tuning(model, n_stages, side=16):
    """Freeze all but the last stage, scale the backbone's rate, train."""
    X, y = _rgb_images(side=side)
    snapshot = Snapshot()
    net = FineTuneClassifier(
        model,
        n_trainable_stages=1,
        backbone_lr_scale=0.1,
        optimizer="sgd",
        lr=0.1,
        max_epochs=2,
        batch_size=6,
        device="cpu",
        random_state=0,
        callbacks=[snapshot],
    ).fit(X, y)
    plan = net.freeze_plan_
    head = net.module_.get_submodule(find_head(net.module_))
    assert head.out_features == 3
    assert len(plan.stages) == n_stages
    before, after = snapshot.state_, net.module_.state_dict()
    for name in plan.frozen:
        assert torch.equal(before[name], after[name]), name
    for name in plan.frozen_norms:  # running statistics frozen too
        key = f"{name}.running_mean"
        assert torch.equal(before[key], after[key]), key
    moved = {n for n in plan.stages[-1] + plan.head if n.endswith("weight")}
    assert any(not torch.equal(before[n], after[n]) for n in moved)
    head_group, body_group = net.optimizer_.param_groups
    assert (head_group["lr"], body_group["lr"]) == pytest.approx((0.1, 0.01))
    body = {id(p) for p in body_group["params"]}
    params = dict(net.module_.named_parameters())
    assert {id(params[n]) for n in plan.backbone} == body
    # on CUDA, the module and the images go channels last, and the plan
    # (parameter names) is the same
    assert use_channels_last("auto", torch.device("cuda"), net.module_)
    net.module_.to(memory_format=torch.channels_last)
    assert make_freeze_plan(net.module_, 1) == plan
    return net


def test_a_torchvision_resnet_layout_is_frozen_stage_by_stage():
    net = _check_fine_tuning(_ResNetLayout(), n_stages=5)
    tops = [sorted({n.split(".")[0] for n in s}) for s in net.freeze_plan_.stages]
    assert tops == [["bn1", "conv1"], ["layer1"], ["layer2"], ["layer3"], ["layer4"]]
    assert net.freeze_plan_.head == ["fc.weight", "fc.bias"]


def test_a_timm_models_classifier_is_its_head():
    model = _TimmLike()
    assert find_head(model) == "fc"  # not proj, the last Linear
    replace_head(model, 5)
    assert model.fc.out_features == 5 and model.proj.out_features == 4
    net = _check_fine_tuning(_TimmLike(), n_stages=6)  # proj: a stage of its own
    assert net.freeze_plan_.head == ["fc.weight", "fc.bias"]
    assert net._image_module()  # timm's image models take (n, c, h, w) images


def test_a_timm_image_model_takes_images_as_the_resnets_do():
    X, y = _rgb_images()
    channels_last = (X.transpose(0, 2, 3, 1) * 60).astype(np.uint8)
    net = FineTuneClassifier(_TimmLike(), max_epochs=1, device="cpu").fit(
        channels_last, y
    )
    assert net.in_channels_ == 3  # transposed to channels first
    assert FineTuneClassifier(_ResNetLayout())._image_module() is False


def test_a_torchvision_resnet18_instance_fine_tunes():
    torchvision = _import_or_skip("torchvision")
    model = torchvision.models.resnet18(weights=None, num_classes=10)
    net = _check_fine_tuning(model, n_stages=5, side=32)
    assert net.freeze_plan_.head == ["fc.weight", "fc.bias"]
    assert net._image_module()


@pytest.mark.parametrize(
    ("name", "n_stages"),
    [
        pytest.param("resnet18", 5, id="resnet18"),
        pytest.param("mobilenetv3_small_050", None, id="mobilenetv3"),
    ],
)
def test_a_timm_model_instance_fine_tunes(name, n_stages):
    timm = _import_or_skip("timm")
    model = timm.create_model(name, pretrained=False, num_classes=10)
    classifier = model.get_classifier()
    assert model.get_submodule(find_head(model)) is classifier
    plan = make_freeze_plan(model, 1)
    n_stages = n_stages or len(plan.stages)
    net = _check_fine_tuning(model, n_stages=n_stages, side=32)
    assert net._image_module()
