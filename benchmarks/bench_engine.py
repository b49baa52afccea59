"""What BayesSearchCV's engine costs per candidate, and what it finds.

Runs the engine as it is and as it was before each of this round's changes
(set back in the worker process, never in the library), and Optuna's TPE and
GP samplers, on the suite's known-optimum functions (``benchmarks/_tasks.py``)
with ``n_jobs=1``: simple regret after 25 and 50 candidates (mean ± standard
error over seeds) and the searching process's CPU time per candidate (the fits
cost nothing), all in one run.

Usage::

    python benchmarks/bench_engine.py            # writes results/engine.md
    python benchmarks/bench_engine.py --quick    # a smoke run, prints only
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import _variants  # noqa: E402


def _skopt_draws(self, dim, n_samples):
    """Random candidates through skopt's own rvs and transform (before)."""
    return np.asarray(dim.transform(dim.rvs(n_samples, random_state=self.rng)))


# name -> (description, attributes of _Optimizer set in the worker)
VARIANTS = {
    "engine of Dec 6": (
        "hyperparameters refitted at every tell up to 60 observations, then "
        "at 20% growth; candidates drawn by skopt",
        {
            "_REFIT_ALWAYS": 60,
            "_REFIT_GROWTH": 1.2,
            "_REFIT_GROWTH_LATER": 1.2,
            "_draw": _skopt_draws,
        },
    ),
    "+ refit schedule": (
        "refitted at every tell up to 20, then at 10% growth",
        {"_draw": _skopt_draws},
    ),
    "+ direct draws (now)": ("candidates drawn in the unit-scaled space", {}),
}
PEERS = {"Optuna TPE": "Optuna", "Optuna GPSampler": "OptunaGP"}


def main():
    _variants.main(
        description=__doc__.splitlines()[0],
        target="sklearn_tune._bayes._optimizer._Optimizer",
        searcher="BayesSearchCV",
        variants=VARIANTS,
        peers=PEERS,
        title="BayesSearchCV's engine: cost per candidate and regret",
        script="bench_engine.py",
        out="engine.md",
        notes="""Each BayesSearchCV row adds one change to
the row above it (all with the window of this round: initial points in
flight, two candidates in flight after them):""",
    )


if __name__ == "__main__":
    main()
