"""The benchmark's Markdown report, its target checks and its plots."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np
from _searchers import LABELS, MODEL_BASED

MACHINE_ROW = "the machine: pure-Python loops in 1 or 2 processes"
PACKAGES = [
    "scikit-learn",
    "numpy",
    "scipy",
    "scikit-optimize",
    "deap",
    "optuna",
    "optuna-integration",
    "sklearn-genetic-opt",
    "matplotlib",
    "sklearn-tune",
]


def versions():
    """'name version' for Python and every package that matters here."""
    out = [f"Python {platform.python_version()}"]
    for name in PACKAGES:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} not installed")
    return out


def source_version():
    """The commit of the sklearn_tune code that ran, and whether it was edited."""
    root = Path(__file__).resolve().parent.parent

    def git(*args):
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "sklearn_tune")
    except OSError:
        return "unknown (no git)"
    if not commit:
        return "unknown (not a git checkout)"
    return commit + (" + uncommitted changes in sklearn_tune/" if dirty else "")


def machine():
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load average at the end {:.1f} / {:.1f} / {:.1f} (1/5/15 min)".format(
            *os.getloadavg()
        )
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores"
        f"{load}; {platform.processor() or 'cpu model unknown'}"
    )


# -- statistics over seeds --------------------------------------------------------


def _mean_std(values):
    values = [v for v in values if v is not None and np.isfinite(v)]
    if not values:
        return None
    return float(np.mean(values)), float(np.std(values)), len(values)


def _fmt(stat, digits=3, scale=1.0, n_all=None):
    if stat is None:
        return "—"
    mean, std, n = stat
    mean, std = mean * scale, std * scale
    if abs(mean) >= 100:
        text = f"{mean:.0f} ± {std:.0f}"
    elif abs(mean) >= 1:
        text = f"{mean:.{digits - 1}f} ± {std:.{digits - 1}f}"
    else:
        text = f"{mean:.{digits}g} ± {std:.2g}"
    if n_all is not None and n < n_all:
        text += f" (n={n})"
    return text


def regret(run, task, k):
    """Best function value among the first ``k`` candidates minus the optimum."""
    best = run.best_so_far(k)
    return -best - task.optimum if np.isfinite(best) else None


def quality(run, task, k):
    """Regret (functions, lower is better) or best CV score (real tasks)."""
    if run.n_evals == 0:
        return None
    if run.searcher == "GridSearchCV" and k < run.n_evals:
        return None  # a grid is only meaningful as a whole
    return regret(run, task, k) if task.kind == "function" else run.best_so_far(k)


# -- the report -------------------------------------------------------------------


def _by(runs, task, searcher):
    return [r for r in runs if r.task == task and r.searcher == searcher]


def _function_table(runs, task, searchers, checkpoints, long_checkpoints):
    head = (
        ["searcher", "evals"]
        + [f"regret@{k}" for k in checkpoints]
        + [f"overhead ms/eval @{k}" for k in (checkpoints[-1], *long_checkpoints)]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name in searchers:
        group = [r for r in _by(runs, task.name, name) if r.error is None]
        if not group:
            continue
        n_all = len(group)
        cells = [LABELS[name], _evals(group)]
        cells += [
            _fmt(_mean_std([quality(r, task, k) for r in group]), n_all=n_all)
            for k in checkpoints
        ]
        cells.append(_overhead_cell(group, checkpoints[-1], n_all, final=True))
        for k in long_checkpoints:
            cells.append(_overhead_cell(group, k, n_all) if name in MODEL_BASED else "")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _overhead_cell(group, k, n_all, final=False):
    """Wall-time overhead in ms, mean ± std, and the CPU-time one in brackets.

    ``final``: at the end of each run (``k`` is the budget); otherwise at the
    first time mark past ``k``, empty for runs that did not get there.
    """

    def at(run, cpu=False):
        if final and k >= run.n_evals or final and not run.marks:
            return run.overhead(cpu=cpu)
        return run.overhead(k, cpu=cpu)

    wall = _mean_std([at(r) for r in group])
    if wall is None:
        return "—"
    cpu = _mean_std([at(r, cpu=True) for r in group])
    text = _fmt(wall, scale=1e3, n_all=n_all)
    if cpu is not None:
        text += f" ({cpu[0] * 1e3:.3g})"
    return text


def _evals(group):
    counts = sorted({min(r.n_evals, r.budget) for r in group})
    text = "/".join(map(str, counts))
    over = max(r.n_evals for r in group)
    if over > max(counts):
        text += f" (fitted up to {over})"
    return text


def _real_table(runs, task, searchers, checkpoints):
    head = (
        ["searcher", "evals"]
        + [f"best CV @{k}" for k in checkpoints]
        + ["test score", "wall time s", "overhead ms/eval"]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name in searchers:
        group = [r for r in _by(runs, task.name, name) if r.error is None]
        if not group:
            continue
        n_all = len(group)
        cells = [LABELS[name], _evals(group)]
        cells += [
            _fmt(_mean_std([quality(r, task, k) for r in group]), digits=4, n_all=n_all)
            for k in checkpoints
        ]
        cells.append(_fmt(_mean_std([r.test_score for r in group]), digits=4))
        cells.append(_fmt(_mean_std([r.wall_time for r in group]), digits=2))
        cells.append(_fmt(_mean_std([r.overhead() for r in group]), scale=1e3))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _mean_quality(runs, task, name, k):
    stat = _mean_std(
        [quality(r, task, k) for r in _by(runs, task.name, name) if r.error is None]
    )
    return None if stat is None else stat[0]


def _overheads(runs, task, name, k):
    """Mean (wall, CPU) overhead per candidate at ``k``, or None."""
    group = [r for r in _by(runs, task.name, name) if not r.error]
    wall = _mean_std([r.overhead(k) for r in group])
    cpu = _mean_std([r.overhead(k, cpu=True) for r in group])
    if wall is None or cpu is None:
        return None
    return wall[0], cpu[0]


def _verdict(oks):
    """A target judged on wall time and on CPU time: True, False or "wall"."""
    if all(oks):
        return True
    if not any(oks):
        return False
    return "only on CPU time" if oks[1] else "only on wall time"


def check_targets(runs, tasks, checkpoints, throughput):
    """The issue's targets, each with the numbers that decide it: rows of
    (target, result, verdict)."""
    k = checkpoints[-1]
    rows = []
    functions = [t for t in tasks if t.kind == "function"]
    for task in functions:
        ours = _mean_quality(runs, task, "BayesSearchCV", k)
        for peer in ("skopt", "Optuna"):
            theirs = _mean_quality(runs, task, peer, k)
            if ours is None or theirs is None:
                continue
            rows.append(
                (
                    f"BayesSearchCV regret@{k} ≤ {LABELS[peer]} on {task.name}",
                    f"{ours:.4g} vs {theirs:.4g}",
                    ours <= theirs,
                )
            )
    for task in functions:
        ours, theirs = (
            _overheads(runs, task, name, k) for name in ("BayesSearchCV", "skopt")
        )
        if ours and theirs:
            ratios = [t / o for t, o in zip(theirs, ours)]
            rows.append(
                (
                    f"BayesSearchCV overhead@{k} ≥ 10x below skopt's on {task.name}",
                    f"{ours[0] * 1e3:.1f} vs {theirs[0] * 1e3:.0f} ms/eval wall "
                    f"({ratios[0]:.0f}x); CPU {ours[1] * 1e3:.1f} vs "
                    f"{theirs[1] * 1e3:.0f} ({ratios[1]:.0f}x)",
                    _verdict([r >= 10 for r in ratios]),
                )
            )
        longest = max(
            (r.marks[-1][1] for r in _by(runs, task.name, "BayesSearchCV") if r.marks),
            default=0,
        )
        ours_long = _overheads(runs, task, "BayesSearchCV", longest)
        if ours_long and longest > k:
            rows.append(
                (
                    f"BayesSearchCV overhead@{longest} < 100 ms/eval on {task.name}",
                    f"{ours_long[0] * 1e3:.1f} ms/eval wall, "
                    f"{ours_long[1] * 1e3:.1f} CPU",
                    _verdict([value < 0.1 for value in ours_long]),
                )
            )
    wins = losses = 0
    for task in tasks:
        ours = _mean_quality(runs, task, "GeneticSearchCV", k)
        theirs = _mean_quality(runs, task, "GASearchCV", k)
        rand = _mean_quality(runs, task, "RandomizedSearchCV", k)
        if ours is None:
            continue
        better = (
            (lambda a, b: a <= b) if task.kind == "function" else (lambda a, b: a >= b)
        )
        if theirs is not None:
            word = "regret" if task.kind == "function" else "best CV"
            rows.append(
                (
                    f"GeneticSearchCV ≥ GASearchCV on {task.name} ({word}@{k})",
                    f"{ours:.4g} vs {theirs:.4g}",
                    better(ours, theirs),
                )
            )
        if rand is not None and ours != rand:
            wins += better(ours, rand)
            losses += not better(ours, rand)
    if wins + losses:  # only when both ran on some task
        rows.append(
            (
                f"GeneticSearchCV better than RandomizedSearchCV on average (@{k})",
                f"better on {wins} task(s), worse on {losses}",
                wins > losses,
            )
        )
    ceiling = throughput.get(MACHINE_ROW)
    for name, (one, two) in throughput.items():
        if not name.startswith(("GeneticSearchCV", "BayesSearchCV")):
            continue
        speedup = two / one
        context = ""
        if ceiling:
            context = f"; the machine itself: {ceiling[1] / ceiling[0]:.2f}x"
        rows.append(
            (
                f"{name}: n_jobs=2 throughput ≥ 1.7x n_jobs=1",
                f"{one:.2f} vs {two:.2f} candidates/s ({speedup:.2f}x){context}",
                speedup >= 1.7,
            )
        )
    return rows


def summary_table(runs, tasks, searchers, k):
    """One row per searcher: the mean result of every task at ``k`` candidates."""
    head = ["searcher"]
    for task in tasks:
        head.append(
            f"{task.name} regret" if task.kind == "function" else f"{task.name} CV"
        )
    functions = [t for t in tasks if t.kind == "function"]
    if functions:
        head.append("overhead ms/eval (functions, wall)")
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name in searchers:
        cells = [LABELS[name]]
        for task in tasks:
            value = _mean_quality(runs, task, name, k)
            cells.append("—" if value is None else f"{value:.4g}")
        if functions:
            overheads = [
                r.overhead(k) if r.marks and r.n_evals > k else r.overhead()
                for task in functions
                for r in _by(runs, task.name, name)
                if not r.error
            ]
            stat = _mean_std(overheads)
            cells.append("—" if stat is None else f"{stat[0] * 1e3:.3g}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def make_report(
    runs, tasks, searchers, args, throughput, elapsed, command, source=None
):
    checkpoints, long_checkpoints = args.checkpoints, args.long_checkpoints
    lines = [
        "# Benchmarks: sklearn_tune against its peers",
        "",
        f"Command: `{command}`  ",
        f"Total time: {elapsed / 60:.1f} min, {args.jobs} run(s) in parallel, "
        "BLAS limited to 1 thread per run.  ",
        f"Machine: {machine()}. **The machine was shared with other people's jobs "
        "during the run**: wall times and overheads are inflated by an unknown, "
        "varying amount; compare rows of one table, not runs.  ",
        "Versions: " + ", ".join(versions()) + ".  ",
        f"sklearn_tune source: {source or source_version()}.  ",
        f"Seeds: {', '.join(map(str, args.seed_list))}; every searcher gets the "
        "same seed, the same CV splits and the same budget of fitted candidates.",
        "",
        "How to read: mean ± std over seeds. `evals` is the number of candidates "
        "each run fitted (scored on at most the budget). Regret = best function "
        "value found minus the known minimum (lower is better). Best CV = best "
        "mean CV accuracy so far (higher is better); test score = the best "
        "candidate refitted on the training set, scored on a held-out quarter. "
        "Overhead = the search's wall time minus the fit and score times in "
        "`cv_results_`, per fitted candidate; in brackets on the functions, the "
        "CPU time of the searching process per candidate (no-cost fits "
        "included), which other people's jobs barely change. GridSearchCV is "
        "shown at its full grid only. See benchmarks/README.md.",
        "",
    ]
    lines += [
        f"## Summary at {checkpoints[-1]} candidates",
        "",
        "Mean over seeds: simple regret on the functions (lower is better), best "
        "CV accuracy on the real tasks (higher is better), and the searcher's own "
        "time per candidate on the functions.",
        "",
        *summary_table(runs, tasks, searchers, checkpoints[-1]),
        "",
    ]
    targets = check_targets(runs, tasks, checkpoints, throughput)
    lines += ["## Targets", "", "| target | measured | met |", "| --- | --- | --- |"]
    for target, result, ok in targets:
        verdict = ok if isinstance(ok, str) else ("yes" if ok else "**no**")
        lines.append(f"| {target} | {result} | {verdict} |")
    lines.append("")

    for task in tasks:
        if task.kind == "function":
            lines += [
                f"## {task.name} (known minimum {task.optimum})",
                "",
                *_function_table(runs, task, searchers, checkpoints, long_checkpoints),
                "",
                f"![best so far](best_so_far_{task.name}.png)",
                "",
            ]
        else:
            lines += [
                f"## {task.name} ({task.n_splits}-fold CV accuracy)",
                "",
                *_real_table(runs, task, searchers, checkpoints),
                "",
                f"![best so far](best_so_far_{task.name}.png)",
                "",
            ]
    if throughput:
        lines += [
            "## Parallel throughput",
            "",
            "Fitted candidates per second on a CPU-bound task ("
            f"{args.throughput_note}) with n_jobs=1 and n_jobs=2; best of "
            f"{args.throughput_repeats} repeats, each search alone in the suite "
            "(other people's jobs aside). The last row is the ceiling: the "
            "same pure-Python work in 1 and in 2 processes, in work units per "
            "second; a speed-up below 2x there means the machine does not give "
            "two processes two cores' worth of CPU.",
            "",
            "| searcher | n_jobs=1 | n_jobs=2 | speed-up |",
            "| --- | --- | --- | --- |",
        ]
        for name, (one, two) in throughput.items():
            lines.append(f"| {name} | {one:.2f} | {two:.2f} | {two / one:.2f}x |")
        lines.append("")
    notes = sorted(
        {f"{LABELS[r.searcher]} on {r.task}: {r.error}" for r in runs if r.error}
    )
    notes += sorted(
        {
            f"{LABELS[r.searcher]} on {r.task} (seed {r.seed}): {r.note}"
            for r in runs
            if r.note
        }
    )
    notes += args.cut_notes
    if notes:
        lines += ["## Notes, skipped and failed runs", ""]
        lines += [f"- {note}" for note in notes]
        lines.append("")
    return "\n".join(lines), targets


# -- plots ------------------------------------------------------------------------


def plot_best_so_far(runs, task, searchers, path):
    """Mean best-so-far curve per searcher (regret on a log scale for functions)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name in searchers:
        group = [r for r in _by(runs, task.name, name) if r.error is None and r.n_evals]
        if not group:
            continue
        n = min(min(r.n_evals, r.budget) for r in group)
        ks = np.arange(1, n + 1)
        curves = np.array(
            [[_curve_value(r, task, k) for k in ks] for r in group], dtype=float
        )
        label = LABELS[name].strip("*")
        if name == "GridSearchCV":
            values = curves[:, -1]
            ax.scatter([n], [values.mean()], marker="s", label=label, zorder=3)
            continue
        mean = np.nanmean(curves, axis=0)
        ax.plot(ks, mean, label=label, lw=2.2 if "sklearn_tune" in label else 1.3)
    if task.kind == "function":
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_ylabel("simple regret (mean over seeds)")
    else:
        ax.set_ylabel("best CV accuracy so far (mean over seeds)")
    ax.set_xlabel("fitted candidates")
    ax.set_title(f"{task.name}: best so far")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _curve_value(run, task, k):
    best = run.best_so_far(k)
    if task.kind == "function":
        return max(-best - task.optimum, 1e-6) if math.isfinite(best) else math.nan
    return best
