"""Check the built distributions: run by `make dist-check` in the wheel's venv.

1. The wheel and the sdist hold every file of the package that git tracks, so a
   data file left out of package-data, or a subpackage left out of the package
   list, fails here.
2. The metadata: the licence file ships, every third-party module the core
   package imports is a declared dependency, extras and classifiers are there.
3. The installed wheel (not this checkout) imports and runs a small search with
   each searcher, a callback and a checkpoint.
"""

import ast
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from importlib import metadata
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


# Top-level modules imported by the package, and the distribution that provides
# each; modules imported only inside the optional parts are checked against
# the extras that install them.
_DISTRIBUTIONS = {
    "sklearn": "scikit-learn",
    "skopt": "scikit-optimize",
    "deap": "deap",
    "numpy": "numpy",
    "scipy": "scipy",
    "pandas": "pandas",
    "joblib": "joblib",
    "threadpoolctl": "threadpoolctl",
    "tqdm": "tqdm",
    "filelock": "filelock",
    "torch": "torch",
    "skorch": "skorch",
    "torchvision": "torchvision",
    "matplotlib": "matplotlib",
    "mlflow": "mlflow",
    "tensorboardX": "tensorboardX",
    "distributed": "dask",
    "dask": "dask",
    "ray": "ray",
}
_OPTIONAL = {  # imported lazily, installed by an extra (torchvision: optional)
    "torch": "nn",
    "skorch": "nn",
    "torchvision": None,
    "matplotlib": "plots",
    "mlflow": "mlflow",
    "tensorboardX": "tensorboard",
    "distributed": "dask",
    "dask": "dask",
    "ray": "ray",
}


def imported_modules():
    """Third-party top-level modules that sklearn_tune's source imports."""
    found = set()
    for path in (ROOT / "sklearn_tune").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            else:
                continue
            found.update(name.split(".")[0] for name in names)
    return {m for m in found if m not in sys.stdlib_module_names} - {"sklearn_tune"}


def check_metadata():
    (wheel,) = DIST.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), (
        f"{wheel.name} ships no LICENSE"
    )
    meta = metadata.metadata("sklearn-tune")
    requires = meta.get_all("Requires-Dist") or []

    def declared(distribution, extra=None):
        pattern = re.compile(rf"^{re.escape(distribution)}\b", re.IGNORECASE)
        for line in requires:
            if not pattern.match(line):
                continue
            marker = line.split(";", 1)[1] if ";" in line else ""
            if extra is None and "extra ==" not in marker:
                return True
            if extra is not None and f'extra == "{extra}"' in marker:
                return True
        return False

    for module in sorted(imported_modules()):
        assert module in _DISTRIBUTIONS, f"sklearn_tune imports {module}: map it"
        distribution = _DISTRIBUTIONS[module]
        if module in _OPTIONAL:
            extra = _OPTIONAL[module]
            assert extra is None or declared(distribution, extra), (
                f"{module} is imported but not in the [{extra}] extra"
            )
        else:
            assert declared(distribution), (
                f"sklearn_tune imports {module}: declare {distribution} in "
                "[project] dependencies"
            )
    extras = set(meta.get_all("Provides-Extra") or [])
    for extra in ("nn", "plots", "dask", "mlflow", "tensorboard", "all"):
        assert extra in extras, f"no [{extra}] extra: {sorted(extras)}"
    all_line = [r for r in requires if 'extra == "all"' in r]
    for extra in ("nn", "plots", "dask", "mlflow", "tensorboard"):
        assert any(extra in r for r in all_line), f"[all] lacks [{extra}]"
    assert meta["License-Expression"] == "BSD-3-Clause", meta["License-Expression"]
    assert len(meta.get_all("Classifier") or []) >= 5, "classifiers missing"
    print(f"metadata: licence, {len(requires)} requirements, extras {sorted(extras)}")


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
    check_metadata()
    check_installed_search()
    print("dist-check: ok")
