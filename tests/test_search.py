"""Both searchers behave as GridSearchCV does, wherever GridSearchCV is defined."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sklearn_tune.space import Categorical, Integer, Real

X, y = make_classification(n_samples=120, n_features=6, random_state=0)
SPACE = {"C": Real(1e-2, 1e2, prior="log-uniform")}


def _grid_results(params, **grid_kwargs):
    """GridSearchCV's cv_results_ for exactly these candidates."""
    grid = [{k: [v] for k, v in p.items()} for p in params]
    return GridSearchCV(LogisticRegression(), grid, **grid_kwargs)


def test_cv_results_keys_are_gridsearchcv_keys_plus_iter(make_search):
    search = make_search(
        LogisticRegression(), SPACE, cv=3, random_state=0, return_train_score=True
    ).fit(X, y)
    grid = GridSearchCV(
        LogisticRegression(), {"C": [0.1, 1.0]}, cv=3, return_train_score=True
    ).fit(X, y)
    extra = set(search.cv_results_) - set(grid.cv_results_)
    assert extra == {"iter", "rank_train_score"}
    assert set(grid.cv_results_) <= set(search.cv_results_)
    n = len(search.cv_results_["params"])
    for key, value in search.cv_results_.items():
        assert len(value) == n, key


def test_scores_equal_gridsearchcv_on_the_same_candidates(make_search):
    cv = KFold(3, shuffle=True, random_state=1)
    search = make_search(LogisticRegression(), SPACE, cv=cv, random_state=0).fit(X, y)
    params = search.cv_results_["params"]
    grid = _grid_results(params, cv=cv).fit(X, y)
    ours = {p["C"]: s for p, s in zip(params, search.cv_results_["mean_test_score"])}
    theirs = dict(
        zip(
            [p["C"] for p in grid.cv_results_["params"]],
            grid.cv_results_["mean_test_score"],
        )
    )
    assert ours == pytest.approx(theirs)


def test_best_attributes_follow_the_ranks(make_search):
    search = make_search(LogisticRegression(), SPACE, cv=3, random_state=0).fit(X, y)
    results = search.cv_results_
    best = int(np.argmin(results["rank_test_score"]))
    assert search.best_index_ == best
    assert search.best_score_ == results["mean_test_score"][best]
    assert search.best_params_ == results["params"][best]
    assert search.best_estimator_.get_params()["C"] == search.best_params_["C"]
    assert_array_equal(search.predict(X), search.best_estimator_.predict(X))
    assert search.score(X, y) == search.best_estimator_.score(X, y)
    assert_array_equal(search.classes_, np.unique(y))


def test_multimetric_refits_the_named_metric(make_search):
    scoring = {"acc": "accuracy", "nll": "neg_log_loss"}
    search = make_search(
        LogisticRegression(), SPACE, cv=3, scoring=scoring, refit="nll", random_state=0
    ).fit(X, y)
    results = search.cv_results_
    assert {"mean_test_acc", "mean_test_nll", "rank_test_nll"} <= set(results)
    assert search.best_index_ == int(np.argmin(results["rank_test_nll"]))
    assert search.best_score_ == results["mean_test_nll"][search.best_index_]
    assert set(search.scorer_) == {"acc", "nll"}


@pytest.mark.parametrize("refit", [True, "auc"])
def test_multimetric_without_a_named_refit_fails_before_fitting(make_search, refit):
    fitted = []

    class Spy(LogisticRegression):
        def fit(self, X, y):
            fitted.append(1)
            return super().fit(X, y)

    search = make_search(Spy(), SPACE, scoring=["accuracy", "f1"], refit=refit)
    # scikit-learn's own check answers refit=True; ours the other cases.
    with pytest.raises(ValueError, match="refit must (name|be set to) "):
        search.fit(X, y)
    assert not fitted


def test_pipeline_nested_names(make_search):
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    search = make_search(
        pipe, {"clf__C": Real(1e-2, 1e2, prior="log-uniform")}, cv=3, random_state=0
    ).fit(X, y)
    assert set(search.best_params_) == {"clf__C"}
    assert search.best_estimator_.named_steps["clf"].C == search.best_params_["clf__C"]


def test_groups_reach_the_splitter(make_search):
    groups = np.repeat(np.arange(6), 20)
    search = make_search(LogisticRegression(), SPACE, cv=GroupKFold(3), random_state=0)
    search.fit(X, y, groups=groups)
    best = search.best_params_
    grid = _grid_results([best], cv=GroupKFold(3)).fit(X, y, groups=groups)
    for split in range(3):
        key = f"split{split}_test_score"
        assert search.cv_results_[key][search.best_index_] == pytest.approx(
            grid.cv_results_[key][0]
        )
    with pytest.raises(ValueError, match="groups"):
        clone(search).fit(X, y)


def test_sample_weight_reaches_the_estimator(make_search):
    weights = np.where(y == 1, 5.0, 1.0)
    search = make_search(LogisticRegression(), SPACE, cv=3, random_state=0)
    weighted = clone(search).fit(X, y, sample_weight=weights)
    plain = clone(search).fit(X, y)
    # The first candidate is drawn before any score is known: the same in both.
    first = weighted.cv_results_["params"][0]
    assert plain.cv_results_["params"][0] == first
    grid = _grid_results([first], cv=3).fit(X, y, sample_weight=weights)
    weighted_score = weighted.cv_results_["mean_test_score"][0]
    assert weighted_score == pytest.approx(grid.cv_results_["mean_test_score"][0])
    assert weighted_score != pytest.approx(plain.cv_results_["mean_test_score"][0])


class FailingClassifier(ClassifierMixin, BaseEstimator):
    """A classifier whose fit fails for ``depth > 3``."""

    def __init__(self, depth=1):
        self.depth = depth

    def fit(self, X, y):
        if self.depth > 3:
            raise RuntimeError(f"depth={self.depth} is too deep")
        self.tree_ = DecisionTreeClassifier(max_depth=self.depth).fit(X, y)
        self.classes_ = self.tree_.classes_
        return self

    def predict(self, X):
        return self.tree_.predict(X)


def test_numeric_error_score_keeps_searching(make_search):
    search = make_search(
        FailingClassifier(),
        {"depth": Integer(1, 6)},
        budget=9,
        cv=2,
        error_score=-1.0,
        random_state=0,
    )
    with pytest.warns(FitFailedWarning, match="too deep"):
        search.fit(X, y)
    results = search.cv_results_
    depths = np.array([p["depth"] for p in results["params"]])
    assert (depths > 3).any() and (depths <= 3).any()
    assert_array_equal(results["mean_test_score"][depths > 3], -1.0)
    assert search.best_params_["depth"] <= 3


def test_error_score_raise_names_the_candidate(make_search):
    search = make_search(
        FailingClassifier(), {"depth": Categorical([5])}, cv=2, error_score="raise"
    )
    with pytest.raises(RuntimeError, match="too deep") as info:
        search.fit(X, y)
    assert "{'depth': 5}" in "\n".join(getattr(info.value, "__notes__", []))


def test_every_candidate_failing_is_one_clear_error(make_search):
    search = make_search(
        FailingClassifier(), {"depth": Integer(4, 9)}, cv=2, error_score=np.nan
    )
    with pytest.raises(ValueError, match="candidates failed to fit") as info:
        search.fit(X, y)
    assert "too deep" in str(info.value)


def test_clone_and_pickle_before_and_after_fit(make_search):
    search = make_search(LogisticRegression(), SPACE, cv=3, random_state=0)
    unfitted = pickle.loads(pickle.dumps(search))
    assert unfitted.get_params().keys() == search.get_params().keys()
    clone(search)
    search.fit(X, y)
    restored = pickle.loads(pickle.dumps(search))
    assert_array_equal(restored.predict(X), search.predict(X))
    assert restored.cv_results_["params"] == search.cv_results_["params"]
    refitted = clone(search).fit(X, y)
    assert refitted.cv_results_["params"] == search.cv_results_["params"]


def test_n_jobs_does_not_change_the_search(make_search):
    kwargs = {"cv": 3, "random_state": 0}
    one = make_search(LogisticRegression(), SPACE, n_jobs=1, **kwargs).fit(X, y)
    two = make_search(LogisticRegression(), SPACE, n_jobs=2, **kwargs).fit(X, y)
    assert one.cv_results_["params"] == two.cv_results_["params"]
    assert_allclose(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"]
    )


def test_same_random_state_same_search_and_other_state_other_search(make_search):
    first = make_search(LogisticRegression(), SPACE, cv=3, random_state=0).fit(X, y)
    again = make_search(LogisticRegression(), SPACE, cv=3, random_state=0).fit(X, y)
    other = make_search(LogisticRegression(), SPACE, cv=3, random_state=1).fit(X, y)
    assert first.cv_results_["params"] == again.cv_results_["params"]
    assert first.cv_results_["params"] != other.cv_results_["params"]


def test_the_users_estimator_is_not_modified_and_data_not_stored(make_search):
    estimator = LogisticRegression()
    before = estimator.get_params()
    search = make_search(estimator, SPACE, cv=3, random_state=0).fit(X, y)
    assert estimator.get_params() == before
    assert not hasattr(estimator, "coef_")
    stored = [v for v in vars(search).values() if isinstance(v, np.ndarray)]
    assert not any(v.shape == X.shape for v in stored)
