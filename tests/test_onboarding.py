"""A user created as the README says (a temporary password) logs in: the first login sets its own password
(NEW_PASSWORD_REQUIRED), against the emulated Cognito pool."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.portal import security
from chalicelib.portal.security import SESSION_COOKIE

TEMPORARY = "Temporary-Pass-1234"
CHOSEN = "Chosen-Pass-98765!"


@pytest.fixture
def new_user(bare_api):
    """A surety staff member created by an administrator with a temporary password."""
    idp = boto3.client("cognito-idp", region_name=bare_api.account.settings.region)
    pool = bare_api.account.identity.user_pool_id
    idp.admin_create_user(UserPoolId=pool, Username="new-staff", TemporaryPassword=TEMPORARY,
                          MessageAction="SUPPRESS")
    idp.admin_add_user_to_group(UserPoolId=pool, Username="new-staff", GroupName="surety")
    return bare_api


def _first_login(api):
    response = api.post("/v1/auth/login", {"username": "new-staff", "password": TEMPORARY})
    assert response.status_code == 401
    assert response.json_body["code"] == "new_password_required"
    assert response.json_body["session"]
    return response.json_body["session"]


def test_first_login_sets_a_password_then_the_user_works_with_it(new_user):
    session = _first_login(new_user)
    done = new_user.post("/v1/auth/new-password",
                         {"username": "new-staff", "session": session, "new_password": CHOSEN})
    assert done.status_code == 200, done.json_body
    assert done.json_body["role"] == "surety"
    token = done.json_body["id_token"]
    listed = new_user.get("/v1/certificates?contractor_id=contractor-1", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200, listed.json_body

    again = new_user.post("/v1/auth/login", {"username": "new-staff", "password": CHOSEN})
    assert again.status_code == 200
    old = new_user.post("/v1/auth/login", {"username": "new-staff", "password": TEMPORARY})
    assert old.status_code == 401 and old.json_body["code"] == "invalid_credentials"


def test_a_password_the_pool_refuses_names_the_field_and_the_user_can_try_again(new_user):
    session = _first_login(new_user)
    weak = new_user.post("/v1/auth/new-password",
                         {"username": "new-staff", "session": session, "new_password": "short"})
    assert weak.status_code == 400
    assert [e["field"] for e in weak.json_body["errors"]] == ["new_password"]
    assert "12文字以上" in weak.json_body["errors"][0]["message"]
    still = new_user.post("/v1/auth/login", {"username": "new-staff", "password": TEMPORARY})
    assert still.json_body["code"] == "new_password_required"  # nothing was set


def test_a_wrong_session_is_refused_and_sets_nothing(new_user):
    _first_login(new_user)
    wrong = new_user.post("/v1/auth/new-password",
                          {"username": "new-staff", "session": "not-a-session-" + "x" * 30, "new_password": CHOSEN})
    assert wrong.status_code == 401
    assert wrong.json_body["code"] == "challenge_expired"
    assert "session" not in wrong.json_body
    assert new_user.post("/v1/auth/login", {"username": "new-staff", "password": CHOSEN}).status_code == 401


def test_missing_fields_are_named(new_user):
    response = new_user.post("/v1/auth/new-password", {"username": "new-staff"})
    assert response.status_code == 400
    assert sorted(e["field"] for e in response.json_body["errors"]) == ["new_password", "session"]


def test_surety_staff_must_enrol_totp_then_answer_a_code_at_each_login(new_user, monkeypatch):
    """Deployed stages require TOTP of surety staff (APP_REQUIRE_SURETY_MFA): Cognito cannot require it of one
    group. (The emulator accepts any six digits, so a wrong code is not exercised here.)"""
    monkeypatch.setenv("APP_REQUIRE_SURETY_MFA", "1")
    session = _first_login(new_user)
    setup = new_user.post("/v1/auth/new-password",
                          {"username": "new-staff", "session": session, "new_password": CHOSEN})
    assert setup.status_code == 401
    assert setup.json_body["code"] == "mfa_setup_required"
    assert "id_token" not in setup.json_body
    assert setup.json_body["secret_code"] and setup.json_body["setup_token"]

    missing = new_user.post("/v1/auth/mfa-setup", {"setup_token": setup.json_body["setup_token"]})
    assert missing.status_code == 400 and [e["field"] for e in missing.json_body["errors"]] == ["code"]
    enrolled = new_user.post("/v1/auth/mfa-setup", {"setup_token": setup.json_body["setup_token"], "code": "123456"})
    assert enrolled.status_code == 200, enrolled.json_body

    login = new_user.post("/v1/auth/login", {"username": "new-staff", "password": CHOSEN})
    assert login.status_code == 401 and login.json_body["code"] == "mfa_required"
    expired = new_user.post("/v1/auth/mfa", {"username": "new-staff", "session": "x" * 40, "code": "123456"})
    assert expired.status_code == 401 and expired.json_body["code"] == "challenge_expired"
    done = new_user.post("/v1/auth/mfa",
                         {"username": "new-staff", "session": login.json_body["session"], "code": "123456"})
    assert done.status_code == 200, done.json_body
    assert done.json_body["role"] == "surety"
    listed = new_user.get("/v1/certificates?contractor_id=contractor-1",
                          headers={"Authorization": f"Bearer {done.json_body['id_token']}"})
    assert listed.status_code == 200


def test_other_roles_sign_in_without_totp_where_surety_staff_need_it(bare_api, monkeypatch):
    from scripts.demo_data import DEMO_PASSWORD

    monkeypatch.setenv("APP_REQUIRE_SURETY_MFA", "1")
    contractor = bare_api.post("/v1/auth/login", {"username": "demo-contractor-1", "password": DEMO_PASSWORD})
    assert contractor.status_code == 200
    surety = bare_api.post("/v1/auth/login", {"username": "demo-surety", "password": DEMO_PASSWORD})
    assert surety.status_code == 401 and surety.json_body["code"] == "mfa_setup_required"


def test_on_the_portal_the_first_login_sets_a_password_then_goes_home(new_user):
    """The clerk of a new account never needs the API: the login form leads to 「パスワードの設定」."""
    from tests.support.portal import Browser

    browser = Browser(new_user)
    form = browser.login("new-staff", TEMPORARY)
    assert form.status_code == 200 and "パスワードの設定" in form.visible_text, form.visible_text
    assert SESSION_COOKIE not in browser.cookies
    assert form.headers.get("Cache-Control") == "no-store"
    fields = {"next": form.field("next") or "/", "username": form.field("username") or "",
              "session": form.field("session") or ""}

    mismatch = browser.submit(form, "/login/new-password", {**fields, "new_password": CHOSEN,
                                                           "new_password_again": CHOSEN + "x"})
    assert mismatch.status_code == 400 and 'id="new_password_again-error"' in mismatch.text
    weak = browser.submit(mismatch, "/login/new-password", {**fields, "new_password": "short",
                                                           "new_password_again": "short"})
    assert weak.status_code == 400 and 'id="new_password-error"' in weak.text and "条件を満たす" in weak.visible_text
    # Another site cannot post it: no form token, no nonce.
    assert Browser(new_user).post("/login/new-password", {**fields, "new_password": CHOSEN,
                                                         "new_password_again": CHOSEN}).status_code == 403

    done = browser.submit(weak, "/login/new-password", {**fields, "new_password": CHOSEN,
                                                       "new_password_again": CHOSEN})
    assert done.status_code == 303, done.visible_text
    assert SESSION_COOKIE in browser.cookies
    assert Browser(new_user).login("new-staff", CHOSEN).status_code == 303  # the chosen password is the one


def test_on_the_portal_an_expired_first_login_starts_again_at_the_login(new_user):
    from tests.support.portal import Browser

    browser = Browser(new_user)
    form = browser.login("new-staff", TEMPORARY)
    stale = browser.submit(form, "/login/new-password", {
        "next": "/", "username": "new-staff", "session": "not-a-session", "new_password": CHOSEN,
        "new_password_again": CHOSEN})
    assert stale.status_code == 401 and "もう一度ログインしてください" in stale.visible_text
    assert 'action="/login"' in stale.text and SESSION_COOKIE not in browser.cookies


def test_on_the_portal_surety_staff_enrol_an_authenticator_then_log_in_with_its_code(new_user, monkeypatch):
    """Deployed stages (APP_REQUIRE_SURETY_MFA): the portal walks a new staff member through its own password,
    the authenticator's enrolment and, at every later login, the code — never the API."""
    from tests.support.portal import Browser

    monkeypatch.setenv("APP_REQUIRE_SURETY_MFA", "1")
    browser = Browser(new_user)
    form = browser.login("new-staff", TEMPORARY)
    fields = {"next": "/", "username": "new-staff", "session": form.field("session") or ""}
    setup = browser.submit(form, "/login/new-password", {**fields, "new_password": CHOSEN,
                                                        "new_password_again": CHOSEN})
    assert setup.status_code == 200 and "認証アプリの登録" in setup.visible_text, setup.visible_text
    secret = setup.field("secret_code") or ""
    assert secret and secret in setup.visible_text and SESSION_COOKIE not in browser.cookies
    assert setup.field("setup_token") is None  # the access token that enrols stays in an HttpOnly cookie
    assert security.MFA_SETUP_COOKIE in browser.cookies
    enrol = {"next": "/", "username": "new-staff", "secret_code": secret}
    empty = browser.submit(setup, "/login/mfa-setup", {**enrol, "code": ""})
    assert empty.status_code == 400 and 'id="code-error"' in empty.text
    enrolled = browser.submit(empty, "/login/mfa-setup", {**enrol, "code": "123456"})
    assert enrolled.status_code == 200 and "認証アプリを登録しました" in enrolled.visible_text
    assert SESSION_COOKIE not in browser.cookies and security.MFA_SETUP_COOKIE not in browser.cookies

    asked = browser.login("new-staff", CHOSEN)
    assert asked.status_code == 200 and "ワンタイムコードの入力" in asked.visible_text
    assert SESSION_COOKIE not in browser.cookies
    done = browser.submit(asked, "/login/mfa", {"next": "/", "username": "new-staff",
                                                 "session": asked.field("session") or "", "code": "123456"})
    assert done.status_code == 303 and SESSION_COOKIE in browser.cookies
    assert browser.get("/console").status_code == 200  # the surety's console
