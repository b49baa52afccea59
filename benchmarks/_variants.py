"""Variants of one of our searchers against peers, on the suite's functions.

Shared by ``bench_engine.py`` and ``bench_genetic.py``: each variant sets
attributes of one library class in the worker process (never in the library),
every run goes through ``_searchers.run_search`` with ``n_jobs=1``, and the
table gives simple regret at two checkpoints (mean ± standard error over
seeds) and the searching process's CPU time per candidate.
"""

from __future__ import annotations

import argparse
import importlib
import math
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import _searchers
import numpy as np
from _report import machine, source_version, versions
from _tasks import make_tasks

BR = "  "  # a Markdown line break, kept out of the source lines
RESULTS = Path(__file__).parent / "results"


def _patched_class(target):
    module, name = target.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _owner(target, name):
    """The class and attribute a variant's change ``name`` sets: an attribute
    of ``target``, or ``"module.Class.attribute"`` of another class."""
    if "." not in name:
        return _patched_class(target), name
    cls, attribute = name.rsplit(".", 1)
    return _patched_class(cls), attribute


def _one(args):
    label, task_name, budget, seed, spec = args
    target, searcher, variants, peers, params = spec
    if label in variants:
        # a worker runs several variants: each starts from the library's own
        if not hasattr(_one, "library"):
            names = {n for _, changes in variants.values() for n in changes}
            _one.library = {
                n: vars(cls)[attribute]
                for n in names
                for cls, attribute in [_owner(target, n)]
            }
        for name, value in {**_one.library, **variants[label][1]}.items():
            setattr(*_owner(target, name), value)
        name = searcher
    else:
        name = peers[label]
    task = make_tasks()[task_name]
    run = _searchers.run_search(
        name, task, budget, seed, params=params if label in variants else None
    )
    if run.error:
        raise RuntimeError(f"{label} on {task_name}, seed {seed}: {run.error}")
    best = np.maximum.accumulate(np.asarray(run.scores[:budget], dtype=float))
    # scores are minus the function: regret = -best score - minimum
    return label, task_name, -best - task.optimum, 1000 * run.cpu_time / budget


def _cell(values, digits=3):
    values = np.asarray(values, dtype=float)
    sem = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else 0
    return f"{values.mean():.{digits}g} ± {sem:.2g}"


def main(
    *,
    description,
    target,
    searcher,
    variants,
    peers,
    title,
    script,
    out,
    notes,
    params=None,
    budget=50,
    seeds=20,
):
    """Run ``variants`` of ``searcher`` (attributes of the class ``target``,
    "module.Class"; ``params`` set on the search) and ``peers`` ({label:
    _searchers name}); write ``results/<out>`` with ``title`` and ``notes``
    unless ``--quick``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smoke run, no file")
    parser.add_argument("--seeds", type=int, default=seeds)
    parser.add_argument("--budget", type=int, default=budget)
    parser.add_argument("--jobs", type=int, default=2, help="runs in parallel")
    parser.add_argument("--tasks", nargs="+", default=["branin", "hartmann6", "mixed"])
    parser.add_argument("--peers", nargs="*", default=list(peers))
    args = parser.parse_args()
    seeds = range(2 if args.quick else args.seeds)
    budget = 20 if args.quick else args.budget
    labels = [*variants, *args.peers]
    spec = (target, searcher, variants, peers, params)
    started = time.time()
    jobs = [
        (label, task, budget, seed, spec)
        for label in labels
        for task in args.tasks
        for seed in seeds
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(_one, jobs))
    mid = min(25, budget)
    lines = [
        f"| searcher | task | regret@{mid} | regret@{budget} | CPU ms/candidate |",
        "| --- | --- | --- | --- | --- |",
    ]
    for task in args.tasks:
        for label in labels:
            rows = [r for r in results if r[:2] == (label, task)]
            regrets = [r[2] for r in rows]
            lines.append(
                f"| {label} | {task} | {_cell([c[mid - 1] for c in regrets])} | "
                f"{_cell([c[budget - 1] for c in regrets])} | "
                f"{_cell([r[3] for r in rows])} |"
            )
    table = "\n".join(lines) + "\n"
    print(table)
    if args.quick:
        return
    minutes = (time.time() - started) / 60
    settings = "".join(f", {k}={v!r}" for k, v in (params or {}).items())
    described = "\n".join(
        f"- **{label}**: {text}." for label, (text, _) in variants.items()
    )
    header = f"""# {title}

Command: `python benchmarks/{script}`{BR}
Total time: {minutes:.1f} min, {args.jobs} runs in parallel. Seeds: 0 to \
{len(seeds) - 1}. n_jobs=1, {budget} candidates{settings}.{BR}
Machine: {machine()}.{BR}
Versions: {", ".join(versions())}.{BR}
sklearn_tune source: {source_version()}.

Regret: best value found minus the known minimum (mean ± standard error over
seeds; lower is better). CPU ms/candidate: the searching process's CPU time
divided by the candidates (the objective's fits cost nothing), which other
jobs on the machine change little. {notes}

{described}

"""
    (RESULTS / out).write_text(header + table)
