"""Scaling out: both searchers under Ray's joblib backend, on a local Ray.

Ray is a large install, left out of CI's environment (the `ray` extra installs
it); this module is skipped without it.
"""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

ray = pytest.importorskip("ray")
from joblib import parallel_backend  # noqa: E402
from ray.util.joblib import register_ray  # noqa: E402

from sklearn_tune import BayesSearchCV, GeneticSearchCV  # noqa: E402
from sklearn_tune.space import Categorical, Real  # noqa: E402

X, y = load_iris(return_X_y=True)
SPACE = {
    "C": Real(1e-2, 1e2, prior="log-uniform"),
    "fit_intercept": Categorical([True, False]),
}


def make_search(name):
    estimator = LogisticRegression(max_iter=500)
    if name == "bayes":
        return BayesSearchCV(
            estimator,
            SPACE,
            n_iter=6,
            n_points=3,
            cv=3,
            random_state=0,
            optimizer_kwargs={"n_initial_points": 3},
        )
    return GeneticSearchCV(
        estimator, SPACE, population_size=4, generations=2, cv=3, random_state=0
    )


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    register_ray()
    yield
    ray.shutdown()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bayes", "genetic"])
def test_ray_backend_gives_the_same_search_as_one_job(local_ray, name):
    local = make_search(name).set_params(n_jobs=1).fit(X, y)
    with parallel_backend("ray"):
        remote = make_search(name).fit(X, y)
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
    assert remote.score(X, y) == local.score(X, y)
