# emostudy: build the book, run the tests, regenerate the results.
# Every target installs what it needs first (idempotent: a no-op when nothing changed).
# Inside an active conda environment (CONDA_PREFIX set) that environment is used; otherwise a
# project-local virtual environment `.venv` is created from Python 3.11.

SHELL := /bin/bash
.DEFAULT_GOAL := help

ifdef CONDA_PREFIX
  ENV_DIR := $(CONDA_PREFIX)
  PY := $(CONDA_PREFIX)/bin/python
else
  ENV_DIR := .venv
  PY := .venv/bin/python
  PYTHON ?= $(shell command -v python3.11 || command -v python3)
endif
STAMP := $(ENV_DIR)/.emostudy-installed
# The book's in-browser recognizer (book/try_it.md) needs ONNX Runtime Web from npm at build time.
NODE_STAMP := node_modules/.package-lock.json
NB ?=

.PHONY: help install book test lint format results lab clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
ifndef CONDA_PREFIX
	@test -x $(PY) || $(PYTHON) -m venv .venv
endif
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11), "emostudy needs Python 3.11, found " + sys.version.split()[0]'
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps face-recognition==1.3.0 fer==25.10.3 tf2onnx==1.17.0
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)  ## create the environment from the lock file

$(NODE_STAMP): package.json package-lock.json $(STAMP)
	$(PY) -m web.try_it_build --install

book: $(STAMP) $(NODE_STAMP)  ## build the HTML book into _build/html from the committed notebooks (no execution)
	$(ENV_DIR)/bin/jupyter-book build . --warningiserror --keep-going --quiet
	@echo "Book written to _build/html/index.html"

lint: $(STAMP)  ## ruff lint + format check, the house's import layers, code written twice
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(ENV_DIR)/bin/lint-imports
	$(PY) -m pylint --rcfile=pyproject.toml --score=n emostudy

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

test: lint $(NODE_STAMP)  ## unit tests, quick-profile runs of every notebook, and a book build check
	$(PY) -m pytest -n auto --maxprocesses 4 --dist loadgroup

results: $(STAMP)  ## re-execute notebooks in their full profile, in place (NB=07 for one chapter)
	$(PY) -m emostudy run full $(NB)
	$(PY) -m emostudy pages

lab: $(STAMP)  ## JupyterLab on the notebooks
	$(PY) -m jupyter lab --notebook-dir=notebooks

clean:  ## remove the built book and caches (keeps the environment)
	rm -rf _build .pytest_cache .ruff_cache
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +
