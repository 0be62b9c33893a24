# The two set-up commands of the README: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# checkov pins its own dependencies (boto3 among them): it gets a virtualenv of its own.
CHECKOV_VENV := .venv-checkov
# So do twine and poetry, the upload clients tests/local/test_e2e_publishers.py runs.
PUBLISHERS_VENV := .venv-publishers
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 1
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: serve test lint typecheck unit synth bench bench-peers bench-events burst cold-start race clean \
	browser screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# uv installs the serve extra (uv is in it too): several times faster than pip on a fresh machine.
$(VENV)/.serve-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[serve]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.serve-installed

# Rebuilt only when the pin changes; tests/infra/test_checkov.py runs it.
$(CHECKOV_VENV)/.installed: tests/infra/checkov-requirements.txt
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install -q -r tests/infra/checkov-requirements.txt
	touch $@

# Rebuilt only when a pin changes.
$(PUBLISHERS_VENV)/.installed: tests/local/publisher-requirements.txt
	rm -rf $(PUBLISHERS_VENV)
	$(PYTHON) -m venv $(PUBLISHERS_VENV)
	$(PUBLISHERS_VENV)/bin/python -m pip install -q --upgrade pip
	$(PUBLISHERS_VENV)/bin/python -m pip install -q -r tests/local/publisher-requirements.txt
	touch $@

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
	$(BIN)/mypy lambdas/upload/handler.py
	MYPYPATH=src:tests:lambdas/indexer:bench $(BIN)/mypy --explicit-package-bases --exclude 'tests/infra/' tests bench
	MYPYPATH=src:tests:tests/infra:lambdas/indexer:. $(BIN)/mypy --explicit-package-bases tests/infra

unit: $(VENV)/.dev-installed node_modules/.installed $(CHECKOV_VENV)/.installed \
		$(PUBLISHERS_VENV)/.installed browser
	$(BIN)/pytest $(PYTEST_ARGS)

# Headless Chromium for the screenshot test (tests/local/test_screenshots.py): installed with
# apt-get where it is there and we run as root; elsewhere nothing fails, the test says why it skips.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-headless-shell >/dev/null 2>&1 \
		|| { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
			&& DEBIAN_FRONTEND=noninteractive apt-get update -q \
			&& DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
		|| echo "no headless Chromium (needs root and apt-get): the screenshot test will skip"

# The screenshots of docs/pages.md, taken against `pyshelf serve` with a demo index.
screenshots: $(VENV)/.dev-installed browser
	$(BIN)/python tests/local/screenshots.py docs/screenshots

test: lint typecheck unit

# The race tests with 20 seeded rounds each (`make test` runs 4): docs/race-freedom.md.
race: $(VENV)/.dev-installed
	PYSHELF_RACE_SEEDS=20 $(BIN)/pytest -q -p no:cacheprovider tests/indexer/test_races.py \
		tests/indexer/test_hot_path_orders.py tests/indexer/test_fault_injection.py

synth: $(VENV)/.dev-installed node_modules/.installed
	cdk synth -q -c env=dev
	cdk synth -q -c env=prod

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/requests_per_upload.py
	$(BIN)/python bench/upload_latency.py
	$(BIN)/python bench/edge_function.py

# S3 requests and bytes of one event at N = 1, 100, 5,000 and 50,000 (memory store; ~2 minutes).
bench-events: $(VENV)/.dev-installed
	$(BIN)/python bench/requests_per_event.py $(ARGS)

# 1,000 uploads to one project within 10 s through the configured SQS event source, 10 seeds
# (real time with a simulated S3 latency: about 15 minutes).
burst: $(VENV)/.dev-installed
	$(BIN)/python bench/burst.py $(ARGS)

# The indexer bundle's import time (python -X importtime of the handler).
cold-start: $(VENV)/.dev-installed
	$(BIN)/python bench/cold_start.py $(ARGS)

# The peers (s3pypi, dumb-pypi) and matplotlib live in a venv of their own: their pins are not ours.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q 's3pypi>=2,<3' dumb-pypi matplotlib
	touch $@

bench-peers: $(VENV)/.dev-installed $(BENCH_VENV)/.installed
	$(BIN)/python bench/peers.py --plot docs/perf.png $(ARGS)

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(PUBLISHERS_VENV) $(BENCH_VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache
