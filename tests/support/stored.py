"""What is stored and what the app calls, looked at the way an auditor would: the 認証キー's counters, S3's
objects and PDFs, AWS calls by service; and moto's DynamoDB made atomic per request, as DynamoDB is."""

from __future__ import annotations

import io
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import requests
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from pypdf import PdfReader


def stored_key(number: str) -> Any:
    """The stored 認証キー state of a contract (counters, lock), read consistently."""
    from chalicelib.store.models import AuthKey

    return AuthKey.get(number, consistent_read=True)


def s3_client() -> Any:
    from chalicelib.adapters.aws import client
    from chalicelib.config import get_settings

    return client("s3", get_settings().region)


def bucket() -> str:
    from chalicelib.config import get_settings

    return get_settings().bucket


def certificate_object(number: str, version: int = 1) -> str:
    """Where version `version` of a certificate is kept (before any change recorded in it)."""
    return f"certificates/{number}/v{version}.pdf"


def fetch(url: str) -> requests.Response:
    """What a presigned link gives (moto's S3, answered in-process)."""
    return requests.get(url, timeout=10)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@contextmanager
def aws_calls() -> Iterator[Counter[str]]:
    """Counts AWS API calls by service ("dynamodb", "kms", ...) while the block runs.

    botocore copies a session's event hooks into each client when the client is made, so the hook is put
    on the shared session (chalicelib.adapters.aws, which the pynamodb models use too) and the process's clients
    and connections are made afresh; the same again on the way out, so no client keeps the hook.
    """
    from chalicelib.adapters import aws
    from tests.support.world import reset_process_caches

    calls: Counter[str] = Counter()

    def hook(model: Any, **_: Any) -> None:
        calls[model.service_model.service_name] += 1

    session = aws.session()._session
    session.register("before-call", hook, unique_id="test-aws-calls")
    reset_process_caches()
    try:
        yield calls
    finally:
        session.unregister("before-call", unique_id="test-aws-calls")
        reset_process_caches()


@contextmanager
def atomic_dynamodb() -> Iterator[None]:
    """Serialise moto's DynamoDB requests, as DynamoDB applies each request (and transaction) atomically: moto
    checks a condition and applies the write without a lock (scripts/emulator.py serialises transactions only),
    so concurrent requests against it could interleave in ways DynamoDB never does. Only the emulator is wrapped;
    the service's code runs unchanged and concurrently."""
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.Lock()
    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    with mock.patch.object(DynamoHandler, "call_action", call_action):
        yield


@dataclass
class DynamoCalls:
    """The DynamoDB operations made while counting (with the table of each single-table one), and what each Query
    read (ScannedCount)."""

    operations: list[str] = field(default_factory=list)
    tables: list[tuple[str, str]] = field(default_factory=list)  # (operation, table's base name)
    query_scanned_counts: list[int] = field(default_factory=list)
    query_indexes: list[str | None] = field(default_factory=list)  # each Query's IndexName (None: the table)
    batch_get_keys: list[int] = field(default_factory=list)  # keys asked by each BatchGetItem

    def before(self, event_name: str, **_: Any) -> None:
        self.operations.append(event_name.rsplit(".", 1)[-1])

    def parameters(self, event_name: str, params: dict[str, Any], **_: Any) -> None:
        from chalicelib.config import get_settings

        operation = event_name.rsplit(".", 1)[-1]
        if "TableName" in params:
            table = params["TableName"].removeprefix(get_settings().table_prefix)
            self.tables.append((operation, table))
        if operation == "Query":
            self.query_indexes.append(params.get("IndexName"))
        if operation == "BatchGetItem":
            self.batch_get_keys.append(sum(len(r.get("Keys", [])) for r in params["RequestItems"].values()))

    def reads_of(self, table: str) -> int:
        """GetItem and Query calls on one table (by its base name, e.g. "verifications")."""
        return sum(1 for operation, name in self.tables if name == table and operation in ("GetItem", "Query"))

    def after_query(self, parsed: dict[str, Any], **_: Any) -> None:
        self.query_scanned_counts.append(parsed["ScannedCount"])

    def clear(self) -> None:
        self.operations.clear()
        self.tables.clear()
        self.query_scanned_counts.clear()
        self.query_indexes.clear()
        self.batch_get_keys.clear()


@contextmanager
def dynamodb_calls() -> Iterator[DynamoCalls]:
    """Every DynamoDB operation the service makes while the block runs, seen through botocore's event hooks (the
    store bound to the stage's tables first).

    botocore copies a session's handlers into each client when the client is made, so the hooks go on the
    shared session (for clients made later) and on the clients the models already use.
    """
    from chalicelib.adapters import aws
    from chalicelib.services.tables import use_tables
    from chalicelib.store import models

    use_tables()
    calls = DynamoCalls()
    emitters = [aws.session()._session]
    emitters += [m._get_connection().connection.client.meta.events for m in models.ALL_MODELS]
    for emitter in emitters:
        emitter.register("before-call.dynamodb", calls.before, unique_id="test-dynamodb-before")
        emitter.register("before-parameter-build.dynamodb", calls.parameters, unique_id="test-dynamodb-params")
        emitter.register("after-call.dynamodb.Query", calls.after_query, unique_id="test-dynamodb-after")
    try:
        yield calls
    finally:
        for emitter in emitters:
            emitter.unregister("before-call.dynamodb", unique_id="test-dynamodb-before")
            emitter.unregister("before-parameter-build.dynamodb", unique_id="test-dynamodb-params")
            emitter.unregister("after-call.dynamodb.Query", unique_id="test-dynamodb-after")


@contextmanager
def dynamodb_fault(at: int, after: bool) -> Iterator[list[str]]:
    """Fail the `at`-th DynamoDB call (0: none) and count the calls. `after`: the call takes effect and only
    its answer is lost (a timeout after the write); otherwise it fails before reaching DynamoDB."""
    original = BaseClient._make_api_call
    calls: list[str] = []

    def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name != "dynamodb":
            return original(self, operation_name, api_params)
        calls.append(operation_name)
        fault = ClientError({"Error": {"Code": "InternalServerError", "Message": "injected fault"}}, operation_name)
        if len(calls) == at and not after:
            raise fault
        result = original(self, operation_name, api_params)
        if len(calls) == at:
            raise fault
        return result

    with mock.patch.object(BaseClient, "_make_api_call", make_api_call):
        yield calls
