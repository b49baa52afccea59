"""``GeneticSearchCV``: a genetic algorithm on the shared search loop."""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._base import BaseTuneSearchCV
from .._compat import HasMethods, Interval, StrOptions
from .._docstrings import _fill_doc
from ._strategy import (
    _ALGORITHMS,
    _check_probabilities,
    _GeneticStrategy,
    _logbook,
    _probability,
)

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
    crossover_probability : float or schedule, default=0.8
        Probability that two parents exchange genes (simulated binary
        crossover for numbers, uniform crossover for categories). A schedule
        from :mod:`sklearn_tune.schedules` (or any object with ``step()`` and
        ``current_value``) changes it from one generation to the next: it is
        copied at the start of each fit and stepped once before each
        generation is bred.
    mutation_probability : float or schedule, default=0.2
        Probability that an offspring is mutated; a schedule as for
        ``crossover_probability``. With the ``mu_*`` algorithms,
        ``crossover_probability + mutation_probability`` must be at most 1 (in
        every generation, with schedules; checked before any fit).
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
    criteria : {"max", "min"}, default="max"
        Whether the search maximises or minimises the score. With "min" the
        population evolves towards low scores, and ``best_index_``,
        ``best_params_``, ``best_score_`` and ``hall_of_fame_`` hold the
        candidate with the lowest mean test score (of the ``refit`` metric).
        To keep ``best_index_ == cv_results_["rank_test_<metric>"].argmin()``,
        that rank counts from the lowest score (rank 1); the other ranks
        and a callable ``refit`` are left as scikit-learn computes them.
        ``history_`` holds the scores as they are (``fitness_min`` is then the
        best of a generation).
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
    {fidelity}
        With ``resource``, a generation is one bracket (``generations + 1``
        brackets in all, the first being the initial population), whose
        first rung takes ``population_size`` new individuals in the first
        bracket (Hyperband's sizes after it). As in DEHB, parents are chosen
        at one common budget: by tournament among the best
        ``population_size`` individuals scored at the budget of the bracket's
        first rung; ``hall_of_fame_`` holds full-budget candidates only.

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
    logbook : deap.tools.Logbook
        sklearn-genetic-opt's logbook: one record per generation (the
        ``history_`` entries, with ``nevals``) and, in its ``"parameters"``
        chapter, one record per evaluated candidate (``index``, the
        parameters, ``score``, ``cv_scores``, ``fit_time``, ``score_time`` and
        ``test_<metric>`` per metric). Built when read; readable during the
        fit too, by callbacks.

    See Also
    --------
    BayesSearchCV : Bayesian optimisation.
    GeneticFeatureSelectionCV : the same algorithm over subsets of features.
    sklearn_tune.schedules.ExponentialDecay : a ``mutation_probability`` or
        ``crossover_probability`` that changes over the generations.
    sklearn_tune.plots.plot_evolution : the fitness of each generation.
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

    # Generations in flight: one is bred while the other is fitted. A third
    # would keep 8 workers a little busier (bench_parallel) but is bred from
    # the same population as the two before it: regret@50 over 20 seeds,
    # Branin 0.13 -> 0.26, Hartmann6 0.80 -> 1.05, mixed 0.50 -> 0.60
    # (benchmarks/results/genetic.md).
    _GENERATIONS_IN_FLIGHT = 2

    _parameter_constraints: dict = {
        **BaseTuneSearchCV._parameter_constraints,
        "population_size": [Interval(Integral, 2, None, closed="left")],
        "generations": [Interval(Integral, 0, None, closed="left")],
        # a float, or a schedule: step() and current_value (checked in fit)
        "crossover_probability": [
            Interval(Real, 0, 1, closed="both"),
            HasMethods(["step"]),
        ],
        "mutation_probability": [
            Interval(Real, 0, 1, closed="both"),
            HasMethods(["step"]),
        ],
        "tournament_size": [Interval(Integral, 1, None, closed="left")],
        "elitism": ["boolean", Interval(Integral, 0, None, closed="left")],
        "algorithm": [StrOptions(set(_ALGORITHMS))],
        "keep_top_k": [Interval(Integral, 1, None, closed="left")],
        "criteria": [StrOptions({"max", "min"})],
    }
    _budget_param = "generations"
    _callback_alias = "callbacks"  # fit(callbacks=...), as GASearchCV.fit
    # added after checkpoints were released: left out of a checkpoint's
    # description at its default, so that older checkpoints still resume
    _params_added_later = {
        **BaseTuneSearchCV._params_added_later,
        "criteria": "max",
    }

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
        criteria="max",
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
        resource=None,
        min_resources="exhaust",
        max_resources="auto",
        factor=3,
    ):
        self.population_size = population_size
        self.generations = generations
        self.crossover_probability = crossover_probability
        self.mutation_probability = mutation_probability
        self.tournament_size = tournament_size
        self.elitism = elitism
        self.algorithm = algorithm
        self.keep_top_k = keep_top_k
        self.criteria = criteria
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
            resource=resource,
            min_resources=min_resources,
            max_resources=max_resources,
            factor=factor,
        )

    def _check_search_params(self, subspaces):
        schedules = [
            not isinstance(p, Real)
            for p in (self.crossover_probability, self.mutation_probability)
        ]
        for name, is_schedule in zip(
            ("crossover_probability", "mutation_probability"), schedules
        ):
            value = getattr(self, name)
            if is_schedule and not hasattr(value, "current_value"):
                raise ValueError(
                    f"{name} must be a float in [0, 1] or a schedule with step() "
                    f"and current_value (see sklearn_tune.schedules); got "
                    f"{value!r}, which has no current_value."
                )
        algorithm = _ALGORITHMS[self.algorithm]
        if any(schedules):
            # step copies through the longest budget: a schedule that leaves
            # [0, 1], or a sum above 1, fails here rather than mid-search
            crossover = copy.deepcopy(self.crossover_probability)
            mutation = copy.deepcopy(self.mutation_probability)
            budgets = [
                self.generations if s.n_iter is None else s.n_iter for s in subspaces
            ]
            for generation in range(1, max(budgets, default=0) + 1):
                _check_probabilities(
                    _probability(crossover),
                    _probability(mutation),
                    algorithm,
                    generation,
                )
        else:
            total = self.crossover_probability + self.mutation_probability
            if algorithm != "simple" and total > 1:
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
            criteria=self.criteria,
            on_record=self._record_generation,
        )

    def _record_generation(self, record):
        """Append a generation's record to ``history_`` as the search goes.

        Callbacks read it after each batch; ``_collect_strategies`` sets the
        same list again when the search ends.
        """
        history = self.__dict__.setdefault("history_", [])
        if len(self._run.subspaces) > 1:  # sub-spaces run one after the other
            n_started = sum(h["gen"] == 0 for h in history) + (record["gen"] == 0)
            record = {**record, "subspace": n_started - 1}
        history.append(record)

    def _expected_candidates(self, budget):
        return self.population_size * (budget + 1)

    def _batch_size(self):
        return self.population_size

    def _batches_window(self):
        return self._GENERATIONS_IN_FLIGHT * self.population_size

    def _first_bracket_candidates(self):
        return self.population_size

    def _hyperband_budget(self, budget, ladder):
        return {"scale": self.population_size, "max_brackets": budget + 1}

    @property
    def _score_sign(self):
        return 1.0 if self.criteria == "max" else -1.0

    def _collect_strategies(self, strategies):
        several = len(strategies) > 1
        self.history_ = [
            {**record, "subspace": i} if several else record
            for i, strategy in enumerate(strategies)
            for record in strategy.history
        ]
        sign = self._score_sign
        best = sorted(
            (
                (ind.fitness.values[0], strategy._decode(ind))
                for strategy in strategies
                for ind in strategy.hall_of_fame
            ),
            key=lambda pair: -sign * pair[0],
        )[: self.keep_top_k]
        full = {}  # multi-fidelity: the candidates were scored at full budget
        if self.resource not in (None, "n_samples") and hasattr(self, "max_resources_"):
            full = {self.resource: self.max_resources_}
        self.hall_of_fame_ = [{"params": {**p, **full}, "score": s} for s, p in best]

    @property
    def logbook(self):
        """sklearn-genetic-opt's logbook (a DEAP ``Logbook``), built when read.

        One record per generation, and one per evaluated candidate in the
        ``"parameters"`` chapter; readable during the fit, by callbacks.
        """
        run = self.__dict__.get("_run")
        if run is not None:  # during the fit
            history = self.__dict__.get("history_", [])
            if not run.evaluations:
                return _logbook(history, {}, "score")
            results = run.evaluations.cv_results(self, run.n_splits)
            metric = run.evaluations.metric(self) or "score"
        else:
            check_is_fitted(self, "cv_results_")
            history, results = self.history_, self.cv_results_
            metric = "score"
            if "mean_test_score" not in results:
                metrics = [
                    k[len("mean_test_") :]
                    for k in results
                    if k.startswith("mean_test_")
                ]
                metric = self.refit if self.refit in metrics else metrics[0]
        return _logbook(history, results, metric)

    @property
    def _n_iterations(self):
        # sklearn-genetic-opt's ProgressBar reads it as its total: the
        # generations planned (during the fit) or recorded (after it)
        run = self.__dict__.get("_run")
        if run is not None and run.subspaces:
            return sum(
                (self.generations if s.n_iter is None else s.n_iter) + 1
                for s in run.subspaces
            )
        if "history_" in self.__dict__:
            return len(self.history_)
        return self.generations + 1

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
