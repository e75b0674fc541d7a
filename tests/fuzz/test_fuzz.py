"""Every operation of openapi.yaml fuzzed as each role and without a login (tests/support/fuzz.py drives it).

The bounded profile (default, inside `make test`) is derandomized: the same cases every run. `FUZZ_PROFILE=long`
(`make fuzz`) runs LONG_ROUNDS seeded batches per operation and role, each in a fresh emulated account.
A batch fails on any finding: a 5xx answer, an undocumented status code or content type, or a body that differs
from the documented schema (the report lists them all).
"""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from tests.support.fuzz import (
    ROLES,
    Tally,
    api_operations,
    case_strategy,
    check,
    dictionary_cases,
    hostile,
    realistic,
)

PROFILE = os.environ.get("FUZZ_PROFILE", "bounded")
LONG = PROFILE == "long"
BOUNDED_EXAMPLES = 30  # per operation and role: 30 x 4 x 30 random cases, after the ~2,200 of the dictionary
# (make test stays under its 5 minutes on 2 cores; `make fuzz` runs the long profile)
LONG_EXAMPLES = 125  # per operation, role and round: 15 x 4 x 125 x 5 = 37,500 requests
LONG_ROUNDS = int(os.environ.get("FUZZ_ROUNDS", "5"))
def _params() -> list[object]:
    return [pytest.param(label, round_, id=label + (f"-{round_}" if LONG else ""))
            for label in api_operations() for round_ in range(LONG_ROUNDS if LONG else 1)]


def fuzz_role(world, label, operation, role, round_, tally):
    @settings(max_examples=LONG_EXAMPLES if LONG else BOUNDED_EXAMPLES, derandomize=not LONG, database=None,
              deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=case_strategy(operation), data=st.data())
    def fuzz(case, data):
        realistic(world, operation, case, data)
        hostile(operation, case, data)
        check(world, label, case, role, tally)

    if LONG:
        fuzz = hypothesis_seed(round_ * 10 + list(ROLES).index(role))(fuzz)
    if not LONG or round_ == 0:  # the dictionary of hostile values, the same every run
        for case in dictionary_cases(world, operation, role):
            check(world, label, case, role, tally)
    fuzz()


@pytest.mark.parametrize(("label", "round_"), _params())
def test_operation_for_each_role(label, round_, world, record_tally):
    """One batch: the operation fuzzed as each role and without a login, in one fresh emulated account."""
    operation = api_operations()[label]
    tally = Tally()
    started = time.perf_counter()
    for role in ROLES:
        fuzz_role(world, label, operation, role, round_, tally)
    tally.seconds = time.perf_counter() - started
    record_tally(tally)
    # Every finding is new: a 5xx or a violation of the document fails the batch (none is known or expected).
    problems = [f"{finding.role}: {finding.status} {finding.check}: {finding.message[:300]}\n    {reproduction}"
                for finding, reproduction in tally.findings.values()]
    assert not problems, f"{label}: {len(problems)} findings\n" + "\n".join(problems)
