"""What each owner verified (D-Sure): its list (確認済み一覧) and whom a change is told of
(docs/ARCHITECTURE.md, data)."""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from chalicelib.domain.records import VerificationEntry
from chalicelib.store.connection import get_or_none, page
from chalicelib.store.models import Verification


def _record(item: Verification) -> VerificationEntry:
    return VerificationEntry(obligee_id=item.obligee_id, contract_number=item.contract_number,
                             verified_version=int(item.verified_version), verified_at=item.verified_at,
                             verified_by=item.verified_by,
                             verified_recorded_changes=int(item.verified_recorded_changes or 0))


def save_in(tx: TransactWrite, entry: VerificationEntry) -> None:
    """The owner's latest verification of the number, written with the successful attempt (replaces an older)."""
    tx.save(Verification(entry.obligee_id, entry.contract_number, verified_version=entry.verified_version,
                         verified_at=entry.verified_at, verified_by=entry.verified_by,
                         verified_recorded_changes=entry.verified_recorded_changes))


def of_owner(obligee_id: str, limit: int, after: str | None) -> tuple[list[VerificationEntry], bool]:
    """One page of what an owner verified, by 保証契約番号 descending, after the previous page's last number."""
    items, has_more = page(Verification, obligee_id, limit, past=after)
    return [_record(i) for i in items], has_more


def get(obligee_id: str, contract_number: str) -> VerificationEntry | None:
    item = get_or_none(Verification, obligee_id, contract_number)
    return None if item is None else _record(item)
