"""Exceptions and warnings raised by sklearn_tune."""

import functools

__all__ = ["GPUOutOfMemoryError", "SearchWarning", "StopSearch"]


class StopSearch(Exception):
    """Raised by a callback to end a search early; the message is the reason.

    The search keeps everything evaluated so far: ``cv_results_``, ``best_*`` and
    the refit happen as after a full run, and ``stop_reason_`` holds the message.
    Unlike ``KeyboardInterrupt``, it cannot be confused with Ctrl-C.

    See Also
    --------
    sklearn_tune.callbacks.Callback : Where to raise it from.
    sklearn_tune.callbacks.DeadlineStopper : Raises it when time is up.

    Examples
    --------
    A callback that ends the search once a candidate reaches a score:

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_tune import GeneticSearchCV
    >>> from sklearn_tune.callbacks import Callback
    >>> from sklearn_tune.exceptions import StopSearch
    >>> from sklearn_tune.space import Integer
    >>> class StopAt(Callback):
    ...     def __init__(self, threshold):
    ...         self.threshold = threshold
    ...
    ...     def on_batch_end(self, search, *, scores, **kwargs):
    ...         if max(scores) >= self.threshold:
    ...             raise StopSearch(f"a candidate scored {max(scores):.2f}")
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GeneticSearchCV(
    ...     DecisionTreeClassifier(random_state=0), {"max_depth": Integer(1, 8)},
    ...     population_size=4, generations=5, cv=3, random_state=0,
    ... ).fit(X, y, callback=StopAt(0.9))
    >>> search.stop_reason_
    'a candidate scored 0.97'
    >>> len(search.cv_results_["params"])  # the first generation only
    4
    """


class SearchWarning(UserWarning):
    """Something about a search a user should know, e.g. an interrupted run.

    A subclass of ``UserWarning``: filter it with the :mod:`warnings` module.

    See Also
    --------
    StopSearch : How a callback ends a search.

    Examples
    --------
    >>> import warnings
    >>> from sklearn_tune.exceptions import SearchWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always", category=SearchWarning)
    ...     warnings.warn("the search was interrupted", SearchWarning)
    >>> [warning.category.__name__ for warning in caught]
    ['SearchWarning']
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", category=SearchWarning)  # silenced
    ...     warnings.warn("the search was interrupted", SearchWarning)
    """


class GPUOutOfMemoryError(RuntimeError):
    """A fit ran out of GPU memory; the memory it held has been freed.

    Raised instead of ``torch.cuda.OutOfMemoryError`` once the net has dropped
    its module, optimizer and criterion and emptied PyTorch's CUDA cache. A
    search with a numeric ``error_score`` (``np.nan``: GeneticSearchCV's
    default; BayesSearchCV defaults to ``"raise"``, as skopt does) scores the
    candidate as ``error_score`` and goes on with the next one.

    See Also
    --------
    sklearn_tune.nn.FineTuneClassifier : A net that raises it.

    Examples
    --------
    A stand-in for a net that runs out of GPU memory when it is deeper than 3:

    >>> import warnings
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_tune import GeneticSearchCV
    >>> from sklearn_tune.exceptions import GPUOutOfMemoryError
    >>> from sklearn_tune.space import Integer
    >>> class SmallGPU(DecisionTreeClassifier):
    ...     def fit(self, X, y):
    ...         if self.max_depth > 3:
    ...             raise GPUOutOfMemoryError("CUDA out of memory (simulated)")
    ...         return super().fit(X, y)
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GeneticSearchCV(
    ...     SmallGPU(random_state=0), {"max_depth": Integer(1, 8)},
    ...     population_size=6, generations=1, cv=3, random_state=0,
    ... )
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # FitFailedWarning: 5 candidates failed
    ...     search = search.fit(X, y)
    >>> search.best_params_
    {'max_depth': 3}
    """


@functools.cache
def _library_dirs():
    import contextlib
    import os

    import joblib
    import sklearn

    import sklearn_tune

    paths = [os.path.dirname(m.__file__) for m in (sklearn_tune, sklearn, joblib)]
    return tuple(os.path.join(p, "") for p in paths) + (contextlib.__file__,)


def _warn(message, category=SearchWarning):
    """Warn at the user's line: the first caller outside sklearn_tune and sklearn.

    A search is fitted through scikit-learn's ``fit`` and joblib, so a fixed
    ``stacklevel`` would point into library code.
    """
    import sys
    import warnings

    libraries = _library_dirs()
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(libraries):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1 if frame else 2)
