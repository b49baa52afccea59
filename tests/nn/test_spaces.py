"""Ready-made search spaces name real parameters and hold valid values."""

import pytest

pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn_tune.nn import (  # noqa: E402
    OPTIMIZERS,
    FineTuneClassifier,
    make_finetune_space,
    make_optimizer_space,
)
from sklearn_tune.space import Categorical, Integer, check_search_space  # noqa: E402


def test_finetune_space_names_are_estimator_parameters():
    space = make_finetune_space(n_stages=5, schedules=("step", "cosine"))
    params = FineTuneClassifier("resnet18").get_params()
    assert set(space) <= set(params)
    assert space["n_trainable_stages"] == Integer(0, 5)
    assert space["lr_schedule"] == Categorical(["step", "cosine"])
    check_search_space(space)


def test_prefix_and_options():
    space = make_optimizer_space("clf__", optimizers=OPTIMIZERS, betas=True)
    assert {"clf__beta1", "clf__beta2", "clf__momentum"} <= set(space)
    assert set(make_optimizer_space(optimizers=("adam",), weight_decay=None)) == {
        "optimizer",
        "lr",
    }
    with pytest.raises(ValueError, match="unknown names \\['lamb'\\]"):
        make_optimizer_space(optimizers=("adam", "lamb"))
