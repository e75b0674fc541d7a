"""The fuzz suite's profiles and report (hooks imported by tests/conftest.py, so the controller of pytest-xdist
runs them too).

Profiles (environment variable `FUZZ_PROFILE`): `bounded` (default; part of `make test`: derandomized, a fixed
number of cases per operation and role) and `long` (`make fuzz`: many seeded batches, each in a fresh emulated
account so the tables stay small). Each test adds its tally to the session; at the end the terminal summary
prints, per role, requests sent, 5xx answers and schema/status violations, and every distinct finding with the
first request that showed it. Under pytest-xdist the workers hand their tallies to the controller. With
`FUZZ_REPORT=<file>` the same figures are also written there as JSON.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest

TALLIES = pytest.StashKey[list[dict[str, Any]]]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    tallies = session.config.stash.get(TALLIES, [])
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["fuzz_tallies"] = json.dumps(tallies)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    tallies = json.loads(node.workeroutput.get("fuzz_tallies", "[]"))
    node.config.stash.setdefault(TALLIES, []).extend(tallies)


def summarise(tallies: list[dict[str, Any]]) -> dict[str, Any]:
    requests: Counter[str] = Counter()
    server_errors: Counter[str] = Counter()
    violations: Counter[str] = Counter()
    findings: dict[str, Any] = {}
    statuses: Counter[str] = Counter()
    seconds = 0.0
    for tally in tallies:
        requests.update(tally["requests"])
        server_errors.update(tally["server_errors"])
        violations.update(tally["violations"])
        seconds += tally["seconds"]
        for operation, role, status, count in tally["statuses"]:
            statuses[f"{operation} | {role} | {status}"] += count
        for finding, reproduction in tally["findings"]:
            first_line = (finding["message"].splitlines() or [""])[0][:160]
            key = json.dumps([finding["operation"], finding["role"], finding["status"], finding["check"], first_line],
                             ensure_ascii=False)
            entry = findings.setdefault(key, {**finding, "reproduction": reproduction, "batches": 0})
            entry["batches"] += 1
    return {"requests": dict(requests), "server_errors": dict(server_errors), "violations": dict(violations),
            "seconds": seconds, "findings": list(findings.values()), "statuses": dict(sorted(statuses.items()))}


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    tallies = config.stash.get(TALLIES, [])
    if not tallies:
        return
    summary = summarise(tallies)
    write = terminalreporter.write_line
    profile = os.environ.get("FUZZ_PROFILE", "bounded")
    terminalreporter.section(f"fuzz ({profile} profile, {len(tallies)} batches)")
    write(f"{'role':<12}{'requests':>10}{'5xx':>8}{'violations':>12}")
    for role in ("surety", "contractor", "obligee", "anonymous"):
        write(f"{role:<12}{summary['requests'].get(role, 0):>10}{summary['server_errors'].get(role, 0):>8}"
              f"{summary['violations'].get(role, 0):>12}")
    write(f"{'total':<12}{sum(summary['requests'].values()):>10}{sum(summary['server_errors'].values()):>8}"
          f"{sum(summary['violations'].values()):>12}   ({summary['seconds']:.1f} s in fuzz loops)")
    for finding in sorted(summary["findings"], key=lambda f: (f["operation"], f["role"], f["status"])):
        write(f"- {finding['operation']} as {finding['role']}: {finding['status']} {finding['check']} "
              f"({finding['batches']} batches): {(finding['message'].splitlines() or [''])[0][:200]}")
        write(f"    {finding['reproduction']}")
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False, indent=1)
