"""Unknown paths and the site's icon (issue 21 item 10): the portal answers an HTML 404 page, /v1 the JSON
envelope, locally as on API Gateway (the greedy /{proxy+} route, chalicelib/handlers/fallback.py; chalice's local
gateway learns it from scripts/local_gateway.py); the icon is served and linked from every page."""

from __future__ import annotations

import json

import pytest

from scripts.local_gateway import greedy_match
from tests.support.portal import C1, Browser, signed_in


def test_an_unknown_portal_path_is_the_html_404_page(api):
    for path in ("/nowhere", "/certificates/2070500001/nowhere", "/a/b/c/d", "/verify/x"):
        page = Browser(api).get(path)
        assert page.status_code == 404, path
        assert page.headers["Content-Type"].startswith("text/html"), path
        assert "お探しのページが見つかりません" in page.visible_text, path
        assert "指定されたページは見つかりませんでした" in page.visible_text, path
        assert "Missing Authentication Token" not in page.text and '"code"' not in page.text, path


def test_a_signed_in_user_gets_the_404_page_too(api):
    page = signed_in(api, C1).get("/certificates-old")
    assert page.status_code == 404 and "お探しのページが見つかりません" in page.visible_text


@pytest.mark.parametrize("path", ["/v1/nowhere", "/v1/certificates/2070500001/nowhere", "/v1"])
def test_an_unknown_api_path_is_the_json_404(api, path):
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):  # one account for the five: its set-up is the cost
        response = api.client.http.request(method, path, headers={"Content-Type": "application/json"},
                                           body=b"{}" if method in ("POST", "PUT", "PATCH") else b"")
        assert response.status_code == 404, (method, path)
        body = json.loads(response.body)
        assert body == {"code": "not_found", "message": "指定されたURLは存在しません。"}, (method, path)
        assert response.headers["Cache-Control"] == "no-store", (method, path)


def test_known_routes_still_win(api):
    assert api.client.http.get("/v1/health").status_code == 200
    assert Browser(api).get("/login").status_code == 200
    # A known path with a method it does not take is still 405 (not the fallback's 404).
    assert api.client.http.request("DELETE", "/v1/health").status_code == 405


def test_the_greedy_match_takes_only_what_no_other_route_does():
    routes = ["/v1/health", "/{proxy+}"]
    found = greedy_match(routes, "/v1/a/b?x=1")
    assert found.route == "/{proxy+}" and found.captured == {"proxy+": "v1/a/b"} and found.query_params == {"x": ["1"]}
    assert greedy_match(["/v1/health"], "/v1/a") is None
    assert greedy_match(routes, "/") is None


def test_the_icon_is_served_and_linked(api):
    browser = Browser(api)
    icon = browser.get("/favicon.svg")
    assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/svg+xml"
    assert icon.text.startswith("<svg") and "<script" not in icon.text
    legacy = browser.get("/favicon.ico")
    assert legacy.status_code == 303 and legacy.location == "/favicon.svg"
    for page in (browser.get("/login"), browser.get("/nowhere"), signed_in(api, C1).get("/certificates")):
        assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in page.text
