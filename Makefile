# newswatch: `make run` and `make test` work from a fresh clone (they create .venv as needed).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: run test lint serve bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Stamps re-install when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev,bench]'
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

run: $(VENV)/.installed
	$(VENV)/bin/newswatch run

test: $(VENV)/.installed-dev
	$(VENV)/bin/pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy src flows benchmarks

serve: $(VENV)/.installed
	$(VENV)/bin/newswatch serve --start-server

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) warehouse/*.duckdb warehouse/*.duckdb.wal
