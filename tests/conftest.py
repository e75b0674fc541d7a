"""Every test that needs AWS gets a fresh emulated account (moto, in-process), built by the same
provisioning code as the local run, and a Chalice test client on the `local` stage (tests/support/world.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from moto import mock_aws

from scripts import emulator, local_gateway
from scripts.demo_data import CONTRACTORS, DEMO_PASSWORD, OBLIGEES, USERS
from scripts.local_run import stage_environment
from tests.support.world import STAGE, WORLD_START, Account, Api, api_of, reset_process_caches

# Every AWS call the app makes is checked against the stage's generated IAM policy (tests/support/aws_calls.py);
# the fuzz suite's report (tests/support/fuzz_report.py) is a plugin too, so that pytest-xdist's controller runs it.
pytest_plugins = ["tests.support.aws_calls", "tests.support.fuzz_report"]
emulator.install()  # moto as `make run` has it: transactions copy items, not tables (scripts/emulator.py)
local_gateway.install()  # API Gateway's greedy /{proxy+} in chalice's local gateway, as `make run` has it

# Log calls with a field the JSON formatter would drop fail here instead of vanishing in CloudWatch.
os.environ["APP_LOG_STRICT"] = "1"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A provisioned, empty emulated AWS account; yields the settings and the pool's identity."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        **stage_environment(STAGE),
    }.items():
        monkeypatch.setenv(name, value)
    with time_machine.travel(WORLD_START, tick=True), mock_aws():
        reset_process_caches()
        from chalicelib.config import get_settings
        from scripts.provision import identity_environment, provision

        identity = provision(get_settings())
        for name, value in identity_environment(identity).items():
            monkeypatch.setenv(name, value)
        yield Account(get_settings(), identity)
        reset_process_caches()


@pytest.fixture
def bare_api(account: Account) -> Api:
    """The API over an account with the demo users but no registered owners or contractors."""
    from scripts.provision import create_user

    for username, (role, org_id) in USERS.items():
        create_user(account.settings, account.identity, username, DEMO_PASSWORD, role, org_id)
    return api_of(account)


@pytest.fixture
def api(bare_api: Api) -> Api:
    """The API with the demo owners and contractors registered (through the API, by the surety)."""
    for obligee_id, body in OBLIGEES.items():
        assert bare_api.put(f"/v1/obligees/{obligee_id}", body, user="demo-surety").status_code == 201
    for contractor_id, body in CONTRACTORS.items():
        assert bare_api.put(f"/v1/contractors/{contractor_id}", body, user="demo-surety").status_code == 201
    return bare_api
