"""Hyperparameter search for scikit-learn: genetic and Bayesian, one import away.

>>> from sklearn_tune import BayesSearchCV, GeneticSearchCV  # doctest: +SKIP

The searchers are drop-in replacements for ``GridSearchCV``; ``BayesSearchCV``
is also a drop-in for ``skopt.BayesSearchCV``. Importing this package never
imports torch, matplotlib or tqdm.
"""

from ._bayes import BayesSearchCV
from ._genetic import GeneticSearchCV

__version__ = "0.1.0.dev0"

__all__ = ["BayesSearchCV", "GeneticSearchCV", "__version__"]
