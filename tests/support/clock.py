"""Frozen time that tests move by hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import time_machine


@dataclass
class Clock:
    """Frozen time that tests move by hand. Logins are dropped on every move: an ID token's `iat`/`exp`
    belong to the moment it was issued."""

    api: Any
    traveller: Any

    def move(self, delta: timedelta) -> None:
        self.traveller.shift(delta)
        self.api.tokens.clear()

    def move_to(self, moment: datetime) -> None:
        self.traveller.move_to(moment)
        self.api.tokens.clear()


@contextmanager
def frozen(api: Any, moment: datetime) -> Iterator[Clock]:
    with time_machine.travel(moment, tick=False) as traveller:
        api.tokens.clear()
        yield Clock(api, traveller)
    api.tokens.clear()
