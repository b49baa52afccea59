"""Training throughput of FineTuneClassifier against a bare PyTorch training loop.

Both train the same network (same initial weights), with the same optimizer
(AdamW, lr=1e-3), batch size, data and number of epochs, on the same device:

- the bare loop is the PyTorch tutorial loop: a ``DataLoader`` over a
  ``TensorDataset`` with shuffling, ``zero_grad``, forward, cross-entropy,
  ``backward``, ``step``, and ``loss.item()`` per batch for the epoch's loss
  (``--bare-loss-read epoch``: the losses summed on the device and read once
  per epoch, as FineTuneClassifier reads them, which spares the GPU a wait
  for the host after every batch);
- ours is ``FineTuneClassifier(...).fit(X, y)``, with no validation split.

Throughput is images per second over the epochs after the first (the first
pays one-time costs: oneDNN or cuDNN set-up, allocator warm-up), the median
over ``--repeats`` runs, which alternate between the two loops so that both
see the same machine load. The target is a ratio of at least 0.9.

On a CUDA machine it runs on the GPU, with mixed precision in both loops
(bfloat16 where supported, else float16 with a GradScaler), and also in full
precision; elsewhere on the CPU. ``--device cpu`` forces the CPU.

    python benchmarks/bench_finetune.py                 # ~2 min on 2 CPU cores
    python benchmarks/bench_finetune.py --threads 1     # steadier on a busy machine
    python benchmarks/bench_finetune.py --quick         # a few seconds
    python benchmarks/bench_finetune.py --model resnet18 --image-size 64  # torchvision

It also times the per-batch overhead of training a tiny model (an MLP whose
compute is negligible) against a plain loop that batches by indexing tensors,
side by side in the same run: target at most 1.15 times the plain loop's time
per batch. ``--overhead-only`` runs just that.

Figures are printed and written to ``benchmarks/results/finetune_<device>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from sklearn_tune.nn import FineTuneClassifier, make_resnet

HERE = os.path.dirname(os.path.abspath(__file__))


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _batch_loss(loss, args):
    """A batch's loss for the epoch's sum: read now, or kept on the device."""
    return loss.item() if args.bare_loss_read == "batch" else loss.detach()


def _amp_dtype(device, precision):
    if precision == "fp32" or torch.device(device).type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def bare_loop(X, y, args, device, precision):
    """Return the duration of each epoch of the tutorial loop."""
    torch.manual_seed(args.seed)
    n_classes = int(y.max()) + 1
    model = make_resnet(args.model, n_classes, in_channels=X.shape[1]).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
        batch_size=args.batch_size,
        shuffle=True,
    )
    dtype = _amp_dtype(device, precision)
    device_type = torch.device(device).type
    scaler = torch.amp.GradScaler(device_type) if dtype == torch.float16 else None
    durations = []
    for _ in range(args.epochs):
        _sync(device)
        tic = time.perf_counter()
        model.train()
        total = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            with torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
                out = model(xb)
            loss = torch.nn.functional.cross_entropy(out.float(), yb)
            if scaler is None:
                loss.backward()
                optimizer.step()
            else:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            total += _batch_loss(loss, args) * len(xb)
        float(total)  # the epoch's loss, read on the host
        _sync(device)
        durations.append(time.perf_counter() - tic)
    return durations


def our_loop(X, y, args, device, precision):
    """Return the duration of each epoch of FineTuneClassifier.fit, and the fit's."""
    mixed = "no" if precision == "fp32" else "auto"
    net = FineTuneClassifier(
        args.model,
        optimizer="adamw",
        lr=1e-3,
        batch_size=args.batch_size,
        max_epochs=args.epochs,
        device=device,
        mixed_precision=mixed,
        random_state=args.seed,
    )
    _sync(device)
    tic = time.perf_counter()
    net.fit(X, y)
    _sync(device)
    return list(net.history[:, "dur"]), time.perf_counter() - tic


def measure(X, y, args, device, precision):
    """Run both loops ``repeats`` times, back to back; summarise the throughput.

    The ratio is the median over repeats of (ours / bare) within a repeat: the
    two runs of a pair are seconds apart, so a busy machine slows both.
    """
    bare, ours, fits, ratios = [], [], [], []
    n = len(X)
    for repeat in range(args.repeats):
        # alternate the order so that neither loop always runs on a warmer machine
        order = ("bare", "ours") if repeat % 2 == 0 else ("ours", "bare")
        pair = {}
        for which in order:
            if which == "bare":
                durations = bare_loop(X, y, args, device, precision)
            else:
                durations, fit_seconds = our_loop(X, y, args, device, precision)
                fits.append(fit_seconds)
            pair[which] = [n / d for d in durations[1:]]
        bare += pair["bare"]
        ours += pair["ours"]
        ratios.append(statistics.median(pair["ours"]) / statistics.median(pair["bare"]))
    bare_ips = statistics.median(bare)
    ours_ips = statistics.median(ours)
    return {
        "precision": precision,
        "bare_images_per_s": round(bare_ips, 1),
        "ours_images_per_s": round(ours_ips, 1),
        "ratio": round(statistics.median(ratios), 3),
        "ratios_per_repeat": [round(r, 3) for r in ratios],
        "bare_images_per_s_all": [round(v, 1) for v in bare],
        "ours_images_per_s_all": [round(v, 1) for v in ours],
        "ours_fit_seconds": [round(v, 2) for v in fits],
    }


class _TinyMLP(torch.nn.Module):
    """A model whose compute is negligible: what is timed is per-batch overhead."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.hidden = torch.nn.Linear(n_features, 16)
        self.fc = torch.nn.Linear(16, n_classes)

    def forward(self, x):
        return self.fc(torch.relu(self.hidden(x)))


def bare_indexing_loop(X, y, args):
    """Per-epoch durations of a plain loop that batches by indexing tensors."""
    torch.manual_seed(args.seed)
    model = _TinyMLP(X.shape[1], int(y.max()) + 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    durations = []
    for _ in range(args.overhead_epochs):
        tic = time.perf_counter()
        model.train()
        total = 0.0
        order = torch.randperm(len(X))
        for start in range(0, len(X), args.overhead_batch_size):
            idx = order[start : start + args.overhead_batch_size]
            xb, yb = X[idx], y[idx]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += _batch_loss(loss, args) * len(idx)
        float(total)
        durations.append(time.perf_counter() - tic)
    return durations


def our_tiny_loop(X, y, args):
    """Per-epoch durations of FineTuneClassifier.fit on the same tiny model."""
    torch.manual_seed(args.seed)
    net = FineTuneClassifier(
        _TinyMLP(X.shape[1], int(y.max()) + 1),
        optimizer="adamw",
        lr=1e-3,
        batch_size=args.overhead_batch_size,
        max_epochs=args.overhead_epochs,
        device="cpu",
        random_state=args.seed,
    )
    net.fit(X, y)
    return list(net.history[:, "dur"])


def measure_overhead(args):
    """Seconds per batch of a tiny model: ours against the plain indexing loop.

    Both run in this process, alternating, ``repeats`` times; a repeat's
    figure is the median epoch after the first. The ratio is the median of
    the per-repeat ratios (target: at most 1.15).
    """
    rng = np.random.RandomState(args.seed)
    n = args.overhead_batch_size * args.overhead_batches
    X = rng.rand(n, 32).astype(np.float32)
    y = rng.randint(0, 10, n).astype(np.int64)
    bare, ours, ratios = [], [], []
    for repeat in range(args.repeats):
        order = ("bare", "ours") if repeat % 2 == 0 else ("ours", "bare")
        pair = {}
        for which in order:
            loop = bare_indexing_loop if which == "bare" else our_tiny_loop
            durations = loop(X, y, args)
            pair[which] = statistics.median(durations[1:]) / args.overhead_batches
        bare.append(pair["bare"])
        ours.append(pair["ours"])
        ratios.append(pair["ours"] / pair["bare"])
    return {
        "batch_size": args.overhead_batch_size,
        "batches_per_epoch": args.overhead_batches,
        "epochs": args.overhead_epochs,
        "bare_us_per_batch": round(1e6 * statistics.median(bare), 1),
        "ours_us_per_batch": round(1e6 * statistics.median(ours), 1),
        "ratio": round(statistics.median(ratios), 3),
        "ratios_per_repeat": [round(r, 3) for r in ratios],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--model", default="resnet20")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--n-samples", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=None, help="3 (CPU), 5 (GPU)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a few seconds")
    parser.add_argument("--out", default=None, help="JSON file for the figures")
    parser.add_argument(
        "--overhead-only",
        action="store_true",
        help="only the per-batch overhead of a tiny model (CPU)",
    )
    parser.add_argument("--overhead-batch-size", type=int, default=32)
    parser.add_argument("--overhead-batches", type=int, default=200)
    parser.add_argument("--overhead-epochs", type=int, default=4)
    parser.add_argument(
        "--bare-loss-read",
        choices=("batch", "epoch"),
        default="batch",
        help="the bare loops read each batch's loss (the tutorial) or sum the "
        "losses on the device and read them once per epoch",
    )
    args = parser.parse_args(argv)

    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    on_cuda = torch.device(device).type == "cuda"
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        args.epochs, args.repeats = 2, 1
        args.overhead_batches, args.overhead_epochs = 20, 2
        args.n_samples = args.n_samples or 256
        args.model = "resnet8" if args.model == "resnet20" else args.model
    if args.n_samples is None:
        args.n_samples = 8192 if on_cuda else 512
    if args.repeats is None:
        args.repeats = 5 if on_cuda else 3

    rng = np.random.RandomState(args.seed)
    shape = (args.n_samples, 3, args.image_size, args.image_size)
    X = rng.rand(*shape).astype(np.float32)
    y = rng.randint(0, 10, args.n_samples).astype(np.int64)

    name = (
        torch.cuda.get_device_name(device)
        if on_cuda
        else (platform.processor() or platform.machine())
    )
    print(
        f"{args.model}, {args.image_size}x{args.image_size} images, batch "
        f"{args.batch_size}, {args.n_samples} samples, {args.epochs} epochs x "
        f"{args.repeats} repeats on {device} ({name}, "
        f"{torch.get_num_threads()} torch threads), torch {torch.__version__}"
    )
    overhead = measure_overhead(args)
    print(
        f"  tiny model, batch {overhead['batch_size']} on the CPU: plain "
        f"tensor-indexing loop {overhead['bare_us_per_batch']:.0f} us/batch   "
        f"FineTuneClassifier {overhead['ours_us_per_batch']:.0f} us/batch   "
        f"overhead ratio {overhead['ratio']:.3f} (target <= 1.15)"
    )
    results = []
    for precision in (
        ("amp", "fp32")
        if on_cuda and not args.overhead_only
        else (() if args.overhead_only else ("fp32",))
    ):
        row = measure(X, y, args, device, precision)
        results.append(row)
        print(
            f"  {precision:>4}: bare loop {row['bare_images_per_s']:>9.1f} img/s   "
            f"FineTuneClassifier {row['ours_images_per_s']:>9.1f} img/s   "
            f"ratio {row['ratio']:.3f} (target >= 0.9)"
        )
    report = {
        "benchmark": "bench_finetune",
        "device": device,
        "device_name": name,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "model": args.model,
        "image_size": args.image_size,
        "batch_size": args.batch_size,
        "n_samples": args.n_samples,
        "epochs": args.epochs,
        "repeats": args.repeats,
        "bare_loss_read": args.bare_loss_read,
        "results": results,
        "overhead": overhead,
    }
    out = args.out or os.path.join(
        HERE, "results", f"finetune_{torch.device(device).type}.json"
    )
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(report, f, indent=2)
    print(f"written to {out}")
    return report


if __name__ == "__main__":
    main()
