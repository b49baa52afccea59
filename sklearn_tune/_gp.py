"""Gaussian-process numerics behind ``BayesSearchCV``'s fast engine (and the
model that screens ``GeneticSearchCV``'s offspring).

Plain NumPy/SciPy on scikit-learn kernels; no scikit-optimize in here (that is
``_bayes/``'s job). Three pieces, each vectorised over many points at once:

- :class:`_MarginalLikelihood`: the negative log marginal likelihood of a GP and
  its gradient in the log-hyperparameters, for fitting kernel hyperparameters;
- :class:`_Posterior`: the posterior mean and standard deviation at a batch of
  points, with their gradients in the inputs;
- :func:`_acquisition` and :func:`_minimize_acquisition`: EI, PI and LCB (in
  scikit-optimize's sign convention, lower is better) and one L-BFGS-B run that
  polishes a batch of starting points, each under its own acquisition function.

For the kernel scikit-optimize builds for ``base_estimator="GP"``,
``ConstantKernel * Matern(nu=2.5) + WhiteKernel``, and its relatives (any
``nu`` in 0.5, 1.5, 2.5, RBF; isotropic or one length scale per dimension;
with or without the amplitude and the white noise) everything is computed in
closed form here. Any other kernel goes through scikit-learn's kernel API
(``kernel(X, eval_gradient=True)``) and finite differences.
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
from scipy.linalg import LinAlgError, cho_solve, cholesky, lapack, solve_triangular
from scipy.optimize import minimize
from scipy.spatial.distance import cdist
from scipy.special import ndtr
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    Matern,
    Product,
    Sum,
    WhiteKernel,
)
from threadpoolctl import ThreadpoolController

_SQRT3 = math.sqrt(3.0)
_SQRT5 = math.sqrt(5.0)
_LOG_2PI = math.log(2.0 * math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_CHUNK = 2048  # rows per block when predicting many points
_BLAS = None


@contextmanager
def _one_blas_thread():
    """Run BLAS on one thread while the engine computes.

    The matrices are small, and a result must not depend on how many cores
    happen to be free.
    """
    global _BLAS
    if _BLAS is None:
        _BLAS = ThreadpoolController()
    with _BLAS.limit(limits=1, user_api="blas"):
        yield


def _matern(r, nu):
    """Unit-amplitude Matern kernel ``k(r)`` and ``k'(r) / r`` (``nu=inf``: RBF)."""
    if nu == 0.5:
        k = np.exp(-r)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(r > 0, -k / r, 0.0)
    elif nu == 1.5:
        e = np.exp(-_SQRT3 * r)
        k = (1.0 + _SQRT3 * r) * e
        g = -3.0 * e
    elif nu == 2.5:
        e = np.exp(-_SQRT5 * r)
        k = (1.0 + _SQRT5 * r + (5.0 / 3.0) * r * r) * e
        g = (-5.0 / 3.0) * (1.0 + _SQRT5 * r) * e
    else:
        k = np.exp(-0.5 * r * r)
        g = -k
    return k, g


class _Stationary(NamedTuple):
    """``amplitude * Matern(length_scale, nu) + noise * I``, as plain numbers."""

    amplitude: float
    length_scale: np.ndarray
    nu: float
    noise: float

    def cross(self, A, B):
        """Signal covariance ``k(A, B)`` and ``amplitude * k'(r) / r``."""
        r = np.sqrt(cdist(A / self.length_scale, B / self.length_scale, "sqeuclidean"))
        k, g = _matern(r, self.nu)
        return self.amplitude * k, self.amplitude * g


def _parse_kernel(kernel):
    """The kernel as a :class:`_Stationary`, or None if it has another form."""
    noise = 0.0
    if isinstance(kernel, Sum):
        if isinstance(kernel.k2, WhiteKernel):
            kernel, noise = kernel.k1, kernel.k2.noise_level
        elif isinstance(kernel.k1, WhiteKernel):
            kernel, noise = kernel.k2, kernel.k1.noise_level
        else:
            return None
    amplitude = 1.0
    if isinstance(kernel, Product):
        if isinstance(kernel.k1, ConstantKernel):
            amplitude, kernel = kernel.k1.constant_value, kernel.k2
        elif isinstance(kernel.k2, ConstantKernel):
            amplitude, kernel = kernel.k2.constant_value, kernel.k1
        else:
            return None
    if isinstance(kernel, Matern):  # before RBF: Matern subclasses RBF
        nu = float(kernel.nu)
    elif isinstance(kernel, RBF):
        nu = math.inf
    else:
        return None
    if nu not in (0.5, 1.5, 2.5, math.inf) or not np.isscalar(amplitude):
        return None
    length_scale = np.atleast_1d(np.asarray(kernel.length_scale, dtype=float))
    return _Stationary(float(amplitude), length_scale, nu, float(noise))


def _without_white_noise(kernel):
    """``kernel`` with the noise level of its ``WhiteKernel`` terms set to zero.

    scikit-optimize predicts the latent function, not a noisy observation of it:
    its GP zeroes the fitted white noise before predicting.
    """
    if isinstance(kernel, WhiteKernel):
        return WhiteKernel(noise_level=0.0, noise_level_bounds="fixed")
    if isinstance(kernel, Sum):
        return Sum(_without_white_noise(kernel.k1), _without_white_noise(kernel.k2))
    return kernel


def _normalization(y, normalize_y):
    """Mean and scale that map ``y`` to the GP's (normalised) targets."""
    if not normalize_y:
        return 0.0, 1.0
    scale = float(np.std(y))
    return float(np.mean(y)), scale if scale > 10 * np.finfo(float).eps else 1.0


def _recent_and_best(y, cap, n_recent):
    """The rows of ``y`` (lower is better) a GP capped at ``cap`` rows sees:
    the ``n_recent`` most recent and the best of the others, in the order
    told."""
    n = len(y)
    n_recent = min(n, n_recent)
    older = np.argsort(y[: n - n_recent], kind="stable")[: max(0, cap - n_recent)]
    return np.concatenate([np.sort(older), np.arange(n - n_recent, n)])


# Up to this many observations, K^-1 (n^2 floats) is kept: cheaper gradients.
_SMALL = 512


def _inverse_from_cholesky(L):
    """``K^-1`` from the lower Cholesky factor of ``K`` (LAPACK ``potri``)."""
    inverse, info = lapack.dpotri(L, lower=1)
    if info != 0:
        raise LinAlgError(f"potri failed with info={info}")
    return np.tril(inverse) + np.tril(inverse, -1).T


class _MarginalLikelihood:
    """Negative log marginal likelihood of a GP in its log-hyperparameters.

    Calling it with ``theta`` (``kernel.theta`` layout) returns the value and
    its gradient, as :func:`scipy.optimize.minimize` wants with ``jac=True``.
    ``y`` are the normalised targets and ``jitter`` is added to the diagonal.
    """

    def __init__(self, kernel, X, y, jitter):
        self.kernel = kernel
        self.X = X
        self.y = y
        self.jitter = jitter
        self.parts = _parse_kernel(kernel)
        if self.parts is not None:
            # Which value each free hyperparameter sets, in kernel.theta order.
            self.layout = []
            start = 0
            for hyper in kernel.hyperparameters:
                if not hyper.fixed:
                    stop = start + hyper.n_elements
                    kind = hyper.name.rsplit("__", 1)[-1]
                    self.layout.append((kind, slice(start, stop)))
                    start = stop

    def __call__(self, theta):
        n = len(self.y)
        if self.parts is None:
            K, dK = self.kernel.clone_with_theta(theta)(self.X, eval_gradient=True)
            K[np.diag_indices(n)] += self.jitter
        else:
            amplitude, length_scale, nu, noise = self.parts
            for kind, where in self.layout:
                value = np.exp(theta[where])
                if kind == "constant_value":
                    amplitude = value[0]
                elif kind == "noise_level":
                    noise = value[0]
                else:
                    length_scale = value
            Xs = self.X / length_scale
            r = np.sqrt(cdist(Xs, Xs, "sqeuclidean"))
            k, g = _matern(r, nu)
            signal = amplitude * k
            K = signal.copy()
            K[np.diag_indices(n)] += noise + self.jitter
        try:
            L = cholesky(K, lower=True, check_finite=False)
        except (LinAlgError, ValueError):
            return np.inf, np.zeros_like(theta)
        alpha = cho_solve((L, True), self.y, check_finite=False)
        value = 0.5 * self.y @ alpha + np.log(np.diag(L)).sum() + 0.5 * n * _LOG_2PI
        # d(log likelihood)/d(theta_i) = trace(W dK/dtheta_i) / 2
        W = np.outer(alpha, alpha) - _inverse_from_cholesky(L)
        if self.parts is None:
            grad = 0.5 * np.einsum("ij,ijk->k", W, dK)
            return value, -grad
        grad = np.empty_like(theta, dtype=float)
        for kind, where in self.layout:
            if kind == "constant_value":
                grad[where] = 0.5 * np.sum(W * signal)
            elif kind == "noise_level":
                grad[where] = 0.5 * noise * np.trace(W)
            else:
                # dK/dlog(l_j) = -amplitude k'(r)/r (x_j - x'_j)^2 / l_j^2, and
                # sum_ab M_ab (x_aj - x_bj)^2 = 2 (x_j^2 . M1 - x_j . M x_j).
                M = W * (amplitude * g)
                per_dim = (Xs * (M @ Xs)).sum(axis=0) - (Xs**2).T @ M.sum(axis=1)
                grad[where] = per_dim if where.stop - where.start > 1 else per_dim.sum()
        return value, -grad


def _fit_hyperparameters(kernel, X, y, jitter, starts):
    """The log-hyperparameters maximising the marginal likelihood from ``starts``.

    One L-BFGS-B run per starting point (within ``kernel.bounds``); returns the
    best end point.
    """
    objective = _MarginalLikelihood(kernel, X, y, jitter)
    bounds = kernel.bounds
    best_theta, best_value = None, np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for theta in starts:
            theta = np.clip(theta, bounds[:, 0], bounds[:, 1])
            result = minimize(
                objective, theta, jac=True, method="L-BFGS-B", bounds=bounds
            )
            if best_theta is None or result.fun < best_value:
                best_theta, best_value = result.x, result.fun
    return best_theta


class _Posterior:
    """The posterior of a GP with a fixed kernel, predicting in target units.

    Parameters
    ----------
    kernel : scikit-learn kernel
        With its final hyperparameters (including any ``WhiteKernel``).
    X : ndarray of shape (n_samples, n_features)
        Training inputs (transformed space).
    y : ndarray of shape (n_samples,)
        Training targets (``self.y`` holds them normalised).
    jitter : float
        Added to the diagonal of the training covariance (the GP's ``alpha``).
    normalize_y : bool
        Whether the GP standardises its targets.
    keep_noise : bool
        Whether predictions include the white noise (False: the latent
        function, as scikit-optimize predicts it).
    previous : _Posterior, default=None
        The posterior of the same kernel on the first rows of ``X``: its
        factorisation is extended instead of computed again.
    """

    def __init__(self, kernel, X, y, *, jitter, normalize_y, keep_noise, previous=None):
        self.X = X
        self.normalize_y = normalize_y
        self.y_mean, self.y_scale = _normalization(y, normalize_y)
        y = (np.asarray(y, dtype=float) - self.y_mean) / self.y_scale
        self.parts = _parse_kernel(kernel)
        self.train_kernel = kernel
        self.jitter = jitter
        if self.parts is None:
            self.kernel = kernel if keep_noise else _without_white_noise(kernel)
        else:
            self.prior_var = self.parts.amplitude + (
                self.parts.noise if keep_noise else 0.0
            )
        L = None if previous is None else self._extended(previous)
        if L is None:
            L = cholesky(self._train_cov(X, 0), lower=True, check_finite=False)
        self.L = L
        self._K_inv = None
        self.y = y
        self.alpha = cho_solve((self.L, True), y, check_finite=False)
        self.log_marginal_likelihood = -(
            0.5 * y @ self.alpha
            + np.log(np.diag(self.L)).sum()
            + 0.5 * len(y) * _LOG_2PI
        )

    def _train_cov(self, X, start):
        """Training covariance of rows ``start:`` of ``X`` with all its rows."""
        new = X[start:]
        if self.parts is None and start == 0:
            K = self.train_kernel(X)
        elif self.parts is None:
            K = self.train_kernel(new, X)
            K[:, start:] = self.train_kernel(new)  # with the white noise
        else:
            K, _ = self.parts.cross(new, X)
            K[:, start:][np.diag_indices(len(new))] += self.parts.noise
        K[:, start:][np.diag_indices(len(new))] += self.jitter
        return K

    def _extended(self, previous, max_new=16):
        """``previous.L`` grown by the rows of ``X`` added since, or None.

        Appending a point to the Cholesky factor of a GP with the same kernel
        is a triangular solve, ``O(n^2)``, instead of the ``O(n^3)`` of a new
        factorisation, and as accurate. None when ``X`` does not extend
        ``previous.X`` or the new pivot is not clearly positive.
        """
        X, n_old = self.X, len(previous.X)
        if not (
            n_old < len(X) <= n_old + max_new
            and X.shape[1] == previous.X.shape[1]
            and np.array_equal(X[:n_old], previous.X)
        ):
            return None
        rows = self._train_cov(X, n_old)
        L = np.zeros((len(X), len(X)))
        L[:n_old, :n_old] = previous.L
        for i, row in enumerate(rows, start=n_old):
            ell = solve_triangular(L[:i, :i], row[:i], lower=True, check_finite=False)
            pivot = row[i] - ell @ ell
            if not pivot > 1e-12 * row[i]:
                return None
            L[i, :i] = ell
            L[i, i] = math.sqrt(pivot)
        return L

    @property
    def K_inv(self):
        """Inverse of the training covariance (computed on first use)."""
        if self._K_inv is None:
            self._K_inv = _inverse_from_cholesky(self.L)
        return self._K_inv

    def _cross(self, Xq):
        if self.parts is None:
            return self.kernel(Xq, self.X), None, self.kernel.diag(Xq)
        Kx, G = self.parts.cross(Xq, self.X)
        return Kx, G, self.prior_var

    def predict(self, Xq):
        """Posterior mean and standard deviation at the rows of ``Xq``."""
        mean = np.empty(len(Xq))
        std = np.empty(len(Xq))
        for start in range(0, len(Xq), _CHUNK):
            rows = slice(start, start + _CHUNK)
            Kx, _, prior_var = self._cross(Xq[rows])
            V = solve_triangular(self.L, Kx.T, lower=True, check_finite=False)
            mean[rows] = Kx @ self.alpha
            std[rows] = np.sqrt(np.maximum(prior_var - np.einsum("ij,ij->j", V, V), 0))
        return self.y_scale * mean + self.y_mean, self.y_scale * std

    def predict_with_gradient(self, Xq):
        """Mean, standard deviation and their gradients in the inputs."""
        if self.parts is None:
            return self._finite_differences(Xq)
        Kx, G, prior_var = self._cross(Xq)
        if len(self.X) <= _SMALL:  # K^-1 k(x): one product beats two solves
            W = Kx @ self.K_inv
        else:  # ... but an n x n inverse costs memory: 32 MB at n=2000
            W = cho_solve((self.L, True), Kx.T, check_finite=False).T
        var = prior_var - np.einsum("ij,ij->i", W, Kx)
        std = np.sqrt(np.maximum(var, 0.0))
        inv_l2 = 1.0 / self.parts.length_scale**2
        # grad_x k(x, x_i) = amplitude k'(r)/r (x - x_i) / l^2 = G_i (x - x_i) / l^2
        A = G * self.alpha
        dmean = inv_l2 * (A.sum(axis=1)[:, None] * Xq - A @ self.X)
        C = W * G
        dvar = -2.0 * inv_l2 * (C.sum(axis=1)[:, None] * Xq - C @ self.X)
        with np.errstate(divide="ignore", invalid="ignore"):
            dstd = np.where(std[:, None] > 1e-12, dvar / (2.0 * std[:, None]), 0.0)
        mean = Kx @ self.alpha
        s = self.y_scale
        return s * mean + self.y_mean, s * std, s * dmean, s * dstd

    def _finite_differences(self, Xq, step=1e-6):
        n, d = Xq.shape
        shifted = np.repeat(Xq[None], d + 1, axis=0)
        for j in range(d):
            shifted[j + 1, :, j] += step
        mean, std = self.predict(shifted.reshape(-1, d))
        mean, std = mean.reshape(d + 1, n), std.reshape(d + 1, n)
        dmean = ((mean[1:] - mean[0]) / step).T
        dstd = ((std[1:] - std[0]) / step).T
        return mean[0], std[0], dmean, dstd


class _BatchCandidates:
    """A posterior's predictions at fixed candidates, updated as points are
    told (a batch's lies) at ``O(n m)`` each instead of a new prediction's
    ``O(n^2 m)``.

    Telling a point ``z`` appends it to the training set: the Cholesky factor
    grows by one row (``v``, the solve of ``k(X, z)``, and the pivot ``l``),
    and so do the solved cross-covariances ``V`` of the ``m`` candidates, by
    ``r = (k(z, C) - v V) / l`` (kept apart in ``R``); the variance falls by
    ``r^2``. The mean is
    ``a(x) y + mu (1 - a(x) 1)``, with ``a(x) = k(x, X) K^-1`` and ``mu`` the
    mean of the targets, told ones included (``normalize_y``): ``a(x) y`` and
    ``a(x) 1`` move by ``r (t - a(z) t) / l`` for ``t = y`` and ``t = 1``.
    The predictions are those of ``_Posterior`` on the points told, with the
    kernel of ``posterior``. Closed-form kernels only (``posterior.parts``).
    """

    def __init__(self, posterior, candidates, y_opt):
        self.posterior = posterior
        self.C = candidates
        self.y_opt = y_opt  # the incumbent of the batch's acquisition
        self.told = []  # rows of the candidates told (lies): not proposed again
        self.V = None  # computed when first told (the first point is not)

    def _start(self):
        posterior, candidates = self.posterior, self.C
        parts = posterior.parts
        Kx, _ = parts.cross(candidates, posterior.X)
        L = posterior.L
        self.V = solve_triangular(L, Kx.T, lower=True, check_finite=False)
        self.R = []  # the rows V grows by, one per point told
        self.var = posterior.prior_var - np.einsum("ij,ij->j", self.V, self.V)
        self.diagonal = parts.amplitude + parts.noise + posterior.jitter
        self.y = list(posterior.y * posterior.y_scale + posterior.y_mean)
        # K^-1 t of the training targets t = y and t = 1, and a(C) t
        ones = cho_solve((L, True), np.ones(len(L)), check_finite=False)
        self.weights = np.column_stack(
            [posterior.alpha * posterior.y_scale + posterior.y_mean * ones, ones]
        )
        self.A = Kx @ self.weights  # (m, 2): a(x) y and a(x) 1
        self.Z = np.empty((0, candidates.shape[1]))  # points told here
        self.W = []  # their rows of the factor (solved), ...
        self.pivots = []  # ... its diagonal, ...
        self.steps = []  # ... and (t - a(z) t) / l for t = y and t = 1

    def predict(self):
        """Mean and standard deviation at the candidates (target units)."""
        if self.V is None:
            self._start()
        mu, scale = _normalization(np.asarray(self.y), self.posterior.normalize_y)
        mean = self.A[:, 0] + mu * (1.0 - self.A[:, 1])
        return mean, scale * np.sqrt(np.maximum(self.var, 0.0))

    def tell(self, z, y):
        """Tell ``y`` (target units) at the point ``z`` (transformed)."""
        if self.V is None:
            self._start()
        posterior, parts = self.posterior, self.posterior.parts
        z = np.asarray(z, dtype=float).reshape(1, -1)
        # the candidates at z (a point back from the space's own values is
        # within rounding of the candidate it came from)
        self.told.extend(np.flatnonzero(np.abs(self.C - z).max(axis=1) <= 1e-9))
        kz, _ = parts.cross(z, posterior.X)
        v = solve_triangular(posterior.L, kz[0], lower=True, check_finite=False)
        at_z = kz[0] @ self.weights
        if len(self.Z):
            kzz, _ = parts.cross(z, self.Z)
            for k, (w, pivot, step) in enumerate(zip(self.W, self.pivots, self.steps)):
                e = (kzz[0, k] - w @ v) / pivot
                v = np.append(v, e)
                at_z = at_z + e * step
        self.y.append(float(y))
        pivot2 = self.diagonal - v @ v
        if not pivot2 > 1e-12 * self.diagonal:
            return  # known already: only the targets' mean changes
        pivot = math.sqrt(pivot2)
        step = (np.array([y, 1.0]) - at_z) / pivot
        kc, _ = parts.cross(z, self.C)
        n = len(self.V)
        r = kc[0] - v[:n] @ self.V
        if self.R:
            r -= v[n:] @ np.asarray(self.R)
        r /= pivot
        self.R.append(r)
        self.A += np.outer(r, step)
        self.var = self.var - r * r
        self.Z = np.vstack([self.Z, z])
        self.W.append(v)
        self.pivots.append(pivot)
        self.steps.append(step)


def _acquisition(name, mean, std, y_opt, xi, kappa, dmean=None, dstd=None):
    """An acquisition function in scikit-optimize's convention: lower is better.

    ``"EI"`` and ``"PI"`` return minus the expected improvement and minus the
    probability of improvement over ``y_opt - xi``; ``"LCB"`` returns
    ``mean - kappa * std`` (``-std`` for ``kappa="inf"``). Where ``std`` is 0,
    EI and PI are 0, as in scikit-optimize. With ``dmean`` and ``dstd`` (the
    gradients, one row per point), the gradient is returned too (else None).
    """
    with_grad = dmean is not None
    if name == "LCB":
        if isinstance(kappa, str):  # "inf": pure exploration
            return -std, (-dstd if with_grad else None)
        values = mean - kappa * std
        return values, (dmean - kappa * dstd if with_grad else None)
    improve = y_opt - xi - mean
    known = std > 0
    safe_std = np.where(known, std, 1.0)
    z = np.where(known, improve / safe_std, 0.0)
    cdf = ndtr(z)
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * z * z)
    if name == "EI":
        values = -(improve * cdf + std * pdf)
    elif name == "PI":
        values = -cdf
    else:
        raise ValueError(f"Unknown acquisition function {name!r}.")
    values = np.where(known, values, 0.0)
    if not with_grad:
        return values, None
    if name == "EI":  # dEI = -cdf dmean + pdf dstd
        grad = cdf[:, None] * dmean - pdf[:, None] * dstd
    else:  # dPI = -pdf (dmean + z dstd) / std
        grad = (pdf / safe_std)[:, None] * (dmean + z[:, None] * dstd)
    return values, np.where(known[:, None], grad, 0.0)


def _minimize_acquisition(
    posterior, starts, owners, names, scales, bounds, acq_kwargs, maxiter
):
    """Polish ``starts`` by one L-BFGS-B run over all of them at once.

    Row ``i`` of ``starts`` minimises acquisition ``names[owners[i]]``, divided
    by ``scales[owners[i]]`` so that every row weighs alike. The objective is
    the sum over the rows, so each row moves towards its own local minimum and
    one batched posterior evaluation serves every row at each step. The best
    point each row visited is kept, so no row ends worse than it started.

    Returns the best points (within ``bounds``) and their acquisition values.
    """
    n, d = starts.shape
    lower, upper = bounds[:, 0], bounds[:, 1]
    groups = [np.flatnonzero(owners == a) for a in range(len(names))]
    weights = 1.0 / np.asarray(scales, dtype=float)[owners]
    best_points = starts.copy()
    best_values = np.full(n, np.inf)

    def objective(flat):
        X = np.clip(flat.reshape(n, d), lower, upper)
        mean, std, dmean, dstd = posterior.predict_with_gradient(X)
        values = np.empty(n)
        grad = np.empty((n, d))
        for name, rows in zip(names, groups):
            values[rows], grad[rows] = _acquisition(
                name,
                mean[rows],
                std[rows],
                dmean=dmean[rows],
                dstd=dstd[rows],
                **acq_kwargs,
            )
        improved = values < best_values
        best_values[improved] = values[improved]
        best_points[improved] = X[improved]
        return float(weights @ values), (grad * weights[:, None]).ravel()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        minimize(
            objective,
            starts.ravel(),
            jac=True,
            method="L-BFGS-B",
            bounds=np.tile(bounds, (n, 1)),
            options={"maxiter": maxiter},
        )
    return best_points, best_values
