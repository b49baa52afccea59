"""The one search loop every searcher shares.

``BaseSearchCV`` does the cross-validation, joblib, scoring, refit and
``cv_results_``. What is not "how to choose the next candidates" lives here,
once: the ask/evaluate/tell loop, budgets, seeds, callbacks, the cache that
never fits a candidate twice, the checkpoint, failed fits, interrupts,
``stop_reason_`` and verbose output.
"""

from __future__ import annotations

import math
import os
import random
import warnings
from abc import abstractmethod
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import joblib
import numpy as np
from sklearn import get_config
from sklearn.base import clone, is_classifier
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state, indexable

from ._compat import (
    BaseSearchCV,
    Interval,
    StrOptions,
    all_fits_failed,
    fit_and_score_options,
    is_fit_failed_summary,
    search_scorers,
    select_best_index,
)
from ._continuation import continuation, fit_split
from ._dispatch import Dispatcher, deferred
from ._evaluations import Evaluation, Evaluations, failed_fit_results, metric_of
from ._fidelity import Hyperband, SubsampledCV, check_resources
from ._fingerprint import describe
from ._journal import CheckpointWriteError, Journal, describe_search
from ._strategy import _SubspaceChain
from .callbacks._base import _CallbackList, _EndSubspace
from .exceptions import SearchWarning, StopSearch, _warn
from .space import check_search_space

__all__ = ["BaseTuneSearchCV"]

_INT32_MAX = np.iinfo(np.int32).max


def _candidate_key(candidate, n_resources=None) -> str:
    """Equal for candidates with equal settings (estimators compared by params).

    With multi-fidelity, the same settings trained with another budget are
    another candidate.
    """
    key = describe(dict(candidate))
    return key if n_resources is None else f"{key}@{n_resources}"


class _SearchStopped(Exception):
    """Ends ``fit`` after the search loop, without a refit, keeping the results.

    ``reason`` becomes ``stop_reason_``; ``no_refit``, when given, says why
    there is no refit where the reason alone does not.
    """

    def __init__(self, reason, error=None, no_refit=None):
        super().__init__(reason)
        self.reason = reason
        self.error = error
        self.no_refit = no_refit


@dataclass
class _Run:
    """What one call of ``fit`` carries from batch to batch."""

    callbacks: _CallbackList
    X: Any
    y: Any
    fit_params: dict
    evaluations: Evaluations = field(
        default_factory=lambda: Evaluations(_candidate_key)
    )
    subspaces: list = field(default_factory=list)
    journal: Journal | None = None
    # The dict evaluate_candidates returns, which BaseSearchCV.fit makes
    # cv_results_: it is filled in once, when the search ends.
    results: dict = field(default_factory=dict)
    n_sklearn_fit_results: int = 0  # fit results evaluate_candidates has kept
    sklearn_batch: bool = False  # whether a batch was given to evaluate_candidates
    inflight: list = field(default_factory=list)  # batches asked, not yet told
    dispatcher: Any = None  # starts the batches' fits (see _dispatch)
    n_splits: int | None = None
    fitted: list | None = None  # the fit results of the call under way
    sentinel: bool = False
    search_done: bool = False
    search_ctx: Any = None
    seed: int = 0
    # multi-fidelity: the resource parameter (None for "n_samples") and ladder
    resource: str | None = None
    ladder: Any = None
    continues: bool = False  # whether candidates may go on training
    # candidate key -> (budget, one trained model per CV split), for the
    # candidates promoted to the next rung
    models: dict = field(default_factory=dict)
    # candidate key (at its budget) -> (handle, position, n_splits, keep): fits of
    # promotions started before their rung was asked, see _start_promotions
    prefetched: dict = field(default_factory=dict)
    early_calls: list = field(default_factory=list)  # (handle, candidates) each


@dataclass
class _Batch:
    """A batch asked and not yet told: its fits may be under way."""

    i: int  # its iter
    subspace: int
    index: int  # its number in its sub-space (the checkpoint's key)
    candidates: list
    n_resources: int | None
    new: list  # candidates never evaluated before, each once
    replayed: dict  # position in ``new`` -> fit results from the checkpoint
    handle: Any = None  # the fits of the others
    keep: list | None = None  # per candidate fitted: whether its models go on
    ctx: Any = None  # scikit-learn's callback context of the batch
    # position in ``new`` -> (handle, position, n_splits, keep) of fits started
    # before the batch was asked (see _start_promotions)
    prefetched: dict = field(default_factory=dict)
    promoting: bool = False  # whether its promotions were looked at early

    @property
    def to_fit(self):
        return [
            c
            for j, c in enumerate(self.new)
            if j not in self.replayed and j not in self.prefetched
        ]


def _fits_of(out, position, n_splits):
    """The ``(fit result, model)`` pairs of one candidate of a fit call."""
    return out[position * n_splits : (position + 1) * n_splits]


def _results_and_models(fits, keep):
    """One candidate's fit results, and its trained models if they go on
    (``keep``, and every fit succeeded), else None."""
    models = [model for _, model in fits]
    go_on = keep and all(model is not None for model in models)
    return [result for result, _ in fits], (models if go_on else None)


def _running(batch):
    """Whether fits of ``batch`` are still under way on workers."""
    handles = [h for h, *_ in batch.prefetched.values()]
    if batch.handle is not None:
        handles.append(batch.handle)
    return any(h.running for h in handles)


def _culprit(own, error, run):
    """The fit call whose own fit raised, as ``(handle, its candidates)``:
    ``own`` (the call that raised ``error``), or, while ``error`` only says
    the workers were stopped (joblib stops them all when one fit of any call
    raises), the first call in flight whose fit raised: a batch's, or
    promotions started early."""
    calls = [(b.handle, b.to_fit) for b in run.inflight if b.handle is not None]
    calls += run.early_calls
    # Wait for every call still fitting before the error reaches the user:
    # on loky, joblib stops the workers of every call when one fit raises, so
    # they end at once, and a call left to end after fit() has returned
    # could stop the workers of the user's next search.
    for handle, _ in calls:
        handle.settle()
    if not _stopped_workers(error):
        return own
    for handle, candidates in calls:
        try:
            handle.results()  # the workers are gone: it ended at once
        except Exception as err:
            if not _stopped_workers(err):
                return handle, candidates
    return own


def _stopped_workers(error):
    return "shutdown" in type(error).__name__.lower() or "has been shutdown" in str(
        error
    )


class BaseTuneSearchCV(BaseSearchCV):
    """Base class of the searchers: one loop, and a strategy per sub-space.

    Subclasses store their parameters in ``__init__`` and implement
    ``_make_strategy(dimensions, budget, seed)`` and
    ``_expected_candidates(budget)``; the budget of a sub-space is its
    ``(dict, n)`` pair's ``n``, or the parameter ``_budget_param`` names.
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "search_spaces": [dict, list],
        "random_state": ["random_state"],
        "checkpoint": [str, os.PathLike, None],
        "resource": [str, None],
        "min_resources": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"smallest", "exhaust"}),
        ],
        "max_resources": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "factor": [Interval(Real, 1, None, closed="neither")],
    }
    # added after checkpoints were released: left out of a checkpoint's
    # description at its default, so that older checkpoints still resume
    _params_added_later = {
        "resource": None,
        "min_resources": "exhaust",
        "max_resources": "auto",
        "factor": 3,
    }
    _budget_param = "n_iter"
    _callback_alias = None  # another name fit takes for ``callback``

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
        resource=None,
        min_resources="exhaust",
        max_resources="auto",
        factor=3,
    ):
        self.search_spaces = search_spaces
        self.random_state = random_state
        self.checkpoint = checkpoint
        self.resource = resource
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.factor = factor
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
    def _make_strategy(self, dimensions, budget, seed):
        """Build the strategy that searches one sub-space's ``dimensions``."""

    @abstractmethod
    def _expected_candidates(self, budget):
        """The most candidates a sub-space with this budget evaluates."""

    @abstractmethod
    def _first_bracket_candidates(self):
        """New candidates of the first bracket, for ``min_resources="exhaust"``."""

    @abstractmethod
    def _hyperband_budget(self, budget, ladder):
        """With multi-fidelity: ``dict(scale=..., max_new=..., max_brackets=...)``.

        ``scale`` is the number of new candidates of the first bracket; the
        budget is new candidates in all (``max_new``) or brackets.
        """

    def _check_search_params(self, subspaces):
        """Validate what ``_parameter_constraints`` cannot; called before any fit."""

    def _collect_strategies(self, strategies):
        """Set the searcher's own fitted attributes from its strategies."""

    @property
    def _score_sign(self):
        """+1 when a higher score is better (scikit-learn's rule), -1 when lower."""
        return 1.0

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
            sub-space (the search, when there is one sub-space). scikit-optimize's
            callback classes work on both searchers, and so do sklearn-genetic-opt's
            (any object with ``on_step(record, logbook, estimator)``: called after
            every batch, returning True stops the search). Both searchers also
            take them as ``callbacks=``, as sklearn-genetic-opt spells it. With
            ``resource``, scikit-optimize's callables are called after the
            full-budget batches, with the full-budget candidates only.
        **fit_params : dict
            Passed to the estimator's ``fit`` (and to scorers and splitter, as
            in :class:`~sklearn.model_selection.GridSearchCV`).

        Returns
        -------
        self : object
            The fitted search.
        """
        if self._callback_alias in fit_params:  # e.g. GeneticSearchCV: callbacks=
            alias = fit_params.pop(self._callback_alias)
            if alias is not None and callback is not None:
                raise TypeError(
                    f"{type(self).__name__}.fit got both callback= and "
                    f"{self._callback_alias}= (another name for it); pass your "
                    f"callbacks to one of them."
                )
            callback = callback if alias is None else alias
        callbacks = _CallbackList(callback)  # a bad callback fails here
        params = {**(getattr(self, "fit_params", None) or {}), **fit_params}
        if groups is not None:
            params["groups"] = groups
        for name in [k for k in vars(self) if k.endswith("_") and k[0] != "_"]:
            delattr(self, name)  # nothing of an earlier fit survives this one
        self.__dict__.pop("_no_refit_reason", None)
        self._run = run = _Run(callbacks, X, y, params)
        cv = self.cv
        # A multi-fidelity search splits the data at every rung: splits given
        # as a one-shot iterable (``KFold().split(X)``) are listed once, for
        # this fit only (the caller's object is put back).
        one_shot = not (cv is None or isinstance(cv, Integral) or hasattr(cv, "split"))
        if one_shot and self.resource is not None:
            self.cv = list(cv)
        try:
            super().fit(X, y, **params)
        except _SearchStopped as stop:
            self._finish_without_refit(run, stop.reason, stop.no_refit)
            if stop.error is not None:
                raise stop.error
        except KeyboardInterrupt:
            if not run.search_done:
                raise
            self._finish_without_refit(
                run, "interrupted by KeyboardInterrupt during the refit"
            )
        except Exception as err:
            if not run.search_done:
                raise
            # the refit failed: keep what the search found, then say so
            reason = self.stop_reason_
            self._finish_without_refit(
                run, reason, f"refitting best_params_ on all the data failed: {err!r}"
            )
            raise RuntimeError(
                f"{type(self).__name__}: the search ended ({reason}), but refitting "
                f"the best candidate {self.best_params_!r} on all the data failed "
                f"with {err!r}. cv_results_, best_params_ and best_score_ are kept; "
                "there is no best_estimator_. Fix the failure (the traceback above) "
                "or fit with refit=False."
            ) from err
        finally:
            if run.journal is not None:  # also when the search failed to start
                run.journal.close()
            del self._run
            self.cv = cv
        return self

    def __getstate__(self):
        # scikit-learn sends the search itself to joblib workers (as the
        # ``caller`` of each fit): the state of a fit under way stays here.
        state = dict(super().__getstate__())  # object's may be the live __dict__
        state.pop("_run", None)
        return state

    def _finish_without_refit(self, run, reason, no_refit=None):
        """Set the fitted attributes of a search that ends without a refit.

        As ``BaseSearchCV.fit`` sets them, from the candidates that finished;
        ``best_estimator_`` says why it is missing: ``no_refit``, or the
        ``reason`` the search stopped.
        """
        results = run.results
        self.cv_results_ = results
        self.scorer_, refit_metric = search_scorers(self)
        first = next(e for e in run.evaluations.items if e.error is None)
        self.multimetric_ = isinstance(first.fit_results[0]["test_scores"], dict)
        if callable(self.scoring) and self.multimetric_:
            refit_metric = self.refit
        if self.refit or not self.multimetric_:
            self.best_index_ = int(
                self._select_best_index(self.refit, refit_metric, results)
            )
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][
                    self.best_index_
                ]
            self.best_params_ = results["params"][self.best_index_]
        for name in ("best_estimator_", "refit_time_", "feature_names_in_"):
            self.__dict__.pop(name, None)
        self.stop_reason_ = reason
        resume = (
            f" Fit again with checkpoint={os.fspath(self.checkpoint)!r} to resume."
            if self.checkpoint is not None
            else " Set checkpoint=<path> to be able to resume."
        )
        if no_refit is not None:  # resuming would not change it
            self._no_refit_reason, resume = no_refit, ""
        elif "interrupted" in reason:
            self._no_refit_reason = (
                f"the search was {reason}, so the best candidate was not refitted"
            )
        else:
            self._no_refit_reason = f"the search stopped ({reason}) before the refit"
        best = getattr(self, "best_index_", None)
        budget = "" if best is None else self._lower_budget_note(run, best)
        if budget:
            budget = (
                " No fit at the full budget succeeded: "
                if run.ladder.budgets[-1] in results["n_resources"]
                else " No candidate reached the full budget: "
            ) + budget
        ended = reason if no_refit is None else f"ended ({reason}), but {no_refit}"
        _warn(
            f"{type(self).__name__} {ended}, after {len(run.evaluations)} "
            f"candidates: cv_results_ and best_params_ hold what finished; there is "
            f"no best_estimator_.{budget}{resume}",
            SearchWarning,
        )

    def _select_best_index(self, refit, refit_metric, results):
        """The best row, as scikit-learn chooses it, but never a failed one;
        with multi-fidelity, the best of the rows at the highest budget with a
        successful fit (the full one, unless no fit there succeeded).

        A callable ``refit`` gets every row and chooses among them itself.
        """
        run = self.__dict__.get("_run")
        if callable(refit) or run is None or not run.evaluations:
            return select_best_index(refit, refit_metric, results)
        ok = np.array([e.error is None for e in run.evaluations.items])
        if len(ok) != len(results["params"]) or not ok.any():
            return select_best_index(refit, refit_metric, results)
        if "n_resources" in results:
            n_resources = np.asarray(results["n_resources"])
            ok &= n_resources == n_resources[ok].max()
        rows = np.flatnonzero(ok)
        ranks = np.asarray(results[f"rank_test_{refit_metric}"])
        return int(rows[np.argmin(ranks[rows])])

    @property
    def best_estimator_(self):
        """The best candidate refitted on all the data (when ``refit``)."""
        try:
            return self.__dict__["best_estimator_"]
        except KeyError:
            reason = self.__dict__.get("_no_refit_reason")
            name = type(self).__name__
            if reason is None:
                raise AttributeError(
                    f"{name!r} object has no attribute 'best_estimator_'"
                ) from None
            raise NotFittedError(
                f"This {name} has no best_estimator_: {reason}. Fit it again (with "
                "a checkpoint, to resume), or fit the best candidate yourself: "
                "clone(search.estimator).set_params(**search.best_params_)"
                ".fit(X, y)."
            ) from None

    @best_estimator_.setter
    def best_estimator_(self, value):
        self.__dict__["best_estimator_"] = value

    @best_estimator_.deleter
    def best_estimator_(self):
        del self.__dict__["best_estimator_"]

    # -- the loop -------------------------------------------------------------

    def _run_search(self, evaluate_candidates, callback_ctx=None):
        run = self._run
        run.subspaces = subspaces = check_search_space(
            self.search_spaces, self.estimator
        )
        self._check_search_params(subspaces)
        self._check_splits(run)
        if self.resource is not None:
            run.resource, run.ladder = check_resources(
                self, subspaces, run.X, run.y, run.n_splits or 1
            )
            # continued training runs its own fits, without metadata routing
            run.continues = run.resource is not None and not get_config().get(
                "enable_metadata_routing", False
            )
            self.n_resources_ = list(run.ladder.budgets)
            self.min_resources_ = run.ladder.budgets[0]
            self.max_resources_ = run.ladder.budgets[-1]
        seed = self._seed()
        if self.checkpoint is not None:
            run.journal = Journal.open(
                self.checkpoint,
                describe_search(self, subspaces),
                joblib.hash((run.X, run.y, run.fit_params)),
                seed,
            )
            seed = run.journal.seed  # a resumed search draws what it drew
        run.seed = seed
        random_state = np.random.RandomState(seed)
        budgets = [
            getattr(self, self._budget_param) if s.n_iter is None else s.n_iter
            for s in subspaces
        ]
        strategies = [
            self._make_strategy(s.dimensions, budget, random_state.randint(_INT32_MAX))
            for s, budget in zip(subspaces, budgets)
        ]
        if run.ladder is None:
            chain = _SubspaceChain(strategies)
        else:
            chain = _SubspaceChain(
                [
                    Hyperband(
                        strategy,
                        run.ladder,
                        resource=run.resource,
                        sign=self._score_sign,
                        **self._hyperband_budget(budget, run.ladder),
                    )
                    for strategy, budget in zip(strategies, budgets)
                ]
            )
        if callback_ctx is not None:  # scikit-learn >= 1.9: set_callbacks(...)
            run.search_ctx = callback_ctx.subcontext(
                task_name="search", max_subtasks=None
            ).call_on_fit_task_begin(estimator=self)

        callbacks = run.callbacks
        reason = f"{self._budget_param} reached"
        stopped, stopped_early = None, False
        asked = [set() for _ in subspaces]  # distinct candidates per sub-space
        if run.ladder is None:
            n_candidates = sum(map(self._expected_candidates, budgets))
            n_resources = None
        else:  # evaluations and resources the brackets plan to spend
            planned = [s.planned() for s in chain.strategies]
            n_candidates = sum(n for n, _ in planned)
            n_resources = sum(r for _, r in planned)
        stop_at_begin = None
        try:
            callbacks.on_search_begin(
                self, n_candidates=n_candidates, n_resources=n_resources
            )
        except StopSearch as stop:  # other errors: the search never began
            stop_at_begin = stop
        n_told = 0  # candidates told so far: the window may grow with them
        run.inflight = inflight = []  # asked, not yet told, oldest first
        i_next = 0  # the iter of the next batch asked
        try:
            if stop_at_begin is not None:
                raise stop_at_begin
            while True:
                # Ask while fewer than `window` candidates are in flight: what
                # is asked depends only on the batches told (always in the
                # order asked), never on n_jobs or on which fit ends first.
                while not inflight or (
                    sum(len(b.candidates) for b in inflight)
                    < self._window(chain, n_told)
                ):
                    candidates = chain.ask()
                    if not candidates:  # None: wait for a batch; []: done
                        break
                    callbacks.on_batch_begin(self, iter=i_next, candidates=candidates)
                    inflight.append(
                        self._start_batch(
                            run,
                            chain,
                            candidates,
                            i_next,
                            inflight,
                            evaluate_candidates,
                        )
                    )
                    i_next += 1
                if not inflight:
                    break
                self._await_oldest(run, chain, inflight)
                batch = inflight.pop(0)
                i, candidates = batch.i, batch.candidates
                n_resources = batch.n_resources
                scores = self._finish_batch(run, batch)
                chain.tell(candidates, scores)
                n_told += len(candidates)
                if run.models:  # keep the promoted ones' models only
                    promoted = (
                        {self._base_key(run, c) for c in chain.current.waiting}
                        if chain.current is not None
                        else set()
                    )
                    run.models = {k: v for k, v in run.models.items() if k in promoted}
                self._print_progress(run, i, candidates, scores, n_resources)
                subspace = chain.index
                asked[subspace].update(self._base_key(run, c) for c in candidates)
                try:
                    callbacks.on_batch_end(
                        self,
                        iter=i,
                        candidates=candidates,
                        scores=scores,
                        errors=[
                            run.evaluations.get(c, n_resources).error
                            for c in candidates
                        ],
                        n_resources=n_resources,
                        results=run.evaluations.cv_results(self, run.n_splits)
                        if callbacks.callbacks
                        else None,
                        result=chain.result,
                    )
                except _EndSubspace as stop:
                    reason = str(stop)
                    i_next = self._drop(run, inflight, i_next)
                    if not chain.end_subspace():
                        stopped_early = True
                        break
                    continue
                if len(asked[subspace]) >= subspaces[subspace].size and getattr(
                    chain.current, "between_brackets", True
                ):
                    reason = (
                        f"search space exhausted: all {len(asked[subspace])} "
                        "distinct candidates were evaluated"
                    )
                    i_next = self._drop(run, inflight, i_next)
                    if not chain.end_subspace():
                        break
        except StopSearch as stop:
            reason, stopped_early = str(stop), True
        except KeyboardInterrupt:
            if not run.evaluations:
                raise
            stopped = _SearchStopped("interrupted by KeyboardInterrupt")
        except CheckpointWriteError as err:
            if not run.evaluations:
                raise
            stopped = _SearchStopped(
                "stopped: its checkpoint could not be written", err
            )
        finally:
            self._drop(run, inflight, i_next)
            callbacks.on_search_end(
                self, stop_reason=reason if stopped is None else stopped.reason
            )
            if run.search_ctx is not None:
                run.search_ctx.call_on_fit_task_end(estimator=self)
            if run.journal is not None:
                run.journal.close()
            self._collect_strategies(strategies)
        self.stop_reason_ = reason
        if not run.evaluations:  # StopSearch before the first batch ended
            raise ValueError(
                f"{type(self).__name__} was stopped before any candidate was "
                f"evaluated ({reason}), so there is no best candidate and no "
                "cv_results_. Raise StopSearch from on_batch_end, once there "
                "are results, or check the callbacks' conditions."
            )
        if run.ladder is not None:
            self._set_halving_attributes(run, chain)
        self._raise_if_all_failed(run)
        if stopped is None:
            stopped = self._stop_if_full_budget_failed(run, reason, stopped_early)
        if stopped is None and run.n_sklearn_fit_results == 0:
            try:
                self._evaluate_once(run, evaluate_candidates)
            except KeyboardInterrupt:  # every candidate evaluated is kept
                stopped = _SearchStopped("interrupted by KeyboardInterrupt")
        run.results.update(run.evaluations.cv_results(self, run.n_splits))
        self._warn_failures_once(run)
        run.search_done = True
        if stopped is not None:
            raise stopped

    # -- one batch: dedupe, replay or fit, record, cache ----------------------

    def _window(self, chain, n_told=0):
        """How many candidates the loop keeps in flight: three batches
        (GeneticSearchCV: two generations; more as a Bayesian search goes on,
        see :meth:`_progress_window`), or with multi-fidelity, the first
        bracket's size twice over.

        A batch is asked while the ones before it are being fitted, so workers
        freed by their quick fits take the next batch's fits at once.
        Candidates whose choice depends on no result (a strategy's
        ``n_free``: a Bayesian search's initial points) are all in flight. The
        window comes from the search's own parameters (``n_points``,
        ``population_size``, a first bracket's size) and from how many
        candidates it has told (``n_told``), never from ``n_jobs``: the
        results do not depend on how many workers fit them.
        """
        first = chain.strategies[0] if chain.strategies else None
        scale = getattr(first, "scale", None)  # multi-fidelity: first bracket
        if scale is not None:
            # the next brackets start as a bracket's rungs shrink
            return 2 * max(scale, 2)
        return max(
            self._batches_window(),
            self._progress_window(n_told),
            getattr(chain.current, "n_free", 0),
        )

    def _batches_window(self):
        """Candidates in flight from the start: three batches (subclasses
        may keep fewer)."""
        return 3 * self._batch_size()

    def _batch_size(self):
        """Candidates per batch of a search without ``resource``."""
        return 1

    def _progress_window(self, n_told):
        """Candidates in flight that a search can afford once it has told
        ``n_told``, whatever its batch size (see BayesSearchCV)."""
        return 0

    def _start_batch(self, run, chain, candidates, i, inflight, evaluate_candidates):
        """Replay what the checkpoint holds of a batch and start fitting the
        rest; :meth:`_finish_batch` waits for it.

        A candidate already evaluated, or in a batch in flight, is not fitted
        again: its score is read when its batch is told.
        """
        n = getattr(chain.current, "n_resources", None)  # multi-fidelity budget
        started = {_candidate_key(c, b.n_resources) for b in inflight for c in b.new}
        new = [
            c
            for c in self._dedupe(run, candidates, n)
            if _candidate_key(c, n) not in started
        ]
        subspace, index = chain.index, chain.n_batches - 1
        dimensions = run.subspaces[subspace].dimensions
        replayed = (
            run.journal.replay(subspace, new, dimensions, n)
            if run.journal is not None and new
            else {}
        )
        batch = _Batch(i, subspace, index, candidates, n, new, replayed)
        for j, candidate in enumerate(new):
            key = _candidate_key(candidate, n)
            if j not in replayed and key in run.prefetched:
                batch.prefetched[j] = run.prefetched.pop(key)
        to_fit = batch.to_fit
        if not to_fit:
            return batch
        if run.dispatcher is None:  # the backend of this search, found once
            run.dispatcher = Dispatcher(self.n_jobs)
        first = (
            not run.sklearn_batch
            and not run.dispatcher.concurrent
            and not (
                run.continues
                and any(continuation(self._configured(c), run.resource) for c in to_fit)
            )
        )
        if first or get_config().get("enable_metadata_routing"):
            # scikit-learn's evaluate_candidates fits the batch, in this
            # thread, when the batch is told: every batch when scikit-learn
            # routes the metadata, and the first batch when fits run in this
            # thread anyway (BaseSearchCV.fit needs one such call). With
            # workers that fit while the loop goes on, the first batch would
            # start only once the batches asked after it were fitted, and
            # nothing could be told until all of them were: every batch is
            # the loop's, and :meth:`_evaluate_once` makes that call at the
            # end (as with continued training, whose models it does not
            # return).
            run.sklearn_batch = True
            batch.handle = deferred(
                lambda: self._fit(run, to_fit, i, evaluate_candidates, n)
            )
            return batch
        if run.search_ctx is not None:  # scikit-learn >= 1.9 sets n_splits_ early
            batch.ctx = run.search_ctx.subcontext(
                task_name="batch",
                max_subtasks=len(to_fit) * self.n_splits_,
                sequential_subtasks=False,
            ).call_on_fit_task_begin(estimator=self)
        tasks, batch.keep = self._fit_tasks(run, to_fit, n)
        batch.handle = run.dispatcher.dispatch(tasks)
        return batch

    def _finish_batch(self, run, batch):
        """Wait for a batch's fits; record them; return one score each
        (nan for a candidate that failed)."""
        n, to_fit = batch.n_resources, batch.to_fit
        fitted = []
        if to_fit:
            try:
                out = batch.handle.results()
            except Exception as err:
                # a fit that raised (error_score="raise") in a later batch
                # stops the workers under this one: raise that fit's error
                handle, candidates = _culprit((batch.handle, to_fit), err, run)
                self._note_candidates(handle.error, candidates)
                raise handle.error from None
            if batch.keep is None:  # evaluate_candidates' results
                fitted = out
            else:
                fitted = self._collect(run, to_fit, out, batch.keep, n)
            if batch.ctx is not None:
                batch.ctx.call_on_fit_task_end(estimator=self)
        early = {}  # fitted before the batch was asked
        for j, (handle, position, n_splits, keep) in batch.prefetched.items():
            try:
                fits = _fits_of(handle.results(), position, n_splits)
            except Exception as err:
                handle, candidates = _culprit((handle, [batch.new[j]]), err, run)
                self._note_candidates(handle.error, candidates)
                raise handle.error from None
            early[j] = self._collect(run, [batch.new[j]], fits, [keep], n)[0]
        if early:  # forget the calls whose every result was read
            live = {id(h) for h, *_ in run.prefetched.values()}
            live.update(id(h) for b in run.inflight for h, *_ in b.prefetched.values())
            run.early_calls = [c for c in run.early_calls if id(c[0]) in live]
        fitted = iter(fitted)
        results = {}
        for j in range(len(batch.new)):
            if j in batch.replayed:
                results[j] = batch.replayed[j]
            else:
                results[j] = early[j] if j in early else next(fitted)
        if run.journal is not None and (to_fit or early):
            run.journal.append(
                batch.subspace,
                batch.index,
                batch.i,
                [
                    (c, results[j])
                    for j, c in enumerate(batch.new)
                    if j not in batch.replayed
                ],
                run.subspaces[batch.subspace].dimensions,
                n,
            )
        for j, params in enumerate(batch.new):
            run.evaluations.add(params, results[j], batch.i, n)
        metric = run.evaluations.metric(self)
        return [run.evaluations.get(c, n).score(metric) for c in batch.candidates]

    # -- multi-fidelity: promotions started while older batches still run ----

    def _await_oldest(self, run, chain, inflight):
        """Wait for the oldest batch's fits; meanwhile, start the promotions
        of every later rung whose fits have all ended.

        Batches are told in the order they were asked, so a rung that ends
        while an older, slower batch still runs would wait for it before its
        best candidates could go on. What a rung promotes depends on its own
        scores only: those candidates are started at once, and their
        results are read when their rung is asked (in the same order as
        before), so the search is the same, only sooner.
        """
        if not self._may_start_promotions(run, chain):
            return
        oldest = inflight[0]
        while _running(oldest):
            run.dispatcher.finished.clear()
            for k, batch in enumerate(inflight[1:], start=1):
                if not batch.promoting and not _running(batch):
                    self._start_promotions(run, chain, inflight, k)
            if _running(oldest):
                run.dispatcher.finished.wait(1.0)

    def _may_start_promotions(self, run, chain):
        return (
            run.ladder is not None
            and isinstance(chain.current, Hyperband)
            and run.dispatcher is not None
            and run.dispatcher.n_workers > 1
            and not get_config().get("enable_metadata_routing")
        )

    def _start_promotions(self, run, chain, inflight, k):
        """Start the fits of what the ``k``-th batch in flight will promote,
        once every score of its rung is known (its own fits have ended).

        Sets ``batch.promoting`` once decided: started, or left to the tell
        (a rung fitted by ``evaluate_candidates``, a failed fit, a score
        that another batch in flight will give)."""
        batch = inflight[k]
        if batch.subspace != chain.index:
            return
        n = batch.n_resources
        if batch.to_fit and (
            batch.handle is None or not batch.handle.done or batch.handle.error
        ):
            batch.promoting = True  # fitted when told, or a fit raised
            return
        for handle, *_ in batch.prefetched.values():
            if handle.error is not None:
                batch.promoting = True
                return
        batch.promoting = True
        out = batch.handle.results() if batch.to_fit else []
        own = iter(range(len(batch.to_fit)))
        scores_of, models_of = {}, {}
        for j, candidate in enumerate(batch.new):
            models = None
            if j in batch.replayed:
                results = batch.replayed[j]
            else:
                if j in batch.prefetched:
                    handle, position, n_splits, keep = batch.prefetched[j]
                    fits = _fits_of(handle.results(), position, n_splits)
                else:
                    position = next(own)
                    keep = batch.keep[position]
                    fits = _fits_of(out, position, run.n_splits)
                results, models = _results_and_models(fits, keep)
            scores_of[_candidate_key(candidate, n)] = Evaluation(
                candidate, results, batch.i, n
            )
            if models is not None:
                models_of[self._base_key(run, candidate)] = (n, models)
        scores = []
        for candidate in batch.candidates:
            key = _candidate_key(candidate, n)
            if key in scores_of:
                evaluation = scores_of[key]
            elif run.evaluations.has(candidate, n):
                evaluation = run.evaluations.get(candidate, n)
            else:
                return  # fitted in another batch in flight: wait for the tell
            scores.append(evaluation)
        metric = metric_of(self, scores)
        # the position of the batch among the ones its strategy has not told
        position = sum(b.subspace == batch.subspace for b in inflight[:k])
        promoted, budget = chain.current.promotions_of(
            position, batch.candidates, [e.score(metric) for e in scores]
        )
        started = {_candidate_key(c, b.n_resources) for b in inflight for c in b.new}
        fresh = [
            c
            for c in self._dedupe(run, promoted, budget)
            if _candidate_key(c, budget) not in started
            and _candidate_key(c, budget) not in run.prefetched
        ]
        if fresh and run.journal is not None:
            cached = run.journal.replay(
                batch.subspace, fresh, run.subspaces[batch.subspace].dimensions, budget
            )
            fresh = [c for j, c in enumerate(fresh) if j not in cached]
        if not fresh:
            return
        for candidate in fresh:  # they go on training from this rung's models
            key = self._base_key(run, candidate)
            if key in models_of:
                run.models[key] = models_of[key]
        tasks, keep = self._fit_tasks(run, fresh, budget)
        handle = run.dispatcher.dispatch(tasks)
        run.early_calls.append((handle, fresh))
        for position, candidate in enumerate(fresh):
            run.prefetched[_candidate_key(candidate, budget)] = (
                handle,
                position,
                run.n_splits,
                keep[position],
            )

    def _drop(self, run, inflight, i_next):
        """Drop the batches in flight (the search or its sub-space ended):
        their fits are not recorded. Return the iter of the next batch."""
        if inflight:
            i_next = inflight[0].i
            for batch in inflight:
                if batch.ctx is not None:
                    batch.ctx.call_on_fit_task_end(estimator=self)
            inflight.clear()
        return i_next

    @staticmethod
    def _base_key(run, candidate):
        """The key of a candidate's settings, whatever its budget."""
        return _candidate_key({k: v for k, v in candidate.items() if k != run.resource})

    def _dedupe(self, run, candidates, n_resources=None):
        """The candidates never evaluated, each once, in order."""
        new, keys = [], set()
        for candidate in candidates:
            key = _candidate_key(candidate, n_resources)
            if not run.evaluations.has(candidate, n_resources) and key not in keys:
                new.append(candidate)
                keys.add(key)
        return new

    def _fit(self, run, batch, i, evaluate_candidates, n_resources=None):
        """Fit a batch through ``evaluate_candidates``; one result list each."""
        kwargs, batch_ctx = self._subsampled(run, n_resources), None
        if run.search_ctx is not None:  # scikit-learn >= 1.9 sets n_splits_ early
            batch_ctx = run.search_ctx.subcontext(
                task_name="batch",
                max_subtasks=len(batch) * self.n_splits_,
                sequential_subtasks=False,
            ).call_on_fit_task_begin(estimator=self)
            kwargs["callback_ctx"] = batch_ctx
        run.fitted, shown = None, []
        try:
            with warnings.catch_warnings(record=True) as shown:
                evaluate_candidates(
                    batch, more_results={"iter": [i] * len(batch)}, **kwargs
                )
        except Exception as err:
            n_fits = all_fits_failed(err)
            if n_fits is None or n_fits % len(batch):
                self._note_candidates(err, batch)
                raise
            # Every fit of the batch failed: BaseSearchCV raises instead of
            # returning them. The error holds their messages; they are failures.
            run.n_splits = n_fits // len(batch)
            message = str(err).split("Below are more details about the failures:")
            run.fitted = [
                result
                for _ in batch
                for result in failed_fit_results(
                    run.n_splits, message[-1].strip(), self.return_train_score
                )
            ]
        finally:
            self._show_warnings(shown, run.fitted)
        if batch_ctx is not None:
            batch_ctx.call_on_fit_task_end(estimator=self)
        fitted, run.fitted, n = run.fitted, None, run.n_splits
        return [fitted[j * n : (j + 1) * n] for j in range(len(batch))]

    def _subsampled(self, run, n_resources):
        """``{"cv": splitter}`` for ``evaluate_candidates`` where a candidate
        trained with ``n_resources`` sees a subsample of every split
        (``resource="n_samples"`` below the number of rows: the full budget's
        too when ``max_resources`` is below it); else ``{}``."""
        if run.ladder is None or run.resource is not None or n_resources is None:
            return {}
        n_samples = run.X.shape[0] if hasattr(run.X, "shape") else len(run.X)
        if n_resources >= n_samples:
            return {}
        cv = check_cv(self.cv, run.y, classifier=is_classifier(self.estimator))
        return {
            "cv": SubsampledCV(
                cv,
                n_resources / n_samples,
                (run.seed + n_resources) % _INT32_MAX,
                stratify=is_classifier(self.estimator),
            )
        }

    def _fit_tasks(self, run, batch, n_resources):
        """The fits of a batch, one per candidate and split, and whether each
        candidate keeps its trained models (to go on at the next rung).

        Fits are scikit-learn's own ``_fit_and_score`` with the options
        ``evaluate_candidates`` gives it. Every estimator is a clone
        configured with cloned parameter values: the user's objects are never
        fitted. A candidate that can go on training does so from its models
        of the rung below (see ``_continuation``).
        """
        X, y = indexable(run.X, run.y)
        cv = self._subsampled(run, n_resources).get("cv") or check_cv(
            self.cv, y, classifier=is_classifier(self.estimator)
        )
        splits = list(cv.split(X, y, run.fit_params.get("groups")))
        run.n_splits = len(splits)
        n_train = max(len(train) for train, _ in splits)
        options = fit_and_score_options(self, run.fit_params)
        may_go_on = run.continues and n_resources < run.ladder.budgets[-1]
        tasks, keep = [], []
        for candidate in batch:
            fresh = self._configured(candidate)
            rule = continuation(fresh, run.resource, n_train) if run.continues else None
            kept = run.models.pop(self._base_key(run, candidate), None)
            if rule is not None and kept is not None and kept[0] < n_resources:
                models = [rule.go_on(model, n_resources) for model in kept[1]]
            else:  # from scratch: the model a continued one equals
                models = [fresh] + [clone(fresh) for _ in splits[1:]]
            keep.append(may_go_on and rule is not None)
            tasks.extend(
                (fit_split, (model, X, y, train, test, options, keep[-1]))
                for model, (train, test) in zip(models, splits)
            )
        return tasks, keep

    def _collect(self, run, batch, out, keep, n_resources):
        """Per candidate, its fit results; keep the models that go on."""
        n = run.n_splits
        results = []
        for j, candidate in enumerate(batch):
            fit_results, models = _results_and_models(_fits_of(out, j, n), keep[j])
            if models is not None:
                run.models[self._base_key(run, candidate)] = (n_resources, models)
            results.append(fit_results)
        return results

    def _configured(self, candidate):
        """A clone of the estimator with ``candidate`` set, as scikit-learn's
        ``_fit_and_score`` sets it: parameter values are cloned too, so an
        estimator given as a choice is never the one fitted."""
        return clone(self.estimator).set_params(**clone(dict(candidate), safe=False))

    def _note_candidates(self, err, batch):
        """With ``error_score="raise"``, say which candidates the error hit."""
        if self.error_score == "raise":
            err.add_note(
                f"{type(self).__name__} was evaluating the candidate(s) "
                f"{[dict(c) for c in batch]}; set error_score=np.nan to "
                "score failed fits as nan and go on."
            )

    def _collect_fit_results(self, candidate_params, n_splits, out):
        """Called by ``evaluate_candidates`` with every fit result it holds."""
        run = self.__dict__.get("_run")
        if run is None:  # not inside our loop
            return super()._collect_fit_results(candidate_params, n_splits, out)
        if not run.sentinel:
            run.fitted = list(out[run.n_sklearn_fit_results :])
        run.n_sklearn_fit_results, run.n_splits = len(out), n_splits
        return run.results

    @staticmethod
    def _show_warnings(shown, fitted):
        """Show the warnings of a batch, but for BaseSearchCV's per-call summary.

        Fit failures are summed up once, when the search ends.
        """
        fitted = fitted or []
        n_fits, n_failed = len(fitted), sum(r["fit_error"] is not None for r in fitted)
        ours = [
            k
            for k, w in enumerate(shown)
            if issubclass(w.category, FitFailedWarning)
            and n_failed
            and is_fit_failed_summary(str(w.message), n_failed, n_fits)
        ]
        for k, w in enumerate(shown):
            if not ours or k != ours[-1]:
                warnings.showwarning(
                    w.message, w.category, w.filename, w.lineno, w.file, w.line
                )

    def _evaluate_once(self, run, evaluate_candidates):
        """Give ``BaseSearchCV.fit`` the one evaluation it needs to finish.

        No batch went through ``evaluate_candidates`` (the loop fits batches
        itself, to keep several in flight; or every candidate came from the
        checkpoint): the good candidate that was quickest to fit is fitted
        once more (its recorded results stay in ``cv_results_``). Ctrl-C there
        ends the search as anywhere in its loop.
        """
        best = min(  # the cheapest: its results are not kept
            (e for e in run.evaluations.items if e.error is None),
            key=lambda e: (
                e.n_resources or 0,
                sum(r.get("fit_time", 0.0) or 0.0 for r in e.fit_results),
            ),
        )
        run.sentinel = True
        try:
            evaluate_candidates(
                [best.params],
                more_results={"iter": [best.iter]},
                **self._subsampled(run, best.n_resources),  # as it was fitted
            )
        finally:
            run.sentinel = False

    def _check_splits(self, run):
        """Split the data once before any fit, so a splitter error comes first."""
        if not (self.cv is None or isinstance(self.cv, Integral)) and not hasattr(
            self.cv, "split"
        ):
            return  # an iterable of splits may be a one-shot generator
        cv = check_cv(self.cv, run.y, classifier=is_classifier(self.estimator))
        groups = run.fit_params.get("groups")
        try:
            for _ in cv.split(run.X, run.y, groups):
                pass
            run.n_splits = cv.get_n_splits(run.X, run.y, groups)
        except Exception as err:
            err.add_note(
                f"cv={self.cv!r} could not split the data; nothing was fitted."
            )
            raise

    def _seed(self):
        """An int seed for the strategies, drawn without touching global states."""
        if self.random_state is None:
            return random.SystemRandom().randrange(_INT32_MAX)
        return int(check_random_state(self.random_state).randint(_INT32_MAX))

    # -- the end --------------------------------------------------------------

    def _set_halving_attributes(self, run, chain):
        """The fitted attributes of scikit-learn's halving searches, per budget.

        A halving search runs one bracket; ours runs several, so the counts
        are summed over brackets, budget by budget (see docs/multi_fidelity.md).
        """
        budgets = run.ladder.budgets
        counts = dict.fromkeys(budgets, 0)
        for evaluation in run.evaluations.items:
            counts[evaluation.n_resources] += 1
        self.n_candidates_ = [counts[budget] for budget in budgets]
        self.n_iterations_ = sum(1 for budget in budgets if counts[budget])
        self.n_possible_iterations_ = len(budgets)
        first = chain.strategies[0].scale  # new candidates of the first bracket
        self.n_required_iterations_ = 1 + int(
            math.floor(math.log(max(first, 1), run.ladder.factor) + 1e-9)
        )
        self.n_remaining_candidates_ = counts[budgets[-1]]

    def _lower_budget_note(self, run, best):
        """What a user must know when the best row is below the full budget."""
        if run.ladder is None:
            return ""
        results, full = run.results, run.ladder.budgets[-1]
        reached = results["n_resources"][best]
        if reached >= full:
            return ""
        return (
            f"best_params_ is the best at n_resources={reached}, the highest budget "
            f"with a successful fit (full: {full}), and best_score_ its score at "
            "that budget."
        )

    def _stop_if_full_budget_failed(self, run, reason, stopped_early):
        """With multi-fidelity and no successful fit at the full budget: the
        best is a lower budget's, and the user is told so.

        A search stopped early (a callback) refits that best as it is; one
        whose full-budget fits failed is not refitted (it would fail again).
        """
        if run.ladder is None:
            return None
        full = run.ladder.budgets[-1]
        at_full = [e for e in run.evaluations.items if e.n_resources == full]
        if any(e.error is None for e in at_full):
            return None
        if stopped_early and not at_full:
            note = ""
            if self.refit and not callable(self.refit):
                run.results.update(run.evaluations.cv_results(self, run.n_splits))
                best = self._select_best_index(
                    self.refit, search_scorers(self)[1], run.results
                )
                note = (
                    ": "
                    + self._lower_budget_note(run, best)
                    + (
                        f" best_estimator_ is refitted with it ({run.resource}="
                        f"{run.results['n_resources'][best]}), not at the full budget."
                        if run.resource is not None
                        else " best_estimator_ is refitted on all the data."
                    )
                )
            _warn(
                f"{type(self).__name__} stopped ({reason}) before any candidate "
                f"reached the full budget{note or '.'}",
                SearchWarning,
            )
            return None
        if at_full:
            what = (
                f"all {len(at_full)} candidates trained at the full budget "
                f"(n_resources={full}) failed; the first error: "
                f"{at_full[0].error.strip().splitlines()[-1]}"
            )
        else:  # every candidate promoted towards it failed on the way
            what = f"no candidate reached the full budget (n_resources={full})"
        return _SearchStopped(reason, no_refit=f"{what}, so nothing was refitted")

    def _raise_if_all_failed(self, run):
        if run.evaluations and len(run.evaluations.failed) == len(run.evaluations):
            first = run.evaluations.items[0]
            raise ValueError(
                f"All {len(run.evaluations)} candidates failed to fit, so there is no "
                f"best candidate. The first error was:\n{first.error}\nCheck the "
                "estimator and the search space; error_score='raise' shows the "
                "full traceback."
            )

    def _warn_failures_once(self, run):
        """One warning per search about failed fits and non-finite scores."""
        if run.evaluations.failed:
            _warn(run.evaluations.failure_summary(self.error_score), FitFailedWarning)
        for key, means in run.results.items():
            if (
                key.startswith(("mean_test_", "mean_train_"))
                and not np.isfinite(np.asarray(means, dtype=float)).all()
            ):
                _warn(
                    f"One or more of the {key[5:9].strip('_')} scores are non-finite "
                    f"({key}: {np.asarray(means)}).",
                    UserWarning,
                )

    def _print_progress(self, run, i, candidates, scores, n_resources=None):
        if not self.verbose:
            return
        metric, sign = run.evaluations.metric(self), self._score_sign
        best = max(
            (sign * e.score(metric) for e in run.evaluations.items if e.error is None),
            default=math.nan,
        )
        batch = max((sign * s for s in scores if math.isfinite(s)), default=math.nan)
        best, batch = sign * best, sign * batch
        budget = "" if n_resources is None else f" at {n_resources} resources"
        print(
            f"[{type(self).__name__}] batch {i}: {len(candidates)} candidates{budget}, "
            f"batch best {batch:.4g}, best so far {best:.4g} "
            f"({len(run.evaluations)} evaluated)"
        )
