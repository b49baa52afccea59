"""GeneticFeatureSelectionCV: masks on the shared loop, and a selector's API."""

import json
import random
import re
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_tune import GeneticFeatureSelectionCV
from sklearn_tune._compat import InvalidParameterError
from sklearn_tune._genetic._feature_selection import _FeatureMaskStrategy
from sklearn_tune.callbacks import EarlyStopping
from sklearn_tune.exceptions import SearchWarning
from sklearn_tune.space import Categorical

# 3 informative features first (shuffle=False), then 5 of noise
X, y = make_classification(
    n_samples=300,
    n_features=8,
    n_informative=3,
    n_redundant=0,
    n_repeated=0,
    n_clusters_per_class=1,
    flip_y=0,
    shuffle=False,
    random_state=0,
)
INFORMATIVE = {0, 1, 2}


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; records the number of columns of every fit."""

    widths = []

    def fit(self, X, y):
        CountingClassifier.widths.append(X.shape[1])
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


def selector(estimator=None, **kwargs):
    kwargs = {
        "population_size": 8,
        "generations": 4,
        "cv": 3,
        "random_state": 0,
        **kwargs,
    }
    return GeneticFeatureSelectionCV(estimator or GaussianNB(), **kwargs)


@pytest.mark.parametrize("random_state", [0, 1])
def test_finds_the_informative_features(random_state):
    # noise features hurt nearest neighbours: the informative ones, alone, win
    search = selector(
        KNeighborsClassifier(),
        population_size=10,
        generations=8,
        random_state=random_state,
    ).fit(X, y)
    assert set(np.flatnonzero(search.support_)) == INFORMATIVE
    assert search.best_score_ > 0.95


def test_selector_api_on_numpy():
    search = selector().fit(X, y)
    support = search.support_
    assert support.dtype == bool and support.shape == (8,)
    assert search.n_features_in_ == 8
    assert not hasattr(search, "feature_names_in_")
    np.testing.assert_array_equal(search.get_support(), support)
    np.testing.assert_array_equal(search.transform(X), X[:, support])
    assert list(search.get_feature_names_out()) == [
        f"x{i}" for i in np.flatnonzero(support)
    ]
    assert search.best_params_ == {"features": tuple(np.flatnonzero(support))}
    # the user's estimator, fitted on the selected columns only
    assert isinstance(search.best_estimator_, GaussianNB)
    assert search.best_estimator_.n_features_in_ == support.sum()
    expected = search.best_estimator_.predict(X[:, support])
    np.testing.assert_array_equal(search.predict(X), expected)
    assert search.score(X, y) == pytest.approx(np.mean(expected == y))
    assert search.predict_proba(X).shape == (len(X), 2)
    with pytest.raises(ValueError, match="8 features"):
        search.transform(X[:, :5])


def test_selector_api_on_pandas():
    pd = pytest.importorskip("pandas")
    columns = [f"col_{i}" for i in range(8)]
    frame = pd.DataFrame(X, columns=columns)
    search = selector().fit(frame, y)
    names = [columns[i] for i in np.flatnonzero(search.support_)]
    assert list(search.feature_names_in_) == columns
    assert list(search.get_feature_names_out()) == names
    # the refitted estimator saw the selected columns, with their names
    assert list(search.best_estimator_.feature_names_in_) == names
    search.set_output(transform="pandas")
    out = search.transform(frame)
    assert list(out.columns) == names
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names"
        search.predict(frame)
    with pytest.raises(ValueError, match="feature names"):
        search.transform(frame[columns[::-1]])


@pytest.mark.parametrize("max_features", [1, 2, 4])
def test_max_features_holds_for_every_evaluated_mask(max_features):
    CountingClassifier.widths = []
    search = selector(CountingClassifier(), max_features=max_features).fit(X, y)
    n_features = search.cv_results_["n_features"]
    assert n_features.min() >= 1 and n_features.max() <= max_features
    masks = np.array(search.cv_results_["features"])
    np.testing.assert_array_equal(masks.sum(axis=1), n_features)
    assert [len(p["features"]) for p in search.cv_results_["params"]] == list(
        n_features
    )
    # every fit, the refit included, saw 1..max_features columns
    assert CountingClassifier.widths
    assert 1 <= min(CountingClassifier.widths)
    assert max(CountingClassifier.widths) <= max_features
    assert search.support_.sum() <= max_features


def test_bred_masks_are_never_empty_nor_too_large():
    # the strategy alone, many generations, random scores: every genome asked
    # is repaired into 1..max_features features
    dims = {f"feature_{i:02d}": Categorical([False, True]) for i in range(12)}
    strategy = _FeatureMaskStrategy(
        dims,
        max_features=3,
        population_size=10,
        generations=30,
        crossover_probability=0.5,
        mutation_probability=0.5,
        tournament_size=3,
        elitism=1,
        algorithm="mu_plus_lambda",
        keep_top_k=3,
        random_state=0,
    )
    rng = random.Random(0)
    sizes = []
    while candidates := strategy.ask():
        sizes += [sum(c.values()) for c in candidates]
        strategy.tell(candidates, [rng.random() for _ in candidates])
    assert len(sizes) == 10 * 31
    assert min(sizes) == 1 and max(sizes) == 3


def test_equal_scores_prefer_fewer_features():
    # every mask scores the same: the best is a one-feature mask
    search = selector(DummyClassifier()).fit(X, y)
    assert len(set(search.cv_results_["mean_test_score"])) == 1
    assert search.cv_results_["n_features"].max() > 1
    assert search.support_.sum() == 1
    assert search.cv_results_["rank_n_features"][search.best_index_] == 1
    assert len(search.hall_of_fame_[0]["params"]["features"]) == 1


@pytest.mark.parametrize(
    "params, message",
    [
        pytest.param(
            {"max_features": 9},
            "max_features=9 is more than the 8 features of X; give an int in [1, 8]",
            id="max_features>n_features",
        ),
        pytest.param(
            {"elitism": 8},
            "elitism=8 must be smaller than population_size=8",
            id="elitism>=population_size",
        ),
    ],
)
def test_bad_input_fails_before_any_fit(params, message):
    CountingClassifier.widths = []
    with pytest.raises(ValueError, match=re.escape(message)):
        selector(CountingClassifier(), **params).fit(X, y)
    assert CountingClassifier.widths == []


@pytest.mark.parametrize("max_features", [0, -1, 2.5, "all"])
def test_bad_max_features_type_fails_before_any_fit(max_features):
    CountingClassifier.widths = []
    with pytest.raises(InvalidParameterError, match="'max_features' parameter"):
        selector(CountingClassifier(), max_features=max_features).fit(X, y)
    assert CountingClassifier.widths == []


def test_the_users_estimator_is_put_back_and_never_fitted():
    estimator = LogisticRegression()
    search = selector(estimator, generations=1).fit(X, y)
    assert search.estimator is estimator
    assert search.get_params()["estimator"] is estimator
    assert not hasattr(estimator, "coef_")
    assert search.best_estimator_ is not estimator
    with pytest.raises(ValueError, match="max_features=9"):
        search.set_params(max_features=9).fit(X, y)
    assert search.estimator is estimator
    assert not hasattr(search, "support_")  # nothing of the earlier fit is left


class FailsOnAllRows(GaussianNB):
    """Fits on CV splits, fails on all the rows: the refit fails."""

    def fit(self, X, y, **kwargs):
        if len(X) == 300:
            raise RuntimeError("refit failed")
        return super().fit(X, y, **kwargs)


def test_a_failed_refit_keeps_the_selection():
    search = selector(FailsOnAllRows(), generations=1)
    with pytest.raises(RuntimeError, match="refitting the best candidate"):
        with pytest.warns(SearchWarning, match="no best_estimator_"):
            search.fit(X, y)
    assert search.estimator.__class__ is FailsOnAllRows
    assert search.support_.sum() == len(search.best_params_["features"])
    assert search.transform(X).shape == (300, search.support_.sum())
    assert not hasattr(search, "best_estimator_")


def test_init_only_stores():
    search = GeneticFeatureSelectionCV(LogisticRegression(), max_features="nonsense")
    assert search.max_features == "nonsense"
    assert set(search._parameter_constraints) == set(search.get_params(deep=False))


def summary(search):
    results = search.cv_results_
    return {
        "params": [dict(p) for p in results["params"]],
        "mean_test_score": results["mean_test_score"].tolist(),
        "iter": results["iter"].tolist(),
        "support": search.support_.tolist(),
    }


def test_n_jobs_does_not_change_the_search():
    one = selector(max_features=5, generations=2, n_jobs=1).fit(X, y)
    two = selector(max_features=5, generations=2, n_jobs=2).fit(X, y)
    assert summary(one) == summary(two)
    assert len(one.cv_results_["params"]) > 8  # several generations were bred


def test_checkpoint_resume_gives_the_same_search(tmp_path):
    path = tmp_path / "masks.jsonl"
    full = summary(selector(max_features=5).fit(X, y))
    selector(max_features=5, checkpoint=path).fit(X, y)
    lines = path.read_text().splitlines()
    kept = lines[:4]  # the header, the part, two generations
    path.write_text("\n".join(kept) + "\n")
    recorded = sum(len(json.loads(line)["candidates"]) for line in kept[2:])
    assert 0 < recorded < len(full["params"])
    CountingClassifier.widths = []
    resumed = selector(max_features=5, checkpoint=path).fit(X, y)
    assert summary(resumed) == full
    # another max_features is another search: its checkpoint is refused
    with pytest.raises(ValueError, match="max_features"):
        selector(max_features=4, checkpoint=path).fit(X, y)


def test_early_stopping_callback_ends_the_search():
    # equal scores: no generation improves on the first
    search = selector(DummyClassifier(), generations=10)
    search.fit(X, y, callback=EarlyStopping(patience=2))
    assert "EarlyStopping" in search.stop_reason_
    assert len(search.history_) == 3
    assert search.support_.sum() >= 1
    assert hasattr(search, "best_estimator_")


def test_plain_callable_callback_and_sklearn_genetic_opt_keyword():
    calls = []
    search = selector(generations=2)
    search.fit(X, y, callbacks=lambda result: calls.append(len(result.x_iters)))
    assert len(calls) == 3 and calls == sorted(calls)


def test_multimetric_refit_and_refit_false():
    scoring = {"acc": "accuracy", "bal": "balanced_accuracy"}
    search = selector(scoring=scoring, refit="bal").fit(X, y)
    assert search.best_score_ == search.cv_results_["mean_test_bal"][search.best_index_]
    assert search.score(X, y) > 0.5
    no_refit = selector(refit=False).fit(X, y)
    assert not hasattr(no_refit, "best_estimator_")
    with pytest.raises(AttributeError, match="refit=False"):
        no_refit.predict(X)
    assert no_refit.transform(X).shape[1] == no_refit.support_.sum()


def test_as_a_pipeline_step_and_inside_grid_search():
    pipe = make_pipeline(selector(max_features=3), LogisticRegression()).fit(X, y)
    step = pipe[0]
    assert step.support_.sum() <= 3
    assert pipe.predict(X).shape == (len(X),)
    assert pipe[-1].n_features_in_ == step.support_.sum()

    grid = GridSearchCV(
        selector(generations=2), {"max_features": [1, 3]}, cv=KFold(2)
    ).fit(X, y)
    assert grid.best_params_["max_features"] in (1, 3)
    assert grid.best_estimator_.support_.sum() <= grid.best_params_["max_features"]
    assert clone(grid.estimator).get_params()["max_features"] is None


def test_regressor_and_criteria_min():
    rng = np.random.RandomState(0)
    Xr = rng.normal(size=(120, 6))
    yr = 3 * Xr[:, 0] - 2 * Xr[:, 1] + 0.1 * rng.normal(size=120)
    search = selector(Ridge(), scoring="neg_mean_squared_error", generations=3).fit(
        Xr, yr
    )
    assert {0, 1} <= set(np.flatnonzero(search.support_))
    # criteria="min" minimises: the worst masks (without 0 and 1) win
    worst = selector(
        Ridge(), scoring="neg_mean_squared_error", generations=3, criteria="min"
    ).fit(Xr, yr)
    assert not {0, 1} & set(np.flatnonzero(worst.support_))


@parametrize_with_checks(
    [
        GeneticFeatureSelectionCV(
            LogisticRegression(),
            population_size=2,
            generations=1,
            cv=2,
            error_score="raise",
            random_state=0,
        ),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
