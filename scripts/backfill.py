"""`make backfill`: bring items written before an index existed into it (docs/ARCHITECTURE.md, deployment).

A new index holds only the items that carry its keys; items written by an older release carry none. Each STEP scans
one table (a maintenance script may Scan; the service never does) and hands every item to the store's own function,
which computes the keys exactly as every writer does and writes them only while the item is as read. Idempotent (a
second run writes nothing), resumable (every page prints a token; `--resume TOKEN` goes on from it), `--dry-run`
counts what it would write.

    python -m scripts.backfill --local                 # the emulator of a running `make run` (LOCAL_AWS_PORT)
    python -m scripts.backfill --stage prod --dry-run  # a deployed stage, with that account's credentials
    python -m scripts.backfill --stage prod --only guarantees --resume <token printed by a stopped run>

To backfill another table, add a Step to STEPS: a name, the model, the store function of one raw item
(`fix(raw, write=...) -> outcome`), and a Scan filter that leaves out items that never need it.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

REGION = "ap-northeast-1"


@dataclass(frozen=True)
class Step:
    """One table's backfill: every item the filter keeps goes through `fix`, the store's function."""

    name: str
    model: Callable[[], Any]  # the pynamodb model (imported when the step runs, after the stage is bound)
    fix: Callable[[], Callable[..., str]]  # fix(raw item, write=bool) -> outcome
    # A FilterExpression on stored names (Scan still reads, and bills, every item): what never needs the fix.
    scan_filter: Callable[[], str] | None = None
    what: str = ""


def _guarantees_model() -> Any:
    from chalicelib.store.models import GuaranteeVersion

    return GuaranteeVersion


def _guarantees_fix() -> Callable[..., str]:
    from chalicelib.store.guarantees import backfill_search_keys

    return backfill_search_keys


def _guarantees_filter() -> str:
    from chalicelib.store.guarantees import search_key_scan_filter

    return search_key_scan_filter()


def _verifications_model() -> Any:
    from chalicelib.store.models import Verification

    return Verification


def _verifications_fix() -> Callable[..., str]:
    from chalicelib.store import guarantees, verifications

    def fix(raw: dict[str, Any], *, write: bool) -> str:
        entry = verifications.old_row(raw)
        if entry is None:
            return "current"
        if not write:
            return "stale"
        latest = guarantees.latest_version(entry.contract_number)
        if latest is None:
            return "no guarantee"
        return "written" if verifications.complete_old_row(entry, latest) else "changed"

    return fix


def _contractors_model() -> Any:
    from chalicelib.store.models import Contractor

    return Contractor


def _contractors_fix() -> Callable[..., str]:
    from chalicelib.store import parties

    def fix(raw: dict[str, Any], *, write: bool) -> str:
        unplaced = parties.unplaced_name(raw)
        if unplaced is None:
            return "current"
        if not write:
            return "stale"
        return "written" if parties.complete_name_key(*unplaced) else "changed"

    return fix


STEPS: list[Step] = [
    # Issue 20: the search indexes of guarantees (store/guarantees.search_keys), on latest versions only.
    Step("guarantees", _guarantees_model, _guarantees_fix, scan_filter=_guarantees_filter,
         what="the latest version of every guarantee gets the keys of the search indexes; older versions keep none"),
    # The owner's 確認済み一覧 (by-verified-at): rows from before it kept the guarantee's state get it from the latest
    # version, unless a verification or a change wrote the row since it was read; issue 21: a row with the state but
    # not the period's end (保証期間満了 is derived from it) gets that, while it shows what the latest version shows.
    Step("verifications", _verifications_model, _verifications_fix,
         scan_filter=lambda: "attribute_not_exists(latest_version) OR attribute_not_exists(guarantee_period_end)",
         what="every owner's verification row gets the guarantee's state (with the period's end) and its place in "
              "the owner's list"),
    # The console's lookup (by-name): every contractor its name key, unless it was renamed since it was read.
    Step("contractors", _contractors_model, _contractors_fix,
         what="every contractor gets its place in the lookup by the beginning of its name"),
]


def _token(step: str, segment: int, key: dict[str, Any] | None) -> str:
    return base64.urlsafe_b64encode(json.dumps({"step": step, "segment": segment, "key": key}).encode()).decode()


def _untoken(token: str) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.encode()))
    return state


def scan(step: Step, *, segment: int = 0, segments: int = 1, start: dict[str, Any] | None = None,
         page_size: int | None = None) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any] | None]]:
    """The raw items of one segment of the step's table, a page at a time, each with the key to resume after it."""
    from chalicelib.store.connection import raw_client

    model = step.model()
    arguments: dict[str, Any] = {"TableName": model.Meta.table_name, "Segment": segment, "TotalSegments": segments}
    if step.scan_filter:
        arguments["FilterExpression"] = step.scan_filter()
    if page_size:
        arguments["Limit"] = page_size
    while True:
        if start:
            arguments["ExclusiveStartKey"] = start
        answer = raw_client().scan(**arguments)
        start = answer.get("LastEvaluatedKey")
        yield answer.get("Items", []), start
        if not start:
            return


def run(steps: list[Step], *, write: bool, segments: int = 1, resume: str | None = None,
        page_size: int | None = None, max_pages: int | None = None, items_per_second: float | None = None,
        say: Callable[[str], None] = print) -> dict[str, Counter[str]]:
    """Each step over its whole table (or from `resume`, a token a page printed); the outcomes counted per step.
    `max_pages` stops early, resumably (tests; a large table spread over maintenance windows)."""
    state = _untoken(resume) if resume else None
    names = [s.name for s in steps]
    if state is not None and state["step"] not in names:
        raise SystemExit(f"--resume names the step {state['step']!r}, which this run does not include")
    results: dict[str, Counter[str]] = {}
    pages = 0
    for step in steps[names.index(state["step"]) if state else 0:]:
        resuming = state is not None and state["step"] == step.name
        fix = step.fix()
        counts: Counter[str] = Counter()
        results[step.name] = counts
        first_segment = state["segment"] if state is not None and resuming else 0
        for segment in range(first_segment, segments):
            start = state["key"] if state is not None and resuming and segment == first_segment else None
            for items, resume_key in scan(step, segment=segment, segments=segments, start=start,
                                          page_size=page_size):
                began = time.monotonic()
                for raw in items:
                    counts[fix(raw, write=write)] += 1
                pages += 1
                position = _token(step.name, segment if resume_key else segment + 1, resume_key)
                say(f"{step.name}: segment {segment}, {dict(counts)}; resume with --resume {position}")
                if max_pages is not None and pages >= max_pages:
                    return results
                if items_per_second and items:
                    time.sleep(max(0.0, len(items) / items_per_second - (time.monotonic() - began)))
        state = None
    return results


def _bind(stage: str, endpoint: str | None) -> None:
    """Point the store at `stage`'s tables (and at the emulator's endpoint, with fake credentials, for --local)."""
    from scripts.local_run import FAKE_AWS_ENVIRONMENT, stage_environment

    if endpoint:
        os.environ.update(FAKE_AWS_ENVIRONMENT)
        os.environ["AWS_ENDPOINT_URL"] = endpoint
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or REGION
    from chalicelib.store import connection

    connection.bind(stage_environment(stage)["APP_TABLE_PREFIX"], region)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--local", action="store_true",
                       help="the emulator of a running `make run` (127.0.0.1:$LOCAL_AWS_PORT, default 5000)")
    where.add_argument("--stage", choices=("dev", "prod", "local"),
                       help="a stage's tables with this shell's credentials")
    parser.add_argument("--dry-run", action="store_true", help="count what would be written; write nothing")
    parser.add_argument("--only", action="append", default=[], metavar="STEP",
                        help=f"run only these steps ({', '.join(s.name for s in STEPS)})")
    parser.add_argument("--segments", type=int, default=1, help="Scan segments, read one after another")
    parser.add_argument("--resume", metavar="TOKEN", help="go on from where a stopped run printed")
    parser.add_argument("--items-per-second", type=float, help="at most this many items a second (to spare capacity)")
    args = parser.parse_args(argv)
    steps = [s for s in STEPS if not args.only or s.name in args.only]
    unknown = set(args.only) - {s.name for s in STEPS}
    if unknown:
        parser.error(f"unknown step(s): {', '.join(sorted(unknown))}")
    endpoint = f"http://127.0.0.1:{os.environ.get('LOCAL_AWS_PORT') or 5000}" if args.local else None
    _bind("local" if args.local else args.stage, endpoint)
    for step in steps:
        print(f"step {step.name}: {step.what}")
    results = run(steps, write=not args.dry_run, segments=args.segments, resume=args.resume,
                  items_per_second=args.items_per_second)
    for name, counts in results.items():
        print(f"{name}: {sum(counts.values())} items; " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
              + (" (dry run: nothing written)" if args.dry_run else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
