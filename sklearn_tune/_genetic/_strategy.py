"""A genetic algorithm on DEAP's toolbox operators, for one sub-space.

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

import numpy as np
from deap import algorithms, base, tools

from .._strategy import _optimize_result
from ..space import Categorical, SubSpace

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
        self.space = SubSpace(dict(dimensions))
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

    def _full(self, individual):
        """Every gene's value, inactive (conditional) parameters included."""
        return {
            name: dim.from_unit(gene)
            for name, dim, gene in zip(self.names, self.dimensions, individual)
        }

    def _decode(self, individual):
        """The candidate: the active parameters' values."""
        return self.space.active(self._full(individual))

    def _active_genes(self, individual):
        active = self._decode(individual)
        return [i for i, name in enumerate(self.names) if name in active]

    def _same(self, ind1, ind2):
        return self._key(ind1) == self._key(ind2)

    def _key(self, individual):
        """Equal for genomes that make the same candidate (inactive genes aside)."""
        active = self._decode(individual)
        return repr(
            [
                (name, dim.index(active[name]) if cat else active[name])
                for name, dim, cat in zip(self.names, self.dimensions, self.categorical)
                if name in active
            ]
        )

    # -- operators (registered on the toolbox) --------------------------------

    def _mate(self, ind1, ind2, eta):
        """Simulated binary crossover on numeric genes, uniform on categorical.

        Only genes active in either parent take part: exchanging genes that
        neither parent uses changes no candidate.
        """
        used = set(self._active_genes(ind1)) | set(self._active_genes(ind2))
        numeric = [i for i, cat in enumerate(self.categorical) if not cat and i in used]
        categorical = [i for i, cat in enumerate(self.categorical) if cat and i in used]
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
        """Mutate about one active gene in their number, and at least one.

        A numeric gene moves by a bounded polynomial step, so bounds always
        hold; a categorical gene jumps to another category.
        """
        genes = self._active_genes(individual)  # an inactive gene changes nothing
        mask = [random.random() < 1.0 / len(genes) for _ in genes]
        if not any(mask):
            mask[random.randrange(len(genes))] = True
        for i in (i for i, chosen in zip(genes, mask) if chosen):
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
            # A failed candidate gets the worst fitness there is: it loses every
            # tournament and never enters the hall of fame.
            failed = not math.isfinite(score)
            individual.fitness.values = (-math.inf if failed else float(score),)
            key = self._key(individual)
            n_new += key not in self.evaluated
            self.evaluated[key] = float(score)
            self.told_candidates.append(self._full(individual))
            self.told_scores.append(float(score))
        self.generation += 1
        self.population = self._survivors(offspring)
        self.hall_of_fame.update(
            [ind for ind in offspring if math.isfinite(ind.fitness.values[0])]
        )
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
        return _optimize_result(
            self.names,
            self.told_candidates,
            self.told_scores,
            SubSpace(dict(zip(self.names, self.dimensions))),
        )
