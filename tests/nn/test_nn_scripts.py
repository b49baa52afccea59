"""The nn examples and benchmark run (offline, on the CPU) in quick mode."""

import importlib.util
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

ROOT = Path(__file__).resolve().parents[2]


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def keep_torch_threads():
    n_threads = torch.get_num_threads()
    yield
    torch.set_num_threads(n_threads)


@pytest.mark.slow
def test_resnet_finetune_example_quick(tmp_path, capsys, keep_torch_threads):
    example = _load(ROOT / "examples" / "resnet_finetune.py")
    weights = tmp_path / "w.pt"
    rows = example.main(["--quick", "--weights", str(weights)])
    assert weights.exists()
    assert [(way, searcher) for way, searcher, *_ in rows] == [
        (way, searcher)
        for way in ("from scratch", "head only", "full fine-tune", "tuned freezing")
        for searcher in ("Bayes", "Genetic")
    ]
    for _, _, test_acc, cv_acc, n_fits, seconds, _ in rows:
        assert 0 <= test_acc <= 1 and 0 <= cv_acc <= 1
        assert n_fits >= 1 and seconds >= 0
    out = capsys.readouterr().out
    assert "test acc" in out and "tuned freezing  Genetic" in out


@pytest.mark.slow
def test_finetune_benchmark_quick(tmp_path, capsys, keep_torch_threads):
    bench = _load(ROOT / "benchmarks" / "bench_finetune.py")
    out_file = tmp_path / "bench.json"
    args = ["--quick", "--device", "cpu", "--image-size", "8", "--n-samples", "64"]
    bench.main([*args, "--out", str(out_file)])
    assert "ratio" in capsys.readouterr().out
    report = json.loads(out_file.read_text())
    assert report["device"] == "cpu"
    (row,) = report["results"]
    assert row["bare_images_per_s"] > 0 and row["ours_images_per_s"] > 0


@pytest.mark.slow
def test_tabular_dnn_example_quick(capsys, keep_torch_threads):
    example = _load(ROOT / "examples" / "tabular_dnn.py")
    rows = example.main(["--quick"])
    assert [row[0] for row in rows] == [
        "MLP, BayesSearchCV",
        "MLP, GeneticSearchCV",
        "HistGradientBoosting",
    ]
    for _, auc, acc, _, n_fits, seconds, _ in rows:
        assert 0.5 < auc <= 1 and 0 <= acc <= 1  # better than chance
        assert n_fits >= 1 and seconds >= 0
    out = capsys.readouterr().out
    assert "test AUC" in out and "layers=" in out
