"""Ready-made search spaces over the fine-tuning knobs, for both searchers.

Built from :mod:`sklearn_tune.space`, so that :class:`~sklearn_tune.BayesSearchCV`
and :class:`~sklearn_tune.GeneticSearchCV` take them as they are. A ``prefix``
names the step of a pipeline (``prefix="clf__"``).
"""

from __future__ import annotations

from ..space import Categorical, Integer, Real
from ._optim import OPTIMIZERS

__all__ = ["make_finetune_space", "make_optimizer_space"]


def make_optimizer_space(
    prefix="",
    *,
    optimizers=("sgd", "nesterov", "adam", "adamw"),
    lr=(1e-4, 1e-1),
    weight_decay=(1e-6, 1e-2),
    momentum=(0.5, 0.99),
    betas=False,
):
    """A search space over the optimizer and its settings.

    Parameters
    ----------
    prefix : str, default=""
        Put before every name, e.g. ``"clf__"`` for a pipeline step ``clf``.
    optimizers : sequence of str, default=("sgd", "nesterov", "adam", "adamw")
        Optimizer names to choose from (see ``FineTuneClassifier``'s
        ``optimizer``); a knob that does not apply to the one drawn is ignored.
    lr : (float, float), default=(1e-4, 1e-1)
        Bounds of the learning rate, searched on a log scale.
    weight_decay : (float, float) or None, default=(1e-6, 1e-2)
        Bounds of the weight decay (log scale); None leaves it out.
    momentum : (float, float) or None, default=(0.5, 0.99)
        Bounds of the momentum (used by "momentum" and "nesterov"); None
        leaves it out.
    betas : bool, default=False
        Also search Adam's ``beta1`` in [0.8, 0.95] and ``beta2`` in
        [0.99, 0.9999] (log scale of ``1 - beta2`` is not needed at this range).

    Returns
    -------
    space : dict of str to Dimension

    Examples
    --------
    >>> from sklearn_tune.nn import make_optimizer_space
    >>> sorted(make_optimizer_space("clf__"))
    ['clf__lr', 'clf__momentum', 'clf__optimizer', 'clf__weight_decay']
    """
    unknown = [name for name in optimizers if name not in OPTIMIZERS]
    if unknown or not optimizers:
        raise ValueError(
            f"make_optimizer_space(optimizers={list(optimizers)!r}): unknown names "
            f"{unknown}; choose among {list(OPTIMIZERS)}."
        )
    space = {
        "optimizer": Categorical(list(optimizers)),
        "lr": Real(*lr, prior="log-uniform"),
    }
    if weight_decay is not None:
        space["weight_decay"] = Real(*weight_decay, prior="log-uniform")
    if momentum is not None and {"momentum", "nesterov", "rmsprop"} & set(optimizers):
        space["momentum"] = Real(*momentum)
    if betas:
        space["beta1"] = Real(0.8, 0.95)
        space["beta2"] = Real(0.99, 0.9999)
    return {prefix + name: dim for name, dim in space.items()}


def make_finetune_space(
    prefix="",
    *,
    n_stages=4,
    optimizers=("sgd", "nesterov", "adam", "adamw"),
    lr=(1e-4, 1e-1),
    freezing=True,
    warmup=True,
    schedules=("constant", "cosine"),
    weight_decay=(1e-6, 1e-2),
):
    """A search space for fine-tuning: optimizer, lr, freezing, warm-up, schedule.

    Parameters
    ----------
    prefix : str, default=""
        Put before every name, e.g. ``"clf__"`` for a pipeline step ``clf``.
    n_stages : int, default=4
        Backbone stages of the network (4 for the built-in ResNets, 5 for
        torchvision's): ``n_trainable_stages`` is searched in ``[0, n_stages]``,
        from head only to a full fine-tune.
    optimizers : sequence of str, default=("sgd", "nesterov", "adam", "adamw")
        See :func:`make_optimizer_space`.
    lr : (float, float), default=(1e-4, 1e-1)
        Bounds of the learning rate (log scale).
    freezing : bool, default=True
        Search ``n_trainable_stages`` and ``backbone_lr_scale`` (in [0.01, 1],
        log scale).
    warmup : bool, default=True
        Search ``warmup_epochs`` in [0, 3].
    schedules : sequence of str or None, default=("constant", "cosine")
        Learning-rate schedules to choose from; None leaves ``lr_schedule`` out.
    weight_decay : (float, float) or None, default=(1e-6, 1e-2)
        Bounds of the weight decay (log scale); None leaves it out.

    Returns
    -------
    space : dict of str to Dimension

    Examples
    --------
    >>> from sklearn_tune.nn import make_finetune_space
    >>> space = make_finetune_space(n_stages=4)
    >>> space["n_trainable_stages"]
    Integer(0, 4)
    """
    space = make_optimizer_space(
        optimizers=optimizers, lr=lr, weight_decay=weight_decay
    )
    if freezing:
        space["n_trainable_stages"] = Integer(0, n_stages)
        space["backbone_lr_scale"] = Real(0.01, 1.0, prior="log-uniform")
    if warmup:
        space["warmup_epochs"] = Integer(0, 3)
    if schedules:
        space["lr_schedule"] = Categorical(list(schedules))
    return {prefix + name: dim for name, dim in space.items()}
