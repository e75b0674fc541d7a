"""The store's own tests: each module of chalicelib/store against a fresh emulated account, without the API, so a
change of storage fails here first (docs/ARCHITECTURE.md, data)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def tables(account: Any) -> None:
    """The stage's tables, empty, with the store bound to them."""
    from chalicelib.services.tables import use_tables

    use_tables()
