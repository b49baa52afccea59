import numpy as np
import pytest

from sklearn_tune import BayesSearchCV, GeneticSearchCV


def _bayes(estimator, spaces, budget=6, **kwargs):
    kwargs.setdefault("optimizer_kwargs", {"n_initial_points": 3})
    return BayesSearchCV(estimator, spaces, n_iter=budget, **kwargs)


def _genetic(estimator, spaces, budget=6, **kwargs):
    kwargs.setdefault("error_score", np.nan)
    return GeneticSearchCV(
        estimator,
        spaces,
        population_size=3,
        generations=max(budget // 3 - 1, 0),
        **kwargs,
    )


@pytest.fixture(params=[_bayes, _genetic], ids=["bayes", "genetic"])
def make_search(request):
    """Build either searcher with a budget of about ``budget`` candidates."""
    return request.param
