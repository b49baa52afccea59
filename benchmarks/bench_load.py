"""Load: a 2000-evaluation search on a no-cost estimator, for each searcher.

Measures each searcher's own overhead per evaluation (wall time minus the fit and
score time scikit-learn records) and the growth of the process's resident memory
(RSS) as the search goes: at 100, 500, 1000 and 2000 evaluations.

    python benchmarks/bench_load.py           # full run, writes results/load.md
    python benchmarks/bench_load.py --quick   # 200 evaluations, prints only
"""

import argparse
import os
import platform
import resource
import sys
import time

import numpy as np
import sklearn
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold

import sklearn_tune
from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.callbacks import Callback
from sklearn_tune.space import Categorical, Integer, Real

X = np.zeros((8, 1))
CHECKPOINTS = (100, 500, 1000, 2000)


class NoCost(BaseEstimator):
    """Fits nothing; scores a smooth function of its four parameters."""

    def __init__(self, a=0.0, b=1.0, k=0, kind="x"):
        self.a, self.b, self.k, self.kind = a, b, k, kind

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return (
            -((self.a - 0.3) ** 2)
            - np.log10(self.b) ** 2
            - abs(self.k - 3) / 10
            + (self.kind == "y")
        )


SPACE = {
    "a": Real(-1.0, 1.0),
    "b": Real(1e-3, 1e3, prior="log-uniform"),
    "k": Integer(0, 10),
    "kind": Categorical(["x", "y", "z"]),
}


def rss_mb():
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Probe(Callback):
    """After each batch: evaluations so far, wall clock, fit+score time, RSS."""

    def on_search_begin(self, search, **kwargs):
        self.rows_ = [(0, time.perf_counter(), 0.0, rss_mb())]

    def on_batch_end(self, search, *, results, **kwargs):
        n = len(results.get("params", []))
        if n == self.rows_[-1][0]:
            return
        inner = float(
            np.sum((results["mean_fit_time"] + results["mean_score_time"]) * 2)
        )
        self.rows_.append((n, time.perf_counter(), inner, rss_mb()))


def run(name, search, n_evals):
    probe = Probe()
    start = time.perf_counter()
    search.fit(X, callback=probe)
    total = time.perf_counter() - start
    rows = np.array(probe.rows_)
    out = {"searcher": name, "evaluations": int(rows[-1, 0]), "total_s": total}
    base_rss = rows[1, 3] if len(rows) > 1 else rows[0, 3]
    previous = (0, rows[0, 1], 0.0)
    for mark in [c for c in CHECKPOINTS if c <= n_evals]:
        i = int(np.searchsorted(rows[:, 0], mark))
        i = min(i, len(rows) - 1)
        n, wall, inner, rss = rows[i]
        overhead = ((wall - previous[1]) - (inner - previous[2])) / max(
            n - previous[0], 1
        )
        out[f"ms/eval @{mark}"] = 1000 * overhead
        out[f"RSS +MB @{mark}"] = rss - base_rss
        previous = (n, wall, inner)
    out["peak RSS MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 evaluations, no file")
    parser.add_argument("--searchers", default="genetic,bayes")
    args = parser.parse_args()
    n_evals = 200 if args.quick else 2000
    cv = KFold(2)
    searches = {
        "GeneticSearchCV": GeneticSearchCV(
            NoCost(),
            SPACE,
            population_size=50,
            generations=n_evals // 50 - 1,
            cv=cv,
            random_state=0,
        ),
        "BayesSearchCV": BayesSearchCV(
            NoCost(),
            SPACE,
            n_iter=n_evals,
            cv=cv,
            random_state=0,
        ),
    }
    wanted = {"genetic": "GeneticSearchCV", "bayes": "BayesSearchCV"}
    table = []
    for key in args.searchers.split(","):
        name = wanted[key]
        print(f"running {name} for {n_evals} evaluations ...", flush=True)
        table.append(run(name, searches[name], n_evals))
        print(table[-1], flush=True)

    columns = list(table[0])
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in table:
        cells = [f"{v:.1f}" if isinstance(v, float) else str(v) for v in row.values()]
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        versions = (
            f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
            f"numpy {np.__version__}, sklearn-tune {sklearn_tune.__version__}; "
            f"{os.cpu_count()} cores ({platform.machine()})"
        )
        command = " ".join([os.path.basename(sys.executable)] + sys.argv)
        path = os.path.join(os.path.dirname(__file__), "results", "load.md")
        with open(path, "w") as file:
            file.write(
                "# Load: 2000 evaluations on a no-cost estimator\n\n"
                f"Command: `{command}`\n\n"
                f"{versions}. ms/eval @N is the searcher's own time per evaluation "
                "between the previous mark and N (wall time minus recorded fit and "
                "score time); RSS +MB @N is the growth of resident memory since the "
                "first batch. The machine is shared: compare rows, not runs.\n\n"
                f"{text}\n"
            )


if __name__ == "__main__":
    main()
