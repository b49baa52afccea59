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

# --- batches whose fits all fail -------------------------------------------
#
# BaseSearchCV's evaluate_candidates raises "All the N fits failed" when every
# fit of one call fails. GridSearchCV makes a single call, so that means the
# whole search failed; a sequential search makes one call per batch, and one
# bad candidate in a batch of one would end it. Inside `record_fit_errors`, such
# a batch warns as a partly failed one does (its rows get error_score), and the
# per-fit error messages of every batch are kept for the search loop, which
# raises its own error if every candidate of the whole search failed.

_state = threading.local()
_original_warn_or_raise = getattr(_sk_search, "_warn_or_raise_about_fit_failures", None)


def _warn_or_raise_about_fit_failures(results, error_score):
    if getattr(_state, "errors", None) is None:
        return _original_warn_or_raise(results, error_score)
    _state.errors.append([result.get("fit_error") for result in results])
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


if _original_warn_or_raise is not None:
    _sk_search._warn_or_raise_about_fit_failures = _warn_or_raise_about_fit_failures


@contextmanager
def record_fit_errors():
    """Collect the fit errors of each evaluate_candidates call in this thread.

    Yields a list that receives, per call, the list of per-fit error messages
    (None for a fit that succeeded), in the order BaseSearchCV fits them:
    candidate by candidate, split by split.
    """
    previous = getattr(_state, "errors", None)
    _state.errors = errors = []
    try:
        yield errors
    finally:
        _state.errors = previous
