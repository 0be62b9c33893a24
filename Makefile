# The two set-up commands of the README: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 1
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: serve test lint typecheck unit race synth bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.serve-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[serve]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.serve-installed

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

serve: $(VENV)/.serve-installed
	$(BIN)/pyshelf serve $(ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The tests import their helpers as top-level modules (pytest puts each test folder on sys.path),
# and tests/infra has a conftest of its own: so the tests are checked in two runs.
typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy
	MYPYPATH=src:tests:lambdas/indexer $(BIN)/mypy --explicit-package-bases --exclude 'tests/infra/' tests bench
	MYPYPATH=src:tests:tests/infra:lambdas/indexer:. $(BIN)/mypy --explicit-package-bases tests/infra

unit: $(VENV)/.dev-installed node_modules/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck unit

# The race tests with 20 seeded rounds each (`make test` runs 4): docs/race-freedom.md.
race: $(VENV)/.dev-installed
	PYSHELF_RACE_SEEDS=20 $(BIN)/pytest -q -p no:cacheprovider tests/indexer/test_races.py \
		tests/indexer/test_hot_path_orders.py

synth: $(VENV)/.dev-installed node_modules/.installed
	cdk synth -q -c env=dev
	cdk synth -q -c env=prod

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/requests_per_upload.py
	$(BIN)/python bench/upload_latency.py
	$(BIN)/python bench/edge_function.py

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache
