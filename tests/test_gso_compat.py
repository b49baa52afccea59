"""What sklearn-genetic-opt users bring: its callbacks, adapters and criteria.

Stand-ins written here follow sklearn-genetic-opt's protocols (``on_start``,
``on_step(record, logbook, estimator)``, ``on_end``; ``step()`` and
``current_value``), so these tests run without it; its real objects are tested
too when it is installed.
"""

import math
import re
import time
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.callbacks import EarlyStopping
from sklearn_tune.exceptions import SearchWarning, StopSearch
from sklearn_tune.schedules import Constant, ExponentialDecay, InverseDecay
from sklearn_tune.space import Categorical, Integer, Real

X, y = np.zeros((20, 2)), np.zeros(20)
STATS = ("fitness", "fitness_std", "fitness_max", "fitness_min")


class Bowl(BaseEstimator):
    """A no-cost estimator scoring (x - 0.3)^2 + |k - 4| + offset: lowest is 0."""

    def __init__(self, x=0.0, k=0, kind="a"):
        self.x, self.k, self.kind = x, k, kind

    def fit(self, X, y=None):
        if self.kind == "fails":
            raise ValueError("this kind fails")
        return self

    def score(self, X, y=None):
        offset = {"a": 0.0, "b": 1.0, "fails": 0.0}[self.kind]
        return (self.x - 0.3) ** 2 + abs(self.k - 4) + offset


SPACE = {"x": Real(-2.0, 2.0), "k": Integer(0, 10), "kind": Categorical(["a", "b"])}


def search(**kwargs):
    kwargs = {
        "population_size": 6,
        "generations": 4,
        "cv": KFold(2),
        "random_state": 0,
        **kwargs,
    }
    return GeneticSearchCV(Bowl(), SPACE, **kwargs)


# -- stand-ins for sklearn-genetic-opt's callback kinds -----------------------


class Recorder:
    """Records every call, as sklearn-genetic-opt calls a callback."""

    def __init__(self):
        self.calls = []

    def on_start(self, estimator=None):
        self.calls.append(("start", estimator))

    def on_step(self, record=None, logbook=None, estimator=None):
        self.calls.append(("step", dict(record), len(logbook), estimator))
        return False

    def on_end(self, logbook=None, estimator=None):
        self.calls.append(("end", len(logbook), estimator))

    def __call__(self, record=None, logbook=None, estimator=None):
        # sklearn-genetic-opt's callbacks are callable: still not skopt's kind
        return self.on_step(record, logbook, estimator)


class StopAtThreshold:
    """Like ThresholdStopping: stop once a record's metric reaches a value."""

    def __init__(self, threshold, metric="fitness_max"):
        self.threshold, self.metric = threshold, metric

    def on_step(self, record=None, logbook=None, estimator=None):
        return record[self.metric] >= self.threshold


class StopWhenNoProgress:
    """Like ConsecutiveStopping: stop when the metric did not beat the last N."""

    def __init__(self, generations, metric="fitness"):
        self.generations, self.metric = generations, metric

    def on_step(self, record=None, logbook=None, estimator=None):
        if len(logbook) <= self.generations:
            return False
        last = logbook.select(self.metric)
        return all(v >= last[-1] for v in last[-self.generations - 1 : -1])


class StopOnSmallDelta:
    """Like DeltaThreshold: stop when the last N values span <= threshold."""

    def __init__(self, threshold, generations=2, metric="fitness_max"):
        self.threshold, self.generations, self.metric = threshold, generations, metric

    def on_step(self, record=None, logbook=None, estimator=None):
        if len(logbook) < self.generations:
            return False
        values = logbook.select(self.metric)[-self.generations :]
        return max(values) - min(values) <= self.threshold


class StopAfterSeconds:
    """Like TimerStopping: the clock starts in on_start."""

    def __init__(self, total_seconds):
        self.total_seconds = total_seconds
        self.started = None

    def on_start(self, estimator=None):
        self.started = time.monotonic()

    def on_step(self, record=None, logbook=None, estimator=None):
        return time.monotonic() - self.started >= self.total_seconds


class SaveParameters:
    """Like LogbookSaver: dumps the estimator's "parameters" chapter each step."""

    def __init__(self, path):
        self.path, self.sizes = path, []

    def on_step(self, record=None, logbook=None, estimator=None):
        chapter = estimator.logbook.chapters["parameters"]
        self.sizes.append(len(chapter))
        joblib.dump(list(chapter), self.path)
        return False


class CountGenerations:
    """Like ProgressBar: reads the planned total from estimator._n_iterations."""

    def on_start(self, estimator=None):
        self.total, self.steps = estimator._n_iterations, 0

    def on_step(self, record=None, logbook=None, estimator=None):
        self.steps += 1


def test_each_hook_is_called_with_record_logbook_and_the_search():
    recorder = Recorder()
    est = search()
    est.fit(X, y, callbacks=recorder)
    start, *steps, end = recorder.calls
    assert start == ("start", est)
    assert [s[1] for s in steps] == [{"nevals": h["n_new"], **h} for h in est.history_]
    assert [s[2] for s in steps] == [1, 2, 3, 4, 5]  # the logbook grows
    assert all(s[3] is est for s in steps)
    assert end == ("end", 5, est)


def test_callback_and_callbacks_are_one_argument():
    recorder = Recorder()
    search().fit(X, y, callback=[recorder])
    assert len(recorder.calls) == 7
    with pytest.raises(TypeError, match="both callback= and callbacks="):
        search().fit(X, y, callback=Recorder(), callbacks=Recorder())


@pytest.mark.parametrize(
    "callback, n_generations",
    [
        pytest.param(StopAtThreshold(-math.inf), 1, id="threshold at gen 0"),
        pytest.param(StopWhenNoProgress(1), None, id="consecutive"),
        pytest.param(StopOnSmallDelta(1e9), 2, id="delta after 2 gens"),
        pytest.param(StopAfterSeconds(0), 1, id="timer"),
    ],
)
def test_a_stop_request_stops_the_search_and_names_the_callback(
    callback, n_generations
):
    est = search(generations=8, criteria="min").fit(X, y, callbacks=callback)
    name = type(callback).__name__
    assert est.stop_reason_.startswith(f"{name} returned True after generation")
    if n_generations is not None:
        assert len(est) == n_generations
    assert len(est) < 9
    assert est.best_estimator_ is not None  # a stopped search still refits


def test_logbook_saver_kind_sees_every_candidate_so_far(tmp_path):
    saver = SaveParameters(tmp_path / "logbook.pkl")
    est = search().fit(X, y, callbacks=saver)
    n_rows = np.cumsum([h["n_new"] for h in est.history_]).tolist()
    assert saver.sizes == n_rows
    saved = joblib.load(tmp_path / "logbook.pkl")
    assert [r["index"] for r in saved] == list(range(len(est.cv_results_["params"])))
    first = saved[0]
    assert first["score"] == est.cv_results_["mean_test_score"][0]
    assert {"x", "k", "kind", "cv_scores", "fit_time", "test_score"} <= set(first)
    # after the fit, the logbook is readable too, as GASearchCV's
    assert len(est.logbook) == len(est) and est.logbook.select("gen") == [
        h["gen"] for h in est.history_
    ]


def test_progress_kind_reads_the_planned_generations():
    counter = CountGenerations()
    est = search(generations=3).fit(X, y, callbacks=counter)
    assert counter.total == 4 and counter.steps == 4
    assert est._n_iterations == len(est) == 4


def test_history_grows_during_the_fit():
    lengths = []

    class Watch:
        def on_step(self, record=None, logbook=None, estimator=None):
            lengths.append(len(estimator.history_))
            assert estimator.history_[-1]["gen"] == record["gen"]

    search(generations=2).fit(X, y, callbacks=Watch())
    assert lengths == [1, 2, 3]


def test_on_a_bayes_search_a_record_describes_the_batch():
    recorder = Recorder()
    BayesSearchCV(
        Bowl(),
        {"x": Real(-2.0, 2.0)},
        n_iter=3,
        cv=KFold(2),
        optimizer_kwargs={"n_initial_points": 2},
        random_state=0,
    ).fit(X, y, callback=recorder)
    steps = [c for c in recorder.calls if c[0] == "step"]
    assert [s[1]["gen"] for s in steps] == [0, 1, 2]
    assert all(set(STATS) <= set(s[1]) for s in steps)
    assert recorder.calls[-1][:2] == ("end", 3)


# -- schedules ----------------------------------------------------------------


@pytest.mark.parametrize(
    "schedule, expected",
    [
        pytest.param(
            ExponentialDecay(0.8, 0.2, 0.5),
            [0.2 + 0.6 * math.exp(-0.5 * k) for k in range(4)],
            id="exponential",
        ),
        pytest.param(
            InverseDecay(0.8, 0.2, 1.0),
            [0.2 + 0.6 / (1 + k) for k in range(4)],
            id="inverse",
        ),
        pytest.param(Constant(0.3), [0.3] * 4, id="constant"),
    ],
)
def test_schedules_start_from_their_initial_value(schedule, expected):
    assert schedule.current_value == expected[0]
    assert [schedule.step() for _ in expected] == pytest.approx(expected)
    assert schedule.current_value == pytest.approx(expected[-1])
    assert schedule.current_step == 4


class Logged:
    """A duck-typed schedule logging each step in a list shared by copies."""

    log = []  # a class attribute: the search's copies write here too

    def __init__(self, name, value):
        self.name, self.current_value = name, value

    def step(self):
        Logged.log.append(self.name)
        return self.current_value


def test_schedules_step_once_per_bred_generation_on_a_copy():
    Logged.log.clear()
    crossover, mutation = Logged("cx", 0.5), Logged("mut", 0.3)
    est = search(crossover_probability=crossover, mutation_probability=mutation)
    est.fit(X, y)
    # checked before any fit (4 steps each), then 4 bred generations
    assert Logged.log == ["cx", "mut"] * 8
    assert est.crossover_probability is crossover  # never replaced nor stepped


def test_a_second_fit_starts_from_the_initial_value():
    mutation = ExponentialDecay(0.4, 0.1, 1.0)
    first = search(mutation_probability=mutation, crossover_probability=0.5)
    first.fit(X, y)
    assert mutation.current_step == 0 and mutation.current_value == 0.4
    again = first.fit(X, y).cv_results_["params"]
    assert (
        again
        == search(mutation_probability=mutation, crossover_probability=0.5)
        .fit(X, y)
        .cv_results_["params"]
    )


def test_constant_schedule_searches_as_the_float():
    floats = search(crossover_probability=0.6, mutation_probability=0.3).fit(X, y)
    schedules = search(
        crossover_probability=Constant(0.6), mutation_probability=Constant(0.3)
    ).fit(X, y)
    assert schedules.cv_results_["params"] == floats.cv_results_["params"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        pytest.param(
            {
                "crossover_probability": InverseDecay(0.3, 0.9, 1.0),
                "mutation_probability": 0.4,
            },
            "at generation 3 they are 0.7 + 0.4 = 1.1. Lower one of them",
            id="sum above 1 later",
        ),
        pytest.param(
            {
                "crossover_probability": 0.0,
                "mutation_probability": ExponentialDecay(0.1, 1.5, 1.0),
            },
            "mutation_probability must be a probability in [0, 1] in every "
            "generation; its schedule gives 1.31",
            id="leaves [0, 1]",
        ),
        pytest.param(
            {"crossover_probability": type("NoValue", (), {"step": lambda s: 0})()},
            "which has no current_value",
            id="no current_value",
        ),
        pytest.param(
            {"mutation_probability": "0.2"},
            "The 'mutation_probability' parameter of GeneticSearchCV must be",
            id="a string",
        ),
    ],
)
def test_bad_schedules_fail_before_any_fit(kwargs, message):
    class NeverFit(Bowl):
        def fit(self, X, y=None):
            raise AssertionError("fitted")

    est = GeneticSearchCV(NeverFit(), SPACE, generations=3, cv=KFold(2), **kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        est.fit(X, y)


def test_a_checkpointed_search_with_schedules_and_min_criteria_resumes(
    tmp_path, monkeypatch
):
    kwargs = {
        "criteria": "min",
        "crossover_probability": 0.5,
        "mutation_probability": ExponentialDecay(0.4, 0.1, 0.5),
        "checkpoint": tmp_path / "search.jsonl",
    }
    first = search(**kwargs).fit(X, y)
    fits = []
    monkeypatch.setattr(Bowl, "fit", lambda self, X, y=None: fits.append(1) or self)
    resumed = search(**kwargs).fit(X, y)
    # every candidate is read back: only a sentinel evaluation and the refit fit
    assert len(fits) <= 3
    assert resumed.cv_results_["params"] == first.cv_results_["params"]
    assert resumed.best_params_ == first.best_params_
    assert resumed.history_ == first.history_


def test_simple_algorithm_takes_schedules_that_sum_above_1():
    est = search(
        algorithm="simple",
        crossover_probability=Constant(0.9),
        mutation_probability=ExponentialDecay(0.9, 0.5, 0.1),
    )
    assert len(est.fit(X, y)) == 5


# -- criteria="min" -------------------------------------------------------------


def test_min_criteria_makes_the_minimiser_best():
    est = search(criteria="min", generations=6).fit(X, y)
    means = est.cv_results_["mean_test_score"]
    lowest = int(np.argmin(means))
    assert est.best_index_ == lowest
    assert est.best_params_ == est.cv_results_["params"][lowest]
    assert est.best_score_ == means.min()
    assert est.cv_results_["rank_test_score"][lowest] == 1
    assert est.cv_results_["rank_test_score"][np.argmax(means)] == len(means)
    assert est.hall_of_fame_[0]["score"] == means.min()
    assert est.hof[0] == est.best_params_
    scores = [entry["score"] for entry in est.hall_of_fame_]
    assert scores == sorted(scores)
    # elitist evolution towards low scores: the best of a generation never rises
    best = [h["fitness_min"] for h in est.history_]
    assert best == sorted(best, reverse=True) and best[-1] < best[0]


def test_min_criteria_ranks_failed_candidates_last():
    space = {**SPACE, "kind": Categorical(["a", "fails"])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = GeneticSearchCV(
            Bowl(),
            space,
            generations=2,
            cv=KFold(2),
            criteria="min",
            error_score=-100.0,
            random_state=0,
        ).fit(X, y)
    failed = np.array([p["kind"] == "fails" for p in est.cv_results_["params"]])
    assert failed.any() and not failed.all()
    ranks = est.cv_results_["rank_test_score"]
    assert ranks[failed].min() > ranks[~failed].max()
    assert est.best_params_["kind"] == "a"


def test_min_criteria_when_interrupted_keeps_the_minimiser():
    class Interrupt:
        def on_step(self, record=None, logbook=None, estimator=None):
            if record["gen"] == 1:
                raise KeyboardInterrupt

    with pytest.warns(SearchWarning, match="interrupted"):
        est = search(criteria="min").fit(X, y, callbacks=Interrupt())
    means = est.cv_results_["mean_test_score"]
    assert est.best_params_ == est.cv_results_["params"][int(np.argmin(means))]


def test_min_criteria_gives_skopt_callbacks_the_scores_to_minimise():
    seen = []
    est = search(criteria="min", generations=1).fit(
        X, y, callback=lambda result: seen.append(result.fun)
    )
    assert seen[-1] == est.cv_results_["mean_test_score"].min()


def test_early_stopping_follows_min_criteria():
    stopper, est = EarlyStopping(patience=2), search(criteria="min")
    stopper.on_search_begin(est)
    for scores in ([5.0, 9.0], [4.0, math.nan], [3.0]):  # falling: improving
        stopper.on_batch_end(est, scores=scores)
    assert stopper.best_score_ == 3.0 and stopper.n_without_improvement_ == 0
    stopper.on_batch_end(est, scores=[3.5])
    with pytest.raises(StopSearch, match=re.escape("(best score 3)")):
        stopper.on_batch_end(est, scores=[8.0])


def test_criteria_is_validated_in_fit():
    with pytest.raises(ValueError, match="'criteria' parameter of GeneticSearchCV"):
        search(criteria="minimise").fit(X, y)


# -- sklearn-genetic-opt's own objects, when it is installed --------------------


@pytest.fixture
def gso():
    return pytest.importorskip("sklearn_genetic")


@pytest.mark.parametrize(
    "name, kwargs",
    [
        pytest.param("ThresholdStopping", {"threshold": -1e9}, id="threshold"),
        pytest.param("ConsecutiveStopping", {"generations": 1}, id="consecutive"),
        pytest.param("DeltaThreshold", {"threshold": 1e9}, id="delta"),
        pytest.param("TimerStopping", {"total_seconds": 0}, id="timer"),
    ],
)
def test_their_stoppers_stop_the_search(gso, name, kwargs, capsys):
    from sklearn_genetic import callbacks

    stopper = getattr(callbacks, name)(**kwargs)
    est = search(generations=10, criteria="min").fit(X, y, callbacks=[stopper])
    assert est.stop_reason_.startswith(f"{name} returned True")
    assert len(est) < 11
    assert "met its criteria" in capsys.readouterr().out


def test_their_logbook_saver_saves_the_candidates(gso, tmp_path):
    from sklearn_genetic.callbacks import LogbookSaver

    path = tmp_path / "logbook.pkl"
    est = search().fit(X, y, callbacks=LogbookSaver(str(path)))
    saved = joblib.load(path)
    assert len(saved) == len(est.cv_results_["params"])
    assert saved.select("score") == list(est.cv_results_["mean_test_score"])


def test_their_adapters_are_copied_and_stepped(gso):
    from sklearn_genetic.schedules import (
        ConstantAdapter,
        ExponentialAdapter,
        InverseAdapter,
    )

    mutation = ExponentialAdapter(initial_value=0.4, end_value=0.1, adaptive_rate=0.5)
    crossover = InverseAdapter(initial_value=0.5, end_value=0.3, adaptive_rate=0.5)
    est = search(crossover_probability=crossover, mutation_probability=mutation)
    assert len(est.fit(X, y)) == 5
    assert mutation.current_step == crossover.current_step == 0
    # ours step as theirs: the same search
    ours = search(
        crossover_probability=InverseDecay(0.5, 0.3, 0.5),
        mutation_probability=ExponentialDecay(0.4, 0.1, 0.5),
    ).fit(X, y)
    assert ours.cv_results_["params"] == est.cv_results_["params"]
    constant = search(
        crossover_probability=ConstantAdapter(0.5, 0.5, 0),
        mutation_probability=0.2,
    ).fit(X, y)
    assert (
        constant.cv_results_["params"]
        == search(crossover_probability=0.5, mutation_probability=0.2)
        .fit(X, y)
        .cv_results_["params"]
    )


# -- multi-fidelity: a generation is a bracket ----------------------------------


def _forest_search(**kwargs):
    from sklearn.ensemble import RandomForestClassifier

    kwargs = {
        "population_size": 4,
        "generations": 2,
        "cv": 2,
        "random_state": 0,
        "resource": "n_estimators",
        **kwargs,
    }
    return GeneticSearchCV(
        RandomForestClassifier(n_estimators=9, random_state=0),
        {"max_depth": Integer(1, 6), "max_features": Real(0.2, 1.0)},
        **kwargs,
    )


def _forest_data():
    from sklearn.datasets import load_breast_cancer

    data_X, data_y = load_breast_cancer(return_X_y=True)
    return data_X[:120], data_y[:120]


def test_a_multi_fidelity_search_gives_one_record_per_bracket():
    recorder, counter = Recorder(), CountGenerations()
    est = _forest_search().fit(*_forest_data(), callbacks=[recorder, counter])
    assert est.n_resources_ == [3, 9]  # two rungs: a bracket is several batches
    start, *steps, end = recorder.calls
    assert len(est.history_) == 3  # generations + 1 brackets
    assert [s[1] for s in steps] == [{"nevals": h["n_new"], **h} for h in est.history_]
    assert [s[2] for s in steps] == [1, 2, 3]
    assert end == ("end", 3, est)
    # like sklearn-genetic-opt's ProgressBar: as many steps as planned
    assert counter.total == counter.steps == 3
    # a record describes the full-budget individuals at the bracket's end
    results = est.cv_results_
    full = np.asarray(results["n_resources"]) == est.max_resources_
    scores = np.asarray(results["mean_test_score"], dtype=float)
    assert steps[-1][1]["fitness_max"] == pytest.approx(scores[full].max())
    assert steps[-1][1]["fitness_max"] == pytest.approx(est.best_score_)


@pytest.mark.parametrize(
    "callback, n_generations",
    [
        pytest.param(StopAtThreshold(-math.inf), 1, id="threshold at gen 0"),
        pytest.param(
            StopWhenNoProgress(1, metric="fitness_min"), None, id="consecutive"
        ),
    ],
)
def test_a_stop_request_on_a_multi_fidelity_search_ends_a_bracket(
    callback, n_generations
):
    est = _forest_search(generations=4).fit(*_forest_data(), callbacks=callback)
    name = type(callback).__name__
    assert est.stop_reason_.startswith(f"{name} returned True after generation")
    if n_generations is not None:
        assert len(est) == n_generations
    assert len(est) < 5
    # the search stopped after a whole bracket: its best is at the full budget
    assert est.best_params_["n_estimators"] == est.max_resources_
    assert est.best_estimator_ is not None


def test_on_a_multi_fidelity_bayes_search_a_record_is_a_bracket_s_full_budget():
    recorder = Recorder()
    est = BayesSearchCV(
        Bowl(),
        {"x": Real(-2.0, 2.0)},
        n_iter=14,
        cv=KFold(2),
        resource="k",
        max_resources=9,
        min_resources=1,
        optimizer_kwargs={"n_initial_points": 2},
        random_state=0,
    ).fit(X, y, callback=recorder)
    results = est.cv_results_
    budgets = np.asarray(results["n_resources"])
    scores = np.asarray(results["mean_test_score"], dtype=float)
    full_batches = sorted({i for i, b in zip(results["iter"], budgets) if b == 9})
    steps = [c[1] for c in recorder.calls if c[0] == "step"]
    assert [s["gen"] for s in steps] == list(range(len(full_batches)))
    assert len(steps) > 1 and len(set(results["iter"])) > len(steps)
    for step, batch in zip(steps, full_batches):
        rung = scores[np.asarray(results["iter"]) == batch]
        assert step["fitness_max"] == pytest.approx(rung.max())
        assert step["fitness_min"] == pytest.approx(rung.min())
    assert sum(s["nevals"] for s in steps) == len(scores)


def test_their_progress_bar_and_stopper_on_a_multi_fidelity_search(gso, capsys):
    from sklearn_genetic.callbacks import ConsecutiveStopping, ProgressBar

    bar = ProgressBar()
    stopper = ConsecutiveStopping(generations=1, metric="fitness_min")
    est = _forest_search(generations=4).fit(*_forest_data(), callbacks=[bar, stopper])
    assert est.stop_reason_.startswith("ConsecutiveStopping returned True")
    assert "met its criteria" in capsys.readouterr().out
    # one update on start, then one per generation (a bracket)
    assert bar.progress_bar.n == 1 + len(est) and len(est) < 5


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"n_iter": 6, "n_points": 2}, id="batches"),
        pytest.param(
            {"n_iter": 8, "resource": "n_estimators", "max_resources": 9}, id="brackets"
        ),
    ],
)
def test_their_progress_bar_on_bayes_counts_its_records(gso, kwargs):
    # BayesSearchCV had no _n_iterations: AttributeError in ProgressBar.on_start
    from sklearn.ensemble import RandomForestClassifier
    from sklearn_genetic.callbacks import ProgressBar

    from sklearn_tune.space import Integer

    bar, recorder = ProgressBar(), Recorder()
    search = BayesSearchCV(
        RandomForestClassifier(n_estimators=9, random_state=0),
        {"max_depth": Integer(1, 6)},
        optimizer_kwargs={"n_initial_points": 3},
        cv=2,
        random_state=0,
        **kwargs,
    ).fit(*_forest_data(), callbacks=[bar, recorder])
    steps = [call for call in recorder.calls if call[0] == "step"]
    assert bar.kwargs["total"] == len(steps) > 0
    assert search.best_params_
