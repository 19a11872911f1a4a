# Pantau Coklit: `make demo` runs the product, `make test` runs the whole suite.
VENV     := .venv
PY       := $(VENV)/bin/python
REGENCY  ?= 62.71
VOTERS_PER_TPS ?= 300
HOST     ?= 127.0.0.1:8000
DEMO_ENV := DJANGO_DEBUG=1

.PHONY: demo test lint bench load venv install install-dev serve clean

$(PY):
	@python=$$(bin/find-python) || exit 1; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q ".[dev]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput -v 0
	$(DEMO_ENV) $(PY) manage.py seed_demo --regency $(REGENCY) --voters-per-tps $(VOTERS_PER_TPS)
	@echo "Open http://$(HOST)/ and log in with one of the accounts above."
	@echo "simulate_coklit plays the pantarlih devices beside the server (log: simulate.log)."
	@$(DEMO_ENV) $(PY) manage.py simulate_coklit --regency $(REGENCY) > simulate.log 2>&1 & \
	sim=$$!; trap 'kill $$sim 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(PY) manage.py runserver $(HOST) --noreload

test: install-dev
	DJANGO_TESTING=1 $(PY) manage.py makemigrations --check --dry-run -v 1
	$(PY) -m pytest $(PYTEST_ARGS)

# SPEC 10's bars as ratios, in scratch databases beside DATABASE_URL's (PostgreSQL only):
# prints a table and writes bench-results.json. BENCH_QUICK=1 runs a smaller version.
bench: install-dev
	@case "$$DATABASE_URL" in \
	  postgres://*|postgresql://*|pgsql://*|postgis://*) ;; \
	  "") echo "make bench: set DATABASE_URL to a PostgreSQL database, e.g." \
	        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/pantau make bench" >&2; exit 2 ;; \
	  *) echo "make bench: DATABASE_URL is not PostgreSQL; the bars are for PostgreSQL" >&2; \
	     exit 2 ;; \
	esac
	$(PY) bench/run.py $(BENCH_ARGS)

# Load on loopback (bench/load.py): gunicorn, 100 officers polling, 20 devices syncing, 60 s.
# Needs DATABASE_URL (PostgreSQL); runs in a scratch database <name>_load. LOAD_ARGS="--poll-every 1".
load: install-dev
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; \
	  *) echo "make load needs DATABASE_URL=postgres://user@host:5432/name (PostgreSQL)"; exit 2;; esac
	$(PY) bench/load.py $(LOAD_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
