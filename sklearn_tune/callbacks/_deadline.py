"""Stop a search after a time budget."""

import time
from numbers import Real

from .._compat import Interval
from ..exceptions import StopSearch
from ._base import Callback, _validate


class DeadlineStopper(Callback):
    """Stop the search once ``total_time`` seconds have passed.

    The clock is checked after each batch, so a search ends at most one batch
    after the deadline.

    Parameters
    ----------
    total_time : float
        Seconds the search may run, counted from its start.

    See Also
    --------
    EarlyStopping : End a search when the best score stops improving.
    ProgressBar : Show how far the search is.

    Examples
    --------
    >>> from sklearn_tune.callbacks import DeadlineStopper
    >>> DeadlineStopper(total_time=3600)
    DeadlineStopper(total_time=3600)
    """

    _parameter_constraints = {"total_time": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, total_time):
        self.total_time = total_time

    def on_search_begin(self, search, **kwargs):
        _validate(self)
        self.start_time_ = time.monotonic()

    def on_batch_end(self, search, **kwargs):
        if (elapsed := time.monotonic() - self.start_time_) > self.total_time:
            raise StopSearch(
                f"DeadlineStopper: {elapsed:.1f}s > total_time={self.total_time}s"
            )

    def __repr__(self):
        return f"DeadlineStopper(total_time={self.total_time!r})"
