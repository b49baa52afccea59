"""The genetic algorithm: the searcher and its DEAP strategy.

``_strategy.py`` is the only module that imports DEAP.
"""

from ._search import GeneticSearchCV

__all__ = ["GeneticSearchCV"]
