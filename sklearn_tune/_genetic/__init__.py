"""The genetic algorithm: the searcher and its DEAP strategy.

``_strategy.py`` is the only module that imports DEAP.
"""

from ._feature_selection import GeneticFeatureSelectionCV
from ._search import GeneticSearchCV

__all__ = ["GeneticFeatureSelectionCV", "GeneticSearchCV"]
