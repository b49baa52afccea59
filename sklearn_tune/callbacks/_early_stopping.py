"""Stop a search whose best score has stopped improving."""

import math
from numbers import Integral, Real

from .._compat import Interval
from ..exceptions import StopSearch
from ._base import Callback, _validate


class EarlyStopping(Callback):
    """Stop when the best score has not improved for ``patience`` batches.

    A batch is one Bayesian step (``n_points`` candidates) or one generation.

    Parameters
    ----------
    patience : int, default=10
        Batches without an improvement larger than ``min_delta`` before stopping.
    min_delta : float, default=0.0
        Smallest rise of the best score that counts as an improvement.

    Examples
    --------
    >>> from sklearn_tune.callbacks import EarlyStopping
    >>> EarlyStopping(patience=5)
    EarlyStopping(patience=5, min_delta=0.0)
    """

    _parameter_constraints = {
        "patience": [Interval(Integral, 1, None, closed="left")],
        "min_delta": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, patience=10, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta

    def on_search_begin(self, search, **kwargs):
        _validate(self)
        self.best_score_ = -math.inf
        self.n_without_improvement_ = 0

    def on_batch_end(self, search, *, scores, **kwargs):
        finite = [s for s in scores if math.isfinite(s)]
        batch_best = max(finite, default=-math.inf)
        if batch_best > self.best_score_ + self.min_delta or (
            self.best_score_ == -math.inf and math.isfinite(batch_best)
        ):
            self.best_score_ = max(batch_best, self.best_score_)
            self.n_without_improvement_ = 0
            return
        self.best_score_ = max(batch_best, self.best_score_)
        self.n_without_improvement_ += 1
        if self.n_without_improvement_ >= self.patience:
            raise StopSearch(
                f"EarlyStopping: no improvement above {self.min_delta} in "
                f"{self.patience} batches (best score {self.best_score_:.6g})"
            )

    def __repr__(self):
        return (
            f"EarlyStopping(patience={self.patience!r}, min_delta={self.min_delta!r})"
        )
