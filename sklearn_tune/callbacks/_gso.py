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
    estimator)`` after each generation, and ``on_end(logbook, estimator)`` at
    the end; ``estimator`` is the search. ``on_step`` returning True stops
    the search.

    A search with a ``logbook`` (``GeneticSearchCV``) hands it over, and
    ``record`` is its last entry, the latest ``history_`` record:
    ``on_step`` is called when a generation is recorded, after each batch,
    or with multi-fidelity (``resource=...``) after each bracket, the
    generation then being the bracket's (its statistics are those of the
    full-budget individuals). On any other search, a record describes a
    batch: ``gen`` (its ``iter``), ``nevals`` (its candidates) and the mean,
    standard deviation, max and min of its scores (failed candidates left
    out); with multi-fidelity, a bracket: ``gen`` counts the brackets,
    ``nevals`` the evaluations of all its rungs, and the statistics are
    those of its full-budget rung (a bracket all of whose candidates fail
    before the full budget makes no record).
    """

    def __init__(self, callback: Any):
        self.callback = callback

    def on_search_begin(self, search, **kwargs):
        self.logbook_ = _Logbook()
        self.n_generations_ = 0  # generations handed to on_step
        self.n_evaluations_ = 0  # evaluations since the last record
        on_start = getattr(self.callback, "on_start", None)
        if on_start is not None:
            on_start(search)

    def on_batch_end(self, search, *, iter, scores, n_resources=None, **kwargs):
        self.n_evaluations_ += len(scores)
        if hasattr(type(search), "logbook"):
            # a rung that does not end a bracket records no generation
            if len(search.__dict__.get("history_", ())) == self.n_generations_:
                return
        elif n_resources is not None and n_resources != search.max_resources_:
            return  # multi-fidelity: a bracket's record is its full-budget rung
        else:
            gen = iter if n_resources is None else len(self.logbook_)
            self.logbook_.record(
                gen=gen, nevals=self.n_evaluations_, **_statistics(scores)
            )
        self.n_generations_ += 1
        self.n_evaluations_ = 0
        logbook = self._logbook(search)
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

    def _logbook(self, search):
        """The search's own logbook, or the records kept here."""
        if hasattr(type(search), "logbook"):
            return search.logbook
        return self.logbook_


def _statistics(scores):
    """Mean, standard deviation, max and min of the scores that are finite."""
    finite = np.array([s for s in scores if math.isfinite(s)], dtype=float)
    stats = (
        (finite.mean(), finite.std(), finite.max(), finite.min())
        if finite.size
        else (math.nan,) * 4
    )
    return {name: float(v) for name, v in zip(_STATS, stats)}
