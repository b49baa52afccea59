"""Smoke test of examples/digits_svm.py: a --quick run, offline."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
METHODS = ["GridSearchCV", "RandomizedSearchCV", "BayesSearchCV", "GeneticSearchCV"]
HEADER = ["method", "best CV accuracy", "test accuracy", "candidates", "wall time"]

# Runs the script as __main__ with every network connection refused, so that
# --mnist takes its offline path and nothing is downloaded.
RUN_OFFLINE = """
import runpy, socket, sys

def refuse(*args, **kwargs):
    raise OSError("network disabled by the test")

socket.create_connection = socket.getaddrinfo = refuse
sys.argv.pop(0)  # "-c": the script's path and arguments follow
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.slow
def test_digits_svm_quick_offline_prints_every_method():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_OFFLINE,
            str(EXAMPLES / "digits_svm.py"),
            "--quick",
            "--mnist",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=EXAMPLES.parent,
    )
    assert result.returncode == 0, result.stderr
    # --mnist without a connection says so and falls back to the digits
    assert "cannot be reached" in result.stderr
    assert result.stdout.startswith("digits (500 images, 8x8)")

    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:1] == ["method"])
    for name in HEADER:
        assert name in lines[header]
    rows = {}
    for line in lines[header + 1 :]:
        method, cv_score, test_score, n_candidates, wall_time, kernel, C, gamma = (
            line.split()
        )
        rows[method] = float(cv_score), float(test_score), int(n_candidates)
        assert float(wall_time) >= 0
        assert kernel in ("linear", "poly", "rbf")
        assert 1e-3 <= float(C) <= 1e3 and 1e-4 <= float(gamma) <= 1e1
    assert sorted(rows) == sorted(METHODS)
    for method, (cv_score, test_score, n_candidates) in rows.items():
        # Even 500 small digits are easy for a tuned SVM: far above chance (0.1).
        assert 0.85 < cv_score <= 1, method
        assert 0.85 < test_score <= 1, method
        assert 1 <= n_candidates <= 6, method
