"""Schedules: a probability that changes from one generation to the next.

Pass one as ``crossover_probability`` or ``mutation_probability`` of
:class:`~sklearn_tune.GeneticSearchCV`. A schedule has a ``current_value`` and
a ``step()`` method. The search copies it at the start of every fit, so the
object you pass is never changed and a second fit starts from its initial
value. Before breeding generation ``g`` (``g = 1, 2, ...``; generation 0 is the
random initial population) the search calls ``step()`` once and uses the
value it returns, which is ``f(g - 1)``: generation 1 uses ``initial_value``.
Any object with ``step()`` and ``current_value`` works the same way.
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["Constant", "ExponentialDecay", "InverseDecay"]


def _check_real(name, value, low=None):
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
        raise ValueError(f"{name} must be a real number; got {value!r}.")
    if low is not None and value < low:
        raise ValueError(f"{name} must be at least {low}; got {value!r}.")
    return float(value)


class _Schedule:
    """``current_value`` after ``current_step`` calls of :meth:`step`."""

    def __init__(self, initial_value, end_value, adaptive_rate):
        self.initial_value = _check_real("initial_value", initial_value)
        self.end_value = _check_real("end_value", end_value)
        self.adaptive_rate = _check_real("adaptive_rate", adaptive_rate, low=0)
        self.current_value = self.initial_value
        self.current_step = 0

    def _value(self, step):
        raise NotImplementedError

    def step(self):
        """Move to the next value and return it: the ``k``-th call returns
        ``f(k - 1)``, so the first returns ``initial_value``."""
        self.current_value = self._value(self.current_step)
        self.current_step += 1
        return self.current_value

    def __repr__(self):
        return (
            f"{type(self).__name__}(initial_value={self.initial_value!r}, "
            f"end_value={self.end_value!r}, adaptive_rate={self.adaptive_rate!r})"
        )


class ExponentialDecay(_Schedule):
    """Move from ``initial_value`` towards ``end_value`` exponentially.

    ``f(k) = end_value + (initial_value - end_value) * exp(-adaptive_rate * k)``.

    Parameters
    ----------
    initial_value : float
        The value of the first generation that is bred.
    end_value : float
        The value approached as the generations go by.
    adaptive_rate : float
        How fast the value approaches ``end_value`` (0 keeps it constant).

    Attributes
    ----------
    current_value : float
        The value the last :meth:`step` returned (``initial_value`` before).
    current_step : int
        How many times :meth:`step` was called.

    See Also
    --------
    InverseDecay : A slower, ``1 / k`` decay.
    sklearn_tune.GeneticSearchCV : Takes a schedule as ``crossover_probability``
        or ``mutation_probability``.

    Examples
    --------
    >>> from sklearn_tune.schedules import ExponentialDecay
    >>> schedule = ExponentialDecay(0.8, 0.2, adaptive_rate=0.5)
    >>> [round(schedule.step(), 3) for _ in range(3)]
    [0.8, 0.564, 0.421]
    """

    def _value(self, step):
        return self.end_value + (self.initial_value - self.end_value) * math.exp(
            -self.adaptive_rate * step
        )


class InverseDecay(_Schedule):
    """Move from ``initial_value`` towards ``end_value`` as ``1 / k``.

    ``f(k) = end_value + (initial_value - end_value) / (1 + adaptive_rate * k)``.

    Parameters
    ----------
    initial_value : float
        The value of the first generation that is bred.
    end_value : float
        The value approached as the generations go by.
    adaptive_rate : float
        How fast the value approaches ``end_value`` (0 keeps it constant).

    Attributes
    ----------
    current_value : float
        The value the last :meth:`step` returned (``initial_value`` before).
    current_step : int
        How many times :meth:`step` was called.

    See Also
    --------
    ExponentialDecay : A faster, exponential decay.
    sklearn_tune.GeneticSearchCV : Takes a schedule as ``crossover_probability``
        or ``mutation_probability``.

    Examples
    --------
    >>> from sklearn_tune.schedules import InverseDecay
    >>> schedule = InverseDecay(0.8, 0.2, adaptive_rate=1.0)
    >>> [round(schedule.step(), 3) for _ in range(3)]
    [0.8, 0.5, 0.4]
    """

    def _value(self, step):
        return self.end_value + (self.initial_value - self.end_value) / (
            1 + self.adaptive_rate * step
        )


class Constant(_Schedule):
    """The same value in every generation.

    Parameters
    ----------
    value : float
        The value.

    Attributes
    ----------
    current_value : float
        ``value``.
    current_step : int
        How many times :meth:`step` was called.

    See Also
    --------
    ExponentialDecay, InverseDecay : Values that change over the generations.

    Examples
    --------
    >>> from sklearn_tune.schedules import Constant
    >>> Constant(0.3).step()
    0.3
    """

    def __init__(self, value):
        super().__init__(value, value, 0.0)
        self.value = self.initial_value

    def _value(self, step):
        return self.value

    def __repr__(self):
        return f"Constant({self.value!r})"
