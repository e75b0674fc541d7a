"""The portal in a real browser: Debian's Chromium driven by Playwright, against the `make run` runner.

One runner per test session (per xdist worker, each on its own free ports): moto's server, provisioning,
the demo seed and `chalice local`, exactly as `make run` starts them; stopped with SIGINT at the end.
Every browser test skips with a clear message where Chromium or Playwright is missing (CI installs both).

Set PORTAL_SCREENSHOTS=1 to (re)write the screenshots of the main screens under docs/screenshots/.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from scripts.demo_data import DEMO_PASSWORD
from tests.support.browser import EXTRA_CERTIFICATES
from tests.support.processes import LocalRun, local_run

PROJECT_DIR = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = PROJECT_DIR / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
READY_TIMEOUT = 90

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _missing_browser() -> str | None:
    if importlib.util.find_spec("playwright") is None or importlib.util.find_spec("axe_playwright_python") is None:
        return ("playwright / axe-playwright-python are not installed "
                "(pip install -r requirements-dev.txt); browser tests skipped")
    if not os.access(CHROMIUM, os.X_OK):
        return (f"{CHROMIUM} is not installed (apt-get install chromium fonts-noto-cjk; "
                ".ci/run does this in CI); browser tests skipped")
    return None


MISSING = _missing_browser()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            # One xdist group: with `--dist loadgroup` every browser test shares one worker and one runner.
            item.add_marker(pytest.mark.xdist_group("browser"))
            if MISSING:
                item.add_marker(pytest.mark.skip(reason=MISSING))


# ---------------------------------------------------------------------------------------------- the runner

@dataclass
class Runner:
    run: LocalRun
    tokens: dict[str, str] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)  # extra certificates (contractor-1, 境港市), oldest first

    @property
    def url(self) -> str:
        return self.run.url

    @property
    def aws_url(self) -> str:
        return self.run.aws_url

    @property
    def http(self) -> requests.Session:
        return self.run.http

    def log(self) -> str:
        return self.run.log()

    def token(self, username: str) -> str:
        if username not in self.tokens:
            response = self.http.post(f"{self.url}/v1/auth/login",
                                      json={"username": username, "password": DEMO_PASSWORD}, timeout=10)
            assert response.status_code == 200, response.text
            self.tokens[username] = response.json()["id_token"]
        return self.tokens[username]

    def api(self, method: str, path: str, username: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(username)}", **kwargs.pop("headers", {})}
        return self.http.request(method, f"{self.url}{path}", headers=headers, timeout=20, **kwargs)

    def issue(self, index: int, **overrides: Any) -> str:
        # The runner keeps real time: a contract of ten days ago, works running for most of a year (a surety
        # refuses a period already ended, or a contract long past; chalicelib/domain/underwriting.py).
        from chalicelib.domain.clock import japan_today

        today = japan_today()
        body = {
            "guarantee_type": "advance_payment", "contractor_id": "contractor-1", "obligee_id": "sakaiminato",
            "work_category": "construction", "project_name": f"境港市道 渡町線 道路改良工事 第{index}工区",
            "contract_date": (today - timedelta(days=10)).isoformat(),
            "completion_date": (today + timedelta(days=300)).isoformat(),
            "contract_amount_total": 100_000_000, "guarantee_amount": 40_000_000,
            "deposit_bank": "山陰銀行 境港支店", "delivery": "electronic", **overrides,
        }
        response = self.api("POST", "/v1/guarantees", "demo-surety", json=body,
                            headers={"Idempotency-Key": f"browser-{index}"})
        assert response.status_code == 201, response.text
        return response.json()["contract_number"]

    def amend(self, number: str, index: int, **changes: Any) -> dict[str, Any]:
        """An amendment of what the surety reads now (expected_revision, required, read first unless given)."""
        if "expected_revision" not in changes:
            changes["expected_revision"] = self.api("GET", f"/v1/certificates/{number}", "demo-surety").json()[
                "revision"]
        response = self.api("POST", f"/v1/guarantees/{number}/amendments", "demo-surety", json=changes,
                            headers={"Idempotency-Key": f"browser-amend-{index}"})
        assert response.status_code == 201, response.text
        return response.json()

    def auth_key(self, number: str) -> str:
        response = self.api("GET", f"/v1/certificates/{number}/auth-key", "demo-contractor-1")
        assert response.status_code == 200, response.text
        return response.json()["auth_key"]

    def verify(self, number: str, key: str, username: str = "demo-sakaiminato") -> requests.Response:
        return self.api("POST", "/v1/verifications", username, json={"contract_number": number, "auth_key": key})


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """`python -m scripts.local_run` on two free ports, with the demo seed and EXTRA_CERTIFICATES more."""
    if MISSING:
        pytest.skip(MISSING)
    with local_run(tmp_path_factory.mktemp("portal_runner") / "local_run.log", READY_TIMEOUT) as run:
        runner = Runner(run)
        runner.issued = [runner.issue(i) for i in range(1, EXTRA_CERTIFICATES + 1)]
        yield runner


# ---------------------------------------------------------------------------------------------- the browser

@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if MISSING:
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # A Japanese browser, as the clerks have: its own strings (the file picker's 「ファイルを選択」) come from
        # Debian's chromium-l10n, chosen by LANGUAGE (the --lang flag alone is not enough on Linux).
        args = ["--lang=ja", *(["--no-sandbox"] if os.geteuid() == 0 else [])]
        env = {**os.environ, "LANGUAGE": "ja"}  # LANG stays: an ungenerated ja_JP locale breaks file names
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, env=env)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Any, runner: Runner) -> Iterator[Any]:
    """new_page() -> a page in a fresh context (its own cookies), Japanese locale and Accept-Language, base URL the
    runner's; new_page(width=390) as a phone shows it."""
    contexts = []
    refused: list[str] = []  # what the Content-Security-Policy blocked, and script errors

    def make(width: int = 1280) -> Any:
        context = browser.new_context(base_url=runner.url, locale="ja-JP", timezone_id="Asia/Tokyo",
                                      viewport={"width": width, "height": 900},
                                      extra_http_headers={"Accept-Language": "ja"})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: refused.append(f"{page.url}: {m.text}")
                if m.type == "error" and ("Content Security Policy" in m.text or "Refused to" in m.text) else None)
        page.on("pageerror", lambda e: refused.append(f"{page.url}: {e}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not refused, "the page's own resources were refused or failed:\n" + "\n".join(refused)


# ---------------------------------------------------------------------------------------------- axe-core

@dataclass
class A11yFinding:
    label: str
    url: str
    violations: list[dict[str, Any]]


def _describe(finding: A11yFinding) -> str:
    lines = [f"{finding.label} ({finding.url}): {len(finding.violations)} violation(s)"]
    for v in finding.violations:
        targets = ", ".join(" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])[:5])
        lines.append(f"  - {v['id']} [{v.get('impact')}] {v.get('help')}: {targets}")
    return "\n".join(lines)


class A11y:
    """Runs axe-core (WCAG 2.0/2.1 A and AA) on a page and keeps the findings of the test."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self._axe = Axe()
        self.findings: list[A11yFinding] = []

    def check(self, page: Any, label: str) -> A11yFinding:
        results = self._axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                               "resultTypes": ["violations"]})
        finding = A11yFinding(label, page.url, results.response["violations"])
        self.findings.append(finding)
        _record(finding)
        return finding

    def assert_clean(self) -> None:
        dirty = [f for f in self.findings if f.violations]
        assert not dirty, "axe-core violations:\n" + "\n".join(_describe(f) for f in dirty)


def _record(finding: A11yFinding) -> None:
    """With PORTAL_AXE_REPORT=FILE, one line per page checked (label, URL, violation ids) for closing notes."""
    report = os.environ.get("PORTAL_AXE_REPORT")
    if report:
        ids = ",".join(v["id"] for v in finding.violations) or "-"
        with open(report, "a", encoding="utf-8") as f:
            f.write(f"{finding.label}\t{finding.url}\t{len(finding.violations)}\t{ids}\n")


@pytest.fixture
def a11y() -> A11y:
    return A11y()


# ---------------------------------------------------------------------------------------------- screenshots

@pytest.fixture
def screenshot() -> Any:
    """screenshot(page, name): docs/screenshots/NAME.png, only with PORTAL_SCREENSHOTS=1 (CI leaves docs alone)."""
    enabled = os.environ.get("PORTAL_SCREENSHOTS") == "1"

    def take(page: Any, name: str) -> None:
        if enabled:
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)

    return take
