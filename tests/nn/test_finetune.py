"""FineTuneClassifier / FineTuneRegressor: the scikit-learn contract and training."""

import gc
import inspect
import pickle
import re
import subprocess
import sys
import weakref

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn.base import clone  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402

import sklearn_tune  # noqa: E402
from sklearn_tune import BayesSearchCV  # noqa: E402
from sklearn_tune.nn import (  # noqa: E402
    FineTuneClassifier,
    FineTuneRegressor,
    GPUOutOfMemoryError,
    make_finetune_space,
)
from sklearn_tune.space import Categorical, Real  # noqa: E402


def needs_cuda(test):
    skip = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
    return pytest.mark.gpu(skip(test))


class Recorder(Callback):
    """Keep the module's weights at the end of every epoch."""

    def on_train_begin(self, net, **kwargs):
        self.states_ = []

    def on_epoch_end(self, net, **kwargs):
        state = {k: v.clone() for k, v in net.module_.state_dict().items()}
        self.states_.append(state)


class TwoOutputs(torch.nn.Module):
    """A network whose output is not its last Linear layer: 2 outputs only."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(64, 8)

    def forward(self, x):
        return self.fc(torch.flatten(x, 1))[:, :2]


def _to_images(X):
    return X.reshape(-1, 1, 8, 8)


# -- the scikit-learn contract ------------------------------------------------


def test_importing_sklearn_tune_does_not_import_torch():
    code = "import sys, sklearn_tune; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_clone_get_params_set_params_round_trip(make_net):
    net = make_net(
        optimizer="nesterov", lr=0.03, n_trainable_stages=2, optimizer__dampening=0
    )
    params = net.get_params(deep=False)
    assert params["device"] == "cpu"
    assert params["optimizer"] == "nesterov"
    assert params["optimizer__dampening"] == 0
    twin = clone(net)
    assert twin.get_params(deep=False).keys() == params.keys()
    for key, value in twin.get_params(deep=False).items():
        assert value is params[key] or value == params[key], key
    twin.set_params(lr=0.5, warmup_epochs=3, callbacks__print_log=None)
    assert (twin.lr, twin.warmup_epochs, net.lr) == (0.5, 3, 0.03)
    flat = {"momentum", "beta1", "beta2", "eps", "weight_decay", "lr_schedule"}
    assert flat <= set(params)


def test_device_auto_stays_auto(images):
    X, y = images
    net = FineTuneClassifier("resnet8", module__width=4, max_epochs=1)
    assert net.get_params()["device"] == "auto"
    assert net.device == ("cuda" if torch.cuda.is_available() else "cpu")
    net.fit(X, y)
    assert clone(net).get_params()["device"] == "auto"
    assert pickle.loads(pickle.dumps(net)).get_params()["device"] == "auto"


def test_pickle_a_fitted_net(images, make_net):
    X, y = images
    net = make_net(n_trainable_stages=1, warmup_epochs=1).fit(X, y)
    loaded = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert loaded.freeze_plan_ == net.freeze_plan_
    loaded.partial_fit(X, y)  # still trainable


def test_labels_of_any_kind(images, make_net):
    X, y = images
    labels = np.array(["cat", "dog", "eel"])[y]
    net = make_net(max_epochs=1).fit(X, labels)
    assert list(net.classes_) == ["cat", "dog", "eel"]
    assert set(net.predict(X)) <= set(labels)
    assert net.predict_proba(X).shape == (24, 3)
    assert 0 <= net.score(X, labels) <= 1


def test_reproducible_on_cpu_and_leaves_torch_rng_alone(images, make_net):
    X, y = images
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    a = make_net(validation_fraction=0.25, patience=5).fit(X, y)
    assert torch.equal(torch.rand(1), expected)
    b = make_net(validation_fraction=0.25, patience=5).fit(X, y)
    for (name, p), q in zip(
        a.module_.state_dict().items(), b.module_.state_dict().values()
    ):
        assert torch.equal(p, q), name


def test_regressor(images):
    X, _ = images
    target = X.mean(axis=(1, 2, 3))
    reg = FineTuneRegressor(
        "resnet8", module__width=4, max_epochs=2, device="cpu", random_state=0
    )
    reg.fit(X, target)
    assert reg.n_outputs_ == 1
    assert reg.predict(X).shape == (24,)
    reg.fit(X, np.c_[target, -target])
    assert reg.predict(X).shape == (24, 2)
    assert np.isfinite(reg.score(X, np.c_[target, -target]))


def test_any_module_gets_a_head_for_the_task(images):
    X, y = images
    mlp = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(64, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 10),
    )
    net = FineTuneClassifier(mlp, max_epochs=1, device="cpu", n_trainable_stages=0)
    net.fit(X, y)
    assert net.module_[3].out_features == 3
    assert mlp[3].out_features == 10  # the module passed in is not modified
    assert net.freeze_plan_.frozen == ["1.weight", "1.bias"]


# -- training -------------------------------------------------------------------


def test_validation_split_is_explicit(images, make_net, capsys):
    X, y = images
    net = make_net(max_epochs=1).fit(X, y)
    assert net.history[-1, "train_batch_count"] == 3  # all 24 samples train
    assert "valid_loss" not in net.history[-1]
    net = make_net(max_epochs=1, validation_fraction=0.25, verbose=1).fit(X, y)
    assert sum(net.history[-1, "batches", :, "valid_batch_size"]) == 6
    assert "holding out validation_fraction=0.25" in capsys.readouterr().out


def test_early_stopping_restores_the_best_weights(images, make_net):
    X, y = images
    rng = np.random.RandomState(1)
    y_noise = rng.permutation(y)  # labels the net can only overfit
    recorder = Recorder()
    net = make_net(
        lr=0.3,
        optimizer="sgd",
        max_epochs=30,
        validation_fraction=0.5,
        patience=2,
        callbacks=[recorder],
    )
    net.fit(X, y_noise)
    losses = net.history[:, "valid_loss"]
    assert len(losses) < 30  # it stopped early
    best = int(np.argmin(losses))
    assert best < len(losses) - 1
    for name, value in net.module_.state_dict().items():
        assert torch.equal(value, recorder.states_[best][name]), name


def test_checkpoint_dir_reloads_the_best_weights_and_cleans_up(
    images, make_net, tmp_path, capsys
):
    X, y = images
    recorder = Recorder()
    net = make_net(
        lr=0.3,
        optimizer="sgd",
        max_epochs=6,
        validation_fraction=0.5,
        checkpoint_dir=tmp_path,
        callbacks=[recorder],
        verbose=1,
    )
    net.fit(X, y)
    assert list(tmp_path.iterdir()) == []  # the fit ended: nothing is needed
    out = capsys.readouterr().out
    assert re.search(r"checkpoint_dir: keeping [\d.]+ kB for this fit", out)
    best = int(np.argmin(net.history[:, "valid_loss"]))
    for name, value in net.module_.state_dict().items():
        assert torch.equal(value, recorder.states_[best][name]), name
    assert net.get_params()["device"] == "cpu"


class Crash(Callback):
    """Stop the process (as a power cut would) when epoch ``at`` begins."""

    def __init__(self, at=None):
        self.at = at

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.at:
            raise RuntimeError("power cut")


def test_checkpoint_dir_resumes_a_stopped_fit(images, make_net, tmp_path):
    X, y = images
    params = {
        "optimizer": "adam",
        "lr": 0.01,
        "lr_schedule": "cosine",
        "warmup_epochs": 1,
        "max_epochs": 6,
        "checkpoint_dir": tmp_path,
        "n_trainable_stages": 1,
    }
    reference = make_net(**params).fit(X, y)
    with pytest.raises(RuntimeError, match="power cut"):
        make_net(**params, callbacks=[("crash", Crash(at=4))]).fit(X, y)
    kept = sorted(p.name[-8:] for p in tmp_path.iterdir())
    assert kept == ["-best.pt", "state.pt"]  # what resuming needs, no more
    (state_file,) = tmp_path.glob("fit-*-state.pt")
    net = make_net(**params).resume(state_file, X, y)
    assert len(net.history) == 6
    assert net.history[:, "event_lr"] == pytest.approx(reference.history[:, "event_lr"])
    steps = {float(s["step"]) for s in net.optimizer_.state.values()}
    assert steps == {6 * 3.0}  # the optimizer went on from its saved state
    frozen = dict(net.module_.named_parameters())
    assert not any(frozen[n].requires_grad for n in net.freeze_plan_.frozen)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="does not fit this net"):
        make_net(**{**params, "module": "resnet14"}).resume(
            _state_file_of(make_net, params, X, y, tmp_path), X, y
        )


class GradScale(Callback):
    """The float16 scale when training begins; set to ``set_to`` at ``epoch``."""

    def __init__(self, set_to=None, epoch=None):
        self.set_to = set_to
        self.epoch = epoch

    def on_train_begin(self, net, **kwargs):
        scaler = net.grad_scaler_
        self.at_begin_ = None if scaler is None else scaler.get_scale()

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            net.grad_scaler_.update(new_scale=self.set_to)


def test_float16_scale_goes_on_with_the_fit(images, make_net):
    X, y = images
    scale = GradScale()
    net = make_net(mixed_precision="fp16", callbacks=[("scale", scale)]).fit(X, y)
    assert scale.at_begin_ == 65536.0  # torch's initial scale
    net.grad_scaler_.update(new_scale=1024.0)  # as after overflows
    net.partial_fit(X, y)
    assert scale.at_begin_ == 1024.0
    net.set_params(warm_start=True).fit(X, y)
    assert scale.at_begin_ <= 1024.0
    net.set_params(warm_start=False).fit(X, y)
    assert scale.at_begin_ == 65536.0  # a new fit, a new scale
    loaded = pickle.loads(pickle.dumps(net))
    assert loaded.grad_scaler_.get_scale() == net.grad_scaler_.get_scale()
    net.set_params(mixed_precision="bf16").partial_fit(X, y)
    assert scale.at_begin_ is None and net.grad_scaler_ is None


def test_a_resumed_float16_fit_goes_on_with_its_scale(images, make_net, tmp_path):
    X, y = images
    params = {"max_epochs": 4, "checkpoint_dir": tmp_path, "mixed_precision": "fp16"}
    lowered = GradScale(set_to=1024.0, epoch=2)
    with pytest.raises(RuntimeError, match="power cut"):
        make_net(**params, callbacks=[("scale", lowered), Crash(at=3)]).fit(X, y)
    (state_file,) = tmp_path.glob("fit-*-state.pt")
    saved = torch.load(state_file, weights_only=True)["grad_scaler"]
    assert saved["scale"] <= 1024.0
    scale = GradScale()
    net = make_net(**params, callbacks=[("scale", scale)]).resume(state_file, X, y)
    assert scale.at_begin_ == saved["scale"]
    assert len(net.history) == 4


def _state_file_of(make_net, params, X, y, folder):
    with pytest.raises(RuntimeError):
        make_net(**params, callbacks=[("crash", Crash(at=2))]).fit(X, y)
    (state_file,) = folder.glob("fit-*-state.pt")
    return state_file


def test_gradient_clipping(images, make_net):
    X, y = images

    class GradNorm(Callback):
        def on_grad_computed(self, net, named_parameters, **kwargs):
            grads = [p.grad.norm() for _, p in named_parameters if p.grad is not None]
            self.norm_ = float(torch.stack(grads).norm())

    probe = GradNorm()
    # the probe runs after the built-in gradient_clipping callback
    make_net(grad_clip_norm=1e-3, lr=0.1, callbacks=[probe]).fit(X, y)
    assert probe.norm_ <= 1e-3 * 1.01


def test_ctrl_c_is_not_swallowed(images, make_net):
    X, y = images

    class Interrupt(Callback):
        def on_epoch_end(self, net, **kwargs):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        make_net(callbacks=[Interrupt()]).fit(X, y)


def test_ctrl_c_in_an_epoch_keeps_the_losses_of_the_batches_done(images, make_net):
    X, y = images

    class InterruptAtBatch2(Callback):
        def on_batch_end(self, net, training, **kwargs):
            if len(net.history[-1, "batches"]) == 2:
                raise KeyboardInterrupt

    net = make_net(callbacks=[InterruptAtBatch2()])
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, y)
    losses = net.history[-1, "batches", :, "train_loss"]
    assert len(losses) == 2 and all(isinstance(loss, float) for loss in losses)


@pytest.mark.parametrize("mode", ["bf16", "fp16"])
def test_mixed_precision_runs_on_cpu(images, make_net, mode):
    X, y = images
    net = make_net(mixed_precision=mode, grad_clip_norm=1.0).fit(X, y)
    assert np.isfinite(net.history[-1, "train_loss"])
    assert net.predict_proba(X).dtype == np.float32


class LinearSubclass(torch.nn.Linear):
    """A head torch would autocast, which the regressor leaves as it is."""


def _bf16_regressor(monkeypatch, mode, **params):
    """A regressor whose mode autocasts to bfloat16 on the CPU ('auto' as on an
    Ampere GPU)."""
    from sklearn_tune.nn import _device

    decide = _device._autocast_dtype
    monkeypatch.setattr(
        _device,
        "_autocast_dtype",
        lambda m, d: torch.bfloat16 if m == "auto" else decide(m, d),
    )
    params = {
        "max_epochs": 2,
        "batch_size": 8,
        "device": "cpu",
        "random_state": 0,
        **params,
    }
    return FineTuneRegressor(
        params.pop("module", "mlp"), mixed_precision=mode, **params
    )


@pytest.mark.parametrize("mode", ["auto", "bf16"])
@pytest.mark.parametrize("module", ["mlp", "resnet8"])
def test_mixed_precision_never_rounds_a_regressors_outputs(monkeypatch, mode, module):
    rng = np.random.RandomState(0)
    X = rng.randn(32, 4).astype("float32")
    if module == "resnet8":
        X = rng.rand(32, 1, 8, 8).astype("float32")
    y = 1000 + 10 * X.reshape(32, -1)[:, :4] @ np.array([3.0, -2.0, 1.0, 0.5])
    net = _bf16_regressor(monkeypatch, mode, module=module).fit(X, y)
    assert net._amp_dtype() == torch.bfloat16  # the body is autocast
    y_pred = net.predict(X)
    # bfloat16 has steps of 4 to 8 around 1000: float32 outputs are off them
    rounded = torch.from_numpy(y_pred).bfloat16().float().numpy()
    assert np.mean(rounded == y_pred) < 0.2
    assert pickle.loads(pickle.dumps(net)).predict(X) == pytest.approx(y_pred)


def test_mixed_precision_auto_does_not_autocast_a_regressor_it_would_round(
    monkeypatch,
):
    head = torch.nn.Sequential(torch.nn.Linear(4, 8), LinearSubclass(8, 1))
    net = _bf16_regressor(monkeypatch, "auto", module=head)
    net.fit(np.random.RandomState(0).randn(16, 4).astype("float32"), np.arange(16.0))
    assert net._amp_dtype() is None
    assert (
        _bf16_regressor(monkeypatch, "auto", module="mlp")
        .fit(np.ones((16, 4), "float32"), np.arange(16.0))
        ._amp_dtype()
        == torch.bfloat16
    )


def test_a_classifier_is_autocast_as_asked(images, make_net, monkeypatch):
    from sklearn_tune.nn import _device

    monkeypatch.setattr(_device, "_autocast_dtype", lambda m, d: torch.bfloat16)
    net = make_net(max_epochs=1).fit(*images)
    assert net._amp_dtype() == torch.bfloat16
    assert type(net.module_.fc) is torch.nn.Linear


# -- bad input fails before any training ----------------------------------------


@pytest.fixture
def no_training(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(FineTuneClassifier, "train_step", fail)


def test_parameter_constraints_cover_every_parameter():
    for cls in (FineTuneClassifier, FineTuneRegressor):
        own = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}
        assert set(cls._parameter_constraints) == own, cls.__name__


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param(
            {"optimizer": "adamx"},
            "The 'optimizer' parameter of FineTuneClassifier must be a str among",
            id="unknown optimizer",
        ),
        pytest.param(
            {"optimizer": "adamx"},
            "Got 'adamx' instead. Did you mean 'adam'?",
            id="adamx",
        ),
        pytest.param(
            {"lr_schedule": "cosin"},
            "Got 'cosin' instead. Did you mean 'cosine'?",
            id="unknown schedule",
        ),
        pytest.param(
            {"lr": -0.1},
            "The 'lr' parameter of FineTuneClassifier must be a float in the range "
            "(0.0, inf). Got -0.1 instead. Use e.g. lr=1e-3.",
            id="negative lr",
        ),
        pytest.param({"lr": float("nan")}, "Got nan instead", id="nan lr"),
        pytest.param(
            {"momentum": 1.5},
            "The 'momentum' parameter of FineTuneClassifier must be a float in the "
            "range [0.0, 1.0). Got 1.5 instead.",
            id="momentum 1.5",
        ),
        pytest.param(
            {"batch_size": 0},
            "The 'batch_size' parameter of FineTuneClassifier must be an int in the "
            "range [1, inf) or a int among {-1}. Got 0 instead. Use e.g. "
            "batch_size=64, or -1",
            id="batch_size 0",
        ),
        pytest.param(
            {"patience": 3},
            "patience=3): early stopping watches the validation loss",
            id="patience without validation",
        ),
        pytest.param(
            {"optimizer": "nesterov", "momentum": 0.0},
            "optimizer='nesterov' needs momentum > 0",
            id="nesterov without momentum",
        ),
        pytest.param(
            {"mixed_precision": "fp8"},
            "The 'mixed_precision' parameter of FineTuneClassifier must be a str among",
            id="fp8",
        ),
        pytest.param(
            {"module": "resnet19"},
            "Got 'resnet19' instead. Did you mean",
            id="resnet19",
        ),
        pytest.param(
            {"validation_fraction": 0.05},
            "validation_fraction=0.05): holds out 2 of 24 samples, "
            "fewer than the 3 classes",
            id="validation too small",
        ),
        pytest.param(
            {"optimizer": torch.nn.Linear},
            "optimizer must be a name or a torch.optim.Optimizer subclass",
            id="optimizer not an optimizer",
        ),
    ],
)
def test_bad_parameters(images, make_net, no_training, params, message):
    X, y = images
    if "validation_fraction" in params:
        params = {**params, "patience": 2}
    with pytest.raises(ValueError, match=re.escape(message)):
        make_net(**params).fit(X, y)


def test_bad_data(images, make_net, no_training):
    X, y = images
    net = make_net()
    with pytest.raises(
        ValueError,
        match=re.escape(
            "X has shape (24, 64), but module='resnet8' takes images of shape "
            "(n_samples, channels, height, width). Reshape X first, e.g. "
            "X.reshape(-1, 1, 8, 8)"
        ),
    ):
        net.fit(X.reshape(24, 64), y)
    with pytest.raises(ValueError, match="X has 24 samples but y has 20"):
        net.fit(X, y[:20])
    with pytest.raises(
        ValueError, match=re.escape("y has labels [7] outside the 3 classes [0, 1, 2]")
    ):
        make_net(classes=[0, 1, 2]).fit(X, np.where(y == 2, 7, y))
    with pytest.raises(ValueError, match=re.escape("y has shape (24, 2)")):
        net.fit(X, np.c_[y, y])
    with pytest.raises(ValueError, match="X contains NaN"):
        net.fit(np.where(X > 0.9, np.nan, X), y)
    with pytest.raises(ValueError, match="cannot process X of shape \\(24, 3, 8, 8\\)"):
        make_net(module__in_channels=1).fit(np.repeat(X, 3, axis=1), y)
    small_head = TwoOutputs()
    with pytest.raises(
        ValueError, match="returns output of shape \\(2, 2\\).*3 classes"
    ):
        FineTuneClassifier(small_head, device="cpu").fit(X, y)


# -- GPU memory -------------------------------------------------------------------


def _simulate_oom(monkeypatch, when):
    emptied = []
    original = FineTuneClassifier.train_step

    def train_step(self, batch, **fit_params):
        if when(self):
            raise torch.cuda.OutOfMemoryError(
                "CUDA out of memory. Tried to allocate 2.00 GiB"
            )
        return original(self, batch, **fit_params)

    monkeypatch.setattr(FineTuneClassifier, "train_step", train_step)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append(True))
    return emptied


def test_out_of_memory_frees_and_raises_a_scorable_error(images, make_net, monkeypatch):
    X, y = images
    emptied = _simulate_oom(monkeypatch, when=lambda net: True)
    net = make_net()
    with pytest.raises(
        GPUOutOfMemoryError,
        match="batch_size=8\\) ran out of GPU memory: CUDA out of memory",
    ):
        net.fit(X, y)
    assert emptied
    assert net.module_ is None and net.optimizer_ is None and not net.initialized_


class KeepWeakRefs(Callback):
    """Weak references to what a fit holds on the device, after each epoch."""

    def on_epoch_end(self, net, **kwargs):
        cbs = dict(net.callbacks_)
        optimizer = net.optimizer_
        state = next(iter(optimizer.state.values()))
        self.refs_ = {
            "optimizer": weakref.ref(optimizer),
            "optimizer state": weakref.ref(state["exp_avg"]),
            "scheduler": weakref.ref(cbs["lr_scheduler"].lr_scheduler_),
            "best weights": weakref.ref(
                next(iter(cbs["early_stopping"].best_model_weights_.values()))
            ),
            "module": weakref.ref(net.module_),
        }


def test_out_of_memory_releases_optimizer_scheduler_and_best_weights(
    images, make_net, monkeypatch
):
    X, y = images
    _simulate_oom(monkeypatch, when=lambda net: len(net.history) == 3)
    refs = KeepWeakRefs()
    net = make_net(
        optimizer="adam",
        max_epochs=5,
        validation_fraction=0.25,
        patience=5,
        callbacks=[refs],
    )
    with pytest.raises(GPUOutOfMemoryError):
        net.fit(X, y)
    assert len(net.history) == 3
    gc.collect()
    alive = [name for name, ref in refs.refs_.items() if ref() is not None]
    assert alive == []
    cbs = dict(net.callbacks_)
    assert cbs["lr_scheduler"].lr_scheduler_ is None
    assert cbs["early_stopping"].best_model_weights_ is None


def test_out_of_memory_while_predicting(images, make_net, monkeypatch):
    X, y = images
    net = make_net(max_epochs=1).fit(X, y)
    emptied = []

    def evaluation_step(self, batch, training=False):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory.")

    monkeypatch.setattr(FineTuneClassifier, "evaluation_step", evaluation_step)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append(True))
    with pytest.raises(GPUOutOfMemoryError, match="ran out of GPU memory"):
        net.predict(X)
    assert emptied


@pytest.mark.parametrize(
    ("predict_batch_size", "expected"),
    [
        pytest.param(
            None,
            "predict_batch_size=None) ran out of GPU memory while "
            "predicting in batches of 32",
            id="default: 4 * batch_size",
        ),
        pytest.param(
            -1,
            "predict_batch_size=-1) ran out of GPU memory while "
            "predicting in batches of all samples",
            id="one batch",
        ),
    ],
)
def test_out_of_memory_while_predicting_keeps_the_model(
    images, make_net, monkeypatch, predict_batch_size, expected
):
    X, y = images
    net = make_net(max_epochs=1, predict_batch_size=predict_batch_size).fit(X, y)
    proba = net.predict_proba(X)
    original = FineTuneClassifier.infer

    def infer(self, x, **fit_params):  # the forward pass runs out of memory
        if not self.module_.training:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate")
        return original(self, x, **fit_params)

    monkeypatch.setattr(FineTuneClassifier, "infer", infer)
    with pytest.raises(GPUOutOfMemoryError, match=re.escape(expected)) as error:
        net.predict(X)
    assert "set_params(predict_batch_size=...)" in str(error.value)
    assert net.initialized_ and net.module_ is not None
    monkeypatch.setattr(FineTuneClassifier, "infer", original)
    np.testing.assert_array_equal(net.predict_proba(X), proba)


@pytest.mark.filterwarnings("ignore:One or more of the test scores:UserWarning")
@pytest.mark.filterwarnings("ignore:The objective has been evaluated:UserWarning")
def test_search_scores_an_out_of_memory_candidate_as_error_score(
    images, make_net, monkeypatch
):
    X, y = images
    _simulate_oom(monkeypatch, when=lambda net: net.batch_size == 12)
    search = BayesSearchCV(
        make_net(max_epochs=1),
        {"batch_size": Categorical([4, 12])},
        n_iter=4,
        cv=2,
        random_state=0,
        optimizer_kwargs={"n_initial_points": 2},
        error_score=np.nan,
    )
    with pytest.warns(Warning, match="ran out of GPU memory"):
        search.fit(X, y)
    scores = dict(
        zip(
            search.cv_results_["param_batch_size"],
            search.cv_results_["mean_test_score"],
        )
    )
    assert np.isnan(scores[12]) and np.isfinite(scores[4])
    assert search.best_params_ == {"batch_size": 4}


class RunsOutOfMemory(torch.nn.Module):
    """A linear model whose forward fails with ``message`` from its
    ``fail_at``-th call (the first is the fit's check of two samples); with
    ``in_eval``, only in eval mode (predictions)."""

    def __init__(self, message="", fail_at=1, in_eval=False):
        super().__init__()
        self.fc = torch.nn.Linear(4, 2)
        self.message, self.fail_at, self.in_eval = message, fail_at, in_eval
        self.n_calls = 0

    def forward(self, x):
        self.n_calls += 1
        if self.n_calls >= self.fail_at and not (self.in_eval and self.training):
            raise RuntimeError(self.message)
        return self.fc(x)


# What CUDA, cuBLAS and cuDNN raise when an allocation fails, besides
# torch.OutOfMemoryError: plain RuntimeErrors.
_OUT_OF_MEMORY_MESSAGES = [
    pytest.param("CUDA out of memory. Tried to allocate 2.00 GiB", id="cuda"),
    pytest.param(
        "CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`",
        id="cublas handle",
    ),
    pytest.param(
        "cuDNN error: CUDNN_STATUS_NOT_ENOUGH_WORKSPACE", id="cudnn workspace"
    ),
    pytest.param("cuDNN error: CUDNN_STATUS_ALLOC_FAILED", id="cudnn alloc"),
    pytest.param(
        "CUDA error: out of memory\nCUDA kernel errors might be asynchronously "
        "reported at some other API call",
        id="cuda runtime",
    ),
]


@pytest.mark.parametrize("message", _OUT_OF_MEMORY_MESSAGES)
@pytest.mark.parametrize(
    "fail_at",
    [
        pytest.param(1, id="in the forward check"),
        pytest.param(4, id="in training"),
    ],
)
def test_every_out_of_memory_error_frees_and_raises_a_scorable_error(
    monkeypatch, message, fail_at
):
    emptied = []
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append(True))
    X, y = _table(n_features=4)
    net = FineTuneClassifier(
        RunsOutOfMemory(message, fail_at), batch_size=8, max_epochs=2, device="cpu"
    )
    first_line = message.splitlines()[0]
    with pytest.raises(GPUOutOfMemoryError, match=re.escape(first_line)):
        net.fit(X, y)
    assert emptied
    assert net.module_ is None and not net.initialized_


def test_other_runtime_errors_are_not_taken_for_out_of_memory():
    X, y = _table(n_features=4)
    net = FineTuneClassifier(
        RunsOutOfMemory("mat1 and mat2 shapes cannot be multiplied", fail_at=4),
        batch_size=8,
        device="cpu",
    )
    with pytest.raises(RuntimeError, match="mat1 and mat2") as error:
        net.fit(X, y)
    assert not isinstance(error.value, GPUOutOfMemoryError)
    assert net.module_ is not None  # nothing was dropped


@pytest.mark.parametrize("message", _OUT_OF_MEMORY_MESSAGES[1:3])
def test_out_of_memory_errors_while_predicting_keep_the_model(monkeypatch, message):
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    X, y = _table(n_features=4)
    net = FineTuneClassifier(
        RunsOutOfMemory(message, fail_at=3, in_eval=True), max_epochs=1, device="cpu"
    ).fit(X, y)
    with pytest.raises(GPUOutOfMemoryError, match="while predicting"):
        net.predict(X)
    assert net.initialized_ and net.module_ is not None


@needs_cuda
def test_trains_on_cuda_with_mixed_precision(images):
    X, y = images
    net = FineTuneClassifier("resnet8", module__width=4, max_epochs=2, random_state=0)
    net.fit(X, y)
    assert next(net.module_.parameters()).is_cuda
    assert net._amp_dtype() in (torch.bfloat16, torch.float16)
    assert net.predict(X).shape == (24,)


@needs_cuda
def test_cuda_pickle_round_trip(images):
    X, y = images
    net = FineTuneClassifier("resnet8", module__width=4, max_epochs=1).fit(X, y)
    loaded = pickle.loads(pickle.dumps(net))
    np.testing.assert_allclose(loaded.predict_proba(X), net.predict_proba(X))


# -- in a pipeline and inside both searchers ------------------------------------


def test_in_a_pipeline(images, make_net):
    X, y = images
    pipe = make_pipeline(FunctionTransformer(_to_images), make_net(max_epochs=1))
    pipe.fit(X.reshape(24, 64), y)
    assert pipe.predict(X.reshape(24, 64)).shape == (24,)
    assert clone(pipe).get_params()["finetuneclassifier__max_epochs"] == 1


def test_bayes_search_tunes_flat_names(images, make_net):
    X, y = images
    pipe = make_pipeline(FunctionTransformer(_to_images), make_net(max_epochs=1))
    space = make_finetune_space("finetuneclassifier__", module="resnet8")
    search = BayesSearchCV(
        pipe,
        [(subspace, 1) for subspace in space],
        cv=2,
        random_state=0,
        optimizer_kwargs={"n_initial_points": 1},
    )
    search.fit(X.reshape(24, 64), y)
    assert len(search.cv_results_["params"]) == len(space)
    assert set(search.best_params_) in [set(subspace) for subspace in space]
    assert search.best_estimator_.predict(X.reshape(24, 64)).shape == (24,)


def test_genetic_search_tunes_flat_names(images, make_net):
    GeneticSearchCV = getattr(sklearn_tune, "GeneticSearchCV", None)
    if GeneticSearchCV is None:
        pytest.fail("sklearn_tune.GeneticSearchCV has not landed yet")
    X, y = images
    space = {
        "optimizer": Categorical(["sgd", "adam"]),
        "lr": Real(1e-3, 1e-1, prior="log-uniform"),
        "n_trainable_stages": Categorical([0, 4]),
    }
    search = GeneticSearchCV(
        make_net(max_epochs=1),
        space,
        population_size=3,
        generations=1,
        cv=2,
        random_state=0,
    )
    search.fit(X, y)
    assert set(search.best_params_) == set(space)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


class _FakeCudaDevice:
    """Stands for torch.cuda.device: records which device was made current."""

    entered = []

    def __init__(self, device):
        self.device = torch.device(device)

    def __enter__(self):
        _FakeCudaDevice.entered.append(self.device)

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize(
    ("native_bf16", "expected"),
    [
        pytest.param({0: True, 1: True}, torch.bfloat16, id="ampere bf16"),
        pytest.param({0: True, 1: False}, torch.float16, id="emulated bf16 -> fp16"),
    ],
)
def test_mixed_precision_auto_asks_the_nets_own_gpu(
    monkeypatch, make_net, native_bf16, expected
):
    asked = []

    def is_bf16_supported(including_emulation=True):
        asked.append(including_emulation)
        current = _FakeCudaDevice.entered[-1] if _FakeCudaDevice.entered else None
        index = current.index if current is not None else 0
        return native_bf16[index] or including_emulation

    def dtype(mode, device):
        return make_net(mixed_precision=mode, device=device)._amp_dtype()

    _FakeCudaDevice.entered = []
    monkeypatch.setattr(torch.cuda, "device", _FakeCudaDevice)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", is_bf16_supported)
    assert dtype("auto", "cuda:1") == expected
    assert asked == [False]  # emulated bf16 does not count
    assert _FakeCudaDevice.entered == [torch.device("cuda:1")]
    assert dtype("auto", "cpu") is None
    assert dtype("no", "cuda:1") is None
    assert dtype("fp16", "cuda:0") == torch.float16
    assert dtype("bf16", "cpu") == torch.bfloat16
    assert len(asked) == 1


def test_a_resumed_fit_can_be_resumed_again(images, make_net, tmp_path):
    X, y = images
    params = {"max_epochs": 6, "checkpoint_dir": tmp_path, "lr_schedule": "cosine"}
    with pytest.raises(RuntimeError, match="power cut"):
        make_net(**params, callbacks=[("crash", Crash(at=2))]).fit(X, y)
    (state_file,) = tmp_path.glob("fit-*-state.pt")
    with pytest.raises(RuntimeError, match="power cut"):
        make_net(**params, callbacks=[("crash", Crash(at=4))]).resume(state_file, X, y)
    (state_file,) = tmp_path.glob("fit-*-state.pt")
    net = make_net(**params).resume(state_file, X, y)
    assert len(net.history) == 6
    assert list(tmp_path.iterdir()) == []


# -- mistakes named with their fix; resume as if never stopped --------------------


def _table(n=24, n_features=6, seed=0):
    rng = np.random.RandomState(seed)
    return rng.randn(n, n_features).astype("float32"), np.repeat([0, 1, 2], n // 3)


def test_another_number_of_features_is_named(images, make_net):
    X, y = _table()
    net = make_net(module="mlp", max_epochs=1).fit(X, y)
    message = (
        "X has 5 features, but FineTuneClassifier was fitted on 6 features "
        "(columns) and {} takes as many. Give X the columns of the training data"
    )
    with pytest.raises(ValueError, match=re.escape(message.format("predict"))):
        net.predict(X[:, :5])
    with pytest.raises(ValueError, match=re.escape(message.format("partial_fit"))):
        net.partial_fit(X[:, :5], y)
    with pytest.raises(ValueError, match="call fit \\(with warm_start=False\\)"):
        net.set_params(warm_start=True).fit(X[:, :5], y)
    assert len(net.history) == 1  # nothing trained
    with pytest.raises(ValueError, match=re.escape("X has shape (24, 6, 1), but")):
        net.predict(X[:, :, None])
    net.set_params(warm_start=False).fit(X[:, :5], y)  # a new net: new columns
    assert net.n_features_in_ == 5
    X_img, y_img = images
    net = make_net(max_epochs=1).fit(X_img, y_img)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "X holds images of 3 channel(s), but FineTuneClassifier was fitted on "
            "images of 1 channel(s) and predict takes as many."
        ),
    ):
        net.predict(np.repeat(X_img, 3, axis=1))
    assert net.predict(X_img[:, :, :6, :6]).shape == (24,)  # any image size


class TakesSampleWeight(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(6, 3)
        self.seen = []

    def forward(self, x, sample_weight=None):
        self.seen.append(sample_weight is not None)
        return self.fc(x)


@pytest.mark.parametrize(
    ("cls", "how"),
    [
        pytest.param(FineTuneClassifier, "criterion__weight=torch.tensor", id="clf"),
        pytest.param(FineTuneRegressor, "To weight samples, resample", id="reg"),
    ],
)
def test_sample_weight_is_refused_with_what_to_do(cls, how):
    X, y = _table()
    net = cls("mlp", device="cpu")
    message = (
        f"{cls.__name__}.fit got sample_weight (shape (24,)), which it does not "
        "support: skorch passes fit parameters to the module's forward, and "
        "module='mlp' takes no sample_weight."
    )
    with pytest.raises(TypeError, match=re.escape(message)) as error:
        net.fit(X, y, sample_weight=np.ones(24))
    assert how in str(error.value)
    assert not net.initialized_  # refused before anything was built
    module = TakesSampleWeight()  # a forward that takes it gets it, as in skorch
    net = FineTuneClassifier(module, max_epochs=1, device="cpu")
    net.fit(X, y, sample_weight=torch.ones(24))
    assert net.module_.seen[-1]


def test_a_class_of_one_sample_cannot_be_split_off(make_net, no_training):
    X, y = _table()
    y[0] = 7
    message = (
        "FineTuneClassifier(validation_fraction=0.5): splits the training samples "
        "stratified by class, which needs 2 samples of each class; y has a single "
        "sample of class(es) [7]. Give each class 2 samples or more"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        make_net(module="mlp", validation_fraction=0.5).fit(X, y)


def test_resume_with_another_optimizer_is_refused(make_net, tmp_path):
    X, y = _table()
    params = {"module": "mlp", "optimizer": "adam", "max_epochs": 4}
    state_file = _state_file_of(
        make_net, {**params, "checkpoint_dir": tmp_path}, X, y, tmp_path
    )
    net = make_net(**{**params, "optimizer": "sgd"})
    message = (
        f"FineTuneClassifier(optimizer='sgd').resume({str(state_file)!r}): the "
        "stopped fit trained with optimizer='adam', whose state (momentum, moment "
        "estimates) the new optimizer cannot take. Resume with optimizer='adam'"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        net.resume(state_file, X, y)
    assert not net.initialized_  # refused before anything was built


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(
            {"module": "mlp", "module__dropout": 0.3, "validation_fraction": 0.25},
            id="mlp, dropout, validation split",
        ),
        pytest.param({"transform": "flip", "optimizer": "adam"}, id="resnet8, flip"),
    ],
)
def test_resume_gives_the_fit_that_was_not_stopped(images, make_net, tmp_path, params):
    X, y = images if "module" not in params else _table()
    params = {**params, "max_epochs": 5, "lr_schedule": "cosine"}
    reference = make_net(**params, checkpoint_dir=tmp_path / "reference").fit(X, y)
    stopped = tmp_path / "stopped"
    with pytest.raises(RuntimeError, match="power cut"):
        make_net(
            **params, checkpoint_dir=stopped, callbacks=[("crash", Crash(at=3))]
        ).fit(X, y)
    (state_file,) = stopped.glob("fit-*-state.pt")
    caller = torch.get_rng_state()
    net = make_net(**params, checkpoint_dir=stopped).resume(state_file, X, y)
    assert torch.equal(torch.get_rng_state(), caller)  # the caller's is left alone
    for key in ("train_loss", "valid_loss", "event_lr"):
        if key in reference.history[0]:
            assert net.history[:, key] == reference.history[:, key], key
    expected = reference.module_.state_dict()
    for name, value in net.module_.state_dict().items():
        assert torch.equal(value, expected[name]), name
    np.testing.assert_array_equal(net.predict_proba(X), reference.predict_proba(X))


@pytest.mark.parametrize("go_on", ["partial_fit", "warm_start"])
def test_training_that_goes_on_is_seeded_by_random_state(images, make_net, go_on):
    # Shuffles, dropout and augmentation of a continued fit come from seed_
    # and the epochs already trained, never from the global torch RNG.
    X, y = images
    X = X.reshape(len(X), -1)

    def continued(global_seed):
        net = make_net(module="mlp", module__dropout=0.3, max_epochs=1).fit(X, y)
        torch.manual_seed(global_seed)
        if go_on == "partial_fit":
            net.partial_fit(X, y)
        else:
            net.set_params(warm_start=True).fit(X, y)
        return net

    one, two = continued(1), continued(2)
    losses = [h["train_loss"] for h in one.history_]
    assert losses == [h["train_loss"] for h in two.history_]
    np.testing.assert_array_equal(one.predict_proba(X), two.predict_proba(X))
    assert one.seed_ == 0  # the first fit's seed: the same validation split
