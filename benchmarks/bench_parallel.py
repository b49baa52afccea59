"""Parallel searches at scale: how busy the workers are, how soon a good score
comes, and what the search finds with a fixed number of candidates.

Every search tunes a sleeping estimator: its fit sleeps 0.05 s to 1 s, by its
parameter ``b`` (so fits are uneven, and 8 to 32 workers fit on 2 cores), and
its score is minus the Branin function of ``(a, b)`` (optima at fast and slow
``b``). With a resource (``budget``, 1 to 27), a fit sleeps ``budget / 27`` of
that, and scores a biased version of the full-budget score.

Each fit appends its start and end times to a log, so that the figures come
from the fits themselves:

- utilisation: the time workers spent fitting, over wall time x workers
  (wall time of ``fit``, workers started beforehand);
- time to target: the wall time until a full-budget candidate scores at least
  the best score RandomizedSearchCV found with the same seed (its candidates
  complete when their last CV fold ends);
- best: the best full-budget score found (minus Branin: 0 is unreachable,
  -0.398 is the optimum).

Searchers: ours (BayesSearchCV, GeneticSearchCV, and both with
``resource="budget"``), RandomizedSearchCV, HalvingRandomSearchCV and Optuna's
TPE with ``n_jobs`` threads. Configurations: 8 workers on loky, 8 on a Dask
``LocalCluster`` (one thread per worker process), 32 on loky.

Usage::

    python benchmarks/bench_parallel.py            # writes results/parallel.md
    python benchmarks/bench_parallel.py --quick    # a smoke run, prints only
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
import warnings
from contextlib import nullcontext
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import joblib  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import uniform  # noqa: E402
from sklearn.base import BaseEstimator, RegressorMixin  # noqa: E402
from sklearn.experimental import enable_halving_search_cv  # noqa: E402, F401
from sklearn.model_selection import (  # noqa: E402
    HalvingRandomSearchCV,
    KFold,
    RandomizedSearchCV,
    cross_val_score,
)

from sklearn_tune import BayesSearchCV, GeneticSearchCV  # noqa: E402
from sklearn_tune.space import Real  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from _report import machine, source_version, versions  # noqa: E402

MAX_BUDGET = 27
A, B = (-5.0, 10.0), (0.0, 15.0)


BR = "  "  # a Markdown line break, kept out of the source lines


def branin(a, b):
    return (
        (b - 5.1 / (4 * math.pi**2) * a**2 + 5 / math.pi * a - 6) ** 2
        + 10 * (1 - 1 / (8 * math.pi)) * math.cos(a)
        + 10
    )


class Sleepy(RegressorMixin, BaseEstimator):
    """Sleeps 0.05 s to 1 s by ``b`` (times ``budget / 27``); scores -Branin."""

    def __init__(self, a=0.0, b=0.0, budget=MAX_BUDGET, log=None, scale=1.0):
        self.a, self.b, self.budget, self.log, self.scale = a, b, budget, log, scale

    def fit(self, X, y=None):
        start = time.time()
        u = (self.b - B[0]) / (B[1] - B[0])
        time.sleep(self.scale * (0.05 + 0.95 * u**2) * self.budget / MAX_BUDGET)
        if self.log is not None:
            with open(self.log, "a") as file:  # one short line: appends whole
                a, b = float(self.a), float(self.b)
                file.write(
                    f"{start!r} {time.time()!r} {int(self.budget)} {a!r} {b!r}\n"
                )
        return self

    def predict(self, X):
        return np.zeros(len(X))

    def score(self, X, y=None):
        value = -branin(self.a, self.b)
        gap = 1 - self.budget / MAX_BUDGET  # lower budgets: a biased view
        return value - 20 * gap * math.sin(self.a + self.b) ** 2


SPACE = {"a": Real(*A), "b": Real(*B)}
DISTRIBUTIONS = {"a": uniform(A[0], A[1] - A[0]), "b": uniform(B[0], B[1] - B[0])}


def _in_order(cls):
    """``cls`` as it was before a rung's promotions could start while an
    older batch is still being fitted (set in this process, never in the
    library): every rung promotes when it is told, in the order asked."""
    return type(f"{cls.__name__}", (cls,), {"_may_start_promotions": _never})


def _never(self, run, chain):
    return False


def searchers(n, workers, cv, seed, log, scale):
    est = Sleepy(log=log, scale=scale)
    batch = 8
    common = {"cv": cv, "n_jobs": workers, "refit": False, "random_state": seed}
    budget = {"resource": "budget", "max_resources": MAX_BUDGET, "min_resources": 1}

    def bayes_mf(cls):
        return cls(est, SPACE, n_iter=n, **common, **budget)

    def genetic_mf(cls):
        return cls(
            est, SPACE, population_size=batch, generations=n // 4, **common, **budget
        )

    return {
        "sklearn_tune BayesSearchCV": lambda: BayesSearchCV(
            est,
            SPACE,
            n_iter=n,
            n_points=batch,
            cv=cv,
            n_jobs=workers,
            refit=False,
            random_state=seed,
        ),
        "sklearn_tune GeneticSearchCV": lambda: GeneticSearchCV(
            est,
            SPACE,
            population_size=batch,
            generations=n // batch - 1,
            cv=cv,
            n_jobs=workers,
            refit=False,
            random_state=seed,
        ),
        "sklearn_tune BayesSearchCV, default n_points=1": lambda: BayesSearchCV(
            est,
            SPACE,
            n_iter=n,
            cv=cv,
            n_jobs=workers,
            refit=False,
            random_state=seed,
        ),
        "sklearn_tune GeneticSearchCV, default population_size=10": lambda: (
            GeneticSearchCV(
                est,
                SPACE,
                generations=n // 10 - 1,
                cv=cv,
                n_jobs=workers,
                refit=False,
                random_state=seed,
            )
        ),
        "sklearn_tune BayesSearchCV (budget)": lambda: bayes_mf(BayesSearchCV),
        "sklearn_tune GeneticSearchCV (budget)": lambda: genetic_mf(GeneticSearchCV),
        "sklearn_tune BayesSearchCV (budget), promotions in order": lambda: bayes_mf(
            _in_order(BayesSearchCV)
        ),
        "sklearn_tune GeneticSearchCV (budget), promotions in order": lambda: (
            genetic_mf(_in_order(GeneticSearchCV))
        ),
        "RandomizedSearchCV": lambda: RandomizedSearchCV(
            est,
            DISTRIBUTIONS,
            n_iter=n,
            cv=cv,
            n_jobs=workers,
            refit=False,
            random_state=seed,
        ),
        "HalvingRandomSearchCV": lambda: HalvingRandomSearchCV(
            est,
            DISTRIBUTIONS,
            n_candidates=n,
            cv=cv,
            n_jobs=workers,
            refit=False,
            random_state=seed,
            resource="budget",
            max_resources=MAX_BUDGET,
            min_resources=1,
            factor=3,
        ),
        "Optuna TPE (threads)": None,
    }


def run_optuna(n, workers, cv, seed, log, scale):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X = np.zeros((60, 1))

    def objective(trial):
        est = Sleepy(
            a=trial.suggest_float("a", *A),
            b=trial.suggest_float("b", *B),
            log=log,
            scale=scale,
        )
        return cross_val_score(est, X, cv=cv, n_jobs=1).mean()

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed)
    )
    study.optimize(objective, n_trials=n, n_jobs=workers)
    return [t.params for t in study.trials]


def read_log(path, n_splits):
    """Fits as (start, end, budget, a, b); candidates as (done time, score)."""
    fits = []
    with open(path) as file:
        for line in file:
            start, end, budget, a, b = line.split()
            fits.append((float(start), float(end), int(budget), float(a), float(b)))
    done, count = [], {}
    for start, end, budget, a, b in sorted(fits, key=lambda f: f[1]):
        key = (budget, a, b)
        count[key] = count.get(key, 0) + 1
        if count[key] % n_splits == 0 and budget == MAX_BUDGET:
            done.append((end, -branin(a, b)))
    return fits, done


def one_run(name, make, n, workers, cv, seed, scale, backend):
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "fits.log")
        X = np.zeros((60, 1))
        context = joblib.parallel_backend(backend) if backend else nullcontext()
        with context, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.time()
            if make is None:
                run_optuna(n, workers, cv, seed, log, scale)
            else:
                make().set_params(estimator__log=log).fit(X)
            wall = time.time() - t0
        fits, done = read_log(log, cv.get_n_splits())
    busy = sum(end - start for start, end, *_ in fits)
    best, curve = -math.inf, []
    for end, score in done:
        best = max(best, score)
        curve.append((end - t0, best))
    return {
        "searcher": name,
        "seed": seed,
        "utilisation": busy / (wall * workers),
        "wall": wall,
        "fits": len(fits),
        "best": best,
        "curve": curve,
    }


def time_to(curve, target):
    return next((t for t, best in curve if best >= target - 1e-12), math.nan)


def _warm():
    import sklearn.model_selection  # noqa: F401

    import sklearn_tune  # noqa: F401

    time.sleep(0.5)


def warm_up(workers, backend):
    """Start the workers and import scikit-learn in each: not timed."""
    context = joblib.parallel_backend(backend) if backend else nullcontext()
    with context:
        joblib.Parallel(n_jobs=workers)(
            joblib.delayed(_warm)() for _ in range(2 * workers)
        )


def configuration(label, workers, n, seeds, scale, backend=None):
    cv = KFold(3)
    print(f"== {label}: {workers} workers, {n} candidates, cv=3", flush=True)
    warm_up(workers, backend)
    runs = []
    for seed in seeds:
        for name, make in searchers(n, workers, cv, seed, None, scale).items():
            result = one_run(name, make, n, workers, cv, seed, scale, backend)
            runs.append(result)
            print(
                f"  seed {seed} {name:40s} util {result['utilisation']:.3f} "
                f"wall {result['wall']:6.1f}s fits {result['fits']:4d} "
                f"best {result['best']:.4f}",
                flush=True,
            )
    return runs


def table(label, runs, seeds):
    names = list(dict.fromkeys(r["searcher"] for r in runs))
    random = {
        r["seed"]: r["best"] for r in runs if r["searcher"] == "RandomizedSearchCV"
    }
    lines = [
        f"### {label}",
        "",
        "| searcher | utilisation | wall s | fits | time to random's best, s | "
        "best (-Branin, optimum -0.398) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in names:
        group = [r for r in runs if r["searcher"] == name]

        def stat(values, digits):
            values = np.array(values, dtype=float)
            ok = values[np.isfinite(values)]
            if not len(ok):
                return "never"
            text = f"{ok.mean():.{digits}f} ± {ok.std():.{digits}f}"
            missing = len(values) - len(ok)
            return text + (f" ({missing} never)" if missing else "")

        times = [time_to(r["curve"], random[r["seed"]]) for r in group]
        lines.append(
            f"| {name} | {stat([r['utilisation'] for r in group], 3)} "
            f"| {stat([r['wall'] for r in group], 1)} "
            f"| {stat([r['fits'] for r in group], 0)} | {stat(times, 1)} "
            f"| {stat([r['best'] for r in group], 4)} |"
        )
    return "\n".join(lines) + "\n"


def _nap(seconds):
    time.sleep(seconds)


def dask_floor(client, workers, durations=(0.01, 0.03, 0.1, 0.3), n=160):
    """Dask's own ceiling: ``n`` sleeping tasks of one duration submitted at
    once as futures (no search, no joblib); utilisation as for the searches."""
    from distributed import wait

    client.submit(_nap, 0.0, pure=False).result()
    rows = [
        "| task duration, s | utilisation of all tasks submitted at once |",
        "| --- | --- |",
    ]
    for seconds in durations:
        t0 = time.time()
        wait([client.submit(_nap, seconds, pure=False) for _ in range(n)])
        utilisation = n * seconds / ((time.time() - t0) * workers)
        rows.append(f"| {seconds} | {utilisation:.2f} |")
    return (
        f"### Dask's own ceiling: {n} tasks on the {workers} workers above\n\n"
        "Fits of a multi-fidelity search's first rungs take 2 to 110 ms here: "
        "on this machine Dask itself cannot keep workers busy with tasks that "
        "short, however they are submitted.\n\n" + "\n".join(rows) + "\n"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, no file")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    seeds = list(range(1 if args.quick else args.seeds))
    scale = 0.2 if args.quick else 1.0
    started = time.time()
    sections = []
    configs = [("8 workers, loky", 8, 64, None), ("32 workers, loky", 32, 128, None)]
    cluster = client = None
    if not args.no_dask:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=8, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        configs.insert(1, ("8 workers, Dask LocalCluster", 8, 64, "dask"))
    try:
        for label, workers, n, backend in configs:
            if args.quick:
                n = n // 2
            runs = configuration(label, workers, n, seeds, scale, backend)
            sections.append(table(f"{label}, {n} candidates", runs, seeds))
            if backend == "dask":
                sections.append(dask_floor(client, workers))
    finally:
        if client is not None:
            client.close()
            cluster.close()
    minutes = (time.time() - started) / 60
    report = "\n".join(sections)
    print(report)
    if args.quick:
        return
    header = f"""# Parallel searches: busy workers, time to a score, quality

Command: `python benchmarks/bench_parallel.py`{BR}
Total time: {minutes:.1f} min. Seeds: {", ".join(map(str, seeds))}.{BR}
Machine: {machine()}. Sleeping fits: 8 to 32 workers share 2 cores.{BR}
Versions: {", ".join(versions())}.{BR}
sklearn_tune source: {source_version()}.

A fit sleeps 0.05 s to 1 s by its parameter ``b`` (times budget/27 with a
resource) and scores -Branin(a, b). `n_points=8` and `population_size=8`
unless the row says otherwise (the defaults: `n_points=1`, `population_size=10`);
multi-fidelity searches use `resource="budget"`, 1 to 27, factor 3; the rows
"promotions in order" run them as before a rung could promote while an older
batch is still being fitted (the same candidates and scores, fitted later).
Utilisation: time spent in fits over wall time x workers (workers started
beforehand). Time to random's best: wall seconds until a full-budget candidate
scores at least RandomizedSearchCV's best with the same seed. Best: the best
full-budget score (mean ± std over seeds). See the docstring of the script.

"""
    (HERE / "results" / "parallel.md").write_text(header + report)


if __name__ == "__main__":
    main()
