# The README's two commands: `make demo` and `make test`. Each installs what it needs:
# a tools venv with uv, the locked project venv, and (for browser tests) Debian chromium.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
BIN    := $(VENV)/bin
SCALE  ?= medium
DATA_DIR ?= data
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
# Install every package with its bytecode (.pyc). Python writes it on first import only
# where it may: with PYTHONDONTWRITEBYTECODE set (it is, on the machines this project is
# built and tested on) every process compiled dbt, numpy, polars ... from source again,
# 3-4 s per `leerdata build`.
export UV_COMPILE_BYTECODE := 1

.PHONY: install install-runtime demo demo-no-dashboard test test-fast lint format bench system-deps oidc-deps clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

# Two installs from the one lock: the runtime (what `make demo` runs) and the full one with
# the dev group (test and lint tools). --inexact: a runtime sync never removes the dev tools
# an earlier full install put there.
$(VENV)/.synced-runtime: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --no-dev --inexact --python $(PYTHON)
	@touch $@

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@ $(VENV)/.synced-runtime

install-runtime: $(VENV)/.synced-runtime

install: $(VENV)/.synced

# Debian packages the tests and benchmarks need: chromium for the real-browser dashboard
# test (no browser download at run time), GNU time for per-step peak RSS, Node.js and npm
# for the login test's OpenID Connect provider.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	[ -x /usr/bin/time ] || missing="$$missing time"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# The login test's OpenID Connect provider (npm `oidc-provider`), from the committed lock
# file into git-ignored tests/oidc/node_modules (the test also runs this when it is missing).
oidc-deps: tests/oidc/node_modules/.package-lock.json

tests/oidc/node_modules/.package-lock.json: tests/oidc/package.json tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error

demo: install-runtime
	$(BIN)/leerdata demo --scale small --data-dir $(DATA_DIR)

demo-no-dashboard: install-runtime
	$(BIN)/leerdata demo --scale small --data-dir $(DATA_DIR) --no-dashboard

test: install system-deps oidc-deps lint
	$(BIN)/pytest -n 2 --dist loadgroup

test-fast: install
	$(BIN)/pytest -n 2 --dist loadgroup -m "not slow and not browser"

lint: install
	$(BIN)/ruff check src tests benchmarks dashboards
	$(BIN)/ruff format --check src tests benchmarks dashboards
	@mkdir -p target/lint/warehouse && $(BIN)/python -c "import duckdb; from leerdata.builder.warehouse import ensure_restricted_tables; from leerdata.config import DataPaths; ensure_restricted_tables(DataPaths.of('target/lint'))"
	@# mypy and sqlfluff take 40-50 s each on a fresh clone, each on one core: side by side.
	@# Each one's output is shown whole after both finished; either failing fails lint.
	@echo "mypy and sqlfluff lint models dbt_project/tests, side by side"; status=0; \
	$(BIN)/mypy > target/lint/mypy.log 2>&1 & mypy_pid=$$!; \
	LEERDATA_RESTRICTED_DB=target/lint/warehouse/restricted.duckdb LEERDATA_REPORTING_BUILD_DB=target/lint/warehouse/reporting.duckdb \
	  LEERDATA_KEY_FILE=$(CURDIR)/target/lint/pseudonym.key $(BIN)/sqlfluff lint models dbt_project/tests \
	  > target/lint/sqlfluff.log 2>&1 || status=1; \
	wait $$mypy_pid || status=1; \
	echo "--- mypy"; cat target/lint/mypy.log; echo "--- sqlfluff"; cat target/lint/sqlfluff.log; \
	exit $$status

format: install
	$(BIN)/ruff format src tests benchmarks dashboards
	$(BIN)/ruff check --fix src tests benchmarks dashboards

bench: install system-deps
	$(BIN)/python benchmarks/run.py --scale $(SCALE)

clean:
	rm -rf $(VENV) $(TOOLS) target logs
