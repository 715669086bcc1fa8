# The two commands: `make run` and `make test`. Everything else is a step they use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
RASA := $(BIN)/rasa
MODEL := models/current.tar.gz
# Training inputs: the model is rebuilt only when one of these is newer than it.
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
	$(wildcard addons/*.py)

.PHONY: help setup run chat test test-setup validate train check-content eval bench lint clean

help:
	@echo "make run     set up, train if needed, start every process, print the URLs"
	@echo "make test    set up, validate data, train, run every test"
	@echo "make chat    talk to a running assistant from the terminal"
	@echo "make check-content | eval | bench | lint | clean"

setup: $(VENV)/.installed-lock

$(VENV)/.installed-lock: pyproject.toml requirements.lock scripts/bootstrap.sh
	@scripts/bootstrap.sh

$(MODEL): $(TRAINING_INPUTS) | setup
	@mkdir -p models
	flock models/.train.lock $(RASA) train --fixed-model-name current --out models
	@touch $(MODEL)

train: setup $(MODEL)

var/secrets.env:
	@mkdir -p var
	@echo "RASA_TOKEN=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')" > $@
	@chmod 600 $@

run: setup train var/secrets.env
	@$(PY) scripts/preflight.py
	@$(BIN)/honcho -f Procfile -e settings.env,var/secrets.env start

chat: setup var/secrets.env
	@$(PY) scripts/chat.py

validate: setup
	@$(PY) scripts/validate_data.py

# What the tests need beyond Python packages: Debian's Chromium for the browser tests.
test-setup: setup
	@scripts/ensure-test-tools.sh

test: setup validate train test-setup
	$(BIN)/pytest
	$(PY) scripts/conversation_tests.py

check-content: validate
	@$(PY) scripts/check_content.py

eval: setup train
	$(PY) scripts/evaluate.py

bench: setup train
	$(PY) scripts/bench.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf models results var .pytest_cache .ruff_cache
