"""MLflowLogger against a local MLflow file store."""

import math
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tune._compat import InvalidParameterError
from sklearn_tune.callbacks import Callback, MLflowLogger
from sklearn_tune.exceptions import SearchWarning, StopSearch
from sklearn_tune.space import Categorical, Real

mlflow = pytest.importorskip("mlflow")

X, y = make_classification(n_samples=60, n_features=4, random_state=0)


@pytest.fixture
def tracking_uri(tmp_path, monkeypatch):
    # MLflow >= 3.? refuses a file store unless told it is wanted on purpose.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return (tmp_path / "mlruns").as_uri()


def runs_of(tracking_uri, experiment_name):
    """``(parent run, nested runs in the order of cv_results_)``."""
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name(experiment_name)
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    parents = [r for r in runs if "sklearn_tune.search" in r.data.tags]
    assert len(parents) == 1
    parent = parents[0]
    nested = [
        r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id
    ]
    nested.sort(key=lambda r: int(r.info.run_name.split("-")[1]))
    assert len(nested) + 1 == len(runs)
    return parent, nested


class FailWhen(ClassifierMixin, BaseEstimator):
    """A logistic regression that raises in ``fit`` when ``fail``."""

    def __init__(self, C=1.0, fail=False):
        self.C = C
        self.fail = fail

    def fit(self, X, y):
        if self.fail:
            raise ValueError("boom: fail=True")
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


class StopAfter(Callback):
    def __init__(self, n):
        self.n = n

    def on_batch_end(self, search, *, iter, **kwargs):
        if iter + 1 >= self.n:
            raise StopSearch(f"StopAfter: {self.n} batches")


def test_runs_hold_params_and_metrics_of_cv_results(make_search, tracking_uri):
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    space = {
        "clf__C": Real(1e-2, 1e2, prior="log-uniform"),
        "scale": Categorical([StandardScaler(with_mean=False), "passthrough"]),
    }
    search = make_search(
        pipe, space, budget=6, cv=3, return_train_score=True, random_state=0
    )
    logger = MLflowLogger(tracking_uri, experiment_name="exp", run_name="search")
    search.fit(X, y, callback=logger)

    parent, nested = runs_of(tracking_uri, "exp")
    results = search.cv_results_
    assert parent.info.run_name == "search"
    assert parent.info.run_id == logger.run_id_
    assert parent.info.status == "FINISHED"
    assert [r.info.run_id for r in nested] == logger.candidate_run_ids_
    assert len(nested) == len(results["params"])
    metric_keys = [
        k
        for k in results
        if k.startswith(("split", "mean_", "std_")) and not k.startswith("param")
    ]
    assert "split2_train_score" in metric_keys and "mean_fit_time" in metric_keys
    for row, run in enumerate(nested):
        assert run.info.status == "FINISHED"
        assert run.data.tags["sklearn_tune.iter"] == str(results["iter"][row])
        params = results["params"][row]
        assert run.data.params["clf__C"] == str(params["clf__C"])
        assert run.data.params["scale"] in (
            "StandardScaler(with_mean=False)",
            "passthrough",
        )
        assert run.data.params["scale"] == (
            params["scale"]
            if params["scale"] == "passthrough"
            else repr(params["scale"])
        )
        assert set(run.data.metrics) == set(metric_keys)
        for key in metric_keys:
            assert run.data.metrics[key] == pytest.approx(results[key][row]), key

    best = search.best_index_
    assert parent.data.metrics["best_score"] == pytest.approx(search.best_score_)
    assert parent.data.params["best.clf__C"] == str(search.best_params_["clf__C"])
    assert parent.data.tags["best_run_id"] == nested[best].info.run_id
    assert parent.data.tags["sklearn_tune.n_candidates"] == str(len(nested))


def test_a_failing_candidate_is_a_failed_run(tracking_uri, tmp_path):
    from sklearn_tune import GeneticSearchCV

    space = {"C": Categorical([0.1, 1.0]), "fail": Categorical([False, True])}
    search = GeneticSearchCV(
        FailWhen(), space, population_size=4, generations=1, cv=2, random_state=0
    )
    with pytest.warns(Warning):  # the search's FitFailedWarning
        search.fit(X, y, callback=MLflowLogger(tracking_uri, experiment_name="exp"))

    parent, nested = runs_of(tracking_uri, "exp")
    fails = [p["fail"] for p in search.cv_results_["params"]]
    assert True in fails and False in fails, "the test needs both kinds"
    assert parent.info.status == "FINISHED"
    for run, fail, mean in zip(nested, fails, search.cv_results_["mean_test_score"]):
        if fail:
            assert run.info.status == "FAILED"
            assert run.data.tags["error"] == "ValueError: boom: fail=True"
            traceback = mlflow.MlflowClient(tracking_uri).download_artifacts(
                run.info.run_id, "error.txt", tmp_path
            )
            text = open(traceback).read()
            assert text.startswith("Traceback") and "in fit" in text
            assert math.isnan(run.data.metrics["mean_test_score"])
        else:
            assert run.info.status == "FINISHED"
            assert "error" not in run.data.tags
            assert run.data.metrics["mean_test_score"] == pytest.approx(mean)
    assert parent.data.params["best.fail"] == "False"


@pytest.mark.parametrize("stopper_first", [False, True], ids=["after", "before"])
def test_a_stopped_search_closes_its_runs(make_search, tracking_uri, stopper_first):
    space = {"C": Real(1e-2, 1e2, prior="log-uniform")}
    search = make_search(LogisticRegression(), space, budget=12, cv=2, random_state=0)
    logger = MLflowLogger(tracking_uri, experiment_name="exp")
    callbacks = [StopAfter(2), logger] if stopper_first else [logger, StopAfter(2)]
    search.fit(X, y, callback=callbacks)

    assert search.stop_reason_ == "StopAfter: 2 batches"
    parent, nested = runs_of(tracking_uri, "exp")
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["stop_reason"] == "StopAfter: 2 batches"
    assert parent.info.end_time is not None
    assert all(r.info.status == "FINISHED" for r in nested)
    n_logged = np.sum(search.cv_results_["iter"] == 0) if stopper_first else None
    # a stopper before the logger ends the search before the last batch is logged
    expected = n_logged if stopper_first else len(search.cv_results_["params"])
    assert len(nested) == expected


def test_an_interrupted_search_is_killed(tracking_uri):
    class Interrupt(Callback):
        def on_batch_end(self, search, *, iter, **kwargs):
            if iter == 1:
                raise KeyboardInterrupt

    search = _small_search()
    logger = MLflowLogger(tracking_uri, experiment_name="exp")
    with pytest.warns(SearchWarning, match="interrupted"):
        search.fit(X, y, callback=[logger, Interrupt()])
    parent, _ = runs_of(tracking_uri, "exp")
    assert parent.info.status == "KILLED"
    assert parent.data.tags["stop_reason"] == "interrupted by KeyboardInterrupt"


def test_a_search_that_raises_fails_its_run(tracking_uri):
    from sklearn_tune import BayesSearchCV

    search = BayesSearchCV(
        FailWhen(fail=True), {"C": Real(0.1, 1.0)}, n_iter=2, cv=2, random_state=0
    )  # error_score="raise", as in skopt
    with pytest.raises(ValueError, match="boom"):
        search.fit(X, y, callback=MLflowLogger(tracking_uri, experiment_name="exp"))
    parent, nested = runs_of(tracking_uri, "exp")
    assert parent.info.status == "FAILED"
    assert parent.data.tags["error"] == "ValueError: boom: fail=True"
    assert nested == []


def test_an_error_handled_around_fit_is_not_the_search_s(tracking_uri):
    search = _small_search()
    try:
        raise KeyError("handled by the caller")
    except KeyError:
        search.fit(X, y, callback=MLflowLogger(tracking_uri, experiment_name="exp"))
    parent, _ = runs_of(tracking_uri, "exp")
    assert parent.info.status == "FINISHED"


def test_the_search_run_nests_in_the_active_run(tracking_uri, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    experiment_id = mlflow.MlflowClient().create_experiment("outer")
    with mlflow.start_run(experiment_id=experiment_id) as outer:
        _small_search().fit(X, y, callback=MLflowLogger())
    client = mlflow.MlflowClient()
    runs = client.search_runs([experiment_id])
    search_runs = [r for r in runs if "sklearn_tune.search" in r.data.tags]
    assert len(search_runs) == 1
    assert search_runs[0].data.tags["mlflow.parentRunId"] == outer.info.run_id
    assert search_runs[0].info.run_name == "BayesSearchCV"


def test_without_a_name_the_runs_go_to_the_default_experiment(tracking_uri):
    _small_search().fit(X, y, callback=MLflowLogger(tracking_uri))
    parent, nested = runs_of(tracking_uri, "Default")
    assert parent.info.run_name == "BayesSearchCV" and len(nested) == 2


def test_the_refitted_estimator_can_be_logged_in_the_search_run(
    tracking_uri, tmp_path, monkeypatch
):
    # As the README shows: the refit follows the search, so it is logged after fit.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    logger = MLflowLogger(experiment_name="exp")
    search = _small_search().fit(X, y, callback=logger)
    with mlflow.start_run(run_id=logger.run_id_):
        mlflow.log_text(repr(search.best_estimator_), "best.txt")
    client = mlflow.MlflowClient()
    path = client.download_artifacts(logger.run_id_, "best.txt", tmp_path)
    assert open(path).read() == repr(search.best_estimator_)
    assert client.get_run(logger.run_id_).info.status == "FINISHED"


def test_parameters_are_checked_before_any_fit(tracking_uri):
    search = _small_search()
    with pytest.raises(InvalidParameterError, match="run_name"):
        search.fit(X, y, callback=MLflowLogger(tracking_uri, run_name=3))
    assert not hasattr(search, "cv_results_")


def _small_search():
    from sklearn_tune import BayesSearchCV

    return BayesSearchCV(
        LogisticRegression(), {"C": Real(0.1, 1.0)}, n_iter=2, cv=2, random_state=0
    )


def test_ctrl_c_while_logging_a_candidate_leaves_no_run_running(
    tracking_uri, monkeypatch
):
    logger = MLflowLogger(tracking_uri, experiment_name="exp")
    log_batch, calls = logger._log_batch, []

    def interrupted_log_batch(run_id, **kwargs):
        if run_id != logger.run_id_:  # a candidate's run
            calls.append(run_id)
            if len(calls) == 2:  # the second candidate, mid-logging
                raise KeyboardInterrupt
        return log_batch(run_id, **kwargs)

    monkeypatch.setattr(logger, "_log_batch", interrupted_log_batch)
    with pytest.warns(SearchWarning, match="interrupted"):
        _small_search().fit(X, y, callback=logger)
    parent, nested = runs_of(tracking_uri, "exp")
    assert parent.info.status == "KILLED"
    assert nested and all(r.info.status != "RUNNING" for r in nested)
    assert "KILLED" in {r.info.status for r in nested}


# -- "best" is the search's best_* --------------------------------------------


def test_the_logged_best_is_the_search_s_best(search_with_a_best, tracking_uri):
    search, X, y, stoppers = search_with_a_best
    logger = MLflowLogger(tracking_uri, experiment_name="exp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SearchWarning)  # stopped: no refit
        search.fit(X, y, callback=[logger, *stoppers])

    parent, nested = runs_of(tracking_uri, "exp")
    client = mlflow.MlflowClient(tracking_uri)
    history = client.get_metric_history(parent.info.run_id, "best_score")
    assert history[-1].value == pytest.approx(search.best_score_)
    assert parent.data.metrics["best_score"] == pytest.approx(search.best_score_)
    assert logger.best_score_ == pytest.approx(search.best_score_)
    best_params = {
        k[len("best.") :]: v for k, v in parent.data.params.items() if k[:5] == "best."
    }
    assert best_params == {k: str(v) for k, v in search.best_params_.items()}
    assert parent.data.tags["best_run_id"] == nested[search.best_index_].info.run_id
    assert logger.best_run_id_ == nested[search.best_index_].info.run_id
    if "n_resources" in search.cv_results_ and not stoppers:
        # every best_score point is a full-budget score
        budgets = np.asarray(search.cv_results_["n_resources"])
        scores = np.asarray(search.cv_results_["mean_test_score"])
        assert {m.value for m in history} <= set(scores[budgets == max(budgets)])
