"""The key notice 電子証書閲覧用「認証キー」等のお知らせ: one A4 page the contractor hands to the owner.

It carries the key in clear (that is its job); the QR code carries only the verification page's address
with the contract number, so a photo of the code never gives access without the key.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from chalicelib.domain.submission import submission_advice
from chalicelib.domain.types import GuaranteeType, SubmissionMethod
from chalicelib.domain.wareki import format_wareki
from chalicelib.pdf.layout import ASCENT, DESCENT, PageLayout, QrPlacement, new_canvas, wrap_text


@dataclass(frozen=True)
class KeyNoticeContent:
    """What one key notice says; built when the contractor asks to see the key."""

    guarantee_type: GuaranteeType
    contract_number: str
    auth_key_display: str  # 'XXXXX-XXXXX'
    project_name: str
    obligee_name: str
    surety_name: str
    submission_methods: tuple[str, ...]  # what the owner accepts: 'e_contract', 'email' or both (SubmissionMethod)
    verification_url: str  # the owner's verification page WITH the contract number only, never the key
    service_name: str  # the verification service's name (config.service_names), never another company's
    issued_on: date  # the day this notice was made (Japan)
    reissued_on: date | None = None  # the day the key was reissued, on a reissued key's notice
    contact_email: str = ""  # the owner's 契約窓口, whom the contractor asks for the address


# The flyer writes the title with 「」; the design brief quotes it as 『認証キー』 inside 「」.
TITLE = "電子証書閲覧用「認証キー」等のお知らせ"
TABLE_LABELS: tuple[str, ...] = ("区分", "保証契約番号", "認証キー", "工事名", "発注者", "保証機関")
CUSTOMER_HEADING = "【お客様へのお知らせ】"
OWNER_HEADING = "【発注者様へのお知らせ】"
# The owner may read the notice on paper (the code) or on a PC (the printed address, a link).
QR_TEXT = ("確認画面は、右のQRコードをスマートフォン等で読み取るか、パソコンでは次のアドレスをクリックして開けます"
           "(保証契約番号は入力済みです。認証キーの入力は必要です)。")
# The flyer's own instructions to the contractor (its 【重要】 box: 「STEP3で保存したファイル…」) speak of the
# portal's screens, not of this notice: they are not printed. The methods are exactly those the owner accepts.
SUBMISSION_LEAD = "次の方法で当該PDFファイルを発注者様にご提出ください。"
_NUMBERS = "①②"


def intro(service_name: str) -> str:
    return f"「{service_name}」で電子証書を閲覧するための「認証キー」等は、以下のとおりとなります。"


def owner_text(service_name: str) -> str:
    return (f"「{service_name}」にログインし、上記の「保証契約番号」と「認証キー」を入力の上、"
            "電子証書を閲覧ください。")


def _methods(submission_methods: tuple[str, ...]) -> list[SubmissionMethod]:
    try:
        methods = [m for m in SubmissionMethod if m.value in set(submission_methods)]
    except ValueError:
        methods = []
    if not methods or len(methods) != len(set(submission_methods)):
        raise ValueError(f"unknown submission method: {submission_methods!r}")
    return methods


def submission_instruction(submission_methods: tuple[str, ...]) -> str:
    """The flyer's 【お客様へのお知らせ】, naming exactly the methods the owner accepts (one, or both numbered
    ① 又は ② as on the flyer)."""
    methods = _methods(submission_methods)
    if len(methods) == 1:
        return f"{SUBMISSION_LEAD}\n{methods[0].name_ja}"
    return SUBMISSION_LEAD + "\n" + " 又は ".join(f"{_NUMBERS[i]}{m.name_ja}" for i, m in enumerate(methods))


def dates_printed(content: KeyNoticeContent) -> list[str]:
    """The notice's date, and 再発行 with its date on a reissued key's notice (top right)."""
    lines = [f"発行日 {format_wareki(content.issued_on)}"]
    if content.reissued_on is not None:
        lines.append(f"再発行 {format_wareki(content.reissued_on)}")
    return lines


def qr_payload(content: KeyNoticeContent) -> str:
    """The QR code's value: the verification address, checked to name the contract and not hold the key."""
    url = content.verification_url
    if content.contract_number not in url:
        raise ValueError("verification_url must name the contract number")
    key = content.auth_key_display.upper()
    upper_url = url.upper()
    if key and (key in upper_url or key.replace("-", "") in upper_url):
        raise ValueError("verification_url must never contain the auth key")
    return url


def key_notice_text_fields(content: KeyNoticeContent) -> dict[str, str]:
    """Every variable string of the notice, keyed by its label; the renderer draws exactly these."""
    gt = GuaranteeType(content.guarantee_type)
    return {
        "区分": gt.name_ja,
        "保証契約番号": content.contract_number,
        "認証キー": content.auth_key_display,
        "工事名": content.project_name,
        "発注者": content.obligee_name,
        "保証機関": content.surety_name,
        "お客様へのお知らせ": submission_instruction(content.submission_methods) + "\n" + submission_advice(
            gt, tuple(_methods(content.submission_methods)), content.contact_email),
        "発注者様へのお知らせ": owner_text(content.service_name),
        "確認画面": content.verification_url,
        "署名": content.surety_name,
    }


MARGIN_X = 56.0
MARGIN_TOP = 56.0
MARGIN_BOTTOM = 44.0
LABEL_COL = 112.0
CELL_PAD_X = 8.0
CELL_PAD_Y = 9.0
QR_SIZE = 96.0
_SCALES = (1.0, 0.9, 0.8, 0.7)


def layout_key_notice(content: KeyNoticeContent) -> PageLayout:
    """Positions of everything on the page; raises ValueError if the content cannot fit one page."""
    qr_payload(content)  # checks the address before anything is drawn
    for scale in _SCALES:
        page = _layout(content, scale)
        if page is not None:
            return page
    raise ValueError("key notice content is too long for one page")


def _layout(content: KeyNoticeContent, scale: float) -> PageLayout | None:
    fields = key_notice_text_fields(content)
    page = PageLayout()
    left, right = MARGIN_X, page.width - MARGIN_X
    width = right - left
    body = 11 * scale
    leading = body * 1.6

    # The notice's date, and 再発行 with its date, top right (as the certificate dates itself).
    small = 10 * scale
    y = page.height - MARGIN_TOP + 20 - small * ASCENT
    for line in dates_printed(content):
        page.text_right(line, right, y, small, "日付")
        y -= small * 1.5
    title_size = 17 * scale
    y -= 10 * scale + title_size * ASCENT
    page.text_center(TITLE, page.width / 2, y, title_size)
    page.rule(left, y - title_size * DESCENT - 6, right, y - title_size * DESCENT - 6, 0.8)

    y -= title_size * DESCENT + 30 * scale + body * ASCENT
    y = page.paragraph(intro(content.service_name), left, y, width, body, leading, None, phrases=True)

    # The table; the key is set larger so it is read (and typed) without mistakes.
    top = y + leading - body * ASCENT - 14 * scale
    rows = [(label, fields[label], body * 1.35 if label == "認証キー" else body) for label in TABLE_LABELS]
    row_top = page.table(rows, left, right, left + LABEL_COL, top, body, CELL_PAD_X, CELL_PAD_Y * scale,
                         phrases=True)

    # Notices on the left, the QR code beside them on the right.
    qr_size = QR_SIZE * scale
    text_width = width - qr_size - 16
    y = row_top - 30 * scale - body * ASCENT
    sections_top = y + body * ASCENT
    indented, indented_width = left + body, text_width - body  # section text is indented one character
    page.text(CUSTOMER_HEADING, left, y, body)
    key = "お客様へのお知らせ"
    y = page.paragraph(fields[key], indented, y - leading, indented_width, body, leading, key, phrases=True)
    y -= leading * 0.5
    page.text(OWNER_HEADING, left, y, body)
    key = "発注者様へのお知らせ"
    y = page.paragraph(fields[key], indented, y - leading, indented_width, body, leading, key, phrases=True)
    y = page.paragraph(QR_TEXT, indented, y, indented_width, body, leading, None, phrases=True)
    qr_x = right - qr_size
    qr_y = sections_top - qr_size
    caption = 8 * scale
    # The address as text, a link on screen: the same address as the code; the whole width below the code.
    clear_of_qr = qr_y - caption * 4
    address_width = (right - indented) if y + leading < clear_of_qr else indented_width
    for line in wrap_text(fields["確認画面"], address_width, body, phrases=True):
        page.link(page.text(line, indented, y, body, "確認画面"), content.verification_url)
        y -= leading

    page.qr_codes.append(QrPlacement(content.verification_url, qr_x, qr_y, qr_size))
    for i, line in enumerate(wrap_text(content.service_name, qr_size + 16, caption, phrases=True)):
        page.text_center(line, qr_x + qr_size / 2, qr_y - caption * (1.2 + 1.4 * i), caption)

    y = min(y, clear_of_qr)
    sig_size = 13 * scale
    y = y - 36 * scale - sig_size * ASCENT
    for line in wrap_text(fields["署名"], width, sig_size):
        page.text_right(line, right, y, sig_size, "署名")
        y -= sig_size * 1.5
    if y + sig_size * 1.5 - sig_size * DESCENT < MARGIN_BOTTOM:
        return None
    return page


def render_key_notice(content: KeyNoticeContent, *, created: datetime) -> bytes:
    """The key notice as PDF bytes (one A4 page, font subset embedded, same input and `created` -> same bytes)."""
    page = layout_key_notice(content)
    buffer = io.BytesIO()
    c = new_canvas(
        buffer,
        title=f"{TITLE} {content.contract_number}",
        author=content.surety_name,
        subject=f"保証契約番号 {content.contract_number}",
        created=created,
    )
    page.draw(c)
    c.showPage()
    c.save()
    return buffer.getvalue()
