# Tollgate: the two commands a user needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DATA_DIR ?= $(CURDIR)/.data
CONFIG ?= $(CURDIR)/data/conf/tutorial
TARIFFPLAN ?= $(CURDIR)/data/tariffplans/tutorial

.PHONY: install install-test run test unit lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

# Start the engine in the foreground on the embedded defaults (no external server needed),
# with the CGRateS tutorial tariff plan loaded (TARIFFPLAN= to load another, or none).
run: install
	$(BIN)/tollgate engine --data_dir $(DATA_DIR) $(if $(CONFIG),--config_path $(CONFIG),) \
		--logger '*stdout' $(if $(TARIFFPLAN),--load_tariffplan $(TARIFFPLAN),)

# Install what the tests need and run the whole suite (lint, types, tests).
test: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

unit: install-test
	$(BIN)/pytest -q tests/unit

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/ping.py

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
