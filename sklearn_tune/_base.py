"""The one search loop every searcher shares.

``BaseSearchCV`` does the cross-validation, joblib, scoring, refit and
``cv_results_``. What is not "how to choose the next candidates" lives here,
once: the ask/evaluate/tell loop, budgets, callbacks, the cache that never fits
a candidate twice, failed fits, interrupts, ``stop_reason_`` and verbose output.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import warnings
from abc import abstractmethod
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import joblib
import numpy as np
from scipy.stats import rankdata
from sklearn.utils import check_random_state

from ._compat import BaseSearchCV, Recorded, record_fit_results
from ._journal import FORMAT as JOURNAL_FORMAT
from ._journal import VERSION as JOURNAL_VERSION
from ._journal import Journal, decode_params, encode_params, fingerprint
from ._strategy import Candidate, _SubspaceChain
from .callbacks._base import _CallbackList, _EndSubspace
from .exceptions import SearchWarning, StopSearch
from .space import check_search_space

__all__ = ["BaseTuneSearchCV"]


def _candidate_key(candidate: Candidate) -> str:
    """A key equal for equal parameter settings (values compared by repr)."""
    return repr(sorted(candidate.items()))


def _describe_params(estimator) -> str:
    """Every parameter of ``estimator``, nested ones included, as text."""
    try:
        params = estimator.get_params(deep=True)
    except Exception:
        return repr(estimator)
    return repr(sorted((k, repr(v)) for k, v in params.items()))


@dataclass
class _Run:
    """What one call of ``_run_search`` carries from batch to batch."""

    evaluate_candidates: Any
    strategy: _SubspaceChain
    subspaces: list
    journal: Journal | None
    seen: dict = field(default_factory=dict)  # candidate key -> (score, error)
    results: dict = field(default_factory=dict)  # cv_results_ so far
    fit_results: list = field(default_factory=list)  # raw results, one list a call
    search_ctx: Any = None


class BaseTuneSearchCV(BaseSearchCV):
    """Base class of the searchers: one loop, and a strategy per sub-space.

    Subclasses store their parameters in ``__init__`` and implement
    ``_make_strategy(subspace, random_state)``, and ``_budget()`` (the number of
    candidates a full search asks for).
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "search_spaces": [dict, list],
        "random_state": ["random_state"],
        "checkpoint": [str, os.PathLike, None],
    }
    _budget_param = "n_iter"

    @abstractmethod
    def __init__(
        self,
        estimator,
        search_spaces,
        *,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        checkpoint=None,
    ):
        self.search_spaces = search_spaces
        self.random_state = random_state
        self.checkpoint = checkpoint
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )

    # -- to implement ---------------------------------------------------------

    @abstractmethod
    def _make_strategy(self, subspace, random_state):
        """Build the strategy that searches one :class:`~.space.SubSpace`."""

    @abstractmethod
    def _budget(self):
        """Number of candidates a full search asks for."""

    def _check_search_params(self, subspaces):
        """Validate what ``_parameter_constraints`` cannot; called before any fit."""

    # -- fit ------------------------------------------------------------------

    def fit(self, X, y=None, *, groups=None, callback=None, **fit_params):
        """Run the search: evaluate candidates by cross-validation, then refit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Target; None for unsupervised learning.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter such as ``GroupKFold``.
        callback : callable, Callback, or list of them, default=None
            Called after every batch of candidates. A
            :class:`~sklearn_tune.callbacks.Callback` gets every hook; a plain
            callable is called as :class:`skopt.BayesSearchCV` calls it, with the
            current sub-space's ``OptimizeResult``, and returning True ends that
            sub-space (the search, when there is one sub-space).
        **fit_params : dict
            Passed to the estimator's ``fit`` (and to scorers and splitter, as
            in :class:`~sklearn.model_selection.GridSearchCV`).

        Returns
        -------
        self : object
            The fitted search.
        """
        self._callbacks = _CallbackList(callback)  # a bad callback fails here
        params = {**(getattr(self, "fit_params", None) or {}), **fit_params}
        if groups is not None:
            params["groups"] = groups
        self._interrupted = False
        if self.checkpoint is not None:  # a checkpoint resumes on the same data only
            self._data_digest = joblib.hash((X, y, params))
        refit = self.refit
        try:
            super().fit(X, y, **params)
        finally:
            self.refit = refit  # set to False by an interrupt, to skip the refit
            del self._callbacks
            self.__dict__.pop("_data_digest", None)
        if self._interrupted:
            self._set_best_without_refit()
        if self.return_train_score:  # as skopt and sklearn-genetic-opt do
            for key in [k for k in self.cv_results_ if k.startswith("mean_train_")]:
                self.cv_results_["rank_train_" + key[len("mean_train_") :]] = rankdata(
                    -np.asarray(self.cv_results_[key]), method="min"
                ).astype(np.int32)
        return self

    # -- the loop -------------------------------------------------------------

    def _run_search(self, evaluate_candidates, callback_ctx=None):
        subspaces = check_search_space(self.search_spaces, self.estimator)
        self._check_search_params(subspaces)
        self._check_refit_metric()
        seed = self._seed()
        journal = None
        if self.checkpoint is not None:
            journal = Journal.open(
                self.checkpoint, self._journal_header(subspaces, seed)
            )
            seed = journal.header["seed"]  # a resumed search draws what it drew
        random_state = np.random.RandomState(seed)
        strategy = _SubspaceChain(
            [self._make_strategy(sub, random_state) for sub in subspaces]
        )
        run = _Run(evaluate_candidates, strategy, subspaces, journal)
        if callback_ctx is not None:  # scikit-learn >= 1.9: set_callbacks(...)
            run.search_ctx = callback_ctx.subcontext(
                task_name="search", max_subtasks=None
            ).call_on_fit_task_begin(estimator=self)

        callbacks = self._callbacks
        reason = f"{self._budget_param} reached"
        callbacks.on_search_begin(self, strategy=strategy)
        try:
            with record_fit_results() as run.fit_results:
                for i in itertools.count():
                    candidates = strategy.ask()
                    if not candidates:
                        break
                    callbacks.on_batch_begin(self, iter=i, candidates=candidates)
                    scores = self._evaluate_batch(run, candidates, i)
                    strategy.tell(candidates, self._scores_to_tell(scores, run.seen))
                    self._print_progress(i, candidates, scores, run.seen)
                    try:
                        callbacks.on_batch_end(
                            self,
                            iter=i,
                            candidates=candidates,
                            scores=[s for s, _ in scores],
                            results=run.results,
                            result=strategy.result,
                            strategy=strategy,
                        )
                    except _EndSubspace as stop:
                        reason = str(stop)
                        if not strategy.end_subspace():
                            break
        except StopSearch as stop:
            reason = str(stop)
        except KeyboardInterrupt:
            if not run.seen:
                raise
            reason = "interrupted by KeyboardInterrupt"
            # Keep what finished and return promptly: no refit of the best.
            self._interrupted, self.refit = True, False
            resume = (
                f" Fit again with checkpoint={os.fspath(self.checkpoint)!r} to resume."
                if journal is not None
                else " Set checkpoint=<path> to be able to resume."
            )
            warnings.warn(
                f"{type(self).__name__} was interrupted (Ctrl-C) after "
                f"{len(run.seen)} candidates: cv_results_, best_params_ and "
                f"best_score_ hold what finished; the best candidate was not "
                f"refitted.{resume}",
                SearchWarning,
                stacklevel=2,
            )
        finally:
            callbacks.on_search_end(self)
            if run.search_ctx is not None:
                run.search_ctx.call_on_fit_task_end(estimator=self)
            if journal is not None:
                journal.close()
        self.stop_reason_ = reason
        self._raise_if_all_failed(run.seen)

    def _set_best_without_refit(self):
        """Set best_index_, best_score_ and best_params_ from the ranks."""
        metric = self.refit if isinstance(self.refit, str) else "score"
        results = self.cv_results_
        self.best_index_ = int(np.argmin(results[f"rank_test_{metric}"]))
        self.best_score_ = results[f"mean_test_{metric}"][self.best_index_]
        self.best_params_ = results["params"][self.best_index_]

    def _evaluate_batch(self, run, candidates, i):
        """Fit the candidates not seen before; return (score, error) per candidate.

        With a checkpoint, a batch the journal already holds is replayed from it
        instead of being fitted, and a new batch is recorded once it finishes.
        """
        keys = [_candidate_key(c) for c in candidates]
        new = {}
        for candidate, key in zip(candidates, keys):
            if key not in run.seen and key not in new:
                new[key] = candidate
        if not new:
            return [run.seen[key] for key in keys]

        subspace = run.strategy.index
        dimensions = run.subspaces[subspace].dimensions
        recorded = run.journal is not None and i < len(run.journal.records)
        batch = list(new.values())
        if recorded:
            batch = self._replayed(
                run.journal.records[i], batch, i, subspace, dimensions
            )
        kwargs = {}
        batch_ctx = None
        if run.search_ctx is not None:
            batch_ctx = run.search_ctx.subcontext(
                task_name="batch",
                max_subtasks=len(batch) * self.n_splits_,
                sequential_subtasks=False,
            ).call_on_fit_task_begin(estimator=self)
            kwargs["callback_ctx"] = batch_ctx
        n_calls = len(run.fit_results)
        try:
            run.results = run.evaluate_candidates(
                batch, more_results={"iter": [i] * len(batch)}, **kwargs
            )
        except Exception as err:
            if self.error_score == "raise" and hasattr(err, "add_note"):
                err.add_note(
                    f"{type(self).__name__} was evaluating the candidate(s) "
                    f"{[dict(c) for c in batch]}; set error_score=np.nan to score "
                    "failed fits as nan and go on."
                )
            raise
        if batch_ctx is not None:
            batch_ctx.call_on_fit_task_end(estimator=self)
        outs = run.fit_results[n_calls] if len(run.fit_results) > n_calls else None
        n_splits = len(outs) // len(batch) if outs else 0  # n_splits_ is set later
        per_candidate = [
            outs[j * n_splits : (j + 1) * n_splits] for j in range(len(batch))
        ]
        if run.journal is not None and not recorded and outs is not None:
            run.journal.append(
                {
                    "iter": i,
                    "subspace": subspace,
                    "candidates": [
                        {"params": encode_params(c, dimensions), "outs": own}
                        for c, own in zip(batch, per_candidate)
                    ],
                }
            )
        for candidate in batch:
            if isinstance(candidate, Recorded):
                candidate.outs = None  # the payload has served: keep cv_results_ light
        means = run.results[self._score_key(run.results)][-len(batch) :]
        for key, mean, own in zip(new, means, per_candidate):
            error = next((o["fit_error"] for o in own if o.get("fit_error")), None)
            if outs is None and not np.isfinite(mean):
                error = "non-finite score"
            run.seen[key] = (float(mean), error)
        return [run.seen[key] for key in keys]

    def _replayed(self, record, batch, i, subspace, dimensions):
        """The batch as the journal recorded it, checked against what was asked."""
        asked = [_candidate_key(c) for c in batch]
        stored = [decode_params(c["params"], dimensions) for c in record["candidates"]]
        if (
            record.get("iter") != i
            or record.get("subspace") != subspace
            or asked != [_candidate_key(c) for c in stored]
        ):
            raise ValueError(
                f"Checkpoint {self.checkpoint!r} does not replay: batch {i} asked "
                f"{[dict(c) for c in batch]} but the checkpoint recorded {stored}. "
                "The search settings or library versions changed since it was "
                "written; pass a new checkpoint path to start afresh."
            )
        return [
            Recorded(candidate, c["outs"])
            for candidate, c in zip(batch, record["candidates"])
        ]

    def _seed(self):
        """An int seed for the strategies, drawn without touching global states."""
        if self.random_state is None:
            return random.SystemRandom().randrange(np.iinfo(np.int32).max)
        return int(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )

    def _journal_header(self, subspaces, seed):
        params = self.get_params(deep=False)
        for name in (
            "estimator",
            "search_spaces",
            "scoring",
            "cv",
            "n_jobs",
            "pre_dispatch",
            "verbose",
            "checkpoint",
            "refit",
        ):
            params.pop(name, None)
        random_state = self.random_state
        if not (random_state is None or isinstance(random_state, Integral)):
            params.pop("random_state")  # an instance: resume uses the recorded seed
        return {
            "format": JOURNAL_FORMAT,
            "v": JOURNAL_VERSION,
            "searcher": type(self).__name__,
            "estimator": fingerprint(_describe_params(self.estimator)),
            "search_spaces": fingerprint(
                json.dumps(
                    [
                        [{k: d.to_dict() for k, d in s.dimensions.items()}, s.n_iter]
                        for s in subspaces
                    ]
                )
            ),
            "cv": fingerprint(self.cv),
            "scoring": fingerprint(self.scoring),
            "settings": fingerprint(sorted(params.items())),
            "data": {"sha256": self._data_digest, "repr": "X, y and fit parameters"},
            "seed": seed,
        }

    def _scores_to_tell(self, scores, seen):
        """Scores for the strategy: a failed fit counts as the worst success so far.

        The strategy never sees ``error_score`` itself, so a NaN or a huge
        negative ``error_score`` cannot crash or skew its model. Before any fit
        has succeeded, a failure is ``-inf``.
        """
        worst = min(
            (s for s, err in seen.values() if err is None and math.isfinite(s)),
            default=-math.inf,
        )
        return [s if err is None and math.isfinite(s) else worst for s, err in scores]

    def _score_key(self, results):
        if "mean_test_score" in results:
            return "mean_test_score"
        if isinstance(self.refit, str) and f"mean_test_{self.refit}" in results:
            return f"mean_test_{self.refit}"
        names = sorted(k[len("mean_test_") :] for k in results if "mean_test_" in k)
        raise ValueError(
            f"scoring returned several metrics {names} and refit={self.refit!r} "
            "names none of them. Set refit to the metric the search should "
            f"maximise, e.g. refit={names[0]!r}."
        )

    def _check_refit_metric(self):
        """Multi-metric scoring needs refit to name the metric to maximise."""
        scoring = self.scoring
        if isinstance(scoring, dict):
            names = list(scoring)
        elif isinstance(scoring, (list, tuple, set)):
            names = list(scoring)
        else:
            return
        if not (isinstance(self.refit, str) and self.refit in names):
            raise ValueError(
                f"With multi-metric scoring {names}, refit must name the metric "
                f"the search maximises; got refit={self.refit!r}. Use e.g. "
                f"refit={names[0]!r}."
            )

    def _raise_if_all_failed(self, seen):
        if seen and all(err is not None for _, err in seen.values()):
            first = next(err for _, err in seen.values())
            raise ValueError(
                f"All {len(seen)} candidates failed to fit, so there is no best "
                f"candidate. The first error was:\n{first}\nCheck the estimator and "
                "the search space; error_score='raise' shows the full traceback."
            )

    def _print_progress(self, i, candidates, scores, seen):
        if not self.verbose:
            return
        finite = [s for s, err in seen.values() if err is None and math.isfinite(s)]
        best = max(finite, default=float("nan"))
        batch = [s for s, _ in scores]
        print(
            f"[{type(self).__name__}] batch {i}: {len(candidates)} candidates, "
            f"batch best {np.nanmax(batch) if np.isfinite(batch).any() else np.nan:.4g}"
            f", best so far {best:.4g} ({len(seen)} evaluated)"
        )
