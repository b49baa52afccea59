"""Messages and files: what a user sees when a checkpoint path or a space is wrong,
and what a search leaves in the checkpoint's directory."""

import errno
import os
import re
import sys
import threading
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import Ridge

from sklearn_tune import _journal
from sklearn_tune.callbacks import Callback
from sklearn_tune.space import Categorical, Integer, Real, check_dimension

X = np.arange(60.0).reshape(30, 2)
y = X[:, 0] * 0.5 + np.sin(X[:, 1])
SPACE = {"alpha": Real(0.1, 10.0)}


class CountingRidge(Ridge):
    n_fits = 0

    def fit(self, X, y, **kwargs):
        CountingRidge.n_fits += 1
        return super().fit(X, y, **kwargs)


@pytest.fixture
def make(make_search):
    def build(**kwargs):
        CountingRidge.n_fits = 0
        return make_search(CountingRidge(), SPACE, budget=6, cv=2, **kwargs)

    return build


def files_in(directory):
    return sorted(os.listdir(directory))


# -- 1. a place where the lock cannot be created --------------------------------


@pytest.mark.parametrize(
    "code, reason",
    [
        pytest.param(errno.EROFS, "read-only", id="read-only file system"),
        pytest.param(errno.EACCES, "permission denied", id="no permission"),
    ],
)
def test_an_unwritable_place_is_not_called_in_use(
    make, tmp_path, monkeypatch, code, reason
):
    real_open = os.open

    def refuse_lock_files(path, flags, *args, **kwargs):
        if os.fspath(path).endswith(".lock") and flags & os.O_CREAT:
            raise OSError(code, os.strerror(code), path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_lock_files)
    path = tmp_path / "c.jsonl"
    with pytest.raises(OSError) as info:
        make(checkpoint=path).fit(X, y)
    message = str(info.value)
    assert "in use" not in message
    assert info.value.errno == code
    assert f"checkpoint={str(path)!r}: could not create its lock file" in message
    assert re.search(reason, message, flags=re.IGNORECASE)
    assert "writable directory" in message
    assert CountingRidge.n_fits == 0


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0,
    reason="needs POSIX permissions that bind this user (root ignores them)",
)
def test_a_read_only_directory_says_so(make, tmp_path):
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match=r"checkpoint=.*could not create"):
            make(checkpoint=directory / "c.jsonl").fit(X, y)
    finally:
        directory.chmod(0o755)


# -- 2. a file that is not a checkpoint ----------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("a,b\n1,2\n3,4\n", id="csv"),
        pytest.param("a,b\n1,2\n3,4", id="csv without a last newline"),
        pytest.param('{"x": 1}\n{"y": 2}\n', id="json lines"),
        pytest.param("[1, 2]\n3\n", id="json that is no object"),
        pytest.param("\x00\xff binary", id="binary"),
    ],
)
def test_a_file_that_is_not_a_checkpoint_is_left_untouched(make, tmp_path, content):
    path = tmp_path / "data.csv"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(ValueError) as info:
        make(checkpoint=path).fit(X, y)
    message = str(info.value)
    assert f"checkpoint={str(path)!r} is not a sklearn-tune checkpoint" in message
    assert "Pass another checkpoint path" in message
    assert "damaged" not in message and "delete" not in message
    assert path.read_bytes() == content.encode("latin-1")
    assert files_in(tmp_path) == ["data.csv"]
    assert CountingRidge.n_fits == 0


def test_a_damaged_header_of_a_checkpoint_is_still_called_damaged(make, tmp_path):
    path = tmp_path / "c.jsonl"
    make(checkpoint=path).fit(X, y)
    content = path.read_bytes().split(b"\n")
    content[0] = content[0][:-5]
    path.write_bytes(b"\n".join(content))
    with pytest.raises(ValueError, match=re.escape("is damaged at line 1")):
        make(checkpoint=path).fit(X, y)


def test_a_header_torn_by_a_crash_starts_afresh(make, tmp_path):
    path = tmp_path / "c.jsonl"
    make(checkpoint=path).fit(X, y)
    header = path.read_bytes().split(b"\n")[0]
    path.write_bytes(header[:60])  # the crash came while the header was written
    search = make(checkpoint=path).fit(X, y)
    assert len(search.cv_results_["params"]) > 0
    assert path.read_bytes().startswith(header + b"\n")


# -- 3. a checkpoint path that is no file path --------------------------------


def test_an_empty_checkpoint_path_is_refused_before_any_fit(
    make, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # where "" would have put its lock files
    with pytest.raises(
        ValueError,
        match=re.escape(
            "checkpoint='' is an empty path. Pass the path of the file to write "
            "the checkpoint to, e.g. checkpoint='search.jsonl', or "
            "checkpoint=None for no checkpoint."
        ),
    ):
        make(checkpoint="").fit(X, y)
    assert CountingRidge.n_fits == 0
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("trailing", ["", os.sep], ids=["dir", "dir with slash"])
def test_a_directory_as_checkpoint_is_refused_before_any_fit(make, tmp_path, trailing):
    given = str(tmp_path) + trailing
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"checkpoint={given!r} is a directory; a checkpoint is one file. Pass "
            f"the path of a file in it, e.g. "
            f"checkpoint={os.path.join(str(tmp_path), 'search.jsonl')!r}."
        ),
    ):
        make(checkpoint=given).fit(X, y)
    assert CountingRidge.n_fits == 0
    assert files_in(tmp_path) == []


def test_a_new_directory_with_a_slash_is_refused_too(make, tmp_path):
    given = os.path.join(str(tmp_path), "runs") + os.sep
    with pytest.raises(ValueError, match=r"checkpoint=.* is a directory"):
        make(checkpoint=given).fit(X, y)
    assert files_in(tmp_path) == []


# -- 4. scipy.stats distributions and ranges get a hint that works -----------


def suggestions(message):
    """The dimensions a message suggests, as the code it shows."""
    found = []
    for start in re.finditer(r"\b(?:Real|Integer|Categorical)\(", message):
        depth = 0
        for end in range(start.start(), len(message)):
            depth += {"(": 1, ")": -1}.get(message[end], 0)
            if message[end] == ")" and depth == 0:
                found.append(message[start.start() : end + 1])
                break
    return found


def run_code(code):
    return eval(code, {"Real": Real, "Integer": Integer, "Categorical": Categorical})


@pytest.mark.parametrize(
    "given, expected",
    [
        pytest.param(
            stats.loguniform(1e-3, 1e3),
            Real(1e-3, 1e3, prior="log-uniform"),
            id="loguniform",
        ),
        pytest.param(
            stats.reciprocal(1, 10),
            Real(1.0, 10.0, prior="log-uniform"),
            id="reciprocal",
        ),
        pytest.param(stats.uniform(0.5, 2), Real(0.5, 2.5), id="uniform loc scale"),
        pytest.param(stats.randint(1, 10), Integer(1, 9), id="randint"),
        pytest.param(range(1, 5), Integer(1, 4), id="range"),
        pytest.param(range(0, 10, 3), Categorical([0, 3, 6, 9]), id="range step"),
    ],
)
def test_a_distribution_or_range_gets_a_hint_that_works(make, given, expected):
    with pytest.raises(TypeError) as info:
        make().set_params(search_spaces={"alpha": given}).fit(X, y)
    message = str(info.value)
    assert message.startswith("search_spaces['alpha']")
    assert "object at 0x" not in message and "Wrap single values" not in message
    # the hint is code to paste: it must run and mean what `given` means
    suggested = run_code(suggestions(message)[0])
    assert check_dimension(suggested) == expected
    search = make().set_params(search_spaces={"alpha": suggested})
    assert len(search.fit(X, y).cv_results_["params"]) > 0


def test_a_range_hint_also_offers_its_values_as_choices():
    with pytest.raises(TypeError) as info:
        check_dimension(range(1, 5), name="search_spaces['k']")
    integer, choices = suggestions(str(info.value))
    assert run_code(integer) == Integer(1, 4)
    assert run_code(choices) == Categorical([1, 2, 3, 4])


@pytest.mark.parametrize(
    "given, fragment",
    [
        pytest.param(stats.norm(0, 1), "unbounded", id="norm"),
        pytest.param(stats.poisson(3), "unbounded", id="poisson"),
        pytest.param(stats.uniform, "not frozen", id="unfrozen"),
        pytest.param(range(3, 3), "empty", id="empty range"),
    ],
)
def test_a_distribution_without_bounds_says_what_to_write(given, fragment):
    with pytest.raises((TypeError, ValueError)) as info:
        check_dimension(given, name="search_spaces['alpha']")
    message = str(info.value)
    assert fragment in message
    assert "object at 0x" not in message
    for code in suggestions(message):  # every example in it runs
        if "low" not in code:
            run_code(code)


# -- 5. fit(callbacks=...) ----------------------------------------------------


class Record(Callback):
    def __init__(self):
        self.batches = 0

    def on_batch_end(self, search, **kwargs):
        self.batches += 1


def test_fit_takes_callbacks_as_sklearn_genetic_opt_spells_it(make):
    record = Record()
    search = make().fit(X, y, callbacks=[record])
    assert record.batches > 0
    assert len(search.cv_results_["params"]) > 0


def test_fit_refuses_callback_and_callbacks_together(make):
    with pytest.raises(TypeError, match=r"got both callback= and callbacks="):
        make().fit(X, y, callback=Record(), callbacks=[Record()])


def test_bayes_fit_params_still_reach_the_estimators_own_callbacks():
    from sklearn_tune import BayesSearchCV

    class WithCallbacks(Ridge):
        seen = []

        def fit(self, X, y, callbacks=None):
            WithCallbacks.seen.append(callbacks)
            return super().fit(X, y)

    BayesSearchCV(
        WithCallbacks(),
        SPACE,
        n_iter=2,
        cv=2,
        optimizer_kwargs={"n_initial_points": 2},
        fit_params={"callbacks": "the estimator's"},
    ).fit(X, y)
    assert set(WithCallbacks.seen) == {"the estimator's"}


# -- 6. no lock file stays behind ---------------------------------------------


class Fail(Callback):
    def __init__(self, error):
        self.error = error

    def on_batch_end(self, search, **kwargs):
        raise self.error


@pytest.mark.parametrize(
    "callback, error",
    [
        pytest.param(None, None, id="normal end"),
        pytest.param(Fail(RuntimeError("boom")), RuntimeError, id="exception"),
        pytest.param(Fail(KeyboardInterrupt()), None, id="interrupt"),
    ],
)
def test_no_lock_file_stays_behind(make, tmp_path, callback, error):
    path = tmp_path / "c.jsonl"
    search = make(checkpoint=path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an interrupted search warns
        if error is None:
            search.fit(X, y, callback=callback)
        else:
            with pytest.raises(error):
                search.fit(X, y, callback=callback)
    assert files_in(tmp_path) == ["c.jsonl"]
    assert path.stat().st_size > 0
    make(checkpoint=path).fit(X, y)  # and it resumes
    assert files_in(tmp_path) == ["c.jsonl"]


def test_a_busy_part_is_still_refused_and_freed_at_the_end(tmp_path):
    path = str(tmp_path / "c.jsonl")
    header = {"searcher": "test"}
    first = _journal.Journal.open(path, header, "part", 0)
    assert files_in(tmp_path) == ["c.jsonl", "c.jsonl.part.lock"]
    with pytest.raises(RuntimeError, match="is in use: another search"):
        _journal.Journal.open(path, header, "part", 0)
    other = _journal.Journal.open(path, header, "other", 1)  # another part runs
    first.close()
    other.close()
    assert files_in(tmp_path) == ["c.jsonl"]
    again = _journal.Journal.open(path, header, "part", 0)
    again.close()
    assert files_in(tmp_path) == ["c.jsonl"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX flock")
def test_a_waiter_never_holds_a_removed_lock_file(tmp_path):
    """The holder removes the file before it unlocks: a waiter that locked the
    removed file must take the new one, so that two never hold the lock."""
    path = str(tmp_path / "w.lock")
    holder = _journal._LockFile(path)
    assert holder.acquire()
    waiter = _journal._LockFile(path)
    took = threading.Event()

    def wait():
        waiter.acquire()
        took.set()

    thread = threading.Thread(target=wait)
    thread.start()
    assert not took.wait(0.2)  # blocked on the holder
    holder.release()
    assert took.wait(5)
    thread.join()
    assert os.path.exists(path)  # the waiter holds the file the path names
    third = _journal._LockFile(path)
    assert not third.acquire(blocking=False)
    waiter.release()
    assert not os.path.exists(path)
    assert third.acquire(blocking=False)
    third.release()
    assert files_in(tmp_path) == []
