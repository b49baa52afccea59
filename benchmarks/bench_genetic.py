"""GeneticSearchCV's operators against CMA-ES and random search.

Runs GeneticSearchCV as it is and with its operators of before this round
(simulated binary crossover and polynomial mutation, set back in the worker
process, never in the library), Optuna's CMA-ES and TPE samplers and
RandomizedSearchCV on the suite's known-optimum functions
(``benchmarks/_tasks.py``), population 10 as in the suite, ``n_jobs=1``:
simple regret after 25 and 50 candidates (mean ± standard error over seeds)
and the searching process's CPU time per candidate, all in one run.

Usage::

    python benchmarks/bench_genetic.py            # writes results/genetic.md
    python benchmarks/bench_genetic.py --quick    # a smoke run, prints only
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _variants  # noqa: E402


def _no_steps(self, pool):
    """No step distribution: the operators fall back to SBX and polynomial
    mutation (eta=10), the operators of before."""
    return None


# name -> (description, attributes of _GeneticStrategy set in the worker)
VARIANTS = {
    "GA, SBX + polynomial (before)": (
        "simulated binary crossover and polynomial mutation, eta=10",
        {"_step_distribution": _no_steps},
    ),
    "GA, correlated steps (now)": (
        "children at the parents' midpoint plus a step drawn with the "
        "covariance of the best half of the population (scaled by 0.7); "
        "mutation moves every numeric gene by one such step",
        {},
    ),
}
PEERS = {
    "Optuna CMA-ES": "OptunaCMA",
    "Optuna TPE": "Optuna",
    "RandomizedSearchCV": "RandomizedSearchCV",
}


def main():
    _variants.main(
        description=__doc__.splitlines()[0],
        target="sklearn_tune._genetic._strategy._GeneticStrategy",
        searcher="GeneticSearchCV",
        variants=VARIANTS,
        peers=PEERS,
        title="GeneticSearchCV's operators: regret against CMA-ES and random search",
        script="bench_genetic.py",
        out="genetic.md",
        notes="""GeneticSearchCV runs with population 10
(5 generations in 50 candidates) and its other defaults; Optuna's samplers
with theirs:""",
    )


if __name__ == "__main__":
    main()
