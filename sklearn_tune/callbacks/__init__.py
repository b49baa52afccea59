"""Callbacks for the searchers: pass them to ``fit(X, y, callback=...)``.

Plain callables ``f(result) -> bool`` work as in :class:`skopt.BayesSearchCV`,
so scikit-optimize's own ``DeadlineStopper``, ``DeltaYStopper`` and friends
can be passed unchanged.

``TensorBoardEpochLogger`` is a skorch callback, for the ``callbacks`` of a
:mod:`sklearn_tune.nn` estimator: it is imported (with skorch and PyTorch) only
when asked for.
"""

from ._base import Callback
from ._deadline import DeadlineStopper
from ._early_stopping import EarlyStopping
from ._mlflow import MLflowLogger
from ._progress import ProgressBar
from ._tensorboard import TensorBoardLogger

__all__ = [
    "Callback",
    "DeadlineStopper",
    "EarlyStopping",
    "MLflowLogger",
    "ProgressBar",
    "TensorBoardLogger",
]


def __getattr__(name):
    # A skorch callback: importing it imports torch, which
    # `import sklearn_tune.callbacks` must not.
    if name == "TensorBoardEpochLogger":
        from .._extras import import_extra

        import_extra("skorch", "nn", "TensorBoardEpochLogger (a skorch callback)")
        import_extra("tensorboardX", "tensorboard", "TensorBoardEpochLogger")
        from ._tensorboard_epochs import TensorBoardEpochLogger

        return TensorBoardEpochLogger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
