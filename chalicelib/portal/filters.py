"""Jinja2 filters for Japanese dates and yen. Each calls the domain's own formatting (wareki, money):
the screens print exactly what the certificate prints."""

from __future__ import annotations

from datetime import date, datetime

from chalicelib.domain.clock import JST
from chalicelib.domain.money import format_yen
from chalicelib.domain.wareki import format_wareki


def _as_date(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def wareki(value: str | date | None) -> str:
    """'令和 4年 5月10日' (domain.wareki)."""
    return "" if value in (None, "") else format_wareki(_as_date(value))


def slash_date(value: str | date | None) -> str:
    """'2022/01/28', the list's 証書発行日 as on the flyer."""
    return "" if value in (None, "") else _as_date(value).strftime("%Y/%m/%d")


def yen(value: int | None) -> str:
    """'40,000,000' (domain.money)."""
    return "" if value is None else format_yen(value)


def japan_time(value: str | datetime | None) -> str:
    """A UTC instant ('2024-05-10T03:04:05Z') as a Japan date and time: '令和 6年 5月10日 12:04'."""
    if value in (None, ""):
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    local = moment.astimezone(JST)
    return f"{format_wareki(local.date())} {local:%H:%M}"


FILTERS = {"wareki": wareki, "slash_date": slash_date, "yen": yen, "japan_time": japan_time}
