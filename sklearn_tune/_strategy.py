"""The seam between the shared search loop and the search algorithms.

A strategy speaks in plain parameter dicts and scores (higher is better). It
knows nothing of estimators, cross-validation or joblib, so it can be tested on
its own and a new algorithm is one new file.
"""

from __future__ import annotations

import math
from typing import Any, Protocol, runtime_checkable

import numpy as np
from scipy.optimize import OptimizeResult

Candidate = dict[str, Any]

# Conditional spaces: each choice of a root (a Categorical that conditions hang
# from, itself unconditional) gets at least this share of an even split of the
# candidates, in both searchers (BayesSearchCV: _bayes/_optimizer.py's
# set_branches; GeneticSearchCV: _feed_starved). On
# benchmarks/bench_conditional.py's decoy (a narrow best branch whose first
# random points look worst), BayesSearchCV's regret@60 over 30 seeds: 0.35
# before branch-wise proposals, 0.36 with a floor of 0.5, 0.16 at 0.75, 0.17 at
# 1 (an even split); Optuna's TPE 0.42. On its Titanic choice among four
# classifiers (30 candidates, 5 seeds) the best CV score went from 0.8122 to
# 0.8147, and the fewest candidates one classifier got from 3.0 to 5.8.
BRANCH_SHARE = 0.75


def condition_roots(dimensions):
    """The names of a space's roots, in its order: the Categoricals that
    conditions name and that have no condition themselves."""
    parents = {d.condition.parent for d in dimensions.values() if d.condition}
    return [
        name
        for name, d in dimensions.items()
        if name in parents and d.condition is None
    ]


@runtime_checkable
class Strategy(Protocol):
    """What the shared loop needs from a search algorithm.

    A strategy is built for one sub-space with its budget (``n_iter`` or
    ``generations``) and an int seed.
    """

    def ask(self) -> list[Candidate] | None:
        """Return the next batch of candidates; an empty list once the budget
        is spent; None when it must first be told a batch in flight.

        The loop asks the next batch while earlier ones are still being
        fitted: a strategy takes the candidates asked and not yet told into
        account (as lies, or as genomes already bred), so that it does not
        propose them again. A batch's candidates are fitted in parallel under
        ``n_jobs`` or a joblib backend, beside the fits of the batches in
        flight.
        """

    def tell(self, candidates: list[Candidate], scores: list[float]) -> None:
        """Report the scores of the oldest batch asked and not yet told.

        A score is ``nan`` when the candidate failed (a fit raised, or the
        score is not finite): a failure, never a score to rank among others.
        """

    def result(self) -> OptimizeResult:
        """The search so far as scikit-optimize reports it to its callbacks.

        Build it with :func:`_optimize_result`.
        """


def _optimize_result(names, candidates, scores, space, models=(), specs=None):
    """A scikit-optimize ``OptimizeResult`` of told candidates (skopt minimises).

    ``x_iters`` lists points as lists of values in ``names`` order and
    ``func_vals`` holds negated scores, ``inf`` for a failed candidate, so that
    skopt's callbacks (``DeltaYStopper``, ``VerboseCallback``...) run on any
    search. ``x`` and ``fun`` are the best candidate that did not fail.
    """
    func_vals = np.array([-s if math.isfinite(s) else np.inf for s in scores])
    x_iters = [[candidate[name] for name in names] for candidate in candidates]
    best = int(np.argmin(func_vals)) if len(func_vals) else None
    return OptimizeResult(
        x=None if best is None else x_iters[best],
        fun=np.inf if best is None else float(func_vals[best]),
        x_iters=x_iters,
        func_vals=func_vals,
        space=space,
        models=list(models),
        specs=specs,
    )


class _SubspaceChain:
    """Run one strategy per sub-space, one sub-space after the other.

    Batches may be asked before the ones before them are told (the loop keeps
    several in flight); they are told in the order they were asked. A
    sub-space ends once its strategy has nothing more to ask and every batch
    asked of it is told: batches never straddle two sub-spaces.
    """

    def __init__(self, strategies: list[Strategy]):
        self.strategies = strategies
        self.index = 0
        self.n_batches = 0  # batches asked of the current sub-space
        self.n_pending = 0  # of which not told yet

    @property
    def current(self) -> Strategy | None:
        if self.index < len(self.strategies):
            return self.strategies[self.index]
        return None

    def ask(self) -> list[Candidate] | None:
        """The next batch; None while the current sub-space must first be
        told a batch in flight; an empty list once every sub-space is done."""
        while self.current is not None:
            candidates = self.current.ask()
            if candidates:
                self.n_batches += 1
                self.n_pending += 1
                return candidates
            if candidates is None or self.n_pending:
                return None
            self.end_subspace()
        return []

    def tell(self, candidates: list[Candidate], scores: list[float]) -> None:
        self.current.tell(candidates, scores)
        self.n_pending -= 1

    def result(self) -> OptimizeResult:
        strategy = self.current or self.strategies[-1]
        return strategy.result()

    def end_subspace(self) -> bool:
        """Leave the current sub-space (batches in flight in it are dropped);
        return whether another one remains."""
        self.index += 1
        self.n_batches = 0
        self.n_pending = 0
        return self.current is not None
