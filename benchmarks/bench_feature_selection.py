"""Feature selection on data with known informative features.

``make_classification`` with ``shuffle=False`` puts the informative features
first; the rest is noise. Each selector chooses features on a training split
with the same estimator (``LogisticRegression``) and the same CV (stratified,
3 folds, not shuffled); then, for every selector alike:

- precision and recall of the selected features against the informative ones;
- CV score: the mean accuracy of the estimator on the selected features, with
  that CV on the training split (what the selectors optimise: for the genetic
  searches it is their best score, chosen among many, so optimistic);
- test score: the estimator refitted on the training split's selected features,
  scored on the held-out split;
- evaluations: distinct feature subsets cross-validated; over max_features:
  how many of them had more features than ``max_features``; time: wall time
  of the selector's ``fit``, all on one process (``n_jobs=1``).

Selectors: ``GeneticFeatureSelectionCV`` (ours), sklearn-genetic-opt's
``GAFeatureSelectionCV`` with its default operators and about the same number
of evaluations (it breeds ``2 * population_size`` offspring a generation),
both also with ``max_features`` (ours repairs masks as it breeds them;
sklearn-genetic-opt fits every mask and scores one above ``max_features``
-100000), and
scikit-learn's ``SequentialFeatureSelector`` (forward) told the true number of
informative features, or choosing it itself (``"auto"`` with ``tol``). The row
"all features" is no selection.

Usage::

    python benchmarks/bench_feature_selection.py  # writes results/feature_selection.md
    python benchmarks/bench_feature_selection.py --quick  # a smoke run, prints only
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from _report import machine, source_version, versions  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.feature_selection import SequentialFeatureSelector  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)

from sklearn_tune import GeneticFeatureSelectionCV  # noqa: E402

N_SAMPLES, N_FEATURES, N_INFORMATIVE = 1000, 30, 6
POPULATION, GENERATIONS = 20, 15  # ours: 20 + 15 * 20 = 320 masks at most
MAX_FEATURES = 8


def make_data(seed):
    X, y = make_classification(
        n_samples=N_SAMPLES,
        n_features=N_FEATURES,
        n_informative=N_INFORMATIVE,
        n_redundant=0,
        n_repeated=0,
        n_clusters_per_class=1,
        class_sep=1.0,
        shuffle=False,  # the informative features are the first ones
        random_state=seed,
    )
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)


def estimator():
    return LogisticRegression(max_iter=1000)


def _over(search, max_features):
    """Distinct masks fitted with more than ``max_features`` features."""
    if max_features is None:
        return None
    distinct = {tuple(m) for m in search.cv_results_["features"]}
    return sum(sum(m) > max_features for m in distinct)


def ours(max_features=None):
    def make(seed, cv, quick):
        search = GeneticFeatureSelectionCV(
            estimator(),
            max_features=max_features,
            population_size=POPULATION,
            generations=3 if quick else GENERATIONS,
            cv=cv,
            scoring="accuracy",
            n_jobs=1,
            random_state=seed,
        )

        def evaluations():  # one row a mask
            return len(search.cv_results_["params"]), _over(search, max_features)

        return search, evaluations

    return make


def sklearn_genetic_opt(max_features=None):
    def make(seed, cv, quick):
        from sklearn_genetic import GAFeatureSelectionCV

        random.seed(seed)  # it draws from the global generators
        np.random.seed(seed)
        search = GAFeatureSelectionCV(
            estimator(),
            max_features=max_features,
            population_size=POPULATION // 2,
            generations=3 if quick else GENERATIONS,
            cv=cv,
            scoring="accuracy",
            n_jobs=1,
            verbose=False,
        )

        def evaluations():  # its rows repeat masks taken from its cache
            distinct = {tuple(m) for m in search.cv_results_["features"]}
            return len(distinct), _over(search, max_features)

        return search, evaluations

    return make


def sfs(n_features):
    def make(seed, cv, quick):
        kwargs = {"n_features_to_select": n_features}
        if n_features == "auto":
            kwargs["tol"] = 1e-3
        search = SequentialFeatureSelector(
            estimator(), direction="forward", cv=cv, scoring="accuracy", **kwargs
        )

        def evaluations():
            k = int(search.get_support().sum())
            steps = k + (n_features == "auto" and k < N_FEATURES - 1)
            return sum(N_FEATURES - i for i in range(steps)), None

        return search, evaluations

    return make


SELECTORS = {
    "GeneticFeatureSelectionCV (ours)": ours(),
    "GAFeatureSelectionCV (sklearn-genetic-opt)": sklearn_genetic_opt(),
    f"GeneticFeatureSelectionCV (ours), max_features={MAX_FEATURES}": ours(
        MAX_FEATURES
    ),
    f"GAFeatureSelectionCV (sklearn-genetic-opt), max_features={MAX_FEATURES}": (
        sklearn_genetic_opt(MAX_FEATURES)
    ),
    f"SequentialFeatureSelector forward, k={N_INFORMATIVE}": sfs(N_INFORMATIVE),
    "SequentialFeatureSelector forward, auto (tol=1e-3)": sfs("auto"),
}


def run_one(name, make, seed, quick):
    X_train, X_test, y_train, y_test = make_data(seed)
    cv = StratifiedKFold(3)
    if make is None:  # all features
        support, seconds = np.ones(N_FEATURES, dtype=bool), 0.0
        evaluations, over = 1, None
    else:
        selector, count = make(seed, cv, quick)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            selector.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        support = np.asarray(selector.get_support(), dtype=bool)
        evaluations, over = count()
    selected = set(np.flatnonzero(support))
    informative = set(range(N_INFORMATIVE))
    cv_score = cross_val_score(
        estimator(), X_train[:, support], y_train, cv=cv, scoring="accuracy"
    ).mean()
    model = estimator().fit(X_train[:, support], y_train)
    return {
        "precision": len(selected & informative) / len(selected),
        "recall": len(selected & informative) / len(informative),
        "n_selected": len(selected),
        "cv": cv_score,
        "test": model.score(X_test[:, support], y_test),
        "evaluations": evaluations,
        "over": over,
        "seconds": seconds,
    }


def fmt(values, digits=3):
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def table(results):
    keys = ["precision", "recall", "n_selected", "cv", "test", "evaluations"]
    lines = [
        "| selector | precision | recall | features selected | CV score "
        "| test score | evaluations | over max_features | time (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, runs in results.items():
        cells = [
            fmt([r[k] for r in runs], 1 if k in ("n_selected",) else 3) for k in keys
        ]
        cells[-1] = fmt([r["evaluations"] for r in runs], 0)
        overs = [r["over"] for r in runs if r["over"] is not None]
        cells.append(fmt(overs, 0) if overs else "-")
        cells.append(fmt([r["seconds"] for r in runs], 1))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--out",
        default=str(Path(__file__).parent / "results" / "feature_selection.md"),
    )
    args = parser.parse_args(argv)
    seeds = range(1 if args.quick else args.seeds)
    results = {
        "all features (no selection)": [run_one("all", None, s, True) for s in seeds]
    }
    started = time.perf_counter()
    for name, make in SELECTORS.items():
        results[name] = []
        for seed in seeds:
            results[name].append(run_one(name, make, seed, args.quick))
            r = results[name][-1]
            print(
                f"{name} seed {seed}: precision {r['precision']:.2f} recall "
                f"{r['recall']:.2f} ({r['n_selected']} features), CV {r['cv']:.3f}, "
                f"test {r['test']:.3f}, {r['evaluations']} evaluations "
                f"({r['over']} over max_features), {r['seconds']:.1f} s",
                flush=True,
            )
    total = time.perf_counter() - started
    report = "\n".join(
        [
            "# Feature selection",
            "",
            f"`make_classification`: {N_SAMPLES} samples, {N_FEATURES} features of "
            f"which the first {N_INFORMATIVE} are informative (no redundant or "
            "repeated ones; the rest is noise), one cluster per "
            "class; 70/30 stratified train/test split; "
            f"{len(seeds)} seeds (data and selector), mean ± std. Estimator: "
            "`LogisticRegression(max_iter=1000)`; CV: `StratifiedKFold(3)` on the "
            "training split. Genetic budgets: ours a population of "
            f"{POPULATION} for {GENERATIONS} generations (at most "
            f"{POPULATION * (GENERATIONS + 1)} masks, duplicates not refitted), "
            f"sklearn-genetic-opt a population of {POPULATION // 2} breeding "
            f"{POPULATION} offspring a generation for {GENERATIONS} generations "
            "(its default operators: crossover 0.2, mutation 0.8). "
            "See the module docstring for the columns.",
            "",
            "    python benchmarks/bench_feature_selection.py",
            "",
            table(results),
            "",
            f"Total {total:.0f} s. sklearn_tune at {source_version()}.",
            "",
            "Versions: " + ", ".join(versions()) + ".",
            "",
            f"Machine: {machine()}.",
            "",
        ]
    )
    print(report)
    if not args.quick:
        Path(args.out).write_text(report)
        print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
