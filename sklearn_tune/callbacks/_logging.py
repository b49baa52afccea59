"""What the logging callbacks share: the rows a batch added, the best of them,
readable values."""

from __future__ import annotations

import inspect
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_LENGTH = 250
"""Longer texts are cut to this many characters (an estimator's repr can be long)."""

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_SPACES = re.compile(r"\s+")


@dataclass
class Row:
    """One candidate a batch evaluated: its row of ``cv_results_``."""

    index: int  # the row in ``results``
    params: dict[str, Any]
    score: float  # the score the search ranks by; nan when a fit failed
    error: str | None  # the error text of its first failed fit
    n_resources: int | None = None  # its budget (multi-fidelity); else None


def new_rows(results, iter, candidates, scores, errors) -> list[Row]:
    """The rows of ``results`` that batch ``iter`` added, in order.

    A batch adds a row for each candidate never evaluated before; its score and
    error are those of the first equal candidate of the batch.
    """
    rows = []
    budgets = results.get("n_resources")
    for index in np.flatnonzero(np.asarray(results["iter"]) == iter):
        params = results["params"][index]
        j = next((j for j, c in enumerate(candidates) if _same_params(params, c)), None)
        score = math.nan if j is None else float(scores[j])
        error = None if j is None or errors is None else errors[j]
        budget = None if budgets is None else int(budgets[index])
        rows.append(Row(int(index), params, score, error, budget))
    return rows


class BestRow:
    """The best row so far, chosen as the search chooses ``best_index_``.

    A higher score is better, a lower one under ``criteria="min"``
    (``GeneticSearchCV``); the score itself is never flipped, so a negated
    scorer such as ``neg_mean_squared_error`` ranks as the search ranks it.
    A multi-fidelity search counts only its rows at the full budget
    (``max_resources_``), as its ``best_*`` do; a search that ended before any
    row reached it, the rows at the highest budget reached. Failed rows never
    count, and of equal scores the first row wins.
    """

    def __init__(self, search):
        self.sign = -1.0 if getattr(search, "criteria", "max") == "min" else 1.0
        # set before on_search_begin, and only with resource=...
        self.full_budget = getattr(search, "max_resources_", None)
        self.full = None  # the best row at the full budget (or of all rows)
        self.highest = None  # the best row at the highest budget seen

    def add(self, row: Row) -> None:
        """Count ``row`` (a failed one changes nothing)."""
        if row.error is not None or not math.isfinite(row.score):
            return
        if self.full_budget is None or row.n_resources == self.full_budget:
            if self._better(row, self.full):
                self.full = row
        top = self.highest
        if top is None or (row.n_resources or 0) > (top.n_resources or 0):
            self.highest = row
        elif row.n_resources == top.n_resources and self._better(row, top):
            self.highest = row

    def _better(self, row, other):
        return other is None or self.sign * row.score > self.sign * other.score

    @property
    def best(self) -> Row | None:
        """What the search's ``best_*`` will be: the full-budget best if any."""
        return self.full if self.full is not None else self.highest


def _same_params(a, b) -> bool:
    if a.keys() != b.keys():
        return False
    for name, value in a.items():
        other = b[name]
        if value is other:
            continue
        try:
            if not bool(value == other):
                return False
        except Exception:  # arrays and other values without a plain ==
            return False
    return True


def readable(value: Any) -> bool | int | float | str | None:
    """A number, bool, string or None that shows ``value`` to a reader.

    NumPy scalars become Python numbers; an estimator is its scikit-learn repr
    (``LogisticRegression(C=2.0)``); a function or class is
    ``module.qualname``; anything else its repr, without memory addresses.
    Texts are cut to ``MAX_LENGTH`` characters.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        text = value
    elif inspect.isfunction(value) or inspect.isclass(value):
        text = f"{value.__module__}.{value.__qualname__}"
    else:
        try:
            text = repr(value)
        except Exception:  # a broken repr must not stop the search
            text = f"<{type(value).__name__}>"
        text = _SPACES.sub(" ", _ADDRESS.sub("", text))
    return text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 3] + "..."


def last_line(error: str) -> str:
    """The last non-empty line of an error's text (its type and message)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else str(error)


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (nan included), not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not (
        isinstance(value, (bool, np.bool_))
    )
