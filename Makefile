# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-fast lint lint-js typecheck pytest bench bench-webchat i18n clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# `make demo PORT=8123` serves elsewhere when 8000 is taken.
PORT ?= 8000

demo: install
	$(BIN)/hotline demo --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	scripts/lint-js

# eslint over the console's JS modules; skipped with a note where node/npm are missing (not in CI).
lint-js:
	scripts/lint-js

typecheck: install
	$(BIN)/mypy

# Tests in PYTEST_WORKERS processes (pytest-xdist; `make pytest PYTEST_WORKERS=0` runs them in one).
# Tests marked with an xdist_group run one after the other in the same process.
PYTEST_WORKERS ?= 2

pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=30

test: lint typecheck pytest

# The unit tests only (no server, no browser, no PostgreSQL; see tests/markers.py): under a minute.
test-fast: install
	$(BIN)/pytest -m unit -q

bench: install
	$(BIN)/python scripts/bench_webhooks.py

# 200 web chats on one instance: message to the counselor's screen, memory per open chat.
bench-webchat: install
	$(BIN)/python scripts/bench_webchat.py

# Re-extract translatable strings and merge them into each catalog (then translate zh_CN).
i18n: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --ignore-dirs='simulator migrations' \
		-o messages.pot hotline agent_console
	$(BIN)/pybabel update -i messages.pot -d hotline/locale -D messages --no-fuzzy-matching \
		--ignore-obsolete -w 100
	rm messages.pot

clean:
	rm -rf $(VENV) node_modules hotline-demo.db*
