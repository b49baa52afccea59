"""What candidates in flight cost BayesSearchCV at equal evaluations.

With candidates in flight, a proposal knows the scores of all but the last
``lag - 1`` candidates asked (the others are told to a copy of the model as
lies, see docs/scaling_out.md). The search's window comes from its own
parameters; this script fixes it instead, to measure the cost of each lag on
the suite's known-optimum functions (``benchmarks/_tasks.py``), with
``n_jobs=1``: simple regret after 25, 50, 100 and 150 candidates, mean ± standard
error over seeds.

Usage::

    python benchmarks/bench_lag.py             # writes results/lag.md
    python benchmarks/bench_lag.py --quick     # a smoke run, prints only
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import _searchers  # noqa: E402
from _report import machine, source_version, versions  # noqa: E402
from _tasks import make_tasks  # noqa: E402

import sklearn_tune  # noqa: E402

CHECKPOINTS = (25, 50, 100, 150)


BR = "  "  # a Markdown line break, kept out of the source lines


def _with_lag(lag):
    """A BayesSearchCV whose window is ``lag`` candidates, whatever n_iter."""

    class FixedLag(sklearn_tune.BayesSearchCV):
        def _window(self, chain, n_told=0):
            return lag

    def make(task, budget, seed, cv, n_jobs, start, marks):
        search = FixedLag(
            task.make_estimator(),
            task.space,
            n_iter=budget,
            cv=cv,
            n_jobs=n_jobs,
            refit=False,
            random_state=seed,
        )
        return search, {}

    return make


def one(args):
    name, lag, task_name, budget, seed = args
    _searchers.SEARCHERS[name] = _with_lag(lag)  # in this worker
    task = make_tasks()[task_name]
    run = _searchers.run_search(name, task, budget, seed)
    if run.error:
        raise RuntimeError(f"{name} on {task_name}, seed {seed}: {run.error}")
    best = np.maximum.accumulate(np.asarray(run.scores, dtype=float))
    # scores are minus the function: regret = -best score - minimum
    return lag, task_name, budget, seed, -best - task.optimum


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, no file")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2, help="runs in parallel")
    parser.add_argument("--tasks", nargs="+", default=["hartmann6", "mixed"])
    args = parser.parse_args()
    # (lag, budget): the default windows at n_iter=50 (3) and 150 (9), a
    # sequential search (1), and the window 8 workers would need at 50 (8)
    plan = [(1, 150), (3, 50), (8, 50), (9, 150)]
    seeds = range(2 if args.quick else args.seeds)
    if args.quick:
        plan = [(lag, 30) for lag, _ in plan[:2]]
    started = time.time()
    jobs = [
        (f"BayesSearchCV lag {lag}", lag, task, budget, seed)
        for lag, budget in plan
        for task in args.tasks
        for seed in seeds
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one, jobs))
    lines = [
        "| candidates in flight (lag) | task | "
        + " | ".join(f"regret@{c}" for c in CHECKPOINTS)
        + " |",
        "| --- | --- |" + " --- |" * len(CHECKPOINTS),
    ]
    for lag, budget in plan:
        for task in args.tasks:
            curves = [r[4] for r in results if r[:3] == (lag, task, budget)]
            cells = []
            for c in CHECKPOINTS:
                if c > budget:
                    cells.append("")
                    continue
                values = np.array([curve[c - 1] for curve in curves])
                sem = values.std(ddof=1) / math.sqrt(len(values))
                cells.append(f"{values.mean():.3g} ± {sem:.2g}")
            lines.append(f"| {lag} | {task} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.quick:
        return
    minutes = (time.time() - started) / 60
    header = f"""# BayesSearchCV: the cost of candidates in flight

Command: `python benchmarks/bench_lag.py`{BR}
Total time: {minutes:.1f} min. Seeds: 0 to {len(seeds) - 1}. n_jobs=1.{BR}
Machine: {machine()}.{BR}
Versions: {", ".join(versions())}.{BR}
sklearn_tune source: {source_version()}.

Simple regret (mean ± standard error over seeds) of BayesSearchCV with its
window fixed at *lag* candidates in flight: each proposal knows the scores of
all candidates asked before it but the last *lag* - 1. The default (since
c8835b1) has the initial points in flight at once, then keeps
`max(2 if n_points == 1 else 3 * n_points, k // 16)` in flight once `k`
candidates are told. Lag 8 is what 8 workers with 3-fold CV need to stay busy.

"""
    (HERE / "results" / "lag.md").write_text(header + table)


if __name__ == "__main__":
    main()
