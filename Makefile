# involve: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test lint bench soak deploy worker screenshots messages clean
# NHS.UK frontend CSS/JS for the pages; this version matches nhsuk-frontend-jinja 0.10.2 (pyproject.toml)
NHSUK_FRONTEND_VERSION := 10.6.1
FRONTEND := var/frontend/.nhsuk-frontend-$(NHSUK_FRONTEND_VERSION)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

$(FRONTEND):
	@mkdir -p var/frontend
	@if command -v npm >/dev/null 2>&1 && npm install --prefix var/frontend --no-audit --no-fund --loglevel=error \
	    nhsuk-frontend@$(NHSUK_FRONTEND_VERSION); then touch $(FRONTEND); \
	else echo "nhsuk-frontend not installed (needs npm): pages will work, unstyled"; fi

install: $(STAMP) $(FRONTEND)

run: install
	@mkdir -p var
	@$(BIN)/involve db upgrade
	@$(BIN)/involve info
	$(BIN)/involve serve --host 127.0.0.1 --port 8000

# two pytest workers (most tests wait on servers, browsers and databases, not the CPU); PYTEST_WORKERS=0 runs in one process
PYTEST_WORKERS ?= 2
test: install
	$(BIN)/python -m pytest $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadscope) $(PYTEST_ARGS)

# long reliability scenarios (tests/reliability/soak.py): prints scenario, requests, lost, duplicated, leaked
soak: install
	$(BIN)/python -m tests.reliability.soak $(SOAK_ARGS)

screenshots: install
	$(BIN)/python -m tests.browser.screenshots --out screenshots

messages: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ --project involve --sort-output -o involve/locale/messages.pot .
	$(BIN)/pybabel extract -F babel-staff.cfg -k N_ --project involve --sort-output -o involve/locale/staff.pot .
	@ls involve/locale/*/LC_MESSAGES/messages.po >/dev/null 2>&1 && $(BIN)/pybabel update -i involve/locale/messages.pot -d involve/locale --no-fuzzy-matching || true
	$(BIN)/pybabel compile -d involve/locale --statistics

lint: install
	$(BIN)/ruff check .

# Benchmarks beside their yardsticks (bench/run.py; needs wrk). BENCH_ARGS="--quick" or "--only intake" (processing, e2e, serving, report, staff;
# "--only workers": one worker against two on PostgreSQL, needs INVOLVE_TEST_POSTGRES_URL).
bench: install
	@command -v wrk >/dev/null || { echo "bench: install wrk first (apt-get install wrk)" >&2; exit 2; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Scale-out (docs/scale-out.md): PREFECT_API_URL points at the Prefect server, INVOLVE_* at PostgreSQL etc.
POOL ?= involve
# flow runs one worker runs at once (threads of the one worker process, `involve worker`); more than
# that stay Scheduled for another worker. One worker uses about one core: start one per core (docs/scale-out.md)
WORKER_LIMIT ?= 2
NEED_PREFECT_API = test -n "$$PREFECT_API_URL" || $(BIN)/prefect config view 2>/dev/null | grep -q '^PREFECT_API_URL=' \
	|| { echo "$@: set PREFECT_API_URL to the Prefect server's API, e.g. http://prefect:4200/api" >&2; exit 2; }

deploy: install
	@$(NEED_PREFECT_API)
	@out=$$($(BIN)/prefect work-pool create $(POOL) --type process 2>&1) || echo "$$out" | grep -q "already exists" \
	    || { echo "$$out" >&2; exit 1; }; echo "work pool $(POOL) (process): ready"
	$(BIN)/prefect --no-prompt deploy --all

worker: install
	@$(NEED_PREFECT_API)
	INVOLVE_PROJECT_ROOT=$${INVOLVE_PROJECT_ROOT:-$(CURDIR)} exec $(BIN)/involve worker --pool $(POOL) --limit $(WORKER_LIMIT) $(WORKER_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
