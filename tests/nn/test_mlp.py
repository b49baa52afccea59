"""module="mlp": a tabular network whose shape is module__* parameters."""

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from scipy import sparse  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from sklearn_tune import BayesSearchCV, GeneticSearchCV  # noqa: E402
from sklearn_tune.nn import (  # noqa: E402
    FineTuneClassifier,
    FineTuneRegressor,
    TabularMLP,
    make_mlp_space,
)
from sklearn_tune.space import Categorical, Integer  # noqa: E402


def _mlp(**kwargs):
    params = {"max_epochs": 3, "batch_size": 16, "device": "cpu", "random_state": 0}
    params.update(kwargs)
    return FineTuneClassifier("mlp", **params)


def _table(n=120, seed=0):
    """A frame-like mix: two numeric columns and a category that decides y."""
    rng = np.random.RandomState(seed)
    colour = rng.choice(["red", "green", "blue"], size=n)
    X = np.empty((n, 3), dtype=object)
    X[:, 0] = rng.randn(n) * 10 + 50
    X[:, 1] = rng.randn(n)
    X[:, 2] = colour
    y = np.where((colour == "red") | (X[:, 1].astype(float) > 1), "default", "paid")
    return X, y


def _preprocessor(sparse_output):
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), [0, 1]),
            ("category", OneHotEncoder(sparse_output=sparse_output), [2]),
        ],
        sparse_threshold=1.0 if sparse_output else 0.0,
    )


def test_mlp_is_sized_from_the_data_and_shaped_by_module_params():
    X = np.random.RandomState(0).randn(40, 7).astype("float32")
    y = np.arange(40) % 3
    net = _mlp(
        module__hidden_layers=3,
        module__units=32,
        module__shrink=0.5,
        module__dropout=0.2,
        module__batch_norm=True,
        module__activation="gelu",
    ).fit(X, y)
    module = net.module_
    assert isinstance(module, TabularMLP)
    linears = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    shapes = [(m.in_features, m.out_features) for m in linears]
    assert shapes == [(7, 32), (32, 16), (16, 8), (8, 3)]
    kinds = [type(m).__name__ for m in module.body]
    assert kinds == ["Linear", "BatchNorm1d", "GELU", "Dropout"] * 3
    assert net.n_features_in_ == 7


def test_mlp_defaults_are_two_relu_layers_without_norm_or_dropout():
    module = TabularMLP(5, 2)
    kinds = [type(m).__name__ for m in module.body]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU"]
    assert module.head.out_features == 2


@pytest.mark.parametrize("sparse_output", [False, True], ids=["dense", "sparse"])
def test_mlp_learns_inside_a_column_transformer_pipeline(sparse_output):
    X, y = _table()
    model = make_pipeline(
        _preprocessor(sparse_output), _mlp(lr=0.01, max_epochs=30, batch_size=32)
    )
    if sparse_output:
        assert sparse.issparse(model[0].fit_transform(X))
    model.fit(X, y)
    assert set(model.predict(X)) <= {"default", "paid"}
    assert model.score(X, y) > 0.85  # chance is ~0.6


def test_mlp_regressor_predicts_one_target():
    rng = np.random.RandomState(0)
    X = rng.randn(64, 4).astype("float32")
    reg = FineTuneRegressor("mlp", max_epochs=2, device="cpu", random_state=0)
    assert reg.fit(X, X[:, 0]).predict(X).shape == (64,)
    assert reg.module_.head.out_features == 1


@pytest.mark.parametrize(
    "searcher",
    [
        pytest.param(
            lambda est, space: BayesSearchCV(
                est,
                space,
                n_iter=2,
                cv=2,
                optimizer_kwargs={"n_initial_points": 2},
                random_state=0,
                error_score="raise",
            ),
            id="bayes",
        ),
        pytest.param(
            lambda est, space: GeneticSearchCV(
                est,
                space,
                population_size=2,
                generations=1,
                cv=2,
                random_state=0,
                error_score="raise",
            ),
            id="genetic",
        ),
    ],
)
def test_searchers_tune_the_mlps_shape(searcher):
    X, y = _table(80)
    model = make_pipeline(_preprocessor(False), _mlp(max_epochs=2))
    space = {
        "finetuneclassifier__module__units": Integer(4, 16),
        "finetuneclassifier__module__batch_norm": Categorical([False, True]),
    }
    search = searcher(model, space).fit(X, y)
    units = search.best_estimator_[-1].module_.body[0].out_features
    assert units == search.best_params_["finetuneclassifier__module__units"]
    assert 4 <= units <= 16


def test_make_mlp_space_names_every_knob_and_fits():
    space = make_mlp_space("clf__", optimizers=("adam", "nesterov"))
    assert [sorted(s) for s in space] == [
        sorted(
            [
                "clf__optimizer",
                "clf__lr",
                "clf__weight_decay",
                "clf__module__hidden_layers",
                "clf__module__units",
                "clf__module__dropout",
                "clf__module__batch_norm",
                "clf__batch_size",
            ]
            + extra
        )
        for extra in ([], ["clf__momentum"])
    ]
    assert make_mlp_space(batch_norm=False, dropout=None, batch_sizes=None)[
        0
    ].keys() == {
        "optimizer",
        "lr",
        "weight_decay",
        "module__hidden_layers",
        "module__units",
    }


@pytest.mark.parametrize(
    ("X", "params", "error", "message"),
    [
        pytest.param(
            np.zeros((8, 1, 4, 4), "float32"),
            {},
            ValueError,
            "X has shape (8, 1, 4, 4), but module='mlp' takes tabular data of shape "
            "(n_samples, n_features). Flatten X first",
            id="images",
        ),
        pytest.param(
            np.zeros((8, 3), "float32"),
            {"module__dropout": 1.5, "module__units": 0},
            ValueError,
            "TabularMLP: units must be an int >= 1; got 0; dropout must be in "
            "[0, 1); got 1.5. Set them with module__<name>",
            id="bad knobs",
        ),
        pytest.param(
            np.zeros((8, 3), "float32"),
            {"module__width": 4},
            TypeError,
            "module='mlp' takes module__hidden_layers, module__units, "
            "module__shrink, module__dropout, module__batch_norm, "
            "module__activation; got module__* parameters ['width']",
            id="unknown knob",
        ),
    ],
)
def test_mlp_mistakes_fail_with_the_fix(X, params, error, message):
    y = np.arange(len(X)) % 2
    with pytest.raises(error, match=re.escape(message)):
        _mlp(**params).fit(X, y)


def test_a_multi_fidelity_search_of_nets_is_fresh_and_reproducible(tmp_path):
    # A net that goes on (warm_start) keeps its optimizer state but restarts
    # its learning-rate schedule: not the net a fresh fit gives. So every rung
    # is trained from scratch, seeded by the net's own random_state: each row
    # is the CV score of its own params, whatever the global torch RNG, n_jobs
    # or a resume.
    from sklearn.base import clone
    from sklearn.model_selection import KFold, cross_val_score

    X, y = _table(40)
    model = make_pipeline(_preprocessor(False), _mlp(max_epochs=4, lr=0.05))
    space = {"finetuneclassifier__module__units": Integer(4, 16)}

    def search(**kwargs):
        return BayesSearchCV(
            model,
            space,
            n_iter=4,
            cv=KFold(2),
            resource="finetuneclassifier__max_epochs",
            factor=2,
            random_state=0,
            error_score="raise",
            optimizer_kwargs={"n_initial_points": 2},
            **kwargs,
        ).fit(X, y)

    def rows(found):
        results = found.cv_results_
        return list(zip(map(repr, results["params"]), results["split0_test_score"]))

    torch.manual_seed(0)
    one = search()
    assert one.n_resources_ == [1, 2, 4]
    for params, score in zip(
        one.cv_results_["params"], one.cv_results_["mean_test_score"]
    ):
        again = cross_val_score(clone(model).set_params(**params), X, y, cv=KFold(2))
        assert score == pytest.approx(again.mean(), abs=1e-12), params
    torch.manual_seed(123)  # the global torch RNG changes nothing
    assert rows(search()) == rows(one)
    assert rows(search(n_jobs=2)) == rows(one)
    path = tmp_path / "nets.jsonl"
    search(checkpoint=path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:3]) + "\n")
    assert rows(search(checkpoint=path)) == rows(one)
    assert len(one.best_estimator_[-1].history) == 4
