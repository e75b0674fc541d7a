"""The outbox's two Lambda entry points (docs/ARCHITECTURE.md, outbox): the queue consumer and the
minute's sweep. `make run` calls the same functions from its poller (chalice local runs no event source)."""

from __future__ import annotations

import os
from typing import Any

import chalice

bp = chalice.Blueprint(__name__)

# The event source is bound when the app is packaged: `chalice package/deploy --stage S` with the stage's
# APP_OUTBOX_QUEUE exported (README, running on AWS). At run time the consumer reads nothing from it.
OUTBOX_QUEUE = os.environ.get("APP_OUTBOX_QUEUE", "denshi-hosho-local-outbox")


def consume(bodies: list[str]) -> list[str]:
    """Deliver the notices named by a batch of queue messages (see services.outbox.deliver_batch)."""
    from chalicelib.services.outbox import deliver_batch
    from chalicelib.services.tables import use_tables

    use_tables()
    return deliver_batch(bodies)


def sweep() -> int:
    from chalicelib.services.outbox import sweep as sweep_due
    from chalicelib.services.tables import use_tables

    use_tables()
    return sweep_due()


@bp.on_sqs_message(queue=OUTBOX_QUEUE, batch_size=10)
def outbox_consumer(event: Any) -> None:
    consume([record.body for record in event])


@bp.schedule(chalice.Rate(1, unit=chalice.Rate.MINUTES))
def outbox_sweep(event: Any) -> None:
    sweep()
