"""Fine-tune PyTorch networks (ResNets) through skorch, tuned by the same searchers.

>>> from sklearn_tune.nn import FineTuneClassifier  # doctest: +SKIP

Needs the ``nn`` extra (torch and skorch); torchvision is optional, used only
for ``module="resnet18"``, ``"resnet34"`` and ``"resnet50"``. Importing
:mod:`sklearn_tune` does not import this subpackage or torch.
"""

try:
    import skorch  # noqa: F401
    import torch  # noqa: F401
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"sklearn_tune.nn needs torch and skorch ({err}). Install torch first "
        "(a bare torch requirement may pull GPU wheels you do not want), then "
        "`pip install sklearn-tune[nn]`."
    ) from err

from ..exceptions import GPUOutOfMemoryError
from ._augment import RandomCrop, RandomFlip
from ._estimator import FineTuneClassifier, FineTuneRegressor
from ._freezing import FreezePlan, find_head, make_freeze_plan, replace_head
from ._mlp import TabularMLP
from ._optim import LR_SCHEDULES, OPTIMIZERS, LRFactor, optimizer_recipe
from ._resnet import RESNETS, CifarResNet, load_backbone_weights, make_resnet
from ._spaces import make_finetune_space, make_mlp_space, make_optimizer_space

__all__ = [
    "CifarResNet",
    "FineTuneClassifier",
    "FineTuneRegressor",
    "FreezePlan",
    "GPUOutOfMemoryError",
    "LRFactor",
    "LR_SCHEDULES",
    "OPTIMIZERS",
    "RESNETS",
    "RandomCrop",
    "RandomFlip",
    "TabularMLP",
    "find_head",
    "load_backbone_weights",
    "make_finetune_space",
    "make_freeze_plan",
    "make_mlp_space",
    "make_optimizer_space",
    "make_resnet",
    "optimizer_recipe",
    "replace_head",
]
