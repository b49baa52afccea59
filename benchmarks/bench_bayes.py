"""BayesSearchCV's own overhead and search quality: skopt's and ours side by side.

Both searchers tune a no-cost estimator: its score is minus a test function
(Branin, 2-d; Hartmann6, 6-d) at its parameters, with ``cv=2`` on four rows of
zeros, so fitting costs nothing and what is left of the wall time is the
searcher's own work. For each searcher, function and seed it records

- the simple regret (best value found minus the known optimum) after 10, 25
  and 50 evaluations (and 200, 500 for the longer runs);
- the overhead per evaluation after N evaluations: wall time from ``fit()`` to
  the end of the N-th evaluation (a callback marks it) minus the summed fit and
  score times of ``cv_results_`` for those evaluations, divided by N.

skopt runs 50 evaluations (200 with ``--skopt-n 200``: its time per evaluation
keeps growing, so that is far beyond this benchmark's 15 minutes). Ours runs
500 evaluations on the first ``--long-seeds`` seeds and 200 on the others.
When Optuna is installed, its TPE sampler is run on the same functions for
regret only. BLAS runs on one thread (``--blas-threads``) for every searcher:
on a shared 2-core machine OpenBLAS threads slow small matrices down by an
order of magnitude, so this is skopt's best case too. Runs are sequential
unless ``--jobs`` says otherwise: parallel runs finish sooner but share the
cores, which inflates wall times (the CPU-time figures are not affected).

Usage::

    python benchmarks/bench_bayes.py            # full run (~8 min, 2 idle cores)
    python benchmarks/bench_bayes.py --quick    # smoke run, a few seconds

The table is printed and written to ``benchmarks/results/bayes_overhead.md``
(``--quick`` writes nowhere unless ``--out`` is given).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from _tasks import BraninObjective, Hartmann6Objective, branin, hartmann6

RESULTS = Path(__file__).resolve().parent / "results" / "bayes_overhead.md"
CHECKPOINTS = (10, 25, 50, 200, 500)
X_TRIVIAL = np.zeros((4, 1))
Y_TRIVIAL = np.zeros(4)


# -- test functions: the suite's own (benchmarks/_tasks.py) ------------------------

PROBLEMS = {  # function of a point, bounds, known minimum
    "Branin": (lambda x: branin(*x), [(-5.0, 10.0), (0.0, 15.0)], 0.397887),
    "Hartmann6": (lambda x: hartmann6(*x), [(0.0, 1.0)] * 6, -3.32237),
}
ESTIMATORS = {"Branin": BraninObjective, "Hartmann6": Hartmann6Objective}


# -- one run ----------------------------------------------------------------------


def _limit_blas(n_threads):
    from threadpoolctl import threadpool_limits

    return threadpool_limits(n_threads, user_api="blas")


def run_search(searcher, problem, seed, n_iter, blas_threads):
    """One search; returns regrets and overheads at the checkpoints."""
    function, bounds, optimum = PROBLEMS[problem]
    if searcher == "skopt":
        from skopt import BayesSearchCV
        from skopt.space import Real
    else:
        from sklearn_tune import BayesSearchCV
        from sklearn_tune.space import Real
    space = {f"x{i}": Real(low, high) for i, (low, high) in enumerate(bounds)}
    marks = []

    def mark(result):  # skopt-style callback: called after every evaluation
        marks.append((time.perf_counter(), time.process_time()))
        return False

    search = BayesSearchCV(
        ESTIMATORS[problem](), space, n_iter=n_iter, cv=2, random_state=seed
    )
    with _limit_blas(blas_threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start, cpu_start = time.perf_counter(), time.process_time()
        search.fit(X_TRIVIAL, Y_TRIVIAL, callback=mark)
    results = search.cv_results_
    n_splits = search.n_splits_
    values = -np.asarray(results["mean_test_score"], dtype=float)
    costs = n_splits * (
        np.asarray(results["mean_fit_time"]) + np.asarray(results["mean_score_time"])
    )
    # Evaluation k is the k-th ask. Ours never refits a candidate it has seen
    # (one row for both asks): map rows to the batch ("iter") they belong to.
    batch = np.asarray(results.get("iter", np.arange(len(values))))
    regret, overhead, cpu = {}, {}, {}
    for k in CHECKPOINTS:
        if k > n_iter:
            break
        done = batch < k
        regret[k] = float(values[done].min() - optimum)
        wall, cpu_time = marks[k - 1]
        overhead[k] = (wall - start - costs[done].sum()) / k
        cpu[k] = (cpu_time - cpu_start - costs[done].sum()) / k
    return {
        "searcher": searcher,
        "problem": problem,
        "seed": seed,
        "regret": regret,
        "overhead": overhead,
        "cpu": cpu,
    }


def run_optuna(problem, seed, n_iter):
    """Optuna's TPE on the same function (regret only; no cross-validation)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    function, bounds, optimum = PROBLEMS[problem]

    def objective(trial):
        x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
        return function(x)

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=n_iter)
    values = np.minimum.accumulate([t.value for t in study.trials])
    regret = {k: float(values[k - 1] - optimum) for k in CHECKPOINTS if k <= n_iter}
    return {
        "searcher": "optuna",
        "problem": problem,
        "seed": seed,
        "regret": regret,
        "overhead": {},
        "cpu": {},
    }


def _run(job):
    kind, args = job
    if kind == "optuna":
        return run_optuna(*args)
    return run_search(*args)


# -- report -----------------------------------------------------------------------


def _stat(runs, key, k, scale=1.0):
    values = [run[key][k] * scale for run in runs if k in run[key]]
    if not values:
        return None, 0
    return (float(np.mean(values)), float(np.std(values))), len(values)


def _fmt(stat, digits=3):
    (mean, std), n = stat
    if mean is None:
        return "—"
    if abs(mean) >= 100:
        return f"{mean:.0f} ± {std:.0f}"
    return f"{mean:.{digits}g} ± {std:.2g}"


def _fmt_stat(stat, n_all):
    value, n = stat
    if value is None:
        return "—"
    text = _fmt(stat)
    return text if n == n_all else f"{text} (n={n})"


def make_report(results, args, labels, elapsed, load):
    import sklearn
    import skopt

    import sklearn_tune

    versions = (
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        f"scikit-optimize {skopt.__version__}, numpy {np.__version__}, "
        f"sklearn_tune {sklearn_tune.__version__}"
    )
    try:
        import optuna

        versions += f", optuna {optuna.__version__}"
    except ImportError:
        pass
    command = "python benchmarks/bench_bayes.py " + " ".join(sys.argv[1:])
    lines = [
        "# BayesSearchCV overhead: skopt vs sklearn_tune",
        "",
        f"Command: `{command.strip()}`  ",
        f"Versions: {versions}  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()}; BLAS threads: {args.blas_threads}, "
        f"parallel runs: {args.jobs}; total time {elapsed / 60:.1f} min; load "
        f"average before/after: {load[0]:.1f}/{os.getloadavg()[0]:.1f}  ",
        f"Seeds: {args.seeds}; skopt runs {args.skopt_n} evaluations, ours "
        f"{args.long_n} on the first {args.long_seeds} seed(s) and "
        f"{args.short_n} on the others.",
        "",
        "Regret: best value found minus the optimum after k evaluations (mean ± "
        "std over seeds; lower is better). Overhead: the searcher's own wall time "
        "per evaluation after k evaluations (ms), i.e. search wall time minus the "
        "fit and score times in `cv_results_`, divided by k; (CPU ...) is the same "
        "with the process's CPU time instead of wall time, which other load on the "
        "machine does not inflate. (n=...) marks a cell averaged over fewer seeds.",
        "",
    ]
    regret_at = [k for k in (10, 25, 50, 200) if k <= args.long_n]
    overhead_at = [k for k in (10, 25, 50, 200, 500) if k <= args.long_n][-3:]
    header = ["function", "searcher"]
    header += [f"regret@{k}" for k in regret_at]
    header += [f"overhead@{k} ms" for k in overhead_at]
    lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for problem in args.problems:
        by_searcher = {}
        for searcher in labels:
            runs = [
                r
                for r in results
                if r["problem"] == problem and r["searcher"] == searcher
            ]
            if not runs:
                continue
            by_searcher[searcher] = runs
            n_all = len(runs)
            cells = [_fmt_stat(_stat(runs, "regret", k), n_all) for k in regret_at]
            for k in overhead_at:
                cell = _fmt_stat(_stat(runs, "overhead", k, 1e3), n_all)
                cpu = _stat(runs, "cpu", k, 1e3)[0]
                cells.append(cell if cpu is None else f"{cell} (CPU {cpu[0]:.0f})")
            lines.append(
                f"| {problem} | {labels[searcher]} | " + " | ".join(cells) + " |"
            )
        if "skopt" in by_searcher and "ours" in by_searcher:
            cells = [""] * len(regret_at)
            for k in overhead_at:
                theirs = _stat(by_searcher["skopt"], "overhead", k)[0]
                ours = _stat(by_searcher["ours"], "overhead", k)[0]
                cells.append(
                    f"**{theirs[0] / ours[0]:.0f}x**" if theirs and ours else "—"
                )
            lines.append(
                f"| {problem} | overhead ratio skopt/ours | " + " | ".join(cells) + " |"
            )
    lines.append("")
    if args.skopt_n < 200:
        lines.append(
            f"skopt was run to {args.skopt_n} evaluations only: its own time per "
            "evaluation keeps growing (it fits three GPs per evaluation, through "
            "`ask(n_points=1)`), so 200 evaluations for every seed would take far "
            "longer than this benchmark's budget; `--skopt-n 200` runs them."
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, seconds")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--skopt-n", type=int, default=50)
    parser.add_argument("--short-n", type=int, default=200)
    parser.add_argument("--long-n", type=int, default=500)
    parser.add_argument("--long-seeds", type=int, default=2)
    parser.add_argument(
        "--jobs", type=int, default=1, help="runs in parallel (timings share cores)"
    )
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    parser.add_argument("--no-skopt", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.skopt_n, args.short_n, args.long_n = 1, 12, 12, 25
        args.long_seeds, args.jobs = 1, 1
    out = args.out if args.out or args.quick else RESULTS

    labels = {"skopt": "skopt.BayesSearchCV", "ours": "sklearn_tune.BayesSearchCV"}
    jobs = []
    for problem in args.problems:
        for seed in range(args.seeds):
            n_ours = args.long_n if seed < args.long_seeds else args.short_n
            if not args.no_skopt:
                jobs.append(
                    (
                        "search",
                        ("skopt", problem, seed, args.skopt_n, args.blas_threads),
                    )
                )
            jobs.append(("search", ("ours", problem, seed, n_ours, args.blas_threads)))
    try:
        import optuna  # noqa: F401

        labels["optuna"] = "Optuna TPE (regret only)"
        jobs += [
            ("optuna", (problem, seed, 50))
            for problem in args.problems
            for seed in range(args.seeds)
        ]
    except ImportError:
        pass
    # The slowest first, so that parallel runs end together.
    jobs.sort(key=lambda job: job[1][0] != "skopt")

    start, load = time.perf_counter(), os.getloadavg()
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(_run, jobs))
    else:
        results = [_run(job) for job in jobs]
    report = make_report(results, args, labels, time.perf_counter() - start, load)
    print(report)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report)
        print(f"written to {out}")


if __name__ == "__main__":
    main()
