"""Process-wide caches (clients, connections, the app secret, signing keys) and the one way to forget them.

Each module that keeps such a cache registers how to clear it; tests call `reset_all()` between emulated
accounts. In Lambda the caches live as long as the container. See docs/ARCHITECTURE.md (caches).
"""

from __future__ import annotations

from collections.abc import Callable

_resets: list[Callable[[], None]] = []


def on_reset(clear: Callable[[], None]) -> Callable[[], None]:
    """Register a cache's clear function (usable as a decorator)."""
    _resets.append(clear)
    return clear


def reset_all() -> None:
    for clear in _resets:
        clear()
