"""Exceptions and warnings raised by sklearn_tune."""

import functools

__all__ = ["GPUOutOfMemoryError", "SearchWarning", "StopSearch"]


class StopSearch(Exception):
    """Raised by a callback to end a search early; the message is the reason.

    The search keeps everything evaluated so far: ``cv_results_``, ``best_*`` and
    the refit happen as after a full run, and ``stop_reason_`` holds the message.
    Unlike ``KeyboardInterrupt``, it cannot be confused with Ctrl-C.
    """


class SearchWarning(UserWarning):
    """Something about a search a user should know, e.g. an interrupted run."""


class GPUOutOfMemoryError(RuntimeError):
    """A fit ran out of GPU memory; the memory it held has been freed.

    Raised instead of ``torch.cuda.OutOfMemoryError`` once the net has dropped
    its module, optimizer and criterion and emptied PyTorch's CUDA cache. A
    search with a numeric ``error_score`` (``np.nan``: GeneticSearchCV's
    default; BayesSearchCV defaults to ``"raise"``, as skopt does) scores the
    candidate as ``error_score`` and goes on with the next one.
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
