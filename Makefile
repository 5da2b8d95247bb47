# Every target here works; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps test lint crd bench run demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests need (RabbitMQ). Installs them when run as root, otherwise says what is missing.
system-deps:
	bash .ci/system-deps

test: $(STAMP) system-deps
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check controller tests
	$(BIN)/ruff format --check controller tests
	$(BIN)/mypy

crd: $(STAMP)
	$(BIN)/python -m controller crd > manifests/crd/asyncactors.asya.sh.yaml

# The runtime script runs inside actor images with old Pythons: run its tests against the oldest supported
# interpreter and the newest one on these machines (pyenv's builds). A missing interpreter fails the target.
PYENV_ROOT ?= $(HOME)/.pyenv
RUNTIME_PYTHON_VERSIONS ?= 3.8 3.13

.PHONY: test-runtime-pythons
test-runtime-pythons: $(STAMP)
	@set -e; for version in $(RUNTIME_PYTHON_VERSIONS); do \
	  python=$$(ls -d $(PYENV_ROOT)/versions/$$version.*/bin/python 2>/dev/null | sort -V | tail -n 1); \
	  if [ -z "$$python" ]; then \
	    echo "test-runtime-pythons: no Python $$version in $(PYENV_ROOT)/versions (pyenv install $$version)" >&2; \
	    exit 1; \
	  fi; \
	  echo "== tests/runtime with the runtime under $$python"; \
	  ASYA_RUNTIME_PYTHON=$$python $(BIN)/pytest -q tests/runtime; \
	done

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# The controller against the current kubeconfig context (a kind cluster, say): installs or updates the CRD,
# then runs in the foreground with readable logs. Set ASYA_TRANSPORT_CONFIG or ASYA_TRANSPORT_CONFIG_FILE;
# more flags in ARGS, e.g. make run ARGS="--metrics-bind-address=:9090 --namespace=team-a".
run: $(STAMP)
	kubectl apply --server-side -f manifests/crd/asyncactors.asya.sh.yaml
	$(BIN)/asya-controller run --log-format console $(ARGS)

# The controller on an emulated cluster with a real RabbitMQ node and a few actors to look at (no cluster
# needed); prints their table until Ctrl-C. KUBECONFIG=.demo/kubeconfig kubectl ... in another terminal.
demo: $(STAMP) system-deps
	$(BIN)/python -m tests.demo
