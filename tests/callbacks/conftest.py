"""Searches whose ``best_*`` a logger must report as they are."""

import pytest
from sklearn.base import BaseEstimator
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.callbacks import Callback
from sklearn_tune.exceptions import StopSearch
from sklearn_tune.space import Real


class Budgeted(BaseEstimator):
    """``-(x - 0.3) ** 2 - n_steps / 100``: a smaller budget scores higher."""

    def __init__(self, x=0.0, n_steps=9):
        self.x, self.n_steps = x, n_steps

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return -((self.x - 0.3) ** 2) - self.n_steps / 100


@pytest.fixture
def budgeted():
    """The estimator class whose smaller budgets score higher."""
    return Budgeted


class StopAfterFirstBatch(Callback):
    def on_batch_end(self, search, **kwargs):
        raise StopSearch("StopAfterFirstBatch")


SPACE = {"x": Real(-1.0, 1.0)}
RIDGE_SPACE = {"alpha": Real(1e-3, 1e3, prior="log-uniform")}
GENETIC = {"population_size": 4, "cv": 2, "random_state": 0}
BAYES = {"optimizer_kwargs": {"n_initial_points": 3}, "cv": 2, "random_state": 0}
FIDELITY = {"resource": "n_steps", "min_resources": 1, "factor": 3}
NEG_MSE = {"scoring": "neg_mean_squared_error"}

_SEARCHES = {
    "genetic criteria=min": lambda: GeneticSearchCV(
        Budgeted(), SPACE, generations=2, criteria="min", **GENETIC
    ),
    "genetic multi-fidelity": lambda: GeneticSearchCV(
        Budgeted(), SPACE, generations=1, **GENETIC, **FIDELITY
    ),
    "genetic multi-fidelity criteria=min": lambda: GeneticSearchCV(
        Budgeted(), SPACE, generations=1, criteria="min", **GENETIC, **FIDELITY
    ),
    "bayes multi-fidelity": lambda: BayesSearchCV(
        Budgeted(), SPACE, n_iter=8, **BAYES, **FIDELITY
    ),
    "bayes multi-fidelity stopped before the full budget": lambda: BayesSearchCV(
        Budgeted(), SPACE, n_iter=8, **BAYES, **FIDELITY
    ),
    "bayes neg_mean_squared_error": lambda: BayesSearchCV(
        Ridge(), RIDGE_SPACE, n_iter=5, **BAYES, **NEG_MSE
    ),
    "genetic neg_mean_squared_error": lambda: GeneticSearchCV(
        Ridge(), RIDGE_SPACE, generations=1, **GENETIC, **NEG_MSE
    ),
}


@pytest.fixture(params=list(_SEARCHES), ids=list(_SEARCHES))
def search_with_a_best(request):
    """``(unfitted search, X, y, callbacks to put after the logger)``.

    Each is a case where "best" is easy to get wrong: lower is better under
    ``criteria="min"``; with multi-fidelity a row at a small budget scores
    higher than every full-budget row (and a search stopped after its first
    rung has no full-budget row); a negated scorer has negative scores, and
    higher is still better.
    """
    X, y = load_diabetes(return_X_y=True)
    stoppers = [StopAfterFirstBatch()] if "stopped" in request.param else []
    return _SEARCHES[request.param](), X[:80], y[:80], stoppers
