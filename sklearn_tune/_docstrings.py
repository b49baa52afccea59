"""numpydoc fragments shared by both searchers, written once.

A line holding only ``{name}`` in a docstring decorated with :func:`_fill_doc`
is replaced by the fragment ``name``, re-indented to the line's indentation.
"""

import re
import textwrap

_FRAGMENTS = {
    "search_spaces": """\
search_spaces : dict, list of dict or list of (dict, int) pairs
    ``{parameter name: dimension}``; nested names such as ``clf__C`` work. A
    dimension is a ``Real``, ``Integer`` or ``Categorical`` (from
    :mod:`sklearn_tune.space` or :mod:`skopt.space`), a ``(low, high[, prior])``
    tuple or a list of choices, read as scikit-optimize reads them (a list of
    two numbers is a range). A list searches several sub-spaces, one after
    the other.""",
    "scoring": """\
scoring : str, callable, list, tuple or dict, default=None
    As in :class:`~sklearn.model_selection.GridSearchCV`; None uses the
    estimator's ``score``. With several metrics, the search maximises the one
    ``refit`` names, or the first one when ``refit`` is False or a callable.""",
    "n_jobs": """\
n_jobs : int, default=None
    Fits run in parallel, one per (candidate, CV split) of a batch. None
    means 1 unless in a :func:`joblib.parallel_backend` context (Dask, Ray),
    -1 means all processors. The candidates never depend on it.""",
    "pre_dispatch": """\
pre_dispatch : int or str, default="2*n_jobs"
    How many jobs joblib dispatches ahead, as in ``GridSearchCV``.""",
    "cv": """\
cv : int, cross-validation generator or iterable, default=None
    As in ``GridSearchCV``: None is 5-fold (stratified for classifiers). The
    same splits serve every candidate when the splitter is deterministic.""",
    "refit": """\
refit : bool, str or callable, default=True
    Refit the best candidate on the whole data (``best_estimator_``), as in
    ``GridSearchCV``: with several metrics, the name of the metric that picks
    the best candidate, False, or a callable that picks its index from
    ``cv_results_``.""",
    "verbose": """\
verbose : int, default=0
    1 prints a line per batch (best score so far); more adds scikit-learn's
    own per-fit messages.""",
    "return_train_score": """\
return_train_score : bool, default=False
    Also record training scores (``mean_train_*``, and ``rank_train_*`` as
    scikit-optimize and sklearn-genetic-opt report them).""",
    "checkpoint": """\
checkpoint : str or path-like, default=None
    A journal file (JSON Lines) that records every finished batch durably.
    Fitting again with the same file resumes, in any process: recorded
    candidates are not refitted and the results equal an uninterrupted run's;
    a larger budget continues the search. A checkpoint of another search is
    refused, naming what differs. See ``docs/checkpointing.md``.""",
    "fidelity": """\
resource : str, default=None
    Multi-fidelity: the budget that grows rung by rung, as scikit-learn's
    :class:`~sklearn.model_selection.HalvingRandomSearchCV` names it: an
    estimator parameter (``"max_iter"``, ``"n_estimators"``,
    ``"max_epochs"``, ``"clf__max_iter"``...) or ``"n_samples"`` (a random
    subset of each CV split's rows). Candidates are trained on
    ``min_resources`` first, and only the best ``1/factor`` of each rung is
    trained again on ``factor`` times more, up to ``max_resources``, in
    Hyperband's brackets (see ``docs/multi_fidelity.md``). ``cv_results_``
    has one row per (candidate, budget) with ``n_resources``; ``best_*`` and
    the refit use only the rows at the full budget. None (the default)
    trains every candidate on the full budget.
min_resources : int, "exhaust" or "smallest", default="exhaust"
    The lowest budget. "exhaust", scikit-learn's default for its halving
    searches, is the budget from which the first bracket's ``n`` candidates
    (``n_iter``, or ``population_size``) halve down to one at
    ``max_resources``: ``max_resources / factor**floor(log_factor(n))``, at
    least "smallest". "smallest" is 1 for a parameter, and
    ``2 * n_splits * n_classes`` rows (``2 * n_splits`` for a regressor) for
    ``"n_samples"``, as in scikit-learn.
max_resources : int or "auto", default="auto"
    The full budget: "auto" is the estimator's own value of the ``resource``
    parameter, or the number of samples.
factor : float, default=3
    Each rung keeps the best ``1/factor`` of its candidates and trains them
    on ``factor`` times more resources.""",
    "search_attributes": """\
cv_results_ : dict of numpy arrays
    As in ``GridSearchCV``, one row per fitted candidate, plus ``"iter"``:
    the batch (generation) in which each candidate was evaluated. A candidate
    proposed twice is fitted once and has one row.
best_estimator_ : estimator
    The best candidate refitted on all the data (when ``refit``). Missing
    after a search that was interrupted (Ctrl-C) or stopped by a failed
    checkpoint write: then ``predict`` raises ``NotFittedError`` saying why.
best_score_ : float
    Mean cross-validated score of the best candidate.
best_params_ : dict
    Parameters of the best candidate.
best_index_ : int
    Row of the best candidate in ``cv_results_``.
scorer_ : function or dict
    Scorer(s) used on the held-out data.
n_splits_ : int
    Number of cross-validation splits.
refit_time_ : float
    Seconds spent refitting the best candidate.
multimetric_ : bool
    Whether several metrics were scored.
stop_reason_ : str
    Why the search ended: its budget, a callback's reason, an exhausted
    search space, or an interrupt.
n_resources_ : list of int
    With ``resource``: the budgets of the rungs, lowest first (the last is
    ``max_resources_``; the first, ``min_resources_``).
n_candidates_ : list of int
    With ``resource``: how many candidates were evaluated at each budget of
    ``n_resources_``, summed over the Hyperband brackets (a halving search has
    one bracket; 0 for a budget the search did not reach).
n_iterations_ : int
    With ``resource``: how many budgets of ``n_resources_`` were reached.
n_possible_iterations_ : int
    With ``resource``: how many budgets there are between ``min_resources_``
    and ``max_resources_``, ``len(n_resources_)``.
n_required_iterations_ : int
    With ``resource``: how many rungs the first bracket's candidates need to
    halve down to fewer than ``factor``, as in the halving searches.
n_remaining_candidates_ : int
    With ``resource``: how many candidates were evaluated at the full budget,
    the ones ``best_*`` is chosen among (a halving search counts those left
    after its last rung).""",
}

_PLACEHOLDER = re.compile(r"^(?P<indent>[ ]*)\{(?P<name>\w+)\}[ ]*$", re.MULTILINE)


def _fill_doc_with(fragments):
    """A decorator like :func:`_fill_doc` that also knows ``fragments``."""
    known = {**_FRAGMENTS, **fragments}

    def fill(obj):
        def replace(match):
            fragment = known[match.group("name")]
            return textwrap.indent(fragment, match.group("indent"))

        obj.__doc__ = _PLACEHOLDER.sub(replace, obj.__doc__)
        return obj

    return fill


_fill_doc = _fill_doc_with({})
_fill_doc.__doc__ = (
    """Replace ``{name}`` lines of ``obj.__doc__`` by the shared fragments."""
)
