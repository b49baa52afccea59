"""Fixtures of the nn tests; each test module skips itself without torch/skorch."""

import numpy as np
import pytest


@pytest.fixture
def images():
    """24 tiny 1x8x8 'images' in 3 classes whose mean brightness tells them apart."""
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(3), 8)
    X = rng.rand(24, 1, 8, 8).astype("float32") * 0.5 + y[:, None, None, None] * 0.25
    return X, y


@pytest.fixture
def make_net():
    """A tiny FineTuneClassifier (resnet8 of width 4, or module=...) on the CPU,
    seeded."""
    from sklearn_tune.nn import FineTuneClassifier

    def make(**kwargs):
        params = {
            "max_epochs": 2,
            "batch_size": 8,
            "device": "cpu",
            "random_state": 0,
        }
        if kwargs.get("module", "resnet8") != "mlp":
            params["module__width"] = 4
        params.update(kwargs)
        return FineTuneClassifier(params.pop("module", "resnet8"), **params)

    return make


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tiny nets train fastest on one thread, and steadily on a busy machine."""
    import torch

    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)
