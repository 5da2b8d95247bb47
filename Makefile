# Every target here works; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps test lint crd bench

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

bench: $(STAMP)
	$(BIN)/python -m tests.bench
