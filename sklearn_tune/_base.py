"""The one search loop every searcher shares.

``BaseSearchCV`` does the cross-validation, joblib, scoring, refit and
``cv_results_``. What is not "how to choose the next candidates" lives here,
once: the ask/evaluate/tell loop, budgets, callbacks, the cache that never fits
a candidate twice, failed fits, interrupts, ``stop_reason_`` and verbose output.
"""

from __future__ import annotations

import itertools
import math
import warnings
from abc import abstractmethod

import numpy as np
from scipy.stats import rankdata
from sklearn.utils import check_random_state

from ._compat import BaseSearchCV, record_fit_errors
from ._strategy import Candidate, _SubspaceChain
from .callbacks._base import _CallbackList, _EndSubspace
from .exceptions import SearchWarning, StopSearch
from .space import check_search_space

__all__ = ["BaseTuneSearchCV"]


def _candidate_key(candidate: Candidate) -> str:
    """A key equal for equal parameter settings (values compared by repr)."""
    return repr(sorted(candidate.items()))


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
    ):
        self.search_spaces = search_spaces
        self.random_state = random_state
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
        refit = self.refit
        try:
            super().fit(X, y, **params)
        finally:
            self.refit = refit  # set to False by an interrupt, to skip the refit
            del self._callbacks
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
        random_state = check_random_state(self.random_state)
        strategy = _SubspaceChain(
            [self._make_strategy(sub, random_state) for sub in subspaces]
        )
        callbacks = self._callbacks
        seen: dict[str, tuple[float, str | None]] = {}
        state = {"results": {}, "strategy": strategy}
        reason = f"{self._budget_param} reached"

        search_ctx = None
        if callback_ctx is not None:  # scikit-learn >= 1.9: set_callbacks(...)
            search_ctx = callback_ctx.subcontext(
                task_name="search", max_subtasks=None
            ).call_on_fit_task_begin(estimator=self)

        callbacks.on_search_begin(self, strategy=strategy)
        try:
            with record_fit_errors() as fit_errors:
                for i in itertools.count():
                    candidates = strategy.ask()
                    if not candidates:
                        break
                    callbacks.on_batch_begin(self, iter=i, candidates=candidates)
                    scores = self._evaluate_batch(
                        evaluate_candidates,
                        candidates,
                        i,
                        seen,
                        fit_errors,
                        state,
                        search_ctx,
                    )
                    strategy.tell(candidates, self._scores_to_tell(scores, seen))
                    self._print_progress(i, candidates, scores, seen)
                    try:
                        callbacks.on_batch_end(
                            self,
                            iter=i,
                            candidates=candidates,
                            scores=[s for s, _ in scores],
                            results=state["results"],
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
            if not seen:
                raise
            reason = "interrupted by KeyboardInterrupt"
            # Keep what finished and return promptly: no refit of the best.
            self._interrupted, self.refit = True, False
            warnings.warn(
                f"{type(self).__name__} was interrupted (Ctrl-C) after {len(seen)} "
                "candidates: cv_results_, best_params_ and best_score_ hold what "
                "finished; the best candidate was not refitted. Fit again to "
                "search anew (with a checkpoint, to resume).",
                SearchWarning,
                stacklevel=2,
            )
        finally:
            callbacks.on_search_end(self)
            if search_ctx is not None:
                search_ctx.call_on_fit_task_end(estimator=self)
        self.stop_reason_ = reason
        self._raise_if_all_failed(seen)

    def _set_best_without_refit(self):
        """best_index_, best_score_ and best_params_ from the ranks, as after a refit."""
        metric = self.refit if isinstance(self.refit, str) else "score"
        results = self.cv_results_
        self.best_index_ = int(np.argmin(results[f"rank_test_{metric}"]))
        self.best_score_ = results[f"mean_test_{metric}"][self.best_index_]
        self.best_params_ = results["params"][self.best_index_]

    def _evaluate_batch(
        self, evaluate_candidates, candidates, i, seen, fit_errors, state, search_ctx
    ):
        """Fit the candidates not seen before; return (score, error) per candidate."""
        new, new_keys = [], []
        keys = [_candidate_key(c) for c in candidates]
        for candidate, key in zip(candidates, keys):
            if key not in seen and key not in new_keys:
                new.append(candidate)
                new_keys.append(key)
        if new:
            kwargs = {}
            batch_ctx = None
            if search_ctx is not None:
                batch_ctx = search_ctx.subcontext(
                    task_name="batch",
                    max_subtasks=len(new) * self.n_splits_,
                    sequential_subtasks=False,
                ).call_on_fit_task_begin(estimator=self)
                kwargs["callback_ctx"] = batch_ctx
            n_calls = len(fit_errors)
            try:
                results = evaluate_candidates(
                    new, more_results={"iter": [i] * len(new)}, **kwargs
                )
            except Exception as err:
                if self.error_score == "raise" and hasattr(err, "add_note"):
                    err.add_note(
                        f"{type(self).__name__} was evaluating the candidate(s) "
                        f"{new}; set error_score=np.nan to score failed fits as "
                        "nan and go on."
                    )
                raise
            if batch_ctx is not None:
                batch_ctx.call_on_fit_task_end(estimator=self)
            state["results"] = results
            errors = fit_errors[n_calls] if len(fit_errors) > n_calls else None
            means = results[self._score_key(results)][-len(new) :]
            for j, (key, mean) in enumerate(zip(new_keys, means)):
                error = None
                if errors is not None:
                    own = errors[j * self.n_splits_ : (j + 1) * self.n_splits_]
                    error = next((e for e in own if e is not None), None)
                elif not np.isfinite(mean):
                    error = "non-finite score"
                seen[key] = (float(mean), error)
        return [seen[key] for key in keys]

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
        return [
            s if err is None and math.isfinite(s) else worst for s, err in scores
        ]

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

