"""What each owner verified (確認サービス): its list (確認済み一覧) and whom a change is told of
(docs/ARCHITECTURE.md, data and the owner's 確認済み一覧).

A row is denormalised: besides what was verified, it carries the guarantee as it stands now (the list's columns),
so a page of the list is one Query of `by-verified-at`. Every writer of the guarantee keeps it current inside its
own transaction: a verification writes the row from the latest version it read and only while that version is
still the latest at that revision (`save_in`); a change of the guarantee updates the row if it read one, or
requires that none has appeared since it looked (`refresh_in`). Either way a verification racing a change cancels
one of the two, so no row can miss a change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain.lookups import VerifiedField, VerifiedSearch
from chalicelib.domain.normalize import normalize_search_text
from chalicelib.domain.records import CertificateVersion, GuaranteeStatus, VerificationEntry, VerifiedState
from chalicelib.domain.types import GuaranteeType
from chalicelib.store.connection import get_or_none, page, update_if
from chalicelib.store.models import GuaranteeVersion, Verification

# A filtered read of an owner's rows asks for this many at once: DynamoDB stops a Query page at 1 MB anyway
# (about 1,700 rows of ~600 bytes), so a search reads years of a typical owner's verifications in one call.
_FILTERED_READ_ITEMS = 2000


def _sort(verified_at: datetime, contract_number: str) -> str:
    """The row's place in `by-verified-at`: the time as stored (fixed width, so it sorts as time), then the number."""
    return f"{Verification.verified_at.serialize(verified_at)}#{contract_number}"


def _state(item: Verification) -> VerifiedState | None:
    if item.latest_version is None:
        return None
    return VerifiedState(
        version=int(item.latest_version), recorded_changes=int(item.latest_recorded_changes or 0),
        status=GuaranteeStatus(item.status), guarantee_type=GuaranteeType(item.guarantee_type),
        project_name=item.project_name or "", contractor_name=item.contractor_name or "",
        guarantee_amount=int(item.guarantee_amount or 0), issued_on=item.issued_on or date.min,
        guarantee_period_end=item.guarantee_period_end,
    )


def _record(item: Verification) -> VerificationEntry:
    return VerificationEntry(obligee_id=item.obligee_id, contract_number=item.contract_number,
                             verified_version=int(item.verified_version), verified_at=item.verified_at,
                             verified_by=item.verified_by,
                             verified_recorded_changes=int(item.verified_recorded_changes or 0), state=_state(item))


def _state_values(latest: CertificateVersion) -> dict[str, Any]:
    """The list's columns from the guarantee's latest version: the one mapping for a verification, a change and the
    backfill, so they cannot disagree."""
    state = VerifiedState.of(latest)
    return {
        "latest_version": state.version,
        "latest_recorded_changes": state.recorded_changes,
        "status": state.status.value,
        "guarantee_type": state.guarantee_type.value,
        "project_name": state.project_name,
        "contractor_name": state.contractor_name,
        "guarantee_amount": state.guarantee_amount,
        "issued_on": state.issued_on,
        "guarantee_period_end": state.guarantee_period_end,
        "search_project": normalize_search_text(state.project_name),
        "search_contractor": normalize_search_text(state.contractor_name),
    }


def _state_actions(latest: CertificateVersion) -> list[Action]:
    attributes = Verification.get_attributes()
    return [attributes[name].set(value) for name, value in _state_values(latest).items()]


def _still_latest(latest: CertificateVersion) -> Condition:
    """The version item is still the guarantee's latest, at the revision read."""
    at_revision = (GuaranteeVersion.revision.does_not_exist() if latest.revision is None
                   else GuaranteeVersion.revision == latest.revision)
    return GuaranteeVersion.latest_contractor_id.exists() & at_revision


def row_item(entry: VerificationEntry, latest: CertificateVersion) -> Verification:
    """The row of a verification, with the list's columns from the guarantee's latest version."""
    return Verification(entry.obligee_id, entry.contract_number, verified_version=entry.verified_version,
                        verified_at=entry.verified_at, verified_by=entry.verified_by,
                        verified_recorded_changes=entry.verified_recorded_changes,
                        verified_sort=_sort(entry.verified_at, entry.contract_number), **_state_values(latest))


def save_in(tx: TransactWrite, entry: VerificationEntry, latest: CertificateVersion) -> None:
    """The owner's latest verification of the number (replaces an older one), written with the successful attempt,
    with the list's columns from `latest`, and only while `latest` is still the latest version at its revision."""
    tx.condition_check(GuaranteeVersion, latest.contract_number, latest.version, condition=_still_latest(latest))
    tx.save(row_item(entry, latest))


def refresh_in(tx: TransactWrite, seen: VerificationEntry | None, changed: CertificateVersion) -> None:
    """Inside the transaction of a change of the guarantee: the owner's row (if any) now shows `changed`. `seen` is
    the row as the change read it (None: there was none), and the transaction requires it still so: a row that
    appeared meanwhile (the owner verified) cancels the change, which is then tried again with the row."""
    if seen is None:
        tx.condition_check(Verification, changed.obligee_id, changed.contract_number,
                           condition=Verification.contract_number.does_not_exist())
        return
    # A row from before the list kept its columns gets its place in it too (never moving a newer one).
    place = Verification.verified_sort.set(
        Verification.verified_sort | _sort(seen.verified_at, seen.contract_number))
    tx.update(Verification(seen.obligee_id, seen.contract_number), actions=[*_state_actions(changed), place],
              condition=Verification.contract_number.exists())


def still_latest(latest: CertificateVersion) -> bool:
    """Whether `latest` is still the guarantee's latest version at its revision (read consistently): a verification
    whose transaction was cancelled tells a change of the guarantee from its other conditions by it."""
    item = get_or_none(GuaranteeVersion, latest.contract_number, latest.version, consistent_read=True)
    return (item is not None and item.latest_contractor_id is not None
            and (None if item.revision is None else int(item.revision)) == latest.revision)


def of_owner(obligee_id: str, limit: int, after: str | None, search: VerifiedSearch | None = None
             ) -> tuple[list[VerificationEntry], bool]:
    """One page of what an owner verified, newest 確認日時 first, after the previous page's last row (its
    `list_position`), and whether more follow. A whole number is one GetItem; a 工事名 or 受注者 filters the owner's
    rows (read 1 MB a call), else one Query of limit + 1 rows."""
    if search is not None and search.contract_number is not None:
        found = get(obligee_id, search.contract_number)
        return ([found] if found is not None and after is None else []), False
    if search is None:
        items, has_more = page(Verification.by_verified_at, obligee_id, limit, past=after)
        return [_record(i) for i in items], has_more
    folded = Verification.search_project if search.field is VerifiedField.PROJECT_NAME \
        else Verification.search_contractor
    read = Verification.by_verified_at.query(
        obligee_id, None if after is None else Verification.verified_sort < after,
        filter_condition=folded.contains(search.needle), scan_index_forward=False, limit=limit + 1,
        page_size=_FILTERED_READ_ITEMS)
    rows = [_record(i) for i in read]
    return rows[:limit], len(rows) > limit


def list_position(entry: VerificationEntry) -> str:
    """Where a row stands in its owner's list (the cursor of of_owner)."""
    return _sort(entry.verified_at, entry.contract_number)


def get(obligee_id: str, contract_number: str, *, consistent_read: bool = False) -> VerificationEntry | None:
    item = get_or_none(Verification, obligee_id, contract_number, consistent_read=consistent_read)
    return None if item is None else _record(item)


def complete_old_row(entry: VerificationEntry, latest: CertificateVersion) -> bool:
    """The backfill of a row written before the list kept its columns (scripts/backfill.py): its columns
    from `latest` and its place in the list, unless the row was written or refreshed since it was read (a newer
    writer keeps it current itself). A row that has the columns but not the period's end (written before 保証期間満了
    was shown) gets only that, while it still shows the version and recorded changes `latest` has. Whether it was
    written."""
    if entry.state is not None:
        written = update_if(Verification(entry.obligee_id, entry.contract_number),
                            [Verification.guarantee_period_end.set(latest.terms.guarantee_period_end)],
                            Verification.guarantee_period_end.does_not_exist()
                            & (Verification.latest_version == latest.version)
                            & (Verification.latest_recorded_changes == len(latest.recorded_changes)))
        return written is not None
    written = update_if(Verification(entry.obligee_id, entry.contract_number),
                        [*_state_actions(latest), Verification.verified_sort.set(
                            _sort(entry.verified_at, entry.contract_number))],
                        Verification.latest_version.does_not_exist() & (Verification.verified_at == entry.verified_at))
    return written is not None


def old_row(raw: dict[str, Any]) -> VerificationEntry | None:
    """A raw row (of a Scan's page) if it was written before the list kept its columns or the period's end, else
    None."""
    return None if "latest_version" in raw and "guarantee_period_end" in raw else _record(
        Verification.from_raw_data(raw))
