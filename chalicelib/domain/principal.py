"""Who calls: a signed-in user with one role and, except for surety staff, an organisation.

See docs/ARCHITECTURE.md (roles)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    SURETY = "surety"  # 保証会社
    CONTRACTOR = "contractor"  # 受注者 (保証契約者)
    OBLIGEE = "obligee"  # 発注者


ROLES = tuple(r.value for r in Role)


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    org_id: str | None

    @property
    def actor(self) -> str:
        return self.username

    def may_read_contractor(self, contractor_id: str) -> bool:
        """Surety staff read every contractor's certificates; a contractor only its own."""
        return self.role == Role.SURETY or (self.role == Role.CONTRACTOR and self.org_id == contractor_id)
