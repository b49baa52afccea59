"""Where and how a net computes: device, mixed precision, seeding, out of memory.

- ``device="auto"``: CUDA when available, else the CPU; the worker
  processes of a search on a machine with several GPUs spread over them
  (``claim_gpu``); ``get_params``, ``clone`` and pickling keep ``"auto"``;
- ``mixed_precision``: the autocast dtype of the net's device, and the
  float16 training step with a ``GradScaler``;
- ``torch.backends.cudnn.benchmark``: turned on once per process;
- ``random_state``: torch seeded for one fit, the caller's state restored;
- out of GPU memory in a fit (``torch.OutOfMemoryError``, or a CUDA, cuBLAS
  or cuDNN error that says so): everything that holds tensors is dropped,
  and an error a search scores as ``error_score`` is raised; in a
  prediction, the fitted model is kept and the error names
  ``predict_batch_size``.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import zlib
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

try:  # the lock of the file where workers claim GPUs (device="auto")
    import fcntl
except ImportError:  # pragma: no cover - Windows: no claims, see claim_gpu
    fcntl = None

# The share of the free memory of a GPU that the data of a fit may take there
# (data_on_device="auto"); the rest is for the network, its activations and
# the optimizer.
DATA_SHARE_OF_FREE_MEMORY = 0.25

_AUTO_DEVICE = {}  # process id -> the device "auto" resolved to in it
_AUTO_DEVICE_LOCK = threading.Lock()


def _is_alive(pid):
    """Whether process ``pid`` still runs (signal 0 only asks, sends nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # runs, as another user
        return True
    return True


def _claims_path():
    """The file of GPU claims of this user's processes that see the same GPUs."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "all")
    key = f"{os.getuid()}-{zlib.crc32(visible.encode()):08x}"
    return os.path.join(tempfile.gettempdir(), f"sklearn_tune-gpus-{key}.json")


def claim_gpu(n_gpus, path=None):
    """Give this process the GPU that the fewest live worker processes hold.

    The workers of this machine (of one user, seeing the same
    ``CUDA_VISIBLE_DEVICES``) note their GPU in one JSON file, read and
    written under a file lock: each new worker takes the GPU with the fewest
    live workers (the lowest index among equals), and the GPUs of workers
    that have exited are free again. So the first ``n_gpus`` workers that
    ask get different GPUs whatever their process ids, ``n_jobs`` workers
    spread evenly, and a worker that replaces one that died takes its GPU.

    Parameters
    ----------
    n_gpus : int
        GPUs visible to the process.
    path : str or None, default=None
        The file of claims; None: ``sklearn_tune-gpus-<uid>-<hash of
        CUDA_VISIBLE_DEVICES>.json`` in the temporary folder.

    Returns
    -------
    index : int or None
        The GPU's index, or None where claims cannot be kept (no ``fcntl``
        file lock, as on Windows, or a temporary folder that cannot be
        written).
    """
    if fcntl is None:
        return None
    pid = os.getpid()
    try:
        # not through a link another user put there, and only this user's file
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW
        fd = os.open(path or _claims_path(), flags, 0o600)
        with os.fdopen(fd, "r+") as file:
            if os.fstat(fd).st_uid != os.getuid():
                return None
            fcntl.flock(file, fcntl.LOCK_EX)  # released when the file closes
            try:
                saved = json.loads(file.read() or "{}")
                claims = {int(p): int(g) for p, g in saved.items()}
            except (ValueError, TypeError, AttributeError):  # torn by a crash
                claims = {}
            claims = {
                p: g
                for p, g in claims.items()
                if p != pid and 0 <= g < n_gpus and _is_alive(p)
            }
            load = [0] * n_gpus
            for index in claims.values():
                load[index] += 1
            claims[pid] = index = load.index(min(load))
            file.seek(0)
            file.truncate()
            json.dump({str(p): g for p, g in sorted(claims.items())}, file)
    except OSError:
        return None
    return index


def _gpu_given_by_launcher():
    """Whether a Dask worker was given its GPU through ``CUDA_VISIBLE_DEVICES``.

    dask-cuda starts one worker per GPU and lists that GPU first in the
    worker's ``CUDA_VISIBLE_DEVICES``, so ``"cuda"`` is the worker's own.
    """
    if not os.environ.get("CUDA_VISIBLE_DEVICES"):
        return False
    distributed = sys.modules.get("distributed")  # imported by Dask workers
    if distributed is None:
        return False
    try:
        distributed.get_worker()
    except (ValueError, AttributeError):  # not in a Dask worker
        return False
    return True


def _auto_device():
    """The device of ``device="auto"`` in this process; see ``_docs``' ``device``."""
    if not torch.cuda.is_available():
        return "cpu"
    n_gpus = torch.cuda.device_count()  # follows CUDA_VISIBLE_DEVICES
    if (
        n_gpus <= 1
        or multiprocessing.parent_process() is None  # the main process
        or _gpu_given_by_launcher()
    ):
        return "cuda"
    index = claim_gpu(n_gpus)
    return "cuda" if index is None else f"cuda:{index}"


def _resolve_device(device):
    if isinstance(device, str) and device == "auto":
        pid = os.getpid()  # a forked child resolves anew
        resolved = _AUTO_DEVICE.get(pid)
        if resolved is None:
            with _AUTO_DEVICE_LOCK:  # threads of a process: one GPU claimed
                resolved = _AUTO_DEVICE.get(pid) or _auto_device()
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


_CUDNN_BENCHMARK_SET = set()  # process ids where a fit turned cudnn.benchmark on


def enable_cudnn_benchmark():
    """Let cuDNN time the convolution kernels of each input shape and keep the fastest.

    ``torch.backends.cudnn.benchmark`` is a setting of the whole process: it
    is turned on by the first fit of a network with convolutions on CUDA in
    the process and left on, never restored (fits in threads would race to
    restore it, and switching it back and forth throws the timings away).
    It is turned on once: set back to False afterwards, it stays so. Not
    while torch is asked for deterministic algorithms
    (``torch.backends.cudnn.deterministic`` or
    ``torch.use_deterministic_algorithms``), whose kernel choice it could
    change from run to run.

    Returns
    -------
    enabled : bool
        Whether this call turned it on.
    """
    pid = os.getpid()
    if pid in _CUDNN_BENCHMARK_SET:
        return False
    if (
        torch.backends.cudnn.deterministic
        or torch.are_deterministic_algorithms_enabled()
    ):
        return False
    _CUDNN_BENCHMARK_SET.add(pid)
    torch.backends.cudnn.benchmark = True
    return True


# What CUDA, cuBLAS and cuDNN say when they run out of GPU memory without
# raising torch.OutOfMemoryError (e.g. a cuBLAS handle or a cuDNN workspace
# that cannot be allocated): plain RuntimeErrors with these in the message.
_OUT_OF_MEMORY_MESSAGES = (
    "CUDA out of memory",
    "CUDA error: out of memory",
    "CUBLAS_STATUS_ALLOC_FAILED",
    "CUDNN_STATUS_ALLOC_FAILED",
    "CUDNN_STATUS_NOT_ENOUGH_WORKSPACE",
)


def is_out_of_memory(error):
    """Whether ``error`` says that the GPU ran out of memory.

    Parameters
    ----------
    error : BaseException
        An error raised by a fit or a prediction.

    Returns
    -------
    out_of_memory : bool
        True for ``torch.OutOfMemoryError`` (``torch.cuda.OutOfMemoryError``)
        and for a ``RuntimeError`` from CUDA, cuBLAS or cuDNN whose message
        says that an allocation failed.
    """
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return True
    message = str(error) if isinstance(error, RuntimeError) else ""
    return any(text in message for text in _OUT_OF_MEMORY_MESSAGES)


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

    def __getstate__(self):
        state = super().__getstate__()
        # tensors kept on the device between batches; made anew where the
        # net is loaded (which may have no GPU)
        state.pop("_device_constants", None)
        return state

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
        self.__dict__.pop("_device_constants", None)
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
