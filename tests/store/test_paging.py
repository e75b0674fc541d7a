"""store.connection.page: keyset paging of a table's or an index's partition, either way, reading limit + 1 items
and nothing of another partition (docs/ARCHITECTURE.md, paging)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.stored import dynamodb_calls

NUMBER = "2070500001"
START = datetime(2024, 5, 10, 3, 0, tzinfo=UTC)


def _events(count: int, number: str = NUMBER) -> None:
    """`count` audit events of one guarantee, a minute apart: e00 the oldest."""
    from chalicelib.domain.records import AuditEntry
    from chalicelib.store import audit

    for i in range(count):
        audit.append(AuditEntry(number, "key_shown", START + timedelta(minutes=i), "demo-contractor-1", "contractor",
                                "contractor-1", f"request-{i}", event_id=f"e{i:02}"))


def _ids(items) -> list[str]:
    return [i.event_key.rsplit("#", 1)[-1] for i in items]


def test_newest_first_pages_read_limit_plus_one_and_say_whether_more_follow(tables):
    from chalicelib.store.connection import page
    from chalicelib.store.models import AuditEvent

    _events(5)
    _events(3, number="2070500002")  # another partition: never read
    with dynamodb_calls() as calls:
        first, more = page(AuditEvent, NUMBER, 2)
        assert (_ids(first), more) == (["e04", "e03"], True)
        second, more = page(AuditEvent, NUMBER, 2, past=first[-1].event_key)
        assert (_ids(second), more) == (["e02", "e01"], True)
        last, more = page(AuditEvent, NUMBER, 2, past=second[-1].event_key)
        assert (_ids(last), more) == (["e00"], False)
    # One Query per page, each reading at most limit + 1 items.
    assert calls.operations == ["Query"] * 3
    assert calls.query_scanned_counts == [3, 3, 1]


def test_a_full_last_page_says_that_nothing_follows(tables):
    from chalicelib.store.connection import page
    from chalicelib.store.models import AuditEvent

    _events(4)
    first, _ = page(AuditEvent, NUMBER, 2)
    last, more = page(AuditEvent, NUMBER, 2, past=first[-1].event_key)
    assert (_ids(last), more) == (["e01", "e00"], False)


def test_reading_ascending_past_a_pages_first_item_gives_the_page_before(tables):
    """The page before (先頭 / 前 of a newest-first list): ascending past the first item shown, then reversed."""
    from chalicelib.store.connection import page
    from chalicelib.store.models import AuditEvent

    _events(5)
    first, _ = page(AuditEvent, NUMBER, 2)
    second, _ = page(AuditEvent, NUMBER, 2, past=first[-1].event_key)
    before, more = page(AuditEvent, NUMBER, 2, past=second[0].event_key, ascending=True)
    assert (_ids(reversed(before)), more) == (_ids(first), False)
    oldest, more = page(AuditEvent, NUMBER, 2, ascending=True)
    assert (_ids(oldest), more) == (["e00", "e01"], True)


def test_an_index_pages_the_same_way(tables):
    """An endpoint's deliveries (the outbox's by-endpoint index), newest first, never another endpoint's."""
    from chalicelib.domain.outbox import NoticeKind
    from chalicelib.domain.records import Notice
    from chalicelib.store import outbox
    from chalicelib.store.connection import transact

    notices = [Notice(f"n{i}", NoticeKind.WEBHOOK, {"type": "certificate.amended"}, START + timedelta(minutes=i),
                      obligee_id="sakaiminato", endpoint_id="endpoint-a" if i < 3 else "endpoint-b")
               for i in range(4)]
    transact(lambda tx: outbox.save_in(tx, tuple(notices)))
    found, more = outbox.page_of_endpoint("endpoint-a", 2, None)
    assert ([n.notice_id for n, _ in found], more) == (["n2", "n1"], True)
    rest, more = outbox.page_of_endpoint("endpoint-a", 2, found[-1][1])
    assert ([n.notice_id for n, _ in rest], more) == (["n0"], False)


@pytest.mark.parametrize("limit", [1, 3])
def test_an_empty_partition_is_one_empty_page(tables, limit):
    from chalicelib.store.connection import page
    from chalicelib.store.models import AuditEvent

    assert page(AuditEvent, NUMBER, limit) == ([], False)
