"""Ready-made search spaces: real parameters, and every knob changes the fit."""

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn_tune import BayesSearchCV  # noqa: E402
from sklearn_tune.nn import (  # noqa: E402
    OPTIMIZERS,
    CifarResNet,
    FineTuneClassifier,
    make_finetune_space,
    make_optimizer_space,
)
from sklearn_tune.space import (  # noqa: E402
    Categorical,
    Integer,
    check_search_space,
)

ALL_SCHEDULES = ("constant", "step", "exponential", "cosine")


def test_finetune_space_names_are_estimator_parameters():
    space = make_finetune_space(module="resnet18", schedules=("step", "cosine"))
    params = FineTuneClassifier("resnet18").get_params()
    for subspace in space:
        assert set(subspace) <= set(params)
    stages = {sub["n_trainable_stages"] for sub in space}
    assert stages == {Categorical([0]), Integer(1, 5)}
    schedules = {sub["lr_schedule"] for sub in space}
    assert schedules == {Categorical(["step"]), Categorical(["cosine"])}
    check_search_space(space)


@pytest.mark.parametrize(
    ("module", "n_stages"),
    [
        pytest.param("resnet8", 4, id="built-in name"),
        pytest.param("resnet50", 5, id="torchvision name"),
        pytest.param(
            torch.nn.Sequential(
                torch.nn.Flatten(), torch.nn.Linear(64, 8), torch.nn.Linear(8, 2)
            ),
            1,
            id="MLP instance",
        ),
        pytest.param(CifarResNet(8, 2, 1, width=4), 4, id="CifarResNet instance"),
        pytest.param(FineTuneClassifier("resnet20"), 4, id="estimator"),
    ],
)
def test_finetune_space_counts_the_stages_of_the_module(module, n_stages):
    space = make_finetune_space(module=module)
    highest = max(
        sub["n_trainable_stages"].categories[-1]
        if isinstance(sub["n_trainable_stages"], Categorical)
        else sub["n_trainable_stages"].high
        for sub in space
    )
    assert highest == n_stages


def test_finetune_space_needs_the_network():
    with pytest.raises(ValueError, match="give the network, module="):
        make_finetune_space()


def test_prefix_and_options():
    space = make_optimizer_space("clf__", optimizers=OPTIMIZERS, betas=True)
    knobs = {
        sub["clf__optimizer"].categories: set(sub) - {"clf__optimizer"} for sub in space
    }
    base = {"clf__lr", "clf__weight_decay"}
    assert knobs == {
        ("sgd", "adagrad"): base,
        ("momentum", "nesterov"): base | {"clf__momentum"},
        ("adam", "adamw"): base | {"clf__beta1", "clf__beta2"},
        ("rmsprop",): base | {"clf__beta2"},
    }
    (only,) = make_optimizer_space(optimizers=("adam",), weight_decay=None)
    assert set(only) == {"optimizer", "lr"}
    with pytest.raises(ValueError, match="unknown names \\['lamb'\\]"):
        make_optimizer_space(optimizers=("adam", "lamb"))


# -- every knob changes the fit ---------------------------------------------------

MAX_EPOCHS = 5


def what_the_fit_reads(params):
    """What training does with ``params``: optimizer groups, LR per epoch, frozen."""
    net = FineTuneClassifier(
        "resnet8",
        module__width=4,
        classes=[0, 1, 2],
        device="cpu",
        max_epochs=MAX_EPOCHS,
        **params,
    ).initialize()
    frozen = {id(net.module_.get_parameter(n)) for n in net.freeze_plan_.frozen}
    groups = []
    for group in net.optimizer_.param_groups:
        trained = [p for p in group["params"] if id(p) not in frozen]
        if trained:  # the settings of a frozen group are never used
            settings = {k: v for k, v in group.items() if k != "params"}
            groups.append((len(trained), sorted(settings.items())))
    factor = net._lr_factor()
    lrs = [round(factor(epoch), 12) for epoch in range(MAX_EPOCHS)]
    return repr((type(net.optimizer_).__name__, groups, lrs, net.freeze_plan_.frozen))


def _draw(subspace, rng):
    return {name: dim.from_unit(rng.rand()) for name, dim in subspace.items()}


def _other_value(dim, value, rng):
    for _ in range(100):
        other = dim.from_unit(rng.rand())
        if other != value:
            return other
    return None  # a single choice: nothing to change


@pytest.mark.parametrize("betas", [False, True])
def test_every_knob_of_every_subspace_changes_the_fit(betas):
    rng = np.random.RandomState(0)
    spaces = make_finetune_space(
        module="resnet8", max_epochs=MAX_EPOCHS, schedules=ALL_SCHEDULES
    )
    spaces += make_optimizer_space(optimizers=OPTIMIZERS, betas=betas)
    for subspace, _ in itertools.product(spaces, range(3)):
        params = _draw(subspace, rng)
        reads = what_the_fit_reads(params)
        for name, dim in subspace.items():
            other = _other_value(dim, params[name], rng)
            if other is None:
                continue
            changed = what_the_fit_reads({**params, name: other})
            assert changed != reads, f"{name}: {params[name]} -> {other} in {params}"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The objective has been evaluated:UserWarning")
def test_no_two_candidates_of_a_search_differ_only_in_ignored_knobs(images, make_net):
    X, y = images
    space = make_finetune_space(
        module="resnet8", max_epochs=MAX_EPOCHS, schedules=ALL_SCHEDULES
    )
    search = BayesSearchCV(
        make_net(max_epochs=1),  # the candidates do not depend on the training
        [(subspace, 2) for subspace in space],
        cv=2,
        random_state=0,
        optimizer_kwargs={"n_initial_points": 2},
    )
    search.fit(X, y)
    candidates = search.cv_results_["params"]
    assert len(candidates) == 2 * len(space)
    reads = [what_the_fit_reads(params) for params in candidates]
    for (a, ra), (b, rb) in itertools.combinations(zip(candidates, reads), 2):
        assert a == b or ra != rb, (a, b)
    rng = np.random.RandomState(1)
    for params, read in zip(candidates, reads):
        for name, value in params.items():
            dim = next(sub[name] for sub in space if sub.keys() == params.keys())
            other = _other_value(dim, value, rng)
            if other is not None:  # a twin differing only here would differ
                assert what_the_fit_reads({**params, name: other}) != read, name


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The objective has been evaluated:UserWarning")
@pytest.mark.parametrize("searcher", ["bayes", "genetic"])
def test_finetune_space_under_a_multi_fidelity_search_on_max_epochs(searcher):
    """Rungs of 1 epoch fit candidates whose warm-up (up to 1 epoch) is as long."""
    from sklearn_tune import GeneticSearchCV

    rng = np.random.RandomState(0)
    X = rng.randn(30, 4).astype("float32")
    y = (X[:, 0] > 0).astype(int)
    net = FineTuneClassifier(
        "mlp", max_epochs=3, batch_size=10, device="cpu", random_state=0
    )
    space = make_finetune_space(
        n_stages=1, max_epochs=3, schedules=("constant", "onecycle"), freezing=False
    )
    assert space[0]["warmup_epochs"] == Integer(0, 1)
    fidelity = {"resource": "max_epochs", "min_resources": 1, "max_resources": 3}
    if searcher == "bayes":
        search = BayesSearchCV(
            net, space, n_iter=6, optimizer_kwargs={"n_initial_points": 6}, **fidelity
        )
    else:
        search = GeneticSearchCV(
            net, space, population_size=6, generations=1, **fidelity
        )
    search.set_params(cv=2, random_state=0, error_score="raise").fit(X, y)
    results = search.cv_results_
    assert np.isfinite(results["mean_test_score"]).all()
    assert {1, 3} <= set(results["param_max_epochs"])
    short = [
        p
        for p, epochs in zip(results["params"], results["param_max_epochs"])
        if epochs == 1 and p["warmup_epochs"] == 1 and p["lr_schedule"] == "onecycle"
    ]
    assert short  # a warm-up as long as the rung's fit was fitted
