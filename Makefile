# Two commands set everything up: `make run` and `make test`.
# uv is bootstrapped into .tools/ from PyPI so a machine needs only Python, make and git.

PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never

.PHONY: install lock run test lint typecheck test-tools unit bench compose clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

# requirements.lock pins every package with its hashes (no download addresses); the project
# itself is put on the venv's path with a .pth file, so no build backend is fetched.
$(VENV)/.installed: $(UV) pyproject.toml requirements.lock
	test -x $(PY) || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(PY) requirements.lock
	$(PY) -c "import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()['purelib'], 'citizen_account.pth').write_text('$(CURDIR)\n')"
	touch $@

install: $(VENV)/.installed

# After changing dependencies in pyproject.toml: re-resolve and write both lock files.
lock: $(UV)
	$(UV) lock --python $(PYTHON)
	$(UV) export --locked --all-groups --no-emit-project --format requirements-txt \
		--quiet --output-file requirements.lock
	$(UV) export --locked --no-dev --no-emit-project --format requirements-txt \
		--quiet --output-file docker/requirements.lock

run: install
	$(PY) -m launcher

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

unit: install
	$(PY) -m pytest -q

# What the tests need outside Python: Debian's chromium and wrk, and axe-core (checked against
# its published integrity) for the accessibility checks.
test-tools: install
	$(PY) -m tests.system_tools

test: lint typecheck test-tools unit

compose: install
	$(PY) -m schema compose

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .pytest_cache .ruff_cache
