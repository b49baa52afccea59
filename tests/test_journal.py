"""The crash-safe checkpoint: records, resume, refusals, damage, and SIGKILL."""

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kill_resume_worker import SPACE, SlowQuadratic, X, make_search, summary
from sklearn.model_selection import KFold

from sklearn_tune.exceptions import SearchWarning

HERE = Path(__file__).parent
ASSETS = HERE / "assets"


@pytest.fixture(params=["bayes", "genetic", "bayes-mf", "genetic-mf"])
def kind(request):
    return request.param


def lines(path):
    return Path(path).read_bytes().decode().splitlines()


def counting(search):
    SlowQuadratic.fits = 0
    return search


def test_one_record_per_batch_with_categories_as_indices(kind, tmp_path):
    path = tmp_path / "search.jsonl"
    search = make_search(kind, path).fit(X)
    header, part, *records = [json.loads(line) for line in lines(path)]
    assert header["format"] == "sklearn-tune-journal" and header["v"] == 2
    assert isinstance(part["seed"], int) and len(part["part"]) == 32
    assert header["searcher"] == type(search).__name__
    assert len(records) == len(set(search.cv_results_["iter"]))
    n_recorded = sum(len(r["candidates"]) for r in records)
    assert n_recorded == len(search.cv_results_["params"])
    first = records[0]["candidates"][0]
    assert first["params"]["kind"] in (0, 1, 2)
    assert len(first["outs"]) == 2
    assert set(first["outs"][0]) >= {
        "test_scores",
        "fit_time",
        "score_time",
        "fit_error",
    }


def test_resume_after_a_complete_run_fits_nothing_and_gives_the_same(kind, tmp_path):
    path = tmp_path / "search.jsonl"
    first = make_search(kind, path).fit(X)
    again = counting(make_search(kind, path)).fit(X)
    # BaseSearchCV.fit needs one evaluation: the best candidate's 2 CV fits are
    # run again (their recorded results are kept), then the refit.
    assert SlowQuadratic.fits == 2 + 1
    for key in (
        "params",
        "mean_test_score",
        "mean_fit_time",
        "split1_test_score",
        "iter",
    ):
        assert list(again.cv_results_[key]) == list(first.cv_results_[key]), key
    assert again.best_params_ == first.best_params_


@pytest.mark.parametrize("keep", [1, 2, 4])
def test_resume_from_a_partial_journal_equals_an_uninterrupted_run(
    kind, tmp_path, keep
):
    path = tmp_path / "search.jsonl"
    full = summary(make_search(kind).fit(X))
    make_search(kind, path).fit(X)
    kept = lines(path)[: 2 + keep]  # the header, the part, `keep` batches
    path.write_text("\n".join(kept) + "\n")
    recorded = sum(len(json.loads(line)["candidates"]) for line in kept[2:])
    resumed = counting(make_search(kind, path))
    resumed.fit(X)
    assert summary(resumed) == full
    n_fits = 2 * (len(full["params"]) - recorded) + 1
    assert SlowQuadratic.fits == n_fits


def test_random_state_none_is_recorded_and_resumed(tmp_path):
    path = tmp_path / "search.jsonl"
    search = make_search("genetic", path).set_params(random_state=None).fit(X)
    path.write_text("\n".join(lines(path)[:4]) + "\n")
    resumed = make_search("genetic", path).set_params(random_state=None).fit(X)
    assert resumed.cv_results_["params"] == search.cv_results_["params"]


def test_a_torn_last_line_is_ignored(kind, tmp_path):
    path = tmp_path / "search.jsonl"
    full = summary(make_search(kind, path).fit(X))
    kept = lines(path)[:3]
    path.write_text("\n".join(kept) + "\n" + kept[-1][: len(kept[-1]) // 2])
    assert summary(make_search(kind, path).fit(X)) == full
    assert all(json.loads(line) for line in lines(path))  # the tear was cut away


def test_a_damaged_middle_line_raises(tmp_path):
    path = tmp_path / "search.jsonl"
    make_search("genetic", path).fit(X)
    content = lines(path)
    content[2] = content[2][:-5]
    path.write_text("\n".join(content) + "\n")
    with pytest.raises(ValueError, match=re.escape("is damaged at line 3")):
        make_search("genetic", path).fit(X)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"estimator": SlowQuadratic(delay=1e-9)}, "estimator"),
        ({"search_spaces": {**SPACE, "k": (0, 8)}}, "search_spaces"),
        ({"cv": KFold(3)}, "cv"),
        ({"scoring": "r2"}, "scoring"),
        ({"random_state": 8}, "settings"),
    ],
)
def test_a_checkpoint_of_another_search_is_refused(tmp_path, change, field):
    path = tmp_path / "search.jsonl"
    make_search("genetic", path).fit(X)
    other = make_search("genetic", path).set_params(**change)
    with pytest.raises(
        ValueError, match=rf"belongs to another search: its {field} differs"
    ):
        other.fit(X)


def test_other_data_is_a_part_of_its_own(tmp_path):
    path = tmp_path / "search.jsonl"
    first = summary(make_search("genetic", path).fit(X))
    second = summary(make_search("genetic", path).fit(X + 1))
    parts = [json.loads(line) for line in lines(path) if '"seed"' in line]
    assert len(parts) == 2 and parts[0]["part"] != parts[1]["part"]
    # each part resumes with its own results, fitting only the final evaluation
    assert summary(counting(make_search("genetic", path)).fit(X)) == first
    assert summary(counting(make_search("genetic", path)).fit(X + 1)) == second
    assert SlowQuadratic.fits == 3


def test_a_file_that_is_not_a_journal_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text('{"hello": 1}\n')
    with pytest.raises(ValueError, match="is not a sklearn-tune checkpoint"):
        make_search("bayes", path).fit(X)


def test_interrupted_then_resumed(tmp_path, monkeypatch):
    path = tmp_path / "search.jsonl"
    full = summary(make_search("genetic").fit(X))
    fit = SlowQuadratic.fit

    def interrupting_fit(self, X, y=None):
        if SlowQuadratic.fits == 24:
            raise KeyboardInterrupt
        return fit(self, X, y)

    SlowQuadratic.fits = 0
    monkeypatch.setattr(SlowQuadratic, "fit", interrupting_fit)
    interrupted = make_search("genetic", path)
    with pytest.warns(SearchWarning, match=re.escape(f"checkpoint={str(path)!r}")):
        interrupted.fit(X)
    monkeypatch.undo()
    assert interrupted.stop_reason_ == "interrupted by KeyboardInterrupt"
    resumed = make_search("genetic", path).fit(X)
    assert summary(resumed) == full


def test_released_format_samples_still_resume():
    # One sample per released journal format: tests/assets/journal_v<N>.jsonl,
    # written by kill_resume_worker.make_search("genetic") on X. Since batches
    # overlap (issue 16), the GA breeds other candidates after its first
    # generation than the one that wrote the sample: a journal is a cache, so
    # every candidate it holds that the search asks is reused, never refitted.
    for sample in sorted(ASSETS.glob("journal_v*.jsonl"))[1:]:  # v1: dev only
        expected = json.loads(sample.with_suffix(".expected.json").read_text())
        recorded = {
            json.dumps(p, sort_keys=True): score
            for p, score in zip(expected["params"], expected["mean_test_score"])
        }
        copy = Path(os.environ.get("TMPDIR", "/tmp")) / f"replay-{os.getpid()}.jsonl"
        shutil.copy(sample, copy)
        try:
            search = counting(make_search("genetic", copy)).fit(X)
        finally:
            copy.unlink()
        results = search.cv_results_
        keys = [json.dumps(dict(p), sort_keys=True) for p in results["params"]]
        reused = [k for k, key in enumerate(keys) if key in recorded]
        assert len(reused) >= search.population_size  # the first generation
        for k in reused:
            assert results["mean_test_score"][k] == recorded[keys[k]]
        n_splits = search.n_splits_
        assert SlowQuadratic.fits == (len(keys) - len(reused)) * n_splits + 1
    assert (ASSETS / "journal_v2.jsonl").exists()


def test_a_development_version_1_journal_is_refused_clearly(tmp_path):
    copy = tmp_path / "v1.jsonl"
    shutil.copy(ASSETS / "journal_v1.jsonl", copy)
    with pytest.raises(ValueError, match="earlier development version"):
        make_search("genetic", copy).fit(X)


def test_sigkill_at_random_moments_loses_nothing(kind, tmp_path):
    _kill_and_resume(kind, tmp_path)


@pytest.mark.parametrize("kind", ["bayes", "genetic-mf"])
def test_sigkill_with_fits_in_flight_on_two_workers_resumes_the_same_search(
    kind, tmp_path
):
    # batches in flight on two worker processes when the search is killed:
    # the resumed search is the one-job search all the same
    _kill_and_resume(kind, tmp_path, n_jobs=2)


def _kill_and_resume(kind, tmp_path, n_jobs=1):
    checkpoint, output = tmp_path / "search.jsonl", tmp_path / "out.json"
    expected = summary(make_search(kind).fit(X))
    worker = [
        sys.executable,
        str(HERE / "kill_resume_worker.py"),
        kind,
        str(checkpoint),
        str(output),
        str(n_jobs),
    ]
    rng = random.Random(0)
    recorded_before = []
    kills = 0
    while not output.exists():
        process = subprocess.Popen(worker, stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().strip() == "ready"
        if kills < 6:
            time.sleep(rng.uniform(0.05, 0.6))
            process.send_signal(signal.SIGKILL)
            process.wait()
            if process.returncode == -signal.SIGKILL:
                kills += 1
        else:
            assert process.wait(timeout=120) == 0
        if checkpoint.exists():
            complete = checkpoint.read_bytes().split(b"\n")[:-1]  # ended by "\n"
            assert complete[: len(recorded_before)] == recorded_before  # nothing lost
            recorded_before = complete
    assert kills >= 5
    assert json.loads(output.read_text()) == expected
