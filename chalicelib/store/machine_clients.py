"""Machine clients: which owner each Cognito app client acts for (docs/ARCHITECTURE.md, machine clients)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.records import MachineClientEntry
from chalicelib.store.connection import get_or_none, update_if
from chalicelib.store.models import MachineClient


def _record(item: MachineClient) -> MachineClientEntry:
    return MachineClientEntry(client_id=item.client_id, obligee_id=item.obligee_id, name=item.name,
                              scopes=tuple(str(s) for s in item.scopes), created_at=item.created_at,
                              created_by=item.created_by,
                              revoked_at=item.revoked_at)


def create(entry: MachineClientEntry) -> None:
    MachineClient(entry.client_id, obligee_id=entry.obligee_id, name=entry.name, scopes=list(entry.scopes),
                  created_at=entry.created_at, created_by=entry.created_by,
                  ).save(condition=MachineClient.client_id.does_not_exist())


def get(client_id: str) -> MachineClientEntry | None:
    item = get_or_none(MachineClient, client_id)
    return None if item is None else _record(item)


def of_obligee(obligee_id: str) -> list[MachineClientEntry]:
    return [_record(i) for i in MachineClient.by_obligee.query(obligee_id)]


def revoke(client_id: str, obligee_id: str, now: datetime) -> bool:
    """False if there is no such live client of this owner."""
    return update_if(MachineClient(client_id), [MachineClient.revoked_at.set(now)],
                     (MachineClient.obligee_id == obligee_id) & MachineClient.revoked_at.does_not_exist()) is not None
