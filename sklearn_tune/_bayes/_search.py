"""``BayesSearchCV``: Bayesian optimisation on the shared search loop."""

from __future__ import annotations

import math
from numbers import Integral

from .._base import BaseTuneSearchCV
from .._compat import Interval
from .._docstrings import _fill_doc
from ..exceptions import _warn
from ._strategy import _BayesStrategy, check_optimizer_kwargs

__all__ = ["BayesSearchCV"]


@_fill_doc
class BayesSearchCV(BaseTuneSearchCV):
    """Bayesian optimisation over hyperparameters, a drop-in for skopt's.

    Same arguments, defaults and meaning as :class:`skopt.BayesSearchCV`
    (scikit-optimize 0.10): code written for skopt runs after changing only the
    import. It keeps scikit-learn's estimator contract where skopt breaks it:
    ``search_spaces`` is validated in ``fit`` (not in ``__init__``) and the
    caller's dimension objects are copied, never renamed.

    Parameters
    ----------
    estimator : estimator object
        Fitted for each candidate; must have ``score`` unless ``scoring`` is given.
    {search_spaces}
        Each sub-space runs for ``n_iter`` candidates, or the ``n`` of its
        ``(dict, n)`` pair.
    optimizer_kwargs : dict, default=None
        Passed to :class:`skopt.Optimizer`: ``base_estimator`` ("GP", "RF",
        "ET", "GBRT" or a regressor), ``acq_func``, ``acq_optimizer``,
        ``n_initial_points``, ``initial_point_generator``, ... One optimizer is
        built per sub-space. Unlike skopt, only the last surrogate model is kept
        unless ``model_queue_size`` says otherwise, so memory stays bounded.
    n_iter : int, default=50
        Candidates per sub-space (unless its pair gives another number).
    {scoring}
    fit_params : dict, default=None
        Parameters passed to the estimator's ``fit``; those given to ``fit``
        win. (skopt stores this argument but ignores it.)
    {n_jobs}
        skopt's default of 1 means the same outside a joblib context.
    n_points : int, default=1
        Candidates proposed at once and evaluated in parallel. The candidates do
        not depend on ``n_jobs``: the same ``random_state`` gives the same
        search whatever the parallelism. With 1, a proposal knows the scores of
        every candidate but the one still being fitted; with more, up to three
        batches are in flight, which keeps more workers busy through uneven fit
        times at some cost in regret per evaluation (see "Scaling out" in the
        user guide). The initial points are all in flight at once.
    iid : str, default="deprecated"
        Ignored, as in skopt; kept so that code passing it still runs.
    {refit}
    {cv}
    {verbose}
    {pre_dispatch}
    random_state : int, RandomState instance or None, default=None
        Seeds the optimizers.
    error_score : "raise" or float, default="raise"
        Score of a candidate whose fit fails, in ``cv_results_`` ("raise", as
        in skopt, re-raises the error naming the candidate). The search goes
        on, and the optimizer learns that the candidate failed: it is told a
        value worse than every candidate that ran (by their spread), so it
        stops proposing where fits fail; ``error_score`` itself never reaches
        its model.
    {return_train_score}
    {checkpoint}
    {fidelity}
        With ``resource``, ``n_iter`` counts the new candidates (a promotion
        trains a candidate again, it is no new one) and ``n_points`` is not
        used: each bracket asks for its candidates at once. New candidates
        come from the surrogate of the highest budget that has finished its
        ``n_initial_points`` (BOHB's rule); every budget has its own. Before
        that, they are the initial design, then random points.

    Attributes
    ----------
    {search_attributes}
    optimizer_results_ : list of scipy.optimize.OptimizeResult
        One per sub-space, as skopt returns them (``x`` in sorted name order;
        a failed candidate has the value the optimizer was told). A
        Categorical shows its choices, or their indices when skopt cannot
        hold them (unhashable choices such as dicts).
    optimizers_ : list of skopt.Optimizer
        The optimizers, one per sub-space. They see each Categorical as the
        indices of its choices.

    See Also
    --------
    GeneticSearchCV : search with a genetic algorithm.
    GeneticFeatureSelectionCV : search for the best subset of features.
    sklearn_tune.plots.plot_objective : the surrogate model, as partial dependence.
    sklearn.model_selection.GridSearchCV : exhaustive search over a grid.

    Notes
    -----
    The engine is scikit-optimize's ``Optimizer``: ``optimizers_`` hold a
    subclass of it, whose ``Xi``, ``yi``, ``models``, ``gains_``, ``ask``,
    ``tell`` and results are skopt's. For its default surrogate, a Gaussian
    process (``base_estimator="GP"`` or a skopt ``GaussianProcessRegressor``)
    with ``acq_func`` "gp_hedge", "EI", "PI" or "LCB", the model update after
    each evaluation is rewritten; the kernel, its bounds, the acquisition
    functions, the random candidates and gp_hedge's bookkeeping are skopt's,
    at a small fraction of its cost (``benchmarks/bench_bayes.py``):

    - kernel hyperparameters maximise the marginal likelihood (analytic
      gradients) from the previous fit and from the kernel's initial values:
      at every evaluation up to 20 observations, then whenever their number
      grew by 10% (25% past 100 observations); up to 20, every fifth fit
      also starts from ``n_restarts_optimizer`` random points, as skopt does
      at every fit;
    - past 300 observations the GP is fitted to 300 of them: the most recent
      half (with the points still being evaluated) and the best of the
      others, so the cost per evaluation stops growing;
    - while the hyperparameters hold, the Cholesky factor of the training
      covariance grows by the new rows instead of being computed again; the
      posterior at the random candidates is computed once for all acquisition
      functions;
    - with ``acq_optimizer="lbfgs"`` one L-BFGS-B run polishes the best
      ``n_restarts_optimizer`` candidates of every acquisition function at
      once, with analytic gradients. Beyond about 70 observations fewer random
      candidates than ``acq_optimizer_kwargs["n_points"]`` seed it (at least
      500, fewer as the model grows), so that the cost per evaluation stays low;
    - ``n_points > 1`` (constant liar): the first point of a batch is
      proposed as above; each later one is the best of the first point's
      random candidates under the posterior told the lies of the points
      before it (a rank-one update of their predictions per lie, no new draw,
      polish or hyperparameter fit), so a batch costs about one proposal;
    - the numerical work runs on one BLAS thread.

    The candidates depend only on ``random_state``, not on ``n_jobs``, and
    ``models`` keeps ``model_queue_size`` surrogates (one unless set), so
    memory stays bounded. Other surrogates ("RF", "ET", "GBRT", "dummy") and
    acquisition functions run skopt's own code; "dummy" and "GBRT", which fail
    in scikit-optimize 0.10.2 under scikit-learn >= 1.6 and NumPy >= 2.4, work.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from sklearn_tune import BayesSearchCV
    >>> from sklearn_tune.space import Real
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(SVC(), {"C": Real(1e-2, 1e2, prior="log-uniform")},
    ...                        n_iter=4, cv=3, random_state=0).fit(X, y)
    >>> len(search.cv_results_["params"])
    4
    """

    _parameter_constraints: dict = {
        **BaseTuneSearchCV._parameter_constraints,
        "optimizer_kwargs": [dict, None],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "fit_params": [dict, None],
        "n_points": [Interval(Integral, 1, None, closed="left")],
        "iid": "no_validation",
    }
    _callback_alias = "callbacks"  # fit(callbacks=...), as GeneticSearchCV takes it

    def __init__(
        self,
        estimator,
        search_spaces,
        optimizer_kwargs=None,
        n_iter=50,
        scoring=None,
        fit_params=None,
        n_jobs=None,
        n_points=1,
        iid="deprecated",
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score="raise",
        return_train_score=False,
        checkpoint=None,
        resource=None,
        min_resources="exhaust",
        max_resources="auto",
        factor=3,
    ):
        self.optimizer_kwargs = optimizer_kwargs
        self.n_iter = n_iter
        self.fit_params = fit_params
        self.n_points = n_points
        self.iid = iid
        super().__init__(
            estimator=estimator,
            search_spaces=search_spaces,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            random_state=random_state,
            error_score=error_score,
            return_train_score=return_train_score,
            checkpoint=checkpoint,
            resource=resource,
            min_resources=min_resources,
            max_resources=max_resources,
            factor=factor,
        )

    @property
    def total_iterations(self):
        """Number of candidates a full search evaluates, over all sub-spaces."""
        spaces = self.search_spaces
        if not isinstance(spaces, list):
            spaces = [spaces]
        return sum(
            item[1] if isinstance(item, tuple) and len(item) == 2 else self.n_iter
            for item in spaces
        )

    @property
    def _n_iterations(self):
        # sklearn-genetic-opt's ProgressBar reads it as its total: the records
        # its callbacks get, one per batch of n_points (per bracket with a
        # resource), planned during the fit
        run = self.__dict__.get("_run")
        subspaces = run.subspaces if run is not None else []
        budgets = [self.n_iter if s.n_iter is None else s.n_iter for s in subspaces]
        if run is None or run.ladder is None:
            return sum(math.ceil(b / self.n_points) for b in budgets or [self.n_iter])
        return sum(
            run.ladder.n_brackets(**self._hyperband_budget(b, run.ladder))
            for b in budgets
        )

    def _expected_candidates(self, budget):
        return budget

    def _batch_size(self):
        return self.n_points

    # A proposal made with L candidates in flight knows L - 1 fewer scores:
    # on the suite's functions that delays convergence by about L
    # evaluations, a cost that matters early in a search and fades later
    # (benchmarks/results/lag.md: 3 in flight double Hartmann6's regret at 50
    # evaluations over 20 seeds, 2 cost nothing measurable, and 9 reach lag
    # 1's regret at 150 evaluations, not at 50). So with n_points=1, two are in
    # flight (one is fitted while the next is chosen); n_points > 1 is a
    # request for parallel candidates: three batches. Once k candidates are
    # told, k / 16 may be in flight: 8 from 128 on. It grows with what was
    # told, not with n_iter, so that the first 50 of a 500-candidate search
    # are as good as a 50-candidate search. The initial points, which no
    # result chooses, are all in flight at once.
    _TOLD_PER_PENDING = 16

    def _batches_window(self):
        return 2 if self.n_points == 1 else 3 * self.n_points

    def _progress_window(self, n_told):
        return n_told // self._TOLD_PER_PENDING

    def _first_bracket_candidates(self):
        return self.n_iter

    def _hyperband_budget(self, budget, ladder):
        # Hyperband's own bracket sizes: factor**s_max in the first one
        return {
            "scale": math.ceil(ladder.factor**ladder.s_max - 1e-9),
            "max_new": budget,
        }

    def _check_search_params(self, subspaces):
        if self.iid != "deprecated":
            _warn(
                "The `iid` parameter has been deprecated and is ignored.",
                FutureWarning,
            )
        self.optimizer_kwargs_ = check_optimizer_kwargs(self.optimizer_kwargs)

    def _make_strategy(self, dimensions, budget, seed):
        return _BayesStrategy(
            dimensions, budget, self.n_points, self.optimizer_kwargs_, seed
        )

    def _collect_strategies(self, strategies):
        self.optimizers_ = [strategy.optimizer for strategy in strategies]
        self.optimizer_results_ = [
            result
            for result in (strategy.optimize_result() for strategy in strategies)
            if result is not None
        ]
