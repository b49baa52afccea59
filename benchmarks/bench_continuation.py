"""Continued training in a multi-fidelity search: the time it saves, the memory
it keeps.

The same multi-fidelity search (same seed, space, folds and ladder) runs twice
per task: once as the searchers run it (a promoted candidate goes on training
from its model of the rung below, on each CV fold) and once with continuation
switched off (every rung trains from scratch). Reported per task and searcher:

- CPU seconds of each run (process time, everything on one core) and the ratio;
- the training work: the sum over rows of ``cv_results_`` of the resources
  actually trained, against the sum of ``n_resources`` (from scratch);
- whether the two runs found the same scores (they must: a candidate goes on
  only where that gives the model a fresh fit gives, so MLPs and skorch nets
  are trained from scratch at every rung and their two runs are one);
- the models kept between rungs: at most, after any batch, their number and
  their pickled size, against the models trained in the whole search.

Tasks, on scikit-learn's digits: HistGradientBoostingClassifier (``max_iter``),
RandomForestClassifier (``n_estimators``), MLPClassifier (``max_iter``) and
``sklearn_tune.nn.FineTuneClassifier`` (``max_epochs``, when torch and skorch
are installed).

Usage::

    python benchmarks/bench_continuation.py            # writes results/continuation.md
    python benchmarks/bench_continuation.py --quick    # a smoke run, prints only
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
import warnings
from pathlib import Path
from unittest import mock

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sklearn_tune import BayesSearchCV, GeneticSearchCV  # noqa: E402
from sklearn_tune.callbacks import Callback  # noqa: E402
from sklearn_tune.space import Integer, Real  # noqa: E402

HERE = Path(__file__).parent


def tasks(quick):
    scale = 3 if quick else 1
    out = {
        "hist_gradient_boosting": (
            HistGradientBoostingClassifier(max_iter=81 // scale, early_stopping=False),
            {
                "learning_rate": Real(0.02, 0.5, prior="log-uniform"),
                "max_leaf_nodes": Integer(4, 48),
            },
            "max_iter",
        ),
        "random_forest": (
            RandomForestClassifier(n_estimators=81 // scale, random_state=0),
            {"max_features": Real(0.05, 0.8), "min_samples_leaf": Integer(1, 10)},
            "n_estimators",
        ),
        "mlp": (
            MLPClassifier(
                hidden_layer_sizes=(32,), max_iter=81 // scale, random_state=0
            ),
            {
                "alpha": Real(1e-5, 1e-1, prior="log-uniform"),
                "learning_rate_init": Real(1e-4, 1e-1, prior="log-uniform"),
            },
            "max_iter",
        ),
    }
    try:
        import skorch  # noqa: F401
        import torch

        from sklearn_tune.nn import FineTuneClassifier

        torch.set_num_threads(1)
        out["finetune_mlp"] = (
            FineTuneClassifier(
                "mlp",
                max_epochs=27 // scale,
                batch_size=64,
                device="cpu",
                random_state=0,
            ),
            {
                "lr": Real(1e-3, 1e-1, prior="log-uniform"),
                "module__units": Integer(16, 128),
            },
            "max_epochs",
        )
    except ImportError as err:
        print(f"finetune_mlp skipped: {err}", file=sys.stderr)
    return out


class KeptModels(Callback):
    """The most models (and pickled bytes) the search keeps after any batch."""

    def on_search_begin(self, search, **info):
        self.most = (0, 0)

    def on_batch_end(self, search, **info):
        models = [m for _, kept in search._run.models.items() for m in kept[1]]
        if len(models) > self.most[0]:
            self.most = (len(models), sum(len(pickle.dumps(m)) for m in models))


def make(searcher, estimator, space, resource, quick):
    common = {
        "cv": StratifiedKFold(3, shuffle=True, random_state=0),
        "resource": resource,
        "min_resources": 1,
        "factor": 3,
        "random_state": 0,
        "n_jobs": 1,
    }
    if searcher == "BayesSearchCV":
        return BayesSearchCV(estimator, space, n_iter=12 if quick else 40, **common)
    return GeneticSearchCV(
        estimator,
        space,
        population_size=9 if quick else 27,
        generations=0 if quick else 1,
        **common,
    )


def trained(search):
    """Resources trained with continuation, summed over rows: a row whose
    candidate goes on (decided per candidate, as the search decides it) and
    also has a row at the budget just below trained the difference only. (An
    estimate: a candidate cached from another bracket is counted as continued
    although it was trained from scratch.)"""
    from sklearn.base import clone

    from sklearn_tune._continuation import continuation

    results, budgets = search.cv_results_, list(search.n_resources_)
    keys = [
        repr(sorted((k, repr(v)) for k, v in p.items() if k != search.resource))
        for p in results["params"]
    ]
    seen = set(zip(keys, results["n_resources"]))
    total = 0
    for params, key, n in zip(results["params"], keys, results["n_resources"]):
        k = budgets.index(n)
        below = budgets[k - 1] if k else None
        configured = clone(search.estimator).set_params(**clone(params, safe=False))
        goes_on = continuation(configured, search.resource) is not None
        total += n - below if goes_on and (key, below) in seen else n
    return int(total)


def run_one(searcher, name, task, quick, X, y, continued):
    estimator, space, resource = task
    search = make(searcher, estimator, space, resource, quick)
    kept = KeptModels()
    patch = (
        mock.patch("sklearn_tune._base.continuation", return_value=None)
        if not continued
        else mock.MagicMock()
    )
    start = time.process_time()
    with patch, warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        search.fit(X, y, callback=kept)
    cpu = time.process_time() - start
    return search, cpu, kept.most


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    rows = []
    for name, task in tasks(args.quick).items():
        if name == "finetune_mlp":
            y_task = y.astype(np.int64)
        else:
            y_task = y
        with warnings.catch_warnings():  # imports and first-call costs, untimed
            warnings.simplefilter("ignore")
            clone(task[0]).set_params(**{task[2]: 1}).fit(X[:200], y_task[:200])
        for searcher in ("BayesSearchCV", "GeneticSearchCV"):
            on, cpu_on, most = run_one(
                searcher, name, task, args.quick, X, y_task, True
            )
            off, cpu_off, _ = run_one(
                searcher, name, task, args.quick, X, y_task, False
            )
            r_on, r_off = on.cv_results_, off.cv_results_
            same_params = r_on["params"] == r_off["params"]
            same = same_params and np.allclose(
                r_on["mean_test_score"], r_off["mean_test_score"], rtol=0, atol=1e-12
            )
            diff = (
                float(
                    np.max(np.abs(r_on["mean_test_score"] - r_off["mean_test_score"]))
                )
                if same_params
                else float("nan")
            )
            scratch = int(np.sum(r_on["n_resources"]))
            budgets = list(on.n_resources_)
            work = trained(on)
            n_models = len(r_on["params"]) * on.n_splits_
            rows.append(
                {
                    "task": name,
                    "searcher": searcher,
                    "ladder": budgets,
                    "rows": len(r_on["params"]),
                    "cpu_continued": cpu_on,
                    "cpu_scratch": cpu_off,
                    "ratio": cpu_off / cpu_on,
                    "work": work,
                    "work_scratch": scratch,
                    "same": same,
                    "max_score_diff": diff,
                    "best_continued": on.best_score_,
                    "best_scratch": off.best_score_,
                    "kept_models": most[0],
                    "kept_mb": most[1] / 2**20,
                    "models_trained": n_models,
                }
            )
            row = rows[-1]
            print(
                f"{name:24s} {searcher:16s} cpu {cpu_on:6.1f}s vs {cpu_off:6.1f}s "
                f"(x{row['ratio']:.2f}) work {work}/{scratch} same={same} "
                f"kept<= {most[0]} models ({row['kept_mb']:.2f} MB) of {n_models}",
                flush=True,
            )
    report = render(rows, argv or sys.argv[1:])
    if args.out is not None or not args.quick:
        out = args.out or HERE / "results" / "continuation.md"
        out.write_text(report)
        print(f"wrote {out}")
    else:
        print(report)


def render(rows, argv):
    lines = [
        "# Continued training in a multi-fidelity search",
        "",
        f"Command: `python benchmarks/bench_continuation.py {' '.join(argv)}`".rstrip()
        + " (one core, n_jobs=1; digits, 3-fold CV, factor 3, min_resources 1).",
        "",
        "Each search runs twice with the same seed: as the searchers run it (a "
        "promoted candidate goes on from its model of the rung below) and with "
        "continuation switched off (every rung from scratch). *Work* is the "
        "resource trained (iterations, trees, epochs) summed over the rows of "
        "cv_results_ (per CV split), against from scratch (an estimate from the "
        "rows: see `trained`). *Kept* is the most models held between "
        "rungs after any batch (one per CV split of each promoted candidate), "
        "with their pickled size, against all the models the search trained.",
        "",
        "| task | searcher | ladder | rows | CPU s continued | CPU s scratch | "
        "speed-up | work / scratch | same scores | best (cont. / scratch) | "
        "kept models (MB) / trained |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        same = "yes" if r["same"] else f"no (max diff {r['max_score_diff']:.3g})"
        lines.append(
            f"| {r['task']} | {r['searcher']} | {r['ladder']} | {r['rows']} | "
            f"{r['cpu_continued']:.1f} | {r['cpu_scratch']:.1f} | "
            f"{r['ratio']:.2f}x | {r['work']} / {r['work_scratch']} "
            f"({r['work'] / r['work_scratch']:.0%}) | {same} | "
            f"{r['best_continued']:.4f} / {r['best_scratch']:.4f} | "
            f"{r['kept_models']} ({r['kept_mb']:.2f}) / {r['models_trained']} |"
        )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
