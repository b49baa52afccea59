"""Every path a scikit-learn user takes gives GridSearchCV's answers (issue 8).

Each numbered section of the issue has tests of its own here: nested searches,
user objects left alone, failures never disguised as scores, GridSearchCV
parity, skopt callbacks, checkpoints, Ctrl-C, and quiet, correct messages.
"""

import errno
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import skopt.callbacks
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from skopt import space as skopt_space

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.exceptions import SearchWarning
from sklearn_tune.space import Categorical, Integer, Real

X, y = load_iris(return_X_y=True)
HERE = Path(__file__).parent


class Bowl(RegressorMixin, BaseEstimator):
    """Scores a smooth bowl of its parameters; its fit fails where ``x < fail_below``.

    Counts its fits, and raises KeyboardInterrupt at fit number ``interrupt_at``.
    """

    fits = 0
    interrupt_at = None
    interrupt_refit = False
    fail_first = 0  # the first fits of the process fail

    def __init__(self, x=0.5, z=0.5, fail_below=-1.0):
        self.x, self.z, self.fail_below = x, z, fail_below

    def fit(self, X, y=None):
        Bowl.fits += 1
        if Bowl.fits == Bowl.interrupt_at or (Bowl.interrupt_refit and len(X) == 150):
            raise KeyboardInterrupt
        if self.x < self.fail_below or Bowl.fits <= Bowl.fail_first:
            raise ValueError(f"x={self.x} is below {self.fail_below}")
        return self

    def predict(self, X):
        return np.zeros(len(X))

    def score(self, X, y=None):
        return -((self.x - 0.7) ** 2) - (self.z - 0.5) ** 2 + 1e-3 * float(X[0, 0])


BOWL = {"x": Real(0.0, 1.0), "z": Real(0.0, 1.0)}


@pytest.fixture(autouse=True)
def _reset_bowl():
    Bowl.fits, Bowl.interrupt_at, Bowl.interrupt_refit = 0, None, False
    Bowl.fail_first = 0


def bayes(estimator=None, space=BOWL, **kwargs):
    kwargs.setdefault("optimizer_kwargs", {"n_initial_points": 4})
    kwargs.setdefault("n_iter", 8)
    kwargs.setdefault("cv", 3)
    kwargs.setdefault("random_state", 0)
    kwargs.setdefault("error_score", np.nan)
    return BayesSearchCV(Bowl() if estimator is None else estimator, space, **kwargs)


def genetic(estimator=None, space=BOWL, **kwargs):
    kwargs.setdefault("population_size", 4)
    kwargs.setdefault("generations", 2)
    kwargs.setdefault("cv", 3)
    kwargs.setdefault("random_state", 0)
    return GeneticSearchCV(Bowl() if estimator is None else estimator, space, **kwargs)


@pytest.fixture(params=[bayes, genetic], ids=["bayes", "genetic"])
def make(request):
    return request.param


def run_python(code, *args):
    """Run ``code`` in a new Python process; return its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=HERE,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# -- the root cause: no process-wide patch ------------------------------------


def test_importing_sklearn_tune_changes_no_other_module():
    out = run_python(
        """
        import sys, subprocess
        # every module importing sklearn_tune loads, loaded first
        names = subprocess.run(
            [sys.executable, "-c", "import sys, importlib.util, sklearn_tune; "
             "from sklearn_tune import BayesSearchCV, GeneticSearchCV; "
             "importlib.util.find_spec('skorch') and __import__('sklearn_tune.nn'); "
             "print(' '.join(sys.modules))"],
            capture_output=True, text=True, check=True).stdout.split()
        import importlib
        for name in names:
            if not name.startswith("sklearn_tune"):
                try:
                    importlib.import_module(name)
                except Exception:
                    pass
        before = {n: dict(vars(m)) for n, m in list(sys.modules.items())
                  if not n.startswith(("sklearn_tune", "__main__", "__mp_main__"))
                  and hasattr(m, "__dict__")}
        import sklearn_tune
        try:
            import sklearn_tune.nn
        except ImportError:  # no torch here
            pass
        from sklearn_tune import BayesSearchCV, GeneticSearchCV
        changed = []
        for name, old in before.items():
            new = vars(sys.modules[name])
            for key in set(old) | set(new):
                if key.startswith("sklearn_tune") or key == "__warningregistry__":
                    continue
                if key not in new or key not in old or new[key] is not old[key]:
                    changed.append(f"{name}.{key}")
        print(changed)
        """
    )
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    "statement, absent",
    [
        pytest.param(
            "import sklearn_tune",
            ["torch", "matplotlib", "tqdm", "skopt", "deap"],
            id="sklearn_tune",
        ),
        pytest.param(
            "import sklearn_tune.nn", ["skopt", "deap", "matplotlib"], id="nn"
        ),
        pytest.param(
            "import sklearn_tune.callbacks",
            ["mlflow", "tensorboardX", "torch", "skorch"],
            id="callbacks",
        ),
        pytest.param(
            "from sklearn_tune import GeneticSearchCV",
            ["skopt", "torch", "matplotlib"],
            id="genetic",
        ),
        pytest.param(
            "from sklearn_tune import BayesSearchCV",
            ["deap", "torch", "matplotlib"],
            id="bayes",
        ),
    ],
)
def test_import_rules(statement, absent):
    if "nn" in statement:
        pytest.importorskip("torch")
        pytest.importorskip("skorch")
    out = run_python(
        f"import sys; {statement}; print([m for m in {absent!r} if m in sys.modules])"
    )
    assert out.strip() == "[]"


def test_each_backend_is_imported_by_its_own_modules_only():
    package = HERE.parent / "sklearn_tune"
    owners = {
        "skopt": ("_bayes/",),
        "deap": ("_genetic/",),
        "torch": ("nn/",),
        # the skorch callback that logs epochs to TensorBoard
        "skorch": ("nn/", "callbacks/_tensorboard_epochs.py"),
        "mlflow": ("callbacks/_mlflow.py",),
        "tensorboardX": ("callbacks/_tensorboard.py",),
    }
    for path in package.rglob("*.py"):
        relative = path.relative_to(package).as_posix()
        text = path.read_text()
        for backend, owner in owners.items():
            pattern = rf"^\s*(import {backend}\b|from {backend}[\w.]* import)"
            if re.search(pattern, text, re.MULTILINE):
                assert relative.startswith(owner), (backend, relative)
    searchers = [package / "_bayes" / "_search.py", package / "_genetic" / "_search.py"]
    for path in searchers:
        pattern = r"^\s*(import (skopt|deap)\b|from (skopt|deap)[\w.]* import)"
        assert not re.search(pattern, path.read_text(), re.MULTILINE)


# -- 1. nested searches --------------------------------------------------------


def _inner_grid():
    # C=-1 fails: an inner candidate that fails must not fail the outer one
    return GridSearchCV(SVC(), {"C": [-1.0, 1.0]}, cv=2)


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("checkpoint", [False, True], ids=["plain", "checkpoint"])
def test_a_grid_search_inside_gives_grid_search_scores(
    make, n_jobs, checkpoint, tmp_path
):
    space = {"estimator__gamma": Real(0.01, 1.0, prior="log-uniform")}
    path = tmp_path / "nested.jsonl" if checkpoint else None
    kwargs = {"n_iter": 4} if make is bayes else {"generations": 1}
    search = make(_inner_grid(), space, n_jobs=n_jobs, checkpoint=path, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)  # the inner search's
        warnings.simplefilter("ignore", UserWarning)
        search.fit(X, y)
        gammas = [p["estimator__gamma"] for p in search.cv_results_["params"]]
        grid = GridSearchCV(
            _inner_grid(), {"estimator__gamma": gammas}, cv=3, n_jobs=n_jobs
        ).fit(X, y)
        assert_allclose(
            search.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"]
        )
        assert np.isfinite(search.cv_results_["mean_test_score"]).all()
        if checkpoint:  # resumed: the same scores again
            resumed = clone(search).fit(X, y)
            assert_allclose(
                resumed.cv_results_["mean_test_score"],
                grid.cv_results_["mean_test_score"],
            )


def test_one_of_ours_inside_ours():
    inner = bayes(SVC(), {"C": Real(0.1, 10.0)}, n_iter=3, cv=2)
    outer = genetic(
        inner, {"n_iter": Integer(2, 4)}, population_size=2, generations=1
    ).fit(X, y)
    assert np.isfinite(outer.cv_results_["mean_test_score"]).all()
    assert (
        outer.best_estimator_.best_estimator_.C
        == outer.best_estimator_.best_params_["C"]
    )


# -- 2. user objects are never changed ------------------------------------------


def test_estimators_given_as_choices_keep_their_parameters(make):
    lr, rf = (
        LogisticRegression(),
        RandomForestClassifier(n_estimators=5, random_state=0),
    )
    pipe = Pipeline([("scale", StandardScaler()), ("clf", lr)])
    pipe_params = pipe.get_params()
    space = [
        {"clf": Categorical([lr]), "clf__C": Real(1e-4, 1e-3)},
        {"clf": Categorical([rf]), "clf__max_depth": Integer(1, 3)},
    ]
    search = make(pipe, space, cv=3).fit(X, y)
    assert lr.get_params() == LogisticRegression().get_params()
    assert rf.max_depth is None and not hasattr(rf, "estimators_")
    assert pipe.get_params() == pipe_params and pipe.named_steps["clf"] is lr
    for params in search.cv_results_["params"]:
        if isinstance(params["clf"], RandomForestClassifier):
            assert "clf__C" not in params  # a LogisticRegression knob never leaks
    best = search.best_estimator_.named_steps["clf"]
    name = "C" if isinstance(best, LogisticRegression) else "max_depth"
    assert getattr(best, name) == search.best_params_[f"clf__{name}"]


def test_dimension_objects_are_not_changed(make):
    ours = Real(0.1, 10.0, prior="log-uniform")
    theirs = skopt_space.Real(0.1, 10.0)
    before = (dict(vars(ours)), dict(vars(theirs)))
    make(LogisticRegression(), {"C": ours, "tol": theirs}, cv=2).fit(X, y)
    assert (dict(vars(ours)), dict(vars(theirs))) == before
    assert theirs.name is None


# -- 3. failures are never disguised as successes --------------------------------


def test_a_genetic_failure_never_enters_the_hall_of_fame_or_history():
    # most of the space fails: the first generation holds one success
    search = genetic(Bowl(fail_below=0.75), population_size=6, generations=3)
    with pytest.warns(FitFailedWarning):
        search.fit(X, y)
    results = search.cv_results_
    first = results["mean_test_score"][results["iter"] == 0]
    assert np.isfinite(first).sum() == 1
    ran = {
        json.dumps(p, sort_keys=True): s
        for p, s in zip(results["params"], results["mean_test_score"])
        if np.isfinite(s)
    }
    assert search.hall_of_fame_ and all(
        ran[json.dumps(h["params"], sort_keys=True)] == h["score"]
        for h in search.hall_of_fame_
    )
    assert all(p["x"] >= 0.75 for p in search.hof.values())
    worst_success = min(ran.values())
    for record in search.history_:
        if np.isfinite(record["fitness_min"]):
            assert record["fitness_min"] >= worst_success
    assert search.best_params_["x"] >= 0.75


@pytest.mark.parametrize("generator", ["random", "lhs", "grid", "sobol", "halton"])
def test_bayes_learns_where_fits_fail(generator):
    # The first initial point fails, and so does the region around it.
    probe = bayes(
        optimizer_kwargs={"initial_point_generator": generator, "n_initial_points": 4}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # skopt on sobol's balance
        first = probe.set_params(n_iter=1).fit(X, y).cv_results_["params"][0]["x"]
    fail_below = min(first + 0.2, 0.5) if first < 0.5 else 0.4
    search = bayes(
        Bowl(fail_below=fail_below),
        n_iter=20,
        optimizer_kwargs={"initial_point_generator": generator, "n_initial_points": 4},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    xs = np.array([p["x"] for p in search.cv_results_["params"]])
    assert len(xs) == 20  # the budget did not go to one failing point
    share = np.mean(xs[4:] < fail_below)
    assert share <= fail_below / 2, (share, fail_below)
    assert search.best_params_["x"] >= fail_below


# -- 4. full GridSearchCV parity ---------------------------------------------------


def test_multimetric_with_refit_false(make):
    search = make(SVC(), {"C": Real(0.1, 10.0)}, scoring=["accuracy", "f1_macro"])
    search.set_params(refit=False).fit(X, y)
    grid = GridSearchCV(
        SVC(), {"C": [1.0]}, scoring=["accuracy", "f1_macro"], refit=False
    ).fit(X, y)
    for name in ("best_index_", "best_params_", "best_score_", "best_estimator_"):
        assert hasattr(search, name) == hasattr(grid, name), name
    assert {"rank_test_accuracy", "rank_test_f1_macro"} <= set(search.cv_results_)


def test_multimetric_with_a_callable_refit(make):
    def simplest_good(results):
        return int(np.argmin(results["rank_test_f1_macro"]))

    search = make(
        SVC(), {"C": Real(0.1, 10.0)}, scoring=["accuracy", "f1_macro"]
    ).set_params(refit=simplest_good)
    search.fit(X, y)
    assert search.best_index_ == simplest_good(search.cv_results_)
    assert search.best_estimator_.C == search.best_params_["C"]
    assert not hasattr(search, "best_score_")  # as GridSearchCV with a callable


def test_rank_train_puts_failures_last(make):
    search = make(Bowl(fail_below=0.5), return_train_score=True, error_score=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    results = search.cv_results_
    failed = ~np.isfinite(results["mean_train_score"])
    assert failed.any() and not failed.all()
    ranks = results["rank_train_score"]
    assert ranks.min() == 1 and (ranks > 0).all()
    assert ranks[failed].min() > ranks[~failed].max()
    # ranked as scikit-learn ranks the test scores
    order = np.argsort(-np.nan_to_num(results["mean_train_score"], nan=-np.inf))
    assert list(ranks[order]) == sorted(ranks)


def test_bayes_searches_unhashable_choices():
    weights = [None, {0: 1, 1: 2, 2: 1}, "balanced"]
    search = bayes(
        LogisticRegression(),
        {"class_weight": Categorical(weights)},
        n_iter=3,
        optimizer_kwargs={"n_initial_points": 3},
    ).fit(X, y)
    seen = [p["class_weight"] for p in search.cv_results_["params"]]
    assert all(any(w == s for w in weights) for s in seen)
    assert search.optimizer_results_[0].x[0] in (0, 1, 2)  # shown as an index


def test_cross_val_score_with_a_checkpoint_resumes_each_fold(make, tmp_path):
    path = tmp_path / "outer.jsonl"
    first = cross_val_score(make(checkpoint=path), X, y, cv=3)
    Bowl.fits = 0
    again = cross_val_score(make(checkpoint=path), X, y, cv=3)
    assert_allclose(again, first)
    assert np.isfinite(first).all()
    # per outer fold: the one evaluation BaseSearchCV needs (3 fits), the refit
    assert Bowl.fits == 3 * (3 + 1)


# -- 5. skopt callbacks work on both searchers ---------------------------------------


SKOPT_CALLBACKS = [
    pytest.param(lambda: skopt.callbacks.VerboseCallback(n_total=8), id="Verbose"),
    pytest.param(lambda: skopt.callbacks.TimerCallback(), id="Timer"),
    pytest.param(lambda: skopt.callbacks.DeltaXStopper(1e-12), id="DeltaX"),
    pytest.param(lambda: skopt.callbacks.DeltaYStopper(1e-12), id="DeltaY"),
    pytest.param(lambda: skopt.callbacks.DeadlineStopper(600), id="Deadline"),
    pytest.param(lambda: skopt.callbacks.HollowIterationsStopper(50), id="Hollow"),
    pytest.param(lambda: skopt.callbacks.ThresholdStopper(-10.0), id="Threshold"),
    pytest.param(lambda: skopt.callbacks.StdStopper(1e-12), id="Std"),
    pytest.param(lambda: "checkpoint", id="CheckpointSaver"),
]


@pytest.mark.parametrize("make_callback", SKOPT_CALLBACKS)
def test_skopt_callbacks_run_when_the_first_batch_failed(
    make, make_callback, tmp_path, capsys
):
    callback = make_callback()
    if callback == "checkpoint":
        callback = skopt.callbacks.CheckpointSaver(str(tmp_path / "result.pkl"))
    search = make()
    Bowl.fail_first = 3 if make is bayes else 4 * 3  # the whole first batch fails
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y, callback=callback)
    scores = search.cv_results_["mean_test_score"]
    assert (
        len(scores) >= 4
        and not np.isfinite(scores[search.cv_results_["iter"] == 0]).any()
    )
    if isinstance(callback, skopt.callbacks.CheckpointSaver):
        saved = skopt.load(tmp_path / "result.pkl")
        assert len(saved.x_iters) == len(saved.func_vals) > 0


def test_delta_x_stops_a_genetic_search():
    # every two points of Real(0.1, 1.0) are less than 1.0 apart
    search = genetic(
        LogisticRegression(), {"C": Real(0.1, 1.0)}, population_size=2, generations=5
    )
    search.fit(X, y, callback=skopt.callbacks.DeltaXStopper(1.0))
    assert search.stop_reason_ == "callback DeltaXStopper returned True"
    assert set(search.cv_results_["iter"]) == {0}


# -- 6. checkpoints resume where users expect ---------------------------------------

PROCESS = """
import sys, json, numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.space import Categorical, Real
from trust_helpers import accuracy, double, counting_fits

X, y = load_iris(return_X_y=True)
kind, path, budget = sys.argv[1], sys.argv[2], int(sys.argv[3])
estimator = make_pipeline(FunctionTransformer(double), LogisticRegression())
space = {
    "logisticregression__C": Real(1e-2, 1e2, prior="log-uniform"),
    "functiontransformer__func": Categorical([double, np.log1p]),
}
common = dict(cv=3, random_state=0, scoring=make_scorer(accuracy), checkpoint=path)
if kind == "bayes":
    search = BayesSearchCV(estimator, space, n_iter=budget, **common)
else:
    search = GeneticSearchCV(
        estimator, space, population_size=3, generations=budget, **common
    )
with counting_fits() as fits:
    search.fit(X, y)
print(json.dumps({"n": len(search.cv_results_["params"]), "fits": fits[0],
                  "scores": search.cv_results_["mean_test_score"].tolist()}))
"""


@pytest.mark.parametrize("kind, budget, more", [("bayes", 4, 6), ("genetic", 1, 2)])
def test_a_checkpoint_with_functions_resumes_in_a_new_process(
    kind, budget, more, tmp_path
):
    path = tmp_path / "functions.jsonl"
    first = json.loads(run_python(PROCESS, kind, path, budget))
    again = json.loads(run_python(PROCESS, kind, path, budget))
    assert again["scores"] == first["scores"]
    assert again["fits"] == 3 + 1  # the final evaluation and the refit only
    longer = json.loads(run_python(PROCESS, kind, path, more))
    assert longer["scores"][: first["n"]] == first["scores"]
    assert longer["n"] > first["n"]
    new_rows = longer["n"] - first["n"]
    assert longer["fits"] == 3 * new_rows + 1  # the old candidates are not refit


def test_a_second_process_on_the_same_checkpoint_gets_a_clear_error(tmp_path):
    from kill_resume_worker import X as WORKER_X
    from kill_resume_worker import make_search

    path = tmp_path / "busy.jsonl"
    worker = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "kill_resume_worker.py"),
            "genetic",
            path,
            tmp_path / "out.json",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout.readline().strip() == "ready"
        for _ in range(200):  # until the worker holds the checkpoint
            if path.exists() and path.stat().st_size > 0:
                break
            subprocess.run(["sleep", "0.05"])
        with pytest.raises(RuntimeError, match="is in use: another search"):
            make_search("genetic", path).fit(WORKER_X)
    finally:
        worker.kill()
        worker.wait()
    before = path.read_bytes()
    assert all(json.loads(line) for line in before.decode().splitlines()[:-1])


def test_a_mismatch_names_the_parameter_and_shows_what_differs(tmp_path):
    path = tmp_path / "c.jsonl"
    long_pipe = Pipeline(
        [(f"s{i}", StandardScaler()) for i in range(6)] + [("clf", SVC(C=1.0))]
    )
    search = genetic(long_pipe, {"clf__gamma": Real(0.1, 1.0)}, checkpoint=path)
    search.set_params(population_size=2, generations=0).fit(X, y)
    search.set_params(estimator__s5__with_mean=False)
    with pytest.raises(ValueError) as info:
        search.fit(X, y)
    message = str(info.value)
    assert "its estimator differs" in message
    assert "'s5__with_mean': was True, now False" in message


def test_a_missing_directory_is_created(make, tmp_path):
    path = tmp_path / "new" / "dir" / "c.jsonl"
    make(checkpoint=path).fit(X, y)
    assert path.exists()
    assert sorted(os.listdir(path.parent)) == ["c.jsonl"]  # no lock file stays


def test_a_full_disk_keeps_what_finished(make, tmp_path, monkeypatch):
    from sklearn_tune import _journal

    path = tmp_path / "c.jsonl"
    write = _journal._write
    lines = []

    def write_until_full(file, data):
        lines.append(data)
        if len(lines) > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        write(file, data)

    monkeypatch.setattr(_journal, "_write", write_until_full)
    search = make(checkpoint=path)
    with pytest.warns(SearchWarning, match="could not be written"):
        with pytest.raises(OSError, match="No space left on device") as info:
            search.fit(X, y)
    assert info.value.errno == errno.ENOSPC
    assert "resume" in str(info.value)
    n = len(search.cv_results_["params"])
    assert (
        n > 0
        and search.best_params_ == search.cv_results_["params"][search.best_index_]
    )
    monkeypatch.undo()
    resumed = clone(search).fit(X, y)  # resumes from the batches written
    assert resumed.cv_results_["params"][:n] == search.cv_results_["params"]


# -- 7. Ctrl-C leaves a consistent object --------------------------------------------


def test_an_interrupted_second_fit_keeps_nothing_of_the_first(make):
    search = make().fit(X, y)
    assert hasattr(search, "best_estimator_")
    Bowl.fits, Bowl.interrupt_at = 0, 20
    with pytest.warns(SearchWarning, match="interrupted"):
        search.set_params(random_state=1).fit(X, y)
    assert not hasattr(search, "best_estimator_")
    assert not hasattr(search, "refit_time_")
    assert search.best_params_ == search.cv_results_["params"][search.best_index_]
    with pytest.raises(NotFittedError, match="interrupted by KeyboardInterrupt"):
        search.predict(X)


def test_ctrl_c_during_the_refit_keeps_cv_results(make):
    Bowl.interrupt_refit = True
    search = make()
    with pytest.warns(SearchWarning, match="during the refit"):
        search.fit(X, y)
    assert len(search.cv_results_["params"]) > 0
    assert search.best_params_ == search.cv_results_["params"][search.best_index_]
    assert search.stop_reason_ == "interrupted by KeyboardInterrupt during the refit"
    with pytest.raises(NotFittedError, match="not refitted"):
        search.predict(X)
    with pytest.raises(NotFittedError):
        search.score(X, y)


# -- 8. quiet, correct messages ------------------------------------------------------


def test_failures_are_summed_up_once_per_search_at_the_users_line(make):
    search = (
        make(Bowl(fail_below=0.5), n_iter=12)
        if make is bayes
        else make(Bowl(fail_below=0.5), generations=3)
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y)
    failed = [w for w in caught if issubclass(w.category, FitFailedWarning)]
    non_finite = [w for w in caught if "non-finite" in str(w.message)]
    assert len(failed) == 1 and len(non_finite) == 1
    assert len(set(search.cv_results_["iter"])) > 1  # several batches
    assert all(w.filename == __file__ for w in failed + non_finite)
    n_failed = int(np.sum(~np.isfinite(search.cv_results_["mean_test_score"])))
    assert f"{n_failed} of the " in str(failed[0].message)


def test_a_cv_larger_than_the_data_is_not_told_to_set_error_score(make):
    search = make(cv=KFold(200), error_score="raise")
    with pytest.raises(ValueError, match="Cannot have number of splits") as info:
        search.fit(X, y)
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "error_score" not in notes and "could not split the data" in notes
    assert Bowl.fits == 0


def test_group_kfold_without_groups_names_the_splitter(make):
    from sklearn.model_selection import GroupKFold

    with pytest.raises(ValueError, match="groups") as info:
        make(cv=GroupKFold(3), error_score="raise").fit(X, y)
    assert "error_score" not in " ".join(info.value.__notes__)
    assert Bowl.fits == 0


def test_a_list_range_warning_points_at_the_users_line(make):
    with pytest.warns(UserWarning, match="is read as") as caught:
        make(LogisticRegression(), {"C": [0.1, 10.0]}, cv=2).fit(X, y)
    assert any(w.filename == __file__ for w in caught)


def test_an_interrupt_warning_points_at_the_users_line(make):
    Bowl.interrupt_at = 20
    with pytest.warns(SearchWarning) as caught:
        make().fit(X, y)
    assert [w.filename for w in caught if w.category is SearchWarning] == [__file__]


def test_an_estimators_own_os_error_is_not_a_checkpoint_failure(make, tmp_path):
    class Disk(Bowl):
        def fit(self, X, y=None):
            super().fit(X, y)
            if Bowl.fits > 15:  # after the first batches were recorded
                raise OSError(errno.EACCES, "the estimator's own file is locked")
            return self

    search = make(Disk(), checkpoint=tmp_path / "c.jsonl", error_score="raise")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(OSError, match="own file is locked"):
            search.fit(X, y)
    # raised as GridSearchCV raises it, not taken for a failed checkpoint write
    assert not [w for w in caught if w.category is SearchWarning]
    assert not hasattr(search, "cv_results_")
