"""TensorBoardLogger and TensorBoardEpochLogger, read back with TensorBoard."""

import json
import math
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.callbacks import TensorBoardLogger
from sklearn_tune.callbacks._logging import readable
from sklearn_tune.exceptions import SearchWarning
from sklearn_tune.space import Categorical, Real

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator"
)
plugin_data_pb2 = pytest.importorskip("tensorboard.plugins.hparams.plugin_data_pb2")

X, y = make_classification(n_samples=60, n_features=4, random_state=0)


def read_events(folder):
    """Everything TensorBoard reads from the event files of ``folder``."""
    events = event_accumulator.EventAccumulator(
        str(folder), size_guidance={"scalars": 0, "tensors": 0}
    )
    return events.Reload()


def scalars(events, tag):
    """``{step: value}`` of a scalar."""
    return {e.step: e.value for e in events.Scalars(tag)}


def hparams(events):
    """The parameters of an HParams session, as TensorBoard's plugin reads them."""
    content = events.PluginTagToContent("hparams")
    data = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/session_start_info"]
    )
    values = data.session_start_info.hparams
    return {name: getattr(v, v.WhichOneof("kind")) for name, v in values.items()}


class FailWhen(LogisticRegression):
    def __init__(self, C=1.0, fail=False):
        super().__init__(C=C)
        self.fail = fail

    def fit(self, X, y):
        if self.fail:
            raise ValueError("boom")
        return super().fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.FitFailedWarning")
@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
@pytest.mark.parametrize("searcher", ["bayes", "genetic"])
def test_scores_and_hparams_of_every_candidate(tmp_path, searcher):
    space = {
        "C": Real(1e-2, 1e2, prior="log-uniform"),
        "fail": Categorical([False, True]),
    }
    if searcher == "bayes":
        search = BayesSearchCV(
            FailWhen(), space, n_iter=6, cv=2, error_score=np.nan, random_state=0
        )
    else:
        search = GeneticSearchCV(
            FailWhen(), space, population_size=3, generations=1, cv=2, random_state=0
        )
    logger = TensorBoardLogger(tmp_path / "runs")
    search.fit(X, y, callback=logger)
    results = search.cv_results_
    n = len(results["params"])
    failed = [p["fail"] for p in results["params"]]
    assert True in failed and False in failed, "the test needs both kinds"

    events = read_events(tmp_path / "runs")
    score = scalars(events, "search/score")
    assert sorted(score) == [i for i in range(n) if not failed[i]]
    for i, value in score.items():
        assert value == pytest.approx(results["mean_test_score"][i])
    best = scalars(events, "search/best_score")
    first_ok = failed.index(False)
    assert sorted(best) == list(range(first_ok, n))
    for i, value in best.items():
        assert value == pytest.approx(max(score[j] for j in score if j <= i))
    assert best[n - 1] == pytest.approx(search.best_score_)
    assert scalars(events, "search/failed") == {
        i: float(f) for i, f in enumerate(failed)
    }

    for i, params in enumerate(results["params"]):
        session = read_events(tmp_path / "runs" / f"candidate-{i}")
        shown = hparams(session)
        assert shown.keys() == {"C", "fail"}
        assert shown["C"] == pytest.approx(params["C"])
        assert shown["fail"] is params["fail"]
        metric = scalars(session, "hparam/score")[0]
        if failed[i]:
            assert math.isnan(metric)
        else:
            assert metric == pytest.approx(results["mean_test_score"][i])
        fit_time = scalars(session, "hparam/fit_time")[0]
        assert fit_time == pytest.approx(
            results["mean_fit_time"][i], rel=1e-5, nan_ok=True
        )
    assert not hasattr(logger, "writer_")  # closed


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.FitFailedWarning")
@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_a_failed_candidate_s_nan_score_is_logged_quietly(tmp_path, caplog):
    space = {"fail": Categorical([False, True])}
    search = GeneticSearchCV(
        FailWhen(), space, population_size=2, generations=0, cv=2, random_state=0
    )
    search.fit(X, y, callback=TensorBoardLogger(tmp_path))
    assert [p["fail"] for p in search.cv_results_["params"]].count(True) == 1
    assert "NaN or Inf" not in caplog.text


def test_estimator_parameters_are_readable_text(tmp_path):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    space = {"scale": Categorical([MinMaxScaler(), StandardScaler(with_std=False)])}
    search = BayesSearchCV(pipe, space, n_iter=2, cv=2, random_state=0)
    search.fit(X, y, callback=TensorBoardLogger(tmp_path))
    shown = {
        hparams(read_events(tmp_path / f"candidate-{i}"))["scale"]
        for i in range(len(search.cv_results_["params"]))
    }
    assert shown <= {"MinMaxScaler()", "StandardScaler(with_std=False)"}


def test_log_dir_defaults_to_a_new_folder_under_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    logger = TensorBoardLogger()
    BayesSearchCV(LogisticRegression(), {"C": Real(0.1, 1.0)}, n_iter=1, cv=2).fit(
        X, y, callback=logger
    )
    assert logger.log_dir_.startswith("runs/BayesSearchCV-")
    assert scalars(read_events(logger.log_dir_), "search/score").keys() == {0}


# -- nn epochs -----------------------------------------------------------------


@pytest.fixture
def images():
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(3), 8)
    X = rng.rand(24, 1, 8, 8).astype("float32") * 0.5 + y[:, None, None, None] * 0.25
    return X, y


def tiny_net(**kwargs):
    nn = pytest.importorskip("sklearn_tune.nn")
    return nn.FineTuneClassifier(
        "resnet8",
        module__width=4,
        max_epochs=2,
        batch_size=8,
        validation_fraction=0.25,
        device="cpu",
        random_state=0,
        **kwargs,
    )


def test_skorch_tensorboard_logs_one_fit(tmp_path, images):
    # skorch's own callback holds one open writer: right for one fit, but a
    # search cannot clone it (a SummaryWriter holds a thread and a queue).
    pytest.importorskip("skorch")
    from skorch.callbacks import TensorBoard
    from tensorboardX import SummaryWriter

    net = tiny_net(callbacks=[("tensorboard", TensorBoard(SummaryWriter(tmp_path)))])
    with pytest.raises(Exception):  # noqa: B017  (the error depends on the writer)
        clone(net)
    net.fit(*images)
    events = read_events(tmp_path)
    for key in ("train_loss", "valid_loss"):
        expected = dict(zip(net.history[:, "epoch"], net.history[:, key]))
        assert scalars(events, f"Loss/{key}") == pytest.approx(expected)


def test_epoch_logger_gives_every_fit_of_a_search_its_folder(tmp_path, images):
    pytest.importorskip("skorch")
    from sklearn_tune.callbacks import TensorBoardEpochLogger

    logger = TensorBoardEpochLogger(tmp_path / "nets")
    net = tiny_net(callbacks=[("tensorboard", logger)])
    search = BayesSearchCV(
        net,
        {"lr": Real(1e-4, 1e-2, prior="log-uniform")},
        n_iter=2,
        cv=2,
        random_state=0,
    )
    search.fit(*images)
    folders = sorted((tmp_path / "nets").iterdir())
    assert len(folders) == 2 * 2 + 1  # candidates x splits, and the refit
    lrs = set()
    for folder in folders:
        events = read_events(folder)
        assert set(scalars(events, "Loss/train_loss")) == {1, 2}
        assert set(scalars(events, "Loss/valid_loss")) == {1, 2}
        assert set(scalars(events, "Loss/valid_acc")) == {1, 2}  # skorch's names
        text = events.Tensors("params/text_summary")[0].tensor_proto.string_val[0]
        lrs.add(next(t for t in text.decode().split("  \n") if t.startswith("lr: ")))
    assert len(lrs) == 2  # the two candidates' learning rates

    best = search.best_estimator_
    epoch_logger = dict(best.callbacks_)["tensorboard"]
    refit = read_events(epoch_logger.fit_log_dir_)
    expected = dict(zip(best.history[:, "epoch"], best.history[:, "train_loss"]))
    assert scalars(refit, "Loss/train_loss") == pytest.approx(expected)
    assert epoch_logger.writer is None  # closed; the net pickles
    pickle.loads(pickle.dumps(best))
    clone(best)


# -- "best" is the search's best_* --------------------------------------------


def test_the_logged_best_is_the_search_s_best(search_with_a_best, tmp_path):
    search, X, y, stoppers = search_with_a_best
    logger = TensorBoardLogger(tmp_path / "runs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SearchWarning)  # stopped: no refit
        search.fit(X, y, callback=[logger, *stoppers])

    events = read_events(tmp_path / "runs")
    best = scalars(events, "search/best_score")
    assert best[max(best)] == pytest.approx(search.best_score_)
    assert logger.best_score_ == pytest.approx(search.best_score_)
    assert logger.best_index_ == search.best_index_
    assert logger.best_params_ == search.best_params_
    (text,) = events.Tensors("search/best_params/text_summary")
    shown = json.loads(text.tensor_proto.string_val[0])
    assert shown == {k: readable(v) for k, v in search.best_params_.items()}
    results = search.cv_results_
    if "n_resources" in results and not stoppers:
        # every best_score point is a full-budget score
        budgets = np.asarray(results["n_resources"])
        scores = np.asarray(results["mean_test_score"], dtype=np.float32)
        assert set(best.values()) <= set(scores[budgets == max(budgets)])
        assert min(best) == list(budgets).index(max(budgets))
