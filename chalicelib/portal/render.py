"""Templates and the CSS. Jinja2 is imported on the first page drawn, never on the import path of app.py."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.portal.security import COMMON_HEADERS, HTML_HEADERS

if TYPE_CHECKING:
    import jinja2

_HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(_HERE, "templates")
STYLESHEET = os.path.join(_HERE, "static", "portal.css")
FAVICON = os.path.join(_HERE, "static", "favicon.svg")


@functools.cache
def environment() -> jinja2.Environment:
    import jinja2

    from chalicelib.portal.filters import FILTERS

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template: a 工事名 of <script> prints as text
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    return env


def render(template: str, **context: Any) -> str:
    """The template with `names`, the stage's service names (config.service_names), read for this request."""
    from chalicelib.config import service_names

    context.setdefault("names", service_names())
    return environment().get_template(template).render(**context)


def html(template: str, status: int = 200, headers: dict[str, Any] | None = None, **context: Any) -> Response:
    """A page with the portal's headers (CSP, no-store, ...); `headers` may add to them (e.g. Set-Cookie)."""
    return Response(body=render(template, **context), status_code=status, headers={**HTML_HEADERS, **(headers or {})})


def redirect(location: str, headers: dict[str, Any] | None = None) -> Response:
    """303 See Other: after a POST, and for links that lead elsewhere (a presigned PDF)."""
    return Response(body="", status_code=303,
                    headers={"Location": location, "Cache-Control": "no-store", **COMMON_HEADERS, **(headers or {})})


@functools.cache
def static_text(path: str) -> str:
    """A file of static/ (the stylesheet, the icon), read once per process."""
    with open(path, encoding="utf-8") as f:
        return f.read()


def css_response() -> Response:
    return _static(static_text(STYLESHEET), "text/css; charset=utf-8")


def favicon_response() -> Response:
    """The site's icon: SVG, text, so API Gateway passes it through as any page."""
    return _static(static_text(FAVICON), "image/svg+xml")


def _static(body: str, content_type: str) -> Response:
    return Response(body=body, status_code=200, headers={
        "Content-Type": content_type,
        "Cache-Control": "public, max-age=3600",
        **COMMON_HEADERS,
    })
