"""Log a search to MLflow: a run for the search, a nested run per candidate."""

from __future__ import annotations

import os
import re
import sys
import time

from .._extras import import_extra
from ._base import Callback, _validate
from ._logging import BestRow, is_number, last_line, new_rows, readable

_NOT_METRICS = ("params", "iter")
_BAD_NAME_CHARACTERS = re.compile(r"[^\w\-. :/]")
_MAX_PARAMS, _MAX_METRICS = 100, 1000  # the most one MLflow log_batch call takes


def _now_ms():
    return int(time.time() * 1000)


class MLflowLogger(Callback):
    """Log the search to MLflow, one nested run per evaluated candidate.

    The search gets a parent run. Each candidate, once evaluated, gets a run
    nested in it holding its parameters (estimators and functions as readable
    text), and as metrics its row of ``cv_results_``: the per-split, mean and
    std test scores, train scores when ``return_train_score=True``, and fit
    and score times. A candidate whose fit failed has status ``FAILED``, the
    last line of its error in the tag ``error`` and the whole error text in
    the artifact ``error.txt``. The parent run gets the best
    score so far after each batch (metric ``best_score``, step = batch), and
    when the search ends the best candidate's parameters (params
    ``best.<name>``) and the tag ``best_run_id``. "Best" is what the search
    makes ``best_score_`` and ``best_params_``: the highest
    ``mean_test_score`` (``mean_test_<refit>`` with several metrics), the
    lowest under ``criteria="min"``; with multi-fidelity (``resource=...``),
    among the candidates trained with the full budget only, so
    ``best_score`` has no point before the first of them (a search that ends
    before any reaches it logs the best at the highest budget reached, as
    its ``best_*`` hold). With a callable ``refit``, which chooses
    ``best_index_`` itself after the search ends, the logged best is the
    best score.

    The parent run ends when the search ends, also when a callback stops it
    early; its status is ``FAILED`` when the search raised. Candidates are
    logged in ``on_batch_end``: put this logger before any callback that stops
    the search, so that the last batch is logged too. The refitted
    ``best_estimator_`` does not exist yet when the search ends (the refit
    follows it); log it yourself after ``fit``, e.g. in
    ``with mlflow.start_run(run_id=logger.run_id_):`` with
    ``mlflow.sklearn.log_model(search.best_estimator_, ...)``.

    Parameters
    ----------
    tracking_uri : str or None, default=None
        Where to log, e.g. ``"http://localhost:5000"``, ``"sqlite:///mlflow.db"``
        or ``"file:./mlruns"``. None: MLflow's current tracking URI
        (``mlflow.set_tracking_uri`` or ``MLFLOW_TRACKING_URI``).
    experiment_name : str or None, default=None
        The experiment of the runs, created if missing. None: the experiment of
        the active MLflow run, else the one ``mlflow.set_experiment`` or
        ``MLFLOW_EXPERIMENT_ID`` / ``MLFLOW_EXPERIMENT_NAME`` chose, else
        MLflow's default experiment.
    run_name : str or None, default=None
        Name of the parent run; None: the searcher's class name. The nested
        runs are named ``candidate-<row of cv_results_>``.

    Attributes
    ----------
    run_id_ : str
        The parent run of the last search. When a run is active in MLflow
        (``with mlflow.start_run():``) and in the same experiment, the parent
        run is nested in it.
    candidate_run_ids_ : list of str
        The nested runs, in the order of the rows of ``cv_results_``.
    best_score_ : float or None
        The best score so far (at the end, the search's ``best_score_``);
        None until a candidate counts.
    best_run_id_ : str or None
        The nested run of the best candidate; None while no candidate counts.

    See Also
    --------
    TensorBoardLogger : The same search, in TensorBoard.

    Examples
    --------
    >>> from sklearn_tune.callbacks import MLflowLogger
    >>> MLflowLogger(experiment_name="titanic")
    MLflowLogger(tracking_uri=None, experiment_name='titanic', run_name=None)
    """

    _parameter_constraints = {
        "tracking_uri": [str, os.PathLike, None],
        "experiment_name": [str, None],
        "run_name": [str, None],
    }

    def __init__(self, tracking_uri=None, experiment_name=None, run_name=None):
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.run_name = run_name

    def on_search_begin(self, search, **kwargs):
        _validate(self)
        # imported lazily: `import sklearn_tune` stays light
        mlflow = import_extra("mlflow", "mlflow", type(self).__name__)

        uri = None if self.tracking_uri is None else os.fspath(self.tracking_uri)
        self.client_ = client = mlflow.MlflowClient(tracking_uri=uri)
        active = mlflow.active_run() if uri is None else None
        experiment_id = self._experiment_id(client, active)
        tags = {
            "sklearn_tune.search": type(search).__name__,
            "sklearn_tune.estimator": str(readable(search.estimator)),
        }
        if active is not None and active.info.experiment_id == experiment_id:
            tags["mlflow.parentRunId"] = active.info.run_id
        run = client.create_run(
            experiment_id,
            start_time=_now_ms(),
            tags=tags,
            run_name=self.run_name or type(search).__name__,
        )
        self.experiment_id_ = experiment_id
        self.run_id_ = run.info.run_id
        self.candidate_run_ids_ = []
        self.best_so_far_ = BestRow(search)
        self.best_score_ = self.best_run_id_ = None
        self.best_score_logged_ = None  # the last best_score metric
        self.last_iter_ = 0
        self.row_run_ids_ = {}  # row of cv_results_ -> its nested run
        self.batch_start_ms_ = _now_ms()
        self._batch_starts = {}  # iter -> start time: batches overlap
        # An error being handled around ``fit`` is not the search's own.
        self.outer_error_ = sys.exc_info()[1]

    def _experiment_id(self, client, active):
        name = self.experiment_name
        if name is None and active is not None:
            return active.info.experiment_id
        if name is None:
            if experiment_id := os.environ.get("MLFLOW_EXPERIMENT_ID"):
                return experiment_id
            name = os.environ.get("MLFLOW_EXPERIMENT_NAME", "Default")
        experiment = client.get_experiment_by_name(name)
        if experiment is not None:
            return experiment.experiment_id
        return client.create_experiment(name)

    def on_batch_begin(self, search, *, iter=None, **kwargs):
        # the next batch may begin before this one ends (see Callback)
        self._batch_starts[iter] = _now_ms()

    def on_batch_end(
        self, search, *, iter, candidates, scores, results, errors=None, **kwargs
    ):
        from mlflow.entities import RunTag

        end, self.last_iter_ = _now_ms(), iter
        self.batch_start_ms_ = self._batch_starts.pop(iter, self.batch_start_ms_)
        for row in new_rows(results, iter, candidates, scores, errors):
            tags = {
                "mlflow.parentRunId": self.run_id_,
                "sklearn_tune.iter": str(iter),
            }
            failed = row.error is not None
            if failed:
                tags["error"] = last_line(row.error)
            run = self.client_.create_run(
                self.experiment_id_,
                start_time=self.batch_start_ms_,
                tags=tags,
                run_name=f"candidate-{row.index}",
            )
            run_id = run.info.run_id
            try:
                self._log_candidate(run_id, row, results, iter, end)
            except BaseException:  # Ctrl-C while logging: the run does not dangle
                self.client_.set_terminated(run_id, status="KILLED", end_time=end)
                raise
            self.client_.set_terminated(
                run_id, status="FAILED" if failed else "FINISHED", end_time=end
            )
            self.candidate_run_ids_.append(run_id)
            self.row_run_ids_[row.index] = run_id
            self.best_so_far_.add(row)
        self._note_best()
        if self.best_so_far_.full is not None:  # the full budget's best, so far
            self._log_best_score(self.best_so_far_.full.score, end, iter)
        tags = [RunTag("sklearn_tune.n_candidates", str(len(self.candidate_run_ids_)))]
        self._log_batch(self.run_id_, tags=tags)

    def _note_best(self):
        best = self.best_so_far_.best
        if best is not None:
            self.best_score_ = best.score
            self.best_run_id_ = self.row_run_ids_[best.index]

    def _log_best_score(self, score, end, step):
        from mlflow.entities import Metric

        self._log_batch(self.run_id_, metrics=[Metric("best_score", score, end, step)])
        self.best_score_logged_ = score

    def _log_batch(self, run_id, *, metrics=(), params=(), tags=()):
        metrics, params, tags = list(metrics), list(params), list(tags)
        while metrics or params or tags:
            self.client_.log_batch(
                run_id,
                metrics=metrics[:_MAX_METRICS],
                params=params[:_MAX_PARAMS],
                tags=tags[:_MAX_PARAMS],
            )
            metrics = metrics[_MAX_METRICS:]
            params, tags = params[_MAX_PARAMS:], tags[_MAX_PARAMS:]

    def _log_candidate(self, run_id, row, results, iter, end):
        from mlflow.entities import Metric, Param

        params = [Param(k, str(readable(v))) for k, v in row.params.items()]
        metrics = [
            Metric(_metric_name(key), float(values[row.index]), end, iter)
            for key, values in results.items()
            if not key.startswith(("param_", "rank_"))
            and key not in _NOT_METRICS
            and is_number(values[row.index])
        ]
        self._log_batch(run_id, metrics=metrics, params=params)
        if row.error is not None:
            self.client_.log_text(run_id, row.error, "error.txt")

    def on_search_end(self, search, *, stop_reason=None, **kwargs):
        from mlflow.entities import Param, RunTag

        if not hasattr(self, "run_id_"):  # on_search_begin failed
            return
        error = sys.exc_info()[1]
        failed = error is not None and error is not self.outer_error_
        try:
            best = self.best_so_far_.best
            if best is not None and best.score != self.best_score_logged_:
                # no candidate reached the full budget: the best at the
                # highest budget reached is the search's best_score_
                self._log_best_score(best.score, _now_ms(), self.last_iter_)
            if best is not None:
                self._log_batch(
                    self.run_id_,
                    params=[
                        Param(f"best.{k}", str(readable(v)))
                        for k, v in best.params.items()
                    ],
                    tags=[RunTag("best_run_id", self.best_run_id_)],
                )
            if failed:
                message = f"{type(error).__name__}: {last_line(str(error))}"
                self._log_batch(self.run_id_, tags=[RunTag("error", message)])
            if stop_reason is not None:
                self._log_batch(self.run_id_, tags=[RunTag("stop_reason", stop_reason)])
        finally:
            interrupted = stop_reason is not None and "interrupted" in stop_reason
            status = "FAILED" if failed else "KILLED" if interrupted else "FINISHED"
            self.client_.set_terminated(self.run_id_, status=status)
            self.outer_error_ = None

    def __repr__(self):
        return (
            f"MLflowLogger(tracking_uri={self.tracking_uri!r}, "
            f"experiment_name={self.experiment_name!r}, run_name={self.run_name!r})"
        )


def _metric_name(key):
    """``key`` with the characters MLflow refuses in a metric name replaced."""
    return _BAD_NAME_CHARACTERS.sub("_", key)
