# Two commands: `make run` (the whole stack in the foreground) and `make test`.
# Everything is installed and started from here; services live under .data/ on loopback.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

RUN_DATA := .data/run
RUN_PG_PORT ?= 5433
RUN_REDIS_PORT ?= 6380
WEB_PORT ?= 8000
TEST_DATA := .data/test
TEST_PG_PORT ?= 5434
TEST_REDIS_PORT ?= 6381

RUN_ENV := DATABASE_URL=postgres://xads@127.0.0.1:$(RUN_PG_PORT)/xads \
	REDIS_URL=redis://127.0.0.1:$(RUN_REDIS_PORT)/0 \
	CELERY_BEAT_SCHEDULE_FILENAME=$(RUN_DATA)/celerybeat-schedule \
	PUBLIC_URL=http://127.0.0.1:$(WEB_PORT)
TEST_ENV := DATABASE_URL=postgres://xads@127.0.0.1:$(TEST_PG_PORT)/xads \
	REDIS_URL=redis://127.0.0.1:$(TEST_REDIS_PORT)/0 \
	CELERY_BEAT_SCHEDULE_FILENAME=$(TEST_DATA)/celerybeat-schedule \
	CELERY_VISIBILITY_TIMEOUT_SECONDS=5 CELERY_RESTORE_INTERVAL_SECONDS=1 PG_FAST_UNSAFE=1

.PHONY: help install system-deps run up down test lint format bench-ingest bench-query bench-pages bench-alerts bench-retention clean

help:
	@echo "make run    - install, start PostgreSQL + Redis + web + worker + beat in the foreground"
	@echo "make test   - install, start test services, run the whole test suite"
	@echo "make up     - the same stack as 'make run', in the background; 'make down' stops it"
	@echo "make lint   - ruff format --check and ruff check"

system-deps:
	@scripts/system-deps.sh

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: system-deps $(STAMP)

run: install
	@$(RUN_ENV) scripts/stack.sh foreground $(RUN_DATA) $(RUN_PG_PORT) $(RUN_REDIS_PORT) $(WEB_PORT)

up: install
	@$(RUN_ENV) scripts/stack.sh background $(RUN_DATA) $(RUN_PG_PORT) $(RUN_REDIS_PORT) $(WEB_PORT)

down:
	@$(RUN_ENV) scripts/stack.sh stop $(RUN_DATA) $(RUN_PG_PORT) $(RUN_REDIS_PORT) $(WEB_PORT)

test: install
	@$(TEST_ENV) scripts/services.sh start $(TEST_DATA) $(TEST_PG_PORT) $(TEST_REDIS_PORT)
	@$(TEST_ENV) $(BIN)/python manage.py migrate --no-input -v0
	@$(TEST_ENV) $(BIN)/python manage.py collectstatic --no-input -v0
	@status=0; $(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	  $(TEST_ENV) scripts/services.sh stop $(TEST_DATA) $(TEST_PG_PORT) $(TEST_REDIS_PORT); \
	  exit $$status

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-ingest: up
	$(RUN_ENV) $(BIN)/python bench/ingest.py $(BENCH_ARGS)

bench-query: up
	$(RUN_ENV) $(BIN)/python bench/query.py $(BENCH_ARGS)

bench-pages: up
	$(RUN_ENV) $(BIN)/python bench/pages.py $(BENCH_ARGS)

bench-alerts: up
	$(RUN_ENV) $(BIN)/python bench/alerts.py $(BENCH_ARGS)

bench-retention: up
	$(RUN_ENV) $(BIN)/python bench/retention.py $(BENCH_ARGS)

clean: down
	rm -rf .data $(VENV)
