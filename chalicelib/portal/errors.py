"""HTML error pages for the portal's paths: never the API's JSON envelope, never a stack trace."""

from __future__ import annotations

from typing import Any

from chalice import Response

TITLES = {
    400: "入力内容に誤りがあります",
    401: "ログインが必要です",
    403: "この画面を表示する権限がありません",
    404: "お探しのページが見つかりません",
    405: "この操作はできません",
    409: "他の操作と競合しました",
    415: "この形式の送信は受け付けていません",
    422: "この内容では処理できません",
    429: "しばらくしてから再度お試しください",
    500: "エラーが発生しました",
}
MESSAGES = {
    400: "入力内容をご確認ください。",
    401: "ログインしてください。",
    403: "この操作を行う権限がありません。",
    404: "指定されたページは見つかりませんでした。",
    405: "この画面ではその操作はできません。",
    415: "画面のフォームから送信してください。",
    500: "内部エラーが発生しました。時間をおいて再度お試しください。",
}
# Headers of an error worth passing on to the browser.
_KEPT_HEADERS = ("Retry-After", "Allow")


def title_for(status: int) -> str:
    return TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])


def error_page(status: int, message: str | None = None, *, headers: dict[str, Any] | None = None,
               errors: list[str] | None = None, **context: Any) -> Response:
    """The error page for `status`, with the service's Japanese message when there is one."""
    from chalicelib.portal.render import html

    kept = {k: v for k, v in (headers or {}).items() if k in _KEPT_HEADERS}
    text = message or MESSAGES.get(status) or MESSAGES[500 if status >= 500 else 400]
    if "service_name" not in context:
        from chalicelib.portal.pages import service_name

        context["service_name"] = service_name(None)
    return html("error.html", status=status, headers=kept, status_code=status, title=title_for(status),
                message=text, errors=errors or [], **context)


def from_response(response: Response) -> Response:
    """Chalice's own rejection (405, 415, an unhandled exception's 500) as a page, keeping its status."""
    headers = {str(k): v for k, v in (response.headers or {}).items()}
    return error_page(response.status_code, headers=headers)


def is_framework_error(response: Response) -> bool:
    """A Chalice-made error body (`{"Code", "Message"}`), as opposed to a page a view drew."""
    return response.status_code >= 400 and isinstance(response.body, dict)
