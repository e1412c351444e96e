# Two commands matter: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
PORT ?= 8000
UV := $(shell uv --version >/dev/null 2>&1 && echo uv || echo $(CURDIR)/var/tools/bin/uv)
MANAGE := $(UV) run --locked python manage.py
# Web processes and threads per process; empty: bin/web's defaults (bin/web --print-setup).
WORKERS ?=
THREADS ?=

.PHONY: run test install lint typecheck bench worker web clean screenshots

$(CURDIR)/var/tools/bin/uv:
	@echo "uv not found: installing it into var/tools"
	python3 -m pip install --quiet --disable-pip-version-check --target $(CURDIR)/var/tools uv

install: $(if $(filter uv,$(UV)),,$(CURDIR)/var/tools/bin/uv)
	$(UV) sync --locked

# The demo admin is a superuser whose password `make run` prints: made by default only in the
# embedded default, which serves 127.0.0.1 alone. DEMO_ADMIN=1 asks for it in production
# mode too, DEMO_ADMIN=0 never makes it.
ifeq ($(strip $(DATABASE_URL)),)
DEMO_ADMIN ?= 1
else
DEMO_ADMIN ?= 0
endif

run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo$(if $(filter 1 true yes on,$(DEMO_ADMIN)), --admin)
ifeq ($(strip $(DATABASE_URL)),)
	@echo "Embedded default: SQLite, tasks in-process, mail in var/outbox/ (http://127.0.0.1:$(PORT)/dev/outbox/)"
	$(MANAGE) runserver 127.0.0.1:$(PORT)
else
	$(MANAGE) collectstatic --noinput -v 0
	@echo "Production mode: granian ($$(WEB_WORKERS=$(WORKERS) WEB_THREADS=$(THREADS) bin/web --print-setup)) on 127.0.0.1:$(PORT) and a Celery worker with beat (restarted if it exits)"
	@trap 'kill 0' EXIT INT TERM; \
	  bin/keep-running "Celery worker" $(UV) run --locked celery -A config worker --beat --schedule var/celerybeat-schedule -Q default,mail,bulk --concurrency 2 --loglevel INFO & \
	  WEB_WORKERS=$(WORKERS) WEB_THREADS=$(THREADS) $(UV) run --locked bin/web --host 127.0.0.1 --port $(PORT) & \
	  wait $$!
endif

test: install
	bash .ci/services
	bash .ci/browser
	bash .ci/varnish
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy
	$(UV) run --locked lint-imports
	$(UV) run --locked pytest $(PYTEST_ARGS)

# Load tests on loopback, bounded in time; never part of `make test`. See docs/benchmarks.md.
bench: install
	bash .ci/services
	$(UV) run --locked python bench/run.py $(BENCH_ARGS)

# The pictures in README.md: the browser tests write them to docs/screenshots/.
screenshots: install
	bash .ci/services
	bash .ci/browser
	SCREENSHOTS=1 $(UV) run --locked pytest -q -p no:cacheprovider tests/e2e/test_screenshots.py

lint: install
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy
	$(UV) run --locked lint-imports

clean:
	rm -rf var/db.sqlite3 var/outbox var/static
