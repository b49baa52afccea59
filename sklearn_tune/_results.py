"""Read a fitted search's ``cv_results_`` as numbers: scores and parameter columns.

Shared by :func:`sklearn_tune.importance` and :mod:`sklearn_tune.plots`, so
that both see the same parameters, log scales, categories and inactive values
for any scikit-learn ``BaseSearchCV``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .space import Categorical, _is_number, check_search_space

__all__ = [
    "FullBudget",
    "ParamColumn",
    "category_labels",
    "check_fitted_search",
    "finite_scores",
    "full_budget",
    "param_columns",
    "score_key",
    "score_sign",
]

# A numeric parameter whose positive values span this ratio or more is read on
# a log scale when the search does not say (GridSearchCV, RandomizedSearchCV).
_LOG_SPAN = 100.0


def check_fitted_search(search, caller):
    """Raise a clear error unless ``search`` has ``cv_results_``."""
    if not hasattr(search, "cv_results_"):
        raise TypeError(
            f"{caller} needs a fitted search with cv_results_ (GeneticSearchCV, "
            f"BayesSearchCV, GridSearchCV, RandomizedSearchCV, ...); got "
            f"{type(search).__name__}. Call search.fit(X, y) first."
        )
    return search.cv_results_


def _metrics(results):
    return [key[len("mean_test_") :] for key in results if key.startswith("mean_test_")]


def score_key(search, metric, caller):
    """The ``cv_results_`` key of the scores to show, and the metric's name.

    ``metric=None`` means the refit metric of a multi-metric search, or its
    first metric when ``refit`` does not name one.
    """
    results = check_fitted_search(search, caller)
    metrics = _metrics(results)
    if metric is None:
        if "score" in metrics:
            return "mean_test_score", "score"
        refit = getattr(search, "refit", None)
        metric = refit if isinstance(refit, str) and refit in metrics else metrics[0]
        return f"mean_test_{metric}", metric
    if metric not in metrics:
        raise ValueError(
            f"{caller}(metric={metric!r}): the search has no scores for this "
            f"metric. cv_results_ holds {sorted(metrics)}; pass one of them, or "
            "metric=None for the refit metric."
        )
    return f"mean_test_{metric}", metric


@dataclass
class ParamColumn:
    """One parameter of a search, as numbers.

    Attributes
    ----------
    name : str
        The parameter name, e.g. ``"clf__C"``.
    categories : list or None
        The choices, in order of first appearance, for a categorical parameter;
        None for a numeric one.
    log : bool
        Whether a numeric parameter is read on a log scale.
    values : ndarray of float
        One per ``cv_results_`` row: the value (its ``log10`` when ``log``) or
        the index of the choice; NaN where the parameter is inactive.
    raw : list
        The values as the search set them (None where inactive).
    """

    name: str
    categories: list | None
    log: bool
    values: np.ndarray
    raw: list

    @property
    def active(self):
        """Rows where the parameter was set."""
        return ~np.isnan(self.values)

    def labels(self):
        """Short text for each category."""
        return category_labels(self.categories or [])


def category_labels(categories):
    """Short text for each choice: an estimator's class name, other values
    cut to 24 characters; where two choices would read the same, their
    (cut) text."""
    labels = [_label(c) for c in categories]
    if len(set(labels)) < len(labels):
        labels = [_cut(str(c)) for c in categories]
    return labels


def _label(value):
    if hasattr(value, "get_params"):
        return type(value).__name__
    return _cut(str(value))


def _cut(text):
    return text if len(text) <= 24 else text[:21] + "..."


def _declared_dimensions(search):
    """The dimensions our searchers declare, by name (None for other searches)."""
    spaces = getattr(search, "search_spaces", None)
    if spaces is None or not hasattr(search, "_make_strategy"):
        return None
    try:
        subspaces = check_search_space(spaces)
    except (TypeError, ValueError):
        return None
    dims = {}
    for subspace in subspaces:
        for name, dimension in subspace.dimensions.items():
            dims.setdefault(name, dimension)
    return dims


def _index_of(categories, value):
    """Position of ``value`` among ``categories``, appended when new."""
    if categories:
        try:
            return Categorical(categories).index(value)
        except ValueError:
            pass
    categories.append(value)
    return len(categories) - 1


def param_columns(search):
    """The parameters of ``search.cv_results_["params"]``, one column each.

    Categorical parameters are those our searchers declare as Categorical and
    any parameter with a non-numeric value. Numeric parameters are on a log
    scale when declared log-uniform, or, for other searches, when their values
    are positive and span a ratio of at least 100.
    """
    params = search.cv_results_["params"]
    declared = _declared_dimensions(search) or {}
    names = sorted({name for candidate in params for name in candidate})
    columns = []
    for name in names:
        raw = [candidate.get(name) for candidate in params]
        present = [name in candidate for candidate in params]
        values = [v for v, p in zip(raw, present) if p]
        dimension = declared.get(name)
        categorical = (
            isinstance(dimension, Categorical)
            if dimension is not None
            else not all(_is_number(v) for v in values)
        )
        encoded = np.full(len(params), np.nan)
        if categorical:
            categories = (
                list(dimension.categories) if isinstance(dimension, Categorical) else []
            )
            for row, (value, p) in enumerate(zip(raw, present)):
                if p:
                    encoded[row] = _index_of(categories, value)
            columns.append(ParamColumn(name, categories, False, encoded, raw))
            continue
        numbers_ = np.array([float(v) for v in values])
        if dimension is not None:
            log = bool(getattr(dimension, "log", False))
        else:
            finite = numbers_[np.isfinite(numbers_)]
            log = bool(
                len(finite)
                and finite.min() > 0
                and finite.max() / finite.min() >= _LOG_SPAN
            )
        encoded[np.array(present)] = np.log10(numbers_) if log else numbers_
        columns.append(ParamColumn(name, None, log, encoded, raw))
    return columns


def finite_scores(results, key):
    """The scores as floats, NaN where a candidate failed."""
    scores = np.asarray(results[key], dtype=float)
    return np.where(np.isfinite(scores), scores, math.nan)


def score_sign(search):
    """+1 when a higher score is better, -1 under ``criteria="min"``."""
    return -1.0 if getattr(search, "criteria", "max") == "min" else 1.0


@dataclass
class FullBudget:
    """The rows of a multi-fidelity search that its ``best_*`` choose among.

    Attributes
    ----------
    rows : ndarray of bool
        One per ``cv_results_`` row: trained with ``n_resources``.
    n_resources : int
        The highest budget in ``cv_results_``: the full budget, unless the
        search ended before any candidate reached it.
    resource : str or None
        The estimator parameter that carries the budget (in ``params``); None
        when the budget is the number of samples.
    """

    rows: np.ndarray
    n_resources: int
    resource: str | None


def full_budget(search):
    """A :class:`FullBudget` for a multi-fidelity search (ours with
    ``resource``, scikit-learn's halving searches); None for any other."""
    results = search.cv_results_
    if "n_resources" not in results:
        return None
    budgets = np.asarray(results["n_resources"])
    resource = getattr(search, "resource", None)
    params = results["params"]
    if not any(resource in candidate for candidate in params):
        resource = None  # "n_samples", or a search without one
    top = budgets.max()
    return FullBudget(budgets == top, int(top), resource)
