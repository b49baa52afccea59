"""Plots of fitted searches: convergence, evolution, surrogate, parameters.

Every function takes a fitted search and an optional matplotlib ``ax`` and
returns what it drew on. Given an ``ax``, a function draws there and touches no
pyplot state; without one it opens a new figure with ``matplotlib.pyplot``.
matplotlib is imported when a function is first called (install it with
``pip install "sklearn-tune[plots]"``); ``import sklearn_tune`` never loads it.
Without it, every function raises an ``ImportError`` that names the missing
module and that extra.

Functions that read ``cv_results_`` (:func:`plot_convergence`,
:func:`plot_parallel_coordinates`, :func:`plot_importance`) accept any
scikit-learn ``BaseSearchCV``: ours, ``GridSearchCV``, ``RandomizedSearchCV``,
the halving searches. :func:`plot_evolution` needs a ``GeneticSearchCV`` and
:func:`plot_objective` a ``BayesSearchCV`` (or a scikit-optimize
``OptimizeResult``). Failed candidates (score NaN) never enter a best-so-far
line or a colour scale; where they are shown, they are drawn apart, in grey.
"""

from __future__ import annotations

import math

import numpy as np

from ._extras import import_extra
from ._importance import importance
from ._results import (
    category_labels,
    finite_scores,
    full_budget,
    param_columns,
    score_key,
    score_sign,
)

__all__ = [
    "plot_convergence",
    "plot_evolution",
    "plot_importance",
    "plot_objective",
    "plot_parallel_coordinates",
]

_FAILED_COLOR = "0.6"
_LABEL_BOX = {"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1}
_CACHE_ENTRIES = 2**17  # cross-covariance entries per GP prediction call


def _require(module, caller):
    """Import ``module`` (matplotlib or a part of it), or raise an ImportError,
    chained from the original one, that names it and the ``plots`` extra."""
    return import_extra(module, "plots", caller)


def _pyplot():
    return _require("matplotlib.pyplot", "sklearn_tune.plots")


def _get_ax(ax, figsize=(6.4, 4.2)):
    if ax is not None:
        return ax
    return _pyplot().subplots(figsize=figsize, layout="constrained")[1]


# -- convergence ---------------------------------------------------------------


def _fit_times(search):
    results = search.cv_results_
    n_splits = getattr(search, "n_splits_", 1)
    seconds = np.asarray(results["mean_fit_time"], dtype=float) + np.asarray(
        results["mean_score_time"], dtype=float
    )
    return np.cumsum(np.nan_to_num(seconds) * n_splits)


_FORMS = (
    "a fitted search, a list of fitted searches (several runs of one method) "
    "or a (label, [searches]) pair"
)


def _describe(value):
    """A value in an error message: its type, and its repr when short."""
    text = repr(value)
    name = type(value).__name__
    return f"{name} {text}" if len(text) <= 40 and text != name else name


def _is_search(value):
    return hasattr(value, "cv_results_") or hasattr(value, "get_params")


def _unfitted(search, where):
    return TypeError(
        f"plot_convergence needs a fitted search with cv_results_; {where} is an "
        f"unfitted {type(search).__name__}. Call search.fit(X, y) first."
    )


def _runs(searches, where):
    """Check a list of runs: not empty, every item a fitted search."""
    if not searches:
        raise ValueError(
            f"plot_convergence: {where} is an empty list; give one or more fitted "
            "searches (the runs of one method), e.g. [run_a, run_b]."
        )
    for i, search in enumerate(searches):
        if not _is_search(search):
            raise TypeError(
                f"plot_convergence: item {i} of {where} is not a fitted search "
                f"(got {_describe(search)}). A list holds the runs of one method, "
                "each a fitted search, e.g. [run_a, run_b]."
            )
        if not hasattr(search, "cv_results_"):
            raise _unfitted(search, f"item {i} of {where}")
    if len({score_sign(search) for search in searches}) > 1:
        raise ValueError(
            f"plot_convergence: {where} mixes criteria='max' and criteria='min' "
            "searches, whose best scores do not average; give each its own list."
        )
    return list(searches)


def _traces(args, labels):
    """``(label, runs, single)`` per positional argument of plot_convergence.

    ``single`` is True for a bare search (one line), False for a list of runs.
    Every check is made here, before anything is drawn.
    """
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(args):
            plain = all(_is_search(arg) for arg in args)
            raise ValueError(
                f"plot_convergence got {len(args)} "
                f"{'searches' if plain else 'arguments'} and {len(labels)} labels "
                f"({labels!r}); give one label per "
                f"{'search' if plain else 'argument (None for a (label, runs) pair)'}."
            )
    traces = []
    for position, arg in enumerate(args, start=1):
        label = None if labels is None else labels[position - 1]
        where = f"argument {position}"
        if _is_search(arg):
            if not hasattr(arg, "cv_results_"):
                raise _unfitted(arg, where)
            traces.append((type(arg).__name__ if label is None else label, [arg], True))
        elif isinstance(arg, (list, tuple)) and arg and isinstance(arg[0], str):
            name = arg[0]
            if len(arg) != 2:
                raise ValueError(
                    f"plot_convergence: {where} is a {len(arg)}-item "
                    f"{type(arg).__name__} that starts with the label {name!r}; a "
                    "(label, runs) pair has two items, the label and a list of "
                    f"fitted searches: ({name!r}, [run_a, run_b])."
                )
            if not isinstance(arg[1], (list, tuple)):
                raise TypeError(
                    f"plot_convergence: the second item of the pair {name!r} "
                    f"({where}) must be a list of fitted searches (the runs); got "
                    f"{_describe(arg[1])}. Write ({name!r}, [search]) for a single "
                    "run, or pass the search itself and its label in labels."
                )
            if label is not None:
                raise ValueError(
                    f"plot_convergence: labels[{position - 1}]={label!r} would "
                    f"relabel {where}, the pair labelled {name!r}. A pair names "
                    f"itself: give None at position {position - 1} of labels, or "
                    "pass the runs as a plain list and label them in labels."
                )
            runs = _runs(arg[1], f"the runs of the pair {name!r} ({where})")
            traces.append((name, runs, False))
        elif isinstance(arg, (list, tuple)):
            runs = _runs(arg, f"{where} (a list of runs)")
            if label is None:
                label = " / ".join(dict.fromkeys(type(s).__name__ for s in runs))
            traces.append((label, runs, False))
        else:
            hint = (
                f" To label runs, pass one tuple: plot_convergence(({arg!r}, "
                "[run_a, run_b]))."
                if isinstance(arg, str)
                else ""
            )
            raise TypeError(
                f"plot_convergence: {where} is not {_FORMS} (got {_describe(arg)})."
                + hint
            )
    return traces


def _best_so_far(search, key, x):
    """A search's x values, scores (NaN: failed) and best score so far.

    The best counts the full-budget rows of a multi-fidelity search only; it
    is NaN until the first successful (full-budget) candidate.
    """
    scores = finite_scores(search.cv_results_, key)
    xs = np.arange(1, len(scores) + 1) if x == "evaluations" else _fit_times(search)
    budget = full_budget(search)
    counted = scores if budget is None else np.where(budget.rows, scores, np.nan)
    sign = score_sign(search)
    return xs, scores, sign * np.fmax.accumulate(sign * counted)


def _on_grid(curves, x):
    """Runs' best-so-far step functions on a common grid, one row per run.

    The grid ends with the shortest run: its last evaluation, or the end of
    the run that took the least time. On the time axis it holds every run's
    time stamps up to there, each run's best held from one stamp to its next.
    """
    if x == "evaluations":
        n = min(len(xs) for xs, _ in curves)
        return np.arange(1, n + 1), np.vstack([best[:n] for _, best in curves])
    end = min(xs[-1] for xs, _ in curves)
    grid = np.unique(np.concatenate([xs[xs <= end] for xs, _ in curves]))
    rows = []
    for xs, best in curves:
        at = np.searchsorted(xs, grid, side="right") - 1
        rows.append(np.where(at >= 0, best[np.maximum(at, 0)], np.nan))
    return grid, np.vstack(rows)


def plot_convergence(*searches, x="evaluations", ax=None, labels=None, metric=None):
    """Best score so far of one or more searches, against evaluations or time.

    Candidates are taken in the order of ``cv_results_``, which is the order
    of evaluation for our searches and for ``GridSearchCV`` and
    ``RandomizedSearchCV`` (the halving searches list each rung after the
    last, on growing resources). The best-so-far line is a step function,
    with a marker where the best changes; each candidate's own score is a
    faint dot; failed candidates are ticks along the bottom and never change
    the line. The best is the highest score, the lowest for a search with
    ``criteria="min"``. A multi-fidelity search (ours with ``resource``, or
    scikit-learn's halving searches) draws the best *full-budget* score so
    far: cheaper rows are dots only, and the line starts at the first
    full-budget row.

    Several runs of one method (say, one search per random seed), given as a
    list or as a ``(label, [searches])`` pair as in scikit-optimize's
    ``plot_convergence``, are drawn as one line: the *mean* over the runs of
    their best score so far, in a shaded band from the lowest to the highest
    run (min-max: with the handful of runs usual here, a standard deviation
    would be a poor estimate), with each run's own best-so-far line drawn
    faint behind it (no dots or failure ticks). The mean and band are drawn
    where every run of the list has a value: from the first point where each
    run has a best (a successful, full-budget candidate) to the end of the
    *shortest* run, the fewest candidates with ``x="evaluations"``, the least
    time with ``x="time"`` (there, each run's best holds from one of its time
    stamps to its next, and the grid is the union of the runs' stamps). The
    faint lines of longer runs go on past it. The runs of a list must share
    ``criteria``.

    Parameters
    ----------
    *searches : fitted BaseSearchCV, list of them, or (str, list) pairs
        What to draw, each on the same axes and in its own colour; forms can
        be mixed in one call:

        - a fitted search: its best-so-far line;
        - a list (or tuple) of fitted searches: several runs of one method,
          drawn as their mean and spread (see above);
        - a pair ``(label, [searches])``: the same, labelled ``label``.
    x : {"evaluations", "time"}, default="evaluations"
        The horizontal axis: the number of candidates evaluated, or the
        cumulative fit and score time in seconds. Time is a proxy read from
        ``cv_results_``: ``(mean_fit_time + mean_score_time) * n_splits_`` per
        candidate, summed; it is the compute spent on the folds, not the wall
        time of a parallel search, and leaves out the optimizer's own time.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if None.
    labels : list of str or None, default=None
        One legend label per positional argument; None (the whole list, or
        an entry) takes the default: the class name of the search (of the
        runs, for a list), the pair's own label for a pair, whose entry must
        be None.
    metric : str, default=None
        For multi-metric searches, the metric to show; None means each
        search's refit metric (its first metric if ``refit`` names none).

    Returns
    -------
    matplotlib.axes.Axes
        The axes. In ``ax.lines``, per argument in order: for a search, its
        best-so-far line (labelled) then its failed-candidate ticks; for a
        list or pair, the mean line (labelled) then one faint line per run.
        In ``ax.collections``: a search's dots, a list's band.

    Raises
    ------
    TypeError, ValueError
        Before anything is drawn, for an argument of none of the forms, an
        empty list, an unfitted search, a pair whose second item is not a
        list of searches, a label given for a pair, or a bad ``x`` or
        ``metric``.

    See Also
    --------
    plot_evolution : Best, mean and worst of each generation of one search.

    Examples
    --------
    Three runs of a genetic search and two of a random search, each a few
    candidates of a decision tree on iris:

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import RandomizedSearchCV
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_tune import GeneticSearchCV
    >>> from sklearn_tune.space import Integer
    >>> from sklearn_tune.plots import plot_convergence
    >>> X, y = load_iris(return_X_y=True)
    >>> tree = DecisionTreeClassifier(random_state=0)
    >>> space = {"max_depth": Integer(1, 6), "min_samples_leaf": Integer(1, 40)}
    >>> genetic = [
    ...     GeneticSearchCV(
    ...         tree, space, population_size=3, generations=1, cv=2, random_state=seed
    ...     ).fit(X, y)
    ...     for seed in range(3)
    ... ]
    >>> grid = {"max_depth": range(1, 7), "min_samples_leaf": range(1, 41)}
    >>> randoms = [
    ...     RandomizedSearchCV(tree, grid, n_iter=6, cv=2, random_state=seed).fit(X, y)
    ...     for seed in range(2)
    ... ]

    Each list is one mean line in a min-max band, labelled by its pair:

    >>> ax = plot_convergence(("genetic", genetic), ("random", randoms))
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['genetic', 'random']

    Forms mix; ``labels`` names the bare search and the list:

    >>> ax = plot_convergence(
    ...     genetic, randoms[0], x="time", labels=["GA, 3 seeds", "random, seed 0"]
    ... )
    >>> len(ax.lines)  # GA: mean + 3 runs; random: its line + failure ticks
    6
    """
    _require("matplotlib", "plot_convergence")
    if not searches:
        raise TypeError(
            "plot_convergence needs at least one fitted search, e.g. "
            "plot_convergence(search), plot_convergence(search_a, search_b) or, "
            "for several runs of one method, plot_convergence([run_a, run_b])."
        )
    if x not in ("evaluations", "time"):
        raise ValueError(
            f"plot_convergence(x={x!r}): x must be 'evaluations' or 'time'."
        )
    traces = _traces(searches, labels)
    keys, names = {}, set()
    for _, runs, _ in traces:
        for search in runs:
            key, name = score_key(search, metric, "plot_convergence")
            keys[id(search)] = key
            names.add(name)
    ax = _get_ax(ax)
    for label, runs, single in traces:
        if single:
            _draw_search(ax, runs[0], keys[id(runs[0])], x, label)
        else:
            _draw_runs(ax, runs, keys, x, label)
    ax.set_xlabel(
        "candidates evaluated" if x == "evaluations" else "fit + score time (s)"
    )
    ax.set_ylabel(f"best {' / '.join(sorted(names))} so far")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    return ax


def _draw_search(ax, search, key, x, label):
    xs, scores, best = _best_so_far(search, key, x)
    changes = np.flatnonzero(
        np.isfinite(best) & ~(np.concatenate([[np.nan], best[:-1]]) == best)
    )
    (line,) = ax.step(
        xs,
        best,
        where="post",
        label=label,
        linewidth=2,
        marker="o",
        markersize=4,
        markevery=changes.tolist(),
    )
    ax.scatter(xs, scores, s=10, color=line.get_color(), alpha=0.3, linewidths=0)
    failed = np.isnan(scores)
    ax.plot(
        xs[failed],
        np.zeros(failed.sum()),
        linestyle="",
        marker="|",
        markersize=8,
        color=line.get_color(),
        transform=ax.get_xaxis_transform(),
        label="_failed",
    )


def _draw_runs(ax, runs, keys, x, label):
    curves = []
    for search in runs:
        xs, _, best = _best_so_far(search, keys[id(search)], x)
        curves.append((xs, best))
    grid, values = _on_grid(curves, x)
    mean = values.mean(axis=0)  # NaN where a run has no best yet
    (line,) = ax.step(grid, mean, where="post", label=label, linewidth=2, zorder=3)
    color = line.get_color()
    shown = np.isfinite(mean)
    ax.fill_between(
        grid[shown],
        values.min(axis=0)[shown],
        values.max(axis=0)[shown],
        step="post",
        color=color,
        alpha=0.2,
        linewidth=0,
        label="_spread",
    )
    for xs, best in curves:
        ax.step(
            xs, best, where="post", color=color, alpha=0.35, linewidth=0.8, label="_run"
        )


# -- evolution -------------------------------------------------------------------


def plot_evolution(search, ax=None):
    """Best, mean and worst fitness of each generation of a ``GeneticSearchCV``.

    Read from ``search.history_``; failed candidates are not in its statistics.
    With several sub-spaces, generations are numbered across them and a
    dotted line marks where a new sub-space starts. With ``criteria="min"``
    the best of a generation is its lowest score.

    Parameters
    ----------
    search : fitted GeneticSearchCV
        Any search with a ``history_`` of ``gen``, ``fitness``, ``fitness_max``
        and ``fitness_min`` records.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.lines`` are "best", "mean" and "worst", in that order.

    See Also
    --------
    plot_convergence : The best score so far, for any searches.
    sklearn_tune.GeneticSearchCV : The search whose ``history_`` is drawn.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_tune import GeneticSearchCV
    >>> from sklearn_tune.space import Integer
    >>> from sklearn_tune.plots import plot_evolution
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GeneticSearchCV(
    ...     DecisionTreeClassifier(random_state=0),
    ...     {"max_depth": Integer(1, 8), "min_samples_leaf": Integer(1, 40)},
    ...     population_size=6, generations=3, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> ax = plot_evolution(search)
    >>> [line.get_label() for line in ax.lines]
    ['best', 'mean', 'worst']
    >>> len(ax.lines[0].get_xdata())  # generation 0 (random) and 3 bred ones
    4
    """
    _require("matplotlib", "plot_evolution")
    history = getattr(search, "history_", None)
    if history is None:
        raise TypeError(
            "plot_evolution needs a fitted GeneticSearchCV (it reads history_); "
            f"got {type(search).__name__}. For any search, use "
            "plot_convergence(search)."
        )
    ax = _get_ax(ax)
    several = any("subspace" in record for record in history)
    gens = np.arange(len(history)) if several else [r["gen"] for r in history]
    best, worst = (
        ("fitness_max", "fitness_min")
        if score_sign(search) > 0
        else ("fitness_min", "fitness_max")
    )
    series = {
        "best": [r[best] for r in history],
        "mean": [r["fitness"] for r in history],
        "worst": [r[worst] for r in history],
    }
    styles = {"best": "-", "mean": "--", "worst": ":"}
    for label, values in series.items():
        ax.plot(gens, values, styles[label], marker="o", markersize=3, label=label)
    ax.fill_between(gens, series["worst"], series["best"], alpha=0.15)
    if several:
        for position, record in enumerate(history[1:], start=1):
            if record["subspace"] != history[position - 1]["subspace"]:
                ax.axvline(position - 0.5, color="0.5", linestyle=":")
    ax.set_xlabel("generation")
    ax.set_ylabel("fitness (mean test score)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


# -- importance ------------------------------------------------------------------


def plot_importance(search, ax=None, metric=None, random_state=0):
    """Horizontal bars of :func:`sklearn_tune.importance`, largest on top.

    Parameters
    ----------
    search : fitted BaseSearchCV
        Any scikit-learn search with ``cv_results_``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if None.
    metric : str, default=None
        For multi-metric searches; None means the refit metric.
    random_state : int, RandomState instance or None, default=0
        Passed to :func:`sklearn_tune.importance`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.patches`` are the bars, the least important first.

    See Also
    --------
    sklearn_tune.importance : The numbers, as a pandas Series.
    plot_parallel_coordinates : Every candidate's parameters and score.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_tune import GeneticSearchCV
    >>> from sklearn_tune.space import Integer
    >>> from sklearn_tune.plots import plot_importance
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GeneticSearchCV(
    ...     DecisionTreeClassifier(random_state=0),
    ...     {"max_depth": Integer(1, 8), "min_samples_leaf": Integer(1, 40)},
    ...     population_size=6, generations=3, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> ax = plot_importance(search)
    >>> len(ax.patches)
    2
    """
    _require("matplotlib", "plot_importance")
    shares = importance(search, metric=metric, random_state=random_state)
    ax = _get_ax(ax, figsize=(6.4, 0.8 + 0.4 * len(shares)))
    shares = shares.iloc[::-1]
    bars = ax.barh(_short_names(shares.index), shares.to_numpy())
    ax.bar_label(bars, labels=[f"{v:.0%}" for v in shares], padding=2)
    ax.set_xlim(0, max(1.0, shares.max() * 1.15))
    ax.set_xlabel(f"share of {shares.name} variance (fANOVA main effects)")
    return ax


# -- parallel coordinates ------------------------------------------------------


def _short_names(names):
    """Names without the ``step__`` prefix that all of them share, if any."""
    names = list(names)
    parts = [name.split("__") for name in names]
    if len(names) < 2 or any(len(p) < 2 for p in parts):
        return names
    common = 0
    while all(len(p) > common + 1 and p[common] == parts[0][common] for p in parts):
        common += 1
    return ["__".join(p[common:]) for p in parts]


def _unit(column):
    """Positions in [0, 1] of a column's rows on its own axis (NaN inactive)."""
    values = column.values
    if column.categories is not None:
        span = max(len(column.categories) - 1, 1)
        return values / span if len(column.categories) > 1 else values * 0 + 0.5
    low, high = np.nanmin(values), np.nanmax(values)
    if high == low:
        return np.where(np.isnan(values), np.nan, 0.5)
    return (values - low) / (high - low)


def _axis_labels(column):
    """(position, text) pairs to write along a column's axis."""
    if column.categories is not None:
        span = max(len(column.categories) - 1, 1)
        if len(column.categories) == 1:
            return [(0.5, column.labels()[0])]
        return [(i / span, text) for i, text in enumerate(column.labels())]
    low, high = np.nanmin(column.values), np.nanmax(column.values)
    if high == low:
        return [(0.5, _number(low, column.log))]
    middle = (low + high) / 2
    return [
        (u, _number(v, column.log)) for u, v in ((0, low), (0.5, middle), (1, high))
    ]


def _number(value, log):
    return f"{10**value if log else value:.3g}"


def plot_parallel_coordinates(search, ax=None, metric=None, cmap="viridis"):
    """One line per candidate across one vertical axis per parameter.

    Each parameter gets an axis scaled to the values tried: linear, or
    logarithmic where the space declares a log-uniform prior (for other
    searches, where the positive values span a ratio of 100 or more); a
    categorical parameter shows its choices as ticks. The last axis is the
    score, which also colours the line. A parameter a candidate did not have
    (another sub-space, a conditional parameter) leaves a gap in its line.
    Failed candidates are thin grey lines with no score. A multi-fidelity
    search shows its rows at the full budget (the highest ``n_resources``),
    the ones its ``best_*`` choose among, and no axis for the resource; under
    ``criteria="min"`` the lowest score is the best, drawn last and brightest.

    Parameters
    ----------
    search : fitted BaseSearchCV
        Any scikit-learn search with ``cv_results_``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if None.
    metric : str, default=None
        For multi-metric searches; None means the refit metric.
    cmap : str or Colormap, default="viridis"
        Colours of the scores, the best the brightest with "viridis" (the
        colormap is reversed under ``criteria="min"``).

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.collections[0]`` holds the successful candidates'
        lines (its ``get_array()`` are their scores, worst drawn first) and
        ``ax.collections[1]`` the failed ones.

    See Also
    --------
    plot_importance : Which parameters matter most.
    plot_objective : The surrogate model of a ``BayesSearchCV``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_tune import GeneticSearchCV
    >>> from sklearn_tune.space import Integer
    >>> from sklearn_tune.plots import plot_parallel_coordinates
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GeneticSearchCV(
    ...     DecisionTreeClassifier(random_state=0),
    ...     {"max_depth": Integer(1, 8), "min_samples_leaf": Integer(1, 40)},
    ...     population_size=6, generations=3, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> ax = plot_parallel_coordinates(search)
    >>> [label.get_text() for label in ax.get_xticklabels()]
    ['max_depth', 'min_samples_leaf', 'score']
    >>> len(ax.collections[0].get_array()) == len(search.cv_results_["params"])
    True
    """
    matplotlib = _require("matplotlib", "plot_parallel_coordinates")
    LineCollection = _require(
        "matplotlib.collections", "plot_parallel_coordinates"
    ).LineCollection

    key, name = score_key(search, metric, "plot_parallel_coordinates")
    scores = finite_scores(search.cv_results_, key)
    budget = full_budget(search)
    shown = np.ones(len(scores), dtype=bool) if budget is None else budget.rows
    resource = None if budget is None else budget.resource
    columns = [c for c in param_columns(search) if c.name != resource]
    ax = _get_ax(ax, figsize=(1.6 * (len(columns) + 1) + 1.5, 4.2))
    positions = np.column_stack([_unit(c) for c in columns])[shown]
    scores = scores[shown]
    ok = ~np.isnan(scores)
    low, high = (np.min(scores[ok]), np.max(scores[ok])) if ok.any() else (0, 1)
    score_unit = (scores - low) / (high - low) if high > low else scores * 0 + 0.5
    xs = np.arange(len(columns) + 1)
    sign = score_sign(search)
    order = np.argsort(sign * scores[ok], kind="stable")  # best drawn last, on top
    lines = np.column_stack([positions, score_unit])[ok][order]
    colormap = matplotlib.colormaps.get_cmap(cmap)
    success = LineCollection(
        [np.column_stack([xs, row]) for row in lines],
        array=scores[ok][order],
        cmap=colormap if sign > 0 else colormap.reversed(),
        linewidths=1.2,
        alpha=0.8,
        label="candidates",
    )
    success.set_clim(low, high)
    failed = LineCollection(
        [np.column_stack([xs[:-1], row]) for row in positions[~ok]],
        colors=_FAILED_COLOR,
        linewidths=0.6,
        linestyles="--",
        label=f"failed ({int((~ok).sum())})",
    )
    ax.add_collection(success)
    ax.add_collection(failed)
    for x, column in zip(xs, columns):
        ax.axvline(x, color="0.2", linewidth=0.8)
        for y, text in _axis_labels(column):
            ax.text(x + 0.04, y, text, fontsize=7, va="center", bbox=_LABEL_BOX)
    ax.axvline(xs[-1], color="0.2", linewidth=0.8)
    for y, value in ((0, low), (1, high)):
        ax.text(
            xs[-1] + 0.04, y, f"{value:.3g}", fontsize=7, va="center", bbox=_LABEL_BOX
        )
    ax.set_xticks(
        xs,
        [
            short + (" (log)" if c.log else "")
            for short, c in zip(_short_names(c.name for c in columns), columns)
        ]
        + [name],
        rotation=20,
        ha="right",
    )
    ax.set_yticks([])
    ax.set_xlim(-0.2, xs[-1] + 0.5)
    ax.set_ylim(-0.05, 1.05)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    if ok.any():
        ax.figure.colorbar(success, ax=ax, label=name, pad=0.02)
    if (~ok).any():
        ax.legend(handles=[failed], loc="upper right", fontsize=7)
    return ax


# -- objective (surrogate partial dependence) ---------------------------------------


def _bayes_parts(search, subspace):
    """What ``plot_objective`` reads of a BayesSearchCV or an ``OptimizeResult``.

    Returns the result (display space, models, objective values), the space
    the surrogate was fitted in, the evaluated points in that space, a mask
    of the points that did not fail, ``sign``, which turns the minimised
    objective into what is shown (the score for a BayesSearchCV, as skopt
    minimises the negated score; the objective itself for a plain
    ``OptimizeResult``), and ``to_objective``, which turns the model's
    predictions into objective values (None: they are already).
    """
    if hasattr(search, "optimizer_results_"):
        budget = full_budget(search)
        full = getattr(search, "max_resources_", None)
        if budget is not None and full is not None and budget.n_resources < full:
            raise ValueError(
                f"plot_objective shows the surrogate of the full budget "
                f"(n_resources={full}), but no candidate reached it (the "
                f"highest budget reached is {budget.n_resources}): the search "
                "ended first. Fit it again (with a checkpoint, to resume)."
            )
        results = search.optimizer_results_
        if not 0 <= subspace < len(results):
            raise ValueError(
                f"plot_objective(subspace={subspace!r}): the search has "
                f"{len(results)} optimizer result(s); give 0 to "
                f"{len(results) - 1}."
            )
        result = results[subspace]
        optimizers = [o for o in getattr(search, "optimizers_", []) if o.Xi]
        model_space, points, optimizer = result.space, result.x_iters, None
        if len(optimizers) == len(results):  # the space the model was fitted in
            optimizer = optimizers[subspace]
            model_space, points = optimizer.space, optimizer.Xi
        ok = ~_failed(search, result, budget)
        if not result.models:
            raise ValueError(_no_model_message(search, points, optimizer, full))
        return result, model_space, points, ok, -1.0, _from_ranks(optimizer, ok)
    if hasattr(search, "space") and hasattr(search, "models"):  # OptimizeResult
        ok = np.isfinite(np.asarray(search.func_vals, dtype=float))
        if not search.models:
            raise ValueError(_no_model_message(search, search.x_iters))
        return search, search.space, search.x_iters, ok, 1.0, None
    raise TypeError(
        "plot_objective needs a fitted BayesSearchCV (it reads "
        "optimizer_results_) or a scikit-optimize OptimizeResult; got "
        f"{type(search).__name__}. For any search, use "
        "plot_parallel_coordinates(search)."
    )


def _plain(value):
    return repr(value.item() if isinstance(value, np.generic) else value)


def _no_model_message(search, points, optimizer=None, full=None):
    n_initial = getattr(optimizer, "n_initial_points_", None)
    if full is not None:
        return (
            f"plot_objective shows the surrogate of the full budget "
            f"(n_resources={full}), which has no model yet: it was told "
            f"{len(points)} candidate(s), not more than n_initial_points="
            f"{n_initial}. Run more brackets (a larger n_iter), so that more "
            "candidates reach the full budget."
        )
    return (
        "plot_objective needs a fitted surrogate model, but the search has "
        f"none: its {len(points)} candidates were all initial points. Run "
        "more candidates than optimizer_kwargs['n_initial_points']."
    )


def _from_ranks(optimizer, ok):
    """Turn predictions of a surrogate of ranks into objective values, or None.

    On a conditional space the surrogate models the normal scores of the
    ranks of the objective values, not the values. A prediction is mapped
    back through the values observed (of the candidates that did not fail):
    interpolated between those whose normal scores surround it, held at the
    best or worst value beyond them.
    """
    if optimizer is None or not getattr(optimizer, "_rank_targets", False):
        return None
    from ._bayes._optimizer import _normal_scores  # the surrogate's own targets

    values = np.asarray(optimizer.yi, dtype=float)
    if len(values) != len(ok) or not ok.any():
        return None
    targets = _normal_scores(values)[ok]
    order = np.argsort(targets, kind="stable")
    targets, values = targets[order], values[ok][order]
    return lambda predictions: np.interp(predictions, targets, values)


def _failed(search, result, budget=None):
    """Which points of an optimizer result were failed candidates.

    skopt was told a penalty for them; ``cv_results_`` says which failed
    (with multi-fidelity, among the full budget's rows, which are the
    optimizer's).
    """
    names = [d.name for d in result.space.dimensions]
    scores = finite_scores(search.cv_results_, score_key(search, None, "")[0])
    rows = np.ones(len(scores), dtype=bool) if budget is None else budget.rows
    resource = None if budget is None else budget.resource
    failed = set()
    for params, score, counted in zip(search.cv_results_["params"], scores, rows):
        params = {k: v for k, v in params.items() if k != resource}
        if counted and np.isnan(score) and set(params) == set(names):
            failed.add(tuple(_plain(params[n]) for n in names))
    return np.array(
        [tuple(_plain(v) for v in point) in failed for point in result.x_iters],
        dtype=bool,
    )


class _Axis:
    """One dimension of the plot: its grid in model terms and how to draw it."""

    def __init__(self, name, display, model_dim, n_points):
        self.name = name
        self.categorical = hasattr(model_dim, "categories")
        self.log = not self.categorical and model_dim.prior == "log-uniform"
        if self.categorical:
            self.grid = list(model_dim.categories)
            self.positions = np.arange(len(self.grid), dtype=float)
            self.labels = category_labels(display.categories)
        else:
            space = np.geomspace if self.log else np.linspace
            grid = space(model_dim.low, model_dim.high, n_points)
            if type(model_dim).__name__ == "Integer":
                grid = np.unique(np.round(grid).astype(int))
            self.grid = list(grid)
            self.positions = np.asarray(grid, dtype=float)
        self.transformed = np.asarray(model_dim.transform(self.grid), dtype=float)
        self.transformed = self.transformed.reshape(len(self.grid), -1)
        self._model_dim = model_dim

    def position(self, value):
        if self.categorical:
            return float(self.grid.index(value))
        return float(value)

    def decorate(self, ax, which):
        set_scale = ax.set_xscale if which == "x" else ax.set_yscale
        if self.log:
            set_scale("log")
        if self.categorical:
            (ax.set_xticks if which == "x" else ax.set_yticks)(
                self.positions, self.labels
            )
            lim = (-0.5, len(self.grid) - 0.5)
        else:
            lim = (self.positions[0], self.positions[-1])
        (ax.set_xlim if which == "x" else ax.set_ylim)(*lim)


def _predict(model, rows):
    """The model's prediction at ``rows``, in chunks sized to stay in cache.

    A Gaussian process builds a ``rows x n_train`` cross-covariance; kept to
    about a megabyte it stays in the CPU cache, which is several times faster
    than one large block.
    """
    n_train = len(getattr(model, "X_train_", ()))
    chunk = max(_CACHE_ENTRIES // n_train, 16) if n_train else 4096
    return np.concatenate(
        [
            np.asarray(model.predict(rows[start : start + chunk])).ravel()
            for start in range(0, len(rows), chunk)
        ]
    )


def _partial_dependence(model, samples, slices, axes, pairs, to_objective=None):
    """Mean prediction over ``samples`` with some columns set to grid values.

    All the rows (every 1-D grid and every 2-D grid, each times every sample)
    go through the model in one pass of chunked ``predict`` calls;
    ``to_objective`` maps each prediction before the mean.
    """
    blocks, shapes = [], []
    for i in range(len(axes)):
        block = np.repeat(samples[None], len(axes[i].grid), axis=0)
        block[:, :, slices[i]] = axes[i].transformed[:, None, :]
        blocks.append(block.reshape(-1, samples.shape[1]))
        shapes.append((len(axes[i].grid),))
    for i, j in pairs:
        ni, nj = len(axes[i].grid), len(axes[j].grid)
        block = np.repeat(samples[None, None], ni, axis=0).repeat(nj, axis=1)
        block[:, :, :, slices[i]] = axes[i].transformed[:, None, None, :]
        block[:, :, :, slices[j]] = axes[j].transformed[None, :, None, :]
        blocks.append(block.reshape(-1, samples.shape[1]))
        shapes.append((ni, nj))
    predictions = _predict(model, np.concatenate(blocks))
    if to_objective is not None:
        predictions = to_objective(predictions)
    out, start = [], 0
    for shape in shapes:
        n = math.prod(shape) * len(samples)
        out.append(predictions[start : start + n].reshape(*shape, -1).mean(axis=-1))
        start += n
    return out


def plot_objective(
    search,
    *,
    subspace=0,
    dimensions=None,
    n_points=40,
    n_pair_points=16,
    n_samples=16,
    levels=12,
    cmap="viridis",
    random_state=0,
    ax=None,
):
    """The surrogate model of a ``BayesSearchCV`` as partial dependence.

    On the diagonal, one curve per dimension: the surrogate's prediction with
    that dimension set along its range and the others averaged over
    ``n_samples`` points drawn uniformly from the space (partial dependence).
    Below the diagonal, the same for each pair of dimensions as filled
    contours, with the evaluated candidates as dots and the best as a red
    star. A categorical dimension is shown by its choices, a log-uniform one
    on a log axis. For a ``BayesSearchCV`` the plotted value is the predicted
    score (higher is better); failed candidates are not drawn. On a
    conditional space (dimensions with ``.when()``), where the surrogate
    models the normal scores of the ranks of the scores, each prediction is
    turned back into a score through the scores observed (interpolated
    between them, so the plot stays within their range).

    A multi-fidelity search (``resource=...``) keeps one surrogate per
    budget; the one shown is the full budget's, whose candidates are the
    dots. It needs more full-budget candidates than ``n_initial_points``:
    before that, and in a search that ended before the full budget, this
    raises a ``ValueError`` saying so.

    Every curve and surface comes from one batch of predictions (in
    cache-sized chunks) at modest default grids, so the surrogate of a
    2000-evaluation search with four dimensions draws in about a second or
    less (``benchmarks/bench_plots.py``). Parameter names that share a
    pipeline step prefix (``clf__``) are shown without it.

    Parameters
    ----------
    search : fitted BayesSearchCV or skopt OptimizeResult
        A search whose surrogate has been fitted (more candidates than
        ``n_initial_points``), or a result of ``skopt.gp_minimize`` & co.
        (the objective is then shown as is: lower is better).
    subspace : int, default=0
        Which sub-space's optimizer to show.
    dimensions : list of str, default=None
        The dimensions to show, by name; all if None.
    n_points : int, default=40
        Grid points along each dimension for the curves on the diagonal; an
        Integer dimension has at most one per integer and a Categorical one
        per choice.
    n_pair_points : int, default=16
        Grid points along each dimension of the pair plots.
    n_samples : int, default=16
        Points drawn uniformly from the space and averaged over. The same
        points serve every grid point, so the curves are smooth; more points
        move them closer to the exact partial dependence, at a cost linear in
        ``n_samples``.
    levels : int, default=12
        Contour levels.
    cmap : str or Colormap, default="viridis"
        Colours of the pair plots.
    random_state : int, RandomState instance or None, default=0
        Seeds the samples averaged over.
    ax : ndarray of matplotlib Axes, default=None
        A square grid of axes, one row and column per dimension shown; a new
        figure if None. Axes above the diagonal are hidden.

    Returns
    -------
    ndarray of matplotlib Axes
        The square grid; ``axes[i, i].lines[0]`` holds the partial dependence
        of dimension ``i``.

    See Also
    --------
    plot_parallel_coordinates : The candidates themselves, for any search.
    plot_importance : How much each parameter matters.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from sklearn_tune import BayesSearchCV
    >>> from sklearn_tune.space import Real
    >>> from sklearn_tune.plots import plot_objective
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(
    ...     SVC(),
    ...     {
    ...         "C": Real(1e-2, 1e2, prior="log-uniform"),
    ...         "gamma": Real(1e-3, 1e1, prior="log-uniform"),
    ...     },
    ...     n_iter=12, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> axes = plot_objective(search, n_points=10, n_pair_points=8)
    >>> axes.shape
    (2, 2)
    >>> axes[0, 0].get_xscale()  # C is log-uniform
    'log'
    """
    _require("matplotlib", "plot_objective")
    result, model_space, points, ok, sign, to_objective = _bayes_parts(search, subspace)
    display, models = result.space, result.models
    values = np.asarray(result.func_vals, dtype=float)
    names = [d.name or f"x{i}" for i, d in enumerate(display.dimensions)]
    shorts = _short_names(names)
    wanted = list(range(len(names)))
    if dimensions is not None:
        unknown = [d for d in dimensions if d not in names]
        if unknown or not dimensions:
            raise ValueError(
                f"plot_objective(dimensions={dimensions!r}): choose among {names}."
            )
        wanted = [names.index(d) for d in dimensions]
    model = models[-1]
    widths = [d.transformed_size for d in model_space.dimensions]
    offsets = np.concatenate([[0], np.cumsum(widths)])
    slices = [slice(offsets[i], offsets[i + 1]) for i in wanted]
    axes = [
        _Axis(shorts[i], display.dimensions[i], model_space.dimensions[i], n_points)
        for i in wanted
    ]
    pair_axes = [
        _Axis(
            shorts[i], display.dimensions[i], model_space.dimensions[i], n_pair_points
        )
        for i in wanted
    ]
    samples = np.asarray(
        model_space.transform(model_space.rvs(n_samples, random_state=random_state)),
        dtype=float,
    )
    pairs = [(i, j) for i in range(len(axes)) for j in range(i)]
    curves = _partial_dependence(model, samples, slices, axes, [], to_objective)
    grids = (
        _partial_dependence(model, samples, slices, pair_axes, pairs, to_objective)[
            len(axes) :
        ]
        if pairs
        else []
    )
    n = len(axes)
    if ax is None:
        size = max(2.4 * n, 4.0)
        _, ax = _pyplot().subplots(
            n, n, figsize=(size, size), squeeze=False, layout="constrained"
        )
    ax = np.asarray(ax, dtype=object)
    ax = ax.reshape(1, 1) if ax.ndim == 0 else ax
    if ax.shape != (n, n):
        raise ValueError(
            f"plot_objective(ax=...) needs a {n}x{n} grid of Axes, one row and "
            f"column per dimension shown ({[a.name for a in axes]}); got an "
            f"array of shape {ax.shape}. Make it with plt.subplots({n}, {n})."
        )
    shown = [[axis.position(p[i]) for axis, i in zip(axes, wanted)] for p in points]
    shown = np.asarray(shown, dtype=float).reshape(len(points), n)[ok]
    best = shown[np.argmin(values[ok])] if ok.any() else None
    label = "score" if sign < 0 else "objective"
    z_all = [sign * g for g in grids]
    vmin = min((z.min() for z in z_all), default=0)
    vmax = max((z.max() for z in z_all), default=1)
    for r in range(n):
        for c in range(n):
            a = ax[r, c]
            if c > r:
                a.set_visible(False)
                continue
            if r == c:
                a.plot(axes[r].positions, sign * curves[r], color="C0", linewidth=2)
                if best is not None:
                    a.axvline(best[r], color="red", linestyle="--", linewidth=1)
                axes[r].decorate(a, "x")
                a.set_ylabel(f"partial dependence ({label})" if r == 0 else "")
                a.yaxis.set_label_position("right")
                a.yaxis.tick_right()
            else:
                z = z_all[pairs.index((r, c))]
                xa, ya = pair_axes[c], pair_axes[r]
                if xa.categorical or ya.categorical:
                    a.pcolormesh(
                        xa.positions, ya.positions, z, shading="nearest",
                        cmap=cmap, vmin=vmin, vmax=vmax,
                    )  # fmt: skip
                else:
                    a.contourf(
                        xa.positions, ya.positions, z, levels=levels,
                        cmap=cmap, vmin=vmin, vmax=vmax,
                    )  # fmt: skip
                a.scatter(shown[:, c], shown[:, r], s=4, c="k", alpha=0.4, lw=0)
                if best is not None:
                    a.scatter(best[c], best[r], s=60, c="red", marker="*", lw=0)
                axes[c].decorate(a, "x")
                axes[r].decorate(a, "y")
            if r == n - 1:
                a.set_xlabel(axes[c].name + (" (log)" if axes[c].log else ""))
            else:
                a.tick_params(labelbottom=False)
            if c == 0 and r > 0:
                a.set_ylabel(axes[r].name + (" (log)" if axes[r].log else ""))
            elif r != c:
                a.tick_params(labelleft=False)
    return ax
