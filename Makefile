# Two commands on a fresh machine with only python3:
#   make demo   the main job (Titanic comparison)
#   make test   the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo demo-nn test test-oldest docs notebooks dist-check lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# torch first: a bare torch requirement with no torch installed pulls several GB
# of CUDA wheels, while torch==2.13.0 is a local CPU build. Without any torch the
# nn extra is left out and its tests skip.
$(STAMP): $(PY) pyproject.toml
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet torch==2.13.0 \
	  || echo "torch==2.13.0 not installable here: sklearn_tune.nn stays unavailable"
	if $(PY) -c "import torch" 2>/dev/null; then extras=nn,plots,dask,dev; \
	  else extras=plots,dask,dev; fi; \
	  $(PY) -m pip install --quiet -e ".[$$extras]"
# what the logging callbacks' tests need (tests/callbacks), without full MLflow
	$(PY) -m pip install --quiet "mlflow-skinny>=2.10" "tensorboardX>=2.6" "tensorboard>=2.12"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) examples/titanic.py

# The second half of the mission: a ResNet fine-tuned through skorch, tuned by both
# searchers (CPU, offline, about 3 minutes).
demo-nn: $(STAMP)
	$(PY) examples/resnet_finetune.py

# The suite runs on TEST_WORKERS processes (pytest-xdist): many of its tests
# wait on killed workers, subprocesses or sleeping fits rather than compute, so
# two processes on CI's two cores finish it a quarter sooner than one (414 s
# against 551 s on the same machine, Dec 7). TEST_WORKERS=0 runs it in pytest's
# own process (as plain `pytest` does).
TEST_WORKERS ?= 2
test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS)

# The same suite against the oldest supported scikit-learn, in its own venv.
OLDEST := .venv-oldest
$(OLDEST)/.installed: .ci/oldest-requirements.txt pyproject.toml
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -r .ci/oldest-requirements.txt
	$(OLDEST)/bin/python -m pip install --quiet --no-deps -e .
	touch $@

test-oldest: $(OLDEST)/.installed
	$(OLDEST)/bin/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS)

# The documentation site, warnings as errors, into docs/_build/html. The gallery
# runs the fast examples with --quick; the API pages are written from __all__.
DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[docs]"
	touch $@

docs: $(DOCS_STAMP)
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
	@# A docstring fragment left unfilled ({cv}) would show as is on a page.
	@! grep -rlE '\{[a-z_]+\}' docs/_build/html --include=*.html --exclude-dir=_modules \
	  || { echo "unfilled {placeholders} in the pages above"; exit 1; }
	@# Sidebars, header, figures and thumbnails of the built pages; in a headless
	@# browser too where one is installed (docs/check_site.py says how).
	$(PY) docs/check_site.py

# The notebooks, executed in quick mode: a failing cell fails.
notebooks: $(DOCS_STAMP)
	SKLEARN_TUNE_QUICK=1 $(PY) -m pytest -q -p no:cacheprovider --nbmake \
	  --nbmake-timeout=300 examples/notebooks

# Build the sdist and the wheel (from the sdist), install the wheel into a fresh
# venv and run a search there, away from this checkout: a package file missing
# from the wheel fails here, not for users.
DIST_VENV := .venv-dist
dist-check: $(STAMP)
	rm -rf dist $(DIST_VENV)
	$(PY) -m build --outdir dist .
	$(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(DIST_VENV)/bin/python -m pip install --quiet dist/*.whl
	cd dist && ../$(DIST_VENV)/bin/python ../.ci/check_dist.py

lint: $(STAMP)
	$(PY) -m ruff check sklearn_tune tests benchmarks examples
	$(PY) -m ruff format --check sklearn_tune tests benchmarks examples

bench: $(STAMP)
	$(PY) -m pip install --quiet -r benchmarks/requirements-peers.txt
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(OLDEST) $(DIST_VENV) build dist *.egg-info .pytest_cache
	rm -rf docs/_build docs/api docs/auto_examples docs/sg_execution_times.rst docs/notebooks
