"""The certificate as the screens show it (contractor, owner, surety): the version a service read, as the API's
JSON with its history, and the very strings its PDF prints (services.documents.printed_fields), row by row."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.domain.records import CertificateVersion


def certificate_screen(versions: list[CertificateVersion], shown: CertificateVersion | None = None
                       ) -> dict[str, Any]:
    """What a certificate screen's template draws: `certificate` (JSON of `shown`, the latest unless given),
    `fields` (every printed string by label) and `rows` (the table in print order, each value split where the
    certificate starts a new line)."""
    from chalicelib.pdf.certificate import TABLE_LABELS
    from chalicelib.services.documents import printed_fields
    from chalicelib.services.presenters import certificate_detail

    item = shown or versions[0]
    fields = printed_fields(item)
    return {"certificate": certificate_detail(versions, item), "fields": fields,
            "rows": [(label, fields[label].split("\n")) for label in TABLE_LABELS if label in fields]}
