"""Conditional spaces: one joint search against a list of sub-spaces and Optuna.

Two tasks whose knobs exist only for some values of another knob:

- ``branches``: a no-cost function of a choice among three branches, each with
  its own two or three knobs (the best branch is not the easiest to find);
  simple regret at equal evaluations.
- ``titanic``: choose the classifier of a Titanic pipeline (logistic
  regression, random forest, SVM or k nearest neighbours) and its own
  parameters; best 5-fold CV accuracy at equal evaluations.

Each is searched by BayesSearchCV and GeneticSearchCV on the joint conditional
space (``Dimension.when``), by both on the same space written as a list of
sub-spaces (one per branch, the budget split evenly), and by Optuna's TPE with
the same conditions (define-by-run, ``multivariate`` and ``group`` on), all in
one run with the same seeds. The column "fewest" is the fewest candidates a
search gave one choice of the root (branch, classifier), averaged over the
seeds: a starved branch shows there.

    python benchmarks/bench_conditional.py          # writes results/conditional.md
    python benchmarks/bench_conditional.py --quick  # 2 seeds, prints only
"""

import argparse
import math
import platform
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

import sklearn_tune
from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.space import Categorical, Integer, Real

# -- the branches function ------------------------------------------------------


class Branches(BaseEstimator):
    """Scores minus a function of a branch and its own knobs (no-cost fit)."""

    def __init__(self, branch="a", a1=0.0, a2=0.0, b1=0.0, b2=0.0, b3=0, c1=0.0):
        self.branch, self.a1, self.a2 = branch, a1, a2
        self.b1, self.b2, self.b3, self.c1 = b1, b2, b3, c1

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return -self.value()

    def value(self):
        if self.branch == "a":  # wide and easy: a floor of 1.0
            return 1.0 + (self.a1 - 0.3) ** 2 + (self.a2 - 0.6) ** 2
        if self.branch == "b":  # narrow: the optimum 0.0
            return (
                4 * (self.b1 - 0.7) ** 2
                + 4 * (math.log10(self.b2) + 2) ** 2
                + 0.1 * abs(self.b3 - 3)
            )
        return 0.8 + abs(self.c1 - 0.5)  # c: flat, 0.8 at best


BRANCH_SPACE = {
    "branch": Categorical(["a", "b", "c"]),
    "a1": Real(0.0, 1.0).when(branch="a"),
    "a2": Real(0.0, 1.0).when(branch="a"),
    "b1": Real(0.0, 1.0).when(branch="b"),
    "b2": Real(1e-4, 1.0, prior="log-uniform").when(branch="b"),
    "b3": Integer(0, 6).when(branch="b"),
    "c1": Real(0.0, 1.0).when(branch="c"),
}


def branch_trial(trial):
    branch = trial.suggest_categorical("branch", ["a", "b", "c"])
    params = {"branch": branch}
    if branch == "a":
        params.update(
            a1=trial.suggest_float("a1", 0.0, 1.0),
            a2=trial.suggest_float("a2", 0.0, 1.0),
        )
    elif branch == "b":
        params.update(
            b1=trial.suggest_float("b1", 0.0, 1.0),
            b2=trial.suggest_float("b2", 1e-4, 1.0, log=True),
            b3=trial.suggest_int("b3", 0, 6),
        )
    else:
        params.update(c1=trial.suggest_float("c1", 0.0, 1.0))
    return params


# -- the Titanic pipeline --------------------------------------------------------

LR = LogisticRegression(max_iter=1000)
RF = RandomForestClassifier(n_estimators=50, random_state=0)
SV = SVC()
KN = KNeighborsClassifier()
TITANIC_SPACE = {
    "clf": Categorical([LR, RF, SV, KN]),
    "clf__C": Real(1e-3, 1e3, prior="log-uniform").when(clf=[LR, SV]),
    "clf__gamma": Real(1e-4, 1.0, prior="log-uniform").when(clf=SV),
    "clf__max_depth": Integer(2, 16).when(clf=RF),
    "clf__min_samples_leaf": Integer(1, 20).when(clf=RF),
    "clf__n_neighbors": Integer(1, 50).when(clf=KN),
}


def titanic_trial(trial):
    name = trial.suggest_categorical("clf", ["lr", "rf", "svc", "knn"])
    clf = {"lr": LR, "rf": RF, "svc": SV, "knn": KN}[name]
    params = {"clf": clf}
    if name in ("lr", "svc"):
        params["clf__C"] = trial.suggest_float("clf__C", 1e-3, 1e3, log=True)
    if name == "svc":
        params["clf__gamma"] = trial.suggest_float("clf__gamma", 1e-4, 1.0, log=True)
    if name == "rf":
        params["clf__max_depth"] = trial.suggest_int("clf__max_depth", 2, 16)
        params["clf__min_samples_leaf"] = trial.suggest_int(
            "clf__min_samples_leaf", 1, 20
        )
    if name == "knn":
        params["clf__n_neighbors"] = trial.suggest_int("clf__n_neighbors", 1, 50)
    return params


def titanic_data():
    from sklearn_tune.datasets import load_titanic, make_titanic_preprocessor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, y = load_titanic(return_X_y=True)
    pipe = Pipeline([("prep", make_titanic_preprocessor()), ("clf", LR)])
    return pipe, X, y


# -- the searchers --------------------------------------------------------------


def subspaces(space):
    """The conditional space as a list of sub-spaces, one per branch."""
    parent = next(n for n, d in space.items() if d.condition is None and len(d) > 1)
    choices = space[parent].categories
    result = []
    for choice in choices:
        sub = {parent: Categorical([choice])}
        for name, dim in space.items():
            condition = dim.condition
            if name == parent:
                continue
            if condition is None or any(v is choice for v in condition.values):
                sub[name] = _without_condition(dim)
        result.append(sub)
    return result


def _without_condition(dim):
    data = dim.to_dict()
    data.pop("condition", None)
    if isinstance(dim, Categorical):
        return Categorical(dim.categories, prior=dim.prior)
    return type(dim)(data["low"], data["high"], prior=data["prior"], base=data["base"])


def _root(space):
    """The name of the choice every branch hangs from."""
    return next(n for n, d in space.items() if d.condition is None and len(d) > 1)


def _fewest(space, chosen):
    """The fewest candidates given to one choice of the root, from the root's
    value of every candidate (a choice never tried counts 0)."""
    key = lambda v: v if isinstance(v, str) else type(v).__name__  # noqa: E731
    counts = {key(c): 0 for c in space[_root(space)].categories}
    for value in chosen:
        counts[key(value)] += 1
    return min(counts.values())


def run_ours(kind, estimator, space, X, y, cv, budget, seed, split):
    if split:
        parts = subspaces(space)
        budgets = [budget // len(parts)] * len(parts)
        budgets[0] += budget - sum(budgets)
    if kind == "bayes":
        spaces = list(zip(parts, budgets)) if split else space
        search = BayesSearchCV(
            estimator,
            spaces,
            n_iter=budget,
            cv=cv,
            random_state=seed,
            optimizer_kwargs={"n_initial_points": 10 if not split else 5},
        )
    else:
        population = 10
        if split:
            spaces = [(p, max(b // population - 1, 0)) for p, b in zip(parts, budgets)]
        else:
            spaces = space
        search = GeneticSearchCV(
            estimator,
            spaces,
            population_size=population,
            generations=budget // population - 1,
            cv=cv,
            random_state=seed,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    params = search.cv_results_["params"]
    return search.best_score_, _fewest(space, [p[_root(space)] for p in params])


def run_optuna(trial_params, estimator, space, X, y, cv, budget, seed):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        params = trial_params(trial)
        model = sklearn.base.clone(estimator).set_params(
            **sklearn.base.clone(params, safe=False)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(np.mean(cross_val_score(model, X, y, cv=cv)))

    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # multivariate/group are experimental
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.optimize(objective, n_trials=budget)
    root = _root(space)
    names = {"lr": LR, "rf": RF, "svc": SV, "knn": KN}
    chosen = [names.get(t.params[root], t.params[root]) for t in study.trials]
    return study.best_value, _fewest(space, chosen)


SEARCHERS = [
    ("BayesSearchCV, joint", "bayes", False),
    ("BayesSearchCV, sub-spaces", "bayes", True),
    ("GeneticSearchCV, joint", "genetic", False),
    ("GeneticSearchCV, sub-spaces", "genetic", True),
    ("Optuna TPE, conditions", "optuna", None),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--titanic-budget", type=int, default=30)
    parser.add_argument("--titanic-seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="benchmarks/results/conditional.md")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.titanic_seeds, args.titanic_budget = 2, 1, 20
    tasks = [
        (
            "branches (regret, lower is better)",
            Branches(),
            BRANCH_SPACE,
            branch_trial,
            np.zeros((4, 1)),
            None,
            lambda seed: KFold(2),
            args.budget,
            args.seeds,
            True,
        )
    ]
    pipe, X, y = titanic_data()
    tasks.append(
        (
            "titanic (best CV accuracy, higher is better)",
            pipe,
            TITANIC_SPACE,
            titanic_trial,
            X,
            y,
            lambda seed: StratifiedKFold(5, shuffle=True, random_state=seed),
            args.titanic_budget,
            args.titanic_seeds,
            False,
        )
    )
    lines = []
    for (
        name,
        estimator,
        space,
        trial_params,
        X_,
        y_,
        cv,
        budget,
        n_seeds,
        regret,
    ) in tasks:
        lines += [f"### {name}, {budget} evaluations, {n_seeds} seeds", ""]
        lines += [
            "| searcher | mean | std | per seed | fewest | wall s |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for label, kind, split in SEARCHERS:
            values, fewest, start = [], [], time.perf_counter()
            for seed in range(n_seeds):
                if kind == "optuna":
                    best, n = run_optuna(
                        trial_params, estimator, space, X_, y_, cv(seed), budget, seed
                    )
                else:
                    best, n = run_ours(
                        kind, estimator, space, X_, y_, cv(seed), budget, seed, split
                    )
                values.append(-best if regret else best)
                fewest.append(n)
            wall = time.perf_counter() - start
            row = (
                f"| {label} | {np.mean(values):.4f} | {np.std(values):.4f} | "
                + ", ".join(f"{v:.3f}" for v in values)
                + f" | {np.mean(fewest):.1f} | {wall:.0f} |"
            )
            print(row, flush=True)
            lines.append(row)
        lines.append("")
    report = "\n".join(
        [
            "# Conditional spaces: joint search, sub-spaces, Optuna",
            "",
            "    " + " ".join(sys.argv),
            "",
            *lines,
            f"sklearn_tune {sklearn_tune.__version__}, scikit-learn "
            f"{sklearn.__version__}, Python {platform.python_version()}.",
        ]
    )
    print(report)
    if not args.quick:
        with open(args.out, "w") as file:
            file.write(report + "\n")


if __name__ == "__main__":
    main()
