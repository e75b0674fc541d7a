"""Binding the storage to the calling stage's tables, read at call time (docs/ARCHITECTURE.md, configuration)."""

from __future__ import annotations

from chalicelib.config import get_settings
from chalicelib.store import connection


def use_tables() -> None:
    """Point the store at this stage's tables (cheap when already bound)."""
    settings = get_settings()
    connection.bind(settings.table_prefix, settings.region)
