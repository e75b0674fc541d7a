"""The portal's sessions and safety (issue 12, "How it must behave"): login and logout, the __Host- cookie,
CSP and the other headers, CSRF refusal, the way back after an expired session, no open redirect, HTML
error pages on portal paths while /v1/ stays JSON, and Jinja2 kept off the cold-start path."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine

from tests.support.api import OWNER, SURETY
from tests.support.portal import C1, CSP, Browser, path_of, signed_in
from tests.support.world import PROJECT_DIR

SESSION = "__Host-denshi-session"


def test_login_sets_a_host_cookie_and_sends_each_role_to_its_home(api):
    for user, home in ((C1, "/certificates"), (OWNER, "/verify"), (SURETY, "/console")):
        browser = Browser(api)
        page = browser.login(user)
        assert page.status_code == 303, page.text
        assert page.location == home
        session = [c for c in page.set_cookies if c.startswith(SESSION + "=")]
        assert len(session) == 1
        flags = {part.strip() for part in session[0].split(";")[1:]}
        assert {"Path=/", "Secure", "HttpOnly", "SameSite=Lax"} <= flags
        assert not any(f.lower().startswith("domain") for f in flags)
        token = browser.cookies[SESSION]
        assert token.count(".") == 2  # the ID token (a JWT) ...
        landing = browser.get(home)
        assert landing.status_code == 200
        assert token not in landing.text and token not in landing.location  # ... never in a page or a URL
        assert browser.get("/").location == home


def test_every_html_page_carries_csp_and_the_other_headers(api):
    browser = signed_in(api, C1)
    for path in ("/login", "/certificates", "/certificates/2079999999"):
        page = browser.get(path)
        assert page.headers["Content-Security-Policy"] == CSP, path
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "same-origin"
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "<script" not in page.text.lower() and " style=" not in page.text


def test_the_stylesheet_is_served_by_its_route(api):
    css = Browser(api).get("/portal.css")
    assert css.status_code == 200
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert "@digital-go-jp/design-tokens" in css.text  # the tokens' source is named
    assert ":focus-visible" in css.text and "@media print" in css.text


def test_wrong_password_and_missing_fields_are_shown_on_the_form(api):
    browser = Browser(api)
    form = browser.get("/login")
    assert "※必須" in form.visible_text
    wrong = browser.submit(form, "/login", {"username": C1, "password": "nope-nope-1A!"})
    assert wrong.status_code == 401
    assert "ユーザー名またはパスワードが正しくありません。" in wrong.visible_text
    assert SESSION not in browser.cookies
    empty = browser.submit(wrong, "/login", {"username": "", "password": ""})
    assert empty.status_code == 400
    assert 'aria-invalid="true" aria-describedby="username-error"' in empty.text
    assert 'id="username-error"' in empty.text and "ユーザーIDを入力してください。" in empty.visible_text


def test_logout_clears_the_cookie_and_the_pages_need_a_login_again(api):
    browser = signed_in(api, C1)
    page = browser.get("/certificates")
    out = browser.submit(page, "/logout")
    assert out.status_code == 303 and out.location == "/login"
    assert any(c.startswith(SESSION + "=;") and "Max-Age=0" in c for c in out.set_cookies)
    assert SESSION not in browser.cookies
    again = browser.get("/certificates")
    assert again.status_code == 303 and path_of(again.location) == "/login?next=%2Fcertificates"


def test_anonymous_visitors_go_to_login_and_come_back_to_the_page(api):
    browser = Browser(api)
    page = browser.get("/certificates?field=project_name&q=%E5%B7%A5%E4%BA%8B&page=2")
    assert page.status_code == 303
    login = browser.get(page.location)
    assert login.field("next") == "/certificates?field=project_name&q=%E5%B7%A5%E4%BA%8B&page=2"
    assert "有効期限が切れました" not in login.visible_text
    back = browser.submit(login, "/login", {"username": C1, "password": "Demo-Passw0rd!", "next": login.field("next")})
    assert back.status_code == 303
    assert back.location == "/certificates?field=project_name&q=%E5%B7%A5%E4%BA%8B&page=2"


def test_an_expired_session_says_so_and_leads_back_to_the_page_after_login(api):
    browser = signed_in(api, C1)
    with time_machine.travel(timedelta(hours=2), tick=True):
        page = browser.get("/certificates/2070500001/auth-key")
        assert page.status_code == 303
        assert path_of(page.location) == "/login?next=%2Fcertificates%2F2070500001%2Fauth-key&expired=1"
        assert SESSION not in browser.cookies  # the stale cookie is cleared
        login = browser.get(page.location)
        assert "有効期限が切れました" in login.visible_text
        back = browser.submit(login, "/login", {"username": C1, "password": "Demo-Passw0rd!",
                                                "next": login.field("next")})
        assert back.status_code == 303 and back.location == "/certificates/2070500001/auth-key"


def test_a_tampered_session_cookie_is_not_a_session(api):
    browser = signed_in(api, C1)
    browser.cookies[SESSION] = browser.cookies[SESSION][:-4] + "AAAA"
    page = browser.get("/certificates")
    assert page.status_code == 303 and "/login?" in page.location


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
    "/%0d%0aSet-Cookie:x", "http:/evil.example", " https://evil.example",
])
def test_next_is_a_local_path_only(api, target):
    browser = Browser(api)
    form = browser.get("/login?" + urlencode({"next": target}))
    assert form.field("next") in ("/", "/%0d%0aSet-Cookie:x")
    page = browser.submit(form, "/login", {"username": C1, "password": "Demo-Passw0rd!", "next": target})
    assert page.status_code == 303
    assert page.location.startswith("/") and not page.location.startswith(("//", "/\\"))
    assert "evil" not in page.location


def test_posts_without_this_sites_origin_or_csrf_token_are_refused(api):
    browser = signed_in(api, C1)
    page = browser.get("/certificates")
    token = page.field("csrf_token")
    assert token
    refused = [
        browser.post("/logout", {}),  # no token
        browser.post("/logout", {"csrf_token": token[:-2] + "xx"}),  # wrong token
        browser.post("/logout", {"csrf_token": token}, origin="https://evil.example"),  # foreign Origin
        browser.post("/logout", {"csrf_token": token}, origin=None),  # no Origin nor Referer
        browser.post("/logout", {"csrf_token": token}, origin="null"),
    ]
    for answer in refused:
        assert answer.status_code == 403, answer.text
        assert "正しくない送信" in answer.visible_text
        assert answer.headers["Content-Security-Policy"] == CSP
    assert SESSION in browser.cookies
    assert browser.get("/certificates").status_code == 200  # still signed in
    # The same page posted from this site with its token works; a Referer serves when there is no Origin.
    ok = browser.post("/logout", {"csrf_token": token}, origin=None,
                      headers={"Referer": "http://localhost:8000/certificates"})
    assert ok.status_code == 303 and SESSION not in browser.cookies


def test_another_sessions_token_does_not_serve(api):
    mine, theirs = signed_in(api, C1), signed_in(api, "demo-contractor-2")
    their_token = theirs.get("/certificates").field("csrf_token")
    assert mine.post("/logout", {"csrf_token": their_token}).status_code == 403


def test_login_itself_needs_the_forms_token_and_origin(api):
    browser = Browser(api)
    form = browser.get("/login")
    credentials = {"username": C1, "password": "Demo-Passw0rd!"}
    assert browser.post("/login", credentials).status_code == 403  # no token
    assert browser.submit(form, "/login", credentials, origin="https://evil.example").status_code == 403
    stranger = Browser(api)  # a token without the nonce cookie it is bound to
    assert stranger.post("/login", {**credentials, "csrf_token": form.field("csrf_token")}).status_code == 403
    assert SESSION not in browser.cookies and SESSION not in stranger.cookies


def test_portal_errors_are_html_pages_and_the_api_keeps_json(api):
    browser = signed_in(api, C1)
    not_allowed = browser.request("DELETE", "/certificates")
    assert not_allowed.status_code == 405
    assert not_allowed.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "この操作はできません" in not_allowed.visible_text
    assert '"code"' not in not_allowed.text and "Traceback" not in not_allowed.text
    wrong_type = browser.request("POST", "/logout", headers={"Content-Type": "application/json"})
    assert wrong_type.status_code == 415 and wrong_type.text.startswith("<!DOCTYPE html>")
    # The JSON API is untouched.
    response = api.request("DELETE", "/v1/certificates", user=C1)
    assert response.status_code == 405
    assert response.json_body == {"code": "method_not_allowed", "message": "このメソッドは使用できません。"}
    assert api.get("/v1/certificates/2079999999", user=C1).json_body == {
        "code": "not_found", "message": "該当する保証証書が見つかりません。"}


def test_an_unexpected_failure_is_a_page_without_a_stack_trace(api, monkeypatch):
    from chalicelib.services import listing

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(listing, "certificate_page", broken)
    page = signed_in(api, C1).get("/certificates")
    assert page.status_code == 500
    assert "エラーが発生しました" in page.visible_text
    assert "secret internals" not in page.text and "Traceback" not in page.text
    assert page.headers["Content-Security-Policy"] == CSP


def test_import_app_does_not_load_jinja2():
    probe = "import json, sys, app; print(json.dumps([m for m in ('jinja2', 'markupsafe') if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_DIR, check=True, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "ap-northeast-1"})
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
