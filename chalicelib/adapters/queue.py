"""The outbox queue (SQS): notice ids handed to the consumer (docs/ARCHITECTURE.md, outbox)."""

from __future__ import annotations

import json
import threading

from chalicelib import caches
from chalicelib.adapters.aws import client
from chalicelib.config import get_settings

_lock = threading.Lock()
_urls: dict[tuple[str, str], str] = {}
BATCH = 10  # SQS's SendMessageBatch limit


def queue_url() -> str:
    settings = get_settings()
    key = (settings.region, settings.outbox_queue)
    with _lock:
        url = _urls.get(key)
    if url is None:
        url = client("sqs", settings.region).get_queue_url(QueueName=settings.outbox_queue)["QueueUrl"]
        with _lock:
            _urls[key] = url
    return url


@caches.on_reset
def reset_queue_urls() -> None:
    with _lock:
        _urls.clear()


def enqueue(notice_ids: list[str]) -> None:
    """One message per notice; raises if SQS refuses any (the sweep hands over what was not queued)."""
    sqs = client("sqs", get_settings().region)
    for start in range(0, len(notice_ids), BATCH):
        batch = notice_ids[start:start + BATCH]
        result = sqs.send_message_batch(QueueUrl=queue_url(), Entries=[
            {"Id": str(i), "MessageBody": json.dumps({"notice_id": n})} for i, n in enumerate(batch)])
        if result.get("Failed"):
            raise RuntimeError(f"{len(result['Failed'])} outbox messages not queued")


def notice_id_of(body: str) -> str | None:
    """The notice a queue message names; None for a malformed message (dropped, nothing to deliver)."""
    try:
        value = json.loads(body).get("notice_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None
