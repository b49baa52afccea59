"""Tune an SVM on handwritten digits, four ways: the classic MNIST SVM example.
============================================================================

The kernel (linear, poly, rbf), gamma and C (both on a log scale) of an SVC
are tuned by GridSearchCV, RandomizedSearchCV, BayesSearchCV and
GeneticSearchCV, with the same pipeline (pixels scaled to [0, 1], then the
SVC), the same number of candidates, the same CV splits and the same
held-out test set, and the script prints one table::

    python examples/digits_svm.py               # scikit-learn's 8x8 digits (< 1 min)
    python examples/digits_svm.py --mnist       # 3000 mnist_784 images, when online
    python examples/digits_svm.py --quick       # a smoke run (seconds)
    python examples/digits_svm.py --plot        # and a figure of the table (matplotlib)

The data is scikit-learn's bundled digits (1797 images of 8x8 pixels) unless
``--mnist`` asks for OpenML's mnist_784 (70,000 images of 28x28 pixels), of
which ``--n-samples`` are drawn (an SVM's fit grows faster than linearly with
the data). Without a connection to OpenML, ``--mnist`` says so and uses the
digits instead.

The search space is written once with ``sklearn_tune.space``. ``GridSearchCV``
searches a grid of points inside it and sets the budget (its size);
``RandomizedSearchCV`` draws from the same distributions; ``BayesSearchCV`` and
``GeneticSearchCV`` search the space itself. gamma means nothing to the linear
kernel: all four methods still spend candidates on it, as they would in a
real search.
"""

import argparse
import socket
import sys
import time
import warnings

import numpy as np
import pandas as pd
from scipy.stats import loguniform
from sklearn.datasets import fetch_openml, load_digits
from sklearn.model_selection import (
    GridSearchCV,
    ParameterGrid,
    RandomizedSearchCV,
    StratifiedKFold,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import SVC

import sklearn_tune
from sklearn_tune.space import Categorical, Real

SEED = 0
OPENML_HOST = "www.openml.org"

SPACE = {
    "svc__kernel": Categorical(["linear", "poly", "rbf"]),
    "svc__gamma": Real(1e-4, 1e1, prior="log-uniform"),
    "svc__C": Real(1e-3, 1e3, prior="log-uniform"),
}


def make_grid(quick=False):
    """A grid inside ``SPACE``: its size is every method's budget."""
    if quick:
        return {
            "svc__kernel": ["linear", "poly", "rbf"],
            "svc__gamma": [0.01],
            "svc__C": [1.0, 100.0],
        }
    return {
        "svc__kernel": ["linear", "poly", "rbf"],
        "svc__gamma": [1e-4, 1e-3, 1e-2, 1e-1],
        "svc__C": [1e-2, 1.0, 1e2, 1e3],
    }


def make_pipeline():
    """Pixels scaled to [0, 1], so that gamma means the same for every kernel
    and the poly kernel stays well conditioned."""
    return Pipeline([("scale", MinMaxScaler()), ("svc", SVC())])


def _openml_reachable(timeout=3.0):
    try:
        socket.create_connection((OPENML_HOST, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def load_data(mnist=False, n_samples=None):
    """X, y and a name: digits, or ``n_samples`` images of mnist_784."""
    if mnist:
        if _openml_reachable():
            X, y = fetch_openml("mnist_784", version=1, return_X_y=True, as_frame=False)
            n = min(n_samples or 3_000, len(y))
            X, _, y, _ = train_test_split(
                X, y, train_size=n, stratify=y, random_state=SEED
            )
            return X, y, f"mnist_784 ({n} of 70000 images, 28x28)"
        print(
            f"note: {OPENML_HOST} cannot be reached; using scikit-learn's bundled "
            "8x8 digits instead of mnist_784",
            file=sys.stderr,
        )
    X, y = load_digits(return_X_y=True)
    if n_samples is not None and n_samples < len(y):
        X, _, y, _ = train_test_split(
            X, y, train_size=n_samples, stratify=y, random_state=SEED
        )
    return X, y, f"digits ({len(y)} images, 8x8)"


def _distribution(dimension):
    """A ``Real`` or ``Categorical`` as ``RandomizedSearchCV`` takes it."""
    if isinstance(dimension, Categorical):
        return list(dimension.categories)
    return loguniform(dimension.low, dimension.high)


def make_searches(budget, cv, n_jobs, quick=False):
    """One unfitted search per method, all with ``budget`` candidates."""
    grid = make_grid(quick)
    # population_size * (generations + 1) candidates at most.
    generations = 1 if budget < 12 else 3
    population = budget // (generations + 1)
    shared = {"cv": cv, "n_jobs": n_jobs}
    return {
        "GridSearchCV": GridSearchCV(make_pipeline(), grid, **shared),
        "RandomizedSearchCV": RandomizedSearchCV(
            make_pipeline(),
            {name: _distribution(dim) for name, dim in SPACE.items()},
            n_iter=budget,
            random_state=SEED,
            **shared,
        ),
        "BayesSearchCV": sklearn_tune.BayesSearchCV(
            make_pipeline(),
            SPACE,
            n_iter=budget,
            # A fifth of the budget explores at random before the model leads.
            optimizer_kwargs={"n_initial_points": max(2, budget // 5)},
            random_state=SEED,
            **shared,
        ),
        "GeneticSearchCV": sklearn_tune.GeneticSearchCV(
            make_pipeline(),
            SPACE,
            population_size=population,
            generations=generations,
            tournament_size=min(3, population),
            random_state=SEED,
            **shared,
        ),
    }


def compare(searches, X_train, y_train, X_test, y_test):
    """Fit every search; return the results table."""
    rows = []
    for method, search in searches.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. liblinear's convergence
            search.fit(X_train, y_train)
        wall_time = time.perf_counter() - start
        best = search.best_params_
        rows.append(
            {
                "method": method,
                "best CV accuracy": search.best_score_,
                "test accuracy": search.score(X_test, y_test),
                "candidates": len(search.cv_results_["params"]),
                "wall time (s)": wall_time,
                "kernel": best["svc__kernel"],
                "C": best["svc__C"],
                "gamma": best["svc__gamma"],
            }
        )
        print(
            f"{method:<18}  {rows[-1]['candidates']:3d} candidates  {wall_time:6.1f} s",
            file=sys.stderr,
            flush=True,
        )
    return pd.DataFrame(rows)


def plot(table):
    """Best CV and test accuracy of every method: the gap between the two is
    how optimistic a search's own best score is."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    lowest = min(table["best CV accuracy"].min(), table["test accuracy"].min())
    ax.set_xlim(max(0.0, lowest - 0.05), 1.0)
    for offset, column in [(-0.2, "best CV accuracy"), (0.2, "test accuracy")]:
        ax.barh(
            [i + offset for i in range(len(table))],
            table[column],
            height=0.4,
            label=column,
        )
    ax.set_yticks(range(len(table)), table["method"])
    ax.set_xlabel("accuracy")
    ax.legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a small, fast run (smoke test)"
    )
    parser.add_argument(
        "--mnist",
        action="store_true",
        help="use OpenML's mnist_784 (downloads about 15 MB once); falls back to "
        "the digits when offline",
    )
    parser.add_argument(
        "--n-samples",
        type=int,
        default=None,
        help="images to use (default: all digits; 3000 of mnist_784, a few "
        "minutes per method on 2 cores; 500 with --quick)",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="parallel fits per search (default: -1, all cores; 1 with --quick)",
    )
    parser.add_argument(
        "--plot", action="store_true", help="draw the table too (needs matplotlib)"
    )
    args = parser.parse_args(argv)
    if args.n_jobs is None:
        args.n_jobs = 1 if args.quick else -1
    if args.quick and args.n_samples is None:
        args.n_samples = 500

    X, y, name = load_data(mnist=args.mnist, n_samples=args.n_samples)
    X = np.asarray(X, dtype=np.float64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=SEED
    )
    budget = len(ParameterGrid(make_grid(args.quick)))
    n_splits = 3
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=SEED)
    print(
        f"{name}: {len(y_train)} to tune on ({n_splits}-fold CV), {len(y_test)} "
        f"held out; {budget} candidates per method",
        flush=True,
    )
    searches = make_searches(budget, cv, args.n_jobs, quick=args.quick)
    table = compare(searches, X_train, y_train, X_test, y_test)
    print(
        table.to_string(
            index=False,
            formatters={
                "best CV accuracy": "{:.4f}".format,
                "test accuracy": "{:.4f}".format,
                "wall time (s)": "{:.1f}".format,
                "C": "{:.3g}".format,
                "gamma": "{:.3g}".format,
            },
        )
    )
    if args.plot:
        import matplotlib.pyplot as plt

        plot(table)
        plt.show()


if __name__ == "__main__":
    main()
