"""What BayesSearchCV's engine costs per candidate, and what it finds.

Runs the engine as it is and as it was before each of this round's changes
(set back in the worker process, never in the library), and Optuna's TPE and
GP samplers, on the suite's known-optimum functions (``benchmarks/_tasks.py``)
with ``n_jobs=1``: simple regret after 25 and 50 candidates (mean ± standard
error over seeds) and the searching process's CPU time per candidate (the fits
cost nothing), all in one run.

Usage::

    python benchmarks/bench_engine.py            # writes results/engine.md
    python benchmarks/bench_engine.py --quick    # a smoke run, prints only
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


def _skopt_draws(self, dim, n_samples):
    """Random candidates through skopt's own rvs and transform (before)."""
    return np.asarray(dim.transform(dim.rvs(n_samples, random_state=self.rng)))


# name -> (description, attributes of _Optimizer set in the worker)
VARIANTS = {
    "engine of Dec 6": (
        "hyperparameters refitted at every tell up to 60 observations, then "
        "at 20% growth; candidates drawn by skopt",
        {
            "_REFIT_ALWAYS": 60,
            "_REFIT_GROWTH": 1.2,
            "_REFIT_GROWTH_LATER": 1.2,
            "_draw": _skopt_draws,
        },
    ),
    "+ refit schedule": (
        "refitted at every tell up to 20, then at 10% growth",
        {"_draw": _skopt_draws},
    ),
    "+ direct draws (now)": ("candidates drawn in the unit-scaled space", {}),
}
PEERS = {"Optuna TPE": "Optuna", "Optuna GPSampler": "OptunaGP"}


def one(args):
    label, task_name, budget, seed = args
    if label in VARIANTS:
        from sklearn_tune._bayes._optimizer import _Optimizer

        # a worker runs several variants: each starts from the library's own
        if not hasattr(one, "library"):
            names = {n for _, changes in VARIANTS.values() for n in changes}
            one.library = {n: _Optimizer.__dict__[n] for n in names}
        for name, value in {**one.library, **VARIANTS[label][1]}.items():
            setattr(_Optimizer, name, value)
        name = "BayesSearchCV"
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
    header = f"""# BayesSearchCV's engine: cost per candidate and regret

Command: `python benchmarks/bench_engine.py`{BR}
Total time: {minutes:.1f} min, {args.jobs} runs in parallel. Seeds: 0 to \
{len(seeds) - 1}. n_jobs=1, {budget} candidates.{BR}
Machine: {machine()}.{BR}
Versions: {", ".join(versions())}.{BR}
sklearn_tune source: {source_version()}.

Regret: best value found minus the known minimum (mean ± standard error over
seeds; lower is better). CPU ms/candidate: the searching process's CPU time
divided by the candidates (the objective's fits cost nothing), which other
jobs on the machine change little. Each BayesSearchCV row adds one change to
the row above it (all with the window of this round: initial points in
flight, two candidates in flight after them):

{described}

"""
    (HERE / "results" / "engine.md").write_text(header + table)


if __name__ == "__main__":
    main()
