"""The certificate as the screens show it: the same strings the PDF prints (pdf.certificate's
certificate_text_fields, which needs no reportlab), built from the API's certificate JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.domain.types import GuaranteeType

TABLE_ROWS = ("保証契約番号", "保証契約者", "被保証者", "保証金額(総額)", "保証期間", "工期末日", "工事名",
              "請負金額(総額)", "預託金融機関")


def certificate_fields(certificate: dict[str, Any]) -> dict[str, str]:
    """Every printed string of this version, keyed by its label (see pdf.certificate)."""
    from chalicelib.config import get_settings
    from chalicelib.pdf.certificate import CertificateContent, certificate_text_fields

    content = CertificateContent(
        contract_number=certificate["contract_number"],
        version=int(certificate["version"]),
        amended=bool(certificate["amended"]),
        guarantee_type=GuaranteeType(certificate["guarantee_type"]),
        issued_on=date.fromisoformat(certificate["issued_on"]),
        contractor_address=certificate["contractor"]["address"],
        contractor_name=certificate["contractor"]["name"],
        obligee_name=certificate["obligee"]["name"],
        guarantee_amount=int(certificate["guarantee_amount"]),
        guarantee_period_end=date.fromisoformat(certificate["guarantee_period_end"]),
        completion_date=date.fromisoformat(certificate["completion_date"]),
        project_name=certificate["project_name"],
        contract_amount_total=int(certificate["contract_amount_total"]),
        deposit_bank=certificate.get("deposit_bank"),
    )
    return certificate_text_fields(content, get_settings().surety)


def certificate_rows(fields: dict[str, str]) -> list[tuple[str, list[str]]]:
    """The table rows in print order, each value split where the certificate starts a new line."""
    return [(label, fields[label].split("\n")) for label in TABLE_ROWS if label in fields]
