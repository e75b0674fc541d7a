"""`make docs`: the sample documents in docs/, made by the service's own code (docs/ARCHITECTURE.md, documents).

Each sample is a record the service would hold (built with the same parsing and amendment rules as the API),
turned into the PDF's content by `services.documents` and drawn by `chalicelib.pdf`; poppler's `pdftoppm`
makes the PNG. `docs/samples.json` records, per sample, a digest of the page's layout (every string with its
position, every rule, every QR code: what the renderer draws, independent of reportlab's bytes and of the
machine) and the digest of the PNG made from it. `tests/test_docs.py` recomputes the layouts and fails when
they differ from what is recorded, i.e. when the PNGs in docs/ are no longer what the service makes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1] / "docs"
RECORD = DOCS / "samples.json"
PNG_DPI = "110"
# The portal address printed in the key notice's QR code: the prod stage's APP_PORTAL_URL.
SAMPLE_PORTAL_URL = "https://denshi-hosho.example.jp"
SAMPLE_NOTICE_DATE = date(2024, 5, 13)  # the key notice sample's 発行日, three days after its certificate
SAMPLE_KEY = "7KQ2M-X9D4T"  # made up: 10 Crockford base32 characters, as the service shows them


def _records() -> dict[str, Any]:
    """The sample records: the flyer's 2070004426 as seeded, its (変更) version 2, a 境港市 前払金保証 (its key
    notice), and a 中間前払金保証 and a 契約保証 of the same works."""
    from chalicelib.domain.amendment import describe_changes, plan_amendment
    from chalicelib.domain.records import CertificateVersion, Obligee
    from chalicelib.domain.validation import issue_body, parse_issue_request
    from scripts import demo_data

    def version_1(number: str, issued_on: date, body: dict[str, Any]) -> CertificateVersion:
        req = parse_issue_request(body)
        contractor, obligee = demo_data.CONTRACTORS[req.contractor_id], demo_data.OBLIGEES[req.obligee_id]
        return CertificateVersion(
            contract_number=number, version=1, guarantee_type=req.guarantee_type, delivery=req.delivery,
            work_category=req.work_category, contractor_id=req.contractor_id, obligee_id=req.obligee_id,
            contractor_name=contractor["name"], contractor_address=contractor["address"],
            obligee_name=obligee["name"], contract_date=req.contract_date, terms=req.terms,
            issued_on=issued_on, issued_at=datetime(issued_on.year, issued_on.month, issued_on.day, tzinfo=UTC),
            issued_by="demo-surety")

    number, issued_on, body = demo_data.CERTIFICATES[0]
    flyer = version_1(number, issued_on, body)
    # 変更: the guarantee amount lowered (注1), as the surety would amend it through the API.
    plan = plan_amendment(issue_body(flyer), {"expected_version": 1, "expected_revision": 1,
                                                  "guarantee_amount": 36_000_000})
    amended = replace(flyer, version=2, terms=plan.state.terms, issued_on=date(2022, 6, 15), amended=True,
                      changes=tuple(describe_changes(plan.changed)))
    sakaiminato = version_1("2070500001", date(2024, 5, 10), {
        "guarantee_type": "advance_payment", "contractor_id": "contractor-1", "obligee_id": "sakaiminato",
        "work_category": "construction", "project_name": "境港市道 渡町線 道路改良工事",
        "contract_date": "2024-04-01", "completion_date": "2025-03-31", "contract_amount_total": 100_000_000,
        "guarantee_amount": 40_000_000, "deposit_bank": "山陰銀行 境港支店", "delivery": "electronic"})
    # The other two kinds, for the same works: a 中間前払金保証 (≤ 20 %) and a 契約保証 (≥ 10 %, no 預託金融機関).
    works = {"contractor_id": "contractor-1", "obligee_id": "sakaiminato", "work_category": "construction",
             "project_name": "境港市道 渡町線 道路改良工事", "contract_date": "2024-04-01",
             "completion_date": "2025-03-31", "contract_amount_total": 100_000_000, "delivery": "electronic"}
    intermediate = version_1("2070500002", date(2024, 10, 15), {
        **works, "guarantee_type": "intermediate_advance_payment", "guarantee_amount": 20_000_000,
        "deposit_bank": "山陰銀行 境港支店"})
    performance = version_1("2070500003", date(2024, 4, 3), {
        **works, "guarantee_type": "performance", "guarantee_amount": 10_000_000})
    owner = demo_data.OBLIGEES["sakaiminato"]
    from chalicelib.domain.parties import parse_obligee

    obligee: Obligee = parse_obligee("sakaiminato", dict(owner))
    return {"flyer": flyer, "amended": amended, "sakaiminato": sakaiminato, "intermediate": intermediate,
            "performance": performance, "sakaiminato_owner": obligee}


def sample_pages() -> dict[str, tuple[Any, bytes]]:
    """name -> (PageLayout, PDF bytes) of each sample, through the service's own mapping and renderers."""
    from chalicelib.config import DEFAULT_NAMES, DEMO_SURETY
    from chalicelib.pdf.certificate import CertificateContent, layout_certificate, render_certificate
    from chalicelib.pdf.key_notice import layout_key_notice, render_key_notice
    from chalicelib.services.documents import key_notice_content

    previous = os.environ.get("APP_PORTAL_URL")
    os.environ["APP_PORTAL_URL"] = SAMPLE_PORTAL_URL
    try:
        records = _records()
        notice = key_notice_content(records["sakaiminato"], records["sakaiminato_owner"], SAMPLE_KEY)
    finally:
        if previous is None:
            os.environ.pop("APP_PORTAL_URL", None)
        else:
            os.environ["APP_PORTAL_URL"] = previous
    # The demo surety and our default names, whatever this shell sets; a fixed date (the samples are recorded).
    notice = replace(notice, surety_name=DEMO_SURETY.name, service_name=DEFAULT_NAMES.verification,
                     issued_on=SAMPLE_NOTICE_DATE)
    pages = {}
    for name, record in (("certificate-sample", records["flyer"]), ("certificate-amended-sample", records["amended"]),
                         ("certificate-intermediate-sample", records["intermediate"]),
                         ("certificate-performance-sample", records["performance"])):
        content = CertificateContent.from_version(record)
        # Made at the version's issue: `make docs` writes the same bytes every time.
        pages[name] = (layout_certificate(content, DEMO_SURETY),
                       render_certificate(content, DEMO_SURETY, created=record.issued_at))
    pages["key-notice-sample"] = (layout_key_notice(notice),
                                  render_key_notice(notice, created=records["sakaiminato"].issued_at))
    return pages


def layout_digest(page: Any) -> str:
    """SHA-256 of what the page draws (positions rounded to 0.01 pt): the same on every machine."""
    drawn = {
        "size": [round(page.width, 2), round(page.height, 2)],
        "texts": [[t.text, round(t.x, 2), round(t.y, 2), round(t.size, 2)] for t in page.texts],
        "lines": [[round(v, 2) for v in (ln.x1, ln.y1, ln.x2, ln.y2, ln.width)] for ln in page.lines],
        "qr": [[q.value, round(q.x, 2), round(q.y, 2), round(q.size, 2)] for q in page.qr_codes],
    }
    return hashlib.sha256(json.dumps(drawn, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def png_of(pdf: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "page.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", PNG_DPI, "-singlefile", str(source), str(Path(tmp) / "page")],
                       check=True)
        return (Path(tmp) / "page.png").read_bytes()


def main() -> int:
    record = {}
    for name, (page, pdf) in sample_pages().items():
        png = png_of(pdf)
        (DOCS / f"{name}.png").write_bytes(png)
        record[name] = {"png": f"{name}.png", "layout_sha256": layout_digest(page),
                        "png_sha256": hashlib.sha256(png).hexdigest(),
                        "text": [t.text for t in page.texts]}
        print(f"docs/{name}.png  layout {record[name]['layout_sha256'][:12]}")
    RECORD.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
