"""Data edge cases: a batch of one, Datasets, read-only arrays, divergence, pandas."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from torch.utils.data import TensorDataset  # noqa: E402

from sklearn_tune import BayesSearchCV  # noqa: E402
from sklearn_tune.nn import FineTuneClassifier, FineTuneRegressor  # noqa: E402
from sklearn_tune.space import Categorical  # noqa: E402


def _mlp_with_batchnorm():
    return torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(64, 16),
        torch.nn.BatchNorm1d(16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 3),
    )


def test_a_last_batch_of_one_sample_is_dropped_in_training(images):
    X, y = images
    X, y = np.concatenate([X, X[:1]]), np.concatenate([y, y[:1]])  # 25 = 3 * 8 + 1
    net = FineTuneClassifier(
        _mlp_with_batchnorm(), batch_size=8, max_epochs=2, device="cpu"
    ).fit(X, y)
    assert net.history[-1, "batches", :, "train_batch_size"] == [8, 8, 8]
    assert net.predict(X).shape == (25,)  # prediction keeps every sample
    net = FineTuneClassifier(
        _mlp_with_batchnorm(), batch_size=12, max_epochs=1, device="cpu"
    ).fit(X[:24], y[:24])
    assert net.history[-1, "batches", :, "train_batch_size"] == [12, 12]


def test_a_dataset_gets_the_checks_of_arrays(images, make_net):
    X, y = images
    grayscale = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    net = make_net(classes=[0, 1, 2]).fit(grayscale, None)
    assert net.in_channels_ == 1  # the net was built for the Dataset's images
    assert net.module_.stem[0].in_channels == 1
    flat = TensorDataset(torch.from_numpy(X.reshape(24, 64)), torch.from_numpy(y))
    with pytest.raises(ValueError, match=re.escape("X has shape (2, 64)")):
        make_net(classes=[0, 1, 2]).fit(flat, None)
    labels = TensorDataset(torch.from_numpy(X), torch.from_numpy(y + 5))
    with pytest.raises(ValueError, match="whose first targets are \\[5, 5\\]"):
        make_net(classes=[0, 1, 2]).fit(labels, None)
    channels_last = TensorDataset(
        torch.from_numpy(X.transpose(0, 2, 3, 1).copy()), torch.from_numpy(y)
    )
    with pytest.raises(ValueError, match="channels last.*Transpose them"):
        make_net(classes=[0, 1, 2]).fit(channels_last, None)
    rgb = TensorDataset(torch.from_numpy(np.repeat(X, 3, axis=1)), torch.from_numpy(y))
    gray_net = make_net(classes=[0, 1, 2], module__in_channels=1)
    with pytest.raises(ValueError, match="cannot process X of shape \\(2, 3, 8, 8\\)"):
        gray_net.fit(rgb, None)


def test_a_read_only_array_is_copied_quietly(images, make_net):
    X, y = images
    X, y = X.astype(np.float32), y.copy()  # float32: used as it is, no copy
    X.setflags(write=False)
    y.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = make_net(max_epochs=1).fit(X, y)
        assert net.predict(X).shape == (24,)
    assert not X.flags.writeable  # the caller's array is left as it was


class PoisonedLoss(torch.nn.CrossEntropyLoss):
    """Cross-entropy that turns NaN from its ``poison``-th call on (0: never)."""

    def __init__(self, poison=0, **kwargs):
        super().__init__(**kwargs)
        self.poison = poison
        self.n_calls = 0

    def forward(self, input, target):
        self.n_calls += 1
        loss = super().forward(input, target)
        poisoned = self.poison and self.n_calls >= self.poison
        return loss * float("nan") if poisoned else loss


@pytest.mark.parametrize(
    ("batches_per_read", "n_steps"),
    [
        pytest.param(50, 6, id="read at the end of the epoch"),
        pytest.param(2, 4, id="read every 2 batches"),
        pytest.param(1, 3, id="read every batch"),
    ],
)
def test_a_diverging_fit_stops_at_the_next_read_of_the_losses(
    monkeypatch, images, make_net, batches_per_read, n_steps
):
    # the losses stay on the device until they are read together: a NaN stops
    # the fit there, naming the first batch whose loss was not finite
    X, y = images
    monkeypatch.setattr(FineTuneClassifier, "_batches_per_loss_read", batches_per_read)
    net = make_net(
        criterion=PoisonedLoss, criterion__poison=3, max_epochs=5, batch_size=4
    )
    with pytest.raises(
        FloatingPointError,
        match=re.escape("the training loss is nan in epoch 1, batch 3"),
    ):
        net.fit(X, y)
    assert net.criterion_.n_calls == n_steps  # of the 6 batches of an epoch
    assert len(net.history) == 1
    assert "train_loss" not in net.history[-1]  # no epoch loss recorded


@pytest.mark.filterwarnings("ignore:One or more of the test scores:UserWarning")
@pytest.mark.filterwarnings("ignore:The objective has been evaluated:UserWarning")
def test_search_scores_a_diverging_candidate_as_error_score(images, make_net):
    X, y = images
    search = BayesSearchCV(
        make_net(criterion=PoisonedLoss, max_epochs=1),
        {"criterion__poison": Categorical([0, 1])},
        n_iter=3,
        cv=2,
        random_state=0,
        optimizer_kwargs={"n_initial_points": 2},
        error_score=np.nan,
    )
    with pytest.warns(Warning, match="the fit diverged"):
        search.fit(X, y)
    scores = dict(
        zip(
            search.cv_results_["param_criterion__poison"],
            search.cv_results_["mean_test_score"],
        )
    )
    assert np.isnan(scores[1]) and np.isfinite(scores[0])
    assert search.best_params_ == {"criterion__poison": 0}


@pytest.mark.parametrize(
    ("iterator_params", "expected"),
    [
        pytest.param({}, "_TensorBatches", id="plain: batches by indexing"),
        pytest.param(
            {"iterator_train__num_workers": 0}, "DataLoader", id="loader settings"
        ),
        pytest.param(
            {"iterator_train__collate_fn": torch.utils.data.default_collate},
            "DataLoader",
            id="own collate: skorch's loader",
        ),
    ],
)
def test_batches_are_the_same_whichever_iterator(
    images, make_net, iterator_params, expected
):
    X, y = images
    net = make_net(max_epochs=1, batch_size=5, **iterator_params).fit(X, y)
    dataset = net.get_dataset(torch.from_numpy(X).float(), torch.from_numpy(y))
    iterator = net.get_iterator(dataset, training=True)  # as fit makes it
    assert type(iterator).__name__ == expected
    batches = list(iterator)
    assert [len(xb) for xb, _ in batches] == [5, 5, 5, 5, 4]
    seen = torch.cat([yb for _, yb in batches])
    assert sorted(seen.tolist()) == sorted(y.tolist())  # every sample once
    assert net.history[-1, "batches", :, "train_batch_size"] == [5, 5, 5, 5, 4]


# -- pandas -----------------------------------------------------------------------


def _frame(n=24, seed=0):
    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {
            "x": rng.randn(n),
            "flag": rng.rand(n) > 0.5,
            "count": pd.array(rng.randint(0, 5, n), dtype="Int64"),
            "yes": pd.array(rng.rand(n) > 0.5, dtype="boolean"),
            "small": rng.randn(n).astype("float32"),
        }
    )


def _tabular_net(cls=FineTuneClassifier):
    return cls("mlp", max_epochs=2, batch_size=8, device="cpu", random_state=0)


def test_a_dataframe_of_bool_and_nullable_numbers_is_taken_as_floats():
    X = _frame()
    y = np.repeat([0, 1, 2], 8)
    net = _tabular_net().fit(X, y)
    floats = X.to_numpy(dtype="float32")
    same = _tabular_net().fit(floats, y)
    np.testing.assert_array_equal(net.predict_proba(X), same.predict_proba(floats))
    assert net.n_features_in_ == 5
    target = pd.Series(pd.array(np.arange(24), dtype="Int64"))
    reg = _tabular_net(FineTuneRegressor).fit(X, target)
    assert reg.predict(X).shape == (24,)


def test_a_missing_value_of_a_nullable_column_is_reported():
    X = _frame()
    X.loc[3, "count"] = pd.NA
    with pytest.raises(ValueError, match="X contains NaN or infinity. Impute"):
        _tabular_net().fit(X, np.repeat([0, 1, 2], 8))


@pytest.mark.parametrize(
    ("column", "described"),
    [
        pytest.param(
            pd.Categorical(["a", "b"] * 12), "'city' (category)", id="category"
        ),
        pytest.param(np.array(["a", "b"] * 12, dtype=object), "'city' (", id="object"),
        pytest.param(
            pd.array(["a", "b"] * 12, dtype="string"), "'city' (string", id="string"
        ),
    ],
)
def test_a_column_of_categories_or_strings_must_be_encoded(column, described):
    X = _frame().assign(city=column)
    message = f"X has 1 column(s) that are not numbers: {described}"
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        _tabular_net().fit(X, np.repeat([0, 1, 2], 8))
    assert "(OneHotEncoder(handle_unknown='ignore'), ['city'])" in str(error.value)
    assert "OrdinalEncoder" in str(error.value)
