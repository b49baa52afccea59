"""Bayesian optimisation: the searcher, its strategy and its skopt engine.

``_strategy.py``, ``_optimizer.py`` and ``_gp.py`` are the only modules that
import scikit-optimize.
"""

from ._search import BayesSearchCV

__all__ = ["BayesSearchCV"]
