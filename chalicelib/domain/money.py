"""Amounts of yen as printed: integers only, thousands separators."""

from __future__ import annotations


def format_yen(amount: int) -> str:
    """'40,000,000'. Amounts are whole yen; a float or bool reaching here is a bug upstream."""
    # bool is a subclass of int: reject it explicitly rather than print True as 1. ValueError (not
    # TypeError) so that every bad amount surfaces as one kind of error.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError(f"amount must be an int of yen, not {type(amount).__name__}")
    if amount < 0:
        raise ValueError("amount must not be negative")
    return f"{amount:,}"


def format_yen_with_unit(amount: int) -> str:
    """'40,000,000 円', the form of the certificate's amount cells."""
    return f"{format_yen(amount)} 円"
