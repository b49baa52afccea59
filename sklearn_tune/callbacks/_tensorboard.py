"""Log a search to TensorBoard: a score per candidate, and its hyperparameters."""

from __future__ import annotations

import json
import logging
import math
import os
import time
from contextlib import contextmanager

from .._extras import import_extra
from ._base import Callback, _validate
from ._logging import BestRow, new_rows, readable


def _make_writer(log_dir):
    """A tensorboardX ``SummaryWriter`` writing into ``log_dir``."""
    # imported lazily, as it is optional
    tensorboardX = import_extra("tensorboardX", "tensorboard", "Logging to TensorBoard")
    return tensorboardX.SummaryWriter(log_dir)


def default_log_dir(prefix):
    """``runs/<prefix>-<date>-<time>``, a new folder per run, as TensorBoard's."""
    return os.path.join("runs", f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}")


class TensorBoardLogger(Callback):
    """Log the search to TensorBoard: scores, and each candidate's parameters.

    For each evaluated candidate, in the order of the rows of ``cv_results_``
    (the step), the scalars ``search/score`` (the score the search ranks by:
    ``mean_test_score``, or ``mean_test_<refit>`` with several metrics; left
    out when it is nan, as for a candidate whose fit failed),
    ``search/best_score`` (the best so far) and ``search/failed`` (1 for a
    failed candidate, else 0). When the search ends, the text
    ``search/best_params`` holds the best candidate's parameters (as JSON).
    The HParams tab gets a run per candidate, ``candidate-<row>``, with its
    parameters (estimators and functions as readable text) and the metrics
    ``hparam/score`` (nan when it failed) and ``hparam/fit_time`` (mean
    seconds per fit).

    "Best" is what the search makes ``best_score_`` and ``best_params_``:
    the highest score, the lowest under ``criteria="min"``; with
    multi-fidelity (``resource=...``), among the candidates trained with the
    full budget only, so ``search/best_score`` starts at the first of them
    (a search that ends before any reaches it gets one point, the best at
    the highest budget reached, as its ``best_*`` hold). With a callable
    ``refit``, which chooses ``best_index_`` itself after the search ends,
    the logged best is the best score.

    To log the epochs of the nets a search over :mod:`sklearn_tune.nn`
    estimators trains, pass
    :class:`~sklearn_tune.callbacks.TensorBoardEpochLogger` in the
    estimator's ``callbacks``.

    Writing needs tensorboardX (not PyTorch); view the logs with TensorBoard:
    ``tensorboard --logdir runs``.

    Parameters
    ----------
    log_dir : str, path-like or None, default=None
        Folder of the event files. None: a new folder
        ``runs/<searcher class>-<date>-<time>`` per search. A second search
        logged to the same folder adds its points to the same curves.

    Attributes
    ----------
    log_dir_ : str
        The folder of the last search.
    best_index_ : int or None
        The row of ``cv_results_`` of the best candidate so far (at the end,
        the search's ``best_index_``); None while no candidate counts.
    best_score_ : float or None
        Its score.
    best_params_ : dict or None
        Its parameters.

    See Also
    --------
    TensorBoardEpochLogger : The epochs of each fit of a net, in TensorBoard.
    MLflowLogger : The same search, in MLflow.

    Examples
    --------
    >>> from sklearn_tune.callbacks import TensorBoardLogger
    >>> TensorBoardLogger(log_dir="runs/titanic")
    TensorBoardLogger(log_dir='runs/titanic')
    """

    _parameter_constraints = {"log_dir": [str, os.PathLike, None]}

    def __init__(self, log_dir=None):
        self.log_dir = log_dir

    def on_search_begin(self, search, **kwargs):
        _validate(self)
        if self.log_dir is None:
            self.log_dir_ = default_log_dir(type(search).__name__)
        else:
            self.log_dir_ = os.fspath(self.log_dir)
        self.writer_ = _make_writer(self.log_dir_)
        self.best_so_far_ = BestRow(search)
        self.best_index_ = self.best_score_ = self.best_params_ = None
        self.last_row_ = None  # the last row logged

    def on_batch_end(
        self, search, *, iter, candidates, scores, results, errors=None, **kwargs
    ):
        writer = self.writer_
        for row in new_rows(results, iter, candidates, scores, errors):
            failed = row.error is not None
            if math.isfinite(row.score):
                writer.add_scalar("search/score", row.score, row.index)
            self.best_so_far_.add(row)
            self.last_row_ = row.index
            full = self.best_so_far_.full  # the full budget's best, so far
            if full is not None:
                writer.add_scalar("search/best_score", full.score, row.index)
            writer.add_scalar("search/failed", int(failed), row.index)
            fit_time = results.get("mean_fit_time")
            metrics = {
                "hparam/score": row.score,
                "hparam/fit_time": (
                    math.nan if fit_time is None else float(fit_time[row.index])
                ),
            }
            hparams = {name: _hparam_value(value) for name, value in row.params.items()}
            with _nan_expected():  # a failed candidate's score is nan on purpose
                writer.add_hparams(hparams, metrics, name=f"candidate-{row.index}")
        best = self.best_so_far_.best
        if best is not None:
            self.best_index_, self.best_score_ = best.index, best.score
            self.best_params_ = dict(best.params)
        writer.flush()

    def on_search_end(self, search, **kwargs):
        writer = self.__dict__.pop("writer_", None)
        if writer is None:  # on_search_begin failed
            return
        try:
            best = self.best_so_far_.best
            if best is not None:
                if self.best_so_far_.full is None:
                    # no candidate reached the full budget: the best at the
                    # highest budget reached is the search's best_score_
                    writer.add_scalar("search/best_score", best.score, self.last_row_)
                shown = {name: readable(v) for name, v in best.params.items()}
                writer.add_text("search/best_params", json.dumps(shown), self.last_row_)
        finally:
            writer.close()

    def __repr__(self):
        return f"TensorBoardLogger(log_dir={self.log_dir!r})"


@contextmanager
def _nan_expected():
    """Silence tensorboardX's "NaN or Inf found in input tensor." warning."""
    logger = logging.getLogger("tensorboardX.x2num")
    quiet = _DropNanWarning()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


class _DropNanWarning(logging.Filter):
    def filter(self, record):
        return not record.getMessage().startswith("NaN or Inf found")


def _hparam_value(value):
    """A value TensorBoard's HParams takes: a bool, number or string."""
    value = readable(value)
    return "None" if value is None else value
