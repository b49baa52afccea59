"""A progress bar over the candidates of a search, drawn by tqdm."""

from ._base import Callback


class ProgressBar(Callback):
    """Show a tqdm progress bar that advances once per candidate.

    With scikit-learn >= 1.9 its own ``sklearn.callback.ProgressBar`` works too,
    through ``search.set_callbacks(...)``; this one needs only tqdm.

    Parameters
    ----------
    total : int, default=None
        Expected number of candidates; the most the search evaluates when None.
    **tqdm_kwargs
        Passed to ``tqdm.auto.tqdm`` (``desc``, ``leave``, ``file``, ...).
    """

    def __init__(self, total=None, **tqdm_kwargs):
        self.total = total
        self.tqdm_kwargs = tqdm_kwargs

    def on_search_begin(self, search, *, n_candidates=None, **kwargs):
        from tqdm.auto import tqdm  # imported lazily: `import sklearn_tune` stays light

        total = self.total if self.total is not None else n_candidates
        options = {"desc": type(search).__name__, "unit": "candidate"}
        self.bar_ = tqdm(total=total, **{**options, **self.tqdm_kwargs})

    def on_batch_end(self, search, *, candidates, scores, **kwargs):
        self.bar_.update(len(candidates))
        best = max((s for s in scores if s == s), default=float("nan"))
        self.bar_.set_postfix(batch_best=f"{best:.4g}")

    def on_search_end(self, search, **kwargs):
        self.bar_.close()

    def __repr__(self):
        return f"ProgressBar(total={self.total!r})"
