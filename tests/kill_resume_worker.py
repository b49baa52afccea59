"""Run a checkpointed search in its own process (for tests/test_journal.py).

Usage: python kill_resume_worker.py {bayes|genetic}[-mf] CHECKPOINT OUTPUT [N_JOBS]

"-mf": multi-fidelity, with ``budget`` as the resource.

Prints "ready" once imports are done, then searches; writes the results as
JSON to OUTPUT when the search completes.
"""

import json
import sys
import time

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.space import Categorical, Integer, Real


class SlowQuadratic(BaseEstimator):
    """Costs ``delay`` seconds a fit; scores a smooth function of its parameters."""

    fits = 0  # fits in this process, for tests that count them

    def __init__(self, x=0.0, k=0, kind="a", delay=0.0):
        self.x, self.k, self.kind, self.delay = x, k, kind, delay

    def fit(self, X, y=None):
        SlowQuadratic.fits += 1
        time.sleep(self.delay)
        return self

    def score(self, X, y=None):
        noise = 1e-3 * float(np.mean(X))  # differs between CV splits
        bonus = {"a": 0.0, "b": 0.3, "c": 0.1}[self.kind]
        return -((self.x - 0.3) ** 2) - 0.05 * abs(self.k - 4) + bonus + noise


class BudgetedQuadratic(SlowQuadratic):
    """SlowQuadratic whose score a small ``budget`` blurs (multi-fidelity)."""

    def __init__(self, x=0.0, k=0, kind="a", delay=0.0, budget=9):
        super().__init__(x, k, kind, delay)
        self.budget = budget

    def score(self, X, y=None):
        blur = np.sin(7 * self.x + self.k) / self.budget  # misleads cheap rungs
        return super().score(X, y) + blur


SPACE = {"x": Real(-1.0, 1.0), "k": Integer(0, 9), "kind": Categorical(["a", "b", "c"])}
X = np.arange(40.0).reshape(20, 2)


def make_search(kind, checkpoint=None, delay=0.0):
    estimator = SlowQuadratic(delay=delay)
    common = {"cv": KFold(2), "random_state": 7, "checkpoint": checkpoint}
    if kind.endswith("-mf"):
        kind = kind[: -len("-mf")]
        estimator = BudgetedQuadratic(delay=delay)
        common.update(resource="budget", min_resources=1)
    if kind == "bayes":
        return BayesSearchCV(
            estimator,
            SPACE,
            n_iter=16,
            n_points=2,
            optimizer_kwargs={"n_initial_points": 6},
            **common,
        )
    return GeneticSearchCV(estimator, SPACE, population_size=6, generations=5, **common)


def summary(search):
    results = search.cv_results_
    return {
        "params": [dict(p) for p in results["params"]],
        "mean_test_score": results["mean_test_score"].tolist(),
        "split0_test_score": results["split0_test_score"].tolist(),
        "iter": results["iter"].tolist(),
        "best_params": dict(search.best_params_),
        "best_score": float(search.best_score_),
    } | ({"n_resources": results["n_resources"].tolist()} if search.resource else {})


if __name__ == "__main__":
    kind, checkpoint, output = sys.argv[1:4]
    n_jobs = int(sys.argv[4]) if len(sys.argv) > 4 else None
    print("ready", flush=True)
    search = make_search(kind, checkpoint, delay=0.03).set_params(n_jobs=n_jobs)
    search.fit(X)
    with open(output, "w") as file:
        json.dump(summary(search), file)
