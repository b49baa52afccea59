"""Every use of private scikit-learn API lives here, and only here.

CI runs the oldest and the newest supported scikit-learn: a name that moves is
mended in this one file (skopt's BayesSearchCV broke on such drift,
scikit-optimize/scikit-optimize#762 and #978).

Nothing here replaces a scikit-learn function: the hooks are methods of our own
subclass, so a ``GridSearchCV`` running inside or beside one of our searches
behaves exactly as it does without sklearn_tune.
"""

from __future__ import annotations

import re

from sklearn.model_selection._search import BaseSearchCV as _BaseSearchCV
from sklearn.model_selection._validation import _fit_and_score
from sklearn.utils._param_validation import (  # noqa: F401  (re-exported)
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)


class BaseSearchCV(_BaseSearchCV):
    """scikit-learn's ``BaseSearchCV``, handing each batch's raw results to us.

    ``evaluate_candidates`` formats ``cv_results_`` from every fit's raw result
    (scores, times, ``fit_error``) by calling ``self._format_results``. This
    subclass routes that call to :meth:`_collect_fit_results`, which our search
    loop implements: it keeps the per-split results (for its journal and its
    failure handling) and returns the ``cv_results_`` of the whole search,
    candidates replayed from a checkpoint included.
    """

    def _format_results(self, candidate_params, n_splits, out, more_results=None):
        return self._collect_fit_results(candidate_params, n_splits, out)

    def _collect_fit_results(self, candidate_params, n_splits, out):
        return format_results(self, candidate_params, n_splits, out, None)


def format_results(search, candidate_params, n_splits, out, more_results):
    """``cv_results_`` as scikit-learn builds it from per-split fit results."""
    return _BaseSearchCV._format_results(
        search, candidate_params, n_splits, out, more_results
    )


def fit_and_score(estimator, X, y, *, train, test, parameters, **kwargs):
    """Fit ``estimator`` itself (no clone) on one split and score it, returning
    the result dict ``evaluate_candidates`` gets, with the fitted estimator."""
    return _fit_and_score(
        estimator,
        X,
        y,
        train=train,
        test=test,
        parameters=parameters,
        return_n_test_samples=True,
        return_times=True,
        return_estimator=True,
        **kwargs,
    )


def fit_and_score_options(search, fit_params):
    """The options ``BaseSearchCV.fit`` gives every fit (metadata routing off)."""
    scorers, _ = search._get_scorers()
    return {
        "scorer": scorers,
        "verbose": search.verbose,
        "fit_params": {k: v for k, v in fit_params.items() if k != "groups"},
        "score_params": {},
        "return_train_score": search.return_train_score,
        "error_score": search.error_score,
    }


def select_best_index(refit, refit_metric, results):
    """The best row of ``results``, as scikit-learn's searches choose it."""
    return _BaseSearchCV._select_best_index(refit, refit_metric, results)


def search_scorers(search):
    """``(scorer_, multi-metric refit name)`` as ``BaseSearchCV.fit`` sets them."""
    scorers, refit_metric = search._get_scorers()
    inner = getattr(scorers, "_scorers", None)  # a _MultimetricScorer
    return (scorers if inner is None else inner), refit_metric


# The error BaseSearchCV raises when every fit of one evaluate_candidates call
# failed ("All the 5 fits failed."), and the warning it gives when some did
# ("2 fits failed out of a total of 5."): a sequential search makes one call
# per batch, so neither says anything about the whole search.
_ALL_FAILED = re.compile(r"\s*All the (\d+) fits failed\.")
_SOME_FAILED = re.compile(r"\s*(\d+) fits failed out of a total of (\d+)\.")


def all_fits_failed(error: BaseException) -> int | None:
    """The number of fits when ``error`` is BaseSearchCV's "all the fits of this
    call failed", else None."""
    match = _ALL_FAILED.match(str(error)) if type(error) is ValueError else None
    return None if match is None else int(match.group(1))


def is_fit_failed_summary(message: str, n_failed: int, n_fits: int) -> bool:
    """Whether ``message`` is BaseSearchCV's FitFailedWarning for these counts."""
    match = _SOME_FAILED.match(message)
    return match is not None and match.groups() == (str(n_failed), str(n_fits))
