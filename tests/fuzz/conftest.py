"""The fuzz suite's world: the demo world of `make run` in a fresh emulated account per batch. Profiles and the
report: tests/support/fuzz_report.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fuzz_report import TALLIES
from tests.support.world import api_of


@pytest.fixture
def world(account: Any) -> Any:
    """The demo world of `make run` (users, owners, contractors, the flyer's certificates) in a fresh account, and
    the certificates of tests/support/fuzz.py's build_world, which brings every kind and state itself (so not the
    demo's variety: each batch's account is built afresh, and its signing is most of the batch's set-up)."""
    from scripts.seed import seed_demo
    from tests.support.fuzz import build_world

    seed_demo(account.settings, account.identity, variety=False)
    return build_world(api_of(account))


@pytest.fixture
def record_tally(request: pytest.FixtureRequest) -> Any:
    def record(tally: Any) -> None:
        request.config.stash.setdefault(TALLIES, []).append(tally.as_dict())

    return record
