"""The test world: the stage, the clock it starts at, the process caches reset between emulated accounts, and the
HTTP API as an integrator sees it (a Chalice test client with the demo users' logins). The fixtures that build it
are tests/conftest.py's."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalice.test import Client

from scripts.demo_data import DEMO_PASSWORD

STAGE = "local"
PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The test world's clock starts here (and runs): its certificates (contracts of 2024-04-01, works until
# 2025-03-31) are issued while their period runs and within a year of the contract, as a surety would
# (chalicelib/domain/underwriting.py). Tests that need another moment travel from it.
WORLD_START = datetime(2024, 5, 10, 3, 0, tzinfo=UTC)  # 12:00 on 2024-05-10 in Japan


def reset_process_caches() -> None:
    import chalicelib.adapters.identity  # noqa: F401 - each module registers its own cache
    import chalicelib.store.guarantees  # noqa: F401
    from chalicelib import caches

    caches.reset_all()


@dataclass
class Account:
    """A provisioned emulated AWS account: the stage's settings and the user pool's identity."""

    settings: Any
    identity: Any


@dataclass
class Api:
    """The HTTP API as an integrator sees it, with logins of the demo users."""

    client: Client
    account: Account
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


def api_of(account: Account) -> Api:
    """The app's API over `account` (the app is imported here, after the account's environment is set)."""
    from app import app

    return Api(Client(app, stage_name=STAGE, project_dir=PROJECT_DIR), account)


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
    return {k: v for k, v in body.items() if v is not DROP}


DROP = object()  # pass as a value to leave a field out


def sent_emails() -> list[Any]:
    """The emails sent through SES in the current emulated account (moto's in-process SES backend), once
    the outbox's consumer has run (tests.support.outbox.drain: what the queue's Lambda would do).

    Each has `source`, `subject`, `body` (the text part) and `destinations` ({"ToAddresses": [...], ...}).
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from tests.support.outbox import drain

    drain()
    region = os.environ.get("AWS_DEFAULT_REGION", "ap-northeast-1")
    return list(ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages)


def mails_about(number: str, subject: str) -> list[Any]:
    """The emails sent with this subject that name the guarantee."""
    return [m for m in sent_emails() if m.subject == subject and number in m.body]


def recipients(mails: list[Any]) -> list[str]:
    return sorted(to for m in mails for to in m.destinations["ToAddresses"])
