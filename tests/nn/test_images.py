"""Images as users hold them: channels last, uint8, grayscale, normalisation."""

import pickle
import re
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn_tune.nn import CifarResNet  # noqa: E402
from sklearn_tune.nn._build import _default_normalize  # noqa: E402
from sklearn_tune.nn._images import IMAGENET_MEAN, IMAGENET_STD  # noqa: E402


def _state(net):
    return {k: v.clone() for k, v in net.module_.state_dict().items()}


def _assert_same_fit(a, b):
    for (name, p), q in zip(_state(a).items(), _state(b).values()):
        torch.testing.assert_close(p, q, msg=name)


@pytest.mark.parametrize("kind", ["numpy", "tensor"])
def test_channels_last_images_are_transposed(images, make_net, kind):
    X, y = images
    X_last = np.ascontiguousarray(X.transpose(0, 2, 3, 1))  # (24, 8, 8, 1)
    if kind == "tensor":
        X_last = torch.from_numpy(X_last)
    reference = make_net().fit(X, y)
    net = make_net().fit(X_last, y)
    assert net.in_channels_ == 1
    _assert_same_fit(net, reference)
    np.testing.assert_allclose(
        net.predict_proba(X_last), reference.predict_proba(X), rtol=1e-5
    )


def test_ambiguous_layout_is_refused_with_the_fix(make_net):
    rng = np.random.RandomState(0)
    X = rng.rand(12, 3, 4, 4).astype("float32")
    y = np.repeat([0, 1], 6)
    message = (
        "X has shape (12, 3, 4, 4): its channels may be on axis 1 (channels first, "
        "3 channels of 4x4) or last (4 channels of 3x4). Say which with "
        "FineTuneClassifier(image_layout='channels_first')"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        make_net(max_epochs=1).fit(X, y)
    net = make_net(max_epochs=1, image_layout="channels_first").fit(X, y)
    assert net.in_channels_ == 3
    net = make_net(max_epochs=1, image_layout="channels_last").fit(X, y)
    assert net.in_channels_ == 4


def test_uint8_images_are_scaled_to_unit_range(images, make_net):
    X, y = images
    X8 = np.round(np.clip(X, 0, 1) * 255).astype(np.uint8)
    reference = make_net().fit(X8.astype(np.float32) / 255, y)
    net = make_net().fit(X8, y)
    _assert_same_fit(net, reference)
    np.testing.assert_allclose(
        net.predict_proba(X8),
        reference.predict_proba(X8.astype(np.float32) / 255),
        rtol=1e-5,
    )


def test_normalize_applies_mean_and_std(images, make_net):
    X, y = images
    reference = make_net(normalize=None).fit((X - 0.5) / 0.25, y)
    net = make_net(normalize=([0.5], [0.25])).fit(X, y)
    assert net.normalize_ == ((0.5,), (0.25,))
    _assert_same_fit(net, reference)
    with pytest.raises(ValueError, match="has statistics for 3 channels"):
        make_net(normalize=(IMAGENET_MEAN, IMAGENET_STD)).fit(X, y)
    with pytest.raises(ValueError, match="std > 0"):
        make_net(normalize=(0.5, 0.0)).fit(X, y)


@pytest.mark.parametrize(
    ("module", "weights", "expected"),
    [
        pytest.param(
            "resnet18", "DEFAULT", (IMAGENET_MEAN, IMAGENET_STD), id="registry"
        ),
        pytest.param("resnet18", None, None, id="no weights"),
        pytest.param("resnet18", "w/resnet18.pt", None, id="file"),
        pytest.param("resnet8", None, None, id="builtin"),
    ],
)
def test_default_normalisation_is_the_pretrained_weights(module, weights, expected):
    assert _default_normalize(module, weights) == expected


def test_grayscale_into_a_pretrained_rgb_net_is_repeated(images, make_net, tmp_path):
    X, y = images
    path = tmp_path / "rgb.pt"
    torch.save(CifarResNet(8, 10, in_channels=3, width=4).state_dict(), path)
    with pytest.warns(UserWarning, match="repeated to 3 channels"):
        net = make_net(weights=str(path), normalize=None).fit(X, y)
    assert net.module_.stem[0].in_channels == 3
    assert net.repeat_channels_ == 3
    reference = make_net(weights=str(path), normalize=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # RGB images: nothing to say
        reference.fit(np.repeat(X, 3, axis=1), y)
    np.testing.assert_allclose(
        net.predict_proba(X), reference.predict_proba(np.repeat(X, 3, axis=1))
    )


def test_normalisation_statistics_are_made_once_on_the_device(
    monkeypatch, images, make_net
):
    # made per batch, they would be copied from the host to a GPU each time
    X, y = images
    made = []
    as_tensor = torch.as_tensor

    def counting(data, *args, **kwargs):
        if isinstance(data, tuple):  # the mean or the std
            made.append(data)
        return as_tensor(data, *args, **kwargs)

    monkeypatch.setattr(torch, "as_tensor", counting)
    net = make_net(normalize=(0.5, 0.25), batch_size=4, max_epochs=2).fit(X, y)
    assert made == [(0.5,), (0.25,)]  # for 12 batches, and the forward check
    x = torch.from_numpy(X[:3]).float()
    net.module_.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            net.infer(x), net.module_((x - 0.5) / 0.25), msg="normalised"
        )
    # the device's tensors are left out of a pickle (the loader may have no GPU)
    assert "_device_constants" not in pickle.loads(pickle.dumps(net)).__dict__
