"""The key notice PDF: its strings, the submission instruction by owner, and a QR code without the key."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from chalicelib.domain.types import GuaranteeType
from chalicelib.pdf.key_notice import (
    TITLE,
    KeyNoticeContent,
    key_notice_text_fields,
    layout_key_notice,
    qr_payload,
    render_key_notice,
    submission_instruction,
)
from chalicelib.pdf.layout import QR_BORDER, qr_modules

URL = "https://verify.example.jp/verify?contract_number=2070004426"

CREATED = datetime(2024, 5, 10, 3, 0, tzinfo=UTC)  # fixed, so the bytes are too
NOTICE = KeyNoticeContent(
    guarantee_type=GuaranteeType.ADVANCE_PAYMENT,
    contract_number="2070004426",
    auth_key_display="7KQ2M-X9D4T",
    project_name="○○道路改良工事",
    obligee_name="○○県知事",
    surety_name="見本建設保証株式会社",
    submission_methods=("email",),
    verification_url=URL,
    service_name="電子保証 確認サービス",
    issued_on=date(2026, 12, 7),
    contact_email="keiyaku@pref-demo.example.jp",
)


def _text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_notice_shows_type_number_key_project_owner_and_surety() -> None:
    pdf = render_key_notice(NOTICE, created=CREATED)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for s in (
        TITLE,
        "前払金保証",
        "2070004426",
        "7KQ2M-X9D4T",
        "○○道路改良工事",
        "○○県知事",
        "見本建設保証株式会社",
        "【お客様へのお知らせ】",
        "【発注者様へのお知らせ】",
        "電子保証 確認サービス",
    ):
        assert s in text, s
    # The flyer's instructions about the portal's screens are not part of the notice.
    assert "【重要】" not in text and "STEP" not in text
    for label in ("区分", "保証契約番号", "認証キー", "工事名", "発注者", "保証機関"):
        assert label in text
    assert reader.metadata.title == f"{TITLE} 2070004426"


def test_every_field_is_drawn() -> None:
    page = layout_key_notice(NOTICE)
    for key, value in key_notice_text_fields(NOTICE).items():
        assert "".join(page.field_lines(key)) == value.replace("\n", ""), key


@pytest.mark.parametrize(
    ("gt", "name_ja"),
    [
        (GuaranteeType.ADVANCE_PAYMENT, "前払金保証"),
        (GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT, "中間前払金保証"),
        (GuaranteeType.PERFORMANCE, "契約保証"),
    ],
)
def test_category_is_the_full_type_name(gt: GuaranteeType, name_ja: str) -> None:
    assert key_notice_text_fields(dataclasses.replace(NOTICE, guarantee_type=gt))["区分"] == name_ja


@pytest.mark.parametrize(("methods", "printed"), [
    (("email",), "次の方法で当該PDFファイルを発注者様にご提出ください。\n電子メールに添付して送信"),
    (("e_contract",), "次の方法で当該PDFファイルを発注者様にご提出ください。\n電子契約システムへの登録 (アップロード)"),
    # Both, numbered as on the flyer, whatever order the owner was registered with.
    (("email", "e_contract"), "次の方法で当該PDFファイルを発注者様にご提出ください。\n"
                              "①電子契約システムへの登録 (アップロード) 又は ②電子メールに添付して送信"),
], ids=["email", "e_contract", "both"])
def test_the_notice_prints_exactly_the_methods_the_owner_accepts(methods, printed) -> None:
    assert submission_instruction(methods) == printed
    notice = dataclasses.replace(NOTICE, submission_methods=methods)
    text = _text(render_key_notice(notice, created=CREATED)).replace(" ", "")
    assert ("電子メール" in text) is ("email" in methods)
    assert ("電子契約システム" in text) is ("e_contract" in methods)


@pytest.mark.parametrize("methods", [("fax",), (), ("email", "fax")])
def test_unknown_submission_method_is_refused(methods) -> None:
    with pytest.raises(ValueError, match="submission method"):
        render_key_notice(dataclasses.replace(NOTICE, submission_methods=methods), created=CREATED)


def test_qr_payload_is_the_url_with_the_number_and_never_the_key() -> None:
    payload = qr_payload(NOTICE)
    assert payload == URL
    assert "2070004426" in payload
    assert "7KQ2M" not in payload and "X9D4T" not in payload
    page = layout_key_notice(NOTICE)
    assert [q.value for q in page.qr_codes] == [URL]


@pytest.mark.parametrize(
    "url",
    [
        "https://verify.example.jp/verify?contract_number=2070004426&key=7KQ2M-X9D4T",
        "https://verify.example.jp/verify?contract_number=2070004426&key=7kq2mx9d4t",
        "https://verify.example.jp/verify",  # no contract number
    ],
)
def test_bad_verification_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="verification_url"):
        render_key_notice(dataclasses.replace(NOTICE, verification_url=url), created=CREATED)


def test_qr_code_lies_inside_the_page_and_clear_of_the_text() -> None:
    long = dataclasses.replace(
        NOTICE, project_name="○○道路改良工事(第二工区)" * 12, obligee_name="境港市長" * 5
    )
    for content in (NOTICE, long):
        page = layout_key_notice(content)
        (qr,) = page.qr_codes
        assert 36 <= qr.x and qr.x + qr.size <= page.width - 36
        assert 36 <= qr.y and qr.y + qr.size <= page.height - 36
        for t in page.texts:
            assert 36 <= t.x and t.x + t.width <= page.width - 36 + 0.01, t.text
            assert 36 <= t.bottom and t.top <= page.height - 36, t.text
            overlaps = (
                t.x < qr.x + qr.size and qr.x < t.x + t.width and t.bottom < qr.y + qr.size and qr.y < t.top
            )
            assert not overlaps, t.text


def test_qr_code_and_the_printed_address_are_links_to_the_same_address() -> None:
    # A reader on a PC clicks (the code or the address printed as text); on paper the code is scanned or the
    # address typed.
    reader = PdfReader(io.BytesIO(render_key_notice(NOTICE, created=CREATED)))
    uris = [a.get_object()["/A"]["/URI"] for a in reader.pages[0].get("/Annots", [])]
    assert uris == [URL, URL]
    assert URL in _text(render_key_notice(NOTICE, created=CREATED)).replace("\n", "")


def test_fonts_embedded_size_and_determinism() -> None:
    pdf = render_key_notice(NOTICE, created=CREATED)
    assert pdf == render_key_notice(NOTICE, created=CREATED)
    assert len(pdf) <= 80 * 1024
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        assert re.fullmatch(r"/[A-Z]{6}\+IPAexMincho", font["/BaseFont"])
        assert "/FontFile2" in font["/FontDescriptor"].get_object()


def _decode(pixels: bytes, width: int, height: int) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    return [b.text for b in zxingcpp.read_barcodes(memoryview(pixels).cast("B", [height, width]))]


def _pixels(modules: tuple[tuple[bool, ...], ...]) -> tuple[bytes, int]:
    scale = 4
    n = len(modules) + 2 * QR_BORDER
    rows = []
    for r in range(n):
        row = bytearray()
        for c in range(n):
            mr, mc = r - QR_BORDER, c - QR_BORDER
            dark = 0 <= mr < len(modules) and 0 <= mc < len(modules) and modules[mr][mc]
            row += (b"\x00" if dark else b"\xff") * scale
        rows.extend([bytes(row)] * scale)
    return b"".join(rows), n * scale


def test_qr_modules_decode_to_the_url() -> None:
    pixels, size = _pixels(qr_modules(URL))
    assert _decode(pixels, size, size) == [URL]


def test_qr_code_survives_a_smudge() -> None:
    # Level M: a printed notice with a blot on the code still leads the clerk to the page.
    modules = [list(row) for row in qr_modules(URL)]
    n = len(modules)
    for r in range(n - 12, n - 9):
        for c in range(n - 12, n - 9):
            modules[r][c] = True
    pixels, size = _pixels(tuple(tuple(row) for row in modules))
    assert _decode(pixels, size, size) == [URL]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
def test_qr_code_in_the_rendered_pdf_decodes_to_the_url() -> None:
    pytest.importorskip("zxingcpp")
    pdf = render_key_notice(NOTICE, created=CREATED)
    out = subprocess.run(
        ["pdftoppm", "-gray", "-r", "150", "-singlefile", "-"], input=pdf, capture_output=True, check=True
    )
    header, dims, maxval, pixels = out.stdout.split(b"\n", 3)
    assert header == b"P5" and maxval == b"255"
    width, height = (int(v) for v in dims.split())
    assert _decode(pixels, width, height) == [URL]


# ------------------------------------------------------------------ issue 21 item 8: date, 再発行, address, lines

def test_the_notice_is_dated_and_a_reissued_one_says_so_with_its_day() -> None:
    text = _text(render_key_notice(NOTICE, created=CREATED)).replace(" ", "")
    assert "発行日令和8年12月7日" in text and "再発行" not in text
    reissued = dataclasses.replace(NOTICE, reissued_on=date(2026, 12, 5))
    text = _text(render_key_notice(reissued, created=CREATED)).replace(" ", "")
    assert "発行日令和8年12月7日" in text and "再発行令和8年12月5日" in text


def test_the_notice_tells_a_reader_on_paper_or_on_a_pc_how_to_open_the_screen() -> None:
    page = layout_key_notice(NOTICE)
    text = "".join(t.text for t in page.texts)
    assert "QRコードをスマートフォン等で読み取るか、パソコンでは次のアドレスをクリックして開けます" in text
    assert "".join(page.field_lines("確認画面")) == URL  # the address, as text, readable and typeable
    # The printed address is a link over exactly its text.
    (address,) = [t for t in page.texts if t.field == "確認画面"]
    (area,) = page.links
    assert (area.url, area.x1, area.x2) == (URL, address.x, address.x + address.width)


# Words of the notice that a line must never split (its fixed text, the advice, the names, the address).
WORDS = ("となります", "ください", "確認サービス", "メールアドレス", "前払金請求書", "中間前払金請求書", "保証契約番号",
         "認証キー", "電子証書", "アップロード", "電子メール", "スマートフォン", "パソコン", "契約窓口", "あわせて",
         "入力済み", "閲覧", "ご提出", "ご確認", "あらかじめ", "登録の方法", "keiyaku@pref-demo.example.jp",
         "contract_number=2070004426", "境港市道", "道路改良工事", "見本建設保証株式会社")


def _variants() -> list[KeyNoticeContent]:
    return [
        NOTICE,
        dataclasses.replace(NOTICE, reissued_on=date(2026, 12, 5), submission_methods=("e_contract",)),
        dataclasses.replace(NOTICE, submission_methods=("email", "e_contract"),
                            guarantee_type=GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT),
        dataclasses.replace(NOTICE, guarantee_type=GuaranteeType.PERFORMANCE,
                            project_name="境港市道 渡町線 道路改良工事 " * 4),
    ]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
@pytest.mark.parametrize("content", _variants(), ids=["email", "e_contract-reissued", "both-intermediate", "long"])
def test_no_word_is_broken_across_lines(content: KeyNoticeContent) -> None:
    """What a reader sees (poppler's text of the rendered page, line by line): every word that the page holds
    lies on one line."""
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=render_key_notice(content, created=CREATED),
                         capture_output=True, check=True).stdout.decode()
    lines = [" ".join(line.split()) for line in out.splitlines() if line.strip()]
    flat = "".join(line.replace(" ", "") for line in lines)
    for word in WORDS:
        whole = sum(line.replace(" ", "").count(word) for line in lines)
        assert flat.count(word) == whole, f"{word!r} is broken across lines:\n" + "\n".join(lines)
    assert "前払金請求書" in flat or content.guarantee_type is GuaranteeType.PERFORMANCE


def test_phrase_breaks_fall_between_words() -> None:
    from chalicelib.pdf.layout import phrase_breaks, wrap_text

    text = "以下のとおりとなります。発注者へご提出ください。"
    pieces = [text[a:b] for a, b in zip([0, *phrase_breaks(text)], [*phrase_breaks(text), len(text)], strict=True)]
    assert pieces == ["以下のとおりとなります。", "発注者へ", "ご提出ください。"]
    # Never before a character that may not start a line; a word wider than the line alone is cut by character.
    assert all(text[i] not in "。、」" for i in phrase_breaks("「認証キー」等は、以下の"))
    assert wrap_text("保証契約番号保証契約番号", 60, 10, phrases=True) == ["保証契約番号", "保証契約番号"]
