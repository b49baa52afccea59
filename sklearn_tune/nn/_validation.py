"""The estimators' parameters: their constraints, and the rules across them.

Each parameter's type and range is a scikit-learn constraint
(``_parameter_constraints``: ``Interval``, ``StrOptions``, ...), checked by
scikit-learn's own validator; what a single constraint cannot say (``nesterov``
needs momentum, early stopping needs a validation set, a CUDA device needs a
GPU, a weights file must exist) is checked by :func:`check_params`. Both run
when a fit begins, before anything is built, and say how to fix the value.
"""

from __future__ import annotations

import difflib
import inspect
import os
from collections.abc import Mapping
from numbers import Integral, Real

import torch
from torch import nn

from .._compat import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from ._augment import BUILTIN_TRANSFORMS
from ._images import check_normalize
from ._optim import LR_SCHEDULES, OPTIMIZERS
from ._resnet import _TORCHVISION, RESNETS

__all__ = ["PARAMETER_CONSTRAINTS", "check_params", "fail"]

MIXED_PRECISION = ("auto", "no", "bf16", "fp16")
IMAGE_LAYOUTS = ("auto", "channels_first", "channels_last")

_POSITIVE = Interval(Real, 0, None, closed="neither")
_FRACTION = Interval(Real, 0, 1, closed="left")

PARAMETER_CONSTRAINTS = {
    "module": [StrOptions({*RESNETS, "mlp"}), nn.Module, callable],
    "weights": [None, str, os.PathLike, Mapping],
    "n_trainable_stages": [Interval(Integral, 0, None, closed="left"), None],
    "backbone_lr_scale": [_POSITIVE],
    "optimizer": [StrOptions(set(OPTIMIZERS)), callable],
    "lr": [_POSITIVE],
    "momentum": [_FRACTION],
    "beta1": [_FRACTION],
    "beta2": [_FRACTION, None],
    "eps": [_POSITIVE],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "decay_norm_and_bias": ["boolean"],
    "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
    "warmup_batches": [Interval(Integral, 0, None, closed="left")],
    "lr_schedule": [StrOptions(set(LR_SCHEDULES))],
    "step_size": [Interval(Integral, 1, None, closed="left")],
    "gamma": [Interval(Real, 0, 1, closed="right")],
    "grad_clip_norm": [_POSITIVE, None],
    "accumulate_grad_batches": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left"), Options(Integral, {-1})],
    "predict_batch_size": [
        Interval(Integral, 1, None, closed="left"),
        Options(Integral, {-1}),
        None,
    ],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
    "patience": [Interval(Integral, 1, None, closed="left"), None],
    "checkpoint_dir": [None, str, os.PathLike],
    "device": [str, torch.device, None],
    "data_on_device": [StrOptions({"auto"}), "boolean"],
    "channels_last": [StrOptions({"auto"}), "boolean"],
    "mixed_precision": [StrOptions(set(MIXED_PRECISION))],
    "image_layout": [StrOptions(set(IMAGE_LAYOUTS))],
    "normalize": [StrOptions({"auto"}), tuple, list, None],
    "transform": [StrOptions(set(BUILTIN_TRANSFORMS)), callable, list, tuple, None],
    "random_state": ["random_state"],
    "criterion": [callable],
    "classes": ["array-like", None],
    "train_split": [callable, None],
    "callbacks": [list, tuple, StrOptions({"disable"}), None],
    "verbose": ["verbose"],
}
"""Constraints of the parameters of both estimators (``classes``: classifier)."""

# how to fix a value outside its constraint, by parameter
_EXAMPLES = {
    "lr": "e.g. lr=1e-3",
    "backbone_lr_scale": "e.g. backbone_lr_scale=0.1; freeze stages with "
    "n_trainable_stages",
    "eps": "e.g. eps=1e-8",
    "weight_decay": "e.g. weight_decay=1e-4",
    "grad_clip_norm": "e.g. grad_clip_norm=1.0, or None for no clipping",
    "validation_fraction": "e.g. validation_fraction=0.1, or None",
    "batch_size": "e.g. batch_size=64, or -1 for one batch of all samples",
    "n_trainable_stages": "0 trains the head only, None everything",
    "mixed_precision": "'auto': bf16 or fp16 on CUDA, off on the CPU",
    "random_state": "e.g. random_state=0 for reproducible fits on the CPU",
    "accumulate_grad_batches": "e.g. accumulate_grad_batches=4 for 4 batches per "
    "optimizer step, or 1",
    "transform": "'flip', 'crop', a callable on a batch tensor, or a list of those",
}


def fail(net, name, value, problem, fix):
    """Raise ``ValueError("Net(name=value): problem fix")``."""
    raise ValueError(
        f"{type(net).__name__}({name}={value!r}): {problem} {fix}".rstrip()
    )


def _did_you_mean(value, choices):
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value.lower(), list(choices), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _check_constraints(net, params):
    caller = type(net).__name__
    for name, constraints in net._parameter_constraints.items():
        if name not in params:
            continue
        try:
            validate_parameter_constraints(
                {name: constraints}, {name: params[name]}, caller_name=caller
            )
        except InvalidParameterError as err:
            value = params[name]
            hint = ""
            if name in ("module", "optimizer", "lr_schedule"):
                choices = {
                    "module": (*RESNETS, "mlp"),
                    "optimizer": OPTIMIZERS,
                    "lr_schedule": LR_SCHEDULES,
                }[name]
                hint = _did_you_mean(value, choices)
            elif name in _EXAMPLES:
                hint = f" Use {_EXAMPLES[name]}."
            raise InvalidParameterError(f"{err}{hint}") from None


def check_params(net):
    """Check the parameters of ``net``; raise with the fix before anything is built.

    Parameters
    ----------
    net : FineTuneClassifier or FineTuneRegressor
        The estimator.
    """
    params = net.get_params(deep=False)
    _check_constraints(net, params)
    optimizer = net.optimizer
    if not isinstance(optimizer, str) and not (
        inspect.isclass(optimizer) and issubclass(optimizer, torch.optim.Optimizer)
    ):
        fail(
            net,
            "optimizer",
            optimizer,
            "optimizer must be a name or a torch.optim.Optimizer subclass.",
            f"Use one of {list(OPTIMIZERS)}, or e.g. torch.optim.SGD.",
        )
    if optimizer == "nesterov" and net.momentum == 0:
        fail(
            net,
            "momentum",
            net.momentum,
            "optimizer='nesterov' needs momentum > 0.",
            "Set momentum=0.9, or use optimizer='sgd' for plain SGD.",
        )
    has_validation = net.train_split is not None or bool(net.validation_fraction)
    if net.patience is not None and not has_validation:
        fail(
            net,
            "patience",
            net.patience,
            "early stopping watches the validation loss, and there is no "
            "validation set.",
            "Set validation_fraction=0.1 to hold out 10% of the training data of "
            "each fit (stratified for classifiers), or "
            "train_split=skorch.helper.predefined_split(valid_dataset), or "
            "patience=None.",
        )
    _check_schedule(net)
    _check_transform(net)
    if net.accumulate_grad_batches > 1 and optimizer is torch.optim.LBFGS:
        fail(
            net,
            "accumulate_grad_batches",
            net.accumulate_grad_batches,
            "LBFGS evaluates the loss several times per step and cannot "
            "accumulate gradients over batches.",
            "Use accumulate_grad_batches=1, or another optimizer.",
        )
    _check_device(net, params["device"])
    if not (isinstance(net.normalize, str) and net.normalize == "auto"):
        check_normalize(net.normalize, type(net).__name__)
    _check_weights(net)


def _check_schedule(net):
    if net.warmup_epochs and net.warmup_batches:
        fail(
            net,
            "warmup_batches",
            net.warmup_batches,
            f"and warmup_epochs={net.warmup_epochs} both set a warm-up.",
            "Count the warm-up in epochs or in batches: set the other to 0.",
        )


def _check_transform(net):
    transform = net.transform
    if transform is None:
        return
    items = transform if isinstance(transform, (list, tuple)) else [transform]
    for item in items:
        if isinstance(item, str) and item in BUILTIN_TRANSFORMS:
            continue
        if callable(item) and not isinstance(item, str):
            continue
        fail(
            net,
            "transform",
            transform,
            f"holds {item!r} ({type(item).__name__}), which is neither a "
            "built-in augmentation nor a callable.",
            f"Use {sorted(BUILTIN_TRANSFORMS)}, a callable on a batch tensor "
            "(e.g. a torchvision transforms.v2 transform), or a list of those.",
        )


def _check_device(net, device):
    if isinstance(device, str) and device != "auto":
        try:
            torch.device(device)
        except RuntimeError:
            fail(
                net,
                "device",
                device,
                "not a torch device.",
                "Use 'auto', 'cpu', 'cuda' or 'cuda:<index>'.",
            )
    resolved = torch.device(net.device) if net.device is not None else None
    if resolved is not None and resolved.type == "cuda":
        if not torch.cuda.is_available():
            fail(
                net,
                "device",
                device,
                "CUDA is not available on this machine.",
                "Use device='auto' to train on CUDA where there is a GPU and on "
                "the CPU elsewhere.",
            )


def _check_weights(net):
    weights, module = net.weights, net.module
    if not isinstance(weights, (str, os.PathLike)):
        return
    is_registry = (
        isinstance(module, str)
        and module in _TORCHVISION
        and not os.path.exists(weights)
        and os.sep not in str(weights)
        and not str(weights).endswith((".pt", ".pth", ".bin"))
    )
    if not is_registry and not os.path.exists(weights):
        fail(
            net,
            "weights",
            str(weights),
            "no such file.",
            "Give the path of a state_dict saved with "
            "torch.save(net.module_.state_dict(), path), or None.",
        )
