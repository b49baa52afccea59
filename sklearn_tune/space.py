"""Search-space dimensions shared by every searcher.

A dimension is a value object: validated when built, compared by value, and
turned into plain JSON by :meth:`Dimension.to_dict`. It holds backend-neutral
facts (bounds, log scale, choices and a map onto ``[0, 1]``) that each strategy
translates into its own engine's terms.

``search_spaces`` accepts the forms :class:`skopt.BayesSearchCV` accepts:

- a dict ``{parameter name: dimension}``;
- a list of such dicts, or of ``(dict, n_iter)`` pairs, for sub-spaces searched
  one after the other;

where a dimension is a :class:`Real`, :class:`Integer` or :class:`Categorical`
(ours or scikit-optimize's), a ``(low, high)``, ``(low, high, prior)`` or
``(low, high, "log-uniform", base)`` tuple, or a list of choices. Tuples and
lists are read exactly as scikit-optimize 0.10 reads them, so that code moved
from skopt searches the same space: in particular a list of two numbers such as
``[0.1, 10]`` is a *range*, not two choices (with a warning, as in skopt). Say
what you mean with :class:`Real`, :class:`Integer` and :class:`Categorical`.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import math
import numbers
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import clone

from ._fingerprint import describe
from .exceptions import _warn

__all__ = [
    "Categorical",
    "Condition",
    "Dimension",
    "Integer",
    "Real",
    "SubSpace",
    "check_dimension",
    "check_search_space",
]

_PRIORS = ("uniform", "log-uniform")


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(
        value, (bool, np.bool_)
    )


def _native(value):
    """Return ``value`` as a plain Python object (NumPy scalars unwrapped)."""
    return value.item() if isinstance(value, np.generic) else value


class Condition(NamedTuple):
    """When a dimension is active: its ``parent`` takes one of ``values``.

    Built by :meth:`Dimension.when`.

    Parameters
    ----------
    parent : str
        Name of a :class:`Categorical` dimension of the same search space.
    values : tuple
        The parent's choices for which the dimension is active.

    See Also
    --------
    Dimension.when : Make a dimension conditional.

    Examples
    --------
    >>> from sklearn_tune.space import Real
    >>> condition = Real(0.5, 0.99).when(optimizer=["momentum", "nesterov"]).condition
    >>> condition
    Condition(parent='optimizer', values=('momentum', 'nesterov'))
    >>> condition.parent
    'optimizer'
    """

    parent: str
    values: tuple


class Dimension:
    """Base class of the search-space dimensions.

    See Also
    --------
    Real, Integer, Categorical : The dimensions to build.
    check_dimension : Turn a tuple, a list or a scikit-optimize dimension into one.

    Examples
    --------
    >>> from sklearn_tune.space import Dimension, Real
    >>> dimension = Real(0.1, 10.0, prior="log-uniform")
    >>> isinstance(dimension, Dimension)
    True
    >>> data = dimension.to_dict()
    >>> data["type"], data["prior"]
    ('Real', 'log-uniform')
    >>> Dimension.from_dict(data) == dimension
    True
    """

    condition: Condition | None = None

    def when(self, **condition) -> Dimension:
        """A copy of this dimension, active only when another one takes given values.

        The other dimension (the parent) must be a :class:`Categorical` of the
        same search space. While the condition does not hold, the parameter is
        left out of the candidate (the estimator's own default applies) and
        ``cv_results_`` shows it masked; candidates that differ only in
        inactive parameters are the same candidate.

        Parameters
        ----------
        **condition : one ``parent=values`` pair
            The parent's name and the value, or list of values, for which this
            dimension is active.

        Examples
        --------
        >>> from sklearn_tune.space import Categorical, Real
        >>> space = {
        ...     "optimizer": Categorical(["sgd", "momentum", "adam"]),
        ...     "momentum": Real(0.5, 0.99).when(optimizer="momentum"),
        ...     "beta1": Real(0.8, 0.99).when(optimizer=["adam"]),
        ... }
        >>> space["momentum"].condition
        Condition(parent='optimizer', values=('momentum',))
        """
        if len(condition) != 1:
            raise TypeError(
                f"when() takes one parent=values pair; got {sorted(condition)}. "
                "Example: Real(0.5, 0.99).when(optimizer=['momentum', 'nesterov'])."
            )
        ((parent, values),) = condition.items()
        if isinstance(values, (str, bytes)) or not isinstance(
            values, (list, tuple, set, frozenset)
        ):
            values = [values]
        if not values:
            raise ValueError(
                f"when({parent}=[]): give at least one value of {parent!r} for "
                "which the dimension is active."
            )
        new = copy.copy(self)
        new.condition = Condition(parent, tuple(_native(v) for v in values))
        return new

    def to_unit(self, value) -> float:
        """Map a value of this dimension into ``[0, 1]``."""
        raise NotImplementedError

    def from_unit(self, unit: float):
        """Map a number in ``[0, 1]`` (clipped) back to a value of the dimension."""
        raise NotImplementedError

    def __contains__(self, value) -> bool:
        raise NotImplementedError

    def distance(self, a, b) -> float:
        """Distance between two values, as scikit-optimize measures it."""
        raise NotImplementedError

    @property
    def size(self) -> float:
        """Number of distinct values (``inf`` for a real range)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """Return the dimension as a JSON-ready dict (see :meth:`from_dict`)."""
        raise NotImplementedError

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Dimension:
        """Build a dimension from the output of :meth:`to_dict`."""
        kinds = {"Real": Real, "Integer": Integer, "Categorical": Categorical}
        data = dict(data)
        kind = data.pop("type", None)
        if kind not in kinds:
            raise ValueError(
                f"Unknown dimension type {kind!r}; expected one of {sorted(kinds)}."
            )
        condition = data.pop("condition", None)
        dimension = kinds[kind](**data)
        if condition is not None:
            dimension = dimension.when(**{condition["parent"]: condition["values"]})
        return dimension

    def _key(self):
        raise NotImplementedError

    def _condition_key(self):
        if self.condition is None:
            return None
        return (self.condition.parent, tuple(repr(v) for v in self.condition.values))

    def _condition_dict(self):
        if self.condition is None:
            return {}
        return {
            "condition": {
                "parent": self.condition.parent,
                "values": [_jsonable(v) for v in self.condition.values],
            }
        }

    def _condition_repr(self):
        if self.condition is None:
            return ""
        values = list(self.condition.values)
        return f".when({self.condition.parent}={values!r})"

    def __eq__(self, other):
        return (
            type(self) is type(other)
            and self._key() == other._key()
            and self._condition_key() == other._condition_key()
        )

    def __hash__(self):
        return hash((type(self).__name__, repr(self._key()), self._condition_key()))


class _Numeric(Dimension):
    _kind = "number"

    def __init__(self, low, high, prior="uniform", base=10, name=None):
        check = _is_integer if isinstance(self, Integer) else _is_number
        kind = type(self).__name__
        for label, value in (("low", low), ("high", high)):
            if not check(value):
                raise TypeError(
                    f"{kind}({label}={value!r}): {label} must be {self._kind}; "
                    f"got {type(value).__name__}."
                )
            if not math.isfinite(value):
                raise ValueError(
                    f"{kind}({label}={value!r}): bounds must be finite numbers."
                )
        if not low < high:
            raise ValueError(
                f"{kind}(low={low!r}, high={high!r}): low must be smaller than "
                f"high. For a single fixed value use Categorical([{low!r}])."
            )
        if prior not in _PRIORS:
            raise ValueError(
                f"{kind}(prior={prior!r}): prior must be one of {list(_PRIORS)}."
            )
        if prior == "log-uniform" and low <= 0:
            raise ValueError(
                f"{kind}(low={low!r}, high={high!r}, prior='log-uniform'): a "
                "log-uniform prior needs low > 0. Use prior='uniform' or shift "
                "the range above zero."
            )
        if not _is_number(base) or base <= 1:
            raise ValueError(f"{kind}(base={base!r}): base must be a number > 1.")
        cast = int if isinstance(self, Integer) else float
        self.low = cast(low)
        self.high = cast(high)
        self.prior = prior
        self.base = _native(base)
        self.name = name

    @property
    def log(self) -> bool:
        """Whether values are spread on a log scale."""
        return self.prior == "log-uniform"

    def _warp(self, value):
        return math.log(value) if self.log else float(value)

    def _unwarp(self, value):
        return math.exp(value) if self.log else value

    def __contains__(self, value):
        return _is_number(value) and self.low <= value <= self.high

    def distance(self, a, b):
        return abs(a - b)

    @property
    def size(self):
        return self.high - self.low + 1 if isinstance(self, Integer) else math.inf

    def to_dict(self):
        return {
            "type": type(self).__name__,
            "low": self.low,
            "high": self.high,
            "prior": self.prior,
            "base": self.base,
            "name": self.name,
            **self._condition_dict(),
        }

    def _key(self):
        return (self.low, self.high, self.prior, self.base, self.name)

    def __repr__(self):
        extra = "" if self.prior == "uniform" else f", prior={self.prior!r}"
        extra += "" if self.base == 10 else f", base={self.base!r}"
        extra += "" if self.name is None else f", name={self.name!r}"
        return (
            f"{type(self).__name__}({self.low!r}, {self.high!r}{extra})"
            + self._condition_repr()
        )


class Real(_Numeric):
    """A real-valued dimension ``low <= x <= high``.

    Parameters
    ----------
    low, high : float
        Bounds, both included; ``low < high``.
    prior : {"uniform", "log-uniform"}, default="uniform"
        How values are spread. ``"log-uniform"`` needs ``low > 0``.
    base : float, default=10
        Logarithm base, kept for scikit-optimize compatibility (the
        log-uniform distribution does not depend on it).
    name : str, default=None
        Optional label; the search space's key is what names the parameter.

    Examples
    --------
    >>> from sklearn_tune.space import Real
    >>> Real(1e-3, 1e3, prior="log-uniform").from_unit(0.5)
    1.0
    """

    _kind = "a real number"

    def to_unit(self, value):
        lo, hi = self._warp(self.low), self._warp(self.high)
        return min(max((self._warp(value) - lo) / (hi - lo), 0.0), 1.0)

    def from_unit(self, unit):
        unit = min(max(float(unit), 0.0), 1.0)
        lo, hi = self._warp(self.low), self._warp(self.high)
        value = self._unwarp(lo + unit * (hi - lo))
        return min(max(value, self.low), self.high)


class Integer(_Numeric):
    """An integer dimension ``low <= x <= high``.

    Parameters
    ----------
    low, high : int
        Bounds, both included; ``low < high``.
    prior : {"uniform", "log-uniform"}, default="uniform"
        How values are spread. ``"log-uniform"`` needs ``low > 0``.
    base : float, default=10
        Logarithm base, kept for scikit-optimize compatibility.
    name : str, default=None
        Optional label.

    Examples
    --------
    >>> from sklearn_tune.space import Integer
    >>> [Integer(1, 3).from_unit(u) for u in (0.0, 0.5, 1.0)]
    [1, 2, 3]
    """

    _kind = "an integer"

    def __contains__(self, value):
        return _is_number(value) and value == int(value) and super().__contains__(value)

    # Each integer owns an equal share of [0, 1] (of the log axis for a log
    # prior), so a uniform draw in [0, 1] gives every value its fair chance.
    def to_unit(self, value):
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high + 1)
            unit = (math.log(value + 0.5) - lo) / (hi - lo)
        else:
            unit = (value - self.low + 0.5) / (self.high - self.low + 1)
        return min(max(unit, 0.0), 1.0)

    def from_unit(self, unit):
        unit = min(max(float(unit), 0.0), 1.0)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high + 1)
            value = math.floor(math.exp(lo + unit * (hi - lo)))
        else:
            value = math.floor(self.low + unit * (self.high - self.low + 1))
        return int(min(max(value, self.low), self.high))


class Categorical(Dimension):
    """A dimension whose values are a list of choices.

    Parameters
    ----------
    categories : sequence
        The choices, any Python objects (estimators included); not empty.
    prior : sequence of float, default=None
        Probability of each choice for strategies that sample; uniform if None.
    name : str, default=None
        Optional label.

    Examples
    --------
    >>> from sklearn_tune.space import Categorical
    >>> Categorical(["linear", "rbf"]).from_unit(0.9)
    'rbf'
    """

    def __init__(self, categories, prior=None, name=None):
        if isinstance(categories, (str, bytes)) or not hasattr(categories, "__iter__"):
            raise TypeError(
                f"Categorical(categories={categories!r}): categories must be a "
                f"list of choices; got {type(categories).__name__}. Wrap a single "
                f"value in a list: Categorical([{categories!r}])."
            )
        categories = tuple(_native(c) for c in categories)
        if not categories:
            raise ValueError(
                "Categorical(categories=[]): give at least one choice, e.g. "
                "Categorical(['a', 'b'])."
            )
        if prior is not None:
            prior = tuple(float(p) for p in prior)
            if len(prior) != len(categories) or any(p < 0 for p in prior):
                raise ValueError(
                    f"Categorical(prior={list(prior)}): give one non-negative "
                    f"probability per category ({len(categories)} categories)."
                )
            if not math.isclose(sum(prior), 1.0, rel_tol=1e-6):
                raise ValueError(
                    f"Categorical(prior={list(prior)}): probabilities must sum "
                    f"to 1; they sum to {sum(prior):g}."
                )
        self.categories = categories
        self.prior = prior
        self.name = name

    def index(self, value) -> int:
        """Position of ``value`` among the categories."""
        for i, category in enumerate(self.categories):
            if category is value:
                return i
        for i, category in enumerate(self.categories):
            try:
                if bool(category == value) and type(category) is type(value):
                    return i
            except Exception:  # objects whose == is not a plain bool
                continue
        for i, category in enumerate(self.categories):
            try:
                if bool(category == value):
                    return i
            except Exception:
                continue
        # A copy of a choice (``clone`` deep-copies a search's space, so an
        # estimator named in a condition is no longer the one in the choices):
        # the same class with the same parameters.
        wanted = describe(value)
        for i, category in enumerate(self.categories):
            if type(category) is type(value) and describe(category) == wanted:
                return i
        raise ValueError(f"{value!r} is not one of {list(self.categories)}.")

    def __contains__(self, value):
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def to_unit(self, value):
        return (self.index(value) + 0.5) / len(self.categories)

    def distance(self, a, b):
        return 0.0 if self.index(a) == self.index(b) else 1.0

    @property
    def size(self):
        return len(self.categories)

    def from_unit(self, unit):
        unit = min(max(float(unit), 0.0), 1.0)
        return self.categories[min(int(unit * len(self.categories)), len(self) - 1)]

    def __len__(self):
        return len(self.categories)

    def to_dict(self):
        return {
            "type": "Categorical",
            "categories": [_jsonable(c) for c in self.categories],
            "prior": None if self.prior is None else list(self.prior),
            "name": self.name,
            **self._condition_dict(),
        }

    def _key(self):
        return (tuple(repr(c) for c in self.categories), self.prior, self.name)

    def __repr__(self):
        extra = "" if self.prior is None else f", prior={list(self.prior)}"
        extra += "" if self.name is None else f", name={self.name!r}"
        return f"Categorical({list(self.categories)!r}{extra})" + self._condition_repr()


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


class SubSpace(NamedTuple):
    """One sub-space of a search, as :func:`check_search_space` returns it.

    Parameters
    ----------
    dimensions : dict of str to Dimension
        The dimensions, keyed by parameter name, in sorted order.
    n_iter : int or None, default=None
        The number given in a ``(dict, n_iter)`` pair, or None where the
        searcher's own budget applies.

    See Also
    --------
    check_search_space : Build the sub-spaces from ``search_spaces``.

    Examples
    --------
    >>> from sklearn_tune.space import Categorical, Integer, SubSpace
    >>> subspace = SubSpace({"degree": Integer(2, 4), "kernel": Categorical(["poly"])})
    >>> subspace.size
    3
    >>> subspace.n_iter is None
    True
    """

    dimensions: dict[str, Dimension]
    n_iter: int | None = None

    @property
    def size(self) -> float:
        """Number of distinct candidates (``inf`` when a dimension is real).

        Candidates that differ only in inactive (conditional) parameters count
        once.
        """
        sizes = [d.size for d in self.dimensions.values()]
        total = math.prod(sizes)
        if not self.is_conditional or total == math.inf or total > 100_000:
            return total
        names = list(self.dimensions)
        grids = [
            d.categories if isinstance(d, Categorical) else range(d.low, d.high + 1)
            for d in self.dimensions.values()
        ]
        return len(
            {
                tuple(sorted(self.active(dict(zip(names, values))).items(), key=str))
                for values in itertools.product(*grids)
            }
        )

    @property
    def is_conditional(self) -> bool:
        return any(d.condition is not None for d in self.dimensions.values())

    def active(self, point: Mapping[str, Any]) -> dict[str, Any]:
        """``point`` without the parameters whose condition does not hold."""
        if not self.is_conditional:
            return dict(point)
        return {
            name: value for name, value in point.items() if self._is_active(name, point)
        }

    def _is_active(self, name, point):
        condition = self.dimensions[name].condition
        if condition is None:
            return True
        parent = self.dimensions[condition.parent]
        if not self._is_active(condition.parent, point):
            return False
        index = parent.index(point[condition.parent])
        return any(parent.index(v) == index for v in condition.values)

    def distance(self, a, b) -> float:
        """Distance between two points (value lists in name order), as skopt's."""
        return sum(d.distance(x, y) for d, x, y in zip(self.dimensions.values(), a, b))


def _check_conditions(dimensions, where):
    """Refuse a condition on a missing or non-Categorical parent, before any fit."""
    for name, dimension in dimensions.items():
        condition = dimension.condition
        if condition is None:
            continue
        label = f"{where}[{name!r}] is active when {condition.parent!r} is in " + (
            f"{list(condition.values)!r}"
        )
        parent = dimensions.get(condition.parent)
        if parent is None:
            raise ValueError(
                f"{label}, but {where} has no {condition.parent!r}. Add "
                f"{condition.parent!r} as a Categorical of the same dict, or drop "
                "the condition."
            )
        if not isinstance(parent, Categorical):
            raise ValueError(
                f"{label}, but {where}[{condition.parent!r}] is {parent!r}, not a "
                "Categorical. A condition's parent must be a Categorical."
            )
        missing = [v for v in condition.values if v not in parent]
        if missing:
            raise ValueError(
                f"{label}, but {missing!r} are not choices of "
                f"{where}[{condition.parent!r}] = {parent!r}."
            )
        seen, current = {name}, condition.parent
        while dimensions[current].condition is not None:
            current = dimensions[current].condition.parent
            if current in seen:
                raise ValueError(
                    f"{label}, and the conditions of {sorted(seen)} form a cycle: "
                    "each parent must be active on its own terms."
                )
            seen.add(current)


def _from_skopt(dimension):
    """Copy a scikit-optimize dimension into ours (never modifying it)."""
    kind = type(dimension).__name__
    if kind == "Categorical":
        prior = getattr(dimension, "prior", None)
        return Categorical(list(dimension.categories), prior=prior)
    cls = Real if kind == "Real" else Integer
    return cls(
        _native(dimension.low),
        _native(dimension.high),
        prior=getattr(dimension, "prior", "uniform") or "uniform",
        base=getattr(dimension, "base", 10),
    )


def _is_skopt_dimension(value):
    module = type(value).__module__ or ""
    return module.startswith("skopt.") and type(value).__name__ in (
        "Real",
        "Integer",
        "Categorical",
    )


def _describe(value):
    return f"{value!r} ({type(value).__name__})"


def _from_tuple_rules(dimension, where):
    """Read a tuple, list or array as scikit-optimize 0.10 reads it."""
    values = list(dimension)
    n = len(values)
    if n == 0:
        raise ValueError(
            f"{where} is empty. Give a Categorical of choices, e.g. ['a', 'b'], "
            "or a range such as Real(0.1, 10)."
        )
    if n == 1:
        return Categorical(values)
    lows_highs = values[:2]
    ints = all(_is_integer(v) for v in lows_highs)
    reals = all(_is_number(v) for v in lows_highs)
    if n == 2:
        if any(isinstance(v, (str, bool, np.bool_)) for v in values):
            return Categorical(values)
        if ints:
            return Integer(int(values[0]), int(values[1]))
        if reals:
            return Real(float(values[0]), float(values[1]))
        raise ValueError(
            f"{where} = {_describe(dimension)} mixes types skopt cannot read as "
            "a range. Use Categorical([...]) for choices or Real(low, high) for "
            "a range."
        )
    if n == 3 and values[2] in _PRIORS and (ints or reals):
        cls = Integer if ints else Real
        return cls(*lows_highs, prior=values[2])
    if (
        n == 4
        and values[2] == "log-uniform"
        and _is_integer(values[3])
        and (ints or reals)
    ):
        cls = Integer if ints else Real
        return cls(*lows_highs, prior="log-uniform", base=values[3])
    return Categorical(values)


def _is_scipy_distribution(value):
    module = type(value).__module__ or ""
    return module.startswith("scipy.stats") and hasattr(value, "rvs")


def _range_or_distribution_hint(value):
    """How a ``range`` or a scipy.stats distribution is shown, and what to
    write instead: a dimension with the same values, bounds and prior."""
    if isinstance(value, range):
        if not value:
            return f"{value!r}, which is empty", (
                "Give the values to search: Integer(low, high) for the integers "
                "low to high, or Categorical([...]) for choices."
            )
        choices = f"Categorical(list({value!r}))"
        if abs(value.step) != 1:
            return repr(value), f"Write {choices} to search its values."
        low, high = min(value), max(value)
        return repr(value), (
            f"Write Integer({low}, {high}) for the integers {low} to {high} (a "
            f"range leaves out its stop, Integer includes its high), or "
            f"{choices} to search them as unordered choices."
        )
    distribution = getattr(value, "dist", None)
    if distribution is None:  # scipy.stats.uniform itself, not uniform(a, b)
        return f"scipy.stats.{getattr(value, 'name', type(value).__name__)}", (
            "It is not frozen (no bounds given), and sklearn_tune searches "
            "bounded dimensions, not distributions: write Real(low, high) or "
            "Integer(low, high) with the bounds to search, e.g. "
            "Real(1e-3, 1e3, prior='log-uniform') for a scale."
        )
    args = [repr(_native(a)) for a in value.args]
    args += [f"{k}={_native(v)!r}" for k, v in value.kwds.items()]
    given = f"scipy.stats.{distribution.name}({', '.join(args)})"
    discrete = hasattr(distribution, "pmf")
    cls = Integer if discrete else Real
    low, high = (_native(bound) for bound in value.support())
    if not (math.isfinite(low) and math.isfinite(high)):
        return given, (
            f"It is unbounded, and sklearn_tune searches between bounds, not "
            f"from distributions: write {cls.__name__}(low, high) with the "
            f"bounds to search, e.g. {cls.__name__}(1, 1000, "
            "prior='log-uniform') for a scale."
        )
    log = distribution.name in ("loguniform", "reciprocal")
    try:
        if discrete:
            suggested = Integer(int(low), int(high))
        else:
            prior = "log-uniform" if log else "uniform"
            suggested = Real(float(low), float(high), prior=prior)
    except ValueError:  # bounds that no dimension takes (a shifted log scale)
        return given, (
            f"sklearn_tune searches dimensions, not distributions: write "
            f"{cls.__name__}(low, high) with the bounds to search."
        )
    same = "the same bounds" + ("" if discrete else " and prior")
    if not (discrete or log or distribution.name == "uniform"):
        same = (
            f"its bounds, searched uniformly; the shape of {distribution.name} "
            "is not kept"
        )
    return given, (
        f"sklearn_tune searches dimensions, not distributions: write "
        f"{suggested!r} instead: {same}."
    )


def check_dimension(dimension, *, name="dimension"):
    """Validate one dimension description and return a :class:`Dimension`.

    Parameters
    ----------
    dimension : Dimension, skopt dimension, tuple, list or array
        See the module docstring for the accepted forms.
    name : str, default="dimension"
        How to name the dimension in error messages, e.g. ``"search_spaces['C']"``.

    Returns
    -------
    Dimension
        A new object: the caller's dimension objects are never modified.

    See Also
    --------
    check_search_space : Check a whole search space.

    Examples
    --------
    >>> from sklearn_tune.space import check_dimension
    >>> check_dimension((1e-3, 1e3, "log-uniform"))
    Real(0.001, 1000.0, prior='log-uniform')
    >>> check_dimension((1, 5))
    Integer(1, 5)
    >>> check_dimension(["linear", "rbf"])
    Categorical(['linear', 'rbf'])
    """
    if isinstance(dimension, Dimension):
        return dimension
    try:
        return _check_dimension(dimension, name)
    except (TypeError, ValueError) as err:
        if str(err).startswith(name):
            raise
        raise type(err)(f"{name} = {_describe(dimension)}: {err}") from err


def _check_dimension(dimension, name):
    if _is_skopt_dimension(dimension):
        return _from_skopt(dimension)
    if isinstance(dimension, range) or _is_scipy_distribution(dimension):
        given, hint = _range_or_distribution_hint(dimension)
        raise TypeError(
            f"{name} must be a Real, Integer or Categorical dimension, a "
            f"(low, high[, prior]) tuple or a list of values; got {given}. {hint}"
        )
    if not isinstance(dimension, (list, tuple, np.ndarray)):
        raise (TypeError if not isinstance(dimension, str) else ValueError)(
            f"{name} must be a Real, Integer or Categorical dimension, a "
            f"(low, high[, prior]) tuple or a list of values; got "
            f"{_describe(dimension)}. Wrap single values in a list: [{dimension!r}]."
        )
    result = _from_tuple_rules(dimension, name)
    if (
        not isinstance(dimension, tuple)
        and len(dimension) >= 2
        and not isinstance(result, Categorical)
    ):
        _warn(
            f"{name} = {list(dimension)!r} is read as {result!r}, a range, as "
            "scikit-optimize reads a list of numbers. Write "
            f"Categorical({list(dimension)!r}) for a choice between these values, "
            f"or {result!r} to keep the range and silence this warning.",
            UserWarning,
        )
    return result


def _check_subspace(subspace, where):
    if not isinstance(subspace, Mapping):
        raise TypeError(
            f"{where} must be a dict of {{parameter name: dimension}} or a "
            f"(dict, n_iter) pair; got {_describe(subspace)}. Example: "
            "{'C': Real(1e-3, 1e3, prior='log-uniform')}."
        )
    if not subspace:
        raise ValueError(
            f"{where} is an empty dict; name at least one parameter to search, "
            "e.g. {'C': Real(0.1, 10)}."
        )
    dimensions = {}
    for key in sorted(subspace):
        if not isinstance(key, str):
            raise TypeError(
                f"{where} has key {_describe(key)}; parameter names must be str."
            )
        dimensions[key] = check_dimension(subspace[key], name=f"{where}[{key!r}]")
    _check_conditions(dimensions, where)
    return dimensions


def check_search_space(search_spaces, estimator=None, *, name="search_spaces"):
    """Validate ``search_spaces`` and return a list of :class:`SubSpace`.

    Parameters
    ----------
    search_spaces : dict or list of dict or (dict, int) pairs
        See the module docstring.
    estimator : estimator, default=None
        When given, every parameter name must be settable on it (nested names
        such as ``clf__C`` included); unknown names are refused with the closest
        valid names suggested.
    name : str, default="search_spaces"
        The argument's name in error messages.

    Returns
    -------
    list of SubSpace
        One per sub-space, in the order given.

    See Also
    --------
    check_dimension : Check one dimension.

    Examples
    --------
    >>> from sklearn.svm import SVC
    >>> from sklearn_tune.space import check_search_space
    >>> subspaces = check_search_space(
    ...     [({"C": (0.1, 10.0, "log-uniform")}, 5), {"kernel": ["linear", "rbf"]}],
    ...     SVC(),
    ... )
    >>> [(list(subspace.dimensions), subspace.n_iter) for subspace in subspaces]
    [(['C'], 5), (['kernel'], None)]

    A name the estimator does not have is refused:

    >>> check_search_space({"gama": (0.1, 1.0)}, SVC())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: search_spaces names parameter 'gama', ... Did you mean 'gamma'? ...
    """
    if isinstance(search_spaces, Mapping):
        items = [search_spaces]
        label = [name]
    elif isinstance(search_spaces, (list, tuple)) and not (
        isinstance(search_spaces, tuple)
        and len(search_spaces) == 2
        and isinstance(search_spaces[0], Mapping)
    ):
        items = list(search_spaces)
        label = [f"{name}[{i}]" for i in range(len(items))]
    else:
        raise TypeError(
            f"{name} must be a dict {{parameter name: dimension}} or a list of "
            f"such dicts or (dict, n_iter) pairs; got {_describe(search_spaces)}."
        )
    if not items:
        raise ValueError(
            f"{name} is an empty list; give at least one dict, e.g. "
            "[{'C': Real(0.1, 10)}]."
        )
    subspaces = []
    for item, where in zip(items, label):
        n_iter = None
        if isinstance(item, tuple):
            if len(item) != 2:
                raise ValueError(
                    f"{where} = {_describe(item)} must be a (dict, n_iter) pair."
                )
            item, n_iter = item
            if not _is_integer(n_iter) or n_iter < 0:
                raise ValueError(
                    f"{where} has n_iter={n_iter!r}; it must be a non-negative "
                    "int, e.g. ({'C': Real(0.1, 10)}, 20)."
                )
            n_iter = int(n_iter)
        dimensions = _check_subspace(item, where)
        if estimator is not None:
            _check_names(dimensions, estimator, where)
        subspaces.append(SubSpace(dimensions, n_iter))
    return subspaces


def _try_set(estimator, params):
    try:  # clone the values too: a Categorical's estimators are the user's own
        clone(estimator).set_params(**clone(params, safe=False))
    except (ValueError, AttributeError, TypeError, KeyError):
        return False
    return True


def _check_names(dimensions, estimator, where):
    """Refuse parameter names that ``estimator.set_params`` does not accept."""
    for key, dimension in dimensions.items():
        # A sub-space may swap a step (``{'model': Categorical([SVC()]),
        # 'model__C': ...}``); check a nested name against the swapped-in choices.
        parents = [p for p in dimensions if key.startswith(p + "__")]
        parent = max(parents, key=len) if parents else None
        sample = _sample(dimension)
        if parent is None:
            trials = [{key: sample}]
        else:
            trials = [
                {parent: choice, key: sample}
                for choice in (
                    dimensions[parent].categories
                    if isinstance(dimensions[parent], Categorical)
                    else [_sample(dimensions[parent])]
                )
            ]
        if any(_try_set(estimator, trial) for trial in trials):
            if parent is not None and isinstance(dimensions[parent], Categorical):
                _check_every_choice(dimensions, key, parent, estimator, where)
            continue
        try:
            valid = sorted(estimator.get_params(deep=True))
        except Exception:  # not a scikit-learn estimator: nothing to suggest
            valid = []
        close = difflib.get_close_matches(key, valid, n=3, cutoff=0.6)
        hint = (
            f" Did you mean {' or '.join(repr(c) for c in close)}?"
            if close
            else f" Valid names include {valid[:12]}."
            if valid
            else ""
        )
        raise ValueError(
            f"{where} names parameter {key!r}, which "
            f"{type(estimator).__name__} does not have.{hint} "
            "Nested parameters are written step__param, e.g. 'clf__C' for a "
            "Pipeline step named 'clf'."
        )


def _check_every_choice(dimensions, key, parent, estimator, where):
    """Refuse a nested name that a choice it is active for does not have.

    ``{'clf': Categorical([rf, mlp]), 'clf__max_depth': Integer(2, 8)}`` would
    fail every MLP fit; ``.when(clf=[rf])`` says what is meant.
    """
    dimension, choices = dimensions[key], dimensions[parent]
    active = [
        choice
        for choice in choices.categories
        if _can_be_active(dimensions, key, parent, choices.index(choice))
    ]
    sample = _sample(dimension)
    lacking = [c for c in active if not _try_set(estimator, {parent: c, key: sample})]
    if not lacking:
        return
    having = [c for c in choices.categories if c not in lacking]
    names = ", ".join(_choice_name(c) for c in having)
    unconditional = repr(dimension).removesuffix(dimension._condition_repr())
    raise ValueError(
        f"{where}[{key!r}] is active for the choice {lacking[0]!r} of "
        f"{where}[{parent!r}], which has no parameter {key[len(parent) + 2 :]!r}, "
        "so every fit with it would fail. Make it active only for the choices "
        f"that have it: {where}[{key!r}] = {unconditional}.when({parent}=[{names}]) "
        f"(the objects of the Categorical), or drop {key!r}."
    )


def _can_be_active(dimensions, key, parent, index):
    """Whether ``key`` can be active while ``parent`` takes its choice ``index``.

    Follows the chain of conditions: ``clf__degree`` active when
    ``clf__kernel="poly"``, itself active when ``clf=svc``, is never active
    with another ``clf``.
    """
    name, seen = key, set()
    while name not in seen:
        seen.add(name)
        condition = dimensions[name].condition
        if condition is None:
            return True
        if condition.parent == parent:
            choices = dimensions[parent]
            return any(choices.index(v) == index for v in condition.values)
        name = condition.parent
    return True


def _choice_name(choice):
    """A choice as a user wrote it: an estimator by its class, a value by repr."""
    if hasattr(choice, "get_params"):
        return f"<your {type(choice).__name__}>"
    return repr(choice)


def _sample(dimension):
    if isinstance(dimension, Categorical):
        return dimension.categories[0]
    return dimension.low
