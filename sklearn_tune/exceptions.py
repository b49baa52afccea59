"""Exceptions and warnings raised by sklearn_tune."""

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
