"""The callback protocol of the shared search loop."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._compat import validate_parameter_constraints
from ..exceptions import StopSearch

__all__ = ["Callback"]


class Callback:
    """Base class of search callbacks; every hook is optional.

    Pass callbacks to ``fit(X, y, callback=...)``. Every hook receives the search
    and keyword arguments, and should accept ``**kwargs`` so that new arguments
    can be added later. Raise :class:`~sklearn_tune.exceptions.StopSearch` from a
    hook to end the search early.

    State that belongs to one search ends with ``_`` and is reset in
    :meth:`on_search_begin`.

    See Also
    --------
    DeadlineStopper, EarlyStopping : Callbacks that end a search.
    ProgressBar, MLflowLogger, TensorBoardLogger : Callbacks that report on one.

    Examples
    --------
    A callback that keeps the best score of every batch (a generation of a
    genetic search):

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_tune import GeneticSearchCV
    >>> from sklearn_tune.callbacks import Callback
    >>> from sklearn_tune.space import Integer
    >>> class BestPerBatch(Callback):
    ...     def on_search_begin(self, search, **kwargs):
    ...         self.best_ = []
    ...
    ...     def on_batch_end(self, search, *, scores, **kwargs):
    ...         self.best_.append(round(max(scores), 3))
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GeneticSearchCV(
    ...     DecisionTreeClassifier(random_state=0), {"max_depth": Integer(1, 8)},
    ...     population_size=4, generations=2, cv=3, random_state=0,
    ... )
    >>> recorder = BestPerBatch()
    >>> search = search.fit(X, y, callback=recorder)
    >>> recorder.best_
    [0.967, 0.973]
    """

    def on_search_begin(self, search, **kwargs):
        """Called once before the first batch; ``n_candidates`` in ``kwargs`` is
        the number of candidates the search expects to evaluate at most, and
        ``n_resources`` the resources it plans to spend (multi-fidelity; else
        None): the sum of ``n_resources`` over the rows of ``cv_results_``."""

    def on_batch_begin(self, search, **kwargs):
        """Called before a batch is evaluated: ``iter`` and ``candidates``.

        Batches overlap: the search asks the next batch while this one is
        being fitted, so ``on_batch_begin`` of batch ``iter + 1`` may come
        before ``on_batch_end`` of batch ``iter``. ``on_batch_end`` comes in
        the order of ``iter``, after the batch's own ``on_batch_begin``; a
        batch dropped because the search stopped gets no ``on_batch_end``.
        """

    def on_batch_end(self, search, **kwargs):
        """Called after a batch: ``iter``, ``candidates``, ``scores`` (one per
        candidate, higher is better unless the search has ``criteria="min"``,
        ``nan`` for a candidate whose fit failed),
        ``errors`` (one per candidate: None, or the error text of its first
        failed fit), ``results`` (the ``cv_results_`` so far, one row per
        evaluated candidate in order, with the batch in ``"iter"``) and
        ``result`` (a callable returning the current sub-space's search as a
        scikit-optimize ``OptimizeResult``: a failed candidate's ``func_vals``
        entry is ``inf``) and ``n_resources`` (the budget every candidate of
        the batch was trained with, multi-fidelity; else None)."""

    def on_search_end(self, search, **kwargs):
        """Called once after the last batch, also when the search was stopped:
        ``stop_reason`` is why it ended (``stop_reason_`` of the search)."""


def _validate(callback):
    """Check a callback's parameters against its ``_parameter_constraints``."""
    constraints = getattr(callback, "_parameter_constraints", {})
    validate_parameter_constraints(
        constraints,
        {name: getattr(callback, name) for name in constraints},
        caller_name=type(callback).__name__,
    )


class _EndSubspace(StopSearch):
    """A scikit-optimize callback returned True: end the current sub-space."""


class _SkoptCallback(Callback):
    """Adapt a plain callable ``f(result) -> bool`` as scikit-optimize calls it.

    As in :class:`skopt.BayesSearchCV`, it is called after every batch with the
    current sub-space's ``OptimizeResult``; returning True ends that sub-space.
    With multi-fidelity, after every batch at the full budget, and the result
    holds the full-budget candidates only.
    """

    def __init__(self, func: Callable[[Any], Any]):
        self.func = func

    def on_batch_end(self, search, *, result, n_resources=None, **kwargs):
        if n_resources is not None and n_resources != search.max_resources_:
            return
        if self.func(result()):
            name = getattr(self.func, "__name__", type(self.func).__name__)
            raise _EndSubspace(f"callback {name} returned True")


class _CallbackList:
    """Call each hook of every callback, in order."""

    def __init__(self, callbacks: Any = None):
        from ._gso import _GSOCallback, _is_gso_callback  # _gso imports Callback

        if callbacks is None:
            callbacks = []
        elif (
            isinstance(callbacks, Callback)
            or callable(callbacks)
            or _is_gso_callback(callbacks)
        ):
            callbacks = [callbacks]
        elif not isinstance(callbacks, Iterable):
            raise TypeError(
                f"callback must be a Callback, a callable f(result) -> bool, or a "
                f"list of them; got {callbacks!r} ({type(callbacks).__name__})."
            )
        checked = []
        for callback in callbacks:
            if isinstance(callback, Callback):
                checked.append(callback)
            elif _is_gso_callback(callback):  # before callable: theirs are too
                checked.append(_GSOCallback(callback))
            elif callable(callback):
                checked.append(_SkoptCallback(callback))
            else:
                raise TypeError(
                    f"callback entries must be Callback objects, callables "
                    f"f(result) -> bool or sklearn-genetic-opt callbacks; got "
                    f"{callback!r} ({type(callback).__name__})."
                )
        self.callbacks = checked

    def on_search_begin(self, search, **kwargs):
        for callback in self.callbacks:
            callback.on_search_begin(search, **kwargs)

    def on_batch_begin(self, search, **kwargs):
        for callback in self.callbacks:
            callback.on_batch_begin(search, **kwargs)

    def on_batch_end(self, search, **kwargs):
        for callback in self.callbacks:
            callback.on_batch_end(search, **kwargs)

    def on_search_end(self, search, **kwargs):
        for callback in self.callbacks:
            callback.on_search_end(search, **kwargs)
