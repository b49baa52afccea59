"""EarlyStopping on a multi-fidelity search."""

import warnings

import numpy as np

from sklearn_tune import BayesSearchCV
from sklearn_tune.callbacks import EarlyStopping
from sklearn_tune.space import Real


def test_only_full_budget_batches_count(budgeted):
    # a smaller budget scores higher: counted, the first rung would be the
    # best and the search would stop after its first bracket
    search = BayesSearchCV(
        budgeted(),
        {"x": Real(-1.0, 1.0)},
        n_iter=40,
        cv=2,
        random_state=0,
        resource="n_steps",
        min_resources=1,
        optimizer_kwargs={"n_initial_points": 3},
    )
    stopper = EarlyStopping(patience=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(np.zeros((8, 1)), np.zeros(8), callback=stopper)
    assert search.n_resources_ == [1, 3, 9]
    budgets = np.asarray(search.cv_results_["n_resources"])
    full_batches = sorted(set(np.asarray(search.cv_results_["iter"])[budgets == 9]))
    assert len(full_batches) >= 3  # patience=2: at least 3 brackets ran
    assert stopper.best_score_ == search.best_score_
