# Two commands on a fresh machine (Python 3 and make): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint fuzz bench docs clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 (its packager runs pip) requires pip<26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## Run the whole service locally: embedded AWS emulator, resources, demo data, the API on $PORT.
run: $(STAMP)
	$(PY) -m scripts.local_run

## Run the test suite (moto in-process) and the linter.
test: lint
	$(PY) -m pytest -q -n 2

## The long fuzz profile (tests/fuzz): every operation of openapi.yaml as each role and without a login, in seeded
## batches of a fresh emulated account each (>= 30,000 requests; FUZZ_ROUNDS=n for more or fewer batches). Prints,
## per role, requests sent, 5xx answers and schema/status violations, then every finding with its request.
fuzz: $(STAMP)
	FUZZ_PROFILE=long $(PY) -m pytest -q -n 2 tests/fuzz

## ruff, mypy (strict on the pure domain) and the import-layer contracts of docs/ARCHITECTURE.md.
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m mypy --strict chalicelib/domain
	$(VENV)/bin/lint-imports --no-cache --no-logo

## The sample documents in docs/ (a certificate, a (変更) certificate, a 境港市 key notice), made by the service's
## own code and rendered to PNG by poppler's pdftoppm; docs/samples.json records their layouts (tests/test_docs.py).
docs: $(STAMP)
	$(PY) -m scripts.docs

## Benchmarks whose figures go into closing notes.
bench: $(STAMP)
	$(PY) -m scripts.bench

clean:
	rm -rf $(VENV)
