"""Our own names (issue 21 item 9): no screen, email, key notice or spec calls the service by another company's
product names; the names are the stage's configuration, read at call time (chalicelib/config.service_names).

Only the README may name the flyer's products, to say which flyer screens each part plays the role of."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from chalicelib.config import DEFAULT_NAMES, service_names
from chalicelib.domain.types import GuaranteeType, SubmissionMethod
from tests.support.api import issue
from tests.support.portal import C1, Browser, signed_in
from tests.support.world import mails_about

ROOT = Path(__file__).resolve().parents[1]
# Spelt in pieces so that this file does not hold them either.
FOREIGN = ("e-Net" + "保証", "D-" + "Sure", "eNet" + "保証", "保証確認サービス" + " (D")
BINARY = (".png", ".ttf", ".pdf", ".ico")


def _tracked() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / name for name in listed.splitlines() if not name.endswith(BINARY)]


def test_no_file_but_the_readme_names_another_companys_product():
    files = _tracked()
    assert any(p.name == "openapi.yaml" for p in files) and any(p.suffix == ".html" for p in files)
    found = []
    for path in files:
        if path.relative_to(ROOT).as_posix() == "README.md" or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path.relative_to(ROOT)}: {name}" for name in FOREIGN if name in text]
    assert not found, "\n".join(found)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # The README says which flyer screens each part stands for, and names ours.
    for name in (*FOREIGN[:2], DEFAULT_NAMES.contractor_portal, DEFAULT_NAMES.verification):
        assert name in readme


def test_the_default_names_are_our_own():
    names = service_names()
    assert names == DEFAULT_NAMES
    for name in (names.service, names.contractor_portal, names.verification, names.console):
        assert name.startswith("電子保証") and not any(f in name for f in FOREIGN)


def _notice_text(service_name: str) -> str:
    from chalicelib.pdf.key_notice import KeyNoticeContent, layout_key_notice

    content = KeyNoticeContent(GuaranteeType.ADVANCE_PAYMENT, "2070500001", "7KQ2M-X9D4T", "工事", "境港市長",
                               "見本建設保証株式会社", (SubmissionMethod.EMAIL.value,),
                               "https://x.example.jp/verify?contract_number=2070500001", service_name,
                               date(2026, 12, 7))
    return "".join(t.text for t in layout_key_notice(content).texts)


def test_the_key_notice_names_the_verification_service_it_is_given():
    text = _notice_text(DEFAULT_NAMES.verification)
    assert f"「{DEFAULT_NAMES.verification}」で電子証書を閲覧する" in text
    assert f"「{DEFAULT_NAMES.verification}」にログインし" in text
    assert not any(f in text for f in FOREIGN)
    assert "「○○市 保証確認」にログインし" in _notice_text("○○市 保証確認")


def test_screens_emails_and_the_notice_take_the_stages_names_at_call_time(api, monkeypatch):
    number = issue(api)
    (mail,) = mails_about(number, "電子証書・認証キー登録のお知らせ")
    assert f"{DEFAULT_NAMES.contractor_portal}にログインし" in mail.body
    listing = signed_in(api, C1).get("/certificates")
    assert f"| {DEFAULT_NAMES.contractor_portal}</title>" in listing.text
    assert not any(f in listing.text for f in FOREIGN)
    login = Browser(api).get("/login")
    assert DEFAULT_NAMES.service in login.visible_text and not any(f in login.text for f in FOREIGN)

    # Another stage's names: set in its environment, read by the next request.
    monkeypatch.setenv("APP_CONTRACTOR_PORTAL_NAME", "見本 受注者サイト")
    monkeypatch.setenv("APP_VERIFICATION_SERVICE_NAME", "見本 確認サイト")
    key_screen = signed_in(api, C1).get(f"/certificates/{number}/auth-key")
    assert "見本 受注者サイト" in key_screen.visible_text
    assert "「見本 確認サイト」で電子証書を閲覧するための" in key_screen.visible_text
    second = issue(api, project_name="境港市 岸壁補修工事")
    (mail,) = mails_about(second, "電子証書・認証キー登録のお知らせ")
    assert "見本 受注者サイトにログインし" in mail.body


@pytest.mark.parametrize("role", ["contractor", "obligee", "surety", None])
def test_each_role_has_its_own_part(role):
    from chalicelib.portal.pages import service_name

    expected = {"contractor": DEFAULT_NAMES.contractor_portal, "obligee": DEFAULT_NAMES.verification,
                "surety": DEFAULT_NAMES.console, None: DEFAULT_NAMES.service}[role]
    assert service_name(role) == expected
