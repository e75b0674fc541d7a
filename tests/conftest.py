"""Every test that needs AWS gets a fresh emulated account (moto, in-process), built by the same
provisioning code as the local run, and a Chalice test client on the `local` stage."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from chalice.test import Client
from moto import mock_aws

from scripts import emulator
from scripts.demo_data import CONTRACTORS, DEMO_PASSWORD, OBLIGEES, USERS
from scripts.local_run import stage_environment

STAGE = "local"
# Every AWS call the app makes is checked against the stage's generated IAM policy (tests/aws_calls.py).
pytest_plugins = ["tests.aws_calls"]
emulator.install()  # moto as `make run` has it: transactions copy items, not tables (scripts/emulator.py)

# The test world's clock starts here (and runs): its certificates (contracts of 2024-04-01, works until
# 2025-03-31) are issued while their period runs and within a year of the contract, as a surety would
# (chalicelib/domain/underwriting.py). Tests that need another moment travel from it.
WORLD_START = datetime(2024, 5, 10, 3, 0, tzinfo=UTC)  # 12:00 on 2024-05-10 in Japan
# Log calls with a field the JSON formatter would drop fail here instead of vanishing in CloudWatch.
os.environ["APP_LOG_STRICT"] = "1"
PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def reset_process_caches() -> None:
    import chalicelib.adapters.identity  # noqa: F401 - each module registers its own cache
    import chalicelib.store.guarantees  # noqa: F401
    from chalicelib import caches

    caches.reset_all()


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
        yield _Account(get_settings(), identity)
        reset_process_caches()


@dataclass
class _Account:
    settings: Any
    identity: Any


@dataclass
class Api:
    """The HTTP API as an integrator sees it, with logins of the demo users."""

    client: Client
    account: _Account
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            response = self.request("POST", "/v1/auth/login",
                                    body={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.json_body
            self.tokens[username] = response.json_body["id_token"]
        return self.tokens[username]

    def request(self, method: str, path: str, *, user: str | None = None, body: Any = None,
                headers: dict[str, str] | None = None, raw_body: str | None = None) -> Any:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if user is not None:
            all_headers["Authorization"] = f"Bearer {self.token(user)}"
        payload = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        return self.client.http.request(method, path, headers=all_headers, body=payload)

    def get(self, path: str, user: str | None = None, **kw: Any) -> Any:
        return self.request("GET", path, user=user, **kw)

    def post(self, path: str, body: Any = None, user: str | None = None, **kw: Any) -> Any:
        return self.request("POST", path, user=user, body=body, **kw)

    def put(self, path: str, body: Any = None, user: str | None = None, **kw: Any) -> Any:
        return self.request("PUT", path, user=user, body=body, **kw)

    def issue(self, idempotency_key: str | None = None, user: str = "demo-surety", **overrides: Any) -> Any:
        global _issue_seq
        _issue_seq += 1
        headers = {"Idempotency-Key": idempotency_key or f"test-issue-{_issue_seq}"}
        return self.post("/v1/guarantees", issue_body(**overrides), user=user, headers=headers)


_issue_seq = 0


def issue_body(**overrides: Any) -> dict[str, Any]:
    """A valid 前払金保証 for 境港市 by contractor-1, electronic; keyword arguments replace fields."""
    body = {
        "guarantee_type": "advance_payment",
        "contractor_id": "contractor-1",
        "obligee_id": "sakaiminato",
        "work_category": "construction",
        "project_name": "境港市道 渡町線 道路改良工事",
        "contract_date": "2024-04-01",
        "completion_date": "2025-03-31",
        "contract_amount_total": 100_000_000,
        "guarantee_amount": 40_000_000,
        "deposit_bank": "山陰銀行 境港支店",
        "delivery": "electronic",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()
DROP = _DROP  # pass as a value to leave a field out


@pytest.fixture
def bare_api(account: _Account) -> Api:
    """The API over an account with the demo users but no registered owners or contractors."""
    from scripts.provision import create_user

    for username, (role, org_id) in USERS.items():
        create_user(account.settings, account.identity, username, DEMO_PASSWORD, role, org_id)
    from app import app

    return Api(Client(app, stage_name=STAGE, project_dir=PROJECT_DIR), account)


@pytest.fixture
def api(bare_api: Api) -> Api:
    """The API with the demo owners and contractors registered (through the API, by the surety)."""
    for obligee_id, body in OBLIGEES.items():
        assert bare_api.put(f"/v1/obligees/{obligee_id}", body, user="demo-surety").status_code == 201
    for contractor_id, body in CONTRACTORS.items():
        assert bare_api.put(f"/v1/contractors/{contractor_id}", body, user="demo-surety").status_code == 201
    return bare_api


def sent_emails() -> list[Any]:
    """The emails sent through SES in the current emulated account (moto's in-process SES backend), once
    the outbox's consumer has run (tests.outbox_support.drain: what the queue's Lambda would do).

    Each has `source`, `subject`, `body` (the text part) and `destinations` ({"ToAddresses": [...], ...}).
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from tests.outbox_support import drain

    drain()
    region = os.environ.get("AWS_DEFAULT_REGION", "ap-northeast-1")
    return list(ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages)


# The fuzz suite's report (tests/fuzz/report.py): here, so that pytest-xdist's controller runs these hooks too.
from tests.fuzz.report import pytest_sessionfinish, pytest_terminal_summary, pytest_testnodedown  # noqa: E402, F401
