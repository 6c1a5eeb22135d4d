# Numérique pour Tous — the intake assistant. `make run` starts it, `make test` tests it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/npt.tar.gz
TRAINING_DATA := config.yml domain.yml $(sort $(wildcard data/nlu/*.yml data/rules/*.yml data/stories/*.yml))

# Local settings and secrets (never committed); the assistant runs without them.
-include .env
export
export RASA_TELEMETRY_ENABLED = false
export TF_CPP_MIN_LOG_LEVEL = 2
export SQLALCHEMY_SILENCE_UBER_WARNING = 1

.PHONY: run run-prod test bench nlu-cv train db venv lock browser services postgres clean

run: venv train db
	$(PY) scripts/run_all.py

# Production mode: PostgreSQL, Redis, 2 Rasa and 2 action servers behind nginx (README).
run-prod: venv train services
	$(PY) scripts/production.py

test: venv train browser services
	$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

bench: venv train
	$(PY) scripts/bench.py

# 3-fold cross-validation of the NLU on its training data (fixed seed; three NLU trainings):
# accuracy and macro-F1, written to var/bench/nlu_cv.json.
nlu-cv: venv
	$(PY) scripts/nlu_cv.py

venv: $(VENV)/.installed

# The virtualenv, installed from the lock file; rebuilt when the lock or pyproject changes.
$(VENV)/.installed: requirements.lock pyproject.toml
	@PYTHON=$$(scripts/find_python310.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c "import sys; sys.exit(sys.version_info[:2] != (3, 10))"; then \
	  rm -rf $(VENV); echo "Creating $(VENV) with $$PYTHON"; $$PYTHON -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==24.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

# Trains only when the training data, the domain or the configuration changed.
train: $(MODEL)
$(MODEL): $(TRAINING_DATA) $(VENV)/.installed
	$(RASA) train --data data/nlu data/rules --config config.yml --domain domain.yml \
	  --out models --fixed-model-name npt
	@touch $@

db: venv
	$(VENV)/bin/npt db upgrade
	$(VENV)/bin/npt places seed
	$(VENV)/bin/npt partners load

# Headless Chromium for the web chat tests (Debian package; installed when missing, as root).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing chromium (apt)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || exit 1; \
	  else echo "Chromium is missing: run sudo apt-get install chromium" >&2; exit 1; fi; fi

# The servers the tests and the production mode start themselves: PostgreSQL, Redis, nginx
# (Debian packages; installed when missing, as root). Nothing is left running: each user starts
# its own server on loopback.
SERVICE_PACKAGES := postgresql:initdb redis-server:redis-server nginx:nginx
services:
	@missing=""; for pair in $(SERVICE_PACKAGES); do package=$${pair%%:*}; binary=$${pair#*:}; \
	  if ! command -v $$binary >/dev/null && ! ls /usr/lib/postgresql/*/bin/$$binary /usr/sbin/$$binary \
	      /usr/bin/$$binary >/dev/null 2>&1; then missing="$$missing $$package"; fi; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing$$missing (apt)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else echo "Missing:$$missing: run sudo apt-get install$$missing" >&2; exit 1; fi; fi

postgres: services

lock:
	scripts/lock.sh

clean:
	rm -rf $(VENV) models var .pytest_cache
