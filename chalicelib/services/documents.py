"""The two documents: the certificate of each version (stored once) and the key notice (made on request).

Between stored items and the PDF renderers: the renderers never read tables, storage never formats text.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date

from chalicelib.adapters import files
from chalicelib.config import get_settings
from chalicelib.domain.types import GuaranteeType
from chalicelib.store.models import GuaranteeVersion, Obligee

logger = logging.getLogger(__name__)


def pdf_content(item: GuaranteeVersion):  # noqa: ANN201 - returns pdf.certificate.CertificateContent
    from chalicelib.pdf.certificate import CertificateContent

    return CertificateContent(
        contract_number=item.contract_number,
        version=int(item.version),
        amended=bool(item.amended),
        guarantee_type=GuaranteeType(item.guarantee_type),
        issued_on=date.fromisoformat(item.issued_on),
        contractor_address=item.contractor_address,
        contractor_name=item.contractor_name,
        obligee_name=item.obligee_name,
        guarantee_amount=int(item.guarantee_amount),
        guarantee_period_end=date.fromisoformat(item.guarantee_period_end),
        completion_date=date.fromisoformat(item.completion_date),
        project_name=item.project_name,
        contract_amount_total=int(item.contract_amount_total),
        deposit_bank=item.deposit_bank,
    )


def ensure_certificate_pdf(item: GuaranteeVersion, *, trust_stored_flag: bool = False) -> str:
    """The S3 key of this version's certificate, rendering and storing it first if it is not there yet.

    The owner's verification trusts the version's `pdf_stored` flag (no S3 call on its hot path); the
    contractor's and surety's download checks S3 itself, and so repairs a lost object.
    """
    key = files.certificate_key(item.contract_number, int(item.version))
    if item.pdf_stored and trust_stored_flag:
        return key
    if not files.exists(key):
        from chalicelib.pdf.certificate import render_certificate

        data = render_certificate(pdf_content(item), get_settings().surety)
        files.put_pdf_once(key, data, f"保証証書_{item.contract_number}_v{item.version}.pdf")
    if not item.pdf_stored:
        item.update(actions=[GuaranteeVersion.pdf_stored.set(True)])
    return key


def store_certificate_pdf_quietly(item: GuaranteeVersion) -> None:
    """Right after issuing: a failure here is repaired on the first download, so it must not fail the issue."""
    try:
        ensure_certificate_pdf(item)
    except Exception:
        logger.exception("certificate PDF not stored yet", extra={"contract_number": item.contract_number})


def verification_page_url(contract_number: str) -> str:
    """The owner's verification page with the number filled in (never the key)."""
    return f"{get_settings().portal_url}/verify?contract_number={contract_number}"


def key_notice_link(item: GuaranteeVersion, obligee: Obligee | None, auth_key_display: str,
                    generation: int) -> str:
    """Render the key notice for the current key, store it under a fresh name and link to it."""
    from chalicelib.pdf.key_notice import KeyNoticeContent, render_key_notice

    content = KeyNoticeContent(
        guarantee_type=GuaranteeType(item.guarantee_type),
        contract_number=item.contract_number,
        auth_key_display=auth_key_display,
        project_name=item.project_name,
        obligee_name=item.obligee_name,
        surety_name=get_settings().surety.name,
        submission_method=obligee.submission_method if obligee else "email",
        verification_url=verification_page_url(item.contract_number),
    )
    # A fresh, unguessable name per request and key generation; a lifecycle rule removes them within a day.
    key = f"{files.key_notice_prefix(item.contract_number)}g{generation}/{uuid.uuid4().hex}.pdf"
    files.put_pdf(key, render_key_notice(content), f"認証キー等のお知らせ_{item.contract_number}.pdf")
    return files.presign(key)
