"""Login, a refused login, logout, and a protected page without a session."""

from __future__ import annotations

import re

from tests.support.browser import login


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


def test_a_new_account_sets_its_password_at_its_first_login(runner, new_page, a11y, screenshot):
    """An account the administrator created with a temporary password: the portal asks for the user's own."""
    import boto3

    idp = boto3.client("cognito-idp", region_name="ap-northeast-1", endpoint_url=runner.aws_url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    pool = idp.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    idp.admin_create_user(UserPoolId=pool, Username="new-clerk", TemporaryPassword="Temporary-Pass-1234",
                          MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "custom:org_id", "Value": "sakaiminato"}])
    idp.admin_add_user_to_group(UserPoolId=pool, Username="new-clerk", GroupName="obligee")

    page = new_page()
    page.goto("/login")
    page.get_by_label(re.compile("ID|ユーザー")).fill("new-clerk")
    page.get_by_label(re.compile("パスワード")).fill("Temporary-Pass-1234")
    page.get_by_role("button", name=re.compile("ログイン")).click()
    assert page.get_by_role("heading", name="パスワードの設定").count() == 1
    a11y.check(page, "パスワードの設定")
    screenshot(page, "new-password")
    page.get_by_label("新しいパスワード", exact=False).first.fill("Chosen-Pass-98765!")
    page.get_by_label(re.compile("確認")).fill("Chosen-Pass-98765!")
    page.get_by_role("button", name="設定してログイン").click()
    page.wait_for_load_state()
    assert "/verify" in page.url, page.url  # an owner's clerk lands on 保証証書の確認
    a11y.assert_clean()
