"""Bayesian optimisation on scikit-optimize's ``Optimizer``.

The only module that imports scikit-optimize.
"""

from __future__ import annotations

import difflib
import inspect
import math
import warnings
from numbers import Integral

import numpy as np
from skopt import Optimizer
from skopt import space as skopt_space

from ._base import BaseTuneSearchCV
from ._compat import Interval
from ._strategy import _optimize_result
from .space import Categorical, Real, _native

__all__ = ["BayesSearchCV"]

_OPTIMIZER_ARGS = [
    name
    for name in inspect.signature(Optimizer).parameters
    if name not in ("dimensions", "random_state")
]


def _to_skopt(dimension, name):
    """A fresh scikit-optimize dimension: the caller's objects are never touched."""
    if isinstance(dimension, Categorical):
        prior = None if dimension.prior is None else list(dimension.prior)
        return skopt_space.Categorical(list(dimension.categories), prior=prior, name=name)
    cls = skopt_space.Real if isinstance(dimension, Real) else skopt_space.Integer
    return cls(
        dimension.low, dimension.high, prior=dimension.prior, base=dimension.base,
        name=name,
    )


def _check_optimizer_kwargs(optimizer_kwargs):
    kwargs = dict(optimizer_kwargs or {})
    for key in kwargs:
        if key == "dimensions":
            raise ValueError(
                "optimizer_kwargs must not contain 'dimensions': the search space "
                "comes from search_spaces."
            )
        if key not in _OPTIMIZER_ARGS and key != "random_state":
            close = difflib.get_close_matches(key, _OPTIMIZER_ARGS, n=2)
            hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise ValueError(
                f"optimizer_kwargs has unknown key {key!r}.{hint} skopt.Optimizer "
                f"accepts {_OPTIMIZER_ARGS}."
            )
    return kwargs


class _BayesStrategy:
    """Ask/tell over one sub-space with a scikit-optimize ``Optimizer``.

    Scores are maximised; skopt minimises, so they are negated on the way in.
    """

    def __init__(self, dimensions, n_iter, n_points, optimizer_kwargs, random_state):
        self.names = list(dimensions)
        self.n_left = n_iter
        self.n_points = n_points
        kwargs = dict(optimizer_kwargs)
        # skopt keeps every surrogate it ever fitted unless told otherwise
        # (scikit-optimize/scikit-optimize#349): keep the last one only.
        kwargs.setdefault("model_queue_size", 1)
        kwargs["random_state"] = random_state
        dims = [_to_skopt(dim, name) for name, dim in dimensions.items()]
        try:
            self.optimizer = Optimizer(dims, **kwargs)
        except (ValueError, TypeError) as err:
            raise type(err)(
                f"optimizer_kwargs={optimizer_kwargs!r} was refused by "
                f"skopt.Optimizer: {err}"
            ) from err
        self._result = None

    def ask(self):
        if self.n_left <= 0:
            return []
        n = min(self.n_points, self.n_left)
        # One point needs no copy of the optimizer (skopt's ask(n_points=1) refits
        # a copy for its constant-liar strategy).
        points = [self.optimizer.ask()] if n == 1 else self.optimizer.ask(n_points=n)
        return [
            {name: _native(value) for name, value in zip(self.names, point)}
            for point in points
        ]

    def tell(self, candidates, scores):
        self.n_left -= len(candidates)
        told = [
            ([candidate[name] for name in self.names], -score)
            for candidate, score in zip(candidates, scores)
            if math.isfinite(score)
        ]
        if told:
            points, values = map(list, zip(*told))
            self._result = self.optimizer.tell(points, values)

    def result(self):
        if self._result is None:
            return _optimize_result(self.names, [], [])
        return self._result


class BayesSearchCV(BaseTuneSearchCV):
    """Bayesian optimisation over hyperparameters, a drop-in for skopt's.

    Same arguments, defaults and meaning as :class:`skopt.BayesSearchCV`
    (scikit-optimize 0.10): code written for skopt runs after changing only the
    import. It keeps scikit-learn's estimator contract where skopt breaks it:
    ``search_spaces`` is validated in ``fit`` (not in ``__init__``) and the
    caller's dimension objects are copied, never renamed.

    Parameters
    ----------
    estimator : estimator object
        Fitted for each candidate; must have ``score`` unless ``scoring`` is given.
    search_spaces : dict, list of dict or list of (dict, int) pairs
        ``{parameter name: dimension}``; a list searches several sub-spaces one
        after another, each for its own ``n_iter`` when given as a pair. A
        dimension is a ``Real``, ``Integer`` or ``Categorical`` (from
        :mod:`sklearn_tune.space` or :mod:`skopt.space`), a ``(low, high[,
        prior])`` tuple or a list of choices (see :mod:`sklearn_tune.space`).
    optimizer_kwargs : dict, default=None
        Passed to :class:`skopt.Optimizer`: ``base_estimator`` ("GP", "RF",
        "ET", "GBRT" or a regressor), ``acq_func``, ``acq_optimizer``,
        ``n_initial_points``, ``initial_point_generator``, ... One optimizer is
        built per sub-space. Unlike skopt, only the last surrogate model is kept
        unless ``model_queue_size`` says otherwise, so memory stays bounded.
    n_iter : int, default=50
        Candidates per sub-space (unless its pair gives another number).
    scoring, n_jobs, refit, cv, verbose, pre_dispatch, error_score, return_train_score
        As in :class:`~sklearn.model_selection.GridSearchCV`. ``n_jobs=None``
        means one job outside a joblib context, as skopt's default of 1 does.
        With multi-metric scoring, ``refit`` names the metric to maximise.
    fit_params : dict, default=None
        Parameters passed to the estimator's ``fit``; those given to ``fit``
        win. (skopt stores this argument but ignores it.)
    n_points : int, default=1
        Candidates proposed at once and evaluated in parallel. The candidates do
        not depend on ``n_jobs``: the same ``random_state`` gives the same
        search whatever the parallelism.
    iid : str, default="deprecated"
        Ignored, as in skopt; kept so that code passing it still runs.
    random_state : int, RandomState instance or None, default=None
        Seeds the optimizers.
    error_score : "raise" or float, default="raise"
        Score of a candidate whose fit fails (skopt's default is to raise). The
        optimizer is told the worst score seen so far instead, so a NaN or a
        huge negative value never skews its model.

    Attributes
    ----------
    cv_results_, best_estimator_, best_score_, best_params_, best_index_,
    scorer_, n_splits_, refit_time_, multimetric_
        As in :class:`~sklearn.model_selection.GridSearchCV`. ``cv_results_``
        has one more key, ``"iter"``: the batch in which each candidate was
        evaluated. With ``return_train_score``, ``rank_train_*`` keys are added
        as skopt does. A candidate proposed twice is fitted once and has one row.
    optimizer_results_ : list of scipy.optimize.OptimizeResult
        One per sub-space, as skopt returns them (``x`` in sorted name order).
    optimizers_ : list of skopt.Optimizer
        The optimizers, one per sub-space.
    stop_reason_ : str
        Why the search ended ("n_iter reached", or a callback's reason).

    See Also
    --------
    GeneticSearchCV : search with a genetic algorithm.
    sklearn.model_selection.GridSearchCV : exhaustive search over a grid.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from sklearn_tune import BayesSearchCV
    >>> from sklearn_tune.space import Real
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(SVC(), {"C": Real(1e-2, 1e2, prior="log-uniform")},
    ...                        n_iter=4, cv=3, random_state=0).fit(X, y)
    >>> len(search.cv_results_["params"])
    4
    """

    _parameter_constraints: dict = {
        **BaseTuneSearchCV._parameter_constraints,
        "optimizer_kwargs": [dict, None],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "fit_params": [dict, None],
        "n_points": [Interval(Integral, 1, None, closed="left")],
        "iid": "no_validation",
    }

    def __init__(
        self,
        estimator,
        search_spaces,
        optimizer_kwargs=None,
        n_iter=50,
        scoring=None,
        fit_params=None,
        n_jobs=None,
        n_points=1,
        iid="deprecated",
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score="raise",
        return_train_score=False,
    ):
        self.optimizer_kwargs = optimizer_kwargs
        self.n_iter = n_iter
        self.fit_params = fit_params
        self.n_points = n_points
        self.iid = iid
        super().__init__(
            estimator=estimator,
            search_spaces=search_spaces,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            random_state=random_state,
            error_score=error_score,
            return_train_score=return_train_score,
        )

    @property
    def total_iterations(self):
        """Number of candidates a full search evaluates, over all sub-spaces."""
        spaces = self.search_spaces
        if not isinstance(spaces, list):
            spaces = [spaces]
        return sum(
            item[1] if isinstance(item, tuple) and len(item) == 2 else self.n_iter
            for item in spaces
        )

    def _budget(self):
        return self.total_iterations

    def _check_search_params(self, subspaces):
        if self.iid != "deprecated":
            warnings.warn(
                "The `iid` parameter has been deprecated and is ignored.",
                FutureWarning,
                stacklevel=4,
            )
        self.optimizer_kwargs_ = _check_optimizer_kwargs(self.optimizer_kwargs)
        self.optimizers_ = []

    def _make_strategy(self, subspace, random_state):
        n_iter = self.n_iter if subspace.n_iter is None else subspace.n_iter
        strategy = _BayesStrategy(
            subspace.dimensions,
            n_iter,
            self.n_points,
            self.optimizer_kwargs_,
            random_state.randint(np.iinfo(np.int32).max),
        )
        self.optimizers_.append(strategy.optimizer)
        return strategy

    def _run_search(self, evaluate_candidates, callback_ctx=None):
        try:
            super()._run_search(evaluate_candidates, callback_ctx=callback_ctx)
        finally:
            self.optimizer_results_ = [
                opt_result
                for opt_result in (self._subspace_result(o) for o in self.optimizers_)
                if opt_result is not None
            ]

    def _subspace_result(self, optimizer):
        if not optimizer.Xi:
            return None
        from skopt.utils import create_result

        result = create_result(
            optimizer.Xi, optimizer.yi, optimizer.space, models=optimizer.models
        )
        result.specs = optimizer.specs
        return result

    def fit(self, X, y=None, *, groups=None, callback=None, **fit_params):
        super().fit(X, y, groups=groups, callback=callback, **fit_params)
        if self.return_train_score:  # skopt ranks train scores too
            from scipy.stats import rankdata

            for key in [k for k in self.cv_results_ if k.startswith("mean_train_")]:
                name = key[len("mean_train_") :]
                self.cv_results_[f"rank_train_{name}"] = rankdata(
                    -np.asarray(self.cv_results_[key]), method="min"
                ).astype(np.int32)
        return self

    fit.__doc__ = BaseTuneSearchCV.fit.__doc__
