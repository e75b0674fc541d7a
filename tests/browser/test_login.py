"""Login, a refused login, logout, and a protected page without a session."""

from __future__ import annotations

import re

from tests.browser.helpers import login


def test_login_page_refuses_a_wrong_password_then_logs_in(new_page, a11y, screenshot):
    page = new_page()
    page.goto("/login")
    a11y.check(page, "login")
    screenshot(page, "login")

    page.get_by_label(re.compile("ID|ユーザー")).fill("demo-contractor-1")
    page.get_by_label(re.compile("パスワード")).fill("not-the-password")
    page.get_by_role("button", name=re.compile("ログイン")).click()
    assert "/login" in page.url
    alert = page.get_by_role("alert")
    assert alert.count() == 1 and re.search("正しく|誤", alert.inner_text()), page.locator("main").inner_text()
    a11y.check(page, "login (refused)")

    login(page, "demo-contractor-1")
    assert "株式会社○○建設" in page.content()
    a11y.assert_clean()


def test_logout_ends_the_session(new_page, a11y):
    page = new_page()
    login(page, "demo-contractor-1")
    page.goto("/certificates")
    assert page.url.endswith("/certificates")
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_load_state()
    assert "/login" in page.url or page.get_by_text(re.compile("ログアウトしました")).count() > 0, page.url
    a11y.check(page, "after logout")

    page.goto("/certificates")
    assert "/login" in page.url, f"a protected page after logout answered {page.url}"
    a11y.assert_clean()


def test_a_protected_page_without_a_session_leads_to_login(new_page):
    page = new_page()
    for path in ("/certificates", "/verify", "/console"):
        page.goto(path)
        assert "/login" in page.url, f"{path} without a session answered {page.url}"
        assert page.get_by_label(re.compile("パスワード")).count() == 1


def test_axe_runs_under_the_portal_csp_and_sees_a_violation(new_page, a11y):
    """Guards the other tests' zero: axe-core is injected and reports a planted fault on a portal page."""
    page = new_page()
    page.goto("/login")
    page.evaluate("""() => { const img = document.createElement('img'); img.src = '/portal.css';
                             document.querySelector('main').appendChild(img); }""")
    finding = a11y.check(page, "login (with a planted image without alt)")
    assert [v["id"] for v in finding.violations] == ["image-alt"], finding.violations
