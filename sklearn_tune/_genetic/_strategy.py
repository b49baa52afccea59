"""A genetic algorithm on DEAP's toolbox operators, for one sub-space.

The only module that imports DEAP. ``eaSimple`` and friends are not used: they
own evaluation, while here the shared loop evaluates a whole generation in one
batch. The fitness and individual classes are defined at module level instead of
through ``creator.create``, DEAP's global registry (which warns on re-creation
and breaks nested or parallel searches, sklearn-genetic-opt issue #131).
"""

from __future__ import annotations

import copy
import math
import random
from contextlib import contextmanager
from numbers import Real

import numpy as np
from deap import algorithms, base, tools
from scipy.linalg import LinAlgError
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

from .._gp import (
    _fit_hyperparameters,
    _normalization,
    _one_blas_thread,
    _Posterior,
    _recent_and_best,
)
from .._strategy import BRANCH_SHARE, _optimize_result, condition_roots
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
# Numeric genes step with the covariance of the best _STEP_ELITE of the parents'
# pool, scaled by _STEP_SCALE (plus _STEP_FLOOR on its diagonal, so that a pool
# gathered on one point still moves). Against simulated binary crossover and
# polynomial mutation (eta=10), regret@50 over 20 seeds of the suite's functions
# (benchmarks/results/genetic.md): Branin 0.87 -> 0.38, Hartmann6 1.57 -> 1.12,
# mixed 1.26 -> 0.85. Scales 0.5 and 1.0 and elites of 0.3 and 1.0 did worse.
_STEP_SCALE = 0.7
_STEP_ELITE = 0.5
_STEP_FLOOR = 1e-6
_SCREEN_JITTER = 1e-8  # added to the screening model's diagonal


def _category(gene, n):
    """The index of the choice a categorical gene in [0, 1] takes, of ``n``."""
    return min(int(gene * n), n - 1)


def _gene(index, n):
    """The gene at the middle of choice ``index``'s slice of [0, 1]."""
    return (index + 0.5) / n


class _Fitness(base.Fitness):
    weights = (1.0,)  # scores are maximised


class _FitnessMin(base.Fitness):
    weights = (-1.0,)  # criteria="min": scores are minimised


class _Individual(list):
    """A genome: one gene in [0, 1] per dimension (log priors on the log axis)."""

    def __init__(self, genes=(), fitness=_Fitness):
        super().__init__(genes)
        self.fitness = fitness()


def _probability(schedule):
    """The probability of the generation about to be bred.

    A float stays as it is; a schedule (``step()`` and ``current_value``) is
    stepped once per generation and its new value used, as sklearn-genetic-opt
    does (its first step gives its initial value).
    """
    if isinstance(schedule, Real):
        return float(schedule)
    schedule.step()
    return schedule.current_value


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


def _check_probabilities(crossover, mutation, algorithm, generation):
    """Refuse the probabilities of one generation that DEAP cannot use."""
    for name, value in (
        ("crossover_probability", crossover),
        ("mutation_probability", mutation),
    ):
        if not (isinstance(value, Real) and 0 <= value <= 1):
            raise ValueError(
                f"{name} must be a probability in [0, 1] in every generation; its "
                f"schedule gives {value!r} at generation {generation}. Use a "
                "schedule whose initial_value and end_value lie in [0, 1]."
            )
    if algorithm != "simple" and crossover + mutation > 1:
        raise ValueError(
            f"With algorithm={algorithm!r}, crossover_probability + "
            f"mutation_probability must be at most 1 in every generation (each "
            f"offspring comes from crossover, mutation or reproduction); at "
            f"generation {generation} they are {crossover:g} + {mutation:g} = "
            f"{crossover + mutation:g}. Lower one of them, or use "
            "algorithm='simple'."
        )


def _logbook(history, results, metric):
    """sklearn-genetic-opt's logbook of a search, as a DEAP ``Logbook``.

    One record per generation (a ``history_`` entry, with ``nevals``: the
    candidates fitted for the first time) and, in the ``"parameters"``
    chapter, one per row of ``results`` (``cv_results_``): ``index``, the
    parameters, ``score`` (mean test score of ``metric``), ``cv_scores`` (its
    per-split scores), ``fit_time``, ``score_time`` (means over the splits)
    and ``test_<name>`` (per-split scores) for every metric.
    """
    logbook = tools.Logbook()
    logbook.header = ["gen", "nevals", "fitness", "fitness_std", "fitness_max"]
    logbook.header += ["fitness_min"]
    for record in history:
        logbook.append({"nevals": record.get("n_new"), **record})
    names = [k[len("mean_test_") :] for k in results if k.startswith("mean_test_")]
    n_splits = sum(
        k.startswith("split") and k.endswith(f"_test_{metric}") for k in results
    )

    def splits(name, i):
        return np.array([results[f"split{k}_{name}"][i] for k in range(n_splits)])

    chapter = logbook.chapters["parameters"]
    for i, params in enumerate(results.get("params", [])):
        chapter.append(
            {
                "index": i,
                **params,
                "score": float(results[f"mean_test_{metric}"][i]),
                "cv_scores": splits(f"test_{metric}", i),
                "fit_time": float(results["mean_fit_time"][i]),
                "score_time": float(results["mean_score_time"][i]),
                **{f"test_{name}": splits(f"test_{name}", i) for name in names},
            }
        )
    return logbook


class _GeneticStrategy:
    """Ask/tell for one sub-space: a generation per batch."""

    # Each generation after the first is bred _SCREEN times over by the
    # operators, and the offspring whose upper confidence bound (mean +
    # _SCREEN_KAPPA std) is highest under a Gaussian process of the scores
    # told are the ones fitted (_SCREEN = 1: no model). Numeric genes step with
    # the covariance of the pool's best half, shrunk by _STEP_SHRINK towards
    # its mean variance on every axis (a pool of five in six dimensions has a
    # covariance of rank four: without it, steps never leave that subspace).
    # With two generations in flight (GeneticSearchCV), 20 seeds, 50
    # candidates, regret@50 Branin 0.38 -> 0.13, Hartmann6 1.12 -> 0.80,
    # mixed 0.85 -> 0.50 (benchmarks/results/genetic.md).
    _SCREEN = 5
    _SCREEN_KAPPA = 1.0
    _SCREEN_MAX = 200
    _STEP_SHRINK = 0.2

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
        criteria="max",
        on_record=None,
    ):
        self.space = SubSpace(dict(dimensions))
        self.dimensions = list(dimensions.values())
        self.names = list(dimensions)
        self.population_size = population_size
        self.generations = generations
        # a schedule is copied: stepping it must not change the caller's object
        self.crossover_probability = copy.deepcopy(crossover_probability)
        self.mutation_probability = copy.deepcopy(mutation_probability)
        self.sign = 1.0 if criteria == "max" else -1.0  # +1: higher is better
        self.fitness_class = _Fitness if criteria == "max" else _FitnessMin
        self.on_record = on_record  # called with each generation's record
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
        self.pending: list[list[_Individual]] = []  # generations asked, not told
        self.evaluated: dict[str, float] = {}
        self.history: list[dict] = []
        # multi-fidelity: the best individuals scored at each budget, and the
        # genome of every candidate started
        self.pools: dict[int, dict[str, _Individual]] = {}
        self.genomes: dict[str, _Individual] = {}
        self._n_new = 0
        self.told_candidates: list[dict] = []
        self.told_scores: list[float] = []
        self._told_top: set[str] = set()  # keys told at the full budget
        self._steps = None  # the numeric genes' step distribution, see _offspring
        # conditional spaces with one root: its index, and every genome told
        roots = condition_roots(dict(dimensions))
        self._root = self.names.index(roots[0]) if len(roots) == 1 else None
        self._told_genomes: list[_Individual] = []
        # every genome told and its score, and the screening model's last
        # log-hyperparameters (see _screen_model)
        self._archive: list[tuple[list[float], float]] = []
        self._screen_theta = None
        self._conditional = any(d.condition for d in self.dimensions)

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
        return self._candidate_key(self._decode(individual))

    def _candidate_key(self, active):
        return repr(
            [
                (name, dim.index(active[name]) if cat else active[name])
                for name, dim, cat in zip(self.names, self.dimensions, self.categorical)
                if name in active
            ]
        )

    # -- operators (registered on the toolbox) --------------------------------

    def _step_distribution(self, pool):
        """The correlated steps numeric genes take while ``pool`` breeds.

        A normal distribution whose covariance is that of the numeric genes of
        the best half of ``pool``, scaled by ``_STEP_SCALE``: steps follow the
        shape of the region where the good individuals are and shrink as they
        gather, like CMA-ES's, with no state beyond the pool. Returns the
        Cholesky factor of the covariance and the numeric gene positions, or
        None (fewer than two scored individuals, or no numeric gene).
        """
        numeric = [i for i, cat in enumerate(self.categorical) if not cat]
        scored = [ind for ind in pool if ind.fitness.valid]
        if not numeric or len(scored) < 2:
            return None
        best = tools.selBest(scored, max(2, int(len(scored) * _STEP_ELITE)))
        genes = np.asarray([[ind[i] for i in numeric] for ind in best], dtype=float)
        cov = np.atleast_2d(np.cov(genes, rowvar=False)) * _STEP_SCALE**2
        spread = np.trace(cov) / len(numeric)
        cov = (1 - self._STEP_SHRINK) * cov
        cov[np.diag_indices(len(numeric))] += self._STEP_SHRINK * spread
        cov[np.diag_indices(len(numeric))] += _STEP_FLOOR
        return np.linalg.cholesky(cov), numeric

    def _step(self):
        """One correlated step of every numeric gene, by position (DEAP's
        ``random`` stream)."""
        factor, numeric = self._steps
        step = factor @ np.array([random.gauss(0.0, 1.0) for _ in numeric])
        return dict(zip(numeric, step))

    @staticmethod
    def _reflect(value):
        """``value`` reflected into [0, 1] at the bounds it crossed."""
        if value < 0.0:
            value = -value
        elif value > 1.0:
            value = 2.0 - value
        return min(max(value, 0.0), 1.0)

    def _mate(self, ind1, ind2, eta):
        """Numeric genes: each child is the parents' midpoint plus a correlated
        step (see :meth:`_step_distribution`), or, with no step distribution,
        simulated binary crossover; categorical genes: uniform crossover.

        Only genes active in either parent take part: exchanging genes that
        neither parent uses changes no candidate.
        """
        used = set(self._active_genes(ind1)) | set(self._active_genes(ind2))
        numeric = [i for i, cat in enumerate(self.categorical) if not cat and i in used]
        categorical = [i for i, cat in enumerate(self.categorical) if cat and i in used]
        if numeric and self._steps is not None:
            middle = {i: (ind1[i] + ind2[i]) / 2.0 for i in numeric}
            for child in (ind1, ind2):
                step = self._step()
                for i in numeric:
                    child[i] = self._reflect(middle[i] + step[i])
            numeric = []
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
        """Move the active numeric genes by one correlated step (see
        :meth:`_step_distribution`), and mutate about one active categorical
        gene in their number.

        With no step distribution, about one active gene in their number, and
        at least one, mutates: a numeric gene by a bounded polynomial step. A
        categorical gene jumps to another category. Bounds always hold.
        """
        genes = self._active_genes(individual)  # an inactive gene changes nothing
        mask = [random.random() < 1.0 / len(genes) for _ in genes]
        if not any(mask):
            mask[random.randrange(len(genes))] = True
        numeric = [i for i in genes if not self.categorical[i]]
        if numeric and self._steps is not None:
            step = self._step()
            for i in numeric:
                individual[i] = self._reflect(individual[i] + step[i])
        for i in (i for i, chosen in zip(genes, mask) if chosen):
            dim = self.dimensions[i]
            if self._steps is not None and not self.categorical[i]:
                continue  # moved above
            if self.categorical[i]:
                n = len(dim)
                if n > 1:
                    current = _category(individual[i], n)
                    choice = random.randrange(n - 1)
                    choice += choice >= current
                    individual[i] = _gene(choice, n)
            else:
                gene = [individual[i]]
                tools.mutPolynomialBounded(gene, eta, 0.0, 1.0, indpb=1.0)
                individual[i] = gene[0]
        return (individual,)

    # -- ask / tell -----------------------------------------------------------

    def ask(self):
        """The next generation, bred from the population of the generations
        told. One asked while the generation before it is still being fitted
        (the loop keeps two in flight) is bred from the same population, as
        an asynchronous GA does, and avoids that generation's genomes; the
        first generation bred waits for the initial population's scores.
        Once a model of the scores told can be fitted, a generation is bred
        ``_SCREEN`` times over and screened by it (see :meth:`_screened`)."""
        asked = self.generation + 1 + len(self.pending)  # generation to breed
        if asked > self.generations:
            return [] if not self.pending else None
        if self.generation < 0 and self.pending:
            return None  # nothing to breed from before the first is told
        # The model is fitted and applied outside _deap_random: it draws
        # nothing, and while the global random state is the search's, a draw
        # by another thread (Dask's scheduler picks workers at random) would
        # take the search's numbers; keep that window short.
        model = self._screen_model() if asked > 0 else None
        with _deap_random(self.random):
            if asked == 0:
                offspring = self._make_new(
                    self._random_individuals(self.population_size)
                )
            else:
                n = self.population_size
                if self.algorithm == "simple":
                    n -= self._n_kept_elites()  # the elites join the offspring
                bred = n if model is None else n * self._SCREEN
                offspring = self._make_new(
                    self._offspring(self.population, bred, asked)
                )
        if model is not None:
            offspring = self._screened(offspring, n, model)
        if asked > 0 and self._root is not None:
            # after the screen, which would take the floor's offspring away;
            # with a model, each of the floor's offspring is the best of
            # _SCREEN children by the same screen
            pending = [ind for batch in self.pending for ind in batch]
            with _deap_random(self.random):
                plan = self._feed_starved(
                    offspring,
                    [*self._told_genomes, *pending],
                    self._told_genomes,
                    1 if model is None else self._SCREEN,
                )
            for place, children in plan:
                offspring[place] = (
                    children[0]
                    if model is None
                    else self._screened(children, 1, model)[0]
                )
            with _deap_random(self.random):
                offspring = self._make_new(offspring)
        self.pending.append(offspring)
        return [self._decode(ind) for ind in offspring]

    # -- offspring screened by a model of the scores told ---------------------

    def _screen_model(self):
        """A Gaussian process of the scores told so far, in the genes, or
        None: with ``_SCREEN`` at 1, or while fewer than ``population_size``
        individuals have a finite score. In a conditional space an inactive
        gene, whose value means nothing, is at one value for every genome
        (see :meth:`_features`).

        A failed candidate counts as the worst score told. Past
        ``_SCREEN_MAX`` individuals, the model sees the best half of that
        many and the most recent others. Kernel: scikit-optimize's for a GP
        (a constant times a Matern 5/2 with one length scale per input, plus
        white noise), its hyperparameters fitted from their initial values
        and from the last fit.
        """
        if self._SCREEN <= 1:
            return None
        scores = np.array([score for _, score in self._archive]) * self.sign
        finite = np.isfinite(scores)
        if finite.sum() < self.population_size:
            return None
        y = np.where(finite, scores, scores[finite].min())  # higher is better
        rows = np.arange(len(y))
        if len(y) > self._SCREEN_MAX:
            rows = _recent_and_best(-y, self._SCREEN_MAX, self._SCREEN_MAX // 2)
        X = np.asarray([self._features(self._archive[i][0]) for i in rows])
        y = y[rows]
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
            np.ones(X.shape[1]), (1e-2, 1e2), nu=2.5
        ) + WhiteKernel(1e-5, (1e-8, 1e-1))
        mean, scale = _normalization(y, True)
        starts = [kernel.theta]
        if self._screen_theta is not None:
            starts.append(self._screen_theta)
        try:
            with _one_blas_thread():
                theta = _fit_hyperparameters(
                    kernel, X, (y - mean) / scale, _SCREEN_JITTER, starts
                )
                model = _Posterior(
                    kernel.clone_with_theta(theta),
                    X,
                    y,
                    jitter=_SCREEN_JITTER,
                    normalize_y=True,
                    keep_noise=False,
                )
        except (LinAlgError, ValueError):  # no model: offspring as bred
            return None
        self._screen_theta = theta
        return model

    def _features(self, genes):
        """The model's inputs for a genome: numeric genes at the value they
        decode to (an integer's centre), a categorical gene one-hot; an
        inactive gene (conditional spaces) at the middle of its range, or no
        category."""
        active = set(self._active_genes(genes)) if self._conditional else None
        out = []
        for i, (dim, gene, cat) in enumerate(
            zip(self.dimensions, genes, self.categorical)
        ):
            on = active is None or i in active
            if cat:
                column = [0.0] * len(dim)
                if on:
                    column[_category(gene, len(dim))] = 1.0
                out.extend(column)
            else:
                out.append(dim.to_unit(dim.from_unit(gene)) if on else 0.5)
        return out

    def _screened(self, offspring, n, model):
        """The ``n`` of ``offspring`` with the best upper confidence bound
        under ``model``, in the order they were bred; a genome evaluated or
        bred twice (where too few new ones were found) comes last."""
        if len(offspring) <= n:
            return offspring
        mean, std = model.predict(np.asarray([self._features(i) for i in offspring]))
        bound = mean + self._SCREEN_KAPPA * std
        seen = self._seen()
        for i, individual in enumerate(offspring):
            key = self._key(individual)
            if key in seen:
                bound[i] = -np.inf
            seen.add(key)
        keep = np.sort(np.argsort(-bound, kind="stable")[:n])
        return [offspring[i] for i in keep]

    def _choice(self, individual):
        """The index of the root's choice an individual takes."""
        return _category(individual[self._root], len(self.dimensions[self._root]))

    def _feed_starved(self, offspring, started, told, n_children=1):
        """Where the root's starved choices take some of ``offspring``.

        A choice with fewer than ``BRANCH_SHARE`` of an even split of the
        individuals (``started`` before, and these offspring) takes the place
        of offspring of the most frequent choice, last ones first: children of
        its own two best individuals of ``told``, or random genomes with that
        choice while it has fewer than two there. Selection alone would leave
        a branch whose first random individuals were poor (a narrow best
        region behind a wide mediocre one) with none. Returns ``(place,
        children)`` pairs, ``n_children`` candidates for each place taken, for
        the caller to choose among. Call inside ``_deap_random(self.random)``.
        """
        n = len(self.dimensions[self._root])
        choices = [self._choice(individual) for individual in offspring]
        counts = np.bincount(
            [*(self._choice(individual) for individual in started), *choices],
            minlength=n,
        )
        floor = BRANCH_SHARE * counts.sum() / n
        plan = []
        for choice in np.argsort(counts, kind="stable"):
            while counts[choice] < floor:
                donor = int(np.argmax(counts))
                places = [j for j, c in enumerate(choices) if c == donor]
                if donor == choice or not places:
                    break
                choices[places[-1]] = choice
                children = [self._bred_in(choice, told) for _ in range(n_children)]
                plan.append((places[-1], children))
                counts[donor] -= 1
                counts[choice] += 1
        return plan

    def _bred_in(self, choice, told):
        """A child of the two best individuals of ``told`` with the root's
        ``choice`` (stepping with their branch's own spread), or a random
        genome with it."""
        members = [
            ind
            for ind in told
            if self._choice(ind) == choice and math.isfinite(ind.fitness.values[0])
        ]
        n = len(self.dimensions[self._root])
        if len(members) < 2:
            child = self._random_individuals(1)[0]
            child[self._root] = _gene(choice, n)
            return child
        parent1, parent2 = map(self.toolbox.clone, tools.selBest(members, 2))
        steps, self._steps = self._steps, self._step_distribution(members)
        try:
            child = self.toolbox.mate(parent1, parent2)[0]
            child = self.toolbox.mutate(child)[0]
        finally:
            self._steps = steps
        child[self._root] = _gene(choice, n)
        del child.fitness.values
        return child

    def _random_individuals(self, n):
        """``n`` random genomes; call inside ``_deap_random(self.random)``,
        whose stream they draw from (drawing from ``self.random`` itself there
        would be undone when the context ends, and drawn again)."""
        return [
            _Individual((random.random() for _ in self.dimensions), self.fitness_class)
            for _ in range(n)
        ]

    def _offspring(self, pool, n, generation=None):
        """``n`` offspring of parents drawn by tournament from ``pool``."""
        cxpb = _probability(self.crossover_probability)
        mutpb = _probability(self.mutation_probability)
        generation = self.generation + 1 if generation is None else generation
        _check_probabilities(cxpb, mutpb, self.algorithm, generation)
        self._steps = self._step_distribution(pool)
        if self.algorithm == "simple":
            parents = self.toolbox.select(pool, n)
            return algorithms.varAnd(parents, self.toolbox, cxpb, mutpb)
        parents = self.toolbox.select(pool, len(pool))
        return algorithms.varOr(parents, self.toolbox, n, cxpb, mutpb)

    def _n_kept_elites(self):
        return min(self.n_elites, self.population_size - 1)

    def _make_new(self, offspring):
        """Re-mutate offspring already evaluated or repeated in this generation.

        A copy of an evaluated individual would cost nothing (it is never
        refitted) but teach nothing either; a few more mutations usually give a
        new candidate. Where they do not (small steps on an integer with few
        values, a two-way choice flipped back), a random genome does: an
        immigrant. Genomes of generations being fitted count as seen. With a
        root (a conditional space), an individual keeps the root's choice it
        was bred with, so the floor of each choice (:meth:`_feed_starved`)
        holds, unless every candidate of that choice has been seen.
        """
        seen = self._seen()
        for individual in offspring:
            root = None if self._root is None else individual[self._root]
            for _ in range(_MAX_RETRIES):
                if self._key(individual) not in seen:
                    break
                self.toolbox.mutate(individual)
                if root is not None:
                    individual[self._root] = root
            # immigrants with that choice, then (a choice whose candidates
            # are all seen) with any
            for attempt in range(_MAX_RETRIES * (1 if root is None else 2)):
                if self._key(individual) not in seen:
                    break
                individual[:] = self._random_individuals(1)[0]
                if root is not None and attempt < _MAX_RETRIES:
                    individual[self._root] = root
            seen.add(self._key(individual))
            del individual.fitness.values
        return offspring

    def _seen(self):
        """The keys of the genomes evaluated or being evaluated."""
        seen = set(self.evaluated)
        seen.update(self._key(ind) for batch in self.pending for ind in batch)
        seen.update(self.genomes)  # multi-fidelity: every candidate started
        return seen

    def tell(self, candidates, scores):
        offspring = self.pending.pop(0)
        n_new = 0
        for individual, candidate, score in zip(offspring, candidates, scores):
            # A failed candidate gets the worst fitness there is: it loses every
            # tournament and never enters the hall of fame.
            failed = not math.isfinite(score)
            worst = -math.inf * self.sign
            individual.fitness.values = (worst if failed else float(score),)
            if self._root is not None:
                self._told_genomes.append(self.toolbox.clone(individual))
            self._archive.append((list(individual), individual.fitness.values[0]))
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
        if self.on_record is not None:
            self.on_record(dict(self.history[-1]))

    # -- multi-fidelity (through _fidelity.Hyperband) -------------------------

    def ask_at(self, n, budget):
        """``n`` new individuals for a bracket whose first rung is ``budget``.

        As DEHB does, parents are compared at one common budget: they are drawn
        by tournament among the best ``population_size`` individuals scored at
        this budget or, while it has fewer than two, at the nearest lower
        budget that has; the first bracket starts from random genomes. A
        starved choice of a conditional space's root gets some of the
        offspring, as in :meth:`ask`, bred from that pool.
        """
        pool = self._parent_pool(budget)
        with _deap_random(self.random):
            if len(pool) < 2:
                offspring = self._random_individuals(n)
            else:
                offspring = self._offspring(pool, n)
                if self._root is not None:  # parents: this budget's pool
                    started = list(self.genomes.values())
                    for place, (child,) in self._feed_starved(offspring, started, pool):
                        offspring[place] = child
            offspring = self._make_new(offspring)
        for individual in offspring:
            self.genomes.setdefault(self._key(individual), individual)
        return [self._decode(ind) for ind in offspring]

    def _parent_pool(self, budget):
        for b in sorted((b for b in self.pools if b <= budget), reverse=True):
            if len(self.pools[b]) >= 2:
                return list(self.pools[b].values())
        return []

    def tell_at(self, candidates, scores, budget, top, last):
        """Scores at ``budget``; the hall of fame takes full-budget ones only."""
        pool = self.pools.setdefault(budget, {})
        told = []
        for candidate, score in zip(candidates, scores):
            key = self._candidate_key(candidate)
            individual = copy.deepcopy(self.genomes[key])
            failed = not math.isfinite(score)
            individual.fitness.values = (
                -math.inf * self.sign if failed else float(score),
            )
            self._n_new += key not in self.evaluated
            self.evaluated.setdefault(key, float(score))
            pool[key] = individual
            told.append(individual)
            # result(): cheap rungs' scores are not comparable; a candidate
            # asked twice (a small space, brackets in flight) is one row
            if top and key not in self._told_top:
                self._told_top.add(key)
                self.told_candidates.append(self._full(individual))
                self.told_scores.append(float(score))
        best = tools.selBest(list(pool.values()), self.population_size)
        self.pools[budget] = {self._key(ind): ind for ind in best}
        if top:
            self.hall_of_fame.update(
                [ind for ind in told if math.isfinite(ind.fitness.values[0])]
            )
        if last:  # a bracket is one generation
            self.generation += 1
            self.population = list(self.pools[max(self.pools)].values())
            self._record(self._n_new)
            self._n_new = 0

    def result(self):
        # _optimize_result negates scores (skopt minimises): with criteria="min"
        # the scores are what skopt's callbacks should minimise
        return _optimize_result(
            self.names,
            self.told_candidates,
            [self.sign * score for score in self.told_scores],
            SubSpace(dict(zip(self.names, self.dimensions))),
        )
