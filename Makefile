# Task runner: the same steps as the README's commands.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup test lint demo examples schema golden clean

setup:
	python3 -m venv $(VENV) && $(BIN)/pip install -q -e '.[dev]'

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

demo: setup
	$(BIN)/farmhunt demo

examples: setup
	$(BIN)/farmhunt ingest examples --workspace demo-out/examples && $(BIN)/farmhunt stats --workspace demo-out/examples

schema: setup
	$(BIN)/farmhunt schema --output docs/schema.md

golden: setup
	$(BIN)/python -m pytest tests/sources --update-golden

bench: setup
	$(BIN)/farmhunt bench --events 1000000,10000000 --out bench-out

clean:
	rm -rf demo-out bench-out .pytest_cache .mypy_cache .ruff_cache
