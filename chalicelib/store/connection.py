"""Where the models' tables are and how they talk to DynamoDB (docs/ARCHITECTURE.md, store).

pynamodb builds a botocore session per table, and each session loads the service models anew (about
150 ms here): a cold Lambda touching four tables would pay that four times. Every table connection and
the transaction connection therefore share the adapters' one botocore session. pynamodb has no public
hook for that, so `_share_session` sets the connection's per-thread session; it is the only place that
reaches into pynamodb, and tests/test_transactions.py fails if pynamodb stops honouring it.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import caches
from chalicelib.adapters import aws
from chalicelib.store.models import ALL_MODELS, BASE_NAMES

_bound: tuple[str, str] | None = None


def _share_session(connection: Connection) -> Connection:
    connection._local.session = aws.session()._session
    return connection


def bind(table_prefix: str, region: str) -> None:
    """Point every model at this stage's tables; cheap when nothing changed."""
    global _bound
    if _bound == (table_prefix, region):
        return
    for model in ALL_MODELS:
        model.Meta.table_name = table_prefix + BASE_NAMES[model]
        model.Meta.region = region
        model._connection = None  # pynamodb makes the table connection anew from Meta
        _share_session(model._get_connection().connection)
    _bound = (table_prefix, region)


def bound_region() -> str:
    if _bound is None:
        raise RuntimeError("the store is not bound to a stage's tables (call services.tables.use_tables())")
    return _bound[1]


@caches.on_reset
def unbind() -> None:
    """Forget connections (tests start a new emulated account each time)."""
    global _bound
    for model in ALL_MODELS:
        model._connection = None
    _bound = None
    transaction_connection.cache_clear()


@functools.lru_cache(maxsize=4)
def transaction_connection(region: str) -> Connection:
    # Built like the models' connections (region; endpoint from AWS_ENDPOINT_URL via botocore).
    return _share_session(Connection(region=region))


_CONFLICT_RETRIES = 3


def transact(write: Callable[[TransactWrite], None]) -> None:
    """One TransactWriteItems. DynamoDB cancels a transaction that collides with another on the same
    item (e.g. two issues for one contractor's count) with TransactionConflict: that, and only that,
    is tried again, briefly; a failed condition is the caller's to judge."""
    for attempt in range(_CONFLICT_RETRIES):
        try:
            with TransactWrite(connection=transaction_connection(bound_region())) as tx:
                write(tx)
            return
        except TransactWriteError as exc:
            codes = {r.code for r in exc.cancellation_reasons if r is not None and r.code != "None"}
            if codes != {"TransactionConflict"} or attempt == _CONFLICT_RETRIES - 1:
                raise
            time.sleep(0.02 * (2**attempt) * (1 + random.random()))  # noqa: S311 - jitter, not security


def failed_conditions(exc: TransactWriteError) -> list[int]:
    """Positions of the operations whose condition failed in a cancelled transaction."""
    return [i for i, r in enumerate(exc.cancellation_reasons or [])
            if r is not None and r.code == "ConditionalCheckFailed"]


def raw_client() -> Any:
    """The low-level DynamoDB client, for the one call pynamodb cannot express (see auth_keys.claim_attempt)."""
    return aws.client("dynamodb", bound_region())
