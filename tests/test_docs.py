"""Every public name is documented (numpydoc) and its examples run (doctest)."""

import doctest
import importlib
import importlib.util
import inspect
import re

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

PUBLIC_MODULES = [
    "sklearn_tune",
    "sklearn_tune.space",
    "sklearn_tune.callbacks",
    "sklearn_tune.schedules",
    "sklearn_tune.exceptions",
    "sklearn_tune.datasets",
    "sklearn_tune.plots",
]
# What a docstring must get right: every parameter documented, none invented,
# in the signature's order, and a summary line.
CHECKED = {"PR01", "PR02", "PR03", "GL08", "SS01"}


def _public_objects():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            yield f"{module_name}.{name}"
            if inspect.isclass(obj):
                for method in ("fit", "score", "predict"):
                    if method in vars(obj):
                        yield f"{module_name}.{name}.{method}"


@pytest.mark.parametrize("name", sorted(set(_public_objects())))
def test_numpydoc(name):
    result = numpydoc_validate.validate(name)
    errors = [
        f"{code}: {message}" for code, message in result["errors"] if code in CHECKED
    ]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize(
    "module_name",
    [
        "sklearn_tune.space",
        "sklearn_tune._bayes._search",
        "sklearn_tune._genetic._search",
        "sklearn_tune._genetic._feature_selection",
        "sklearn_tune.callbacks._deadline",
        "sklearn_tune.callbacks._early_stopping",
        "sklearn_tune.callbacks._mlflow",
        "sklearn_tune.callbacks._tensorboard",
        "sklearn_tune.datasets",
        "sklearn_tune._importance",
        "sklearn_tune.schedules",
    ],
)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(verbose=False)
    tests = [t for t in finder.find(module) if t.examples]
    assert tests, f"{module_name} has no examples"
    for test in tests:
        runner.run(test)
    assert runner.failures == 0, runner.summarize(verbose=False)


# A line holding only "{name}" is a fragment that _fill_doc (or nn's own
# templating) did not fill: it would show as is in help() and in the API docs.
PLACEHOLDER_LINE = re.compile(r"^\s*\{\w+\}\s*$", re.MULTILINE)
OPTIONAL_MODULES = ["sklearn_tune.nn", "sklearn_tune.plots"]


def _documented_modules():
    for module_name in PUBLIC_MODULES + OPTIONAL_MODULES:
        if importlib.util.find_spec(module_name) is None:
            continue
        try:
            yield importlib.import_module(module_name)
        except ImportError as err:  # a missing extra (torch, matplotlib)
            if (err.name or "").split(".")[0] == "sklearn_tune":
                raise


def _public_docstrings():
    """(name, docstring) of every public module, class, function and member."""
    for module in _documented_modules():
        yield module.__name__, module.__doc__
        # __all__, and what the package loads on first use (its _LAZY names)
        for name in {*getattr(module, "__all__", []), *getattr(module, "_LAZY", ())}:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            yield f"{module.__name__}.{name}", obj.__doc__
            if inspect.isclass(obj):
                for member_name in dir(obj):
                    if member_name.startswith("_"):
                        continue
                    member = inspect.getattr_static(obj, member_name)
                    yield (
                        f"{module.__name__}.{name}.{member_name}",
                        getattr(member, "__doc__", None),
                    )


def test_the_placeholder_check_sees_the_searchers():
    names = {name for name, _ in _public_docstrings()}
    assert {"sklearn_tune.BayesSearchCV", "sklearn_tune.GeneticSearchCV"} <= names
    assert "sklearn_tune.BayesSearchCV.fit" in names
    lazy = getattr(importlib.import_module("sklearn_tune"), "_LAZY", {})
    assert {f"sklearn_tune.{name}" for name in lazy} <= names


def test_no_public_docstring_has_an_unfilled_placeholder():
    unfilled = {
        name: PLACEHOLDER_LINE.findall(doc)
        for name, doc in _public_docstrings()
        if isinstance(doc, str) and PLACEHOLDER_LINE.search(doc)
    }
    assert not unfilled, f"unfilled docstring placeholders: {unfilled}"


def test_the_placeholder_pattern_finds_a_bare_name_line():
    assert PLACEHOLDER_LINE.search("Parameters\n----------\n    {cv}\n")
    assert not PLACEHOLDER_LINE.search("    search_spaces : dict {name: dimension}\n")
    assert not PLACEHOLDER_LINE.search("    >>> {'C': [1]}\n")
