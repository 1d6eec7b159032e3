# collecte: `make run` sets everything up and starts the embedded default; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export COLLECTE_DATA_DIR ?= $(CURDIR)/var
export OMP_THREAD_LIMIT := 1

.PHONY: run test setup system-packages clean

run: setup
	$(BIN)/collecte migrate --no-input
	$(BIN)/collecte demo
	$(BIN)/collecte serve

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$COLLECTE_TEST_DATABASE_URL" ]; then \
		echo "== the whole suite again on PostgreSQL ($$COLLECTE_TEST_DATABASE_URL) =="; \
		DATABASE_URL="$$COLLECTE_TEST_DATABASE_URL" $(BIN)/python -m pytest $(PYTEST_ARGS); \
	fi

setup: system-packages $(VENV)/.installed
	scripts/compile-messages

system-packages:
	@scripts/system-packages

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) scripts/check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) var

# `make bench`: the intake benchmarks of bench/ (bench/README.md), on the same setup as `make test`.
.PHONY: bench
bench: setup
	bench/run-intake
