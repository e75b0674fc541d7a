"""What the browser tests do the same way in several flows, and the world they share."""

from __future__ import annotations

import re
from typing import Any

from scripts.demo_data import DEMO_PASSWORD

# Enough certificates beside the seed's three that the 保証工事一覧 has more than one page (tests/browser/conftest.py
# issues them on the runner).
EXTRA_CERTIFICATES = 22


def login(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the form, as a person does (labels, button)."""
    page.goto("/login")
    page.get_by_label(re.compile("ID|ユーザー")).fill(username)
    page.get_by_label(re.compile("パスワード")).fill(password)
    page.get_by_role("button", name=re.compile("ログイン")).click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"login as {username} stayed on {page.url}"


def pdf_behind(page: Any, href: str) -> bytes:
    """Fetch what a PDF link gives, with the browser's cookies. A portal route (``/certificates/{n}/pdf``) must
    answer 303 to a presigned URL; a link that is already the presigned URL is fetched as it is."""
    assert href, "the PDF link has no href"
    request = page.context.request
    if href.startswith("/"):
        first = request.get(href, max_redirects=0)
        assert first.status == 303, f"{href}: {first.status} {first.text()[:300]}"
        href = first.headers["location"]
    document = request.get(href)
    assert document.status == 200, f"{href}: {document.status}"
    return document.body()


def squeezed_cells(page: Any) -> list[dict[str, Any]]:
    """The cells of the page's tables whose text runs one character (or nearly) per line: unreadable."""
    return list(page.evaluate("""() => [...document.querySelectorAll('main table th, main table td')]
        .filter(cell => cell.innerText.trim().replace(/\\s/g, '').length >= 2)
        .map(cell => {
          // The lines its text runs on (text nodes only: a badge's own box is no line).
          const lines = new Set();
          const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const range = document.createRange();
            range.selectNodeContents(node);
            for (const r of range.getClientRects()) if (r.width > 0) lines.add(Math.round(r.top));
          }
          const chars = cell.innerText.replace(/\\s/g, '').length;
          return {text: cell.innerText.trim(), width: cell.clientWidth, lines: lines.size, chars};
        })
        .filter(c => c.lines >= c.chars * 0.6 && c.lines >= 2)"""))
