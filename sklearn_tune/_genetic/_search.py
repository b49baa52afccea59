"""``GeneticSearchCV``: a genetic algorithm on the shared search loop."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._base import BaseTuneSearchCV
from .._compat import Interval, StrOptions
from .._docstrings import _fill_doc
from ._strategy import _ALGORITHMS, _GeneticStrategy

__all__ = ["GeneticSearchCV"]


@_fill_doc
class GeneticSearchCV(BaseTuneSearchCV):
    """Search hyperparameters with a genetic algorithm.

    A population of candidates evolves over generations by tournament selection,
    crossover and mutation (DEAP's operators), keeping the best (elitism). Each
    generation is evaluated in one batch, so ``n_jobs`` or a joblib backend
    (Dask, Ray) fits it in parallel. A candidate that reappears is never refitted.

    **Budget.** The initial population is ``population_size`` candidates and
    each of the ``generations`` that follow adds at most ``population_size``
    more (``population_size - elitism`` with ``algorithm="simple"``), so a search
    fits at most ``population_size * (generations + 1)`` candidates, times the
    number of CV splits. Fewer when candidates reappear.

    Parameters
    ----------
    estimator : estimator object
        Fitted for each candidate; must have ``score`` unless ``scoring`` is given.
    {search_spaces}
        In a ``(dict, n)`` pair, ``n`` is that sub-space's number of
        generations.
    population_size : int, default=10
        Candidates per generation (at least 2).
    generations : int, default=10
        Generations after the initial random population.
    crossover_probability : float, default=0.8
        Probability that two parents exchange genes (simulated binary
        crossover for numbers, uniform crossover for categories).
    mutation_probability : float, default=0.2
        Probability that an offspring is mutated. With the ``mu_*`` algorithms,
        ``crossover_probability + mutation_probability`` must be at most 1.
    tournament_size : int, default=3
        Candidates drawn per tournament when choosing parents.
    elitism : int or bool, default=True
        Number of best candidates carried unchanged into the next generation
        (True means 1, False 0). ``mu_plus_lambda`` is elitist by nature.
    algorithm : {"mu_plus_lambda", "mu_comma_lambda", "simple"}, \
            default="mu_plus_lambda"
        ``mu_plus_lambda``: the best of parents and offspring survive;
        ``mu_comma_lambda``: the best offspring (plus the elites) survive;
        ``simple``: the offspring replace their parents (plus the elites).
        sklearn-genetic-opt's ``"eaMuPlusLambda"``, ``"eaMuCommaLambda"`` and
        ``"eaSimple"`` are accepted too.
    keep_top_k : int, default=5
        Size of the hall of fame.
    {scoring}
    {n_jobs}
    {pre_dispatch}
    {cv}
    {refit}
    {verbose}
    random_state : int, RandomState instance or None, default=None
        Seeds the algorithm. The global ``random`` and ``numpy.random`` states
        are left as they were.
    error_score : "raise" or float, default=np.nan
        Score of a candidate whose fit fails, in ``cv_results_``. The search
        goes on; the failed candidate gets the worst fitness there is, so it
        never breeds, and it stays out of ``hall_of_fame_`` and the
        ``history_`` statistics. "raise" re-raises the error, naming the
        candidate.
    {return_train_score}
    {checkpoint}

    Attributes
    ----------
    {search_attributes}
    history_ : list of dict
        One entry per generation (the initial population is generation 0):
        ``gen``, ``fitness`` (mean), ``fitness_std``, ``fitness_max``,
        ``fitness_min`` of the population, ``n_new`` (candidates fitted for the
        first time) and ``n_unique`` (distinct candidates in the population).
        With sub-spaces, a ``subspace`` key tells which.
    hall_of_fame_ : list of dict
        The ``keep_top_k`` best candidates, best first: ``{"params", "score"}``.
    hof : dict
        sklearn-genetic-opt's view of the same: ``{rank: params}``. As in
        sklearn-genetic-opt, ``len(search)`` is the number of generations
        recorded (the initial population included) and ``search[i]`` is
        ``history_[i]``.

    See Also
    --------
    BayesSearchCV : Bayesian optimisation.
    sklearn.model_selection.RandomizedSearchCV : random search.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_tune import GeneticSearchCV
    >>> from sklearn_tune.space import Integer, Categorical
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GeneticSearchCV(
    ...     DecisionTreeClassifier(random_state=0),
    ...     {"max_depth": Integer(1, 8), "criterion": Categorical(["gini", "entropy"])},
    ...     population_size=6, generations=2, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> len(search.history_)
    3
    """

    _parameter_constraints: dict = {
        **BaseTuneSearchCV._parameter_constraints,
        "population_size": [Interval(Integral, 2, None, closed="left")],
        "generations": [Interval(Integral, 0, None, closed="left")],
        "crossover_probability": [Interval(Real, 0, 1, closed="both")],
        "mutation_probability": [Interval(Real, 0, 1, closed="both")],
        "tournament_size": [Interval(Integral, 1, None, closed="left")],
        "elitism": ["boolean", Interval(Integral, 0, None, closed="left")],
        "algorithm": [StrOptions(set(_ALGORITHMS))],
        "keep_top_k": [Interval(Integral, 1, None, closed="left")],
    }
    _budget_param = "generations"

    def __init__(
        self,
        estimator,
        search_spaces,
        *,
        population_size=10,
        generations=10,
        crossover_probability=0.8,
        mutation_probability=0.2,
        tournament_size=3,
        elitism=True,
        algorithm="mu_plus_lambda",
        keep_top_k=5,
        scoring=None,
        n_jobs=None,
        pre_dispatch="2*n_jobs",
        cv=None,
        refit=True,
        verbose=0,
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        checkpoint=None,
    ):
        self.population_size = population_size
        self.generations = generations
        self.crossover_probability = crossover_probability
        self.mutation_probability = mutation_probability
        self.tournament_size = tournament_size
        self.elitism = elitism
        self.algorithm = algorithm
        self.keep_top_k = keep_top_k
        super().__init__(
            estimator=estimator,
            search_spaces=search_spaces,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            random_state=random_state,
            error_score=error_score,
            return_train_score=return_train_score,
            checkpoint=checkpoint,
        )

    def _check_search_params(self, subspaces):
        total = self.crossover_probability + self.mutation_probability
        if _ALGORITHMS[self.algorithm] != "simple" and total > 1:
            raise ValueError(
                f"With algorithm={self.algorithm!r}, crossover_probability + "
                f"mutation_probability must be at most 1 (each offspring comes "
                f"from crossover, mutation or reproduction); got "
                f"{self.crossover_probability} + {self.mutation_probability} = "
                f"{total:g}. Lower one of them, or use algorithm='simple'."
            )
        if int(self.elitism) >= self.population_size:
            raise ValueError(
                f"elitism={self.elitism!r} must be smaller than population_size="
                f"{self.population_size}, or no new candidate is ever bred."
            )

    def _make_strategy(self, dimensions, budget, seed):
        return _GeneticStrategy(
            dimensions,
            population_size=self.population_size,
            generations=budget,
            crossover_probability=self.crossover_probability,
            mutation_probability=self.mutation_probability,
            tournament_size=self.tournament_size,
            elitism=self.elitism,
            algorithm=self.algorithm,
            keep_top_k=self.keep_top_k,
            random_state=seed,
        )

    def _expected_candidates(self, budget):
        return self.population_size * (budget + 1)

    def _collect_strategies(self, strategies):
        several = len(strategies) > 1
        self.history_ = [
            {**record, "subspace": i} if several else record
            for i, strategy in enumerate(strategies)
            for record in strategy.history
        ]
        best = sorted(
            (
                (ind.fitness.values[0], strategy._decode(ind))
                for strategy in strategies
                for ind in strategy.hall_of_fame
            ),
            key=lambda pair: -pair[0],
        )[: self.keep_top_k]
        self.hall_of_fame_ = [{"params": p, "score": s} for s, p in best]

    # sklearn-genetic-opt users read the history as search[i] and len(search),
    # and the hall of fame as search.hof
    def __len__(self):
        check_is_fitted(self, "history_")
        return len(self.history_)

    def __getitem__(self, index):
        check_is_fitted(self, "history_")
        return self.history_[index]

    def __iter__(self):
        check_is_fitted(self, "history_")
        return iter(self.history_)

    @property
    def hof(self):
        """sklearn-genetic-opt's spelling of the hall of fame: ``{rank: params}``.

        The parameters of ``hall_of_fame_``, best first (rank 0).
        """
        check_is_fitted(self, "hall_of_fame_")
        return {
            rank: dict(entry["params"]) for rank, entry in enumerate(self.hall_of_fame_)
        }

    def __bool__(self):  # an estimator is truthy, fitted or not
        return True
