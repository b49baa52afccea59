"""Benchmark suite: sklearn_tune's searchers against their peers, side by side.

Every searcher tunes every task with the same seeds, the same CV splits and
the same budget of fitted candidates:

- known-optimum functions (Branin, Hartmann6, a mixed real/integer/categorical
  function) through a no-cost estimator: simple regret after 10, 25 and 50
  candidates and each searcher's own overhead per candidate, also after 200
  and 500 candidates for the model-based searchers;
- real tasks (Titanic RandomForest, Titanic LogisticRegression, digits SVM):
  best CV score after 10, 25 and 50 candidates, held-out test score, wall
  time and overhead;

then the parallel throughput of our searchers with n_jobs=2 against n_jobs=1.
Results go to benchmarks/results/suite.md (with the versions of everything and
the issue's targets checked) and one best-so-far plot per task.

Usage::

    python benchmarks/run_all.py              # full run, 20-30 min on 2 cores
    python benchmarks/run_all.py --quick      # smoke run, well under a minute
    python benchmarks/run_all.py --seeds 5 --tasks branin mixed \\
        --searchers BayesSearchCV skopt Optuna

Peers that are not installed, or fail here, are reported in the results
instead of stopping the run (``pip install -r benchmarks/requirements-peers.txt``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _report import (  # noqa: E402
    MACHINE_ROW,
    make_report,
    plot_best_so_far,
    source_version,
)
from _searchers import MODEL_BASED, SEARCHERS, Run, run_search  # noqa: E402
from _tasks import make_tasks  # noqa: E402
from sklearn.model_selection import ParameterGrid  # noqa: E402

RESULTS = HERE / "results"
# Relative cost of a run, to start the slowest first so that parallel workers
# finish together.
_COST = {"skopt": 6, "BayesSearchCV": 3, "Optuna": 2}


def _limit_blas():
    """One BLAS thread per run: on a shared 2-core machine, BLAS threads slow
    the small matrices of every model-based searcher down, skopt's most."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def _job(name, task_name, budget, seed):
    """One search, plus the held-out score of its best candidate (real tasks)."""
    warnings.simplefilter("ignore")
    task = make_tasks()[task_name]
    run = run_search(name, task, budget, seed)
    if task.kind == "real" and run.error is None and run.n_evals:
        from sklearn.base import clone

        X_train, X_test, y_train, y_test = task.data()
        best = clone(task.make_estimator()).set_params(**run.best_params(budget))
        run.test_score = float(best.fit(X_train, y_train).score(X_test, y_test))
    return run


def _jobs(tasks, searchers, args):
    jobs = []
    for task in tasks:
        for seed in args.seed_list:
            for name in searchers:
                budget = args.budget
                if task.kind == "function" and name in MODEL_BASED:
                    budget = args.long_budget[name]
                jobs.append((name, task.name, budget, seed))
    jobs.sort(key=lambda job: -(_COST.get(job[0], 1) * job[2]))
    return jobs


def run_all(jobs, n_workers):
    runs = []
    done = 0

    def report(run):
        nonlocal done
        done += 1
        status = run.error or f"{run.n_evals} candidates, {run.wall_time:.1f} s"
        print(
            f"[{done}/{len(jobs)}] {run.task} {run.searcher} seed {run.seed}: {status}",
            file=sys.stderr,
            flush=True,
        )

    if n_workers > 1:
        with ProcessPoolExecutor(n_workers, initializer=_limit_blas) as pool:
            futures = [pool.submit(_job, *job) for job in jobs]
            for future in as_completed(futures):
                runs.append(future.result())
                report(runs[-1])
    else:
        _limit_blas()
        for job in jobs:
            runs.append(_job(*job))
            report(runs[-1])
    return runs


def _busy(n):
    """Pure-Python CPU work: no BLAS, no I/O, no memory traffic to speak of."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def _machine_ceiling(repeats, n=3_000_000):
    """Throughput of 2 processes over 1 on pure CPU work: what n_jobs=2 can give."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_busy, [1000, 1000]))  # start both workers
        rates = []
        for tasks in (1, 2):
            best = 0.0
            for _ in range(repeats):
                start = time.perf_counter()
                list(pool.map(_busy, [n] * tasks))
                best = max(best, tasks / (time.perf_counter() - start))
            rates.append(best)
    return tuple(rates)


def measure_throughput(args):
    """Candidates per second on a CPU-bound task with n_jobs=1 and n_jobs=2.

    The task: a RandomForestClassifier (60 trees) on digits with 4-fold CV, a
    fit of a few tenths of a second, so that the fits and not the search
    dominate. Our two searchers, scikit-learn's GridSearchCV on the same task
    for reference, and the machine's own ceiling (pure-Python work in 1 or 2
    processes). Each setting is timed ``repeats`` times, alternating n_jobs,
    and the best kept, to damp the noise of other processes on a shared
    machine. The candidates do not depend on n_jobs, so both settings fit
    exactly the same models.
    """
    from sklearn.datasets import load_digits
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    import sklearn_tune
    from sklearn_tune.space import Integer, Real

    warnings.simplefilter("ignore")  # e.g. skopt's "evaluated at point before"
    X_train, y_train = load_digits(return_X_y=True)
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    n_trees = 10 if args.quick else 60
    space = {
        "max_depth": Integer(4, 20),
        "max_features": Real(0.1, 0.9),
        "min_samples_leaf": Integer(1, 5),
    }
    grid = {
        "max_depth": [4, 8, 12, 16],
        "max_features": [0.2, 0.5],
        "min_samples_leaf": [1, 3],
    }

    def forest():
        return RandomForestClassifier(n_estimators=n_trees, random_state=0)

    population, generations, n_iter = args.throughput_sizes
    n_grid = len(ParameterGrid(grid))
    makers = {
        f"GeneticSearchCV (population {population}, {generations} generations)": (
            lambda n_jobs: sklearn_tune.GeneticSearchCV(
                forest(),
                space,
                population_size=population,
                generations=generations,
                cv=cv,
                n_jobs=n_jobs,
                refit=False,
                random_state=0,
            )
        ),
        f"BayesSearchCV (n_iter={n_iter}, n_points=4)": (
            lambda n_jobs: sklearn_tune.BayesSearchCV(
                forest(),
                space,
                n_iter=n_iter,
                n_points=4,
                optimizer_kwargs={"n_initial_points": n_iter // 2},
                cv=cv,
                n_jobs=n_jobs,
                refit=False,
                random_state=0,
            )
        ),
        f"scikit-learn GridSearchCV ({n_grid} candidates), for reference": (
            lambda n_jobs: GridSearchCV(
                forest(), grid, cv=cv, n_jobs=n_jobs, refit=False
            )
        ),
    }
    # Start the worker processes once, so that no timing includes their start.
    next(iter(makers.values()))(2).set_params(generations=0).fit(X_train, y_train)
    out = {}
    for name, make in makers.items():
        best = {1: 0.0, 2: 0.0}
        for _ in range(args.throughput_repeats):
            for n_jobs in (1, 2):
                search = make(n_jobs)
                start = time.perf_counter()
                search.fit(X_train, y_train)
                elapsed = time.perf_counter() - start
                rate = len(search.cv_results_["params"]) / elapsed
                best[n_jobs] = max(best[n_jobs], rate)
        out[name] = (best[1], best[2])
    out[MACHINE_ROW] = _machine_ceiling(args.throughput_repeats)
    for name, (one, two) in out.items():
        print(
            f"throughput {name}: {one:.2f} -> {two:.2f} per s ({two / one:.2f}x)",
            file=sys.stderr,
            flush=True,
        )
    return out


def _rounded(value):
    """``value`` with every float to 6 significant digits (a smaller JSON file)."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(item) for item in value]
    return value


def parse_args(argv):
    all_tasks = list(make_tasks())
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="smoke run, seconds")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1")
    parser.add_argument("--tasks", nargs="+", default=all_tasks, choices=all_tasks)
    parser.add_argument(
        "--searchers", nargs="+", default=list(SEARCHERS), choices=list(SEARCHERS)
    )
    parser.add_argument(
        "--budget", type=int, default=50, help="candidates per search (default 50)"
    )
    parser.add_argument(
        "--long",
        type=int,
        nargs="+",
        default=[200, 500],
        help="longer runs of the model-based searchers on the functions, for "
        "their overhead (default 200 500)",
    )
    parser.add_argument(
        "--skopt-budget",
        type=int,
        default=None,
        help="skopt's longest run on the functions (default: --budget; it spends "
        "seconds per candidate beyond 50)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="runs in parallel")
    parser.add_argument(
        "--no-throughput", action="store_true", help="skip the n_jobs measurement"
    )
    parser.add_argument(
        "--throughput-only",
        action="store_true",
        help="only measure the n_jobs throughput; print it, write nothing",
    )
    parser.add_argument(
        "--report-from",
        type=Path,
        default=None,
        help="re-write the report and plots from a previous run's suite.json, "
        "without running anything",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results folder (default benchmarks/results; a temporary folder "
        "with --quick)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.budget, args.long = 1, 8, [16]
        args.throughput_sizes, args.throughput_repeats = (4, 1, 6), 1
    else:
        args.throughput_sizes, args.throughput_repeats = (8, 2, 16), 2
    population, generations, n_iter = args.throughput_sizes
    args.throughput_note = (
        f"RandomForestClassifier on digits, 4-fold CV; at most "
        f"{population * (generations + 1)} and {n_iter} candidates"
    )
    args.seed_list = list(range(args.seeds))
    budget = args.budget
    args.checkpoints = sorted({round(budget / 5), round(budget / 2), budget})
    args.long_checkpoints = [k for k in args.long if k > budget]
    longest = max([budget, *args.long])
    skopt_budget = args.skopt_budget or budget
    args.long_budget = {
        "BayesSearchCV": longest,
        "Optuna": longest,
        "skopt": skopt_budget,
    }
    args.cut_notes = []
    if skopt_budget < longest and "skopt" in args.searchers:
        args.cut_notes.append(
            f"skopt BayesSearchCV was run to {skopt_budget} candidates only on the "
            f"functions (the others to {longest}): its own time per candidate "
            "grows to seconds by 50 candidates (three GP fits per candidate), so "
            f"{longest} would take hours. Its overhead columns past "
            f"{skopt_budget} are empty."
        )
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    tasks = [task for name, task in make_tasks().items() if name in args.tasks]
    searchers = [name for name in SEARCHERS if name in args.searchers]
    out = args.out
    if out is None:
        out = Path(tempfile.mkdtemp(prefix="bench-")) if args.quick else RESULTS
    out.mkdir(parents=True, exist_ok=True)

    command = "python benchmarks/run_all.py " + shlex.join(argv)
    if args.report_from is not None:
        saved = json.loads(args.report_from.read_text())
        runs = [Run(**run) for run in saved["runs"]]
        throughput = {name: tuple(rates) for name, rates in saved["throughput"].items()}
        elapsed, command = saved["elapsed"], saved["command"]
        source = saved.get("source")
    elif args.throughput_only:
        measure_throughput(args)  # prints its table on stderr
        return
    else:
        source = source_version()
        start = time.perf_counter()
        runs = run_all(_jobs(tasks, searchers, args), args.jobs)
        throughput = {}
        if not args.no_throughput and os.cpu_count() and os.cpu_count() >= 2:
            throughput = measure_throughput(args)
        elapsed = time.perf_counter() - start
        raw = {
            "command": command,
            "source": source,
            "elapsed": elapsed,
            "throughput": throughput,
            "runs": [
                _rounded({**dataclasses.asdict(run), "params": []})  # no params
                for run in runs
            ],
        }
        (out / "suite.json").write_text(json.dumps(raw, default=str) + "\n")
    report, targets = make_report(
        runs, tasks, searchers, args, throughput, elapsed, command.strip(), source
    )
    (out / "suite.md").write_text(report + "\n")
    for task in tasks:
        plot_best_so_far(runs, task, searchers, out / f"best_so_far_{task.name}.png")
    print(report)
    print(f"written to {out}/suite.md and {len(tasks)} plots", file=sys.stderr)
    missed = [target for target, _, ok in targets if ok is not True]
    if missed:
        print(f"{len(missed)} target(s) missed: see the Targets table", file=sys.stderr)


if __name__ == "__main__":
    main()
