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

.PHONY: help setup secrets run prod chat test test-setup validate train check-content unanswered eval bench lint clean

help:
	@echo "make run     set up, train if needed, start every process, print the URLs"
	@echo "make test    set up, validate data, train, run every test"
	@echo "make chat    talk to a running assistant from the terminal"
	@echo "make prod    production mode: replicas behind nginx on PostgreSQL and Redis"
	@echo "make check-content | unanswered | eval | bench | lint | clean"

setup: $(VENV)/.installed-lock

$(VENV)/.installed-lock: pyproject.toml requirements.lock scripts/bootstrap.sh
	@scripts/bootstrap.sh

$(MODEL): $(TRAINING_INPUTS) | setup
	@mkdir -p models
	flock models/.train.lock $(RASA) train --fixed-model-name current --out models
	@touch $(MODEL)

train: setup $(MODEL)

# Random tokens for every process, kept across runs (scripts/secrets_env.py lists them).
secrets: setup
	@$(PY) -m scripts.secrets_env

# --- web chat: the demo page's USWDS files and the browser tests' axe-core (package-lock.json)
node_modules/.package-lock.json: package.json package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: setup train secrets node_modules/.package-lock.json
	@$(PY) scripts/preflight.py
	@$(PY) -m services.hub.setup
	@$(BIN)/honcho -f Procfile -e settings.env,var/secrets.env start

# Production mode (docs/production.md): the same product as `make run`, with Rasa and hub
# replicas behind Debian's nginx and every store on the running PostgreSQL and Redis.
prod: setup train secrets node_modules/.package-lock.json
	@scripts/ensure-nginx.sh
	@$(PY) -m scripts.production

chat: setup secrets
	@$(PY) scripts/chat.py

validate: setup
	@$(PY) scripts/validate_data.py

# What the tests need beyond Python packages: Debian's Chromium for the browser tests.
test-setup: setup
	@scripts/ensure-test-tools.sh
	@scripts/ensure-nginx.sh

test: setup lint validate train test-setup
	$(BIN)/pytest
	$(PY) scripts/conversation_tests.py

check-content: validate
	@$(PY) scripts/check_content.py

# For content staff: what the assistant failed to answer, grouped, from the tracker store.
unanswered: setup
	$(PY) -m scripts.unanswered_report --html results/unanswered.html

eval: setup train
	$(PY) scripts/evaluate.py

bench: setup train
	@scripts/ensure-nginx.sh && $(PY) -m scripts.bench $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf models results var .pytest_cache .ruff_cache
