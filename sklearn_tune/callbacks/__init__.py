"""Callbacks for the searchers: pass them to ``fit(X, y, callback=...)``.

Plain callables ``f(result) -> bool`` work as in :class:`skopt.BayesSearchCV`,
so scikit-optimize's own ``DeadlineStopper``, ``DeltaYStopper`` and friends
can be passed unchanged.
"""

from ._base import Callback
from ._deadline import DeadlineStopper
from ._early_stopping import EarlyStopping
from ._progress import ProgressBar

__all__ = ["Callback", "DeadlineStopper", "EarlyStopping", "ProgressBar"]
