"""Reading certificates: who may read which (one rule), a version by number, the PDF link, the audit trail
(docs/ARCHITECTURE.md, who sees what)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import files
from chalicelib.domain.limits import MAX_VERSION_DIGITS
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.records import CertificateVersion
from chalicelib.domain.validation import FieldError, ValidationFailed
from chalicelib.errors import NotFound
from chalicelib.services import audit, documents, presenters
from chalicelib.store import guarantees as guarantee_store


def readable_versions(principal: Principal, contract_number: str) -> list[CertificateVersion]:
    """All versions, newest first, if the caller may read them; otherwise the same 404 as for an unknown
    number: a contractor reads only its own certificates, surety staff read all."""
    # A contractor's read is filtered by DynamoDB: "not yours" and "no such number" do the same work.
    own = (principal.org_id or "") if principal.role == Role.CONTRACTOR else None
    versions = guarantee_store.get_versions(contract_number, contractor_id=own)
    if not versions or not principal.may_read_contractor(versions[0].contractor_id):
        raise NotFound()
    return versions


def pick_version(versions: list[CertificateVersion], raw: str | None) -> CertificateVersion:
    """The latest version, or the one `?version=k` asks for (400 if not a number, 404 if none)."""
    if raw is None or raw == "":
        return versions[0]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_VERSION_DIGITS and int(raw) >= 1):
        message = "version は1以上の整数で指定してください。"
        raise ValidationFailed([FieldError("version", message)], message)
    for item in versions:
        if item.version == int(raw):
            return item
    raise NotFound("指定された版の保証証書はありません。", code="version_not_found")


def readable_version(principal: Principal, contract_number: str, version: str | None
                     ) -> tuple[list[CertificateVersion], CertificateVersion]:
    """All versions the caller may read (newest first) and the one asked for (the latest unless `version`)."""
    versions = readable_versions(principal, contract_number)
    return versions, pick_version(versions, version)


def read_certificate(principal: Principal, contract_number: str, version: str | None) -> dict[str, Any]:
    """One version in full (the latest unless `version` names another) with the history."""
    return presenters.certificate_detail(*readable_version(principal, contract_number, version))


def certificate_pdf_link(principal: Principal, contract_number: str, version: str | None,
                         request_id: str) -> dict[str, Any]:
    """A short-lived link to the version's certificate PDF (made first if missing); audited."""
    item = pick_version(readable_versions(principal, contract_number), version)
    url = files.presign(documents.ensure_certificate_pdf(item))
    audit.record(contract_number, "pdf_issued", principal, request_id, detail={"version": item.version})
    return presenters.pdf_link(item, url)


def certificate_events(principal: Principal, contract_number: str, params: Mapping[str, str]) -> dict[str, Any]:
    """The guarantee's audit trail (surety staff), newest first."""
    readable_versions(principal, contract_number)
    return audit.list_events(contract_number, params)
