# elmo_lib: `make setup`, `make test`, `make data`, `make bench`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
AG_NEWS_DIR ?= data/ag_news
export AG_NEWS_DIR

.PHONY: setup test data bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --user --name elmo-lib --display-name "Python (elmo-lib)"
	touch $@

test: setup
	$(PY) -m pytest -q

data: setup
	$(PY) -m elmo_lib data download --data-dir "$(AG_NEWS_DIR)"

bench: setup
	$(PY) benchmarks/bench_static.py | tee benchmarks/static_latest.txt

clean:
	rm -rf artifacts .pytest_cache
