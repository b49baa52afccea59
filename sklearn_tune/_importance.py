"""``importance``: how much each hyperparameter moves the score of a search."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.utils import check_random_state

from ._results import finite_scores, full_budget, param_columns, score_key

__all__ = ["importance"]

_METHODS = ("fanova",)
_N_TREES = 100
_N_BACKGROUND = 192  # Monte-Carlo points marginalised over
_N_GRID = 24  # values of a numeric parameter at which its main effect is taken


def importance(search, metric=None, method="fanova", random_state=0):
    """Share of the score's variance that each hyperparameter explains.

    Works on the ``cv_results_`` of any fitted scikit-learn search
    (``GeneticSearchCV``, ``BayesSearchCV``, ``GridSearchCV``,
    ``RandomizedSearchCV``, the halving searches...).

    The method is a Monte-Carlo estimate of the first-order (main-effect)
    variance decomposition of functional ANOVA (fANOVA, Hutter, Hoos and
    Leyton-Brown, 2014) of a random-forest surrogate:

    1. a ``RandomForestRegressor`` (100 trees) is fitted to the candidates
       that did not fail (parameters encoded as below, target the mean test
       score);
    2. the input distribution is the product of one distribution per parameter:
       uniform over the observed range of a numeric parameter (of its
       logarithm for a log-scaled one), uniform over the observed choices of a
       categorical one;
    3. the main effect of parameter ``j`` at value ``v`` is the forest's
       prediction with ``j`` set to ``v``, averaged over points drawn from that
       distribution (Monte-Carlo marginalisation of the other parameters);
    4. the importance of ``j`` is the variance of its main effect over its own
       distribution, divided by the sum of these variances over all parameters.

    Interactions are not attributed to any parameter, so the shares describe
    the main effects only. Unlike the original fANOVA, which integrates over
    the whole search space, the integral runs over the region the search
    explored, and it is estimated by sampling rather than computed exactly
    from the trees.

    Encoding: a numeric parameter is used as is, or as its ``log10`` when the
    search space declares it log-uniform (for other searches: when its positive
    values span a ratio of 100 or more); a categorical parameter as the index
    of its choice. A parameter missing from some candidates (sub-spaces,
    conditional parameters) takes an extra value, "inactive", below its range,
    with the observed probability of being inactive. Failed candidates (score
    NaN or infinite) are left out.

    A multi-fidelity search (``resource=...``, or scikit-learn's halving
    searches) is explained by its rows at the full budget (the highest
    ``n_resources`` in ``cv_results_``), the ones its ``best_*`` choose
    among: a score at a small budget says how good a candidate is after a
    little training, and the budget is no hyperparameter, so it is not
    ranked.

    Parameters
    ----------
    search : fitted BaseSearchCV
        Any scikit-learn search with ``cv_results_``.
    metric : str, default=None
        For a multi-metric search, the metric whose scores are explained;
        None means the refit metric (the first metric when ``refit`` names
        none).
    method : {"fanova"}, default="fanova"
        The estimator of importance described above.
    random_state : int, RandomState instance or None, default=0
        Seeds the forest and the Monte-Carlo draws.

    Returns
    -------
    pandas.Series
        Indexed by parameter name, sorted from the most to the least important,
        summing to 1. When the surrogate is flat (all scores equal), every
        parameter gets the same share.

    Raises
    ------
    ValueError
        When fewer than two candidates succeeded (at the full budget, with
        multi-fidelity), or ``method`` or ``metric`` is unknown.

    See Also
    --------
    sklearn_tune.plots.plot_importance : the same, as a bar chart.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import RandomizedSearchCV
    >>> from sklearn_tune import importance
    >>> X, y = load_diabetes(return_X_y=True)
    >>> search = RandomizedSearchCV(
    ...     Ridge(), {"alpha": [1e-3, 1e-2, 1e-1, 1, 10, 100],
    ...               "fit_intercept": [True, False]},
    ...     n_iter=10, cv=3, random_state=0).fit(X, y)
    >>> shares = importance(search)
    >>> sorted(shares.index)
    ['alpha', 'fit_intercept']
    >>> round(float(shares.sum()), 6)
    1.0
    """
    import pandas as pd

    if method not in _METHODS:
        raise ValueError(
            f"importance(method={method!r}): unknown method; use one of "
            f"{list(_METHODS)}."
        )
    key, metric_name = score_key(search, metric, "importance")
    scores = finite_scores(search.cv_results_, key)
    ok = np.isfinite(scores)
    budget = full_budget(search)
    if budget is not None:
        ok &= budget.rows
        if ok.sum() < 2:
            raise ValueError(
                f"importance of a multi-fidelity search uses the candidates "
                f"trained with its full budget (n_resources={budget.n_resources}),"
                f" as best_params_ does: it has {int(budget.rows.sum())}, of "
                f"which {int(ok.sum())} did not fail, and needs at least 2. Run "
                "more brackets (a larger n_iter or more generations)."
            )
    if ok.sum() < 2:
        raise ValueError(
            f"importance needs at least 2 candidates that did not fail; the "
            f"search has {int(ok.sum())} of {len(scores)} with a finite "
            f"{key}. Run a longer search or fix the failing fits."
        )
    resource = None if budget is None else budget.resource
    # a parameter no counted candidate has (a branch whose fits all failed)
    # has nothing to explain
    columns = [
        c for c in param_columns(search) if c.name != resource and (c.active & ok).any()
    ]
    rng = check_random_state(random_state)
    encoded, domains = zip(*(_encode(column.values[ok]) for column in columns))
    X = np.column_stack(encoded)
    y = scores[ok]
    forest = RandomForestRegressor(
        n_estimators=_N_TREES, random_state=rng.randint(2**31 - 1), n_jobs=1
    ).fit(X, y)
    variances = _main_effect_variances(forest, domains, rng)
    total = variances.sum()
    shares = variances / total if total > 0 else np.full(len(columns), 1 / len(columns))
    series = pd.Series(shares, index=[c.name for c in columns], name=metric_name)
    series.index.name = "parameter"
    return series.sort_values(ascending=False, kind="stable")


class _Domain:
    """The distribution of one encoded parameter: values with their weights.

    ``draw`` samples it (continuously over a numeric range); ``grid`` and
    ``weights`` are where the main effect is taken and how much each counts.
    """

    def __init__(self, grid, weights, low=None, high=None, p_range=0.0):
        self.grid = np.asarray(grid, dtype=float)
        self.weights = np.asarray(weights, dtype=float) / np.sum(weights)
        self.low, self.high, self.p_range = low, high, p_range

    def draw(self, n, rng):
        if self.low is None:
            return rng.choice(self.grid, size=n, p=self.weights)
        in_range = rng.random_sample(n) < self.p_range
        values = np.full(n, self.grid[-1])  # the inactive value, if any
        values[in_range] = rng.uniform(self.low, self.high, in_range.sum())
        return values


def _encode(values):
    """Encoded values (inactive as a value of its own) and their ``_Domain``."""
    active = ~np.isnan(values)
    observed = values[active]
    low, high = observed.min(), observed.max()
    inactive_code = low - max(0.5 * (high - low), 1.0)
    encoded = np.where(active, values, inactive_code)
    p_active = active.mean()
    integral = np.all(observed == np.round(observed))
    choices = np.unique(observed)
    if integral and len(choices) <= _N_GRID:  # categories, or few numbers: each
        grid, weights = list(choices), [p_active / len(choices)] * len(choices)
        range_ = {}
    else:
        grid = list(np.linspace(low, high, _N_GRID))
        weights = [p_active / _N_GRID] * _N_GRID
        range_ = {"low": low, "high": high, "p_range": 1.0}
    if p_active < 1:
        grid.append(inactive_code)
        weights.append(1 - p_active)
        if range_:
            range_["p_range"] = p_active  # the draw picks the range this often
    return encoded, _Domain(grid, weights, **range_)


def _main_effect_variances(forest, domains, rng):
    """Variance of each parameter's main effect, all predicted in one call."""
    background = np.column_stack([d.draw(_N_BACKGROUND, rng) for d in domains])
    blocks = []
    for j, domain in enumerate(domains):
        block = np.repeat(background[None], len(domain.grid), axis=0)
        block[:, :, j] = domain.grid[:, None]
        blocks.append(block.reshape(-1, len(domains)))
    predictions = forest.predict(np.concatenate(blocks))
    variances, start = [], 0
    for domain in domains:
        n = len(domain.grid) * _N_BACKGROUND
        effect = predictions[start : start + n].reshape(len(domain.grid), -1)
        effect = effect.mean(axis=1)
        start += n
        mean = np.dot(domain.weights, effect)
        variances.append(np.dot(domain.weights, (effect - mean) ** 2))
    return np.array(variances)
