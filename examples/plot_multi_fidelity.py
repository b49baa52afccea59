"""Multi-fidelity: the best model per second of compute.
=====================================================

Gradient boosting is tuned with its number of boosting iterations as the
*budget*: with ``resource="max_iter"``, both searchers train candidates for 9
iterations first and only the promising ones for 27 and 81 (see
:doc:`/multi_fidelity`). This example draws their **anytime curves**, the best
full-budget score so far against the compute spent, beside scikit-learn's
``RandomizedSearchCV`` (every candidate at the full budget) and
``HalvingRandomSearchCV`` (successive halving over random candidates), then
shows how one multi-fidelity search spent its budget.

Run it with ``python examples/plot_multi_fidelity.py`` (a minute or two on two
cores; ``--quick`` takes seconds and is what the documentation runs). It needs
the ``plots`` extra (matplotlib).
"""

# %%
# The task and the searches
# -------------------------
# 2000 rows of a synthetic classification task with 8 informative features of
# 20 and 5% of the labels flipped; three folds. Every search tunes the same
# four hyperparameters; the full budget is 81 boosting iterations.
import argparse

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import loguniform, randint
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
)

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.plots import plot_convergence
from sklearn_tune.space import Integer, Real

parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
parser.add_argument("--quick", action="store_true", help="a smaller run (seconds)")
args, _ = parser.parse_known_args()
# New candidates for the multi-fidelity searches; random search gets as many
# full-budget candidates as fit in about the same compute.
n_new, n_random = (27, 12) if args.quick else (81, 36)

X, y = make_classification(
    n_samples=2000, n_features=20, n_informative=8, flip_y=0.05, random_state=0
)
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
estimator = HistGradientBoostingClassifier(
    max_iter=81, early_stopping=False, random_state=0
)
space = {
    "learning_rate": Real(0.01, 0.5, prior="log-uniform"),
    "max_leaf_nodes": Integer(4, 64),
    "min_samples_leaf": Integer(2, 100, prior="log-uniform"),
    "l2_regularization": Real(1e-4, 10.0, prior="log-uniform"),
}
distributions = {
    "learning_rate": loguniform(0.01, 0.5),
    "max_leaf_nodes": randint(4, 65),
    "min_samples_leaf": randint(2, 101),
    "l2_regularization": loguniform(1e-4, 10.0),
}
budget = {"resource": "max_iter", "min_resources": 9, "max_resources": 81, "factor": 3}

searches = {
    "BayesSearchCV, multi-fidelity": BayesSearchCV(
        estimator, space, n_iter=n_new, cv=cv, random_state=0, **budget
    ),
    "GeneticSearchCV, multi-fidelity": GeneticSearchCV(
        estimator,
        space,
        population_size=9,
        generations=n_new // 9 - 1,
        cv=cv,
        random_state=0,
        **budget,
    ),
    "HalvingRandomSearchCV": HalvingRandomSearchCV(
        estimator, distributions, cv=cv, random_state=0, **budget
    ),
    "RandomizedSearchCV (81 iterations each)": RandomizedSearchCV(
        estimator, distributions, n_iter=n_random, cv=cv, random_state=0
    ),
}
for name, search in searches.items():
    search.fit(X, y)
    rows = search.cv_results_
    spent = np.sum(
        (rows["mean_fit_time"] + rows["mean_score_time"]) * cv.get_n_splits()
    )
    print(
        f"{name:<40} {len(rows['params']):3d} fits of a candidate, {spent:5.1f} s "
        f"of compute, best CV accuracy {search.best_score_:.4f}"
    )

# %%
# Anytime curves
# --------------
# With ``x="time"``, :func:`~sklearn_tune.plots.plot_convergence` puts each
# candidate at the compute spent so far (fit and score time over the folds,
# from ``cv_results_``). For the multi-fidelity searches, the line is the best
# *full-budget* score so far; cheaper rows are dots only. A multi-fidelity
# search has its first full-budget score later than random search (after its
# first rungs), and a bad candidate costs it 9 iterations instead of 81.
# Whether that wins depends on how well the small budgets rank the candidates
# and on how long the search runs: on this task the curves end close
# together; in a full run (no ``--quick``, one seed) the multi-fidelity
# searches end a little ahead of random search.
# ``benchmarks/bench_fidelity.py`` measures it over seeds on larger tasks.
ax = plot_convergence(*searches.values(), x="time", labels=list(searches))
ax.set_ylim(0.8, None)
ax.set_title("Best full-budget CV accuracy against compute")
ax.legend(fontsize="small", loc="lower right")

# %%
# How one search spent its budget
# -------------------------------
# ``cv_results_`` has one row per candidate and budget (``n_resources``), as
# scikit-learn's halving searches have. Drawing each candidate's score at each
# budget it reached, joined by a line, shows the promotions: many candidates
# stop at 9 iterations, few reach 81, and the ranking at a small budget is a
# fair but imperfect guide to the ranking at the full one.
search = searches["BayesSearchCV, multi-fidelity"]
rows = pd.DataFrame(search.cv_results_)
names = sorted(space)
rows["candidate"] = rows["params"].map(lambda p: tuple(p[n] for n in names))
fig, ax = plt.subplots(figsize=(6.4, 4.2))
for _, path in rows.groupby("candidate", sort=False):
    path = path.sort_values("n_resources")
    ax.plot(path["n_resources"], path["mean_test_score"], "-o", alpha=0.5, ms=3)
ax.set_xscale("log", base=3)
ax.set_xticks(search.n_resources_, [str(r) for r in search.n_resources_])
ax.set_xlabel("boosting iterations (the budget)")
ax.set_ylabel("CV accuracy")
counts = rows["n_resources"].value_counts().sort_index()
ax.set_title(
    "BayesSearchCV's candidates, by budget: "
    + ", ".join(f"{n} at {r}" for r, n in counts.items()),
    fontsize="small",
)
fig.tight_layout()
plt.show()
