# The two commands of the README:
#   make e2e   - set up, start the embedded LocalStack, apply the reference topology, run every
#                scenario, write reports, destroy, stop LocalStack.
#   make test  - set up, then the whole test suite (unit, Terraform module checks, LocalStack
#                integration tests).
# `make setup` is idempotent and runs first in both; nothing needs installing by hand.

PYTHON ?= python3
VENV := .venv
LS_VENV := .venv-localstack
PY := $(VENV)/bin/python
PIP_FLAGS := --quiet --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: setup e2e test unit lint bench emulator-start emulator-stop clean distclean

setup: $(VENV)/.installed $(LS_VENV)/.installed .harness/tools/.provider-ready

$(VENV)/.installed: requirements/harness.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed; set PYTHON=python3.11")'
	@echo "setup: harness virtualenv ($(VENV))"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install $(PIP_FLAGS) -r requirements/harness.txt
	@$(PY) -m pip install $(PIP_FLAGS) --no-deps -e .
	@touch $@

$(LS_VENV)/.installed: requirements/localstack.txt requirements/localstack-constraints.txt
	@echo "setup: LocalStack virtualenv ($(LS_VENV)); a few minutes the first time"
	@test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	@$(LS_VENV)/bin/python -m pip install $(PIP_FLAGS) -r requirements/localstack.txt -c requirements/localstack-constraints.txt
	@touch $@

# Lambda without Docker: the harness-host-python runtime executor (plugins/localstack-lambda), which
# harness/emulator/host.py selects. Reinstalled whenever one of its files changes; its dependency
# (awslambdaric) is pinned in requirements/localstack.txt, so no download happens here.
LS_PLUGIN := plugins/localstack-lambda
setup: $(LS_VENV)/.lambda-executor-installed

$(LS_VENV)/.lambda-executor-installed: $(LS_VENV)/.installed $(LS_PLUGIN)/pyproject.toml $(wildcard $(LS_PLUGIN)/src/*/*.py)
	@echo "setup: Lambda runtime executor plugin ($(LS_PLUGIN)) into $(LS_VENV)"
	@$(LS_VENV)/bin/python -m pip install $(PIP_FLAGS) --no-deps --force-reinstall ./$(LS_PLUGIN)
	@touch $@

.harness/tools/.provider-ready: $(VENV)/.installed harness/provision/offline_mirror.py
	@echo "setup: offline provider mirror (hashicorp/aws 3.39.0, sha256-verified)"
	@$(PY) -m harness.provision.offline_mirror
	@mkdir -p $(@D) && touch $@

e2e: setup
	@$(VENV)/bin/harness e2e

# Two pytest-xdist workers, each with its own LocalStack on a free port and its own reference run
# (tests/conftest.py); --dist loadfile keeps a module on one worker, so its module fixtures are made
# once. On two cores the suite takes ~15 min instead of ~26: most of a test's time is waiting for
# the emulator, Terraform or a timeout. Modules then run in another order than in one process, so a
# test must not depend on what an earlier module left on the session's reference run (one did, and
# failed 2 of 3 runs until 43eb36f). TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2
test: setup lint
	@$(PY) -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

# mypy reads its files and flags from pyproject.toml ([tool.mypy]); tests/unit/test_lint.py runs the same.
lint: setup
	@$(VENV)/bin/ruff check --quiet . && echo "lint: ruff check passed"
	@$(VENV)/bin/mypy && echo "lint: mypy passed"

unit: setup
	@$(PY) -m pytest tests/unit $(PYTEST_ARGS)

# BENCH_ARGS go to every benchmark, e.g. BENCH_ARGS="--quick" or "--port 5101"
BENCH_ARGS ?=
bench: setup
	@$(PY) benchmarks/payload_benchmark.py $(BENCH_ARGS)
	@$(PY) benchmarks/pipeline_benchmark.py $(BENCH_ARGS)
	@$(PY) benchmarks/load_benchmark.py $(BENCH_ARGS)

emulator-start: setup
	@$(VENV)/bin/harness emulator start

emulator-stop: setup
	@$(VENV)/bin/harness emulator stop

clean:
	rm -rf reports .pytest_cache

distclean: clean
	rm -rf $(VENV) $(LS_VENV) .harness

# Test-only oracle of harness/access (issue 11): @cloud-copilot/iam-simulate (AGPL-3.0), pinned by
# tests/access/oracle/package-lock.json, installed into tests/access/oracle/node_modules (~5 s,
# ~20 MB) and run by the tests as a separate Node process. Without node the oracle tests skip.
ACCESS_ORACLE := tests/access/oracle
setup: $(ACCESS_ORACLE)/node_modules/.package-lock.json

$(ACCESS_ORACLE)/node_modules/.package-lock.json: $(ACCESS_ORACLE)/package-lock.json $(ACCESS_ORACLE)/package.json
	@if command -v npm >/dev/null 2>&1; then \
		echo "setup: access-policy test oracle (npm ci, iam-simulate)"; \
		cd $(ACCESS_ORACLE) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.package-lock.json; \
	else echo "setup: node/npm not found: tests/access oracle tests will skip"; fi

# Test-only oracle of harness/report's Mermaid diagrams: mermaid's own parser under jsdom (no
# browser), pinned by tests/report/mermaid/package-lock.json (~140 MB). Without node it skips.
MERMAID_ORACLE := tests/report/mermaid
setup: $(MERMAID_ORACLE)/node_modules/.package-lock.json

$(MERMAID_ORACLE)/node_modules/.package-lock.json: $(MERMAID_ORACLE)/package-lock.json $(MERMAID_ORACLE)/package.json
	@if command -v npm >/dev/null 2>&1; then \
		echo "setup: Mermaid syntax test oracle (npm ci, mermaid + jsdom)"; \
		cd $(MERMAID_ORACLE) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.package-lock.json; \
	else echo "setup: node/npm not found: the Mermaid syntax oracle test will skip"; fi
