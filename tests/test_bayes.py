"""BayesSearchCV as a drop-in for skopt.BayesSearchCV, and where it does better."""

import re
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier
from skopt import space as skopt_space

from sklearn_tune import BayesSearchCV
from sklearn_tune.callbacks import Callback
from sklearn_tune.space import Categorical, Integer, Real

X, y = make_classification(n_samples=90, n_features=5, random_state=0)


def test_same_positional_arguments_as_skopt():
    from inspect import signature

    from skopt import BayesSearchCV as SkoptBayesSearchCV

    ours = list(signature(BayesSearchCV).parameters)
    theirs = list(signature(SkoptBayesSearchCV).parameters)
    ours_only = ["checkpoint", "resource", "min_resources", "max_resources", "factor"]
    assert ours == theirs + ours_only  # keywords of ours alone, at the end
    defaults = {
        name: p.default for name, p in signature(SkoptBayesSearchCV).parameters.items()
    }
    # n_jobs=None is one job outside a joblib context, as skopt's 1 is;
    # the others are ours alone.
    for name, p in signature(BayesSearchCV).parameters.items():
        if name != "n_jobs" and name not in ours_only:
            assert p.default == defaults[name], name


def test_subspaces_and_optimizer_results():
    pipe = Pipeline([("model", SVC())])
    spaces = [
        (
            {
                "model": Categorical([LinearSVC()]),
                "model__C": Real(1e-3, 1e3, "log-uniform"),
            },
            1,
        ),
        ({"model": [DecisionTreeClassifier()], "model__max_depth": Integer(1, 8)}, 2),
        {"model": Categorical([SVC()]), "model__C": Real(1e-3, 1e3, "log-uniform")},
    ]
    search = BayesSearchCV(pipe, spaces, n_iter=3, cv=2, random_state=0).fit(X, y)
    assert search.total_iterations == 6
    assert len(search.cv_results_["params"]) == 6
    assert [type(r.x[0]) for r in search.optimizer_results_] == [
        LinearSVC,
        DecisionTreeClassifier,
        SVC,
    ]
    assert [len(r.func_vals) for r in search.optimizer_results_] == [1, 2, 3]


def test_optimizer_result_lists_values_in_sorted_name_order():
    space = {"kernel": ["linear", "rbf"], "C": Real(1e-2, 1e2, "log-uniform")}
    search = BayesSearchCV(SVC(), space, n_iter=4, cv=2, random_state=0).fit(X, y)
    (result,) = search.optimizer_results_
    assert result.x == [search.best_params_["C"], search.best_params_["kernel"]]
    assert result.fun == pytest.approx(-search.best_score_)


def test_parameters_reach_the_estimator_as_python_types():
    class TypeCheck(BaseEstimator):
        def __init__(self, a=0.0, b=0, c=""):
            self.a, self.b, self.c = a, b, c

        def fit(self, X, y):
            assert type(self.a) is float and type(self.b) is int and type(self.c) is str
            return self

        def score(self, X, y):
            return self.a + self.b

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the skopt-style range warning
        search = BayesSearchCV(
            TypeCheck(),
            {"a": [0.0, 1.0], "b": [0, 10], "c": ["x", "y", "z"]},
            n_iter=12,
        )
    search.fit(X, y)
    assert search.best_score_ > 5


def test_the_callers_skopt_dimensions_are_not_renamed():
    dims = {
        "C": skopt_space.Real(0.1, 10.0),
        "kernel": skopt_space.Categorical(["rbf"]),
    }
    BayesSearchCV(SVC(), dims, n_iter=2, cv=2).fit(X, y)
    assert dims["C"].name is None and dims["kernel"].name is None


def test_memory_is_bounded_to_one_surrogate_by_default():
    search = BayesSearchCV(
        LogisticRegression(),
        {"C": Real(1e-2, 1e2, "log-uniform")},
        n_iter=8,
        optimizer_kwargs={"n_initial_points": 2},
        cv=2,
        random_state=0,
    ).fit(X, y)
    assert len(search.optimizers_[0].models) == 1
    assert len(search.optimizer_results_[0].models) == 1


def test_fit_params_argument_is_used_and_fit_wins():
    class NeedsFlag(LogisticRegression):
        def fit(self, X, y, flag=None):
            assert flag == "from-fit"
            return super().fit(X, y)

    search = BayesSearchCV(
        NeedsFlag(), {"C": Real(0.1, 1.0)}, n_iter=2, cv=2, fit_params={"flag": "init"}
    )
    search.fit(X, y, flag="from-fit")


def test_iid_is_ignored_with_a_warning():
    search = BayesSearchCV(
        LogisticRegression(), {"C": Real(0.1, 1.0)}, n_iter=2, iid=True
    )
    with pytest.warns(FutureWarning, match="iid"):
        search.fit(X, y)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_initial_point": 3}, "Did you mean 'n_initial_points'"),
        ({"dimensions": []}, "must not contain 'dimensions'"),
        ({"acq_func": "UCB"}, "refused by skopt.Optimizer"),
        ({"base_estimator": "SVM"}, "refused by skopt.Optimizer"),
    ],
)
def test_bad_optimizer_kwargs_fail_before_any_fit(kwargs, message):
    search = BayesSearchCV(
        LogisticRegression(), {"C": Real(0.1, 1.0)}, optimizer_kwargs=kwargs
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        search.fit(X, y)


@pytest.mark.parametrize("base_estimator", ["GP", "RF", "ET", "GBRT", "dummy"])
def test_every_surrogate_runs(base_estimator):
    search = BayesSearchCV(
        SVC(),
        {"C": Real(1e-2, 1e2, "log-uniform"), "kernel": ["linear", "rbf"]},
        n_iter=5,
        optimizer_kwargs={"base_estimator": base_estimator, "n_initial_points": 3},
        cv=2,
        random_state=0,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 5


def test_callable_refit_is_supported_for_one_metric():
    def simplest(results):
        return int(np.argmin([p["C"] for p in results["params"]]))

    search = BayesSearchCV(
        LogisticRegression(), {"C": Real(0.1, 10.0)}, n_iter=4, refit=simplest, cv=2
    ).fit(X, y)
    assert search.best_params_["C"] == min(p["C"] for p in search.cv_results_["params"])


class _Quadratic(BaseEstimator):
    """Scores -(x - 0.3)^2: no fit cost."""

    def __init__(self, x=0.0):
        self.x = x

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return -((self.x - 0.3) ** 2)


@pytest.mark.parametrize("n_points", [1, 3])
def test_gp_hedge_learns_with_candidates_in_flight(n_points):
    # With candidates in flight, every proposal is made by a copy of the
    # optimizer told the pending points; the optimizer itself must still
    # score those proposals' nominees and update its GP-Hedge gains, or it
    # picks its acquisition function at random for the whole search.
    search = BayesSearchCV(
        _Quadratic(),
        {"x": Real(-1.0, 1.0)},
        n_iter=15,
        n_points=n_points,
        cv=2,
        random_state=0,
        optimizer_kwargs={"n_initial_points": 3},
    ).fit(np.zeros((4, 1)))
    (optimizer,) = search.optimizers_
    assert search.cv_results_["params"] and len(search.cv_results_["params"]) == 15
    assert np.count_nonzero(optimizer.gains_) == len(optimizer.gains_)


def test_a_longer_search_starts_as_the_shorter_one():
    # the candidates in flight grow with the candidates told, not with n_iter:
    # the first 24 of a 48-candidate search are those of a 24-candidate one
    def make(n_iter):
        return BayesSearchCV(
            _Quadratic(),
            {"x": Real(-1.0, 1.0)},
            n_iter=n_iter,
            cv=2,
            random_state=0,
            optimizer_kwargs={"n_initial_points": 4},
        )

    short, long = make(24).fit(np.zeros((4, 1))), make(48).fit(np.zeros((4, 1)))
    assert long.cv_results_["params"][:24] == short.cv_results_["params"]
    chain = SimpleNamespace(strategies=[], current=None)  # without resource
    assert make(24)._window(chain, 0) == 2  # n_points=1: one fitted, one chosen
    assert make(24)._window(chain, 160) == 10  # 160 told: 10 in flight
    assert make(24).set_params(n_points=4)._window(chain, 0) == 12  # 3 batches


@pytest.mark.parametrize("n_points", [1, 2])
def test_initial_points_are_all_in_flight_then_two_batches(n_points):
    # no result chooses the initial points: all are asked before the first is
    # told; after them, a proposal waits for all but the last batch (n_points=1)
    class InFlight(Callback):
        def __init__(self):
            self.begun, self.told, self.in_flight = 0, 0, []

        def on_batch_begin(self, search, *, candidates, **kwargs):
            self.begun += len(candidates)
            self.in_flight.append((self.told, self.begun - self.told))

        def on_batch_end(self, search, *, candidates, **kwargs):
            self.told += len(candidates)

    probe = InFlight()
    BayesSearchCV(
        _Quadratic(),
        {"x": Real(-1.0, 1.0)},
        n_iter=14,
        n_points=n_points,
        cv=2,
        random_state=0,
        optimizer_kwargs={"n_initial_points": 6},
    ).fit(np.zeros((4, 1)), callback=probe)
    told_before = [told for told, _ in probe.in_flight]
    assert told_before[: 6 // n_points] == [0] * (6 // n_points)
    limit = 2 if n_points == 1 else 3 * n_points
    assert max(n for told, n in probe.in_flight if told >= 6) <= limit
    # the first proposal after the initial points knows all but the last batch
    # (n_points > 1: all but the last three batches)
    assert [t for t in told_before if t > 0][0] == 6 - limit + n_points
