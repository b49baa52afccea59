"""Train-time data augmentation: random flips and crops of a batch of images.

``transform`` is applied to each training batch on the net's device, after
the images were brought to the module's form (channels first, scaled to
[0, 1], normalised), and never to validation or prediction batches. It is
``"flip"``, ``"crop"``, a callable on a batch tensor (a torchvision
``transforms.v2`` transform, when torchvision imports, is one), or a list of
those applied in turn. The two built-ins need no torchvision and draw a new
random choice for every image of the batch from torch's random state, which
``random_state`` seeds.
"""

from __future__ import annotations

import torch

__all__ = ["RandomCrop", "RandomFlip", "BUILTIN_TRANSFORMS", "make_transform"]


class RandomFlip:
    """Flip each image of a batch left-right with probability ``p``.

    Parameters
    ----------
    p : float, default=0.5
        Probability that an image is flipped.

    See Also
    --------
    RandomCrop : The other built-in augmentation.
    FineTuneClassifier : Its ``transform`` takes ``"flip"`` for this one.

    Examples
    --------
    >>> import torch
    >>> from sklearn_tune.nn import RandomFlip
    >>> images = torch.arange(8.0).reshape(2, 1, 2, 2)  # 2 images of 2x2 pixels
    >>> torch.equal(RandomFlip(p=1.0)(images), images.flip(-1))
    True
    """

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, x):
        _check_images(x, self)
        flip = torch.rand(len(x), device=x.device) < self.p
        return torch.where(flip[:, None, None, None], x.flip(-1), x)

    def __repr__(self):
        return f"RandomFlip(p={self.p})"


class RandomCrop:
    """Pad each image of a batch with zeros, then crop it back at a random place.

    Every image is shifted by its own random offset of up to ``padding``
    pixels in each direction (the crop of CIFAR training recipes).

    Parameters
    ----------
    padding : int or None, default=None
        Pixels of zeros added on every side. None: an eighth of the smaller
        side, at least 1 (4 for 32x32 images).

    See Also
    --------
    RandomFlip : The other built-in augmentation.
    FineTuneClassifier : Its ``transform`` takes ``"crop"`` for this one.

    Examples
    --------
    >>> import torch
    >>> from sklearn_tune.nn import FineTuneClassifier, RandomCrop, RandomFlip
    >>> _ = torch.manual_seed(0)
    >>> images = torch.ones(8, 3, 32, 32)
    >>> cropped = RandomCrop()(images)  # shifted by up to 4 pixels
    >>> cropped.shape
    torch.Size([8, 3, 32, 32])
    >>> bool((cropped.sum(dim=(1, 2, 3)) <= images.sum(dim=(1, 2, 3))).all())
    True

    For a net, a list is applied in turn to every training batch:

    >>> net = FineTuneClassifier("resnet8", transform=[RandomFlip(), RandomCrop(4)])
    """

    def __init__(self, padding=None):
        self.padding = padding

    def __call__(self, x):
        _check_images(x, self)
        n, channels, height, width = x.shape
        pad = self.padding
        if pad is None:
            pad = max(1, min(height, width) // 8)
        if pad == 0:
            return x
        padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
        dy = torch.randint(0, 2 * pad + 1, (n, 1, 1), device=x.device)
        dx = torch.randint(0, 2 * pad + 1, (n, 1, 1), device=x.device)
        rows = dy + torch.arange(height, device=x.device)[None, :, None]
        cols = dx + torch.arange(width, device=x.device)[None, None, :]
        samples = torch.arange(n, device=x.device)[:, None, None, None]
        layers = torch.arange(channels, device=x.device)[None, :, None, None]
        # one index per axis: a new (n, c, height, width) tensor in the standard
        # layout (a permuted one-channel result has strides that crash torch's
        # CPU convolution backward: "corrupted double-linked list")
        return padded[samples, layers, rows[:, None], cols[:, None]]

    def __repr__(self):
        return f"RandomCrop(padding={self.padding})"


BUILTIN_TRANSFORMS = {"flip": RandomFlip, "crop": RandomCrop}
"""The names ``transform`` accepts, and the augmentation each builds."""


def _check_images(x, transform):
    if x.ndim != 4:
        raise ValueError(
            f"{transform!r} augments images of shape (n_samples, channels, height, "
            f"width); the batch has shape {tuple(x.shape)}. Use transform=None, or "
            "a callable that fits this data."
        )


class _Compose:
    """Apply transforms in turn."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, x):
        for transform in self.transforms:
            x = transform(x)
        return x


def make_transform(transform):
    """The callable of a ``transform`` parameter; None when there is none.

    Parameters
    ----------
    transform : None, str, callable or list of those
        ``"flip"`` (:class:`RandomFlip`), ``"crop"`` (:class:`RandomCrop`),
        a callable on a batch tensor, or a list of those applied in order.

    Returns
    -------
    transform : callable or None
    """
    if transform is None:
        return None
    items = list(transform) if isinstance(transform, (list, tuple)) else [transform]
    made = [BUILTIN_TRANSFORMS[t]() if isinstance(t, str) else t for t in items]
    if not made:
        return None
    return made[0] if len(made) == 1 else _Compose(made)


def builtin_names(transform):
    """The built-in names ``transform`` uses (which need 4-D images)."""
    items = transform if isinstance(transform, (list, tuple)) else [transform]
    return [t for t in items if isinstance(t, str)]
