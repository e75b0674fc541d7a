"""The outbox's consumer run as its Lambda event source would run it, against moto's SQS (in-process)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def queue() -> tuple[Any, str]:
    from chalicelib.adapters import aws, queue
    from chalicelib.config import get_settings

    return aws.client("sqs", get_settings().region), queue.queue_url()


def receive(max_messages: int = 10) -> list[dict[str, Any]]:
    sqs, url = queue()
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=max_messages, WaitTimeSeconds=0).get("Messages", [])


def delete(messages: list[dict[str, Any]]) -> None:
    sqs, url = queue()
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def drain(now: datetime | None = None, sweep: bool = True) -> list[str]:
    """Sweep what is due by `now`, then consume and delete every queued message until the queue is empty.
    Returns the consumer's results for the attempts made (sent, retry, parked), leaving out "skipped" (a
    notice queued twice, by the request and by the sweep, is tried once and skipped once).

    moto stops a receive at a message older than the queue's retention (one sent while a test travelled
    back in time) and never drops it: such a queue is purged and the sweep queues again what is still due,
    as it would after messages were lost on AWS (the queue is only a doorbell; the outbox is the record)."""
    from chalicelib.services import outbox
    from chalicelib.services.tables import use_tables

    use_tables()
    if sweep:
        outbox.sweep(now)
    results: list[str] = []
    purged = False
    while True:
        messages = receive()
        if not messages:
            sqs, url = queue()
            waiting = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"]["ApproximateNumberOfMessages"])
            if not waiting or purged:
                return [r for r in results if r != "skipped"]
            sqs.purge_queue(QueueUrl=url)
            purged = True
            outbox.sweep(now)
            continue
        results += outbox.deliver_batch([m["Body"] for m in messages], now)
        delete(messages)
