# Two commands for a new user: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench screenshots i18n clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pos run --demo

test: $(STAMP)
	$(BIN)/ruff check pos tests bench
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

screenshots: $(STAMP)
	$(BIN)/python bench/screenshots.py assets/screenshots

i18n: $(STAMP)
	$(BIN)/python -m pos.core.locale.build

clean:
	rm -rf $(VENV) build *.egg-info
