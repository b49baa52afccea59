"""Where and how a net computes: device, mixed precision, seeding, out of memory.

- ``device="auto"``: CUDA when available, else the CPU; ``get_params``,
  ``clone`` and pickling keep ``"auto"``;
- ``mixed_precision``: the autocast dtype of the net's device, and the
  float16 training step with a ``GradScaler``;
- ``random_state``: torch seeded for one fit, the caller's state restored;
- out of GPU memory in a fit: everything that holds tensors is dropped, and an
  error a search scores as ``error_score`` is raised; in a prediction, the
  fitted model is kept and the error names ``predict_batch_size``.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.base import is_classifier
from sklearn.utils import check_random_state
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator
from torch import nn

from ..exceptions import GPUOutOfMemoryError
from ._freezing import find_head

# The share of the free memory of a GPU that the data of a fit may take there
# (data_on_device="auto"); the rest is for the network, its activations and
# the optimizer.
DATA_SHARE_OF_FREE_MEMORY = 0.25

_AUTO_DEVICE = {}  # process id -> the device "auto" resolved to in it


def choose_cuda_device(n_gpus, worker):
    """The CUDA device of ``device="auto"`` in one process.

    Parameters
    ----------
    n_gpus : int
        GPUs visible to the process (``torch.cuda.device_count()``).
    worker : int or None
        A number that tells the worker processes of a search apart (their
        process id), or None in the main process.

    Returns
    -------
    device : str
        ``"cuda"`` (the current GPU) with one GPU or in the main process;
        else ``"cuda:<worker % n_gpus>"``, so that the fits of ``n_jobs``
        workers spread over the GPUs.
    """
    if n_gpus <= 1 or worker is None:
        return "cuda"
    return f"cuda:{worker % n_gpus}"


def _resolve_device(device):
    if isinstance(device, str) and device == "auto":
        pid = os.getpid()
        resolved = _AUTO_DEVICE.get(pid)
        if resolved is None:
            if not torch.cuda.is_available():
                resolved = "cpu"
            else:
                worker = None if multiprocessing.parent_process() is None else pid
                resolved = choose_cuda_device(torch.cuda.device_count(), worker)
            _AUTO_DEVICE[pid] = resolved
        return resolved
    return device


def data_placement(option, device, nbytes, free_bytes=None):
    """Where the tensors of a fit or a prediction wait for their batches.

    Parameters
    ----------
    option : "auto" or bool
        The ``data_on_device`` parameter.
    device : torch.device or None
        The net's device.
    nbytes : int
        Bytes of the inputs and targets.
    free_bytes : int or None, default=None
        Free memory of the device; asked of CUDA when None and needed.

    Returns
    -------
    placement : {"as is", "device", "pinned"}
        ``"device"``: moved there once; ``"pinned"``: batches are copied
        to page-locked memory and sent without blocking (CUDA);
        ``"as is"``: the CPU, or a device where nothing is gained.
    """
    if device is None or device.type == "cpu":
        return "as is"
    if option == "auto":
        if free_bytes is None:
            if device.type != "cuda":
                return "as is"
            free_bytes = torch.cuda.mem_get_info(device)[0]
        option = nbytes <= DATA_SHARE_OF_FREE_MEMORY * free_bytes
    if option:
        return "device"
    return "pinned" if device.type == "cuda" else "as is"


def use_channels_last(option, device, module):
    """Whether images and ``module`` take the channels-last memory format.

    ``"auto"``: on CUDA, for a module with 2-D convolutions (whose cuDNN
    kernels are faster on channels-last tensors, above all with mixed
    precision).
    """
    if option != "auto":
        return bool(option)
    return (
        device is not None
        and device.type == "cuda"
        and any(isinstance(m, nn.Conv2d) for m in module.modules())
    )


@contextmanager
def cudnn_benchmark(enabled):
    """Let cuDNN pick the fastest convolution kernels; restored on exit."""
    if not enabled:
        yield
        return
    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = before


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


class _Float32Linear(nn.Linear):
    """A ``torch.nn.Linear`` that computes in its weights' dtype under autocast too."""

    def forward(self, x):
        with torch.autocast(x.device.type, enabled=False):
            return nn.functional.linear(x.to(self.weight.dtype), self.weight, self.bias)


def head_in_float32(module):
    """Make the head of ``module`` compute in float32 under autocast.

    A regressor's outputs computed in bfloat16 are rounded to 3 significant
    digits (1000.4 becomes 1000); the head, a small part of the work, is
    computed from its input cast back to float32 instead. The head (the last
    ``torch.nn.Linear``) keeps its parameters, and their names.

    Parameters
    ----------
    module : torch.nn.Module
        The network, changed in place.

    Returns
    -------
    module : torch.nn.Module
        The network (a new one when it is a bare ``torch.nn.Linear``).
    done : bool
        Whether the head computes in float32: False when there is no head, or
        when it is a subclass of ``torch.nn.Linear`` (left as it is).
    """
    name = find_head(module)
    if name is None:
        return module, False
    head = module.get_submodule(name)
    if type(head) is _Float32Linear:
        return module, True
    if type(head) is not nn.Linear:
        return module, False
    new = _Float32Linear(
        head.in_features, head.out_features, bias=head.bias is not None, device="meta"
    )
    new.weight, new.bias = head.weight, head.bias
    new.train(head.training)
    if name == "":
        return new, True
    parent, _, attr = name.rpartition(".")
    setattr(module.get_submodule(parent), attr, new)
    return module, True


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


class _DeviceMixin:
    """Device, precision, seeding and memory of the fine-tuning estimators."""

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

    def _amp_dtype(self):
        """The autocast dtype of the current settings (cached: asked per batch).

        ``"auto"`` never rounds a regressor's outputs: it autocasts a
        regressor only when its head computes in float32 (``head_in_float32``).
        """
        float32_head = self.__dict__.get("_float32_head", False)
        key = (self.mixed_precision, self.device, float32_head)
        cached = self.__dict__.get("_amp_dtype_cache")
        if cached is None or cached[0] != key:
            dtype = _autocast_dtype(self.mixed_precision, self.device)
            if self.mixed_precision == "auto" and not (
                float32_head or is_classifier(self)
            ):
                dtype = None
            cached = (key, dtype)
            self.__dict__["_amp_dtype_cache"] = cached
        return cached[1]

    def _torch_device(self):
        """``self.device`` as a ``torch.device`` (cached: asked per batch)."""
        device = self.device
        cached = self.__dict__.get("_torch_device_cache")
        if cached is None or cached[0] != device:
            cached = (device, torch.device(device) if device is not None else None)
            self.__dict__["_torch_device_cache"] = cached
        return cached[1]

    def _to_device(self, x):
        """A tensor on the net's device; from pinned memory without blocking."""
        device = self._torch_device()
        if device is None or x.device == device:
            return x
        return x.to(device, non_blocking=device.type == "cuda" and x.is_pinned())

    def _set_training(self, training=True):
        """skorch's train/eval switch, skipped when the net is already so.

        skorch switches every batch; walking the module tree each time costs
        as much as a tiny model's forward pass. Submodules set apart (the
        frozen BatchNorm layers, in eval mode) stay as they are.
        """
        modules = [
            getattr(self, name + "_", None) for name in self._modules + self._criteria
        ]
        if all(not isinstance(m, nn.Module) or m.training == training for m in modules):
            return
        super()._set_training(training)

    def train_step(self, batch, **fit_params):
        """One training step: forward, loss, backward, hooks, optimizer step.

        The steps of skorch's, without its closure (which only optimizers
        such as LBFGS need: a torch optimizer class given as ``optimizer``
        keeps skorch's step unless gradients are accumulated). In float16
        the loss is scaled, and the gradients unscaled before the
        ``on_grad_computed`` hooks (clipping). With
        ``accumulate_grad_batches=k`` the gradients of ``k`` batches are
        summed, each batch's loss divided by the number of batches of its
        group, and the hooks and the optimizer step run once per group.

        Parameters
        ----------
        batch : tuple
            ``(X, y)`` of one batch.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        step : dict
            ``loss`` (of this batch, not divided) and ``y_pred``, as skorch's.
        """
        scaler = getattr(self, "grad_scaler_", None)
        k = self.accumulate_grad_batches
        if scaler is None and k == 1 and not isinstance(self.optimizer, str):
            return super().train_step(batch, **fit_params)
        if k == 1:
            group = left = 1
            self._zero_grad_optimizer()
        else:
            state = self.__dict__
            left = state.get("_micro_batches_left", 0)
            if left == 0:  # a new group of batches
                self._zero_grad_optimizer()
                in_epoch = state.get("_batches_left_in_epoch")
                left = k if in_epoch is None else max(min(k, in_epoch), 1)
                state["_micro_group"] = left
            group = state["_micro_group"]
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        scaled = loss if group == 1 else loss / group
        if scaler is None:
            scaled.backward()
        else:
            scaler.scale(scaled).backward()
        if k > 1:
            state["_micro_batches_left"] = left - 1
            in_epoch = state.get("_batches_left_in_epoch")
            if in_epoch is not None:
                state["_batches_left_in_epoch"] = in_epoch - 1
            if left > 1:
                return {"loss": loss, "y_pred": y_pred}
        self._optimizer_step(batch, scaler)
        return {"loss": loss, "y_pred": y_pred}

    def _optimizer_step(self, batch, scaler):
        """Unscale (float16), call the ``on_grad_computed`` hooks, step, update."""
        optimizers = [getattr(self, name + "_") for name in self._optimizers]
        if scaler is not None:
            for optimizer in optimizers:
                scaler.unscale_(optimizer)  # clipping sees the true gradients
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        for optimizer in optimizers:
            if scaler is None:
                optimizer.step()
            else:
                scaler.step(optimizer)
        if scaler is not None:
            scaler.update()

    @contextmanager
    def _seeded(self, fork=False, epochs_done=None):
        """Seed torch for this fit without touching the caller's random state.

        With ``fork`` (a resumed fit, which sets torch's random state to the
        stopped fit's), the caller's state is restored even without a
        ``random_state``. A fit that goes on training (``partial_fit``,
        ``warm_start``: ``epochs_done`` given) draws from ``seed_`` plus the
        epochs already trained: reproducible, whatever the global torch RNG,
        and no replay of the first epochs' shuffles. ``seed_`` keeps the first
        fit's value, so the validation split stays the same.
        """
        if epochs_done is None or "seed_" not in vars(self):
            # a first fit (or the first of a net built with initialize())
            if self.random_state is None:
                self.seed_ = None
            elif isinstance(self.random_state, np.random.RandomState):
                self.seed_ = int(
                    check_random_state(self.random_state).randint(2**31 - 1)
                )
            else:
                self.seed_ = int(self.random_state)
        seed = None
        if self.random_state is not None and self.seed_ is not None:
            seed = (self.seed_ + (epochs_done or 0)) % (2**31 - 1)
        if seed is None and not fork:
            yield
            return
        devices = []
        device = torch.device(self.device) if self.device is not None else None
        if device is not None and device.type == "cuda":
            devices = [device.index if device.index is not None else 0]
        with torch.random.fork_rng(devices=devices):
            if seed is not None:
                torch.manual_seed(seed)
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

    def _predict_out_of_memory(self, message):
        """Free the device's cached memory, keep the model; an error naming the fix."""
        gc.collect()
        torch.cuda.empty_cache()
        size = self._predict_batch_size()
        message = message.rstrip(".") + "."
        smaller = "e.g. 256" if size == -1 else f"e.g. {max(size // 4, 1)}"
        return GPUOutOfMemoryError(
            f"{type(self).__name__}(module={self._module_name()}, "
            f"predict_batch_size={self.predict_batch_size!r}) ran out of GPU memory "
            f"while predicting in batches of {'all samples' if size == -1 else size}: "
            f"{message} The fitted model is kept and torch.cuda.empty_cache() was "
            f"called. Predict in smaller batches: set_params(predict_batch_size=...), "
            f"{smaller} (None: 4 * batch_size)."
        )

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
