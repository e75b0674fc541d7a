"""Where the models' tables are and how they talk to DynamoDB (docs/ARCHITECTURE.md, store), and the few
generic reads and writes every table's module uses: `get_or_none`, `page` (keyset paging, either way),
`read_keyset` and `count_keyset` (a filtered key range from a position, and the count of the rest), `get_in_order`
(BatchGetItem), `update_if` (a conditional update), `transact`, and `condition_failed`, the one test for a refused
condition.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pynamodb.attributes import Attribute
from pynamodb.connection import Connection
from pynamodb.constants import COUNT
from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import Index
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator
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


M = TypeVar("M", bound=Model)


def get_or_none(model: type[M], hash_key: Any, range_key: Any = None, *, consistent_read: bool = False) -> M | None:
    """The item with these keys, or None."""
    try:
        return model.get(hash_key, range_key, consistent_read=consistent_read)
    except model.DoesNotExist:
        return None


def page(source: type[M] | Index[M], hash_key: Any, limit: int, *, past: Any = None, ascending: bool = False,
         filter_condition: Condition | None = None) -> tuple[list[M], bool]:
    """One page of a partition (of a table or an index) in the order of its sort key, descending unless
    `ascending`: at most `limit` items beyond `past` (a sort key value, excluded) in the direction read, and
    whether more follow. One Query of limit + 1 items (DynamoDB's page sized to match) tells the latter.

    Keyset paging both ways: the page after one of a newest-first list reads on past its last item's sort key;
    the page before it reads `ascending` past its first item's (and is shown reversed)."""
    condition = None
    if past is not None:
        sort_key = _sort_key(source)
        condition = sort_key > past if ascending else sort_key < past
    items = list(source.query(hash_key, condition, filter_condition=filter_condition, scan_index_forward=ascending,
                              limit=limit + 1, page_size=limit + 1))
    return items[:limit], len(items) > limit


@dataclass(frozen=True)
class KeysetRead:
    """What `read_keyset` found: the items kept (at most `want`, in the order read), whether the read stopped
    before the end of the key range, and the number of every item that passed the filter, where counted."""

    items: list[Any]
    stopped_early: bool
    total: int | None


def read_keyset(source: type[M] | Index[M], hash_key: str, key_condition: Condition | None = None, *, want: int,
                ascending: bool = False, start: dict[str, Any] | None = None,
                filter_condition: Condition | None = None, page_size: int | None = None,
                count_on: type[Model] | Index[Any] | None = None) -> KeysetRead:
    """The first `want` items of a key range that pass the filter, read from `start` (an ExclusiveStartKey: DynamoDB
    begins just past it) in the sort key's order, descending unless `ascending`; DynamoDB evaluates `page_size`
    entries per call (Limit counts before the filter) and at most 1 MB.

    With `count_on` (the same index, or one with the same keys and a narrower projection) the rest of the range is
    counted where the items stopped, with Select=COUNT: every entry of the range is evaluated once, so the page and
    its total cost what the range holds and no more (docs/ARCHITECTURE.md, search and lists)."""
    model, index_name = _model_of(source)
    pages = source.query(hash_key, key_condition, filter_condition=filter_condition, scan_index_forward=ascending,
                         page_size=page_size, last_evaluated_key=start).page_iter
    kept: list[dict[str, Any]] = []
    counted, resume = 0, start
    for answer in pages:
        counted += int(answer["Count"])
        kept += answer.get("Items", [])[: want - len(kept)]
        resume = answer.get("LastEvaluatedKey")
        if resume is None or len(kept) >= want:
            break
    total = None
    if count_on is not None:
        total = counted + (0 if resume is None else count_keyset(count_on, hash_key, key_condition, ascending=ascending,
                                                                 start=resume, filter_condition=filter_condition))
    return KeysetRead([model.from_raw_data(raw) for raw in kept], resume is not None, total)


def count_keyset(source: type[Model] | Index[Any], hash_key: str, key_condition: Condition | None = None, *,
                 ascending: bool = False, start: dict[str, Any] | None = None,
                 filter_condition: Condition | None = None) -> int:
    """How many entries of a key range past `start` pass the filter: Query with Select=COUNT (no items come back;
    DynamoDB still reads, and bills, every entry it evaluates). pynamodb's own count() cannot start at a key."""
    model, index_name = _model_of(source)
    arguments = {"range_key_condition": key_condition, "filter_condition": filter_condition, "index_name": index_name,
                 "scan_index_forward": ascending, "select": COUNT, "exclusive_start_key": start}
    counting: ResultIterator[dict[str, Any]] = ResultIterator(model._get_connection().query, (hash_key,), arguments)
    for _ in counting:  # COUNT pages carry no items: iterating reads them all
        pass
    return counting.total_count


def get_in_order(model: type[M], keys: Sequence[tuple[Any, Any]]) -> list[M]:
    """The items of these (hash, range) keys in the order given, missing ones left out: BatchGetItem, 100 keys a
    call, unprocessed keys asked again (pynamodb), eventually consistent."""
    attributes = model.get_attributes().items()
    hash_name = next(name for name, a in attributes if a.is_hash_key)
    range_name = next(name for name, a in attributes if a.is_range_key)
    found = {}
    for item in (model.batch_get(list(keys)) if keys else ()):
        found[(str(getattr(item, hash_name)), str(getattr(item, range_name)))] = item
    return [found[key] for key in ((str(h), str(r)) for h, r in keys) if key in found]


def _model_of(source: type[Model] | Index[Any]) -> tuple[type[Model], str | None]:
    if isinstance(source, Index):
        return source._model, source.Meta.index_name  # the model the index belongs to (set by pynamodb's metaclass)
    return source, None


def _sort_key(source: type[Model] | Index[Any]) -> Attribute[Any]:
    attributes = source.Meta.attributes if isinstance(source, Index) else source.get_attributes()
    return next(a for a in attributes.values() if a.is_range_key)


def update_if(item: M, actions: Sequence[Action], condition: Condition) -> M | None:
    """Update the item of these keys with `actions` if `condition` holds: the item as it now stands (every
    attribute), or None when the condition did not hold (nothing written)."""
    try:
        item.update(actions=list(actions), condition=condition)
    except UpdateError as exc:
        if condition_failed(exc):
            return None
        raise
    return item


def condition_failed(exc: Exception) -> bool:
    """Whether DynamoDB refused a write because its condition did not hold: the one test, for pynamodb's write
    errors, the low-level client's ClientError and a cancelled transaction. Only whether, not which: DynamoDB
    names a transaction's failed condition by position, and pynamodb orders the operations by kind."""
    if isinstance(exc, TransactWriteError):
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons or [])
    if isinstance(exc, PynamoDBException):
        return exc.cause_response_code == "ConditionalCheckFailedException"
    if isinstance(exc, ClientError):
        return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
    return False


def raw_client() -> Any:
    """The low-level DynamoDB client, for the one call pynamodb cannot express (see auth_keys.claim_attempt)."""
    return aws.client("dynamodb", bound_region())
