"""Bayesian optimisation: the searcher, its strategy and its skopt engine.

``_strategy.py`` and ``_optimizer.py`` are the only modules that import
scikit-optimize; the Gaussian-process numerics are ``sklearn_tune/_gp.py``'s.
"""

from ._search import BayesSearchCV

__all__ = ["BayesSearchCV"]
