"""A progress bar over the candidates (or resources) of a search, drawn by tqdm."""

from ._base import Callback


class ProgressBar(Callback):
    """Show a tqdm progress bar that advances once per candidate.

    A multi-fidelity search (``resource=...``) counts its budget instead: the
    bar advances by each candidate's ``n_resources`` (epochs, iterations,
    samples...), so a rung of many cheap candidates moves it as little as
    they cost.

    Its postfix shows the best score so far (``best``; with multi-fidelity,
    at the largest budget reached, ``best@<n_resources>``, since scores at
    different budgets do not compare) and the best of the last batch
    (``batch_best``).

    With scikit-learn >= 1.9 its own ``sklearn.callback.ProgressBar`` works too,
    through ``search.set_callbacks(...)``; this one needs only tqdm.

    Parameters
    ----------
    total : int, default=None
        Expected number of candidates (resources, with multi-fidelity); what
        the search plans to evaluate when None.
    **tqdm_kwargs
        Passed to ``tqdm.auto.tqdm`` (``desc``, ``leave``, ``file``, ...).

    See Also
    --------
    DeadlineStopper : End a search after a given time.
    Callback : The hooks a callback can implement.

    Examples
    --------
    >>> import io
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_tune import GeneticSearchCV
    >>> from sklearn_tune.callbacks import ProgressBar
    >>> from sklearn_tune.space import Integer
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GeneticSearchCV(
    ...     DecisionTreeClassifier(random_state=0), {"max_depth": Integer(1, 8)},
    ...     population_size=4, generations=2, cv=3, random_state=0,
    ... )
    >>> bar = ProgressBar(desc="tree", file=io.StringIO())  # default: stderr
    >>> search = search.fit(X, y, callback=bar)
    >>> bar.bar_.n == len(search.cv_results_["params"])
    True
    """

    def __init__(self, total=None, **tqdm_kwargs):
        self.total = total
        self.tqdm_kwargs = tqdm_kwargs

    def on_search_begin(self, search, *, n_candidates=None, n_resources=None, **kw):
        from tqdm.auto import tqdm  # imported lazily: `import sklearn_tune` stays light

        planned = n_candidates if n_resources is None else n_resources
        total = self.total if self.total is not None else planned
        unit = "candidate" if n_resources is None else "resource"
        options = {"desc": type(search).__name__, "unit": unit}
        self.bar_ = tqdm(total=total, **{**options, **self.tqdm_kwargs})
        self._best = {}  # n_resources (None without resource) -> best, signed

    def on_batch_end(self, search, *, candidates, scores, n_resources=None, **kw):
        self.bar_.update(len(candidates) * (n_resources or 1))
        sign = getattr(search, "_score_sign", 1.0)  # -1: lower is better
        batch = max((sign * s for s in scores if s == s), default=float("nan"))
        if batch == batch:
            self._best[n_resources] = max(batch, self._best.get(n_resources, batch))
        postfix = {}
        if self._best:
            budget = max(self._best, key=lambda b: -1 if b is None else b)
            name = "best" if budget is None else f"best@{budget}"
            postfix[name] = f"{sign * self._best[budget]:.4g}"
        postfix["batch_best"] = f"{sign * batch:.4g}"
        self.bar_.set_postfix(postfix)

    def on_search_end(self, search, **kwargs):
        self.bar_.close()

    def __repr__(self):
        return f"ProgressBar(total={self.total!r})"
