"""The surety staff's read-only console (issue 12): find a contractor, its 保証工事一覧, a certificate with its
versions and audit trail; other roles get the 403 page."""

from __future__ import annotations

from tests.support.api import OWNER, SURETY, UNKNOWN_NUMBER, show_key
from tests.support.portal import C1, Browser, signed_in


def test_console_leads_from_a_contractor_to_its_certificates_and_their_trail(api):
    number = api.issue().json_body["contract_number"]
    api.issue(contractor_id="contractor-2", project_name="△△工業の工事")
    show_key(api, number)
    browser = signed_in(api, SURETY)
    console = browser.get("/console")
    assert console.status_code == 200
    assert "株式会社○○建設" in console.visible_text and "株式会社△△工業" in console.visible_text
    assert "見本建設保証株式会社 様" in console.visible_text
    found = browser.get("/console?q=%E2%96%B3%E2%96%B3")  # △△
    assert "株式会社△△工業" in found.visible_text and "株式会社○○建設" not in found.visible_text

    listing = browser.get("/console/contractors/contractor-1")
    assert listing.status_code == 200
    assert "株式会社○○建設 様の保証工事一覧" in listing.visible_text
    assert "先頭 ◀前 1件中 1 - 1件 次▶ 最後▶" in listing.visible_text
    assert f'href="/console/certificates/{number}"' in listing.text and "△△工業の工事" not in listing.text
    assert "/auth-key" not in listing.text  # staff never see contractors' keys

    page = browser.get(f"/console/certificates/{number}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.visible_text
    assert "保証証書 (前払金保証)" in text and "第1版(表示中)" in text
    assert "操作の記録" in text and "発行" in text and "認証キー表示 成功 demo-contractor-1 受注者" in text
    assert browser.get("/console/contractors/nobody").status_code == 404
    assert browser.get(f"/console/certificates/{UNKNOWN_NUMBER}").status_code == 404


def test_console_refuses_other_roles_and_anonymous_visitors(api):
    number = api.issue().json_body["contract_number"]
    for path in ("/console", "/console/contractors/contractor-1", f"/console/certificates/{number}"):
        assert "/login?next=" in Browser(api).get(path).location
        for user in (C1, OWNER):
            page = signed_in(api, user).get(path)
            assert page.status_code == 403, (user, path)
            assert "この画面を表示する権限がありません" in page.visible_text


def test_the_console_shows_the_advance_repayment_a_price_decrease_owes(api):
    """Issue 21, item 1: a 請負金額 decrease recorded on a 前払金保証 states the repayment 前金払の条 owes in the
    version's history, which the surety's console shows."""
    from tests.support.api import amend, issue

    number = issue(api, project_name="減額された工事")  # 前払金 40,000,000 of 100,000,000
    assert amend(api, number, {"expected_version": 1, "contract_amount_total": 60_000_000}).status_code == 200
    page = signed_in(api, SURETY).get(f"/console/certificates/{number}").visible_text
    assert "請負金額(総額): 100,000,000円 → 60,000,000円" in page
    assert "前払金の返還: 10,000,000円(受領済みの前払金 40,000,000円 − 減額後の請負金額の5/10 30,000,000円)" in page
