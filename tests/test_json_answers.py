"""Every /v1 answer is UTF-8 JSON with its charset and no `\\uXXXX` escapes, errors included (issue 22, item 4);
a text body (the CSV) keeps its own type, and no JSON answer is mistaken for a binary one by API Gateway."""

from __future__ import annotations

import json

from chalice import Response

from tests.support.api import CONTRACTOR, SURETY, issue
from tests.support.world import issue_body

JSON_UTF8 = "application/json; charset=utf-8"


def assert_plain_json(response, *texts: str) -> None:
    assert response.headers["Content-Type"] == JSON_UTF8, (response.status_code, response.headers)
    assert b"\\u" not in response.body, response.body[:300]
    for text in texts:
        assert text.encode("utf-8") in response.body, (text, response.body[:300])
    json.loads(response.body.decode("utf-8"))


def test_answers_and_errors_are_utf8_json_without_escapes(api):
    number = issue(api)
    assert_plain_json(api.get(f"/v1/certificates/{number}", user=CONTRACTOR), issue_body()["project_name"])
    assert_plain_json(api.get("/v1/certificates", user=CONTRACTOR), "境港市長")
    assert_plain_json(api.get("/v1/health"))

    # A validation error names the field in Japanese; the answer the app's own errors and Chalice's give alike.
    invalid = api.post("/v1/guarantees", issue_body(guarantee_amount=0), user=SURETY,
                       headers={"Idempotency-Key": "utf8-invalid"})
    assert invalid.status_code == 400
    assert_plain_json(invalid, "保証金額")
    assert_plain_json(api.get("/v1/certificates/2079999999", user=CONTRACTOR), "見つかりません")
    assert_plain_json(api.get("/v1/certificates"), "ログイン")  # 401
    assert_plain_json(api.request("DELETE", "/v1/certificates", user=CONTRACTOR), "メソッド")  # Chalice's 405
    assert_plain_json(api.request("POST", "/v1/auth/login", raw_body="x", headers={"Content-Type": "text/plain"}),
                      "Content-Type")  # Chalice's 415

    # The CSV download is text of its own type, untouched.
    csv = api.get("/v1/certificates?format=csv", user=CONTRACTOR)
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv"), csv.headers
    assert "境港市長".encode() in csv.body


def test_a_json_answer_is_text_to_api_gateway_and_a_lone_surrogate_stays_valid_json():
    from app import app
    from chalicelib.http import utf8_json

    answer = utf8_json(Response(body={"message": "該当する保証証書が見つかりません。"})).to_dict(app.api.binary_types)
    assert "isBase64Encoded" not in answer and answer["body"] == '{"message":"該当する保証証書が見つかりません。"}'
    assert answer["headers"]["Content-Type"] == JSON_UTF8

    echoed = utf8_json(Response(body={"field": "\ud800", "message": "受け付けない項目です"}))
    assert json.loads(echoed.body) == {"field": "\ud800", "message": "受け付けない項目です"}
    echoed.body.encode("utf-8")  # what chalice local and API Gateway must be able to send
