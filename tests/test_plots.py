import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

from sklearn_tune import BayesSearchCV, GeneticSearchCV, importance
from sklearn_tune.space import Categorical, Real

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_tune.plots import (  # noqa: E402
    plot_convergence,
    plot_evolution,
    plot_importance,
    plot_objective,
    plot_parallel_coordinates,
)


class Cheap(BaseEstimator):
    """A score that is a fixed function of the parameters; fits fail for a > fail."""

    def __init__(self, a=0.5, b=1.0, kind="x", fail=2.0):
        self.a, self.b, self.kind, self.fail = a, b, kind, fail

    def fit(self, X, y=None):
        if self.a > self.fail:
            raise ValueError("a too large")
        return self

    def score(self, X, y=None):
        bonus = {"x": 0.0, "y": 0.5, "z": 1.0}[self.kind]
        return -4 * (self.a - 0.3) ** 2 - 0.1 * np.log10(self.b) ** 2 + bonus


SPACE = {
    "a": Real(0.0, 1.0),
    "b": Real(1e-3, 1e3, prior="log-uniform"),
    "kind": Categorical(["x", "y", "z"]),
}
GRID = {"a": [0.0, 0.25, 0.5, 0.75, 1.0], "b": [1e-3, 1.0, 1e3], "kind": ["x", "z"]}


def _fit(search, n=8):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return search.fit(np.zeros((n, 1)), np.zeros(n))


@pytest.fixture(scope="module")
def searches():
    return {
        "genetic": _fit(
            GeneticSearchCV(
                Cheap(), SPACE, population_size=6, generations=3, cv=2, random_state=0
            )
        ),
        "bayes": _fit(
            BayesSearchCV(
                Cheap(),
                SPACE,
                n_iter=14,
                optimizer_kwargs={"n_initial_points": 6},
                cv=2,
                random_state=0,
            )
        ),
        "grid": _fit(GridSearchCV(Cheap(), GRID, cv=2)),
        "failing": _fit(
            BayesSearchCV(
                Cheap(fail=0.6),
                SPACE,
                n_iter=14,
                optimizer_kwargs={"n_initial_points": 6},
                cv=2,
                random_state=0,
                error_score=np.nan,
            )
        ),
    }


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _scores(search, key="mean_test_score"):
    return np.asarray(search.cv_results_[key], dtype=float)


def test_importing_does_not_load_matplotlib():
    code = (
        "import sys, sklearn_tune, sklearn_tune.plots; sklearn_tune.importance; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib loaded'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert result.returncode == 0, result.stderr.decode()


# -- plot_convergence ----------------------------------------------------------


@pytest.mark.parametrize("name", ["genetic", "bayes", "grid"])
def test_convergence_line_is_the_running_best(searches, name):
    search = searches[name]
    fig, ax = plt.subplots()
    n_figures = len(plt.get_fignums())
    assert plot_convergence(search, ax=ax) is ax
    assert len(plt.get_fignums()) == n_figures  # drew on ax, opened nothing
    line = ax.lines[0]
    scores = _scores(search)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, len(scores) + 1))
    np.testing.assert_allclose(line.get_ydata(), np.maximum.accumulate(scores))
    assert line.get_label() == type(search).__name__


def test_convergence_against_time_and_several_searches(searches):
    ax = plot_convergence(
        searches["genetic"], searches["bayes"], x="time", labels=["GA", "BO"]
    )
    best_lines = [line for line in ax.lines if not line.get_label().startswith("_")]
    assert [line.get_label() for line in best_lines] == ["GA", "BO"]
    search = searches["bayes"]
    results = search.cv_results_
    seconds = (results["mean_fit_time"] + results["mean_score_time"]) * 2  # cv=2
    np.testing.assert_allclose(best_lines[1].get_xdata(), np.cumsum(seconds))
    assert ax.get_xlabel() == "fit + score time (s)"


def test_convergence_skips_failed_candidates(searches):
    search = searches["failing"]
    scores = _scores(search)
    failed = np.isnan(scores)
    assert failed.any() and not failed.all()
    ax = plot_convergence(search)
    best, ticks = ax.lines
    expected = np.fmax.accumulate(scores)
    np.testing.assert_allclose(best.get_ydata(), expected)
    assert not np.isnan(best.get_ydata()[np.argmax(~failed) :]).any()
    np.testing.assert_array_equal(ticks.get_xdata(), np.flatnonzero(failed) + 1)


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        pytest.param(
            (),
            {},
            TypeError,
            "plot_convergence needs at least one fitted search",
            id="no search",
        ),
        pytest.param(
            ("S",),
            {"x": "seconds"},
            ValueError,
            "plot_convergence(x='seconds'): x must be 'evaluations' or 'time'.",
            id="bad x",
        ),
        pytest.param(
            ("S", "S"),
            {"labels": ["one"]},
            ValueError,
            "plot_convergence got 2 searches and 1 labels (['one']); give one "
            "label per search.",
            id="labels count",
        ),
    ],
)
def test_convergence_bad_arguments(searches, args, kwargs, error, message):
    args = [searches["grid"] for _ in args]
    with pytest.raises(error, match=re.escape(message)):
        plot_convergence(*args, **kwargs)


def test_unfitted_search_is_refused():
    with pytest.raises(TypeError, match="needs a fitted search with cv_results_"):
        plot_convergence(GridSearchCV(Cheap(), GRID))


# -- plot_convergence of several runs -------------------------------------------


@pytest.fixture(scope="module")
def runs():
    """Three runs of one method, of different lengths (6, 8 and 7 candidates)."""
    return [
        _fit(RandomizedSearchCV(Cheap(), GRID, n_iter=n, cv=2, random_state=seed))
        for seed, n in [(0, 6), (1, 8), (2, 7)]
    ]


def _bests(runs, accumulate=np.fmax.accumulate):
    return [accumulate(_scores(run)) for run in runs]


def _band_points(band):
    """The (x, y) vertices of a fill_between band, as a set."""
    vertices = np.concatenate([path.vertices for path in band.get_paths()])
    return {(round(float(x), 9), round(float(y), 9)) for x, y in vertices}


def _step_points(xs, *edges):
    """The vertices of post-step edges: (x_i, y_i) and (x_i+1, y_i)."""
    points = set()
    for ys in edges:
        for i, y in enumerate(ys):
            for x in xs[i : i + 2]:
                points.add((round(float(x), 9), round(float(y), 9)))
    return points


def test_convergence_of_a_list_is_the_mean_up_to_the_shortest_run(runs):
    fig, ax = plt.subplots()
    assert plot_convergence(runs, ax=ax) is ax
    mean, *faint = ax.lines
    assert len(faint) == 3
    assert mean.get_label() == "RandomizedSearchCV"
    assert all(line.get_label().startswith("_") for line in faint)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["RandomizedSearchCV"]
    bests = _bests(runs)
    for line, best in zip(faint, bests):  # each run in full, in the mean's colour
        np.testing.assert_allclose(line.get_ydata(), best)
        assert line.get_color() == mean.get_color()
    # the shortest run has 6 candidates: mean and band stop there
    values = np.vstack([best[:6] for best in bests])
    np.testing.assert_array_equal(mean.get_xdata(), np.arange(1, 7))
    np.testing.assert_allclose(mean.get_ydata(), values.mean(axis=0))
    (band,) = ax.collections
    expected = _step_points(np.arange(1, 7), values.min(axis=0), values.max(axis=0))
    assert _band_points(band) == expected
    assert values.max(axis=0)[0] > values.min(axis=0)[0]  # a band, not a line


def test_convergence_mixes_searches_lists_and_pairs(searches, runs):
    ax = plot_convergence(
        searches["grid"],
        ("random", runs[:2]),
        tuple(runs),
        labels=["grid", None, "three runs"],
    )
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "grid",
        "random",
        "three runs",
    ]
    # grid: line + failure ticks; pair: mean + 2 runs; tuple: mean + 3 runs
    assert len(ax.lines) == 2 + 3 + 4
    pair_mean = ax.lines[2]
    assert pair_mean.get_label() == "random"
    values = np.vstack([best[:6] for best in _bests(runs[:2])])
    np.testing.assert_allclose(pair_mean.get_ydata(), values.mean(axis=0))
    colors = {ax.lines[0].get_color(), ax.lines[2].get_color(), ax.lines[5].get_color()}
    assert len(colors) == 3
    # a dots collection for the search, a band for each list
    assert len(ax.collections) == 3
    ax = plot_convergence(("random", runs[:1]))  # one run: a band of no width
    np.testing.assert_allclose(ax.lines[0].get_ydata(), _bests(runs[:1])[0])


def test_convergence_of_a_list_against_time(runs):
    ax = plot_convergence(runs, x="time")
    mean = ax.lines[0]
    stamps = [
        np.cumsum(
            (run.cv_results_["mean_fit_time"] + run.cv_results_["mean_score_time"]) * 2
        )
        for run in runs
    ]
    end = min(t[-1] for t in stamps)
    grid = np.unique(np.concatenate([t[t <= end] for t in stamps]))
    np.testing.assert_allclose(mean.get_xdata(), grid)
    assert mean.get_xdata()[-1] == pytest.approx(end)
    # each run's best over its candidates finished by then (NaN: none yet)
    values = np.array(
        [
            [np.max(_scores(run)[t <= g]) if (t <= g).any() else np.nan for g in grid]
            for run, t in zip(runs, stamps)
        ]
    )
    np.testing.assert_allclose(mean.get_ydata(), values.mean(axis=0))
    shown = np.isfinite(values).all(axis=0)
    expected = _step_points(
        grid[shown], values.min(axis=0)[shown], values.max(axis=0)[shown]
    )
    assert _band_points(ax.collections[0]) == expected
    for line, t in zip(ax.lines[1:], stamps):
        np.testing.assert_allclose(line.get_xdata(), t)
    assert ax.get_xlabel() == "fit + score time (s)"


def test_convergence_of_a_list_skips_failed_candidates():
    # a > 0.3 fails: 3 of the 5 values of a; some runs start with failures
    failing = [
        _fit(
            RandomizedSearchCV(
                Cheap(fail=0.3),
                GRID,
                n_iter=6,
                cv=2,
                random_state=seed,
                error_score=np.nan,
            )
        )
        for seed in range(4)
    ]
    scores = [_scores(run) for run in failing]
    assert np.isnan(np.concatenate(scores)).any()
    assert any(np.isnan(s[0]) for s in scores), "the test needs a failed first fit"
    ax = plot_convergence(failing)
    values = np.vstack(_bests(failing))
    mean = values.mean(axis=0)  # NaN until every run has a best
    assert np.isnan(mean[0]) and np.isfinite(mean[-1])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), mean)
    shown = np.isfinite(mean)
    expected = _step_points(
        np.arange(1, 7)[shown], values.min(axis=0)[shown], values.max(axis=0)[shown]
    )
    assert _band_points(ax.collections[0]) == expected


@pytest.mark.parametrize("criteria", ["max", "min"])
def test_convergence_of_multi_fidelity_runs_counts_the_full_budget(criteria):
    runs = [
        _fit(
            GeneticSearchCV(
                Budgeted(),
                SPACE,
                population_size=3,
                generations=0,
                resource="n_steps",
                cv=2,
                random_state=seed,
                criteria=criteria,
            )
        )
        for seed in (0, 1)
    ]
    for run in runs:  # rows 1-3 are cheaper rungs; the last the full budget
        budgets = np.asarray(run.cv_results_["n_resources"])
        assert list(budgets == budgets.max()) == [False] * 3 + [True]
    ax = plot_convergence(("GA", runs), metric="score")
    y = np.asarray(ax.lines[0].get_ydata(), dtype=float)
    best = [run.best_score_ for run in runs]
    assert np.isnan(y[:3]).all() and y[3] == pytest.approx(np.mean(best))
    band = _band_points(ax.collections[0])
    assert {round(v, 9) for _, v in band} == {round(min(best), 9), round(max(best), 9)}


def test_convergence_of_min_criteria_runs():
    runs = [
        _fit(
            GeneticSearchCV(
                Cheap(),
                SPACE,
                population_size=3,
                generations=1,
                cv=2,
                random_state=seed,
                criteria="min",
            )
        )
        for seed in (0, 1)
    ]
    ax = plot_convergence(runs)
    values = np.vstack(_bests(runs, np.fmin.accumulate))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), values.mean(axis=0))
    assert ax.lines[0].get_ydata()[-1] == pytest.approx(
        np.mean([run.best_score_ for run in runs])
    )


@pytest.mark.parametrize(
    "make_args, kwargs, error, message",
    [
        pytest.param(
            lambda s, r: ([],),
            {},
            ValueError,
            "plot_convergence: argument 1 (a list of runs) is an empty list; give "
            "one or more fitted searches",
            id="empty list",
        ),
        pytest.param(
            lambda s, r: (s["grid"], ("GA", [])),
            {},
            ValueError,
            "plot_convergence: the runs of the pair 'GA' (argument 2) is an empty list",
            id="empty pair",
        ),
        pytest.param(
            lambda s, r: ([r[0], GridSearchCV(Cheap(), GRID)],),
            {},
            TypeError,
            "plot_convergence needs a fitted search with cv_results_; item 1 of "
            "argument 1 (a list of runs) is an unfitted GridSearchCV. Call "
            "search.fit(X, y) first.",
            id="unfitted run",
        ),
        pytest.param(
            lambda s, r: (("GA", s["grid"]),),
            {},
            TypeError,
            "plot_convergence: the second item of the pair 'GA' (argument 1) must "
            "be a list of fitted searches (the runs); got GridSearchCV. Write "
            "('GA', [search]) for a single run",
            id="pair of a search",
        ),
        pytest.param(
            lambda s, r: (("GA", [1, 2]),),
            {},
            TypeError,
            "plot_convergence: item 0 of the runs of the pair 'GA' (argument 1) is "
            "not a fitted search (got int 1)",
            id="pair of numbers",
        ),
        pytest.param(
            lambda s, r: (("GA", r, "extra"),),
            {},
            ValueError,
            "plot_convergence: argument 1 is a 3-item tuple that starts with the "
            "label 'GA'; a (label, runs) pair has two items",
            id="triple",
        ),
        pytest.param(
            lambda s, r: (s["grid"], ("GA", r)),
            {"labels": ["grid", "genetic"]},
            ValueError,
            "plot_convergence: labels[1]='genetic' would relabel argument 2, the "
            "pair labelled 'GA'. A pair names itself: give None at position 1 of "
            "labels",
            id="label for a pair",
        ),
        pytest.param(
            lambda s, r: (s["grid"], ("GA", r)),
            {"labels": ["grid"]},
            ValueError,
            "plot_convergence got 2 arguments and 1 labels (['grid']); give one "
            "label per argument (None for a (label, runs) pair).",
            id="labels count with a pair",
        ),
        pytest.param(
            lambda s, r: ("GA", r),
            {},
            TypeError,
            "plot_convergence: argument 1 is not a fitted search, a list of fitted "
            "searches (several runs of one method) or a (label, [searches]) pair "
            "(got str 'GA'). To label runs, pass one tuple: "
            "plot_convergence(('GA', [run_a, run_b])).",
            id="label outside a tuple",
        ),
        pytest.param(
            lambda s, r: ([s["genetic"], s["grid"]],),
            {"metric": "auc"},
            ValueError,
            "plot_convergence(metric='auc'): the search has no scores for this metric.",
            id="metric",
        ),
    ],
)
def test_convergence_bad_lists_and_pairs(
    searches, runs, make_args, kwargs, error, message
):
    n_figures = len(plt.get_fignums())
    with pytest.raises(error, match=re.escape(message)):
        plot_convergence(*make_args(searches, runs), **kwargs)
    assert len(plt.get_fignums()) == n_figures  # refused before drawing


def test_convergence_refuses_a_list_that_mixes_criteria(runs):
    low = _fit(
        GeneticSearchCV(
            Cheap(), SPACE, population_size=3, generations=0, cv=2, criteria="min"
        )
    )
    message = (
        "plot_convergence: argument 1 (a list of runs) mixes criteria='max' and "
        "criteria='min' searches"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        plot_convergence([runs[0], low])


def test_convergence_docstring_example_runs():
    import doctest

    import sklearn_tune.plots

    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(verbose=False)
    (test,) = finder.find(sklearn_tune.plots.plot_convergence, "plot_convergence")
    assert any("plot_convergence((" in example.source for example in test.examples)
    runner.run(test)
    assert runner.failures == 0, runner.summarize(verbose=False)


# -- a missing extra -------------------------------------------------------------


@pytest.mark.parametrize(
    "function, name",
    [
        (plot_convergence, "bayes"),
        (plot_evolution, "genetic"),
        (plot_importance, "bayes"),
        (plot_parallel_coordinates, "bayes"),
        (plot_objective, "bayes"),
    ],
)
def test_a_missing_matplotlib_names_the_extra(searches, monkeypatch, function, name):
    # as if matplotlib were not installed: its modules cannot be imported
    for module in [m for m in sys.modules if m.split(".")[0] == "matplotlib"]:
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError) as info:
        function(searches[name])
    message = str(info.value)
    assert message.startswith(f"{function.__name__} needs matplotlib")
    assert "could not import 'matplotlib'" in message
    assert 'pip install "sklearn-tune[plots]"' in message
    assert isinstance(info.value.__cause__, ModuleNotFoundError)
    assert info.value.__cause__.name == "matplotlib"
    monkeypatch.undo()
    assert function(searches[name]) is not None  # restored


# -- multi-metric --------------------------------------------------------------


def _first(estimator, X, y):
    return estimator.score(X, y)


def _second(estimator, X, y):
    return -float(estimator.a)


@pytest.fixture(scope="module")
def multi_metric():
    return _fit(
        GridSearchCV(
            Cheap(),
            GRID,
            cv=2,
            scoring={"first": _first, "second": _second},
            refit="second",
        )
    )


def test_multi_metric_default_is_the_refit_metric(multi_metric):
    ax = plot_convergence(multi_metric)
    np.testing.assert_allclose(
        ax.lines[0].get_ydata(),
        np.maximum.accumulate(_scores(multi_metric, "mean_test_second")),
    )
    assert ax.get_ylabel() == "best second so far"
    ax = plot_convergence(multi_metric, metric="first")
    np.testing.assert_allclose(
        ax.lines[0].get_ydata(),
        np.maximum.accumulate(_scores(multi_metric, "mean_test_first")),
    )
    ax = plot_parallel_coordinates(multi_metric, metric="first")
    assert ax.get_xticklabels()[-1].get_text() == "first"
    ax = plot_importance(multi_metric, metric="first")
    widths = {
        t.get_text(): p.get_width() for t, p in zip(ax.get_yticklabels(), ax.patches)
    }
    assert widths == pytest.approx(importance(multi_metric, metric="first").to_dict())


def test_multi_metric_unknown_metric(multi_metric):
    message = (
        "plot_convergence(metric='auc'): the search has no scores for this "
        "metric. cv_results_ holds ['first', 'second']"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        plot_convergence(multi_metric, metric="auc")


# -- plot_evolution ------------------------------------------------------------


def test_evolution_lines_are_the_history(searches):
    search = searches["genetic"]
    fig, ax = plt.subplots()
    assert plot_evolution(search, ax=ax) is ax
    best, mean, worst = ax.lines[:3]
    history = search.history_
    assert [line.get_label() for line in (best, mean, worst)] == [
        "best",
        "mean",
        "worst",
    ]
    np.testing.assert_array_equal(best.get_xdata(), [r["gen"] for r in history])
    np.testing.assert_allclose(best.get_ydata(), [r["fitness_max"] for r in history])
    np.testing.assert_allclose(mean.get_ydata(), [r["fitness"] for r in history])
    np.testing.assert_allclose(worst.get_ydata(), [r["fitness_min"] for r in history])


def test_evolution_needs_a_genetic_search(searches):
    message = (
        "plot_evolution needs a fitted GeneticSearchCV (it reads history_); got "
        "GridSearchCV. For any search, use plot_convergence(search)."
    )
    with pytest.raises(TypeError, match=re.escape(message)):
        plot_evolution(searches["grid"])


# -- plot_importance -----------------------------------------------------------


@pytest.mark.parametrize("name", ["genetic", "bayes", "grid", "failing"])
def test_importance_bars_are_the_shares(searches, name):
    search = searches[name]
    fig, ax = plt.subplots()
    assert plot_importance(search, ax=ax) is ax
    shares = importance(search)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == list(shares.index[::-1])  # the largest on top
    widths = [patch.get_width() for patch in ax.patches]
    np.testing.assert_allclose(widths, shares.to_numpy()[::-1])


# -- plot_parallel_coordinates -----------------------------------------------------


@pytest.mark.parametrize("name", ["genetic", "bayes", "grid"])
def test_parallel_coordinates_lines(searches, name):
    search = searches[name]
    fig, ax = plt.subplots()
    assert plot_parallel_coordinates(search, ax=ax) is ax
    success, failed = ax.collections[:2]
    scores = _scores(search)
    order = np.argsort(scores, kind="stable")
    np.testing.assert_allclose(success.get_array(), scores[order])
    segments = success.get_segments()
    assert len(segments) == len(scores)
    assert len(failed.get_segments()) == 0
    # axes: a, b (log), kind, score
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["a", "b (log)", "kind", "score"]
    params = [search.cv_results_["params"][i] for i in order]
    log_b = np.log10([p["b"] for p in params])
    expected_b = (log_b - log_b.min()) / (log_b.max() - log_b.min())
    np.testing.assert_allclose([s[1, 1] for s in segments], expected_b)
    score_y = [s[3, 1] for s in segments]
    assert score_y[0] == 0.0 and score_y[-1] == 1.0
    texts = {t.get_text() for t in ax.texts}
    assert {"x", "z"} <= texts  # the choices written on their axis


def test_parallel_coordinates_failed_and_inactive():
    spaces = [{"a": [0.1, 0.4, 0.9], "kind": ["x"]}, {"b": [1e-2, 1.0, 1e2]}]
    search = _fit(GridSearchCV(Cheap(fail=0.6), spaces, cv=2, error_score=np.nan))
    ax = plot_parallel_coordinates(search)
    success, failed = ax.collections[:2]
    assert len(success.get_segments()) == 5
    assert len(failed.get_segments()) == 1  # a=0.9 failed
    # the b sub-space has no a and no kind: gaps in its lines (matplotlib
    # leaves the NaN vertices out of the segments it returns)
    lengths = sorted(len(segment) for segment in success.get_segments())
    assert lengths == [2, 2, 2, 3, 3]  # a, kind, score | b, score
    assert ax.get_legend().get_texts()[0].get_text() == "failed (1)"


def test_parallel_coordinates_random_search_log_guess():
    search = _fit(
        RandomizedSearchCV(
            Cheap(), {"a": [0.1, 0.2], "b": [1e-3, 1e-1, 10.0]}, n_iter=6, cv=2
        )
    )
    labels = [t.get_text() for t in plot_parallel_coordinates(search).get_xticklabels()]
    assert labels == ["a", "b (log)", "score"]


# -- plot_objective ------------------------------------------------------------


def test_objective_grid_shape_axes_and_scales(searches):
    search = searches["bayes"]
    axes = plot_objective(search)
    assert axes.shape == (3, 3)
    assert not axes[0, 1].get_visible() and not axes[0, 2].get_visible()
    # dimensions in sorted name order: a, b, kind
    assert axes[2, 0].get_xlabel() == "a"
    assert axes[2, 1].get_xlabel() == "b (log)"
    assert axes[1, 1].get_xscale() == "log"
    assert axes[2, 1].get_yscale() == "linear"
    assert axes[1, 0].get_yscale() == "log"
    assert [t.get_text() for t in axes[2, 2].get_xticklabels()] == ["x", "y", "z"]
    assert [t.get_text() for t in axes[2, 0].get_yticklabels()] == ["x", "y", "z"]
    for r, c in [(1, 0), (2, 0), (2, 1)]:
        assert axes[r, c].collections, (r, c)  # a surface and the points


def test_objective_curve_is_the_partial_dependence_of_the_score(searches):
    search = searches["bayes"]
    axes = plot_objective(search, n_points=7, n_samples=5, random_state=3)
    line = axes[0, 0].lines[0]  # dimension "a"
    optimizer = search.optimizers_[0]
    space, model = optimizer.space, search.optimizer_results_[0].models[-1]
    samples = np.asarray(space.transform(space.rvs(5, random_state=3)))
    grid = np.linspace(0.0, 1.0, 7)
    np.testing.assert_allclose(line.get_xdata(), grid)
    width = space.dimensions[0].transformed_size
    expected = []
    for value in grid:
        rows = samples.copy()
        rows[:, :width] = space.dimensions[0].transform([value])
        expected.append(-model.predict(rows).mean())  # the score, not skopt's loss
    np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-6)


class _Linear:
    """A surrogate whose partial dependence is known: a weighted sum."""

    def __init__(self, weights):
        self.weights = np.asarray(weights, dtype=float)

    def predict(self, rows):
        return rows @ self.weights


def test_objective_of_a_plain_skopt_result_is_the_objective():
    from skopt.space import Categorical as SkoptCategorical
    from skopt.space import Real as SkoptReal
    from skopt.space import Space
    from skopt.utils import create_result

    space = Space(
        [
            SkoptReal(1e-2, 1e2, prior="log-uniform", name="C"),
            SkoptCategorical(["p", "q", "r"], name="kind"),
        ]
    )
    points = space.rvs(10, random_state=0)
    # transformed: log10(C) then a one-hot of 3 columns
    model = _Linear([2.0, 0.0, 1.0, 3.0])
    result = create_result(points, np.arange(10.0), space, models=[model])
    axes = plot_objective(result, n_points=5)
    curve = axes[0, 0].lines[0]
    np.testing.assert_allclose(curve.get_xdata(), np.geomspace(1e-2, 1e2, 5))
    np.testing.assert_allclose(np.diff(curve.get_ydata()), 2.0)  # +1 per decade x 2
    kind = axes[1, 1].lines[0].get_ydata()
    np.testing.assert_allclose(kind - kind[0], [0.0, 1.0, 3.0])
    assert axes[0, 0].get_ylabel() == "partial dependence (objective)"
    # the pair (kind, C): a surface with one row per choice and one column
    # per grid value of C; sum of both effects
    surface = np.asarray(axes[1, 0].collections[0].get_array()).reshape(3, -1)
    log_c = np.log10(np.geomspace(1e-2, 1e2, surface.shape[1]))
    expected = 2.0 * log_c[None, :] + np.array([0.0, 1.0, 3.0])[:, None]
    np.testing.assert_allclose(surface - surface[0, 0], expected - expected[0, 0])


def test_objective_leaves_failed_candidates_out(searches):
    search = searches["failing"]
    n_ok = int(np.isfinite(_scores(search)).sum())
    assert n_ok < len(_scores(search))
    axes = plot_objective(search)
    dots = axes[1, 0].collections[-2]  # the evaluated candidates, then the best
    assert len(dots.get_offsets()) == n_ok
    best = search.best_params_
    star = axes[1, 0].collections[-1].get_offsets()[0]
    np.testing.assert_allclose(star, [best["a"], best["b"]])


def test_objective_on_given_axes_and_a_subset(searches):
    fig, ax = plt.subplots(2, 2)
    n_figures = len(plt.get_fignums())
    out = plot_objective(searches["bayes"], dimensions=["kind", "a"], ax=ax)
    assert out.shape == (2, 2) and out[1, 0] is ax[1, 0]
    assert len(plt.get_fignums()) == n_figures
    assert ax[1, 0].get_xlabel() == "kind" and ax[1, 1].get_xlabel() == "a"


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        pytest.param(
            {"dimensions": ["c"]},
            ValueError,
            "plot_objective(dimensions=['c']): choose among ['a', 'b', 'kind'].",
            id="unknown dimension",
        ),
        pytest.param(
            {"subspace": 1},
            ValueError,
            "plot_objective(subspace=1): the search has 1 optimizer result(s); "
            "give 0 to 0.",
            id="subspace",
        ),
        pytest.param(
            {"ax": "2x2"},
            ValueError,
            "plot_objective(ax=...) needs a 3x3 grid of Axes",
            id="ax shape",
        ),
    ],
)
def test_objective_bad_arguments(searches, kwargs, error, message):
    if kwargs.get("ax") == "2x2":
        kwargs["ax"] = plt.subplots(2, 2)[1]
    with pytest.raises(error, match=re.escape(message)):
        plot_objective(searches["bayes"], **kwargs)


def test_objective_needs_a_surrogate(searches):
    search = _fit(
        BayesSearchCV(
            Cheap(), SPACE, n_iter=3, optimizer_kwargs={"n_initial_points": 5}, cv=2
        )
    )
    with pytest.raises(ValueError, match="needs a fitted surrogate model"):
        plot_objective(search)
    with pytest.raises(TypeError, match="needs a fitted BayesSearchCV"):
        plot_objective(searches["grid"])


def test_halving_search():
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV

    search = _fit(
        HalvingRandomSearchCV(
            Cheap(),
            {"a": np.linspace(0, 1, 9), "b": [1e-3, 1e-1, 10.0], "kind": ["x", "z"]},
            n_candidates=12,
            factor=2,
            min_resources=4,
            cv=2,
            random_state=0,
        ),
        n=32,
    )
    scores = _scores(search)
    ax = plot_convergence(search)
    # the line follows the last rung's (full-budget) scores only
    budgets = search.cv_results_["n_resources"]
    full = np.where(budgets == budgets.max(), scores, np.nan)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.fmax.accumulate(full))
    assert np.nanmax(full) == search.best_score_
    ax = plot_parallel_coordinates(search)  # the last rung's candidates
    assert len(ax.collections[0].get_segments()) == (budgets == budgets.max()).sum()
    ax = plot_importance(search)
    assert sum(p.get_width() for p in ax.patches) == pytest.approx(1.0)


# -- multi-fidelity, conditional spaces, criteria="min" ------------------------


class Budgeted(Cheap):
    """Cheap, 100 higher, plus ``log10(n_steps)``: more budget scores higher.

    Fits fail for ``a > fail`` from ``fail_steps`` steps on (from the first,
    by default).
    """

    def __init__(self, a=0.5, b=1.0, kind="x", fail=2.0, n_steps=27, fail_steps=0):
        super().__init__(a=a, b=b, kind=kind, fail=fail)
        self.n_steps, self.fail_steps = n_steps, fail_steps

    def fit(self, X, y=None):
        if self.n_steps < self.fail_steps:
            return self
        return super().fit(X, y)

    def score(self, X, y=None):
        return super().score(X, y) + 100 + np.log10(self.n_steps)


def _bayes_fidelity(n_iter, **kwargs):
    return BayesSearchCV(
        Budgeted(**kwargs),
        {"a": Real(0.0, 1.0), "kind": Categorical(["x", "y", "z"])},
        n_iter=n_iter,
        resource="n_steps",
        min_resources=3,
        optimizer_kwargs={"n_initial_points": 3},
        cv=2,
        random_state=0,
        error_score=np.nan,
    )


def test_objective_on_a_conditional_space_shows_scores():
    space = {
        "kind": Categorical(["x", "y", "z"]),
        "a": Real(0.0, 1.0),
        "b": Real(1e-3, 1e3, prior="log-uniform").when(kind=["z"]),
    }
    search = _fit(
        BayesSearchCV(
            Budgeted(),
            space,
            n_iter=14,
            optimizer_kwargs={"n_initial_points": 6},
            cv=2,
            random_state=0,
        )
    )
    scores = _scores(search)
    axes = plot_objective(search)
    # the surrogate models the ranks' normal scores; shown as scores
    for i in range(3):
        curve = axes[i, i].lines[0].get_ydata()
        assert scores.min() - 1e-9 <= curve.min() <= curve.max() <= scores.max() + 1e-9
    assert axes[0, 0].get_ylabel() == "partial dependence (score)"


def test_objective_of_a_multi_fidelity_search_is_its_full_budget_model():
    early = _fit(_bayes_fidelity(10))
    assert early.n_resources_ == [3, 9, 27]
    message = (
        "plot_objective shows the surrogate of the full budget (n_resources=27), "
        "which has no model yet: it was told 2 candidate(s), not more than "
        "n_initial_points=3."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        plot_objective(early)

    # fits fail at the full budget only: the cheap rungs promote them
    search = _fit(_bayes_fidelity(30, fail=0.4, fail_steps=27))
    results = search.cv_results_
    full = np.asarray(results["n_resources"]) == 27
    scores = _scores(search)
    assert np.isnan(scores[full]).any(), "the test needs a failed full-budget fit"
    axes = plot_objective(search)
    dots = axes[1, 0].collections[-2]  # the full budget's candidates that ran
    assert len(dots.get_offsets()) == np.isfinite(scores[full]).sum()
    star = axes[1, 0].collections[-1].get_offsets()[0]
    kinds = ["x", "y", "z"]
    best = search.best_params_
    np.testing.assert_allclose(star, [best["a"], kinds.index(best["kind"])])


def test_objective_of_a_search_stopped_before_the_full_budget():
    from sklearn_tune.callbacks import Callback
    from sklearn_tune.exceptions import StopSearch

    class StopAfterFirstRung(Callback):
        def on_batch_end(self, search, **kwargs):
            raise StopSearch("stopped")

    search = _bayes_fidelity(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(np.zeros((8, 1)), np.zeros(8), callback=StopAfterFirstRung())
    message = (
        "plot_objective shows the surrogate of the full budget (n_resources=27), "
        "but no candidate reached it (the highest budget reached is 3)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        plot_objective(search)


def test_importance_of_a_multi_fidelity_search_ranks_the_hyperparameters():
    search = _fit(_bayes_fidelity(30))
    ax = plot_importance(search)
    assert {t.get_text() for t in ax.get_yticklabels()} == {"a", "kind"}


def _genetic_fidelity(**kwargs):
    # generations=0: one bracket; the only full-budget row is the last one
    return GeneticSearchCV(
        Budgeted(),
        SPACE,
        population_size=3,
        generations=0,
        resource="n_steps",
        cv=2,
        random_state=0,
        **kwargs,
    )


@pytest.mark.parametrize("criteria", ["max", "min"])
def test_convergence_draws_a_last_and_only_full_budget_row(criteria):
    search = _fit(_genetic_fidelity(criteria=criteria))
    budgets = np.asarray(search.cv_results_["n_resources"])
    assert list(budgets == budgets.max()) == [False] * 3 + [True]
    line = plot_convergence(search).lines[0]
    y = np.asarray(line.get_ydata(), dtype=float)
    assert np.isnan(y[:3]).all() and y[3] == search.best_score_
    # one point: drawn as a marker, as is every change of the best so far
    assert line.get_marker() not in (None, "", "None", " ")
    assert list(line.get_markevery()) == [3]


def test_convergence_and_evolution_follow_min_criteria():
    search = _fit(
        GeneticSearchCV(
            Cheap(),
            SPACE,
            population_size=6,
            generations=3,
            cv=2,
            random_state=0,
            criteria="min",
        )
    )
    scores = _scores(search)
    line = plot_convergence(search).lines[0]
    np.testing.assert_allclose(line.get_ydata(), np.fmin.accumulate(scores))
    assert line.get_ydata()[-1] == search.best_score_
    best, mean, worst = plot_evolution(search).lines[:3]
    history = search.history_
    np.testing.assert_allclose(best.get_ydata(), [r["fitness_min"] for r in history])
    np.testing.assert_allclose(worst.get_ydata(), [r["fitness_max"] for r in history])


def test_objective_names_estimator_choices_by_their_class():
    from sklearn.datasets import load_breast_cancer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier

    from sklearn_tune.space import Integer

    data_X, data_y = load_breast_cancer(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", DecisionTreeClassifier())])
    space = {
        "clf": Categorical(
            [DecisionTreeClassifier(random_state=0), ExtraTreeClassifier(max_depth=9)]
        ),
        "clf__max_depth": Integer(1, 5),
    }
    search = BayesSearchCV(
        pipe,
        space,
        n_iter=8,
        optimizer_kwargs={"n_initial_points": 4},
        cv=2,
        random_state=0,
    ).fit(data_X[:100], data_y[:100])
    axes = plot_objective(search)
    labels = [t.get_text() for t in axes[1, 0].get_xticklabels()]
    assert labels == ["DecisionTreeClassifier", "ExtraTreeClassifier"]


def test_parallel_coordinates_of_a_multi_fidelity_search_shows_the_full_budget():
    search = _fit(_bayes_fidelity(12))
    budgets = np.asarray(search.cv_results_["n_resources"])
    assert len(set(budgets)) > 1
    ax = plot_parallel_coordinates(search)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["a", "kind", "score"]  # no axis for the resource
    success = ax.collections[0]
    full = _scores(search)[budgets == budgets.max()]
    np.testing.assert_allclose(sorted(success.get_array()), sorted(full))


def test_parallel_coordinates_under_criteria_min_draws_the_lowest_brightest():
    search = _fit(
        GeneticSearchCV(
            Cheap(),
            SPACE,
            population_size=6,
            generations=2,
            criteria="min",
            cv=2,
            random_state=0,
        )
    )
    ax = plot_parallel_coordinates(search)
    success = ax.collections[0]
    array = success.get_array()
    assert array[-1] == min(array)  # the best (lowest) drawn last, on top
    # and the brightest: viridis' top colour
    brightest = plt.get_cmap("viridis")(1.0)
    np.testing.assert_allclose(success.to_rgba(array[-1]), brightest)
