# make run   - set up .venv and run the built-in demo (a backend writing logs + logsidecar)
# make test  - set up .venv and the Debian packages the tests use, then lint, type-check, test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint unit system-deps bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/logsidecar demo

system-deps:
	./scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check logsidecar tests bench
	$(BIN)/ruff format --check logsidecar tests bench
	$(BIN)/mypy logsidecar

test: $(STAMP) system-deps lint
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
