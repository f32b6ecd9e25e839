# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make demo   # creates .venv, installs weaksup, runs the main job on the shipped YouTube example
#   make test   # creates .venv if needed, runs the test suite
# For daily work: `make test-fast` (no slow, MLflow or Snorkel tests; under a minute) and `make lint` (ruff, mypy --strict).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast bench lint install clean

install: $(VENV)/.installed

# torch==2.13.0 (a CPU build) must be installed before snorkel, which depends on torch:
# any other torch spec makes pip fetch gigabytes of CUDA packages.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[all,dev]"
	touch $@

demo: install
	$(BIN)/weaksup run configs/youtube_spam.toml

test: install
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not mlflow and not snorkel" -p no:cacheprovider -q

lint: install
	$(BIN)/ruff check weaksup benchmarks tests labeling_functions
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/apply_speed.py --rows 1000000

clean:
	rm -rf $(VENV) build *.egg-info
