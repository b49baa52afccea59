"""Fine-tuning estimators on skorch whose knobs are flat scikit-learn parameters.

:class:`FineTuneClassifier` and :class:`FineTuneRegressor` are skorch nets
(``NeuralNetClassifier`` / ``NeuralNetRegressor`` subclasses): everything skorch
takes still works (``module__*``, ``optimizer__*``, ``callbacks``,
``iterator_train__*``, ``callbacks__<name>__*``). What they add is a set of flat
parameters, such as ``optimizer="adamw"``, ``lr``, ``warmup_epochs`` or
``n_trainable_stages``, that the searchers tune by name and that this module
maps onto skorch's machinery: the optimizer class and its keyword arguments,
parameter groups, and the callbacks ``LRScheduler``, ``GradientNormClipping``,
``Freezer``, ``EarlyStopping`` and ``Checkpoint``. A routed parameter given
explicitly (``optimizer__eps=1e-6``, ``callbacks__early_stopping__threshold``)
wins over the flat knob.
"""

from __future__ import annotations

import copy
import gc
import inspect
import math
import os
import warnings
from collections.abc import Mapping
from contextlib import contextmanager, nullcontext

import numpy as np
import torch
from sklearn.base import is_classifier
from sklearn.utils import check_random_state
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import (
    EarlyStopping,
    EpochScoring,
    EpochTimer,
    GradientNormClipping,
    PassthroughScoring,
    PrintLog,
)
from skorch.dataset import ValidSplit, unpack_data
from skorch.history import History
from skorch.utils import TeeGenerator, is_dataset, to_numpy, to_tensor
from torch import nn

from ..exceptions import GPUOutOfMemoryError
from ._checkpoint import _TrainingCheckpoint, read_training_state
from ._freezing import _StageFreezer, make_freeze_plan, replace_head
from ._images import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    check_normalize,
    first_conv_in_channels,
    prepare_images,
    to_channels_first,
)
from ._optim import (
    _TABLE,
    LRFactor,
    _PerCallLRScheduler,
    optimizer_recipe,
)
from ._resnet import (
    _TORCHVISION,
    CifarResNet,
    _is_file_weights,
    load_backbone_weights,
    make_resnet,
    weights_in_channels,
)
from ._validation import PARAMETER_CONSTRAINTS, check_params, fail

__all__ = ["FineTuneClassifier", "FineTuneRegressor"]

_FIT_LOOP_ROUTES = (
    "_routing_method" in inspect.signature(NeuralNetClassifier.fit_loop).parameters
)


def _resolve_device(device):
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _autocast_dtype(mode, device):
    """The autocast dtype of ``mixed_precision=mode`` on ``device``; None: off.

    ``"auto"`` is off except on CUDA, where it is bfloat16 when the GPU
    computes in bfloat16 natively (compute capability 8.0 or more, asked of
    that very device) and float16, trained with a ``GradScaler``, elsewhere:
    torch's emulated bfloat16 on older GPUs is slower than float32.
    """
    if mode == "no" or device is None:
        return None
    device = torch.device(device)
    if mode == "auto":
        if device.type != "cuda":
            return None
        with torch.cuda.device(device):
            native = torch.cuda.is_bf16_supported(including_emulation=False)
        return torch.bfloat16 if native else torch.float16
    return torch.bfloat16 if mode == "bf16" else torch.float16


def _holds_tensors(value):
    """Whether ``value`` keeps tensors alive (directly, or one level down)."""
    direct = (
        torch.Tensor,
        nn.Module,
        torch.optim.Optimizer,
        torch.optim.lr_scheduler.LRScheduler,
        torch.optim.lr_scheduler.ReduceLROnPlateau,
        torch.amp.GradScaler,
    )
    if isinstance(value, direct):
        return True
    if isinstance(value, Mapping):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(
        isinstance(v, direct) for v in value
    )


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


def _valid_accuracy(net, X, y):
    """Accuracy on the validation set, whose targets are class indices."""
    y_pred = net.predict_proba(X).argmax(axis=1)
    return float(np.mean(y_pred == to_numpy(y)))


class _FineTuneMixin:
    """What both estimators add to skorch; see FineTuneClassifier's docstring."""

    # -- device="auto" ----------------------------------------------------------
    #
    # skorch reads ``self.device`` wherever it moves a tensor. The parameter is
    # kept as given (get_params and clone see "auto"), while skorch's code reads
    # the resolved device: CUDA when available, else the CPU.

    @property
    def device(self):
        return _resolve_device(self.__dict__.get("device", "cpu"))

    @device.setter
    def device(self, value):
        self.__dict__["device"] = value

    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        if "device" in params:
            params["device"] = self.__dict__.get("device")
        return params

    def __setstate__(self, state):
        device = state.get("device")
        state["device"] = _resolve_device(device)
        super().__setstate__(state)
        if isinstance(device, str) and device == "auto":
            self.__dict__["device"] = device

    def load_params(self, *args, **kwargs):
        """Load saved parameters, as skorch's ``NeuralNet.load_params``.

        ``device="auto"`` stays ``"auto"`` (skorch writes the device it loaded
        onto back into ``device``).

        Parameters
        ----------
        *args, **kwargs
            As for :meth:`skorch.NeuralNet.load_params` (``f_params``,
            ``f_optimizer``, ``checkpoint``, ...).

        Returns
        -------
        None
        """
        device = self.__dict__.get("device")
        try:
            return super().load_params(*args, **kwargs)
        finally:
            if isinstance(device, str) and device == "auto":
                self.__dict__["device"] = device

    # -- validation, before any training ----------------------------------------

    # -- data -------------------------------------------------------------------

    def _image_module(self):
        """Whether the module is one of the ResNets, which take 4-D images."""
        module = self.module
        if isinstance(module, str):
            return True
        cls = module if inspect.isclass(module) else type(module)
        return issubclass(cls, CifarResNet) or (
            cls.__name__ == "ResNet" and cls.__module__.startswith("torchvision.")
        )

    def _check_X(self, X):
        """Arrays and tensors as float32, channels first; shape checks for images.

        4-D ``uint8`` images stay ``uint8`` (``infer`` scales each batch).
        """
        if is_dataset(X) or isinstance(X, Mapping):
            return X
        if hasattr(X, "to_numpy"):  # pandas
            X = X.to_numpy()
        if not isinstance(X, torch.Tensor):
            X = np.asarray(X)
        images = X.ndim == 4 and (self._image_module() or self.image_layout != "auto")
        if images:
            X = to_channels_first(X, self.image_layout, type(self).__name__)
        if isinstance(X, torch.Tensor):
            if not (images and X.dtype == torch.uint8) and X.dtype != torch.float32:
                X = X.float()
            shape = tuple(X.shape)
        else:
            if images and X.dtype == np.uint8:
                pass
            elif X.dtype.kind in "iub":
                X = X.astype(np.float32)
            elif X.dtype.kind == "f" and X.dtype != np.float32:
                X = X.astype(np.float32)
            elif X.dtype.kind != "f":
                raise ValueError(
                    f"X has dtype {X.dtype}; {type(self).__name__} needs numbers. "
                    "Convert X to a float array, e.g. np.asarray(X, dtype='float32')."
                )
            if not X.flags.writeable:  # torch takes only writable memory
                X = X.copy()
            shape = X.shape
            if X.size and X.dtype.kind == "f" and not np.isfinite(X).all():
                raise ValueError(
                    "X contains NaN or infinity. Impute or drop those values first."
                )
        if len(shape) < 2:
            raise ValueError(
                f"X has shape {shape}; {type(self).__name__} needs one row per "
                "sample, shape (n_samples, ...). Use X.reshape(-1, 1) for a single "
                "feature."
            )
        if self._image_module() and len(shape) != 4:
            side = int(round(math.sqrt(shape[1]))) if len(shape) == 2 else None
            hint = (
                f" e.g. X.reshape(-1, 1, {side}, {side}) for {side}x{side} grayscale "
                "images"
                if side and side * side == shape[1]
                else (
                    " e.g. X[:, None] for grayscale images" if len(shape) == 3 else ""
                )
            )
            raise ValueError(
                f"X has shape {shape}, but module={self._module_name()} takes images "
                "of shape (n_samples, channels, height, width). Reshape X first,"
                f"{hint}."
            )
        return X

    def _check_dataset(self, dataset, y):
        """The first samples of a torch Dataset, checked as arrays are.

        Returns the inputs of (up to) its first two samples as a batch, for the
        shape and forward checks; their targets are checked against the task.
        """
        try:
            n_samples = len(dataset)
        except TypeError:  # an IterableDataset: nothing to index
            return {}
        if n_samples == 0:
            raise ValueError("X is an empty Dataset; fit needs at least one sample.")
        items = [dataset[i] for i in range(min(2, n_samples))]
        pairs = all(
            isinstance(item, (tuple, list)) and len(item) == 2 for item in items
        )
        batch = torch.utils.data.default_collate(items)
        Xs, ys = (batch[0], batch[1]) if pairs else (batch, None)
        if isinstance(Xs, Mapping):
            return Xs
        checked = self._check_X(Xs)
        if tuple(checked.shape) != tuple(Xs.shape):
            raise ValueError(
                f"X is a Dataset of images of shape {tuple(Xs.shape[1:])}, channels "
                f"last; module={self._module_name()} takes (channels, height, "
                "width). Transpose them in the Dataset, e.g. "
                "image.permute(2, 0, 1), or give an array."
            )
        if y is None and ys is not None and is_classifier(self):
            codes = to_numpy(torch.as_tensor(ys)).ravel()
            n_classes = self.n_outputs_
            if (
                codes.dtype.kind not in "iu"
                or (codes < 0).any()
                or (codes >= n_classes).any()
            ):
                raise ValueError(
                    f"X is a Dataset whose first targets are {codes.tolist()}; "
                    f"{type(self).__name__} needs class indices 0 .. "
                    f"{n_classes - 1} for its {n_classes} classes "
                    f"{list(self.classes_)[:20]}. Make the Dataset yield the index "
                    "of each label in classes."
                )
        return checked

    def _module_name(self):
        module = self.module
        if isinstance(module, str):
            return repr(module)
        return getattr(module, "__name__", type(module).__name__)

    def _check_lengths(self, X, y):
        if y is None or is_dataset(X) or isinstance(X, Mapping):
            return
        n_x, n_y = len(X), len(y)
        if n_x != n_y:
            raise ValueError(
                f"X has {n_x} samples but y has {n_y}; give one target per row of X."
            )
        if n_x == 0:
            raise ValueError("X and y are empty; fit needs at least one sample.")

    def _check_validation_size(self, y, n_samples):
        if self.train_split is not None or not self.validation_fraction:
            return
        n_valid = math.ceil(self.validation_fraction * n_samples)
        n_classes = len(self.classes_) if is_classifier(self) else 1
        if is_classifier(self) and y is not None and n_valid < n_classes:
            need = min(n_classes / n_samples, 0.5)
            fail(
                self,
                "validation_fraction",
                self.validation_fraction,
                f"holds out {n_valid} of {n_samples} samples, fewer than the "
                f"{n_classes} classes; a stratified split needs one per class.",
                f"Use validation_fraction>={need:.2f}, or patience=None and "
                "validation_fraction=None to train on every sample.",
            )
        if n_samples - n_valid < 1:
            fail(
                self,
                "validation_fraction",
                self.validation_fraction,
                f"leaves no training sample out of {n_samples}.",
                "Use a smaller fraction.",
            )

    def _check_forward(self, X):
        """Run two samples through the new module: shape errors before training."""
        if is_dataset(X) or isinstance(X, Mapping) or len(X) == 0:
            return
        module = self.module_
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                out = self.infer(X[:2])
        except Exception as err:
            raise ValueError(
                f"module={self._module_name()} cannot process X of shape "
                f"{tuple(X.shape)} ({type(err).__name__}: {err}). Give X the shape "
                "the module expects: (n_samples, channels, height, width) for the "
                "ResNets, with the channels it was built for "
                "(module__in_channels)."
            ) from err
        finally:
            module.train(was_training)
        if isinstance(out, (tuple, list)):
            out = out[0]
        n_out = out.shape[1] if out.ndim == 2 else (1 if out.ndim == 1 else None)
        if n_out != self.n_outputs_:
            what = (
                f"{self.n_outputs_} classes {list(self.classes_)}"
                if is_classifier(self)
                else f"{self.n_outputs_} target(s)"
            )
            raise ValueError(
                f"module={self._module_name()} returns output of shape "
                f"{tuple(out.shape)} for 2 samples, but y has {what}: it needs one "
                f"output per {'class' if is_classifier(self) else 'target'}. End "
                f"the module with a torch.nn.Linear (which {type(self).__name__} "
                f"resizes to {self.n_outputs_} outputs) or build it with "
                f"{self.n_outputs_} outputs."
            )

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
        if isinstance(module, str):
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
        ``optimizer__param_groups`` keep their own settings.
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
            groups += (
                [{"params": body, "lr": lr * self.backbone_lr_scale}] if body else []
            )
        cls = (
            _TABLE[self.optimizer][0]
            if isinstance(self.optimizer, str)
            else self.optimizer
        )
        self.optimizer_ = cls(groups, **kwargs)
        return self

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

    def get_iterator(self, dataset, training=False):
        """skorch's batches; a last training batch of one sample is dropped.

        A batch of one sample breaks BatchNorm in training mode (no variance
        to normalise by), so when ``len(dataset) % batch_size == 1`` that one
        sample sits out the epoch (a different one each epoch, as batches are
        shuffled), unless ``iterator_train__drop_last`` is given.

        Parameters
        ----------
        dataset : torch Dataset
            The data to batch.
        training : bool, default=False
            Training batches (``iterator_train``) or not (``iterator_valid``).

        Returns
        -------
        iterator : torch DataLoader (or the iterator class set)
        """
        if not training:
            return super().get_iterator(dataset, training)
        kwargs = self.get_params_for("iterator_train")
        batch_size = kwargs.get("batch_size", self.batch_size)
        try:
            n_samples = len(dataset)
        except TypeError:  # an IterableDataset
            return super().get_iterator(dataset, training)
        if batch_size == -1:
            batch_size = n_samples
        kwargs["batch_size"] = batch_size
        if "drop_last" not in kwargs and n_samples > 1 and n_samples % batch_size == 1:
            kwargs["drop_last"] = True
        return self.iterator_train(dataset, **kwargs)

    def check_data(self, X, y=None):
        """Data were checked and targets encoded before training; nothing to do."""

    def get_split_datasets(self, X, y=None, **fit_params):
        """Split off the validation set: ``train_split`` or ``validation_fraction``."""
        if self.train_split is not None or not self.validation_fraction:
            return super().get_split_datasets(X, y, **fit_params)
        split = ValidSplit(
            self.validation_fraction,
            stratified=is_classifier(self) and y is not None,
            random_state=getattr(self, "seed_", None),
        )
        return split(self.get_dataset(X, y), y)

    # -- training ---------------------------------------------------------------

    def _lr_factor(self):
        """The learning-rate factor per epoch of one training call."""
        return LRFactor(
            self.warmup_epochs,
            self.lr_schedule,
            self.step_size,
            self.gamma,
            self.max_epochs,
        )

    def _amp_dtype(self):
        return _autocast_dtype(self.mixed_precision, self.device)

    def infer(self, x, **fit_params):
        """Forward pass of images prepared for the module (see ``_images``).

        Frozen BatchNorm layers stay in eval mode; autocast if set.
        """
        plan = getattr(self, "freeze_plan_", None)
        if plan is not None and plan.frozen_norms and self.module_.training:
            for name in plan.frozen_norms:
                self.module_.get_submodule(name).eval()
        x = prepare_images(
            to_tensor(x, device=self.device),
            getattr(self, "repeat_channels_", None),
            getattr(self, "normalize_", None),
        )
        dtype = self._amp_dtype()
        if dtype is None:
            return super().infer(x, **fit_params)
        with torch.autocast(torch.device(self.device).type, dtype=dtype):
            out = super().infer(x, **fit_params)
        if isinstance(out, torch.Tensor) and out.is_floating_point():
            out = out.float()
        return out

    def train_step(self, batch, **fit_params):
        """skorch's step (loss scaling in float16); stop when the loss diverges."""
        step = self._train_step(batch, **fit_params)
        loss = float(step["loss"].detach())
        if not math.isfinite(loss):
            epoch = len(self.history)
            n_batch = len(self.history[-1, "batches"]) if epoch else 1
            lrs = sorted({group["lr"] for group in self.optimizer_.param_groups})
            raise FloatingPointError(
                f"{type(self).__name__}: the training loss is {loss} in epoch "
                f"{epoch}, batch {n_batch} (learning rates {lrs}): the fit "
                "diverged and was stopped. Use a smaller lr, gradient clipping "
                "(grad_clip_norm=1.0), a warm-up (warmup_epochs=1), or "
                "mixed_precision='no'."
            )
        return step

    def _train_step(self, batch, **fit_params):
        scaler = getattr(self, "grad_scaler_", None)
        if scaler is None:
            return super().train_step(batch, **fit_params)
        self._zero_grad_optimizer()
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        scaler.scale(loss).backward()
        optimizers = [getattr(self, name + "_") for name in self._optimizers]
        for optimizer in optimizers:
            scaler.unscale_(optimizer)  # clipping sees the true gradients
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        for optimizer in optimizers:
            scaler.step(optimizer)
        scaler.update()
        return {"loss": loss, "y_pred": y_pred}

    def _train(self, X, y, routing_method, epochs=None, **fit_params):
        self.freeze_plan_ = make_freeze_plan(self.module_, self.n_trainable_stages)
        if len(self.history):
            # Training goes on (partial_fit, warm_start), so the freezer, which
            # acts in the first epoch, will not: apply the plan now, which lets
            # set_params(n_trainable_stages=...) unfreeze stage after stage.
            frozen = set(self.freeze_plan_.frozen)
            for name, param in self.module_.named_parameters():
                param.requires_grad_(name not in frozen)
        # Tensors (sharing the arrays' memory) batch faster than arrays: the
        # DataLoader stacks samples instead of converting each one.
        if isinstance(X, np.ndarray):
            X = torch.from_numpy(X)
        if isinstance(y, np.ndarray):
            y = torch.from_numpy(y)
        if self._amp_dtype() == torch.float16:
            self.grad_scaler_ = torch.amp.GradScaler(torch.device(self.device).type)
        if self.verbose and self.train_split is None and self.validation_fraction:
            print(
                f"{type(self).__name__}: holding out validation_fraction="
                f"{self.validation_fraction} of the {len(X)} training samples as "
                "the validation set."
            )
        self.notify("on_train_begin", X=X, y=y)
        try:
            if _FIT_LOOP_ROUTES:  # skorch >= 1.4 resolves metadata routing by caller
                fit_params = {"_routing_method": routing_method, **fit_params}
            self.fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt:
            # skorch's EarlyStopping stops with KeyboardInterrupt and skorch
            # swallows every one of them; a real Ctrl-C must reach the caller
            # (a search stops, instead of scoring a half-trained net).
            if not any(
                isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
                for _, cb in self.callbacks_
            ):
                raise
        finally:
            self.grad_scaler_ = None
        self.notify("on_train_end", X=X, y=y)
        return self

    @contextmanager
    def _seeded(self):
        """Seed torch for this fit without touching the caller's random state."""
        if self.random_state is None:
            self.seed_ = None
            yield
            return
        if isinstance(self.random_state, np.random.RandomState):
            self.seed_ = int(check_random_state(self.random_state).randint(2**31 - 1))
        else:
            self.seed_ = int(self.random_state)
        devices = []
        device = torch.device(self.device) if self.device is not None else None
        if device is not None and device.type == "cuda":
            devices = [device.index if device.index is not None else 0]
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(self.seed_)
            yield

    def _release_device_memory(self):
        """Drop everything that holds tensors: modules, optimizer, callbacks' copies.

        Callbacks keep the optimizer (an LR scheduler) and copies of the
        weights (``EarlyStopping``'s best ones); every fitted attribute of a
        callback that holds tensors is set to None.
        """
        for name in self._modules + self._criteria + self._optimizers:
            setattr(self, name + "_", None)
        for _, callback in getattr(self, "callbacks_", None) or []:
            for key, value in list(vars(callback).items()):
                if key.endswith("_") and _holds_tensors(value):
                    setattr(callback, key, None)
        self.grad_scaler_ = None
        self.initialized_ = False
        gc.collect()
        torch.cuda.empty_cache()

    def _out_of_memory(self, message):
        """Free what the failed fit held, then raise an error a search scores."""
        self._release_device_memory()
        batch = f"batch_size={self.batch_size}"
        message = message.rstrip(".") + "."
        return GPUOutOfMemoryError(
            f"{type(self).__name__}(module={self._module_name()}, {batch}) ran out of "
            f"GPU memory: {message} The module, optimizer, criterion and the "
            "callbacks' copies (LR scheduler, best weights) were dropped and "
            "torch.cuda.empty_cache() called, so the next fit starts clean. Use a "
            "smaller batch_size or network, or mixed_precision='auto'."
        )

    def _fit(self, X, y, fit_params, *, partial, classes=None, resume=None):
        check_params(self)
        X = self._check_X(X)
        self._check_lengths(X, y)
        first = not (partial or self.warm_start) or not self.initialized_
        # a net built with initialize() (e.g. to load_params) sees data here first
        new_data = first or not hasattr(self, "n_outputs_")
        y = self._check_y(X, y, reset=new_data, classes=classes)
        # a Dataset is checked on its first samples, as arrays are on all
        sample = self._check_dataset(X, y) if is_dataset(X) else X
        if new_data and not isinstance(sample, Mapping):
            self.in_channels_ = int(sample.shape[1]) if len(sample.shape) == 4 else None
        message = None
        seeded = self._seeded() if first else nullcontext()
        try:
            with seeded:
                if first:
                    self.initialize()
                if new_data:
                    self._check_forward(sample)
                epochs = None
                if resume is not None:
                    epochs = self._load_training_state(*resume)
                self._resume_epoch = 0 if resume is None else resume[0]["epoch"]
                try:
                    self._train(
                        X,
                        y,
                        "partial_fit" if partial else "fit",
                        epochs=epochs,
                        **fit_params,
                    )
                finally:
                    self._resume_epoch = 0
        except torch.cuda.OutOfMemoryError as err:
            message = str(err).splitlines()[0] if str(err) else "out of memory."
        if message is not None:  # outside the except block: its frames are gone
            raise self._out_of_memory(message)
        return self

    def _load_training_state(self, state, path):
        """Load a stopped fit's state into the new net; return the epochs left."""
        try:
            self.module_.load_state_dict(state["module"])
            self.optimizer_.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError, KeyError) as err:
            raise ValueError(
                f"{type(self).__name__}.resume({os.fspath(path)!r}): the saved state "
                f"does not fit this net ({type(err).__name__}: {err}). Resume with "
                "the parameters of the fit that wrote it."
            ) from err
        self.history = History(state["history"])
        checkpoint = dict(self.callbacks_).get("checkpoint")
        if checkpoint is not None:
            checkpoint.resume_from(state, path)
        return max(self.max_epochs - state["epoch"], 0)

    def resume(self, state_file, X, y=None, **fit_params):
        """Finish a fit that was stopped, from its state in ``checkpoint_dir``.

        The net is built, the module, optimizer and history of the stopped
        fit are loaded from ``state_file``, and training goes on for the
        epochs of its ``max_epochs`` that were not done, on the same
        learning-rate schedule. Early stopping counts its patience anew.

        Parameters
        ----------
        state_file : str or path-like
            The ``fit-<pid>-<id>-state.pt`` file the fit left in
            ``checkpoint_dir``; removed once the fit has finished.
        X : array-like, torch tensor or torch Dataset
            The training data of the stopped fit, as for :meth:`fit`.
        y : array-like or None, default=None
            Its targets, as for :meth:`fit`.
        **fit_params : dict
            As for :meth:`fit`.

        Returns
        -------
        self : object
        """
        state = read_training_state(state_file)
        return self._fit(X, y, fit_params, partial=False, resume=(state, state_file))

    def fit(self, X, y, **fit_params):
        """Build the net (unless ``warm_start``) and train it.

        Parameters and data are checked first, so that a mistake fails before
        any training. With an ``int`` ``random_state`` the fit is reproducible on
        the CPU; the caller's torch random state is left untouched.

        Parameters
        ----------
        X : array-like, torch tensor or torch Dataset
            Inputs; images of shape (n_samples, channels, height, width) for the
            ResNets, or channels last (see ``image_layout``). ``uint8`` images
            are scaled to [0, 1]; other integer and float64 arrays are
            converted to float32.
        y : array-like of shape (n_samples,) or (n_samples, n_targets), or None
            Targets; None when ``X`` is a Dataset that yields them.
        **fit_params : dict
            Passed to the module's ``forward`` and to ``train_split``, as in
            skorch.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, fit_params, partial=False)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train ``max_epochs`` more epochs (building the net first if needed).

        Parameters
        ----------
        X : array-like, torch tensor or torch Dataset
            Inputs, as for :meth:`fit`.
        y : array-like or None, default=None
            Targets, as for :meth:`fit`.
        classes : array-like, default=None
            All class labels, for a classifier's first call when ``y`` may not
            show every class (as in scikit-learn's ``partial_fit``).
        **fit_params : dict
            As for :meth:`fit`.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, fit_params, partial=True, classes=classes)

    def _predict_output(self, X):
        message = None
        try:
            return super().predict_proba(self._check_X(X))
        except torch.cuda.OutOfMemoryError as err:
            message = str(err).splitlines()[0] if str(err) else "out of memory."
        raise self._out_of_memory(message)


_PARAMS_DOC = """
    Parameters
    ----------
    module : str, torch.nn.Module class or instance
        The network. A name builds a ResNet with a head sized for the task:
        ``"resnet8"``, ``"resnet14"``, ``"resnet20"``, ``"resnet32"`` (the
        built-in :class:`CifarResNet`, for small images) or ``"resnet18"``,
        ``"resnet34"``, ``"resnet50"`` (torchvision's, imported only then). A
        class is built with the ``module__*`` parameters, as in skorch (with
        ``n_classes`` and ``in_channels`` filled in from the data when its
        signature has them); an instance is copied, so that ``fit`` never
        changes it. In every case the last ``torch.nn.Linear`` is the head and
        is replaced when its size does not fit the task.
    weights : None, str, path-like or mapping, default=None
        Initial weights of the backbone; the head always starts fresh. None:
        random. A path of a state dict saved with ``torch.save`` (works offline;
        any module), or the state dict itself. For torchvision's ResNets, a
        weight name of torchvision's registry such as ``"DEFAULT"`` or
        ``"IMAGENET1K_V1"``.
    n_trainable_stages : int or None, default=None
        How much of the backbone trains, counted from the head down: 0 trains
        the head only, 1 the head and the last stage, ... and None (or at least
        the number of stages: 4 for the built-in ResNets, 5 for torchvision's) a
        full fine-tune. Frozen stages keep their parameters (skorch's
        ``Freezer``) and their BatchNorm running statistics. See
        :func:`make_freeze_plan` for how any module is split into stages.
        Raising it with ``set_params`` between ``partial_fit`` calls unfreezes
        stage after stage (gradual unfreezing).
    backbone_lr_scale : float, default=1.0
        Learning rate of the trainable backbone stages as a fraction of ``lr``
        (the head trains at ``lr``): discriminative learning rates, e.g. 0.1,
        to keep pretrained features from being overwritten (catastrophic
        forgetting).
    optimizer : str or torch.optim.Optimizer subclass, default="adamw"
        ``"sgd"``, ``"momentum"``, ``"nesterov"`` (SGD), ``"adam"``, ``"adamw"``,
        ``"rmsprop"`` or ``"adagrad"``. Each uses only the knobs that apply to
        it and **ignores the others**:

        ========= ==============================================================
        sgd       lr, weight_decay
        momentum  lr, momentum, weight_decay
        nesterov  lr, momentum, weight_decay
        adam      lr, beta1, beta2, eps, weight_decay (L2 penalty in the gradient)
        adamw     lr, beta1, beta2, eps, weight_decay (decoupled decay)
        rmsprop   lr, beta2 (RMSprop's ``alpha``), eps, weight_decay
        adagrad   lr, eps, weight_decay
        ========= ==============================================================

        A torch optimizer class gets ``lr`` and the ``optimizer__*`` parameters
        only, as in skorch. ``optimizer__<name>`` always wins over a flat knob.
    lr : float, default=1e-3
        Learning rate of the head (and base of the schedule); > 0.
    momentum : float, default=0.9
        Momentum of ``"momentum"`` and ``"nesterov"``; in [0, 1).
    beta1 : float, default=0.9
        Adam's and AdamW's decay rate of the first moment estimate; in [0, 1).
    beta2 : float or None, default=None
        Adam's and AdamW's decay rate of the second moment estimate, and
        RMSprop's smoothing constant ``alpha``; in [0, 1). None: torch's
        default of the optimizer, 0.999 for Adam and AdamW, 0.99 for RMSprop.
    eps : float, default=1e-8
        Term added to the denominator (Adam, AdamW, RMSprop, Adagrad); > 0.
    weight_decay : float, default=0.0
        Weight decay, for every optimizer; >= 0.
    warmup_epochs : int, default=0
        Epochs of linear warm-up: in epoch ``e < warmup_epochs`` (from 0) the
        learning rate is ``lr * (e + 1) / (warmup_epochs + 1)``.
    lr_schedule : {"constant", "step", "exponential", "cosine"}, default="constant"
        Schedule after the warm-up, with ``t`` epochs since its end: ``lr``;
        ``lr * gamma ** (t // step_size)``; ``lr * gamma ** t``; or
        ``lr * (1 + cos(pi * t / (max_epochs - warmup_epochs))) / 2``. Applied
        by skorch's ``LRScheduler`` (a ``LambdaLR``) once per epoch; the rate of
        each epoch is in ``history[:, "event_lr"]``. Every ``fit`` and
        ``partial_fit`` call (and ``fit`` with ``warm_start=True``) runs a
        schedule of its own, warm-up included, counted from the first epoch of
        that call and starting from the base rate (``lr``, or what
        ``set_params(lr=...)`` set since): continued training never goes on
        at the end of the previous call's schedule.
    step_size : int, default=10
        Epochs between two decays of the ``"step"`` schedule.
    gamma : float, default=0.1
        Decay factor of the ``"step"`` and ``"exponential"`` schedules; in (0, 1].
    grad_clip_norm : float or None, default=None
        Clip the L2 norm of all gradients together to this value (skorch's
        ``GradientNormClipping``); None: no clipping.
    batch_size : int, default=64
        Samples per batch, for training and prediction; -1: all samples in one
        batch (as in skorch).
    max_epochs : int, default=10
        Epochs per ``fit`` (and per ``partial_fit`` call).
    validation_fraction : float or None, default=None
        Fraction of the training data of **each fit** held out as the
        validation set that ``patience`` and ``checkpoint_dir`` watch
        (stratified for a classifier, drawn with ``random_state``). None: no
        validation set, every sample trains. Unlike skorch, whose default
        ``ValidSplit(5)`` silently holds out 20% of every cross-validation fold
        (skorch issue #762), nothing is held out unless asked for, and
        ``verbose`` says how much is.
    patience : int or None, default=None
        Early stopping: stop when the validation loss has not improved for
        this many epochs, and restore the weights of its best epoch (skorch's
        ``EarlyStopping(load_best=True)``). Needs a validation set
        (``validation_fraction`` or ``train_split``). None: train
        ``max_epochs`` epochs.
    checkpoint_dir : str, path-like or None, default=None
        A folder where each fit keeps, while it runs, the module's parameters
        at its best epoch (lowest validation loss, or training loss without a
        validation set), loaded back when training ends, and its training
        state after the last epoch (module, optimizer, learning-rate
        scheduler, epochs done, history), from which :meth:`resume` finishes
        a fit that was stopped. Two files per running fit,
        ``fit-<pid>-<id>-best.pt`` and ``fit-<pid>-<id>-state.pt``, so that
        parallel fits of a search do not collide; both are removed when the
        fit ends, and ``verbose`` says how much is kept. None: no files.
    device : str, torch.device or None, default="auto"
        ``"auto"``: CUDA when available, else the CPU. Otherwise as in skorch
        (``"cpu"``, ``"cuda"``, ``"cuda:1"``; None: do not move anything).
        ``get_params`` keeps ``"auto"``.
    mixed_precision : {"auto", "no", "bf16", "fp16"}, default="auto"
        Autocast the forward pass. ``"auto"``: on CUDA, bfloat16 where the
        net's GPU computes in bfloat16 natively
        (``torch.cuda.is_bf16_supported(including_emulation=False)``, compute
        capability 8.0 or more) and float16 with a ``GradScaler`` elsewhere;
        off on the CPU. Gradients are unscaled before clipping.
    image_layout : {"auto", "channels_first", "channels_last"}, default="auto"
        Where the channels of 4-D image arrays are: ``"channels_first"``
        (n_samples, channels, height, width), as torch takes them, or
        ``"channels_last"`` (n_samples, height, width, channels), as PIL,
        OpenCV and Keras give them, transposed before training and
        prediction. ``"auto"`` (for the ResNets): channels last when the last
        axis has 1, 3 or 4 entries and the second has not; when both have, as
        for (n, 3, 4, 4), the fit stops and asks. Any other module takes X as
        it is unless the layout is given. ``uint8`` images (0 to 255) are
        scaled to [0, 1], batch by batch on the device.
    normalize : "auto", None or (mean, std), default="auto"
        Per-channel normalisation of images, ``(x - mean) / std``, after
        scaling to [0, 1]; mean and std are numbers or one per channel.
        ``"auto"``: the statistics of the pretrained weights when they are
        known, i.e. ImageNet's for torchvision's weights by name
        (``weights="DEFAULT"``); otherwise none. Weights from a file carry no
        statistics: give them here. Grayscale images given to a network
        whose first convolution takes 3 channels (pretrained on RGB) are
        repeated to 3 channels, with a warning.
    random_state : int, RandomState or None, default=None
        Seeds the initialisation, shuffling, dropout and the validation split
        of each ``fit``: with an int, fits on the CPU are reproducible. The
        caller's torch random state is saved and restored.
    criterion : torch criterion class, default={criterion}
        The loss, as in skorch (``criterion__*`` parameters are routed to it).
    {extra}train_split : callable or None, default=None
        The validation split of skorch, e.g. ``predefined_split(dataset)``; when
        given, ``validation_fraction`` is ignored.
    callbacks : list or None, default=None
        More skorch callbacks, run after the built-in ones: ``epoch_timer``,
        ``train_loss``, ``valid_loss``, {acc}``freezer``, ``lr_scheduler``,
        ``gradient_clipping``, ``checkpoint`` and ``early_stopping`` (the last
        two when enabled) and ``print_log``. Their parameters are routed as
        ``callbacks__<name>__<param>``.
    verbose : int, default=0
        1 prints skorch's table of epochs (skorch's default is 1; a search
        fits many nets).
    **kwargs
        Any other skorch parameter: ``iterator_train__num_workers``,
        ``module__width``, ``optimizer__amsgrad``, ``warm_start``, ``compile``,
        ... Training batches are shuffled (``iterator_train__shuffle=True``,
        which skorch leaves off).
"""


def _fill(doc, **fields):
    """Put ``fields`` into the ``{name}`` slots of ``doc`` (other braces stay)."""
    for name, value in fields.items():
        doc = doc.replace("{" + name + "}", value)
    return doc


_ATTRIBUTES_DOC = """
    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    freeze_plan_ : FreezePlan
        The parameter names of its stages and head, and which were frozen.
    n_outputs_ : int
        Outputs of the head: {n_outputs}.
    in_channels_ : int or None
        Channels of the training images (None when X is not 4-D).
    repeat_channels_ : int or None
        Channels grayscale images are repeated to (3 for an RGB network),
        or None.
    normalize_ : (tuple, tuple) or None
        The per-channel mean and std applied to images, or None.
    seed_ : int or None
        The torch seed of the last fit.
    history_ : skorch.history.History
        Per epoch: ``train_loss``, ``valid_loss``, ``event_lr``, ...
"""


class FineTuneClassifier(_FineTuneMixin, NeuralNetClassifier):
    _parameter_constraints: dict = dict(PARAMETER_CONSTRAINTS)
    __doc__ = (
        """Fine-tune a PyTorch network for classification, with flat knobs to tune.

    A skorch ``NeuralNetClassifier`` whose fine-tuning hyperparameters
    (optimizer family and its settings, warm-up and schedule, clipping,
    freezing, discriminative learning rates, early stopping) are plain
    parameters, so that :class:`~sklearn_tune.BayesSearchCV` and
    :class:`~sklearn_tune.GeneticSearchCV` tune them by name. Labels may be
    any values (as in scikit-learn): they are encoded for the loss and
    ``predict`` returns them.
"""
        + _fill(
            _PARAMS_DOC,
            criterion="torch.nn.CrossEntropyLoss",
            acc="``valid_acc``, ",
            extra="classes : array-like or None, default=None\n"
            "        All class labels, in the order of the outputs. None: the sorted\n"
            "        labels of ``y``. Give them when a training set (a CV fold) may\n"
            "        lack a class; labels outside them are an error.\n    ",
        )
        + _fill(_ATTRIBUTES_DOC, n_outputs="the number of classes")
        + """    classes_ : ndarray of shape (n_classes,)
        The class labels.

    See Also
    --------
    FineTuneRegressor : The same for regression.
    sklearn_tune.nn.make_finetune_space : A search space over these knobs.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_tune.nn import FineTuneClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(32, 1, 8, 8).astype("float32")
    >>> y = np.array(["cat", "dog"] * 16)
    >>> clf = FineTuneClassifier("resnet8", max_epochs=2, random_state=0, device="cpu")
    >>> clf.fit(X, y).predict(X[:3]).shape
    (3,)
    """
    )

    def __init__(
        self,
        module,
        *,
        weights=None,
        n_trainable_stages=None,
        backbone_lr_scale=1.0,
        optimizer="adamw",
        lr=1e-3,
        momentum=0.9,
        beta1=0.9,
        beta2=None,
        eps=1e-8,
        weight_decay=0.0,
        warmup_epochs=0,
        lr_schedule="constant",
        step_size=10,
        gamma=0.1,
        grad_clip_norm=None,
        batch_size=64,
        max_epochs=10,
        validation_fraction=None,
        patience=None,
        checkpoint_dir=None,
        device="auto",
        mixed_precision="auto",
        image_layout="auto",
        normalize="auto",
        random_state=None,
        criterion=torch.nn.CrossEntropyLoss,
        classes=None,
        train_split=None,
        callbacks=None,
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            classes=classes,
            callbacks=callbacks,
            verbose=verbose,
            device=device,
            **kwargs,
        )
        self.weights = weights
        self.n_trainable_stages = n_trainable_stages
        self.backbone_lr_scale = backbone_lr_scale
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay = weight_decay
        self.warmup_epochs = warmup_epochs
        self.lr_schedule = lr_schedule
        self.step_size = step_size
        self.gamma = gamma
        self.grad_clip_norm = grad_clip_norm
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.checkpoint_dir = checkpoint_dir
        self.mixed_precision = mixed_precision
        self.image_layout = image_layout
        self.normalize = normalize
        self.random_state = random_state

    def _check_y(self, X, y, *, reset, classes=None):
        """Encode labels as 0 .. n_classes - 1 (after setting ``classes_`` if reset)."""
        if y is None:
            if not is_dataset(X):
                raise ValueError(
                    "y is None; give the labels, or a torch Dataset as X that "
                    "yields (input, label) pairs."
                )
            if reset:
                if self.classes is None and classes is None:
                    raise ValueError(
                        "X is a Dataset and y is None: give classes=[...] so that "
                        "the head gets one output per class."
                    )
                if classes is not None:
                    self.classes_inferred_ = np.asarray(classes)
                self.n_outputs_ = len(self.classes_)
            return None
        y = to_numpy(y) if isinstance(y, torch.Tensor) else np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(
                f"y has shape {y.shape}; {type(self).__name__} takes one label per "
                "sample, shape (n_samples,). For one-hot targets pass "
                "y.argmax(axis=1)."
            )
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinity; every sample needs a label.")
        if reset:
            if self.classes is None:
                labels = np.asarray(classes) if classes is not None else np.unique(y)
                self.classes_inferred_ = labels
            self.n_outputs_ = len(self.classes_)
        known = np.asarray(self.classes_)
        order = np.argsort(known, kind="stable")
        pos = np.clip(np.searchsorted(known, y, sorter=order), 0, len(known) - 1)
        codes = order[pos]
        bad = known[codes] != y
        if bad.any():
            outside = np.unique(y[bad])[:10].tolist()
            raise ValueError(
                f"y has labels {outside} outside the {len(known)} classes "
                f"{known.tolist()[:20]} (classes={self.classes!r}). Add them to "
                "classes, or leave classes=None to take the classes from y."
            )
        self._check_validation_size(y, len(y))
        return codes.astype(np.int64)

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like, torch tensor or torch Dataset
            Inputs, as for :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._predict_output(X)

    def predict(self, X):
        """Predicted class labels (values of ``classes_``).

        Parameters
        ----------
        X : array-like, torch tensor or torch Dataset
            Inputs, as for :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]


class FineTuneRegressor(_FineTuneMixin, NeuralNetRegressor):
    _parameter_constraints: dict = {
        k: v for k, v in PARAMETER_CONSTRAINTS.items() if k != "classes"
    }
    __doc__ = (
        """Fine-tune a PyTorch network for regression, with flat knobs to tune.

    The twin of :class:`FineTuneClassifier` on skorch's ``NeuralNetRegressor``:
    the head gets one output per target, ``y`` may be 1-D (``predict`` is then
    1-D too) and is trained in float32.
"""
        + _fill(_PARAMS_DOC, criterion="torch.nn.MSELoss", acc="", extra="")
        + _fill(_ATTRIBUTES_DOC, n_outputs="the number of targets")
        + """
    See Also
    --------
    FineTuneClassifier : The same for classification.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_tune.nn import FineTuneRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(32, 1, 8, 8).astype("float32")
    >>> reg = FineTuneRegressor("resnet8", max_epochs=2, random_state=0, device="cpu")
    >>> reg.fit(X, X.mean(axis=(1, 2, 3))).predict(X[:3]).shape
    (3,)
    """
    )

    def __init__(
        self,
        module,
        *,
        weights=None,
        n_trainable_stages=None,
        backbone_lr_scale=1.0,
        optimizer="adamw",
        lr=1e-3,
        momentum=0.9,
        beta1=0.9,
        beta2=None,
        eps=1e-8,
        weight_decay=0.0,
        warmup_epochs=0,
        lr_schedule="constant",
        step_size=10,
        gamma=0.1,
        grad_clip_norm=None,
        batch_size=64,
        max_epochs=10,
        validation_fraction=None,
        patience=None,
        checkpoint_dir=None,
        device="auto",
        mixed_precision="auto",
        image_layout="auto",
        normalize="auto",
        random_state=None,
        criterion=torch.nn.MSELoss,
        train_split=None,
        callbacks=None,
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            callbacks=callbacks,
            verbose=verbose,
            device=device,
            **kwargs,
        )
        self.weights = weights
        self.n_trainable_stages = n_trainable_stages
        self.backbone_lr_scale = backbone_lr_scale
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay = weight_decay
        self.warmup_epochs = warmup_epochs
        self.lr_schedule = lr_schedule
        self.step_size = step_size
        self.gamma = gamma
        self.grad_clip_norm = grad_clip_norm
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.checkpoint_dir = checkpoint_dir
        self.mixed_precision = mixed_precision
        self.image_layout = image_layout
        self.normalize = normalize
        self.random_state = random_state

    def _check_y(self, X, y, *, reset, classes=None):
        """Targets as float32 of shape (n_samples, n_targets)."""
        if y is None:
            if not is_dataset(X):
                raise ValueError(
                    "y is None; give the targets, or a torch Dataset as X that "
                    "yields (input, target) pairs."
                )
            if reset:
                self.n_outputs_ = getattr(self, "n_outputs_", None) or 1
                self.y_ndim_ = 2
            return None
        y = to_numpy(y) if isinstance(y, torch.Tensor) else np.asarray(y)
        if y.dtype.kind not in "iuf" or y.ndim not in (1, 2):
            raise ValueError(
                f"y has dtype {y.dtype} and shape {y.shape}; {type(self).__name__} "
                "takes numeric targets of shape (n_samples,) or (n_samples, "
                "n_targets)."
            )
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinity; drop or impute those rows.")
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if reset:
            self.n_outputs_ = n_outputs
            self.y_ndim_ = y.ndim
        elif n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} target(s) but the net was built for "
                f"{self.n_outputs_}; call fit (not partial_fit) to start over."
            )
        self._check_validation_size(y, len(y))
        return y.reshape(len(y), n_outputs).astype(np.float32)

    def predict(self, X):
        """Predicted targets, 1-D when the net was trained on a 1-D ``y``.

        Parameters
        ----------
        X : array-like, torch tensor or torch Dataset
            Inputs, as for :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        y_pred = self._predict_output(X)
        if getattr(self, "y_ndim_", 2) == 1 and y_pred.ndim == 2:
            return y_pred[:, 0]
        return y_pred
