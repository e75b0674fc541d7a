"""The emulator's patches (scripts/emulator.py) change how much moto copies and keeps, never what it answers.

Each transaction below runs twice on the same fresh tables: under the patch and with moto as released. Both must
end alike (the answer, its CancellationReasons, every item of both tables), a cancelled one with every item as
it was. The cost checks count item copies, not time: they fail if a transaction copies a table again.
"""

from __future__ import annotations

import gc
import json
import warnings
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from scripts import emulator

REGION = "ap-northeast-1"
LEFT, RIGHT = "left", "right"  # LEFT: hash key only; RIGHT: hash and range key


def S(value: str) -> dict[str, str]:  # noqa: N802 - DynamoDB's own type letters
    return {"S": value}


def N(value: int) -> dict[str, str]:  # noqa: N802
    return {"N": str(value)}


SCENARIOS: dict[str, list[dict[str, Any]]] = {
    # puts, an update, a delete and a condition check across two tables; the last check fails
    "the condition of the last operation fails": [
        {"Put": {"TableName": LEFT, "Item": {"pk": S("c"), "n": N(3)}}},
        {"Update": {"TableName": LEFT, "Key": {"pk": S("a")}, "UpdateExpression": "SET #name = :new ADD n :one",
                    "ExpressionAttributeNames": {"#name": "name"},
                    "ExpressionAttributeValues": {":new": S("A"), ":one": N(1)}}},
        {"Delete": {"TableName": RIGHT, "Key": {"pk": S("p"), "sk": N(1)}}},
        {"Put": {"TableName": RIGHT, "Item": {"pk": S("p"), "sk": N(2), "v": S("replaced")}}},
        {"ConditionCheck": {"TableName": RIGHT, "Key": {"pk": S("q"), "sk": N(1)}, "ConditionExpression": "v = :v",
                            "ExpressionAttributeValues": {":v": S("not z")}}},
    ],
    # moto goes on after a failed condition: what it writes after it must be undone too (an upsert, a new item)
    "the first condition fails and asks for the old item": [
        {"Update": {"TableName": LEFT, "Key": {"pk": S("b")}, "UpdateExpression": "SET n = :n",
                    "ConditionExpression": "attribute_not_exists(pk)", "ExpressionAttributeValues": {":n": N(9)},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Update": {"TableName": LEFT, "Key": {"pk": S("new")}, "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": N(1)}}},
        {"Put": {"TableName": RIGHT, "Item": {"pk": S("r"), "sk": N(1), "v": S("new")}}},
        {"Delete": {"TableName": RIGHT, "Key": {"pk": S("q"), "sk": N(1)},
                    "ConditionExpression": "attribute_exists(v)"}},
    ],
    "two conditions fail": [
        {"Put": {"TableName": LEFT, "Item": {"pk": S("a"), "n": N(0)},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": LEFT, "Item": {"pk": S("d"), "n": N(4)}}},
        {"Delete": {"TableName": RIGHT, "Key": {"pk": S("p"), "sk": N(2)}, "ConditionExpression": "v = :v",
                    "ExpressionAttributeValues": {":v": S("nope")}}},
    ],
    "one item twice": [
        {"Put": {"TableName": RIGHT, "Item": {"pk": S("s"), "sk": N(1)}}},
        {"Update": {"TableName": LEFT, "Key": {"pk": S("a")}, "UpdateExpression": "REMOVE #name",
                    "ExpressionAttributeNames": {"#name": "name"}}},
        {"Delete": {"TableName": LEFT, "Key": {"pk": S("a")}}},
    ],
    "an update expression fails": [
        {"Put": {"TableName": LEFT, "Item": {"pk": S("c"), "n": N(3)}}},
        {"Update": {"TableName": LEFT, "Key": {"pk": S("a")}, "UpdateExpression": "ADD #name :one",
                    "ExpressionAttributeNames": {"#name": "name"}, "ExpressionAttributeValues": {":one": N(1)}}},
    ],
    "every operation succeeds": [
        {"Put": {"TableName": LEFT, "Item": {"pk": S("c"), "n": N(3)}}},
        {"Update": {"TableName": LEFT, "Key": {"pk": S("a")}, "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": N(1)}}},
        {"Delete": {"TableName": RIGHT, "Key": {"pk": S("p"), "sk": N(1)}}},
        {"ConditionCheck": {"TableName": RIGHT, "Key": {"pk": S("q"), "sk": N(1)}, "ConditionExpression": "v = :v",
                            "ExpressionAttributeValues": {":v": S("z")}}},
    ],
}
# The CancellationReasons' codes (None: the transaction commits; a string: the error code of a refusal).
EXPECTED: dict[str, list[str] | str | None] = {
    "the condition of the last operation fails": ["None", "None", "None", "None", "ConditionalCheckFailed"],
    "the first condition fails and asks for the old item": ["ConditionalCheckFailed", "None", "None", "None"],
    "two conditions fail": ["ConditionalCheckFailed", "None", "ConditionalCheckFailed"],
    "one item twice": "ValidationException",
    "an update expression fails": "ValidationException",
    "every operation succeeds": None,
}


def _create_tables(dynamodb: Any, filler: int) -> None:
    dynamodb.create_table(TableName=LEFT, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    dynamodb.create_table(TableName=RIGHT, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                     {"AttributeName": "sk", "KeyType": "RANGE"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                {"AttributeName": "sk", "AttributeType": "N"}])
    for item in ({"pk": S("a"), "n": N(1), "name": S("a")}, {"pk": S("b"), "n": N(2)}):
        dynamodb.put_item(TableName=LEFT, Item=item)
    for item in ({"pk": S("p"), "sk": N(1), "v": S("x")}, {"pk": S("p"), "sk": N(2), "v": S("y")},
                 {"pk": S("q"), "sk": N(1), "v": S("z")}):
        dynamodb.put_item(TableName=RIGHT, Item=item)
    for start in range(0, filler, 25):  # other items beside them: a transaction must not cost more for these
        dynamodb.batch_write_item(RequestItems={RIGHT: [
            {"PutRequest": {"Item": {"pk": S(f"filler-{i % 7}"), "sk": N(i), "v": S("." * 100)}}}
            for i in range(start, min(start + 25, filler))]})


def _items(dynamodb: Any, table: str) -> list[str]:
    return sorted(json.dumps(i, sort_keys=True, default=repr) for i in dynamodb.scan(TableName=table)["Items"])


def _state(dynamodb: Any) -> dict[str, list[str]]:
    return {name: _items(dynamodb, name) for name in (LEFT, RIGHT)}


def _run(transaction: list[dict[str, Any]], filler: int = 0, copies: list[int] | None = None) -> dict[str, Any]:
    """The transaction on fresh tables: its answer, and both tables before and after."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        _create_tables(dynamodb, filler)
        before = _state(dynamodb)
        if copies is not None:
            copies.clear()
        try:
            dynamodb.transact_write_items(TransactItems=transaction)
            answer: dict[str, Any] = {"committed": True}
        except ClientError as exc:
            error = exc.response
            answer = {"code": error["Error"]["Code"], "message": error["Error"]["Message"],
                      "reasons": error.get("CancellationReasons")}
        copied = len(copies) if copies is not None else None
        return {"answer": answer, "before": before, "after": _state(dynamodb), "copied": copied}


@pytest.fixture
def item_copies(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per DynamoDB item moto (or the patch) copies."""
    from moto.dynamodb.models.dynamo_type import Item

    copies: list[int] = []
    real = Item.__deepcopy__

    def counted(self: Any, memo: Any) -> Any:
        copies.append(1)
        return real(self, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counted)
    return copies


def test_the_patches_are_in_place_for_this_moto():
    assert emulator.installed(), f"scripts/emulator.py refused this moto: {emulator.mismatch()}"


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_transaction_ends_as_moto_ends_it_and_a_cancelled_one_changes_nothing(name):
    patched = _run(SCENARIOS[name])
    with emulator.moto_as_released():
        released = _run(SCENARIOS[name])
    assert patched == released

    answer, expected = patched["answer"], EXPECTED[name]
    if expected is None:
        assert answer == {"committed": True}
        assert patched["after"] != patched["before"]
    else:
        assert patched["after"] == patched["before"], "a cancelled transaction left something written"
        if isinstance(expected, str):
            assert answer["code"] == expected, answer
        else:
            assert answer["code"] == "TransactionCanceledException", answer
            assert [r["Code"] for r in answer["reasons"]] == expected


def test_a_failed_condition_hands_back_the_old_item_when_asked():
    reasons = _run(SCENARIOS["the first condition fails and asks for the old item"])["answer"]["reasons"]
    assert reasons[0]["Item"] == {"pk": S("b"), "n": N(2)}


def test_a_transaction_copies_the_items_it_writes_not_the_tables(item_copies):
    for name in ("the condition of the last operation fails", "every operation succeeds"):
        written = sum(1 for op in SCENARIOS[name] if "ConditionCheck" not in op)
        small = _run(SCENARIOS[name], filler=10, copies=item_copies)["copied"]
        large = _run(SCENARIOS[name], filler=1000, copies=item_copies)["copied"]
        # Each written item once, and moto's own copy of an item before an update: never the other 1,000.
        assert small == large <= 2 * written, (name, small, large)
        with emulator.moto_as_released():
            assert _run(SCENARIOS[name], filler=1000, copies=item_copies)["copied"] > 1000  # the measure sees it


def test_moto_keeps_no_copies_of_items_or_queue_messages():
    from moto.dynamodb.models.dynamo_type import Item
    from moto.sqs.models import Message

    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        _create_tables(dynamodb, filler=50)
        for i in range(20):
            dynamodb.transact_write_items(TransactItems=[
                {"Update": {"TableName": LEFT, "Key": {"pk": S("a")}, "UpdateExpression": "ADD n :one",
                            "ExpressionAttributeValues": {":one": N(1)}}},
                {"Put": {"TableName": RIGHT, "Item": {"pk": S("t"), "sk": N(i)}}}])
            dynamodb.query(TableName=RIGHT, KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": S(f"filler-{i % 7}")})
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        for i in range(10):
            sqs.send_message(QueueUrl=url, MessageBody=str(i))
            for m in sqs.receive_message(QueueUrl=url).get("Messages", []):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        assert dynamodb.get_item(TableName=LEFT, Key={"pk": S("a")})["Item"]["n"] == N(21)
        assert Item.instances_tracked == [] and Message.instances_tracked == []


def test_listing_versions_answers_as_moto_without_copying_a_byte(monkeypatch):
    from moto.s3.models import FakeKey

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        bucket = "documents"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        bodies = {"certificates/1/v1.pdf": b"%PDF-1" * 1000, "key-notices/1/g1/a.pdf": b"%PDF-2" * 1000}
        for key, body in bodies.items():
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        s3.put_object(Bucket=bucket, Key="key-notices/1/g1/a.pdf", Body=b"%PDF-3")  # a second version
        s3.put_object(Bucket=bucket, Key="key-notices/1/g2/b.pdf", Body=b"%PDF-4")
        s3.delete_object(Bucket=bucket, Key="key-notices/1/g2/b.pdf")  # a delete marker
        tracked = len(FakeKey.instances_tracked)

        def listing(prefix: str) -> dict[str, Any]:
            answer = s3.list_object_versions(Bucket=bucket, Prefix=prefix)
            return {k: v for k, v in answer.items() if k != "ResponseMetadata"}

        copied: list[str] = []
        real_getstate = FakeKey.__getstate__
        monkeypatch.setattr(FakeKey, "__getstate__", lambda self: copied.append(self.name) or real_getstate(self))
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)  # a listing's copy must not dispose of the object
            patched = {prefix: listing(prefix) for prefix in ("", "key-notices/1/")}
            gc.collect()
        assert copied == [] and len(FakeKey.instances_tracked) == tracked
        with emulator.moto_as_released():
            released = {prefix: listing(prefix) for prefix in ("", "key-notices/1/")}
        assert patched == released
        assert len(patched["key-notices/1/"]["Versions"]) == 3 and len(patched["key-notices/1/"]["DeleteMarkers"]) == 1
        s3.put_object(Bucket=bucket, Key="key-notices/1/g1/a.pdf", Body=bodies["key-notices/1/g1/a.pdf"])
        for key, body in bodies.items():  # every object still whole after the listings' copies are gone
            assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body


def test_another_moto_is_refused_loudly_and_left_as_released(monkeypatch):
    from moto.dynamodb.models import DynamoDBBackend

    with emulator.moto_as_released():
        released = DynamoDBBackend.transact_write_items
        with monkeypatch.context() as m:
            m.setattr(emulator, "MOTO_VERSION", "5.2.4")
            with pytest.warns(RuntimeWarning, match="written for moto 5.2.4, found 5.2.5"):
                assert emulator.install() is False
            name = "moto.dynamodb.models:DynamoDBBackend.transact_write_items"
            m.setattr(emulator, "MOTO_VERSION", "5.2.5")
            m.setitem(emulator.RELIED_ON, name, "0" * 64)
            with pytest.warns(RuntimeWarning, match="transact_write_items is not the code"):
                assert emulator.install() is False
            assert DynamoDBBackend.transact_write_items is released and not emulator.installed()
            m.setitem(emulator.RELIED_ON, name, emulator.RELIED_ON[name])
            m.setenv(emulator.SWITCH, "off")  # the escape hatch: nothing patched, nothing to warn about
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                assert emulator.install() is False
    assert emulator.installed()


def test_a_cancelled_issue_leaves_every_table_as_it_was_and_its_retry_issues_once(api):
    """The service's own transaction (version, idempotency record, audit event, 認証キー, outbox, the contractor's
    count), cancelled in moto by the version's condition (its number is taken): nothing of it stays, and its retry
    commits it once."""
    from chalicelib.store.models import ALL_MODELS, Contractor, Counter, GuaranteeVersion

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    first = api.issue(idempotency_key="first")
    assert first.status_code == 201, first.json_body
    taken = str(int(first.json_body["contract_number"]) + 1)  # the number the next issue will draw
    dynamodb.put_item(TableName=GuaranteeVersion.Meta.table_name, Item={"contract_number": S(taken), "version": N(1)})

    def tables() -> dict[str, list[str]]:
        # The counter is drawn before the transaction (a failed issue burns its number).
        return {m.Meta.table_name: _items(dynamodb, m.Meta.table_name) for m in ALL_MODELS if m is not Counter}

    before, counted = tables(), emulator.counters()
    whole_table_copies, rolled_back = counted.whole_table_copies, counted.rolled_back
    cancelled = api.issue(idempotency_key="second")
    assert cancelled.status_code == 500, cancelled.json_body
    assert tables() == before
    assert counted.rolled_back == rolled_back + 1
    retried = api.issue(idempotency_key="second")
    assert retried.status_code == 201, retried.json_body
    assert api.issue(idempotency_key="second").json_body == retried.json_body
    assert Contractor.get("contractor-1").certificate_count == 2
    assert counted.whole_table_copies == whole_table_copies  # every transaction of the service is keyed exactly


def test_the_local_run_keeps_object_bytes_on_disk_and_answers_the_same():
    """make run's emulator keeps S3 objects' bytes in one temporary file (scripts/emulator.py): what S3 answers is
    unchanged (bytes, ETags, versions, copies, deletes), and the bytes are no longer in the process's memory."""
    import hashlib

    from moto.s3.models import FakeKey

    try:
        assert emulator.keep_object_bytes_on_disk()
        with mock_aws():
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(Bucket="documents", CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.put_bucket_versioning(Bucket="documents", VersioningConfiguration={"Status": "Enabled"})
            bodies = {f"certificates/{i}/v1.pdf": bytes([i]) * (40_000 + i) for i in range(20)}
            for key, body in bodies.items():
                s3.put_object(Bucket="documents", Key=key, Body=body)
            first = s3.put_object(Bucket="documents", Key="certificates/0/v1.pdf", Body=b"%PDF-again")["VersionId"]
            s3.copy_object(Bucket="documents", Key="copy.pdf", CopySource="documents/certificates/1/v1.pdf")
            s3.delete_object(Bucket="documents", Key="certificates/2/v1.pdf")
            for key, body in bodies.items():
                if key in ("certificates/0/v1.pdf", "certificates/2/v1.pdf"):
                    continue
                answer = s3.get_object(Bucket="documents", Key=key)
                assert answer["Body"].read() == body
                assert answer["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'  # noqa: S324 - S3's ETag
            assert s3.get_object(Bucket="documents", Key="certificates/0/v1.pdf", VersionId=first)["Body"].read() \
                == b"%PDF-again"
            assert s3.get_object(Bucket="documents", Key="copy.pdf")["Body"].read() == bodies["certificates/1/v1.pdf"]
            versions = s3.list_object_versions(Bucket="documents", Prefix="certificates/0/")["Versions"]
            assert len(versions) == 2
            live = [k for k in FakeKey.instances_tracked if k.name.startswith("certificates/")]
            assert live and all(type(k._value_buffer).__name__ == "_SpilledBytes" for k in live)
    finally:
        emulator.uninstall()  # back to what the tests run with: the patches, the bytes in memory
        emulator.install()
    from moto.s3 import models as s3_models

    assert s3_models.tempfile.SpooledTemporaryFile.__module__ == "tempfile"
