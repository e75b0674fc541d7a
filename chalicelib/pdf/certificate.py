"""The certificate (保証証書) as a one-page A4 PDF, laid out like the paper certificate.

certificate_text_fields() is the one source of the strings: the renderer draws exactly those strings (long
ones broken into lines), and the JSON/print views can compare against the same dict. reportlab is imported
only when a PDF is drawn, so importing this module for the dataclasses or the text stays cheap.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from chalicelib.config import Surety
from chalicelib.domain.money import format_yen_with_unit
from chalicelib.domain.records import CertificateVersion
from chalicelib.domain.types import GuaranteeType
from chalicelib.domain.wareki import format_wareki, format_wareki_text
from chalicelib.pdf.fonts import string_width
from chalicelib.pdf.layout import ASCENT, DESCENT, PageLayout, new_canvas, wrap_text


@dataclass(frozen=True)
class CertificateContent:
    """What one version of a certificate says."""

    contract_number: str
    version: int
    amended: bool
    guarantee_type: GuaranteeType
    issued_on: date
    contractor_address: str
    contractor_name: str
    obligee_name: str
    guarantee_amount: int
    guarantee_period_end: date
    completion_date: date
    project_name: str
    contract_amount_total: int
    deposit_bank: str | None  # 預託金融機関, advance types only
    recorded_on: date | None = None  # the last change recorded in this version since it was issued (注2, 注3)

    @classmethod
    def from_version(cls, item: CertificateVersion) -> CertificateContent:
        """What this version states as it stands (with the changes recorded in it since, 注2, 注3): the one
        source of the PDF and of the screens that show a certificate."""
        t = item.terms
        return cls(
            contract_number=item.contract_number,
            version=item.version,
            amended=item.amended,
            guarantee_type=item.guarantee_type,
            issued_on=item.issued_on,
            contractor_address=item.contractor_address,
            contractor_name=item.contractor_name,
            obligee_name=item.obligee_name,
            guarantee_amount=t.guarantee_amount,
            guarantee_period_end=t.guarantee_period_end,
            completion_date=t.completion_date,
            project_name=t.project_name,
            contract_amount_total=t.contract_amount_total,
            deposit_bank=t.deposit_bank,
            recorded_on=item.recorded_changes[-1].recorded_on if item.recorded_changes else None,
        )


STATEMENTS: dict[GuaranteeType, str] = {
    gt: f"当会社は、{gt.name_ja}契約に基づき上記のとおり{gt.name_ja}契約を締結し、その責に任じます。"
    for gt in GuaranteeType
}

# The notes printed on every certificate, worded as on the paper one (flyer).
NOTES: dict[str, str] = {
    "注1": "保証金額の増減等の変更があった場合は(変更)と表示し、変更後の内容を記載します。",
    "注2": "保証期間については、工期の完了に応じて自動的に変更されますので、変更の保証証書は発行しません。",
    "注3": "請負金額のみの変更の保証証書は発行を省略させていただきます。",
}

AMENDED_MARK = "(変更)"
RECORDED_LABEL = "記録事項の変更"


def recorded_line(recorded_on: date) -> str:
    """The line a reprint carries under its issue date after a change recorded without a new certificate (注2, 注3),
    so the reprint differs visibly from the first print of the same version."""
    return f"({RECORDED_LABEL} {format_wareki_text(recorded_on)})"

# Table rows in print order; 預託金融機関 appears only for the advance types.
TABLE_LABELS: tuple[str, ...] = (
    "保証契約番号",
    "保証契約者",
    "被保証者",
    "保証金額(総額)",
    "保証期間",
    "工期末日",
    "工事名",
    "請負金額(総額)",
    "預託金融機関",
)


def heading(guarantee_type: GuaranteeType) -> str:
    return f"保証証書 ({guarantee_type.name_ja})"


def certificate_text_fields(content: CertificateContent, surety: Surety) -> dict[str, str]:
    """Every string the certificate shows, keyed by its label, in print order.

    Table rows use their printed label as key. A value may hold '\\n' where the certificate starts a new
    line (保証契約者: address, then name). The PDF may also wrap a long value; joining its lines gives the
    value back.
    """
    gt = GuaranteeType(content.guarantee_type)
    fields: dict[str, str] = {"発行日": format_wareki(content.issued_on)}
    if content.recorded_on is not None:
        fields[RECORDED_LABEL] = recorded_line(content.recorded_on)
    fields["表題"] = heading(gt)
    if content.amended:
        fields["変更"] = AMENDED_MARK
    fields["保証契約番号"] = content.contract_number
    fields["保証契約者"] = f"{content.contractor_address}\n{content.contractor_name} 様"
    fields["被保証者"] = f"{content.obligee_name} 様"
    fields["保証金額(総額)"] = format_yen_with_unit(content.guarantee_amount)
    fields["保証期間"] = format_wareki(content.guarantee_period_end)
    fields["工期末日"] = format_wareki(content.completion_date)
    fields["工事名"] = content.project_name
    fields["請負金額(総額)"] = format_yen_with_unit(content.contract_amount_total)
    if gt.is_advance:
        if not (content.deposit_bank or "").strip():
            raise ValueError("預託金融機関 (deposit_bank) is required for an advance-payment guarantee")
        fields["預託金融機関"] = content.deposit_bank or ""
    fields["文言"] = STATEMENTS[gt]
    fields["保証会社住所"] = surety.address
    fields["保証会社名"] = surety.name
    fields["代表者"] = surety.representative
    fields["取扱場所"] = surety.branch_name
    fields["取扱場所住所"] = surety.branch_address
    fields["TEL"] = f"TEL: {surety.tel}"
    fields["FAX"] = f"FAX: {surety.fax}"
    fields.update(NOTES)
    fields["案内"] = f"{gt.name_ja}契約につきましては、{surety.info_url}をご確認ください。"
    return fields


# Geometry in points. The scale shrinks every font size (and leading) when long content would not fit.
MARGIN_X = 56.0
MARGIN_TOP = 52.0
MARGIN_BOTTOM = 44.0
LABEL_COL = 112.0
CELL_PAD_X = 8.0
CELL_PAD_Y = 8.0
_SCALES = (1.0, 0.92, 0.85, 0.78, 0.7, 0.62)


def layout_certificate(content: CertificateContent, surety: Surety) -> PageLayout:
    """Positions of everything on the page; raises ValueError if the content cannot fit one page."""
    fields = certificate_text_fields(content, surety)
    for scale in _SCALES:
        page = _layout(fields, scale)
        if page is not None:
            return page
    raise ValueError("certificate content is too long for one page")


def _layout(fields: dict[str, str], scale: float) -> PageLayout | None:
    """The page at this scale, or None when it would run past the bottom margin."""
    page = PageLayout()
    left, right = MARGIN_X, page.width - MARGIN_X
    width = right - left
    body = 11 * scale
    leading = body * 1.5

    y = page.height - MARGIN_TOP - body * ASCENT
    page.text_right(fields["発行日"], right, y, body, "発行日")
    if RECORDED_LABEL in fields:
        y -= leading
        page.text_right(fields[RECORDED_LABEL], right, y, body * 0.9, RECORDED_LABEL)

    # Heading, with (変更) beside it on an amended version; the pair is centred.
    title_size = 22 * scale
    y -= 40 * scale + title_size * ASCENT
    title = fields["表題"]
    mark = fields.get("変更")
    mark_size = 15 * scale
    gap = 10 * scale
    title_w = string_width(title, title_size)
    total = title_w + (gap + string_width(mark, mark_size) if mark else 0)
    x = left + (width - total) / 2
    page.text(title, x, y, title_size, "表題")
    if mark:
        page.text(mark, x + title_w + gap, y, mark_size, "変更")

    # The table: label column and value column, values wrapped inside their cell.
    top = y - title_size * DESCENT - 30 * scale
    row_top = page.table([(label, fields[label], body) for label in TABLE_LABELS if label in fields], left, right,
                         left + LABEL_COL, top, body, CELL_PAD_X, CELL_PAD_Y * scale)

    # The surety's statement.
    y = row_top - 24 * scale - body * ASCENT
    y = page.paragraph(fields["文言"], left, y, width, body, leading, "文言", phrases=True)

    # 取扱場所 at the left, the surety (address, name, representative) at the right, side by side.
    block_top = y - 28 * scale
    col_gap = 16.0
    half = (width - col_gap) / 2
    small = 9.5 * scale
    small_leading = small * 1.5
    label = "取扱場所"
    label_w = string_width(label, small) + 8 * scale
    by = block_top
    page.text(label, left, by, small)
    for key in ("取扱場所", "取扱場所住所", "TEL", "FAX"):
        by = page.paragraph(fields[key], left + label_w, by, half - label_w, small, small_leading, key)
    sx = left + half + col_gap
    sy = page.paragraph(fields["保証会社住所"], sx, block_top, half, body, leading, "保証会社住所")
    name_size = 14 * scale
    sy += leading - name_size * 1.5  # the name line is taller
    sy = page.paragraph(fields["保証会社名"], sx, sy, half, name_size, name_size * 1.5, "保証会社名")
    sy = page.paragraph(fields["代表者"], sx, sy, half, body, leading, "代表者")
    flow_y = min(by + small_leading, sy + leading) - 28 * scale

    # Notes 注1–注3 (hanging indent after their mark) and the information line, in fine print at the
    # foot of the page as on the paper certificate; right after the blocks when the page is full.
    note = 8.5 * scale
    note_leading = note * 1.5
    marks = {key: f"【{key}】" for key in NOTES}
    indents = {key: string_width(marks[key], note) + 3 * scale for key in NOTES}
    wrapped = {key: wrap_text(fields[key], width - indents[key], note, phrases=True) for key in NOTES}
    info_lines = wrap_text(fields["案内"], width, note)
    n_lines = sum(len(v) for v in wrapped.values()) + len(info_lines)
    foot_height = note * ASCENT + (n_lines - 1) * note_leading + note_leading * 0.5 + note * DESCENT
    y = min(flow_y, MARGIN_BOTTOM + foot_height - note * ASCENT)
    if y - foot_height + note * ASCENT < MARGIN_BOTTOM - 0.01:
        return None
    for key in NOTES:
        page.text(marks[key], left, y, note)
        for line in wrapped[key]:
            page.text(line, left + indents[key], y, note, key)
            y -= note_leading
    y -= note_leading * 0.5
    for line in info_lines:
        page.text(line, left, y, note, "案内")
        y -= note_leading
    return page


def render_certificate(content: CertificateContent, surety: Surety, *, created: datetime) -> bytes:
    """The certificate as PDF bytes (one A4 page, font subset embedded, same input and `created` -> same bytes);
    `created` is its CreationDate (the moment it is rendered and signed)."""
    page = layout_certificate(content, surety)
    buffer = io.BytesIO()
    title = f"{heading(GuaranteeType(content.guarantee_type))} {content.contract_number}"
    if content.amended:
        title += f" {AMENDED_MARK}"
    c = new_canvas(buffer, title=title, author=surety.name, subject=f"保証契約番号 {content.contract_number}",
                   created=created)
    page.draw(c)
    c.showPage()
    c.save()
    return buffer.getvalue()
