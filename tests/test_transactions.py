"""DynamoDB cancels colliding transactions with TransactionConflict; those are tried again, nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from chalicelib.store.connection import transaction_connection
from chalicelib.store.models import ALL_MODELS, GuaranteeVersion


@contextmanager
def conflicts_first(api, times: int) -> Iterator[dict[str, int]]:
    """Answer the first `times` TransactWriteItems as DynamoDB does on a collision; yields the call count."""
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

    events = transaction_connection(api.account.settings.region).client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", hook)
    try:
        yield seen
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", hook)


def test_a_transaction_conflict_is_tried_again_and_issues_once(api):
    with conflicts_first(api, 2) as seen:
        issued = api.issue(idempotency_key="conflict-twice")
    assert issued.status_code == 201, issued.json_body
    assert seen["calls"] == 3  # two conflicts, then the write
    assert [v.contract_number for v in GuaranteeVersion.scan()] == [issued.json_body["contract_number"]]


def test_a_lasting_conflict_fails_cleanly_and_a_retry_succeeds(api):
    with conflicts_first(api, 10) as seen:
        failed = api.issue(idempotency_key="conflict-forever")
    assert failed.status_code == 500 and failed.json_body["code"] == "internal_error"
    assert seen["calls"] == 3
    assert list(GuaranteeVersion.scan()) == []
    retried = api.issue(idempotency_key="conflict-forever")
    assert retried.status_code == 201, retried.json_body


def test_every_table_shares_one_botocore_session(api):
    """pynamodb makes a botocore session per table (each loads the service models anew: a cold start pays
    ~150 ms a table); the store hands them the adapters' one session. Fails if pynamodb stops honouring it."""
    from chalicelib.adapters import aws

    assert api.get("/v1/health").status_code == 200
    assert api.get("/v1/certificates", user="demo-contractor-1").status_code == 200  # binds the tables
    shared = aws.session()._session
    sessions = {id(m._get_connection().connection.session) for m in ALL_MODELS}
    sessions.add(id(transaction_connection(api.account.settings.region).session))
    assert sessions == {id(shared)}
