"""Stop a search whose best score has stopped improving."""

import math
from numbers import Integral, Real

from .._compat import Interval
from ..exceptions import StopSearch
from ._base import Callback, _validate


class EarlyStopping(Callback):
    """Stop when the best score has not improved for ``patience`` batches.

    A batch is one Bayesian step (``n_points`` candidates) or one generation.
    With multi-fidelity (``resource=...``) only the batches at the full
    budget count, one per bracket: a score after a little training is not
    compared with full-budget ones, as ``best_score_`` never is.

    Parameters
    ----------
    patience : int, default=10
        Batches without an improvement larger than ``min_delta`` before stopping.
    min_delta : float, default=0.0
        Smallest rise of the best score that counts as an improvement (fall,
        when the search minimises: ``GeneticSearchCV(criteria="min")``).

    See Also
    --------
    DeadlineStopper : End a search after a given time.
    sklearn_tune.exceptions.StopSearch : What a callback raises to end a search.

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
        # GeneticSearchCV(criteria="min") minimises: compare -score there
        self.sign_ = -1.0 if getattr(search, "criteria", "max") == "min" else 1.0
        self.best_score_ = -math.inf * self.sign_
        self.n_without_improvement_ = 0

    def on_batch_end(self, search, *, scores, n_resources=None, **kwargs):
        if n_resources is not None and n_resources != search.max_resources_:
            return  # multi-fidelity: a rung below the full budget
        sign = self.sign_
        finite = [sign * s for s in scores if math.isfinite(s)]
        batch_best, best = max(finite, default=-math.inf), sign * self.best_score_
        self.best_score_ = sign * max(batch_best, best)
        if batch_best > best + self.min_delta or (
            best == -math.inf and math.isfinite(batch_best)
        ):
            self.n_without_improvement_ = 0
            return
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
