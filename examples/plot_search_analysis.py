"""Look inside a search: convergence, the surrogate, importance, evolution.
========================================================================

An SVM on a synthetic classification task is tuned three ways, each with a
few random seeds, and :mod:`sklearn_tune.plots` shows what happened:

- :func:`~sklearn_tune.plots.plot_convergence`: the best score so far, as
  the mean and spread of the seeds of each method (as scikit-optimize draws
  several runs), against candidates and against compute time;
- :func:`~sklearn_tune.plots.plot_objective`: what the Bayesian search's
  surrogate model believes about the space (partial dependence);
- :func:`~sklearn_tune.importance` through
  :func:`~sklearn_tune.plots.plot_importance`: which hyperparameters
  mattered;
- :func:`~sklearn_tune.plots.plot_evolution`: the genetic search's
  generations.

Run it with ``python examples/plot_search_analysis.py`` (about a minute on two
cores; ``--quick`` takes seconds and is what the documentation runs). It needs
the ``plots`` extra (matplotlib).
"""

# %%
# The task and the searches
# -------------------------
# 1000 rows with 6 informative features of 20 and 5% of the labels flipped,
# standardised, and an SVC whose kernel (RBF or polynomial), ``C`` and
# ``gamma`` are tuned, ``C`` and ``gamma`` on a log scale: a space with a
# narrow good region (a large ``gamma`` overfits, a small ``C`` underfits).
# Each method gets the same budget of candidates, the same CV splits and the
# same seeds.
import argparse

import matplotlib.pyplot as plt
from scipy.stats import loguniform
from sklearn.datasets import make_classification
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.plots import (
    plot_convergence,
    plot_evolution,
    plot_importance,
    plot_objective,
)
from sklearn_tune.space import Categorical, Real

parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
parser.add_argument("--quick", action="store_true", help="a smaller run (seconds)")
args, _ = parser.parse_known_args()
n_candidates, seeds = (16, [0, 1]) if args.quick else (40, [0, 1, 2, 3, 4])

X, y = make_classification(
    n_samples=1000,
    n_features=20,
    n_informative=6,
    flip_y=0.05,
    class_sep=0.8,
    random_state=0,
)
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
space = {
    "svc__kernel": Categorical(["rbf", "poly"]),
    "svc__C": Real(1e-2, 1e3, prior="log-uniform"),
    "svc__gamma": Real(1e-4, 1e1, prior="log-uniform"),
}


def bayes(seed):
    return BayesSearchCV(
        make_pipeline(StandardScaler(), SVC()),
        space,
        n_iter=n_candidates,
        cv=cv,
        random_state=seed,
    )


def genetic(seed):
    # population_size * (generations + 1) candidates at most
    return GeneticSearchCV(
        make_pipeline(StandardScaler(), SVC()),
        space,
        population_size=8,
        generations=n_candidates // 8 - 1,
        cv=cv,
        random_state=seed,
    )


def randomized(seed):
    distributions = {
        "svc__kernel": ["rbf", "poly"],
        "svc__C": loguniform(1e-2, 1e3),
        "svc__gamma": loguniform(1e-4, 1e1),
    }
    return RandomizedSearchCV(
        make_pipeline(StandardScaler(), SVC()),
        distributions,
        n_iter=n_candidates,
        cv=cv,
        random_state=seed,
    )


runs = {
    name: [make(seed).fit(X, y) for seed in seeds]
    for name, make in [
        ("BayesSearchCV", bayes),
        ("GeneticSearchCV", genetic),
        ("RandomizedSearchCV", randomized),
    ]
}
for name, searches in runs.items():
    best = [search.best_score_ for search in searches]
    print(
        f"{name:<18} best CV accuracy per seed: " + ", ".join(f"{b:.4f}" for b in best)
    )

# %%
# Convergence
# -----------
# A ``(label, [searches])`` pair draws the runs of one method as their mean
# best-so-far score, in a band from the worst to the best seed, each seed a
# faint line behind it. On the left against the number of candidates, on the
# right against the compute spent fitting and scoring them: a method that
# spends its candidates on slow fits (a large ``C``) falls behind there.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
pairs = list(runs.items())
plot_convergence(*pairs, ax=left)
plot_convergence(*pairs, x="time", ax=right)
left.set_title("Best CV accuracy so far")
right.set_title("... against fit and score time")
fig.tight_layout()

# %%
# What the surrogate believes
# ---------------------------
# The Bayesian search keeps a Gaussian-process model of the score. Its
# partial dependence shows each hyperparameter alone (the diagonal) and each
# pair (below it), with the candidates evaluated as dots and the best as a red
# star. The model is only as good as the candidates it has seen: where there
# are no dots, it guesses.
search = runs["BayesSearchCV"][0]
plot_objective(search)
plt.gcf().suptitle("BayesSearchCV's surrogate (partial dependence)")

# %%
# Which hyperparameters mattered
# ------------------------------
# :func:`~sklearn_tune.importance` fits a random forest from the parameters to
# the scores of every candidate of the search and reports each parameter's
# permutation importance, with its spread over repeats.
plot_importance(search)

# %%
# The genetic search, generation by generation
# --------------------------------------------
# The best, mean and worst score of each generation's individuals: the mean
# climbs as selection keeps the good ones and crossover mixes them.
plot_evolution(runs["GeneticSearchCV"][0])
plt.show()
