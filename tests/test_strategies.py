"""Every strategy on its own, without estimators: the ask/tell contract."""

import math
import pickle

import numpy as np
import pytest

from sklearn_tune._bayes._strategy import _BayesStrategy
from sklearn_tune._genetic._strategy import _GeneticStrategy
from sklearn_tune._strategy import Strategy, _SubspaceChain
from sklearn_tune.space import Categorical, Integer, Real

DIMENSIONS = {
    "c": Real(1e-3, 1e3, prior="log-uniform"),
    "k": Integer(1, 9),
    "kind": Categorical(["a", "b", "c"]),
    "x": Real(-1.0, 1.0),
}


def bayes(seed):
    return _BayesStrategy(DIMENSIONS, 8, 2, {"n_initial_points": 3}, seed)


def genetic(seed):
    return _GeneticStrategy(
        DIMENSIONS,
        population_size=4,
        generations=2,
        crossover_probability=0.8,
        mutation_probability=0.2,
        tournament_size=2,
        elitism=1,
        algorithm="mu_plus_lambda",
        keep_top_k=2,
        random_state=seed,
    )


def objective(candidate):
    return -abs(math.log10(candidate["c"])) - abs(candidate["x"]) + candidate["k"] / 10


def run(strategy, scores=objective):
    asked = []
    while batch := strategy.ask():
        asked.append(batch)
        strategy.tell(batch, [scores(c) for c in batch])
    return asked


@pytest.fixture(params=[bayes, genetic], ids=["bayes", "genetic"])
def make(request):
    return request.param


def test_follows_the_protocol_and_asks_inside_the_space(make):
    strategy = make(0)
    assert isinstance(strategy, Strategy)
    batches = run(strategy)
    assert batches and sum(map(len, batches)) <= 12
    for candidate in (c for batch in batches for c in batch):
        assert set(candidate) == set(DIMENSIONS)
        for name, dim in DIMENSIONS.items():
            assert candidate[name] in dim
    result = strategy.result()
    assert len(result.func_vals) == len(result.x_iters) > 0
    assert result.fun == min(result.func_vals)


def test_seeded(make):
    assert run(make(3)) == run(make(3))
    assert run(make(3)) != run(make(4))


def test_picklable_mid_search_and_continues_identically(make):
    strategy = make(0)
    batch = strategy.ask()
    strategy.tell(batch, [objective(c) for c in batch])
    copy = pickle.loads(pickle.dumps(strategy))
    assert run(copy) == run(strategy)


def test_failed_fits_told_as_minus_infinity_are_survived(make):
    strategy = make(0)
    batches = run(strategy, scores=lambda c: -np.inf if c["kind"] == "a" else 1.0)
    assert batches


def test_subspace_chain_runs_each_subspace_in_turn():
    chain = _SubspaceChain([genetic(0), bayes(0)])
    first = chain.ask()
    assert chain.index == 0
    chain.tell(first, [0.0] * len(first))
    assert chain.end_subspace() is True
    assert chain.ask() and chain.index == 1
    assert chain.end_subspace() is False
    assert chain.ask() == []
