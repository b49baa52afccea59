"""Batches in flight: workers kept busy, and the search the same whatever
``n_jobs``, the backend or the order in which fits end (issue 16)."""

import threading
import time

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.callbacks import Callback
from sklearn_tune.space import Categorical, Integer, Real

X = np.arange(40.0).reshape(20, 2)
SPACE = {"x": Real(-1.0, 1.0), "k": Integer(0, 9), "kind": Categorical(["a", "b"])}


class Uneven(BaseEstimator):
    """A fit whose time depends on ``x`` (so fits end out of order); it logs
    its start and end to ``log``. Scores a bumpy quadratic."""

    def __init__(self, x=0.0, k=0, kind="a", budget=9, log=None, scale=0.002):
        self.x, self.k, self.kind = x, k, kind
        self.budget, self.log, self.scale = budget, log, scale

    def fit(self, X, y=None):
        start = time.time()
        time.sleep(self.scale * (1 + 10 * (self.x + 1) ** 2) * self.budget / 9)
        if self.log is not None:
            with open(self.log, "a") as file:
                file.write(f"{start!r} {time.time()!r} {float(self.x)!r}\n")
        return self

    def score(self, X, y=None):
        bump = np.sin(7 * self.x + self.k) / self.budget
        return -((self.x - 0.3) ** 2) - 0.01 * self.k + 0.1 * (self.kind == "b") + bump


def bayes(**kwargs):
    return BayesSearchCV(
        Uneven(),
        SPACE,
        n_iter=12,
        n_points=3,
        cv=KFold(2),
        random_state=0,
        optimizer_kwargs={"n_initial_points": 4},
        **kwargs,
    )


def genetic(**kwargs):
    return GeneticSearchCV(
        Uneven(),
        SPACE,
        population_size=4,
        generations=3,
        cv=KFold(2),
        random_state=0,
        **kwargs,
    )


def multi_fidelity(make):
    def build(**kwargs):
        return make(resource="budget", min_resources=1, max_resources=9, **kwargs)

    return build


MAKERS = {
    "bayes": bayes,
    "genetic": genetic,
    "bayes-mf": multi_fidelity(bayes),
    "genetic-mf": multi_fidelity(genetic),
}


def rows(search):
    results = search.cv_results_
    keys = ["params", "mean_test_score", "split0_test_score", "iter"]
    keys += ["n_resources"] if "n_resources" in results else []
    return {
        key: [dict(v) if key == "params" else v for v in results[key]] for key in keys
    }


@pytest.fixture(params=list(MAKERS))
def make(request):
    return MAKERS[request.param]


def test_n_jobs_and_the_backend_never_change_the_search(make):
    one = make(n_jobs=1).fit(X)
    expected = rows(one)
    assert rows(make(n_jobs=2).fit(X)) == expected
    assert rows(make(n_jobs=4).fit(X)) == expected
    with parallel_backend("threading", n_jobs=3):
        assert rows(make(n_jobs=-1).fit(X)) == expected
    assert make(n_jobs=2).fit(X).best_params_ == one.best_params_


def logged_bayes_fits(tmp_path, n_jobs):
    """The (start, end, x) of each fit of a Bayesian search, and the batch of
    each candidate's x."""
    log = tmp_path / "fits.log"
    search = bayes(n_jobs=n_jobs).set_params(estimator__log=str(log)).fit(X)
    fits = [tuple(map(float, line.split())) for line in log.read_text().splitlines()]
    results = search.cv_results_
    batch_of = {float(p["x"]): i for p, i in zip(results["params"], results["iter"])}
    return fits, batch_of


def test_the_next_batch_is_fitted_while_the_last_one_ends(tmp_path):
    # with n_jobs=4 and uneven fits, a fit of batch i + 1 starts before the
    # last fit of batch i ends: workers do not wait for a batch's slowest fit
    fits, batch_of = logged_bayes_fits(tmp_path, n_jobs=4)
    ends = {}
    for start, end, x in fits:
        i = batch_of[x]
        ends[i] = max(ends.get(i, 0.0), end)
    overlaps = [
        any(start < ends[i] for start, _, x in fits if batch_of[x] == i + 1)
        for i in sorted(ends)[:-1]
    ]
    assert any(overlaps), overlaps


def test_the_first_batch_is_fitted_first(tmp_path):
    # The batches in flight are fitted in the order asked, the first one too
    # (fitted through evaluate_candidates when it was told, it started after
    # the batches asked behind it, and nothing could be told before they had
    # all ended): with n_jobs=2, the first batch's fits start first.
    fits, batch_of = logged_bayes_fits(tmp_path, n_jobs=2)
    first = [batch_of[x] for _, _, x in sorted(fits)[:2]]
    assert first == [0, 0], first


def test_batches_end_in_order_each_after_its_begin(make):
    events = []

    class Order(Callback):
        def on_batch_begin(self, search, *, iter, **kwargs):
            events.append(("begin", iter))

        def on_batch_end(self, search, *, iter, **kwargs):
            events.append(("end", iter))

    search = make(n_jobs=2).fit(X, callback=Order())
    ends = [i for kind, i in events if kind == "end"]
    assert ends == sorted(set(search.cv_results_["iter"]) | set(ends))
    assert ends == list(range(len(ends)))
    for i in ends:
        assert events.index(("begin", i)) < events.index(("end", i))
    # a batch begins before the one before it ends: they overlap
    assert any(
        events.index(("begin", i + 1)) < events.index(("end", i)) for i in ends[:-1]
    )


class StopAt(Callback):
    def __init__(self, at):
        self.at = at

    def on_batch_end(self, search, *, iter, **kwargs):
        if iter == self.at:
            from sklearn_tune.exceptions import StopSearch

            raise StopSearch(f"stopped at batch {iter}")


def test_a_stop_drops_the_batches_in_flight_whatever_n_jobs(make):
    one = make(n_jobs=1).fit(X, callback=StopAt(1))
    two = make(n_jobs=2).fit(X, callback=StopAt(1))
    assert rows(one) == rows(two)
    assert set(one.cv_results_["iter"]) <= {0, 1}
    assert one.stop_reason_ == "stopped at batch 1"


def test_an_error_in_a_batch_in_flight_names_its_candidates():
    class Fails(Uneven):
        def fit(self, X, y=None):
            if self.x > 0.5:
                raise ValueError("x too large")
            return super().fit(X, y)

    search = bayes(n_jobs=2, error_score="raise").set_params(estimator=Fails())
    with pytest.raises(ValueError, match="x too large") as info:
        search.fit(X)
    assert any("was evaluating the candidate" in note for note in info.value.__notes__)
    # no call of the search is left fitting: one ending later, after its
    # workers were stopped, could stop those of the next search
    assert not [t for t in threading.enumerate() if t.name == "sklearn_tune-fits"]


def test_pandas_input_with_two_jobs_gives_the_one_job_search():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["u", "v"])
    assert rows(genetic(n_jobs=2).fit(frame)) == rows(genetic(n_jobs=1).fit(frame))


class TopRungSlow(BaseEstimator):
    """Slow at the full budget (9) only; logs each fit's start, end, x, budget."""

    def __init__(self, x=0.0, budget=9, log=None):
        self.x, self.budget, self.log = x, budget, log

    def fit(self, X, y=None):
        start = time.time()
        time.sleep(0.6 if self.budget == 9 else 0.005)
        with open(self.log, "a") as file:
            file.write(f"{start!r} {time.time()!r} {float(self.x)!r} {self.budget}\n")
        return self

    def score(self, X, y=None):
        return -((self.x - 0.3) ** 2)


def _started_before_older_batches_ended(search, log):
    """Fits of a promoted candidate that started before a batch asked before
    its rung below had ended (impossible while rungs are told in order)."""
    results = search.cv_results_
    iter_of = {
        (float(p["x"]), int(n)): i
        for p, n, i in zip(results["params"], results["n_resources"], results["iter"])
    }
    fits, seen = [], {}
    for line in log.read_text().splitlines():
        fit = line.split()
        key = (float(fit[2]), int(fit[3]))
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= search.n_splits_:  # not the closing sentinel's refit
            fits.append(fit)
    end_of = {}
    for _, end, x, n in fits:
        i = iter_of[(float(x), int(n))]
        end_of[i] = max(end_of.get(i, 0.0), float(end))
    early = 0
    for start, _, x, n in fits:
        below = [iter_of.get((float(x), m)) for m in (1, 3) if m < int(n)]
        below = [i for i in below if i is not None]
        if below and any(
            float(start) < end for i, end in end_of.items() if i < max(below)
        ):
            early += 1
    return early


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_a_rung_promotes_while_an_older_batch_still_runs(kind, tmp_path, monkeypatch):
    # a cheap rung that ends while an older batch's slow full-budget fits run
    # starts its promoted candidates at once: they are not held back until
    # the older batch is told. The search stays the one told in order.
    def search(name):
        log = tmp_path / name
        space = {"x": Real(-1.0, 1.0)}
        kwargs = {
            "cv": KFold(2),
            "n_jobs": 8,  # room for a cheap rung beside the slow fits
            "refit": False,
            "random_state": 0,
            "resource": "budget",
            "min_resources": 1,
            "max_resources": 9,
        }
        if kind == "bayes":
            made = BayesSearchCV(
                TopRungSlow(log=str(log)),
                space,
                n_iter=26,  # brackets of 9, 5, 2, 9 and 1 new candidates
                optimizer_kwargs={"n_initial_points": 4},
                **kwargs,
            )
        else:
            made = GeneticSearchCV(
                TopRungSlow(log=str(log)),
                space,
                population_size=4,
                generations=4,
                **kwargs,
            )
        made.fit(X)
        return made, _started_before_older_batches_ended(made, log)

    early, n_early = search("early.log")
    with monkeypatch.context() as patch:  # promotions only when rungs are told
        patch.setattr(
            type(early), "_may_start_promotions", lambda *args: False, raising=False
        )
        in_order, n_in_order = search("in_order.log")
    assert n_in_order == 0
    assert n_early > 0
    assert rows(early) == rows(in_order)


class RowsSeen(BaseEstimator):
    """Logs the rows each fit sees."""

    def __init__(self, x=0.0, log=None):
        self.x, self.log = x, log

    def fit(self, X, y=None):
        with open(self.log, "a") as file:
            file.write(f"{len(X)}\n")
        return self

    def score(self, X, y=None):
        return -((self.x - 0.3) ** 2)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_several_workers_refit_the_cheapest_candidate_once_at_the_end(n_jobs, tmp_path):
    # With several workers every batch is the loop's, the first too, and
    # BaseSearchCV's one evaluate_candidates call comes at the end: the CV
    # splits of the cheapest candidate, with the rows it was fitted with.
    # With one worker, that call fits the first batch: no fit is repeated.
    log = tmp_path / "rows.log"
    search = BayesSearchCV(
        RowsSeen(log=str(log)),
        {"x": Real(-1.0, 1.0)},
        n_iter=12,
        cv=KFold(3),
        n_jobs=n_jobs,
        random_state=0,
        resource="n_samples",
        min_resources=30,
        max_resources=270,
    ).fit(np.zeros((300, 1)))
    rows = [int(line) for line in log.read_text().split()]
    n_evaluated = 3 * len(search.cv_results_["params"])
    refit = 1  # the best candidate, on every row
    if n_jobs == 1:
        assert len(rows) == n_evaluated + refit
    else:
        assert len(rows) == n_evaluated + 3 + refit
        assert rows[-4:-1] == [min(rows)] * 3  # 30 rows: 20 per training split
