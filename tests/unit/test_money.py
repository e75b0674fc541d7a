"""Yen amounts as printed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.money import format_yen, format_yen_with_unit


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(0, "0"), (999, "999"), (1000, "1,000"), (40_000_000, "40,000,000"), (100_000_000, "100,000,000")],
)
def test_format_yen(amount: int, expected: str) -> None:
    assert format_yen(amount) == expected


def test_with_unit_as_on_the_certificate() -> None:
    assert format_yen_with_unit(40_000_000) == "40,000,000 円"
    assert format_yen_with_unit(100_000_000) == "100,000,000 円"


@pytest.mark.parametrize("bad", [True, False, 1.0, 40000000.0, -1, "1000", None])
def test_rejects_non_integers_and_negatives(bad: object) -> None:
    with pytest.raises(ValueError):
        format_yen(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_yen_with_unit(bad)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=10**15))
def test_round_trip(amount: int) -> None:
    text = format_yen(amount)
    assert int(text.replace(",", "")) == amount
    assert all(len(group) == 3 for group in text.split(",")[1:])
