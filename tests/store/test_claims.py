"""The store's claims: an outbox notice is taken for one delivery attempt at a time and never once sent; a guess
at a 認証キー is counted before it is judged, so no more guesses are evaluated than the limits allow
(docs/ARCHITECTURE.md, outbox; 認証キー and guessing)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2024, 5, 10, 3, 0, tzinfo=UTC)
NUMBER = "2070500001"


# --- the outbox ------------------------------------------------------------------------------------------------

def _notice(notice_id: str = "n1", created_at: datetime = NOW) -> None:
    from chalicelib.domain.outbox import NoticeKind
    from chalicelib.domain.records import Notice
    from chalicelib.store import outbox
    from chalicelib.store.connection import transact

    notice = Notice(notice_id, NoticeKind.EMAIL, {"to": ["a@example.jp"], "subject": "s", "body": "b"}, created_at)
    transact(lambda tx: outbox.save_in(tx, (notice,)))


def test_a_notice_is_claimed_once_until_its_lease_runs_out(tables):
    from chalicelib.domain.outbox import LEASE, DeliveryStatus
    from chalicelib.store import outbox

    _notice()
    claimed = outbox.claim("n1", NOW)
    assert claimed is not None and claimed.status is DeliveryStatus.SENDING
    assert outbox.claim("n1", NOW + LEASE - timedelta(seconds=1)) is None  # a live consumer holds it
    assert outbox.claim("n1", NOW + LEASE + timedelta(seconds=1)) is not None  # that consumer died


def test_a_sent_notice_is_never_claimed_again(tables):
    from chalicelib.domain.outbox import DeliveryStatus
    from chalicelib.store import outbox

    _notice()
    assert outbox.claim("n1", NOW) is not None
    outbox.mark_sent("n1", NOW)
    assert outbox.get("n1").status is DeliveryStatus.SENT
    assert outbox.claim("n1", NOW + timedelta(days=1)) is None
    assert outbox.due_ids(NOW + timedelta(days=1), 10) == []


def test_a_notice_is_not_claimed_before_it_is_due_and_a_parked_one_only_after_a_replay(tables):
    from chalicelib.domain.outbox import DeliveryStatus
    from chalicelib.store import outbox

    _notice()
    assert outbox.claim("n1", NOW) is not None
    outbox.mark_failed("n1", "HTTP 500", NOW + timedelta(minutes=5))
    assert outbox.claim("n1", NOW + timedelta(minutes=4)) is None
    assert outbox.due_ids(NOW + timedelta(minutes=5), 10) == ["n1"]
    assert outbox.claim("n1", NOW + timedelta(minutes=5)) is not None
    outbox.mark_failed("n1", "HTTP 500", None)
    assert outbox.get("n1").status is DeliveryStatus.PARKED
    assert outbox.claim("n1", NOW + timedelta(days=1)) is None
    assert outbox.replay("n1", "endpoint-a", NOW) is False  # not that endpoint's (an email has none)


# --- 認証キー guesses ---------------------------------------------------------------------------------------------

def _key(obligee_id: str = "sakaiminato") -> None:
    from chalicelib.domain.records import AuthKeyState
    from chalicelib.store import auth_keys
    from chalicelib.store.connection import transact

    key = AuthKeyState(NUMBER, obligee_id, "contractor-1", "digest", b"ciphertext", last_failure_at=None)
    transact(lambda tx: auth_keys.create_in(tx, key))


def test_the_lock_takes_the_fifth_consecutive_guess_and_lasts_its_duration(tables):
    from chalicelib.domain.policy import GUESSING_LIMITS
    from chalicelib.store import auth_keys
    from chalicelib.store.auth_keys import Refusal

    _key()
    for i in range(GUESSING_LIMITS.lock_after):
        claim = auth_keys.claim_attempt(NUMBER, NOW + timedelta(seconds=i), "sakaiminato")
        assert claim.refused is None and claim.key.consecutive_failures == i + 1
    last = NOW + timedelta(seconds=GUESSING_LIMITS.lock_after - 1)
    locked = auth_keys.claim_attempt(NUMBER, last + timedelta(seconds=1), "sakaiminato")
    assert locked.refused is Refusal.LOCKED
    assert locked.retry_after == GUESSING_LIMITS.lock_duration.total_seconds() - 1
    assert auth_keys.get_auth_key(NUMBER).consecutive_failures == GUESSING_LIMITS.lock_after  # not counted
    # After the lock a new streak starts with this guess.
    fresh = auth_keys.claim_attempt(NUMBER, last + GUESSING_LIMITS.lock_duration + timedelta(seconds=1), "sakaiminato")
    assert fresh.refused is None and fresh.key.consecutive_failures == 1


def test_another_owner_and_an_unknown_number_claim_nothing(tables):
    from chalicelib.store import auth_keys
    from chalicelib.store.auth_keys import Refusal

    _key()
    assert auth_keys.claim_attempt(NUMBER, NOW, "pref-demo").refused is Refusal.OTHER_OWNER
    assert auth_keys.claim_attempt("2079999999", NOW, "sakaiminato").refused is Refusal.MISSING
    assert auth_keys.get_auth_key(NUMBER).total_failures == 0


def test_a_released_claim_is_given_back_once(tables):
    from chalicelib.store import auth_keys

    _key()
    claim = auth_keys.claim_attempt(NUMBER, NOW, "sakaiminato")
    auth_keys.release_claim(claim.key)
    auth_keys.release_claim(claim.key)  # nothing left to give back: refused by its condition, not below zero
    state = auth_keys.get_auth_key(NUMBER)
    assert (state.consecutive_failures, state.total_failures) == (0, 0)


def _latest() -> Any:
    """Version 1 of NUMBER, stored as the store stores an issued guarantee (revision 1)."""
    from chalicelib.domain.records import CertificateVersion, StatedTerms
    from chalicelib.domain.types import Delivery, GuaranteeType, WorkCategory
    from chalicelib.store import guarantees

    day = NOW.date()
    version = CertificateVersion(
        NUMBER, 1, GuaranteeType.ADVANCE_PAYMENT, Delivery.ELECTRONIC, WorkCategory.CONSTRUCTION, "contractor-1",
        "sakaiminato", "株式会社○○建設", "境港市1番地", "境港市長", day,
        StatedTerms("工事", day, day, 100_000_000, 100_000_000, 40_000_000, "山陰銀行"), day, NOW, "demo-surety")
    guarantees._new_item(version, latest=True).save()
    return replace(version, revision=1)


def test_a_success_is_refused_when_the_key_moved_on_or_the_account_is_at_its_limit(tables):
    from chalicelib.domain.policy import GUESSING_LIMITS
    from chalicelib.domain.records import AuditEntry, VerificationEntry, VerifiedState
    from chalicelib.store import auth_keys, throttle, verifications
    from chalicelib.store.auth_keys import SuccessRefused

    _key()
    latest = _latest()
    verification = VerificationEntry("sakaiminato", NUMBER, 1, NOW, "demo-sakaiminato")

    def event() -> AuditEntry:
        return AuditEntry(NUMBER, "verification_succeeded", NOW, "demo-sakaiminato", "obligee", "sakaiminato", "r")

    claim = auth_keys.claim_attempt(NUMBER, NOW, "sakaiminato")
    stale = auth_keys.AuthKeyState(**{**claim.key.__dict__, "generation": claim.key.generation + 1})
    assert auth_keys.record_success(stale, "demo-sakaiminato", verification, latest, event(),
                                    NOW) is SuccessRefused.KEY_CHANGED
    assert verifications.get("sakaiminato", NUMBER) is None

    for _ in range(GUESSING_LIMITS.account_failures_per_hour):
        throttle.count_failure("demo-sakaiminato", NOW)
    limited = auth_keys.record_success(claim.key, "demo-sakaiminato", verification, latest, event(), NOW)
    assert limited is SuccessRefused.ACCOUNT_LIMITED
    assert verifications.get("sakaiminato", NUMBER) is None

    # The guarantee changed since its latest version was read (another revision): nothing is written.
    moved = replace(latest, revision=2)
    assert auth_keys.record_success(claim.key, "client:other", verification, moved, event(),
                                    NOW) is SuccessRefused.GUARANTEE_CHANGED
    assert verifications.get("sakaiminato", NUMBER) is None

    # Another account is within its limit: the claimed failure is undone and the verification kept, with the
    # guarantee's state for the list.
    assert auth_keys.record_success(claim.key, "client:other", verification, latest, event(), NOW) is None
    assert verifications.get("sakaiminato", NUMBER) == replace(verification, state=VerifiedState.of(latest))
    assert auth_keys.get_auth_key(NUMBER).total_failures == 0


def test_an_accounts_failures_are_counted_per_hour(tables):
    from chalicelib.store import throttle

    at = NOW + timedelta(minutes=3)
    assert [throttle.count_failure("demo-pref", at) for _ in range(3)] == [1, 2, 3]
    window, retry_after = throttle.account_window("demo-pref", at)
    assert throttle.failures(window) == 3 and retry_after == 57 * 60
    assert throttle.count_failure("demo-pref", at + timedelta(hours=1)) == 1  # the next hour's window
