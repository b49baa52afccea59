"""What the logging callbacks share: the rows a batch added, readable values."""

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
    score: float  # what the search maximises; nan when a fit failed
    error: str | None  # the error text of its first failed fit


def new_rows(results, iter, candidates, scores, errors) -> list[Row]:
    """The rows of ``results`` that batch ``iter`` added, in order.

    A batch adds a row for each candidate never evaluated before; its score and
    error are those of the first equal candidate of the batch.
    """
    rows = []
    for index in np.flatnonzero(np.asarray(results["iter"]) == iter):
        params = results["params"][index]
        j = next((j for j, c in enumerate(candidates) if _same_params(params, c)), None)
        score = math.nan if j is None else float(scores[j])
        error = None if j is None or errors is None else errors[j]
        rows.append(Row(int(index), params, score, error))
    return rows


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
