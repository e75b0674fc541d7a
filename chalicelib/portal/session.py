"""The portal's common screens: login, logout, the home redirect by role, and the stylesheet."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.adapters.identity import (
    CODE_RULES,
    NEW_PASSWORD_RULES,
    InvalidNewPassword,
    SignIn,
    WrongCode,
    answer_totp,
    complete_new_password,
    enrol_totp,
    sign_in,
)
from chalicelib.errors import Unauthorized
from chalicelib.http import Blueprint
from chalicelib.portal import security
from chalicelib.portal.pages import FORM_CONTENT_TYPES, HOME, PortalCall, check_post, page

bp = Blueprint(__name__)

EXPIRED_MESSAGE = "ログインの有効期限が切れました。再度ログインしてください。"


def _login_form(call: PortalCall, *, status: int = 200, next_path: str = "/", username: str = "",
                message: str | None = None, field_errors: dict[str, str] | None = None,
                notice: str | None = None, ending_mfa_setup: bool = False) -> Response:
    """The login form with a fresh nonce cookie and the form token bound to it; `notice` says what went well.
    `ending_mfa_setup`: the enrolment's token cookie is cleared too."""
    nonce = security.new_nonce()
    cookies = [security.login_nonce_cookie(nonce)]
    if ending_mfa_setup:
        cookies.append(security.clear_mfa_setup_cookie())
    return call.page(
        "login.html",
        status=status,
        headers={"Set-Cookie": cookies},
        login_csrf=security.csrf_token(security.login_binding(nonce)),
        next_path=next_path,
        username=username,
        message=message,
        notice=notice,
        field_errors=field_errors or {},
    )


@bp.route("/login", methods=["GET"])
@page(bp)
def login_page(call: PortalCall) -> Response:
    expired = call.params.get("expired") == "1"
    return _login_form(call, next_path=security.safe_next(call.params.get("next")),
                       message=EXPIRED_MESSAGE if expired else None)


@bp.route("/login", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page(bp)
def login_submit(call: PortalCall) -> Response:
    nonce = security.cookies(call.request.headers).get(security.LOGIN_NONCE_COOKIE)
    check_post(call, security.login_binding(nonce) if nonce else None)
    form = call.form
    next_path = security.safe_next(form.get("next"))
    username = form.get("username", "").strip()
    password = form.get("password", "")
    errors = {}
    if not username:
        errors["username"] = "ユーザーIDを入力してください。"
    if not password:
        errors["password"] = "パスワードを入力してください。"
    if errors:
        return _login_form(call, status=400, next_path=next_path, username=username, field_errors=errors,
                           message="入力内容に誤りがあります。")
    try:
        signed_in = sign_in(username, password)
    except Unauthorized as exc:
        return _challenge_or_login(call, exc, nonce, username, next_path)
    return _signed_in(signed_in, next_path)


def _challenge_or_login(call: PortalCall, exc: Unauthorized, nonce: str | None, username: str,
                        next_path: str) -> Response:
    """What a login Cognito did not finish asks for next: the user's own password, an authenticator app to
    enrol (surety staff on deployed stages), or its code; anything else is the login form with the reason."""
    extra = exc.extra_body
    if nonce and exc.code == "new_password_required":
        return _new_password_form(call, nonce, username, extra["session"], next_path)
    if nonce and exc.code == "mfa_required":
        return _challenge_form(call, "mfa.html", nonce, next_path, username=username,
                               challenge_session=extra["session"])
    if nonce and exc.code == "mfa_setup_required":
        # The enrolment's token is a Cognito access token: it rides in an HttpOnly cookie, never in the page.
        return _challenge_form(call, "mfa_setup.html", nonce, next_path, username=username,
                               secret_code=extra["secret_code"],
                               headers={"Set-Cookie": security.mfa_setup_cookie(extra["setup_token"])})
    return _login_form(call, status=401, next_path=next_path, username=username, message=exc.message)


def _challenge_form(call: PortalCall, template: str, nonce: str, next_path: str, *, status: int = 200,
                    message: str | None = None, field_errors: dict[str, str] | None = None,
                    headers: dict[str, Any] | None = None, **values: Any) -> Response:
    """A step of the login after the password; its form token stays bound to the login nonce."""
    return call.page(template, status=status, headers=headers,
                     login_csrf=security.csrf_token(security.login_binding(nonce)),
                     next_path=next_path, message=message, field_errors=field_errors or {}, **values)


def _login_post(call: PortalCall) -> tuple[str, dict[str, str], str]:
    """(nonce, form, next path) of a POST of the login's steps, refused (403) without this site's form token."""
    nonce = security.cookies(call.request.headers).get(security.LOGIN_NONCE_COOKIE)
    check_post(call, security.login_binding(nonce) if nonce else None)
    assert nonce is not None  # check_post refused a post without it
    return nonce, call.form, security.safe_next(call.form.get("next"))


CODE_MESSAGE = f"{CODE_RULES}。"
REFUSED_PASSWORD = "このパスワードは設定できません。条件を満たすパスワードを入力してください。"


@bp.route("/login/mfa", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page(bp)
def mfa_submit(call: PortalCall) -> Response:
    nonce, form, next_path = _login_post(call)
    username, session, code = form.get("username", ""), form.get("session", ""), form.get("code", "").strip()
    try:
        if not code:
            raise WrongCode()
        signed_in = answer_totp(username, session, code)
    except WrongCode:
        return _challenge_form(call, "mfa.html", nonce, next_path, status=400, message="入力内容に誤りがあります。",
                               field_errors={"code": CODE_MESSAGE}, username=username, challenge_session=session)
    except Unauthorized as exc:
        return _login_form(call, status=401, next_path=next_path, username=username, message=exc.message)
    return _signed_in(signed_in, next_path)


@bp.route("/login/mfa-setup", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page(bp)
def mfa_setup_submit(call: PortalCall) -> Response:
    nonce, form, next_path = _login_post(call)
    username, code = form.get("username", ""), form.get("code", "").strip()
    token = security.cookies(call.request.headers).get(security.MFA_SETUP_COOKIE, "")
    try:
        if not code:
            raise WrongCode()
        enrol_totp(token, code)
    except WrongCode:
        return _challenge_form(call, "mfa_setup.html", nonce, next_path, status=400,
                               message="入力内容に誤りがあります。", field_errors={"code": CODE_MESSAGE},
                               username=username, secret_code=form.get("secret_code", ""))
    except Unauthorized as exc:
        return _login_form(call, status=401, next_path=next_path, username=username, message=exc.message,
                           ending_mfa_setup=True)
    return _login_form(call, next_path=next_path, username=username, ending_mfa_setup=True,
                       notice="認証アプリを登録しました。パスワードとワンタイムコードで、もう一度ログインしてください。")


def _signed_in(signed_in: SignIn, next_path: str) -> Response:
    from chalicelib.portal.render import redirect

    target = next_path if next_path != "/" else HOME.get(signed_in.principal.role, "/")
    return redirect(target, headers={"Set-Cookie": [
        security.session_cookie(signed_in.id_token),
        security.clear_login_nonce_cookie(),
    ]})


def _new_password_form(call: PortalCall, nonce: str, username: str, session: str, next_path: str, *,
                       status: int = 200, message: str | None = None,
                       field_errors: dict[str, str] | None = None) -> Response:
    """The first login of a user the surety created with a temporary password: it chooses its own. Cognito's
    session (minutes long, bound to this user) rides in the form; the form token stays bound to the login
    nonce, so another site cannot post it."""
    return call.page(
        "new_password.html",
        status=status,
        login_csrf=security.csrf_token(security.login_binding(nonce)),
        next_path=next_path,
        username=username,
        challenge_session=session,
        rules=NEW_PASSWORD_RULES,
        message=message,
        field_errors=field_errors or {},
    )


@bp.route("/login/new-password", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page(bp)
def new_password_submit(call: PortalCall) -> Response:
    nonce, form, next_path = _login_post(call)
    username, session = form.get("username", ""), form.get("session", "")
    password, again = form.get("new_password", ""), form.get("new_password_again", "")
    errors = {}
    if not password:
        errors["new_password"] = "新しいパスワードを入力してください。"
    if password != again:
        errors["new_password_again"] = "確認のため、同じパスワードをもう一度入力してください。"
    if errors:
        return _new_password_form(call, nonce, username, session, next_path, status=400, field_errors=errors,
                                  message="入力内容に誤りがあります。")
    try:
        signed_in = complete_new_password(username, session, password)
    except InvalidNewPassword:
        return _new_password_form(call, nonce, username, session, next_path, status=400,
                                  field_errors={"new_password": REFUSED_PASSWORD},
                                  message="入力内容に誤りがあります。")
    except Unauthorized as exc:  # an expired session, or the next step (surety staff: enrol TOTP)
        return _challenge_or_login(call, exc, nonce, username, next_path)
    return _signed_in(signed_in, next_path)


@bp.route("/logout", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page(bp)
def logout(call: PortalCall) -> Response:
    """Clears the session cookie. The form token is bound to the cookie's token itself (valid or expired),
    so a stale page can still log out, but another site cannot."""
    from chalicelib.portal.render import redirect

    token = security.cookies(call.request.headers).get(security.SESSION_COOKIE)
    if token:
        check_post(call, security.session_binding(token))
    return redirect("/login", headers={"Set-Cookie": security.clear_session_cookie()})


@bp.route("/", methods=["GET"])
@page(bp, "contractor", "obligee", "surety")
def home(call: PortalCall) -> Response:
    from chalicelib.portal.render import redirect

    assert call.principal is not None
    return redirect(HOME[call.principal.role])


@bp.route("/portal.css", methods=["GET"])
def stylesheet() -> Response:
    from chalicelib.portal.render import css_response

    return css_response()


@bp.route("/favicon.svg", methods=["GET"])
def favicon() -> Response:
    from chalicelib.portal.render import favicon_response

    return favicon_response()


@bp.route("/favicon.ico", methods=["GET"])
def favicon_ico() -> Response:
    """Where browsers look for an icon without asking the page: to the SVG one."""
    from chalicelib.portal.render import redirect

    return redirect("/favicon.svg", headers={"Cache-Control": "public, max-age=86400"})

