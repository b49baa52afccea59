"""Every use of private scikit-learn API lives here, and only here.

CI runs the oldest and the newest supported scikit-learn: a name that moves is
mended in this one file (skopt's BayesSearchCV broke on such drift,
scikit-optimize/scikit-optimize#762 and #978).
"""

from __future__ import annotations

import threading
import warnings
from contextlib import contextmanager

import sklearn
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import _search as _sk_search
from sklearn.model_selection._search import BaseSearchCV  # noqa: F401
from sklearn.utils._param_validation import (  # noqa: F401  (re-exported)
    HasMethods,
    Interval,
    StrOptions,
    validate_parameter_constraints,
)

SKLEARN_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])

# --- the per-split results of each batch, and replaying recorded ones ------
#
# Two hooks on names that BaseSearchCV's evaluate_candidates looks up in its own
# module at call time. Both behave exactly as scikit-learn's functions unless our
# search loop asks for more, so nothing changes for anyone else.
#
# 1. _warn_or_raise_about_fit_failures gets every fit's raw result (scores,
#    times, error). Inside `record_fit_results`, the loop keeps those results for
#    its crash-safe journal and its error messages. There, a batch whose fits all
#    fail also warns instead of raising: GridSearchCV makes one call, so "all
#    failed" means the whole search failed, but a sequential search makes one
#    call per batch, and one bad candidate in a batch of one would end it (the
#    loop raises its own error if every candidate of the search failed).
# 2. _fit_and_score returns the recorded result, without fitting, for a
#    candidate wrapped in `Recorded`: resuming a search from its journal feeds
#    the finished candidates through evaluate_candidates, so cv_results_ equals
#    that of an uninterrupted run.

_state = threading.local()
_original_warn_or_raise = _sk_search._warn_or_raise_about_fit_failures
_original_fit_and_score = _sk_search._fit_and_score


def _warn_or_raise_about_fit_failures(results, error_score):
    if getattr(_state, "results", None) is None:
        return _original_warn_or_raise(results, error_score)
    _state.results.append(results)
    failed = [r["fit_error"] for r in results if r.get("fit_error") is not None]
    if failed and len(failed) == len(results) and error_score != "raise":
        warnings.warn(
            f"\nAll the {len(results)} fits of this batch failed; their scores "
            f"are set to {error_score}. The first error:\n{failed[0]}",
            FitFailedWarning,
            stacklevel=2,
        )
        return None
    return _original_warn_or_raise(results, error_score)


class Recorded(dict):
    """A candidate's parameters, with the results of its finished fits attached.

    ``outs`` holds one result per CV split, as ``_fit_and_score`` returns it.
    """

    def __init__(self, params, outs):
        super().__init__(params)
        self.outs = outs

    def __reduce__(self):  # keep the payload across joblib's process boundary
        return (Recorded, (dict(self), self.outs))


def _fit_and_score(estimator, X, y, *, parameters=None, split_progress=None, **kw):
    if isinstance(parameters, Recorded) and parameters.outs is not None:
        return dict(parameters.outs[split_progress[0]])
    return _original_fit_and_score(
        estimator, X, y, parameters=parameters, split_progress=split_progress, **kw
    )


_sk_search._warn_or_raise_about_fit_failures = _warn_or_raise_about_fit_failures
_sk_search._fit_and_score = _fit_and_score


@contextmanager
def record_fit_results():
    """Collect the raw fit results of each evaluate_candidates call in this thread.

    Yields a list that receives, per call, the list of per-fit results (dicts
    with ``test_scores``, ``fit_time``, ``fit_error``...), in the order
    BaseSearchCV fits them: candidate by candidate, split by split.
    """
    previous = getattr(_state, "results", None)
    _state.results = collected = []
    try:
        yield collected
    finally:
        _state.results = previous
