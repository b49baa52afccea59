"""A genetic algorithm on DEAP's toolbox operators.

The only module that imports DEAP. ``eaSimple`` and friends are not used: they
own evaluation, while here the shared loop evaluates a whole generation in one
batch. The fitness and individual classes are defined at module level instead of
through ``creator.create``, DEAP's global registry (which warns on re-creation
and breaks nested or parallel searches, sklearn-genetic-opt issue #131).
"""

from __future__ import annotations

import math
import random
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
from deap import algorithms, base, tools
from sklearn.utils.validation import check_is_fitted

from ._base import BaseTuneSearchCV
from ._compat import Interval, StrOptions
from ._docstrings import _fill_doc
from ._strategy import _optimize_result
from .space import Categorical

__all__ = ["GeneticSearchCV"]

_ALGORITHMS = {
    "mu_plus_lambda": "mu_plus_lambda",
    "mu_comma_lambda": "mu_comma_lambda",
    "simple": "simple",
    # sklearn-genetic-opt's spellings, so that code moved from GASearchCV runs
    "eaMuPlusLambda": "mu_plus_lambda",
    "eaMuCommaLambda": "mu_comma_lambda",
    "eaSimple": "simple",
}
_MAX_RETRIES = 10  # re-mutations of an offspring already evaluated


class _Fitness(base.Fitness):
    weights = (1.0,)  # scores are maximised


class _Individual(list):
    """A genome: one gene in [0, 1] per dimension (log priors on the log axis)."""

    def __init__(self, genes=()):
        super().__init__(genes)
        self.fitness = _Fitness()


@contextmanager
def _deap_random(state: random.Random):
    """Let DEAP's operators, which draw from the global ``random``, use ``state``.

    The caller's global ``random`` state is restored on exit, so a search neither
    depends on nor disturbs the user's own random numbers.
    """
    saved = random.getstate()
    random.setstate(state.getstate())
    try:
        yield
    finally:
        state.setstate(random.getstate())
        random.setstate(saved)


class _GeneticStrategy:
    """Ask/tell for one sub-space: a generation per batch."""

    def __init__(
        self,
        dimensions,
        *,
        population_size,
        generations,
        crossover_probability,
        mutation_probability,
        tournament_size,
        elitism,
        algorithm,
        keep_top_k,
        random_state,
    ):
        self.dimensions = list(dimensions.values())
        self.names = list(dimensions)
        self.population_size = population_size
        self.generations = generations
        self.crossover_probability = crossover_probability
        self.mutation_probability = mutation_probability
        self.n_elites = int(elitism)
        self.algorithm = _ALGORITHMS[algorithm]
        self.random = random.Random(int(random_state))
        self.categorical = [isinstance(d, Categorical) for d in self.dimensions]

        self.toolbox = base.Toolbox()
        self.toolbox.register("mate", self._mate, eta=10.0)
        self.toolbox.register("mutate", self._mutate, eta=10.0)
        self.toolbox.register("select", tools.selTournament, tournsize=tournament_size)
        self.hall_of_fame = tools.HallOfFame(keep_top_k, similar=self._same)

        self.population: list[_Individual] = []
        self.generation = -1  # the initial population is generation 0
        self.pending: list[_Individual] = []
        self.evaluated: dict[str, float] = {}
        self.history: list[dict] = []
        self.told_candidates: list[dict] = []
        self.told_scores: list[float] = []

    # -- genome <-> parameters ------------------------------------------------

    def _decode(self, individual):
        return {
            name: dim.from_unit(gene)
            for name, dim, gene in zip(self.names, self.dimensions, individual)
        }

    def _same(self, ind1, ind2):
        return self._key(ind1) == self._key(ind2)

    def _key(self, individual):
        return repr([dim.from_unit(g) for dim, g in zip(self.dimensions, individual)])

    # -- operators (registered on the toolbox) --------------------------------

    def _mate(self, ind1, ind2, eta):
        """Simulated binary crossover on numeric genes, uniform on categorical."""
        numeric = [i for i, cat in enumerate(self.categorical) if not cat]
        categorical = [i for i, cat in enumerate(self.categorical) if cat]
        for positions, operator in (
            (numeric, lambda a, b: tools.cxSimulatedBinaryBounded(a, b, eta, 0.0, 1.0)),
            (categorical, lambda a, b: tools.cxUniform(a, b, 0.5)),
        ):
            if not positions:
                continue
            genes1 = [ind1[i] for i in positions]
            genes2 = [ind2[i] for i in positions]
            operator(genes1, genes2)
            for i, g1, g2 in zip(positions, genes1, genes2):
                ind1[i], ind2[i] = g1, g2
        return ind1, ind2

    def _mutate(self, individual, eta):
        """Mutate about one gene in ``len(genome)``, and at least one.

        A numeric gene moves by a bounded polynomial step, so bounds always
        hold; a categorical gene jumps to another category.
        """
        n_genes = len(individual)
        mask = [random.random() < 1.0 / n_genes for _ in range(n_genes)]
        if not any(mask):
            mask[random.randrange(n_genes)] = True
        for i in (i for i in range(n_genes) if mask[i]):
            dim = self.dimensions[i]
            if self.categorical[i]:
                n = len(dim)
                if n > 1:
                    current = min(int(individual[i] * n), n - 1)
                    choice = random.randrange(n - 1)
                    choice += choice >= current
                    individual[i] = (choice + 0.5) / n
            else:
                gene = [individual[i]]
                tools.mutPolynomialBounded(gene, eta, 0.0, 1.0, indpb=1.0)
                individual[i] = gene[0]
        return (individual,)

    # -- ask / tell -----------------------------------------------------------

    def ask(self):
        if self.generation >= self.generations:
            return []
        with _deap_random(self.random):
            if self.generation < 0:
                offspring = [
                    _Individual(self.random.random() for _ in self.dimensions)
                    for _ in range(self.population_size)
                ]
            else:
                offspring = self._offspring()
            offspring = self._make_new(offspring)
        self.pending = offspring
        return [self._decode(ind) for ind in offspring]

    def _offspring(self):
        n = self.population_size
        cxpb, mutpb = self.crossover_probability, self.mutation_probability
        if self.algorithm == "simple":
            parents = self.toolbox.select(self.population, n - self._n_kept_elites())
            return algorithms.varAnd(parents, self.toolbox, cxpb, mutpb)
        parents = self.toolbox.select(self.population, len(self.population))
        return algorithms.varOr(parents, self.toolbox, n, cxpb, mutpb)

    def _n_kept_elites(self):
        return min(self.n_elites, self.population_size - 1)

    def _make_new(self, offspring):
        """Re-mutate offspring already evaluated or repeated in this generation.

        A copy of an evaluated individual would cost nothing (it is never
        refitted) but teach nothing either; a few more mutations usually give a
        new candidate.
        """
        seen = set(self.evaluated)
        for individual in offspring:
            for _ in range(_MAX_RETRIES):
                if self._key(individual) not in seen:
                    break
                self.toolbox.mutate(individual)
            seen.add(self._key(individual))
            del individual.fitness.values
        return offspring

    def tell(self, candidates, scores):
        offspring = self.pending
        n_new = 0
        for individual, candidate, score in zip(offspring, candidates, scores):
            individual.fitness.values = (float(score),)
            key = self._key(individual)
            n_new += key not in self.evaluated
            self.evaluated[key] = float(score)
            self.told_candidates.append(candidate)
            self.told_scores.append(float(score))
        self.generation += 1
        self.population = self._survivors(offspring)
        self.hall_of_fame.update(offspring)
        self._record(n_new)

    def _survivors(self, offspring):
        if self.generation == 0:
            return offspring
        n = self.population_size
        if self.algorithm == "mu_plus_lambda":
            return tools.selBest(self.population + offspring, n)
        elites = tools.selBest(self.population, self._n_kept_elites())
        if self.algorithm == "mu_comma_lambda":
            return elites + tools.selBest(offspring, n - len(elites))
        return elites + offspring  # simple: the offspring replace their parents

    def _record(self, n_new):
        values = np.array([ind.fitness.values[0] for ind in self.population])
        finite = values[np.isfinite(values)]
        stats = (
            (finite.mean(), finite.std(), finite.max(), finite.min())
            if finite.size
            else (math.nan,) * 4
        )
        self.history.append(
            {
                "gen": self.generation,
                "fitness": float(stats[0]),
                "fitness_std": float(stats[1]),
                "fitness_max": float(stats[2]),
                "fitness_min": float(stats[3]),
                "n_new": int(n_new),
                "n_unique": len({self._key(ind) for ind in self.population}),
            }
        )

    def result(self):
        return _optimize_result(self.names, self.told_candidates, self.told_scores)


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
        goes on, and the algorithm is told the worst score so far instead, so a
        NaN or a huge negative value never skews it. "raise" re-raises the
        error, naming the candidate.
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
        self._strategies = []

    def _make_strategy(self, subspace, random_state):
        generations = self.generations if subspace.n_iter is None else subspace.n_iter
        strategy = _GeneticStrategy(
            subspace.dimensions,
            population_size=self.population_size,
            generations=generations,
            crossover_probability=self.crossover_probability,
            mutation_probability=self.mutation_probability,
            tournament_size=self.tournament_size,
            elitism=self.elitism,
            algorithm=self.algorithm,
            keep_top_k=self.keep_top_k,
            random_state=random_state.randint(np.iinfo(np.int32).max),
        )
        self._strategies.append(strategy)
        return strategy

    def _budget(self):
        spaces = self.search_spaces
        spaces = spaces if isinstance(spaces, list) else [spaces]
        return sum(
            self.population_size
            * (1 + (g[1] if isinstance(g, tuple) else self.generations))
            for g in spaces
        )

    def _run_search(self, evaluate_candidates, callback_ctx=None):
        try:
            super()._run_search(evaluate_candidates, callback_ctx=callback_ctx)
        finally:
            strategies = getattr(self, "_strategies", [])
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
            self._strategies = []

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
