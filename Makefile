# The two commands of the README:
#   make demo   set up, tune node2vec's p/q on the bundled Cora graph, write the embedding
#   make test   set up, lint (ruff) and run the whole test suite (what CI runs via .ci/run)
# Everything lands in a virtualenv (.venv) built from pyproject.toml: the core and
# test tools for the demo, plus every extra (torch, torch-geometric, pykeen, redis)
# for the tests, which also need a redis-server binary (scripts/ensure-services.sh).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
STAMP_EXTRAS := $(VENV)/.installed-extras
# torch is installed first and pinned, so the extras' torch range is already met
# and pip pulls no other build (a newer torch brings several GB of CUDA wheels).
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?=

.PHONY: install install-extras services demo lint test test-main test-pecanpy bench docs clean

$(STAMP): pyproject.toml setup.py $(wildcard skgraphemb/*/*.h skgraphemb/*/*.pyx)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

$(STAMP_EXTRAS): $(STAMP)
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e ".[test,all]"
	touch $(STAMP_EXTRAS)

install-extras: $(STAMP_EXTRAS)

services:
	bash scripts/ensure-services.sh

demo: install
	mkdir -p demo
	$(VENV)/bin/skgraphemb tune cora --grid p=0.5,1,2 --grid q=0.5,1,2 --cv 3 \
	    --dimensions 64 --walk-length 40 --num-walks 5 --n-jobs 2 \
	    --plot demo/pq_grid.png -o demo/cora_node2vec.npz
	@echo "demo: embedding written to demo/cora_node2vec.npz, p/q heatmap to demo/pq_grid.png"

# pytest exit code 5 means "no tests ran": a failure for us.
test-main: install-extras services
	$(PY) -m pytest -m "not slow" -p no:cacheprovider $(PYTEST_ARGS); \
	rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

test-pecanpy:
	bash scripts/test-pecanpy.sh

# ruff (from the test extra) with the settings of pyproject.toml: CI fails on a lint error
# or on a file that ruff would reformat.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint test-main test-pecanpy

bench: install
	$(PY) benchmarks/bench_node2vec.py

docs: install
	$(PY) -m pip install -q -e ".[docs]"
	$(PY) -m sphinx -b html docs docs/_build/html

clean:
	rm -rf $(VENV) .venv-pecanpy demo docs/_build
