"""Scaling out: both searchers on a real Dask cluster through joblib's backend."""

import os
import threading
import time

import numpy as np
import pytest
from sklearn.base import BaseEstimator

pytest.importorskip("distributed")
from distributed import Client, LocalCluster  # noqa: E402
from distributed.comm.core import CommClosedError  # noqa: E402
from joblib import parallel_backend  # noqa: E402

from sklearn_tune import BayesSearchCV, GeneticSearchCV  # noqa: E402
from sklearn_tune.space import Categorical, Real  # noqa: E402

X = np.arange(60.0).reshape(30, 2)


class Sleeper(BaseEstimator):
    """A fit that takes ``delay`` seconds; the score tells which process ran it."""

    def __init__(self, x=0.0, kind="a", delay=0.0):
        self.x, self.kind, self.delay = x, kind, delay

    def fit(self, X, y=None):
        time.sleep(self.delay)
        self.pid_ = os.getpid()
        return self

    def score(self, X, y=None):
        return -((self.x - 0.2) ** 2) + (self.kind == "b") * 0.1 + 1e-3 * X.mean()


SPACE = {"x": Real(-1.0, 1.0), "kind": Categorical(["a", "b"])}


def searchers(delay=0.0):
    return [
        BayesSearchCV(
            Sleeper(delay=delay),
            SPACE,
            n_iter=8,
            n_points=4,
            cv=2,
            random_state=0,
            optimizer_kwargs={"n_initial_points": 4},
        ),
        GeneticSearchCV(
            Sleeper(delay=delay),
            SPACE,
            population_size=4,
            generations=2,
            cv=2,
            random_state=0,
        ),
    ]


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with Client(cluster) as client:
        yield client
    cluster.close()


@pytest.mark.parametrize("index", [0, 1], ids=["bayes", "genetic"])
def test_dask_gives_the_same_search_as_one_job(client, index):
    local = searchers()[index].set_params(n_jobs=1).fit(X)
    with parallel_backend("dask"):
        remote = searchers()[index].fit(X)
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_


@pytest.mark.parametrize("index", [0, 1], ids=["bayes", "genetic"])
def test_a_killed_worker_does_not_lose_the_search(client, index):
    expected = searchers()[index].set_params(n_jobs=1).fit(X)
    search = searchers(delay=0.15)[index]
    workers = list(client.scheduler_info()["workers"])

    killed_at = []

    def kill_one_worker():
        time.sleep(1.0)
        killed_at.append(time.monotonic())
        try:
            client.run(os._exit, 1, workers=[workers[0]])
        except CommClosedError:  # the worker died before it could answer
            pass

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    with parallel_backend("dask"):
        search.fit(X)
    finished_at = time.monotonic()
    killer.join()
    assert killed_at and killed_at[0] < finished_at  # killed mid-search
    assert search.cv_results_["params"] == expected.cv_results_["params"]
    assert not np.isnan(search.cv_results_["mean_test_score"]).any()
    # the nanny brought the killed worker back under a new address
    client.wait_for_workers(2, timeout=30)
    assert workers[0] not in client.scheduler_info()["workers"]


def test_dask_runs_a_multi_fidelity_search_with_continued_training(client):
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_iris(return_X_y=True)

    def search():
        return GeneticSearchCV(
            RandomForestClassifier(n_estimators=9, random_state=0),
            {"max_features": Real(0.2, 1.0)},
            population_size=6,
            generations=1,
            cv=2,
            resource="n_estimators",
            random_state=0,
        )

    local = search().set_params(n_jobs=1).fit(X, y)
    with parallel_backend("dask"):
        remote = search().fit(X, y)
    assert list(remote.cv_results_["n_resources"]) == list(
        local.cv_results_["n_resources"]
    )
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_estimator_.n_estimators == 9
