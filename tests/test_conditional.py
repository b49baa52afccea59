"""Conditional search spaces, searched jointly by both searchers (issue 10)."""

import json

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune._genetic._strategy import _GeneticStrategy, _Individual
from sklearn_tune.space import (
    Categorical,
    Condition,
    Dimension,
    Real,
    SubSpace,
    check_search_space,
)

X, y = load_iris(return_X_y=True)


class Trainer(BaseEstimator):
    """Scores a function of an optimizer choice and the knobs it reads.

    Records every parameter set it was fitted with, to check what reached it.
    """

    seen = []

    def __init__(
        self, optimizer="sgd", lr=0.1, momentum=None, beta1=None, nesterov=None
    ):
        self.optimizer, self.lr = optimizer, lr
        self.momentum, self.beta1, self.nesterov = momentum, beta1, nesterov

    def fit(self, X, y=None):
        Trainer.seen.append(self.get_params())
        return self

    def score(self, X, y=None):
        value = -((np.log10(self.lr) + 2) ** 2)
        if self.optimizer == "momentum":
            value += 0.5 - (self.momentum - 0.9) ** 2 + 0.1 * bool(self.nesterov)
        elif self.optimizer == "adam":
            value += 0.3 - (self.beta1 - 0.85) ** 2
        return value


SPACE = {
    "optimizer": Categorical(["sgd", "momentum", "adam"]),
    "lr": Real(1e-4, 1.0, prior="log-uniform"),
    "momentum": Real(0.5, 0.99).when(optimizer="momentum"),
    "nesterov": Categorical([False, True]).when(optimizer="momentum"),
    "beta1": Real(0.8, 0.99).when(optimizer=["adam"]),
}
ACTIVE = {
    "sgd": {"lr"},
    "momentum": {"lr", "momentum", "nesterov"},
    "adam": {"lr", "beta1"},
}


def bayes(**kwargs):
    return BayesSearchCV(
        Trainer(),
        SPACE,
        n_iter=20,
        cv=KFold(2),
        random_state=0,
        optimizer_kwargs={"n_initial_points": 6},
        **kwargs,
    )


def genetic(**kwargs):
    return GeneticSearchCV(
        Trainer(),
        SPACE,
        population_size=6,
        generations=4,
        cv=KFold(2),
        random_state=0,
        **kwargs,
    )


@pytest.fixture(params=[bayes, genetic], ids=["bayes", "genetic"])
def make(request):
    Trainer.seen = []
    return request.param


def test_inactive_knobs_never_reach_the_estimator_and_are_masked(make):
    search = make().fit(X)
    for params in search.cv_results_["params"]:
        assert set(params) - {"optimizer"} == ACTIVE[params["optimizer"]]
    for fitted in Trainer.seen:  # inactive knobs keep the estimator's default
        inactive = {"momentum", "beta1", "nesterov"} - ACTIVE[fitted["optimizer"]]
        assert all(fitted[name] is None for name in inactive)
    results = search.cv_results_
    is_momentum = np.array([p["optimizer"] == "momentum" for p in results["params"]])
    assert (results["param_momentum"].mask == ~is_momentum).all()
    assert (
        results["param_beta1"].mask
        == ~np.array([p["optimizer"] == "adam" for p in results["params"]])
    ).all()


def test_candidates_differing_only_in_inactive_knobs_are_one(make):
    search = make().fit(X)
    keys = [json.dumps(p, sort_keys=True) for p in search.cv_results_["params"]]
    assert len(keys) == len(set(keys))
    # a space with 2 sgd x 1 + ... points: exhausted, not looped over
    small = {
        "optimizer": Categorical(["sgd", "adam"]),
        "lr": Categorical([0.01, 0.1]),
        "beta1": Categorical([0.8, 0.9]).when(optimizer="adam"),
    }
    assert check_search_space(small)[0].size == 2 + 4
    search = make().set_params(search_spaces=small).fit(X)
    assert len(search.cv_results_["params"]) == 6
    assert search.stop_reason_.startswith("search space exhausted: all 6")


def test_joint_search_finds_the_best_branch(make):
    search = make().set_params(
        **({"n_iter": 40} if make is bayes else {"generations": 8})
    )
    search.fit(X)
    assert search.best_params_["optimizer"] == "momentum"


def test_genetic_operators_touch_only_active_genes():
    dims = check_search_space(SPACE)[0].dimensions
    strategy = _GeneticStrategy(
        dims,
        population_size=4,
        generations=1,
        crossover_probability=0.5,
        mutation_probability=0.5,
        tournament_size=2,
        elitism=1,
        algorithm="mu_plus_lambda",
        keep_top_k=2,
        random_state=0,
    )
    names = list(dims)
    sgd = [0.1 if n == "optimizer" else 0.5 for n in names]  # optimizer -> "sgd"
    for _ in range(50):
        individual = _Individual(sgd)
        strategy._mutate(individual, eta=10.0)
        changed = {n for n, a, b in zip(names, sgd, individual) if a != b}
        assert changed <= {"optimizer", "lr"}, changed
    a, b = _Individual(sgd), _Individual(sgd[:])
    b[names.index("lr")] = 0.9
    for _ in range(20):
        c, d = strategy._mate(_Individual(a), _Individual(b), eta=10.0)
        for child in (c, d):
            assert [
                child[names.index(n)] for n in ("momentum", "beta1", "nesterov")
            ] == [
                0.5,
                0.5,
                0.5,
            ]


def test_bayes_surrogate_sees_inactive_knobs_at_one_imputed_value():
    search = bayes().fit(X)
    optimizer = search.optimizers_[0]
    names = list(check_search_space(SPACE)[0].dimensions)
    for point, params in zip(optimizer.Xi, search.cv_results_["params"]):
        told = dict(zip(names, point))
        if params["optimizer"] != "adam":
            assert told["beta1"] == 0.8  # the lower bound
        if params["optimizer"] != "momentum":
            assert told["momentum"] == 0.5 and told["nesterov"] == 0


def test_a_conditional_search_resumes_from_its_checkpoint(make, tmp_path):
    path = tmp_path / "c.jsonl"
    full = make().fit(X).cv_results_["params"]
    make(checkpoint=path).fit(X)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:4]) + "\n")  # header, part, two batches
    resumed = make(checkpoint=path).fit(X)
    assert resumed.cv_results_["params"] == full


def test_callbacks_get_full_points_with_imputed_values(make):
    results = []
    make().fit(X, callback=lambda result: results.append(result) and False)
    last = results[-1]
    assert all(len(x) == len(SPACE) for x in last.x_iters)
    assert len(last.x_iters) == len(last.func_vals)


def test_a_pipeline_step_and_its_own_parameters():
    lr, svc = LogisticRegression(max_iter=300), SVC()
    pipe = Pipeline([("scale", StandardScaler()), ("clf", lr)])
    space = {
        "clf": Categorical([lr, svc]),
        "clf__C": Real(1e-2, 1e2, prior="log-uniform"),
        "clf__gamma": Real(1e-3, 1.0, prior="log-uniform").when(clf=svc),
    }
    for search in (
        BayesSearchCV(pipe, space, n_iter=8, cv=3, random_state=0),
        GeneticSearchCV(
            pipe, space, population_size=4, generations=1, cv=3, random_state=0
        ),
    ):
        search.fit(X, y)
        for params in search.cv_results_["params"]:
            assert ("clf__gamma" in params) == isinstance(params["clf"], SVC)
        assert lr.get_params()["C"] == 1.0 and svc.get_params()["gamma"] == "scale"


@pytest.mark.parametrize(
    "space, message",
    [
        pytest.param(
            {"lr": Real(0.1, 1.0).when(optimizer="adam")},
            "has no 'optimizer'",
            id="missing parent",
        ),
        pytest.param(
            {"lr": Real(0.1, 1.0), "beta1": Real(0.8, 0.9).when(lr=0.5)},
            "is Real(0.1, 1.0), not a Categorical",
            id="numeric parent",
        ),
        pytest.param(
            {"opt": Categorical(["sgd"]), "beta1": Real(0.8, 0.9).when(opt="adam")},
            "['adam'] are not choices of",
            id="unknown value",
        ),
        pytest.param(
            {
                "a": Categorical([1, 2]).when(b=1),
                "b": Categorical([1, 2]).when(a=1),
            },
            "form a cycle",
            id="cycle",
        ),
    ],
)
def test_bad_conditions_are_refused_before_any_fit(make, space, message):
    search = make().set_params(search_spaces=space)
    with pytest.raises(ValueError, match=__import__("re").escape(message)):
        search.fit(X)
    assert Trainer.seen == []


def test_dimension_with_condition_is_a_value_object():
    momentum = Real(0.5, 0.99).when(optimizer=["momentum", "nesterov"])
    assert momentum.condition == Condition("optimizer", ("momentum", "nesterov"))
    assert momentum == Real(0.5, 0.99).when(optimizer=["momentum", "nesterov"])
    assert momentum != Real(0.5, 0.99)
    assert Dimension.from_dict(json.loads(json.dumps(momentum.to_dict()))) == momentum
    assert repr(momentum) == "Real(0.5, 0.99).when(optimizer=['momentum', 'nesterov'])"
    plain = Real(0.5, 0.99)
    plain.when(optimizer="adam")
    assert plain.condition is None  # when() returns a copy
    with pytest.raises(TypeError, match="one parent=values pair"):
        Real(0.1, 1.0).when(a=1, b=2)
    sub = SubSpace(check_search_space(SPACE)[0].dimensions)
    assert sub.active(
        {
            "optimizer": "adam",
            "lr": 0.1,
            "momentum": 0.9,
            "beta1": 0.9,
            "nesterov": True,
        }
    ) == {"optimizer": "adam", "lr": 0.1, "beta1": 0.9}


def test_nested_conditions():
    space = check_search_space(
        {
            "kernel": Categorical(["linear", "poly"]),
            "degree": Categorical([2, 3]).when(kernel="poly"),
            "coef0": Categorical([0.0, 1.0]).when(degree=[3]),
        }
    )[0]
    assert space.active({"kernel": "linear", "degree": 3, "coef0": 1.0}) == {
        "kernel": "linear"
    }
    assert space.active({"kernel": "poly", "degree": 3, "coef0": 1.0}) == {
        "kernel": "poly",
        "degree": 3,
        "coef0": 1.0,
    }
    assert space.size == 1 + 1 + 2
    assert space.active({"kernel": "poly", "degree": 2, "coef0": 0.0}) == {
        "kernel": "poly",
        "degree": 2,
    }


def test_a_cloned_search_keeps_conditions_on_estimators():
    # clone() deep-copies each dimension on its own: the SVC in the condition
    # and the SVC among the choices become two different objects.
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    lr, svc = LogisticRegression(max_iter=300), SVC()
    pipe = Pipeline([("scale", StandardScaler()), ("clf", lr)])
    space = {
        "clf": Categorical([lr, svc]),
        "clf__C": Real(1e-2, 1e2, prior="log-uniform"),
        "clf__gamma": Real(1e-3, 1.0, prior="log-uniform").when(clf=svc),
    }
    search = GeneticSearchCV(pipe, space, population_size=4, generations=1, cv=2)
    cloned = clone(search).fit(X, y)
    for params in cloned.cv_results_["params"]:
        assert ("clf__gamma" in params) == isinstance(params["clf"], SVC)
    outer = GridSearchCV(search, {"population_size": [3, 4]}, cv=2).fit(X, y)
    assert outer.best_params_["population_size"] in (3, 4)


def test_bayes_models_the_ranks_of_a_conditional_space_only():
    from sklearn_tune._bayes._optimizer import _normal_scores

    search = bayes().fit(X)
    optimizer = search.optimizers_[0]
    assert optimizer._rank_targets
    # the model sees normal scores of the ranks; the results keep the scores
    y = np.asarray(optimizer.yi)
    model = optimizer.models[-1]
    mean, scale = model.y_train_mean_, model.y_train_std_
    np.testing.assert_allclose(model.y_train_ * scale + mean, _normal_scores(y))
    np.testing.assert_allclose(
        search.optimizer_results_[0].func_vals, -search.cv_results_["mean_test_score"]
    )
    plain = BayesSearchCV(
        Trainer(),
        {"lr": Real(1e-4, 1.0, prior="log-uniform")},
        n_iter=8,
        cv=KFold(2),
        optimizer_kwargs={"n_initial_points": 4},
    ).fit(X)
    assert not plain.optimizers_[0]._rank_targets
    assert list(_normal_scores(np.array([3.0, 1.0, 2.0, 1.0]))) == pytest.approx(
        [1.150349, -0.674490, 0.318639, -0.674490],
        abs=1e-6,  # ties share a rank
    )


def test_a_chained_condition_is_checked_through_its_chain():
    # clf__degree is active when clf__kernel="poly", which is active only
    # with the SVC: it is never active with the LogisticRegression, which
    # has no `degree`, so the space is valid (the README's example)
    from sklearn_tune.space import Integer, check_search_space

    lr, svc = LogisticRegression(), SVC()
    space = {
        "clf": Categorical([lr, svc]),
        "clf__kernel": Categorical(["rbf", "poly"]).when(clf=svc),
        "clf__degree": Integer(2, 4).when(clf__kernel="poly"),
    }
    check_search_space(space, Pipeline([("clf", lr)]))
    # a chain that does allow the choice lacking the parameter is refused
    space["clf__kernel"] = Categorical(["rbf", "poly"])
    with pytest.raises(ValueError, match="is active for the choice"):
        check_search_space(space, Pipeline([("clf", lr)]))


def test_the_branches_of_a_conditional_space():
    from sklearn_tune._bayes._strategy import _MAX_BRANCHES, _branches
    from sklearn_tune.space import Integer

    space = check_search_space(
        {
            "clf": Categorical(["lr", "svc"]),
            "kernel": Categorical(["rbf", "poly"]).when(clf="svc"),
            "degree": Integer(2, 5).when(kernel="poly"),
            "C": Real(1e-3, 1e3, prior="log-uniform"),
        }
    )[0].dimensions
    names = list(space)  # C, clf, degree, kernel
    branches = [
        (
            {names[i]: v for i, v in match.items()},
            {names[i]: v for i, v in fixed.items()},
            group,
        )
        for match, fixed, group in _branches(space)
    ]
    # parents by choice index; inactive knobs at their imputed value (the
    # lower bound, the first choice); C is free in every branch; the group is
    # the choice of the root, clf
    assert branches == [
        ({"clf": 0}, {"clf": 0, "kernel": 0, "degree": 2}, (0,)),
        ({"clf": 1, "kernel": 0}, {"clf": 1, "kernel": 0, "degree": 2}, (1,)),
        ({"clf": 1, "kernel": 1}, {"clf": 1, "kernel": 1}, (1,)),
    ]
    wide = {f"p{i}": Categorical(["a", "b"]) for i in range(5)}
    wide.update({f"x{i}": Real(0, 1).when(**{f"p{i}": "b"}) for i in range(5)})
    assert 2**5 > _MAX_BRANCHES
    assert _branches(check_search_space(wide)[0].dimensions) is None


class Decoy(BaseEstimator):
    """A narrow best branch ("b") whose random points look worst, a flat
    mediocre one ("c") that looks best at first (bench_conditional's)."""

    def __init__(self, branch="a", a1=0.0, b1=0.0, b2=1.0, c1=0.0):
        self.branch, self.a1, self.b1, self.b2, self.c1 = branch, a1, b1, b2, c1

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        if self.branch == "a":
            return -1.0 - (self.a1 - 0.3) ** 2
        if self.branch == "b":
            return -4 * (self.b1 - 0.7) ** 2 - 4 * (np.log10(self.b2) + 2) ** 2
        return -0.8 - abs(self.c1 - 0.5)


DECOY = {
    "branch": Categorical(["a", "b", "c"]),
    "a1": Real(0.0, 1.0).when(branch="a"),
    "b1": Real(0.0, 1.0).when(branch="b"),
    "b2": Real(1e-4, 1.0, prior="log-uniform").when(branch="b"),
    "c1": Real(0.0, 1.0).when(branch="c"),
}


def _decoy_search(**kwargs):
    return BayesSearchCV(
        Decoy(),
        DECOY,
        n_iter=30,
        cv=KFold(2),
        refit=False,
        optimizer_kwargs={"n_initial_points": 6},
        **kwargs,
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_branch_is_starved(seed):
    from sklearn_tune._strategy import BRANCH_SHARE

    search = _decoy_search(random_state=seed).fit(X)
    branches = [p["branch"] for p in search.cv_results_["params"]]
    counts = {b: branches.count(b) for b in "abc"}
    # each branch gets at least BRANCH_SHARE of an even split of the
    # candidates proposed (the floor is checked before each proposal)
    floor = int(BRANCH_SHARE * 30 / 3)
    assert min(counts.values()) >= floor, counts


def test_proposals_set_inactive_knobs_to_their_imputed_values():
    search = _decoy_search(random_state=0).fit(X)
    optimizer = search.optimizers_[0]
    names = list(check_search_space(DECOY)[0].dimensions)  # a1 b1 b2 branch c1
    imputed = {"a1": 0.0, "b1": 0.0, "b2": 1e-4, "c1": 0.0}
    active = {0: {"a1"}, 1: {"b1", "b2"}, 2: {"c1"}}
    point = dict(zip(names, optimizer.ask()))  # the next proposal
    for name, value in imputed.items():
        if name not in active[point["branch"]]:
            assert point[name] == pytest.approx(value), (point, name)


def test_a_conditional_search_does_not_depend_on_n_jobs():
    one = _decoy_search(random_state=0, n_jobs=1).fit(X).cv_results_["params"]
    two = _decoy_search(random_state=0, n_jobs=2).fit(X).cv_results_["params"]
    assert one == two


class Nested(BaseEstimator):
    """A classifier choice whose second choice has kernels (one with a degree)
    and scores better than the first."""

    def __init__(self, clf="lr", C=1.0, kernel="rbf", degree=2):
        self.clf, self.C, self.kernel, self.degree = clf, C, kernel, degree

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        value = -((np.log10(self.C) - 1) ** 2)
        if self.clf == "lr":
            return value - 1.0
        return (
            value
            + {"rbf": 0.0, "poly": 0.1 * self.degree, "sigmoid": -0.5}[self.kernel]
        )


def test_the_floor_counts_choices_of_the_root_not_nested_branches():
    from sklearn_tune._strategy import BRANCH_SHARE
    from sklearn_tune.space import Integer

    space = {
        "clf": Categorical(["lr", "svc"]),
        "C": Real(1e-3, 1e3, prior="log-uniform"),
        "kernel": Categorical(["rbf", "poly", "sigmoid"]).when(clf="svc"),
        "degree": Integer(2, 4).when(kernel="poly"),
    }
    search = BayesSearchCV(
        Nested(),
        space,
        n_iter=24,
        cv=KFold(2),
        refit=False,
        random_state=0,
        optimizer_kwargs={"n_initial_points": 4},
    ).fit(X)
    choices = [p["clf"] for p in search.cv_results_["params"]]
    # four branches (lr, svc with each kernel) but two root choices: each of
    # lr and svc gets at least BRANCH_SHARE of half the candidates
    assert choices.count("lr") >= int(BRANCH_SHARE * 24 / 2)
    assert choices.count("svc") > choices.count("lr")


class BudgetedDecoy(Decoy):
    """The decoy with a training budget that changes nothing."""

    def __init__(self, branch="a", a1=0.0, b1=0.0, b2=1.0, c1=0.0, budget=9):
        super().__init__(branch, a1, b1, b2, c1)
        self.budget = budget


MULTI_FIDELITY = {"resource": "budget", "min_resources": 1, "max_resources": 9}


def test_the_genetic_searchs_floor_offspring_are_screened_too(monkeypatch):
    """A starved choice's offspring are the best of ``_SCREEN`` children of
    its two best, by the model that screens the other offspring."""
    calls = []
    screened = _GeneticStrategy._screened

    def spy(self, offspring, n, model):
        calls.append((len(offspring), n))
        return screened(self, offspring, n, model)

    monkeypatch.setattr(_GeneticStrategy, "_screened", spy)
    GeneticSearchCV(
        Decoy(), DECOY, population_size=10, generations=4, cv=KFold(2), refit=False
    ).set_params(random_state=0).fit(X)
    floor_picks = [c for c in calls if c[1] == 1]
    assert floor_picks and all(k == _GeneticStrategy._SCREEN for k, _ in floor_picks)


@pytest.mark.parametrize(
    "seed, fidelity",
    [(0, {}), (1, {}), (2, {}), (0, MULTI_FIDELITY), (1, MULTI_FIDELITY)],
    ids=["0", "1", "2", "0-multi-fidelity", "1-multi-fidelity"],
)
def test_no_root_choice_is_starved_by_the_genetic_search(seed, fidelity):
    from sklearn_tune._strategy import BRANCH_SHARE

    search = GeneticSearchCV(
        BudgetedDecoy() if fidelity else Decoy(),
        DECOY,
        population_size=10,
        generations=5,
        cv=KFold(2),
        refit=False,
        random_state=seed,
        factor=3,
        **fidelity,
    ).fit(X)
    branch_of = {}  # each new candidate once, whatever budgets it reached
    for params in search.cv_results_["params"]:
        key = repr({k: v for k, v in params.items() if k != "budget"})
        branch_of.setdefault(key, params["branch"])
    branches = list(branch_of.values())
    counts = {b: branches.count(b) for b in "abc"}
    # each choice of the root gets about BRANCH_SHARE of an even split (a
    # re-mutated duplicate may change its branch afterwards: one or two less);
    # with multi-fidelity, parents are bred from the bracket's budget's pool
    floor = BRANCH_SHARE * len(branches) / 3
    assert min(counts.values()) >= floor - 2, counts
