"""Log a search to TensorBoard: a score per candidate, and its hyperparameters."""

from __future__ import annotations

import math
import os
import time

from ._base import Callback, _validate
from ._logging import new_rows, readable


def _make_writer(log_dir):
    """A tensorboardX ``SummaryWriter`` writing into ``log_dir``."""
    try:
        from tensorboardX import SummaryWriter  # imported lazily, as it is optional
    except ImportError as err:
        raise ImportError(
            "Logging to TensorBoard needs tensorboardX: pip install tensorboardX "
            "(or sklearn-tune[tensorboard])."
        ) from err
    return SummaryWriter(log_dir)


def default_log_dir(prefix):
    """``runs/<prefix>-<date>-<time>``, a new folder per run, as TensorBoard's."""
    return os.path.join("runs", f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}")


class TensorBoardLogger(Callback):
    """Log the search to TensorBoard: scores, and each candidate's parameters.

    For each evaluated candidate, in the order of the rows of ``cv_results_``
    (the step), the scalars ``search/score`` (the score the search maximises:
    ``mean_test_score``, or ``mean_test_<refit>`` with several metrics; left
    out when it is nan, as for a candidate whose fit failed),
    ``search/best_score`` (the best so
    far) and ``search/failed`` (1 for a failed candidate, else 0). The HParams
    tab gets a run per candidate, ``candidate-<row>``, with its parameters
    (estimators and functions as readable text) and the metrics
    ``hparam/score`` (nan when it failed) and ``hparam/fit_time`` (mean
    seconds per fit).

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
        self.best_score_ = -math.inf

    def on_batch_end(
        self, search, *, iter, candidates, scores, results, errors=None, **kwargs
    ):
        writer = self.writer_
        for row in new_rows(results, iter, candidates, scores, errors):
            failed = row.error is not None
            if math.isfinite(row.score):
                writer.add_scalar("search/score", row.score, row.index)
                self.best_score_ = max(self.best_score_, row.score)
            if math.isfinite(self.best_score_):
                writer.add_scalar("search/best_score", self.best_score_, row.index)
            writer.add_scalar("search/failed", int(failed), row.index)
            fit_time = results.get("mean_fit_time")
            metrics = {
                "hparam/score": row.score,
                "hparam/fit_time": (
                    math.nan if fit_time is None else float(fit_time[row.index])
                ),
            }
            hparams = {name: _hparam_value(value) for name, value in row.params.items()}
            writer.add_hparams(hparams, metrics, name=f"candidate-{row.index}")
        writer.flush()

    def on_search_end(self, search, **kwargs):
        writer = self.__dict__.pop("writer_", None)
        if writer is not None:
            writer.close()

    def __repr__(self):
        return f"TensorBoardLogger(log_dir={self.log_dir!r})"


def _hparam_value(value):
    """A value TensorBoard's HParams takes: a bool, number or string."""
    value = readable(value)
    return "None" if value is None else value
