import gzip
import json
import shutil
import socket
import threading
import time
import warnings
from urllib.error import URLError

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from sklearn_tune import datasets
from sklearn_tune.datasets import load_titanic, make_titanic_preprocessor

COLUMNS = [
    "pclass",
    "survived",
    "name",
    "sex",
    "age",
    "sibsp",
    "parch",
    "ticket",
    "fare",
    "cabin",
    "embarked",
    "boat",
    "body",
    "home.dest",
]
FEATURES = [name for name in COLUMNS if name != "survived"]
INTEGER = ["pclass", "sibsp", "parch"]
FLOAT = ["age", "fare", "body"]
CATEGORIES = {
    "survived": ["0", "1"],
    "sex": ["female", "male"],
    "embarked": list("CQS"),
}
STRING = ["name", "ticket", "cabin", "boat", "home.dest"]
FALLBACK = "ships with scikit-learn"


def _refuse(*args, **kwargs):
    raise OSError("network disabled by the test")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No test here may touch the network: every connection attempt fails."""
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)
    monkeypatch.setattr(socket.socket, "connect", _refuse)


@pytest.fixture(scope="module")
def titanic():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_titanic()


def test_offline_falls_back_to_the_bundled_copy_with_a_warning():
    start = time.monotonic()
    with pytest.warns(UserWarning, match=FALLBACK) as record:
        bunch = load_titanic()
    assert time.monotonic() - start < 5
    assert "id_40945" in str(record[0].message)
    assert "could not be reached" in str(record[0].message)
    assert bunch.frame.shape == (1309, 14)
    assert bunch.data.shape == (1309, 13)
    assert bunch.target.shape == (1309,)
    assert "Loaded from the copy" in bunch.DESCR
    assert "Thomas Cason" in bunch.DESCR
    assert bunch.url == "https://www.openml.org/d/40945"
    assert bunch.details["md5_checksum"] == "60ac7205eee0ba5045c90b3bba95b1c4"


def test_columns_and_dtypes(titanic):
    frame = titanic.frame
    assert list(frame.columns) == COLUMNS
    assert titanic.feature_names == FEATURES
    assert list(titanic.data.columns) == FEATURES
    assert titanic.target_names == ["survived"]
    assert titanic.target.name == "survived"
    for name in INTEGER:
        assert frame[name].dtype == np.int64, name
    for name in FLOAT:
        assert frame[name].dtype == np.float64, name
    for name, categories in CATEGORIES.items():
        assert isinstance(frame[name].dtype, pd.CategoricalDtype), name
        assert list(frame[name].cat.categories) == categories, name
    for name in STRING:
        assert pd.api.types.is_string_dtype(frame[name].dtype), name
        assert not isinstance(frame[name].dtype, pd.CategoricalDtype), name


def test_values_match_openml(titanic):
    frame = titanic.frame
    # OpenML's counts of missing values per column (its features metadata).
    missing = {"age": 263, "fare": 1, "cabin": 1014, "embarked": 2, "boat": 823}
    missing |= {"body": 1188, "home.dest": 564}
    assert frame.isna().sum()[frame.isna().sum() > 0].to_dict() == missing
    assert frame["survived"].value_counts().to_dict() == {"0": 809, "1": 500}
    first = frame.iloc[0]
    assert first["name"] == "Allen, Miss. Elisabeth Walton"
    assert (first["pclass"], first["sex"], first["age"]) == (1, "female", 29.0)
    assert first["home.dest"] == "St Louis, MO"


def test_schema_agrees_with_openml_feature_types():
    folder = datasets._bundled_folder()
    with folder.joinpath("api-v1-jdf-40945.json.gz").open("rb") as file:
        features = json.loads(gzip.decompress(file.read()))["data_features"]
    types = {f["name"]: f["data_type"] for f in features["feature"]}
    assert list(types) == COLUMNS
    assert {n for n, t in types.items() if t == "numeric"} == {*INTEGER, *FLOAT}
    assert {n for n, t in types.items() if t == "nominal"} == set(CATEGORIES)
    assert {n for n, t in types.items() if t == "string"} == set(STRING)


def test_return_X_y(titanic):
    with pytest.warns(UserWarning, match=FALLBACK):
        X, y = load_titanic(return_X_y=True)
    pd.testing.assert_frame_equal(X, titanic.data)
    pd.testing.assert_series_equal(y, titanic.target)


def test_as_frame_false(titanic):
    with pytest.warns(UserWarning, match=FALLBACK):
        bunch = load_titanic(as_frame=False)
    assert bunch.frame is None
    assert isinstance(bunch.data, np.ndarray) and bunch.data.shape == (1309, 13)
    assert isinstance(bunch.target, np.ndarray) and bunch.target.shape == (1309,)
    assert set(bunch.target) == {"0", "1"}
    assert bunch.data[0, FEATURES.index("name")] == "Allen, Miss. Elisabeth Walton"
    with pytest.warns(UserWarning, match=FALLBACK):
        X, y = load_titanic(as_frame=False, return_X_y=True)
    assert isinstance(X, np.ndarray) and X.shape == (1309, 13)
    np.testing.assert_array_equal(y, titanic.target.to_numpy(dtype=object))


def test_probe_gives_up_on_a_hanging_connection(monkeypatch):
    release = threading.Event()

    def hang(*args, **kwargs):
        release.wait(10)
        raise OSError("gave up")

    monkeypatch.setattr(socket, "create_connection", hang)
    start = time.monotonic()
    try:
        assert datasets._openml_reachable(timeout=0.2) is False
        assert time.monotonic() - start < 2
    finally:
        release.set()


def test_failed_download_falls_back(monkeypatch, titanic):
    def fail(*args, **kwargs):
        raise URLError("connection reset")

    monkeypatch.setattr(datasets, "_openml_reachable", lambda: True)
    monkeypatch.setattr(datasets, "fetch_openml", fail)
    with pytest.warns(UserWarning, match="fetching it from OpenML failed.*URLError"):
        bunch = load_titanic()
    pd.testing.assert_frame_equal(bunch.frame, titanic.frame)


def test_openml_path_gives_the_same_frame(monkeypatch, tmp_path, titanic):
    """fetch_openml, fed the bundled files as its cache, agrees with the fallback.

    The cache layout is fetch_openml's own (the URL paths of the OpenML API under
    data_home/openml/openml.org); if it changes, fetch_openml tries the network,
    which is disabled here, and the test skips.
    """
    cache = tmp_path / "openml" / "openml.org"
    api = cache / "api" / "v1" / "json" / "data"
    folder = datasets._bundled_folder()
    files = {
        "api-v1-jd-40945.json.gz": api / "40945.gz",
        "api-v1-jdf-40945.json.gz": api / "features" / "40945.gz",
        "api-v1-jdq-40945.json.gz": api / "qualities" / "40945.gz",
        "data-v1-dl-16826755.arff.gz": cache
        / "data/v1/download/16826755/Titanic.arff.gz",
    }
    for source, target in files.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        with folder.joinpath(source).open("rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    lookup = api / "list/data_name/titanic/limit/2/data_version/1.gz"
    lookup.parent.mkdir(parents=True, exist_ok=True)
    answer = {"data": {"dataset": [{"did": 40945, "name": "Titanic", "version": 1}]}}
    lookup.write_bytes(gzip.compress(json.dumps(answer).encode()))

    monkeypatch.setattr(datasets, "_openml_reachable", lambda: True)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        bunch = load_titanic(data_home=tmp_path)
    fallbacks = [str(w.message) for w in record if FALLBACK in str(w.message)]
    if fallbacks and "URLError" in fallbacks[0]:
        pytest.skip(f"fetch_openml's cache layout changed: {fallbacks[0]}")
    assert not fallbacks
    assert bunch.DESCR.endswith("Downloaded from openml.org.")
    pd.testing.assert_frame_equal(bunch.frame, titanic.frame)
    pd.testing.assert_frame_equal(bunch.data, titanic.data)
    assert bunch.feature_names == titanic.feature_names
    assert bunch.details == titanic.details


def test_preprocessor(titanic):
    preprocessor = make_titanic_preprocessor()
    Xt = preprocessor.fit_transform(titanic.data)
    assert isinstance(Xt, np.ndarray) and Xt.shape == (1309, 12)
    assert not np.isnan(Xt).any()
    names = list(preprocessor.get_feature_names_out())
    assert names == [
        "categorical__sex_female",
        "categorical__sex_male",
        "categorical__embarked_C",
        "categorical__embarked_Q",
        "categorical__embarked_S",
        "categorical__pclass_1",
        "categorical__pclass_2",
        "categorical__pclass_3",
        "numeric__age",
        "numeric__fare",
        "numeric__sibsp",
        "numeric__parch",
    ]
    # One-hot rows sum to one per encoded column; scaled columns are centred.
    np.testing.assert_array_equal(Xt[:, :8].sum(axis=1), 3)
    np.testing.assert_allclose(Xt[:, 8:].mean(axis=0), 0, atol=1e-12)
    # The two passengers with no port get the most frequent one, Southampton.
    no_port = titanic.data["embarked"].isna().to_numpy()
    np.testing.assert_array_equal(Xt[no_port, 4], 1)


def test_preprocessor_drops_other_columns_and_ignores_unseen_values(titanic):
    preprocessor = clone(make_titanic_preprocessor()).fit(titanic.data)
    X = titanic.data.head(5).copy()
    expected = preprocessor.transform(X)
    X["name"] = "someone else"
    X["body"] = 1.0
    np.testing.assert_array_equal(preprocessor.transform(X), expected)
    X["pclass"] = 4  # a class the Titanic never had
    assert not np.isnan(preprocessor.transform(X)).any()
    np.testing.assert_array_equal(preprocessor.transform(X)[:, 5:8], 0)
