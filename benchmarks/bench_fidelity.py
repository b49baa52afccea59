"""Multi-fidelity search at equal CPU time: our Hyperband against its peers.

Three tasks on scikit-learn's digits (1,797 images of 8x8 pixels, 10
classes), each with a training budget that can be cut short:

- ``hgb``: ``HistGradientBoostingClassifier``, resource ``max_iter``
  (3 to 81 boosting rounds, no early stopping);
- ``mlp``: ``StandardScaler`` + ``MLPClassifier``, resource ``mlp__max_iter``
  (3 to 81 epochs);
- ``finetune``: ``sklearn_tune.nn.FineTuneClassifier(module="mlp")``,
  resource ``max_epochs`` (1 to 27 epochs).

Every method scores candidates on the same ``StratifiedKFold(3, shuffle=True,
random_state=0)`` with factor 3 between budgets, ``n_jobs=1`` and one thread:

- ours: ``BayesSearchCV`` and ``GeneticSearchCV`` with ``resource=``,
  ``min_resources``, ``max_resources`` and ``factor=3`` (Hyperband brackets);
- scikit-learn's ``HalvingRandomSearchCV`` (one bracket of successive halving);
- Optuna's TPE sampler with its ``HyperbandPruner``: each trial trains its
  three fold models rung by rung (``warm_start`` for gradient boosting,
  ``partial_fit`` for the networks) and reports the mean fold score at every
  budget, so a pruned trial stops early;
- DEHB (differential evolution in Hyperband brackets, ask/tell), which trains
  every evaluation from scratch at its budget;
- ``RandomizedSearchCV`` with every candidate at full budget, the reference of
  the second goal.

**Equal CPU time.** ``HalvingRandomSearchCV`` cannot be stopped part-way, so
its run sets the budget: T, the CPU seconds of its search, per task and seed.
Optuna and DEHB stop at the first trial or evaluation that ends after T (once
they have one full-budget result); ours stop at the first batch (one rung of
a bracket) that ends after max(T, R/4), R being random search's CPU seconds,
so that the second goal can be read from the same run. Every method's
process CPU time is measured and reported.

**Scores.** What a method would pick at a time (the best of its full-budget
results so far: ``best_params_`` at the end for the scikit-learn searchers and
ours, the best completed trial for Optuna, the best full-fidelity evaluation
for DEHB) is fitted again at full budget and scored with ``cross_val_score``
on the same folds, so that a score reached at a low budget, or by training
in steps, flatters no one; these re-evaluations are cached per configuration
and not counted in anyone's time. The anytime curve of a method is that
score against its CPU seconds: marks after every batch (ours, from a
callback), trial (Optuna) or evaluation (DEHB); for the two scikit-learn
searchers the summed fit and score times of ``cv_results_``, row by row,
scaled to the CPU time of the whole search.

Goals: (a) at CPU time T, the full-budget score of ours is at least that of
``HalvingRandomSearchCV``, Optuna and DEHB (mean over seeds); (b) ours reaches
random search's final score in at most a quarter of random search's CPU time
(median over seeds of the ratio).

    python benchmarks/bench_fidelity.py           # 3 seeds, ~25 min on 2 cores
    python benchmarks/bench_fidelity.py --quick   # tiny budgets, 1 seed, < 1 min
    python benchmarks/bench_fidelity.py --report-from benchmarks/results/fidelity.json

Needs optuna, torch and skorch, and for DEHB ``pip install dehb --no-deps``
then ``pip install loguru ConfigSpace``; a method that is missing or fails is
reported, not fatal.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_tune.space import Categorical, Integer, Real

CV = StratifiedKFold(3, shuffle=True, random_state=0)
FACTOR = 3
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
)
METHODS = ("BayesSearchCV", "GeneticSearchCV", "Halving", "Optuna", "DEHB", "Random")
OURS = ("BayesSearchCV", "GeneticSearchCV")
PEERS = ("Halving", "Optuna", "DEHB")
LABELS = {
    "BayesSearchCV": "**sklearn_tune BayesSearchCV** (Hyperband)",
    "GeneticSearchCV": "**sklearn_tune GeneticSearchCV** (Hyperband)",
    "Halving": "HalvingRandomSearchCV",
    "Optuna": "Optuna TPE + HyperbandPruner",
    "DEHB": "DEHB",
    "Random": "RandomizedSearchCV (full budget)",
}
COLORS = {
    "BayesSearchCV": "tab:blue",
    "GeneticSearchCV": "tab:green",
    "Halving": "tab:orange",
    "Optuna": "tab:purple",
    "DEHB": "tab:brown",
    "Random": "tab:gray",
}
# Our searchers' budget in candidates and brackets: far more than fits in the
# CPU time they are given, which stops them. GeneticSearchCV's population (its
# first bracket) is Hyperband's, factor**s_max, as BayesSearchCV's first bracket.
OURS_N_ITER = 10_000
OURS_GENERATIONS = 1_000


# -- the tasks --------------------------------------------------------------------


@dataclass
class Task:
    """An estimator on digits, its resource and its search space.

    ``increment`` says how Optuna's trials train a fold model one rung
    further: ``"warm_start"`` (set the resource and ``fit`` again),
    ``"partial_fit"`` (one epoch per call) or ``"partial_fit_epochs"`` (set
    the resource to the epochs to add, then one call).
    """

    name: str
    title: str
    resource: str
    min_resources: int
    max_resources: int
    space: dict
    increment: str
    n_halving: int  # HalvingRandomSearchCV's n_candidates
    n_random: int  # RandomizedSearchCV's n_iter, every one at full budget
    float32: bool = False

    def estimator(self):
        if self.name == "hgb":
            return HistGradientBoostingClassifier(
                max_iter=self.max_resources, early_stopping=False, random_state=0
            )
        if self.name == "mlp":
            mlp = MLPClassifier(max_iter=self.max_resources, random_state=0)
            return Pipeline([("scale", StandardScaler()), ("mlp", mlp)])
        from sklearn_tune.nn import FineTuneClassifier

        return FineTuneClassifier(
            "mlp", max_epochs=self.max_resources, device="cpu", random_state=0
        )

    def data(self):
        X, y = load_digits(return_X_y=True)
        if self.float32:
            return (X / 16).astype(np.float32), y.astype(np.int64)
        return X, y

    def budgets(self):
        """The rungs: min_resources times powers of 3, then max_resources."""
        rungs = [self.min_resources]
        while rungs[-1] * FACTOR < self.max_resources:
            rungs.append(rungs[-1] * FACTOR)
        return rungs + [self.max_resources]


HGB_SPACE = {
    "learning_rate": Real(0.01, 0.5, prior="log-uniform"),
    "max_leaf_nodes": Integer(4, 64),
    "min_samples_leaf": Integer(2, 50),
    "l2_regularization": Real(1e-4, 10.0, prior="log-uniform"),
}
MLP_SPACE = {
    "mlp__hidden_layer_sizes": Categorical(
        [(32,), (64,), (128,), (256,), (64, 64), (128, 128)]
    ),
    "mlp__alpha": Real(1e-6, 1e-1, prior="log-uniform"),
    "mlp__learning_rate_init": Real(1e-4, 1e-1, prior="log-uniform"),
    "mlp__batch_size": Categorical([32, 64, 128, 256]),
}
NET_SPACE = {
    "lr": Real(1e-4, 3e-2, prior="log-uniform"),
    "weight_decay": Real(1e-6, 1e-1, prior="log-uniform"),
    "module__units": Integer(16, 256),
    "module__hidden_layers": Integer(1, 3),
    "module__dropout": Real(0.0, 0.5),
    "batch_size": Categorical([32, 64, 128]),
}


def make_tasks(quick):
    """The three tasks; ``quick``: budgets of 1 to 9 (3) and tiny searches."""
    hgb = ("max_iter", 1, 9, 9, 3) if quick else ("max_iter", 3, 81, 81, 48)
    mlp = ("mlp__max_iter", 1, 9, 9, 3) if quick else ("mlp__max_iter", 3, 81, 81, 48)
    net = ("max_epochs", 1, 3, 9, 3) if quick else ("max_epochs", 1, 27, 81, 48)
    return {
        "hgb": Task("hgb", "HistGradientBoostingClassifier", *hgb[:3], HGB_SPACE,
                    "warm_start", *hgb[3:]),
        "mlp": Task("mlp", "StandardScaler + MLPClassifier", *mlp[:3], MLP_SPACE,
                    "partial_fit", *mlp[3:]),
        "finetune": Task("finetune", 'FineTuneClassifier(module="mlp")', *net[:3],
                         NET_SPACE, "partial_fit_epochs", *net[3:], float32=True),
    }  # fmt: skip


# -- parameters: one key per configuration, the space for each peer ---------------


def _plain(value):
    """A Python value for a parameter (NumPy scalars and lists made plain)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    return value


def full_budget(task, params):
    """``params`` as plain values, with the resource at its maximum."""
    out = {name: _plain(value) for name, value in params.items()}
    out[task.resource] = task.max_resources
    return out


def key_of(params):
    return repr(sorted(params.items()))


def _label(value):
    return "-".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _scipy(dim):
    if isinstance(dim, Categorical):
        return list(dim.categories)
    if isinstance(dim, Integer):
        return stats.randint(dim.low, dim.high + 1)
    if dim.log:
        return stats.loguniform(dim.low, dim.high)
    return stats.uniform(dim.low, dim.high - dim.low)


def _suggest(trial, name, dim):
    if isinstance(dim, Categorical):
        labels = [_label(c) for c in dim.categories]
        return dim.categories[labels.index(trial.suggest_categorical(name, labels))]
    if isinstance(dim, Integer):
        return trial.suggest_int(name, dim.low, dim.high, log=dim.log)
    return trial.suggest_float(name, dim.low, dim.high, log=dim.log)


def _configspace(space, seed):
    import ConfigSpace as cs

    hyperparameters = []
    for name, dim in space.items():
        if isinstance(dim, Categorical):
            labels = [_label(c) for c in dim.categories]
            hyperparameters.append(cs.Categorical(name, labels))
        elif isinstance(dim, Integer):
            hyperparameters.append(cs.Integer(name, (dim.low, dim.high), log=dim.log))
        else:
            hyperparameters.append(cs.Float(name, (dim.low, dim.high), log=dim.log))
    configspace = cs.ConfigurationSpace(seed=seed)
    configspace.add(hyperparameters)
    return configspace


def _from_configspace(space, config):
    params = {}
    for name, dim in space.items():
        value = config[name]
        if isinstance(dim, Categorical):
            labels = [_label(c) for c in dim.categories]
            value = dim.categories[labels.index(value)]
        params[name] = _plain(value)
    return params


# -- one method's run -------------------------------------------------------------


@dataclass
class Run:
    """One method on one task and seed.

    ``marks``: (CPU seconds since the start, the full-budget configuration the
    method would pick then, or None); ``curve``: the same with that
    configuration's re-evaluated score.
    """

    method: str
    cpu: float = math.nan
    wall: float = math.nan
    n_evaluations: int = 0  # (candidate, budget) evaluations, trials for Optuna
    n_full: int = 0  # of which at full budget (Optuna: trials completed)
    choice: dict | None = None
    own_score: float = math.nan  # the method's own score of its choice
    score: float = math.nan  # the choice re-evaluated at full budget
    marks: list = field(default_factory=list)
    curve: list = field(default_factory=list)
    error: str | None = None
    notes: list = field(default_factory=list)


class _Clock:
    def __init__(self):
        self.cpu, self.wall = time.process_time(), time.perf_counter()

    def cpu_elapsed(self):
        return time.process_time() - self.cpu

    def stop(self, run):
        run.cpu, run.wall = self.cpu_elapsed(), time.perf_counter() - self.wall


def _full_rows(task, results):
    """Indices of the full-budget rows of a ``cv_results_``."""
    if "n_resources" in results:
        budgets = np.asarray(results["n_resources"])
    else:
        # no column: a candidate without the resource has the estimator's, max
        budgets = np.array(
            [p.get(task.resource, task.max_resources) for p in results["params"]]
        )
    return np.flatnonzero(budgets == task.max_resources)


def _pick(task, results, upto=None):
    """(params, score) of the best full-budget row among the first ``upto``."""
    rows = _full_rows(task, results)
    if upto is not None:
        rows = rows[rows < upto]
    scores = np.asarray(results["mean_test_score"], dtype=float)[rows]
    if not np.isfinite(scores).any():
        return None, math.nan
    j = int(np.nanargmax(scores))
    return full_budget(task, results["params"][rows[j]]), float(scores[j])


def _pick_row(task, results, upto):
    params, _ = _pick(task, results, upto)
    return params


def run_sklearn(kind, task, seed, X, y):
    """``HalvingRandomSearchCV`` or ``RandomizedSearchCV``; marks from fit times."""
    run = Run(kind)
    space = {name: _scipy(dim) for name, dim in task.space.items()}
    if kind == "Halving":
        search = HalvingRandomSearchCV(
            task.estimator(),
            space,
            n_candidates=task.n_halving,
            resource=task.resource,
            min_resources=task.min_resources,
            max_resources=task.max_resources,
            factor=FACTOR,
            cv=CV,
            refit=False,
            random_state=seed,
            n_jobs=1,
        )
    else:
        search = RandomizedSearchCV(
            task.estimator(),
            space,
            n_iter=task.n_random,
            cv=CV,
            refit=False,
            random_state=seed,
            n_jobs=1,
        )
    clock = _Clock()
    search.fit(X, y)
    clock.stop(run)
    results = search.cv_results_
    n_splits = CV.get_n_splits()
    costs = n_splits * (
        np.asarray(results["mean_fit_time"]) + np.asarray(results["mean_score_time"])
    )
    times = np.cumsum(costs) * run.cpu / costs.sum()
    run.marks = [
        (float(t), _pick_row(task, results, i + 1)) for i, t in enumerate(times)
    ]
    run.n_evaluations = len(results["params"])
    run.n_full = len(_full_rows(task, results))
    run.choice = full_budget(task, search.best_params_)
    run.own_score = float(search.best_score_)
    if run.choice != run.marks[-1][1]:
        run.notes.append("best_params_ is not the best full-budget row")
    return run


def run_ours(kind, task, seed, X, y, cap):
    """Our searcher, stopped by a callback after the batch that ends past ``cap``."""
    import sklearn_tune
    from sklearn_tune.callbacks import Callback
    from sklearn_tune.exceptions import StopSearch

    run = Run(kind)

    class CpuMarks(Callback):
        def on_batch_end(self, search, results=None, **kwargs):
            elapsed = clock.cpu_elapsed()
            n_rows = len(results["params"])
            run.marks.append((elapsed, _pick_row(task, results, n_rows)))
            if elapsed >= cap and run.marks[-1][1] is not None:
                raise StopSearch(f"{cap:.1f} CPU seconds used")

    shared = {
        "resource": task.resource,
        "min_resources": task.min_resources,
        "max_resources": task.max_resources,
        "factor": FACTOR,
        "cv": CV,
        "refit": False,
        "random_state": seed,
        "n_jobs": 1,
    }
    if kind == "BayesSearchCV":
        search = sklearn_tune.BayesSearchCV(
            task.estimator(), task.space, n_iter=OURS_N_ITER, **shared
        )
    else:
        search = sklearn_tune.GeneticSearchCV(
            task.estimator(),
            task.space,
            population_size=FACTOR ** (len(task.budgets()) - 1),
            generations=OURS_GENERATIONS,
            **shared,
        )
    clock = _Clock()
    search.fit(X, y, callback=CpuMarks())
    clock.stop(run)
    results = search.cv_results_
    run.n_evaluations = len(results["params"])
    run.n_full = len(_full_rows(task, results))
    for column in ("n_resources", "iter"):
        if column not in results:
            run.notes.append(f"cv_results_ has no {column!r} column")
    best = dict(search.best_params_)
    if best.get(task.resource) != task.max_resources:
        run.notes.append(
            f"best_params_[{task.resource!r}] is {best.get(task.resource)!r}, "
            f"not {task.max_resources}"
        )
    run.choice = full_budget(task, best)
    run.own_score = float(search.best_score_)
    picked, picked_score = _pick(task, results)
    if run.choice != picked or not math.isclose(
        run.own_score, picked_score, abs_tol=1e-12
    ):
        run.notes.append(
            "best_params_/best_score_ are not the best full-budget row of cv_results_"
        )
    run.notes.append(f"stopped: {search.stop_reason_}")
    return run


class _FoldModel:
    """One fold's model of an Optuna trial, trained rung by rung."""

    def __init__(self, task, params, X, y, train, test):
        model = task.estimator().set_params(**params)
        X_train, X_test = X[train], X[test]
        if isinstance(model, Pipeline):  # fit the preprocessing once
            X_train = model[:-1].fit_transform(X_train, y[train])
            X_test = model[:-1].transform(X_test)
            model = model[-1]
        self.task, self.model, self.done = task, model, 0
        self.X_train, self.y_train, self.X_test, self.y_test = (
            X_train,
            y[train],
            X_test,
            y[test],
        )
        self.parameter = task.resource.rsplit("__", 1)[-1]
        self.classes = np.unique(y)

    def train_to(self, budget):
        model, step = self.model, budget - self.done
        if self.task.increment == "warm_start":
            model.set_params(warm_start=True, **{self.parameter: budget})
            model.fit(self.X_train, self.y_train)
        elif self.task.increment == "partial_fit":
            for _ in range(step):
                model.partial_fit(self.X_train, self.y_train, classes=self.classes)
        else:
            model.set_params(**{self.parameter: step})
            model.partial_fit(self.X_train, self.y_train, classes=self.classes)
        self.done = budget
        return model.score(self.X_test, self.y_test)


def run_optuna(task, seed, X, y, cap):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    run = Run("Optuna")
    budgets = task.budgets()
    folds = list(CV.split(X, y))
    chosen = {}  # trial number -> params

    def objective(trial):
        params = {name: _suggest(trial, name, dim) for name, dim in task.space.items()}
        chosen[trial.number] = full_budget(task, params)
        models = [_FoldModel(task, params, X, y, tr, te) for tr, te in folds]
        for budget in budgets:
            score = float(np.mean([m.train_to(budget) for m in models]))
            trial.report(score, budget)
            if budget < task.max_resources and trial.should_prune():
                raise optuna.TrialPruned()
        return score

    def mark(study, trial):
        elapsed = clock.cpu_elapsed()
        done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        best = max(done, key=lambda t: t.value) if done else None
        run.marks.append((elapsed, None if best is None else chosen[best.number]))
        if elapsed >= cap and best is not None:
            study.stop()

    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.HyperbandPruner(
            min_resource=task.min_resources,
            max_resource=task.max_resources,
            reduction_factor=FACTOR,
        ),
    )
    clock = _Clock()
    study.optimize(objective, callbacks=[mark])
    clock.stop(run)
    run.n_evaluations = len(study.trials)
    run.n_full = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    run.choice = run.marks[-1][1]
    run.own_score = float(study.best_value)
    return run


def run_dehb(task, seed, X, y, cap):
    from dehb import DEHB

    run = Run("DEHB")
    with tempfile.TemporaryDirectory() as output_path:
        optimizer = DEHB(
            cs=_configspace(task.space, seed),
            min_fidelity=task.min_resources,
            max_fidelity=task.max_resources,
            eta=FACTOR,
            n_workers=1,
            seed=seed,
            output_path=output_path,
            save_freq="end",
            log_level="ERROR",
        )
        best_score, best = -math.inf, None
        clock = _Clock()
        while True:
            job = optimizer.ask()
            budget = int(round(job["fidelity"]))
            params = _from_configspace(task.space, job["config"])
            model = task.estimator().set_params(**params, **{task.resource: budget})
            start = time.process_time()
            score = float(np.mean(cross_val_score(model, X, y, cv=CV)))
            cost = time.process_time() - start
            optimizer.tell(job, {"fitness": -score, "cost": cost})
            run.n_evaluations += 1
            if budget == task.max_resources:
                run.n_full += 1
                if score > best_score:
                    best_score, best = score, full_budget(task, params)
            elapsed = clock.cpu_elapsed()
            run.marks.append((elapsed, best))
            if elapsed >= cap and best is not None:
                break
        clock.stop(run)
    run.choice, run.own_score = best, best_score
    return run


# -- one task and seed: every method, then the re-evaluations ---------------------


def _attempt(run_method, method):
    try:
        return run_method()
    except ImportError as err:
        return Run(method, error=f"not installed: {err}")
    except Exception as err:  # a method that fails here is reported
        return Run(
            method,
            error=f"{type(err).__name__}: {err}",
            notes=[traceback.format_exc()],
        )


def run_unit(task, seed, methods):
    """All methods on one task and seed, then their choices re-evaluated."""
    import torch

    torch.set_num_threads(1)
    X, y = task.data()
    runs = {}
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning, experimental...
        runs["Halving"] = run_sklearn("Halving", task, seed, X, y)
        budget = runs["Halving"].cpu
        if "Random" in methods:
            runs["Random"] = _attempt(
                lambda: run_sklearn("Random", task, seed, X, y), "Random"
            )
        random_cpu = runs.get("Random", Run("Random")).cpu
        ours_cap = max(budget, random_cpu / 4) if math.isfinite(random_cpu) else budget
        for method in OURS:
            if method in methods:
                runs[method] = _attempt(
                    lambda m=method: run_ours(m, task, seed, X, y, ours_cap), method
                )
        if "Optuna" in methods:
            runs["Optuna"] = _attempt(
                lambda: run_optuna(task, seed, X, y, budget), "Optuna"
            )
        if "DEHB" in methods:
            runs["DEHB"] = _attempt(lambda: run_dehb(task, seed, X, y, budget), "DEHB")
        cache, reevaluation_cpu = {}, time.process_time()

        def reevaluate(params):
            if params is None:
                return math.nan
            key = key_of(params)
            if key not in cache:
                model = task.estimator().set_params(**params)
                cache[key] = float(np.mean(cross_val_score(model, X, y, cv=CV)))
            return cache[key]

        for run in runs.values():
            run.curve = [(t, reevaluate(params)) for t, params in run.marks]
            run.score = reevaluate(run.choice)
            run.marks = []  # the curve holds what the report needs
    return {
        "task": task.name,
        "seed": seed,
        "budget_cpu": budget,
        "random_cpu": random_cpu,
        "reevaluations": len(cache),
        "reevaluation_cpu": time.process_time() - reevaluation_cpu,
        "runs": {name: _jsonable(asdict(run)) for name, run in runs.items()},
    }


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return _plain(value)


# -- the report -------------------------------------------------------------------


def _number(value):
    return math.nan if value is None else float(value)


def score_at(curve, t):
    """The last curve score at or before CPU time ``t`` (nan if none)."""
    values = [_number(s) for time_, s in curve if time_ <= t + 1e-9]
    return values[-1] if values else math.nan


def first_reach(curve, target):
    """The CPU time at which the curve first reaches ``target`` (inf if never)."""
    for t, s in curve:
        if s is not None and s >= target - 1e-12:
            return t
    return math.inf


def _stats(values, spec=".4f"):
    values = [v for v in values if math.isfinite(v)]
    if not values:
        return "n/a"
    return f"{np.mean(values):{spec}} ± {np.std(values):{spec}}"


def _fmt(value, spec=".4f"):
    return "n/a" if not math.isfinite(value) else format(value, spec)


def _mean(values):
    values = [v for v in values if math.isfinite(v)]
    return float(np.mean(values)) if values else math.nan


def task_tables(task, units, methods):
    """The results table of one task, and per seed what the goals need."""
    lines = [
        "| method | CPU s | evaluations (full budget) | CV @ T (equal CPU) | "
        "CV of final choice | own score - CV | @ T per seed |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    at_t = {}
    for method in methods:
        runs = [u["runs"].get(method) for u in units]
        if not any(runs):
            continue
        errors = sorted({r["error"] for r in runs if r and r["error"]})
        ok = [(u, r) for u, r in zip(units, runs) if r and not r["error"]]
        at_t[method] = [score_at(r["curve"], u["budget_cpu"]) for u, r in ok]
        if not ok:
            lines.append(f"| {LABELS[method]} | failed: {errors[0][:120]} | | | | | |")
            continue
        cpu = _stats([_number(r["cpu"]) for _, r in ok], ".1f")
        evals = np.mean([r["n_evaluations"] for _, r in ok])
        full = np.mean([r["n_full"] for _, r in ok])
        optimism = _mean([_number(r["own_score"]) - _number(r["score"]) for _, r in ok])
        lines.append(
            f"| {LABELS[method]} | {cpu} | {evals:.0f} ({full:.0f}) | "
            f"{_stats(at_t[method])} | {_stats([_number(r['score']) for _, r in ok])}"
            f" | {_fmt(optimism, '+.4f')}"
            f" | {', '.join(_fmt(v, '.3f') for v in at_t[method])} |"
        )
        if errors:
            lines[-1] += f" {len(runs) - len(ok)} seed(s) failed: {errors[0][:80]}"
    return lines, at_t


def goal_rows(task, units, at_t):
    """Goal (a) and (b) rows of one task."""
    rows_a, rows_b = [], []
    for ours in OURS:
        if ours not in at_t or not at_t[ours]:
            rows_a.append(f"| {task.name} | {ours} | all | failed to run | | FAIL |")
            continue
        for peer in PEERS:
            if peer not in at_t or not at_t[peer]:
                continue
            mine, theirs = _mean(at_t[ours]), _mean(at_t[peer])
            wins = sum(a >= b for a, b in zip(at_t[ours], at_t[peer]))
            ok = math.isfinite(mine) and (not math.isfinite(theirs) or mine >= theirs)
            rows_a.append(
                f"| {task.name} | {ours} | {LABELS[peer]} | {_fmt(mine)} vs "
                f"{_fmt(theirs)} ({mine - theirs:+.4f}) | {wins}/{len(at_t[ours])} | "
                f"{'pass' if ok else 'FAIL'} |"
            )
        ratios = []
        for unit in units:
            mine, reference = unit["runs"].get(ours), unit["runs"].get("Random")
            if not mine or mine["error"] or not reference or reference["error"]:
                continue
            target = _number(reference["score"])
            reached = first_reach(mine["curve"], target)
            ratios.append(reached / _number(reference["cpu"]))
        if ratios:
            median = float(np.median(ratios))
            rows_b.append(
                f"| {task.name} | {ours} | "
                + ", ".join("never" if math.isinf(r) else f"{r:.2f}" for r in ratios)
                + f" | {'never' if math.isinf(median) else f'{median:.2f}'} | "
                f"{sum(r <= 0.25 for r in ratios)}/{len(ratios)} | "
                f"{'pass' if median <= 0.25 else 'FAIL'} |"
            )
    return rows_a, rows_b


def plot_task(task, units, methods, path):
    """Each seed's curve (thin) and their mean (thick, to the mean CPU time)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    done = {
        method: [
            u["runs"][method]
            for u in units
            if method in u["runs"] and not u["runs"][method]["error"]
        ]
        for method in methods
    }
    end = max(_number(r["cpu"]) for runs in done.values() for r in runs)
    times = [t for runs in done.values() for r in runs for t, _ in r["curve"]]
    grid = np.unique(np.concatenate([np.linspace(0, end, 500), times]))
    shown = []
    for method, runs in done.items():
        if not runs:
            continue
        per_seed = []
        for run in runs:
            values = np.array([score_at(run["curve"], t) for t in grid])
            per_seed.append(values)  # after its end, a run keeps its choice
            inside = grid <= _number(run["cpu"])
            ax.step(
                grid[inside], values[inside], where="post", color=COLORS[method],
                alpha=0.3, lw=0.8,
            )  # fmt: skip
        mean = np.mean(per_seed, axis=0)  # nan until every seed has a result
        inside = grid <= np.mean([_number(r["cpu"]) for r in runs])
        ax.step(
            grid[inside], mean[inside], where="post", color=COLORS[method], lw=2,
            label=LABELS[method].replace("*", ""),
        )  # fmt: skip
        shown += [v for v in mean[inside] if math.isfinite(v)]
        shown += [score_at(r["curve"], u["budget_cpu"]) for r, u in zip(runs, units)]
    budget = np.mean([u["budget_cpu"] for u in units])
    ax.axvline(budget, color="black", ls="--", lw=1, label="T, the equal CPU budget")
    ax.set_xlabel("CPU seconds of the search")
    ax.set_ylabel("full-budget 3-fold CV accuracy of its choice")
    ax.set_title(
        f"{task.title} on digits, resource {task.resource}; "
        f"mean of {len(units)} seed(s)",
        fontsize=10,
    )
    shown = [v for v in shown if math.isfinite(v)]
    if shown:  # the end of the race; early choices may fall below
        low = np.percentile(shown, 10)
        ax.set_ylim(low - 0.005, max(shown) + 0.003)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _versions():
    names = ["scikit-learn", "numpy", "optuna", "dehb", "torch", "sklearn-tune"]
    out = [f"Python {platform.python_version()}"]
    for name in names:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} not installed")
    return ", ".join(out)


def write_report(data, out_dir, methods):
    tasks = make_tasks(data["quick"])
    lines = [
        "# Multi-fidelity search at equal CPU time",
        "",
        "    " + data["command"],
        "",
        f"Seeds {data['seeds']}; wall time of the run {data['wall']:.0f} s with "
        f"{data['jobs']} task-and-seed runs in parallel; {data['machine']}.",
        f"{data['versions']}; sklearn_tune at {data['commit']}.",
        "",
        "Every method scores on the same `StratifiedKFold(3, shuffle=True, "
        "random_state=0)` of digits, with factor 3, `n_jobs=1` and one thread. "
        "T is the CPU time of `HalvingRandomSearchCV` (which cannot be stopped "
        "part-way) on the same task and seed; Optuna and DEHB stop after the "
        "trial or evaluation that ends past T, ours after the batch that ends "
        "past max(T, R/4), R being random search's CPU time. Scores are "
        "mean 3-fold CV accuracy of each method's choice refitted at full budget "
        "(`cross_val_score`, same folds): **CV @ T** is the choice it had at "
        "CPU time T, **CV of final choice** the one it ended with. "
        "**evaluations**: (candidate, budget) fits of all folds, Optuna's "
        "trials; in brackets those at full budget (Optuna: completed trials). "
        "**own score - CV**: the method's own score of its final choice "
        "(`best_score_`, Optuna's `best_value`...) minus the re-evaluated one; "
        "not 0 where the choice was trained in steps (Optuna's trials; ours, "
        "which continue a promoted candidate's training with `warm_start` "
        "where its estimator allows) and where a score is not reproducible. "
        "mean ± std over seeds. One image of digits more or less right moves "
        "a CV accuracy by 1/1797 = 0.0006. How each method is set up: the "
        "docstring of `benchmarks/bench_fidelity.py`.",
        "",
    ]
    all_a, all_b, notes = [], [], []
    for name, task in tasks.items():
        units = [u for u in data["units"] if u["task"] == name]
        if not units:
            continue
        budgets = " → ".join(map(str, task.budgets()))
        lines += [
            f"## {name}: {task.title}, resource `{task.resource}` ({budgets})",
            "",
            f"T = {_stats([u['budget_cpu'] for u in units], '.1f')} CPU s "
            f"(HalvingRandomSearchCV, n_candidates={task.n_halving}); random "
            f"search: {task.n_random} candidates at full budget. Re-evaluations: "
            f"{sum(u['reevaluations'] for u in units)} configurations, "
            f"{sum(u['reevaluation_cpu'] for u in units):.0f} CPU s (counted for "
            "no one).",
            "",
        ]
        table, at_t = task_tables(task, units, methods)
        lines += table + ["", f"![anytime curves](fidelity_{name}.png)", ""]
        rows_a, rows_b = goal_rows(task, units, at_t)
        all_a += rows_a
        all_b += rows_b
        for unit in units:
            for method, run in unit["runs"].items():
                for note in run["notes"]:
                    if not note.startswith("stopped:") or run["error"]:
                        notes.append(
                            f"- {name}, seed {unit['seed']}, {method}: "
                            + note.strip().splitlines()[-1][:300]
                        )
                if run["error"]:
                    notes.append(
                        f"- {name}, seed {unit['seed']}, {method}: {run['error'][:300]}"
                    )
    passed_a = sum(row.endswith("| pass |") for row in all_a)
    passed_b = sum(row.endswith("| pass |") for row in all_b)
    lines += [
        "## Goals",
        "",
        f"(a) passes in {passed_a} of {len(all_a)} comparisons, (b) in "
        f"{passed_b} of {len(all_b)}.",
        "",
        "(a) At CPU time T, ours' full-budget CV score (mean over seeds) is at "
        "least each peer's. 'seeds' counts the seeds where ours >= the peer.",
        "",
        "| task | ours | peer | CV @ T: ours vs peer | seeds | goal (a) |",
        "| --- | --- | --- | --- | --- | --- |",
        *all_a,
        "",
        "(b) Ours reaches random search's final score (its choice, re-evaluated) "
        "within a quarter of random search's CPU time: the CPU time ours "
        "needed divided by random search's, per seed (never: not within ours' "
        "run, which lasts max(T, R/4)); pass when the median is at most 0.25.",
        "",
        "| task | ours | ratio per seed | median | seeds <= 0.25 | goal (b) |",
        "| --- | --- | --- | --- | --- | --- |",
        *all_b,
        "",
    ]
    if notes:
        lines += ["## Notes", "", *sorted(set(notes)), ""]
    report = "\n".join(lines)
    (out_dir / "fidelity.md").write_text(report)
    for name, task in tasks.items():
        units = [u for u in data["units"] if u["task"] == name]
        if units:
            plot_task(task, units, methods, out_dir / f"fidelity_{name}.png")
    return report


def _commit():
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "sklearn_tune"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (out or "unknown") + (" + uncommitted changes" if dirty else "")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1")
    parser.add_argument("--tasks", nargs="+", choices=["hgb", "mlp", "finetune"])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS)
    parser.add_argument("--jobs", type=int, default=2, help="task-and-seed runs")
    parser.add_argument("--quick", action="store_true", help="smoke run, 1 seed")
    parser.add_argument("--out", help="folder (default benchmarks/results)")
    parser.add_argument("--report-from", help="a fidelity.json: report only")
    args = parser.parse_args(argv)
    methods = [m for m in METHODS if m in args.methods or m == "Halving"]
    if args.report_from:
        data = json.loads(Path(args.report_from).read_text())
        out_dir = Path(args.out or Path(args.report_from).parent)
        out_dir.mkdir(parents=True, exist_ok=True)
        print(write_report(data, out_dir, methods))
        return
    if args.quick:
        args.seeds = 1
    if args.out:
        out_dir = Path(args.out)
    elif args.quick:
        out_dir = Path(tempfile.mkdtemp(prefix="bench_fidelity_"))
    else:
        out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    for variable in THREAD_VARIABLES:  # the workers inherit these
        os.environ[variable] = "1"
    tasks = make_tasks(args.quick)
    names = args.tasks or list(tasks)
    # the longest first: gradient boosting, then the networks
    units = [(tasks[name], seed) for name in names for seed in range(args.seeds)]
    start = time.perf_counter()
    results = Parallel(n_jobs=args.jobs, verbose=10)(
        delayed(run_unit)(task, seed, methods) for task, seed in units
    )
    data = {
        "command": "python "
        + " ".join(shlex.quote(a) for a in [sys.argv[0], *(argv or sys.argv[1:])]),
        "quick": args.quick,
        "seeds": args.seeds,
        "jobs": args.jobs,
        "wall": time.perf_counter() - start,
        "machine": f"{platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} cores, load average at the end "
        + " / ".join(f"{v:.1f}" for v in os.getloadavg()),
        "versions": _versions(),
        "commit": _commit(),
        "units": results,
    }
    (out_dir / "fidelity.json").write_text(json.dumps(data, indent=1) + "\n")
    print(write_report(data, out_dir, methods))
    print(f"\nwritten to {out_dir}")


if __name__ == "__main__":
    main()
