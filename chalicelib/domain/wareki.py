"""Japanese era (和暦) dates as printed on the certificate.

Pure and stdlib only, so the portal JSON, the print view and the PDF can share one formatting.
"""

from __future__ import annotations

from datetime import date

# (first day, name), newest first. Each first day is the Gregorian date the era began.
# 明治 starts on its proclamation date (1868-10-23); dates are read on the Gregorian calendar throughout
# (Japan adopted it on 明治6年1月1日 = 1873-01-01), which is all the service ever prints.
_ERAS: tuple[tuple[date, str], ...] = (
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
    (date(1926, 12, 25), "昭和"),
    (date(1912, 7, 30), "大正"),
    (date(1868, 10, 23), "明治"),
)


def to_wareki(d: date) -> tuple[str, int]:
    """Era name and era year (1 for the first year) of a date; ValueError before 明治."""
    for start, name in _ERAS:
        if d >= start:
            return name, d.year - start.year + 1
    raise ValueError(f"{d.isoformat()} is before 明治 and has no supported era")


def format_wareki(d: date) -> str:
    """As on the certificate: '令和 5年 3月31日', '令和 4年 5月10日', '令和元年 5月 1日'.

    Year, month and day take two columns each (a leading half-width space for one digit) so dates line
    up in the table, as on the paper certificate. The first year of an era is written 元年.
    """
    era, year = to_wareki(d)
    year_text = "元" if year == 1 else f"{year:>2}"
    return f"{era}{year_text}年{d.month:>2}月{d.day:>2}日"


def format_gregorian_ja(d: date) -> str:
    """'2024年1月1日': Gregorian date in Japanese, unpadded (used in messages, not on the certificate)."""
    return f"{d.year}年{d.month}月{d.day}日"


def format_wareki_text(d: date) -> str:
    """'令和6年1月1日', '令和元年5月1日': the era date unpadded, for sentences (messages, emails, history)."""
    era, year = to_wareki(d)
    return f"{era}{'元' if year == 1 else year}年{d.month}月{d.day}日"
