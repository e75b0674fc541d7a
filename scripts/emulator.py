"""The AWS emulator (moto 5.2.5) made to hold the local run's scale: small patches, guarded by version.

moto keeps `make run`'s whole account in one process. Three of its habits made that process grow with the square
of the certificates issued (192 MB at the start, 432 MB after 200, 1.1 GB after 400) and each write slower than
the one before, while the data itself grows by about 100 KB per certificate (70 KB of it the PDF):

1. **TransactWriteItems copies whole tables.** `DynamoDBBackend.transact_write_items` deep-copies every table one
   of its operations names, before it starts, to put the copies back if the transaction is cancelled: each
   transaction costs O(table) time and allocations, whatever it writes. Under the patch moto's own function still
   runs (its checks, its cancellation reasons and errors, unchanged), but its copy step hands back the table
   itself, and this module saves instead a copy of each item a Put, Update or Delete names (or that it is absent)
   and puts exactly those back when the transaction fails. Work and memory per transaction follow the items it
   writes, not the tables. A transaction that cannot be keyed exactly here (an operation without its key, a table
   with a stream, an entry of two operations) goes through moto's whole-table copy. Transactions are also
   serialised by one lock, as DynamoDB isolates them (moto does not).
2. **moto keeps every model object it ever made.** `BaseModel.__new__` appends each object to its class's
   `instances_tracked` list (for the `/moto-api/` dashboard) until the emulator is reset. For DynamoDB's `Item`
   that is every copy: the table copies above, each Query result (moto copies what it returns), each item's
   pre-update copy; for SQS's `Message`, each message and the copy made at each receive. Memory then grows with
   everything ever read or written. Under the patch these two classes are not tracked (items stay in their tables,
   messages in their queues; the dashboard's `data.json` no longer lists them). Everything else is tracked as
   before: the emails stay readable at `/moto-api/data.json` (`ses`).
3. **ListObjectVersions copies every object in the bucket, bytes and all** (`S3Backend.list_object_versions`
   deep-copies all versions of all keys, whatever the prefix, to mark `is_latest` on the copies), and the tracker
   keeps the copies: each 認証キー reissue (which lists the old notices' versions) added the whole bucket again.
   Under the patch the listing gets shallow copies without the bytes and untracked (name, version, dates, size,
   ETag: what the answer shows).

And for the local run only (`keep_object_bytes_on_disk`), the S3 objects' bytes, which moto holds in memory, go
to one temporary file.

Installed by `make run`'s emulator (`scripts/local_run.start_emulator`), the tests' in-process mock
(`tests/conftest.py`) and the benchmarks (`scripts/bench.py`); the service (`chalicelib`) never imports it.
`EMULATOR_SHIMS=off` leaves moto as it is: the escape hatch, and the "before" of `python -m scripts.bench --only
emulator`. Written against moto 5.2.5: on another version, or if code relied on differs from the source read when
this was written (`RELIED_ON`), nothing is patched and a RuntimeWarning says so (`make run` then works as moto
does); `tests/test_emulator.py` fails, so that an upgrade re-reads moto before moving the check on.
docs/ARCHITECTURE.md, "The emulator at scale".
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import os
import threading
import types
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

SWITCH = "EMULATOR_SHIMS"  # "off" leaves moto as it is
MOTO_VERSION = "5.2.5"
# sha256 of the source of each moto function this module relies on, as moto 5.2.5 ships it.
RELIED_ON = {
    "moto.dynamodb.models:DynamoDBBackend.transact_write_items":
        "81db2cb7d94e39c90b3a2077e1f4bb41a449c558ef9b1b1e2910fdaa39978ad4",
    "moto.core.common_models:BaseModel.__new__": "08cf0ef20e88029a2eb91949492ce3281001a34b98143db186239962ad379eec",
    "moto.s3.models:S3Backend.list_object_versions":
        "268a5f62e83a572464f0dd13c2048e20e8b1ef39ea09aae8be0248b286dc71b4",
    # the whole class: its buffer's uses (keep_object_bytes_on_disk) and dispose() (the listing's copies)
    "moto.s3.models:FakeKey": "38cbad7c55b95b65c2b5f581e6e84948f4e0b4659d89a1e16334de055b26d986",
}

_WRITES = ("Put", "Update", "Delete")


@dataclass
class Counters:
    """What the transaction patch did since it was installed."""

    transactions: int = 0
    items_saved: int = 0
    whole_table_copies: int = 0  # transactions left to moto's own copy (none expected from the service)
    rolled_back: int = 0


@dataclass
class _State:
    installed: bool = False
    reason: str = ""
    counters: Counters = field(default_factory=Counters)
    undo: list[Callable[[], None]] = field(default_factory=list)


_state = _State()
_transaction_lock = threading.Lock()


def requested() -> bool:
    """False when EMULATOR_SHIMS says off (off, 0, false, no)."""
    return os.environ.get(SWITCH, "").strip().lower() not in ("off", "0", "false", "no")


def installed() -> bool:
    return _state.installed


def counters() -> Counters:
    return _state.counters


def mismatch() -> str:
    """Why the patches were refused (empty when they are in place, or were not asked for)."""
    return _state.reason


def install() -> bool:
    """Patch moto in this process (idempotent); True if the patches are in place. Honours EMULATOR_SHIMS."""
    if _state.installed:
        return True
    if not requested():
        return False
    reason = _check_moto()
    if reason:
        _state.reason = reason
        warnings.warn(f"scripts/emulator.py: moto left unpatched ({reason}); the local run's memory and write "
                      "time will grow with every transaction. Re-read moto and update the module.",
                      RuntimeWarning, stacklevel=2)
        return False
    _state.reason = ""
    _state.counters = Counters()
    _state.undo = [_patch_transactions(), _untrack_copies(), _patch_version_listing()]
    _state.installed = True
    return True


def uninstall() -> None:
    """moto as released again."""
    for undo in reversed(_state.undo):
        undo()
    _state.undo = []
    _state.installed = False


@contextmanager
def moto_as_released() -> Iterator[None]:
    """Within the block moto runs unpatched (tests compare against it); the patches come back after it."""
    was = _state.installed
    uninstall()
    try:
        yield
    finally:
        if was:
            install()


def _check_moto() -> str:
    import importlib

    import moto

    if moto.__version__ != MOTO_VERSION:
        return f"written for moto {MOTO_VERSION}, found {moto.__version__}"
    for name, expected in RELIED_ON.items():
        module_name, _, path = name.partition(":")
        target: Any = importlib.import_module(module_name)
        try:
            for part in path.split("."):
                target = getattr(target, part)
            source = inspect.getsource(target)
        except (AttributeError, OSError, TypeError):
            return f"{name} is missing"
        if hashlib.sha256(source.encode()).hexdigest() != expected:
            return f"{name} is not the code this module was written for"
    if inspect.getsource(importlib.import_module("moto.s3.models")).count("tempfile.") != 2:
        return "moto.s3.models uses tempfile beyond FakeKey's buffer"
    return ""


def _with_copy(function: Any, module: types.ModuleType, replacement: type) -> Any:
    """moto's own function, compiled from the same code, seeing `replacement` as `copy` among its globals. Nothing
    else of moto changes: every other function of the module keeps the real `copy`."""
    return types.FunctionType(function.__code__, {**vars(module), "copy": replacement}, function.__name__,
                              function.__defaults__, function.__closure__)


# --- 1. transactions back up the items they write, not the tables ----------------------------------------------

def _patch_transactions() -> Callable[[], None]:
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.__dict__["transact_write_items"]

    class TablesNotCopied:
        """Its backup of a table is the table itself: moto's rollback then puts back the same object, changing
        nothing, and _restore puts back the items."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    moto_transaction = _with_copy(original, dynamodb_models, TablesNotCopied)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        counters = _state.counters
        with _transaction_lock:
            counters.transactions += 1
            saved = _save_written_items(self, transact_items)
            if saved is None:
                counters.whole_table_copies += 1
                return original(self, transact_items)
            counters.items_saved += len(saved)
            try:
                moto_transaction(self, transact_items)
            except BaseException:
                _restore(saved)
                counters.rolled_back += 1
                raise

    DynamoDBBackend.transact_write_items = transact_write_items

    def undo() -> None:
        DynamoDBBackend.transact_write_items = original

    return undo


@dataclass
class _Saved:
    table: Any
    hash_key: Any
    range_key: Any
    partition_existed: bool
    item: Any  # a copy of the item as it was, or None: there was none


def _save_written_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[_Saved] | None:
    """A copy of every item the transaction may write, as it is now; None if one cannot be keyed exactly."""
    from moto.dynamodb.exceptions import ResourceNotFoundException
    from moto.dynamodb.models.dynamo_type import DynamoType

    saved: dict[tuple[str, Any, Any], _Saved] = {}
    for entry in transact_items:
        if len(entry) != 1:
            return None
        ((operation, request),) = entry.items()
        if operation not in _WRITES:
            continue  # a ConditionCheck writes nothing; moto refuses an unknown operation before writing
        try:
            table = backend.get_table(request["TableName"])
        except ResourceNotFoundException:
            continue  # moto fails this operation before it writes anything
        if table.stream_shard is not None:
            return None  # the stream records writes too: moto's copy restores it
        attributes = request.get("Item" if operation == "Put" else "Key")
        try:
            hash_key = DynamoType(attributes[table.hash_key_attr])
            range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
        except (KeyError, TypeError, AttributeError, IndexError, ValueError):
            return None
        if (table.name, hash_key, range_key) in saved:
            continue  # moto refuses a second operation on one item; the state before the first is what to restore
        partition = table.items.get(hash_key)
        item = partition if range_key is None else (partition or {}).get(range_key)
        saved[(table.name, hash_key, range_key)] = _Saved(
            table, hash_key, range_key, partition is not None, None if item is None else copy.deepcopy(item))
    return list(saved.values())


def _restore(saved: list[_Saved]) -> None:
    for s in saved:
        items = s.table.items
        if s.range_key is None:
            if s.item is None:
                items.pop(s.hash_key, None)
            else:
                items[s.hash_key] = s.item
        elif s.item is not None:
            items[s.hash_key][s.range_key] = s.item
        elif (partition := items.get(s.hash_key)) is not None:
            partition.pop(s.range_key, None)
            if not partition and not s.partition_existed:
                del items[s.hash_key]


# --- 2. copies that only moto's dashboard would list are not kept -----------------------------------------------

def _untrack_copies() -> Callable[[], None]:
    from moto.dynamodb.models.dynamo_type import Item
    from moto.sqs.models import Message

    def untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)  # BaseModel.__new__ without `cls.instances_tracked.append(instance)`

    classes = (Item, Message)
    for cls in classes:
        cls.__new__ = staticmethod(untracked_new)
        cls.instances_tracked.clear()

    def undo() -> None:
        for cls in classes:
            del cls.__new__

    return undo


# --- 3. ListObjectVersions lists without copying the objects' bytes ---------------------------------------------

def _patch_version_listing() -> Callable[[], None]:
    from moto.s3 import models as s3_models
    from moto.s3.models import FakeKey, S3Backend

    original = S3Backend.__dict__["list_object_versions"]

    def listed(version: Any) -> Any:
        """What the listing reads of a version (it sets `is_latest` on it), sharing nothing it could change."""
        if isinstance(version, FakeKey):
            version.etag  # noqa: B018 - computed (and kept) on the version itself, so the copy needs no bytes
        view = object.__new__(type(version))  # untracked
        view.__dict__.update(version.__dict__)
        if isinstance(version, FakeKey):
            # Without the buffer, FakeKey.__del__ -> dispose() closes nothing of the version's (it swallows the
            # AttributeError); disposed: no ResourceWarning.
            del view.__dict__["_value_buffer"]
            view.multipart = None
            view.disposed = True
        return view

    class BytesNotCopied:
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            if isinstance(value, list):  # moto copies each key's list of versions
                return [listed(v) for v in value]
            return copy.deepcopy(value, memo)

    S3Backend.list_object_versions = _with_copy(original, s3_models, BytesNotCopied)

    def undo() -> None:
        S3Backend.list_object_versions = original

    return undo


# --- 4. the local run keeps S3 objects' bytes on disk -------------------------------------------------------------

def keep_object_bytes_on_disk() -> bool:
    """For the local run's emulator, after install(): moto keeps each S3 object version in a SpooledTemporaryFile,
    in memory up to 16 MB, and the PDFs (about 70 KB a certificate) were most of what the emulator held. Their
    bytes go to one temporary file instead (a temporary file per object would need an open file each). Not for
    the tests' mock, whose objects are few and whose accounts come and go. True if object bytes now go to disk."""
    if not _state.installed:
        return False
    from moto.s3 import models as s3_models

    original = s3_models.tempfile

    class ObjectBytesOnDisk:
        SpooledTemporaryFile = _SpilledBytes  # what FakeKey makes its buffer with (its only use of tempfile)

    s3_models.tempfile = ObjectBytesOnDisk

    def undo() -> None:
        s3_models.tempfile = original

    _state.undo.append(undo)
    return True


class _SpilledBytes:
    """One object version's bytes in the emulator's spill file: the part of a file FakeKey uses (seek, tell,
    truncate, write, read, close). A write stores the whole new content at the file's end; space is not reused
    (a local run's objects are written once, and the file goes when the process ends)."""

    _spill = -1  # the file's descriptor, once it is made
    _end = 0
    _lock = threading.Lock()

    def __init__(self, max_size: int = 0, *args: Any, **kwargs: Any) -> None:
        self._offset = self._length = self._position = 0
        self.closed = False

    @classmethod
    def _store(cls, data: bytes) -> int:
        import tempfile

        with cls._lock:
            if cls._spill < 0:
                cls._spill, path = tempfile.mkstemp(prefix="emulator-s3-")
                os.unlink(path)  # gone with the process; /proc/<pid>/fd still names it (make bench reads its size)
            offset, cls._end = cls._end, cls._end + len(data)
        written = 0
        while written < len(data):
            written += os.pwrite(cls._spill, data[written:], offset + written)
        return offset

    def _check(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")  # as a closed SpooledTemporaryFile says

    def seek(self, offset: int, whence: int = 0) -> int:
        self._check()
        self._position = (0, self._position, self._length)[whence] + offset
        return self._position

    def tell(self) -> int:
        return self._position

    def truncate(self, size: int | None = None) -> int:
        self._check()
        self._length = min(self._length, self._position if size is None else size)
        return self._length

    def read(self, size: int = -1) -> bytes:
        self._check()
        left = max(0, self._length - self._position)
        count = left if size is None or size < 0 else min(size, left)
        data = os.pread(self._spill, count, self._offset + self._position) if count else b""
        self._position += len(data)
        return data

    def write(self, data: bytes) -> int:
        self._check()
        at = self._position
        current = self._content() if self._length else b""  # FakeKey writes only into an emptied buffer
        content = current[:at].ljust(at, b"\0") + bytes(data) + current[at + len(data):]
        self._offset, self._length = self._store(content), len(content)
        self._position = at + len(data)
        return len(data)

    def _content(self) -> bytes:
        return os.pread(self._spill, self._length, self._offset)

    def close(self) -> None:
        self.closed = True
