"""scripts/backfill.py: certificates written before the search indexes (issue 20) appear in every index after one run,
a second run writes nothing, a dry run writes nothing, a stopped run resumes, and an item changed meanwhile is left
to the writer that changed it (docs/ARCHITECTURE.md, deployment)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from chalicelib.domain.records import GuaranteeStatus
from chalicelib.domain.search import CertificateRow, parse_search
from tests.support.certificates import old_shape, store, version

TODAY = date(2025, 3, 1)


def _old_world() -> list[CertificateRow]:
    """Ten latest versions as the service stored them before issue 20 (one of them amended: its version 1 is in no
    index; one cancelled), and two written by today's code."""
    from chalicelib.store.models import GuaranteeVersion

    old = [version(str(2070300000 + i), "contractor-1" if i < 8 else "contractor-2",
                   issued_on=date(2024, 4, 1) + timedelta(days=20 * i), guarantee_amount=(i + 1) * 1_000_000,
                   obligee_id="pref-demo" if i % 2 else "sakaiminato", project_name=f"道路改良工事 第{i}工区",
                   status=GuaranteeStatus.CANCELLED if i == 3 else GuaranteeStatus.ACTIVE,
                   amended_to=2 if i == 2 else 1)
           for i in range(10)]
    store(old)  # as today, then taken back to the old shape
    client = GuaranteeVersion._get_connection().connection.client
    for v in old:
        client.put_item(TableName=GuaranteeVersion.Meta.table_name, Item=old_shape(v))
    new = store([version("2070309000", issued_on=date(2024, 9, 9)), version("2070309001", issued_on=date(2024, 9, 10))])
    return [CertificateRow.of(v) for v in old + new]


SEARCHES = [{}, {"issued_from": "2024-01-01"}, {"contract_date_from": "2024-01-01"}, {"guarantee_amount_min": "0"},
            {"contract_amount_min": "0"}, {"obligee_id": "pref-demo"}, {"field": "project_name", "q": "道路"}]


def _found(rows: list[CertificateRow]) -> dict[str, set[str]]:
    """What each index answers, per search, within each contractor and across them."""
    from chalicelib.store.search import Where, read_all

    found = {}
    for params in SEARCHES:
        for contractor_id in ("contractor-1", "contractor-2"):
            plan = parse_search(params).plan()
            found[f"{contractor_id} {params}"] = {r.contract_number for r in read_all(plan, Where(contractor_id, TODAY),
                                                                                      at_most=100).rows}
    for params in ({"obligee_id": "pref-demo"}, {"issued_from": "2024-01-01"}):
        plan = parse_search(params).plan(across_contractors=True)
        found[f"* {params}"] = {r.contract_number for r in read_all(plan, Where(None, TODAY), at_most=100).rows}
    return found


def _expected(rows: list[CertificateRow]) -> dict[str, set[str]]:
    expected = {}
    for params in SEARCHES:
        criteria = parse_search(params)
        for contractor_id in ("contractor-1", "contractor-2"):
            expected[f"{contractor_id} {params}"] = {r.contract_number for r in rows
                                                     if r.contractor_id == contractor_id and criteria.matches(r)}
    for params in ({"obligee_id": "pref-demo"}, {"issued_from": "2024-01-01"}):
        expected[f"* {params}"] = {r.contract_number for r in rows if parse_search(params).matches(r)}
    return expected


def test_old_items_appear_in_every_index_and_a_second_run_changes_nothing(tables):
    from chalicelib.domain.types import GuaranteeType
    from chalicelib.store.guarantees import open_guarantee_exists
    from scripts.backfill import STEPS, run

    rows = _old_world()
    before = _found(rows)
    assert before != _expected(rows)  # the old items are missing from the new indexes
    advance = GuaranteeType.ADVANCE_PAYMENT
    assert not open_guarantee_exists("contractor-1", "sakaiminato", "道路改良工事 第0工区", advance)

    dry = run(STEPS, write=False, say=lambda _: None)
    assert dry["guarantees"] == {"stale": 10, "current": 2}  # latest versions only: the Scan's filter
    assert _found(rows) == before  # a dry run writes nothing

    first = run(STEPS, write=True, say=lambda _: None)
    assert first["guarantees"] == {"written": 10, "current": 2}
    assert _found(rows) == _expected(rows)
    assert open_guarantee_exists("contractor-1", "sakaiminato", "道路改良工事 第0工区", advance)
    # The cancelled one is no open guarantee of its works; the amended one's version 1 stays out of every index.
    assert not open_guarantee_exists("contractor-1", "pref-demo", "道路改良工事 第3工区", advance)

    second = run(STEPS, write=True, say=lambda _: None)
    assert second["guarantees"] == {"current": 12}


def test_keys_left_on_an_older_version_are_removed(tables):
    """A release that knew fewer indexes amended, then cancelled, a backfilled advance: it took the list's marker off
    version 1 and left its other keys, so version 1 still stood in `works` as an open advance of those works. The
    backfill removes them."""
    from chalicelib.domain.types import GuaranteeType
    from chalicelib.store.guarantees import latest_item, open_guarantee_exists
    from chalicelib.store.models import GuaranteeVersion
    from scripts.backfill import STEPS, run

    cancelled = version("2070300100", issued_on=date(2024, 5, 1), amended_to=2, status=GuaranteeStatus.CANCELLED)
    store([cancelled])
    left = latest_item(replace(cancelled, version=1, status=GuaranteeStatus.ACTIVE, amended=False)).serialize()
    for name in ("latest_contractor_id", "latest_sort"):
        left.pop(name)
    client = GuaranteeVersion._get_connection().connection.client
    client.put_item(TableName=GuaranteeVersion.Meta.table_name, Item=left)
    works = ("contractor-1", "sakaiminato", cancelled.terms.project_name, GuaranteeType.ADVANCE_PAYMENT)
    assert open_guarantee_exists(*works)  # wrongly: version 1 of a cancelled guarantee
    assert run(STEPS, write=True, say=lambda _: None)["guarantees"] == {"written": 1, "current": 1}
    assert not open_guarantee_exists(*works)


def test_a_stopped_run_resumes_where_it_printed_and_a_changed_item_is_left_alone(tables):
    from chalicelib.store.guarantees import backfill_search_keys
    from chalicelib.store.models import GuaranteeVersion
    from scripts.backfill import STEPS, run, scan

    rows = _old_world()
    said: list[str] = []
    stopped = run(STEPS, write=True, page_size=4, max_pages=1, say=said.append)  # 4 read, older versions left out
    assert 0 < sum(stopped["guarantees"].values()) <= 4
    token = said[-1].rsplit(" ", 1)[1]
    rest = run(STEPS, write=True, page_size=4, resume=token, say=said.append)
    both = stopped["guarantees"] + rest["guarantees"]
    assert both == {"written": 10, "current": 2}  # each item once
    assert _found(rows) == _expected(rows)

    # Read, then changed by the service (its revision bumped) before the backfill writes: left as the writer left it.
    raw = next(item for items, _ in scan(STEPS[0]) for item in items if item["contract_number"]["S"] == "2070300001")
    client = GuaranteeVersion._get_connection().connection.client
    for name in ("cd_sort", "ga_sort"):  # stale again, as if written by an old release ...
        del raw[name]
    client.update_item(TableName=GuaranteeVersion.Meta.table_name,
                       Key={"contract_number": raw["contract_number"], "version": raw["version"]},
                       UpdateExpression="SET revision = revision + :one",
                       ExpressionAttributeValues={":one": {"N": "1"}})
    assert backfill_search_keys(raw, write=True) == "changed"  # ... but it changed since it was read
