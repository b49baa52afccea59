"""describe() is equal across processes for equal values and differs otherwise."""

import functools
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import sklearn_tune
from sklearn_tune._fingerprint import MAX_DEPTH, describe, difference
from sklearn_tune.space import Categorical

REPO = Path(sklearn_tune.__file__).resolve().parents[1]

# A module of things a search may hold, imported by name in each process.
HELPER = '''
import functools

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_tune.space import Categorical


def my_fn(X):
    return X * 2


def my_metric(y_true, y_pred, weight=1.0):
    return weight * float((y_true == y_pred).mean())


def make_nested(k):
    def nested(x):
        return x + k

    return nested


class Plain:
    """Default repr, with its memory address."""

    def __init__(self):
        self.func = my_fn
        self.values = [1, 2]


def cases():
    return {
        "function_transformer": FunctionTransformer(my_fn),
        "scorer": make_scorer(my_metric, weight=2.0),
        "lambda_in_list": [lambda x: x + 1, "b"],
        "pipeline": Pipeline(
            [("scale", FunctionTransformer(my_fn)), ("model", LogisticRegression())]
        ),
        "kfold": KFold(3, shuffle=True, random_state=0),
        "nested_function": make_nested(3),
        "partial": functools.partial(my_metric, weight=0.5),
        "array": np.arange(100.0).reshape(20, 5),
        "dataframe": pd.DataFrame({"a": np.arange(40), "b": list("xy") * 20}),
        "categorical_of_functions": Categorical([my_fn, np.log, "passthrough"]),
        "set_of_strings": {"alpha", "beta", "gamma", "delta"},
        "plain_object": Plain(),
        "bound_method": LogisticRegression(C=3.0).fit,
    }
'''

CASES = [
    "function_transformer",
    "scorer",
    "lambda_in_list",
    "pipeline",
    "kfold",
    "nested_function",
    "partial",
    "array",
    "dataframe",
    "categorical_of_functions",
    "set_of_strings",
    "plain_object",
    "bound_method",
]

SCRIPT = (
    "import json, fp_helper\n"
    "from sklearn_tune._fingerprint import describe\n"
    "print(json.dumps({k: describe(v) for k, v in fp_helper.cases().items()}))\n"
)


def _describe_in_subprocess(helper_dir: Path, hash_seed: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(helper_dir), str(REPO), env.get("PYTHONPATH", "")]
    )
    env["PYTHONHASHSEED"] = hash_seed  # set order differs between the two
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    """The helper's cases described in two fresh processes."""
    helper_dir = tmp_path_factory.mktemp("fp_helper")
    (helper_dir / "fp_helper.py").write_text(HELPER)
    first = _describe_in_subprocess(helper_dir, "1")
    second = _describe_in_subprocess(helper_dir, "2")
    return first, second


@pytest.mark.parametrize("case", [pytest.param(c, id=c) for c in CASES])
def test_equal_across_processes(two_processes, case):
    first, second = two_processes
    assert first[case] == second[case]
    assert "0x" not in first[case]
    assert " at " not in first[case]


def test_cross_process_cases_are_distinct(two_processes):
    """Each case describes as something of its own (no blanket fallback)."""
    first, _ = two_processes
    assert sorted(first) == sorted(CASES)
    assert len(set(first.values())) == len(CASES)
    assert "fp_helper.my_fn#" in first["function_transformer"]
    assert "fp_helper.my_metric#" in first["scorer"]
    assert "_kwargs={'weight': 2.0}" in first["scorer"]
    assert "random_state=0" in first["kfold"]
    assert "fp_helper.make_nested.<locals>.nested#" in first["nested_function"]
    assert "sha256=" in first["array"]
    assert "joblib_hash=" in first["dataframe"]
    assert "numpy.log" in first["categorical_of_functions"]


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_function_body_change_is_seen(tmp_path):
    source = "def scale(X):\n    return X * {}\n"
    versions = []
    for factor in (2, 3, 2):
        folder = tmp_path / f"v{len(versions)}"
        folder.mkdir()
        (folder / "fp_body.py").write_text(source.format(factor))
        versions.append(_load(folder / "fp_body.py", "fp_body").scale)
    texts = [describe(FunctionTransformer(f)) for f in versions]
    assert texts[0] != texts[1]
    assert texts[0] == texts[2]  # the same source, loaded again
    assert "fp_body.scale#" in texts[0]


def test_function_body_change_in_a_callee_module_is_not_seen(tmp_path):
    """A documented limit: globals the function calls are named, not hashed."""
    helper = "def inner(x):\n    return x + {}\n\ndef outer(x):\n    return inner(x)\n"
    texts = []
    for i, k in enumerate((1, 2)):
        folder = tmp_path / f"v{i}"
        folder.mkdir()
        (folder / "fp_callee.py").write_text(helper.format(k))
        texts.append(describe(_load(folder / "fp_callee.py", "fp_callee").outer))
    assert texts[0] == texts[1]


def _nested(k):
    def nested(x):
        return x + k

    return nested


def _with_default(x, scale=1.0):
    return x * scale


def _metric(y_true, y_pred):
    return 0.0


def _other_metric(y_true, y_pred):
    return 1.0


class _Holder:
    def __init__(self, value):
        self.value = value


class _Splitter:
    """A CV splitter whose repr leaves out its seed."""

    def __init__(self, seed):
        self.seed = seed

    def split(self, X, y=None, groups=None):
        yield from ()

    def get_n_splits(self, X=None, y=None, groups=None):
        return 2

    def __repr__(self):
        return "_Splitter()"


def _pipeline(c):
    steps = [(f"scale{i}", StandardScaler()) for i in range(4)]
    return Pipeline([*steps, ("model", LogisticRegression(C=c))])


def _big(changed=None):
    array = np.linspace(0.0, 1.0, 1000)
    if changed is not None:
        array[changed] += 1e-12
    return array


SENSITIVE = [
    pytest.param(
        lambda: LogisticRegression(C=1), lambda: LogisticRegression(C=2), id="C"
    ),
    pytest.param(
        lambda: KFold(3, shuffle=True, random_state=0),
        lambda: KFold(3, shuffle=True, random_state=1),
        id="kfold-random-state",
    ),
    pytest.param(
        lambda: KFold(3, shuffle=True, random_state=np.random.RandomState(0)),
        lambda: KFold(3, shuffle=True, random_state=np.random.RandomState(1)),
        id="kfold-randomstate-object",
    ),
    pytest.param(lambda: _Splitter(0), lambda: _Splitter(1), id="splitter-state"),
    pytest.param(_big, lambda: _big(changed=500), id="large-array-one-value"),
    pytest.param(
        lambda: np.arange(4.0),
        lambda: np.array([0.0, 1.0, 2.5, 3.0]),
        id="small-array-one-value",
    ),
    pytest.param(
        lambda: np.zeros(20, dtype=np.float32),
        lambda: np.zeros(20, dtype=np.float64),
        id="array-dtype",
    ),
    pytest.param(lambda: np.zeros((4, 5)), lambda: np.zeros((5, 4)), id="array-shape"),
    pytest.param(
        lambda: np.array([_metric] * 12, dtype=object),
        lambda: np.array([_metric] * 11 + [_other_metric], dtype=object),
        id="object-array",
    ),
    pytest.param(lambda: lambda x: x + 1, lambda: lambda x: x + 2, id="lambda"),
    pytest.param(lambda: _nested(1), lambda: _nested(2), id="closure-value"),
    pytest.param(
        lambda: functools.partial(_with_default, scale=1.0),
        lambda: functools.partial(_with_default, scale=2.0),
        id="partial-keyword",
    ),
    pytest.param(
        lambda: make_scorer(_metric),
        lambda: make_scorer(_other_metric),
        id="scorer-function",
    ),
    pytest.param(
        lambda: make_scorer(_metric),
        lambda: make_scorer(_metric, greater_is_better=False),
        id="scorer-sign",
    ),
    pytest.param(
        lambda: Categorical([_metric, _other_metric]),
        lambda: Categorical([_other_metric, _metric]),
        id="categorical-order",
    ),
    pytest.param(
        lambda: pd.DataFrame({"a": np.arange(30.0)}),
        lambda: pd.DataFrame({"a": np.arange(30.0) + (np.arange(30) == 7)}),
        id="dataframe-one-value",
    ),
    pytest.param(lambda: [1, 2], lambda: (1, 2), id="list-vs-tuple"),
    pytest.param(lambda: {"a": 1}, lambda: {"a": 1.5}, id="dict-value"),
    pytest.param(lambda: 1, lambda: "1", id="int-vs-str"),
    pytest.param(
        lambda: _Holder(_metric), lambda: _Holder(_other_metric), id="object-attribute"
    ),
    pytest.param(
        lambda: _pipeline(1.0), lambda: _pipeline(2.0), id="pipeline-deep-param"
    ),
]


@pytest.mark.parametrize("make_old, make_new", SENSITIVE)
def test_differs_when_the_value_differs(make_old, make_new):
    old = describe(make_old())
    assert old == describe(make_old())  # equal for an equal, new object
    assert old != describe(make_new())
    assert "0x" not in old


def test_numpy_scalars_read_as_python_scalars():
    assert describe(np.float64(0.5)) == describe(0.5) == "0.5"
    assert describe(np.int32(3)) == "3"
    assert describe([np.bool_(True)]) == "[True]"


def test_dict_and_set_order_does_not_matter():
    assert describe({"b": 1, "a": 2}) == describe({"a": 2, "b": 1})
    assert describe({3, 1, 2}) == describe({2, 3, 1}) == "{1, 2, 3}"


def _self_list():
    value = [1]
    value.append(value)
    return value


def _self_dict():
    value = {"a": 1}
    value["me"] = value
    return value


def _self_object():
    value = _Holder(None)
    value.value = [value]
    return value


def _self_estimator():
    transformer = FunctionTransformer()
    transformer.set_params(kw_args={"me": transformer})
    return transformer


def _recursive_function():
    def countdown(n):
        return countdown(n - 1) if n else 0

    return countdown


def _mutual_cycle():
    a, b = _Holder(None), _Holder(None)
    a.value, b.value = b, a
    return a


CYCLES = [
    pytest.param(_self_list, "<cycle list>", id="list"),
    pytest.param(_self_dict, "<cycle dict>", id="dict"),
    pytest.param(_self_object, "<cycle _Holder>", id="object"),
    pytest.param(_self_estimator, "<cycle FunctionTransformer>", id="estimator"),
    pytest.param(_mutual_cycle, "<cycle _Holder>", id="two-objects"),
    pytest.param(_recursive_function, "countdown#", id="recursive-function"),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("make, expected", CYCLES)
def test_cycles_end(make, expected):
    text = describe(make())
    assert expected in text
    assert text == describe(make())


def test_shared_reference_is_not_a_cycle():
    shared = [1, 2]
    assert describe([shared, shared]) == "[[1, 2], [1, 2]]"


@pytest.mark.timeout(30)
def test_deep_nesting_is_cut():
    value = []
    for _ in range(5000):
        value = [value]
    text = describe(value)
    assert "<too deep list>" in text
    assert text.count("[") == MAX_DEPTH + 1


class _BadRepr:
    def __repr__(self):
        raise RuntimeError("no repr")


class _BadEverything:
    def __getattr__(self, name):
        raise RuntimeError(f"no {name}")

    def __repr__(self):
        raise RuntimeError("no repr")


class _BadParams:
    def get_params(self, deep=True):
        raise RuntimeError("no params")

    def __repr__(self):
        return "_BadParams()"


class _NotAString:
    def __repr__(self):
        return 42


BROKEN = [
    pytest.param(_BadRepr, "_BadRepr", id="repr-raises"),
    pytest.param(_BadEverything, "_BadEverything", id="getattr-and-repr-raise"),
    pytest.param(_BadParams, "_BadParams()", id="get-params-raises"),
    pytest.param(_NotAString, "_NotAString", id="repr-not-a-string"),
]


@pytest.mark.parametrize("make, expected", BROKEN)
def test_describe_does_not_raise(make, expected):
    text = describe([1, make(), "end"])
    assert text.startswith("[1, ")
    assert text.endswith(", 'end']")
    assert expected in text
    assert "0x" not in text


def _long_pipeline(c):
    steps = [(f"step{i}", FunctionTransformer(_with_default)) for i in range(4)]
    return Pipeline([*steps, ("model", LogisticRegression(C=c, max_iter=500))])


def test_difference_shows_a_deep_parameter():
    old = describe(_long_pipeline(1.0))
    new = describe(_long_pipeline(2.0))
    assert len(old) > 1000 and old.index("C=1.0") > 900
    old_part, new_part = difference(old, new)
    assert "C=1.0" in old_part and "C=2.0" not in old_part
    assert "C=2.0" in new_part and "C=1.0" not in new_part
    assert "LogisticRegression(C=" in old_part
    assert old_part.startswith("...") and old_part.endswith("...")
    assert len(old_part) <= 2 * 30 + 3 + 2 * len("...")


def test_difference_shows_two_distant_changes_apart():
    def search(c, seed):
        cv = KFold(3, shuffle=True, random_state=seed)
        return describe([_long_pipeline(c), "x" * 300, cv])

    old, new = search(1.0, 0), search(2.0, 5)
    old_part, new_part = difference(old, new, context=15)
    assert "C=1.0" in old_part and "random_state=0" in old_part
    assert "C=2.0" in new_part and "random_state=5" in new_part
    assert "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" not in old_part  # elided between
    assert old_part.count("...") == 3


DIFFERENCES = [
    pytest.param("same", "same", 5, ("", ""), id="equal"),
    pytest.param("abcdef", "abXdef", 1, ("...bcd...", "...bXd..."), id="change"),
    pytest.param("abcdef", "abdef", 1, ("...bcd...", "...bd..."), id="deletion"),
    pytest.param("abc", "abcd", 1, ("...c", "...cd"), id="append"),
    pytest.param("abc", "xabc", 1, ("a...", "xa..."), id="prepend"),
    pytest.param("a=1", "a=2", 30, ("a=1", "a=2"), id="nothing-cut"),
    pytest.param("", "new", 3, ("", "new"), id="from-empty"),
    pytest.param(
        "f(a=1, b=2, c=3)",
        "f(a=9, b=2, c=8)",
        2,
        ("...a=1, ...c=3)", "...a=9, ...c=8)"),
        id="two-hunks",
    ),
    pytest.param(
        "f(a=1, c=3)",
        "f(a=9, c=8)",
        2,
        ("...a=1, c=3)", "...a=9, c=8)"),
        id="close-hunks-merge",
    ),
]


@pytest.mark.parametrize("old, new, context, expected", DIFFERENCES)
def test_difference_table(old, new, context, expected):
    assert difference(old, new, context) == expected
