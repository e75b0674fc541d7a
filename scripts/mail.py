"""`make mail`: the emails the local run's emulator kept, newest first, as a person reads them.

moto's server keeps every email SES was asked to send (sender, recipients, subject, text) among its whole account
at `/moto-api/data.json`, in the order sent, without the time; the local run stamps each with it as it is sent
(`stamp_sent_times`, installed by scripts/local_run.py). With `make run` running:

    make mail                       # every email, newest first
    .venv/bin/python -m scripts.mail --limit 3 --to info@maru-kensetsu.example.jp

Environment: LOCAL_AWS_PORT (the emulator's port, default 5000), as `make run`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

JST = timezone(timedelta(hours=9), "JST")
SENT_AT = "sent_at"  # the attribute stamped on moto's SES Message; data.json lists public attributes


def stamp_sent_times() -> None:
    """In the emulator's process: record on each email moto keeps when it was sent (ISO 8601, UTC)."""
    from moto.ses import models

    original = models.Message.__init__
    if getattr(original, "stamps_sent_at", False):
        return

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        setattr(self, SENT_AT, datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"))

    init.stamps_sent_at = True  # type: ignore[attr-defined]
    models.Message.__init__ = init  # type: ignore[method-assign]


@dataclass(frozen=True)
class Email:
    sent_at: datetime | None
    source: str
    to: list[str]
    subject: str
    body: str

    @classmethod
    def of(cls, message: dict[str, Any]) -> Email:
        stamped = message.get(SENT_AT)
        destinations = message.get("destinations") or {}
        to = [a for kind in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(kind, [])]
        return cls(datetime.fromisoformat(stamped.replace("Z", "+00:00")) if stamped else None,
                   message.get("source", ""), to, message.get("subject", ""), message.get("body", ""))


def kept_emails(aws_url: str) -> list[Email]:
    """Every email the emulator kept, newest first."""
    with urllib.request.urlopen(f"{aws_url}/moto-api/data.json", timeout=30) as answer:  # noqa: S310 - local
        data = json.loads(answer.read())
    messages = data.get("ses", {}).get("Message", [])
    return [Email.of(m) for m in reversed(messages)]


def format_email(email: Email) -> str:
    when = email.sent_at.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST") if email.sent_at else "(不明)"
    return "\n".join([
        f"日時:   {when}",
        f"差出人: {email.source}",
        f"宛先:   {', '.join(email.to)}",
        f"件名:   {email.subject}",
        "",
        email.body.rstrip(),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The emails the local run's emulator kept, newest first.")
    parser.add_argument("--limit", type=int, default=0, help="show only the newest N")
    parser.add_argument("--to", help="only those sent to this address")
    args = parser.parse_args(argv)
    aws_url = f"http://127.0.0.1:{os.environ.get('LOCAL_AWS_PORT', '5000')}"
    try:
        emails = kept_emails(aws_url)
    except OSError as exc:
        print(f"make mail: the emulator does not answer at {aws_url} ({exc}). Is `make run` running "
              "(with the same LOCAL_AWS_PORT)?", file=sys.stderr)
        return 1
    if args.to:
        emails = [e for e in emails if args.to in e.to]
    shown = emails[:args.limit] if args.limit > 0 else emails
    print(f"メール {len(emails)} 通(新しい順){f'、うち {len(shown)} 通を表示' if len(shown) < len(emails) else ''}")
    for n, email in enumerate(shown, 1):
        print(f"\n──── {n} ────────────────────────────────────────")
        print(format_email(email))
    return 0


if __name__ == "__main__":
    sys.exit(main())
