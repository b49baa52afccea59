"""Check the built distributions: run by `make dist-check` in the wheel's venv.

1. The wheel and the sdist hold every file of the package that git tracks, so a
   data file left out of package-data, or a subpackage left out of the package
   list, fails here.
2. The installed wheel (not this checkout) imports and runs a small search with
   each searcher, a callback and a checkpoint.
"""

import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"


def tracked_package_files():
    out = subprocess.run(
        ["git", "ls-files", "sklearn_tune"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return set(out)


def check_contents():
    expected = tracked_package_files()
    assert expected, "git lists no file under sklearn_tune/"
    (wheel,) = DIST.glob("*.whl")
    (sdist,) = DIST.glob("*.tar.gz")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    with tarfile.open(sdist) as tar:
        # "sklearn_tune-0.1.0/sklearn_tune/..." -> "sklearn_tune/..."
        in_sdist = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    for name, contents in ((wheel.name, in_wheel), (sdist.name, in_sdist)):
        missing = sorted(expected - contents)
        assert not missing, f"{name} lacks {len(missing)} package files: {missing}"
        print(f"{name}: all {len(expected)} package files")


def check_installed_search():
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import sklearn_tune
    from sklearn_tune import BayesSearchCV, GeneticSearchCV
    from sklearn_tune.callbacks import EarlyStopping
    from sklearn_tune.space import Categorical, Real

    where = Path(sklearn_tune.__file__).resolve()
    assert Path(sys.prefix).resolve() in where.parents, (
        f"imported {where}, not the wheel installed in {sys.prefix}"
    )
    print(f"sklearn_tune {sklearn_tune.__version__} from {where.parent}")

    X, y = load_iris(return_X_y=True)
    space = {
        "C": Real(1e-2, 1e2, prior="log-uniform"),
        "fit_intercept": Categorical([True, False]),
    }
    with tempfile.TemporaryDirectory() as tmp:
        searches = [
            BayesSearchCV(
                LogisticRegression(max_iter=200),
                space,
                n_iter=4,
                cv=2,
                random_state=0,
                optimizer_kwargs={"n_initial_points": 2},
                checkpoint=Path(tmp, "bayes.jsonl"),
            ),
            GeneticSearchCV(
                LogisticRegression(max_iter=200),
                space,
                population_size=3,
                generations=1,
                cv=2,
                random_state=0,
                checkpoint=Path(tmp, "genetic.jsonl"),
            ),
        ]
        for search in searches:
            search.fit(X, y, callback=EarlyStopping(patience=5))
            again = type(search)(**search.get_params(deep=False)).fit(X, y)  # resumes
            assert again.best_params_ == search.best_params_
            assert np.isfinite(search.best_score_) and search.score(X, y) > 0.5
            print(f"{type(search).__name__}: best {search.best_params_}")


if __name__ == "__main__":
    check_contents()
    check_installed_search()
    print("dist-check: ok")
