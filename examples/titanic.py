"""Tune a Random Forest and a Logistic Regression on Titanic, four ways.
=====================================================================

Every search method gets the same pipeline (``make_titanic_preprocessor`` and a
model), the same search space, the same number of candidates, the same CV
splits and the same held-out test set, and the script prints one table::

    python examples/titanic.py             # the full comparison (under 2 minutes)
    python examples/titanic.py --quick     # a smoke run (seconds)
    python examples/titanic.py --n-jobs 1  # every fit in this process
    python examples/titanic.py --plot      # and a figure of the table (matplotlib)

A search space is written once, with ``sklearn_tune.space``, per model.
``GridSearchCV`` searches an explicit grid of points inside it;
``RandomizedSearchCV`` draws from the same dimensions; ``BayesSearchCV`` and
``GeneticSearchCV`` search the space itself. A method is one entry of
``METHODS``: a factory from a model and the shared settings to an unfitted
searcher.
"""

import argparse
import sys
import time
import warnings
from dataclasses import dataclass

import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    ParameterGrid,
    RandomizedSearchCV,
    StratifiedKFold,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

import sklearn_tune
from sklearn_tune.datasets import load_titanic, make_titanic_preprocessor
from sklearn_tune.space import Categorical, Integer, Real

SEED = 0


@dataclass
class Model:
    """A model to tune: its pipeline, its search space and a grid inside it."""

    name: str
    pipeline: Pipeline
    space: dict  # {parameter: Real | Integer | Categorical}
    grid: dict  # {parameter: list of values}, each value inside `space`

    @property
    def budget(self):
        """The number of candidates every method evaluates: the grid's size."""
        return len(ParameterGrid(self.grid))


@dataclass
class Settings:
    """What every search shares."""

    cv: StratifiedKFold
    n_jobs: int
    random_state: int


class _Sampler:
    """A dimension as a ``RandomizedSearchCV`` distribution (anything with rvs).

    ``from_unit`` maps a uniform draw in [0, 1] onto the dimension, honouring
    log-uniform priors, so random search samples what the other methods search.
    """

    def __init__(self, dimension):
        self.dimension = dimension

    def rvs(self, random_state=None):
        return self.dimension.from_unit(check_random_state(random_state).uniform())


def _pipeline(model):
    return Pipeline([("preprocess", make_titanic_preprocessor()), ("model", model)])


def _penalty_space():
    """L1 or L2 penalty, in the words this scikit-learn version understands.

    scikit-learn 1.8 deprecated ``penalty`` (it warns on every fit) in favour of
    ``l1_ratio`` (0 is L2, 1 is L1); older versions only read ``l1_ratio`` for
    elastic-net.
    """
    if LogisticRegression().get_params()["penalty"] == "deprecated":
        return "model__l1_ratio", [0.0, 1.0]
    return "model__penalty", ["l2", "l1"]


def make_models(quick=False):
    """The models to tune, with their spaces and grids (smaller when quick)."""
    if quick:
        trees, n_trees = Integer(10, 40), [25]
        depths, leaves, features = [3, 8], [1, 5], [0.5]
        c_values = [0.1, 10.0]
    else:
        trees, n_trees = Integer(20, 100), [30, 100]
        depths, leaves, features = [4, 12], [1, 5], [0.3, 0.7]
        c_values = [
            1e-3,
            3e-3,
            0.01,
            0.03,
            0.1,
            0.3,
            1.0,
            3.0,
            10.0,
            30.0,
            100.0,
            300.0,
        ]
    penalty_name, penalties = _penalty_space()
    forest = Model(
        name="RandomForest",
        pipeline=_pipeline(RandomForestClassifier(random_state=SEED)),
        space={
            "model__n_estimators": trees,
            "model__max_depth": Integer(2, 20),
            "model__min_samples_leaf": Integer(1, 10),
            "model__max_features": Real(0.1, 1.0),
        },
        grid={
            "model__n_estimators": n_trees,
            "model__max_depth": depths,
            "model__min_samples_leaf": leaves,
            "model__max_features": features,
        },
    )
    logistic = Model(
        name="LogisticRegression",
        pipeline=_pipeline(LogisticRegression(solver="liblinear")),
        space={
            "model__C": Real(1e-3, 300.0, prior="log-uniform"),
            penalty_name: Categorical(penalties),
        },
        grid={"model__C": c_values, penalty_name: penalties},
    )
    models = [forest, logistic]
    for model in models:
        for name, values in model.grid.items():
            outside = [value for value in values if value not in model.space[name]]
            if outside:
                raise ValueError(f"{model.name}: grid {name}={outside} is off-space")
    return models


def _grid(model, settings):
    return GridSearchCV(
        model.pipeline, model.grid, cv=settings.cv, n_jobs=settings.n_jobs
    )


def _random(model, settings):
    distributions = {name: _Sampler(dim) for name, dim in model.space.items()}
    return RandomizedSearchCV(
        model.pipeline,
        distributions,
        n_iter=model.budget,
        cv=settings.cv,
        n_jobs=settings.n_jobs,
        random_state=settings.random_state,
    )


def _bayes(model, settings):
    return sklearn_tune.BayesSearchCV(
        model.pipeline,
        model.space,
        n_iter=model.budget,
        # A third of the budget explores at random before the surrogate leads.
        optimizer_kwargs={"n_initial_points": max(1, model.budget // 3)},
        cv=settings.cv,
        n_jobs=settings.n_jobs,
        random_state=settings.random_state,
    )


def _genetic(model, settings):
    # population_size * (generations + 1) is the most it evaluates.
    generations = 2 if model.budget >= 12 else 1
    population_size = model.budget // (generations + 1)
    return sklearn_tune.GeneticSearchCV(
        model.pipeline,
        model.space,
        population_size=population_size,
        generations=generations,
        tournament_size=min(3, population_size),
        cv=settings.cv,
        n_jobs=settings.n_jobs,
        random_state=settings.random_state,
    )


METHODS = {
    "GridSearchCV": _grid,
    "RandomizedSearchCV": _random,
    "BayesSearchCV": _bayes,
    "GeneticSearchCV": _genetic,
}


def compare(models, methods, X_train, y_train, X_test, y_test, settings):
    """Fit every method on every model; return the results table."""
    rows = []
    for model in models:
        for method, make_search in methods.items():
            search = make_search(model, settings)
            start = time.perf_counter()
            search.fit(X_train, y_train)
            wall_time = time.perf_counter() - start
            rows.append(
                {
                    "model": model.name,
                    "method": method,
                    "best CV accuracy": search.best_score_,
                    "test accuracy": search.score(X_test, y_test),
                    "candidates": len(search.cv_results_["params"]),
                    "wall time (s)": wall_time,
                }
            )
            print(
                f"{model.name:>18}  {method:<18}  {rows[-1]['candidates']:3d} "
                f"candidates  {wall_time:6.1f} s",
                file=sys.stderr,
                flush=True,
            )
    return pd.DataFrame(rows)


def plot(table):
    """Best CV and test accuracy of every method, one panel per model: the gap
    between the two is how optimistic a search's own best score is."""
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(table["model"]))
    fig, axes = plt.subplots(
        1, len(models), figsize=(5.5 * len(models), 4), squeeze=False
    )
    for ax, model in zip(axes[0], models):
        rows = table[table["model"] == model]
        ax.set_title(model)
        ax.set_xlim(0.7, 0.9)
        for offset, column in [(-0.2, "best CV accuracy"), (0.2, "test accuracy")]:
            ax.barh(
                [i + offset for i in range(len(rows))],
                rows[column],
                height=0.4,
                label=column,
            )
        ax.set_yticks(range(len(rows)), rows["method"])
        ax.set_xlabel("accuracy")
    axes[0][0].legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a small, fast run (smoke test)"
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="parallel fits per search, as in scikit-learn (default: -1, all "
        "cores; 1 with --quick, whose fits are too small to pay for workers)",
    )
    parser.add_argument(
        "--plot", action="store_true", help="draw the table too (needs matplotlib)"
    )
    args = parser.parse_args(argv)
    if args.n_jobs is None:
        args.n_jobs = 1 if args.quick else -1

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X, y = load_titanic(return_X_y=True)
    for warning in caught:
        print(f"note: {warning.message}", file=sys.stderr)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=SEED
    )
    n_splits = 3 if args.quick else 5
    settings = Settings(
        cv=StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=SEED),
        n_jobs=args.n_jobs,
        random_state=SEED,
    )
    models = make_models(quick=args.quick)
    print(
        f"Titanic: {len(X_train)} passengers to tune on ({n_splits}-fold CV), "
        f"{len(X_test)} held out; "
        + ", ".join(f"{m.name} {m.budget} candidates" for m in models),
        flush=True,
    )
    table = compare(models, METHODS, X_train, y_train, X_test, y_test, settings)
    print(
        table.to_string(
            index=False,
            formatters={
                "best CV accuracy": "{:.4f}".format,
                "test accuracy": "{:.4f}".format,
                "wall time (s)": "{:.1f}".format,
            },
        )
    )
    if args.plot:
        import matplotlib.pyplot as plt

        plot(table)
        plt.show()


if __name__ == "__main__":
    main()
