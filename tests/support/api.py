"""Helpers shared by the 認証キー and verification tests (the API as integrators use it, plus a few looks
at what is stored, the way an auditor would)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import time_machine

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DISPLAY_KEY = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")
UNKNOWN_NUMBER = "2079999999"  # well past any number the tests issue (the counter starts at 2070500001)


def issue(api: Any, **overrides: Any) -> str:
    response = api.issue(**overrides)
    assert response.status_code == 201, response.json_body
    return response.json_body["contract_number"]


def show_key(api: Any, number: str, user: str = "demo-contractor-1") -> str:
    response = api.get(f"/v1/certificates/{number}/auth-key", user=user)
    assert response.status_code == 200, response.json_body
    return response.json_body["auth_key"]


def reissue(api: Any, number: str, user: str = "demo-contractor-1") -> str:
    response = api.post(f"/v1/certificates/{number}/auth-key/reissue", user=user)
    assert response.status_code == 200, response.json_body
    return response.json_body["auth_key"]


def verify(api: Any, number: Any, key: Any, user: str = "demo-sakaiminato") -> Any:
    return api.post("/v1/verifications", {"contract_number": number, "auth_key": key}, user=user)


def wrong_key_for(key: str) -> str:
    """A well-formed key that differs from `key` in its last character."""
    plain = key.replace("-", "")
    last = CROCKFORD[(CROCKFORD.index(plain[-1]) + 1) % len(CROCKFORD)]
    return f"{plain[:5]}-{plain[5:9]}{last}"


def stored_key(number: str) -> Any:
    """The stored 認証キー state of a contract (counters, lock), read consistently."""
    from chalicelib.store.models import AuthKey

    return AuthKey.get(number, consistent_read=True)


def events_of(api: Any, number: str) -> list[dict[str, Any]]:
    """The whole audit trail of a contract, newest first, as the surety reads it (every page)."""
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        response = api.get(f"/v1/certificates/{number}/events?limit=100{cursor}", user="demo-surety")
        assert response.status_code == 200, response.json_body
        items += response.json_body["items"]
        if response.json_body["next_cursor"] is None:
            return items
        cursor = f"&cursor={response.json_body['next_cursor']}"


@dataclass
class Clock:
    """Frozen time that tests move by hand. Logins are dropped on every move: an ID token's `iat`/`exp`
    belong to the moment it was issued."""

    api: Any
    traveller: Any

    def move(self, delta: timedelta) -> None:
        self.traveller.shift(delta)
        self.api.tokens.clear()

    def move_to(self, moment: datetime) -> None:
        self.traveller.move_to(moment)
        self.api.tokens.clear()


@contextmanager
def frozen(api: Any, moment: datetime) -> Iterator[Clock]:
    with time_machine.travel(moment, tick=False) as traveller:
        api.tokens.clear()
        yield Clock(api, traveller)
    api.tokens.clear()


@contextmanager
def aws_calls() -> Iterator[Counter[str]]:
    """Counts AWS API calls by service ("dynamodb", "kms", ...) while the block runs.

    botocore copies a session's event hooks into each client when the client is made, so the hook is put
    on the shared session (chalicelib.adapters.aws, which the pynamodb models use too) and the process's clients
    and connections are made afresh; the same again on the way out, so no client keeps the hook.
    """
    from chalicelib.adapters import aws

    calls: Counter[str] = Counter()

    def hook(model: Any, **_: Any) -> None:
        calls[model.service_model.service_name] += 1

    session = aws.session()._session
    session.register("before-call", hook, unique_id="test-aws-calls")
    _fresh_clients()
    try:
        yield calls
    finally:
        session.unregister("before-call", unique_id="test-aws-calls")
        _fresh_clients()


@contextmanager
def atomic_dynamodb() -> Iterator[None]:
    """Serialise moto's DynamoDB requests, as DynamoDB applies each request atomically (moto checks an
    update's condition and applies it without a lock). Only the emulator is wrapped; the service's code
    runs unchanged and concurrently."""
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.Lock()
    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoHandler.call_action = original  # type: ignore[method-assign]


def _fresh_clients() -> None:
    from tests.conftest import reset_process_caches

    reset_process_caches()
