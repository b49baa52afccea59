"""Malformed input fails before the first fit, naming parameter, value and fix."""

import re

import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.space import Real

X, y = make_classification(n_samples=40, n_features=4, random_state=0)
GOOD = {"C": Real(0.1, 10.0)}


class Spy(LogisticRegression):
    n_fits = 0

    def fit(self, X, y, **kwargs):
        Spy.n_fits += 1
        return super().fit(X, y, **kwargs)


def bayes(**kwargs):
    kwargs = {"search_spaces": GOOD, "n_iter": 3, "cv": 2, **kwargs}
    return BayesSearchCV(Spy(), **kwargs)


def genetic(**kwargs):
    kwargs = {
        "search_spaces": GOOD,
        "population_size": 3,
        "generations": 1,
        "cv": 2,
        **kwargs,
    }
    return GeneticSearchCV(Spy(), **kwargs)


# (searchers, constructor arguments, fit arguments, error, fragments of the message)
CASES = [
    # -- search spaces: both searchers --------------------------------------
    (
        "both",
        {"search_spaces": {}},
        {},
        ValueError,
        ["search_spaces", "empty dict", "e.g."],
    ),
    ("both", {"search_spaces": []}, {}, ValueError, ["search_spaces", "empty list"]),
    ("both", {"search_spaces": "C"}, {}, ValueError, ["search_spaces", "'C'"]),
    ("both", {"search_spaces": None}, {}, ValueError, ["search_spaces", "None"]),
    (
        "both",
        {"search_spaces": {"C": "1 ... 100"}},
        {},
        ValueError,
        ["search_spaces['C']", "'1 ... 100'", "Wrap single values in a list"],
    ),
    (
        "both",
        {"search_spaces": {"C": 1}},
        {},
        TypeError,
        ["search_spaces['C']", "1 (int)", "[1]"],
    ),
    (
        "both",
        {"search_spaces": {"C": []}},
        {},
        ValueError,
        ["search_spaces['C']", "empty", "Real(0.1, 10)"],
    ),
    (
        "both",
        {"search_spaces": ["C", (1.0, 1)]},
        {},
        TypeError,
        ["search_spaces[0]", "'C'", "(dict, n_iter)"],
    ),
    (
        "both",
        {"search_spaces": [({"C": (0.1, 1.0)}, -1)]},
        {},
        ValueError,
        ["search_spaces[0]", "n_iter=-1", "non-negative int"],
    ),
    (
        "both",
        {"search_spaces": {"C": (1.0, 1.0)}},
        {},
        ValueError,
        ["low=1.0", "high=1.0", "Categorical([1.0])"],
    ),
    (
        "both",
        {"search_spaces": {"C": (10.0, 1.0)}},
        {},
        ValueError,
        ["low=10.0", "smaller than high"],
    ),
    (
        "both",
        {"search_spaces": {"C": (0.0, 1.0, "log-uniform")}},
        {},
        ValueError,
        ["low=0.0", "log-uniform", "low > 0"],
    ),
    (
        "both",
        {"search_spaces": {"C": ()}},
        {},
        ValueError,
        ["search_spaces['C']", "empty"],
    ),
    (
        "both",
        {"search_spaces": {"Cc": (0.1, 1.0)}},
        {},
        ValueError,
        ["'Cc'", "Spy does not have", "Did you mean 'C'"],
    ),
    (
        "both",
        {"search_spaces": {"clf__C": (0.1, 1.0)}},
        {},
        ValueError,
        ["'clf__C'", "step__param"],
    ),
    ("both", {"search_spaces": {1: [1, 2]}}, {}, TypeError, ["1 (int)", "must be str"]),
    (
        "both",
        {"search_spaces": {"C": (1, None)}},
        {},
        ValueError,
        ["search_spaces['C']", "(1, None)", "Real(low, high)"],
    ),
    (
        "both",
        {"search_spaces": {"C": {"low": 1}}},
        {},
        TypeError,
        ["search_spaces['C']", "{'low': 1}"],
    ),
    # -- scikit-learn's own parameters ---------------------------------------
    ("both", {"scoring": "not_a_scorer"}, {}, ValueError, ["scoring", "not_a_scorer"]),
    ("both", {"cv": "five"}, {}, ValueError, ["cv", "five"]),
    ("both", {"error_score": "warn"}, {}, ValueError, ["error_score", "warn"]),
    ("both", {"random_state": "seed"}, {}, ValueError, ["random_state", "seed"]),
    ("both", {"checkpoint": 123}, {}, ValueError, ["checkpoint", "123"]),
    (
        "bayes",
        {"optimizer_kwargs": {"acq_func": "EIps"}},
        {},
        ValueError,
        ["acq_func", "'EIps'", "'EI'"],
    ),
    (
        "both",
        {"search_spaces": {"C": (0.0, 1.0, "log-uniform")}},
        {},
        ValueError,
        ["search_spaces['C']", "log-uniform", "low > 0"],
    ),
    (
        "both",
        {"cv": GroupKFold(2)},
        {},
        ValueError,
        ["groups", "could not split the data"],
    ),
    ("both", {}, {"callback": 3}, TypeError, ["callback", "3 (int)"]),
    ("both", {}, {"callback": [print, "x"]}, TypeError, ["callback entries", "'x'"]),
    # -- BayesSearchCV -------------------------------------------------------
    ("bayes", {"n_iter": 0}, {}, ValueError, ["n_iter", "range [1, inf)", "Got 0"]),
    ("bayes", {"n_iter": "10"}, {}, ValueError, ["n_iter", "Got '10'"]),
    ("bayes", {"n_points": 0}, {}, ValueError, ["n_points", "Got 0"]),
    ("bayes", {"optimizer_kwargs": "gp"}, {}, ValueError, ["optimizer_kwargs", "'gp'"]),
    (
        "bayes",
        {"optimizer_kwargs": {"n_initial_point": 2}},
        {},
        ValueError,
        ["optimizer_kwargs", "'n_initial_point'", "Did you mean 'n_initial_points'"],
    ),
    (
        "bayes",
        {"optimizer_kwargs": {"acq_func": "UCB"}},
        {},
        ValueError,
        ["optimizer_kwargs", "UCB", "gp_hedge"],
    ),
    (
        "bayes",
        {"optimizer_kwargs": {"n_initial_points": -1}},
        {},
        ValueError,
        ["optimizer_kwargs", "n_initial_points", "-1"],
    ),
    (
        "bayes",
        {"optimizer_kwargs": {"base_estimator": "SVM"}},
        {},
        ValueError,
        ["optimizer_kwargs", "SVM", "'GP'"],
    ),
    # -- GeneticSearchCV -----------------------------------------------------
    ("genetic", {"population_size": 1}, {}, ValueError, ["population_size", "Got 1"]),
    ("genetic", {"generations": -1}, {}, ValueError, ["generations", "Got -1"]),
    (
        "genetic",
        {"crossover_probability": 1.5},
        {},
        ValueError,
        ["crossover_probability", "range [0.0, 1.0]", "Got 1.5"],
    ),
    (
        "genetic",
        {"mutation_probability": -0.1},
        {},
        ValueError,
        ["mutation_probability", "Got -0.1"],
    ),
    (
        "genetic",
        {"crossover_probability": 0.9, "mutation_probability": 0.3},
        {},
        ValueError,
        ["0.9 + 0.3", "at most 1", "algorithm='simple'"],
    ),
    ("genetic", {"tournament_size": 0}, {}, ValueError, ["tournament_size", "Got 0"]),
    ("genetic", {"elitism": 3}, {}, ValueError, ["elitism=3", "population_size=3"]),
    ("genetic", {"algorithm": "genetic"}, {}, ValueError, ["algorithm", "'genetic'"]),
    ("genetic", {"keep_top_k": 0}, {}, ValueError, ["keep_top_k", "Got 0"]),
]


def _expand(cases):
    for searchers, kwargs, fit_kwargs, error, fragments in cases:
        for make in {
            "both": (bayes, genetic),
            "bayes": (bayes,),
            "genetic": (genetic,),
        }[searchers]:
            yield pytest.param(
                make,
                kwargs,
                fit_kwargs,
                error,
                fragments,
                id=f"{make.__name__}-{sorted(kwargs) or sorted(fit_kwargs)}",
            )


@pytest.mark.parametrize(
    "make, kwargs, fit_kwargs, error, fragments", list(_expand(CASES))
)
def test_bad_input_fails_before_any_fit(make, kwargs, fit_kwargs, error, fragments):
    Spy.n_fits = 0
    search = make(**kwargs)  # __init__ only stores
    with pytest.raises(error) as info:
        search.fit(X, y, **fit_kwargs)
    message = "\n".join([str(info.value), *getattr(info.value, "__notes__", [])])
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert Spy.n_fits == 0


def test_a_list_of_two_numbers_warns_that_it_is_a_range():
    with pytest.warns(UserWarning, match=re.escape("Categorical([0.1, 10])")):
        search = bayes(search_spaces={"C": [0.1, 10]}).fit(X, y)
    values = [p["C"] for p in search.cv_results_["params"]]
    assert all(0.1 <= v <= 10 for v in values) and not set(values) <= {0.1, 10}
