"""Bayesian optimisation of one sub-space: ask/tell on scikit-optimize.

The optimizer sees a Categorical as the indices of its choices: scikit-optimize
hashes and compares categories, which fails for unhashable choices (a
``class_weight`` dict) and could call an estimator's ``__eq__``. Results shown
to users and callbacks carry the choices themselves.
"""

from __future__ import annotations

import difflib
import inspect
import math
import warnings

import numpy as np
from skopt import Optimizer
from skopt import space as skopt_space
from skopt.utils import create_result

from .._strategy import _optimize_result, condition_roots
from ..space import Categorical, Real, SubSpace, _native
from ._optimizer import _Optimizer

_OPTIMIZER_ARGS = [
    name
    for name in inspect.signature(Optimizer).parameters
    if name not in ("dimensions", "random_state")
]
# Acquisition functions that divide by the evaluation time, which the search
# does not pass to the optimizer.
_PER_SECOND = ("EIps", "PIps")
_INT32_MAX = np.iinfo(np.int32).max


def _to_skopt(dimension, name, indices=False):
    """A fresh scikit-optimize dimension: the caller's objects are never touched.

    With ``indices``, a Categorical becomes the Categorical of its choice indices.
    """
    if isinstance(dimension, Categorical):
        prior = None if dimension.prior is None else list(dimension.prior)
        categories = (
            list(range(len(dimension))) if indices else list(dimension.categories)
        )
        return skopt_space.Categorical(categories, prior=prior, name=name)
    cls = skopt_space.Real if isinstance(dimension, Real) else skopt_space.Integer
    return cls(
        dimension.low,
        dimension.high,
        prior=dimension.prior,
        base=dimension.base,
        name=name,
    )


# A conditional space with more branches than this is searched as a whole
# (each proposal optimises the acquisition once per branch).
_MAX_BRANCHES = 16


def _imputed(dimension):
    """The value an inactive dimension is told at (see ``_complete``)."""
    return (
        dimension.categories[0] if isinstance(dimension, Categorical) else dimension.low
    )


def _branches(dimensions):
    """The branches of a conditional space, as ``_Optimizer.set_branches``
    takes them, or None past ``_MAX_BRANCHES``.

    A branch is one choice of every parent (a Categorical that a condition
    names) that is active: ``{"clf": Categorical(["lr", "svc"]), "kernel":
    Categorical(["rbf", "poly"]).when(clf="svc"), ...}`` has the branches lr,
    svc with rbf, and svc with poly, in the groups (root choices) lr and svc.
    Dimensions are given by their index, and a Categorical's values by the
    choice's index, as the optimizer sees them.
    """
    subspace = SubSpace(dimensions)
    names = list(dimensions)

    def depth(name):
        condition = dimensions[name].condition
        return 0 if condition is None else 1 + depth(condition.parent)

    parents = sorted(
        {d.condition.parent for d in dimensions.values() if d.condition is not None},
        key=lambda name: (depth(name), names.index(name)),
    )
    defaults = {name: _imputed(d) for name, d in dimensions.items()}
    assignments = [{}]
    for parent in parents:  # a parent's own parents are assigned before it
        grown = []
        for assignment in assignments:
            point = {**defaults, **assignment}
            if subspace._is_active(parent, point):
                grown.extend(
                    {**assignment, parent: choice}
                    for choice in dimensions[parent].categories
                )
            else:
                grown.append(assignment)
        assignments = grown
        if len(assignments) > _MAX_BRANCHES:
            return None
    roots = condition_roots(dimensions)
    branches = []
    for assignment in assignments:
        point = {**defaults, **assignment}
        # the root choices it belongs to: the floor against starvation counts
        # per classifier, not per kernel of one of them
        group = tuple(dimensions[name].index(assignment[name]) for name in roots)
        match, fixed = {}, {}
        for i, (name, dimension) in enumerate(dimensions.items()):
            if name in assignment:
                match[i] = fixed[i] = dimension.index(assignment[name])
            elif not subspace._is_active(name, point):
                value = _imputed(dimension)
                fixed[i] = (
                    dimension.index(value)
                    if isinstance(dimension, Categorical)
                    else value
                )
        branches.append((match, fixed, group))
    return branches


def check_optimizer_kwargs(optimizer_kwargs):
    """Validate ``optimizer_kwargs`` before any fit; return a copy."""
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
    if kwargs.get("acq_func") in _PER_SECOND:
        raise ValueError(
            f"optimizer_kwargs['acq_func']={kwargs['acq_func']!r} weighs each point "
            "by the time its evaluation took, which BayesSearchCV does not pass to "
            "the optimizer. Use 'EI', 'PI', 'LCB' or 'gp_hedge' (the default)."
        )
    return kwargs


class _BayesStrategy:
    """Ask/tell over one sub-space with a scikit-optimize ``Optimizer``.

    Scores are maximised; skopt minimises, so they are negated on the way in.
    A failed candidate (score nan) is told as worse than every candidate that
    ran, by the spread of their values, so the surrogate learns to avoid the
    region where fits fail; its value is updated as successes come in.
    """

    # Points asked beyond the initial design before any result is told (a
    # window of batches larger than the design: n_points > 1) are drawn as
    # the design's, not proposed by a model told only lies (see _drawn).
    _DRAW_UNTIL_TOLD = True

    def __init__(self, dimensions, n_iter, n_points, optimizer_kwargs, random_state):
        self.dimensions = dict(dimensions)
        self.subspace = SubSpace(self.dimensions)
        self.names = list(dimensions)
        self.n_left = n_iter
        self.n_points = n_points
        kwargs = dict(optimizer_kwargs)
        # skopt keeps every surrogate it ever fitted unless told otherwise
        # (scikit-optimize/scikit-optimize#349): keep the last one only.
        kwargs.setdefault("model_queue_size", 1)
        kwargs.pop("random_state", None)  # the search's random_state seeds it
        self._kwargs, self._optimizer_kwargs = kwargs, optimizer_kwargs
        self._skopt_dims = [
            _to_skopt(d, name, indices=True) for name, d in dimensions.items()
        ]
        # copies and new models draw their seeds from a stream of their own:
        # the optimizer seeded with random_state draws from another
        self._rng = np.random.RandomState([random_state, 1])
        self.model = self._new_model(random_state)
        self.space, self._shown_as_index = _display_space(self.dimensions)
        self.told_candidates: list[dict] = []
        self.told_scores: list[float] = []
        # multi-fidelity: one model per budget, and every point started
        self._by_budget: dict[int, _Model] = {}
        self._started: list[list] = []
        self._pending: list[list] = []  # points of the batches asked, not told
        self._told_top: set[tuple] = set()  # multi-fidelity: full-budget points

    def _new_model(self, random_state):
        try:
            optimizer = _Optimizer(
                self._skopt_dims, **self._kwargs, random_state=random_state
            )
        except (ValueError, TypeError) as err:
            raise type(err)(
                f"optimizer_kwargs={self._optimizer_kwargs!r} was refused by "
                f"skopt.Optimizer: {err}"
            ) from err
        # Branches of a conditional space can score on very different scales
        # (a narrow good branch among wide mediocre ones): the GP models the
        # ranks' normal scores there, so one branch's bad values cannot
        # flatten the others.
        optimizer._rank_targets = self.subspace.is_conditional
        if optimizer._fast and self.subspace.is_conditional:
            optimizer.set_branches(_branches(self.dimensions))
        return _Model(optimizer)

    @property
    def optimizer(self):
        """The optimizer of the search (with budgets: of the highest one told)."""
        if self._by_budget:
            return self._by_budget[max(self._by_budget)].optimizer
        return self.model.optimizer

    # -- candidate <-> optimizer point ------------------------------------------

    def _complete(self, candidate):
        """The candidate with a fixed value for each inactive parameter.

        The surrogate sees an inactive (conditional) parameter at one imputed
        value, its lower bound or first choice, as SMAC does, so values that
        never reached the estimator do not mislead it.
        """
        return {
            name: candidate[name] if name in candidate else _imputed(d)
            for name, d in self.dimensions.items()
        }

    def _to_point(self, candidate):
        complete = self._complete(candidate)
        return [
            d.index(complete[name]) if isinstance(d, Categorical) else complete[name]
            for name, d in self.dimensions.items()
        ]

    def _to_candidate(self, point):
        return self.subspace.active(
            {
                name: d.categories[int(v)] if isinstance(d, Categorical) else _native(v)
                for (name, d), v in zip(self.dimensions.items(), point)
            }
        )

    @property
    def n_free(self):
        """Initial points not yet told: their choice depends on no result,
        so the search may have them all in flight."""
        optimizer = self.model.optimizer
        return max(0, optimizer.n_initial_points_ - len(optimizer.yi))

    # -- ask / tell -------------------------------------------------------------

    def ask(self):
        """The next ``n_points``, knowing the batches told; the batches asked
        and not yet told are told to a copy of the optimizer as lies."""
        n_pending = sum(map(len, self._pending))
        n = min(self.n_points, self.n_left - n_pending)
        if n <= 0:
            return [] if not n_pending else None
        optimizer = self.optimizer
        in_flight = [p for batch in self._pending for p in batch]
        if in_flight and not optimizer.yi and self._DRAW_UNTIL_TOLD:
            points = self._drawn(optimizer, in_flight, n, in_flight)
            self._pending.append(points)
            return [self._to_candidate(point) for point in points]
        with warnings.catch_warnings():
            # Near the end of a small space skopt warns at every point it has
            # seen; the search loop says once that the space is exhausted.
            warnings.filterwarnings("ignore", "The objective has been evaluated")
            if n_pending:
                optimizer = optimizer.with_pending(
                    in_flight, self._rng.randint(_INT32_MAX)
                )
            # One point needs no copy of the optimizer (skopt's ask(n_points=1)
            # refits a copy for its constant-liar strategy).
            points = [optimizer.ask()] if n == 1 else optimizer.ask(n_points=n)
            if optimizer is not self.optimizer and self.optimizer._fast:
                self.optimizer.adopt_nominees(optimizer)
        points = self._fresh(points, [*optimizer.Xi, *in_flight])
        self._pending.append(points)
        return [self._to_candidate(point) for point in points]

    def _fresh(self, points, seen):
        """``points``, where one is a candidate already told, asked or in this
        batch (a small space near its end; skopt's own fallback, one random
        point, often is too), replaced by a random one that is not, if a few
        draws find one."""
        key = self._key
        seen = {key(p) for p in seen}
        fresh = []
        for point in points:
            for _ in range(20):
                if key(point) not in seen:
                    break
                point = self.optimizer.space.rvs(random_state=self._rng)[0]
            seen.add(key(point))
            fresh.append(point)
        return fresh

    def _key(self, point):
        """Equal for points that make the same candidate."""
        return tuple(self._to_point(self._to_candidate(point)))

    def tell(self, candidates, scores):
        self._pending.pop(0)
        self.n_left -= len(candidates)
        self.told_candidates.extend(candidates)
        self.told_scores.extend(float(s) for s in scores)
        self.model.tell([self._to_point(c) for c in candidates], scores)

    # -- multi-fidelity (through _fidelity.Hyperband) ---------------------------

    def ask_at(self, n, budget):
        """``n`` new candidates for a bracket starting at ``budget``.

        As BOHB does, they come from the model of the highest budget that has
        finished its initial points (before that, from the model with the
        most observations). Points started in other brackets and not yet told
        to that model are told to a copy of it as lies (the best value so far,
        as skopt's ``cl_min``), so a new bracket does not get them again.
        """
        ready = [
            b
            for b, m in self._by_budget.items()
            if len(m.optimizer.yi) >= m.optimizer.n_initial_points_
        ]
        if ready:
            model = self._by_budget[max(ready)]
        elif self._by_budget:
            model = max(self._by_budget.values(), key=lambda m: len(m.optimizer.yi))
        else:
            model = self._by_budget[budget] = self._new_model(
                self._rng.randint(_INT32_MAX)
            )
        optimizer = model.optimizer
        told = {tuple(x) for x in optimizer.Xi}
        pending = [p for p in self._started if tuple(p) not in told]
        if not ready:
            points = self._drawn(optimizer, pending, n, self._started)
            self._started.extend(list(p) for p in points)
            return [self._to_candidate(point) for point in points]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The objective has been evaluated")
            if pending:
                optimizer = optimizer.with_pending(
                    pending, self._rng.randint(_INT32_MAX)
                )
            points = [optimizer.ask()] if n == 1 else optimizer.ask(n_points=n)
            if optimizer is not model.optimizer and model.optimizer._fast:
                model.optimizer.adopt_nominees(optimizer)
        points = self._fresh(points, [*optimizer.Xi, *self._started])
        self._started.extend(list(p) for p in points)
        return [self._to_candidate(point) for point in points]

    def _drawn(self, optimizer, pending, n, started):
        """``n`` candidates while no model has its initial points (multi-
        fidelity) or none was told a result: the rest of the initial design,
        then random points, as BOHB samples while it has no model. A model
        fitted to nothing but the lies told for the points in flight cost
        the search its first second, every worker idle, and knew nothing:
        its proposals went to the edges of the space. ``started``: the
        points a candidate must not repeat, besides those told."""
        n_design = min(n, max(0, optimizer._n_initial_points - len(pending)))
        points = []
        if n_design:
            if pending:  # within the initial points: no model is fitted
                optimizer = optimizer.with_pending(
                    pending, self._rng.randint(_INT32_MAX)
                )
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "The objective has been evaluated")
                points = (
                    [optimizer.ask()]
                    if n_design == 1
                    else optimizer.ask(n_points=n_design)
                )
        if n > n_design:
            points += optimizer.space.rvs(n - n_design, random_state=self._rng)
        return self._fresh(points, [*optimizer.Xi, *started])

    def tell_at(self, candidates, scores, budget, top, last):
        """Scores of candidates trained with ``budget``, told to its own model.

        ``result()`` holds the full-budget ones only: a cheap rung's scores are
        not comparable with them.
        """
        if top:  # a candidate asked twice (brackets in flight) is one row
            for candidate, score in zip(candidates, scores):
                key = tuple(self._to_point(candidate))
                if key not in self._told_top:
                    self._told_top.add(key)
                    self.told_candidates.append(candidate)
                    self.told_scores.append(float(score))
        model = self._by_budget.get(budget)
        if model is None:
            model = self._by_budget[budget] = self._new_model(
                self._rng.randint(_INT32_MAX)
            )
        model.tell([self._to_point(c) for c in candidates], scores)

    def result(self):
        """skopt's result of the points told, as values of the choices."""
        return _optimize_result(
            self.names,
            [self._display_candidate(c) for c in self.told_candidates],
            self.told_scores,
            self.space,
            models=self.optimizer.models,
            specs=self.optimizer.specs,
        )

    def optimize_result(self):
        """The ``OptimizeResult`` skopt's BayesSearchCV keeps per sub-space.

        Failed candidates carry the value the optimizer was told. None when
        nothing was told.
        """
        optimizer = self.optimizer
        if not optimizer.Xi:
            return None
        x_iters = [self._display_point(self._to_candidate(x)) for x in optimizer.Xi]
        result = create_result(
            x_iters, optimizer.yi, self.space, models=optimizer.models
        )
        result.specs = optimizer.specs
        return result

    def _display_candidate(self, candidate):
        return dict(zip(self.names, self._display_point(candidate)))

    def _display_point(self, candidate):
        candidate = self._complete(candidate)
        return [
            self.dimensions[name].index(candidate[name])
            if name in self._shown_as_index
            else candidate[name]
            for name in self.names
        ]


class _Model:
    """One optimizer, and the failed candidates it was told.

    A failed candidate (score nan) is told as worse than every candidate that
    ran, by the spread of their values, so the surrogate learns to avoid the
    region where fits fail; its value is updated as successes come in.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self._failed: list[int] = []  # positions in optimizer.yi
        self._ran: list[float] = []  # values told for candidates that ran

    def tell(self, points, scores):
        optimizer = self.optimizer
        values = [-s if math.isfinite(s) else math.nan for s in scores]
        self._ran.extend(v for v in values if not math.isnan(v))
        penalty = self._penalty()
        for position in self._failed:  # re-valued as successes come in
            optimizer.yi[position] = penalty
        start = len(optimizer.yi)
        self._failed.extend(start + j for j, v in enumerate(values) if math.isnan(v))
        values = [penalty if math.isnan(v) else v for v in values]
        optimizer.tell(points, values)

    def _penalty(self):
        """The value told for a failed candidate: worse than all that ran."""
        if not self._ran:
            return 0.0  # all failed so far: one flat value, nothing to prefer
        worst, best = max(self._ran), min(self._ran)
        spread = worst - best
        return worst + (spread if spread > 0 else max(abs(worst), 1.0))


def _display_space(dimensions):
    """The sub-space as skopt shows it, and the names shown as choice indices.

    A Categorical shows its choices where skopt can hold them, else (for
    unhashable choices, such as dicts) their indices.
    """
    dims, as_index = [], set()
    for name, dimension in dimensions.items():
        try:
            dims.append(_to_skopt(dimension, name))
        except TypeError:
            dims.append(_to_skopt(dimension, name, indices=True))
            as_index.add(name)
    return skopt_space.Space(dims), as_index
