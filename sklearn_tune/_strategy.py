"""The seam between the shared search loop and the search algorithms.

A strategy speaks in plain parameter dicts and scores (higher is better). It
knows nothing of estimators, cross-validation or joblib, so it can be tested on
its own and a new algorithm is one new file.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from scipy.optimize import OptimizeResult

Candidate = dict[str, Any]


@runtime_checkable
class Strategy(Protocol):
    """What the shared loop needs from a search algorithm."""

    def ask(self) -> list[Candidate]:
        """Return the next batch of candidates; an empty list once the budget is spent.

        A batch is evaluated in one ``evaluate_candidates`` call, so its
        candidates are fitted in parallel under ``n_jobs`` or a joblib backend.
        """

    def tell(self, candidates: list[Candidate], scores: list[float]) -> None:
        """Report the scores of the batch returned by the last :meth:`ask`.

        Scores are finite, or ``-inf`` for a failed fit when no fit has
        succeeded yet.
        """

    def result(self) -> OptimizeResult:
        """The search so far as scikit-optimize reports it to its callbacks.

        ``x_iters`` lists points as lists of values in sorted parameter-name
        order, and ``func_vals`` holds negated scores (skopt minimises).
        """


def _optimize_result(names, candidates, scores) -> OptimizeResult:
    """Build a scikit-optimize style ``OptimizeResult`` from told candidates."""
    func_vals = -np.asarray(scores, dtype=float)
    x_iters = [[candidate[name] for name in names] for candidate in candidates]
    best = int(np.argmin(func_vals)) if len(func_vals) else None
    return OptimizeResult(
        x=None if best is None else x_iters[best],
        fun=None if best is None else float(func_vals[best]),
        x_iters=x_iters,
        func_vals=func_vals,
    )


class _SubspaceChain:
    """Run one strategy per sub-space, one sub-space after the other."""

    def __init__(self, strategies: list[Strategy]):
        self.strategies = strategies
        self.index = 0

    @property
    def current(self) -> Strategy | None:
        if self.index < len(self.strategies):
            return self.strategies[self.index]
        return None

    def ask(self) -> list[Candidate]:
        while self.current is not None:
            candidates = self.current.ask()
            if candidates:
                return candidates
            self.index += 1
        return []

    def tell(self, candidates: list[Candidate], scores: list[float]) -> None:
        self.current.tell(candidates, scores)

    def result(self) -> OptimizeResult:
        strategy = self.current or self.strategies[-1]
        return strategy.result()

    def end_subspace(self) -> bool:
        """Leave the current sub-space; return whether another one remains."""
        self.index += 1
        return self.current is not None
