"""ResNets: a small CIFAR-style family built in, torchvision's when importable.

:class:`CifarResNet` is the network of He et al. (2016), section 4.2, for small
images: depth ``6n + 2`` (8, 14, 20, ...), three stages of ``n`` basic blocks
with 16, 32 and 64 channels (times ``width / 16``), global average pooling and
a linear head. It needs nothing beyond torch and trains on a CPU in seconds on
8x8 or 32x32 images.

torchvision's ``resnet18``, ``resnet34`` and ``resnet50`` are imported lazily,
only when asked for, so that torchvision stays optional.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping

import torch
from torch import nn

__all__ = ["CifarResNet", "RESNETS", "make_resnet", "load_backbone_weights"]

_CIFAR_DEPTHS = {"resnet8": 8, "resnet14": 14, "resnet20": 20, "resnet32": 32}
_TORCHVISION = ("resnet18", "resnet34", "resnet50")
RESNETS = tuple(_CIFAR_DEPTHS) + _TORCHVISION
"""Names accepted by :func:`make_resnet` (and by the estimators' ``module``)."""


class _BasicBlock(nn.Module):
    """Two 3x3 convolutions with a shortcut; a 1x1 projection when shapes change."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    """The CIFAR ResNet of He et al. (2016): depth ``6n + 2``, three stages.

    Parameters
    ----------
    depth : int, default=20
        ``6n + 2`` layers with weights: 8, 14, 20, 32, ...
    n_classes : int, default=10
        Outputs of the linear head (1 or more; for regression, the number of
        targets).
    in_channels : int, default=3
        Channels of the input images (1 for grayscale).
    width : int, default=16
        Channels of the first stage; the second and third have 2x and 4x.

    Notes
    -----
    The stages are the children ``stem``, ``stage1``, ``stage2``, ``stage3``
    and the head is ``fc``: :mod:`sklearn_tune.nn` freezes the backbone stage
    by stage, from the input upwards. Where the number of channels changes,
    the shortcut is a 1x1 convolution (option B of the paper; its CIFAR
    experiments used zero-padding, option A).

    Examples
    --------
    >>> import torch
    >>> from sklearn_tune.nn import CifarResNet
    >>> CifarResNet(depth=8, n_classes=5, in_channels=1)(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 5])
    """

    def __init__(self, depth=20, n_classes=10, in_channels=3, width=16):
        super().__init__()
        if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
            raise ValueError(
                f"CifarResNet(depth={depth!r}): depth must be 6n + 2 with n >= 1 "
                "(8, 14, 20, 32, ...)."
            )
        for name, value in (
            ("n_classes", n_classes),
            ("in_channels", in_channels),
            ("width", width),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"CifarResNet({name}={value!r}): {name} must be an int >= 1."
                )
        self.depth = depth
        n_blocks = (depth - 2) // 6
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, 1, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        channels = width
        for i, out_channels in enumerate((width, 2 * width, 4 * width), start=1):
            blocks = []
            for j in range(n_blocks):
                stride = 2 if i > 1 and j == 0 else 1
                blocks.append(_BasicBlock(channels, out_channels, stride))
                channels = out_channels
            self.add_module(f"stage{i}", nn.Sequential(*blocks))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, n_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")

    def forward(self, x):
        x = self.stem(x)
        x = self.stage3(self.stage2(self.stage1(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def _import_torchvision(name):
    try:
        import torchvision.models
    except Exception as err:  # ImportError, or a torchvision built for another torch
        raise ImportError(
            f"module={name!r} needs torchvision, which cannot be imported here "
            f"({type(err).__name__}: {err}). Install the torchvision that matches "
            f"your torch ({torch.__version__}), or use a built-in ResNet: "
            f"{', '.join(repr(n) for n in _CIFAR_DEPTHS)}."
        ) from err
    return torchvision.models


def _torchvision_resnet(name, n_classes, in_channels, weights):
    models = _import_torchvision(name)
    builder = getattr(models, name)
    registry_weights = None
    if weights is not None and not _is_file_weights(weights):
        try:
            registry_weights = models.get_model_weights(name).verify(weights)
        except (ValueError, KeyError) as err:
            raise ValueError(
                f"weights={weights!r} is not a torchvision weight of {name} nor an "
                f"existing file: {err}. Use e.g. weights='DEFAULT' (needs internet "
                "once, or torch's hub cache) or the path of a saved state_dict."
            ) from err
    model = builder(weights=registry_weights)
    if in_channels != 3:
        old = model.conv1
        model.conv1 = nn.Conv2d(
            in_channels, old.out_channels, old.kernel_size, old.stride,
            old.padding, bias=False,
        )  # fmt: skip
        if registry_weights is not None:
            # Sum the RGB filters: a grayscale image then gives the activations
            # its RGB copy gave; spread over the new channels.
            with torch.no_grad():
                total = old.weight.sum(dim=1, keepdim=True) / in_channels
                model.conv1.weight.copy_(total.repeat(1, in_channels, 1, 1))
    model.fc = nn.Linear(model.fc.in_features, n_classes)
    return model


def _is_file_weights(weights):
    return isinstance(weights, (str, os.PathLike)) and (
        os.path.exists(weights)
        or str(weights).endswith((".pt", ".pth", ".bin"))
        or os.sep in str(weights)
    )


def _read_state_dict(weights):
    """The state dict of ``weights`` (a mapping or a file), unwrapped."""
    state = weights
    if not isinstance(weights, Mapping):
        if not os.path.exists(weights):
            raise FileNotFoundError(
                f"weights={str(weights)!r}: no such file. Give the path of a "
                "state_dict saved with torch.save(module.state_dict(), path)."
            )
        state = torch.load(weights, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model"):
        if isinstance(state.get(key), Mapping):
            state = state[key]
    return state


_WRAPPER_PREFIXES = ("module.", "model.", "_orig_mod.")


def _strip_wrappers(keys):
    """Strip the prefixes that every key shares from wrappers; return both."""
    prefix = ""
    while keys:
        for candidate in _WRAPPER_PREFIXES:
            if all(k.startswith(candidate) for k in keys):
                keys = [k[len(candidate) :] for k in keys]
                prefix += candidate
                break
        else:
            break
    return prefix, keys


def weights_in_channels(weights):
    """Input channels of the first convolution that ``weights`` were trained with.

    Parameters
    ----------
    weights : str, path-like or mapping
        A torchvision registry name (always 3 channels: RGB), a state dict or
        the file it was saved to.

    Returns
    -------
    n_channels : int or None
        None when the weights hold no 4-D convolution kernel.
    """
    if not (_is_file_weights(weights) or isinstance(weights, Mapping)):
        return 3
    for value in _read_state_dict(weights).values():
        if isinstance(value, torch.Tensor) and value.ndim == 4:
            return int(value.shape[1])
    return None


def make_resnet(name, n_classes, in_channels=3, weights=None, **kwargs):
    """Build a ResNet by name with a fresh head of ``n_classes`` outputs.

    Parameters
    ----------
    name : str
        One of ``"resnet8"``, ``"resnet14"``, ``"resnet20"``, ``"resnet32"``
        (:class:`CifarResNet`, built in) or ``"resnet18"``, ``"resnet34"``,
        ``"resnet50"`` (torchvision's, which must be importable).
    n_classes : int
        Outputs of the new head.
    in_channels : int, default=3
        Channels of the input images. For torchvision's pretrained ResNets the
        first convolution is rebuilt for this many channels from the sum of
        its RGB filters, divided by ``in_channels``.
    weights : None, str, path-like, mapping or torchvision weights, default=None
        Initial weights of the backbone; the head is always new. None: random
        initialisation. A path (or a state dict already loaded) is read with
        :func:`load_backbone_weights`, so it works offline with any model. Any
        other string, e.g. ``"DEFAULT"`` or ``"IMAGENET1K_V1"``, names a weight
        of torchvision's registry (torchvision downloads it once, then reads
        it from torch's hub cache).
    **kwargs
        Passed to :class:`CifarResNet` (e.g. ``width``).

    Returns
    -------
    module : torch.nn.Module
        The network, with its head of ``n_classes`` outputs.

    See Also
    --------
    CifarResNet : The built-in ResNets.
    load_backbone_weights : Load weights into all but the head.

    Examples
    --------
    >>> import torch
    >>> from sklearn_tune.nn import make_resnet
    >>> net = make_resnet("resnet8", n_classes=10, in_channels=1)
    >>> net(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """
    if name in _CIFAR_DEPTHS:
        model = CifarResNet(
            _CIFAR_DEPTHS[name], n_classes=n_classes, in_channels=in_channels, **kwargs
        )
        if weights is not None and not _is_file_weights(weights):
            if not isinstance(weights, Mapping):
                raise ValueError(
                    f"weights={weights!r}: the built-in {name} has no registry "
                    "weights; pass the path of a state_dict saved with "
                    "torch.save(module.state_dict(), path), or None."
                )
    elif name in _TORCHVISION:
        if kwargs:
            raise TypeError(
                f"module={name!r} (torchvision) takes no module__ parameters; got "
                f"{sorted(kwargs)}."
            )
        model = _torchvision_resnet(name, n_classes, in_channels, weights)
    else:
        close = difflib.get_close_matches(str(name), RESNETS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"module={name!r} is not a known ResNet.{hint} Use one of "
            f"{list(RESNETS)}, or pass any torch.nn.Module class or instance."
        )
    if weights is not None and (
        _is_file_weights(weights) or isinstance(weights, Mapping)
    ):
        load_backbone_weights(model, weights)
    return model


def load_backbone_weights(module, weights):
    """Load saved weights into everything but the head of ``module``.

    The head (the classifier :func:`sklearn_tune.nn.find_head` names: the
    last ``torch.nn.Linear``) keeps its fresh initialisation, so a
    network pretrained on other classes is fine-tuned with a new head.

    Parameters
    ----------
    module : torch.nn.Module
        The network to load into, modified in place.
    weights : str, path-like or mapping
        A state dict, or the file it was saved to with ``torch.save`` (read
        with ``weights_only=True`` onto the CPU). A dict holding the state dict
        under ``"state_dict"`` or ``"model"`` (a training checkpoint) works too,
        and so do keys behind a wrapper's prefix (``"module."`` of
        ``DataParallel``, ``"model."`` of Lightning, ``"_orig_mod."`` of
        ``torch.compile``). Keys that do not fit are listed in the error.

    Returns
    -------
    module : torch.nn.Module
        The same module.

    See Also
    --------
    make_resnet : Build a ResNet, with ``weights`` loaded this way.
    replace_head : Give a network a new head.

    Examples
    --------
    Weights of a network trained on 100 classes, for one with 10:

    >>> import torch
    >>> from sklearn_tune.nn import load_backbone_weights, make_resnet
    >>> pretrained = make_resnet("resnet8", n_classes=100).state_dict()
    >>> net = load_backbone_weights(make_resnet("resnet8", n_classes=10), pretrained)
    >>> torch.equal(net.state_dict()["stem.0.weight"], pretrained["stem.0.weight"])
    True
    >>> net.fc.out_features
    10
    """
    from ._freezing import _unwrap, find_head

    state = _read_state_dict(weights)
    own_prefix, _ = _unwrap(module)  # the module's own wrappers, e.g. "0."
    own_keys = [k[len(own_prefix) :] for k in module.state_dict()]
    _, state_keys = _strip_wrappers(list(state))
    # keys as the module names them: wrappers' prefixes (DataParallel's
    # "module.", Lightning's "model.", torch.compile's "_orig_mod.") swapped
    state = {own_prefix + k: v for k, v in zip(state_keys, state.values())}
    head = find_head(module)
    head_prefix = f"{head}." if head else None
    own = {
        own_prefix + k
        for k in own_keys
        if not (head_prefix and (own_prefix + k).startswith(head_prefix))
    }
    backbone = {
        k: v
        for k, v in state.items()
        if not (head_prefix and k.startswith(head_prefix))
    }
    missing = sorted(own - set(backbone))
    unexpected = sorted(set(backbone) - own)
    if missing or unexpected:

        def listing(keys):
            shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
            return f"{len(keys)} ({shown})" if keys else "none"

        raise ValueError(
            f"weights do not fit {type(module).__name__}: missing keys (in the "
            f"module, not in the weights): {listing(missing)}; unexpected keys (in "
            f"the weights, not in the module): {listing(unexpected)}. Save and load "
            "the same architecture (same depth, width and in_channels), or give "
            "only the keys of the module's state_dict()."
        )
    try:
        module.load_state_dict(backbone, strict=False)
    except RuntimeError as err:
        raise ValueError(
            f"weights do not fit {type(module).__name__}: {err}. Save and load the "
            "same architecture (same depth, width and in_channels)."
        ) from err
    return module
