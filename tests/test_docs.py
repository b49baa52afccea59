"""Every public name is documented (numpydoc) and its examples run (doctest)."""

import doctest
import importlib
import importlib.util
import inspect
import re

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")
numpydoc_docscrape = pytest.importorskip("numpydoc.docscrape")

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


# The modules whose docstring examples run: where each public class and
# function is defined (the check below keeps this list complete). The optional
# ones skip when their extra is missing.
NEEDS_NN = ("torch", "skorch")
DOCTEST_MODULES = {
    "sklearn_tune.space": (),
    "sklearn_tune._bayes._search": (),
    "sklearn_tune._genetic._search": (),
    "sklearn_tune._genetic._feature_selection": (),
    "sklearn_tune._importance": (),
    "sklearn_tune.callbacks._base": (),
    "sklearn_tune.callbacks._deadline": (),
    "sklearn_tune.callbacks._early_stopping": (),
    "sklearn_tune.callbacks._mlflow": (),
    "sklearn_tune.callbacks._progress": (),
    "sklearn_tune.callbacks._tensorboard": (),
    "sklearn_tune.callbacks._tensorboard_epochs": (*NEEDS_NN, "tensorboardX"),
    "sklearn_tune.schedules": (),
    "sklearn_tune.exceptions": (),
    "sklearn_tune.datasets": (),
    "sklearn_tune.plots": ("matplotlib",),
    "sklearn_tune.nn._augment": NEEDS_NN,
    "sklearn_tune.nn._estimator": NEEDS_NN,
    "sklearn_tune.nn._freezing": NEEDS_NN,
    "sklearn_tune.nn._mlp": NEEDS_NN,
    "sklearn_tune.nn._optim": NEEDS_NN,
    "sklearn_tune.nn._resnet": NEEDS_NN,
    "sklearn_tune.nn._spaces": NEEDS_NN,
}


@pytest.mark.parametrize("module_name", list(DOCTEST_MODULES))
def test_docstring_examples_run(module_name):
    for dependency in DOCTEST_MODULES[module_name]:
        pytest.importorskip(dependency)
    module = importlib.import_module(module_name)
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(verbose=False)
    tests = [t for t in finder.find(module) if t.examples]
    assert tests, f"{module_name} has no examples"
    for test in tests:
        runner.run(test)
    assert runner.failures == 0, runner.summarize(verbose=False)


def _documented_objects():
    """(name, object) of every public class and function of the reference."""
    for module in _documented_modules():
        names = {*getattr(module, "__all__", []), *getattr(module, "_LAZY", ())}
        for name in sorted(names):
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj
    # a skorch callback, loaded on first use (docs/_api.py's LAZY_EXTRAS)
    callbacks = importlib.import_module("sklearn_tune.callbacks")
    try:
        epoch_logger = callbacks.TensorBoardEpochLogger
    except ImportError:  # without skorch
        return
    yield "sklearn_tune.callbacks.TensorBoardEpochLogger", epoch_logger


def test_every_public_object_has_examples_that_run():
    without_examples = []
    not_run = {}
    for name, obj in _documented_objects():
        doc = numpydoc_docscrape.NumpyDocString(inspect.getdoc(obj) or "")
        if not "".join(doc["Examples"]).strip():
            without_examples.append(name)
        if obj.__module__ not in DOCTEST_MODULES:
            not_run[name] = obj.__module__
    assert not without_examples, f"no Examples section: {without_examples}"
    assert not not_run, f"add these modules to DOCTEST_MODULES: {not_run}"


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
