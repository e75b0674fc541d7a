"""Time as the business sees it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

# Japan has kept UTC+9 without daylight saving since 1951; a fixed offset needs no tz database
# (not every Lambda runtime ships one).
JST = timezone(timedelta(hours=9), "JST")


def utc_now() -> datetime:
    return datetime.now(UTC)


def japan_today() -> date:
    """証書発行日 and every date shown to people are Japan dates."""
    return utc_now().astimezone(JST).date()
