import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MODELS = ["RandomForest", "LogisticRegression"]
METHODS = ["GridSearchCV", "RandomizedSearchCV", "BayesSearchCV", "GeneticSearchCV"]
HEADER = ["model", "method", "best CV accuracy", "test accuracy", "candidates"]

# Runs a script as __main__ with every network connection refused, so that the
# example takes its offline path and never downloads anything.
RUN_OFFLINE = """
import runpy, socket, sys

def refuse(*args, **kwargs):
    raise OSError("network disabled by the test")

socket.create_connection = socket.getaddrinfo = refuse
sys.argv.pop(0)  # "-c": the script's path and arguments follow
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_offline(script, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "-c", RUN_OFFLINE, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=EXAMPLES.parent,
    )


@pytest.mark.slow
def test_titanic_quick_prints_every_model_and_method():
    result = run_offline(EXAMPLES / "titanic.py", "--quick")
    assert result.returncode == 0, result.stderr
    assert "ships with sklearn-tune" in result.stderr  # the offline path ran

    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == HEADER[:2])
    for name in HEADER:
        assert name in lines[header]
    rows = {}
    for line in lines[header + 1 :]:
        model, method, cv_score, test_score, n_candidates, wall_time = line.split()
        rows[model, method] = float(cv_score), float(test_score), int(n_candidates)
        assert float(wall_time) >= 0
    assert sorted(rows) == sorted((m, k) for m in MODELS for k in METHODS)
    for (model, method), (cv_score, test_score, n_candidates) in rows.items():
        # Titanic is easy enough that every search beats always saying "died".
        assert 0.65 < cv_score <= 1, (model, method)
        assert 0.65 < test_score <= 1, (model, method)
        assert 1 <= n_candidates <= 4, (model, method)
