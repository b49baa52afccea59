"""The fine-tuning recipe: optimizer names onto torch optimizers, and the LR factor.

This is the one place where the flat knobs (``optimizer``, ``lr``,
``momentum``, ``beta1``, ``beta2``, ``eps``, ``weight_decay``,
``warmup_epochs``, ``lr_schedule``, ``step_size``, ``gamma``) become what
torch and skorch take.
"""

from __future__ import annotations

import math

import torch
from skorch.callbacks import LRScheduler

__all__ = ["OPTIMIZERS", "LR_SCHEDULES", "optimizer_recipe", "LRFactor"]

# name -> (torch class, fixed keyword arguments, flat knobs it uses)
_TABLE = {
    "sgd": (torch.optim.SGD, {}, ("weight_decay",)),
    "momentum": (torch.optim.SGD, {}, ("momentum", "weight_decay")),
    "nesterov": (torch.optim.SGD, {"nesterov": True}, ("momentum", "weight_decay")),
    "adam": (torch.optim.Adam, {}, ("betas", "eps", "weight_decay")),
    "adamw": (torch.optim.AdamW, {}, ("betas", "eps", "weight_decay")),
    "rmsprop": (torch.optim.RMSprop, {}, ("alpha", "eps", "weight_decay")),
    "adagrad": (torch.optim.Adagrad, {}, ("eps", "weight_decay")),
}
# torch's defaults, used when beta2 is None
_ADAM_BETA2 = 0.999
_RMSPROP_ALPHA = 0.99
OPTIMIZERS = tuple(_TABLE)
"""Optimizer names the estimators accept."""
LR_SCHEDULES = ("constant", "step", "exponential", "cosine")
"""Learning-rate schedules the estimators accept."""


def optimizer_recipe(name, *, momentum, beta1, beta2, eps, weight_decay):
    """Return ``(torch optimizer class, keyword arguments)`` for a name.

    ``lr`` is not among the keyword arguments: skorch adds it (and lets
    ``set_params(lr=...)`` change it on a fitted net). Knobs that do not apply
    to the optimizer are left out:

    ========== ===================== ==========================================
    name       torch class           knobs used (besides ``lr``)
    ========== ===================== ==========================================
    sgd        SGD                   weight_decay
    momentum   SGD                   momentum, weight_decay
    nesterov   SGD(nesterov=True)    momentum, weight_decay
    adam       Adam                  beta1, beta2, eps, weight_decay (L2)
    adamw      AdamW                 beta1, beta2, eps, weight_decay (decoupled)
    rmsprop    RMSprop               beta2 (as ``alpha``), eps, weight_decay
    adagrad    Adagrad               eps, weight_decay
    ========== ===================== ==========================================

    Parameters
    ----------
    name : str
        One of :data:`OPTIMIZERS`.
    momentum, beta1, beta2, eps, weight_decay : float
        The flat knobs; those that do not apply to ``name`` are ignored.
        ``beta2=None`` is torch's default of each optimizer: 0.999 for Adam
        and AdamW, 0.99 for RMSprop's ``alpha``.

    Returns
    -------
    cls : type
        The torch optimizer class.
    kwargs : dict
        Its keyword arguments, ``lr`` and the parameters aside.
    """
    cls, fixed, used = _TABLE[name]
    values = {
        "momentum": momentum,
        "betas": (beta1, _ADAM_BETA2 if beta2 is None else beta2),
        "alpha": _RMSPROP_ALPHA if beta2 is None else beta2,
        "eps": eps,
        "weight_decay": weight_decay,
    }
    return cls, {**fixed, **{knob: values[knob] for knob in used}}


class LRFactor:
    """Factor of the base learning rate in each epoch: warm-up, then a schedule.

    For epoch ``e`` of a ``fit`` or ``partial_fit`` call (0 for its first),
    with ``w = warmup_epochs`` and ``t = e - w``:

    - warm-up, ``e < w``: ``(e + 1) / (w + 1)``, a linear ramp that reaches the
      full rate at epoch ``w``;
    - ``"constant"``: 1;
    - ``"step"``: ``gamma ** (t // step_size)``;
    - ``"exponential"``: ``gamma ** t``;
    - ``"cosine"``: ``(1 + cos(pi * t / T)) / 2`` with ``T = max_epochs - w``,
      from 1 down towards 0 over the epochs left after the warm-up.

    A picklable callable for :class:`torch.optim.lr_scheduler.LambdaLR`.

    Parameters
    ----------
    warmup_epochs : int
        Epochs of linear warm-up.
    lr_schedule : {"constant", "step", "exponential", "cosine"}
        The schedule after the warm-up.
    step_size : int
        Epochs between two decays of ``"step"``.
    gamma : float
        Decay factor of ``"step"`` and ``"exponential"``.
    max_epochs : int
        Epochs of one ``fit`` or ``partial_fit`` call (the period of
        ``"cosine"``).
    """

    def __init__(self, warmup_epochs, lr_schedule, step_size, gamma, max_epochs):
        self.warmup_epochs = warmup_epochs
        self.lr_schedule = lr_schedule
        self.step_size = step_size
        self.gamma = gamma
        self.max_epochs = max_epochs

    def __call__(self, epoch):
        w = self.warmup_epochs
        if epoch < w:
            return (epoch + 1) / (w + 1)
        t = epoch - w
        if self.lr_schedule == "step":
            return self.gamma ** (t // self.step_size)
        if self.lr_schedule == "exponential":
            return self.gamma**t
        if self.lr_schedule == "cosine":
            period = max(self.max_epochs - w, 1)
            return 0.5 * (1.0 + math.cos(math.pi * min(t, period) / period))
        return 1.0

    def __repr__(self):
        return (
            f"LRFactor(warmup_epochs={self.warmup_epochs}, "
            f"lr_schedule={self.lr_schedule!r}, step_size={self.step_size}, "
            f"gamma={self.gamma}, max_epochs={self.max_epochs})"
        )


class _From:
    """The factor of ``lr_lambda`` from epoch ``first`` on (picklable)."""

    def __init__(self, lr_lambda, first):
        self.lr_lambda = lr_lambda
        self.first = first

    def __call__(self, epoch):
        return self.lr_lambda(epoch + self.first)


class _PerCallLRScheduler(LRScheduler):
    """skorch's ``LRScheduler`` with a new schedule for every training call.

    skorch resumes the schedule of a net trained before at the epoch count of
    its whole history, so continued training (``partial_fit``, ``warm_start``)
    runs on at the end of the previous schedule: at 0 for ``"cosine"``, still
    decaying for ``"step"`` and ``"exponential"``. Here every call starts a new
    schedule (warm-up included) from the base learning rate of each parameter
    group, counting the epochs of that call only.

    The base learning rate of a group is the one it had when the optimizer was
    built, or the one set with ``set_params(lr=...)`` since the last call
    (times ``backbone_lr_scale`` for the backbone's group). A
    call that resumes a stopped fit (``resume``) goes on with that fit's
    schedule.

    Parameters
    ----------
    lr_lambda : callable or None, default=None
        Factor of the base learning rate per epoch of the call. None: the
        net's :class:`LRFactor` (``net._lr_factor()``), read anew each call so
        that ``set_params(max_epochs=...)`` between calls is followed.
    **kwargs
        As for :class:`skorch.callbacks.LRScheduler`.
    """

    def __init__(self, lr_lambda=None, **kwargs):
        kwargs.setdefault("policy", torch.optim.lr_scheduler.LambdaLR)
        kwargs.setdefault("step_every", "epoch")
        super().__init__(lr_lambda=lr_lambda, **kwargs)

    def initialize(self):
        super().initialize()
        self.last_lrs_ = None
        return self

    @property
    def kwargs(self):
        kwargs = super().kwargs
        if kwargs.get("lr_lambda") is None and self._per_call() is False:
            kwargs.pop("lr_lambda", None)  # another policy, set by the user
        return kwargs

    def _per_call(self):
        return self._get_policy_cls() is torch.optim.lr_scheduler.LambdaLR

    def on_train_begin(self, net, **kwargs):
        if not self._per_call():  # callbacks__lr_scheduler__policy: skorch's way
            return super().on_train_begin(net, **kwargs)
        scheduler_kwargs = self.kwargs
        if scheduler_kwargs.get("lr_lambda") is None:
            scheduler_kwargs["lr_lambda"] = net._lr_factor()
        done = getattr(net, "_resume_epoch", 0)  # a resumed call goes on
        if done:
            scheduler_kwargs["lr_lambda"] = _From(scheduler_kwargs["lr_lambda"], done)
        last = self.last_lrs_
        for i, group in enumerate(net.optimizer_.param_groups):
            changed = last is not None and i < len(last) and group["lr"] != last[i]
            if changed:  # set_params(lr=...) gave every group the new rate
                group["initial_lr"] = group["lr"] * group.get("lr_scale", 1.0)
            elif "initial_lr" not in group:
                group["initial_lr"] = group["lr"]
            group["lr"] = group["initial_lr"]
        self.lr_scheduler_ = self.policy_(
            net.optimizer_, last_epoch=-1, **scheduler_kwargs
        )

    def on_train_end(self, net, **kwargs):
        self.last_lrs_ = [group["lr"] for group in net.optimizer_.param_groups]
