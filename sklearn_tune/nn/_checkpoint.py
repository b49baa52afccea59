"""``checkpoint_dir``: the best weights and a resumable training state per fit.

While a fit runs, its folder holds two files, named after the fit (process id
and a random part, so that the parallel fits of a search never collide):

- ``<fit>-best.pt``: the module's parameters at the best epoch so far (lowest
  validation loss, or training loss without a validation set), loaded back
  when training ends;
- ``<fit>-state.pt``: the training state after the last epoch: module,
  optimizer (and its name), learning-rate scheduler, float16 gradient
  scaler, epochs done, history and torch's random state, from which
  :meth:`FineTuneClassifier.resume` continues a fit that was stopped as if
  it had not been.

Nothing else is written, and when the fit ends normally both files are
removed (the net then holds the best weights): a search leaves no files
behind, and a crashed or killed fit leaves exactly what resuming needs.
"""

from __future__ import annotations

import json
import math
import os
import uuid

import torch
from skorch.callbacks import Callback

__all__ = ["check_resumable", "read_training_state", "restore_random_state"]

_FORMAT = 1


def _save(obj, path):
    """Write ``obj`` to ``path`` atomically: a crash leaves the old file whole."""
    tmp = f"{path}.tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _size(n_bytes):
    for unit in ("bytes", "kB", "MB"):
        if n_bytes < 1000:
            return (
                f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
            )
        n_bytes /= 1000
    return f"{n_bytes:.1f} GB"


def _scheduler_state(scheduler):
    """Where the learning-rate schedule stands, in plain numbers.

    Not ``state_dict()``: a ``LambdaLR`` puts its factor object's attributes
    there, which ``torch.load(weights_only=True)`` may refuse to read back.
    """
    if scheduler is None:
        return None
    return {
        "last_epoch": int(scheduler.last_epoch),
        "base_lrs": [float(lr) for lr in scheduler.base_lrs],
        "last_lrs": [float(lr) for lr in scheduler.get_last_lr()],
    }


def _grad_scaler_state(net):
    """The scale a float16 fit has found (plain numbers), or None."""
    scaler = getattr(net, "grad_scaler_", None)
    return None if scaler is None else scaler.state_dict()


def _optimizer_name(optimizer):
    """The ``optimizer`` parameter as a string: a name, or a class's path."""
    if isinstance(optimizer, str):
        return optimizer
    return f"{optimizer.__module__}.{optimizer.__qualname__}"


def _random_state(device):
    """torch's random state, of the CPU and of the net's GPU (if it has one)."""
    state = {"cpu": torch.get_rng_state()}
    if device is not None and device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def restore_random_state(state, device):
    """Set torch's random state to the one saved with ``state`` (if any).

    Parameters
    ----------
    state : dict
        A training state (:func:`read_training_state`).
    device : torch.device or None
        The net's device.
    """
    saved = state.get("random_state")
    if not saved:  # written before random states were kept
        return
    torch.set_rng_state(saved["cpu"])
    if "cuda" in saved and device is not None and device.type == "cuda":
        torch.cuda.set_rng_state(saved["cuda"], device)


def check_resumable(net, state, path):
    """Refuse, before anything is built, to resume with another optimizer.

    Parameters
    ----------
    net : FineTuneClassifier or FineTuneRegressor
        The net that resumes.
    state : dict
        The training state (:func:`read_training_state`).
    path : str or path-like
        Its file, for the message.
    """
    saved = state.get("optimizer_name")
    if saved is None or saved == _optimizer_name(net.optimizer):
        return
    raise ValueError(
        f"{type(net).__name__}(optimizer={net.optimizer!r}).resume"
        f"({os.fspath(path)!r}): the stopped fit trained with optimizer={saved!r}, "
        "whose state (momentum, moment estimates) the new optimizer cannot take. "
        f"Resume with optimizer={saved!r} and the other parameters of the fit "
        "that wrote the file, or fit anew."
    )


def read_training_state(path):
    """Read a training state written by ``checkpoint_dir``.

    Parameters
    ----------
    path : str or path-like
        A ``<fit>-state.pt`` file.

    Returns
    -------
    state : dict
        ``module``, ``optimizer`` (state dicts), ``lr_scheduler`` (its
        ``last_epoch``, ``base_lrs`` and ``last_lrs``), ``epoch``
        (epochs done in the interrupted call), ``history`` (a list of dicts),
        ``prefix`` (the fit's file prefix), ``optimizer_name`` (the
        ``optimizer`` parameter, or its class's path), ``random_state``
        (torch's, after the last epoch) and ``grad_scaler`` (the
        ``state_dict()`` of a float16 fit's ``GradScaler``, else None); the
        last three are absent from files written by earlier versions.
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or state.get("format") != _FORMAT:
        raise ValueError(
            f"{os.fspath(path)!r} is not a training state written by checkpoint_dir "
            "(a '<fit>-state.pt' file). Give the state file of the fit to resume."
        )
    state["history"] = json.loads(state["history"])
    return state


class _TrainingCheckpoint(Callback):
    """Keep the best weights and the last training state of a fit; see module doc.

    Parameters
    ----------
    dirname : str
        The folder (created if needed).
    monitor : str
        The history key to minimise: ``"valid_loss"`` or ``"train_loss"``.
    """

    def __init__(self, dirname, monitor="valid_loss"):
        self.dirname = dirname
        self.monitor = monitor

    def initialize(self):
        self.prefix_ = None
        self.best_ = math.inf
        self.first_epoch_ = 0
        self.resumed_from_ = None
        self.n_bytes_ = 0
        return self

    def _path(self, kind):
        return os.path.join(self.dirname, f"{self.prefix_}{kind}.pt")

    def resume_from(self, state, path):
        """Go on writing the files of the fit ``state`` was read from."""
        self.prefix_ = state["prefix"]
        self.resumed_from_ = os.fspath(path)

    def on_train_begin(self, net, **kwargs):
        os.makedirs(self.dirname, exist_ok=True)
        if self.prefix_ is None:
            self.prefix_ = f"fit-{os.getpid()}-{uuid.uuid4().hex[:8]}-"
        scores = [row.get(self.monitor, math.inf) for row in net.history]
        self.best_ = min(scores, default=math.inf)
        self.first_epoch_ = len(net.history) - getattr(net, "_resume_epoch", 0)

    def on_epoch_end(self, net, **kwargs):
        score = net.history[-1].get(self.monitor, math.inf)
        if score < self.best_:
            self.best_ = score
            _save(net.module_.state_dict(), self._path("best"))
        scheduler = dict(net.callbacks_).get("lr_scheduler")
        scheduler = getattr(scheduler, "lr_scheduler_", None)
        _save(
            {
                "format": _FORMAT,
                "prefix": self.prefix_,
                "epoch": len(net.history) - self.first_epoch_,
                "module": net.module_.state_dict(),
                "optimizer": net.optimizer_.state_dict(),
                "optimizer_name": _optimizer_name(net.optimizer),
                "random_state": _random_state(net._torch_device()),
                "lr_scheduler": _scheduler_state(scheduler),
                "grad_scaler": _grad_scaler_state(net),
                "history": json.dumps(net.history.to_list()),
            },
            self._path("state"),
        )
        n_bytes = sum(
            os.path.getsize(self._path(kind))
            for kind in ("best", "state")
            if os.path.exists(self._path(kind))
        )
        if net.verbose and not self.n_bytes_:
            print(
                f"checkpoint_dir: keeping {_size(n_bytes)} for this fit in "
                f"{self.dirname} ({self.prefix_}best.pt: best weights, "
                f"{self.prefix_}state.pt: training state to resume); removed when "
                "the fit ends."
            )
        self.n_bytes_ = max(self.n_bytes_, n_bytes)

    def on_train_end(self, net, **kwargs):
        best = self._path("best")
        if os.path.exists(best):
            state = torch.load(best, map_location=net.device, weights_only=True)
            net.module_.load_state_dict(state)
        for path in (best, self._path("state"), self.resumed_from_):
            if path is not None and os.path.exists(path):
                os.remove(path)
        self.resumed_from_ = None
