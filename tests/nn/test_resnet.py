"""The built-in CIFAR ResNets, weights from a file, torchvision's (when importable)."""

import re

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn_tune.nn import (  # noqa: E402
    CifarResNet,
    FineTuneClassifier,
    load_backbone_weights,
    make_resnet,
)


@pytest.mark.parametrize(
    ("name", "depth"), [("resnet8", 8), ("resnet14", 14), ("resnet20", 20)]
)
def test_cifar_resnet_depth(name, depth):
    model = make_resnet(name, n_classes=3, in_channels=1, width=4)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    main_path = [m for m in convs if m.kernel_size == (3, 3)]
    assert len(main_path) + 1 == depth  # 6n + 1 convolutions and the head
    assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 3)


def test_bad_depth_and_unknown_name():
    with pytest.raises(ValueError, match="6n \\+ 2"):
        CifarResNet(depth=10)
    with pytest.raises(ValueError, match="Did you mean 'resnet20'"):
        make_resnet("resnt20", n_classes=2)


def test_weights_from_a_file_load_the_backbone_not_the_head(tmp_path):
    source = make_resnet("resnet8", n_classes=5, in_channels=1, width=4)
    path = tmp_path / "pretrained.pt"
    torch.save(source.state_dict(), path)
    target = make_resnet("resnet8", n_classes=3, in_channels=1, width=4, weights=path)
    for name, value in source.state_dict().items():
        if not name.startswith("fc."):
            assert torch.equal(value, target.state_dict()[name]), name
    assert target.fc.out_features == 3


def test_weights_of_another_architecture_are_refused(tmp_path):
    path = tmp_path / "w.pt"
    torch.save(make_resnet("resnet14", 2, 1, width=4).state_dict(), path)
    with pytest.raises(ValueError, match="same architecture") as info:
        load_backbone_weights(make_resnet("resnet8", 2, 1, width=4), path)
    message = str(info.value)
    assert "missing keys (in the module, not in the weights): none" in message
    assert re.search(
        r"unexpected keys \(in the weights, not in the module\): \d+ \(", message
    )
    assert "stage1.1.bn1.bias" in message  # resnet14 has 2 blocks per stage


@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param("module.", id="DataParallel"),
        pytest.param("model.", id="Lightning"),
        pytest.param("module._orig_mod.", id="DataParallel of compiled"),
    ],
)
def test_weights_with_a_wrappers_prefix_load(tmp_path, prefix):
    source = make_resnet("resnet8", n_classes=5, in_channels=1, width=4)
    path = tmp_path / "prefixed.pt"
    torch.save({prefix + k: v for k, v in source.state_dict().items()}, path)
    target = make_resnet("resnet8", n_classes=3, in_channels=1, width=4, weights=path)
    assert torch.equal(target.stem[0].weight, source.stem[0].weight)
    wrapped = torch.nn.Sequential(make_resnet("resnet8", 3, 1, width=4))
    load_backbone_weights(wrapped, path)  # a wrapper of our own: "0." prefix
    assert torch.equal(wrapped[0].stem[0].weight, source.stem[0].weight)


def test_missing_and_unexpected_keys_are_listed(tmp_path):
    state = make_resnet("resnet8", 2, 1, width=4).state_dict()
    state["extra.weight"] = state.pop("stem.0.weight")
    with pytest.raises(
        ValueError,
        match=re.escape(
            "missing keys (in the module, not in the weights): 1 (stem.0.weight); "
            "unexpected keys (in the weights, not in the module): 1 (extra.weight)"
        ),
    ):
        load_backbone_weights(make_resnet("resnet8", 2, 1, width=4), state)


def test_pretrain_then_finetune_with_the_estimator(images, make_net, tmp_path):
    X, y = images
    pre = make_net().fit(X[y < 2], y[y < 2])
    path = tmp_path / "pre.pt"
    torch.save(pre.module_.state_dict(), path)
    net = make_net(weights=str(path), n_trainable_stages=0, max_epochs=1)
    net.fit(X, y)
    assert net.module_.fc.out_features == 3
    assert torch.equal(net.module_.stem[0].weight, pre.module_.stem[0].weight)
    # the skorch way: build, then train further
    net = make_net(module__in_channels=1, classes=[0, 1, 2], weights=str(path))
    net.initialize()
    assert torch.equal(net.module_.stem[0].weight, pre.module_.stem[0].weight)
    net.partial_fit(X, y)
    assert list(net.classes_) == [0, 1, 2]


def test_missing_weights_file_is_reported_before_training(images, make_net):
    X, y = images
    with pytest.raises(ValueError, match="weights='nowhere/w.pt'.*no such file"):
        make_net(weights="nowhere/w.pt").fit(X, y)


def test_torchvision_resnet18_head_and_channels():
    pytest.importorskip("torchvision")
    model = make_resnet("resnet18", n_classes=4, in_channels=1)
    assert model.fc.out_features == 4
    assert model(torch.zeros(2, 1, 32, 32)).shape == (2, 4)
    net = FineTuneClassifier("resnet18", n_trainable_stages=0, device="cpu")
    assert net.get_params()["module"] == "resnet18"


def test_torchvision_missing_gives_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_torchvision(name, *args, **kwargs):
        if name.startswith("torchvision"):
            raise ImportError("No module named 'torchvision'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torchvision)
    with pytest.raises(ImportError, match="built-in ResNet"):
        make_resnet("resnet18", n_classes=2)
