"""Every candidate a search evaluated, with what each of its CV fits returned.

The search loop keeps one :class:`Evaluations` per ``fit``. Candidates enter it
from three places: fitted by ``BaseSearchCV``'s ``evaluate_candidates``,
replayed from a checkpoint without fitting, or failed as a whole batch (which
``evaluate_candidates`` reports by raising instead of returning results). It is
the single source of ``cv_results_``, built by scikit-learn's own formatting,
and of the score each candidate earned.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata

from ._compat import format_results

FitResult = dict[str, Any]  # one CV split's result, as _fit_and_score returns it

_NON_FINITE = r"One or more of the (test|train) scores are non-finite"


@dataclass
class Evaluation:
    """One candidate: its parameters, one result per CV split, and its batch."""

    params: dict[str, Any]
    fit_results: list[FitResult]
    iter: int
    n_resources: int | None = None  # the budget, with multi-fidelity

    @property
    def error(self) -> str | None:
        """The first fit error of the candidate, or None when every fit ran."""
        return next((r["fit_error"] for r in self.fit_results if r["fit_error"]), None)

    def score(self, metric: str | None) -> float:
        """Mean test score (of ``metric`` when several); nan when any fit failed.

        A failed candidate never gets a score, not even ``error_score``: a
        strategy must not rank it among the ones that ran.
        """
        if self.error is not None:
            return math.nan
        values = [
            r["test_scores"] if metric is None else r["test_scores"][metric]
            for r in self.fit_results
        ]
        mean = float(np.mean(values))
        return mean if math.isfinite(mean) else math.nan


def metric_of(search, evaluations) -> str | None:
    """The metric ``search`` maximises, as ``evaluations`` (a list of
    :class:`Evaluation`) show it: None for a single score."""
    first = next((e for e in evaluations if e.error is None), None)
    if first is None or not isinstance(first.fit_results[0]["test_scores"], dict):
        return None
    names = list(first.fit_results[0]["test_scores"])
    return search.refit if search.refit in names else names[0]


def failed_fit_results(n_splits: int, error: str, train: bool) -> list[FitResult]:
    """Results of ``n_splits`` fits that all failed with ``error``.

    Scores are filled in by :meth:`Evaluations.cv_results`, once the shape of a
    score (one number or one per metric) is known.
    """
    result = {
        "fit_error": error,
        "test_scores": None,
        "n_test_samples": 0,
        "fit_time": math.nan,
        "score_time": math.nan,
    }
    if train:
        result["train_scores"] = None
    return [dict(result) for _ in range(n_splits)]


class Evaluations:
    """The evaluated candidates of one search, in order, looked up by key."""

    def __init__(self, key):
        self.key = key  # candidate -> hashable key, equal for equal settings
        self.items: list[Evaluation] = []
        self._by_key: dict[Any, Evaluation] = {}

    def __len__(self):
        return len(self.items)

    def has(self, candidate, n_resources=None) -> bool:
        return self.key(candidate, n_resources) in self._by_key

    def get(self, candidate, n_resources=None) -> Evaluation:
        return self._by_key[self.key(candidate, n_resources)]

    def add(self, params, fit_results, iter, n_resources=None) -> Evaluation:
        evaluation = Evaluation(dict(params), list(fit_results), iter, n_resources)
        self.items.append(evaluation)
        self._by_key[self.key(params, n_resources)] = evaluation
        return evaluation

    @property
    def failed(self) -> list[Evaluation]:
        return [e for e in self.items if e.error is not None]

    def metric(self, search) -> str | None:
        """The metric the search maximises: None for a single score."""
        return metric_of(search, self.items)

    def cv_results(self, search, n_splits, *, quiet=True) -> dict[str, Any]:
        """``cv_results_`` of every candidate so far, formatted by scikit-learn.

        With ``quiet``, scikit-learn's "non-finite scores" warning is left out:
        the search gives it once, at its end, not after every batch.
        """
        fit_results = [dict(r) for e in self.items for r in e.fit_results]
        _fill_error_scores(fit_results, search)
        more = {"iter": [e.iter for e in self.items]}
        if any(e.n_resources is not None for e in self.items):
            more["n_resources"] = [e.n_resources for e in self.items]
        with warnings.catch_warnings():
            if quiet:
                warnings.filterwarnings("ignore", _NON_FINITE, UserWarning)
            results = format_results(
                search,
                [e.params for e in self.items],
                n_splits,
                fit_results,
                more,
            )
        for key in [k for k in results if k.startswith("mean_train_")]:
            results["rank_train_" + key[len("mean_train_") :]] = _rank(results[key])
        failed = [e.error is not None for e in self.items]
        searched = self.metric(search) or "score"
        for key in [k for k in results if k.startswith("mean_test_")]:
            metric = key[len("mean_test_") :]
            sign = search._score_sign if metric == searched else 1.0
            if sign > 0 and not any(failed):
                continue  # scikit-learn's own ranks
            # failures last, whatever error_score they were given (a number
            # such as error_score=1.0 would rank them first); rank 1 is the
            # lowest score of the metric searched under criteria="min"
            means = np.asarray(results[key], dtype=float)
            results[f"rank_test_{metric}"] = _rank(
                np.where(failed, np.nan, sign * means)
            )
        return results

    def failure_summary(self, error_score) -> str:
        """One message about every failed fit of the search, grouped by error."""
        failed = self.failed
        errors = Counter(
            r["fit_error"] for e in failed for r in e.fit_results if r["fit_error"]
        )
        n_fits = sum(len(e.fit_results) for e in self.items)
        details = "\n".join(
            f"{'-' * 80}\n{n} fits failed with the following error:\n{error}"
            for error, n in errors.items()
        )
        return (
            f"{len(failed)} of the {len(self.items)} candidates failed to fit "
            f"({sum(errors.values())} of {n_fits} fits). Their scores in "
            f"cv_results_ are error_score={error_score!r}, and the search treated "
            "them as failures, never as scores. Set error_score='raise' to see "
            f"the full traceback. The errors:\n{details}"
        )


def _fill_error_scores(fit_results, search):
    """Give fits that failed as a whole batch the score shape of the others."""
    template = next(
        (r["test_scores"] for r in fit_results if r["test_scores"] is not None), None
    )
    if isinstance(template, dict):
        names = list(template)
    elif template is None and isinstance(search.scoring, (dict, list, tuple, set)):
        names = list(search.scoring)
    else:
        names = None
    for result in fit_results:
        for key in ("test_scores", "train_scores"):
            if key in result and result[key] is None:
                value = search.error_score
                result[key] = value if names is None else dict.fromkeys(names, value)


def _rank(means):
    """Ranks of mean scores, failed (nan) ones last, as scikit-learn ranks tests."""
    means = np.asarray(means, dtype=float)
    if np.isnan(means).all():
        return np.ones(len(means), dtype=np.int32)
    means = np.nan_to_num(means, nan=np.nanmin(means) - 1)
    return rankdata(-means, method="min").astype(np.int32)
