"""Hyperparameter search for scikit-learn: genetic and Bayesian, one import away.

>>> from sklearn_tune import BayesSearchCV, GeneticSearchCV  # doctest: +SKIP

The searchers are drop-in replacements for ``GridSearchCV``; ``BayesSearchCV``
is also a drop-in for ``skopt.BayesSearchCV``. Importing this package imports
neither torch, matplotlib nor tqdm, and the searchers (with scikit-optimize and
DEAP) load on first use, so ``import sklearn_tune.nn`` loads neither.
"""

import importlib

__version__ = "0.1.0.dev0"

__all__ = [
    "BayesSearchCV",
    "GeneticFeatureSelectionCV",
    "GeneticSearchCV",
    "__version__",
    "importance",
]

_LAZY = {
    "BayesSearchCV": "._bayes",
    "GeneticFeatureSelectionCV": "._genetic",
    "GeneticSearchCV": "._genetic",
    "importance": "._importance",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
