# Two commands on a fresh machine: `make run` (the product) and `make test` (every test).
# Both create .venv and install what they need themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# the extras are in the stamp's name: changing them reinstalls, editing the rest of this file does not
EXTRAS := test,oidc
STAMP := $(VENV)/.installed-$(EXTRAS)

.PHONY: install run test lint bench demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# the collector and the dashboard (http://localhost:$(PORT)) together; Ctrl-C stops both
PORT ?= 8501
run: install
	$(BIN)/newsradar seed
	$(BIN)/newsradar serve --port $(PORT)

demo: install
	$(BIN)/newsradar demo

lint: install
	$(BIN)/ruff check .

# one test process per CPU (pytest-xdist); a file's tests stay in one process, with their module fixtures
TEST_WORKERS ?= auto
# the browser tests drive Debian's chromium through Playwright (a pip package); never `playwright install`.
# the PostgreSQL tests start a throwaway cluster of Debian's postgresql (tests/pgcluster.py)
test: install lint
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update && apt-get install -y postgresql)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# dashboard_browser.py (felt speed in Chromium) uses $BENCH_DB or /tmp/full.db, else builds the 2023 corpus itself
bench: install
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update && apt-get install -y postgresql)
	$(BIN)/python bench/backfill.py --engine sqlite --engine postgresql
	$(BIN)/python bench/collect.py --engine sqlite --engine postgresql
	$(BIN)/python bench/tagging.py
	$(BIN)/python bench/dashboard_queries.py --engine sqlite --engine postgresql
	$(BIN)/python bench/dashboard_browser.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/postgres.py

clean:
	rm -rf $(VENV) build *.egg-info
