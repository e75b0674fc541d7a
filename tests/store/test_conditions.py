"""store.connection.update_if and condition_failed: a conditional write either happens or writes nothing and says
so, and a refused condition is recognised the one way, whichever client refused it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

NOW = datetime(2024, 5, 10, 3, 0, tzinfo=UTC)


def _endpoint(endpoint_id: str = "endpoint-a") -> None:
    from chalicelib.domain.records import WebhookEndpoint
    from chalicelib.store import webhooks

    webhooks.create(WebhookEndpoint("sakaiminato", endpoint_id, "https://example.jp/hook", b"secret", NOW,
                                    "demo-sakaiminato"))


def test_update_if_writes_when_the_condition_holds_and_nothing_when_not(tables):
    from chalicelib.store import webhooks

    _endpoint()
    assert webhooks.revoke("sakaiminato", "endpoint-a", NOW) is True
    assert webhooks.get("sakaiminato", "endpoint-a").revoked_at == NOW
    # Already revoked: refused, and the first revocation's time stays.
    assert webhooks.revoke("sakaiminato", "endpoint-a", NOW + timedelta(hours=1)) is False
    assert webhooks.get("sakaiminato", "endpoint-a").revoked_at == NOW
    # No such endpoint: refused, and nothing is created by the update.
    assert webhooks.revoke("sakaiminato", "endpoint-x", NOW) is False
    assert webhooks.get("sakaiminato", "endpoint-x") is None


def test_update_if_answers_the_item_as_it_now_stands(tables):
    from chalicelib.store.connection import update_if
    from chalicelib.store.models import WebhookEndpointItem

    _endpoint()
    item = update_if(WebhookEndpointItem("sakaiminato", "endpoint-a"), [WebhookEndpointItem.revoked_at.set(NOW)],
                     WebhookEndpointItem.endpoint_id.exists())
    assert item is not None and item.url == "https://example.jp/hook" and item.revoked_at == NOW


def test_a_machine_client_is_revoked_only_by_its_own_owner(tables):
    from chalicelib.domain.records import MachineClientEntry
    from chalicelib.store import machine_clients

    machine_clients.create(MachineClientEntry("client-1", "sakaiminato", "基幹システム", ("verifications/read",),
                                              NOW, "demo-surety"))
    assert machine_clients.revoke("client-1", "pref-demo", NOW) is False
    assert machine_clients.get("client-1").revoked_at is None
    assert machine_clients.revoke("client-1", "sakaiminato", NOW) is True
    assert machine_clients.revoke("client-1", "sakaiminato", NOW) is False


def test_condition_failed_recognises_a_refusal_from_each_client(tables):
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

    from chalicelib.store.connection import condition_failed, raw_client, transact
    from chalicelib.store.models import WebhookEndpointItem

    _endpoint()
    absent = WebhookEndpointItem.endpoint_id.does_not_exist()
    with pytest.raises(PutError) as put:
        WebhookEndpointItem("sakaiminato", "endpoint-a", url="x", encrypted_secret=b"s", created_at=NOW,
                            created_by="x").save(condition=absent)
    with pytest.raises(UpdateError) as update:
        WebhookEndpointItem("sakaiminato", "endpoint-a").update(actions=[WebhookEndpointItem.url.set("y")],
                                                                condition=absent)
    with pytest.raises(ClientError) as raw:
        raw_client().update_item(TableName=WebhookEndpointItem.Meta.table_name,
                                 Key={"obligee_id": {"S": "sakaiminato"}, "endpoint_id": {"S": "endpoint-a"}},
                                 UpdateExpression="SET #u = :u",
                                 ConditionExpression="attribute_not_exists(endpoint_id)",
                                 ExpressionAttributeNames={"#u": "url"}, ExpressionAttributeValues={":u": {"S": "y"}})
    with pytest.raises(TransactWriteError) as transaction:
        transact(lambda tx: tx.update(WebhookEndpointItem("sakaiminato", "endpoint-a"),
                                      actions=[WebhookEndpointItem.url.set("y")], condition=absent))
    for refused in (put, update, raw, transaction):
        assert condition_failed(refused.value), refused.value
    assert all(i.url == "https://example.jp/hook" for i in WebhookEndpointItem.query("sakaiminato"))


def test_condition_failed_is_false_for_any_other_error(tables):
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import GetError

    from chalicelib.store.connection import condition_failed, raw_client

    with pytest.raises(ClientError) as invalid:
        raw_client().get_item(TableName="no-such-table", Key={"x": {"S": "y"}})
    assert not condition_failed(invalid.value)
    assert not condition_failed(GetError("boom"))
    assert not condition_failed(ValueError("boom"))
