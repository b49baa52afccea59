"""Fits dispatched as soon as they are known, on whatever joblib runs.

The loop keeps several batches in flight (see ``_base``): each batch's fits go
to joblib as one ``Parallel(return_as="generator_unordered")`` call, made in the
loop's thread (joblib's configuration is per thread, so the backend the user
chose with ``parallel_config`` applies) on a fresh backend object of that kind,
and drained by a helper thread while the loop goes on asking for candidates.
Calls share joblib's workers (loky's reusable executor, the Dask cluster), so a
free worker takes the next queued fit of any batch in flight; joblib supports
several ``Parallel`` objects on one loky executor (each keeps its own temporary
folder), but not on one backend object, which holds one call's state.

With one worker, a batch is fitted in the loop's thread when its results are
first needed: the same fits, in the same order as they are told. So is a batch
on a backend not known here (Ray, custom ones), one joblib call at a time.
"""

from __future__ import annotations

import threading

import joblib
from joblib.parallel import get_active_backend


def _indexed(index, function, args):
    return index, function(*args)


class _Handle:
    """The fits of one batch; :meth:`results` waits for them, in task order."""

    def __init__(self, tasks):
        self.tasks = tasks  # (function, args) each
        self._out = [None] * len(tasks)
        self._error = None
        self._done = threading.Event()

    @property
    def error(self):
        """What the fits raised, once :meth:`results` raised it."""
        return self._error

    @property
    def running(self):
        """Whether the fits are under way on workers and not all done (a
        handle fitted in the loop's thread, when asked, never is)."""
        return False

    @property
    def done(self):
        """Whether every fit has ended (or one raised)."""
        return self._done.is_set()

    def results(self):
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._out

    def settle(self):
        """Wait until none of these fits runs on a worker (fits run in the
        loop's thread only when asked for: until then, none runs)."""
        if self.running:
            self._done.wait()


class _Lazy(_Handle):
    """Run in the loop's thread when the results are needed."""

    def __init__(self, tasks, run=None):
        super().__init__(tasks)
        self._run = run

    def results(self):
        if not self._done.is_set():
            try:
                if self._run is not None:
                    self._out = self._run()
                else:
                    self._out = [function(*args) for function, args in self.tasks]
            except BaseException as err:
                self._error = err
            finally:
                self._done.set()
        if self._error is not None:
            raise self._error
        return self._out


class _Drained(_Handle):
    """A joblib call under way; a daemon thread collects its results."""

    def __init__(self, tasks, n_jobs, backend, finished=None):
        super().__init__(tasks)
        self._finished = finished  # an Event set when the fits are done
        parallel = joblib.Parallel(
            backend=backend,
            n_jobs=n_jobs,
            pre_dispatch="all",
            batch_size=1,
            return_as="generator_unordered",
        )
        # dispatches every fit now, from this (the loop's) thread
        outputs = parallel(
            joblib.delayed(_indexed)(k, function, args)
            for k, (function, args) in enumerate(tasks)
        )
        self._thread = threading.Thread(
            target=self._drain, args=(outputs,), daemon=True, name="sklearn_tune-fits"
        )
        self._thread.start()

    def _drain(self, outputs):
        try:
            for k, out in outputs:
                self._out[k] = out
        except BaseException as err:  # raised in the loop's thread by results()
            self._error = err
        finally:
            self._done.set()
            if self._finished is not None:
                self._finished.set()

    @property
    def running(self):
        return not self._done.is_set()


def _own_backend():
    """A backend of the active kind for one call of its own, or None.

    Within ``parallel_config(backend=...)`` every ``Parallel`` shares the
    context's backend object, which holds the state of one call at a time
    (its pool, its Dask result collector): calls in flight together each get
    a fresh one, on the same workers (loky's reusable executor, the same Dask
    client). Backends not known here (Ray, custom ones) give None.
    """
    backend, _ = get_active_backend()
    kind = type(backend)
    if kind.__name__ in ("LokyBackend", "ThreadingBackend", "MultiprocessingBackend"):
        return kind(
            nesting_level=backend.nesting_level,
            inner_max_num_threads=getattr(backend, "inner_max_num_threads", None),
            **getattr(backend, "backend_kwargs", {}),  # joblib >= 1.5
        )
    if kind.__name__ == "DaskDistributedBackend":
        return kind(
            client=backend.client,
            wait_for_workers_timeout=backend.wait_for_workers_timeout,
            **getattr(backend, "submit_kwargs", {}),
        )
    return None


def _in_order(tasks, n_jobs):
    """Fit ``tasks`` in one joblib call, on whatever backend is active."""
    return joblib.Parallel(n_jobs=n_jobs)(
        joblib.delayed(function)(*args) for function, args in tasks
    )


class Dispatcher:
    """Starts the batches of one search on the backend active when it is made
    (joblib's configuration, in the loop's thread).

    The number of workers is found once per search: on Dask it is a round
    trip to the scheduler, which every batch paid before.
    """

    def __init__(self, n_jobs):
        self.n_jobs = n_jobs
        self.n_workers = joblib.effective_n_jobs(n_jobs)
        self.finished = threading.Event()  # set whenever a call's fits end
        # whether batches are fitted on workers while the loop goes on (not
        # in its thread, when their results are needed)
        self.concurrent = self.n_workers > 1 and _own_backend() is not None

    def dispatch(self, tasks):
        """Start ``tasks`` (``(function, args)`` pairs); return their handle.

        With one effective worker (``joblib.effective_n_jobs``, under the
        active backend), nothing runs before :meth:`_Handle.results` is
        called; nor on a backend this module does not know, whose batches
        are then fitted one joblib call at a time, when their results are
        needed (the same results, fewer fits at once).
        """
        if self.n_workers <= 1 or not tasks:
            return _Lazy(tasks)
        if not self.concurrent:
            return _Lazy(tasks, lambda: _in_order(tasks, self.n_jobs))
        return _Drained(tasks, self.n_jobs, _own_backend(), self.finished)


def deferred(run):
    """A handle whose results are ``run()``, called in the loop's thread."""
    return _Lazy([], run)
