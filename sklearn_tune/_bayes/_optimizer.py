"""scikit-optimize's ``Optimizer`` with a fast Gaussian-process update.

Also mends two surrogates of scikit-optimize 0.10.2 that fail on current
libraries ("dummy" under scikit-learn >= 1.6, "GBRT" under NumPy >= 2.4).
"""

from __future__ import annotations

import copy
from numbers import Integral

import numpy as np
from scipy.stats import norm, rankdata
from sklearn.base import clone
from sklearn.gaussian_process.kernels import Sum, WhiteKernel
from sklearn.utils import check_random_state
from skopt import Optimizer
from skopt import space as skopt_space
from skopt.learning import (
    ExtraTreesRegressor,
    GaussianProcessRegressor,
    GradientBoostingQuantileRegressor,
)
from skopt.learning.gaussian_process import kernels as skopt_kernels
from skopt.utils import cook_estimator

from .._gp import (
    _SMALL,
    _acquisition,
    _BatchCandidates,
    _fit_hyperparameters,
    _inverse_from_cholesky,
    _minimize_acquisition,
    _normalization,
    _one_blas_thread,
    _Posterior,
    _recent_and_best,
)
from .._strategy import BRANCH_SHARE

_INT32_MAX = np.iinfo(np.int32).max
_FAST_ACQ_FUNCS = ("EI", "PI", "LCB", "gp_hedge")
_LIES = {"cl_min": np.min, "cl_mean": np.mean, "cl_max": np.max}


def _normal_scores(y):
    """Each value's rank as a standard normal quantile (ties share a rank)."""
    ranks = rankdata(y)
    return norm.ppf((ranks - 0.5) / len(y))


def _smallest(values, k):
    """``np.argsort(values, kind="stable")[:k]``, without sorting them all.

    The polish starts from the best ``k`` of 10000 candidates per acquisition
    function: a full sort of each was a twentieth of a proposal's cost.
    """
    if k >= len(values):
        return np.argsort(values, kind="stable")
    threshold = values[np.argpartition(values, k - 1)[:k]].max()
    if np.isnan(threshold):
        return np.argsort(values, kind="stable")[:k]
    below = np.flatnonzero(values < threshold)
    ties = np.flatnonzero(values == threshold)[: k - len(below)]
    rows = np.concatenate([below, ties])
    return rows[np.argsort(values[rows], kind="stable")]


def _has_white_kernel(kernel):
    if isinstance(kernel, WhiteKernel):
        return True
    if isinstance(kernel, Sum):
        return _has_white_kernel(kernel.k1) or _has_white_kernel(kernel.k2)
    return False


class _QuantileGBRT(GradientBoostingQuantileRegressor):
    """skopt's ``"GBRT"`` surrogate, mended for current scikit-learn and NumPy.

    scikit-optimize 0.10.2's class is no regressor to scikit-learn >= 1.6 (its
    mixins are in the wrong order) and its ``predict(return_std=True)`` calls
    ``np.in1d``, which NumPy 2.4 removed. Same parameters and predictions.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        return tags

    def predict(self, X, return_std=False, return_quantiles=False):
        quantiles = list(self.quantiles)
        if return_quantiles:
            return np.asarray([model.predict(X) for model in self.regressors_]).T
        if not return_std:
            return self.regressors_[quantiles.index(0.5)].predict(X)
        if not {0.16, 0.5, 0.84} <= set(quantiles):
            raise ValueError(
                "return_std works only if the quantiles during instantiation "
                "include 0.16, 0.5 and 0.84"
            )
        low, mid, high = (
            self.regressors_[quantiles.index(q)].predict(X) for q in (0.16, 0.5, 0.84)
        )
        return mid, (high - low) / 2.0


class _LazyInverseGP(GaussianProcessRegressor):
    """skopt's GP whose ``K_inv_`` is computed from ``L_`` when first used.

    skopt's ``predict(return_std=True)`` needs ``K_inv_``, an n x n matrix
    (32 MB at 2000 observations) that the search itself does not: kept lazy,
    a long search's memory stays bounded.
    """

    @property
    def K_inv_(self):
        if self._K_inv is None:
            self._K_inv = _inverse_from_cholesky(self.L_)
        return self._K_inv

    @K_inv_.setter
    def K_inv_(self, value):
        self._K_inv = value


class _Optimizer(Optimizer):
    """scikit-optimize's ``Optimizer`` with a fast Gaussian-process update.

    Same arguments, attributes and results as :class:`skopt.Optimizer`
    (``Xi``, ``yi``, ``models``, ``gains_``, ``next_xs_``, ``ask``, ``tell``).
    When the surrogate is scikit-optimize's ``GaussianProcessRegressor`` and the
    acquisition function is EI, PI, LCB or gp_hedge, the model update after each
    ``tell`` is ours (see ``BayesSearchCV``'s Notes); any other configuration
    runs scikit-optimize's own code.

    It also mends ``base_estimator="dummy"`` and ``"GBRT"``, which fail in
    scikit-optimize 0.10.2 under scikit-learn >= 1.6 and NumPy >= 2.4.
    """

    # Kernel hyperparameters are fitted at every tell up to _REFIT_ALWAYS
    # observations, then whenever their number grew by _REFIT_GROWTH since the
    # last fit, from the last fit and from the kernel's initial values (the
    # second start matters: without it Hartmann6's regret@50 went from 0.13 to
    # 0.62 over 20 seeds). Up to _REFIT_ALWAYS observations, every
    # _RESTART_EVERY-th fit also starts from the GP's n_restarts_optimizer
    # random points, as skopt does at every fit (with more data the
    # likelihood's optimum moves little). 20 and 1.1 (60 and 1.2 before) cut
    # the engine's CPU by a fifth at 50 candidates with no change of regret
    # beyond noise (20 seeds, benchmarks/results/engine.md). From
    # _REFIT_SLOWER_FROM observations on, a fit costs more and moves the
    # hyperparameters less: they are refitted at 25% growth (at 10% the suite's
    # 500-candidate runs cost 100-150 ms per candidate).
    _REFIT_ALWAYS = 20
    _REFIT_GROWTH = 1.1
    _REFIT_SLOWER_FROM = 100
    _REFIT_GROWTH_LATER = 1.25
    _RESTART_EVERY = 5
    # With acq_optimizer="lbfgs", the random candidates that seed the polish:
    # acq_optimizer_kwargs["n_points"] (10000) while n <= 70 observations,
    # then fewer, so that scoring them costs about 5e7 flops (at least 500;
    # 555 once the GP sees its _MAX_TRAIN = 300 rows). Scoring candidates was
    # half the cost of a proposal between 100 and 300 observations at 1.25e8.
    _CANDIDATE_FLOPS = 5e7
    _MIN_CANDIDATES = 500
    _LBFGS_MAXITER = 25
    # ask(n_points): each point after the first is chosen among the first's
    # random candidates (see _ask_among) instead of by a proposal of its own.
    # BayesSearchCV(n_points=8), 64 candidates, n_jobs=1, 60 seeds: regret@64
    # Branin 0.018 -> 0.014, Hartmann6 1.37 -> 1.20, mixed 0.56 -> 0.38
    # (regret@25 Branin 2.4 -> 3.9), at a third of the CPU per candidate
    # (benchmarks/results/batch.md).
    _FAST_BATCH = True
    # Pending points told to a copy together (the posterior's extension in
    # place of a new factorisation takes up to 16 rows)
    _LIES_AT_ONCE = 16
    # Past this many observations the GP is fitted to a subset of them (see
    # _training_rows): its cost per candidate stops growing.
    _MAX_TRAIN = 300

    def __init__(
        self,
        dimensions,
        base_estimator="gp",
        n_random_starts=None,
        n_initial_points=10,
        initial_point_generator="random",
        n_jobs=1,
        acq_func="gp_hedge",
        acq_optimizer="auto",
        random_state=None,
        model_queue_size=None,
        space_constraint=None,
        acq_func_kwargs=None,
        acq_optimizer_kwargs=None,
        avoid_duplicates=True,
    ):
        rng = check_random_state(random_state)
        estimator = base_estimator
        if isinstance(estimator, str):  # as skopt cooks it, same random draw
            estimator = cook_estimator(
                estimator,
                space=dimensions,
                random_state=rng.randint(0, _INT32_MAX),
                n_jobs=n_jobs,
            )
        if type(estimator) is GradientBoostingQuantileRegressor:
            estimator = _QuantileGBRT(**estimator.get_params(deep=False))
        # skopt checks is_regressor(base_estimator), which fails for None
        # ("dummy") under scikit-learn >= 1.6: pass a stand-in that has no
        # gradients either (so "auto" still means "sampling"), then put None back.
        stand_in = estimator is None
        super().__init__(
            dimensions,
            base_estimator=ExtraTreesRegressor() if stand_in else estimator,
            n_random_starts=n_random_starts,
            n_initial_points=n_initial_points,
            initial_point_generator=initial_point_generator,
            n_jobs=n_jobs,
            acq_func=acq_func,
            acq_optimizer=acq_optimizer,
            random_state=rng,
            model_queue_size=model_queue_size,
            space_constraint=space_constraint,
            acq_func_kwargs=acq_func_kwargs,
            acq_optimizer_kwargs=acq_optimizer_kwargs,
            avoid_duplicates=avoid_duplicates,
        )
        self.specs["args"].update(
            base_estimator=base_estimator, random_state=random_state
        )
        if stand_in:
            self.base_estimator_ = None

        gp = self.base_estimator_
        self._fast = (
            isinstance(gp, GaussianProcessRegressor)
            and self.acq_func in _FAST_ACQ_FUNCS
            and gp.kernel is not None
            and gp.optimizer in ("fmin_l_bfgs_b", None)
            and np.ndim(gp.alpha) == 0
        )
        self._lie = False  # a copy that only serves ask(n_points) lies
        self._n_lies = 0  # the points in flight it was told
        self._Xt = None  # Xi transformed, see _transformed_Xi
        self._due = None  # (posterior, y_min, n): the next point is to choose
        # each acquisition function's best point of the last proposal, not yet
        # scored by GP-Hedge (told by a copy that proposed with pending points)
        self._nominees = None
        # a copy proposing a batch: the random candidates of its first point,
        # among which the later points are chosen (see _ask_among)
        self._batch = None
        self._rank_targets = False  # fit the GP to normal scores of the ranks
        # conditional spaces: the branches, see set_branches
        self._branches = None
        self._theta = None  # fitted log-hyperparameters
        self._n_theta = 0  # observations at the last hyperparameter fit
        self._n_hyper_fits = 0
        self._posterior = None  # the last one, extended while theta holds
        if self._fast:
            kernel = gp.kernel
            if gp.noise and not _has_white_kernel(kernel):  # as skopt's GP.fit
                if gp.noise == "gaussian":
                    kernel = kernel + skopt_kernels.WhiteKernel()
                else:
                    kernel = kernel + skopt_kernels.WhiteKernel(gp.noise, "fixed")
            self._kernel = kernel

    # -- ask --------------------------------------------------------------------

    def ask(self, n_points=None, strategy="cl_min"):
        """Propose a point, or ``n_points`` by the constant-liar strategy.

        As :meth:`skopt.Optimizer.ask`. With the fast engine, the lies update
        the posterior without re-fitting the kernel hyperparameters.
        """
        if n_points is None or not self._fast:
            return super().ask(n_points=n_points, strategy=strategy)
        if not (isinstance(n_points, Integral) and n_points > 0):
            raise ValueError(f"n_points should be int > 0, got {n_points}")
        if strategy not in _LIES:
            raise ValueError(
                f"Expected parallel_strategy to be one of {list(_LIES)}, got {strategy}"
            )
        if (n_points, strategy) in self.cache_:
            return self.cache_[(n_points, strategy)]
        liar = self.copy(random_state=self.rng.randint(0, _INT32_MAX))
        liar._lie = True
        liar._n_lies = self._n_lies + n_points
        liar._batch = self._FAST_BATCH  # True: made by its first proposal
        with _one_blas_thread():
            points = self._ask_batch(liar, n_points, strategy)
        self.cache_ = {(n_points, strategy): points}
        return points

    def _ask_batch(self, liar, n_points, strategy):
        """The batch of ``n_points`` that ``liar`` (a copy) proposes."""
        points = []
        for i in range(n_points):
            batch = liar._batch if isinstance(liar._batch, _BatchCandidates) else None
            points.append(liar.ask() if batch is None else liar._ask_among(batch))
            if i == 0:  # the nominees made from this optimizer's own state
                self.adopt_nominees(liar)
            if i + 1 == n_points:
                break
            lie = float(_LIES[strategy](liar.yi) if liar.yi else 0.0)
            if isinstance(liar._batch, _BatchCandidates):
                # the candidates' predictions are updated, not the GP
                liar._batch.tell(self.space.transform([points[-1]])[0], lie)
                liar._tell(points[-1], lie, fit=False)
            else:
                liar._tell(points[-1], lie)
        return points

    def with_pending(self, points, random_state):
        """A copy told ``points`` (asked, still being evaluated) as lies.

        Each lie is the model's prediction at the point (the kriging
        believer): the posterior mean stays as it is, its uncertainty there
        collapses, so the copy proposes neither those points nor points next
        to them again, without believing anything the data does not say.
        Before a model is fitted (the initial points) or where the model sees
        ranks (conditional spaces), the lie is the mean of the values told.
        With the fast engine the lies update the posterior without re-fitting
        the kernel hyperparameters.
        """
        liar = self.copy(random_state=random_state)
        if not points:
            return liar
        points = [list(p) for p in points]
        mean = float(np.mean(self.yi)) if self.yi else 0.0
        lies = [mean] * len(points)
        if self.models and not self._rank_targets:
            try:
                lies = [
                    float(v)
                    for v in self.models[-1].predict(self.space.transform(points))
                ]
            except Exception:  # a base estimator that cannot predict these
                pass
        if not self._fast:
            liar.tell(points, lies)
            return liar
        liar._lie = True
        liar._n_lies = self._n_lies + len(points)
        # told a few at a time: one posterior update (a triangular solve per
        # row, see _Posterior) for up to _LIES_AT_ONCE lies, instead of one each
        # Past _MAX_TRAIN the GP is factorised afresh at each tell anyway: all
        # lies at once.
        chunk = (
            len(points)
            if len(self.yi) + len(points) > self._MAX_TRAIN
            else self._LIES_AT_ONCE
        )
        for start in range(0, len(points), chunk):
            liar._tell(points[start : start + chunk], lies[start : start + chunk])
        return liar

    def adopt_nominees(self, proposer):
        """Score, at this optimizer's next tell, the nominees of a proposal
        that ``proposer`` (a copy told the pending points) made for it.

        Without this, an optimizer that always proposes through copies would
        never update its GP-Hedge gains, and choose between acquisition
        functions at random for the whole search.
        """
        if proposer is not self and proposer._nominees is not None:
            self._nominees = proposer._nominees

    def _ask(self):
        # skopt compares the proposal with every point told so far, one
        # dimension of one point at a time; this compares them all at once and
        # leaves the rare duplicate to skopt's own handling.
        if self._fast and self._due is not None and self._n_initial_points <= 0:
            with _one_blas_thread():
                self._make_proposal()
        if (
            self._fast
            and self._n_initial_points <= 0
            and self.models
            and hasattr(self, "_next_x")
            and not self._is_told(self._next_x)
        ):
            return self._next_x
        return super()._ask()

    def _transformed_Xi(self):
        """``space.transform(Xi)``, transforming only the points told since
        the last call (skopt transforms through Python lists: at 2000
        observations that was a tenth of the engine's time)."""
        done = self._Xt
        if done is None or len(done) > len(self.Xi):
            done = np.empty((0, self.space.transformed_n_dims))
        if len(done) < len(self.Xi):
            new = np.asarray(self.space.transform(self.Xi[len(done) :]), dtype=float)
            done = np.vstack([done, new.reshape(len(new), -1)])
        self._Xt = done  # a new array: copies sharing the old one keep it
        return done

    def _is_told(self, point):
        told = self._transformed_Xi()
        here = self.space.transform([point])
        return bool(np.any(np.abs(told - here).sum(axis=1) <= 1e-12))

    def copy(self, random_state=None):
        """A copy in the same state, with its own random state.

        As :meth:`skopt.Optimizer.copy`; with the fast engine the model is
        carried over instead of re-fitted, and the copy shares everything a
        tell does not change (space, kernel, initial points), instead of
        building them again as skopt's ``__init__`` would (a few ms a copy).
        """
        if self._fast:
            return self._fast_copy(random_state)
        optimizer = type(self)(
            dimensions=self.space.dimensions,
            base_estimator=self.base_estimator_,
            n_initial_points=self.n_initial_points_,
            initial_point_generator=self._initial_point_generator,
            acq_func=self.acq_func,
            acq_optimizer=self.acq_optimizer,
            random_state=random_state,
            model_queue_size=self.max_model_queue_size,
            space_constraint=self.space.constraint,
            acq_func_kwargs=self.acq_func_kwargs,
            acq_optimizer_kwargs=self.acq_optimizer_kwargs,
            avoid_duplicates=self.avoid_duplicates,
        )
        optimizer._initial_samples = self._initial_samples
        if hasattr(self, "gains_"):
            optimizer.gains_ = np.copy(self.gains_)
        if self.Xi:
            optimizer._tell(self.Xi, self.yi)
        return optimizer

    def _fast_copy(self, random_state):
        optimizer = copy.copy(self)  # what no tell changes is shared
        optimizer.rng = check_random_state(random_state)
        if self._initial_point_generator is not None:
            # the draw skopt's __init__ makes for its initial points
            optimizer.rng.randint(0, _INT32_MAX)
        optimizer.specs = {
            **self.specs,
            "args": {**self.specs["args"], "random_state": random_state},
        }
        optimizer.cache_ = {}
        optimizer._lie = False
        if hasattr(self, "gains_"):
            optimizer.gains_ = np.copy(self.gains_)
        optimizer.Xi = list(self.Xi)
        optimizer.yi = list(self.yi)
        optimizer._n_initial_points = self._n_initial_points
        optimizer.models = list(self.models)
        optimizer._due = self._due
        optimizer._nominees = self._nominees
        optimizer._batch = None
        for name in ("next_xs_", "_next_x"):
            if hasattr(self, name):
                setattr(optimizer, name, copy.copy(getattr(self, name)))
        return optimizer

    # -- tell -------------------------------------------------------------------

    def _tell(self, x, y, fit=True):
        if not self._fast:
            return super()._tell(x, y, fit=fit)
        result = super()._tell(x, y, fit=False)  # records Xi and yi
        if fit and self._n_initial_points <= 0:
            with _one_blas_thread():
                self._update()
        return result  # result.models is self.models, updated in place

    def _update(self):
        """Fit the GP to all observations and choose the next point."""
        gp = self.base_estimator_
        X = self._transformed_Xi()
        y = np.asarray(self.yi, dtype=float)
        if self._rank_targets:
            y = _normal_scores(y)
        if len(y) > self._MAX_TRAIN:
            rows = self._training_rows(y)
            X, y = X[rows], y[rows]
        if gp.optimizer is not None and self._kernel.n_dims and self._refit_due():
            self._fit_theta(X, y)
        theta = self._kernel.theta if self._theta is None else self._theta
        kernel = self._kernel.clone_with_theta(theta)
        previous = self._posterior
        if previous is not None and not np.array_equal(previous.theta, theta):
            previous = None  # new hyperparameters: factorise afresh
        posterior = _Posterior(
            kernel,
            X,
            y,
            jitter=gp.alpha,
            normalize_y=gp.normalize_y,
            keep_noise=not gp.noise,
            previous=previous,
        )
        posterior.theta = theta
        self._posterior = posterior
        if self.acq_func == "gp_hedge" and self._nominees is not None:
            # GP-Hedge: each acquisition function gains minus the new mean at
            # the point it nominated last time (skopt's rule)
            self.gains_ -= posterior.predict(np.vstack(self._nominees))[0]
            self._nominees = None
        if not self._lie or not self.models:
            self.models.append(self._fitted_model(kernel, posterior))
            if self.max_model_queue_size is not None:
                del self.models[: -self.max_model_queue_size]
        # The next point is chosen when it is asked for: a model told several
        # batches (or lies) before it is asked optimises its acquisition once.
        # Its random draws are fixed now, so a copy asks the same point.
        seed = int(self.rng.randint(_INT32_MAX))
        self._due = (posterior, float(np.min(y)), len(y), seed)

    def _training_rows(self, y):
        """The observations the GP sees past ``_MAX_TRAIN``, in the order told:
        the most recent half (every lie among them: the points in flight) and
        the best of the others.

        A GP on all n observations costs O(n^3) per hyperparameter fit and
        O(n^2) per prediction; on these it costs the same at 300 or 3000
        observations. Where the search has gone lately and where it found
        its best points are what a proposal needs; the rest (regions left
        long ago) fall back to the prior, which is uncertain there.
        """
        cap = self._MAX_TRAIN
        return _recent_and_best(y, cap, max(cap // 2, self._n_lies + cap // 4))

    def _make_proposal(self):
        posterior, y_min, n, seed = self._due
        self._due = None
        rng, self.rng = self.rng, np.random.RandomState(seed)
        try:
            self.next_xs_ = self._propose(posterior, y_min, n)
            self._nominees = self.next_xs_
            next_x = self.next_xs_[self._followed()]
        finally:
            self.rng = rng
        self._next_x = self.space.inverse_transform(next_x.reshape((1, -1)))[0]

    def _ask_among(self, batch):
        """The next point of a batch: the best of its first point's random
        candidates under the posterior told the lies of the points before.

        The first point of a batch is proposed as any (candidates drawn and
        scored, the best polished by L-BFGS-B); each later one is chosen among
        the same candidates, their predictions updated for each lie
        (:class:`_BatchCandidates`), without a new draw, fit or polish: a
        batch of ``n_points`` costs about one proposal, not ``n_points``.
        With GP-Hedge, the acquisition function is drawn as for the first.
        """
        mean, std = batch.predict()
        best = []
        for name in self.cand_acq_funcs_:
            values, _ = _acquisition(name, mean, std, **self._acq_kwargs(batch.y_opt))
            values[batch.told] = np.inf  # a candidate is proposed once
            best.append(int(np.argmin(values)))
        row = best[self._followed()]
        return self.space.inverse_transform(batch.C[row].reshape((1, -1)))[0]

    def _acq_kwargs(self, y_opt):
        """The acquisition functions' arguments (skopt's defaults)."""
        kwargs = self.acq_func_kwargs or {}
        return {
            "y_opt": y_opt,
            "xi": kwargs.get("xi", 0.01),
            "kappa": kwargs.get("kappa", 1.96),
        }

    def _followed(self):
        """The index of the acquisition function whose point is proposed:
        drawn by the GP-Hedge gains (skopt's rule), else the only one."""
        if self.acq_func != "gp_hedge":
            return 0
        logits = self.eta * (self.gains_ - np.max(self.gains_))
        probs = np.exp(logits) / np.sum(np.exp(logits))
        return int(np.argmax(self.rng.multinomial(1, probs)))

    def _refit_due(self):
        if self._theta is None:
            return True
        if self._lie:
            return False
        n = len(self.yi)
        growth = (
            self._REFIT_GROWTH
            if self._n_theta < self._REFIT_SLOWER_FROM
            else self._REFIT_GROWTH_LATER
        )
        return n <= self._REFIT_ALWAYS or n >= growth * self._n_theta

    def _fit_theta(self, X, y):
        kernel = self._kernel
        # From the last fit and from the kernel's initial values; now and then
        # also from random points, as skopt does at every fit.
        starts = [kernel.theta] if self._theta is None else [self._theta, kernel.theta]
        restart = (
            self._n_hyper_fits % self._RESTART_EVERY == 0
            and len(y) <= self._REFIT_ALWAYS
        )
        if self._theta is None or restart:
            bounds = kernel.bounds
            starts.extend(
                self.rng.uniform(bounds[:, 0], bounds[:, 1])
                for _ in range(self.base_estimator_.n_restarts_optimizer)
            )
        y_mean, y_scale = _normalization(y, self.base_estimator_.normalize_y)
        self._theta = _fit_hyperparameters(
            kernel, X, (y - y_mean) / y_scale, self.base_estimator_.alpha, starts
        )
        self._n_theta = len(self.yi)  # all told, not the rows the GP sees
        self._n_hyper_fits += 1

    def _fitted_model(self, kernel, posterior):
        """The model for ``models``: a fitted skopt ``GaussianProcessRegressor``.

        Its fitted attributes are those ``fit`` would compute with the
        hyperparameters found here (``predict``, with or without gradients,
        works as usual), taken from ``posterior`` instead of computed again.
        """
        gp = self.base_estimator_
        model = clone(gp)
        if type(model) is GaussianProcessRegressor:
            model.__class__ = _LazyInverseGP  # K^-1 only if someone predicts std
        model.kernel = self._kernel  # what skopt's fit leaves there
        fitted = kernel.clone_with_theta(kernel.theta)
        model.noise_ = None
        if gp.noise:  # skopt predicts the latent function: no white noise
            for name, value in fitted.get_params().items():
                if isinstance(value, WhiteKernel):
                    model.noise_ = value.noise_level
                    fitted.set_params(**{name: skopt_kernels.WhiteKernel(0.0)})
                    break
        model.kernel_ = fitted
        model.X_train_ = posterior.X
        model.y_train_ = posterior.y
        model.n_features_in_ = posterior.X.shape[1]
        model.L_ = posterior.L
        model.alpha_ = posterior.alpha
        model.K_inv_ = posterior.K_inv if len(posterior.X) <= _SMALL else None
        model.y_train_mean_ = posterior.y_mean
        model.y_train_std_ = posterior.y_scale
        model.log_marginal_likelihood_value_ = posterior.log_marginal_likelihood
        return model

    def _candidates(self, n_samples):
        """Random points of the space, transformed (as skopt draws them)."""
        if self.space.constraint is not None:
            points = self.space.rvs(n_samples=n_samples, random_state=self.rng)
            return self.space.transform(points)
        columns = [self._draw(dim, n_samples) for dim in self.space.dimensions]
        return np.hstack([c.reshape(n_samples, -1) for c in columns]).astype(float)

    def _draw(self, dim, n_samples):
        """``n_samples`` random values of ``dim``, transformed.

        skopt's ``rvs`` and ``transform`` go through Python lists (about 10 ms
        for 10000 points of a few dimensions, a third of a proposal's cost);
        in the unit-scaled space of a GP they are drawn directly: reals
        uniformly in [0, 1] (a log-uniform prior is uniform there too), and
        integers and categories uniformly among their transformed values.
        """
        if getattr(dim, "transform_", None) in ("normalize", "onehot"):
            if isinstance(dim, skopt_space.Real):
                return self.rng.uniform(0.0, 1.0, n_samples)
            if isinstance(dim, skopt_space.Integer) and dim.high - dim.low < 4096:
                values = np.arange(dim.low, dim.high + 1)
            elif isinstance(dim, skopt_space.Categorical):
                values = list(dim.categories)
            else:
                values = None
            if values is not None:
                table = np.asarray(dim.transform(values), dtype=float)
                return table[self.rng.randint(0, len(table), n_samples)]
        return np.asarray(dim.transform(dim.rvs(n_samples, random_state=self.rng)))

    def set_branches(self, branches):
        """Propose branch by branch in a conditional space.

        ``branches`` lists the space's branches as ``(match, fixed, group)``:
        ``match`` and ``fixed`` are dicts keyed by dimension index, the values
        of the parents that choose the branch, and the fixed value of every
        dimension that is not free in it (those parents, and the inactive
        dimensions at the value imputed for them when told); ``group`` says
        which choice of the space's root(s) it belongs to. Each proposal then
        optimises the acquisition within each branch, on points that look
        like the points told (an inactive dimension at its imputed value, not
        at a random one whose distance to the data would pose as
        uncertainty), and takes the best. And a root choice with fewer than
        ``BRANCH_SHARE`` of an even split of the points (told and pending)
        is proposed in first, so that none is starved because its first
        random points were poor. None: the whole space at once.
        """
        self._branches = None
        if branches:
            columns = np.cumsum(
                [0] + [d.transformed_size for d in self.space.dimensions]
            )
            groups = list(dict.fromkeys(group for _, _, group in branches))
            self._branches = [
                (
                    dict(match),
                    [
                        (
                            slice(columns[i], columns[i + 1]),
                            np.asarray(
                                self.space.dimensions[i].transform([value]), dtype=float
                            ).ravel(),
                        )
                        for i, value in sorted(fixed.items())
                    ],
                    groups.index(group),
                )
                for match, fixed, group in branches
            ]
            self._n_groups = len(groups)

    def _group_of(self, point):
        for match, _, group in self._branches:
            if all(point[i] == value for i, value in match.items()):
                return group
        return -1

    def _branches_due(self, y_opt):
        """The branches to propose in, as (fixed columns, incumbent) pairs:
        those of the most starved root choice if one is below its floor, else
        all of them.

        A starved choice's incumbent is its own best value, so the points it
        is given improve on what it found (the search's best may be out of
        reach there, and the expected improvement over it flat).
        """
        owners = np.array([self._group_of(p) for p in self.Xi], dtype=int)
        counts = np.bincount(owners[owners >= 0], minlength=self._n_groups)
        floor = BRANCH_SHARE * (len(self.Xi) + 1) / self._n_groups
        starved = np.flatnonzero(counts < floor)
        if not len(starved):
            return [(fixed, y_opt) for _, fixed, _ in self._branches]
        g = starved[np.argmin(counts[starved])]
        y = np.asarray(self.yi, dtype=float)
        if self._rank_targets:
            y = _normal_scores(y)
        mine = y[owners == g]
        incumbent = float(mine.min()) if len(mine) else y_opt
        return [(fixed, incumbent) for _, fixed, group in self._branches if group == g]

    def _propose(self, posterior, y_opt, n_observed):
        """The best point of each candidate acquisition function (transformed)."""
        n_samples = self.n_points
        if self.acq_optimizer == "lbfgs":
            affordable = int(self._CANDIDATE_FLOPS / n_observed**2)
            n_samples = min(n_samples, max(self._MIN_CANDIDATES, affordable))
        names = self.cand_acq_funcs_
        acq_kwargs = self._acq_kwargs(y_opt)
        space_bounds = np.asarray(self.space.transformed_bounds, dtype=float)
        groups = [([], y_opt)] if self._branches is None else self._branches_due(y_opt)
        best = [None] * len(names)
        best_values = np.full(len(names), np.inf)
        for fixed, incumbent in groups:
            acq_kwargs["y_opt"] = incumbent
            X = self._candidates(max(1, n_samples // len(groups)))
            bounds = space_bounds.copy()
            for columns, value in fixed:
                X[:, columns] = value
                bounds[columns, 0] = bounds[columns, 1] = value
            if (
                self._batch is True
                and self._branches is None
                and not self._rank_targets
                and posterior.parts is not None
            ):  # the later points of the batch are chosen among X
                self._batch = _BatchCandidates(posterior, X, incumbent)
            mean, std = posterior.predict(X)
            values = [_acquisition(name, mean, std, **acq_kwargs)[0] for name in names]
            if self.acq_optimizer == "sampling":
                rows = [int(np.argmin(v)) for v in values]
                points = [X[r] for r in rows]
                found = [v[r] for v, r in zip(values, rows)]
            else:
                points, found = self._polish(
                    posterior, X, values, names, acq_kwargs, bounds
                )
            for a in range(len(names)):
                if best[a] is None or found[a] < best_values[a]:
                    best[a], best_values[a] = points[a], found[a]
        if not self.space.is_categorical:
            best = [np.clip(x, space_bounds[:, 0], space_bounds[:, 1]) for x in best]
        return best

    def _polish(self, posterior, X, values, names, acq_kwargs, bounds):
        """L-BFGS-B from the best candidates of every acquisition function at
        once; the best point of each function, and its value."""
        k = max(1, min(self.n_restarts_optimizer, len(X)))
        rows = [_smallest(v, k) for v in values]
        starts = np.vstack([X[r] for r in rows])
        owners = np.repeat(np.arange(len(names)), k)
        # a spread below the smallest normal float (a flat acquisition) would
        # overflow 1 / scale
        scales = [
            np.ptp(v) if np.ptp(v) > np.finfo(float).tiny else 1.0 for v in values
        ]
        ends, end_values = _minimize_acquisition(
            posterior,
            starts,
            owners,
            names,
            scales,
            bounds,
            acq_kwargs,
            self._LBFGS_MAXITER,
        )
        best = [
            a * k + int(np.argmin(end_values[a * k : (a + 1) * k]))
            for a in range(len(names))
        ]
        return [ends[i] for i in best], [float(end_values[i]) for i in best]
