# opsdesk developer commands. GNU make; needs only python3 (3.11+) on PATH.
#
#   make demo       venv + install + migrate + seed the demo, then serve http://127.0.0.1:8000
#   make test       lint, format check, migrations check and the whole pytest suite
#   make lint       ruff check + ruff format --check
#   make format     ruff format + ruff check --fix
#   make messages   makemessages (zh_Hans, en) + compilemessages
#   make clean      remove var/ (the SQLite demo database!), staticfiles/ and tool caches
#   make distclean  clean + remove .venv
#   make ci         what CI runs (bash .ci/run; installs system packages, needs root)
#   make schema     regenerate openapi/schema.yaml
#
# Settings come from the environment (see .env.example): with DATABASE_URL and REDIS_URL unset,
# opsdesk uses SQLite under var/ and runs Celery tasks in-process. `make test` runs on whatever
# DATABASE_URL / REDIS_URL are set; pass pytest options with PYTEST_ARGS="-k snapshot -x".

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
PIP_INSTALL := $(PY) -m pip install --disable-pip-version-check --no-input --progress-bar off

# Stamps inside the venv: pip runs again only when pyproject.toml is newer than the last
# install (or the venv was removed).
RUNTIME_STAMP := $(VENV)/.opsdesk-installed
TEST_STAMP := $(VENV)/.opsdesk-test-installed

DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000
# What the dashboards need after seeding, as manage.py arguments: the rollups of every day that
# has facts but no rolled-up rows (quick when nothing changed: it runs on every `make demo`).
DEMO_COMPUTE ?= rollup --all --if-needed
PYTEST_ARGS ?=

MAKEMESSAGES_IGNORE := --ignore '.venv/*' --ignore 'var/*' --ignore 'staticfiles/*'
COMPILEMESSAGES_IGNORE := --ignore .venv --ignore var --ignore staticfiles

.PHONY: help demo demo-compute test lint format messages clean distclean ci venv install schema

help:
	@sed -n '1,10p' Makefile | sed 's/^# \{0,1\}//'

# --- Environment ------------------------------------------------------------------------------
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "opsdesk needs Python 3.11+; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): pyproject.toml | $(PY)
	$(PIP_INSTALL) -e .
	@touch $@

# The test extra includes the runtime, so it satisfies the runtime stamp too.
$(TEST_STAMP): pyproject.toml | $(PY)
	$(PIP_INSTALL) -e '.[test]'
	@touch $@ $(RUNTIME_STAMP)

venv: $(PY)
install: $(RUNTIME_STAMP)

# --- Demo ---------------------------------------------------------------------------------------
demo: $(RUNTIME_STAMP)
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_demo --if-empty
	@$(MAKE) --no-print-directory demo-compute
	@echo
	@echo "  opsdesk demo:  http://$(DEMO_HOST):$(DEMO_PORT)/"
	@echo "  sign in as:    demo / opsdesk-demo"
	@echo "  stop with Ctrl-C; data stays in var/ (make clean removes it)"
	@echo
	$(MANAGE) runserver $(DEMO_HOST):$(DEMO_PORT)

demo-compute: $(RUNTIME_STAMP)
ifeq ($(strip $(DEMO_COMPUTE)),)
	@echo "demo-compute: nothing to compute (DEMO_COMPUTE is empty)"
else
	$(MANAGE) $(DEMO_COMPUTE)
endif

# --- Checks -------------------------------------------------------------------------------------
# Each check runs even when an earlier one failed (make --keep-going), so one run shows every
# problem; the exit code is non-zero if any failed.
LINT_STEPS := check-ruff check-format
TEST_STEPS := $(LINT_STEPS) check-migrations check-pytest
.PHONY: $(TEST_STEPS)

lint: $(TEST_STAMP)
	@$(MAKE) --no-print-directory --keep-going $(LINT_STEPS)

test: $(TEST_STAMP)
	@$(MAKE) --no-print-directory --keep-going $(TEST_STEPS)

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-ruff: $(TEST_STAMP)
	$(BIN)/ruff check .

check-format: $(TEST_STAMP)
	$(BIN)/ruff format --check .

check-migrations: $(TEST_STAMP)
	$(MANAGE) makemigrations --check --dry-run

# pytest exits 5 when it collected no test; that is a failure here, never a pass.
check-pytest: $(TEST_STAMP)
	@status=0; $(BIN)/pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest ran no test (exit 5): failing." >&2; fi; \
	exit $$status

ci:
	bash .ci/run

# Regenerate the checked-in OpenAPI schema (tests/api compares it with the code). English field
# titles: the default language is zh-hans.
schema: $(RUNTIME_STAMP)
	$(MANAGE) spectacular --lang en --validate --fail-on-warn --file openapi/schema.yaml

# --- Translations -------------------------------------------------------------------------------
messages: $(RUNTIME_STAMP)
	$(MANAGE) makemessages -l zh_Hans -l en $(MAKEMESSAGES_IGNORE)
	$(MANAGE) compilemessages $(COMPILEMESSAGES_IGNORE)

# --- Cleaning -----------------------------------------------------------------------------------
clean:
	@echo "Removing var/ (SQLite database of the demo), staticfiles/ and tool caches; .venv stays."
	rm -rf var staticfiles .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	@echo "Removing $(VENV)/ (the virtualenv)."
	rm -rf $(VENV)
