"""The append-only audit trail, per contract, newest first (docs/ARCHITECTURE.md, audit)."""

from __future__ import annotations

import uuid

from pynamodb.transactions import TransactWrite

from chalicelib.domain.records import AuditEntry
from chalicelib.store.connection import page as read_page
from chalicelib.store.models import AuditEvent


def _item(entry: AuditEntry) -> AuditEvent:
    event_id = entry.event_id or uuid.uuid4().hex
    return AuditEvent(
        entry.contract_number,
        f"{AuditEvent.at.serialize(entry.at)}#{event_id}",  # sorts by time
        type=entry.type,
        at=entry.at,
        actor=entry.actor,
        role=entry.role,
        org_id=entry.org_id,
        result=entry.result,
        request_id=entry.request_id,
        detail=entry.detail or None,
    )


def _record(item: AuditEvent) -> AuditEntry:
    return AuditEntry(
        contract_number=item.contract_number, type=item.type, at=item.at, actor=item.actor, role=item.role,
        org_id=item.org_id, request_id=item.request_id, result=item.result, detail=item.detail,
        event_id=item.event_key.rsplit("#", 1)[-1],
    )


def append(entry: AuditEntry) -> None:
    """Write one event on its own (where no other change commits with it)."""
    _item(entry).save(condition=AuditEvent.event_key.does_not_exist())


def save_in(tx: TransactWrite, entry: AuditEntry) -> None:
    """Write one event inside a transaction, with the change it records."""
    tx.save(_item(entry), condition=AuditEvent.event_key.does_not_exist())


def page(contract_number: str, limit: int, after: str | None) -> tuple[list[tuple[AuditEntry, str]], bool]:
    """One page of a guarantee's trail, newest first, after the position of the previous page's last event;
    each event with its position."""
    items, has_more = read_page(AuditEvent, contract_number, limit, past=after)
    return [(_record(i), i.event_key) for i in items], has_more
