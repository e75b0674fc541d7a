"""store/search: every driver and every pair of conditions answers exactly what the search means (the domain's
predicate `SearchCriteria.matches` over every row), in the driving index's order, paged either way without a
duplicate or a gap, and never with another contractor's certificate (docs/ARCHITECTURE.md, search and lists).

The world is written straight to the store (tests/support/certificates.py): two contractors whose certificates share
days, amounts, owners and project names, so a leak between them would show."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta

import pytest

from chalicelib.domain.records import GuaranteeStatus
from chalicelib.domain.search import CertificateRow, Driver, SearchCriteria, parse_search
from tests.support.certificates import store, version
from tests.support.stored import dynamodb_calls

TODAY = date(2025, 3, 1)
C1, C2 = "contractor-1", "contractor-2"
AMOUNTS = [40_000_000, 10_000_000, 40_000_000, 25_000_000, 1, 8_000_000, 40_000_000, 12_345_678]
OWNERS = ["sakaiminato", "pref-demo", "tottori"]
PROJECTS = ["境港市道 渡町線 道路改良工事", "○○県道 橋梁補修工事", "ＡＢＣトンネル工事", "市営住宅 解体工事"]


def _world_versions(contractor_id: str, count: int, base: int) -> list:
    versions = []
    for i in range(count):
        issued = date(2024, 1, 5) + timedelta(days=17 * i if i != 6 else 17 * 5)  # 5 and 6: the same day
        versions.append(version(
            str(base + i), contractor_id, issued_on=issued, contract_date=issued - timedelta(days=(i * 7) % 30),
            guarantee_amount=AMOUNTS[i % len(AMOUNTS)], contract_amount=AMOUNTS[i % len(AMOUNTS)] * (2 + i % 3),
            obligee_id=OWNERS[i % 3], project_name=PROJECTS[i % 4],
            status=GuaranteeStatus.CANCELLED if i % 7 == 3 else GuaranteeStatus.ACTIVE, amended_to=2 if i == 4 else 1))
    return versions


@pytest.fixture
def world(tables):
    """24 certificates of contractor-1 over 14 months, 12 of contractor-2 on the same days, owners and amounts."""
    from chalicelib.domain.records import Contractor
    from chalicelib.store.parties import save_contractor

    for contractor_id in (C1, C2):
        save_contractor(Contractor(contractor_id, f"{contractor_id} 株式会社", "境港市", "a@example.jp"))
    mine = store(_world_versions(C1, 24, 2070500000))
    theirs = store(_world_versions(C2, 12, 2070600000))
    return [CertificateRow.of(v) for v in mine], [CertificateRow.of(v) for v in theirs]


def _order(plan_order: str):
    return {
        "issued_on_desc": lambda r: (r.issued_on, r.contract_number),
        "contract_date_desc": lambda r: (r.contract_date, r.contract_number),
        "guarantee_amount_desc": lambda r: (r.guarantee_amount, r.contract_number),
        "contract_amount_total_desc": lambda r: (r.contract_amount_total, r.contract_number),
    }[plan_order]


def expected(criteria: SearchCriteria, rows: list[CertificateRow]) -> list[str]:
    """The reference: the domain's predicate over every row, in the order the plan says."""
    order = _order(criteria.plan().order)
    return [r.contract_number for r in sorted((r for r in rows if criteria.matches(r)), key=order, reverse=True)]


def numbers(rows) -> list[str]:
    return [r.contract_number for r in rows]


def walk(plan, where, limit: int):
    """Every page forward from the top, then backward from the bottom, as the service pages (keyset positions)."""
    from chalicelib.store.search import position_of, read_page

    forward, start = [], None
    while True:
        found = read_page(plan, where, limit=limit, start=start)
        forward += found.rows
        if not found.more:
            break
        start = position_of(plan, found.rows[-1])
    backward, start = [], None
    while True:
        found = read_page(plan, where, limit=limit, start=start, ascending=True)
        backward = found.rows[::-1] + backward
        if not found.more:
            break
        start = position_of(plan, found.rows[-1])
    return numbers(forward), numbers(backward)


SINGLE = [
    {},
    {"issued_from": "2024-03-01"},  # open at the top
    {"issued_to": "2024-06-30"},
    {"issued_from": "2024-01-22", "issued_to": "2024-04-16"},  # both ends are issue days: inclusive
    {"issued_from": "2024-03-30", "issued_to": "2024-03-30"},  # one day, two certificates
    {"contract_date_from": "2024-02-01", "contract_date_to": "2024-09-30"},
    {"contract_date_to": "2024-02-29"},
    {"guarantee_amount_min": "0"},  # 0 yen is a bound like any other: everything
    {"guarantee_amount_min": "0", "guarantee_amount_max": "1"},  # the 1-yen ones only
    {"guarantee_amount_min": "40,000,000", "guarantee_amount_max": "４０００００００"},  # ties, inclusive
    {"guarantee_amount_max": "12345678"},
    {"contract_amount_min": "50000000"},
    {"contract_amount_min": "20000000", "contract_amount_max": "80000000"},
    {"obligee_id": "pref-demo"},
    {"obligee_id": "nobody"},
    {"field": "project_name", "q": "道路"},
    {"field": "project_name", "q": "abc トンネル"},  # folded as stored: full width, case, spaces
    {"field": "obligee", "q": "境港"},
    {"field": "contract_number", "q": "05000"},  # a partial number
    {"field": "contract_number", "q": "2070500007"},  # a whole number: that one
    {"field": "contract_number", "q": "2070600007"},  # another contractor's whole number: nothing
    {"field": "project_name", "q": "存在しない"},
]
ATOMS = {
    "issued": {"issued_from": "2024-03-01", "issued_to": "2024-10-31"},
    "issued_open": {"issued_from": "2024-06-01"},
    "contract": {"contract_date_from": "2024-02-01", "contract_date_to": "2024-09-30"},
    "guarantee": {"guarantee_amount_min": "10,000,000", "guarantee_amount_max": "40000000"},
    "guarantee_open": {"guarantee_amount_max": "25000000"},
    "contract_amount": {"contract_amount_min": "50000000"},
    "obligee": {"obligee_id": "sakaiminato"},
    "project": {"field": "project_name", "q": "工事"},
    "owner_name": {"field": "obligee", "q": "県"},
    "number": {"field": "contract_number", "q": "2070500012"},
}
TEXT = {"project", "owner_name", "number"}  # one `field` at a time
PAIRS = [{**ATOMS[a], **ATOMS[b]} for a, b in itertools.combinations(ATOMS, 2)
         if not (a in TEXT and b in TEXT) and {a, b} != {"issued", "issued_open"}
         and {a, b} != {"guarantee", "guarantee_open"}]


def test_every_search_and_every_pair_answers_what_it_means_in_its_order_paged_either_way(world):
    """One world for all the cases (an emulated account costs more than all its reads)."""
    from chalicelib.store.search import Where, read_all

    mine, _ = world
    by_number = {r.contract_number: r for r in mine}
    where = Where(C1, TODAY)
    drivers = set()
    for params in SINGLE + PAIRS:
        criteria = parse_search(params)
        plan = criteria.plan()
        drivers.add(plan.driver)
        want = expected(criteria, mine)
        found = read_all(plan, where, at_most=1000)
        assert numbers(found.rows) == want, (params, plan.driver)
        if plan.driver is not Driver.LIST:
            assert found.total == len(want), params
        # Row for row what the version states (the narrower indexes leave out only the contractor's name).
        assert [replace(r, contractor_name="") for r in found.rows] == [
            replace(by_number[n], contractor_name="") for n in want], params
        forward, backward = walk(plan, where, limit=6)
        assert forward == want and backward == want, params
    assert drivers == set(Driver)  # every driver was asked
    assert len(PAIRS) >= 30


def test_no_driver_ever_answers_another_contractors_certificate(world):
    from chalicelib.store.search import Where, read_all

    mine, theirs = world
    for params in SINGLE + PAIRS:
        plan = parse_search(params).plan()
        for contractor_id, own in ((C1, mine), (C2, theirs)):
            found = read_all(plan, Where(contractor_id, TODAY), at_most=1000)
            assert {r.contract_number for r in found.rows} <= {r.contract_number for r in own}, params
            assert all(r.contractor_id == contractor_id for r in found.rows), params


def test_a_page_and_its_total_read_the_drivers_matches_once(world):
    """Page 1 of a search: its rows and the count of every match in one pass over the driver's range (the rest
    with Select=COUNT): ScannedCount = what the driver matches; a later page reads a page and one more."""
    from chalicelib.store.search import Where, position_of, read_page

    mine, _ = world
    where = Where(C1, TODAY)
    cases = [{"issued_from": "2024-03-01", "issued_to": "2024-10-31"},  # counted on the compact index
             {"guarantee_amount_min": "10000000"},
             {"obligee_id": "sakaiminato"},
             {"field": "project_name", "q": "道路"},  # the compact index, then the page's rows by BatchGetItem
             {"obligee_id": "sakaiminato", "guarantee_amount_min": "10000000"}]
    for params in cases:
        criteria = parse_search(params)
        plan = criteria.plan()
        # What the driver's key matches (a partial match alone: the contractor's whole compact partition).
        driver_matches = len([r for r in mine if SearchCriteria(
            (plan.key_range,) if plan.key_range else (), plan.obligee_id if plan.driver is Driver.OBLIGEE else None
        ).matches(r)])
        with dynamodb_calls() as calls:
            first = read_page(plan, where, limit=3, count=True)
        assert first.total == len(expected(criteria, mine)), params
        assert sum(calls.query_scanned_counts) == driver_matches, (params, calls.query_scanned_counts)
        with dynamodb_calls() as calls:
            read_page(plan, where, limit=3, start=position_of(plan, first.rows[-1]))
        if not plan.filters and plan.text is None:
            assert sum(calls.query_scanned_counts) <= 4, (params, calls.query_scanned_counts)


def test_the_list_reads_one_page_whatever_the_history(world):
    from chalicelib.store.search import Where, position_of, read_page

    plan = parse_search({}).plan()
    where = Where(C1, TODAY)
    with dynamodb_calls() as calls:
        first = read_page(plan, where, limit=5)
        second = read_page(plan, where, limit=5, start=position_of(plan, first.rows[-1]))
        last = read_page(plan, where, limit=4, ascending=True)
    assert calls.query_scanned_counts == [6, 6, 5] and calls.operations == ["Query"] * 3
    assert first.more and second.more and last.more


SURETY = [
    {"obligee_id": "pref-demo"},
    {"obligee_id": "sakaiminato", "issued_from": "2024-03-01", "issued_to": "2024-10-31"},
    {"obligee_id": "tottori", "guarantee_amount_min": "10000000", "field": "project_name", "q": "工事"},
    {"issued_from": "2024-02-01", "issued_to": "2024-11-30"},
    {"issued_from": "2024-06-01"},  # to today
    {"issued_from": "2024-01-01", "contract_amount_max": "80000000", "field": "obligee", "q": "市"},
    {"field": "contract_number", "q": "2070600003"},
]


def test_the_suretys_searches_across_contractors(world):
    from chalicelib.store.search import Where, read_all

    mine, theirs = world
    for params in SURETY:
        criteria = parse_search(params)
        plan = criteria.plan(across_contractors=True)
        found = read_all(plan, Where(None, TODAY), at_most=1000)
        want = expected(criteria, mine + theirs)
        assert numbers(found.rows) == want, params
        assert {r.contractor_name for r in found.rows} <= {f"{C1} 株式会社", f"{C2} 株式会社"}, params
        assert found.total is None or plan.driver is Driver.CONTRACT_NUMBER, params  # not counted across
        forward, backward = walk(plan, Where(None, TODAY), limit=3)
        assert forward == want and backward == want, params


def test_across_contractors_a_page_reads_at_most_its_months_and_says_where_to_go_on(world):
    from chalicelib.store.search import Where, read_page

    mine, theirs = world
    criteria = parse_search({"issued_from": "2023-01-01", "field": "project_name", "q": "橋梁"})
    plan = criteria.plan(across_contractors=True)
    where, rows, month, pages = Where(None, TODAY), [], None, 0
    with dynamodb_calls() as calls:
        while True:
            found = read_page(plan, where, limit=50, month=month, months=3)
            rows += found.rows
            pages += 1
            assert sum(1 for op in calls.operations if op == "Query") <= 3 * pages  # one Query a month
            if found.resume_month is None:
                break
            month = found.resume_month
    assert numbers(rows) == expected(criteria, mine + theirs)
    assert pages == 9  # 2023-01 .. 2025-03: 27 months, 3 a page


def test_the_surety_pages_across_months_both_ways_through_the_service(world, monkeypatch):
    """Through the service's cursors, two months a page: forward to the end (empty pages where whole months held
    nothing, each with the month to go on from), then back: every certificate once, in order."""
    from chalicelib.domain.principal import Principal
    from chalicelib.services import listing

    monkeypatch.setattr(listing, "MAX_MONTHS_PER_PAGE", 2)
    mine, theirs = world
    surety = Principal("demo-surety", "surety", "surety")
    params = {"issued_from": "2023-11-01", "issued_to": "2025-03-01", "limit": "5"}
    want = expected(parse_search(params), mine + theirs)
    pages = [listing.certificate_page(surety, params)]
    while pages[-1].next_cursor and len(pages) < 40:
        pages.append(listing.certificate_page(surety, {**params, "cursor": pages[-1].next_cursor}))
    assert numbers(r for p in pages for r in p.rows) == want
    assert all(p.total is None and p.last_cursor is None for p in pages)
    back = [pages[-1]]
    while back[-1].prev_cursor and len(back) < 40:
        back.append(listing.certificate_page(surety, {**params, "cursor": back[-1].prev_cursor}))
    assert numbers(r for p in reversed(back) for r in p.rows) == want
