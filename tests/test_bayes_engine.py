"""The Bayesian engine: scikit-optimize's Optimizer with our fast GP update."""

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from sklearn.base import BaseEstimator, clone
from skopt import Optimizer
from skopt import space as skopt_space

from sklearn_tune import BayesSearchCV
from sklearn_tune._bayes._optimizer import _Optimizer
from sklearn_tune._bayes._strategy import _BayesStrategy
from sklearn_tune._gp import (
    _acquisition,
    _BatchCandidates,
    _MarginalLikelihood,
    _Posterior,
)
from sklearn_tune.space import Categorical, Integer, Real


def branin(x0, x1):
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x1 - b * x0**2 + c * x0 - 6) ** 2 + 10 * (1 - t) * math.cos(x0) + 10


MIXED = {
    "lr": Real(1e-4, 1.0, prior="log-uniform"),
    "x": Real(-2.0, 3.0),
    "depth": Integer(1, 12),
    "width": Integer(2, 512, prior="log-uniform"),
    "kind": Categorical(["a", "b", "c"]),
}


def objective(params):
    """A score to maximise, defined on MIXED (numbers and a categorical)."""
    return -(
        (math.log10(params["lr"]) + 2) ** 2
        + (params["x"] - 1) ** 2
        + abs(params["depth"] - 6) / 6
        + abs(math.log2(params["width"]) - 5) / 5
        + {"a": 0.5, "b": 0.0, "c": 1.0}[params["kind"]]
    )


def run_strategy(dimensions, n_iter=12, n_points=1, seed=0, **optimizer_kwargs):
    optimizer_kwargs.setdefault("n_initial_points", 4)
    strategy = _BayesStrategy(dimensions, n_iter, n_points, optimizer_kwargs, seed)
    asked = []
    while candidates := strategy.ask():
        asked.extend(candidates)
        strategy.tell(candidates, [objective_or_zero(c) for c in candidates])
    return strategy, asked


def objective_or_zero(candidate):
    return objective(candidate) if set(candidate) == set(MIXED) else 0.0


def assert_in_space(candidates, dimensions):
    for candidate in candidates:
        assert set(candidate) == set(dimensions)
        for name, value in candidate.items():
            assert value in dimensions[name], (name, value)
            assert not isinstance(value, np.generic), (name, type(value))


# -- proposals ----------------------------------------------------------------


def test_fast_engine_is_used_for_the_default_gp():
    strategy, _ = run_strategy(MIXED, n_iter=6)
    optimizer = strategy.optimizer
    assert isinstance(optimizer, _Optimizer) and isinstance(optimizer, Optimizer)
    assert optimizer._fast
    assert optimizer._theta is not None  # hyperparameters fitted by us


def test_proposals_are_in_the_space_for_every_kind_of_dimension():
    _, asked = run_strategy(MIXED, n_iter=14)
    assert len(asked) == 14
    assert_in_space(asked, MIXED)
    # The model steers the search: past the random start, it finds better points.
    scores = [objective(c) for c in asked]
    assert max(scores[4:]) > max(scores[:4])


def test_all_categorical_space():
    dimensions = {"a": Categorical(["x", "y", "z"]), "b": Categorical([1, 2, 3, 4])}
    strategy, asked = run_strategy(dimensions, n_iter=10)
    assert_in_space(asked, dimensions)
    assert strategy.optimizer._fast
    assert strategy.optimizer.acq_optimizer == "sampling"  # as skopt decides
    # Twelve possible points, ten asks: skopt's duplicate avoidance still works.
    assert len({tuple(sorted(c.items())) for c in asked}) >= 9


def test_same_seed_same_search_other_seed_other_search():
    _, first = run_strategy(MIXED, seed=3)
    _, again = run_strategy(MIXED, seed=3)
    _, other = run_strategy(MIXED, seed=4)
    assert first == again
    assert first[5:] != other[5:]


def test_lbfgs_improves_on_the_best_random_candidate():
    # The polish must never return a point worse (for its acquisition) than
    # the best candidate it started from.
    optimizer = _Optimizer(
        [skopt_space.Real(-5.0, 10.0), skopt_space.Real(0.0, 15.0)],
        acq_func="EI",
        n_initial_points=5,
        random_state=0,
        acq_optimizer_kwargs={"n_points": 200},
    )
    for _ in range(12):
        x = optimizer.ask()
        optimizer.tell(x, branin(*x))
    model = optimizer.models[-1]
    best = np.min(optimizer.yi)
    rng_state = optimizer.rng.get_state()
    candidates = optimizer._candidates(200)
    optimizer.rng.set_state(rng_state)

    def ei(X):
        mean, std = model.predict(np.atleast_2d(X), return_std=True)
        return _acquisition("EI", mean, std, best, 0.01, 1.96)[0]

    chosen = optimizer.space.transform([optimizer.ask()])  # chosen when asked
    assert ei(chosen)[0] <= ei(candidates).min() + 1e-12


# -- batches, parallelism, memory --------------------------------------------------


class Branin(BaseEstimator):
    """A no-cost estimator: its score is minus Branin at its parameters."""

    def __init__(self, x0=0.0, x1=0.0):
        self.x0 = x0
        self.x1 = x1

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return -branin(self.x0, self.x1)


def branin_search(**kwargs):
    search = BayesSearchCV(
        Branin(),
        {"x0": Real(-5.0, 10.0), "x1": Real(0.0, 15.0)},
        optimizer_kwargs={"n_initial_points": 4},
        cv=2,
        random_state=0,
        **kwargs,
    )
    return search.fit(np.zeros((4, 1)), np.zeros(4))


@pytest.mark.parametrize("n_points", [1, 3])
def test_candidates_do_not_depend_on_n_jobs(n_points):
    one = branin_search(n_iter=9, n_points=n_points, n_jobs=1)
    two = branin_search(n_iter=9, n_points=n_points, n_jobs=2)
    assert one.cv_results_["params"] == two.cv_results_["params"]
    assert len(one.cv_results_["params"]) == 9


def test_batches_are_reproducible_and_distinct():
    strategy, asked = run_strategy(MIXED, n_iter=12, n_points=4)
    _, again = run_strategy(MIXED, n_iter=12, n_points=4)
    assert asked == again
    assert_in_space(asked, MIXED)
    for start in range(0, 12, 4):
        batch = [tuple(sorted(c.items())) for c in asked[start : start + 4]]
        assert len(set(batch)) == 4


def test_asking_a_batch_changes_nothing_and_is_cached():
    strategy, _ = run_strategy(MIXED, n_iter=8)
    optimizer = strategy.optimizer
    state = (list(optimizer.Xi), list(optimizer.yi), list(optimizer.models))
    theta = optimizer._theta.copy()
    batch = optimizer.ask(n_points=3)
    assert len(batch) == 3
    assert optimizer.ask(n_points=3) is batch
    assert (optimizer.Xi, optimizer.yi, optimizer.models) == state
    np.testing.assert_array_equal(optimizer._theta, theta)
    # The first point of a batch is the point a single ask proposes.
    assert batch[0] == optimizer.ask()


def test_copy_carries_the_state_over():
    strategy, _ = run_strategy(MIXED, n_iter=8)
    optimizer = strategy.optimizer
    twin = optimizer.copy(random_state=1)
    assert isinstance(twin, _Optimizer)
    assert twin.Xi == optimizer.Xi and twin.yi == optimizer.yi
    assert twin.Xi is not optimizer.Xi
    assert twin.ask() == optimizer.ask()


@pytest.mark.parametrize("queue, expected", [(None, 1), (3, 3)])
def test_only_model_queue_size_models_are_kept(queue, expected):
    kwargs = {} if queue is None else {"model_queue_size": queue}
    strategy, _ = run_strategy(MIXED, n_iter=10, **kwargs)
    assert len(strategy.optimizer.models) == expected
    assert strategy.optimizer.max_model_queue_size == expected


# -- every optimizer_kwargs variant runs -----------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_estimator": "GP"},
        {"base_estimator": "RF"},
        {"base_estimator": "ET"},
        {"base_estimator": "GBRT"},
        {"base_estimator": "dummy"},
        {"acq_func": "EI"},
        {"acq_func": "PI"},
        {"acq_func": "LCB"},
        {"acq_func": "gp_hedge"},
        {"acq_optimizer": "sampling"},
        {"acq_optimizer": "lbfgs"},
        {"initial_point_generator": "lhs"},
        {"acq_func": "LCB", "acq_func_kwargs": {"kappa": "inf"}},
    ],
    ids=lambda kwargs: "-".join(f"{k}={v}" for k, v in kwargs.items()),
)
def test_optimizer_kwargs_variants_run(kwargs):
    dimensions = {"lr": MIXED["lr"], "depth": MIXED["depth"], "kind": MIXED["kind"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skopt warns about repeated points
        kwargs.setdefault("acq_optimizer_kwargs", {"n_points": 500})
        strategy, asked = run_strategy(dimensions, n_iter=7, n_points=1, **kwargs)
        batch = strategy.optimizer.ask(n_points=2)  # the constant liar, too
    assert len(asked) == 7
    assert_in_space(asked, dimensions)
    assert len(batch) == 2
    optimizer = strategy.optimizer
    if kwargs.get("base_estimator") == "dummy":
        assert optimizer.base_estimator_ is None and optimizer.models == []
    else:
        assert len(optimizer.models) == 1
        model = optimizer.models[-1]
        mean, std = model.predict(optimizer.space.transform(optimizer.Xi), True)
        assert mean.shape == std.shape == (7,)
    assert optimizer._fast == (kwargs.get("base_estimator", "GP") == "GP")


def test_skopt_callbacks_and_results_still_work():
    seen = []
    search = BayesSearchCV(
        Branin(),
        {"x0": Real(-5.0, 10.0), "x1": Real(0.0, 15.0)},
        n_iter=7,
        optimizer_kwargs={"n_initial_points": 3},
        cv=2,
        random_state=0,
    ).fit(np.zeros((4, 1)), np.zeros(4), callback=lambda res: seen.append(res.fun))
    assert len(seen) == 7
    (result,) = search.optimizer_results_
    assert len(result.x_iters) == 7 and len(result.models) == 1
    assert result.fun == pytest.approx(-search.best_score_)


# -- the numerics, against scikit-learn and scikit-optimize ---------------------------


def fitted_optimizer(dimensions, seed=0, n=12):
    optimizer = _Optimizer(dimensions, n_initial_points=5, random_state=seed)
    rng = np.random.RandomState(seed)
    for _ in range(n):
        x = optimizer.ask()
        noise = 0.1 * rng.rand()
        optimizer.tell(
            x, noise + float(np.sum((optimizer.space.transform([x]) - 0.4) ** 2))
        )
    return optimizer


@pytest.mark.parametrize(
    "dimensions",
    [
        [skopt_space.Real(0.0, 1.0)] * 3,
        [
            skopt_space.Real(1e-3, 1.0, prior="log-uniform"),
            skopt_space.Integer(1, 9),
            skopt_space.Categorical(list("abc")),
        ],
        [skopt_space.Categorical(list("ab")), skopt_space.Categorical([1, 2, 3])],
    ],
    ids=["real", "mixed", "categorical"],
)
def test_models_predict_as_a_gp_fitted_by_skopt(dimensions):
    optimizer = fitted_optimizer(dimensions)
    model = optimizer.models[-1]
    reference = clone(optimizer.base_estimator_)
    reference.set_params(
        kernel=optimizer._kernel.clone_with_theta(optimizer._theta), optimizer=None
    )
    X = optimizer.space.transform(optimizer.Xi)
    reference.fit(X, optimizer.yi)
    Xq = optimizer.space.transform(optimizer.space.rvs(20, random_state=1))
    for ours, theirs in zip(
        model.predict(Xq, return_std=True), reference.predict(Xq, return_std=True)
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-10)
    assert model.log_marginal_likelihood_value_ == pytest.approx(
        reference.log_marginal_likelihood_value_
    )
    assert model.noise_ == pytest.approx(reference.noise_)


def test_fitted_hyperparameters_are_as_likely_as_skopt_fit():
    optimizer = fitted_optimizer([skopt_space.Real(0.0, 1.0)] * 3, n=25)
    X = optimizer.space.transform(optimizer.Xi)
    skopt_fit = clone(optimizer.base_estimator_).fit(X, optimizer.yi)
    ours = optimizer.models[-1].log_marginal_likelihood_value_
    assert ours >= skopt_fit.log_marginal_likelihood_value_ - 1e-3 * abs(ours)


@pytest.mark.parametrize("nu", [0.5, 1.5, 2.5, np.inf])
@pytest.mark.parametrize("ard", [True, False])
def test_marginal_likelihood_matches_scikit_learn(nu, ard):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import (
        RBF,
        ConstantKernel,
        Matern,
        WhiteKernel,
    )

    rng = np.random.RandomState(0)
    X = rng.rand(15, 3)
    y = np.sin(3 * X).sum(axis=1)
    length_scale = np.array([0.3, 0.5, 0.8]) if ard else 0.4
    core = RBF(length_scale) if nu == np.inf else Matern(length_scale, nu=nu)
    kernel = ConstantKernel(2.0) * core + WhiteKernel(0.01)
    gp = GaussianProcessRegressor(kernel, optimizer=None).fit(X, y)
    theta = kernel.theta + 0.1
    value, grad = _MarginalLikelihood(kernel, X, y, 1e-10)(theta)
    expected, expected_grad = gp.log_marginal_likelihood(theta, eval_gradient=True)
    assert value == pytest.approx(-expected, rel=1e-10)
    np.testing.assert_allclose(grad, -expected_grad, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ["EI", "PI", "LCB"])
def test_acquisition_gradients_match_finite_differences(name):
    optimizer = fitted_optimizer([skopt_space.Real(0.0, 1.0)] * 3)
    model = optimizer.models[-1]
    kernel = optimizer._kernel.clone_with_theta(optimizer._theta)
    X = optimizer.space.transform(optimizer.Xi)
    posterior = _Posterior(
        kernel,
        X,
        np.asarray(optimizer.yi),
        jitter=1e-10,
        normalize_y=True,
        keep_noise=False,
    )
    y_opt = float(np.min(optimizer.yi))
    # Points where the acquisition is not flat: near the best observations.
    points = X[np.argsort(optimizer.yi)[:3]] * 0.9 + 0.05

    def value(x):
        mean, std = posterior.predict(x[None])
        return _acquisition(name, mean, std, y_opt, 0.01, 1.96)[0][0]

    mean, std, dmean, dstd = posterior.predict_with_gradient(points)
    values, grad = _acquisition(name, mean, std, y_opt, 0.01, 1.96, dmean, dstd)
    for x, v, g in zip(points, values, grad):
        assert v == pytest.approx(value(x), rel=1e-9, abs=1e-12)
        numeric = approx_fprime(x, value, 1e-7)
        np.testing.assert_allclose(g, numeric, rtol=1e-3, atol=1e-5 * max(1, abs(v)))
    # And the posterior is the one the stored model predicts.
    np.testing.assert_allclose(mean, model.predict(points), rtol=1e-9)


@pytest.mark.parametrize("closed_form", [True, False])
def test_growing_the_posterior_equals_factorising_it_afresh(closed_form):
    from sklearn.gaussian_process.kernels import RationalQuadratic, WhiteKernel

    optimizer = fitted_optimizer([skopt_space.Real(0.0, 1.0)] * 3, n=8)
    kernel = optimizer._kernel.clone_with_theta(optimizer._theta)
    if not closed_form:  # any other kernel goes through scikit-learn's kernel API
        kernel = RationalQuadratic(0.5) + WhiteKernel(1e-3)
    rng = np.random.RandomState(0)
    X, y = rng.rand(14, 3), rng.rand(14)
    kwargs = {"jitter": 1e-10, "normalize_y": True, "keep_noise": False}
    small = _Posterior(kernel, X[:10], y[:10], **kwargs)
    assert (small.parts is not None) == closed_form
    grown = _Posterior(kernel, X, y, previous=small, **kwargs)
    fresh = _Posterior(kernel, X, y, **kwargs)
    np.testing.assert_allclose(grown.L, fresh.L, rtol=1e-9, atol=1e-12)
    Xq = rng.rand(5, 3)
    for ours, theirs in zip(grown.predict(Xq), fresh.predict(Xq)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    # Not an extension of the earlier rows: factorised afresh, still right.
    other = _Posterior(kernel, X[::-1], y[::-1], previous=small, **kwargs)
    np.testing.assert_allclose(other.predict(Xq)[0], fresh.predict(Xq)[0], rtol=1e-9)


@pytest.mark.parametrize("keep_noise", [False, True])
@pytest.mark.parametrize("normalize_y", [False, True])
def test_batch_candidates_tell_as_a_gp_told_the_points(keep_noise, normalize_y):
    optimizer = fitted_optimizer([skopt_space.Real(0.0, 1.0)] * 3, n=8)
    kernel = optimizer._kernel.clone_with_theta(optimizer._theta)
    rng = np.random.RandomState(0)
    X, y = rng.rand(10, 3), 5 + rng.rand(10)
    C = rng.rand(300, 3)
    kwargs = {"jitter": 1e-10, "keep_noise": keep_noise, "normalize_y": normalize_y}
    posterior = _Posterior(kernel, X, y, **kwargs)
    batch = _BatchCandidates(posterior, C, y_opt=float(y.min()))
    for ours, theirs in zip(batch.predict(), posterior.predict(C)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    # told four points (one of them a candidate, told twice: noisy
    # observations): the GP on all the points, as a liar would fit it
    Z = np.vstack([rng.rand(2, 3), C[7], C[7]])
    lies = [y.min(), 5.3, y.mean(), y.max()]
    for z, lie in zip(Z, lies):
        batch.tell(z, lie)
    told = _Posterior(kernel, np.vstack([X, Z]), np.r_[y, lies], **kwargs)
    for ours, theirs in zip(batch.predict(), told.predict(C)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)
    assert batch.told == [7, 7]


def test_a_batch_makes_one_proposal_and_takes_the_rest_among_its_candidates(
    monkeypatch,
):
    strategy, _ = run_strategy(MIXED, n_iter=8)
    optimizer = strategy.optimizer
    proposals, among = [], []
    propose, ask_among = _Optimizer._propose, _Optimizer._ask_among

    def counting(self, *args, **kwargs):
        proposals.append(1)
        return propose(self, *args, **kwargs)

    def recording(self, batch):
        point = ask_among(self, batch)
        among.append((batch, point))
        return point

    monkeypatch.setattr(_Optimizer, "_propose", counting)
    monkeypatch.setattr(_Optimizer, "_ask_among", recording)
    batch = optimizer.ask(n_points=4)
    assert len(proposals) == 1  # the first point's: the others need none
    assert [point for _, point in among] == batch[1:]
    candidates = among[0][0]
    assert all(b is candidates for b, _ in among)
    for point in batch[1:]:  # each one of the first's candidates
        gaps = np.abs(candidates.C - optimizer.space.transform([point])[0])
        assert gaps.max(axis=1).min() <= 1e-9
    # and told, with the first point's lie, so not proposed again
    assert len(candidates.told) >= 2
    assert len({tuple(p) for p in batch}) == 4
    assert len(candidates.W) == 3  # told the lies of the first three

    # as before, one proposal per point
    monkeypatch.setattr(_Optimizer, "_FAST_BATCH", False)
    proposals.clear()
    optimizer.cache_ = {}
    assert len(optimizer.ask(n_points=4)) == 4
    assert len(proposals) == 4


def test_surrogate_computes_its_inverse_only_when_asked():
    # Beyond a few hundred observations the stored model does not keep K^-1
    # (n^2 memory) until skopt's predict(return_std=True) needs it.
    from sklearn_tune._bayes._optimizer import _LazyInverseGP

    dims = [skopt_space.Real(0.0, 1.0), skopt_space.Real(0.0, 1.0)]
    opt = _Optimizer(dims, n_initial_points=5, random_state=0)
    for _ in range(12):
        x = opt.ask()
        opt.tell(x, (x[0] - 0.3) ** 2 + x[1])
    model = opt.models[-1]
    assert isinstance(model, _LazyInverseGP)
    X = np.random.RandomState(0).rand(7, 2)
    expected = model.predict(X, return_std=True)
    kept = model.K_inv_
    model.K_inv_ = None  # as stored for a large model
    got = model.predict(X, return_std=True)
    scale = np.abs(kept).max()
    np.testing.assert_allclose(model.K_inv_, kept, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(got[0], expected[0])
    # skopt's variance, prior - k K^-1 k, cancels near observed points: with a
    # prior of 1e3 and predicted variances of 1e-5, a 1e-16 relative change in
    # K^-1 moves a std of 2e-3 by 100%. So variances are compared to 1e-6 of
    # the prior variance (in the units of y), which is what the arithmetic allows.
    prior_var = model.kernel_.diag(X).max() * model.y_train_std_**2
    np.testing.assert_allclose(
        got[1] ** 2, expected[1] ** 2, rtol=0, atol=1e-6 * prior_var
    )


def test_past_max_train_the_gp_sees_the_recent_and_the_best(monkeypatch):
    # a long search's GP is fitted to a bounded subset: the most recent half
    # (the points in flight among them) and the best of the others
    monkeypatch.setattr(_Optimizer, "_MAX_TRAIN", 8)
    strategy, asked = run_strategy(MIXED, n_iter=20, n_points=3)
    optimizer = strategy.optimizer
    model = optimizer.models[-1]
    assert len(model.X_train_) == 8  # 20 told, 8 seen
    X = optimizer.space.transform(optimizer.Xi)
    y = np.asarray(optimizer.yi)
    rows = optimizer._training_rows(y)
    assert list(rows) == sorted(set(rows)) and len(rows) == 8
    assert set(range(16, 20)) <= set(rows)  # the 4 most recent
    older = np.argsort(y[:16], kind="stable")[:4]
    assert set(older) <= set(rows)  # the 4 best of the others
    np.testing.assert_allclose(model.X_train_, X[rows])
    # lies (points in flight) are always among the rows seen
    liar = optimizer.with_pending(
        [optimizer.space.rvs(random_state=i)[0] for i in range(6)], 0
    )
    assert liar._n_lies == 6
    lie_rows = liar._training_rows(np.asarray(liar.yi))
    assert set(range(len(liar.yi) - 6, len(liar.yi))) <= set(lie_rows)
    assert_in_space(asked, MIXED)
    assert len({tuple(sorted(c.items())) for c in asked}) == 20


def test_before_any_result_points_beyond_the_design_are_drawn(monkeypatch):
    # three batches of 4 in flight before any result, with a design of 5:
    # a model would know nothing but the lies told for the points in flight,
    # so the 7 points beyond the design are random draws, made without one
    proposals = []
    propose = _Optimizer._propose

    def counting(self, *args, **kwargs):
        proposals.append(1)
        return propose(self, *args, **kwargs)

    monkeypatch.setattr(_Optimizer, "_propose", counting)
    strategy = _BayesStrategy(MIXED, 20, 4, {"n_initial_points": 5}, 0)
    batches = [strategy.ask() for _ in range(3)]
    assert not proposals
    points = [tuple(sorted(c.items())) for b in batches for c in b]
    assert len(set(points)) == 12
    assert_in_space([c for b in batches for c in b], MIXED)
    # the same seed draws the same ones
    again = _BayesStrategy(MIXED, 20, 4, {"n_initial_points": 5}, 0)
    assert [again.ask() for _ in range(3)] == batches
    # once a batch is told, the next one is the model's
    strategy.tell(batches[0], [objective_or_zero(c) for c in batches[0]])
    assert strategy.ask() and proposals


def test_the_polish_starts_from_the_same_candidates_as_a_full_sort():
    """The best k candidates, found without sorting them all, are those of a
    stable argsort, in its order: ties, repeated values and NaN included."""
    from sklearn_tune._bayes._optimizer import _smallest

    rng = np.random.RandomState(0)
    for trial in range(500):
        n, k = rng.randint(1, 40), rng.randint(1, 50)
        values = rng.randint(0, 4, n).astype(float) if trial % 2 else rng.randn(n)
        if trial % 5 == 0:
            values[rng.randint(n)] = np.nan
        expected = np.argsort(values, kind="stable")[:k]
        assert np.array_equal(_smallest(values, k), expected)
