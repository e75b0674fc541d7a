"""An owner checks a PDF it was handed: is it signed by us, unchanged, which certificate, still current?

What it answers about another owner's certificate (docs/ARCHITECTURE.md, signing): a genuine PDF addressed to
another owner is confirmed genuine with what the PDF itself prints (kind, 保証契約番号, version), and its current
status is never disclosed. That is decided from the addressee signed into the PDF, before any table is read,
so the answer and the work done are the same whether that certificate was since amended, cancelled or not.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.adapters import check_function, signing_key
from chalicelib.domain.limits import MAX_CHECK_PDF_BYTES
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import GuaranteeStatus
from chalicelib.domain.status import current_status
from chalicelib.domain.validation import FieldError, ValidationFailed
from chalicelib.domain.wareki import format_wareki_text
from chalicelib.errors import PayloadTooLarge
from chalicelib.services import audit
from chalicelib.services.presenters import utc_text
from chalicelib.store import guarantees as guarantee_store

if TYPE_CHECKING:
    from chalicelib.pdf.signing import DocumentReference

FIELD = "pdf_base64"
KIND_NAMES = {"certificate": "保証証書", "key_notice": "認証キー等のお知らせ"}
MESSAGES = {
    "modified": ("このPDFは当社の電子署名の後に変更されているか、署名が壊れています。"
                 "この書類は有効なものとして扱わないでください。"),
    "foreign": "このPDFの電子署名は当社のものではありません。当社が発行した書類として扱わないでください。",
    "unsigned": "このPDFには電子署名がありません。当社が発行した書類であることを確認できません。",
    "unreadable": "PDFとして読み取れません。ファイルが壊れているか、PDFではありません。",
}
STATUS_MESSAGES = {
    "current": "この版は現在有効な最新の保証証書です。",
    "amended": "この保証は変更され、新しい版(第{latest}版)の保証証書が発行されています。",
    "terms_changed": ("この版の記載事項(保証期間・工期末日など)は、このPDFの作成後に変更されています"
                      "(変更の保証証書は発行されません)。最新の内容を保証確認の画面で確認してください。"),
    "cancelled": "この保証は解約されています。",
    "expired": "この保証は保証期間が満了しています(保証期間の末日 {period_end})。",
    "in_force": "この保証は現在有効です。",
    "not_disclosed": "現在の状態は、宛先の発注者のみ確認できます。",
}


def parse_upload(body: Mapping[str, Any]) -> bytes:
    """The PDF from `{"pdf_base64": "..."}`; anything else is a 400 naming the field."""
    raw = body.get(FIELD)
    message = "PDFファイルの内容をBase64で指定してください"
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationFailed([FieldError(FIELD, message)])
    if len(raw) > (MAX_CHECK_PDF_BYTES + 2) // 3 * 4:
        raise too_large()
    try:
        data = base64.b64decode("".join(raw.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed([FieldError(FIELD, message)]) from None
    if not data:
        raise ValidationFailed([FieldError(FIELD, message)])
    return data


def too_large() -> PayloadTooLarge:
    limit = f"{MAX_CHECK_PDF_BYTES // 1024}KB以内"
    return PayloadTooLarge(f"確認するPDFは{limit}としてください。",
                           errors=[{"field": FIELD, "message": f"PDFは{limit}で送信してください"}])


def check_pdf(principal: Principal, body: Mapping[str, Any], request_id: str) -> dict[str, Any]:
    """The API's check: the PDF comes as base64 in JSON."""
    return check_pdf_bytes(principal, parse_upload(body), request_id)


def check_pdf_bytes(principal: Principal, data: bytes, request_id: str) -> dict[str, Any]:
    """The answer about one uploaded PDF (the API's JSON; the portal draws the same answer)."""
    from chalicelib.pdf.signing import CheckResult, Verdict, check_request

    if len(data) > MAX_CHECK_PDF_BYTES:
        raise too_large()
    # The check runs in its own function, handed the bytes and our certificates (docs/ARCHITECTURE.md, signing).
    ours = [(chain.signing_cert, chain.root) for chain in signing_key.known_chains()]
    result = CheckResult.from_answer(check_function.invoke(check_request(data, ours)))
    verdict = result.verdict.value
    answer: dict[str, Any] = {
        "result": verdict,
        "signature_valid": result.verdict is Verdict.GENUINE,
        "signed_by_us": result.verdict in (Verdict.GENUINE, Verdict.MODIFIED),
    }
    if result.verdict is not Verdict.GENUINE or result.reference is None:
        if result.verdict is Verdict.GENUINE:  # ours, but names no document: never produced by this service
            verdict = answer["result"] = "unsigned"
            answer["signature_valid"] = answer["signed_by_us"] = False
        answer["message"] = MESSAGES[verdict]
        return answer
    reference = result.reference
    answer["document"] = {
        "kind": reference.kind,
        "kind_name": KIND_NAMES.get(reference.kind, reference.kind),
        "contract_number": reference.contract_number,
        "version": reference.version,
        "signed_at": utc_text(result.signed_at) if result.signed_at else None,
    }
    status, latest, period_end = _status(principal, reference)
    answer["status"] = status
    if latest is not None:
        answer["latest_version"] = latest
        audit.record(reference.contract_number, "document_checked", principal, request_id,
                     detail={"version": reference.version, "status": status})
    answer["message"] = (f"このPDFは当社が電子署名した真正な{answer['document']['kind_name']}です。"
                         + STATUS_MESSAGES[status].format(latest=latest, period_end=period_end))
    return answer


def _status(principal: Principal, reference: DocumentReference) -> tuple[str, int | None, str]:
    """(status, latest version, the period's end in 和暦) for the owner the document is addressed to;
    ("not_disclosed", None, "") for anyone else, decided without reading a table. A guarantee whose period has run
    out (domain/status.py) is never called current or in force."""
    kind, version = reference.kind, reference.version
    if principal.org_id is None or reference.obligee_id != principal.org_id:
        return "not_disclosed", None, ""
    latest = guarantee_store.latest_version(reference.contract_number)
    if latest is None or latest.obligee_id != principal.org_id:
        return "not_disclosed", None, ""
    period_end = format_wareki_text(latest.terms.guarantee_period_end)
    state = current_status(latest.status, latest.terms.guarantee_period_end)
    if state is GuaranteeStatus.CANCELLED:
        return "cancelled", latest.version, period_end
    if state is GuaranteeStatus.EXPIRED:  # the state first, whichever version this is
        return "expired", latest.version, period_end
    if kind == "certificate" and version is not None and latest.version > version:
        return "amended", latest.version, period_end
    if (kind == "certificate" and reference.recorded_changes is not None
            and reference.recorded_changes < len(latest.recorded_changes)):
        return "terms_changed", latest.version, period_end
    return ("current" if kind == "certificate" else "in_force"), latest.version, period_end
