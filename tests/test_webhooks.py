"""Webhooks and the outbox end to end: a real HTTP receiver on 127.0.0.1, the consumer run as its queue's
Lambda would run it (tests.support.outbox), the clock passed in (no test sleeps for the backoff)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.support.api import CONTRACTOR, OWNER, SURETY, amend, cancel, issue, show_key, verify
from tests.support.outbox import delete, drain, queue, receive
from tests.support.webhook_receiver import Receiver, start_receiver

ENDPOINTS = "/v1/webhooks/endpoints"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = start_receiver()
    yield r
    r.server.shutdown()


def register(api: Any, url: str, user: str = OWNER) -> Any:
    return api.post(ENDPOINTS, {"url": url}, user=user)


def verified_certificate(api: Any) -> str:
    number = issue(api)
    assert verify(api, number, show_key(api, number)).status_code == 200
    return number


def as_on_aws(monkeypatch: pytest.MonkeyPatch, on_aws: bool = True) -> None:
    """Settings as on the dev and prod stages: no loopback receivers. (Chalice's test client sets the local
    stage's variables during each request, so the settings are patched where the services read them.)"""
    from dataclasses import replace

    from chalicelib import config
    from chalicelib.services import outbox, webhooks

    def settings() -> Any:
        return replace(config.get_settings(), webhooks_allow_loopback=not on_aws)

    monkeypatch.setattr(webhooks, "get_settings", settings)
    monkeypatch.setattr(outbox, "get_settings", settings)


def now() -> Any:
    from chalicelib.domain.clock import utc_now

    return utc_now()


def test_a_verified_certificate_amended_is_posted_signed_once(api, receiver):
    from chalicelib.domain.outbox import signature_valid

    created = register(api, receiver.url)
    assert created.status_code == 201, created.json_body
    secret = created.json_body["secret"]
    assert secret.startswith("whsec_")
    listed = api.get(ENDPOINTS, user=OWNER).json_body["items"]
    assert [e["endpoint_id"] for e in listed] == [created.json_body["endpoint_id"]]
    assert "secret" not in listed[0] and secret not in json.dumps(listed)

    number = verified_certificate(api)
    unverified = issue(api)
    assert amend(api, number, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201
    assert amend(api, unverified, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201
    drain()
    drain()  # a second run (a redelivery, the sweep) sends nothing more
    (hit,) = receiver.received
    event = json.loads(hit.body)
    assert event["type"] == "certificate.amended" and hit.headers["X-Denshi-Hosho-Event"] == "certificate.amended"
    assert event["data"]["contract_number"] == number and event["data"]["version"] == 2
    assert hit.headers["X-Denshi-Hosho-Delivery"] == event["id"]
    signature = hit.headers["X-Denshi-Hosho-Signature"]
    timestamp = int(signature.split(",")[0][2:])
    assert signature_valid(secret.encode(), signature, hit.body, timestamp)
    # Tampered body, another secret, or a timestamp outside the 5-minute replay window: refused.
    assert not signature_valid(secret.encode(), signature, hit.body.replace(b"2", b"3"), timestamp)
    assert not signature_valid(b"whsec_other", signature, hit.body, timestamp)
    assert not signature_valid(secret.encode(), signature, hit.body, timestamp + 301)

    deliveries = api.get(f"{ENDPOINTS}/{created.json_body['endpoint_id']}/deliveries", user=OWNER).json_body
    assert [(d["status"], d["attempts"], d["event"]) for d in deliveries["items"]] == [
        ("sent", 1, "certificate.amended")]


def test_deliveries_are_listed_newest_first_in_pages_with_a_cursor_of_that_endpoint(api, receiver):
    first = register(api, receiver.url).json_body["endpoint_id"]
    second = register(api, receiver.url).json_body["endpoint_id"]
    number = verified_certificate(api)
    for version, amount in enumerate((30_000_000, 29_000_000, 28_000_000), start=1):
        assert amend(api, number, {"expected_version": version, "guarantee_amount": amount}).status_code == 201
    drain()
    url = f"{ENDPOINTS}/{first}/deliveries"
    everything = api.get(url, user=OWNER).json_body
    assert len(everything["items"]) == 3 and everything["next_cursor"] is None
    page_one = api.get(f"{url}?limit=2", user=OWNER).json_body
    page_two = api.get(f"{url}?limit=2&cursor={page_one['next_cursor']}", user=OWNER).json_body
    assert page_two["next_cursor"] is None
    assert [d["delivery_id"] for d in page_one["items"] + page_two["items"]] == [
        d["delivery_id"] for d in everything["items"]]
    assert [d["created_at"] for d in everything["items"]] == sorted(
        (d["created_at"] for d in everything["items"]), reverse=True)
    # A cursor belongs to its endpoint's list.
    other = api.get(f"{ENDPOINTS}/{second}/deliveries?cursor={page_one['next_cursor']}", user=OWNER)
    assert other.status_code == 400 and other.json_body["code"] == "invalid_cursor"


def test_cancellation_reissue_and_recorded_dates_are_events_without_the_key(api, receiver):
    assert register(api, receiver.url).status_code == 201
    number = verified_certificate(api)
    assert amend(api, number, {"expected_version": 1, "completion_date": "2025-06-30"}).status_code == 200
    reissued = api.post(f"/v1/certificates/{number}/auth-key/reissue", user=CONTRACTOR)
    assert reissued.status_code == 200, reissued.json_body
    assert cancel(api, number, {"reason": "工事中止"}).status_code == 200
    drain()
    events = [json.loads(r.body) for r in receiver.received]
    assert sorted(e["type"] for e in events) == [
        "certificate.cancelled", "certificate.key_reissued", "certificate.terms_changed"]
    key = reissued.json_body["auth_key"]
    for raw in receiver.received:
        assert key.encode() not in raw.body and key.replace("-", "").encode() not in raw.body


def test_retries_after_500s_and_timeouts_then_parked_then_replayed(api, receiver, monkeypatch):
    from chalicelib.adapters import webhook_http

    monkeypatch.setattr(webhook_http, "WEBHOOK_DELIVERY_SECONDS", 0.3)
    receiver.hang_seconds = 1.0
    endpoint = register(api, receiver.url).json_body["endpoint_id"]
    number = verified_certificate(api)
    drain()
    receiver.answers = [500, "hang"] + [503] * 100
    assert amend(api, number, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201
    start = now()
    deliveries = f"{ENDPOINTS}/{endpoint}/deliveries"

    assert sorted(drain(start)) == ["retry", "sent", "sent"]  # the two emails go, the webhook waits
    (d,) = api.get(deliveries, user=OWNER).json_body["items"]
    assert (d["status"], d["attempts"], d["last_error"]) == ("pending", 1, "HTTP 500")
    # Not due yet: the sweep leaves it, a stray redelivery skips it.
    assert drain(start + timedelta(seconds=10)) == []
    assert drain(start + timedelta(minutes=1)) == ["retry"]
    (d,) = api.get(deliveries, user=OWNER).json_body["items"]
    assert (d["attempts"], d["last_error"]) == (2, "timeout")

    # Walk the clock through a day: each time to the moment the delivery says it is due next.
    from datetime import datetime

    results: list[str] = []
    while "parked" not in results:
        (d,) = api.get(deliveries, user=OWNER).json_body["items"]
        at = datetime.fromisoformat(d["next_attempt_at"].replace("Z", "+00:00"))
        assert at < start + timedelta(hours=25)
        assert drain(at - timedelta(seconds=1)) == []  # not a second early
        results += drain(at)
    (d,) = api.get(deliveries, user=OWNER).json_body["items"]
    assert d["status"] == "parked" and d["last_error"] == "HTTP 503"
    attempts = d["attempts"]
    # 8 backoff steps to the 1 h cap, then hourly: 30 attempts at full delays, at most 54 at half (the jitter)
    assert 30 <= attempts <= 55, attempts
    assert len(receiver.received) == attempts and len(set(receiver.delivery_ids())) == 1
    assert drain(start + timedelta(hours=26)) == []  # parked: never tried again by itself

    receiver.answers = []
    replayed = api.post(f"{deliveries}/{d['delivery_id']}/replay", user=OWNER)
    assert replayed.status_code == 202, replayed.json_body
    assert api.post(f"{deliveries}/{d['delivery_id']}/replay", user=OWNER).status_code == 409  # not parked now
    assert drain() == ["sent"]
    (d,) = api.get(deliveries, user=OWNER).json_body["items"]
    assert d["status"] == "sent" and len(set(receiver.delivery_ids())) == 1


def test_the_retry_schedule():
    import random

    from chalicelib.domain.outbox import RETRY_WINDOW, next_attempt, nominal_schedule, retry_delay

    offsets = nominal_schedule()
    assert [int(o.total_seconds()) for o in offsets[:10]] == [
        0, 30, 90, 210, 450, 930, 1890, 3810, 7410, 11010]
    assert offsets[-1] <= RETRY_WINDOW and len(offsets) == 30  # the last at 23 h 03 min
    rng = random.Random(1)
    for failures in range(1, 40):
        delay = retry_delay(failures, rng.random)
        nominal = min(30 * 2 ** (failures - 1), 3600)
        assert nominal / 2 <= delay.total_seconds() <= nominal
    start = now()
    assert next_attempt(start, 5, start + timedelta(hours=23, minutes=59), lambda: 1.0) is None


def test_a_consumer_killed_between_receive_and_delete_sends_nothing_twice(api, receiver):
    """The fault run: N notices received and processed, the consumer dies before deleting any message; SQS
    delivers them all again; every email and webhook reached its receiver exactly once."""
    from tests.support.world import sent_emails

    assert register(api, receiver.url).status_code == 201
    numbers = [verified_certificate(api) for _ in range(int(os.environ.get("FAULT_RUN_CERTIFICATES", "4")))]
    sent_emails()  # deliver the issue notices first
    emails_before = len(sent_emails())
    for number in numbers:
        assert amend(api, number, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201
    from chalicelib.services.outbox import deliver_batch

    messages = []
    while batch := receive():
        messages += batch
    n = len(messages)
    assert n == 3 * len(numbers)  # per amendment: the contractor's email, the owner's email, one webhook
    assert deliver_batch([m["Body"] for m in messages]) == ["sent"] * n
    # ... killed here: nothing deleted. The messages become visible again (their visibility timeout ends).
    sqs, url = queue()
    for m in messages:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    redelivered = []
    while batch := receive():
        redelivered += batch
    assert len(redelivered) == n
    assert deliver_batch([m["Body"] for m in redelivered]) == ["skipped"] * n
    delete(redelivered)
    assert drain() == []
    assert len(receiver.received) == len(numbers) and len(set(receiver.delivery_ids())) == len(numbers)
    assert len(sent_emails()) - emails_before == 2 * len(numbers)
    print(f"fault run: {n} messages received, processed, not deleted, redelivered: "
          f"{len(receiver.received)} webhooks and {len(sent_emails()) - emails_before} emails delivered, each once")


def test_a_consumer_dead_mid_delivery_is_recovered_after_its_lease(api, receiver):
    from chalicelib.store import outbox as outbox_store

    assert register(api, receiver.url).status_code == 201
    number = verified_certificate(api)
    drain()
    assert cancel(api, number, {"reason": "工事中止"}).status_code == 200
    messages = receive()
    assert len(messages) == 3  # two emails and the webhook
    ids = [json.loads(m["Body"])["notice_id"] for m in messages]
    start = now()
    for notice_id in ids:  # claimed, then the consumer died before sending
        assert outbox_store.claim(notice_id, start) is not None
    delete(messages)
    assert set(drain(start + timedelta(seconds=30))) <= {"skipped"}  # the lease still holds
    assert receiver.received == []
    assert set(drain(start + timedelta(seconds=61))) == {"sent"}
    assert len(receiver.received) == 1


PRIVATE_URLS = [
    "https://10.0.0.1/hook", "https://169.254.169.254/latest/meta-data", "https://[::1]/hook",
    "https://192.168.1.10/hook", "http://93.184.216.34/hook", "ftp://example.com/", "https://user:pw@127.0.0.1/",
    "https://[fe80::1]/hook", "https://0.0.0.0/", "https://[::ffff:10.0.0.1]/", "https://172.16.5.4:8443/",
    "https://100.64.0.1/", "https://[fc00::1]/", "https://127.1/", "https://2130706433/",
]


def test_private_destinations_are_refused_on_aws(api, monkeypatch):
    as_on_aws(monkeypatch)
    for url in PRIVATE_URLS:
        response = register(api, url)
        assert response.status_code == 400, (url, response.json_body)
        assert {e["field"] for e in response.json_body["errors"]} == {"url"}, url
    assert api.get(ENDPOINTS, user=OWNER).json_body["items"] == []


def test_loopback_is_refused_on_aws_and_checked_again_at_delivery(api, receiver, monkeypatch):
    as_on_aws(monkeypatch)
    assert register(api, receiver.url).status_code == 400
    assert register(api, receiver.url.replace("127.0.0.1", "localhost")).status_code == 400
    as_on_aws(monkeypatch, False)
    endpoint = register(api, receiver.url).json_body["endpoint_id"]
    number = verified_certificate(api)
    drain()
    as_on_aws(monkeypatch)  # what was allowed at registration is checked again
    assert cancel(api, number, {"reason": "工事中止"}).status_code == 200
    assert sorted(drain()) == ["retry", "sent", "sent"] and receiver.received == []
    (d,) = api.get(f"{ENDPOINTS}/{endpoint}/deliveries", user=OWNER).json_body["items"]
    assert d["last_error"] == "unsafe destination"


def test_endpoints_are_the_owners_own(api, receiver):
    created = register(api, receiver.url).json_body
    endpoint = created["endpoint_id"]
    assert register(api, receiver.url, user=CONTRACTOR).status_code == 403
    assert register(api, receiver.url, user=SURETY).status_code == 403
    assert api.get(ENDPOINTS, user="demo-pref").json_body["items"] == []
    for method, path in [("GET", f"{ENDPOINTS}/{endpoint}/deliveries"), ("DELETE", f"{ENDPOINTS}/{endpoint}"),
                         ("POST", f"{ENDPOINTS}/{endpoint}/deliveries/x/replay")]:
        assert api.request(method, path, user="demo-pref").status_code == 404, path
    number = verified_certificate(api)
    assert cancel(api, number, {"reason": "工事中止"}).status_code == 200  # owes the endpoint a delivery
    assert api.request("DELETE", f"{ENDPOINTS}/{endpoint}", user=OWNER).json_body["status"] == "revoked"
    assert api.request("DELETE", f"{ENDPOINTS}/{endpoint}", user=OWNER).status_code == 200  # again: no change
    assert sorted(drain()) == ["parked", "sent", "sent", "sent"]  # revoked before delivery: parked at once
    later = verified_certificate(api)
    assert cancel(api, later, {"reason": "工事中止"}).status_code == 200
    assert sorted(drain()) == ["sent", "sent", "sent"]  # a revoked endpoint is owed nothing new
    assert receiver.received == []
    deliveries = api.get(f"{ENDPOINTS}/{endpoint}/deliveries", user=OWNER).json_body["items"]
    assert [(d["status"], d["last_error"]) for d in deliveries] == [("parked", "endpoint revoked")]
    replay = api.post(f"{ENDPOINTS}/{endpoint}/deliveries/{deliveries[0]['delivery_id']}/replay", user=OWNER)
    assert replay.status_code == 409 and replay.json_body["code"] == "endpoint_revoked"
    for body in ({}, {"url": receiver.url, "events": ["x"]}, {"url": 5}):
        response = api.post(ENDPOINTS, body, user=OWNER)
        assert response.status_code == 400 and response.json_body["errors"], body
    # The owner's trail: registered and revoked by its clerk, with the host only and never the secret.
    trail = api.get("/v1/obligees/sakaiminato/events", user=SURETY).json_body["items"]
    assert [(e["type"], e["detail"]["endpoint_id"]) for e in trail] == [
        ("webhook_endpoint_revoked", endpoint), ("webhook_endpoint_registered", endpoint)]
    assert trail[1]["detail"]["host"] == "127.0.0.1" and trail[1]["actor"] == OWNER
    assert created["secret"] not in json.dumps(trail) and receiver.url not in json.dumps(trail)


def test_an_email_ses_refuses_is_retried_and_then_sent_once(api):
    """SES refusing (here: the sender's identity withdrawn) leaves the notice due again, not lost."""
    from chalicelib.adapters import aws
    from tests.support.world import sent_emails

    ses = aws.client("ses", api.account.settings.region)
    sent_emails()
    before = len(sent_emails())
    ses.delete_identity(Identity=api.account.settings.sender_email)
    number = issue(api)
    start = now()
    assert drain(start) == ["retry"]
    ses.verify_email_identity(EmailAddress=api.account.settings.sender_email)
    assert drain(start + timedelta(seconds=10)) == []  # not due before its backoff
    assert drain(start + timedelta(minutes=1)) == ["sent"]
    assert drain(start + timedelta(hours=2)) == []
    mails = sent_emails()[before:]
    assert len(mails) == 1 and number in mails[0].body


def test_a_receiver_answering_garbage_is_retried_then_parked_like_any_failure(api, monkeypatch):
    """A failure the HTTP layer does not name (here: a status line that is not HTTP) still counts as an
    attempt: it is recorded, retried on schedule and parked after 24 h, never left in flight for ever."""
    import http.client
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def answer_garbage() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connection.recv(65536)
            connection.sendall(b"NOT-HTTP garbage\r\n\r\n")
            connection.close()

    threading.Thread(target=answer_garbage, daemon=True).start()
    try:
        endpoint = register(api, f"http://127.0.0.1:{server.getsockname()[1]}/hook").json_body["endpoint_id"]
        verified = verified_certificate(api)
        assert cancel(api, verified, {"reason": "工事中止"}).status_code == 200
        start = now()
        assert drain(start).count("retry") == 1  # the emails go; the webhook waits for its retry
        (delivery,) = api.get(f"{ENDPOINTS}/{endpoint}/deliveries", user=OWNER).json_body["items"]
        assert (delivery["status"], delivery["attempts"], delivery["last_error"]) == (
            "pending", 1, f"network error ({http.client.BadStatusLine.__name__})")
        assert drain(start + timedelta(hours=25)) == ["parked"]

        # Any other fault of an attempt (here: KMS refusing to decrypt the secret) is an attempt too.
        from chalicelib.adapters import key_material

        def refuse(*_: object) -> bytes:
            raise RuntimeError("KMS unavailable")

        monkeypatch.setattr(key_material, "decrypt_webhook_secret", refuse)
        replay = api.post(f"{ENDPOINTS}/{endpoint}/deliveries/{delivery['delivery_id']}/replay", user=OWNER)
        assert replay.status_code == 202
        assert drain() == ["retry"]
        (delivery,) = api.get(f"{ENDPOINTS}/{endpoint}/deliveries", user=OWNER).json_body["items"]
        assert (delivery["status"], delivery["last_error"]) == ("pending", "error (RuntimeError)")
        assert "KMS unavailable" not in str(delivery)
    finally:
        server.close()
