# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint lint-imports typecheck format migrate lock clean

$(STAMP): requirements/dev.txt
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

install: $(STAMP)

.env:
	cp .env.example .env

## Install, migrate, load the demo data once, print the demo logins, serve on :8000.
run: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## Install and run the whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## The import order of the apps (contract in pyproject.toml, [tool.importlinter]).
lint-imports: install
	$(BIN)/lint-imports --no-cache

## Type-check the modules other code builds on: services, selectors, access helpers,
## scoring, figures, statistics, runs, exporters. A module split in two is picked up.
TYPED := $(sort $(filter-out exports/views.py exports/forms.py exports/urls.py exports/apps.py, \
	$(wildcard */services.py */selectors.py */volunteers.py */access.py */links.py \
	*/todo.py */offline.py */instruments.py */scoring.py */kiosk.py peersupport/jobs.py peersupport/storage.py \
	peersupport/rotation.py peersupport/backups.py peersupport/tasking.py peersupport/paging.py peersupport/bulk.py \
	evaluation/figures.py evaluation/periods.py evaluation/engine.py \
	evaluation/stats.py evaluation/signedrank.py evaluation/runs.py evaluation/disclosure.py evaluation/figures/*.py \
	evaluation/display.py evaluation/presenting.py evaluation/charts.py evaluation/stored.py \
	exports/*.py exports/*/*.py exports/management/commands/*.py)))
typecheck: install
	$(BIN)/mypy $(filter-out tests/% bench/% %/migrations/%,$(TYPED))

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Re-lock dependencies after editing pyproject.toml.
lock:
	$(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv pip compile pyproject.toml --python-version 3.11 -o requirements/base.txt
	$(PYTHON) -m uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements/dev.txt

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
