"""The fine-tuning recipe: optimizer names onto torch optimizers, and the LR factor.

This is the one place where the flat knobs (``optimizer``, ``lr``,
``momentum``, ``beta1``, ``beta2``, ``eps``, ``weight_decay``,
``warmup_epochs``, ``lr_schedule``, ``step_size``, ``gamma``) become what
torch and skorch take.
"""

from __future__ import annotations

import math
import warnings

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
LR_SCHEDULES = ("constant", "step", "exponential", "cosine", "onecycle")
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

    See Also
    --------
    make_optimizer_space : A search space over these knobs.

    Examples
    --------
    >>> from sklearn_tune.nn import optimizer_recipe
    >>> knobs = dict(momentum=0.9, beta1=0.9, beta2=None, eps=1e-8, weight_decay=0.01)
    >>> cls, kwargs = optimizer_recipe("adamw", **knobs)
    >>> cls.__name__, kwargs
    ('AdamW', {'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0.01})
    >>> optimizer_recipe("momentum", **knobs)[1]
    {'momentum': 0.9, 'weight_decay': 0.01}
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
    """Factor of the base learning rate: warm-up, then a schedule.

    For epoch ``e`` of a ``fit`` or ``partial_fit`` call (0 for its first),
    with ``w = min(warmup_epochs, max_epochs - 1)`` and ``t = e - w``:

    - warm-up, ``e < w``: ``(e + 1) / (w + 1)``, a linear ramp that reaches the
      full rate at epoch ``w``;
    - ``"constant"``: 1;
    - ``"step"``: ``gamma ** (t // step_size)``;
    - ``"exponential"``: ``gamma ** t``;
    - ``"cosine"``: ``(1 + cos(pi * t / T)) / 2`` with ``T = max_epochs - w``,
      from 1 down towards 0 over the epochs left after the warm-up.

    With ``batches_per_epoch`` the factor is asked per batch ``b`` of the
    call (0 for its first), in epoch ``e = b // batches_per_epoch``: the
    factor of that epoch, times ``(b + 1) / (v + 1)`` during a warm-up of
    ``v = min(warmup_batches, max_epochs * batches_per_epoch - 1)`` batches.

    A warm-up never takes a whole call: it ends before the call's last epoch
    (or batch), which trains at the rate of the schedule, however short the
    call (a rung of a multi-fidelity search on ``max_epochs``). A call of one
    epoch has no warm-up in epochs.

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
    warmup_batches : int, default=0
        Batches of linear warm-up (with ``batches_per_epoch``).
    batches_per_epoch : int or None, default=None
        Training batches per epoch: the factor is asked per batch. None: per
        epoch.

    See Also
    --------
    FineTuneClassifier : Its ``warmup_epochs``, ``lr_schedule``, ``step_size``
        and ``gamma`` build this factor.
    sklearn_tune.schedules : Schedules of a genetic search's probabilities.

    Examples
    --------
    One epoch of warm-up, then a cosine decay over the four epochs left:

    >>> from sklearn_tune.nn import LRFactor
    >>> factor = LRFactor(
    ...     warmup_epochs=1, lr_schedule="cosine", step_size=1, gamma=0.1, max_epochs=5
    ... )
    >>> [round(factor(epoch), 3) for epoch in range(5)]
    [0.5, 1.0, 0.854, 0.5, 0.146]
    """

    def __init__(
        self,
        warmup_epochs,
        lr_schedule,
        step_size,
        gamma,
        max_epochs,
        warmup_batches=0,
        batches_per_epoch=None,
    ):
        self.warmup_epochs = warmup_epochs
        self.lr_schedule = lr_schedule
        self.step_size = step_size
        self.gamma = gamma
        self.max_epochs = max_epochs
        self.warmup_batches = warmup_batches
        self.batches_per_epoch = batches_per_epoch

    def __call__(self, step):
        if self.batches_per_epoch is None:
            return self._per_epoch(step)
        factor = self._per_epoch(step // self.batches_per_epoch)
        v = min(self.warmup_batches, self.max_epochs * self.batches_per_epoch - 1)
        if step < v:
            factor *= (step + 1) / (v + 1)
        return factor

    def _per_epoch(self, epoch):
        w = min(self.warmup_epochs, self.max_epochs - 1)
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
        per_batch = (
            ""
            if self.batches_per_epoch is None
            else f", warmup_batches={self.warmup_batches}, "
            f"batches_per_epoch={self.batches_per_epoch}"
        )
        return (
            f"LRFactor(warmup_epochs={self.warmup_epochs}, "
            f"lr_schedule={self.lr_schedule!r}, step_size={self.step_size}, "
            f"gamma={self.gamma}, max_epochs={self.max_epochs}{per_batch})"
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
        self.skorch_way_ = not self._per_call()
        if self.skorch_way_:  # callbacks__lr_scheduler__policy: skorch's way
            self.per_batch_ = False
            return super().on_train_begin(net, **kwargs)
        scheduler_kwargs = self.kwargs
        self.per_batch_ = scheduler_kwargs.get("lr_lambda") is None and (
            net.warmup_batches > 0 or net.lr_schedule == "onecycle"
        )
        last = self.last_lrs_
        for i, group in enumerate(net.optimizer_.param_groups):
            changed = last is not None and i < len(last) and group["lr"] != last[i]
            if changed:  # set_params(lr=...) gave every group the new rate
                group["base_lr"] = group["lr"] * group.get("lr_scale", 1.0)
            elif "base_lr" not in group:
                group["base_lr"] = group.get("initial_lr", group["lr"])
            # the schedulers start from initial_lr (OneCycleLR rewrites it)
            group["lr"] = group["initial_lr"] = group["base_lr"]
        if self.per_batch_:  # built once the batches of an epoch are known
            self.lr_scheduler_ = None
            return
        if scheduler_kwargs.get("lr_lambda") is None:
            scheduler_kwargs["lr_lambda"] = net._lr_factor()
        done = getattr(net, "_resume_epoch", 0)  # a resumed call goes on
        if done:
            scheduler_kwargs["lr_lambda"] = _From(scheduler_kwargs["lr_lambda"], done)
        self.lr_scheduler_ = self.policy_(
            net.optimizer_, last_epoch=-1, **scheduler_kwargs
        )

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if not self.per_batch_ or self.lr_scheduler_ is not None:
            return
        try:
            n_batches = len(net.get_iterator(dataset_train, training=True))
        except TypeError as err:
            raise ValueError(
                f"{type(net).__name__}(warmup_batches={net.warmup_batches}, "
                f"lr_schedule={net.lr_schedule!r}): a schedule stepped per batch "
                "needs the number of batches per epoch, and the training data "
                "have no length. Use warmup_epochs and a schedule per epoch."
            ) from err
        n_batches = max(n_batches, 1)
        done = getattr(net, "_resume_epoch", 0) * n_batches
        if net.lr_schedule == "onecycle":
            self.lr_scheduler_ = _one_cycle(net, n_batches)
            with warnings.catch_warnings():  # steps before any optimizer step
                warnings.simplefilter("ignore", UserWarning)
                for _ in range(done):
                    self.lr_scheduler_.step()
            return
        lr_lambda = net._lr_factor(batches_per_epoch=n_batches)
        if done:
            lr_lambda = _From(lr_lambda, done)
        self.lr_scheduler_ = torch.optim.lr_scheduler.LambdaLR(
            net.optimizer_, lr_lambda, last_epoch=-1
        )

    def on_epoch_end(self, net, **kwargs):
        if not self.per_batch_:
            super().on_epoch_end(net, **kwargs)

    def on_batch_end(self, net, training, **kwargs):
        if not self.per_batch_:
            if self.skorch_way_:
                super().on_batch_end(net, training, **kwargs)
            return
        if not training:
            return
        if self.event_name is not None:
            net.history.record_batch(
                self.event_name, self.lr_scheduler_.get_last_lr()[0]
            )
        self.lr_scheduler_.step()

    def on_train_end(self, net, **kwargs):
        self.last_lrs_ = [group["lr"] for group in net.optimizer_.param_groups]


def _one_cycle(net, n_batches):
    """torch's ``OneCycleLR`` over the call, peaking at each group's base rate.

    It rises from ``lr / 25`` over ``warmup_epochs`` (at most
    ``max_epochs - 1``) or ``warmup_batches`` when one is given (else over
    30% of the batches), reaching ``lr`` at the first batch after them, then
    anneals (cosine) to ``lr / 25e4``.
    A call of fewer than 3 batches trains at ``lr``. Momentum is not
    cycled: ``momentum`` and ``beta1`` stay as set.
    """
    total = net.max_epochs * n_batches
    if total < 3:  # too short to rise and fall: the base rate throughout
        constant = LRFactor(0, "constant", 1, 1.0, net.max_epochs)
        return torch.optim.lr_scheduler.LambdaLR(net.optimizer_, constant)
    warmup_epochs = min(net.warmup_epochs, net.max_epochs - 1)
    if warmup_epochs:
        peak = warmup_epochs * n_batches
    elif net.warmup_batches:
        peak = net.warmup_batches
    else:
        peak = round(0.3 * total)
    # the batch at the peak (from 0) follows the rising ones, as after a
    # warm-up; torch divides by each phase's length: none may be 0 steps
    peak = min(max(peak, 1), total - 2)
    return torch.optim.lr_scheduler.OneCycleLR(
        net.optimizer_,
        max_lr=[group["base_lr"] for group in net.optimizer_.param_groups],
        total_steps=total,
        pct_start=(peak + 1) / total,
        cycle_momentum=False,
    )
