# Each target sets up what it needs on a fresh machine: a virtual environment and the install.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# `make run` needs the package and TensorBoard to look at the run (`tensorboard` extra); the `dev`
# extra (pytest, hypothesis, Dask, Optuna, ...) is `make test`'s and takes minutes more on a fresh machine.
RUN_STAMP := $(VENV)/.installed-run

.PHONY: run test bench clean

$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[tensorboard]'
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/framework train rbm --logdir runs/digits --overwrite

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/report.py

clean:
	rm -rf $(VENV) runs build *.egg-info
