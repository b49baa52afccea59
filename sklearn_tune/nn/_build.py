"""Building the net from the flat parameters: module, optimizer, callbacks.

The module by name or skorch's way, its weights, its new head, its freeze
plan and how images reach it; the optimizer with its parameter groups
(``backbone_lr_scale``); and the built-in callbacks, in skorch's terms.
"""

from __future__ import annotations

import copy
import inspect
import os
import warnings
from collections.abc import Mapping

import numpy as np
from sklearn.base import is_classifier
from skorch.callbacks import (
    EarlyStopping,
    EpochScoring,
    EpochTimer,
    GradientNormClipping,
    PassthroughScoring,
    PrintLog,
)
from skorch.utils import to_numpy
from torch import nn

from ._checkpoint import _TrainingCheckpoint
from ._device import head_in_float32
from ._freezing import _StageFreezer, make_freeze_plan, replace_head
from ._images import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    check_normalize,
    first_conv_in_channels,
)
from ._mlp import TabularMLP
from ._optim import (
    _TABLE,
    LRFactor,
    _PerCallLRScheduler,
    optimizer_recipe,
)
from ._resnet import (
    _TORCHVISION,
    _is_file_weights,
    load_backbone_weights,
    make_resnet,
    weights_in_channels,
)
from ._validation import check_params, fail


def _default_normalize(module, weights):
    """The image statistics of pretrained weights, when known; else None.

    torchvision's registry weights of its ResNets were trained on ImageNet
    with its mean and std; a file or a state dict says nothing of its data.
    """
    registry = (
        isinstance(module, str)
        and module in _TORCHVISION
        and weights is not None
        and not _is_file_weights(weights)
        and not isinstance(weights, Mapping)
    )
    return (IMAGENET_MEAN, IMAGENET_STD) if registry else None


def _mlp_args():
    params = list(inspect.signature(TabularMLP).parameters)
    return ", ".join(f"module__{name}" for name in params[2:])


def _valid_accuracy(net, X, y):
    """Accuracy on the validation set, whose targets are class indices."""
    y_pred = net.predict_proba(X).argmax(axis=1)
    return float(np.mean(y_pred == to_numpy(y)))


_NORMS = tuple(
    getattr(nn, name)
    for name in (
        "BatchNorm1d",
        "BatchNorm2d",
        "BatchNorm3d",
        "SyncBatchNorm",
        "InstanceNorm1d",
        "InstanceNorm2d",
        "InstanceNorm3d",
        "LayerNorm",
        "GroupNorm",
        "LocalResponseNorm",
        "RMSNorm",  # torch >= 2.4
    )
    if hasattr(nn, name)
)


def _norm_and_bias_ids(module):
    """The ids of the biases and of the normalisation layers' parameters."""
    ids = set()
    for layer in module.modules():
        for name, param in layer.named_parameters(recurse=False):
            if isinstance(layer, _NORMS) or name == "bias" or param.ndim <= 1:
                ids.add(id(param))
    return ids


def _without_decay_on_norm_and_bias(groups, module):
    """Split parameter groups: norm layers and biases in a group with no decay.

    Groups that set ``weight_decay`` themselves are kept as they are; each
    other group becomes its decayed part, then (if any) a copy of its
    settings with ``weight_decay=0`` holding the norms and biases.
    """
    exempt = _norm_and_bias_ids(module)
    split = []
    for group in groups:
        if "weight_decay" in group:
            split.append(group)
            continue
        params = list(group["params"])
        decayed = [p for p in params if id(p) not in exempt]
        other = [p for p in params if id(p) in exempt]
        if decayed or not other:
            split.append({**group, "params": decayed})
        if other:
            split.append({**group, "params": other, "weight_decay": 0.0})
    return split


def _same(a, b):
    """Whether two parameter values are equal (values that cannot say: no)."""
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError, RuntimeError):  # arrays, tensors
        return False


class _BuildMixin:
    """skorch's ``initialize_*`` steps, driven by the flat parameters."""

    def set_params(self, **params):
        """Set the parameters, as skorch's ``set_params``.

        On a fitted net, ``optimizer`` is only stored (skorch would fail): the
        next ``fit`` builds the new optimizer, and ``partial_fit`` or ``fit``
        with ``warm_start=True`` refuse to go on with another optimizer than
        the net's. The other optimizer knobs are followed by the next
        training call.

        Parameters
        ----------
        **params : dict
            Parameter names and their new values.

        Returns
        -------
        self : object
        """
        if "optimizer" in params and self.__dict__.get("initialized_"):
            self.optimizer = params.pop("optimizer")
        return super().set_params(**params)

    # -- building the net -------------------------------------------------------

    def _n_outputs(self):
        n_outputs = getattr(self, "n_outputs_", None)
        if n_outputs is None and getattr(self, "classes", None) is not None:
            return len(self.classes) or None
        return n_outputs

    def initialize(self):
        """Check the parameters, then build module, criterion, optimizer, callbacks.

        Returns
        -------
        self : object
        """
        check_params(self)
        return super().initialize()

    def initialize_module(self):
        """Build the module: by name, or skorch's way; then load weights, new head."""
        kwargs = self.get_params_for("module")
        n_outputs = self._n_outputs()
        in_channels = getattr(self, "in_channels_", None)
        module = self.module
        if in_channels == 1 and self.weights is not None:
            # pretrained on RGB: build for RGB, repeat the gray channel
            in_channels = weights_in_channels(self.weights) or in_channels
        if isinstance(module, str) and module == "mlp":
            kwargs.setdefault("n_features", getattr(self, "n_features_in_", None))
            kwargs.setdefault("n_classes", n_outputs or 1)
            try:
                module_ = TabularMLP(**kwargs)
            except TypeError as err:
                raise TypeError(
                    f"module='mlp' takes {_mlp_args()}; got module__* parameters "
                    f"{sorted(self.get_params_for('module'))} ({err})."
                ) from err
        elif isinstance(module, str):
            kwargs.setdefault("in_channels", in_channels or 3)
            kwargs.setdefault("n_classes", n_outputs or 1)
            module_ = make_resnet(module, weights=self.weights, **kwargs)
        else:
            if isinstance(module, nn.Module):
                # fit never changes the module passed in: train a copy
                module = copy.deepcopy(module)
            elif inspect.isclass(module):
                accepted = inspect.signature(module).parameters
                for key, value in (
                    ("n_classes", n_outputs),
                    ("in_channels", in_channels),
                ):
                    if key in accepted and key not in kwargs and value is not None:
                        kwargs[key] = value
            module_ = self.initialized_instance(module, kwargs)
            if self.weights is not None:
                load_backbone_weights(module_, self.weights)
            if n_outputs is not None:
                module_ = replace_head(module_, n_outputs)
        self._float32_head = False
        if not is_classifier(self):  # outputs not rounded under autocast
            module_, self._float32_head = head_in_float32(module_)
        self.module_ = module_
        self.freeze_plan_ = make_freeze_plan(module_, self.n_trainable_stages)
        self._plan_image_inputs()
        return self

    def _plan_image_inputs(self):
        """Set ``repeat_channels_`` and ``normalize_`` for the new module."""
        takes = first_conv_in_channels(self.module_)
        given = getattr(self, "in_channels_", None)
        self.repeat_channels_ = None
        if given == 1 and takes == 3:
            self.repeat_channels_ = 3
            warnings.warn(
                f"{type(self).__name__}: X holds grayscale images (1 channel) and "
                f"module={self._module_name()} takes 3 (RGB): each "
                "image is repeated to 3 channels. Give X 3 channels, or build the "
                "module with 1 input channel (module__in_channels=1), to avoid "
                "this.",
                UserWarning,
                stacklevel=4,
            )
        normalize = self.normalize
        if isinstance(normalize, str) and normalize == "auto":
            normalize = _default_normalize(self.module, self.weights)
        self.normalize_ = check_normalize(normalize, type(self).__name__)
        channels = takes or given
        if self.normalize_ is not None and channels is not None:
            n_stats = {len(v) for v in self.normalize_} - {1}
            if n_stats and n_stats != {channels}:
                fail(
                    self,
                    "normalize",
                    self.normalize,
                    f"has statistics for {n_stats.pop()} channels; the module "
                    f"takes {channels}.",
                    "Give one mean and std per channel, or a single value each.",
                )

    def torch_compile(self, module, name):
        """Compile as skorch does; the freeze plan then names the compiled module.

        Parameters
        ----------
        module : torch.nn.Module
            The module to compile (when ``compile=True``).
        name : str
            Its name in the net (``"module"`` for the network).

        Returns
        -------
        module : torch.nn.Module
        """
        compiled = super().torch_compile(module, name)
        if name == "module" and compiled is not module:
            # planned on the network inside the compiled wrapper (_orig_mod)
            self.freeze_plan_ = make_freeze_plan(compiled, self.n_trainable_stages)
        return compiled

    def get_params_for(self, prefix):
        params = super().get_params_for(prefix)
        if prefix == "iterator_train":
            return {"shuffle": True, **params}
        if prefix == "optimizer" and isinstance(self.optimizer, str):
            _, recipe = optimizer_recipe(
                self.optimizer,
                momentum=self.momentum,
                beta1=self.beta1,
                beta2=self.beta2,
                eps=self.eps,
                weight_decay=self.weight_decay,
            )
            return {**recipe, **params}
        return params

    def initialize_optimizer(self, triggered_directly=None):
        """Build the optimizer: flat knobs, routed ``optimizer__*`` and groups.

        The parameters of the backbone stages get ``lr * backbone_lr_scale``
        (the head, first group, gets ``lr``); parameter groups given with
        ``optimizer__param_groups`` keep their own settings. With
        ``decay_norm_and_bias=False`` each group that does not set its own
        ``weight_decay`` is split in two: the biases and the weights of
        normalisation layers get no weight decay.
        """
        named = list(self.get_all_learnable_params())
        args, kwargs = self.get_params_for_optimizer("optimizer", named)
        groups = list(args[0])
        if self.backbone_lr_scale != 1 and groups and set(groups[-1]) == {"params"}:
            backbone = {
                id(self.module_.get_parameter(n)) for n in self.freeze_plan_.backbone
            }
            rest = groups.pop()["params"]
            head = [p for p in rest if id(p) not in backbone]
            body = [p for p in rest if id(p) in backbone]
            lr = kwargs.get("lr", self.lr)
            groups += [{"params": head}] if head else []
            scale = self.backbone_lr_scale
            # lr_scale: set_params(lr=...) later scales this group's rate too
            groups += (
                [{"params": body, "lr": lr * scale, "lr_scale": scale}] if body else []
            )
        if not self.decay_norm_and_bias:
            groups = _without_decay_on_norm_and_bias(groups, self.module_)
        cls = (
            _TABLE[self.optimizer][0]
            if isinstance(self.optimizer, str)
            else self.optimizer
        )
        self.optimizer_ = cls(groups, **kwargs)
        self._optimizer_built_with = self._optimizer_settings()
        return self

    def _optimizer_settings(self):
        """What the optimizer is built from, ``lr`` aside (skorch sets it live)."""
        routed = self.get_params_for("optimizer")
        return {
            "optimizer": self.optimizer,
            "kwargs": {key: value for key, value in routed.items() if key != "lr"},
            "backbone_lr_scale": self.backbone_lr_scale,
            "decay_norm_and_bias": self.decay_norm_and_bias,
        }

    def _check_optimizer_unchanged(self, method):
        """Refuse to go on training with another optimizer than the net's."""
        built = self.__dict__.get("_optimizer_built_with")
        if built is None or _same(built["optimizer"], self.optimizer):
            return
        was = built["optimizer"]
        fail(
            self,
            "optimizer",
            self.optimizer,
            f"was set after the net was built with optimizer={was!r}, and "
            f"{method} goes on training with the state (momentum, moment "
            f"estimates) of that optimizer, which {self.optimizer!r} cannot take.",
            "Call fit with warm_start=False to train from scratch with the new "
            f"optimizer, or set_params(optimizer={was!r}) to go on.",
        )

    def _update_optimizer(self):
        """Before training goes on: follow the knobs set since the optimizer was built.

        ``set_params`` of ``weight_decay``, ``momentum``, ``beta1``, ``beta2``,
        ``eps``, ``backbone_lr_scale`` or ``decay_norm_and_bias`` on a fitted
        net changes nothing by itself (skorch sets ``lr`` and routed
        ``optimizer__*`` values on the optimizer at once): when one of them
        differs from what the optimizer was built with, the optimizer is
        built anew from the current parameters (groups included), and each
        parameter keeps its state (momentum buffers, moment estimates, step
        counts). The new groups start from ``lr`` (times
        ``backbone_lr_scale`` for the backbone).
        """
        built = self.__dict__.get("_optimizer_built_with")
        if built is None or _same(built, self._optimizer_settings()):
            return
        old = self.optimizer_
        self.initialize_optimizer()
        for group in self.optimizer_.param_groups:
            for param in group["params"]:
                if param in old.state:
                    self.optimizer_.state[param] = old.state[param]
        scheduler = dict(self.callbacks_).get("lr_scheduler")
        if getattr(scheduler, "last_lrs_", None) is not None:
            scheduler.last_lrs_ = None  # the new groups' lr is their base rate

    @property
    def _default_callbacks(self):
        has_validation = self.train_split is not None or bool(self.validation_fraction)
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
        ]
        if is_classifier(self):
            callbacks.append(
                (
                    "valid_acc",
                    EpochScoring(
                        _valid_accuracy, name="valid_acc", lower_is_better=False
                    ),
                )
            )
        callbacks += [
            ("freezer", _StageFreezer()),
            ("lr_scheduler", _PerCallLRScheduler()),
            ("gradient_clipping", GradientNormClipping(self.grad_clip_norm)),
        ]
        if self.checkpoint_dir is not None:
            monitor = "valid_loss" if has_validation else "train_loss"
            callbacks.append(
                (
                    "checkpoint",
                    _TrainingCheckpoint(os.fspath(self.checkpoint_dir), monitor),
                )
            )
        if self.patience is not None:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss", patience=self.patience, load_best=True
                    ),
                )
            )
        callbacks.append(("print_log", PrintLog()))
        return callbacks

    # -- training ---------------------------------------------------------------

    def _lr_factor(self, batches_per_epoch=None):
        """The learning-rate factor per epoch (or batch) of one training call."""
        return LRFactor(
            self.warmup_epochs,
            self.lr_schedule,
            self.step_size,
            self.gamma,
            self.max_epochs,
            warmup_batches=self.warmup_batches,
            batches_per_epoch=batches_per_epoch,
        )
