"""GeneticSearchCV: the words of the field, budgets, elitism, history, seeding."""

import random
import re

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from sklearn_tune import GeneticSearchCV
from sklearn_tune._genetic._strategy import _deap_random, _GeneticStrategy
from sklearn_tune.space import Categorical, Integer, Real

X, y = make_classification(n_samples=60, n_features=4, random_state=0)


class Quadratic(BaseEstimator):
    """A no-cost estimator scoring -(x - 0.3)^2 - (log10(c) - 1)^2 + bonus."""

    def __init__(self, x=0.0, c=1.0, k=0, kind="a"):
        self.x, self.c, self.k, self.kind = x, c, k, kind

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        bonus = {"a": 0.0, "b": 0.5, "c": 0.2}[self.kind]
        return (
            -((self.x - 0.3) ** 2)
            - (np.log10(self.c) - 1) ** 2
            - abs(self.k - 7)
            + bonus
        )


SPACE = {
    "x": Real(-2.0, 2.0),
    "c": Real(1e-3, 1e3, prior="log-uniform"),
    "k": Integer(0, 20),
    "kind": Categorical(["a", "b", "c"]),
}
CV = KFold(2)


def search(**kwargs):
    kwargs = {
        "population_size": 8,
        "generations": 6,
        "cv": CV,
        "random_state": 0,
        **kwargs,
    }
    return GeneticSearchCV(Quadratic(), SPACE, **kwargs)


@pytest.mark.parametrize("algorithm", ["mu_plus_lambda", "mu_comma_lambda", "simple"])
def test_budget_history_and_hall_of_fame(algorithm):
    est = search(algorithm=algorithm, keep_top_k=3).fit(X, y)
    assert len(est.cv_results_["params"]) <= 8 * 7
    assert [h["gen"] for h in est.history_] == list(range(7))
    assert len(est) == 7 and est[0] == est.history_[0] and list(est) == est.history_
    for record in est.history_:
        assert record["fitness_min"] <= record["fitness"] <= record["fitness_max"]
        assert 0 <= record["n_new"] <= 8 and 1 <= record["n_unique"] <= 8
    assert est.history_[0]["n_new"] == 8
    scores = [h["score"] for h in est.hall_of_fame_]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert est.hall_of_fame_[0]["score"] == est.best_score_
    assert est.hall_of_fame_[0]["params"] == est.best_params_
    # sklearn-genetic-opt's spelling, for users moving from GASearchCV
    assert est.hof == {i: h["params"] for i, h in enumerate(est.hall_of_fame_)}


def test_history_views_before_fit_say_not_fitted():
    est = search()
    for read in (len, lambda e: e[0], iter, lambda e: e.hof):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            read(est)
    assert bool(est)


@pytest.mark.parametrize("algorithm", ["mu_plus_lambda", "simple", "mu_comma_lambda"])
def test_elitism_never_loses_the_best(algorithm):
    est = search(algorithm=algorithm, elitism=1, generations=8).fit(X, y)
    best = [h["fitness_max"] for h in est.history_]
    assert best == sorted(best)


def test_evolution_beats_its_initial_population():
    est = search(population_size=10, generations=10).fit(X, y)
    assert est.history_[-1]["fitness_max"] > est.history_[0]["fitness_max"] + 1
    assert est.best_params_["k"] in (6, 7, 8)


def test_every_candidate_lies_in_the_space():
    est = search(
        generations=10, mutation_probability=0.9, crossover_probability=0.1
    ).fit(X, y)
    for params in est.cv_results_["params"]:
        for name, dim in SPACE.items():
            assert params[name] in dim
        assert type(params["k"]) is int and type(params["x"]) is float


def test_log_prior_is_searched_on_the_log_axis():
    est = GeneticSearchCV(
        Quadratic(),
        {"c": Real(1e-6, 1e6, prior="log-uniform")},
        population_size=200,
        generations=0,
        cv=CV,
        random_state=0,
    ).fit(X, y)
    c = np.array([p["c"] for p in est.cv_results_["params"]])
    assert 0.35 < np.mean(c < 1.0) < 0.65  # half the draws below the geometric middle


def test_reproducible_and_leaves_global_random_alone():
    random.seed(123)
    np.random.seed(123)
    expected = (random.random(), np.random.rand())
    random.seed(123)
    np.random.seed(123)
    first = search().fit(X, y)
    assert (random.random(), np.random.rand()) == expected
    second = search().fit(X, y)
    assert first.cv_results_["params"] == second.cv_results_["params"]
    third = search(random_state=1).fit(X, y)
    assert third.cv_results_["params"] != first.cv_results_["params"]


def test_sklearn_genetic_opt_algorithm_names_are_accepted():
    plus = search(algorithm="eaMuPlusLambda").fit(X, y)
    same = search(algorithm="mu_plus_lambda").fit(X, y)
    assert plus.cv_results_["params"] == same.cv_results_["params"]


def test_subspaces_get_their_own_generations():
    spaces = [({"x": Real(-1.0, 0.0)}, 1), {"x": Real(0.0, 1.0)}]
    est = GeneticSearchCV(
        Quadratic(), spaces, population_size=4, generations=2, cv=CV, random_state=0
    ).fit(X, y)
    assert [h["subspace"] for h in est.history_] == [0, 0, 1, 1, 1]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"crossover_probability": 0.8, "mutation_probability": 0.5},
            ValueError,
            "must be at most 1",
        ),
        ({"elitism": 8}, ValueError, "must be smaller than population_size=8"),
        ({"population_size": 1}, ValueError, "population_size"),
        ({"algorithm": "genetic"}, ValueError, "algorithm"),
        ({"tournament_size": 0}, ValueError, "tournament_size"),
        ({"generations": -1}, ValueError, "generations"),
        ({"mutation_probability": 1.5}, ValueError, "mutation_probability"),
    ],
)
def test_bad_parameters_fail_before_any_fit(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        search(**kwargs).fit(X, y)


def test_an_estimator_is_truthy_fitted_or_not():
    est = GeneticSearchCV(LogisticRegression(), {"C": Real(0.1, 1.0)})
    assert bool(est)


def _told_strategy(space, seed, score):
    """The GA's strategy for ``space`` (population 10, the search's default
    operators) with its initial population told ``score``."""
    strategy = _GeneticStrategy(
        space,
        population_size=10,
        generations=1,
        crossover_probability=0.8,
        mutation_probability=0.2,
        tournament_size=3,
        elitism=1,
        algorithm="mu_plus_lambda",
        keep_top_k=1,
        random_state=seed,
    )
    first = strategy.ask()
    strategy.tell(first, [score(c) for c in first])
    return strategy


def _bred_score(seed, screen):
    score = lambda c: Quadratic(**c).score(None)  # noqa: E731
    strategy = _told_strategy(SPACE, seed, score)
    strategy._SCREEN = screen
    return np.mean([score(c) for c in strategy.ask()])


def test_offspring_are_screened_by_a_model_of_the_scores_told():
    """A generation bred five times over and screened by a Gaussian process
    of the scores told scores better than one fitted as bred."""
    screened = [_bred_score(seed, 5) for seed in range(5)]
    as_bred = [_bred_score(seed, 1) for seed in range(5)]
    assert np.mean(screened) > np.mean(as_bred) + 1
    assert sum(s > b for s, b in zip(screened, as_bred)) >= 4


# a root choice and parameters that only one of its branches has
CONDITIONAL = {
    "kind": Categorical(["a", "b", "c"]),
    "x": Real(0.0, 1.0),
    "c": Real(1e-3, 1e3, prior="log-uniform").when(kind="b"),
    "k": Integer(0, 20).when(kind=["b", "c"]),
}


def _conditional_score(candidate):
    return Quadratic(**candidate).score(None)


def test_offspring_are_screened_in_a_conditional_space_too():
    """The model sees an inactive gene at one value for every genome, so it
    rates offspring in a conditional space as well: a screened generation
    scores better than one fitted as bred."""
    gains = []
    for seed in range(5):
        means = []
        for screen in (5, 1):
            strategy = _told_strategy(CONDITIONAL, seed, _conditional_score)
            strategy._SCREEN = screen
            means.append(np.mean([_conditional_score(c) for c in strategy.ask()]))
        gains.append(means[0] - means[1])
    assert np.mean(gains) > 1 and sum(g > 0 for g in gains) >= 4, gains


def test_the_model_ignores_inactive_genes():
    strategy = _told_strategy(CONDITIONAL, 0, _conditional_score)
    genome = list(strategy.population[0])
    genome[0] = 0.1  # kind "a": neither c nor k is active
    other = list(genome)
    other[2], other[3] = 0.9, 0.05
    assert strategy._features(genome) == strategy._features(other)
    genome[0] = other[0] = 0.5  # kind "b": both are
    assert strategy._features(genome) != strategy._features(other)


def test_a_re_mutated_duplicate_keeps_its_root_choice():
    """An offspring that repeats a candidate is mutated again, or replaced by a
    random genome; in a conditional space it keeps the root's choice it was
    bred with, or a starved choice's floor (its offspring are often copies of
    its two best) would be lost again."""
    strategy = _told_strategy(CONDITIONAL, 0, _conditional_score)
    copies = [strategy.toolbox.clone(ind) for ind in strategy.population * 3]
    before = [strategy._choice(ind) for ind in copies]
    with _deap_random(strategy.random):
        fresh = strategy._make_new(copies)
    assert [strategy._choice(ind) for ind in fresh] == before
    assert len({strategy._key(ind) for ind in fresh}) == len(fresh)
    assert not {strategy._key(ind) for ind in fresh} & strategy._seen()


def test_two_generations_in_flight(monkeypatch):
    """One generation is bred while the one before it is fitted, never two:
    a third would be bred from the same population as the second."""
    pending = []
    ask = _GeneticStrategy.ask

    def logged_ask(self):
        batch = ask(self)
        if batch:
            pending.append(len(self.pending))
        return batch

    monkeypatch.setattr(_GeneticStrategy, "ask", logged_ask)
    search(population_size=4, generations=5).fit(X, y)
    assert len(pending) == 6 and max(pending) == 2


def test_steps_leave_the_subspace_of_a_small_pool():
    """Five parents in six dimensions span four of them; the numeric genes'
    steps still move along all six."""
    space = {f"x{i}": Real(0.0, 1.0) for i in range(6)}
    strategy = _told_strategy(space, 0, lambda c: -sum(c.values()))
    strategy._steps = strategy._step_distribution(strategy.population)
    with _deap_random(strategy.random):
        steps = np.array([list(strategy._step().values()) for _ in range(200)])
    spread = np.linalg.svd(steps, compute_uv=False)
    assert spread[-1] > 0.1 * spread[0]


def test_the_screening_model_runs_outside_the_searchs_random_state(monkeypatch):
    """While DEAP's operators breed, the global ``random`` holds the search's
    stream, and a draw by another thread (Dask's scheduler picks workers at
    random) would take the search's numbers. The screening model, the long
    part of an ask, draws nothing: it runs with the caller's state in place.
    (Fitted inside, a Dask search differed from n_jobs=1 in 5 of 15 runs on a
    loaded machine.)"""
    import sklearn_tune._genetic._strategy as strategy_module

    fit = strategy_module._fit_hyperparameters
    states = []

    def recording_fit(*args, **kwargs):
        states.append(random.getstate())
        return fit(*args, **kwargs)

    monkeypatch.setattr(strategy_module, "_fit_hyperparameters", recording_fit)
    random.seed(123)
    callers = random.getstate()
    search(population_size=6, generations=3).fit(X, y)
    assert states and all(state == callers for state in states)
    assert random.getstate() == callers
