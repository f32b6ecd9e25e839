# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make demo   # creates .venv, installs weaksup, runs the main job on the shipped YouTube example
#   make test   # creates .venv (and .venv-labelstudio) if needed, runs the test suite
# For daily work: `make test-fast` (no slow, MLflow or Snorkel tests; under a minute) and `make lint` (ruff, mypy --strict).
# `make test` also builds .venv-labelstudio (`make labelstudio`): a real Label Studio server for the review lane
# (tests/review/test_labelstudio_server.py); it lives in its own venv because label-studio pins pyarrow<25.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LS_VENV ?= .venv-labelstudio
LS_VERSION ?= 1.23.*

.PHONY: demo test test-fast test-labelstudio bench lint install labelstudio clean

install: $(VENV)/.installed

# torch==2.13.0 (a CPU build) must be installed before snorkel, which depends on torch:
# any other torch spec makes pip fetch gigabytes of CUDA packages.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[all,dev]"
	touch $@

# Label Studio in its own venv; the tests find it at $(LS_VENV)/bin/label-studio (or $$WEAKSUP_LABEL_STUDIO).
# Its empty database is migrated once here (~400 migrations, a minute or more), and each test server starts from a copy.
labelstudio: $(LS_VENV)/.installed

$(LS_VENV)/.installed: | $(VENV)/.installed
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "label-studio==$(LS_VERSION)"
	$(BIN)/python -c "from weaksup.testing.labelstudio import migrated_template as m; m('$(LS_VENV)/bin/label-studio')"
	touch $@

demo: install
	$(BIN)/weaksup run configs/youtube_spam.toml

test: install labelstudio
	$(BIN)/python -m pytest

# The Label Studio lane alone: one real server for the session.
test-labelstudio: install labelstudio
	$(BIN)/python -m pytest tests/review/test_labelstudio_server.py -p no:cacheprovider -q

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not mlflow and not snorkel" -p no:cacheprovider -q

lint: install
	$(BIN)/ruff check weaksup benchmarks tests labeling_functions
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/apply_speed.py --rows 1000000

clean:
	rm -rf $(VENV) $(LS_VENV) build *.egg-info
