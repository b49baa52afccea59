"""sklearn-genetic-opt's callbacks on the shared search loop.

Such a callback is any object with ``on_step(record, logbook, estimator)``,
recognised by its methods: sklearn-genetic-opt is never imported.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..exceptions import StopSearch
from ._base import Callback

_STATS = ("fitness", "fitness_std", "fitness_max", "fitness_min")


def _is_gso_callback(obj) -> bool:
    """Whether ``obj`` speaks sklearn-genetic-opt's callback protocol."""
    return callable(getattr(obj, "on_step", None))


class _Logbook(list):
    """The part of DEAP's ``Logbook`` that sklearn-genetic-opt's callbacks use.

    For a search without a ``logbook`` of its own (``BayesSearchCV``).
    """

    def __init__(self):
        super().__init__()
        self.chapters: dict[str, _Logbook] = {}

    def record(self, **infos):
        self.append(infos)

    def select(self, *names):
        columns = [[entry.get(name) for entry in self] for name in names]
        return columns[0] if len(names) == 1 else tuple(columns)


class _GSOCallback(Callback):
    """Call a sklearn-genetic-opt callback from the shared loop.

    ``on_start(estimator)`` before the first batch, ``on_step(record, logbook,
    estimator)`` after each batch (a generation of ``GeneticSearchCV``), and
    ``on_end(logbook, estimator)`` at the end; ``estimator`` is the search.
    A search with a ``logbook`` (``GeneticSearchCV``) hands it over, and
    ``record`` is its last entry, the latest ``history_`` record. On any other
    search, ``record`` describes the batch: ``gen`` (its ``iter``) and the
    mean, standard deviation, max and min of its scores (failed candidates
    left out). ``on_step`` returning True stops the search.
    """

    def __init__(self, callback: Any):
        self.callback = callback

    def on_search_begin(self, search, **kwargs):
        self.logbook_ = _Logbook()
        on_start = getattr(self.callback, "on_start", None)
        if on_start is not None:
            on_start(search)

    def on_batch_end(self, search, *, iter, scores, **kwargs):
        logbook = self._logbook(search, iter, scores)
        record = dict(logbook[-1])
        if self.callback.on_step(record, logbook, search):
            raise StopSearch(
                f"{type(self.callback).__name__} returned True after generation "
                f"{record.get('gen', iter)}"
            )

    def on_search_end(self, search, **kwargs):
        on_end = getattr(self.callback, "on_end", None)
        if on_end is not None:
            on_end(self._logbook(search), search)

    def _logbook(self, search, iter=None, scores=None):
        """The search's own logbook, or one record per batch kept here."""
        if hasattr(type(search), "logbook"):
            return search.logbook
        if scores is not None:
            finite = np.array([s for s in scores if math.isfinite(s)], dtype=float)
            stats = (
                (finite.mean(), finite.std(), finite.max(), finite.min())
                if finite.size
                else (math.nan,) * 4
            )
            self.logbook_.record(
                gen=iter,
                nevals=len(scores),
                **{name: float(v) for name, v in zip(_STATS, stats)},
            )
        return self.logbook_
