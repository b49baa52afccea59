"""The crash-safe checkpoint journal: JSON Lines, appended, flushed and fsynced.

Line 1 is a header that identifies the search (searcher, estimator, space, cv,
scoring, data, seed); every other line records one finished batch::

    {"v": 1, "iter": 3, "subspace": 0,
     "candidates": [{"params": {"C": 0.5, "kernel": 1}, "outs": [{...}, ...]}]}

``params`` store a Categorical value as the index of the choice, so any Python
object can be a choice and reading a journal runs no code (no pickle). ``outs``
hold, per CV split, the result scikit-learn's ``_fit_and_score`` returned
(scores, times, ``fit_error``), so a resumed search rebuilds ``cv_results_``
exactly. A torn last line (a crash while writing) is ignored; a damaged line
before the last raises.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from .space import Categorical

FORMAT = "sklearn-tune-journal"
VERSION = 1

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


def fingerprint(value) -> dict[str, str]:
    """A short description and a digest of anything the header must pin down."""
    text = value if isinstance(value, str) else repr(value)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    short = text if len(text) <= 120 else text[:117] + "..."
    return {"sha256": digest, "repr": short}


def encode_params(params, dimensions) -> dict[str, Any]:
    return {
        name: dimensions[name].index(value)
        if isinstance(dimensions[name], Categorical)
        else _plain(value)
        for name, value in params.items()
    }


def decode_params(encoded, dimensions) -> dict[str, Any]:
    return {
        name: dimensions[name].categories[value]
        if isinstance(dimensions[name], Categorical)
        else value
        for name, value in encoded.items()
    }


class Journal:
    """An append-only journal file; open it with :meth:`open`."""

    def __init__(self, path, header, records, file):
        self.path = path
        self.header = header
        self.records = records
        self._file = file

    @classmethod
    def open(cls, path, header: dict[str, Any]) -> Journal:
        """Open ``path``, creating it with ``header``, or check and read it.

        Raises ValueError when the existing journal belongs to another search or
        is damaged before its last line.
        """
        path = os.fspath(path)
        records: list[BatchRecord] = []
        if os.path.exists(path) and os.path.getsize(path) > 0:
            found, records, valid_size = _read(path)
            _check_header(path, found, header)
            header = found
            file = open(path, "r+b")
            file.truncate(valid_size)  # drop a torn last line before appending
            file.seek(valid_size)
        else:
            file = open(path, "wb")
            _write_line(file, header)
        return cls(path, header, records, file)

    def append(self, record: BatchRecord) -> None:
        """Write one batch record durably (write, flush, fsync)."""
        _write_line(self._file, {"v": VERSION, **_plain(record)})
        self.records.append(record)

    def close(self) -> None:
        self._file.close()


def _write_line(file, data):
    file.write(json.dumps(data, allow_nan=True).encode() + b"\n")
    file.flush()
    os.fsync(file.fileno())


def _read(path):
    with open(path, "rb") as file:
        lines = file.read().split(b"\n")
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
    if not parsed or parsed[0].get("format") != FORMAT:
        raise ValueError(
            f"{path!r} is not a sklearn-tune checkpoint (its first line is not a "
            f"{FORMAT!r} header). Pass another checkpoint path."
        )
    header, records = parsed[0], parsed[1:]
    for number, record in enumerate(records, start=2):
        if record.get("v") != VERSION:
            raise ValueError(
                f"Checkpoint {path!r} line {number} has format version "
                f"{record.get('v')!r}; this sklearn-tune reads version {VERSION}."
            )
    return header, records, valid_size


def _check_header(path, found, expected):
    if found.get("v") != VERSION:
        raise ValueError(
            f"Checkpoint {path!r} has format version {found.get('v')!r}; this "
            f"sklearn-tune reads version {VERSION}."
        )
    for key, value in expected.items():
        if key in ("seed", "v", "format"):
            continue
        if found.get(key) != value:
            was = found.get(key, {})
            was = was.get("repr", was) if isinstance(was, dict) else was
            now = value.get("repr", value) if isinstance(value, dict) else value
            raise ValueError(
                f"Checkpoint {path!r} belongs to another search: its {key} was "
                f"{was!r}, this search's is {now!r}. Resume with the same "
                "settings, or pass a new checkpoint path (or delete the file) "
                "to start afresh."
            )
