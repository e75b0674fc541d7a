"""API Gateway's greedy path parameter for Chalice's local gateway (`chalice local` and chalice.test).

On API Gateway a resource `/{proxy+}` takes every path no other resource matches, however many segments it has;
the app's fallback route answers unknown paths with a 404 there (chalicelib/handlers/fallback.py). Chalice's
local RouteMatcher matches a template only segment for segment, so `/v1/nowhere` would get its 403 "Missing
Authentication Token" instead. `install()` adds the greedy match after every other route, as API Gateway does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse


def greedy_match(route_urls: list[str], url: str) -> Any:
    """The greedy route (`.../{name+}`) whose prefix begins `url`'s path, the longest prefix first; or None."""
    from chalice.local import MatchResult

    parsed = urlparse(url)
    path = parsed.path.rstrip("/") or "/"
    greedy = sorted((r for r in route_urls if r.endswith("+}")), key=len, reverse=True)
    for route in greedy:
        prefix, _, param = route.rpartition("/{")
        if path.startswith(prefix + "/") and len(path) > len(prefix) + 1:
            # Chalice's matcher names a captured parameter with its "+" ("proxy+"): the same here.
            return MatchResult(route, {param[:-1]: path[len(prefix) + 1:]},
                               parse_qs(parsed.query, keep_blank_values=True))
    return None


def install() -> None:
    """Idempotent: Chalice's RouteMatcher tries its own matching first, then the greedy routes."""
    from chalice import local

    matcher = local.RouteMatcher
    if getattr(matcher, "greedy_installed", False):
        return
    exact = matcher.match_route

    def match_route(self: Any, url: str) -> Any:
        try:
            return exact(self, url)
        except ValueError:
            found = greedy_match(self.route_urls, url)
            if found is None:
                raise
            return found

    matcher.match_route = match_route  # type: ignore[method-assign]
    matcher.greedy_installed = True  # type: ignore[attr-defined]
