"""Multi-fidelity (``resource``): Hyperband brackets of successive halving."""

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from kill_resume_worker import (
    SPACE,
    BudgetedQuadratic,
    SlowQuadratic,
    X,
    make_search,
    summary,
)
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune._fidelity import Ladder
from sklearn_tune.callbacks import Callback
from sklearn_tune.space import Integer, Real

KINDS = ["bayes-mf", "genetic-mf"]


def rows_by_budget(search):
    results = search.cv_results_
    return {
        int(n): [
            (dict(p), float(s))
            for p, s, m in zip(
                results["params"], results["mean_test_score"], results["n_resources"]
            )
            if m == n
        ]
        for n in np.unique(results["n_resources"])
    }


def test_the_ladder_ends_at_the_full_budget_and_brackets_cycle():
    ladder = Ladder.build(1, 81, 3)
    assert ladder.budgets == (1, 3, 9, 27, 81)
    assert Ladder.build(1, 100, 3).budgets == (1, 4, 11, 33, 100)
    assert Ladder.build(5, 5, 3).budgets == (5,)
    # Hyperband's bracket sizes, the first one scaled to 81
    assert [ladder.n_new(ladder.bracket(b), 81) for b in range(6)] == [
        81,
        34,
        15,
        8,
        5,
        81,
    ]
    n_evaluations, resources = ladder.planned(81, max_brackets=1)
    assert n_evaluations == 81 + 27 + 9 + 3 + 1
    assert resources == 81 * 5


@pytest.mark.parametrize("kind", KINDS)
def test_one_row_per_candidate_and_budget_and_the_best_at_full_budget(kind):
    search = make_search(kind).fit(X)
    results = search.cv_results_
    assert search.n_resources_ == [1, 3, 9]
    assert search.min_resources_ == 1 and search.max_resources_ == 9
    # the resource is a parameter of every row, equal to its n_resources
    assert [p["budget"] for p in results["params"]] == list(results["n_resources"])
    by_budget = rows_by_budget(search)
    assert set(by_budget) == {1, 3, 9}
    assert len(by_budget[1]) > len(by_budget[3]) > 0 and len(by_budget[9]) > 0
    # best_* come from the full budget only, even where a cheaper row scored higher
    full = max(by_budget[9], key=lambda row: row[1])
    assert search.best_params_ == full[0] and search.best_score_ == full[1]
    assert results["n_resources"][search.best_index_] == 9
    assert search.best_estimator_.budget == 9
    assert max(s for _, s in by_budget[1]) > search.best_score_  # the blur misled


@pytest.mark.parametrize("kind", KINDS)
def test_each_rung_promotes_the_best_third_of_the_one_below(kind):
    search = make_search(kind).fit(X)
    results = search.cv_results_
    iters, budgets = results["iter"], results["n_resources"]

    def settings(p):
        return tuple(sorted((k, v) for k, v in p.items() if k != "budget"))

    n_promotions = 0
    for i in np.unique(iters):
        rows = np.flatnonzero(iters == i)
        budget = budgets[rows[0]]
        assert (budgets[rows] == budget).all()  # one budget per batch
        # brackets overlap: the rung below is the last batch before this one,
        # one budget lower, that holds this batch's candidates
        mine = {settings(results["params"][j]) for j in rows}
        below = np.array([], dtype=int)
        for k in sorted(set(iters[(iters < i) & (budgets == budget // 3)]))[::-1]:
            rows_k = np.flatnonzero((iters == k) & (budgets == budget // 3))
            if mine <= {settings(results["params"][j]) for j in rows_k}:
                below = rows_k
                break
        if budget == 1 or not below.size:
            continue  # the first rung of a bracket
        n_promotions += 1
        scores = results["mean_test_score"][below]
        best = below[np.argsort(-scores)[: max(len(below) // 3, 1)]]
        assert {settings(results["params"][j]) for j in rows} == {
            settings(results["params"][j]) for j in best
        }
    assert n_promotions >= 2


@pytest.mark.parametrize("kind", KINDS)
def test_results_do_not_depend_on_n_jobs(kind):
    one = summary(make_search(kind).set_params(n_jobs=1).fit(X))
    two = summary(make_search(kind).set_params(n_jobs=2).fit(X))
    assert one == two


def test_genetic_criteria_min_promotes_the_lowest_scores():
    search = make_search("genetic-mf").set_params(criteria="min").fit(X)
    results = search.cv_results_
    first = np.flatnonzero(results["iter"] == 0)
    scores = results["mean_test_score"]

    def settings(rows):
        return {
            str(
                sorted((k, v) for k, v in results["params"][j].items() if k != "budget")
            )
            for j in rows
        }

    # brackets overlap: the first bracket's second rung is the first later
    # batch, one budget up, made of candidates of the first rung
    budgets = results["n_resources"]
    second = next(
        rows
        for i in np.unique(results["iter"])[1:]
        if (rows := np.flatnonzero(results["iter"] == i)).size
        and budgets[rows[0]] == 3 * budgets[first[0]]
        and settings(rows) <= settings(first)
    )

    lowest = first[np.argsort(scores[first])[: len(second)]]
    assert settings(second) == settings(lowest)
    full = np.flatnonzero(results["n_resources"] == 9)
    assert search.best_score_ == scores[full].min()


class Rows(ClassifierMixin, BaseEstimator):
    """Scores how many rows it was fitted on; fails when told to."""

    def __init__(self, c=1.0, fail=False):
        self.c, self.fail = c, fail

    def fit(self, X, y):
        if self.fail and self.c > 0.5:
            raise ValueError("c is too large for this estimator")
        self.n_rows_ = len(X)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y):
        return self.n_rows_ / 1000 - (self.c - 0.3) ** 2


def test_n_samples_trains_on_a_growing_subsample_and_refits_on_all():
    X, y = load_iris(return_X_y=True)
    search = BayesSearchCV(
        Rows(),
        {"c": Real(0.0, 1.0)},
        n_iter=12,
        cv=3,
        resource="n_samples",
        factor=2,
        random_state=0,
    ).fit(X, y)
    # "exhaust": 12 candidates halve 3 times (150 / 2**3 = 18.75, above the
    # smallest, 2 * n_splits * n_classes = 18 rows)
    assert search.n_resources_ == [19, 38, 75, 150]
    results = search.cv_results_
    assert "n_samples" not in results["params"][0]
    # every fit at a lower budget saw about n / n_samples of its training rows
    c = np.array([p["c"] for p in results["params"]])
    n_rows = (results["mean_test_score"] + (c - 0.3) ** 2) * 1000
    expected = np.floor(results["n_resources"] / 150 * 100)
    assert np.allclose(n_rows, expected, atol=1)
    assert search.best_estimator_.n_rows_ == 150


def test_failed_candidates_are_never_promoted():
    X, y = load_iris(return_X_y=True)
    search = GeneticSearchCV(
        Rows(fail=True),
        {"c": Real(0.0, 1.0)},
        population_size=9,
        generations=1,
        cv=3,
        resource="n_samples",
        min_resources=30,
        random_state=0,
    )
    with pytest.warns(FitFailedWarning, match="candidates failed to fit"):
        search.fit(X, y)
    results = search.cv_results_
    assert search.n_resources_ == [50, 150]
    c = np.array([p["c"] for p in results["params"]])
    first_rung = set(c[results["n_resources"] == 50])
    promoted = (results["n_resources"] == 150) & np.isin(c, list(first_rung))
    assert promoted.sum() == 3  # 9 // 3, from the candidates that ran
    assert (c[promoted] <= 0.5).all() and (c > 0.5).any()
    assert search.best_params_["c"] <= 0.5


def test_a_pipeline_parameter_on_pandas_inside_a_grid_search():
    X, y = load_iris(return_X_y=True, as_frame=True)
    assert isinstance(X, pd.DataFrame)
    pipe = make_pipeline(StandardScaler(), SGDClassifier(max_iter=9, tol=None))
    inner = BayesSearchCV(
        pipe,
        {"sgdclassifier__alpha": Real(1e-5, 1e-1, prior="log-uniform")},
        n_iter=6,
        cv=3,
        resource="sgdclassifier__max_iter",
        random_state=0,
    )
    outer = GridSearchCV(inner, {"factor": [3, 9]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at 1 epoch
        outer.fit(X, y)
    best = outer.best_estimator_
    assert best.best_params_["sgdclassifier__max_iter"] == 9
    assert best.best_estimator_[-1].max_iter == 9
    assert set(best.cv_results_["n_resources"]) <= {1, 3, 9}


class Budgets(Callback):
    def on_search_begin(self, search, **info):
        self.planned = (info["n_candidates"], info["n_resources"])
        self.spent = []

    def on_batch_end(self, search, **info):
        self.spent.append(info["n_resources"] * len(info["candidates"]))


@pytest.mark.parametrize("kind", KINDS)
def test_callbacks_count_resources(kind):
    budgets = Budgets()
    search = make_search(kind).fit(X, callback=budgets)
    results = search.cv_results_
    assert budgets.planned == (len(results["params"]), results["n_resources"].sum())
    assert sum(budgets.spent) == results["n_resources"].sum()


@pytest.mark.parametrize("keep", [1, 3])
@pytest.mark.parametrize("kind", KINDS)
def test_a_cut_checkpoint_resumes_every_rung_exactly(kind, keep, tmp_path):
    path = tmp_path / "search.jsonl"
    full = summary(make_search(kind).fit(X))
    make_search(kind, path).fit(X)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[: 2 + keep]) + "\n")
    SlowQuadratic.fits = 0
    resumed = make_search(kind, path).fit(X)
    assert summary(resumed) == full
    assert SlowQuadratic.fits < 2 * len(full["params"])


def test_a_checkpoint_without_resource_is_refused_with_one(tmp_path):
    path = tmp_path / "search.jsonl"
    make_search("bayes", path).fit(X)
    with pytest.raises(ValueError, match="its estimator differs .*'budget'"):
        make_search("bayes-mf", path).fit(X)


def bad(**params):
    return make_search("bayes-mf").set_params(**params)


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"resource": "n_iter"},
            "the estimator has no parameter 'n_iter'. The resource must be",
        ),
        (
            {"search_spaces": {**SPACE, "budget": (1, 9)}},
            "'budget' is also in the search space",
        ),
        ({"min_resources": 10}, "min_resources=10) is more than max_resources=9"),
        ({"factor": 1}, "The 'factor' parameter of BayesSearchCV must be"),
        (
            {"max_resources": "auto", "estimator": BudgetedQuadratic(budget=None)},
            "not a positive int",
        ),
        ({"resource": "n_samples", "max_resources": 100}, "more than the 20 samples"),
    ],
)
def test_bad_resources_are_refused_before_any_fit(params, message):
    SlowQuadratic.fits = 0
    with pytest.raises(ValueError, match=re.escape(message)):
        bad(**params).fit(X)
    assert SlowQuadratic.fits == 0


def test_bayes_asks_the_model_of_the_highest_ready_budget():
    from sklearn_tune._bayes._strategy import _BayesStrategy

    strategy = _BayesStrategy(
        {"x": Real(0.0, 1.0)}, 100, 1, {"n_initial_points": 5}, random_state=0
    )
    grid = np.linspace(0.0, 1.0, 12)
    # budget 1 says x near 0 is best, budget 9 says x near 1
    strategy.tell_at([{"x": x} for x in grid], [-abs(x) for x in grid], 1, False, True)
    strategy.tell_at(
        [{"x": x} for x in grid[::2]], [-abs(1 - x) for x in grid[::2]], 9, True, True
    )
    asked = strategy.ask_at(3, 1)
    assert all(c["x"] > 0.6 for c in asked), asked
    assert len({c["x"] for c in asked}) == 3
    # a second bracket does not get the same points again
    again = strategy.ask_at(3, 3)
    assert not {c["x"] for c in again} & {c["x"] for c in asked}


def test_bayes_fits_no_model_before_a_budget_has_its_initial_points(monkeypatch):
    """Brackets asked before any budget's model has its initial points are
    drawn as BOHB draws them, not proposed by a model of lies (which cost a
    second of idle workers)."""
    from sklearn_tune._bayes import _optimizer
    from sklearn_tune._bayes._strategy import _BayesStrategy

    def no_model(*args, **kwargs):
        raise AssertionError("a model was fitted before any result")

    def strategy():
        return _BayesStrategy(
            {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)},
            100,
            1,
            {"n_initial_points": 5, "initial_point_generator": "lhs"},
            random_state=0,
        )

    design = strategy().ask_at(5, 1)  # the initial design alone, as before
    monkeypatch.setattr(_optimizer._Optimizer, "_fit_theta", no_model)
    monkeypatch.setattr(_optimizer._Optimizer, "_make_proposal", no_model)
    searching = strategy()
    asked = searching.ask_at(27, 1) + searching.ask_at(12, 3) + searching.ask_at(6, 9)
    assert asked[:5] == design
    assert len({(c["x"], c["y"]) for c in asked}) == 45


def test_genetic_hall_of_fame_holds_full_budget_candidates_only():
    search = make_search("genetic-mf").fit(X)
    full = [
        {k: v for k, v in p.items() if k != "budget"}
        for p, n in zip(search.cv_results_["params"], search.cv_results_["n_resources"])
        if n == 9
    ]
    assert search.hall_of_fame_
    for entry in search.hall_of_fame_:
        assert entry["params"]["budget"] == 9
        assert {k: v for k, v in entry["params"].items() if k != "budget"} in full


def test_a_search_without_resource_has_no_n_resources_column():
    search = make_search("bayes").fit(X)
    assert "n_resources" not in search.cv_results_
    assert not hasattr(search, "n_resources_")
    assert math.isfinite(search.best_score_)


def test_the_progress_bar_counts_resources():
    import io

    from sklearn_tune.callbacks import ProgressBar

    bar = ProgressBar(file=io.StringIO(), mininterval=0)
    search = make_search("bayes-mf").fit(X, callback=bar)
    spent = search.cv_results_["n_resources"].sum()
    assert bar.bar_.total == spent and bar.bar_.n == spent
    assert bar.bar_.unit == "resource"


# -- continued training ---------------------------------------------------------


class CountingHGB(HistGradientBoostingClassifier):
    """Records, per fit, the boosting iterations it had and was asked for."""

    log = []

    def fit(self, X, y, **kwargs):
        before = getattr(self, "n_iter_", 0) if self.warm_start else 0
        CountingHGB.log.append((before, self.max_iter))
        return super().fit(X, y, **kwargs)


def hgb_search(estimator, n_jobs=1, checkpoint=None):
    return BayesSearchCV(
        estimator,
        {"learning_rate": Real(0.05, 0.5, prior="log-uniform")},
        n_iter=8,
        cv=2,
        resource="max_iter",
        min_resources=2,
        max_resources=18,
        random_state=0,
        n_jobs=n_jobs,
        checkpoint=checkpoint,
    )


def test_boosting_goes_on_from_its_rung_and_scores_as_from_scratch(monkeypatch):
    X, y = load_iris(return_X_y=True)
    CountingHGB.log = []
    estimator = CountingHGB(early_stopping=False, max_leaf_nodes=4)
    continued = hgb_search(estimator).fit(X, y)
    log, CountingHGB.log = CountingHGB.log, []
    assert continued.n_resources_ == [2, 6, 18]
    # every promoted fit started from the model of the rung below
    assert {(0, 2), (2, 6), (6, 18)} <= set(log)
    monkeypatch.setattr("sklearn_tune._base.continuation", lambda *a: None)
    scratch = hgb_search(estimator).fit(X, y)
    assert all(before == 0 for before, _ in CountingHGB.log)
    assert sum(b - a for a, b in log) < sum(b for _, b in CountingHGB.log)
    for key in ("params", "mean_test_score", "split1_test_score", "n_resources"):
        assert list(continued.cv_results_[key]) == list(scratch.cv_results_[key])
    assert continued.best_estimator_.n_iter_ == 18
    assert not continued.best_estimator_.warm_start  # the refit starts afresh


def forest_search(n_jobs=1, checkpoint=None):
    from sklearn.ensemble import RandomForestClassifier

    return GeneticSearchCV(
        RandomForestClassifier(n_estimators=27, random_state=0),
        {"max_depth": Integer(1, 6), "max_features": Real(0.2, 1.0)},
        population_size=9,
        generations=2,
        cv=2,
        resource="n_estimators",
        random_state=0,
        n_jobs=n_jobs,
        checkpoint=checkpoint,
    )


class Kept(Callback):
    """The models the search keeps for continued training, after each batch."""

    def on_search_begin(self, search, **info):
        self.counts = []

    def on_batch_end(self, search, **info):
        kept = search._run.models
        self.counts.append(
            (len(info["candidates"]), sum(len(m) for _, m in kept.values()))
        )


def test_a_forest_goes_on_keeping_the_promoted_models_only(tmp_path):
    X, y = load_iris(return_X_y=True)
    kept = Kept()
    one = forest_search().fit(X, y, callback=kept)
    two = forest_search(n_jobs=2).fit(X, y)
    # resumed from a checkpoint cut after two batches: the promoted
    # candidates' models are gone, and they are trained from scratch, which
    # gives the very model going on gives
    path = tmp_path / "search.jsonl"
    forest_search(checkpoint=path).fit(X, y)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:4]) + "\n")
    resumed = forest_search(checkpoint=path).fit(X, y)
    for other in (two, resumed):
        for key in ("params", "mean_test_score", "split0_test_score"):
            assert list(other.cv_results_[key]) == list(one.cv_results_[key])
    # at most the promoted candidates' models (one per split) stay between rungs
    for n_candidates, n_models in kept.counts:
        assert n_models <= 2 * max(n_candidates // 3, 1)
    assert any(n_models for _, n_models in kept.counts)
    assert kept.counts[-1][1] == 0  # nothing is kept once the search ends
    assert_rows_are_fresh_cv_scores(one, X, y)


def assert_rows_are_fresh_cv_scores(search, X, y):
    """Every row of cv_results_ is the CV score of its own params at its budget,
    trained afresh; best_score_ is that of best_params_."""
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    results = search.cv_results_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at few iterations
        for params, score in zip(results["params"], results["mean_test_score"]):
            again = cross_val_score(
                clone(search.estimator).set_params(**clone(params, safe=False)),
                X,
                y,
                cv=search.cv,
            )
            assert score == pytest.approx(again.mean(), abs=1e-12), params
        again = cross_val_score(
            clone(search.estimator).set_params(
                **clone(search.best_params_, safe=False)
            ),
            X,
            y,
            cv=search.cv,
        )
    assert search.best_score_ == pytest.approx(again.mean(), abs=1e-12)


def test_an_mlp_is_trained_from_scratch_at_every_rung():
    # MLPClassifier(warm_start=True) starts a fresh Adam state: going on would
    # give a model close to, not equal to, a fresh fit, so every rung is fresh
    from sklearn.neural_network import MLPClassifier

    X, y = load_iris(return_X_y=True)
    search = GeneticSearchCV(
        MLPClassifier(hidden_layer_sizes=(8,), max_iter=27, random_state=0),
        {"alpha": Real(1e-5, 1e-1, prior="log-uniform")},
        population_size=9,
        generations=1,
        cv=2,
        resource="max_iter",
        random_state=0,
    )
    kept = Kept()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y, callback=kept)
    assert not any(n_models for _, n_models in kept.counts)
    assert_rows_are_fresh_cv_scores(search, X, y)


def test_which_estimators_go_on():
    from sklearn.ensemble import (
        BaggingClassifier,
        GradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    from sklearn_tune._continuation import continuation

    assert continuation(RandomForestClassifier(), "n_estimators") is not None
    assert continuation(RandomForestClassifier(), "max_depth") is None
    # where warm_start changes the model or is refused: from scratch
    assert continuation(MLPClassifier(), "max_iter") is None
    assert continuation(RandomForestClassifier(oob_score=True), "n_estimators") is None
    assert continuation(BaggingClassifier(oob_score=True), "n_estimators") is None
    gb = GradientBoostingClassifier(n_iter_no_change=3)
    assert continuation(gb, "n_estimators") is None
    hgb = HistGradientBoostingClassifier(early_stopping=True)
    assert continuation(hgb, "max_iter") is None
    auto = HistGradientBoostingClassifier()  # early_stopping="auto"
    assert continuation(auto, "max_iter", n_train=1_000) is not None
    assert continuation(auto, "max_iter", n_train=20_000) is None
    pipe = make_pipeline(
        StandardScaler(), HistGradientBoostingClassifier(early_stopping=False)
    )
    rule = continuation(pipe, "histgradientboostingclassifier__max_iter")
    assert rule.warm_start == "histgradientboostingclassifier__warm_start"
    assert continuation(LogisticRegression(), "max_iter") is None  # no such rule


def test_ctrl_c_before_the_full_budget_keeps_the_highest_rung(monkeypatch):
    from sklearn_tune.exceptions import SearchWarning

    fit = SlowQuadratic.fit

    def interrupting_fit(self, X, y=None):
        if getattr(self, "budget", 9) == 9:
            raise KeyboardInterrupt
        return fit(self, X, y)

    monkeypatch.setattr(SlowQuadratic, "fit", interrupting_fit)
    search = make_search("bayes-mf")
    with pytest.warns(SearchWarning, match="No candidate reached the full budget"):
        search.fit(X)
    assert search.stop_reason_ == "interrupted by KeyboardInterrupt"
    assert set(search.cv_results_["n_resources"]) == {1, 3}
    assert search.cv_results_["n_resources"][search.best_index_] == 3
    assert search.best_params_["budget"] == 3


@pytest.mark.parametrize("kind", KINDS)
def test_plot_convergence_follows_the_full_budget(kind):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from sklearn_tune.plots import plot_convergence

    search = make_search(kind).fit(X)
    fig, ax = plt.subplots()
    plot_convergence(search, ax=ax)
    plt.close(fig)
    results = search.cv_results_
    full = results["n_resources"] == 9
    expected = np.fmax.accumulate(np.where(full, results["mean_test_score"], np.nan))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), expected)
    assert np.nanmax(expected) == search.best_score_


@pytest.mark.parametrize("kind, n", [("bayes-mf", 16), ("genetic-mf", 6)])
def test_min_resources_exhaust_halves_the_first_bracket_down_to_one(kind, n):
    search = make_search(kind).set_params(min_resources="exhaust", max_resources=27)
    search.estimator.set_params(budget=27)
    search.fit(X)
    # 16 candidates halve twice (16 -> 5 -> 1), 6 once (6 -> 2)
    assert search.n_resources_ == ([3, 9, 27] if n == 16 else [9, 27])


def test_the_default_min_resources_covers_a_whole_first_bracket():
    search = make_search("bayes-mf").set_params(min_resources="exhaust")
    search.estimator.set_params(budget=81)
    search.set_params(max_resources="auto", n_iter=30).fit(X)
    # 30 new candidates: the first bracket takes 27 = 3**3, from 81 / 27 = 3
    assert search.get_params()["min_resources"] == "exhaust"
    assert BayesSearchCV(None, {}).min_resources == "exhaust"
    assert search.n_resources_ == [3, 9, 27, 81]
    budgets = list(search.cv_results_["n_resources"])
    # the first bracket: 27 -> 9 -> 3 -> 1; the second starts its last 3 at 9
    assert [budgets.count(b) for b in (3, 9, 27, 81)] == [27, 9 + 3, 3 + 1, 1 + 1]


def test_splits_given_as_a_generator_serve_every_rung():
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import KFold

    X, y = load_iris(return_X_y=True)
    kfold = KFold(2, shuffle=True, random_state=0)

    def search(cv):
        return GeneticSearchCV(
            RandomForestClassifier(n_estimators=9, random_state=0),
            {"max_features": Real(0.2, 1.0)},
            population_size=6,
            generations=1,
            cv=cv,
            resource="n_estimators",
            random_state=0,
        )

    splits = kfold.split(X)
    from_generator = search(splits).fit(X, y)
    assert from_generator.cv is splits  # the caller's object, put back
    from_splitter = search(kfold).fit(X, y)
    assert list(from_generator.cv_results_["mean_test_score"]) == list(
        from_splitter.cv_results_["mean_test_score"]
    )
