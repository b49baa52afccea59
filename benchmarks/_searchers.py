"""One adapter per searcher: the same task, budget, seed and CV splits for all.

Every adapter runs one search with ``refit=False`` and returns a :class:`Run`:
the candidates it really fitted, in the order it fitted them (a candidate a
searcher proposes again but does not refit counts once), their mean CV scores,
their fit + score times, the search's wall time and, where the searcher can
call back during a search, time marks after each batch or trial.

The budget is a number of fitted candidates. The genetic searchers are given
populations and generations whose budget is exactly that number, a little
slack in generations, and a callback that stops them as soon as they have
fitted that many distinct candidates: a repeated candidate costs nothing and
must not shrink a searcher's budget. Anything a searcher fitted beyond the
budget counts in its time but not in its scores (``Run.best_so_far(k)`` looks
at the first ``k`` candidates only).
"""

from __future__ import annotations

import contextlib
import io
import math
import random
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

import sklearn_tune
from sklearn_tune.callbacks import Callback
from sklearn_tune.exceptions import StopSearch
from sklearn_tune.space import Categorical, Integer

# Model-based searchers: their overhead is measured at longer runs too.
MODEL_BASED = ("BayesSearchCV", "skopt", "Optuna")
POPULATION_SIZE = 10


@dataclass
class Run:
    """What one search fitted, in order."""

    searcher: str
    task: str
    seed: int
    budget: int
    params: list = field(default_factory=list)
    scores: list = field(default_factory=list)  # mean CV score per candidate
    costs: list = field(default_factory=list)  # fit + score seconds per candidate
    wall_time: float = math.nan
    cpu_time: float = math.nan  # CPU seconds of the searching process
    # (wall seconds since start, candidates fitted, CPU seconds since start)
    marks: list = field(default_factory=list)
    error: str | None = None
    note: str = ""
    test_score: float = math.nan

    @property
    def n_evals(self):
        return len(self.scores)

    def best_so_far(self, k):
        """The best CV score among the first ``k`` candidates (all if fewer)."""
        scores = np.asarray(self.scores[:k], dtype=float)
        scores = scores[np.isfinite(scores)]
        return float(scores.max()) if scores.size else math.nan

    def best_params(self, k):
        scores = np.asarray(self.scores[:k], dtype=float)
        scores = np.where(np.isfinite(scores), scores, -np.inf)
        return self.params[int(np.argmax(scores))]

    def overhead(self, k=None, cpu=False):
        """Seconds of the searcher's own time per candidate after ``k`` of them.

        Wall time up to the first time mark at or after ``k`` candidates (the
        whole search when ``k`` is None), minus the fit and score times of the
        candidates fitted by then, divided by their number; None when the run
        has no mark there. With ``cpu=True``: the CPU time of the searching
        process instead, with nothing subtracted, which other jobs on the
        machine barely change; it includes the fits, so it means the searcher's
        own time only for the no-cost estimator of the known-optimum functions.
        """
        if k is None:
            elapsed, n, cpu_elapsed = self.wall_time, self.n_evals, self.cpu_time
        else:
            mark = next((mark for mark in self.marks if mark[1] >= k), None)
            if mark is None:
                return None
            elapsed, n, cpu_elapsed = mark
        if n == 0:
            return None
        if cpu:
            return cpu_elapsed / n
        return (elapsed - float(np.sum(self.costs[:n]))) / n


# -- the space, translated for each searcher ------------------------------------


def _scipy(dim):
    if isinstance(dim, Categorical):
        return list(dim.categories)
    if isinstance(dim, Integer):  # the tasks have no log-scaled integers
        return stats.randint(dim.low, dim.high + 1)
    if dim.log:
        return stats.loguniform(dim.low, dim.high)
    return stats.uniform(dim.low, dim.high - dim.low)


def _skopt(dim):
    from skopt import space

    if isinstance(dim, Categorical):
        return space.Categorical(list(dim.categories))
    cls = space.Integer if isinstance(dim, Integer) else space.Real
    return cls(dim.low, dim.high, prior=dim.prior)


def _genetic_opt(dim):
    from sklearn_genetic import space

    if isinstance(dim, Categorical):
        return space.Categorical(list(dim.categories))
    if isinstance(dim, Integer):
        return space.Integer(dim.low, dim.high)
    distribution = "log-uniform" if dim.log else "uniform"
    return space.Continuous(dim.low, dim.high, distribution=distribution)


def _optuna(dim):
    from optuna import distributions

    if isinstance(dim, Categorical):
        return distributions.CategoricalDistribution(list(dim.categories))
    if isinstance(dim, Integer):
        return distributions.IntDistribution(dim.low, dim.high, log=dim.log)
    return distributions.FloatDistribution(dim.low, dim.high, log=dim.log)


# -- time marks and budget stops --------------------------------------------------


def _now():
    return [time.perf_counter(), time.process_time()]


def _mark(start, n):
    wall, cpu = _now()
    return (wall - start[0], n, cpu - start[1])


class _Marks(Callback):
    """Our searchers' callback: a time mark per batch; stop at ``budget``."""

    def __init__(self, start, marks, budget):
        self.start, self.marks, self.budget = start, marks, budget

    def on_batch_end(self, search, results=None, **kwargs):
        n = len(results["params"])
        self.marks.append(_mark(self.start, n))
        if n >= self.budget:
            raise StopSearch(f"budget of {self.budget} candidates reached")


def _genetic_opt_callback(start, marks, budget):
    from sklearn_genetic.callbacks.base import BaseCallback

    class MarksAndBudget(BaseCallback):
        def on_step(self, record=None, logbook=None, estimator=None):
            n = len(estimator.fitness_cache)
            marks.append(_mark(start, n))
            return n >= budget

    return MarksAndBudget()


# -- reading cv_results_ ----------------------------------------------------------


def _rows(results, n_splits):
    """(params, mean score, fit + score seconds) per row of a ``cv_results_``."""
    return [
        (dict(params), float(score), n_splits * float(fit + score_time))
        for params, score, fit, score_time in zip(
            results["params"],
            results["mean_test_score"],
            results["mean_fit_time"],
            results["mean_score_time"],
        )
    ]


def _unique(rows):
    """The first occurrence of every parameter setting, in order."""
    seen, out = set(), []
    for row in rows:
        key = repr(sorted(row[0].items()))
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


# -- the searchers ----------------------------------------------------------------


def _random(task, budget, seed, cv, n_jobs, start, marks):
    search = RandomizedSearchCV(
        task.make_estimator(),
        {name: _scipy(dim) for name, dim in task.space.items()},
        n_iter=budget,
        cv=cv,
        n_jobs=n_jobs,
        refit=False,
        random_state=seed,
    )
    return search, {}


def _grid(task, budget, seed, cv, n_jobs, start, marks):
    if task.grid is None or task.grid_size() > budget:
        raise _Skip(task.grid_note or f"the grid has more than {budget} points")
    search = GridSearchCV(
        task.make_estimator(), task.grid, cv=cv, n_jobs=n_jobs, refit=False
    )
    return search, {}


def _bayes(task, budget, seed, cv, n_jobs, start, marks):
    search = sklearn_tune.BayesSearchCV(
        task.make_estimator(),
        task.space,
        n_iter=budget,
        cv=cv,
        n_jobs=n_jobs,
        refit=False,
        random_state=seed,
    )
    return search, {"callback": _Marks(start, marks, budget)}


def _genetic(task, budget, seed, cv, n_jobs, start, marks):
    generations = math.ceil(budget / POPULATION_SIZE) - 1
    search = sklearn_tune.GeneticSearchCV(
        task.make_estimator(),
        task.space,
        population_size=POPULATION_SIZE,
        generations=generations + 2,  # slack for repeats; stopped at the budget
        cv=cv,
        n_jobs=n_jobs,
        refit=False,
        random_state=seed,
    )
    return search, {"callback": _Marks(start, marks, budget)}


def _skopt_search(task, budget, seed, cv, n_jobs, start, marks):
    from skopt import BayesSearchCV

    def mark(result):
        marks.append(_mark(start, len(result.x_iters)))
        return False

    search = BayesSearchCV(
        task.make_estimator(),
        {name: _skopt(dim) for name, dim in task.space.items()},
        n_iter=budget,
        cv=cv,
        n_jobs=n_jobs,
        refit=False,
        random_state=seed,
    )
    return search, {"callback": mark}


def _genetic_opt_search(task, budget, seed, cv, n_jobs, start, marks):
    from sklearn_genetic import GASearchCV

    # eaMuPlusLambda breeds 2 * population_size offspring per generation, all
    # new with its default crossover + mutation probabilities (0.2 + 0.8).
    generations = math.ceil((budget - POPULATION_SIZE) / (2 * POPULATION_SIZE))
    search = GASearchCV(
        task.make_estimator(),
        cv=cv,
        param_grid={name: _genetic_opt(dim) for name, dim in task.space.items()},
        population_size=POPULATION_SIZE,
        generations=generations + 2,  # slack for repeats; stopped at the budget
        n_jobs=n_jobs,
        verbose=False,
        refit=False,
    )
    # It draws from the global random and numpy states. Seed them after
    # building it: its Categorical calls random.seed(None) when built.
    random.seed(seed)
    np.random.seed(seed)
    return search, {"callbacks": [_genetic_opt_callback(start, marks, budget)]}


def _optuna_search(task, budget, seed, cv, n_jobs, start, marks, sampler=None):
    import optuna
    from optuna_integration import OptunaSearchCV

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def mark(study, trial):
        marks.append(_mark(start, len(study.trials)))

    study = None
    if sampler is not None:  # OptunaSearchCV's own study is TPE's
        study = optuna.create_study(
            direction="maximize", sampler=getattr(optuna.samplers, sampler)(seed=seed)
        )
    search = OptunaSearchCV(
        task.make_estimator(),
        {name: _optuna(dim) for name, dim in task.space.items()},
        cv=cv,
        n_trials=budget,
        n_jobs=n_jobs,
        refit=False,
        random_state=seed,
        callbacks=[mark],
        study=study,
    )
    return search, {}


def _optuna_gp(task, budget, seed, cv, n_jobs, start, marks):
    # GPSampler needs torch (and greenlet); CmaEsSampler needs cmaes, and
    # samples categorical parameters independently (at random)
    return _optuna_search(task, budget, seed, cv, n_jobs, start, marks, "GPSampler")


def _optuna_cmaes(task, budget, seed, cv, n_jobs, start, marks):
    return _optuna_search(task, budget, seed, cv, n_jobs, start, marks, "CmaEsSampler")


class _Skip(Exception):
    """This searcher does not apply to this task (the reason is the message)."""


SEARCHERS = {
    "RandomizedSearchCV": _random,
    "GridSearchCV": _grid,
    "skopt": _skopt_search,
    "GASearchCV": _genetic_opt_search,
    "Optuna": _optuna_search,
    "OptunaGP": _optuna_gp,
    "OptunaCMA": _optuna_cmaes,
    "BayesSearchCV": _bayes,
    "GeneticSearchCV": _genetic,
}
LABELS = {
    "RandomizedSearchCV": "RandomizedSearchCV",
    "GridSearchCV": "GridSearchCV",
    "skopt": "skopt BayesSearchCV",
    "GASearchCV": "sklearn-genetic-opt GASearchCV",
    "Optuna": "Optuna OptunaSearchCV (TPE)",
    "OptunaGP": "Optuna GPSampler",
    "OptunaCMA": "Optuna CmaEsSampler",
    "BayesSearchCV": "**sklearn_tune BayesSearchCV**",
    "GeneticSearchCV": "**sklearn_tune GeneticSearchCV**",
}


def _fitted_rows(name, search, n_splits):
    if name.startswith("Optuna"):
        return [
            (
                dict(trial.params),
                float(trial.user_attrs["mean_test_score"]),
                n_splits
                * float(
                    trial.user_attrs["mean_fit_time"]
                    + trial.user_attrs["mean_score_time"]
                ),
            )
            for trial in search.trials_
            if "mean_test_score" in trial.user_attrs
        ]
    # sklearn-genetic-opt lists a cached repeat again; the others fit once per row
    return _unique(_rows(search.cv_results_, n_splits))


def run_search(name, task, budget, seed, n_jobs=1, params=None):
    """Run searcher ``name`` on ``task`` with ``budget`` candidates; a :class:`Run`.

    ``params``: set on the search (``set_params``) before it runs."""
    run = Run(searcher=name, task=task.name, seed=seed, budget=budget)
    X_train, X_test, y_train, y_test = task.data()
    cv = task.cv(seed)
    start = [0.0, 0.0]
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            search, fit_kwargs = SEARCHERS[name](
                task, budget, seed, cv, n_jobs, start, run.marks
            )
            if params:
                search.set_params(**params)
            start[:] = _now()
            search.fit(X_train, y_train, **fit_kwargs)
            run.wall_time, run.cpu_time = (
                now - then for now, then in zip(_now(), start)
            )
    except _Skip as skip:
        run.error = f"skipped: {skip}"
        return run
    except ImportError as err:
        run.error = f"not installed: {err}"
        return run
    except Exception as err:  # a peer that does not run here is reported
        run.error = f"failed: {type(err).__name__}: {err}"[:300]
        return run
    n_splits = cv.get_n_splits(X_train, y_train)
    rows = _fitted_rows(name, search, n_splits)
    if len(rows) > budget:
        run.note = f"fitted {len(rows)}, scored the first {budget}"
    for params, score, cost in rows:
        run.params.append(params)
        run.scores.append(score)
        run.costs.append(cost)
    return run
