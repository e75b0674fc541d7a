"""Every PDF the service stores carries the surety's PAdES signature made by KMS, and an owner can check a PDF
it was handed (POST /v1/documents/check) without learning anything about other owners' certificates."""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import subprocess
from typing import Any

import pytest

from tests.support.api import CONTRACTOR, OTHER_OWNER, OWNER, amend, cancel, issue
from tests.support.documents import check, stored_pdf, upload
from tests.support.stored import fetch, pdf_text, s3_client


def key_notice_pdf(api: Any, number: str) -> bytes:
    response = api.get(f"/v1/certificates/{number}/auth-key", user=CONTRACTOR)
    assert response.status_code == 200, response.json_body
    return fetch(response.json_body["notice_pdf_url"]).content


def configured_chain(api: Any) -> list[bytes]:
    """The DER certificates of the stage's signing chain, as stored (signing certificate first)."""
    from asn1crypto import pem

    from chalicelib.adapters.aws import client

    secret = client("secretsmanager", api.account.settings.region).get_secret_value(
        SecretId=api.account.settings.signing.certificate_secret_id)["SecretString"]
    assert "PRIVATE KEY" not in secret  # certificates only: the key is in KMS
    return [der for _, _, der in pem.unarmor(secret.encode(), multiple=True)]


def validate(data: bytes, trust_root: bytes) -> Any:
    """pyHanko's own validator, independent of the service's check route."""
    from asn1crypto import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from chalicelib.pdf.signing import run_async

    (signature,) = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    context = ValidationContext(trust_roots=[x509.Certificate.load(trust_root)], allow_fetching=False)
    return signature, run_async(lambda: async_validate_pdf_signature(signature, context))


@pytest.fixture
def kms_sign_calls(api: Any) -> list[str]:
    """The KMS Sign calls the app makes (its shared client), by key id."""
    from chalicelib.adapters.aws import client

    calls: list[str] = []
    client("kms", api.account.settings.region).meta.events.register(
        "provide-client-params.kms.Sign", lambda params, **_: calls.append(params["KeyId"]))
    return calls


def test_every_stored_pdf_is_signed_by_the_configured_certificate_over_the_whole_file(api, kms_sign_calls):
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    number = issue(api)
    assert len(kms_sign_calls) == 1  # the certificate is signed once, when it is stored at issue
    certificate = stored_pdf(api, number)
    stored_pdf(api, number)
    assert len(kms_sign_calls) == 1  # downloads hand out the stored, signed file: no further signature
    notice = key_notice_pdf(api, number)
    assert len(kms_sign_calls) == 2
    assert set(kms_sign_calls) == {api.account.settings.signing.key_id}

    signing_cert, *issuers = configured_chain(api)
    for data, reason in ((certificate, "保証証書の発行"), (notice, "認証キー等のお知らせの発行")):
        signature, status = validate(data, issuers[-1])
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.coverage is SignatureCoverageLevel.ENTIRE_FILE
        assert status.signing_cert.dump() == signing_cert
        assert status.signing_cert.subject.native["common_name"] == api.account.settings.surety.name
        assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
        assert signature.sig_object["/Reason"] == reason
        assert signature.sig_object["/Name"] == api.account.settings.surety.name
        assert signature.sig_object["/Location"] == api.account.settings.signing.location
        assert status.signer_reported_dt is not None
    # Signing adds an incremental update: the printed text (和暦 and all) reads as before.
    text = pdf_text(certificate)
    assert "令和" in text and api.account.settings.surety.name in text
    assert number in pdf_text(notice)


def test_pdfsig_reports_the_surety_signature(api, tmp_path):
    if shutil.which("pdfsig") is None:
        pytest.skip("poppler's pdfsig is not installed")
    number = issue(api)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(stored_pdf(api, number))
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=30).stdout
    assert "Signature #1" in report, report
    assert f"Signer Certificate Common Name: {api.account.settings.surety.name}" in report, report
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Signed Ranges" in report and "Total document signed" in report, report

    flipped = tmp_path / "flipped.pdf"
    flipped.write_bytes(flip_byte(path.read_bytes()))
    report = subprocess.run(["pdfsig", str(flipped)], capture_output=True, text=True, timeout=30).stdout
    assert "Signature is Valid" not in report, report


# --- tampering ------------------------------------------------------------------------------------------

def flip_byte(data: bytes) -> bytes:
    """One byte changed in the signed part of the first revision (a digit of the page's content)."""
    position = data.index(b"stream", len(data) // 4) + 20
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]


def with_appended_update(data: bytes) -> bytes:
    """What an attacker with pyHanko does: an incremental update after the signature (a new title here)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    writer.root["/DenshiHosho"] = generic.DictionaryObject({
        generic.NameObject("/Kind"): generic.NameObject("/certificate"),
        generic.NameObject("/ContractNumber"): generic.TextStringObject("2070599999"),
        generic.NameObject("/Version"): generic.NumberObject(9),
        generic.NameObject("/Obligee"): generic.TextStringObject("sakaiminato"),
    })
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()



def test_a_flipped_byte_or_an_appended_update_is_detected(api):
    number = issue(api)
    genuine = stored_pdf(api, number)
    root = configured_chain(api)[-1]

    flipped = flip_byte(genuine)
    _, status = validate(flipped, root)
    assert not status.intact
    appended = with_appended_update(genuine)
    _, status = validate(appended, root)
    assert status.intact and status.coverage.name != "ENTIRE_FILE"  # the signed bytes are intact, but...

    seen = {}
    for name, data in (("flipped", flipped), ("appended", appended), ("truncated", genuine[:-200]),
                       ("junk", genuine + b"\n% trailing junk\n")):
        response = check(api, data)
        assert response.status_code == 200, response.json_body
        body = response.json_body
        assert body["signature_valid"] is False and "document" not in body and "status" not in body
        seen[name] = body["result"]
        expected = "変更されている" if body["result"] == "modified" else "読み取れません"
        assert expected in body["message"], body
    # Every change to the signed bytes or after them is "modified"; a file cut short is not even a PDF.
    assert seen == {"flipped": "modified", "appended": "modified", "truncated": "unreadable", "junk": "modified"}
    # The appended update claims another certificate: the answer repeats none of it.
    assert check(api, appended).json_body["result"] == "modified"
    assert "2070599999" not in str(check(api, appended).json_body)


# --- the check route ------------------------------------------------------------------------------------

def test_check_answers_genuine_current_then_amended_then_cancelled(api):
    number = issue(api)
    first = stored_pdf(api, number)
    body = check(api, first).json_body
    assert body["result"] == "genuine" and body["signature_valid"] and body["signed_by_us"]
    assert body["document"]["kind"] == "certificate" and body["document"]["kind_name"] == "保証証書"
    assert body["document"]["contract_number"] == number and body["document"]["version"] == 1
    assert body["status"] == "current" and body["latest_version"] == 1
    assert "真正な保証証書" in body["message"] and "現在有効な最新" in body["message"]

    assert amend(api, number, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201
    body = check(api, first).json_body
    assert body["status"] == "amended" and body["latest_version"] == 2 and "第2版" in body["message"]
    assert check(api, stored_pdf(api, number, 2)).json_body["status"] == "current"

    notice = check(api, key_notice_pdf(api, number)).json_body
    assert notice["result"] == "genuine" and notice["document"]["kind"] == "key_notice"
    assert notice["document"]["version"] is None and notice["status"] == "in_force"

    assert cancel(api, number, {"reason": "工事中止"}).status_code == 200
    body = check(api, first).json_body
    assert body["status"] == "cancelled" and "解約" in body["message"]
    events = api.get(f"/v1/certificates/{number}/events?limit=100", user="demo-surety").json_body["items"]
    assert "document_checked" in [e["type"] for e in events]


def test_a_print_made_before_a_recorded_change_is_told_apart_from_the_current_one(api):
    """注2: a period change issues no new version, but the version's PDF is made again; the older print of the
    same version states the old period, and the check says so."""
    number = issue(api)
    before = stored_pdf(api, number)
    assert amend(api, number, {"expected_version": 1, "guarantee_period_end": "2025-12-31"}).status_code == 200
    body = check(api, before).json_body
    assert body["result"] == "genuine" and body["document"]["version"] == 1
    assert body["status"] == "terms_changed" and body["latest_version"] == 1
    assert "このPDFの作成後に変更" in body["message"]

    link = api.get(f"/v1/certificates/{number}/pdf", user=CONTRACTOR).json_body["url"]
    after = fetch(link).content
    assert "令和 7年12月31日" in pdf_text(after)
    assert check(api, after).json_body["status"] == "current"
    # Another owner still learns nothing of it.
    assert check(api, before, user=OTHER_OWNER).json_body["status"] == "not_disclosed"


def test_another_owners_certificate_is_confirmed_genuine_but_its_status_is_never_disclosed(api):
    number = issue(api)
    data = stored_pdf(api, number)
    before = check(api, data, user=OTHER_OWNER).json_body
    assert before["result"] == "genuine" and before["status"] == "not_disclosed"
    assert "latest_version" not in before and "宛先の発注者のみ" in before["message"]

    assert cancel(api, number, {"reason": "工事中止"}).status_code == 200
    after = check(api, data, user=OTHER_OWNER).json_body
    assert after == before  # cancelled or not: the same answer
    events = api.get(f"/v1/certificates/{number}/events?limit=100", user="demo-surety").json_body["items"]
    assert "document_checked" not in [e["type"] for e in events]


def _self_signed_pdf(data: bytes) -> bytes:
    """The same certificate signed by someone else's key and certificate (made here with cryptography)."""
    from asn1crypto import keys, pem, x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from chalicelib.config import get_settings
    from chalicelib.pdf.signing import DocumentReference, sign_document
    from scripts.provision import demo_signing_chain

    private = ec.generate_private_key(ec.SECP256R1())
    chain = demo_signing_chain(get_settings(), private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    certs = [x509.Certificate.load(der) for _, _, der in pem.unarmor(chain.encode(), multiple=True)]
    key = keys.PrivateKeyInfo.load(private.private_bytes(serialization.Encoding.DER,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    signer = signers.SimpleSigner(certs[0], key, SimpleCertificateStore.from_certs(certs[1:]))
    return sign_document(data, signer, DocumentReference("certificate", "2070500001", 1, "sakaiminato"),
                         signer_name="偽物", location="どこか")


def test_unsigned_foreign_and_broken_uploads_get_a_japanese_answer_never_a_500(api):
    from chalicelib.pdf.certificate import CertificateContent, render_certificate
    from chalicelib.store import guarantees as guarantee_store

    number = issue(api)
    (version,) = guarantee_store.get_versions(number)
    unsigned = render_certificate(CertificateContent.from_version(version), api.account.settings.surety,
                                  created=version.issued_at)
    answers = {
        "unsigned": check(api, unsigned).json_body,
        "foreign": check(api, _self_signed_pdf(unsigned)).json_body,
        "unreadable": check(api, b"this is not a pdf").json_body,
    }
    for result, body in answers.items():
        assert body["result"] == result and body["signature_valid"] is False, body
        assert body["signed_by_us"] is False and "document" not in body and "status" not in body
    assert "電子署名がありません" in answers["unsigned"]["message"]
    assert "当社のものではありません" in answers["foreign"]["message"]
    assert "読み取れません" in answers["unreadable"]["message"]
    assert check(api, b"%PDF-1.7\n" + bytes(range(256)) * 4).json_body["result"] == "unreadable"


def test_check_refuses_bad_bodies_and_other_roles(api):
    from chalicelib.domain.limits import MAX_CHECK_PDF_BYTES

    number = issue(api)
    data = stored_pdf(api, number)
    for body in ({}, {"pdf_base64": ""}, {"pdf_base64": "not base64!"}, {"pdf_base64": 12}):
        response = api.post("/v1/documents/check", body, user=OWNER)
        assert response.status_code == 400, body
        assert response.json_body["errors"][0]["field"] == "pdf_base64" and response.json_body["message"]
    too_big = base64.b64encode(b"%PDF" + bytes(MAX_CHECK_PDF_BYTES)).decode()
    response = api.post("/v1/documents/check", {"pdf_base64": too_big}, user=OWNER)
    assert response.status_code == 413 and "KB以内" in response.json_body["message"]
    encoded = {"pdf_base64": base64.b64encode(data).decode()}
    assert api.post("/v1/documents/check", encoded, user=CONTRACTOR).status_code == 403
    assert api.post("/v1/documents/check", encoded, user="demo-surety").status_code == 403
    assert api.post("/v1/documents/check", encoded).status_code == 401
    events = api.get(f"/v1/certificates/{number}/events?limit=100", user="demo-surety").json_body["items"]
    assert "document_checked" not in [e["type"] for e in events]  # refusals write nothing


# --- the signing key ------------------------------------------------------------------------------------

def test_a_certificate_for_another_key_is_refused_not_used(api):
    from chalicelib import caches
    from chalicelib.adapters import signing_key
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.kms_signer import kms_signer
    from scripts.provision import demo_signing_chain

    settings = api.account.settings
    kms = client("kms", settings.region)
    other = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
    wrong = demo_signing_chain(settings, kms.get_public_key(KeyId=other)["PublicKey"])
    client("secretsmanager", settings.region).put_secret_value(
        SecretId=settings.signing.certificate_secret_id, SecretString=wrong)
    caches.reset_all()
    with pytest.raises(signing_key.SigningNotConfigured):
        kms_signer()


@pytest.mark.parametrize("secret", [
    " ", "not a certificate", '{"retired": []}', '{"current": "x"}', "{not json", "CHAIN-AS-RETIRED-STRING"])
def test_without_its_signing_certificate_a_stage_makes_no_unsigned_pdf_and_says_why(api, secret):
    """A new stage before the surety stored its certificate (README runbook), or a secret stored wrongly:
    issuing still works, a PDF or a key notice is a 503 naming the cause, never an unsigned file or a 500."""
    import json as _json

    from chalicelib import caches
    from chalicelib.adapters.aws import client

    settings = api.account.settings
    secrets_manager = client("secretsmanager", settings.region)
    if secret == "CHAIN-AS-RETIRED-STRING":  # "retired" must be a list of chains, not one chain
        chain = secrets_manager.get_secret_value(SecretId=settings.signing.certificate_secret_id)["SecretString"]
        secret = _json.dumps({"current": chain, "retired": chain})
    secrets_manager.put_secret_value(SecretId=settings.signing.certificate_secret_id, SecretString=secret)
    caches.reset_all()
    number = issue(api)
    for path in (f"/v1/certificates/{number}/pdf", f"/v1/certificates/{number}/auth-key"):
        response = api.get(path, user=CONTRACTOR)
        assert response.status_code == 503, response.json_body
        assert response.json_body["code"] == "signing_not_configured"
        assert "電子署名" in response.json_body["message"] and "url" not in str(response.json_body)
    assert not s3_client().list_objects_v2(Bucket=settings.bucket).get("Contents")
    refused = check(api, b"%PDF-1.7 anything")
    assert refused.status_code == 503 and refused.json_body["code"] == "signing_not_configured"


def signer_of(data: bytes) -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader

    (signature,) = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    return bytes(signature.signer_cert.dump())


def pem_certificates(chain: str) -> list[bytes]:
    from asn1crypto import pem

    return [der for _, _, der in pem.unarmor(chain.encode(), multiple=True)]


def test_after_a_renewal_pdfs_of_the_retired_certificate_still_check_as_genuine(api):
    """Renewal (README): a new KMS key (asymmetric keys do not rotate) and its certificate become current, the
    old chain is kept as retired; old prints stay genuine, new ones are signed with the new key."""
    import json as _json

    from chalicelib import caches
    from chalicelib.adapters.aws import client
    from scripts.provision import demo_signing_chain

    settings = api.account.settings
    number = issue(api)
    before = stored_pdf(api, number)
    secrets_manager, kms = client("secretsmanager", settings.region), client("kms", settings.region)
    old_chain = secrets_manager.get_secret_value(SecretId=settings.signing.certificate_secret_id)["SecretString"]

    renewed = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
    kms.update_alias(AliasName=settings.signing.key_id, TargetKeyId=renewed)
    new_chain = demo_signing_chain(settings, kms.get_public_key(KeyId=renewed)["PublicKey"])
    secrets_manager.put_secret_value(SecretId=settings.signing.certificate_secret_id,
                                     SecretString=_json.dumps({"current": new_chain, "retired": [old_chain]}))
    caches.reset_all()

    assert check(api, before).json_body["result"] == "genuine"
    assert amend(api, number, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201
    after = stored_pdf(api, number, 2)
    assert check(api, after).json_body["status"] == "current"
    assert signer_of(after) != signer_of(before)
    assert signer_of(after) in pem_certificates(new_chain)

    # Dropping the retired chain disowns what it signed.
    secrets_manager.put_secret_value(SecretId=settings.signing.certificate_secret_id,
                                     SecretString=_json.dumps({"current": new_chain}))
    caches.reset_all()
    assert check(api, before).json_body["result"] == "foreign"


def test_signing_works_where_an_event_loop_is_already_running(api):
    """pyHanko's sync wrappers call asyncio.run(); an async host (or a test driver) already runs a loop."""
    import asyncio
    import concurrent.futures

    number = issue(api)

    async def inside_a_loop() -> bytes:
        return key_notice_pdf(api, number)

    # A thread of its own: the worker's main thread may run a loop already (Playwright's, in the browser tests).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        signed = pool.submit(lambda: asyncio.run(inside_a_loop())).result()
    assert check(api, signed).json_body["result"] == "genuine"


def test_moto_kms_signs_raw_messages_that_verify_against_its_public_key(api):
    """Why the signer sends KMS the signed attributes (RAW), never their digest: moto 5.2 hashes a DIGEST
    message again, so only RAW signatures verify in tests as they do on AWS."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    from chalicelib.adapters import signing_key
    from chalicelib.adapters.aws import client

    kms = client("kms", api.account.settings.region)
    public_key = load_der_public_key(kms.get_public_key(KeyId=api.account.settings.signing.key_id)["PublicKey"])
    message = b"signed attributes" * 20
    public_key.verify(signing_key.sign(message, "EC"), message, ec.ECDSA(hashes.SHA256()))
    digest_signature = kms.sign(KeyId=api.account.settings.signing.key_id, Message=hashlib.sha256(message).digest(),
                                MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    with pytest.raises(InvalidSignature):
        public_key.verify(digest_signature, message, ec.ECDSA(hashes.SHA256()))


# --- the owner's portal screen --------------------------------------------------------------------------


def test_the_owner_checks_a_pdf_on_the_portal(api):
    from tests.support.portal import signed_in

    number = issue(api)
    genuine = stored_pdf(api, number)
    browser = signed_in(api, OWNER)
    form = browser.get("/check")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    assert "PDFの署名確認" in form.visible_text
    csrf = form.field("csrf_token") or ""

    page = upload(browser, genuine, csrf)
    assert page.status_code == 200, page.visible_text
    assert "真正な保証証書です" in page.visible_text and number in page.visible_text
    assert "第1版" in page.visible_text and "現在有効な最新" in page.visible_text
    assert "変更されているか" in upload(browser, flip_byte(genuine), csrf).visible_text
    assert upload(browser, None, csrf).status_code == 400
    assert upload(browser, genuine, "forged").status_code == 403  # CSRF: no answer without the form's token

    other = signed_in(api, OTHER_OWNER)
    their_page = upload(other, genuine, other.get("/check").field("csrf_token") or "")
    assert "宛先の発注者のみ" in their_page.visible_text and "現在有効" not in their_page.visible_text
    assert signed_in(api, CONTRACTOR).get("/check").status_code == 403


# --- PAdES B-T: a time-stamping authority ---------------------------------------------------------------

@pytest.fixture
def local_tsa() -> Any:
    """An RFC 3161 time-stamping authority over HTTP on localhost (pyHanko's DummyTimeStamper answering the
    requests), with its own CA; yields (url, CA certificate DER)."""
    import datetime as dt
    import http.server
    import threading

    from asn1crypto import keys, tsp, x509
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    now = dt.datetime.now(dt.UTC)
    # RSA: pyHanko's DummyTimeStamper signs with RSA only.
    ca_key, tsa_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    ca_name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "Test TSA Root")])
    ca = (cx509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(cx509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    tsa = (cx509.CertificateBuilder().subject_name(cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")]))
           .issuer_name(ca_name).public_key(tsa_key.public_key()).serial_number(2)
           .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
           .add_extension(cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
           .sign(ca_key, hashes.SHA256()))
    ca_der = ca.public_bytes(serialization.Encoding.DER)
    stamper = DummyTimeStamper(
        tsa_cert=x509.Certificate.load(tsa.public_bytes(serialization.Encoding.DER)),
        tsa_key=keys.PrivateKeyInfo.load(tsa_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        certs_to_embed=SimpleCertificateStore.from_certs([x509.Certificate.load(ca_der)]),
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", ca_der
    finally:
        server.shutdown()
        server.server_close()


def test_with_a_time_stamping_authority_the_signature_is_pades_b_t(api, local_tsa, monkeypatch):
    from asn1crypto import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from chalicelib.pdf.signing import run_async

    tsa_url, tsa_root = local_tsa
    monkeypatch.setenv("APP_TSA_URL", tsa_url)
    number = issue(api)
    data = stored_pdf(api, number)
    (signature,) = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    trust = ValidationContext(trust_roots=[x509.Certificate.load(configured_chain(api)[-1])], allow_fetching=False)
    tsa_trust = ValidationContext(trust_roots=[x509.Certificate.load(tsa_root)], allow_fetching=False)
    status = run_async(lambda: async_validate_pdf_signature(signature, trust, ts_validation_context=tsa_trust))
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None and status.timestamp_validity.intact
    assert status.timestamp_validity.trusted  # the signature time stamp (B-T), by the TSA
    body = check(api, data).json_body
    assert body["result"] == "genuine" and body["document"]["signed_at"]


def test_the_role_may_sign_only_with_its_stage_key_and_read_only_its_certificate():
    from scripts.infra import policy_document, resources_template, stage_environment

    for stage in ("local", "dev", "prod"):
        env = stage_environment(stage)
        statements = policy_document(stage)["Statement"]
        signing = [s for s in statements if "kms:Sign" in s["Action"]]
        assert len(signing) == 1 and sorted(signing[0]["Action"]) == ["kms:GetPublicKey", "kms:Sign"]
        only_alias = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": env["APP_SIGNING_KEY_ID"]}}
        assert signing[0]["Condition"] == only_alias
        assert not any("kms:Sign" in s["Action"] for s in statements if s is not signing[0])
        secrets = [s["Resource"] for s in statements if s["Action"] == "secretsmanager:GetSecretValue"]
        assert any(env["APP_SIGNING_CERT_SECRET_ID"] in r for r in secrets)
    key = resources_template()["Resources"]["SigningKey"]["Properties"]
    assert (key["KeySpec"], key["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")


def test_signing_imports_no_http_client_it_does_not_use():
    """pyHanko imports its aiohttp clients at module level; the service time-stamps through requests (when a TSA is
    set) and validates without fetching, so a process that signs and checks never imports aiohttp
    (chalicelib/deferred_imports.py), and a pyHanko aiohttp client still works when one is used."""
    import sys

    program = """
import sys
from chalicelib.pdf import signing
from chalicelib.config import get_settings
from tests.support import hostile_pdfs
from chalicelib.pdf.certificate import render_certificate
signer, ders = hostile_pdfs._signer()
from datetime import UTC, datetime
unsigned = render_certificate(hostile_pdfs.certificate_content(), get_settings().surety, created=datetime.now(UTC))
signed = hostile_pdfs.sign(unsigned, signer)
assert signing.check_document(signed, [(ders[0], ders[-1])]).verdict is signing.Verdict.GENUINE
assert "aiohttp" not in sys.modules, "signing imported aiohttp"
from pyhanko.sign.timestamps import HTTPTimeStamper, aiohttp_client
stamper = HTTPTimeStamper("http://127.0.0.1:9/tsa")
assert type(stamper).__module__ == "pyhanko.sign.timestamps.aiohttp_client", type(stamper)
assert "aiohttp" in sys.modules and sys.modules["pyhanko.sign.timestamps.aiohttp_client"] is not aiohttp_client
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import util
assert util.LazySession
print("ok")
"""
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", program], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.stdout.strip() == "ok", done.stderr
