# The commands people type. `make run` serves the demo; `make test` runs the whole suite.
# Both create .venv and install the pinned requirements on first use; later runs skip the install
# until a requirements file changes (stamp files in .venv).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
CHROMIUM := /usr/bin/chromium
HOST_PORT ?= 127.0.0.1:8000
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: help run serve test lint format bench bench-ingest bench-web bench-exchange worker migrate chromium fonts constraints

help:
	@echo "make run      install, migrate, load reference data and the demo, serve http://$(HOST_PORT) with a worker"
	@echo "make serve    production server: DEBUG off, migrate, collectstatic, gunicorn on $(HOST_PORT) (README, \"Serving in production\")"
	@echo "make test     install (with test tools and Debian's chromium) and run the whole test suite"
	@echo "make lint     ruff check, ruff format --check, the layer contracts (import-linter) and mypy"
	@echo "make format   ruff format and ruff check --fix"
	@echo "make bench    footprint benchmark (bench/compute_bench.py; DATABASE_URL picks the database)"
	@echo "make bench-ingest  readings ingestion, committed, against a plain COPY (bench/ingest_bench.py)"
	@echo "make bench-web  load benchmark of the pages under gunicorn (bench/web_bench.py; DATABASE_URL: PostgreSQL)"
	@echo "make bench-exchange  cost of the exchange pages on the demo, warm and cold (bench/exchange_pages.py)"
	@echo "make worker   a Celery worker in the foreground"
	@echo "make migrate  apply database migrations"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt constraints.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt constraints.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@ $(RUNTIME_STAMP)

# Browser tests drive Debian's chromium (Playwright downloads no browser here); Chinese pages and
# reports need a CJK font (Debian's fonts-noto-cjk). Install what is missing when we may;
# otherwise say so (browser tests then skip and say why; Chinese renders as boxes).
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
APT_INSTALL := apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y

chromium: fonts
	@if [ -x "$(CHROMIUM)" ]; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests"; \
		$(APT_INSTALL) chromium; \
	else \
		echo "$(CHROMIUM) is missing and this is not root: browser tests will be skipped (apt-get install chromium)"; \
	fi

fonts:
	@if [ -e "$(CJK_FONT)" ]; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's fonts-noto-cjk so Chinese renders"; \
		$(APT_INSTALL) fonts-noto-cjk; \
	else \
		echo "$(CJK_FONT) is missing and this is not root: Chinese may render as boxes (apt-get install fonts-noto-cjk)"; \
	fi

migrate: export DEBUG := 1
migrate: $(RUNTIME_STAMP)
	$(PY) manage.py migrate --noinput

run: export DEBUG := 1
run: migrate fonts
	$(PY) manage.py load_reference
	HOST_PORT=$(HOST_PORT) $(PY) manage.py load_demo
	@echo "Worker and web server starting; Ctrl-C stops both."
	@$(VENV)/bin/celery -A carbonfoot worker --loglevel=INFO --concurrency=1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST_PORT)

# Production: DEBUG off, gunicorn, static files collected and served by WhiteNoise. SECRET_KEY and ALLOWED_HOSTS
# (and DATABASE_URL, CELERY_BROKER_URL...) come from the environment; behind a TLS proxy set
# SECURE_PROXY_SSL_HEADER, or HTTPS=0 to try it on plain HTTP. Workers: GUNICORN_WORKERS (2 x CPUs + 1).
GUNICORN_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 + 1 )))
serve: export DEBUG := 0
serve: $(RUNTIME_STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput
	$(VENV)/bin/gunicorn carbonfoot.wsgi --bind $(HOST_PORT) --workers $(GUNICORN_WORKERS) --access-logfile -

worker: export DEBUG := 1
worker: $(RUNTIME_STAMP)
	$(VENV)/bin/celery -A carbonfoot worker --loglevel=INFO --concurrency=1

test: export DEBUG := 1
test: $(DEV_STAMP) chromium
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# mypy loads the settings (django-stubs), which need DEBUG or a SECRET_KEY.
lint: export DEBUG := 1
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: $(DEV_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# After changing a requirements file: freeze the resolved versions the suite then passes with.
constraints: $(DEV_STAMP)
	{ echo "# Every transitive version, frozen from the environment the suite passed in. Installs use it"; \
	  echo "# as pip constraints (-c), so a fresh machine gets exactly these. Regenerate: make constraints"; \
	  $(PY) -m pip freeze --disable-pip-version-check | grep -v '^-e' | sort -f; } > constraints.txt

bench: export DEBUG := 1
bench: migrate
	$(PY) bench/compute_bench.py $(BENCH_ARGS)

bench-ingest: export DEBUG := 1
bench-ingest: migrate
	$(PY) bench/ingest_bench.py $(BENCH_ARGS)

# The script migrates and loads the database itself, with DEBUG off as in production.
bench-web: $(RUNTIME_STAMP)
	$(PY) bench/web_bench.py $(BENCH_ARGS)

# Likewise, on a database that holds the demo only (the script refuses any other).
bench-exchange: $(RUNTIME_STAMP)
	$(PY) bench/exchange_pages.py $(BENCH_ARGS)
