"""DynamoDB tables of the service (pynamodb models). Only `chalicelib.store` sees these; the rest of the
service works with the records of `chalicelib.domain.records` (docs/ARCHITECTURE.md, data). Table names get
the stage prefix in `chalicelib.store.connection.bind()`."""

from __future__ import annotations

from datetime import date

from pynamodb.attributes import (
    Attribute,
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.constants import STRING
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model


class DateAttribute(Attribute[date]):
    """A calendar date stored as ISO text (YYYY-MM-DD), so it sorts and compares as a date."""

    attr_type = STRING

    def serialize(self, value: date) -> str:
        return value.isoformat()

    def deserialize(self, value: str) -> date:
        return date.fromisoformat(value)


class _Meta:
    table_name: str
    region: str | None = None
    billing_mode = "PAY_PER_REQUEST"


class GuaranteesByContractor(GlobalSecondaryIndex):
    """Sparse: only the latest version of each guarantee carries these keys (保証工事一覧)."""

    class Meta:
        index_name = "by-contractor"
        projection = AllProjection()

    latest_contractor_id = UnicodeAttribute(hash_key=True)
    latest_sort = UnicodeAttribute(range_key=True)  # "{issued_on}#{contract_number}": newest first


# --- the search indexes of guarantees (docs/ARCHITECTURE.md, search and lists) ---------------------------------
# Every one is sparse: only the latest version of a guarantee carries its keys (store/guarantees.search_keys writes
# them all, for every writer and the backfill). Each sort key ends in "#{contract_number}", so a position in an index
# is unique and a page starts exactly past the last row shown.

# What a row of the list and of the CSV needs, projected into the narrower range indexes (INCLUDE): a filter or a
# page there never reads a whole item. DynamoDB allows 100 NonKeyAttributes summed over a table's indexes
# (tests/store/test_search_indexes.py sums them).
LIST_COLUMNS = [
    "guarantee_type", "issued_on", "amended", "status", "delivery", "obligee_id", "obligee_name", "project_name",
    "contract_date", "completion_date", "guarantee_period_end", "contract_amount_total", "contract_amount_covered",
    "guarantee_amount", "search_project", "search_obligee",
]


class GuaranteesByContractorText(GlobalSecondaryIndex):
    """The contractor's list in the compact form of its searchable text (about 200 bytes a certificate): partial
    match and the count of an 証書発行日 range read this, never whole items."""

    class Meta:
        index_name = "by-contractor-text"
        projection = IncludeProjection(["search_project", "search_obligee"])

    latest_contractor_id = UnicodeAttribute(hash_key=True)
    latest_sort = UnicodeAttribute(range_key=True)


class GuaranteesByContractDate(GlobalSecondaryIndex):
    """A contractor's certificates by 契約日, newest first."""

    class Meta:
        index_name = "by-contractor-contract-date"
        projection = IncludeProjection(LIST_COLUMNS)

    latest_contractor_id = UnicodeAttribute(hash_key=True)
    sort_contract_date = UnicodeAttribute(range_key=True, attr_name="cd_sort")  # "{contract_date}#{number}"


class GuaranteesByGuaranteeAmount(GlobalSecondaryIndex):
    """A contractor's certificates by 保証金額, largest first."""

    class Meta:
        index_name = "by-contractor-guarantee-amount"
        projection = IncludeProjection(LIST_COLUMNS)

    latest_contractor_id = UnicodeAttribute(hash_key=True)
    sort_guarantee_amount = UnicodeAttribute(range_key=True, attr_name="ga_sort")  # "{yen:014d}#{number}"


class GuaranteesByContractAmount(GlobalSecondaryIndex):
    """A contractor's certificates by 請負金額(総額), largest first."""

    class Meta:
        index_name = "by-contractor-contract-amount"
        projection = IncludeProjection(LIST_COLUMNS)

    latest_contractor_id = UnicodeAttribute(hash_key=True)
    sort_contract_amount = UnicodeAttribute(range_key=True, attr_name="ca_sort")  # "{yen:014d}#{number}"


class GuaranteesByContractorObligee(GlobalSecondaryIndex):
    """A contractor's certificates for one owner, newest first (an 証書発行日 range narrows the same key)."""

    class Meta:
        index_name = "by-contractor-obligee"
        projection = IncludeProjection(LIST_COLUMNS)

    contractor_obligee = UnicodeAttribute(hash_key=True, attr_name="co_key")  # "{contractor_id}#{obligee_id}"
    latest_sort = UnicodeAttribute(range_key=True)


class GuaranteesByObligee(GlobalSecondaryIndex):
    """One owner's certificates across contractors, newest first (the surety's search)."""

    class Meta:
        index_name = "by-obligee"
        projection = AllProjection()

    latest_obligee_id = UnicodeAttribute(hash_key=True, attr_name="ob_key")
    latest_sort = UnicodeAttribute(range_key=True)


class GuaranteesByIssuedMonth(GlobalSecondaryIndex):
    """Every contractor's certificates of one month of 証書発行日, newest first (the surety's search by date)."""

    class Meta:
        index_name = "by-issued-month"
        projection = AllProjection()

    issued_month = UnicodeAttribute(hash_key=True, attr_name="im_key")  # "YYYY-MM"
    latest_sort = UnicodeAttribute(range_key=True)


class GuaranteesByWorks(GlobalSecondaryIndex):
    """Open guarantees of one contractor's works for one owner (工事名 folded and hashed), by kind: the 中間前払
    rule's one keyed read."""

    class Meta:
        index_name = "works"
        projection = KeysOnlyProjection()

    works_key = UnicodeAttribute(hash_key=True)  # "{contractor_id}#{obligee_id}#{22 characters of SHA-256}"
    guarantee_type = UnicodeAttribute(range_key=True)


class GuaranteeVersion(Model):
    """One version of a guarantee's certificate content, never overwritten."""

    class Meta(_Meta):
        table_name = "guarantees"

    contract_number = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(range_key=True)
    guarantee_type = UnicodeAttribute()
    delivery = UnicodeAttribute()
    status = UnicodeAttribute(default="active")
    work_category = UnicodeAttribute()
    contractor_id = UnicodeAttribute()
    obligee_id = UnicodeAttribute()
    # What the certificate names, as registered when this version was issued.
    contractor_name = UnicodeAttribute()
    contractor_address = UnicodeAttribute()
    obligee_name = UnicodeAttribute()
    project_name = UnicodeAttribute()
    contract_date = DateAttribute()
    completion_date = DateAttribute()
    guarantee_period_end = DateAttribute()
    contract_amount_total = NumberAttribute()
    contract_amount_covered = NumberAttribute()
    guarantee_amount = NumberAttribute()
    deposit_bank = UnicodeAttribute(null=True)
    issued_on = DateAttribute()  # Japan business date of issue
    issued_at = UTCDateTimeAttribute()
    issued_by = UnicodeAttribute()
    amended = BooleanAttribute(default=False)
    changes = ListAttribute(of=UnicodeAttribute, null=True)  # what this version changed, in words
    # Changes recorded in place since (no certificate, 注2/注3): [{"on": ISO date, "changes": [words]}].
    recorded_changes = JSONAttribute(null=True)
    revision = VersionAttribute()  # optimistic lock: every write of the item checks and bumps it
    cancelled_on = DateAttribute(null=True)  # Japan date
    cancel_reason = UnicodeAttribute(null=True)
    pdf_stored = BooleanAttribute(default=False)  # the certificate PDF is in S3: links need no HEAD first
    # Normalised text for the portal's partial-match search.
    search_project = UnicodeAttribute()
    search_obligee = UnicodeAttribute()
    latest_contractor_id = UnicodeAttribute(null=True)
    latest_sort = UnicodeAttribute(null=True)
    by_contractor = GuaranteesByContractor()
    # The other search indexes' keys, on the latest version only (short stored names: every byte of an item is
    # billed on every write of it and of its ALL-projected index entries).
    sort_contract_date = UnicodeAttribute(null=True, attr_name="cd_sort")
    sort_guarantee_amount = UnicodeAttribute(null=True, attr_name="ga_sort")
    sort_contract_amount = UnicodeAttribute(null=True, attr_name="ca_sort")
    contractor_obligee = UnicodeAttribute(null=True, attr_name="co_key")
    latest_obligee_id = UnicodeAttribute(null=True, attr_name="ob_key")
    issued_month = UnicodeAttribute(null=True, attr_name="im_key")
    works_key = UnicodeAttribute(null=True)  # an active guarantee only
    by_contractor_text = GuaranteesByContractorText()
    by_contract_date = GuaranteesByContractDate()
    by_guarantee_amount = GuaranteesByGuaranteeAmount()
    by_contract_amount = GuaranteesByContractAmount()
    by_contractor_obligee = GuaranteesByContractorObligee()
    by_obligee = GuaranteesByObligee()
    by_issued_month = GuaranteesByIssuedMonth()
    by_works = GuaranteesByWorks()


class Counter(Model):
    """Atomic counters; `contract_number` hands out 保証契約番号, never reused."""

    class Meta(_Meta):
        table_name = "counters"

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)


class IdempotencyRecord(Model):
    """The stored answer to a creating POST, written in the same transaction as what it created."""

    class Meta(_Meta):
        table_name = "idempotency"

    key = UnicodeAttribute(hash_key=True)  # "{actor}#{operation}#{Idempotency-Key}"
    request_hash = UnicodeAttribute()
    status_code = NumberAttribute()
    response = JSONAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class AuditEvent(Model):
    """Append-only trail per contract."""

    class Meta(_Meta):
        table_name = "audit-events"

    contract_number = UnicodeAttribute(hash_key=True)
    event_key = UnicodeAttribute(range_key=True)  # "{at ISO}#{event id}": sorts by time
    type = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    role = UnicodeAttribute()
    org_id = UnicodeAttribute(null=True)
    result = UnicodeAttribute(default="ok")
    request_id = UnicodeAttribute()
    detail = JSONAttribute(null=True)  # never a key, token or URL


class Obligee(Model):
    """発注者 (owner) and its e-guarantee adoption."""

    class Meta(_Meta):
        table_name = "obligees"

    obligee_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    e_guarantee_start_date = DateAttribute(null=True)
    eligible_work_categories = ListAttribute(of=UnicodeAttribute, default=list)
    submission_method = UnicodeAttribute()  # the first accepted method (items written before submission_methods)
    submission_methods = ListAttribute(of=UnicodeAttribute, null=True)
    contact_email = UnicodeAttribute()
    ratio_rules = JSONAttribute(null=True)  # overrides of the default amount rules
    updated_at = UTCDateTimeAttribute()


CONTRACTOR_NAME_SHARD = "c"  # the one partition of `by-name`: 10,000 contractors are far from its limits


class ContractorsByName(GlobalSecondaryIndex):
    """Every contractor in the order of its name without 法人格, for the console's lookup by the beginning of a
    name (docs/ARCHITECTURE.md, the contractor lookup). Projects what the console's list shows."""

    class Meta:
        index_name = "by-name"
        projection = IncludeProjection(["name", "address", "certificate_count"])

    name_shard = UnicodeAttribute(hash_key=True)
    name_key = UnicodeAttribute(range_key=True)  # "{company_name_key(name)}#{contractor_id}": unique


class Contractor(Model):
    """保証契約者 (contractor)."""

    class Meta(_Meta):
        table_name = "contractors"

    contractor_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    address = UnicodeAttribute()
    email = UnicodeAttribute()
    certificate_count = NumberAttribute(default=0)  # kept in the issuing transaction: the list's total
    updated_at = UTCDateTimeAttribute()
    # Written with every registration and rename (store/parties.save_contractor); absent on items from before
    # the lookup until scripts/backfill.py has run.
    name_shard = UnicodeAttribute(null=True)
    name_key = UnicodeAttribute(null=True)
    by_name = ContractorsByName()


class AuthKey(Model):
    """The 認証キー of an electronic guarantee: a keyed digest to verify, the key under KMS to show again,
    and the guessing counters. Never the plain key."""

    class Meta(_Meta):
        table_name = "auth-keys"

    contract_number = UnicodeAttribute(hash_key=True)
    obligee_id = UnicodeAttribute()  # whom the certificate is addressed to
    contractor_id = UnicodeAttribute()
    digest = UnicodeAttribute()
    secret_version = UnicodeAttribute(null=True)  # the app secret's version behind `digest`
    encrypted_key = BinaryAttribute(legacy_encoding=False)
    generation = NumberAttribute(default=1)  # +1 on each re-issue
    consecutive_failures = NumberAttribute(default=0)
    total_failures = NumberAttribute(default=0)
    last_failure_at = UTCDateTimeAttribute(null=True)
    disabled = BooleanAttribute(default=False)
    key_issued_at = UTCDateTimeAttribute(null=True)  # when this generation's key was made (the notice's 再発行 date)
    updated_at = UTCDateTimeAttribute()


class VerificationsByVerifiedAt(GlobalSecondaryIndex):
    """An owner's 確認済み一覧, newest 確認日時 first: one Query a page (the rows carry every column)."""

    class Meta:
        index_name = "by-verified-at"
        projection = AllProjection()

    obligee_id = UnicodeAttribute(hash_key=True)
    verified_sort = UnicodeAttribute(range_key=True)  # "{verified_at}#{contract_number}": unique, by time


class Verification(Model):
    """What an owner has verified (確認サービス), to list it and to tell it of later changes; with the guarantee as it
    stands now, kept current by every writer of the guarantee in its transaction (store/verifications.py)."""

    class Meta(_Meta):
        table_name = "verifications"

    obligee_id = UnicodeAttribute(hash_key=True)
    contract_number = UnicodeAttribute(range_key=True)
    verified_version = NumberAttribute()
    verified_recorded_changes = NumberAttribute(default=0)  # changes recorded in that version by then (注2, 注3)
    verified_at = UTCDateTimeAttribute()
    verified_by = UnicodeAttribute()
    # The list's columns (absent on rows from before the list kept them, until scripts/backfill.py).
    verified_sort = UnicodeAttribute(null=True)
    latest_version = NumberAttribute(null=True)
    latest_recorded_changes = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    guarantee_type = UnicodeAttribute(null=True)
    project_name = UnicodeAttribute(null=True)
    contractor_name = UnicodeAttribute(null=True)
    guarantee_amount = NumberAttribute(null=True)
    issued_on = DateAttribute(null=True)
    guarantee_period_end = DateAttribute(null=True)  # for 保証期間満了, derived when read (domain/status.py)
    search_project = UnicodeAttribute(null=True)  # folded (normalize_search_text) for the partial match
    search_contractor = UnicodeAttribute(null=True)
    by_verified_at = VerificationsByVerifiedAt()


class Throttle(Model):
    """Failure counts per owner account and hour window."""

    class Meta(_Meta):
        table_name = "throttle"

    key = UnicodeAttribute(hash_key=True)  # "{username}#{YYYYmmddHH UTC}"
    failures = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


class OutboxDue(GlobalSecondaryIndex):
    """Sparse: only notices still to be tried carry these keys; the sweep reads what is due, oldest first."""

    class Meta:
        index_name = "due"
        projection = AllProjection()

    due_shard = UnicodeAttribute(hash_key=True)  # one constant value: the outbox is small and short-lived
    due_at = UnicodeAttribute(range_key=True)  # ISO instant of the next attempt


class OutboxByEndpoint(GlobalSecondaryIndex):
    """Webhook deliveries of one endpoint, newest first (emails carry no endpoint)."""

    class Meta:
        index_name = "by-endpoint"
        projection = AllProjection()

    endpoint_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)  # "{created_at ISO}#{notice_id}"


class OutboxNotice(Model):
    """An email or webhook delivery owed by a committed change, written in the change's transaction
    (docs/ARCHITECTURE.md, outbox). Its status is the consumer's idempotency: a sent notice is never sent again."""

    class Meta(_Meta):
        table_name = "outbox"

    notice_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    payload = JSONAttribute()
    created_at = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    window_start = UTCDateTimeAttribute()
    next_attempt_at = UTCDateTimeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)  # "HTTP 500", "timeout": never a body or a secret
    sent_at = UTCDateTimeAttribute(null=True)
    obligee_id = UnicodeAttribute(null=True)
    endpoint_id = UnicodeAttribute(null=True)
    created_key = UnicodeAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()
    due = OutboxDue()
    by_endpoint = OutboxByEndpoint()


class WebhookEndpointItem(Model):
    """An owner's webhook receiver. The signing secret only as KMS ciphertext."""

    class Meta(_Meta):
        table_name = "webhook-endpoints"

    obligee_id = UnicodeAttribute(hash_key=True)
    endpoint_id = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()
    encrypted_secret = BinaryAttribute(legacy_encoding=False)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)


class MachineClientsByObligee(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-obligee"
        projection = AllProjection()

    obligee_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class MachineClient(Model):
    """An owner's system, signed in as a Cognito app client (client credentials): bound to one owner."""

    class Meta(_Meta):
        table_name = "machine-clients"

    client_id = UnicodeAttribute(hash_key=True)
    obligee_id = UnicodeAttribute()
    name = UnicodeAttribute()
    scopes = ListAttribute(of=UnicodeAttribute)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)
    by_obligee = MachineClientsByObligee()


ALL_MODELS: tuple[type[Model], ...] = (
    GuaranteeVersion, Counter, IdempotencyRecord, AuditEvent, Obligee, Contractor, AuthKey, Verification, Throttle,
    OutboxNotice, WebhookEndpointItem, MachineClient,
)
BASE_NAMES: dict[type[Model], str] = {m: m.Meta.table_name for m in ALL_MODELS}
