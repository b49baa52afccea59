"""Datasets for the examples and benchmarks: Titanic, online or offline.

:func:`load_titanic` fetches OpenML's Titanic (dataset 40945, 1309 passengers)
through :func:`sklearn.datasets.fetch_openml`, which caches it, and falls back to
the copy of the same data that ships with this package (``sklearn_tune/data``)
when OpenML cannot be reached. :func:`make_titanic_preprocessor` builds the
column transformer the examples put in front of every model.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import json
import socket
import threading
import urllib.request
import warnings
from importlib import resources
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import fetch_openml
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import Bunch

__all__ = ["load_titanic", "make_titanic_preprocessor"]

_OPENML_ID = 40945
_OPENML_HOST = "www.openml.org"
# How long the connectivity probe may take before OpenML counts as unreachable.
# fetch_openml has no timeout of its own: without network it retries, and behind
# a firewall that drops packets a connection attempt can hang for minutes.
_PROBE_TIMEOUT = 3.0

# The shipped copy, in sklearn_tune/data (see titanic_LICENSE.txt there): every
# row and column of OpenML's ARFF file as a gzipped CSV, and OpenML's metadata
# (description, features, number of rows) as JSON. The CSV's sha256 is checked
# before it is read; regenerating the file means updating this constant.
_DATA = resources.files("sklearn_tune").joinpath("data")
_SHIPPED_CSV = "titanic.csv.gz"
_SOURCES = ("auto", "openml", "shipped")
_SHIPPED_METADATA = "titanic_details.json"
_SHIPPED_SHA256 = "b01db5d768c6039443f02199a0717ea42dd79b3eb729dc190e45ff0f33a78107"

# One schema for every source, so that the frame does not depend on where the
# data came from, nor on which ARFF parser fetch_openml used (its two parsers
# disagree: "liac-arff" reads every numeric column as float64).
_TARGET = "survived"
_CATEGORIES = {
    "survived": ["0", "1"],
    "sex": ["female", "male"],
    "embarked": ["C", "Q", "S"],
}
_INTEGER = ["pclass", "sibsp", "parch"]
_FLOAT = ["age", "fare", "body"]
_STRING = ["name", "ticket", "cabin", "boat", "home.dest"]

# What the Titanic examples feed their models, and how.
_CATEGORICAL_FEATURES = ["sex", "embarked", "pclass"]
_NUMERIC_FEATURES = ["age", "fare", "sibsp", "parch"]

# The errors after which the shipped copy is used: no network, HTTP or OpenML
# errors (OpenMLError is a ValueError), a corrupt download (md5 mismatch).
_ONLINE_ERRORS = (OSError, http.client.HTTPException, ValueError)


def load_titanic(*, as_frame=True, return_X_y=False, data_home=None, source="auto"):
    """Load the Titanic passenger data (classification, survived or not).

    Tries OpenML first, through :func:`sklearn.datasets.fetch_openml` with
    ``name="titanic", version=1`` (dataset 40945), which caches the files in
    ``data_home``. When OpenML cannot be reached within a few seconds, or the
    download fails, it warns and reads the copy of the same dataset that ships
    with sklearn-tune (``sklearn_tune/data/titanic.csv.gz``, OpenML's licence
    "Public"; source and checksum in ``sklearn_tune/data/titanic_LICENSE.txt``).
    Both sources give the same frame: same columns, dtypes and values.

    =================   ==============
    Classes                          2
    Samples total                 1309
    Features                        13
    =================   ==============

    Parameters
    ----------
    as_frame : bool, default=True
        If True, ``data`` is a pandas DataFrame and ``target`` a categorical
        Series. If False, ``data`` is a NumPy array of dtype object (the
        features mix numbers and strings) and ``target`` a NumPy array of
        strings; ``frame`` is then None.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    data_home : str or path-like, default=None
        Where ``fetch_openml`` caches the download; by default
        ``~/scikit_learn_data`` (see :func:`sklearn.datasets.get_data_home`).

    source : {"auto", "openml", "shipped"}, default="auto"
        Where to read the data: ``"auto"`` tries OpenML and falls back to the
        shipped copy with a warning; ``"openml"`` fetches from OpenML only
        (its errors are raised); ``"shipped"`` reads the copy that ships with
        sklearn-tune, without touching the network and without a warning
        (what examples and notebooks that must run offline use).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : {DataFrame, ndarray} of shape (1309, 13)
            The features, in OpenML's order: ``pclass``, ``sibsp`` and
            ``parch`` (int64), ``age``, ``fare`` and ``body`` (float64, with
            missing values), ``sex`` and ``embarked`` (categorical), ``name``,
            ``ticket``, ``cabin``, ``boat`` and ``home.dest`` (strings, pandas'
            default string dtype).
        target : {Series, ndarray} of shape (1309,)
            ``"1"`` if the passenger survived, else ``"0"``.
        frame : DataFrame of shape (1309, 14) or None
            Features and target together, in OpenML's column order; None if
            ``as_frame=False``.
        feature_names : list of str
            The names of the 13 feature columns.
        target_names : list of str
            ``["survived"]``, as :func:`~sklearn.datasets.fetch_openml` names it.
        DESCR : str
            OpenML's description of the dataset and where it was loaded from.
        details : dict
            OpenML's metadata about the dataset.
        url : str
            The dataset's page on OpenML.

    (data, target) : tuple if ``return_X_y`` is True

    See Also
    --------
    make_titanic_preprocessor : Impute, encode and scale the useful columns.
    sklearn.datasets.fetch_openml : Fetch any dataset from OpenML.

    Notes
    -----
    Offline, the cache that a previous online call left in ``data_home`` is not
    read: the shipped copy holds the same data. ``fetch_openml`` is called with
    ``parser="liac-arff"`` because its pandas parser fails on this dataset with
    pandas >= 3.1 in scikit-learn <= 1.9.1 (scikit-learn/scikit-learn#34892).

    Examples
    --------
    >>> from sklearn_tune.datasets import load_titanic
    >>> X, y = load_titanic(return_X_y=True, source="shipped")  # offline
    >>> X.shape
    (1309, 13)
    >>> y.value_counts().sort_index().tolist()
    [809, 500]
    """
    if source not in _SOURCES:
        raise ValueError(
            f"load_titanic: source must be one of {_SOURCES}, got {source!r}. "
            "Use 'shipped' to read the copy that ships with sklearn-tune "
            "offline, 'openml' to fetch from OpenML only, or 'auto' for both."
        )
    bunch = None
    if source == "shipped":
        bunch = _load_shipped_titanic()
    elif source == "openml":
        bunch = _fetch_titanic(data_home)
    elif _openml_reachable():
        try:
            bunch = _fetch_titanic(data_home)
        except _ONLINE_ERRORS as err:
            reason = f"fetching it from OpenML failed ({type(err).__name__}: {err})"
    else:
        reason = f"{_OPENML_HOST} could not be reached within {_PROBE_TIMEOUT:g} s"
    if bunch is None:
        warnings.warn(
            f"Titanic: {reason}; loading the copy of OpenML dataset {_OPENML_ID} "
            f"that ships with sklearn-tune instead (sklearn_tune/data/"
            f"{_SHIPPED_CSV}; source='shipped' reads it without this warning).",
            UserWarning,
            stacklevel=2,
        )
        bunch = _load_shipped_titanic()

    if not as_frame:
        bunch.data = bunch.data.to_numpy(dtype=object)
        bunch.target = bunch.target.to_numpy(dtype=object)
        bunch.frame = None
    if return_X_y:
        return bunch.data, bunch.target
    return bunch


def make_titanic_preprocessor():
    """Make the column transformer that prepares Titanic for a model.

    ``sex``, ``embarked`` and ``pclass`` are imputed with their most frequent
    value and one-hot encoded (categories unseen in ``fit`` become all zeros);
    ``age``, ``fare``, ``sibsp`` and ``parch`` are imputed with their median
    and standardised. Every other column is dropped: ``name``, ``ticket`` and
    ``cabin`` are free text, and ``boat``, ``body`` and ``home.dest`` were
    recorded after the sinking and would leak the target.

    Returns
    -------
    preprocessor : :class:`~sklearn.compose.ColumnTransformer`
        An unfitted transformer taking the DataFrame of :func:`load_titanic`
        and returning a dense array of 12 columns (2 + 3 + 3 one-hot and
        4 scaled) with no missing values.

    See Also
    --------
    load_titanic : Load the data this transformer expects.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_tune.datasets import load_titanic, make_titanic_preprocessor
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the offline fallback warns
    ...     X, y = load_titanic(return_X_y=True)
    >>> make_titanic_preprocessor().fit_transform(X).shape
    (1309, 12)
    >>> model = make_pipeline(make_titanic_preprocessor(), LogisticRegression())
    >>> round(model.fit(X, y).score(X, y), 2)
    0.79
    """
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            (
                "encode",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            ),
        ]
    )
    numeric = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
        ]
    )
    return ColumnTransformer(
        [
            ("categorical", categorical, _CATEGORICAL_FEATURES),
            ("numeric", numeric, _NUMERIC_FEATURES),
        ],
        remainder="drop",
    )


def _openml_reachable(timeout=_PROBE_TIMEOUT):
    """Return whether a TCP connection to OpenML opens within ``timeout`` s.

    Goes to the HTTPS proxy instead when urllib would use one. The attempt runs
    in a daemon thread because name resolution ignores socket timeouts.
    """
    host, port = _OPENML_HOST, 443
    proxy = urllib.request.getproxies().get("https")
    if proxy and not urllib.request.proxy_bypass(_OPENML_HOST):
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        default_port = 443 if parts.scheme == "https" else 80
        host, port = parts.hostname, parts.port or default_port
    if not host:
        return False
    connected = threading.Event()

    def connect():
        try:
            with socket.create_connection((host, port), timeout=timeout):
                connected.set()
        except OSError:
            pass

    thread = threading.Thread(target=connect, name="openml-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return connected.is_set()


def _fetch_titanic(data_home):
    """Fetch Titanic from OpenML (or fetch_openml's cache) into our schema."""
    bunch = fetch_openml(
        "titanic",
        version=1,
        data_home=data_home,
        as_frame=True,
        parser="liac-arff",
    )
    frame = _apply_schema(bunch.frame)
    return _make_bunch(frame, bunch.DESCR, bunch.details, bunch.url)


def _load_shipped_titanic():
    """Read Titanic from the copy that ships in ``sklearn_tune/data``."""
    csv_file = _DATA.joinpath(_SHIPPED_CSV)
    try:
        compressed = csv_file.read_bytes()
        metadata = json.loads(
            _DATA.joinpath(_SHIPPED_METADATA).read_text(encoding="utf-8")
        )
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f"OpenML could not be reached and sklearn-tune's copy of the Titanic "
            f"data is missing ({err}): this installation of sklearn-tune is "
            f"incomplete. Reinstall it, or connect to the internet once: "
            f"fetch_openml then caches the dataset."
        ) from err
    digest = hashlib.sha256(compressed).hexdigest()
    if digest != _SHIPPED_SHA256:
        raise ValueError(
            f"sklearn-tune's copy of the Titanic data ({csv_file}) is corrupt: its "
            f"sha256 is {digest}, not {_SHIPPED_SHA256}. Reinstall sklearn-tune."
        )

    names = [feature["name"] for feature in metadata["data_features"]]
    frame = pd.read_csv(
        io.BytesIO(gzip.decompress(compressed)),
        encoding="utf-8",
        keep_default_na=False,
        na_values=[""],
        dtype=dict.fromkeys([*_CATEGORIES, *_STRING], str),
    )
    if list(frame.columns) != names:
        raise ValueError(
            f"sklearn-tune's copy of the Titanic data has the columns "
            f"{list(frame.columns)} where OpenML lists {names}."
        )
    if len(frame) != metadata["number_of_instances"]:
        raise ValueError(
            f"sklearn-tune's copy of the Titanic data has {len(frame)} rows where "
            f"OpenML says {metadata['number_of_instances']}."
        )

    frame = _apply_schema(frame)
    description = dict(metadata["data_set_description"])
    text = description.pop("description")
    descr = (
        f"{text}\n\nLoaded from the copy of OpenML dataset {_OPENML_ID} that ships "
        f"with sklearn-tune (sklearn_tune/data/{_SHIPPED_CSV})."
    )
    return _make_bunch(
        frame, descr, description, f"https://www.openml.org/d/{_OPENML_ID}"
    )


def _apply_schema(frame):
    """Cast Titanic's columns to the one schema of :func:`load_titanic`.

    Raises if a column is missing or a value does not fit its type, rather than
    turning it into a missing value.
    """
    expected = [*_INTEGER, *_FLOAT, *_CATEGORIES, *_STRING]
    missing = sorted(set(expected) - set(frame.columns))
    if missing:
        raise ValueError(f"The Titanic data lacks the columns {missing}.")
    frame = frame.copy()
    for name, categories in _CATEGORIES.items():
        values = frame[name].astype(object)
        typed = values.astype(pd.CategoricalDtype(categories))
        if typed.isna().sum() != values.isna().sum():
            unknown = sorted(set(values.dropna()) - set(categories))
            raise ValueError(f"Titanic's {name!r} has unexpected values {unknown}.")
        frame[name] = typed
    for name in _INTEGER:
        values = frame[name].to_numpy(dtype=float)
        if np.isnan(values).any() or (values != np.round(values)).any():
            raise ValueError(f"Titanic's {name!r} is not a column of integers.")
        frame[name] = values.astype(np.int64)
    for name in _FLOAT:
        frame[name] = frame[name].astype(np.float64)
    return frame


def _make_bunch(frame, descr, details, url):
    feature_names = [name for name in frame.columns if name != _TARGET]
    return Bunch(
        data=frame[feature_names],
        target=frame[_TARGET],
        frame=frame,
        feature_names=feature_names,
        target_names=[_TARGET],
        DESCR=descr,
        details=details,
        url=url,
    )
