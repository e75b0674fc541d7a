"""Backfill for issue 20's registry side: items written before the new indexes get the attributes that put them
there (docs/ARCHITECTURE.md, deployment).

    python -m scripts.backfill_registry                      # every step, against the stage's tables
    python -m scripts.backfill_registry --dry-run            # count what would change, write nothing
    python -m scripts.backfill_registry --step contractor-names --start '{"contractor_id": {"S": "c-0420"}}'

Steps (each idempotent, resumable and conditional, the same shape as the guarantees table's steps):
- `verification-rows`: an owner's verification row gets the guarantee's state (受注者, 保証金額, 証書発行日, 状態,
  工事名, 版) and its place in `by-verified-at`, unless a verification or a change wrote it since it was read;
- `contractor-names`: a contractor gets its place in `by-name`, unless it was renamed since it was read.

A maintenance script may Scan (the app never does: tests/test_layers.py); it reads one page of `--page-size` items
at a time and prints after each page where a resumed run would start (`--start`). `--max-writes` bounds the
writes per second. Run it after the writers are deployed (every write since sets the attributes itself), before or
after the indexes are created (an index picks the attributes up as they are written); on the local stage against
a running `make run` (AWS_ENDPOINT_URL), on AWS with the stage's credentials.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

Position = dict[str, Any]  # a Scan's LastEvaluatedKey: where the next page starts


@dataclass
class StepResult:
    """What a step did: items read, written (in a dry run: that would be), skipped because the service wrote them
    meanwhile, and where a resumed run would start (None once the table has been read to its end)."""

    step: str
    scanned: int = 0
    changed: int = 0
    skipped: int = 0
    position: Position | None = None

    def line(self) -> str:
        where = "done" if self.position is None else f"resume with --start '{json.dumps(self.position)}'"
        return f"{self.step}: read {self.scanned}, changed {self.changed}, skipped {self.skipped} ({where})"


Report = Callable[[StepResult], None]  # told after each page how far the step got


class _Pace:
    """At most `per_second` writes a second (None: as fast as DynamoDB takes them)."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.next = time.monotonic()

    def wait(self) -> None:
        if self.interval:
            now = time.monotonic()
            if now < self.next:
                time.sleep(self.next - now)
            self.next = max(now, self.next) + self.interval


def _pages(table: str, start: Position | None, page_size: int
           ) -> Iterator[tuple[list[dict[str, Any]], Position | None]]:
    """The table's items a page at a time, with the position after each page (None after the last)."""
    from chalicelib.store.connection import raw_client

    position = start
    while True:
        request: dict[str, Any] = {"TableName": table, "Limit": page_size, "ConsistentRead": True}
        if position:
            request["ExclusiveStartKey"] = position
        answer = raw_client().scan(**request)
        position = answer.get("LastEvaluatedKey")
        yield answer.get("Items", []), position
        if not position:
            return


def _run(step: str, table: str, todo: Callable[[list[dict[str, Any]]], list[Any]], write: Callable[[Any], bool], *,
         dry_run: bool, start: Position | None, page_size: int, max_writes: float | None,
         report: Report | None) -> StepResult:
    result = StepResult(step, position=start)
    pace = _Pace(max_writes)
    for items, position in _pages(table, start, page_size):
        result.scanned += len(items)
        for item in todo(items):
            if dry_run:
                result.changed += 1
                continue
            pace.wait()
            if write(item):
                result.changed += 1
            else:
                result.skipped += 1
        result.position = position
        if report is not None:
            report(replace(result))  # how far this run got: a resumed run starts from its position
    return result


def verification_rows(*, dry_run: bool = False, start: Position | None = None, page_size: int = 100,
                      max_writes: float | None = None, report: Report | None = None) -> StepResult:
    """Every verification row written before the list kept the guarantee's state gets it (and its place in the
    list) from the guarantee's latest version."""
    from chalicelib.services.tables import use_tables
    from chalicelib.store import guarantees, verifications
    from chalicelib.store.models import Verification

    use_tables()

    def write(entry: Any) -> bool:
        latest = guarantees.latest_version(entry.contract_number)
        return latest is not None and verifications.complete_old_row(entry, latest)

    return _run("verification-rows", Verification.Meta.table_name, verifications.rows_needing_backfill, write,
                dry_run=dry_run, start=start, page_size=page_size, max_writes=max_writes, report=report)


def contractor_names(*, dry_run: bool = False, start: Position | None = None, page_size: int = 100,
                     max_writes: float | None = None, report: Report | None = None) -> StepResult:
    """Every contractor registered before the lookup gets its place in `by-name`."""
    from chalicelib.services.tables import use_tables
    from chalicelib.store import parties
    from chalicelib.store.models import Contractor

    use_tables()
    return _run("contractor-names", Contractor.Meta.table_name, parties.names_needing_backfill,
                lambda pair: parties.complete_name_key(*pair), dry_run=dry_run, start=start, page_size=page_size,
                max_writes=max_writes, report=report)


STEPS: dict[str, Callable[..., StepResult]] = {
    "verification-rows": verification_rows,
    "contractor-names": contractor_names,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--step", action="append", choices=list(STEPS), help="run only this step (repeatable)")
    parser.add_argument("--dry-run", action="store_true", help="count what would change; write nothing")
    parser.add_argument("--start", type=json.loads, default=None,
                        help="resume one step from the position it printed (JSON of the Scan's LastEvaluatedKey)")
    parser.add_argument("--page-size", type=int, default=100, help="items read per Scan call")
    parser.add_argument("--max-writes", type=float, default=None, help="writes per second at most")
    args = parser.parse_args(argv)
    steps = args.step or list(STEPS)
    if args.start is not None and len(steps) != 1:
        parser.error("--start resumes one step: name it with --step")
    def progress(so_far: StepResult) -> None:
        print(f"  {so_far.line()}", file=sys.stderr)

    for name in steps:
        result = STEPS[name](dry_run=args.dry_run, start=args.start, page_size=args.page_size,
                             max_writes=args.max_writes, report=progress)
        print(("(dry run) " if args.dry_run else "") + result.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
