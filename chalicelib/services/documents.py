"""The two documents: the certificate of each version (stored once) and the key notice (made on request).

Between records and the PDF renderers: the renderers never read tables, storage never formats text
(docs/ARCHITECTURE.md, documents).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import TYPE_CHECKING

from chalicelib.adapters import files
from chalicelib.config import get_settings
from chalicelib.domain.clock import japan_today, utc_now
from chalicelib.domain.records import CertificateVersion, Obligee
from chalicelib.domain.types import SubmissionMethod
from chalicelib.logs import log_context
from chalicelib.services import notices
from chalicelib.store import guarantees as guarantee_store

if TYPE_CHECKING:
    from chalicelib.pdf.key_notice import KeyNoticeContent

logger = logging.getLogger(__name__)


def printed_fields(item: CertificateVersion) -> dict[str, str]:
    """Every string the certificate of this version prints, keyed by its label (pdf.certificate, which needs no
    reportlab for this): what the screens show, so they say exactly what the PDF says."""
    from chalicelib.pdf.certificate import CertificateContent, certificate_text_fields

    return certificate_text_fields(CertificateContent.from_version(item), get_settings().surety)


def ensure_certificate_pdf(item: CertificateVersion, *, trust_stored_flag: bool = False) -> str:
    """The S3 key of this version's certificate, rendering and storing it first if it is not there yet.

    The owner's verification trusts the version's `pdf_stored` flag (no S3 call on its hot path); the
    contractor's and surety's download checks S3 itself, and so repairs a lost object.
    """
    object_key = files.certificate_key(item.contract_number, item.version, len(item.recorded_changes))
    if item.pdf_stored and trust_stored_flag:
        return object_key
    if not files.exists(object_key):
        from chalicelib.pdf.certificate import CertificateContent, render_certificate

        # Made and signed now: its CreationDate is this moment, not reportlab's invariant 2000-01-01.
        data = signed(render_certificate(CertificateContent.from_version(item), get_settings().surety,
                                         created=utc_now()), "certificate", item, version=item.version)
        files.put_pdf_once(object_key, data, f"保証証書_{item.contract_number}_v{item.version}.pdf")
    if not item.pdf_stored:
        guarantee_store.mark_pdf_stored(item)
    return object_key


def signed(data: bytes, kind: str, item: CertificateVersion, *, version: int | None) -> bytes:
    """The rendered PDF with the surety's PAdES signature: one KMS Sign call, the key never leaves KMS
    (docs/ARCHITECTURE.md, signing). What is stored is the signed file, so every download is signed."""
    from chalicelib.adapters.kms_signer import kms_signer
    from chalicelib.pdf.signing import DocumentReference, sign_document

    settings = get_settings()
    # A certificate names how many recorded changes it prints, so a check tells an older print of its version.
    reference = DocumentReference(kind, item.contract_number, version, item.obligee_id,
                                  len(item.recorded_changes) if kind == "certificate" else None)
    return sign_document(data, kms_signer(), reference, signer_name=settings.surety.name,
                         location=settings.signing.location, tsa_url=settings.signing.tsa_url)


def store_certificate_pdf_quietly(item: CertificateVersion) -> None:
    """Right after issuing: a failure here is repaired on the first download, so it must not fail the issue."""
    try:
        ensure_certificate_pdf(item)
    except Exception:
        logger.exception("certificate PDF not stored yet", extra=log_context(contract_number=item.contract_number))


def key_notice_content(item: CertificateVersion, obligee: Obligee | None, auth_key_display: str,
                       reissued_on: date | None = None) -> KeyNoticeContent:
    """What the key notice of this guarantee says: the methods its owner accepts and its 契約窓口, the
    verification screen's address with the number filled in (the portal's, APP_PORTAL_URL), dated today and,
    for a reissued key, the day it was reissued."""
    from chalicelib.config import service_names
    from chalicelib.pdf.key_notice import KeyNoticeContent

    return KeyNoticeContent(
        guarantee_type=item.guarantee_type,
        contract_number=item.contract_number,
        auth_key_display=auth_key_display,
        project_name=item.terms.project_name,
        obligee_name=item.obligee_name,
        surety_name=get_settings().surety.name,
        submission_methods=tuple(m.value for m in (obligee.submission_methods if obligee else SubmissionMethod)),
        verification_url=notices.verification_page_url(item.contract_number),
        service_name=service_names().verification,
        issued_on=japan_today(),
        reissued_on=reissued_on,
        contact_email=obligee.contact_email if obligee else "",
    )


def key_notice_link(item: CertificateVersion, obligee: Obligee | None, auth_key_display: str,
                    generation: int, reissued_on: date | None = None) -> str:
    """Render the key notice for the current key, store it under a fresh name and link to it."""
    from chalicelib.pdf.key_notice import render_key_notice

    content = key_notice_content(item, obligee, auth_key_display, reissued_on)
    # A fresh, unguessable name per request and key generation; a lifecycle rule removes them within a day.
    object_key = f"{files.key_notice_prefix(item.contract_number)}g{generation}/{uuid.uuid4().hex}.pdf"
    data = signed(render_key_notice(content, created=utc_now()), "key_notice", item, version=None)
    files.put_pdf(object_key, data, f"認証キー等のお知らせ_{item.contract_number}.pdf")
    return files.presign(object_key)
