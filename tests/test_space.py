"""The search-space module: dimensions, the forms skopt accepts, validation."""

import json
import re
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from skopt import space as skopt_space

from sklearn_tune.space import (
    Categorical,
    Dimension,
    Integer,
    Real,
    check_dimension,
    check_search_space,
)


@pytest.mark.parametrize(
    "given, expected",
    [
        ((1, 5), Integer(1, 5)),
        ((1.0, 5), Real(1.0, 5.0)),
        ((1e-3, 1e3, "log-uniform"), Real(1e-3, 1e3, prior="log-uniform")),
        ((1, 100, "log-uniform"), Integer(1, 100, prior="log-uniform")),
        ((1, 100, "log-uniform", 2), Integer(1, 100, prior="log-uniform", base=2)),
        ((0.1, 10.0, "log-uniform", 2), Real(0.1, 10.0, prior="log-uniform", base=2)),
        (["a", "b", "c"], Categorical(["a", "b", "c"])),
        (["a", "b"], Categorical(["a", "b"])),
        ([True, False], Categorical([True, False])),
        ([3], Categorical([3])),
        (("a", "b", "c"), Categorical(["a", "b", "c"])),
        ([1, 2, 3], Categorical([1, 2, 3])),
        ((1, 2, "x"), Categorical([1, 2, "x"])),
        ([1, 2, 3, 4, 5], Categorical([1, 2, 3, 4, 5])),
        (np.array([1, 2, 3]), Categorical([1, 2, 3])),
    ],
)
def test_tuples_and_lists_are_read_as_skopt_reads_them(given, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert check_dimension(given) == expected
        assert skopt_equivalent(skopt_space.check_dimension(given)) == expected


def skopt_equivalent(dim):
    return check_dimension(dim)


def test_list_of_two_numbers_is_a_range_with_a_warning():
    with pytest.warns(UserWarning, match=re.escape("Categorical([0.1, 10])")):
        assert check_dimension([0.1, 10]) == Real(0.1, 10.0)
    with pytest.warns(UserWarning, match="a range"):
        assert check_dimension([0, 10]) == Integer(0, 10)


def test_tuple_of_two_numbers_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_dimension((0.1, 10)) == Real(0.1, 10.0)


def test_skopt_dimensions_are_copied_not_modified():
    dims = {
        "C": skopt_space.Real(1e-3, 1e3, prior="log-uniform"),
        "degree": skopt_space.Integer(1, 5),
        "kernel": skopt_space.Categorical(["linear", "rbf"]),
    }
    (subspace,) = check_search_space(dims, SVC())
    assert subspace.dimensions == {
        "C": Real(1e-3, 1e3, prior="log-uniform"),
        "degree": Integer(1, 5),
        "kernel": Categorical(["linear", "rbf"]),
    }
    assert all(dim.name is None for dim in dims.values())


@pytest.mark.parametrize("dim", [Real(1e-4, 1e2, "log-uniform"), Integer(1, 9)])
def test_unit_round_trip(dim):
    for unit in np.linspace(0, 1, 23):
        value = dim.from_unit(unit)
        assert value in dim
        assert dim.from_unit(dim.to_unit(value)) == pytest.approx(value)


def test_integer_unit_map_gives_every_value_an_equal_share():
    dim = Integer(1, 4)
    values = [dim.from_unit(u) for u in np.linspace(0, 1, 4001)]
    counts = np.bincount(values)[1:]
    assert counts.min() >= 990 and counts.max() <= 1010


def test_categorical_unit_map_and_index():
    dim = Categorical(["a", "b", "c"])
    assert [dim.from_unit(u) for u in (0, 0.4, 0.99, 1)] == ["a", "b", "c", "c"]
    assert dim.index("b") == 1
    assert dim.from_unit(dim.to_unit("c")) == "c"
    assert "d" not in dim


def test_categorical_holds_estimators_and_tells_1_from_true():
    svc = SVC()
    dim = Categorical([svc, DecisionTreeClassifier()])
    assert dim.index(svc) == 0
    assert Categorical([True, 1]).index(1) == 1


@pytest.mark.parametrize(
    "dim", [Real(0.5, 2.0), Integer(-3, 3, name="k"), Categorical(["x", 1, None])]
)
def test_json_round_trip_and_value_equality(dim):
    data = json.loads(json.dumps(dim.to_dict()))
    assert Dimension.from_dict(data) == dim
    assert hash(Dimension.from_dict(data)) == hash(dim)


def test_dimensions_compare_by_value():
    assert Real(0, 1) == Real(0.0, 1.0)
    assert Real(0, 1) != Real(0, 2)
    assert Real(0, 1) != Integer(0, 1)
    assert Categorical(["a"]) != Categorical(["b"])


@pytest.mark.parametrize(
    "build, error, message",
    [
        (lambda: Real(1, 1), ValueError, "low must be smaller than high"),
        (lambda: Real(2, 1), ValueError, "Categorical([2])"),
        (lambda: Real(0, 1, prior="log-uniform"), ValueError, "needs low > 0"),
        (lambda: Real(0, 1, prior="normal"), ValueError, "prior must be one of"),
        (lambda: Real("0", 1), TypeError, "low must be a real number"),
        (lambda: Real(0, float("inf")), ValueError, "finite"),
        (lambda: Integer(0.5, 3), TypeError, "must be an integer"),
        (lambda: Categorical([]), ValueError, "at least one choice"),
        (lambda: Categorical("abc"), TypeError, "Categorical(['abc'])"),
        (lambda: Categorical(["a", "b"], prior=[0.5]), ValueError, "one non-negative"),
        (lambda: Categorical(["a", "b"], prior=[0.5, 0.6]), ValueError, "sum to 1"),
    ],
)
def test_bad_dimensions_say_what_and_how_to_fix(build, error, message):
    with pytest.raises(error, match=re.escape(message)):
        build()


@pytest.mark.parametrize(
    "spaces, error, message",
    [
        ({}, ValueError, "search_spaces is an empty dict"),
        ([], ValueError, "search_spaces is an empty list"),
        ("C", TypeError, "must be a dict"),
        (None, TypeError, "got None"),
        ({"C": "1 ... 100.0"}, ValueError, "search_spaces['C'] must be"),
        ({"C": 1}, TypeError, "Wrap single values in a list: [1]"),
        ({"C": []}, ValueError, "search_spaces['C'] is empty"),
        (["C", (1.0, 1)], TypeError, "search_spaces[0] must be a dict"),
        ([({"C": [1, 2, 3]}, -1)], ValueError, "n_iter=-1"),
        ([({"C": [1, 2, 3]}, 1, 2)], ValueError, "(dict, n_iter) pair"),
        ({1: [1, 2, 3]}, TypeError, "parameter names must be str"),
        ({"C": (1, None)}, ValueError, "mixes types"),
    ],
)
def test_bad_search_spaces_say_what_and_how_to_fix(spaces, error, message):
    with pytest.raises(error, match=re.escape(message)):
        check_search_space(spaces)


def test_unknown_parameter_names_suggest_the_closest():
    pipe = Pipeline([("clf", LogisticRegression())])
    with pytest.raises(ValueError, match=re.escape("Did you mean 'clf__C'")):
        check_search_space({"clf__c": Real(0.1, 1)}, pipe)
    with pytest.raises(ValueError, match="SVC does not have"):
        check_search_space({"max_depth": Integer(1, 3)}, SVC())


def test_nested_names_are_checked_against_swapped_in_steps():
    pipe = Pipeline([("model", SVC())])
    spaces = [
        {"model": Categorical([DecisionTreeClassifier()]), "model__max_depth": (1, 9)},
        ({"model__C": Real(0.1, 10)}, 3),
    ]
    subspaces = check_search_space(spaces, pipe)
    assert [sub.n_iter for sub in subspaces] == [None, 3]
    assert list(subspaces[0].dimensions) == ["model", "model__max_depth"]


@given(
    low=st.floats(-1e6, 1e6, allow_nan=False),
    width=st.floats(1e-3, 1e6, allow_nan=False),
    unit=st.floats(0, 1),
    log=st.booleans(),
)
def test_real_from_unit_stays_in_bounds(low, width, unit, log):
    if log:
        low = abs(low) + 1e-3
    dim = Real(low, low + width, prior="log-uniform" if log else "uniform")
    assert dim.low <= dim.from_unit(unit) <= dim.high


@given(
    st.one_of(
        st.tuples(st.integers(-100, 100), st.integers(-100, 100)),
        st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)),
        st.lists(st.one_of(st.integers(), st.text(max_size=3), st.none()), max_size=5),
        st.integers(),
        st.text(max_size=5),
    )
)
def test_parser_returns_a_dimension_or_a_clear_error(value):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dim = check_dimension(value, name="search_spaces['p']")
    except (ValueError, TypeError) as err:
        assert str(err)  # a message, never a bare error
        return
    assert isinstance(dim, Dimension)
    assert dim.from_unit(0.5) in dim
