# Two commands on a fresh machine with only python3:
#   make demo   the main job (Titanic comparison)
#   make test   the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo demo-nn test test-oldest lint bench clean

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

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

# The same suite against the oldest supported scikit-learn, in its own venv.
OLDEST := .venv-oldest
$(OLDEST)/.installed: .ci/oldest-requirements.txt pyproject.toml
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -r .ci/oldest-requirements.txt
	$(OLDEST)/bin/python -m pip install --quiet --no-deps -e .
	touch $@

test-oldest: $(OLDEST)/.installed
	$(OLDEST)/bin/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(PY) -m ruff check sklearn_tune tests benchmarks examples
	$(PY) -m ruff format --check sklearn_tune tests benchmarks examples

bench: $(STAMP)
	$(PY) -m pip install --quiet -r benchmarks/requirements-peers.txt
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(OLDEST) build *.egg-info .pytest_cache
