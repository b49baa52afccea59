import gzip
import hashlib
import json
import re
import socket
import threading
import time
import warnings
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils import Bunch

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
FALLBACK = "ships with sklearn-tune"
OPENML_MD5 = "60ac7205eee0ba5045c90b3bba95b1c4"  # of OpenML's Titanic.arff
# sha256 of the frame's values (canonical JSON, see _digest), computed once from
# OpenML's ARFF file as scikit-learn 1.9.1 keeps it for its tests, md5 checked.
OPENML_VALUES_SHA256 = (
    "473918434b5c1d810b0d05362ac8418047fcc46dab5127f28d56357aadc61773"
)
PACKAGE = Path(datasets.__file__).parent


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


@pytest.fixture(scope="module")
def metadata():
    return json.loads((PACKAGE / "data" / "titanic_details.json").read_text())


def _digest(frame):
    """sha256 of the frame's column names and values, missing values as null."""
    rows = [
        [
            None if pd.isna(v) else v.item() if isinstance(v, np.generic) else v
            for v in row
        ]
        for row in frame.astype(object).itertuples(index=False)
    ]
    return hashlib.sha256(json.dumps([list(frame.columns), rows]).encode()).hexdigest()


def _as_liac_arff_frame(frame):
    """The frame as fetch_openml(parser="liac-arff") gives it: every numeric
    column float64 (integers too), nominal columns categorical."""
    return frame.astype(dict.fromkeys(INTEGER, np.float64))


def _to_arff(frame):
    """Write the frame as OpenML's Titanic.arff: same header, same layout."""
    header = ["@relation 'd'"]
    for name in frame.columns:
        if name in CATEGORIES:
            values = CATEGORIES[name]
            if name != "survived":
                values = [f"'{value}'" for value in values]
            header.append(f"@attribute '{name}' {{{','.join(values)}}}")
        else:
            kind = "string" if name in STRING else "numeric"
            header.append(f"@attribute '{name}' {kind}")

    def cell(name, value):
        if pd.isna(value):
            return "?"
        if name in INTEGER or name in FLOAT:
            text = repr(float(value))
            return text.removesuffix(".0")
        if name == "survived":
            return str(value)
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    rows = [
        ",".join(cell(name, value) for name, value in zip(frame.columns, row))
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([*header, "", "@data", *rows, ""]).encode("utf-8")


def test_offline_loads_the_shipped_copy_with_a_warning(metadata):
    start = time.monotonic()
    with pytest.warns(UserWarning, match=FALLBACK) as record:
        bunch = load_titanic()
    assert time.monotonic() - start < 5
    assert len(record) == 1
    message = str(record[0].message)
    assert "could not be reached" in message
    assert "OpenML dataset 40945" in message
    assert "sklearn_tune/data/titanic.csv.gz; source='shipped'" in message
    assert bunch.frame.shape == (1309, 14)
    assert bunch.data.shape == (1309, 13)
    assert bunch.target.shape == (1309,)
    assert "Loaded from the copy" in bunch.DESCR
    assert "Thomas Cason" in bunch.DESCR
    assert bunch.url == "https://www.openml.org/d/40945"
    assert bunch.details["md5_checksum"] == OPENML_MD5
    assert bunch.details["licence"] == "Public"
    expected = dict(metadata["data_set_description"])
    del expected["description"]
    assert bunch.details == expected


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
    assert frame["sex"].value_counts().to_dict() == {"male": 843, "female": 466}
    assert frame["embarked"].value_counts().to_dict() == {"S": 914, "C": 270, "Q": 123}
    assert frame["pclass"].value_counts().to_dict() == {3: 709, 1: 323, 2: 277}
    first = frame.iloc[0]
    assert first["name"] == "Allen, Miss. Elisabeth Walton"
    assert (first["pclass"], first["sex"], first["age"]) == (1, "female", 29.0)
    assert first["home.dest"] == "St Louis, MO"
    last = frame.iloc[-1]
    assert (last["name"], last["ticket"], last["fare"]) == (
        "Zimmerman, Mr. Leo",
        "315082",
        7.875,
    )
    # Every value, to the last bit of every float, as OpenML's file has it.
    assert _digest(frame) == OPENML_VALUES_SHA256


def test_shipped_copy_rewritten_as_arff_is_openml_file(titanic, metadata):
    """The shipped rows, written in OpenML's ARFF layout, reproduce OpenML's file
    byte for byte: its md5 is the one OpenML publishes for dataset 40945."""
    arff = _to_arff(titanic.frame)
    assert hashlib.md5(arff).hexdigest() == OPENML_MD5
    assert metadata["data_set_description"]["md5_checksum"] == OPENML_MD5


def test_schema_agrees_with_openml_feature_types(titanic, metadata):
    features = metadata["data_features"]
    types = {f["name"]: f["data_type"] for f in features}
    assert list(types) == COLUMNS
    assert {n for n, t in types.items() if t == "numeric"} == {*INTEGER, *FLOAT}
    assert {n for n, t in types.items() if t == "nominal"} == set(CATEGORIES)
    assert {n for n, t in types.items() if t == "string"} == set(STRING)
    assert [f["name"] for f in features if f["is_target"] == "true"] == ["survived"]
    n_missing = {f["name"]: int(f["number_of_missing_values"]) for f in features}
    assert titanic.frame.isna().sum().to_dict() == n_missing
    assert metadata["number_of_instances"] == len(titanic.frame) == 1309


def test_shipped_checksum_is_the_documented_one():
    data = PACKAGE / "data"
    digest = hashlib.sha256((data / "titanic.csv.gz").read_bytes()).hexdigest()
    assert digest == datasets._SHIPPED_SHA256
    licence = (data / "titanic_LICENSE.txt").read_text()
    assert digest in licence
    assert "https://www.openml.org/d/40945" in licence
    assert "Public" in licence


def test_corrupt_shipped_copy_raises(monkeypatch, tmp_path):
    data = PACKAGE / "data"
    compressed = bytearray((data / "titanic.csv.gz").read_bytes())
    compressed[len(compressed) // 2] ^= 0xFF
    (tmp_path / "titanic.csv.gz").write_bytes(bytes(compressed))
    (tmp_path / "titanic_details.json").write_bytes(
        (data / "titanic_details.json").read_bytes()
    )
    monkeypatch.setattr(datasets, "_DATA", tmp_path)
    with pytest.warns(UserWarning, match=FALLBACK):
        with pytest.raises(ValueError, match=r"is corrupt: its sha256 is [0-9a-f]{64}"):
            load_titanic()


def test_missing_shipped_copy_raises(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "_DATA", tmp_path)
    with pytest.warns(UserWarning, match=FALLBACK):
        with pytest.raises(FileNotFoundError, match="Reinstall it"):
            load_titanic()


def test_no_module_reads_scikit_learns_test_data():
    """scikit-learn's test files are no API: no module may reach into them."""
    pattern = re.compile(r"""["']tests["']|tests[/\\.]data|id_40945|api-v1-""")
    modules = sorted(PACKAGE.rglob("*.py"))
    assert PACKAGE / "datasets.py" in modules
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in modules
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders


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


def test_online_path_uses_fetch_openml(monkeypatch, tmp_path, titanic, metadata):
    """Online, fetch_openml's frame (liac-arff dtypes) becomes the same frame."""
    description = dict(metadata["data_set_description"])
    text = description.pop("description")
    calls = []

    def fake_fetch_openml(*args, **kwargs):
        calls.append((args, kwargs))
        return Bunch(
            frame=_as_liac_arff_frame(titanic.frame),
            DESCR=f"{text}\n\nDownloaded from openml.org.",
            details=description,
            url="https://www.openml.org/d/40945",
        )

    monkeypatch.setattr(datasets, "_openml_reachable", lambda: True)
    monkeypatch.setattr(datasets, "fetch_openml", fake_fetch_openml)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        bunch = load_titanic(data_home=tmp_path)
    assert calls == [
        (
            ("titanic",),
            {
                "version": 1,
                "data_home": tmp_path,
                "as_frame": True,
                "parser": "liac-arff",
            },
        )
    ]
    assert bunch.DESCR.endswith("Downloaded from openml.org.")
    assert "Loaded from the copy" not in bunch.DESCR
    pd.testing.assert_frame_equal(bunch.frame, titanic.frame, check_exact=True)
    pd.testing.assert_frame_equal(bunch.data, titanic.data, check_exact=True)
    pd.testing.assert_series_equal(bunch.target, titanic.target, check_exact=True)
    assert bunch.feature_names == titanic.feature_names
    assert bunch.details == titanic.details
    assert bunch.url == titanic.url


def test_real_fetch_openml_gives_the_same_frame(monkeypatch, tmp_path, titanic):
    """scikit-learn's own fetch_openml, its cache filled with OpenML's answers
    and OpenML's ARFF file (rebuilt from the shipped copy, md5 checked), parses
    them into the frame the shipped copy gives.

    The cache layout is fetch_openml's (the URL paths of the OpenML API under
    data_home/openml/openml.org). If a scikit-learn release changes it,
    fetch_openml tries the network, which is disabled here, and this test
    fails: the online path then needs a look.
    """
    data = PACKAGE / "data"
    metadata = json.loads((data / "titanic_details.json").read_text())
    cache = tmp_path / "openml" / "openml.org"
    api = cache / "api" / "v1" / "json" / "data"
    n_rows = metadata["number_of_instances"]
    answers = {
        api / "40945.gz": {"data_set_description": metadata["data_set_description"]},
        api / "features" / "40945.gz": {
            "data_features": {"feature": metadata["data_features"]}
        },
        api / "qualities" / "40945.gz": {
            "data_quality": None,
            "data_qualities": {
                "quality": [{"name": "NumberOfInstances", "value": f"{n_rows}.0"}]
            },
        },
        api / "list/data_name/titanic/limit/2/data_version/1.gz": {
            "data": {"dataset": [{"did": 40945, "name": "Titanic", "version": 1}]}
        },
    }
    for path, answer in answers.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(json.dumps(answer).encode()))
    # scikit-learn 1.9 caches the file under its URL's path, 1.6 (the oldest
    # supported) under the file id alone.
    arff = gzip.compress(_to_arff(titanic.frame))
    for path in ["16826755/Titanic.arff.gz", "16826755.gz"]:
        (cache / "data/v1/download" / path).parent.mkdir(parents=True, exist_ok=True)
        (cache / "data/v1/download" / path).write_bytes(arff)

    monkeypatch.setattr(datasets, "_openml_reachable", lambda: True)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        bunch = load_titanic(data_home=tmp_path)
    assert not [str(w.message) for w in record if FALLBACK in str(w.message)]
    assert bunch.DESCR.endswith("Downloaded from openml.org.")
    pd.testing.assert_frame_equal(bunch.frame, titanic.frame, check_exact=True)
    pd.testing.assert_frame_equal(bunch.data, titanic.data, check_exact=True)
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


def test_source_shipped_reads_the_copy_offline_without_a_warning(titanic, monkeypatch):
    def probe(*args, **kwargs):
        raise AssertionError("source='shipped' must not probe OpenML")

    monkeypatch.setattr(datasets, "_openml_reachable", probe)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, y = load_titanic(return_X_y=True, source="shipped")
    pd.testing.assert_frame_equal(X, titanic.data)
    pd.testing.assert_series_equal(y, titanic.target)


def test_source_openml_raises_instead_of_falling_back(monkeypatch):
    def fail(*args, **kwargs):
        raise URLError("connection reset")

    monkeypatch.setattr(datasets, "fetch_openml", fail)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(URLError, match="connection reset"):
            load_titanic(source="openml")


def test_bad_source_is_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(datasets, "_openml_reachable", lambda: 1 / 0)
    with pytest.raises(ValueError, match=r"source must be one of .* got 'web'"):
        load_titanic(source="web")


def test_no_machine_path_in_the_fallback_warning_or_descr(titanic):
    with pytest.warns(UserWarning, match=FALLBACK) as record:
        load_titanic()
    text = " ".join(str(w.message) for w in record) + titanic.DESCR
    assert str(PACKAGE) not in text
    assert "sklearn_tune/data/titanic.csv.gz" in text
