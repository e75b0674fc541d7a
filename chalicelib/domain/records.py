"""What the service keeps, as plain typed values: the store turns these into items and back, and every
other layer works with them (docs/ARCHITECTURE.md, data). Dates are `date`, instants aware UTC `datetime`,
amounts `int` yen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from chalicelib.domain.outbox import DeliveryStatus, NoticeKind
from chalicelib.domain.types import Delivery, GuaranteeType, SubmissionMethod, WorkCategory


class GuaranteeStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"  # 保証期間満了: derived when read (domain/status.py), never stored
    CANCELLED = "cancelled"  # 解約・返還


@dataclass(frozen=True)
class StatedTerms:
    """The terms a certificate states that an amendment may change."""

    project_name: str
    completion_date: date  # 工期末日
    guarantee_period_end: date  # 保証期間の末日
    contract_amount_total: int
    contract_amount_covered: int
    guarantee_amount: int
    deposit_bank: str | None

    def as_json(self) -> dict[str, Any]:
        """The terms as the API's fields (the issue request's, an amendment's before and after)."""
        return {
            "project_name": self.project_name,
            "completion_date": self.completion_date.isoformat(),
            "guarantee_period_end": self.guarantee_period_end.isoformat(),
            "contract_amount_total": self.contract_amount_total,
            "contract_amount_covered": self.contract_amount_covered,
            "guarantee_amount": self.guarantee_amount,
            "deposit_bank": self.deposit_bank,
        }


@dataclass(frozen=True)
class RecordedChange:
    """A change written into the latest version without a new certificate (注2, 注3): its history entry."""

    recorded_on: date  # Japan date
    changes: tuple[str, ...]  # in words, as the API answered


@dataclass(frozen=True)
class CertificateVersion:
    """One version of a guarantee's certificate (保証証書), never overwritten once issued; a recorded change
    or a cancellation updates the latest version in place and bumps its `revision`."""

    contract_number: str
    version: int
    guarantee_type: GuaranteeType
    delivery: Delivery
    work_category: WorkCategory
    contractor_id: str
    obligee_id: str
    contractor_name: str  # as registered when this version was issued
    contractor_address: str
    obligee_name: str
    contract_date: date
    terms: StatedTerms
    issued_on: date  # 証書発行日, a Japan date
    issued_at: datetime
    issued_by: str
    amended: bool = False
    changes: tuple[str, ...] = ()  # what this version changed, in words
    recorded_changes: tuple[RecordedChange, ...] = ()  # changes since, without a certificate (oldest first)
    status: GuaranteeStatus = GuaranteeStatus.ACTIVE
    cancelled_on: date | None = None
    cancel_reason: str | None = None
    revision: int | None = None  # the store's optimistic-lock counter (None until first stored)
    pdf_stored: bool = False  # the certificate PDF is in S3: links need no HEAD first

    @property
    def is_electronic(self) -> bool:
        return self.delivery is Delivery.ELECTRONIC

    @property
    def is_cancelled(self) -> bool:
        return self.status is GuaranteeStatus.CANCELLED


@dataclass(frozen=True)
class Obligee:
    """発注者 (owner) and its adoption of 電子保証."""

    obligee_id: str
    name: str
    e_guarantee_start_date: date | None  # None: the owner has not adopted electronic guarantees
    eligible_work_categories: tuple[WorkCategory, ...]
    submission_methods: tuple[SubmissionMethod, ...]  # what it accepts: one or both, in SubmissionMethod order
    contact_email: str
    ratio_rules: dict[str, dict[str, Any]] | None = None  # overrides of the default amount rules


@dataclass(frozen=True)
class Contractor:
    """保証契約者 (contractor)."""

    contractor_id: str
    name: str
    address: str
    email: str
    certificate_count: int = 0


@dataclass(frozen=True)
class ContractorEntry:
    """A contractor as the console's list shows it (the registry's name index holds no more)."""

    contractor_id: str
    name: str
    address: str
    certificate_count: int


@dataclass(frozen=True)
class AuthKeyState:
    """The 認証キー of an electronic guarantee as kept: a keyed digest, the KMS ciphertext, the counters."""

    contract_number: str
    obligee_id: str  # whom the certificate is addressed to
    contractor_id: str
    digest: str
    encrypted_key: bytes
    generation: int = 1
    consecutive_failures: int = 0
    total_failures: int = 0
    last_failure_at: datetime | None = None
    disabled: bool = False
    secret_version: str | None = None  # the app secret's version whose key made `digest` (None: before recorded)
    issued_at: datetime | None = None  # when this generation's key was made (issue, or the last reissue)


@dataclass(frozen=True)
class AuditEntry:
    """One event of a guarantee's append-only trail. `detail` never holds a key, token or URL."""

    contract_number: str
    type: str
    at: datetime
    actor: str
    role: str
    org_id: str | None
    request_id: str
    result: str = "ok"
    detail: dict[str, Any] | None = None
    event_id: str = ""  # unique within the contract; made by the store when empty


@dataclass(frozen=True)
class VerifiedState:
    """A verified guarantee as it stands now, as the owner's 確認済み一覧 shows it: kept on the verification row by
    every writer of the guarantee, in the writer's transaction (docs/ARCHITECTURE.md, the owner's 確認済み一覧)."""

    version: int  # the latest version
    recorded_changes: int  # changes recorded in place in it (注2, 注3)
    status: GuaranteeStatus
    guarantee_type: GuaranteeType
    project_name: str
    contractor_name: str
    guarantee_amount: int
    issued_on: date  # 証書発行日 of the latest version
    guarantee_period_end: date | None = None  # its 保証期間's end, for 満了 (None: a row from before it was kept)

    @classmethod
    def of(cls, latest: CertificateVersion) -> VerifiedState:
        return cls(version=latest.version, recorded_changes=len(latest.recorded_changes), status=latest.status,
                   guarantee_type=latest.guarantee_type, project_name=latest.terms.project_name,
                   contractor_name=latest.contractor_name, guarantee_amount=latest.terms.guarantee_amount,
                   issued_on=latest.issued_on, guarantee_period_end=latest.terms.guarantee_period_end)


@dataclass(frozen=True)
class VerificationEntry:
    """What an owner verified (確認サービス), and the guarantee as it stands now."""

    obligee_id: str
    contract_number: str
    verified_version: int
    verified_at: datetime
    verified_by: str
    verified_recorded_changes: int = 0  # changes recorded in place in that version when it was verified
    state: VerifiedState | None = None  # None only on a row written before the list kept it (until the backfill)

    @property
    def changed_since_verified(self) -> bool:
        """確認後に変更あり: a new version, or a change recorded since in the version verified (a moved period, 注2)."""
        now = self.state
        assert now is not None
        return now.version > self.verified_version or (
            now.version == self.verified_version and now.recorded_changes > self.verified_recorded_changes)


@dataclass(frozen=True)
class Outcome:
    """The stored answer of a creating request (idempotency), with the notices its change owes (written to
    the outbox in the same transaction; never stored in the answer's record)."""

    scope: str  # "{actor}#{operation}#{Idempotency-Key}"
    request_hash: str
    status_code: int
    response: dict[str, Any]
    created_at: datetime
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class Notice:
    """One email or webhook delivery owed by a committed change (docs/ARCHITECTURE.md, outbox)."""

    notice_id: str
    kind: NoticeKind
    payload: dict[str, Any]  # an email's {to, subject, body}; a webhook's event body
    created_at: datetime
    obligee_id: str | None = None  # webhooks: the owner and its endpoint
    endpoint_id: str | None = None
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    window_start: datetime | None = None  # retries stop 24 h after this (the creation, or a replay)
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class WebhookEndpoint:
    """An owner's HTTPS receiver; its signing secret is kept only under KMS."""

    obligee_id: str
    endpoint_id: str
    url: str
    encrypted_secret: bytes
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class MachineClientEntry:
    """An owner's system signed in with client credentials: a Cognito app client bound to one owner."""

    client_id: str
    obligee_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
