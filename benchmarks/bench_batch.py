"""What a batch of Bayesian proposals costs and finds: BayesSearchCV(n_points=8).

A batch of ``n_points`` is proposed by the constant liar: each point after
the first is chosen as if the points before it had scored the lie. Before,
each was a proposal of its own (a new draw of random candidates, scored and
polished by L-BFGS-B, on a GP told the lies); now each is the best of the
first point's candidates, their predictions updated for each lie (a rank-one
update, see ``sklearn_tune/_gp.py``'s ``_BatchCandidates``). Three
batches are in flight from the start, more points than the initial design
(10): those asked before any result is told were proposed by a GP told only
lies (they went to the edges of the space), and are now drawn at random. All are
run here, the old ones set back in the worker process (never in the library),
on the suite's known-optimum functions (``benchmarks/_tasks.py``) with
``n_jobs=1``: simple regret after 25 and 64 candidates (mean ± standard error
over seeds) and the searching process's CPU time per candidate.

Usage::

    python benchmarks/bench_batch.py            # writes results/batch.md
    python benchmarks/bench_batch.py --quick    # a smoke run, prints only
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _variants  # noqa: E402

DRAWN = "sklearn_tune._bayes._strategy._BayesStrategy._DRAW_UNTIL_TOLD"
VARIANTS = {
    "one proposal per point (7d33552's before)": (
        "each point of a batch proposed afresh on a GP told the lies",
        {"_FAST_BATCH": False, DRAWN: False},
    ),
    "among the first's candidates (7d33552)": (
        "the points after the first chosen among the first point's "
        "candidates, updated for each lie; before any result, the points "
        "beyond the initial design proposed by a GP told only lies",
        {DRAWN: False},
    ),
    "and drawn until a result is told (now)": (
        "as above, but before any result the points beyond the initial "
        "design are drawn at random",
        {},
    ),
}


def main():
    _variants.main(
        description=__doc__.splitlines()[0],
        target="sklearn_tune._bayes._optimizer._Optimizer",
        searcher="BayesSearchCV",
        variants=VARIANTS,
        peers={},
        params={"n_points": 8},
        budget=64,
        seeds=60,
        title="BayesSearchCV's batches (n_points=8): cost per candidate and regret",
        script="bench_batch.py",
        out="batch.md",
        notes="""With `n_points=8` the search keeps three batches
in flight (24 candidates): a proposal knows all but the last 24 results, and
its regret at 64 candidates is far above a sequential search's (see
`results/lag.md`).""",
    )


if __name__ == "__main__":
    main()
