"""Multi-fidelity: Hyperband brackets of successive halving, run by the loop.

With ``resource`` set, a candidate is first trained on a small budget (a few
``max_iter``, ``n_estimators``, ``max_epochs``... or a subsample of the
rows), and only the best ``1/factor`` of each rung is promoted to a budget
``factor`` times larger, up to ``max_resources``.

The budgets form one ladder, ``max_resources / factor**k`` rounded, from
``min_resources`` (or just above) to ``max_resources`` exactly. Brackets cycle
as Hyperband's do (Li et al., 2018): the first starts its candidates on the
lowest rung and halves most often, the last trains its few candidates at full
budget only, so a low budget that misleads cannot mislead every bracket.

:class:`Hyperband` wraps a strategy and speaks the loop's ask/tell: a batch is
one rung of one bracket, at one budget. The strategy decides what to try (it is
asked ``ask_at(n, budget)`` for a bracket's new candidates, and told every
rung's scores with ``tell_at(candidates, scores, budget, top, last)``); promotion is
successive halving's rule, the best ``1/factor`` of a rung by score, failures
never.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils import resample

from ._fingerprint import describe
from .space import Categorical

_RESOURCE_OPTIONS = "an estimator parameter such as 'max_iter', or 'n_samples'"


@dataclass(frozen=True)
class Ladder:
    """The budgets of a search, lowest first, and how they are bracketed."""

    budgets: tuple[int, ...]
    factor: float

    @classmethod
    def build(cls, min_resources, max_resources, factor):
        s_max = int(math.floor(math.log(max_resources / min_resources, factor) + 1e-9))
        budgets = sorted(
            {max(int(round(max_resources / factor**k)), 1) for k in range(s_max + 1)}
        )
        return cls(tuple(budgets), float(factor))

    @property
    def s_max(self):
        return len(self.budgets) - 1

    def bracket(self, b):
        """The rung at which bracket ``b`` (0, 1, ...) starts its candidates."""
        return b % (self.s_max + 1)

    def n_new(self, start, scale):
        """How many candidates a bracket starting at rung ``start`` takes.

        Hyperband's ``ceil((s_max + 1) / (s + 1) * factor**s)`` for
        ``s = s_max - start`` halvings, scaled so that the first bracket
        (``start=0``) takes ``scale``.
        """
        s = self.s_max - start
        n = scale * (self.s_max + 1) / (s + 1) * self.factor ** (s - self.s_max)
        return max(int(math.ceil(n - 1e-9)), 1)

    def n_promoted(self, n):
        """How many of a rung's ``n`` candidates go on to the next rung."""
        return max(int(n // self.factor), 1)

    def planned(self, scale, max_new=None, max_brackets=None):
        """Evaluations and resources a search with this budget plans to spend."""
        n_evaluations = resources = 0
        for start, n in self._brackets(scale, max_new, max_brackets):
            for budget in self.budgets[start:]:
                n_evaluations += n
                resources += n * budget
                n = self.n_promoted(n)
        return n_evaluations, resources

    def n_brackets(self, scale, max_new=None, max_brackets=None):
        """How many brackets a search with this budget plans to run."""
        return sum(1 for _ in self._brackets(scale, max_new, max_brackets))

    def _brackets(self, scale, max_new, max_brackets):
        """``(first rung, new candidates)`` of each bracket planned."""
        b = started = 0
        while (max_brackets is None or b < max_brackets) and (
            max_new is None or started < max_new
        ):
            start = self.bracket(b)
            n = self.n_new(start, scale)
            if max_new is not None:
                n = min(n, max_new - started)
            started += n
            yield start, n
            b += 1


class _Bracket:
    """One bracket of successive halving under way."""

    def __init__(self, rung):
        self.rung = rung  # index in ladder.budgets of the rung asked last
        self.waiting: list[dict] = []  # promoted, not yet asked at the next rung
        self.pending = True  # its last rung is being fitted


class Hyperband:
    """A strategy run through Hyperband brackets: the loop's ask/tell.

    A batch is one rung of one bracket. Brackets overlap: while a rung is
    being fitted, the next bracket may start (when the loop has room for
    more fits in flight), and a bracket's promoted candidates are asked
    before any new bracket. What is asked depends only on the batches told,
    which the loop tells in the order they were asked, so the search does not
    depend on ``n_jobs`` or on which fit ends first. What a rung promotes
    depends on its own scores only (:meth:`promotions_of`): the loop may start
    those fits before the rung is told, and read them when they are asked.

    Parameters
    ----------
    strategy : object
        Has ``ask_at(n, budget)``, ``tell_at(candidates, scores, budget, top,
        last)`` (``top``: the full budget; ``last``: the bracket ends) and
        ``result()``; candidates are parameter dicts without the resource.
    ladder : Ladder
    scale : int
        New candidates of the first (most aggressive) bracket.
    resource : str or None
        The estimator parameter that carries the budget, added to every
        candidate; None when the budget is the number of samples.
    sign : float
        +1 when a higher score is better.
    max_new, max_brackets : int or None
        The budget: new candidates in all (BayesSearchCV's ``n_iter``), or
        brackets (GeneticSearchCV's ``generations``).
    """

    def __init__(
        self, strategy, ladder, scale, resource, sign, max_new=None, max_brackets=None
    ):
        self.strategy = strategy
        self.ladder = ladder
        self.scale = scale
        self.resource = resource
        self.sign = sign
        self.max_new = max_new
        self.max_brackets = max_brackets
        self.n_started = 0  # new candidates asked so far
        self.n_brackets = 0  # brackets started
        self.brackets: list[_Bracket] = []  # under way, oldest first
        self._asked: list[tuple[_Bracket, int]] = []  # batches not told yet
        self.n_resources = None  # the budget of the batch last asked

    @property
    def between_brackets(self):
        return not self.brackets

    @property
    def waiting(self):
        """Candidates promoted and not yet asked at their next rung."""
        return [c for bracket in self.brackets for c in bracket.waiting]

    def ask(self):
        """The next rung: a bracket's promoted candidates first, else a new
        bracket; None while every bracket waits for a rung being fitted."""
        for bracket in self.brackets:
            if bracket.waiting:
                batch, bracket.waiting = bracket.waiting, []
                bracket.rung += 1
                bracket.pending = True
                return self._asked_at(bracket, batch)
        left = None if self.max_new is None else self.max_new - self.n_started
        if (self.max_brackets is None or self.n_brackets < self.max_brackets) and (
            left is None or left > 0
        ):
            rung = self.ladder.bracket(self.n_brackets)
            n = self.ladder.n_new(rung, self.scale)
            n = n if left is None else min(n, left)
            batch = self.strategy.ask_at(n, self.ladder.budgets[rung])
            if batch:
                self.n_brackets += 1
                self.n_started += len(batch)
                bracket = _Bracket(rung)
                self.brackets.append(bracket)
                return self._asked_at(bracket, batch)
        return None if self._asked else []

    def _asked_at(self, bracket, batch):
        self._asked.append((bracket, bracket.rung))
        self.n_resources = self.ladder.budgets[bracket.rung]
        return [self._with_resource(c) for c in batch]

    def tell(self, candidates, scores):
        """Scores of the oldest batch not told yet."""
        bracket, rung = self._asked.pop(0)
        base = [self._without_resource(c) for c in candidates]
        top = rung == len(self.ladder.budgets) - 1
        promoted = self._promoted(base, scores, rung)
        bracket.waiting, bracket.pending = promoted, False
        if not promoted:
            self.brackets.remove(bracket)
        self.strategy.tell_at(
            base, list(scores), self.ladder.budgets[rung], top=top, last=not promoted
        )

    def _promoted(self, base, scores, rung):
        """Successive halving's rule: the best ``1/factor`` of a rung's
        candidates (without the resource), failures never, each once."""
        if rung == len(self.ladder.budgets) - 1:
            return []
        ranked = sorted(
            (j for j, s in enumerate(scores) if math.isfinite(s)),
            key=lambda j: -self.sign * scores[j],
        )
        promoted, keys = [], set()
        n_next = self.ladder.n_promoted(len(base))
        for j in ranked:
            key = describe(base[j])
            if key not in keys and len(promoted) < n_next:
                promoted.append(base[j])
                keys.add(key)
        return promoted

    def promotions_of(self, k, candidates, scores):
        """The candidates that the ``k``-th batch not yet told (0: the oldest)
        will promote once told, at their next budget, before it is: with
        these ``candidates`` and ``scores``, what :meth:`tell` will put in
        ``waiting``, a function of that rung alone. Empty for a top rung.

        The loop starts their fits early (while older batches still run);
        they are asked, in the same order, when the loop gets there.
        """
        _, rung = self._asked[k]
        base = [self._without_resource(c) for c in candidates]
        promoted = self._promoted(base, scores, rung)
        if not promoted:
            return [], None
        budget = self.ladder.budgets[rung + 1]
        if self.resource is None:
            return promoted, budget
        return [{**c, self.resource: budget} for c in promoted], budget

    def result(self):
        return self.strategy.result()

    def planned(self):
        return self.ladder.planned(self.scale, self.max_new, self.max_brackets)

    def _with_resource(self, candidate):
        if self.resource is None:
            return dict(candidate)
        return {**candidate, self.resource: self.n_resources}

    def _without_resource(self, candidate):
        return {k: v for k, v in candidate.items() if k != self.resource}


class SubsampledCV:
    """A splitter that keeps ``n_resources / n_samples`` of each split's rows.

    Train and test rows are drawn without replacement (as scikit-learn's
    successive halving does with ``resource="n_samples"``), the same rows for
    every candidate at one budget; for a classifier, stratified by class.
    """

    def __init__(self, cv, fraction, random_state, stratify=False):
        self.cv = cv
        self.fraction = fraction
        self.random_state = random_state
        self.stratify = stratify

    def split(self, X, y=None, groups=None):
        labels = np.asarray(y) if self.stratify and y is not None else None
        for k, (train, test) in enumerate(self.cv.split(X, y, groups)):
            yield tuple(
                self._subsample(rows, labels, self.random_state + 2 * k + part)
                for part, rows in enumerate((train, test))
            )

    def _subsample(self, rows, labels, seed):
        n = max(int(self.fraction * len(rows)), 1)
        stratify = None
        if labels is not None and n >= len(np.unique(labels[rows])):
            stratify = labels[rows]  # every class in every subsample
        return np.sort(
            resample(
                rows, replace=False, n_samples=n, random_state=seed, stratify=stratify
            )
        )

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.cv.get_n_splits(X, y, groups)


def _resource_values(search, subspaces, resource):
    """The resource's value in every estimator the search may fit, by name.

    Where the resource belongs to a step that a ``Categorical`` swaps
    (``{'clf': Categorical([rf, et])}`` with ``resource='clf__n_estimators'``),
    every choice must have it; refused before any fit otherwise. The value
    must be an int (or None, such as ``max_depth``): a budget counts.
    """
    name = type(search).__name__
    owner, _, param = resource.rpartition("__")
    estimators = {type(search.estimator).__name__: search.estimator}
    swapped = [
        s.dimensions[owner]
        for s in subspaces
        if owner and isinstance(s.dimensions.get(owner), Categorical)
    ]
    if swapped:
        estimators = {}
        for choices in swapped:
            for choice in choices.categories:
                label = f"the choice {choice!r} of search_spaces[{owner!r}]"
                estimators[label] = choice
                if not hasattr(choice, "get_params") or param not in choice.get_params(
                    deep=True
                ):
                    raise ValueError(
                        f"{name}(resource={resource!r}): {label} has no parameter "
                        f"{param!r}, so it cannot be trained at a budget of "
                        f"{param}. Every choice of search_spaces[{owner!r}] must "
                        f"have it: drop that choice, search it in a sub-space of "
                        f"its own without a resource, or use resource='n_samples', "
                        "which every estimator has."
                    )
        values = {k: v.get_params(deep=True)[param] for k, v in estimators.items()}
    else:
        params = search.estimator.get_params(deep=True)
        if resource not in params:
            raise ValueError(
                f"{name}(resource={resource!r}): the estimator has no parameter "
                f"{resource!r}. The resource must be {_RESOURCE_OPTIONS}; "
                f"{type(search.estimator).__name__} has "
                f"{sorted(k for k, v in params.items() if _is_count(v))}"
                " as integer parameters."
            )
        values = {type(search.estimator).__name__: params[resource]}
    for label, value in values.items():
        if not (value is None or _is_count(value)):
            raise ValueError(
                f"{name}(resource={resource!r}): {label}'s {param} is "
                f"{value!r} ({type(value).__name__}), not an int. The resource is "
                "a budget that grows in whole steps: an integer parameter such "
                "as 'max_iter', 'n_estimators' or 'max_epochs', or 'n_samples'."
            )
    return values


def _is_count(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_resources(search, subspaces, X, y, n_splits):
    """``(resource parameter or None, Ladder)`` of a search; bad input raises.

    Called before any fit.
    """
    name = type(search).__name__
    resource, factor = search.resource, search.factor
    if resource == "n_samples":
        n_samples = X.shape[0] if hasattr(X, "shape") else len(X)
        n_classes = len(np.unique(y)) if is_classifier(search.estimator) else 1
        smallest = 2 * n_splits * n_classes
        auto, auto_means = n_samples, f"the number of samples, {n_samples}"
    else:
        for subspace in subspaces:
            if resource in subspace.dimensions:
                raise ValueError(
                    f"{name}(resource={resource!r}): {resource!r} is also in the "
                    "search space. The search sets the resource itself, rung by "
                    "rung; remove it from search_spaces."
                )
        values = _resource_values(search, subspaces, resource)
        smallest = 1
        auto = next(iter(values.values()))
        auto_means = f"the estimator's {resource}={auto!r}"
        if len({repr(v) for v in values.values()}) > 1 and (
            search.max_resources == "auto"
        ):
            raise ValueError(
                f"{name}(max_resources='auto') takes the estimator's {resource}, "
                f"but the estimators it may fit have different ones: "
                f"{', '.join(f'{k} has {v!r}' for k, v in values.items())}. Pass "
                "max_resources=<int>, the full budget."
            )
    if search.max_resources == "auto":
        max_resources = auto
        if not (isinstance(auto, Integral) and auto >= 1):
            raise ValueError(
                f"{name}(max_resources='auto') takes {auto_means}, which is not "
                "a positive int. Pass max_resources=<int>, the full budget."
            )
    else:
        max_resources = search.max_resources
    if resource == "n_samples" and max_resources > auto:
        raise ValueError(
            f"{name}(max_resources={max_resources}) is more than the "
            f"{auto} samples of X. Pass max_resources='auto' or a smaller int."
        )
    if search.min_resources == "smallest":
        min_resources = min(smallest, max_resources)
    elif search.min_resources == "exhaust":
        # as scikit-learn's: the most rungs the first bracket's candidates
        # can halve through, so that its last rung uses max_resources
        n = search._first_bracket_candidates()
        s = int(math.floor(math.log(max(n, 1), factor) + 1e-9))
        min_resources = min(max(max_resources / factor**s, smallest), max_resources)
    elif search.min_resources > max_resources:
        raise ValueError(
            f"{name}(min_resources={search.min_resources}) is more than "
            f"max_resources={max_resources}: the smallest budget must not exceed "
            "the full one."
        )
    else:
        min_resources = search.min_resources
    ladder = Ladder.build(min_resources, max_resources, factor)
    return (None if resource == "n_samples" else resource), ladder
