"""Ready-made search spaces over the fine-tuning knobs, for both searchers.

Built from :mod:`sklearn_tune.space`, so that :class:`~sklearn_tune.BayesSearchCV`
and :class:`~sklearn_tune.GeneticSearchCV` take them as they are. A ``prefix``
names the step of a pipeline (``prefix="clf__"``).

Every knob of a space changes the fit it is drawn for: a knob that only some
choices read (``momentum`` for the SGD variants, Adam's betas,
``backbone_lr_scale`` when part of the backbone trains, ``step_size`` and
``gamma`` for the schedules that decay) is searched only in the sub-space of
those choices. The spaces are therefore lists of sub-spaces (dicts), which both
searchers take: each sub-space is searched with the searcher's budget
(``n_iter`` of :class:`~sklearn_tune.BayesSearchCV`, ``generations`` of
:class:`~sklearn_tune.GeneticSearchCV`), or with the budget of a
``(dict, n_iter)`` pair. Candidates never differ only in knobs the fit ignores.
"""

from __future__ import annotations

import itertools

from ..space import Categorical, Integer, Real
from ._freezing import make_freeze_plan
from ._optim import _TABLE, LR_SCHEDULES, OPTIMIZERS
from ._resnet import _CIFAR_DEPTHS, _TORCHVISION, make_resnet

__all__ = ["make_finetune_space", "make_mlp_space", "make_optimizer_space"]

# torchvision's ResNets: conv1 + bn1, layer1 ... layer4 (see _freezing)
_TORCHVISION_STAGES = 5
# flat knob -> what the optimizers of _TABLE call it
_READ_AS = {"momentum": "momentum", "beta1": "betas", "beta2": ("betas", "alpha")}


def _reads(optimizer, knob):
    used = _TABLE[optimizer][2]
    names = _READ_AS[knob]
    return any(
        name in used for name in (names if isinstance(names, tuple) else (names,))
    )


def _optimizer_subspaces(optimizers, lr, weight_decay, momentum, betas):
    unknown = [name for name in optimizers if name not in OPTIMIZERS]
    if unknown or not optimizers:
        raise ValueError(
            f"optimizers={list(optimizers)!r}: unknown names {unknown}; choose "
            f"among {list(OPTIMIZERS)}."
        )
    knobs = {}
    if momentum is not None:
        knobs["momentum"] = Real(*momentum)
    if betas:
        knobs["beta1"] = Real(0.8, 0.95)
        knobs["beta2"] = Real(0.99, 0.9999)
    groups = {}  # the knobs an optimizer reads -> the optimizers reading them
    for name in optimizers:
        read = tuple(knob for knob in knobs if _reads(name, knob))
        groups.setdefault(read, []).append(name)
    subspaces = []
    for read, names in groups.items():
        space = {
            "optimizer": Categorical(names),
            "lr": Real(*lr, prior="log-uniform"),
        }
        if weight_decay is not None:
            space["weight_decay"] = Real(*weight_decay, prior="log-uniform")
        space.update({knob: knobs[knob] for knob in read})
        subspaces.append(space)
    return subspaces


def _prefixed(subspaces, prefix):
    return [{prefix + name: dim for name, dim in space.items()} for space in subspaces]


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
        ``optimizer``).
    lr : (float, float), default=(1e-4, 1e-1)
        Bounds of the learning rate, searched on a log scale.
    weight_decay : (float, float) or None, default=(1e-6, 1e-2)
        Bounds of the weight decay (log scale); None leaves it out.
    momentum : (float, float) or None, default=(0.5, 0.99)
        Bounds of the momentum, searched with ``"momentum"`` and
        ``"nesterov"`` only (the optimizers that read it); None leaves it out.
    betas : bool, default=False
        Also search Adam's and AdamW's ``beta1`` in [0.8, 0.95] and ``beta2``
        in [0.99, 0.9999], and RMSprop's ``beta2`` (its ``alpha``).

    Returns
    -------
    space : list of dict of str to Dimension
        One sub-space per group of optimizers that read the same knobs.

    Examples
    --------
    >>> from sklearn_tune.nn import make_optimizer_space
    >>> [sorted(space) for space in make_optimizer_space("clf__")]
    ... # doctest: +NORMALIZE_WHITESPACE
    [['clf__lr', 'clf__optimizer', 'clf__weight_decay'],
     ['clf__lr', 'clf__momentum', 'clf__optimizer', 'clf__weight_decay']]
    """
    subspaces = _optimizer_subspaces(optimizers, lr, weight_decay, momentum, betas)
    return _prefixed(subspaces, prefix)


def _n_stages(module):
    """Backbone stages of ``module``: a name, a torch module or an estimator."""
    if isinstance(module, str):
        if module in _TORCHVISION:
            return _TORCHVISION_STAGES
        if module in _CIFAR_DEPTHS:
            return len(make_freeze_plan(make_resnet(module, n_classes=1)).stages)
    elif hasattr(module, "named_parameters"):
        return len(make_freeze_plan(module).stages)
    raise ValueError(
        f"make_finetune_space(module={module!r}): cannot count the stages of it. "
        "Give a ResNet name, a torch.nn.Module instance or a FineTuneClassifier / "
        "FineTuneRegressor, or the number itself as n_stages=..."
    )


def make_finetune_space(
    prefix="",
    *,
    module=None,
    n_stages=None,
    max_epochs=None,
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
    module : str, torch.nn.Module, FineTuneClassifier or FineTuneRegressor
        The network whose backbone stages ``n_trainable_stages`` counts: a
        ResNet name (4 stages for the built-in ones, 5 for torchvision's), a
        module (its stages as :func:`make_freeze_plan` splits it), or the
        estimator (its ``module``; its ``max_epochs`` too unless given).
    n_stages : int or None, default=None
        The number of stages, instead of ``module``.
    max_epochs : int or None, default=None
        Epochs of each fit (the estimator's ``max_epochs``; None: the
        estimator's, or its default 10). Bounds the warm-up (at most
        ``max_epochs - 2`` epochs, so that a schedule still acts) and
        ``step_size`` (a decay happens within the fit). Under a
        multi-fidelity search on ``max_epochs``, give the full budget
        (``max_resources``): a fit of a lower rung cuts the warm-up to its
        own epochs but the last (see ``warmup_epochs``), so no candidate
        fails there.
    optimizers : sequence of str, default=("sgd", "nesterov", "adam", "adamw")
        See :func:`make_optimizer_space`; ``momentum`` in [0.5, 0.99] is
        searched for the optimizers that read it.
    lr : (float, float), default=(1e-4, 1e-1)
        Bounds of the learning rate (log scale).
    freezing : bool, default=True
        Search ``n_trainable_stages`` in [0, n_stages], and
        ``backbone_lr_scale`` in [0.01, 1] (log scale) when at least one
        backbone stage trains.
    warmup : bool, default=True
        Search ``warmup_epochs`` in [0, min(3, max_epochs - 2)].
    schedules : sequence of str or None, default=("constant", "cosine")
        Learning-rate schedules to choose from; ``"step"`` adds ``step_size``
        and ``gamma``, ``"exponential"`` adds ``gamma``. None (or
        ``max_epochs < 2``, when no schedule acts) leaves ``lr_schedule`` out.
    weight_decay : (float, float) or None, default=(1e-6, 1e-2)
        Bounds of the weight decay (log scale); None leaves it out.

    Returns
    -------
    space : list of dict of str to Dimension
        Sub-spaces, one per combination of optimizer group, freezing (head
        only, or some backbone) and schedule group; see the module docstring
        for how the searchers spend their budget on them.

    Examples
    --------
    >>> from sklearn_tune.nn import make_finetune_space
    >>> space = make_finetune_space(module="resnet8")
    >>> len(space)
    4
    >>> space[-1]["n_trainable_stages"]
    Integer(1, 4)
    """
    if module is not None and hasattr(module, "max_epochs"):  # an estimator
        if max_epochs is None:
            max_epochs = module.max_epochs
        module = module.module
    if n_stages is None:
        if module is None:
            raise ValueError(
                "make_finetune_space: give the network, module='resnet20' (or the "
                "torch module, or the estimator), or its number of stages, "
                "n_stages=4."
            )
        n_stages = _n_stages(module)
    max_epochs = 10 if max_epochs is None else max_epochs
    if schedules:
        unknown = [name for name in schedules if name not in LR_SCHEDULES]
        if unknown:
            raise ValueError(
                f"make_finetune_space(schedules={list(schedules)!r}): unknown "
                f"names {unknown}; choose among {list(LR_SCHEDULES)}."
            )
    if max_epochs < 2:
        schedules = None  # one epoch: no schedule decays
    longest_warmup = min(3, max_epochs - 2) if warmup else 0

    optimizer_spaces = _optimizer_subspaces(
        optimizers, lr, weight_decay, (0.5, 0.99), betas=False
    )
    freezing_spaces = [{}]
    if freezing and n_stages >= 1:
        some = Integer(1, n_stages) if n_stages > 1 else Categorical([1])
        freezing_spaces = [
            {"n_trainable_stages": Categorical([0])},
            {
                "n_trainable_stages": some,
                "backbone_lr_scale": Real(0.01, 1.0, prior="log-uniform"),
            },
        ]
    schedule_spaces = [{}]
    if schedules:
        plain = [
            name for name in schedules if name in ("constant", "cosine", "onecycle")
        ]
        schedule_spaces = [{"lr_schedule": Categorical(plain)}] if plain else []
        # a decay must happen within the fit, whatever the warm-up
        left = max_epochs - 1 - longest_warmup
        if "step" in schedules and left >= 1:
            step = {"lr_schedule": Categorical(["step"]), "gamma": Real(0.1, 0.9)}
            if left > 1:
                step["step_size"] = Integer(1, left)
            else:
                step["step_size"] = Categorical([1])
            schedule_spaces.append(step)
        if "exponential" in schedules:
            schedule_spaces.append(
                {"lr_schedule": Categorical(["exponential"]), "gamma": Real(0.5, 0.99)}
            )
    warmup_space = (
        {"warmup_epochs": Integer(0, longest_warmup)} if longest_warmup >= 1 else {}
    )
    subspaces = [
        {**opt, **frz, **sch, **warmup_space}
        for opt, frz, sch in itertools.product(
            optimizer_spaces, freezing_spaces, schedule_spaces
        )
    ]
    return _prefixed(subspaces, prefix)


def make_mlp_space(
    prefix="",
    *,
    hidden_layers=(1, 4),
    units=(16, 256),
    dropout=(0.0, 0.5),
    batch_norm=True,
    optimizers=("adam", "adamw"),
    lr=(1e-4, 1e-1),
    weight_decay=(1e-6, 1e-2),
    batch_sizes=(32, 64, 128),
):
    """A search space for ``module="mlp"``: the network's shape and its training.

    Parameters
    ----------
    prefix : str, default=""
        Put before every name, e.g. ``"clf__"`` for a pipeline step ``clf``.
    hidden_layers : (int, int), default=(1, 4)
        Bounds of ``module__hidden_layers``.
    units : (int, int), default=(16, 256)
        Bounds of ``module__units`` (log scale).
    dropout : (float, float) or None, default=(0.0, 0.5)
        Bounds of ``module__dropout``; None leaves it out.
    batch_norm : bool, default=True
        Also choose ``module__batch_norm`` in {False, True}.
    optimizers : sequence of str, default=("adam", "adamw")
        See :func:`make_optimizer_space` (whose ``momentum`` it searches for
        ``"momentum"`` and ``"nesterov"``).
    lr : (float, float), default=(1e-4, 1e-1)
        Bounds of the learning rate (log scale).
    weight_decay : (float, float) or None, default=(1e-6, 1e-2)
        Bounds of the weight decay (log scale); None leaves it out.
    batch_sizes : sequence of int or None, default=(32, 64, 128)
        Batch sizes to choose from; None leaves ``batch_size`` out.

    Returns
    -------
    space : list of dict of str to Dimension
        One sub-space per group of optimizers that read the same knobs.

    Examples
    --------
    >>> from sklearn_tune.nn import make_mlp_space
    >>> space = make_mlp_space("clf__")
    >>> space[0]["clf__module__units"]
    Integer(16, 256, prior='log-uniform')
    """
    network = {
        "module__hidden_layers": Integer(*hidden_layers),
        "module__units": Integer(*units, prior="log-uniform"),
    }
    if dropout is not None:
        network["module__dropout"] = Real(*dropout)
    if batch_norm:
        network["module__batch_norm"] = Categorical([False, True])
    if batch_sizes:
        network["batch_size"] = Categorical(list(batch_sizes))
    subspaces = [
        {**space, **network}
        for space in _optimizer_subspaces(
            optimizers, lr, weight_decay, (0.5, 0.99), betas=False
        )
    ]
    return _prefixed(subspaces, prefix)
