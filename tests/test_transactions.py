"""DynamoDB cancels colliding transactions with TransactionConflict; those are tried again, nothing else."""

from __future__ import annotations

from types import SimpleNamespace

from chalicelib.store.guarantees import transaction_connection
from chalicelib.store.models import GuaranteeVersion


def _conflict_first(times: int):
    """A before-call hook that answers the first `times` TransactWriteItems as DynamoDB does on a collision."""
    seen = {"calls": 0}

    def hook(**_kwargs):
        seen["calls"] += 1
        if seen["calls"] > times:
            return None
        parsed = {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict", "Message": "conflict"}],
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return SimpleNamespace(status_code=400, headers={}, text=""), parsed

    return hook, seen


def test_a_transaction_conflict_is_tried_again_and_issues_once(api):
    events = transaction_connection(api.account.settings.region).client.meta.events
    hook, seen = _conflict_first(2)
    events.register("before-call.dynamodb.TransactWriteItems", hook)
    try:
        issued = api.issue(idempotency_key="conflict-twice")
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", hook)
    assert issued.status_code == 201, issued.json_body
    assert seen["calls"] == 3  # two conflicts, then the write
    assert [v.contract_number for v in GuaranteeVersion.scan()] == [issued.json_body["contract_number"]]


def test_a_lasting_conflict_fails_cleanly_and_a_retry_succeeds(api):
    events = transaction_connection(api.account.settings.region).client.meta.events
    hook, seen = _conflict_first(10)
    events.register("before-call.dynamodb.TransactWriteItems", hook)
    try:
        failed = api.issue(idempotency_key="conflict-forever")
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", hook)
    assert failed.status_code == 500 and failed.json_body["code"] == "internal_error"
    assert seen["calls"] == 3
    assert list(GuaranteeVersion.scan()) == []
    retried = api.issue(idempotency_key="conflict-forever")
    assert retried.status_code == 201, retried.json_body
