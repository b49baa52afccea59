"""A network split into backbone stages and a head, and how much of it is frozen.

The split works on any ``torch.nn.Module``:

- the **head** is the classifier a timm model names with ``get_classifier()``
  (when it is a ``torch.nn.Linear``), else the last ``torch.nn.Linear`` in
  ``module.named_modules()`` order (``fc`` of a ResNet, torchvision's or
  timm's, the last layer of an MLP);
- the **backbone stages** are the other top-level children that hold
  parameters, in the order they were registered (input to output). A
  normalisation layer at the top level (torchvision's ``bn1``) joins the stage
  before it, so torchvision's ResNets have five stages (``conv1`` + ``bn1``,
  ``layer1`` ... ``layer4``) and :class:`~sklearn_tune.nn.CifarResNet` four
  (``stem``, ``stage1`` ... ``stage3``);
- parameters of the module itself (``torch.nn.Parameter`` attributes such as a
  vision transformer's ``cls_token`` and ``pos_embed``) join the first stage.

A wrapper whose only child is the network, such as the module that
``torch.compile`` returns (``_orig_mod``), is looked through: the stages are
those of the network inside, named as the wrapper names them.

``n_trainable_stages`` counts trainable stages from the head down: 0 trains
the head only, 1 the head and the last stage, and None (or any number at least
the number of stages) every parameter: a full fine-tune. Frozen parameters get
``requires_grad = False`` through skorch's :class:`~skorch.callbacks.Freezer`,
and the BatchNorm layers of frozen stages stay in evaluation mode, so that
their running statistics are frozen too.
"""

from __future__ import annotations

from typing import NamedTuple

from skorch.callbacks import Freezer
from torch import nn

__all__ = ["FreezePlan", "find_head", "make_freeze_plan", "replace_head"]

_NORMS = (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm)


class FreezePlan(NamedTuple):
    """Parameter names of each part of a network, and which are frozen.

    Parameters
    ----------
    stages : list of list of str
        Parameter names of each backbone stage, from the input to the head.
    head : list of str
        Parameter names of the head.
    frozen : list of str
        Parameter names that stay frozen.
    frozen_norms : list of str
        Names of the normalisation modules of frozen stages (kept in eval mode).

    See Also
    --------
    make_freeze_plan : Build the plan of a network.

    Examples
    --------
    >>> from sklearn_tune.nn import make_freeze_plan, make_resnet
    >>> plan = make_freeze_plan(make_resnet("resnet8", n_classes=10), 1)
    >>> len(plan.stages), plan.head
    (4, ['fc.weight', 'fc.bias'])
    >>> "stem.0.weight" in plan.frozen
    True
    """

    stages: list[list[str]]
    head: list[str]
    frozen: list[str]
    frozen_norms: list[str]

    @property
    def backbone(self) -> list[str]:
        """Parameter names of every backbone stage."""
        return [name for stage in self.stages for name in stage]


def find_head(module: nn.Module) -> str | None:
    """Name of the head: the Linear classifier of ``module``, or None.

    The module that ``module.get_classifier()`` returns, for a timm model
    whose classifier is a ``torch.nn.Linear`` (the last Linear layer of some
    timm models is not the classifier); otherwise the last
    ``torch.nn.Linear`` of ``module``.

    Parameters
    ----------
    module : torch.nn.Module
        The network.

    Returns
    -------
    name : str or None
        Its qualified name in ``module.named_modules()`` (``""`` when ``module``
        is itself a ``torch.nn.Linear``), or None when it has no Linear layer.

    See Also
    --------
    replace_head : Give a network a new head.
    make_freeze_plan : Freeze all but the head and the last stages.

    Examples
    --------
    >>> from sklearn_tune.nn import TabularMLP, find_head, make_resnet
    >>> find_head(make_resnet("resnet8", n_classes=10))
    'fc'
    >>> find_head(TabularMLP(n_features=4, n_classes=3))
    'head'
    """
    classifier = getattr(module, "get_classifier", None)  # timm's models
    try:
        classifier = classifier() if callable(classifier) else None
    except TypeError:  # a method of that name that wants arguments: not timm's
        classifier = None
    head = None
    for name, child in module.named_modules():
        if isinstance(classifier, nn.Linear) and child is classifier:
            return name
        if isinstance(child, nn.Linear):
            head = name
    return head


def replace_head(module: nn.Module, n_outputs: int) -> nn.Module:
    """Give ``module`` a new head with ``n_outputs`` outputs, in place.

    Nothing changes when the head already has ``n_outputs`` outputs. A module
    whose output is the network itself (a bare ``torch.nn.Linear``) is
    returned rebuilt.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    n_outputs : int
        Outputs the head must have: the number of classes, or of targets.

    Returns
    -------
    module : torch.nn.Module
        The network with its new head (the same object, except for a bare
        ``torch.nn.Linear``).

    See Also
    --------
    find_head : Which layer is the head.
    load_backbone_weights : Load pretrained weights, keeping the head.

    Examples
    --------
    >>> import torch
    >>> from sklearn_tune.nn import TabularMLP, replace_head
    >>> mlp = replace_head(TabularMLP(n_features=4, n_classes=3), 5)
    >>> mlp(torch.zeros(2, 4)).shape
    torch.Size([2, 5])
    """
    name = find_head(module)
    if name is None:
        return module
    old = module.get_submodule(name)
    if old.out_features == n_outputs:
        return module
    new = nn.Linear(old.in_features, n_outputs, bias=old.bias is not None)
    new = new.to(device=old.weight.device, dtype=old.weight.dtype)
    if name == "":
        return new
    parent, _, attr = name.rpartition(".")
    setattr(module.get_submodule(parent), attr, new)
    return module


def _stage_children(module, head):
    """Top-level child names grouped into stages; the head's own child excluded."""
    stages: list[list[str]] = []
    for name, child in module.named_children():
        if name == head or not any(True for _ in child.parameters()):
            continue
        if isinstance(child, _NORMS) and stages:
            stages[-1].append(name)
        else:
            stages.append([name])
    return stages


def make_freeze_plan(module: nn.Module, n_trainable_stages=None) -> FreezePlan:
    """Split ``module`` into stages and head, and choose the frozen parameters.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    n_trainable_stages : int or None, default=None
        Backbone stages trained, counted from the head down: 0 trains the head
        only; None, or a number at least the number of stages, trains all.

    Returns
    -------
    plan : FreezePlan
        The names of each stage's parameters, and of the frozen ones.

    See Also
    --------
    FreezePlan : What the plan holds.
    FineTuneClassifier : Its ``n_trainable_stages`` freezes a network this way.

    Examples
    --------
    >>> from sklearn_tune.nn import make_freeze_plan, make_resnet
    >>> net = make_resnet("resnet8", n_classes=10)
    >>> head_only = make_freeze_plan(net, n_trainable_stages=0)
    >>> everything = make_freeze_plan(net)
    >>> len(head_only.frozen) > 0, everything.frozen
    (True, [])
    """
    wrapper_prefix, module = _unwrap(module)
    head = find_head(module)
    head_prefix = "" if head == "" else f"{head}."
    names = [name for name, _ in module.named_parameters()]
    head_params = [
        n
        for n in names
        if head is not None and (head == "" or n.startswith(head_prefix))
    ]
    top = head.split(".")[0] if head else None
    children = _stage_children(module, top if head and "." not in head else None)
    stages = []
    for group in children:
        prefixes = tuple(f"{child}." for child in group)
        stages.append(
            [n for n in names if n.startswith(prefixes) and n not in head_params]
        )
    stages = [stage for stage in stages if stage]
    # Parameters of the module itself (a ViT's cls_token and pos_embed) feed
    # the first stage: they join it, and are frozen and scaled with it.
    own = [
        name
        for name, _ in module.named_parameters(recurse=False)
        if name not in head_params
    ]
    if own:
        stages = [own + stages[0], *stages[1:]] if stages else [own]
    n_frozen = 0
    if n_trainable_stages is not None:
        n_frozen = max(len(stages) - n_trainable_stages, 0)
    frozen = [n for stage in stages[:n_frozen] for n in stage]
    frozen_children = tuple(f"{c}." for group in children[:n_frozen] for c in group)
    frozen_children_exact = {c for group in children[:n_frozen] for c in group}
    frozen_norms = [
        name
        for name, child in module.named_modules()
        if isinstance(child, _NORMS)
        and (name in frozen_children_exact or name.startswith(frozen_children))
    ]
    if wrapper_prefix:
        stages = [[wrapper_prefix + n for n in stage] for stage in stages]
        head_params, frozen, frozen_norms = (
            [wrapper_prefix + n for n in names]
            for names in (head_params, frozen, frozen_norms)
        )
    return FreezePlan(stages, head_params, frozen, frozen_norms)


def _unwrap(module):
    """The network inside wrappers with a single child, and the names' prefix.

    ``torch.compile`` returns a module whose only child, ``_orig_mod``, is the
    network; a user's wrapper (``self.model = resnet``) looks the same. Stages
    are found in the network itself, and named as the wrapper names them.
    """
    prefix = ""
    while True:
        children = list(module.named_children())
        if len(children) != 1 or any(True for _ in module.parameters(recurse=False)):
            return prefix, module
        name, module = children[0]
        prefix += f"{name}."


class _StageFreezer(Freezer):
    """skorch's Freezer, applied to the frozen stages of the net's freeze plan.

    The parameters to freeze are only known once the module is built, so they
    are looked up in ``net.freeze_plan_`` when the first epoch begins.
    """

    def __init__(self, patterns="*", **kwargs):
        super().__init__(patterns, **kwargs)

    def named_parameters(self, net):
        frozen = set(net.freeze_plan_.frozen)
        return (
            (name, param)
            for name, param in net.get_all_learnable_params()
            if name in frozen
        )
