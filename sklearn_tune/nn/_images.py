"""Images as the networks take them: layout, scale, channels and normalisation.

The estimators accept images as users hold them and bring them to what a
convolutional network takes, float32 of shape (n_samples, channels, height,
width):

- **layout**: channels-last arrays (n_samples, height, width, channels), as
  PIL, OpenCV, Keras and most image files give them, are transposed;
- **scale**: ``uint8`` images (0 to 255) are divided by 255, batch by batch on
  the net's device, so that the data stay four times smaller in memory;
- **channels**: grayscale images given to a network whose first convolution
  takes 3 channels (a pretrained RGB network) are repeated to 3 channels;
- **normalisation**: ``(x - mean) / std`` per channel, with the statistics of
  the pretrained weights by default.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

# The statistics of ImageNet that torchvision's pretrained ResNets were trained
# with (``weights.transforms()`` of every ResNet weight in its registry).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_CHANNELS = (1, 3, 4)  # grayscale, RGB, RGBA


def to_channels_first(X, image_layout, owner):
    """Return 4-D images ``X`` as (n, channels, height, width).

    Parameters
    ----------
    X : ndarray or torch.Tensor of 4 dimensions
        The images.
    image_layout : {"auto", "channels_first", "channels_last"}
        ``"auto"``: channels last when the last axis has 1, 3 or 4 entries and
        the second has not; refused when both have.
    owner : str
        The estimator, for messages.

    Returns
    -------
    X : ndarray or torch.Tensor
        Channels first; a contiguous copy when it was transposed.
    """
    shape = tuple(X.shape)
    if image_layout == "auto":
        first, last = shape[1] in _CHANNELS, shape[-1] in _CHANNELS
        if first and last:
            raise ValueError(
                f"X has shape {shape}: its channels may be on axis 1 (channels "
                f"first, {shape[1]} channels of {shape[2]}x{shape[3]}) or last "
                f"({shape[-1]} channels of {shape[1]}x{shape[2]}). Say which with "
                f"{owner}(image_layout='channels_first') or "
                "image_layout='channels_last'."
            )
        image_layout = "channels_last" if last else "channels_first"
    if image_layout == "channels_first":
        return X
    if isinstance(X, torch.Tensor):
        return X.permute(0, 3, 1, 2).contiguous()
    return np.ascontiguousarray(np.transpose(X, (0, 3, 1, 2)))


def first_conv_in_channels(module):
    """Input channels of the first ``Conv2d`` of ``module``; None if it has none."""
    for child in module.modules():
        if isinstance(child, nn.Conv2d):
            return child.in_channels
    return None


def check_normalize(normalize, owner):
    """``normalize`` as ``(mean, std)`` tuples of floats, or None (no scaling).

    Parameters
    ----------
    normalize : None or (mean, std)
        Each of mean and std a number or a sequence of numbers, one per
        channel; std > 0.
    owner : str
        The estimator, for messages.

    Returns
    -------
    stats : (tuple of float, tuple of float) or None
    """
    if normalize is None:
        return None

    def values(x):
        if isinstance(x, numbers.Real):
            return (float(x),)
        if isinstance(x, (Sequence, np.ndarray)) and not isinstance(x, str):
            if len(x) and all(isinstance(v, numbers.Real) for v in x):
                return tuple(float(v) for v in x)
        return None

    ok = isinstance(normalize, (tuple, list)) and len(normalize) == 2
    mean, std = (values(normalize[0]), values(normalize[1])) if ok else (None, None)
    if mean is None or std is None or not all(s > 0 for s in std):
        raise ValueError(
            f"{owner}(normalize={normalize!r}): normalize must be 'auto', None or "
            "a pair (mean, std) of numbers or per-channel sequences, std > 0. Use "
            "e.g. normalize=((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))."
        )
    if len(mean) != len(std) and 1 not in (len(mean), len(std)):
        raise ValueError(
            f"{owner}(normalize={normalize!r}): mean has {len(mean)} channels and "
            f"std {len(std)}. Give one value per channel for both, or one for all."
        )
    return mean, std


def prepare_images(x, repeat_to, stats, constants=None):
    """Scale, repeat and normalise a batch of images on its device.

    Parameters
    ----------
    x : torch.Tensor
        A batch; float64 becomes float32, and only 4-D tensors are changed
        otherwise.
    repeat_to : int or None
        Repeat a single channel this many times.
    stats : (tuple of float, tuple of float) or None
        Per-channel mean and std.
    constants : dict or None, default=None
        Where the mean and std tensors are kept, per device and dtype, from
        one batch to the next: made once, instead of copied from the host
        for every batch (a copy to a GPU that makes the host wait for it).

    Returns
    -------
    x : torch.Tensor
    """
    if not isinstance(x, torch.Tensor):
        return x
    if x.dtype == torch.float64:  # from a Dataset; arrays are float32 already
        x = x.float()
    if x.ndim != 4:
        return x
    if x.dtype == torch.uint8:
        x = x.float().div_(255.0)
    if repeat_to is not None and x.shape[1] == 1:
        x = x.expand(-1, repeat_to, -1, -1)
    if stats is not None:
        key = (stats, x.device, x.dtype)
        mean_std = None if constants is None else constants.get(key)
        if mean_std is None:
            mean_std = tuple(
                torch.as_tensor(v, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
                for v in stats
            )
            if constants is not None:
                constants[key] = mean_std
        mean, std = mean_std
        x = (x - mean) / std
    return x
