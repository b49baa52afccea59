"""GeneticSearchCV's operators against CMA-ES and random search.

Runs GeneticSearchCV as it is and with its operators of before this round
(simulated binary crossover and polynomial mutation, set back in the worker
process, never in the library), Optuna's CMA-ES and TPE samplers and
RandomizedSearchCV on the suite's known-optimum functions
(``benchmarks/_tasks.py``), population 10 as in the suite, ``n_jobs=1``:
simple regret after 25 and 50 candidates (mean ± standard error over seeds)
and the searching process's CPU time per candidate, all in one run.

Usage::

    python benchmarks/bench_genetic.py            # writes results/genetic.md
    python benchmarks/bench_genetic.py --quick    # a smoke run, prints only
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

BR = "  "  # a Markdown line break, kept out of the source lines


def _no_steps(self, pool):
    """No step distribution: the operators fall back to SBX and polynomial
    mutation (eta=10), the operators of before."""
    return None


# name -> (description, attributes of _GeneticStrategy set in the worker)
VARIANTS = {
    "GA, SBX + polynomial (before)": (
        "simulated binary crossover and polynomial mutation, eta=10",
        {"_step_distribution": _no_steps},
    ),
    "GA, correlated steps (now)": (
        "children at the parents' midpoint plus a step drawn with the "
        "covariance of the best half of the population (scaled by 0.7); "
        "mutation moves every numeric gene by one such step",
        {},
    ),
}
PEERS = {
    "Optuna CMA-ES": "OptunaCMA",
    "Optuna TPE": "Optuna",
    "RandomizedSearchCV": "RandomizedSearchCV",
}


def one(args):
    label, task_name, budget, seed = args
    if label in VARIANTS:
        from sklearn_tune._genetic._strategy import _GeneticStrategy

        # a worker runs several variants: each starts from the library's own
        if not hasattr(one, "library"):
            names = {n for _, changes in VARIANTS.values() for n in changes}
            one.library = {n: _GeneticStrategy.__dict__[n] for n in names}
        for name, value in {**one.library, **VARIANTS[label][1]}.items():
            setattr(_GeneticStrategy, name, value)
        name = "GeneticSearchCV"
    else:
        name = PEERS[label]
    task = make_tasks()[task_name]
    run = _searchers.run_search(name, task, budget, seed)
    if run.error:
        raise RuntimeError(f"{label} on {task_name}, seed {seed}: {run.error}")
    best = np.maximum.accumulate(np.asarray(run.scores[:budget], dtype=float))
    # scores are minus the function: regret = -best score - minimum
    return label, task_name, -best - task.optimum, 1000 * run.cpu_time / budget


def _cell(values, digits=3):
    values = np.asarray(values, dtype=float)
    sem = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else 0
    return f"{values.mean():.{digits}g} ± {sem:.2g}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, no file")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2, help="runs in parallel")
    parser.add_argument("--tasks", nargs="+", default=["branin", "hartmann6", "mixed"])
    parser.add_argument("--peers", nargs="*", default=list(PEERS))
    args = parser.parse_args()
    seeds = range(2 if args.quick else args.seeds)
    budget = 20 if args.quick else args.budget
    labels = [*VARIANTS, *args.peers]
    started = time.time()
    jobs = [
        (label, task, budget, seed)
        for label in labels
        for task in args.tasks
        for seed in seeds
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one, jobs))
    mid = min(25, budget)
    lines = [
        f"| searcher | task | regret@{mid} | regret@{budget} | CPU ms/candidate |",
        "| --- | --- | --- | --- | --- |",
    ]
    for task in args.tasks:
        for label in labels:
            rows = [r for r in results if r[:2] == (label, task)]
            regrets = [r[2] for r in rows]
            lines.append(
                f"| {label} | {task} | {_cell([c[mid - 1] for c in regrets])} | "
                f"{_cell([c[budget - 1] for c in regrets])} | "
                f"{_cell([r[3] for r in rows])} |"
            )
    table = "\n".join(lines) + "\n"
    print(table)
    if args.quick:
        return
    minutes = (time.time() - started) / 60
    described = "\n".join(
        f"- **{label}**: {description}." for label, (description, _) in VARIANTS.items()
    )
    header = f"""# GeneticSearchCV's operators: regret against CMA-ES and random search

Command: `python benchmarks/bench_genetic.py`{BR}
Total time: {minutes:.1f} min, {args.jobs} runs in parallel. Seeds: 0 to \
{len(seeds) - 1}. n_jobs=1, {budget} candidates.{BR}
Machine: {machine()}.{BR}
Versions: {", ".join(versions())}.{BR}
sklearn_tune source: {source_version()}.

Regret: best value found minus the known minimum (mean ± standard error over
seeds; lower is better). CPU ms/candidate: the searching process's CPU time
divided by the candidates (the objective's fits cost nothing), which other
jobs on the machine change little. GeneticSearchCV runs with population 10
(5 generations in 50 candidates) and its other defaults; Optuna's samplers
with theirs:

{described}

"""
    (HERE / "results" / "genetic.md").write_text(header + table)


if __name__ == "__main__":
    main()
