# Two commands on a fresh machine (Python 3 and make): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint fuzz bench docs clean package package-check deploy backfill walkthrough mail

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 (its packager runs pip) requires pip<26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
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
## the Stage parameter pinned to the packaged stage) in $(PACKAGE_DIR). The first build downloads the Lambda wheels.
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

## checkov pins boto3 1.35 (the app pins a newer one): it gets a venv of its own.
CHECKOV_VENV ?= .venv-checkov
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

## What CI checks of a deployable stage: every native library loads on the Lambda runtime (auditwheel's manylinux
## policy), cfn-lint finds no error and no warning, checkov no failed check (each skip gives its reason in the
## template, scripts/infra.py).
package-check: package $(CHECKOV_VENV)/.installed
	$(PY) -m scripts.package_check $(PACKAGE_DIR)
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
