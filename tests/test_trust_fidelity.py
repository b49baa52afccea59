"""Multi-fidelity searches tried as a demanding user would (issue 15).

Estimator choices under a resource, a subsample smaller than the data, fits
that fail at the full budget, stopping before it, parameters that only some
choices have, and the halving searches' fitted attributes.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.callbacks import Callback, DeadlineStopper
from sklearn_tune.exceptions import SearchWarning, StopSearch
from sklearn_tune.space import Categorical, Integer, Real

X, y = load_iris(return_X_y=True)


def make(kind, estimator, space, **kwargs):
    kwargs.setdefault("cv", 2)
    kwargs.setdefault("random_state", 0)
    if kind == "bayes":
        return BayesSearchCV(
            estimator,
            space,
            n_iter=6,
            optimizer_kwargs={"n_initial_points": 3},
            **kwargs,
        )
    return GeneticSearchCV(estimator, space, population_size=4, generations=1, **kwargs)


def rows(search):
    results = search.cv_results_
    return [
        (repr(p), s, n)
        for p, s, n in zip(
            results["params"], results["mean_test_score"], results["n_resources"]
        )
    ]


def assert_rows_are_fresh_cv_scores(search):
    """Every row is the CV score of its own params at its budget, fitted afresh."""
    results = search.cv_results_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at few iterations
        for params, score in zip(results["params"], results["mean_test_score"]):
            estimator = clone(search.estimator).set_params(**clone(params, safe=False))
            again = cross_val_score(estimator, X, y, cv=search.cv).mean()
            assert score == pytest.approx(again, abs=1e-12), params
        best = clone(search.estimator).set_params(
            **clone(search.best_params_, safe=False)
        )
        again = cross_val_score(best, X, y, cv=search.cv).mean()
    assert search.best_score_ == pytest.approx(again, abs=1e-12)


def assert_untouched(choices, before):
    for choice, params in zip(choices, before):
        assert repr(choice.get_params()) == params
        with pytest.raises(Exception, match="not fitted"):
            check_is_fitted(choice)


def forest_choices():
    rf = RandomForestClassifier(random_state=0)
    et = ExtraTreesClassifier(random_state=0)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", RandomForestClassifier())])
    space = {"clf": Categorical([rf, et]), "clf__max_depth": Integer(1, 4)}
    return pipe, space, [rf, et]


def boosting_or_mlp_choices():
    hgb = HistGradientBoostingClassifier(early_stopping=False, random_state=0)
    mlp = MLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", hgb)])
    space = {
        "clf": Categorical([hgb, mlp]),
        "clf__learning_rate": Real(0.05, 0.5, prior="log-uniform").when(clf=[hgb]),
        "clf__learning_rate_init": Real(1e-3, 1e-1, prior="log-uniform").when(
            clf=[mlp]
        ),
    }
    return pipe, space, [hgb, mlp]


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
@pytest.mark.parametrize(
    "choices, resource",
    [
        pytest.param(forest_choices, "clf__n_estimators", id="forest or extra trees"),
        pytest.param(boosting_or_mlp_choices, "clf__max_iter", id="boosting or mlp"),
    ],
)
def test_estimator_choices_under_a_resource(kind, choices, resource):
    pipe, space, objects = choices()
    before = [repr(o.get_params()) for o in objects]

    def search(n_jobs):
        found = make(
            kind, pipe, space, resource=resource, max_resources=9, n_jobs=n_jobs
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return found.fit(X, y)

    one = search(1)
    assert_untouched(objects, before)
    assert len(set(one.cv_results_["n_resources"])) > 1
    assert {type(p["clf"]) for p in one.cv_results_["params"]} == {
        type(o) for o in objects
    }
    assert_rows_are_fresh_cv_scores(one)
    assert rows(search(1)) == rows(one)  # the same search twice in one process
    assert rows(search(2)) == rows(one)
    assert_untouched(objects, before)
    assert one.best_estimator_.named_steps["clf"] not in objects


class Rows(RandomForestClassifier):
    """A forest that records how many rows each fit trained on."""

    def fit(self, X, y, sample_weight=None):
        self.n_rows_ = len(X)
        return super().fit(X, y, sample_weight)

    def score(self, X, y, sample_weight=None):
        return self.n_rows_


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_n_samples_below_the_number_of_rows_trains_the_top_rung_on_that_many(kind):
    # as HalvingRandomSearchCV: every rung, the top one too, trains on a
    # subsample of n_resources of the 150 rows (each split: its share of them)
    search = make(
        kind,
        Rows(n_estimators=2, random_state=0),
        {"max_depth": Integer(1, 4)},
        resource="n_samples",
        max_resources=60,
        cv=3,
    ).fit(X, y)
    assert search.n_resources_[-1] == 60
    results = search.cv_results_
    for n, trained in zip(results["n_resources"], results["mean_test_score"]):
        assert trained == int(n / 150 * 100)  # a split trains on 100 of 150
    assert search.best_estimator_.n_rows_ == 150  # the refit uses all the data


class FailsAtFull(RandomForestClassifier):
    """A forest whose fits at 9 trees or more fail, or on all 150 rows."""

    def fit(self, X, y, sample_weight=None):
        if self.n_estimators >= 9 or len(X) == 150:
            raise RuntimeError("no memory left for this many trees")
        return super().fit(X, y, sample_weight)


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_no_successful_full_budget_row(kind):
    search = make(
        kind,
        FailsAtFull(n_estimators=9, random_state=0),
        {"max_depth": Integer(1, 4)},
        resource="n_estimators",
        error_score=np.nan,
    )
    message = (
        r"all \d+ candidates trained at the full budget \(n_resources=9\) failed; "
        "the first error: RuntimeError: no memory left.*No fit at the full budget "
        r"succeeded: best_params_ is the best at n_resources=3"
    )
    with pytest.warns(SearchWarning, match=message):
        search.fit(X, y)
    results = search.cv_results_
    assert 9 in results["n_resources"] and 3 in results["n_resources"]
    best = search.best_index_
    assert np.isfinite(results["mean_test_score"][best])  # never a failed row
    assert search.best_params_ == results["params"][best]
    assert search.best_params_["n_estimators"] == 3
    assert search.best_score_ == results["mean_test_score"][best]
    with pytest.raises(Exception, match="trained at the full budget"):
        search.best_estimator_


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_a_failing_refit_keeps_the_results_and_says_so(kind):
    # CV fits train on 75 rows and succeed; the refit on 150 fails
    search = make(
        kind, FailsAtFull(n_estimators=3, random_state=0), {"max_depth": Integer(1, 4)}
    )
    with pytest.warns(SearchWarning), pytest.raises(RuntimeError) as raised:
        search.fit(X, y)
    assert re.search(
        r"refitting the best candidate \{'max_depth': \d\} on all the data failed "
        r"with RuntimeError\('no memory left.*cv_results_, best_params_ and "
        "best_score_ are kept",
        str(raised.value),
    )
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert len(search.cv_results_["params"]) == 4  # every max_depth
    assert search.best_params_ == search.cv_results_["params"][search.best_index_]
    assert search.best_score_ == max(search.cv_results_["mean_test_score"])
    with pytest.raises(Exception, match="refitting best_params_ on all the data"):
        search.best_estimator_


class StopAfterFirstBatch(Callback):
    """A callback that ends the search after its first batch."""

    def on_batch_end(self, search, **kwargs):
        raise StopSearch("stopped by the user's callback")


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
@pytest.mark.parametrize(
    "stopper",
    [
        pytest.param(StopAfterFirstBatch, id="StopSearch"),
        pytest.param(lambda: DeadlineStopper(1e-9), id="DeadlineStopper"),
    ],
)
def test_stopping_before_the_full_budget_says_so(kind, stopper):
    search = make(
        kind,
        RandomForestClassifier(n_estimators=9, random_state=0),
        {"max_depth": Integer(1, 4)},
        resource="n_estimators",
    )
    message = (
        r"stopped \(.*\) before any candidate reached the full budget: "
        r"best_params_ is the best at n_resources=3, .*\(full: 9\).* "
        r"best_estimator_ is refitted with it \(n_estimators=3\), not at the "
        r"full budget\."
    )
    with pytest.warns(SearchWarning, match=message):
        search.fit(X, y, callback=stopper())
    assert set(search.cv_results_["n_resources"]) == {3}
    assert search.best_params_["n_estimators"] == 3
    assert search.best_estimator_.n_estimators == 3


class NeverFit(RandomForestClassifier):
    def fit(self, X, y, sample_weight=None):
        raise AssertionError("a fit ran before the space was checked")


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_a_parameter_only_some_choices_have_is_refused_before_any_fit(kind):
    rf, mlp = NeverFit(), MLPClassifier()
    pipe = Pipeline([("scale", StandardScaler()), ("clf", rf)])
    forgotten = {"clf": Categorical([rf, mlp]), "clf__max_depth": Integer(2, 8)}
    message = (
        "search_spaces['clf__max_depth'] is active for the choice MLPClassifier() "
        "of search_spaces['clf'], which has no parameter 'max_depth', so every "
        "fit with it would fail. Make it active only for the choices that have "
        "it: search_spaces['clf__max_depth'] = Integer(2, 8).when(clf=[<your "
        "NeverFit>])"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        make(kind, pipe, forgotten).fit(X, y)
    # a .when() naming a choice that lacks it is refused the same way
    wrong = {**forgotten, "clf__max_depth": Integer(2, 8).when(clf=[rf, mlp])}
    with pytest.raises(ValueError, match=re.escape(message)):
        make(kind, pipe, wrong).fit(X, y)


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_a_resource_one_choice_lacks_is_refused_before_any_fit(kind):
    rf, mlp = NeverFit(), MLPClassifier()
    pipe = Pipeline([("scale", StandardScaler()), ("clf", rf)])
    space = {
        "clf": Categorical([rf, mlp]),
        "clf__max_depth": Integer(2, 8).when(clf=[rf]),
    }
    search = make(kind, pipe, space, resource="clf__n_estimators", max_resources=9)
    message = (
        "resource='clf__n_estimators'): the choice MLPClassifier() of "
        "search_spaces['clf'] has no parameter 'n_estimators'"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        search.fit(X, y)


@pytest.mark.parametrize(
    "resource, given",
    [
        pytest.param("C", "1.0 (float)", id="float"),
        pytest.param("fit_intercept", "True (bool)", id="bool"),
        pytest.param("solver", "'lbfgs' (str)", id="str"),
    ],
)
def test_a_resource_that_is_not_an_integer_parameter_is_refused(resource, given):
    from sklearn.linear_model import LogisticRegression

    search = make("bayes", LogisticRegression(), {"tol": Real(1e-5, 1e-3)})
    search.set_params(resource=resource, max_resources=9)
    with pytest.raises(ValueError, match=re.escape(f"{given}, not an int")):
        search.fit(X, y)


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_the_halving_searches_fitted_attributes(kind):
    from scipy.stats import randint
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV

    forest = RandomForestClassifier(random_state=0)
    search = make(
        kind,
        forest,
        {"max_depth": Integer(1, 8)},
        resource="n_estimators",
        max_resources=27,
    ).fit(X, y)
    halving = HalvingRandomSearchCV(
        forest,
        {"max_depth": randint(1, 9)},
        n_candidates=search.n_candidates_[0],
        resource="n_estimators",
        max_resources=27,
        min_resources=search.min_resources_,
        cv=2,
        random_state=0,
    ).fit(X, y)
    for name in (
        "n_candidates_",
        "n_iterations_",
        "n_possible_iterations_",
        "n_remaining_candidates_",
        "n_required_iterations_",
    ):
        assert type(getattr(search, name)) is type(getattr(halving, name)), name
    budgets = np.asarray(search.cv_results_["n_resources"])
    assert search.n_candidates_ == [
        int((budgets == n).sum()) for n in search.n_resources_
    ]
    assert search.n_iterations_ == len(search.n_resources_) == len(halving.n_resources_)
    assert search.n_possible_iterations_ == len(search.n_resources_)
    assert search.n_required_iterations_ == halving.n_required_iterations_
    assert search.n_remaining_candidates_ == search.n_candidates_[-1]


class FailsDeep(RandomForestClassifier):
    def fit(self, X, y, sample_weight=None):
        if self.max_depth > 2:
            raise RuntimeError("too deep")
        return super().fit(X, y, sample_weight)


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
@pytest.mark.parametrize("resource", [None, "n_estimators"], ids=["plain", "mf"])
def test_a_numeric_error_score_never_makes_a_failed_row_best(kind, resource):
    search = make(
        kind,
        FailsDeep(n_estimators=9, random_state=0),
        {"max_depth": Integer(1, 6)},
        error_score=1.5,  # above every real accuracy
        resource=resource,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    results = search.cv_results_
    failed = np.array([p["max_depth"] > 2 for p in results["params"]])
    assert failed.any() and (~failed).any()
    assert not failed[search.best_index_]
    assert search.best_score_ < 1.5
    if resource is None:  # with a resource, best_* choose at the full budget only
        assert results["rank_test_score"][search.best_index_] == 1
    assert (
        results["rank_test_score"][failed] > results["rank_test_score"][~failed].max()
    ).all()


def test_no_lock_file_stays_when_the_search_fails_to_start(tmp_path):
    class Broken(Callback):
        def on_search_begin(self, search, **kwargs):
            raise ZeroDivisionError("a callback that fails")

    path = tmp_path / "c.jsonl"
    search = make("bayes", RandomForestClassifier(), {"max_depth": Integer(1, 4)})
    search.set_params(checkpoint=path)
    with pytest.raises(ZeroDivisionError):
        search.fit(X, y, callback=Broken())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_skopt_callables_see_full_budget_candidates_only(kind):
    seen = []

    def record(result):
        seen.append(list(result.func_vals))

    search = make(
        kind,
        RandomForestClassifier(n_estimators=9, random_state=0),
        {"max_depth": Integer(1, 6)},
        resource="n_estimators",
    ).fit(X, y, callback=record)
    results = search.cv_results_
    full = np.asarray(results["n_resources"]) == 9
    assert len(seen) == len(set(np.asarray(results["iter"])[full]))
    assert sorted(-np.asarray(seen[-1])) == sorted(results["mean_test_score"][full])


class CountingForest(RandomForestClassifier):
    """A forest that counts its fits, and raises Ctrl-C at fit ``stop_at``."""

    n_fits, stop_at = 0, None

    def fit(self, X, y, sample_weight=None):
        CountingForest.n_fits += 1
        if CountingForest.n_fits == CountingForest.stop_at:
            raise KeyboardInterrupt
        return super().fit(X, y, sample_weight)


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_ctrl_c_after_the_last_continued_batch_keeps_every_row(kind):
    # Continued batches do not go through evaluate_candidates, so the search
    # fits one candidate once more for BaseSearchCV to finish: Ctrl-C there
    # lost every row (a raw KeyboardInterrupt out of fit)
    def search():
        return make(
            kind,
            CountingForest(n_estimators=9, random_state=0),
            {"max_depth": Integer(1, 6)},
            resource="n_estimators",
            refit=False,
        )

    CountingForest.n_fits, CountingForest.stop_at = 0, None
    whole = search().fit(X, y)
    n_search_fits = CountingForest.n_fits - 2  # less the 2 splits fitted again
    CountingForest.n_fits, CountingForest.stop_at = 0, n_search_fits + 1
    with pytest.warns(SearchWarning, match="interrupted by KeyboardInterrupt"):
        cut = search().fit(X, y)
    assert rows(cut) == rows(whole)
    assert cut.best_params_ == whole.best_params_
