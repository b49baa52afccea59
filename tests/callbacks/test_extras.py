"""A missing optional dependency names the extra that installs it."""

import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_tune import GeneticSearchCV
from sklearn_tune._extras import import_extra
from sklearn_tune.callbacks import MLflowLogger, TensorBoardLogger
from sklearn_tune.space import Real


def test_import_extra_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import raises
    with pytest.raises(ImportError, match=r'pip install "sklearn-tune\[mlflow\]"'):
        import_extra("mlflow", "mlflow", "MLflowLogger")


def test_import_extra_returns_the_module():
    assert import_extra("json", "none", "test") is sys.modules["json"]


@pytest.mark.parametrize(
    ("logger", "module", "extra"),
    [
        (lambda tmp: MLflowLogger(tracking_uri=tmp.as_uri()), "mlflow", "mlflow"),
        (lambda tmp: TensorBoardLogger(log_dir=tmp), "tensorboardX", "tensorboard"),
    ],
    ids=["mlflow", "tensorboard"],
)
def test_a_logger_without_its_extra_fails_before_any_fit(
    monkeypatch, tmp_path, logger, module, extra
):
    monkeypatch.setitem(sys.modules, module, None)
    fits = []

    class Counted(LogisticRegression):
        def fit(self, X, y):
            fits.append(1)
            return super().fit(X, y)

    X, y = np.random.RandomState(0).randn(30, 2), np.arange(30) % 2
    search = GeneticSearchCV(
        Counted(), {"C": Real(0.1, 1.0)}, population_size=2, generations=1, cv=2
    )
    with pytest.raises(ImportError, match=rf"sklearn-tune\[{extra}\]") as info:
        search.fit(X, y, callback=[logger(tmp_path)])
    assert isinstance(info.value.__cause__, ImportError)
    assert fits == []


@pytest.mark.parametrize("blocked", ["skorch", "tensorboardX"])
def test_tensorboard_epoch_logger_names_the_missing_extra(monkeypatch, blocked):
    import importlib.util

    import sklearn_tune.callbacks as callbacks

    # skorch is checked first: without it (the oldest-dependencies CI), the
    # message names the nn extra whatever else is missing
    has_skorch = importlib.util.find_spec("skorch") is not None
    extra = "tensorboard" if blocked == "tensorboardX" and has_skorch else "nn"
    monkeypatch.setitem(sys.modules, blocked, None)
    monkeypatch.delitem(
        sys.modules, "sklearn_tune.callbacks._tensorboard_epochs", raising=False
    )
    with pytest.raises(ImportError, match=rf"sklearn-tune\[{extra}\]"):
        callbacks.TensorBoardEpochLogger  # noqa: B018
