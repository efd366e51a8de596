# Parley: `make demo` runs a whole simulated campaign; `make test` runs the suite. Both start from a fresh clone.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: demo test serve bench lint worker beat

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME): requirements.txt | $(BIN)/python
	$(PIP) install -r requirements.txt
	touch $@

$(DEV): requirements.txt requirements-dev.txt $(RUNTIME)
	$(PIP) install -r requirements-dev.txt
	touch $@

demo: $(RUNTIME)
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(BIN)/python manage.py seed_demo --demo
	$(BIN)/python manage.py rehearse --campaign demo --calls 20

test: $(DEV)
	$(BIN)/python -m pytest

serve: $(RUNTIME)
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(BIN)/python -m uvicorn config.asgi:application --host 127.0.0.1 --port 8000

worker: $(RUNTIME)
	$(BIN)/celery -A config worker -Q celery,dialer,imports --loglevel INFO

beat: $(RUNTIME)
	$(BIN)/celery -A config beat --loglevel INFO

bench: $(DEV)
	$(BIN)/python -m bench.csv_import --rows 100000 --json
	$(BIN)/python -m bench.dialer --leads 20000 --workers 4 --json
	$(BIN)/python -m bench.voice --calls 100 --json

lint: $(DEV)
	$(BIN)/ruff check .
