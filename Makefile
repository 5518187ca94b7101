# elmo_lib: `make setup`, `make report`, `make test`, `make data`, `make bench`, `make lock`.
# Every path below starts at the checkout (the folder of this Makefile), so `make -f ../Makefile report` from
# notebooks/ works as `make report` does from the root.
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
# the first Python >= 3.11 on PATH, whatever its name
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3 python; do \
  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  && { echo $$p; break; }; done)
VENV ?= $(ROOT)/.venv
PY := $(VENV)/bin/python
AG_NEWS_DIR ?= data/ag_news
export AG_NEWS_DIR

.PHONY: setup lock report test data bench clean
PROFILE ?= auto

setup: $(VENV)/.installed
	@bash $(ROOT)/scripts/system-deps.sh

# The exact versions of requirements.lock (with their hashes) into a clean venv, then torch (pinned in pyproject.toml;
# its CPU wheel is installed apart, see `lock`) and elmo_lib itself, neither bringing anything else.
$(VENV)/.installed: $(ROOT)/pyproject.toml $(ROOT)/requirements.lock
	@test -n "$(PYTHON)" || { echo "error: no Python >= 3.11 found on PATH; install one, or run: make setup PYTHON=/path/to/python3.11" >&2; exit 2; }
	$(PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
# pip byte-compiles on one core; compiling afterwards on every core is the same .pyc files in less time
	cd $(ROOT) && $(PY) -m pip install --quiet --no-compile --require-hashes --no-deps -r requirements.lock
	cd $(ROOT) && $(PY) -m pip install --quiet --no-compile --no-deps "$$(grep -o 'torch==[^"]*' pyproject.toml)"
	cd $(ROOT) && $(PY) -m pip install --quiet --no-compile --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	$(PY) -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
# the kernel lives in this venv (sys.prefix), so another checkout's setup never repoints this one's notebooks
	$(PY) -m ipykernel install --sys-prefix --name elmo-lib --display-name "Python (elmo-lib)"
	@bash $(ROOT)/scripts/kernel-note.sh "$(PY)"
	touch $@

# Refresh requirements.lock from pyproject.toml's ranges (the newest versions that fit), and environment.yml from it.
# torch is left out of the lock: its CPU wheel comes from /opt/wheels here, or from PyTorch's CPU index elsewhere.
TORCH_WHEELS ?= $(if $(wildcard /opt/wheels),--find-links /opt/wheels,--extra-index-url https://download.pytorch.org/whl/cpu --index-strategy unsafe-best-match)
lock: $(VENV)/.installed
	$(PY) -m pip install --quiet --target $(VENV)/lock-tools uv  # beside the venv's packages, not among them
	cd $(ROOT) && $(VENV)/lock-tools/bin/uv pip compile pyproject.toml --extra dev --generate-hashes \
	  --python-version 3.11 --python-platform x86_64-manylinux_2_28 $(TORCH_WHEELS) --no-emit-package torch \
	  --no-emit-package elmo-lib --custom-compile-command "make lock" -o requirements.lock
	cd $(ROOT) && $(PY) scripts/environment_from_lock.py requirements.lock pyproject.toml environment.yml

# extra arguments for `elmo-lib report`, e.g. make report PROFILE=smoke ARGS='--no-pdf --set elmo.modes=["trainable"]'
ARGS ?=
report: setup
	$(PY) -m elmo_lib report --profile $(PROFILE) $(ARGS)

# unit and integration tests, then the notebooks at the smoke profile (nbval checks the data statistics exactly)
test: setup
	cd $(ROOT) && $(PY) -m pytest -q -n auto --nbval-lax --nbval-current-env tests notebooks

data: setup
	$(PY) -m elmo_lib data download --data-dir "$(AG_NEWS_DIR)"

bench: setup
	cd $(ROOT) && $(PY) -m elmo_lib bench pretrain --profile cpu --json benchmarks/records/pretrain_latest.json | tee benchmarks/records/pretrain_latest.txt
	cd $(ROOT) && $(PY) benchmarks/bench_static.py | tee benchmarks/records/static_latest.txt

clean:
	rm -rf $(ROOT)/artifacts $(ROOT)/.pytest_cache
