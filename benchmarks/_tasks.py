"""The benchmark tasks: known-optimum functions and real tuning problems.

A task is an estimator, a search space (written once with
``sklearn_tune.space``; ``_searchers`` translates it for each peer), a grid of
points inside that space when one fits the budget, the data, and the CV
splitter every searcher shares for a given seed.

Known-optimum functions are tuned through a no-cost estimator: ``fit`` does
nothing and ``score`` is minus the function at the estimator's parameters, so
with ``cv=2`` on four rows of zeros what remains of the wall time is the
searcher's own work, and the best score gives the simple regret directly.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import SVC

from sklearn_tune.space import Categorical, Integer, Real

# -- known-optimum functions ------------------------------------------------------


def branin(x0, x1):
    """Branin-Hoo on [-5, 10] x [0, 15]; minimum 0.397887 at three points."""
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x1 - b * x0**2 + c * x0 - 6) ** 2 + 10 * (1 - t) * math.cos(x0) + 10


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def hartmann6(x0, x1, x2, x3, x4, x5):
    """Hartmann 6-d on [0, 1]^6; minimum -3.32237."""
    x = np.array([x0, x1, x2, x3, x4, x5], dtype=float)
    return float(-_H6_ALPHA @ np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)))


_MIXED_OFFSET = {"adam": 0.0, "sgd": 0.6, "rmsprop": 0.3}
_MIXED_SHIFT = {"adam": 1.5, "sgd": -2.0, "rmsprop": 3.0}


def mixed(x, lr, n, kind):
    """A real, a log-scaled real, an integer and a categorical parameter.

    Each category has its own offset and its own optimum in ``x``, with local
    minima every 2 units of ``x``; the best ``lr`` depends on ``n`` (like a
    learning rate on a batch size). Minimum 0 at kind="adam", x=1.5, n=12,
    lr=10**-2.5.
    """
    d = x - _MIXED_SHIFT[kind]
    return (
        _MIXED_OFFSET[kind]
        + (d / 2) ** 2
        + (1 - math.cos(math.pi * d))
        + (math.log10(lr) + 1 + n / 8) ** 2 / 2
        + ((n - 12) / 6) ** 2
    )


class _Objective(RegressorMixin, BaseEstimator):
    """A no-cost estimator whose score is minus ``function`` at its parameters.

    A regressor, because sklearn-genetic-opt refuses anything else.
    """

    function: Callable[..., float]

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return -type(self).function(**self.get_params())


class BraninObjective(_Objective):
    function = staticmethod(branin)

    def __init__(self, x0=0.0, x1=0.0):
        self.x0, self.x1 = x0, x1


class Hartmann6Objective(_Objective):
    function = staticmethod(hartmann6)

    def __init__(self, x0=0.5, x1=0.5, x2=0.5, x3=0.5, x4=0.5, x5=0.5):
        self.x0, self.x1, self.x2 = x0, x1, x2
        self.x3, self.x4, self.x5 = x3, x4, x5


class MixedObjective(_Objective):
    function = staticmethod(mixed)

    def __init__(self, x=0.0, lr=0.01, n=8, kind="sgd"):
        self.x, self.lr, self.n, self.kind = x, lr, n, kind


# -- tasks ------------------------------------------------------------------------


@dataclass
class Task:
    """One tuning problem, the same for every searcher."""

    name: str
    kind: str  # "function" (known optimum, regret) or "real" (CV accuracy)
    make_estimator: Callable[[], Any]
    space: dict  # {parameter: Real | Integer | Categorical}
    grid: dict | None  # {parameter: values} inside `space`, or None
    grid_note: str = ""  # why there is no grid
    optimum: float | None = None  # minimum of the function ("function" tasks)
    n_splits: int = 2

    def cv(self, seed):
        """The CV splitter every searcher shares for ``seed``."""
        if self.kind == "function":
            return KFold(n_splits=2)
        return StratifiedKFold(n_splits=self.n_splits, shuffle=True, random_state=seed)

    def data(self):
        if self.kind == "function":
            zeros = np.zeros((4, 1))
            return zeros, zeros, np.zeros(4), np.zeros(4)
        return _cached_data(self.name)

    def grid_size(self):
        if self.grid is None:
            return 0
        return math.prod(len(values) for values in self.grid.values())


def _log_grid(low, high, n):
    return [float(v) for v in np.geomspace(low, high, n)]


def _lin_grid(low, high, n):
    return [float(v) for v in np.linspace(low, high, n)]


def _penalty():
    """L1 or L2 in the words this scikit-learn understands (l1_ratio from 1.8)."""
    if LogisticRegression().get_params()["penalty"] == "deprecated":
        return "model__l1_ratio", [0.0, 1.0]
    return "model__penalty", ["l2", "l1"]


def _titanic_pipeline(model):
    from sklearn_tune.datasets import make_titanic_preprocessor

    return Pipeline([("preprocess", make_titanic_preprocessor()), ("model", model)])


def _load_titanic():
    from sklearn_tune.datasets import load_titanic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "OpenML unreachable: bundled copy"
        X, y = load_titanic(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def _load_digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


_LOADERS = {
    "titanic_rf": _load_titanic,
    "titanic_lr": _load_titanic,
    "digits_svm": _load_digits,
}


@cache
def _cached_data(name):
    return _LOADERS[name]()


def digits_svm_pipeline():
    """Pixels scaled to [0, 1], then an SVC: gamma's scale then means the same
    for every kernel, and poly kernels stay well conditioned."""
    return Pipeline([("scale", MinMaxScaler()), ("model", SVC())])


DIGITS_SVM_SPACE = {
    "model__kernel": Categorical(["linear", "poly", "rbf"]),
    "model__gamma": Real(1e-4, 1e1, prior="log-uniform"),
    "model__C": Real(1e-3, 1e3, prior="log-uniform"),
}


def make_tasks():
    """Every task, by name, in report order."""
    penalty_name, penalties = _penalty()
    tasks = [
        Task(
            name="branin",
            kind="function",
            make_estimator=BraninObjective,
            space={"x0": Real(-5.0, 10.0), "x1": Real(0.0, 15.0)},
            grid={"x0": _lin_grid(-5, 10, 7), "x1": _lin_grid(0, 15, 7)},
            optimum=0.397887,
        ),
        Task(
            name="hartmann6",
            kind="function",
            make_estimator=Hartmann6Objective,
            space={f"x{i}": Real(0.0, 1.0) for i in range(6)},
            grid=None,
            grid_note="2 values per dimension already make 64 > 50 points",
            optimum=-3.32237,
        ),
        Task(
            name="mixed",
            kind="function",
            make_estimator=MixedObjective,
            space={
                "x": Real(-5.0, 5.0),
                "lr": Real(1e-4, 1.0, prior="log-uniform"),
                "n": Integer(1, 32),
                "kind": Categorical(["sgd", "adam", "rmsprop"]),
            },
            grid={
                "x": _lin_grid(-4, 4, 4),
                "lr": [1e-3, 1e-1],
                "n": [8, 24],
                "kind": ["sgd", "adam", "rmsprop"],
            },
            optimum=0.0,
        ),
        Task(
            name="titanic_rf",
            kind="real",
            make_estimator=lambda: _titanic_pipeline(
                RandomForestClassifier(random_state=0)
            ),
            space={
                "model__n_estimators": Integer(10, 100),
                "model__max_depth": Integer(2, 20),
                "model__min_samples_leaf": Integer(1, 10),
                "model__max_features": Real(0.1, 1.0),
            },
            grid={
                "model__n_estimators": [30, 100],
                "model__max_depth": [3, 6, 12],
                "model__min_samples_leaf": [1, 5],
                "model__max_features": [0.2, 0.5, 0.8, 1.0],
            },
            n_splits=3,
        ),
        Task(
            name="titanic_lr",
            kind="real",
            make_estimator=lambda: _titanic_pipeline(
                LogisticRegression(solver="liblinear")
            ),
            space={
                "model__C": Real(1e-4, 1e3, prior="log-uniform"),
                penalty_name: Categorical(penalties),
            },
            grid={"model__C": _log_grid(1e-4, 1e3, 24), penalty_name: penalties},
            n_splits=3,
        ),
        Task(
            name="digits_svm",
            kind="real",
            make_estimator=digits_svm_pipeline,
            space=DIGITS_SVM_SPACE,
            grid={
                "model__kernel": ["linear", "poly", "rbf"],
                "model__gamma": _log_grid(1e-4, 1e1, 4),
                "model__C": _log_grid(1e-3, 1e3, 4),
            },
            n_splits=3,
        ),
    ]
    for task in tasks:
        for name, values in (task.grid or {}).items():
            outside = [v for v in values if v not in task.space[name]]
            if outside:
                raise ValueError(f"{task.name}: grid {name}={outside} is off-space")
    return {task.name: task for task in tasks}
