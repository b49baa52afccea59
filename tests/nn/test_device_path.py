"""The data path to the device: placement, pinned batches, channels last, GPUs.

What only a GPU shows is tested by the ``gpu`` tests (skipped without CUDA);
each decision is a function tested here on the CPU with what CUDA would say.
"""

import json
import os
import sys
import types
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from skorch.callbacks import Callback, EpochScoring  # noqa: E402

from sklearn_tune.nn import FineTuneClassifier, _device  # noqa: E402
from sklearn_tune.nn._device import (  # noqa: E402
    claim_gpu,
    data_placement,
    enable_cudnn_benchmark,
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


@pytest.fixture
def gpus(monkeypatch, tmp_path):
    """Simulate a machine with CUDA: ``gpus(n, pid=..., worker=...)`` resolves
    ``device="auto"`` as process ``pid`` would, with claims kept in tmp_path and
    the processes in ``alive`` running."""
    alive = set()
    monkeypatch.setattr(_device, "_claims_path", lambda: str(tmp_path / "gpus.json"))
    monkeypatch.setattr(_device, "_is_alive", lambda pid: pid in alive)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)

    def resolve(n_gpus, pid=7, worker=True, available=True):
        monkeypatch.setattr(_device, "_AUTO_DEVICE", {})
        monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n_gpus)
        monkeypatch.setattr(_device.os, "getpid", lambda: pid)
        parent = object() if worker else None
        monkeypatch.setattr(_device.multiprocessing, "parent_process", lambda: parent)
        alive.add(pid)
        net = FineTuneClassifier("mlp", device="auto")
        assert net.get_params()["device"] == "auto"
        return net.device

    resolve.alive = alive
    return resolve


@pytest.mark.parametrize(
    ("available", "n_gpus", "worker", "expected"),
    [
        pytest.param(False, 0, True, "cpu", id="no CUDA"),
        pytest.param(True, 1, True, "cuda", id="one visible GPU, worker"),
        pytest.param(True, 3, False, "cuda", id="three GPUs, main process"),
        pytest.param(True, 3, True, "cuda:0", id="three GPUs, first worker"),
    ],
)
def test_auto_device(gpus, available, n_gpus, worker, expected):
    assert gpus(n_gpus, worker=worker, available=available) == expected


def test_auto_device_spreads_workers_by_the_order_they_ask_not_their_pid(gpus):
    # pids all even: pid % 2 would put every worker on cuda:0
    assert [gpus(2, pid=pid) for pid in (10, 12, 14, 16)] == [
        "cuda:0",
        "cuda:1",
        "cuda:0",
        "cuda:1",
    ]
    assert gpus(2, pid=12) == "cuda:1"  # a worker asks again: its own GPU
    gpus.alive.discard(12)  # the worker on cuda:1 exits; its successor takes it
    assert gpus(2, pid=18) == "cuda:1"


def test_auto_device_takes_the_gpu_a_dask_cuda_worker_was_given(gpus, monkeypatch):
    # dask-cuda lists the worker's own GPU first in CUDA_VISIBLE_DEVICES
    distributed = types.ModuleType("distributed")
    distributed.get_worker = lambda: "a worker"
    monkeypatch.setitem(sys.modules, "distributed", distributed)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3,0,1")
    assert [gpus(4, pid=pid) for pid in (10, 11)] == ["cuda", "cuda"]

    def outside_a_worker():
        raise ValueError("No worker found")

    distributed.get_worker = outside_a_worker  # distributed imported, not a worker
    assert [gpus(4, pid=pid) for pid in (12, 13)] == ["cuda:0", "cuda:1"]


def test_auto_device_without_a_file_lock_stays_on_the_current_gpu(gpus, monkeypatch):
    monkeypatch.setattr(_device, "fcntl", None)  # as on Windows
    assert gpus(2, pid=10) == gpus(2, pid=11) == "cuda"


def test_gpu_claims_go_through_no_link_and_no_other_users_file(
    gpus, tmp_path, monkeypatch
):
    claims = tmp_path / "gpus.json"
    target = tmp_path / "someone's file"
    target.write_text("keep me")
    claims.symlink_to(target)  # planted in a shared temporary folder
    assert gpus(2, pid=10) == "cuda"  # no claims: the current GPU
    assert target.read_text() == "keep me"
    claims.unlink()
    claims.write_text("{}")
    monkeypatch.setattr(_device.os, "getuid", lambda: os.stat(claims).st_uid + 1)
    assert gpus(2, pid=11) == "cuda"
    assert claims.read_text() == "{}"


def test_gpu_claims_survive_a_torn_file(tmp_path, monkeypatch):
    path = tmp_path / "gpus.json"
    path.write_text('{"10": 0, "11"')  # a crash while writing
    monkeypatch.setattr(_device, "_is_alive", lambda pid: True)
    assert claim_gpu(2, str(path)) == 0
    assert json.loads(path.read_text()) == {str(os.getpid()): 0}


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


@pytest.mark.parametrize(
    "deterministic",
    [
        pytest.param("none", id="default"),
        pytest.param("cudnn", id="cudnn.deterministic"),
        pytest.param("algorithms", id="use_deterministic_algorithms"),
    ],
)
def test_cudnn_benchmark_is_set_once_per_process_and_never_restored(
    monkeypatch, deterministic
):
    monkeypatch.setattr(_device, "_CUDNN_BENCHMARK_SET", set())
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", deterministic == "cudnn")
    monkeypatch.setattr(
        torch,
        "are_deterministic_algorithms_enabled",
        lambda: deterministic == "algorithms",
    )
    wanted = deterministic == "none"
    assert enable_cudnn_benchmark() is wanted
    assert torch.backends.cudnn.benchmark is wanted
    torch.backends.cudnn.benchmark = False  # the user turns it off
    assert enable_cudnn_benchmark() is False
    assert torch.backends.cudnn.benchmark is False


def test_a_conv_fit_on_cuda_turns_cudnn_benchmark_on_once(
    monkeypatch, images, make_net
):
    # On the CPU, as if the net computed on CUDA: a net with convolutions
    # asks once per fit; the setting is made once per process.
    from sklearn_tune.nn import _estimator

    calls = []
    monkeypatch.setattr(
        _estimator, "use_channels_last", lambda option, device, module: option == "auto"
    )
    monkeypatch.setattr(
        _estimator, "enable_cudnn_benchmark", lambda: calls.append(True)
    )
    X, y = images
    make_net(max_epochs=1, channels_last=False).fit(X, y)
    assert calls == [True]


def _record_data_moves(monkeypatch, placement):
    """Say ``placement`` for every fit's data; record decisions and moves of X."""
    from sklearn_tune.nn import _data

    events = []

    def decide(option, device, nbytes, free_bytes=None):
        events.append("placement")
        return placement

    to = torch.Tensor.to

    def move(self, *args, **kwargs):
        caller = sys._getframe(1).f_code.co_filename
        if caller == _data.__file__ and self.ndim == 4:  # the images, not a batch
            events.append("move")
        return to(self, *args, **kwargs)

    monkeypatch.setattr(_data, "data_placement", decide)
    monkeypatch.setattr(torch.Tensor, "to", move)
    return events


class TensorsOnDevice(Callback):
    """How many tensors the fit keeps on the device, after each epoch."""

    def on_epoch_end(self, net, **kwargs):
        self.counts_ = [*getattr(self, "counts_", []), len(net._placed_tensors)]


def test_data_on_the_device_are_moved_once_per_fit(monkeypatch, images, make_net):
    # "cpu:0" is another device than the CPU tensors' "cpu" for the net, so
    # the data take the path to a GPU's memory, and a prediction on the
    # training data in every epoch (a scoring callback) uses them there.
    X, y = images
    events = _record_data_moves(monkeypatch, "device")
    scoring = EpochScoring(
        "accuracy", name="train_acc", on_train=True, use_caching=False
    )
    net = make_net(device="cpu:0", max_epochs=3, callbacks=[("train_acc", scoring)])
    net.fit(X, y)
    assert events == ["placement", "move"]  # decided first; moved once
    assert len(net.history[:, "train_acc"]) == 3
    events.clear()
    net.predict(torch.from_numpy(X))
    assert events == ["placement", "move"]  # once per prediction too


def test_what_a_prediction_in_a_fit_moves_is_freed_when_it_ends(
    monkeypatch, images, make_net
):
    # skorch scores a validation split without caching on a new tensor of
    # its samples each epoch: moved for that prediction, not kept by the fit
    X, y = images
    events = _record_data_moves(monkeypatch, "device")
    kept = TensorsOnDevice()
    scoring = EpochScoring("accuracy", use_caching=False)
    net = make_net(
        device="cpu:0",
        max_epochs=3,
        validation_fraction=0.25,
        callbacks=[("valid_acc2", scoring), ("kept", kept)],
    )
    net.fit(X, y)
    assert events == ["placement", "move"] * 4  # the fit's, then one per epoch
    assert kept.counts_ == [1, 1, 1]


def test_data_left_in_host_memory_are_weighed_once_per_fit(
    monkeypatch, images, make_net
):
    X, y = images
    events = _record_data_moves(monkeypatch, "as is")
    net = make_net(device="cpu:0", max_epochs=3, validation_fraction=0.25)
    net.fit(X, y)
    # the training set and the validation set (the same tensors) are not
    # weighed again: the validation set stays where the training set is
    assert events == ["placement"]


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


# What makes the host wait for a GPU: reading a tensor's values.
_HOST_READS = ("item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__")


def _count_host_reads(monkeypatch):
    """Count the reads of tensor values made outside torch's own code.

    torch's optimizers read the step counts they keep on the CPU (no GPU
    sync); every other read, in skorch's code or ours, is counted.
    """
    torch_dir = os.path.dirname(torch.__file__)
    calls = []

    def counting(name, original):
        def read(self, *args, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            if not caller.startswith(torch_dir):
                calls.append((name, caller))
            return original(self, *args, **kwargs)

        return read

    for name in _HOST_READS:
        monkeypatch.setattr(
            torch.Tensor, name, counting(name, getattr(torch.Tensor, name))
        )
    return calls


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="default"),
        pytest.param({"transform": "flip", "normalize": (0.5, 0.2)}, id="augmented"),
        pytest.param({"accumulate_grad_batches": 2}, id="accumulated"),
    ],
)
def test_host_reads_per_epoch_do_not_grow_with_the_batches(
    monkeypatch, images, make_net, params
):
    X, y = images

    def reads(batch_size):
        net = make_net(
            validation_fraction=0.25, max_epochs=2, batch_size=batch_size, **params
        )
        calls = _count_host_reads(monkeypatch)
        net.fit(X, y)
        monkeypatch.undo()
        n_batches = net.history[0, "train_batch_count"]
        return calls, n_batches

    few, n_few = reads(batch_size=9)
    many, n_many = reads(batch_size=2)
    assert (n_few, n_many) == (2, 9)
    assert len(many) == len(few), many  # the same reads, however many batches
    ours = [name for name, caller in many if "sklearn_tune" in caller]
    assert ours == ["tolist"] * 2 * 2  # per epoch: training and validation losses
    # the history is skorch's: a loss per batch, the epoch's mean of them
    net = make_net(validation_fraction=0.25, batch_size=2, **params).fit(X, y)
    for epoch in net.history:
        losses = [b["train_loss"] for b in epoch["batches"] if "train_loss" in b]
        sizes = [b["train_batch_size"] for b in epoch["batches"] if "train_loss" in b]
        assert len(losses) == epoch["train_batch_count"] == 9
        assert epoch["train_loss"] == pytest.approx(np.average(losses, weights=sizes))
    assert isinstance(net.history[-1, "batches", -1, "valid_loss"], float)


def test_losses_are_read_every_few_batches_of_a_long_epoch(
    monkeypatch, images, make_net
):
    X, y = images
    monkeypatch.setattr(FineTuneClassifier, "_batches_per_loss_read", 4)
    seen = []

    class LossesSeen(Callback):
        def on_batch_end(self, net, training, **kwargs):
            if training:
                seen.append(sum("train_loss" in b for b in net.history[-1, "batches"]))

    make_net(max_epochs=1, batch_size=2, callbacks=[LossesSeen()]).fit(X, y)
    assert seen == [0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12]  # the 4th's own included


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
def test_gpu_conv_net_trains_channels_last_with_cudnn_benchmark_on(
    monkeypatch, images, make_net
):
    X, y = images
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    monkeypatch.setattr(_device, "_CUDNN_BENCHMARK_SET", set())
    net = make_net(device="cuda").fit(X, y)
    assert net.channels_last_
    deterministic = (
        torch.backends.cudnn.deterministic
        or torch.are_deterministic_algorithms_enabled()
    )
    assert torch.backends.cudnn.benchmark is not deterministic  # left on


@needs_cuda
def test_gpu_training_syncs_with_the_host_per_epoch_not_per_batch(images, make_net):
    # torch warns at each operation that makes the host wait for the GPU
    X, y = images

    def n_syncs(batch_size):  # 6 or 2 batches; shapes apart from the checks' 2
        net = make_net(
            device="cuda",
            data_on_device=True,
            mixed_precision="no",
            normalize=(0.5, 0.25),
            transform="flip",
            batch_size=batch_size,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            try:
                net.fit(X, y)
            finally:
                torch.cuda.set_sync_debug_mode("default")
        return [str(w.message) for w in caught if "synchroniz" in str(w.message)]

    few, many = n_syncs(12), n_syncs(4)
    assert len(many) == len(few), many
