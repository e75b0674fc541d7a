"""A browser without a browser: the Chalice test client with a cookie jar and form posts, for the portal."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

from scripts.demo_data import DEMO_PASSWORD
from tests.support.api import CONTRACTOR, OTHER_CONTRACTOR

ORIGIN = "http://localhost:8000"  # the local stage's portal URL (APP_PORTAL_URL's default)
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
C1, C2 = CONTRACTOR, OTHER_CONTRACTOR  # the two contractors, short for the portal's many two-user checks


@dataclass
class Page:
    status_code: int
    headers: dict[str, Any]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location") or self.headers.get("location") or ""

    @property
    def set_cookies(self) -> list[str]:
        value = self.headers.get("Set-Cookie") or self.headers.get("set-cookie") or []
        return [value] if isinstance(value, str) else list(value)

    def field(self, name: str) -> str | None:
        """The value of the form field `name` (first one on the page)."""
        match = re.search(r'name="' + re.escape(name) + r'"[^>]*?value="([^"]*)"', self.text)
        return html.unescape(match.group(1)) if match else None

    @property
    def visible_text(self) -> str:
        """The page's text with tags removed and whitespace collapsed, as a reader sees it."""
        body = re.sub(r"<(script|style)\b.*?</\1>", " ", self.text, flags=re.S)
        body = re.sub(r"<[^>]+>", " ", body)
        return " ".join(html.unescape(body).split())


@dataclass
class Browser:
    """One user's browser: keeps the cookies the portal sets and sends them back."""

    api: Any
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                headers: dict[str, str] | None = None, origin: str | None = ORIGIN) -> Page:
        sent: dict[str, str] = {}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            if origin is not None:
                sent["Origin"] = origin
            body = urlencode(form or {})
        sent.update(headers or {})
        response = self.api.client.http.request(method, path, headers=sent, body=body)
        page = Page(response.status_code, dict(response.headers), response.body.decode("utf-8"))
        for raw in page.set_cookies:
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return page

    def get(self, path: str, **kw: Any) -> Page:
        return self.request("GET", path, **kw)

    def post(self, path: str, form: dict[str, str] | None = None, **kw: Any) -> Page:
        return self.request("POST", path, form=form, **kw)

    def submit(self, page: Page, action: str, form: dict[str, str] | None = None, **kw: Any) -> Page:
        """Post a form of `page` as a browser would: with the page's CSRF token."""
        return self.post(action, {"csrf_token": page.field("csrf_token") or "", **(form or {})}, **kw)

    def login(self, username: str, password: str = DEMO_PASSWORD, next_path: str | None = None) -> Page:
        form_page = self.get("/login" + (f"?{urlencode({'next': next_path})}" if next_path else ""))
        assert form_page.status_code == 200, form_page.text
        return self.submit(form_page, "/login", {"username": username, "password": password,
                                                 "next": form_page.field("next") or "/"})


def signed_in(api: Any, username: str) -> Browser:
    browser = Browser(api)
    page = browser.login(username)
    assert page.status_code == 303, page.text
    return browser


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")
