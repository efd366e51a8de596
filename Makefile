# Parley: `make demo` runs a whole simulated campaign; `make test` runs the suite. Both start from a fresh clone.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
LOCAL_VOICE := $(VENV)/.local-voice-installed

.PHONY: demo test serve up bench lint worker beat local-voice

# The worker listens on these queues (tests point it at a queue of their own).
WORKER_QUEUES ?= celery,dialer,imports

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME): requirements.txt | $(BIN)/python
	$(PIP) install -r requirements.txt
	touch $@

$(DEV): requirements.txt requirements-dev.txt $(RUNTIME)
	$(PIP) install -r requirements-dev.txt
	touch $@

# Optional extra: local Whisper STT, Piper TTS and Silero VAD (~600 MB; docs/self-hosted.md). Never part of the
# default install; VOICE_STT=whisper / VOICE_TTS=piper / VOICE_VAD=silero refuse to start without it.
$(LOCAL_VOICE): requirements-local.txt $(RUNTIME)
	$(PIP) install -r requirements-local.txt
	touch $@

local-voice: $(LOCAL_VOICE)

demo: $(RUNTIME)
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(BIN)/python manage.py seed_demo --demo
	$(BIN)/python manage.py rehearse --campaign demo --calls 20

test: $(DEV)
	$(BIN)/python -m pytest

# Without REDIS_URL the web process also runs the dialer's tick and sweeper (dialer/inprocess.py): Start dials.
# `make serve PORT=8080` picks another port; PUBLIC_BASE_URL follows it (unless set in the shell or .env), since
# the simulated carrier calls the webhooks and the media WebSocket back there: on a stale port calls stay "Dialing".
PORT ?= 8000
serve: $(RUNTIME)
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py collectstatic --no-input -v 0
	env $$(test -n "$$PUBLIC_BASE_URL" || grep -qs '^PUBLIC_BASE_URL=.' .env || echo PUBLIC_BASE_URL=http://127.0.0.1:$(PORT)) \
	  $(BIN)/python -m uvicorn config.asgi:application --host 127.0.0.1 --port $(PORT)

# With REDIS_URL: web, worker and beat together (Procfile), one Ctrl-C stops all three.
up: $(RUNTIME)
	@test -n "$$REDIS_URL" || grep -qs '^REDIS_URL=.' .env || { \
	  echo "make up runs web + worker + beat on Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/0)." >&2; \
	  echo "Without Redis, 'make serve' alone runs the whole product." >&2; exit 2; }
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py collectstatic --no-input -v 0
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

# Threads, not forked children: Ctrl-C (SIGINT) stops it in every state. Refuses to start without REDIS_URL.
worker: $(RUNTIME)
	exec $(BIN)/celery -A config worker -Q $(WORKER_QUEUES) --pool threads --concurrency 8 --loglevel INFO

beat: $(RUNTIME)
	exec $(BIN)/celery -A config beat --loglevel INFO

bench: $(DEV)
	$(BIN)/python -m bench.csv_import --rows 100000 --json
	$(BIN)/python -m bench.dialer --leads 20000 --workers 4 --json
	$(BIN)/python -m bench.dialer --leads 20000 --workers 4 --chaos --json
	$(BIN)/python -m bench.voice --calls 50 --json
	$(BIN)/python -m bench.voice_resilience --json

lint: $(DEV)
	$(BIN)/ruff check .
