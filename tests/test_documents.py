"""The PDFs: the certificate of each version stored once in a private bucket, the key
notice made on request, both handed out only as short-lived presigned links that name exactly one object.

moto serves a presigned GET whatever its signature and age; `s3_checks_presigned_links` adds real S3's
check to the emulator (never to the service), so that a tampered or expired link fails here as it would on AWS.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import boto3
import pytest
import time_machine
from botocore.config import Config
from pypdf import PdfReader

from chalicelib.domain.wareki import format_wareki
from tests.support.api import CONTRACTOR, SURETY, UNKNOWN_NUMBER, events_of
from tests.support.stored import certificate_object, fetch, pdf_text, s3_client
from tests.support.world import sent_emails

LINK_MAX_SECONDS = 300


# --- real S3's check of a presigned GET, added to the emulator ------------------------------------------

def _sigv4(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def presigned_refusal(url: str, now: datetime) -> tuple[int, str] | None:
    """(status, S3 error code) with which S3 refuses this presigned GET, or None when it serves it.

    Written from the SigV4 query-authentication spec, not with botocore's signer, so it checks the service's
    links independently: the signature covers the host, the path (the object's key) and every query
    parameter, and the link is dead once X-Amz-Date + X-Amz-Expires has passed.
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        return 400, "InvalidRequest"  # SigV2 ("Signature=&Expires="): refused by buckets made since 2020
    given = query.pop("X-Amz-Signature", "")
    expires = int(query["X-Amz-Expires"])
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if not 1 <= expires <= 604800:
        return 400, "AuthorizationQueryParametersError"
    if now > signed_at + timedelta(seconds=expires):
        return 403, "AccessDenied"  # "Request has expired"
    key_id, day, region, service, terminator = query["X-Amz-Credential"].split("/")
    if key_id != os.environ["AWS_ACCESS_KEY_ID"]:
        return 403, "InvalidAccessKeyId"
    if query["X-Amz-SignedHeaders"] != "host":
        return 403, "SignatureDoesNotMatch"  # this checker only knows links that sign the host alone
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())
    )
    canonical_request = "\n".join(
        ["GET", parts.path or "/", canonical_query, f"host:{parts.netloc}", "", "host", "UNSIGNED-PAYLOAD"]
    )
    scope = f"{day}/{region}/{service}/{terminator}"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", query["X-Amz-Date"], scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    signing_key = ("AWS4" + os.environ["AWS_SECRET_ACCESS_KEY"]).encode()
    for part in (day, region, service, terminator):
        signing_key = _sigv4(signing_key, part)
    expected = hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        return 403, "SignatureDoesNotMatch"
    return None


@pytest.fixture
def s3_checks_presigned_links(monkeypatch):
    """Make moto's S3 refuse presigned GETs as S3 does (moto 5 checks neither signature nor expiry)."""
    from moto.s3.responses import S3Response

    original = S3Response._key_response

    def key_response(self, request, full_url):  # noqa: ANN001, ANN202
        url = getattr(request, "url", full_url)
        if "Authorization" not in request.headers and "Signature=" in url:
            refusal = presigned_refusal(url, datetime.now(UTC))
            if refusal is not None:
                status, code = refusal
                body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code></Error>'
                return status, {"Content-Type": "application/xml"}, body
        return original(self, request, full_url)

    monkeypatch.setattr(S3Response, "_key_response", key_response)


def test_the_link_checker_refuses_what_s3_refuses(monkeypatch):
    """The emulator's added check itself: a link from boto3 passes; tampering, age, SigV2 do not."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    s3 = boto3.client("s3", region_name="ap-northeast-1", config=Config(signature_version="s3v4"))
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "b-1", "Key": "a/b.pdf"}, ExpiresIn=300)
    signed_at = datetime.strptime(dict(parse_qsl(urlsplit(url).query))["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    signed_at = signed_at.replace(tzinfo=UTC)
    assert presigned_refusal(url, signed_at) is None
    assert presigned_refusal(url, signed_at + timedelta(seconds=300)) is None
    assert presigned_refusal(url, signed_at + timedelta(seconds=301)) == (403, "AccessDenied")
    assert presigned_refusal(url.replace("/a/b.pdf", "/a/c.pdf"), signed_at) == (403, "SignatureDoesNotMatch")
    assert presigned_refusal(url.replace("X-Amz-Expires=300", "X-Amz-Expires=30"), signed_at)[1] == (
        "SignatureDoesNotMatch")
    assert presigned_refusal(url + "&versionId=1", signed_at) == (403, "SignatureDoesNotMatch")
    v2 = boto3.client("s3", region_name="ap-northeast-1", config=Config(signature_version="s3"))
    legacy = v2.generate_presigned_url("get_object", Params={"Bucket": "b-1", "Key": "a/b.pdf"}, ExpiresIn=300)
    assert presigned_refusal(legacy, signed_at) == (400, "InvalidRequest")


def test_the_link_checker_agrees_with_the_aws_documentation_example(monkeypatch):
    """The example of S3's "Authenticating Requests: Using Query Parameters (SigV4)" page, verbatim."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    url = ("https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
           "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
           "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
           "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    at = datetime(2013, 5, 24, 12, tzinfo=UTC)
    assert presigned_refusal(url, at) is None
    assert presigned_refusal(url.replace("test.txt", "test.pdf"), at) == (403, "SignatureDoesNotMatch")
    assert presigned_refusal(url, datetime(2013, 5, 25, 0, 0, 1, tzinfo=UTC)) == (403, "AccessDenied")


# --- helpers ---------------------------------------------------------------------------------------------

def link_target(url: str) -> tuple[str, str, dict[str, str]]:
    """(bucket, key, query) a presigned link names, for virtual-hosted and path-style addresses."""
    parts = urlsplit(url)
    host = parts.netloc.split(":")[0]
    path = unquote(parts.path)
    if ".s3." in host:
        bucket, key = host.split(".s3.")[0], path.lstrip("/")
    else:
        bucket, _, key = path.lstrip("/").partition("/")
    return bucket, key, dict(parse_qsl(parts.query))


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """The formatted log text plus every record's attributes (structured `extra=` fields included)."""
    return caplog.text + "\n".join(repr(vars(r)) for r in caplog.records)


def assert_no_link_leaked(caplog: pytest.LogCaptureFixture, urls: list[str]) -> None:
    logged = everything_logged(caplog)
    assert caplog.records and sent_emails()  # something was logged and mailed, so the check is not vacuous
    mails = json.dumps([vars(m) if hasattr(m, "__dict__") else str(m) for m in sent_emails()],
                       ensure_ascii=False, default=str)
    for text in (logged, mails):
        assert "X-Amz-Signature" not in text
        for url in urls:
            assert urlsplit(url).query not in text


# --- the certificate PDF ---------------------------------------------------------------------------------

def test_certificate_pdf_is_stored_once_per_version_in_a_private_bucket(api):
    number = api.issue().json_body["contract_number"]
    s3 = s3_client()
    bucket = api.account.settings.bucket
    key = certificate_object(number)

    # Stored right after the issue, before anyone asked for it.
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentType"] == "application/pdf"
    assert head["ServerSideEncryption"] == "AES256"
    original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert original.startswith(b"%PDF-")

    # The bucket: versioned, encrypted by default, never public, key notices expire.
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
    }
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    lifecycle = next(r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
                     if r["Filter"] == {"Prefix": "key-notices/"})
    assert lifecycle["Status"] == "Enabled"
    assert lifecycle["Expiration"] == {"Days": 1}
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1

    # Asking for links (twice, by both roles) never writes the version again.
    for user in (CONTRACTOR, SURETY, CONTRACTOR):
        assert api.get(f"/v1/certificates/{number}/pdf", user=user).status_code == 200
    listed = s3.list_object_versions(Bucket=bucket, Prefix=key)
    assert [v["VersionId"] for v in listed["Versions"]] == [head["VersionId"]]
    assert not listed.get("DeleteMarkers")

    # Lost (deleted): the next request repairs it: the same rendered bytes but for the moment it was made (rendering
    # is deterministic; the CreationDate is the new signing time), signed anew (a signature carries its signing time,
    # so only the revision before it is compared).
    s3.delete_object(Bucket=bucket, Key=key)
    response = api.get(f"/v1/certificates/{number}/pdf", user=CONTRACTOR)
    assert response.status_code == 200, response.json_body
    repaired = s3.get_object(Bucket=bucket, Key=key)
    repaired_bytes = repaired["Body"].read()
    def undated(data: bytes) -> bytes:
        return re.sub(rb"D:[0-9]{14}\+09'00'", b"D:", data.split(b"%%EOF")[0])

    assert undated(repaired_bytes) == undated(original)
    assert repaired["ContentType"] == "application/pdf" and repaired["ServerSideEncryption"] == "AES256"
    assert fetch(response.json_body["url"]).content == repaired_bytes
    listed = s3.list_object_versions(Bucket=bucket, Prefix=key)
    assert len(listed["Versions"]) == 2 and len(listed["DeleteMarkers"]) == 1
    assert s3.head_object(Bucket=bucket, Key=key)["VersionId"] != head["VersionId"]


def test_pdf_link_is_short_lived_names_one_object_and_only_its_readers_get_it(
        api, s3_checks_presigned_links, caplog):
    caplog.set_level(logging.DEBUG)
    number = api.issue().json_body["contract_number"]
    other = api.issue(contractor_id="contractor-2", project_name="□□川護岸工事").json_body["contract_number"]
    s3 = s3_client()
    bucket = api.account.settings.bucket
    stored = s3.get_object(Bucket=bucket, Key=certificate_object(number))["Body"].read()

    urls = []
    for user in (CONTRACTOR, SURETY):
        response = api.get(f"/v1/certificates/{number}/pdf", user=user)
        assert response.status_code == 200, response.json_body
        body = response.json_body
        assert body["version"] == 1 and body["contract_number"] == number
        assert 0 < body["expires_in"] <= LINK_MAX_SECONDS
        url = body["url"]
        urls.append(url)
        link_bucket, link_key, query = link_target(url)
        # Exactly this object: no version id, no response-header overrides, SigV4 for at most 300 s.
        assert (link_bucket, link_key) == (bucket, certificate_object(number))
        signing = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
                   "X-Amz-Signature"}
        assert signing <= set(query) <= signing | {"X-Amz-Security-Token"}
        assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
        assert int(query["X-Amz-Expires"]) == body["expires_in"] <= LINK_MAX_SECONDS
        fetched = fetch(url)
        assert fetched.status_code == 200
        assert fetched.content.startswith(b"%PDF") and fetched.content == stored

    url = urls[0]
    # The same link with another object's key in its path: the signature no longer matches.
    swapped = url.replace(f"/{certificate_object(number)}?", f"/{certificate_object(other)}?")
    assert swapped != url
    refused = fetch(swapped)
    assert refused.status_code == 403 and b"SignatureDoesNotMatch" in refused.content
    # Still good just before the end of its life, dead after it.
    signed_at = datetime.strptime(link_target(url)[2]["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    with time_machine.travel(signed_at + timedelta(seconds=LINK_MAX_SECONDS - 5), tick=False):
        assert fetch(url).content == stored
    with time_machine.travel(signed_at + timedelta(seconds=LINK_MAX_SECONDS + 1), tick=False):
        expired = fetch(url)
    assert expired.status_code == 403 and b"AccessDenied" in expired.content

    # ?version=k picks a version; one that does not exist is a 404.
    assert api.get(f"/v1/certificates/{number}/pdf?version=1", user=CONTRACTOR).json_body["version"] == 1
    assert api.get(f"/v1/certificates/{number}/pdf?version=2", user=CONTRACTOR).status_code == 404
    assert api.get(f"/v1/certificates/{number}/pdf?version=x", user=CONTRACTOR).status_code == 400

    # Another contractor's certificate answers exactly as an unknown number; owners use verification.
    foreign = api.get(f"/v1/certificates/{number}/pdf", user="demo-contractor-2")
    unknown = api.get(f"/v1/certificates/{UNKNOWN_NUMBER}/pdf", user="demo-contractor-2")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json_body == unknown.json_body
    assert api.get(f"/v1/certificates/{number}/pdf", user="demo-sakaiminato").status_code == 403
    assert api.get(f"/v1/certificates/{number}/pdf").status_code == 401

    # Audited with the version and who asked, never with the link.
    issued = [e for e in events_of(api, number) if e["type"] == "pdf_issued"]
    assert {(e["actor"], e["role"]) for e in issued} == {(CONTRACTOR, "contractor"), (SURETY, "surety")}
    assert len(issued) == 3  # the two links above and ?version=1; refused requests are not pdf_issued
    assert all(e["detail"] == {"version": 1} and e["result"] == "ok" for e in issued)
    from chalicelib.store.models import AuditEvent

    stored_events = json.dumps([e.attribute_values for e in AuditEvent.scan()], default=str, ensure_ascii=False)
    for text in (json.dumps(issued), stored_events):
        assert "X-Amz-Signature" not in text and "amazonaws" not in text
    assert_no_link_leaked(caplog, urls)


def yen(amount: int) -> str:
    return f"{amount:,} 円"


def wareki(iso: str) -> str:
    return format_wareki(date.fromisoformat(iso))


def printed_head(detail: dict[str, Any]) -> list[str]:
    """The certificate's lines down to the surety's statement, as the JSON says they must read: issue date,
    heading, then each table row's label followed by its value line(s), in print order."""
    rows = [
        ("保証契約番号", [detail["contract_number"]]),
        ("保証契約者", [detail["contractor"]["address"], f"{detail['contractor']['name']} 様"]),
        ("被保証者", [f"{detail['obligee']['name']} 様"]),
        ("保証金額(総額)", [yen(detail["guarantee_amount"])]),
        ("保証期間", [wareki(detail["guarantee_period_end"])]),
        ("工期末日", [wareki(detail["completion_date"])]),
        ("工事名", [detail["project_name"]]),
        ("請負金額(総額)", [yen(detail["contract_amount_total"])]),
    ]
    if detail["deposit_bank"] is not None:
        rows.append(("預託金融機関", [detail["deposit_bank"]]))
    heading = f"保証証書 ({detail['guarantee_type_name']})" + (" (変更)" if detail["amended"] else "")
    name = detail["guarantee_type_name"]
    statement = f"当会社は、{name}契約に基づき上記のとおり{name}契約を締結し、その責に任じます。"
    return [wareki(detail["issued_on"]), heading, *(line for label, values in rows for line in [label, *values]),
            statement]  # the statement may wrap: compare it joined


def test_printed_certificate_says_what_the_json_says(api):
    cases = [
        api.issue(),  # 前払金保証 to 境港市
        api.issue(guarantee_type="intermediate_advance_payment", guarantee_amount=20_000_000,
                  contract_amount_total=123_456_789, contract_amount_covered=100_000_000,
                  completion_date="2026-01-05", guarantee_period_end="2026-02-10"),
        api.issue(guarantee_type="performance", guarantee_amount=12_500_000, deposit_bank=None,
                  obligee_id="pref-demo", contractor_id="contractor-2", project_name="○○県道 改良工事(第2工区)"),
    ]
    for issued in cases:
        assert issued.status_code == 201, issued.json_body
        number = issued.json_body["contract_number"]
        detail = api.get(f"/v1/certificates/{number}", user=SURETY).json_body
        link = api.get(f"/v1/certificates/{number}/pdf", user=SURETY).json_body
        assert link["version"] == detail["version"] == 1
        text = pdf_text(fetch(link["url"]).content)
        *expected, statement = printed_head(detail)
        lines = text.splitlines()
        assert lines[: len(expected)] == expected, number
        assert "".join(lines[len(expected):]).startswith(statement), number
        assert api.account.settings.surety.name in text.splitlines()
        if detail["guarantee_type"] == "performance":
            assert detail["deposit_bank"] is None and "預託金融機関" not in text
        else:
            assert detail["deposit_bank"] and "預託金融機関" in expected
        # The amount covered (対象額) is not a printed field: where it differs from the total it is absent.
        if detail["contract_amount_covered"] != detail["contract_amount_total"]:
            assert f"{detail['contract_amount_covered']:,}" not in text
        assert re.fullmatch(r"\d{1,3}(,\d{3})+ 円", yen(detail["guarantee_amount"]))


# --- the key notice and verification ---------------------------------------------------------------------

def _notice(api, number: str) -> tuple[dict[str, Any], bytes]:
    response = api.get(f"/v1/certificates/{number}/auth-key", user=CONTRACTOR)
    assert response.status_code == 200, response.json_body
    body = response.json_body
    assert 0 < body["expires_in"] <= LINK_MAX_SECONDS
    fetched = fetch(body["notice_pdf_url"])
    assert fetched.status_code == 200 and fetched.content.startswith(b"%PDF")
    return body, fetched.content


def _links_in(pdf: bytes) -> list[str]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    # Link annotations only: the signature's (invisible) widget is an annotation of the first page too.
    annotations = [a.get_object() for a in page.get("/Annots", [])]
    return [a["/A"]["/URI"] for a in annotations if a.get("/Subtype") == "/Link"]


def test_key_notice_reissue_and_verification(api, s3_checks_presigned_links, caplog):
    from dataclasses import replace

    from chalicelib.domain.clock import japan_today
    from chalicelib.domain.types import GuaranteeType
    from chalicelib.domain.wareki import format_wareki
    from chalicelib.pdf.key_notice import KeyNoticeContent, qr_payload

    caplog.set_level(logging.DEBUG)
    surety_name = api.account.settings.surety.name
    issued = api.issue().json_body  # 境港市: submission by email
    number = issued["contract_number"]
    bucket = api.account.settings.bucket
    s3 = s3_client()

    first, pdf = _notice(api, number)
    old_key = first["auth_key"]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", old_key)
    link_bucket, link_key, _ = link_target(first["notice_pdf_url"])
    assert link_bucket == bucket and link_key.startswith(f"key-notices/{number}/")
    text = pdf_text(pdf)
    flat = text.replace("\n", "")
    for label, value in (("区分", "前払金保証"), ("保証契約番号", number), ("認証キー", old_key),
                         ("工事名", issued["project_name"]), ("発注者", issued["obligee"]["name"]),
                         ("保証機関", surety_name)):
        assert label in text and value in text, (label, value)
    # 境港市 accepts the notice by email only: the notice names that method alone, and no 【重要】 box.
    assert "電子メールに添付して送信" in flat and "電子契約システム" not in flat and "【重要】" not in flat
    # The QR code and the address printed as text (both links on the page) open the verification page with the
    # number, never the key.
    qr_link, printed_link = _links_in(pdf)
    assert printed_link == qr_link and qr_link in flat
    assert number in qr_link
    assert old_key not in qr_link.upper() and old_key.replace("-", "") not in qr_link.upper()
    # Dated today (Japan), with the flyer's advice: with the 前払金請求書, the address from the 契約窓口.
    assert f"発行日 {format_wareki(japan_today())}" in flat and "再発行" not in flat
    assert "前払金請求書とあわせて" in flat and "契約窓口(keiyaku@sakaiminato.example.jp)" in flat
    assert first["reissued_on"] is None and first["submission"]["methods"] == ["email"]
    content = KeyNoticeContent(GuaranteeType.ADVANCE_PAYMENT, number, old_key, issued["project_name"],
                               issued["obligee"]["name"], surety_name, ("email",), qr_link, "確認", japan_today())
    assert qr_payload(content) == qr_link
    with pytest.raises(ValueError, match="auth key"):
        qr_payload(replace(content, verification_url=f"{qr_link}&k={old_key.replace('-', '').lower()}"))

    # Reissue: the old notice's link dies with the old key, the new notice shows only the new key.
    reissued = api.post(f"/v1/certificates/{number}/auth-key/reissue", user=CONTRACTOR)
    assert reissued.status_code == 200, reissued.json_body
    new_key = reissued.json_body["auth_key"]
    assert new_key != old_key and reissued.json_body["generation"] == first["generation"] + 1
    gone = fetch(first["notice_pdf_url"])
    assert gone.status_code == 404 and b"NoSuchKey" in gone.content
    new_pdf = fetch(reissued.json_body["notice_pdf_url"]).content
    new_text = pdf_text(new_pdf)
    assert new_key in new_text and old_key not in new_text
    # A reissued key's notice says so, with the day (both today here); the API says the day too.
    assert f"再発行 {format_wareki(japan_today())}" in new_text.replace("\n", "")
    assert reissued.json_body["reissued_on"] == japan_today().isoformat()
    current = s3.list_objects_v2(Bucket=bucket, Prefix=f"key-notices/{number}/").get("Contents", [])
    assert [o["Key"] for o in current] == [link_target(reissued.json_body["notice_pdf_url"])[1]]
    # No old version of the old notice stays behind a delete marker in the versioned bucket.
    versions = s3.list_object_versions(Bucket=bucket, Prefix=f"key-notices/{number}/")
    assert [v["Key"] for v in versions.get("Versions", [])] == [o["Key"] for o in current]
    assert versions.get("DeleteMarkers", []) == []
    # Shown again later, the key's notice still says when it was reissued.
    again = api.get(f"/v1/certificates/{number}/auth-key", user=CONTRACTOR).json_body
    assert again["reissued_on"] == japan_today().isoformat()

    # The owner verifies with number + new key and downloads the certificate; the old key is refused.
    owner = "demo-sakaiminato"
    refused = api.post("/v1/verifications", {"contract_number": number, "auth_key": old_key}, user=owner)
    assert refused.status_code == 404
    verified = api.post("/v1/verifications", {"contract_number": number, "auth_key": new_key}, user=owner)
    assert verified.status_code == 200, verified.json_body
    assert 0 < verified.json_body["expires_in"] <= LINK_MAX_SECONDS
    pdf_url = verified.json_body["pdf_url"]
    assert link_target(pdf_url)[:2] == (bucket, certificate_object(number))
    stored = s3.get_object(Bucket=bucket, Key=certificate_object(number))["Body"].read()
    assert fetch(pdf_url).content == stored

    # An owner that takes notices through its e-contract system gets that instruction instead.
    pref = api.issue(obligee_id="pref-demo", project_name="○○県道 舗装工事").json_body["contract_number"]
    _, pref_pdf = _notice(api, pref)
    pref_text = pdf_text(pref_pdf).replace("\n", "")
    assert "電子契約システムへの登録 (アップロード)" in pref_text
    assert "メール" not in pref_text and "○○県知事" in pref_text

    assert_no_link_leaked(caplog, [first["notice_pdf_url"], reissued.json_body["notice_pdf_url"], pdf_url])


def test_a_reprint_after_a_recorded_change_says_so_and_is_dated_when_it_was_signed(api):
    """Issue 21, item 5: after a 注2/注3 change the version's PDF is made again; the reprint prints
    「(記録事項の変更 令和X年X月X日)」 under its issue date (the screen too), and every PDF's CreationDate is the moment
    it was made and signed, in Japan time (not reportlab's invariant 2000-01-01)."""
    from tests.support.api import amend, issue
    from tests.support.clock import frozen
    from tests.support.portal import C1, signed_in

    def pdf_now(number: str) -> bytes:
        link = api.get(f"/v1/certificates/{number}/pdf", user=CONTRACTOR).json_body["url"]
        return fetch(link).content

    number = issue(api)
    first = pdf_now(number)
    assert "記録事項の変更" not in pdf_text(first)
    created = PdfReader(io.BytesIO(first)).metadata["/CreationDate"]
    assert created.startswith("D:20240510") and created.endswith("+09'00'"), created  # the test world's day
    with frozen(api, datetime(2024, 6, 3, 1, 15, tzinfo=UTC)):  # 10:15 on 2024-06-03 in Japan
        assert amend(api, number, {"expected_version": 1, "guarantee_period_end": "2025-06-30"}).status_code == 200
        reprint = pdf_now(number)
    assert "(記録事項の変更 令和6年6月3日)" in pdf_text(reprint)
    assert PdfReader(io.BytesIO(reprint)).metadata["/CreationDate"] == "D:20240603101500+09'00'"
    screen = signed_in(api, C1).get(f"/certificates/{number}").visible_text
    assert "(記録事項の変更 令和6年6月3日)" in screen
