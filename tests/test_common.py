"""scikit-learn's estimator checks and the parameter-validation contract."""

import re

import numpy as np
import pytest
from sklearn.base import is_regressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.space import Real

# A regressor, a classifier and a pipeline, for each searcher.
ESTIMATORS = [
    (Ridge(), {"alpha": Real(0.1, 10.0)}),
    (LogisticRegression(), {"C": Real(0.1, 10.0, prior="log-uniform")}),
    (
        make_pipeline(StandardScaler(), LogisticRegression()),
        {"logisticregression__C": Real(0.1, 10.0)},
    ),
]
COMMON = {"cv": 2, "error_score": "raise", "random_state": 0}
SEARCHERS = [
    GeneticSearchCV(estimator, space, population_size=2, generations=1, **COMMON)
    for estimator, space in ESTIMATORS
] + [
    BayesSearchCV(
        estimator, space, n_iter=3, optimizer_kwargs={"n_initial_points": 2}, **COMMON
    )
    for estimator, space in ESTIMATORS
]


def _expected_failed_checks(search):
    # What scikit-learn itself expects of GridSearchCV around a regressor.
    if is_regressor(search.estimator):
        return {"check_supervised_y_2d": "DataConversionWarning not caught"}
    return {}


@parametrize_with_checks(SEARCHERS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("search", SEARCHERS, ids=lambda s: type(s).__name__)
def test_parameter_constraints_cover_every_parameter(search):
    # scikit-learn skips unconstrained parameters silently.
    assert set(search._parameter_constraints) == set(search.get_params(deep=False))


@pytest.mark.parametrize("search", [SEARCHERS[0], SEARCHERS[3]])
def test_init_only_stores(search):
    # Nonsense is accepted by __init__ and refused by fit, before any fit.
    bad = search.set_params(search_spaces={"alpha": "nonsense"})
    X, y = np.zeros((4, 1)), np.arange(4.0)
    with pytest.raises(ValueError, match=re.escape("search_spaces['alpha']")):
        bad.fit(X, y)
