# elmo_lib: `make setup`, `make report`, `make test`, `make data`, `make bench`.
# the first Python >= 3.11 on PATH, whatever its name
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3 python; do \
  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  && { echo $$p; break; }; done)
VENV ?= .venv
PY := $(VENV)/bin/python
AG_NEWS_DIR ?= data/ag_news
export AG_NEWS_DIR

.PHONY: setup report test data bench clean
PROFILE ?= auto

setup: $(VENV)/.installed
	@bash scripts/system-deps.sh

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: no Python >= 3.11 found on PATH; install one, or run: make setup PYTHON=/path/to/python3.11" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
# pip byte-compiles on one core; compiling afterwards on every core is the same .pyc files in less time
# (2 cores: 32 s against 43 s for install and compile)
	$(PY) -m pip install --quiet --no-compile -e '.[dev]'
	$(PY) -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
	$(PY) -m ipykernel install --user --name elmo-lib --display-name "Python (elmo-lib)"
	touch $@

# extra arguments for `elmo-lib report`, e.g. make report PROFILE=smoke ARGS='--no-pdf --set elmo.modes=["trainable"]'
ARGS ?=
report: setup
	$(PY) -m elmo_lib report --profile $(PROFILE) $(ARGS)

# unit and integration tests, then the notebooks at the smoke profile (nbval checks the data statistics exactly)
test: setup
	$(PY) -m pytest -q -n auto --nbval-lax --nbval-current-env tests notebooks

data: setup
	$(PY) -m elmo_lib data download --data-dir "$(AG_NEWS_DIR)"

bench: setup
	$(PY) -m elmo_lib bench pretrain --profile cpu --json benchmarks/pretrain_latest.json | tee benchmarks/pretrain_latest.txt
	$(PY) benchmarks/bench_static.py | tee benchmarks/static_latest.txt

clean:
	rm -rf artifacts .pytest_cache
