"""The shared loop: budget, the cache, failures, callbacks, interrupts, output."""

import inspect
import re
import warnings
from collections import Counter

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from sklearn_tune import BayesSearchCV, GeneticSearchCV, callbacks
from sklearn_tune.callbacks import Callback, DeadlineStopper, EarlyStopping
from sklearn_tune.exceptions import SearchWarning, StopSearch
from sklearn_tune.space import Categorical, Integer, Real

X, y = make_classification(n_samples=80, n_features=5, random_state=0)
SPACE = {"C": Real(1e-2, 1e2, prior="log-uniform")}


class CountingTree(ClassifierMixin, BaseEstimator):
    """Counts its fits per parameter setting (in-process, n_jobs=1)."""

    fits = Counter()

    def __init__(self, max_depth=1, criterion="gini"):
        self.max_depth = max_depth
        self.criterion = criterion

    def fit(self, X, y):
        CountingTree.fits[(self.max_depth, self.criterion)] += 1
        self.tree_ = DecisionTreeClassifier(
            max_depth=self.max_depth, criterion=self.criterion, random_state=0
        ).fit(X, y)
        self.classes_ = self.tree_.classes_
        return self

    def predict(self, X):
        return self.tree_.predict(X)


def test_budget_and_iter_rows(make_search):
    search = make_search(LogisticRegression(), SPACE, budget=9, cv=2, random_state=0)
    search.fit(X, y)
    iters = search.cv_results_["iter"]
    assert len(search.cv_results_["params"]) == 9
    assert list(iters) == sorted(iters)
    assert iters[0] == 0
    assert search.stop_reason_ in ("n_iter reached", "generations reached")


def test_bayes_batches_have_n_points_rows():
    search = BayesSearchCV(
        LogisticRegression(), SPACE, n_iter=7, n_points=3, cv=2, random_state=0
    ).fit(X, y)
    assert Counter(search.cv_results_["iter"]) == {0: 3, 1: 3, 2: 1}


def test_a_candidate_is_never_fitted_twice(make_search):
    CountingTree.fits.clear()
    space = {"max_depth": Integer(1, 3), "criterion": Categorical(["gini", "entropy"])}
    search = make_search(CountingTree(), space, budget=15, cv=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "evaluated before" warnings from skopt
        search.fit(X, y)
    params = [(p["max_depth"], p["criterion"]) for p in search.cv_results_["params"]]
    assert len(params) == len(set(params)) == 6
    assert search.stop_reason_ == (
        "search space exhausted: all 6 distinct candidates were evaluated"
    )
    refit = (search.best_params_["max_depth"], search.best_params_["criterion"])
    expected = Counter(dict.fromkeys(params, 2)) + Counter({refit: 1})
    assert CountingTree.fits == expected


class StopAfter(Callback):
    def __init__(self, n):
        self.n = n

    def on_search_begin(self, search, **kwargs):
        self.calls_ = []

    def on_batch_end(self, search, *, iter, **kwargs):
        self.calls_.append(iter)
        if iter + 1 >= self.n:
            raise StopSearch(f"StopAfter: {self.n} batches")


def test_stop_search_keeps_what_finished(make_search):
    stopper = StopAfter(2)
    search = make_search(LogisticRegression(), SPACE, budget=12, cv=2, random_state=0)
    search.fit(X, y, callback=stopper)
    assert stopper.calls_ == [0, 1]
    assert search.stop_reason_ == "StopAfter: 2 batches"
    assert set(search.cv_results_["iter"]) == {0, 1}
    assert hasattr(search, "best_estimator_")


def test_every_hook_receives_its_arguments(make_search):
    events = []

    class Recorder(Callback):
        def on_search_begin(self, search, **kwargs):
            events.append(("begin", sorted(kwargs)))

        def on_batch_begin(self, search, **kwargs):
            events.append(("batch_begin", sorted(kwargs)))

        def on_batch_end(self, search, **kwargs):
            assert isinstance(kwargs["result"]().func_vals, np.ndarray)
            events.append(("batch_end", sorted(kwargs)))

        def on_search_end(self, search, **kwargs):
            events.append(("end", sorted(kwargs)))

    make_search(LogisticRegression(), SPACE, budget=6, cv=2, random_state=0).fit(
        X, y, callback=[Recorder()]
    )
    assert events[0] == ("begin", ["n_candidates", "n_resources"])
    assert events[1] == ("batch_begin", ["candidates", "iter"])
    ends = [event for event in events if event[0] == "batch_end"]
    assert ends[0][1] == [
        "candidates",
        "errors",
        "iter",
        "n_resources",
        "result",
        "results",
        "scores",
    ]
    assert events[-1] == ("end", ["stop_reason"])


def test_callback_hooks_take_kwargs():
    # A hook without **kwargs would break when the loop passes a new argument.
    public = [getattr(callbacks, name) for name in callbacks.__all__]
    for cls in public:
        for hook in (
            "on_search_begin",
            "on_batch_begin",
            "on_batch_end",
            "on_search_end",
        ):
            params = inspect.signature(getattr(cls, hook)).parameters.values()
            assert any(p.kind is p.VAR_KEYWORD for p in params), (cls, hook)


def test_skopt_callbacks_work_unchanged():
    from skopt.callbacks import DeadlineStopper as SkoptDeadline
    from skopt.callbacks import DeltaYStopper

    calls = []

    def count(result):
        calls.append(len(result.func_vals))
        return len(calls) >= 3

    search = BayesSearchCV(LogisticRegression(), SPACE, n_iter=10, cv=2, random_state=0)
    search.fit(
        X, y, callback=[count, SkoptDeadline(60), DeltaYStopper(1e-9, n_best=20)]
    )
    assert calls == [1, 2, 3]
    assert len(search.cv_results_["params"]) == 3
    assert search.stop_reason_ == "callback count returned True"


def test_plain_callback_ends_only_the_current_subspace_as_in_skopt():
    def stop_at_once(result):
        return True

    spaces = [({"C": Real(0.1, 1)}, 4), ({"C": Real(1, 10)}, 4)]
    search = BayesSearchCV(LogisticRegression(), spaces, cv=2, random_state=0)
    search.fit(X, y, callback=stop_at_once)
    cs = [p["C"] for p in search.cv_results_["params"]]
    assert len(cs) == 2 and cs[0] <= 1 <= cs[1]
    assert len(search.optimizer_results_) == 2


def test_a_bad_callback_fails_before_any_fit():
    with pytest.raises(TypeError, match=re.escape("callback entries must be")):
        BayesSearchCV(LogisticRegression(), SPACE).fit(X, y, callback=[1])
    with pytest.raises(TypeError, match="callback must be"):
        BayesSearchCV(LogisticRegression(), SPACE).fit(X, y, callback=3)


def test_deadline_and_early_stopping(make_search):
    search = make_search(LogisticRegression(), SPACE, budget=30, cv=2, random_state=0)
    search.fit(X, y, callback=DeadlineStopper(total_time=1e-9))
    assert search.stop_reason_.startswith("DeadlineStopper")
    assert len(set(search.cv_results_["iter"])) == 1

    flat = {"max_depth": Integer(20, 30)}  # every depth gives the same tree
    search = make_search(CountingTree(), flat, budget=30, cv=2, random_state=0)
    batches = StopAfter(100)
    search.fit(X, y, callback=[batches, EarlyStopping(patience=2)])
    assert search.stop_reason_.startswith("EarlyStopping")
    assert batches.calls_ == [0, 1, 2]  # an improvement, then two batches without


def test_callback_parameters_are_validated():
    with pytest.raises(ValueError, match="total_time"):
        BayesSearchCV(LogisticRegression(), SPACE, n_iter=2).fit(
            X, y, callback=DeadlineStopper(total_time=-1)
        )


def test_keyboard_interrupt_keeps_what_finished(make_search):
    class Interrupted(LogisticRegression):
        n_fits = 0

        def fit(self, X, y):
            type(self).n_fits += 1
            if type(self).n_fits == 7:
                raise KeyboardInterrupt
            return super().fit(X, y)

    search = make_search(Interrupted(), SPACE, budget=12, cv=2, random_state=0)
    with pytest.warns(SearchWarning, match="interrupted"):
        search.fit(X, y)
    assert search.stop_reason_ == "interrupted by KeyboardInterrupt"
    assert 1 <= len(search.cv_results_["params"]) < 12
    assert search.best_params_ == search.cv_results_["params"][search.best_index_]
    assert not hasattr(search, "best_estimator_")
    assert search.refit is True
    assert Interrupted.n_fits == 7  # no refit after Ctrl-C


def test_keyboard_interrupt_before_anything_finished_propagates():
    class Interrupted(LogisticRegression):
        def fit(self, X, y):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        BayesSearchCV(Interrupted(), SPACE, n_iter=2, cv=2).fit(X, y)


def test_verbose_prints_a_line_per_batch(make_search, capsys):
    make_search(
        LogisticRegression(), SPACE, budget=6, cv=2, verbose=1, random_state=0
    ).fit(X, y)
    out = capsys.readouterr().out
    assert re.search(r"\] batch 0: \d+ candidates, batch best 0\.\d+", out)
    assert "best so far" in out


def test_sklearn_callbacks_protocol_progress_bar(make_search):
    sk_callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    search = make_search(LogisticRegression(), SPACE, budget=6, cv=2, random_state=0)
    search.set_callbacks(sk_callback.ProgressBar())
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 6


def test_sklearn_callback_sees_every_fit(make_search):
    sk_callback = pytest.importorskip("sklearn.callback")
    seen = []

    class Spy:
        def setup(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context, **kwargs):
            seen.append(context.task_name)

        def on_fit_task_end(self, estimator, context, **kwargs):
            pass

        def teardown(self, estimator, context):
            pass

    assert isinstance(Spy(), sk_callback.FitCallback)
    search = make_search(LogisticRegression(), SPACE, budget=6, cv=2, random_state=0)
    search.set_callbacks(Spy()).fit(X, y)
    assert seen.count("search") == 1
    assert seen.count("batch") == len(set(search.cv_results_["iter"]))


def test_genetic_and_bayes_share_the_loop():
    # One loop: neither searcher overrides it, nor fit.
    for searcher in (GeneticSearchCV, BayesSearchCV):
        assert "_run_search" not in vars(searcher)
        assert "fit" not in vars(searcher)
    assert clone(GeneticSearchCV(LogisticRegression(), SPACE)).search_spaces == SPACE


def test_progress_bar_counts_to_the_most_the_search_evaluates(make_search):
    import io

    out = io.StringIO()
    bar = callbacks.ProgressBar(file=out, mininterval=0)
    search = make_search(LogisticRegression(), SPACE, budget=6, cv=2, random_state=0)
    search.fit(X, y, callback=bar)
    expected = 6 if isinstance(search, BayesSearchCV) else 3 * (1 + 1)
    assert bar.bar_.total == expected
    assert bar.bar_.n == expected  # candidates asked, repeats included
    assert f"/{expected}" in out.getvalue()


def test_the_progress_bar_shows_the_lowest_score_under_criteria_min():
    import io

    from kill_resume_worker import X, make_search

    from sklearn_tune.callbacks import ProgressBar

    out = io.StringIO()
    bar = ProgressBar(file=out, mininterval=0)
    search = make_search("genetic").set_params(criteria="min", generations=0)
    search.fit(X, callback=bar)
    lowest = search.cv_results_["mean_test_score"].min()
    assert f"batch_best={lowest:.4g}" in out.getvalue()


def test_the_progress_bar_ends_on_the_best_score_so_far():
    import io

    from sklearn_tune.callbacks import ProgressBar

    out = io.StringIO()
    bar = ProgressBar(file=out, mininterval=0)
    search = GeneticSearchCV(
        LogisticRegression(),
        SPACE,
        population_size=3,
        generations=2,
        cv=2,
        random_state=0,
    )
    search.fit(X, y, callback=bar)
    last = out.getvalue().splitlines()[-1] if "\n" in out.getvalue() else out.getvalue()
    final = last.rsplit("\r", 1)[-1]
    # "best=" alone, not the end of "batch_best="
    assert re.search(rf"(?<!_)best={search.best_score_:.4g}\b", final), final


class _StopsAt(Callback):
    """Raises StopSearch from ``hook``; records the hooks called."""

    def __init__(self, hook):
        self.hook = hook
        self.calls = []

    def on_search_begin(self, search, **kwargs):
        self.calls.append("on_search_begin")
        if self.hook == "on_search_begin":
            raise StopSearch("stopped at once")

    def on_batch_begin(self, search, **kwargs):
        self.calls.append("on_batch_begin")
        if self.hook == "on_batch_begin":
            raise StopSearch("stopped at once")

    def on_search_end(self, search, **kwargs):
        self.calls.append("on_search_end")


@pytest.mark.parametrize("hook", ["on_search_begin", "on_batch_begin"])
@pytest.mark.parametrize("make", [BayesSearchCV, GeneticSearchCV])
def test_a_stop_before_any_result_says_so(hook, make, tmp_path):
    X, y = make_classification(n_samples=40, random_state=0)
    kwargs = {"n_iter": 4} if make is BayesSearchCV else {"generations": 1}
    search = make(
        LogisticRegression(),
        {"C": Real(0.1, 10.0)},
        cv=2,
        checkpoint=tmp_path / "search.jsonl",
        **kwargs,
    )
    stopper = _StopsAt(hook)
    with pytest.raises(ValueError, match="stopped before any candidate was evaluated"):
        search.fit(X, y, callback=stopper)
    assert stopper.calls[-1] == "on_search_end"
    assert "on_batch_end" not in stopper.calls
    # the checkpoint is closed: another search can open it at once
    again = make(**search.get_params(deep=False)).fit(X, y)
    assert len(again.cv_results_["params"]) >= 2
