"""Every Python block of README.md and docs/ (*.md, *.rst) runs as it stands.

Conventions (for whoever writes a block):

- Each ```python block is a script: it runs on its own, in a fresh interpreter,
  with its own imports and the small data it makes or loads. Code that starts
  Dask workers sits under ``if __name__ == "__main__":``.
- A block that goes on from the block before it on its page (it uses the
  ``search`` that block fitted) says so on the line just before its fence::

      <!-- doc-block: continue -->

  It then runs after that block, in the same script; a chain of such blocks
  runs as one script, each block after those it continues.
- A block that cannot run here on purpose (a cluster, a GPU) says why::

      <!-- doc-block: skip (needs a Ray cluster) -->

  Keep these rare: a local stand-in (a temporary MLflow store, a LocalCluster)
  is better.

How they run: each in a subprocess, in a temporary working directory (files a
block writes never land in the repository), with ``SKLEARN_TUNE_DOCS_QUICK=1``,
``MPLBACKEND=Agg`` and ``OMP_NUM_THREADS=1`` (unless set). Blocks that need an
optional dependency (torch and skorch, Dask's distributed, Ray, MLflow,
tensorboardX, matplotlib) are skipped when it is not importable; every other
block must pass, but for those PACKAGE_BUGS names (a bug in sklearn_tune, not in
the block: a strict xfail, removed with the fix).

Quick mode: a block that is long as written (a 20-minute fine-tuning search) is
not given hidden code. Instead QUICK below rewrites a few documented
parameters in its source before it runs (``n_iter=30`` -> ``n_iter=2``). Every
rule must match the block's source: a rule that matches nothing fails the test,
so the table cannot silently rot when a block changes. Blocks are named
``<file>-<index>`` (0-based, in the order of the file); SLOW marks blocks that
take more than about 10 s (they still run by default).
"""

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "docs").glob("*.rst")),
]
TIMEOUT = 600  # seconds per block, in quick mode

# block id -> [(text in the block, what quick mode runs instead)]
QUICK = {
    "README.md-1": [
        ("population_size=12", "population_size=4"),
        ("generations=8", "generations=1"),
    ],
    "README.md-3": [("n_iter=60", "n_iter=9")],
    "README.md-4": [("max_epochs=5", "max_epochs=1")],
    "README.md-5": [
        ("(subspace, 8)", "(subspace, 1)"),
        ("max_epochs=10", "max_epochs=1"),
        ("cv=3", "cv=2"),
    ],
    "docs/checkpointing.md-0": [("n_iter=200", "n_iter=4")],
    "docs/feature_selection.md-0": [
        ("population_size=20", "population_size=6"),
        ("generations=10", "generations=2"),
    ],
    "docs/feature_selection.md-1": [("generations=5", "generations=1")],
    "docs/finetuning.md-0": [
        ("n_iter=30", "n_iter=1"),
        ("max_epochs=10", "max_epochs=1"),
        ("cv=3", "cv=2"),
    ],
    "docs/getting_started.md-0": [
        ("population_size=8", "population_size=4"),
        ("generations=4", "generations=1"),
    ],
    "docs/multi_fidelity.md-0": [("n_iter=60", "n_iter=9"), ("cv=5", "cv=2")],
    "docs/scaling_out.md-0": [("population_size=16", "population_size=4")],
    "docs/scaling_out.md-1": [
        ("n_workers=4", "n_workers=2"),
        ("n_iter=64", "n_iter=8"),
    ],
    "docs/scaling_out.md-3": [("n_iter=16", "n_iter=4")],
    "docs/searchers.md-0": [("n_iter=50", "n_iter=12"), ("cv=5", "cv=2")],
    "docs/searchers.md-1": [("generations=10", "generations=1"), ("cv=5", "cv=2")],
}
# blocks slower than about 10 s, quick mode included (they still run by default)
SLOW = {
    "README.md-1",
    "README.md-4",
    "README.md-5",
    "README.md-6",
    "docs/feature_selection.md-1",
    "docs/finetuning.md-0",
    "docs/getting_started.md-0",
    "docs/getting_started.md-1",
    "docs/getting_started.md-2",
    "docs/scaling_out.md-0",
    "docs/scaling_out.md-1",
    "docs/scaling_out.md-3",
    "docs/searchers.md-0",
    "docs/searchers.md-1",
}
# blocks that fail because of a bug in the package, not in the block: strict
# xfail, so the entry must go once the bug is fixed
PACKAGE_BUGS: dict[str, str] = {}  # block name -> the bug that fails it

# an optional dependency -> a pattern of the blocks that need it
OPTIONAL = {
    "torch": r"\bsklearn_tune\.nn\b|\btorch\b|\bskorch\b",
    "skorch": r"\bsklearn_tune\.nn\b|\bskorch\b",
    "distributed": r"\bdask\b",
    "ray": r"\bray\b",
    "mlflow": r"\bmlflow\b|\bMLflowLogger\b",
    "tensorboardX": r"\bTensorBoard(Epoch)?Logger\b",
    "matplotlib": r"\bmatplotlib\b|\bsklearn_tune\.plots\b",
}

FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
RST_DIRECTIVE = re.compile(r"^\.\. code-block:: python[ \t]*$")
# <!-- doc-block: skip (why) --> in Markdown, .. doc-block: skip (why) in rst
MARKER = re.compile(
    r"(?:<!--|\.\.)\s*doc-block:\s*(skip|continue)\b\s*(?:\((.*)\))?\s*(?:-->)?\s*$"
)


def _markdown_blocks(text):
    """(the text before the block, its source) of each ```python block."""
    for match in FENCE.finditer(text):
        yield text[: match.start()], match.group(1)


def _rst_blocks(text):
    """(the text before the block, its source) of each code-block:: python."""
    lines = text.splitlines(keepends=True)
    for start, line in enumerate(lines):
        if not RST_DIRECTIVE.match(line):
            continue
        end = start + 1
        while end < len(lines) and re.match(r"[ \t]+:\w", lines[end]):
            end += 1  # the directive's options
        body = end
        while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
            end += 1
        source = textwrap.dedent("".join(lines[body:end])).strip("\n") + "\n"
        yield "".join(lines[:start]), source


def _blocks():
    """Every python block: (id, source, marker, reason), in file order."""
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT).as_posix()
        find = _rst_blocks if path.suffix == ".rst" else _markdown_blocks
        for index, (before, source) in enumerate(find(text)):
            line = before.rstrip("\n").rsplit("\n", 1)[-1]
            marker = MARKER.search(line)
            yield (
                f"{name}-{index}",
                source,
                marker and marker.group(1),
                marker and marker.group(2),
            )


BLOCKS = {block_id: rest for block_id, *rest in _blocks()}


def _chain(block_id):
    """The ids of the blocks a block runs after (its own last)."""
    ids = list(BLOCKS)
    chain = [block_id]
    while BLOCKS[chain[0]][1] == "continue":
        position = ids.index(chain[0])
        previous = ids[position - 1] if position else None
        assert previous and previous.rsplit("-", 1)[0] == block_id.rsplit("-", 1)[0], (
            f"{chain[0]} continues a block, but is the first of its page"
        )
        chain.insert(0, previous)
    return chain


def _quick_source(block_id):
    source = BLOCKS[block_id][0]
    for old, new in QUICK.get(block_id, []):
        assert old in source, (
            f"quick-mode rule {old!r} -> {new!r} of {block_id} matches nothing: "
            "update QUICK in tests/test_doc_blocks.py"
        )
        source = source.replace(old, new)
    return source


def _params():
    for block_id in BLOCKS:
        marks = [pytest.mark.slow] if block_id in SLOW else []
        if block_id in PACKAGE_BUGS:
            marks.append(pytest.mark.xfail(reason=PACKAGE_BUGS[block_id], strict=True))
        yield pytest.param(block_id, id=block_id, marks=marks)


def test_the_blocks_are_found():
    assert len(BLOCKS) >= 20
    assert "README.md-0" in BLOCKS


def test_the_tables_name_blocks_that_exist():
    for table in (QUICK, SLOW, PACKAGE_BUGS):
        assert set(table) <= set(BLOCKS), set(table) - set(BLOCKS)


@pytest.mark.parametrize("block_id", sorted(QUICK))
def test_quick_rules_still_match(block_id):
    # checked here too, so that a rule rots not even where its block is skipped
    ast.parse(_quick_source(block_id), filename=block_id)


@pytest.mark.parametrize("block_id", list(BLOCKS))
def test_block_is_valid_python(block_id):
    ast.parse(BLOCKS[block_id][0], filename=block_id)


SKOPT_DIMENSION = re.compile(
    r"from\s+skopt(\.space)?\s+import\s+[^\n]*\b(Real|Integer|Categorical)\b"
)


@pytest.mark.parametrize("block_id", list(BLOCKS))
def test_no_when_on_skopt_dimensions(block_id):
    # skopt.space's Real, Integer and Categorical have no .when(): ours do
    script = "\n".join(BLOCKS[b][0] for b in _chain(block_id))
    if SKOPT_DIMENSION.search(script):
        assert ".when(" not in script, (
            f"{block_id} imports dimensions from skopt and calls .when(): "
            "import them from sklearn_tune.space"
        )


def test_the_readme_starts_with_our_dimensions():
    first = BLOCKS["README.md-0"][0]
    assert not SKOPT_DIMENSION.search(first)


@pytest.mark.parametrize("block_id", list(_params()))
def test_block_runs(block_id, tmp_path):
    source, marker, reason = BLOCKS[block_id]
    if marker == "skip":
        pytest.skip(reason or "marked doc-block: skip")
    chain = _chain(block_id)
    script = "\n\n".join(_quick_source(b) for b in chain)
    for module, pattern in OPTIONAL.items():
        if re.search(pattern, script):
            pytest.importorskip(module)
    (tmp_path / "block.py").write_text(script, encoding="utf-8")
    env = {
        **os.environ,
        "SKLEARN_TUNE_DOCS_QUICK": "1",
        "MPLBACKEND": "Agg",
        # one OpenMP thread per process: on a shared or busy machine, OpenMP's
        # spinning threads make HistGradientBoosting and torch 10x slower
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        # MLflow 3's default store is SQLite, which needs SQLAlchemy: the full
        # `mlflow` (the [mlflow] extra) has it, the mlflow-skinny that CI
        # installs does not. A file store in the block's folder works with both
        # (MLflow 3 refuses it unless allowed).
        "MLFLOW_TRACKING_URI": (tmp_path / "mlruns").as_uri(),
        "MLFLOW_ALLOW_FILE_STORE": "true",
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    try:
        result = subprocess.run(
            [sys.executable, "block.py"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{block_id} ran past {TIMEOUT} s in quick mode")
    assert result.returncode == 0, (
        f"{block_id} failed (run as {' + '.join(chain)}):\n"
        f"{script}\n--- stderr ---\n{result.stderr[-4000:]}"
    )
