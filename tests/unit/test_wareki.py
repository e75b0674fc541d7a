"""Japanese era dates: every era boundary since 明治, and the certificate's padded format."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.wareki import format_gregorian_ja, format_wareki, to_wareki


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(1868, 10, 23), ("明治", 1)),
        (date(1873, 1, 1), ("明治", 6)),  # Gregorian calendar adopted
        (date(1912, 7, 29), ("明治", 45)),
        (date(1912, 7, 30), ("大正", 1)),
        (date(1926, 12, 24), ("大正", 15)),
        (date(1926, 12, 25), ("昭和", 1)),
        (date(1989, 1, 7), ("昭和", 64)),
        (date(1989, 1, 8), ("平成", 1)),
        (date(2019, 4, 30), ("平成", 31)),
        (date(2019, 5, 1), ("令和", 1)),
        (date(2024, 1, 1), ("令和", 6)),
    ],
)
def test_era_boundaries(d: date, expected: tuple[str, int]) -> None:
    assert to_wareki(d) == expected


def test_before_meiji_is_refused() -> None:
    with pytest.raises(ValueError, match="明治"):
        to_wareki(date(1868, 10, 22))
    with pytest.raises(ValueError):
        format_wareki(date(1800, 1, 1))


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        # As on the flyer's certificate (issued 令和4年5月10日, period 令和5年3月31日): year, month
        # and day take two columns, a single digit padded with a half-width space.
        (date(2022, 5, 10), "令和 4年 5月10日"),
        (date(2023, 3, 31), "令和 5年 3月31日"),
        (date(2024, 1, 1), "令和 6年 1月 1日"),
        (date(2020, 12, 25), "令和 2年12月25日"),
        (date(2038, 11, 3), "令和20年11月 3日"),
        # The first year of an era is 元年.
        (date(2019, 5, 1), "令和元年 5月 1日"),
        (date(2019, 12, 31), "令和元年12月31日"),
        (date(2019, 4, 30), "平成31年 4月30日"),
        (date(1989, 1, 7), "昭和64年 1月 7日"),
        (date(1989, 1, 8), "平成元年 1月 8日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1912, 7, 30), "大正元年 7月30日"),
        (date(1868, 10, 23), "明治元年10月23日"),
    ],
)
def test_format_wareki(d: date, expected: str) -> None:
    assert format_wareki(d) == expected


def test_format_gregorian_ja() -> None:
    assert format_gregorian_ja(date(2024, 1, 1)) == "2024年1月1日"
    assert format_gregorian_ja(date(2023, 12, 31)) == "2023年12月31日"


_FORMAT = re.compile(
    r"^(明治|大正|昭和|平成|令和)(元| [1-9]|[1-9]\d{1,2})年( [1-9]|1[0-2])月( [1-9]|[1-3]\d)日$"
)
_ERA_FIRST_YEAR = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019}


@given(st.dates(min_value=date(1868, 10, 23), max_value=date(2200, 12, 31)))
def test_any_date_since_meiji_round_trips(d: date) -> None:
    era, year = to_wareki(d)
    assert year >= 1
    assert _ERA_FIRST_YEAR[era] + year - 1 == d.year
    text = format_wareki(d)
    m = _FORMAT.match(text)
    assert m, text
    assert int(m.group(3)) == d.month
    assert int(m.group(4)) == d.day


@given(st.dates(min_value=date(1868, 10, 23), max_value=date(2200, 12, 30)))
def test_era_never_goes_backwards(d: date) -> None:
    from datetime import timedelta

    eras = list(_ERA_FIRST_YEAR)
    a, b = to_wareki(d), to_wareki(d + timedelta(days=1))
    assert eras.index(b[0]) >= eras.index(a[0])
    if a[0] == b[0]:
        assert b[1] in (a[1], a[1] + 1)
    else:
        assert b[1] == 1
