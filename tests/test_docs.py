"""Every public name is documented (numpydoc) and its examples run (doctest)."""

import doctest
import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

PUBLIC_MODULES = [
    "sklearn_tune",
    "sklearn_tune.space",
    "sklearn_tune.callbacks",
    "sklearn_tune.schedules",
    "sklearn_tune.exceptions",
    "sklearn_tune.datasets",
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
        "sklearn_tune.callbacks._deadline",
        "sklearn_tune.callbacks._early_stopping",
        "sklearn_tune.datasets",
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
