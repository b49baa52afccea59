"""Exceptions and warnings raised by sklearn_tune."""

__all__ = ["StopSearch", "SearchWarning"]


class StopSearch(Exception):
    """Raised by a callback to end a search early; the message is the reason.

    The search keeps everything evaluated so far: ``cv_results_``, ``best_*`` and
    the refit happen as after a full run, and ``stop_reason_`` holds the message.
    Unlike ``KeyboardInterrupt``, it cannot be confused with Ctrl-C.
    """


class SearchWarning(UserWarning):
    """Something about a search a user should know, e.g. an interrupted run."""
