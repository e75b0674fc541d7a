# Two commands on a fresh machine (make and the Python of the Lambda runtime): `make run` and `make test`.
# The Lambda runtime, stated once in pyproject.toml ([tool.denshi-hosho] lambda-runtime): the venv of `make run` and
# `make test`, and the package `make package` builds, use that Python whatever PYTHON says (chalice takes the
# function's runtime from the interpreter that runs it). Found as python3.X on PATH if it runs, else pyenv's.
RUNTIME := $(shell sed -n 's/^lambda-runtime = "\(python3\.[0-9]*\)".*/\1/p' pyproject.toml)
RUNTIME_VERSION := $(patsubst python%,%,$(RUNTIME))
RUNTIME_PYTHON := $(shell for p in $(RUNTIME) "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/$(RUNTIME_VERSION).*/bin/$(RUNTIME); do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(RUNTIME_VERSION)".split("."))))' \
	>/dev/null 2>&1 && { command -v "$$p"; break; }; done)
# PYTHON: only for checkov's own venv (package-check); the app's venv and package use $(RUNTIME).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(RUNTIME)

.PHONY: run test lint fuzz bench docs clean package package-check deploy backfill walkthrough mail

$(STAMP): requirements.txt requirements-dev.txt
	@if [ -z "$(RUNTIME_PYTHON)" ]; then \
		echo "make: $(RUNTIME) (the Lambda runtime's Python) was not found: neither a working $(RUNTIME) on PATH nor"; \
		echo "      pyenv's versions/$(RUNTIME_VERSION).* . Install Python $(RUNTIME_VERSION) (e.g. \`pyenv install $(RUNTIME_VERSION)\`"; \
		echo "      or your OS's python$(RUNTIME_VERSION) package with its venv module) and run make again."; \
		exit 2; fi
	@if [ -L "$(VENV)" ]; then \
		echo "make: $(VENV) is a symlink (a shared venv); remove the link to let make build its own $(RUNTIME) venv."; \
		exit 2; fi
	@echo "Building $(VENV) with $(RUNTIME_PYTHON) and installing requirements-dev.txt (the first time takes minutes)"
	$(RUNTIME_PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --upgrade "pip<26.3"  # chalice 1.34 (its packager runs pip) requires pip<26.3
	$(PY) -m pip install -r requirements-dev.txt
	touch $(STAMP)

## Run the whole service locally: embedded AWS emulator, resources, demo data, the API on $PORT.
run: $(STAMP)
	$(PY) -m scripts.local_run

## With `make run` running (its PORT and LOCAL_AWS_PORT): the README's walk-through, run as written
## (scripts/walkthrough.py); the emails the emulator kept, newest first (scripts/mail.py).
walkthrough: $(STAMP)
	$(PY) -m scripts.walkthrough
mail: $(STAMP)
	$(PY) -m scripts.mail

## Run the test suite (moto in-process) and the linter.
test: lint
	$(PY) -m pytest -q -n 2 --dist loadgroup  # the browser tests share one worker, one local run, one Chromium

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

## The sample documents in docs/ (a certificate, a (変更) certificate, a 中間前払金保証 and a 契約保証, a 境港市 key
## notice), made by the service's own code and rendered to PNG by poppler's pdftoppm; docs/samples.json records
## their layouts (tests/test_docs.py).
docs: $(STAMP)
	$(PY) -m scripts.docs

## Bring items written before a new index into it (scripts/backfill.py: idempotent, resumable) on the emulator of a
## running `make run` (its LOCAL_AWS_PORT); BACKFILL_ARGS=--dry-run counts only. On AWS see the README's runbook.
BACKFILL_ARGS ?=
backfill: $(STAMP)
	$(PY) -m scripts.backfill --local $(BACKFILL_ARGS)

## Benchmarks whose figures go into closing notes.
bench: $(STAMP)
	$(PY) -m scripts.bench

## The Lambda package and the one-stack template of $(STAGE) (chalice package, the generated resources merged in,
## the Stage parameter pinned to the packaged stage) in $(PACKAGE_DIR), without what no function loads
## (scripts/package_prune.py). Built by the venv's $(RUNTIME), the runtime chalice writes into the template.
## The first build downloads the Lambda wheels.
## RESOURCES: the template merged in (default the whole infra/resources.json; one step of an index rollout is
## `python -m scripts.infra --rollout-step K --output build/rollout-K.json`, README's runbook).
STAGE ?= dev
PACKAGE_DIR ?= build/package
RESOURCES ?= infra/resources.json
package: $(STAMP)
	$(PY) -m scripts.infra --check
	rm -rf $(PACKAGE_DIR)
	AWS_DEFAULT_REGION=ap-northeast-1 APP_OUTBOX_QUEUE=denshi-hosho-$(STAGE)-outbox \
		$(VENV)/bin/chalice package --stage $(STAGE) \
		--merge-template $(RESOURCES) $(PACKAGE_DIR)
	$(PY) -m scripts.infra --pin-stage $(PACKAGE_DIR)/sam.json $(STAGE)
	$(PY) -m scripts.package_prune $(PACKAGE_DIR)/deployment.zip

## checkov pins boto3 1.35 (the app pins a newer one): it gets a venv of its own.
CHECKOV_VENV ?= .venv-checkov
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -r requirements-checkov.txt
	touch $@

## What CI checks of a deployable stage: the template's runtime is the one stated in pyproject.toml and every native
## library loads on it (auditwheel's manylinux policy); the package's handlers, unzipped alone, answer API Gateway,
## SQS and schedule events from a bare interpreter against the emulator (scripts/package_run.py); cfn-lint finds no
## error and no warning, checkov no failed check (each skip gives its reason in the template, scripts/infra.py).
package-check: package $(CHECKOV_VENV)/.installed
	$(PY) -m scripts.package_check $(PACKAGE_DIR)
	$(PY) -m scripts.package_run $(PACKAGE_DIR)
	$(VENV)/bin/cfn-lint --format parseable $(PACKAGE_DIR)/sam.json
	$(CHECKOV_VENV)/bin/checkov -f $(PACKAGE_DIR)/sam.json --framework cloudformation --compact --quiet --skip-download

## Package and deploy one stage's stack with the AWS CLI (credentials of the target account; see README).
STACK ?= denshi-hosho-$(STAGE)
TOKEN_DOMAIN_PREFIX ?= denshi-hosho-$(STAGE)
ARTIFACT_BUCKET ?=
deploy: package-check
	@test -n "$(ARTIFACT_BUCKET)" || (echo "ARTIFACT_BUCKET=<an S3 bucket for the code> is required" && exit 2)
	aws cloudformation package --template-file $(PACKAGE_DIR)/sam.json --s3-bucket $(ARTIFACT_BUCKET) \
		--output-template-file $(PACKAGE_DIR)/packaged.yaml
	aws cloudformation deploy --template-file $(PACKAGE_DIR)/packaged.yaml --stack-name $(STACK) \
		--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
		--parameter-overrides TokenDomainPrefix=$(TOKEN_DOMAIN_PREFIX)
	aws cloudformation describe-stacks --stack-name $(STACK) --query "Stacks[0].Outputs" --output table

clean:
	rm -rf $(VENV)
