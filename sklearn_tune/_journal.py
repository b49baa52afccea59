"""The crash-safe checkpoint journal: JSON Lines, appended, flushed and fsynced.

Line 1 is a header that identifies the search (searcher, estimator, space, cv,
scoring and settings, each as a description that is the same in every
process). One file can hold several *parts*, one per data set the search was
fitted on (``cross_val_score(search, ...)`` fits one search per outer fold):
a part begins with ``{"v": 2, "part": <data digest>, "seed": ...}``, and every
finished batch of it is one line::

    {"v": 2, "part": "3f2a...", "subspace": 0, "batch": 3, "iter": 3,
     "candidates": [{"params": {"C": 0.5, "kernel": 1}, "outs": [{...}, ...]}]}

``params`` store a Categorical value as the index of the choice, so any Python
object can be a choice and reading a journal runs no code (no pickle). ``outs``
hold, per CV split, the result scikit-learn's ``_fit_and_score`` returned
(scores, times, ``fit_error``), so a resumed search rebuilds ``cv_results_``
exactly. A torn last line (a crash while writing) is dropped; a damaged line
before the last raises.

A part is used by one process at a time (it holds ``<journal>.<part>.lock``
while it runs); parts of one file can run at once, since every write holds a
short lock on ``<journal>.lock``. A lock file exists only while its lock is
held: none stays beside the checkpoint once the search ends.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Mapping
from numbers import Integral
from typing import Any

import numpy as np

try:
    import fcntl
except ImportError:  # Windows: filelock's lock, which removes its file there
    fcntl = None
    from filelock import FileLock, Timeout

from ._fingerprint import describe, difference
from .space import Categorical

FORMAT = "sklearn-tune-journal"
VERSION = 2

BatchRecord = dict[str, Any]


def _plain(value):
    """JSON-ready copy of a fit result: NumPy scalars and arrays unwrapped."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def encode_params(params, dimensions) -> dict[str, Any]:
    """JSON-ready parameters; a parameter that is no dimension (the resource of
    a multi-fidelity search) is stored as its value."""
    return {
        name: dimensions[name].index(value)
        if isinstance(dimensions.get(name), Categorical)
        else _plain(value)
        for name, value in params.items()
    }


def decode_params(encoded, dimensions) -> dict[str, Any]:
    return {
        name: dimensions[name].categories[value]
        if isinstance(dimensions.get(name), Categorical)
        else value
        for name, value in encoded.items()
    }


def describe_search(search, subspaces) -> dict[str, Any]:
    """What identifies a search in its checkpoint, as stable descriptions.

    The budget (``search._budget_param``) is left out, so that a larger one
    continues the search; so is everything that does not change its results
    (``n_jobs``, ``verbose``...). Functions are described by their code, so the
    description is the same in every process.
    """
    params = search.get_params(deep=False)
    skip = {
        "estimator",
        "search_spaces",
        "scoring",
        "cv",
        "n_jobs",
        "pre_dispatch",
        "verbose",
        "checkpoint",
        "refit",
        search._budget_param,
    }
    if not (search.random_state is None or isinstance(search.random_state, Integral)):
        skip.add("random_state")  # an instance: resume uses the recorded seed
    skip.update(  # at its default, a newer parameter changes no older search
        name
        for name, default in getattr(search, "_params_added_later", {}).items()
        if params.get(name) == default
    )
    estimator = {"class": describe(type(search.estimator))}
    if hasattr(search.estimator, "get_params"):
        estimator.update(
            (name, describe(value))
            for name, value in search.estimator.get_params(deep=True).items()
        )
    else:
        estimator["value"] = describe(search.estimator)
    return {
        "searcher": type(search).__name__,
        "estimator": estimator,
        "search_spaces": [
            {name: _describe_dimension(d) for name, d in s.dimensions.items()}
            for s in subspaces
        ],
        "cv": describe(search.cv),
        "scoring": describe(search.scoring),
        "settings": {
            name: describe(value)
            for name, value in sorted(params.items())
            if name not in skip
        },
    }


def _describe_dimension(dimension):
    condition = dimension.condition
    if condition is not None:
        condition = [condition.parent, [describe(v) for v in condition.values]]
    if isinstance(dimension, Categorical):
        return describe(
            {
                "categories": [describe(c) for c in dimension.categories],
                "prior": dimension.prior,
                "condition": condition,
            }
        )
    data = dimension.to_dict()
    data.pop("name", None)
    data["condition"] = condition
    return describe(data)


class _LockFile:
    """An exclusive lock on the file ``path``, which exists only while held.

    POSIX ``flock``. The holder removes the file before it unlocks, so a
    waiter that locked the removed file finds that ``path`` names another file
    (or none) and tries again: two holders never hold one path at once, and no
    lock file stays behind.
    """

    def __init__(self, path):
        self.path = path
        self._fd = None
        self._fallback = None if fcntl is not None else FileLock(path)

    def acquire(self, blocking=True) -> bool:
        """Take the lock; without ``blocking``, return False while it is held.

        An ``OSError`` means the lock file could not be created or locked.
        """
        if self._fallback is not None:
            try:
                self._fallback.acquire(timeout=-1 if blocking else 0)
            except Timeout:
                return False
            return True
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
                except OSError as err:
                    if err.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                        os.close(fd)
                        return False
                    raise
                try:
                    held = os.path.samestat(os.fstat(fd), os.stat(self.path))
                except FileNotFoundError:
                    held = False  # its holder removed it as we locked it
            except BaseException:
                os.close(fd)
                raise
            if held:
                self._fd = fd
                return True
            os.close(fd)

    def release(self) -> None:
        if self._fallback is not None:
            self._fallback.release()
            return
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            with contextlib.suppress(OSError):
                os.unlink(self.path)  # before unlocking: see the class docstring
        finally:
            os.close(fd)

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()

    def __del__(self):
        if getattr(self, "_fd", None) is not None:  # a journal never closed
            self.release()


def _check_path(checkpoint) -> str:
    """The checkpoint's path as a str, refused when it cannot name a file."""
    path = os.fsdecode(os.fspath(checkpoint))
    if not path:
        raise ValueError(
            "checkpoint='' is an empty path. Pass the path of the file to write "
            "the checkpoint to, e.g. checkpoint='search.jsonl', or "
            "checkpoint=None for no checkpoint."
        )
    separators = os.sep + (os.altsep or "")
    if os.path.isdir(path) or path.endswith(tuple(separators)):
        example = os.path.join(path.rstrip(separators) or path, "search.jsonl")
        raise ValueError(
            f"checkpoint={path!r} is a directory; a checkpoint is one file. Pass "
            f"the path of a file in it, e.g. checkpoint={example!r}."
        )
    if os.path.exists(path) and not os.path.isfile(path):
        raise ValueError(
            f"checkpoint={path!r} is not a regular file (a device or a pipe, "
            "say); a checkpoint is read back to resume. Pass the path of a "
            "regular file, e.g. checkpoint='search.jsonl'."
        )
    return path


def _cannot_create(path, what, err) -> OSError:
    """An error saying that a file of the checkpoint could not be created."""
    if err.errno == errno.EROFS:
        reason = "read-only file system"
    elif err.errno in (errno.EACCES, errno.EPERM):
        reason = "permission denied: this user cannot write there"
    else:
        reason = err.strerror or str(err)
    directory = os.path.dirname(os.path.abspath(path))
    return OSError(
        err.errno,
        f"checkpoint={path!r}: could not create {what} in {directory!r} "
        f"({reason}). A checkpoint writes its file and short-lived lock files "
        "beside it: pass a path in a writable directory.",
    )


class CheckpointWriteError(OSError):
    """A batch could not be written to the checkpoint (a full disk, say)."""


class Journal:
    """One part of a checkpoint file; open it with :meth:`open`.

    Parameters
    ----------
    path : str
        The journal file.
    header : dict
        Descriptions of what identifies the search (see the module docstring).
    part : str
        Digest of the data (and fit parameters) the search is fitted on.
    seed : int
        The seed of a search starting afresh; a resumed part keeps its own.
    """

    def __init__(self, path, part, seed, records, part_lock):
        self.path = path
        self.part = part
        self.seed = seed
        self._records = records  # key of (subspace, params, budget) -> outs
        self._part_lock = part_lock
        self._write_lock = _LockFile(path + ".lock")

    @classmethod
    def open(cls, path, header: dict[str, Any], part: str, seed: int) -> Journal:
        path = _check_path(path)
        directory = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as err:
            raise OSError(
                err.errno,
                f"checkpoint={path!r}: its directory {directory!r} does not exist "
                f"and cannot be created ({err.strerror}). Pass a path in a "
                "writable directory.",
            ) from err
        part_lock = _LockFile(f"{path}.{part[:16]}.lock")
        try:
            acquired = part_lock.acquire(blocking=False)
        except OSError as err:
            raise _cannot_create(
                path, f"its lock file {part_lock.path!r}", err
            ) from err
        if not acquired:
            raise RuntimeError(
                f"checkpoint={path!r} is in use: another search is fitting the same "
                f"data with it right now (it holds {part_lock.path!r}). Wait "
                "for it to finish, or give this search its own checkpoint path."
            )
        try:
            write_lock = _LockFile(path + ".lock")
            try:
                write_lock.acquire()
            except OSError as err:
                raise _cannot_create(
                    path, f"its lock file {write_lock.path!r}", err
                ) from err
            try:
                seed, records = _open_part(path, header, part, seed)
            except OSError as err:
                if err.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise
                raise _cannot_create(path, "the checkpoint file", err) from err
            finally:
                write_lock.release()
        except BaseException:
            part_lock.release()
            raise
        return cls(path, part, seed, records, part_lock)

    def replay(self, subspace, candidates, dimensions, n_resources=None) -> dict:
        """The recorded fit results of the ``candidates`` the journal holds,
        by their position in ``candidates``.

        The journal is a cache of every candidate fitted (same settings, same
        budget, same sub-space): a resumed search refits none of them,
        whatever order it asks them in. Candidates are compared as the choice
        indices they are stored as.
        """
        found = {}
        for j, candidate in enumerate(candidates):
            key = self._key(subspace, encode_params(candidate, dimensions), n_resources)
            if key in self._records:
                found[j] = self._records[key]
        return found

    @staticmethod
    def _key(subspace, encoded, n_resources):
        return json.dumps([subspace, _plain(encoded), n_resources], sort_keys=True)

    def append(
        self, subspace, batch, iter, candidates, dimensions, n_resources=None
    ) -> None:
        """Write a finished batch durably: ``candidates`` are (params, outs)."""
        budget = {} if n_resources is None else {"n_resources": int(n_resources)}
        record = {
            "v": VERSION,
            "part": self.part,
            "subspace": subspace,
            "batch": batch,
            "iter": iter,
            "candidates": [
                {
                    "params": encode_params(params, dimensions),
                    **budget,
                    "outs": _plain(outs),
                }
                for params, outs in candidates
            ],
        }
        try:
            with self._write_lock:
                _append_line(self.path, record)
        except OSError as err:
            raise CheckpointWriteError(
                err.errno,
                f"Could not write batch {iter} to checkpoint {self.path!r}: "
                f"{err.strerror or err}. Free some space (or fix the path) and fit "
                "again with the same checkpoint to resume from the last batch "
                "written.",
            ) from err
        for candidate in record["candidates"]:
            key = self._key(subspace, candidate["params"], candidate.get("n_resources"))
            self._records[key] = candidate["outs"]

    def close(self) -> None:
        self._part_lock.release()  # its lock file goes with it


def _open_part(path, header, part, seed):
    """Check or write the header, and find or start the part; return its state."""
    found = None
    if os.path.exists(path) and os.path.getsize(path) > 0:
        found, lines, valid_size = _read(path)
    if found is None:  # a new file, or one whose header a crash tore
        with open(path, "wb") as file:
            _write(file, {"format": FORMAT, "v": VERSION, **header})
            _write(file, {"v": VERSION, "part": part, "seed": seed})
        return seed, {}
    _check_header(path, found, header)
    if valid_size < os.path.getsize(path):  # drop a torn last line
        os.truncate(path, valid_size)
    records: dict[tuple, list] = {}
    start = None
    for line in lines:
        if line.get("part") != part:
            continue
        if "seed" in line and start is None:
            start = line
        elif "candidates" in line:
            for candidate in line["candidates"]:
                key = Journal._key(
                    line["subspace"], candidate["params"], candidate.get("n_resources")
                )
                records[key] = candidate["outs"]
    if start is None:
        _append_line(path, {"v": VERSION, "part": part, "seed": seed})
        return seed, {}
    return start["seed"], records


def _write(file, data):
    file.write(json.dumps(data, allow_nan=True).encode() + b"\n")
    file.flush()
    os.fsync(file.fileno())


def _append_line(path, data):
    """Append a line, first dropping a torn line that a crashed writer left."""
    with open(path, "r+b") as file:
        size = file.seek(0, os.SEEK_END)
        if size:
            file.seek(size - 1)
            if file.read(1) != b"\n":
                file.seek(0)
                file.truncate(file.read().rfind(b"\n") + 1)
        file.seek(0, os.SEEK_END)
        _write(file, data)


# Every header starts so: json.dumps keeps the order of the header's keys.
_HEADER_START = json.dumps({"format": FORMAT})[:-1].encode()


def _read(path):
    """The header and the other lines of a journal; a torn last line is dropped.

    The header is None when the file holds only the start of one (a crash
    while the search wrote it). A file that does not start like a journal is
    refused, and never called damaged: it may be the user's own file.
    """
    with open(path, "rb") as file:
        lines = file.read().split(b"\n")
    first = lines[0]
    if not first.startswith(_HEADER_START):
        shown = first[:40].decode("utf-8", "replace")
        raise ValueError(
            f"checkpoint={path!r} is not a sklearn-tune checkpoint: its first "
            f"line is not a {FORMAT!r} header (it starts {shown!r}). The file "
            "was left as it is. Pass another checkpoint path: a new file, or a "
            "checkpoint this search wrote."
        )
    # Every complete line ends with "\n": the last piece is empty or torn.
    complete, torn = lines[:-1], lines[-1]
    valid_size = sum(len(line) + 1 for line in complete)
    parsed = []
    for number, line in enumerate(complete, start=1):
        try:
            parsed.append(json.loads(line))
        except ValueError as err:
            if number == len(complete) and not torn:
                valid_size -= len(line) + 1  # a torn last line that got its "\n"
                break
            raise ValueError(
                f"Checkpoint {path!r} is damaged at line {number} (of "
                f"{len(complete)}): {err}. Lines after it cannot be trusted; "
                "restore the file from a backup or delete it to start afresh."
            ) from err
    if not parsed:  # only a torn header: nothing was recorded
        return None, [], 0
    header, lines = parsed[0], parsed[1:]
    for number, line in enumerate([header, *lines], start=1):
        if line.get("v") != VERSION:
            raise ValueError(
                f"Checkpoint {path!r} line {number} has format version "
                f"{line.get('v')!r}; this sklearn-tune reads version {VERSION}. "
                "A checkpoint written by an earlier development version cannot be "
                "resumed: pass a new checkpoint path to start afresh."
            )
    return header, lines, valid_size


def _check_header(path, found, expected):
    for key, value in expected.items():
        was = found.get(key)
        if was == value:
            continue
        raise ValueError(
            f"Checkpoint {path!r} belongs to another search: its {key} differs "
            f"({_differences(was, value)}). Resume with the same settings, or pass "
            "a new checkpoint path (or delete the file) to start afresh."
        )


def _differences(was, now, limit=3):
    """What differs between two header fields, naming the entries that do."""
    if isinstance(was, dict) and isinstance(now, dict):
        names = [k for k in sorted({*was, *now}) if was.get(k) != now.get(k)]
        parts = [
            f"{name!r}: was {_shown(was, name, now)}, now {_shown(now, name, was)}"
            for name in names[:limit]
        ]
        more = len(names) - limit
        return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
    if isinstance(was, list) and isinstance(now, list) and len(was) == len(now):
        return "; ".join(
            f"[{i}] {_differences(a, b, limit)}"
            for i, (a, b) in enumerate(zip(was, now))
            if a != b
        )
    old, new = difference(json.dumps(was), json.dumps(now))
    return f"was {old}, now {new}"


def _shown(mapping, name, other):
    if name not in mapping:
        return "not set"
    value = mapping[name]
    if isinstance(value, str) and isinstance(other.get(name), str):
        return difference(value, other[name])[0]
    return repr(value)
