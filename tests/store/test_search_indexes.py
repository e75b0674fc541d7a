"""The search indexes of guarantees as DynamoDB would take them, and kept by every writer: the key of each index on
the latest version only, moved by a change of what it sorts by; the 中間前払 check one keyed read
(docs/ARCHITECTURE.md, search and lists)."""

from __future__ import annotations

from datetime import date

from tests.support.api import SURETY, amend, cancel, issue
from tests.support.certificates import store, version
from tests.support.stored import dynamodb_calls

# DynamoDB's limits that moto does not enforce.
MAX_NON_KEY_ATTRIBUTES = 100  # NonKeyAttributes summed over every secondary index of a table
MAX_GSIS = 20  # global secondary indexes per table (the default quota)


def test_every_tables_indexes_fit_dynamodbs_limits():
    from chalicelib.store.models import ALL_MODELS

    for model in ALL_MODELS:
        schema = model._get_schema()
        indexes = schema["global_secondary_indexes"] + schema["local_secondary_indexes"]
        projected = [i["projection"].get("NonKeyAttributes", []) for i in indexes]
        assert sum(len(p) for p in projected) <= MAX_NON_KEY_ATTRIBUTES, model.__name__
        assert len(schema["global_secondary_indexes"]) <= MAX_GSIS, model.__name__
        keys = {k["AttributeName"] for k in schema["key_schema"]}
        for index, names in zip(indexes, projected, strict=True):
            index_keys = keys | {k["AttributeName"] for k in index["key_schema"]}
            assert not index_keys & set(names), (model.__name__, index["index_name"])  # keys are always projected
            stored = {a.attr_name for a in model.get_attributes().values()}
            assert set(names) <= stored, (model.__name__, index["index_name"], set(names) - stored)


def test_a_typical_version_stays_under_two_kilobytes():
    """Every byte of a version is billed on each write of it and of its ALL-projected entries (docs/CAPACITY.md)."""
    import json

    from chalicelib.store.guarantees import latest_item

    item = latest_item(version("2070500001", issued_on=date(2026, 4, 1),
                               project_name="境港市道 渡町線 道路改良工事" * 3))
    size = sum(len(name.encode()) + len(json.dumps(value, ensure_ascii=False).encode())
               for name, value in item.serialize().items())
    assert size < 2048, size


def _stored(number: str) -> dict[int, dict]:
    """Every version of a guarantee, raw, by version."""
    from chalicelib.store.models import GuaranteeVersion

    client = GuaranteeVersion._get_connection().connection.client
    answer = client.query(TableName=GuaranteeVersion.Meta.table_name, KeyConditionExpression="contract_number = :n",
                          ExpressionAttributeValues={":n": {"S": number}}, ConsistentRead=True)
    return {int(i["version"]["N"]): i for i in answer["Items"]}


def _keys_of(raw: dict) -> dict[str, str | None]:
    from chalicelib.store.guarantees import SEARCH_KEY_ATTRIBUTES
    from chalicelib.store.models import GuaranteeVersion

    attributes = GuaranteeVersion.get_attributes()
    return {name: raw.get(attributes[name].attr_name, {}).get("S") for name in SEARCH_KEY_ATTRIBUTES}


def _expected(number: str) -> dict[str, str | None]:
    from chalicelib.store.guarantees import latest_version, search_keys

    latest = latest_version(number)
    assert latest is not None
    return search_keys(latest)


def test_every_writer_keeps_each_index_key_on_the_latest_version_only(api):
    from chalicelib.services.tables import use_tables
    from chalicelib.store.guarantees import SEARCH_KEY_ATTRIBUTES

    number = issue(api)
    use_tables()
    assert _keys_of(_stored(number)[1]) == _expected(number)
    assert all(_expected(number).values())  # an open advance: in every index, `works` too
    # A new version (変更): version 1 leaves every index, version 2 enters them with its own amount.
    assert amend(api, number, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201
    versions = _stored(number)
    assert _keys_of(versions[1]) == dict.fromkeys(SEARCH_KEY_ATTRIBUTES)
    assert _keys_of(versions[2]) == _expected(number)
    assert _keys_of(versions[2])["sort_guarantee_amount"] == f"{30_000_000:014d}#{number}"
    # A recorded change of 請負金額 (no certificate): the item moves in the 請負金額 index.
    recorded = amend(api, number, {"expected_version": 2, "contract_amount_total": 90_000_000,
                                   "contract_amount_covered": 90_000_000})
    assert recorded.status_code == 200, recorded.json_body
    assert _keys_of(_stored(number)[2])["sort_contract_amount"] == f"{90_000_000:014d}#{number}"
    assert _keys_of(_stored(number)[2]) == _expected(number)
    # A cancellation: no longer an open guarantee of its works; still in the lists (with 解約).
    assert cancel(api, number, {"reason": "工事中止"}).status_code == 200
    after = _keys_of(_stored(number)[2])
    assert after["works_key"] is None and after == _expected(number)
    assert all(value for name, value in after.items() if name != "works_key")
    listed = api.get(f"/v1/certificates?field=contract_number&q={number}", user=SURETY).json_body["items"]
    assert [(i["contract_number"], i["status"]) for i in listed] == [(number, "cancelled")]


def test_the_intermediate_advance_check_reads_one_entry_whatever_the_history(tables):
    from chalicelib.domain.types import GuaranteeType
    from chalicelib.store.guarantees import open_guarantee_exists

    store(version(str(2070500000 + i), issued_on=date(2024, 4, 1), project_name=f"道路改良工事 第{i}工区")
          for i in range(40))
    with dynamodb_calls() as calls:
        found = open_guarantee_exists("contractor-1", "sakaiminato", "道路改良工事　第７工区",
                                      GuaranteeType.ADVANCE_PAYMENT)
        missing = open_guarantee_exists("contractor-1", "sakaiminato", "道路改良工事 第99工区",
                                        GuaranteeType.ADVANCE_PAYMENT)
        wrong_owner = open_guarantee_exists("contractor-1", "pref-demo", "道路改良工事 第7工区",
                                            GuaranteeType.ADVANCE_PAYMENT)
    assert (found, missing, wrong_owner) == (True, False, False)
    assert calls.operations == ["Query"] * 3 and calls.query_scanned_counts == [1, 0, 0]


def test_a_filter_on_what_an_index_does_not_project_fails_loudly():
    """DynamoDB (and moto) filter projected entries: an attribute the index leaves out would match nothing, silently."""
    import pytest

    from chalicelib.store.models import GuaranteeVersion as G
    from chalicelib.store.search import _check_projected

    _check_projected(G.by_guarantee_amount, {"issued_on", "search_project", "contract_number"})  # projected, keys
    _check_projected(G.by_contractor, {"anything"})  # ALL
    with pytest.raises(ValueError, match="guarantee_amount"):
        _check_projected(G.by_contractor_text, {"search_project", "guarantee_amount"})
