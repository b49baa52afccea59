"""The data path to the device: placement, pinned batches, channels last, GPUs.

What only a GPU shows is tested by the ``gpu`` tests (skipped without CUDA);
each decision is a function tested here on the CPU with what CUDA would say.
"""

import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from skorch.callbacks import Callback  # noqa: E402

from sklearn_tune.nn import FineTuneClassifier, _device  # noqa: E402
from sklearn_tune.nn._device import (  # noqa: E402
    choose_cuda_device,
    cudnn_benchmark,
    data_placement,
    use_channels_last,
)

CUDA = torch.device("cuda")  # a device object needs no GPU
CPU = torch.device("cpu")


def needs_cuda(test):
    skip = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
    return pytest.mark.gpu(skip(test))


class BatchDevices(Callback):
    """Where each training batch is when skorch hands it over."""

    def on_train_begin(self, net, **kwargs):
        self.batches_ = []

    def on_batch_begin(self, net, batch, training, **kwargs):
        if training:
            Xb = batch[0]
            pinned = Xb.device.type == "cpu" and torch.cuda.is_available()
            self.batches_.append((Xb.device.type, pinned and Xb.is_pinned()))


class ForwardSizes(torch.nn.Module):
    """A linear model that records the size of every batch it sees."""

    def __init__(self, n_classes=2):
        super().__init__()
        self.fc = torch.nn.Linear(4, n_classes)
        self.sizes = []

    def forward(self, x):
        self.sizes.append(len(x))
        return self.fc(x)


# -- device="auto" with several GPUs --------------------------------------------


@pytest.mark.parametrize(
    ("n_gpus", "worker", "expected"),
    [
        pytest.param(1, None, "cuda", id="one GPU, main process"),
        pytest.param(1, 4242, "cuda", id="one GPU, worker"),
        pytest.param(4, None, "cuda", id="four GPUs, main process"),
        pytest.param(4, 4242, "cuda:2", id="four GPUs, worker 4242"),
        pytest.param(4, 4243, "cuda:3", id="four GPUs, worker 4243"),
        pytest.param(2, 10, "cuda:0", id="two GPUs, even worker"),
    ],
)
def test_choose_cuda_device(n_gpus, worker, expected):
    assert choose_cuda_device(n_gpus, worker) == expected


@pytest.mark.parametrize(
    ("available", "n_gpus", "in_worker", "expected"),
    [
        pytest.param(False, 0, True, "cpu", id="no CUDA"),
        pytest.param(True, 3, False, "cuda", id="main process"),
        pytest.param(True, 3, True, "cuda:1", id="worker pid 7 of 3 GPUs"),
    ],
)
def test_auto_device_per_worker_process(
    monkeypatch, available, n_gpus, in_worker, expected
):
    monkeypatch.setattr(_device, "_AUTO_DEVICE", {})
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: n_gpus)
    monkeypatch.setattr(_device.os, "getpid", lambda: 7)
    parent = object() if in_worker else None
    monkeypatch.setattr(_device.multiprocessing, "parent_process", lambda: parent)
    net = FineTuneClassifier("mlp", device="auto")
    assert net.device == expected
    assert net.get_params()["device"] == "auto"


# -- where the data wait for their batches ---------------------------------------


@pytest.mark.parametrize(
    ("option", "device", "nbytes", "free", "expected"),
    [
        pytest.param("auto", CPU, 10, None, "as is", id="cpu"),
        pytest.param(True, CPU, 10, None, "as is", id="cpu, forced"),
        pytest.param("auto", CUDA, 25, 100, "device", id="cuda, 25% of free"),
        pytest.param("auto", CUDA, 26, 100, "pinned", id="cuda, over 25%"),
        pytest.param(True, CUDA, 10**12, 100, "device", id="cuda, forced"),
        pytest.param(False, CUDA, 1, 100, "pinned", id="cuda, off"),
        pytest.param(False, torch.device("mps"), 1, 100, "as is", id="mps, off"),
        pytest.param("auto", None, 1, 100, "as is", id="device None"),
    ],
)
def test_data_placement(option, device, nbytes, free, expected):
    assert data_placement(option, device, nbytes, free) == expected


def test_data_placement_asks_cuda_for_free_memory(monkeypatch):
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (400, 1000))
    assert data_placement("auto", CUDA, 100) == "device"
    assert data_placement("auto", CUDA, 101) == "pinned"


@pytest.mark.parametrize(
    ("option", "device", "module", "expected"),
    [
        pytest.param("auto", CUDA, torch.nn.Conv2d(1, 2, 3), True, id="cuda conv"),
        pytest.param("auto", CUDA, torch.nn.Linear(2, 2), False, id="cuda linear"),
        pytest.param("auto", CPU, torch.nn.Conv2d(1, 2, 3), False, id="cpu conv"),
        pytest.param(True, CPU, torch.nn.Linear(2, 2), True, id="forced"),
        pytest.param(False, CUDA, torch.nn.Conv2d(1, 2, 3), False, id="off"),
    ],
)
def test_use_channels_last(option, device, module, expected):
    assert use_channels_last(option, device, module) is expected


def test_cudnn_benchmark_is_restored_even_on_error(monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    with pytest.raises(RuntimeError, match="boom"):
        with cudnn_benchmark(True):
            assert torch.backends.cudnn.benchmark is True
            raise RuntimeError("boom")
    assert torch.backends.cudnn.benchmark is False
    with cudnn_benchmark(False):
        assert torch.backends.cudnn.benchmark is False


def test_on_the_cpu_batches_come_from_the_arrays_memory(images, make_net):
    X, y = images
    devices = BatchDevices()
    make_net(data_on_device=True, callbacks=[("devices", devices)]).fit(X, y)
    assert devices.batches_ == [("cpu", False)] * 6


# -- channels last ----------------------------------------------------------------


_CHANNELS_LAST_ON_THE_CPU = """
import numpy as np, torch
torch.set_num_threads(1)
# oneDNN's channels-last convolution backward corrupts the heap of torch
# 2.13's CPU build on some AMD EPYC processors (SIGABRT, SIGSEGV or SIGBUS at
# random); torch's native CPU kernels do not. What is checked here is our
# memory-format handling, not oneDNN, so oneDNN is off for this process.
torch.backends.mkldnn.enabled = False
from sklearn_tune.nn import FineTuneClassifier
rng = np.random.RandomState(0)
y = np.repeat(np.arange(3), 8)
X = rng.rand(24, 1, 8, 8).astype("float32") * 0.5 + y[:, None, None, None] * 0.25
def net(last):
    return FineTuneClassifier("resnet8", module__width=4, max_epochs=2, batch_size=8,
                              device="cpu", random_state=0, channels_last=last)
last, first = net(True).fit(X, y), net(False).fit(X, y)
conv = next(m for m in last.module_.modules() if isinstance(m, torch.nn.Conv2d))
assert conv.weight.is_contiguous(memory_format=torch.channels_last)
assert last.channels_last_ and not first.channels_last_
np.testing.assert_allclose(
    last.predict_proba(X), first.predict_proba(X), rtol=1e-4, atol=1e-5
)
"""


def test_channels_last_trains_and_predicts_as_contiguous():
    # In a process of its own, so that a crash inside torch fails this test
    # instead of aborting the whole run. It never skips: a crash is a failure.
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _CHANNELS_LAST_ON_THE_CPU],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])


# -- prediction batches and host syncs ---------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, [32, 8], id="default 4 x batch_size"),
        pytest.param({"predict_batch_size": 15}, [15, 15, 10], id="given"),
        pytest.param({"predict_batch_size": -1}, [40], id="one batch"),
        pytest.param({"iterator_valid__batch_size": 20}, [20, 20], id="routed wins"),
    ],
)
def test_prediction_batch_size(params, expected):
    X = np.random.RandomState(0).randn(40, 4).astype("float32")
    net = FineTuneClassifier(
        ForwardSizes, batch_size=8, max_epochs=1, device="cpu", **params
    )
    net.fit(X, np.arange(40) % 2)
    net.module_.sizes.clear()
    net.predict(X)
    assert net.module_.sizes == expected


def test_validation_batches_use_the_prediction_batch_size():
    X = np.random.RandomState(0).randn(40, 4).astype("float32")
    net = FineTuneClassifier(
        ForwardSizes,
        batch_size=4,
        validation_fraction=0.5,
        max_epochs=1,
        device="cpu",
        random_state=0,
    )
    net.fit(X, np.arange(40) % 2)
    assert net.history[0, "batches", :, "valid_batch_size"] == [16, 4]


def test_one_host_sync_per_batch_as_in_skorch(monkeypatch, images, make_net):
    X, y = images
    calls = []
    item = torch.Tensor.item

    def counting_item(self):
        caller = sys._getframe(1).f_code.co_filename
        if "sklearn_tune" in caller:  # torch's optimizers read CPU step counts
            calls.append(caller)
        return item(self)

    net = make_net(validation_fraction=0.25, max_epochs=2)
    monkeypatch.setattr(torch.Tensor, "item", counting_item)
    net.fit(X, y)
    monkeypatch.undo()
    n_batches = sum(
        net.history[e, "train_batch_count"] + net.history[e, "valid_batch_count"]
        for e in range(2)
    )
    # the loss of each batch, as skorch records it; nothing else of ours
    assert len(calls) == n_batches


# -- on a GPU -----------------------------------------------------------------------


@needs_cuda
@pytest.mark.parametrize(
    ("option", "expected"),
    [
        pytest.param(True, ("cuda", False), id="on the device"),
        pytest.param(False, ("cpu", True), id="pinned"),
    ],
)
def test_gpu_batches_are_on_the_device_or_pinned(images, make_net, option, expected):
    X, y = images
    devices = BatchDevices()
    net = make_net(
        device="cuda", data_on_device=option, callbacks=[("devices", devices)]
    )
    net.fit(X, y)
    assert set(devices.batches_) == {expected}
    assert net.predict(X).shape == (24,)


@needs_cuda
def test_gpu_conv_net_trains_channels_last_with_cudnn_benchmark_restored(
    images, make_net
):
    X, y = images
    before = torch.backends.cudnn.benchmark
    net = make_net(device="cuda").fit(X, y)
    assert net.channels_last_
    assert torch.backends.cudnn.benchmark == before
