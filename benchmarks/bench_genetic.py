"""GeneticSearchCV's operators against CMA-ES and random search.

Runs GeneticSearchCV as it is and as it was before each of this round's
changes (set back in the worker process, never in the library), Optuna's
CMA-ES and TPE samplers and
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

# three generations in flight (before): the second and third are bred from the
# same population as the first
THREE = {"sklearn_tune._genetic._search.GeneticSearchCV._GENERATIONS_IN_FLIGHT": 3}
BEFORE = {**THREE, "_SCREEN": 1, "_STEP_SHRINK": 0.0}

# name -> (description, attributes set in the worker: of _GeneticStrategy, or
# "module.Class.attribute")
VARIANTS = {
    "GA of Dec 7 (before)": (
        "three generations in flight, offspring fitted as bred, steps with "
        "the covariance of the best half of the population",
        BEFORE,
    ),
    "+ two generations in flight": (
        "one generation is bred while the other is fitted",
        {"_SCREEN": 1, "_STEP_SHRINK": 0.0},
    ),
    "+ screened offspring": (
        "each generation bred five times over, the fifth with the highest "
        "upper confidence bound under a Gaussian process of the scores told "
        "fitted",
        {"_STEP_SHRINK": 0.0},
    ),
    "+ shrunk steps (now)": (
        "the steps' covariance shrunk by 0.2 towards its mean variance on every axis",
        {},
    ),
    "now, three generations in flight": (
        "the GA of now with the window of before",
        THREE,
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
with theirs. Each GA row but the last adds one change to the row above it:""",
    )


if __name__ == "__main__":
    main()
