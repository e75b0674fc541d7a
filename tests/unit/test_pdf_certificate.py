"""The certificate PDF: the strings it draws, where it draws them, its fonts, size and determinism."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from chalicelib.config import DEMO_SURETY
from chalicelib.domain.types import GuaranteeType
from chalicelib.pdf.certificate import (
    NOTES,
    CertificateContent,
    certificate_text_fields,
    layout_certificate,
    render_certificate,
)
from chalicelib.pdf.layout import PageLayout, wrap_text

SURETY = DEMO_SURETY  # fictional: no sample impersonates a real surety
CREATED = datetime(2022, 1, 28, 1, 30, tzinfo=UTC)  # the moment a PDF is made: fixed, so its bytes are too

# The flyer's certificate 2070004426.
SEED = CertificateContent(
    contract_number="2070004426",
    version=1,
    amended=False,
    guarantee_type=GuaranteeType.ADVANCE_PAYMENT,
    issued_on=date(2022, 5, 10),
    contractor_address="▲▲市▲▲区▲▲1丁目1番1号",
    contractor_name="株式会社○○建設",
    obligee_name="○○県知事",
    guarantee_amount=40_000_000,
    guarantee_period_end=date(2023, 3, 31),
    completion_date=date(2023, 3, 31),
    project_name="○○道路改良工事",
    contract_amount_total=100_000_000,
    deposit_bank="○○銀行 △△支店",
)

# Many different kanji, so the wrap and the font subset are exercised, not one repeated glyph.
LONG_PROJECT = (
    "一般国道百八十号線道路改良工事(第二工区)に伴う橋梁下部工、擁壁工、排水構造物工、舗装工及び付帯工事並びに"
    "河川護岸改修、砂防堰堤補修、法面保護工、防護柵設置、区画線設置、照明施設整備、交通安全施設整備の一式、"
    "県道境港米子線歩道拡幅工事、市道上道中央線側溝改良工事、公園遊具更新、上水道配水管布設替え、下水道"
    "マンホール蓋交換、消防水利施設整備、防災行政無線屋外拡声子局移設工事、旧庁舎解体撤去、仮設道路設置"
)[:200]
LONG_ADDRESS = (
    "鳥取県境港市上道町三千番地の二十五 境港リバーサイドビルディング東館十二階千二百三十四号室 気付 "
    "株式会社○○建設 本社営業部 工事管理課 御中 (郵便番号六八四-〇〇〇四 電話〇八五九-四七-〇〇〇〇) "
    "山陰支店経由 資材センター第三倉庫宛"
)[:120]


def _pdf_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def _drawn_runs(pdf: bytes) -> list[tuple[str, float, float]]:
    """(text, x, y) of every drawn string, from the text and current matrices.

    pypdf reports a string drawn across several font subsets (more than 256 glyphs in use) in pieces at
    the string's start position, and ends each string with a newline: join the pieces back.
    """
    runs: list[tuple[str, float, float]] = []
    buf = ""
    start: tuple[float, float] | None = None

    def visit(text: str, cm: list[float], tm: list[float], font_dict: object, font_size: float) -> None:
        nonlocal buf, start
        if not text:
            return
        if start is None:
            start = (tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
        buf += text
        if buf.endswith("\n"):
            runs.append((buf[:-1], *start))
            buf, start = "", None

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    if buf.strip() and start is not None:
        runs.append((buf, *start))
    return [r for r in runs if r[0].strip()]


def _assert_fonts_embedded(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert fonts
    for ref in fonts.values():
        font = ref.get_object()
        # reportlab's TTFont writes subsets named like 'AAAAAA+IPAexMincho' with the glyphs in FontFile2.
        assert re.fullmatch(r"/[A-Z]{6}\+IPAexMincho", font["/BaseFont"]), font["/BaseFont"]
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor
        assert descriptor["/FontFile2"].get_object().get_data()[:4] in (b"\x00\x01\x00\x00", b"true")


def _assert_inside(page: PageLayout, margin: float = 36.0) -> None:
    """Every string and rule lies inside the page, at least `margin` points from each edge."""
    assert page.texts
    for t in page.texts:
        assert margin <= t.x and t.x + t.width <= page.width - margin + 0.01, (t.text, t.x, t.width)
        assert margin <= t.bottom and t.top <= page.height - margin, (t.text, t.y)
    for ln in page.lines:
        for x, y in ((ln.x1, ln.y1), (ln.x2, ln.y2)):
            assert margin - 10 <= x <= page.width - margin + 10
            assert margin - 10 <= y <= page.height - margin + 10


def test_text_fields_of_the_seed_certificate() -> None:
    fields = certificate_text_fields(SEED, SURETY)
    assert fields["発行日"] == "令和 4年 5月10日"
    assert fields["表題"] == "保証証書 (前払金保証)"
    assert "変更" not in fields
    assert fields["保証契約番号"] == "2070004426"
    assert fields["保証契約者"] == "▲▲市▲▲区▲▲1丁目1番1号\n株式会社○○建設 様"
    assert fields["被保証者"] == "○○県知事 様"
    assert fields["保証金額(総額)"] == "40,000,000 円"
    assert fields["保証期間"] == "令和 5年 3月31日"
    assert fields["工期末日"] == "令和 5年 3月31日"
    assert fields["工事名"] == "○○道路改良工事"
    assert fields["請負金額(総額)"] == "100,000,000 円"
    assert fields["預託金融機関"] == "○○銀行 △△支店"
    assert (
        fields["文言"]
        == "当会社は、前払金保証契約に基づき上記のとおり前払金保証契約を締結し、その責に任じます。"
    )
    assert fields["TEL"] == "TEL: 000-000-0000"
    assert fields["FAX"] == "FAX: 000-000-0001"
    assert fields["注1"] == "保証金額の増減等の変更があった場合は(変更)と表示し、変更後の内容を記載します。"
    assert fields["注2"] == (
        "保証期間については、工期の完了に応じて自動的に変更されますので、変更の保証証書は発行しません。"
    )
    assert fields["注3"] == "請負金額のみの変更の保証証書は発行を省略させていただきます。"
    assert fields["案内"] == "前払金保証契約につきましては、https://surety.example.jp/をご確認ください。"


@pytest.mark.parametrize(
    ("gt", "heading", "statement"),
    [
        (
            GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT,
            "保証証書 (中間前払金保証)",
            "当会社は、中間前払金保証契約に基づき上記のとおり中間前払金保証契約を締結し、その責に任じます。",
        ),
        (
            GuaranteeType.PERFORMANCE,
            "保証証書 (契約保証)",
            "当会社は、契約保証契約に基づき上記のとおり契約保証契約を締結し、その責に任じます。",
        ),
    ],
)
def test_heading_and_statement_follow_the_type(gt: GuaranteeType, heading: str, statement: str) -> None:
    fields = certificate_text_fields(dataclasses.replace(SEED, guarantee_type=gt), SURETY)
    assert fields["表題"] == heading
    assert fields["文言"] == statement
    assert fields["案内"].startswith(f"{gt.name_ja}契約につきましては、")


@pytest.mark.parametrize("gt", list(GuaranteeType))
@pytest.mark.parametrize("amended", [False, True])
def test_pdf_draws_every_field_string(gt: GuaranteeType, amended: bool) -> None:
    content = dataclasses.replace(SEED, guarantee_type=gt, amended=amended)
    fields = certificate_text_fields(content, SURETY)
    page = layout_certificate(content, SURETY)
    text = _pdf_text(render_certificate(content, SURETY, created=CREATED))
    for key, value in fields.items():
        lines = page.field_lines(key)
        # One source: the drawn lines of a field put together are its value.
        assert "".join(lines) == value.replace("\n", ""), key
        for line in lines:
            assert line in text, (key, line)
    for note in NOTES:
        assert f"【{note}】" in text


def test_amended_mark_only_on_an_amended_version() -> None:
    plain = _pdf_text(render_certificate(SEED, SURETY, created=CREATED))
    amended_pdf = render_certificate(dataclasses.replace(SEED, amended=True, version=2), SURETY, created=CREATED)
    amended = _pdf_text(amended_pdf)
    assert "(変更)" in amended.replace(NOTES["注1"], "")
    assert "(変更)" not in plain.replace(NOTES["注1"], "")  # 注1 itself mentions (変更)
    assert PdfReader(io.BytesIO(amended_pdf)).metadata.title == "保証証書 (前払金保証) 2070004426 (変更)"


def test_deposit_bank_only_on_advance_types() -> None:
    for gt in (GuaranteeType.ADVANCE_PAYMENT, GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT):
        content = dataclasses.replace(SEED, guarantee_type=gt)
        assert "預託金融機関" in _pdf_text(render_certificate(content, SURETY, created=CREATED))
    performance = dataclasses.replace(SEED, guarantee_type=GuaranteeType.PERFORMANCE)
    assert "預託金融機関" not in certificate_text_fields(performance, SURETY)
    text = _pdf_text(render_certificate(performance, SURETY, created=CREATED))
    assert "預託金融機関" not in text
    assert "○○銀行" not in text


@pytest.mark.parametrize("bank", [None, "", "  "])
def test_advance_without_deposit_bank_is_refused(bank: str | None) -> None:
    with pytest.raises(ValueError, match="預託金融機関"):
        render_certificate(dataclasses.replace(SEED, deposit_bank=bank), SURETY, created=CREATED)


def test_fonts_are_embedded_subsets() -> None:
    _assert_fonts_embedded(render_certificate(SEED, SURETY, created=CREATED))


def test_metadata_and_one_page() -> None:
    reader = PdfReader(io.BytesIO(render_certificate(SEED, SURETY, created=CREATED)))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait
    assert reader.metadata.title == "保証証書 (前払金保証) 2070004426"
    assert reader.metadata.author == "見本建設保証株式会社"


def test_the_creation_date_is_the_moment_it_was_made_in_japan_time() -> None:
    """Not reportlab's invariant 2000-01-01 (issue 21): the CreationDate is the signing moment, and the same
    content made at another moment differs only there."""
    reader = PdfReader(io.BytesIO(render_certificate(SEED, SURETY, created=CREATED)))
    assert reader.metadata["/CreationDate"] == "D:20220128103000+09'00'"
    assert reader.metadata["/ModDate"] == reader.metadata["/CreationDate"]
    later = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    assert PdfReader(io.BytesIO(render_certificate(SEED, SURETY, created=later))).metadata[
        "/CreationDate"] == "D:20261207110000+09'00'"


def test_a_reprint_after_a_recorded_change_says_so_under_its_issue_date() -> None:
    """注2/注3: a change recorded without a new certificate makes the version's PDF again; the reprint carries
    「(記録事項の変更 令和X年X月X日)」 under the issue date, so it differs from the first print visibly."""
    assert "(記録事項の変更" not in _pdf_text(render_certificate(SEED, SURETY, created=CREATED))
    reprint = dataclasses.replace(SEED, recorded_on=date(2022, 6, 1))
    assert certificate_text_fields(reprint, SURETY)["記録事項の変更"] == "(記録事項の変更 令和4年6月1日)"
    assert "(記録事項の変更 令和4年6月1日)" in _pdf_text(render_certificate(reprint, SURETY, created=CREATED))


def test_same_content_gives_the_same_bytes() -> None:
    assert render_certificate(SEED, SURETY, created=CREATED) == render_certificate(SEED, SURETY, created=CREATED)
    assert render_certificate(SEED, SURETY, created=CREATED) != render_certificate(
        dataclasses.replace(SEED, guarantee_amount=30_000_000), SURETY, created=CREATED
    )


def test_long_project_name_and_address_wrap_inside_their_cells() -> None:
    assert len(LONG_PROJECT) == 200 and len(LONG_ADDRESS) == 120
    content = dataclasses.replace(
        SEED,
        project_name=LONG_PROJECT,
        contractor_address=LONG_ADDRESS,
        obligee_name="境港市長" * 10,
        amended=True,
    )
    page = layout_certificate(content, SURETY)
    _assert_inside(page)
    assert len(page.field_lines("工事名")) > 1
    assert "".join(page.field_lines("工事名")) == LONG_PROJECT
    # Values stay right of the label column, inside the table's right edge.
    label_x = min(t.x for t in page.texts if t.text == "工事名")
    table_right = max(ln.x1 for ln in page.lines)
    for t in page.texts:
        if t.field == "工事名":
            assert t.x > label_x + 60 and t.x + t.width < table_right

    pdf = render_certificate(content, SURETY, created=CREATED)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    # The PDF draws exactly the layout's strings at the layout's positions.
    drawn = _drawn_runs(pdf)
    expected = [(t.text, t.x, t.y) for t in page.texts]
    assert len(drawn) == len(expected)
    for (text, x, y), (etext, ex, ey) in zip(drawn, expected, strict=True):
        assert text == etext
        assert abs(x - ex) < 0.01 and abs(y - ey) < 0.01


def test_pdf_size() -> None:
    # The embedded subset costs about 290 bytes per distinct character (Mincho kanji outlines); the fixed
    # wording alone uses ~120. A typical certificate stays within 80 KB, even with a long name.
    assert len(render_certificate(SEED, SURETY, created=CREATED)) <= 80 * 1024
    typical_long = dataclasses.replace(
        SEED, project_name=("○○道路改良工事(第二工区)に伴う橋梁下部工事、" * 10)[:200]
    )
    assert len(render_certificate(typical_long, SURETY, created=CREATED)) <= 80 * 1024
    # 200 + 120 characters with hardly a repeat (~300 distinct glyphs, two subsets) is the worst case.
    worst = dataclasses.replace(SEED, project_name=LONG_PROJECT, contractor_address=LONG_ADDRESS)
    assert len(render_certificate(worst, SURETY, created=CREATED)) <= 160 * 1024


def test_seed_layout_inside_page() -> None:
    _assert_inside(layout_certificate(SEED, SURETY))


def test_content_that_cannot_fit_one_page_is_refused() -> None:
    with pytest.raises(ValueError, match="one page"):
        layout_certificate(dataclasses.replace(SEED, project_name="工" * 3000), SURETY)


_FORBIDDEN_START = ("、", "。", "」", "ー")


@settings(max_examples=100, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("工事名あいう、。」ーABCxyz0123 -▲○"), max_size=150),
    st.floats(min_value=40, max_value=400),
)
def test_wrap_keeps_every_character_and_every_line_fits(text: str, width: float) -> None:
    from chalicelib.pdf.fonts import string_width

    lines = wrap_text(text, width, 10.5)
    assert "".join(lines) == text
    for line in lines:
        assert string_width(line, 10.5) <= width + 1e-6


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(["工", "事", "名", "A", "0", "(", "▲", "工、", "事。", "名」", "長ー"]), max_size=80
    )
)
def test_wrap_keeps_punctuation_off_the_start_of_a_line(pieces: list[str]) -> None:
    # No two line-start-forbidden characters in a row, and room for a few characters: always satisfiable.
    text = "".join(pieces)
    lines = wrap_text(text, 60, 10.5)
    assert "".join(lines) == text
    assert not any(line.startswith(_FORBIDDEN_START) for line in lines[1:]), lines


def test_a_version_states_what_its_certificate_prints():
    """CertificateContent.from_version is the one mapping of a stored version to its printed content (the PDF,
    the screens, the samples): the seed's version as a record prints exactly the seed's strings."""
    from datetime import UTC, datetime

    from chalicelib.domain.records import CertificateVersion, StatedTerms
    from chalicelib.domain.types import Delivery, WorkCategory

    version = CertificateVersion(
        contract_number=SEED.contract_number, version=1, guarantee_type=SEED.guarantee_type,
        delivery=Delivery.ELECTRONIC, work_category=WorkCategory.CONSTRUCTION, contractor_id="contractor-1",
        obligee_id="pref-demo", contractor_name=SEED.contractor_name, contractor_address=SEED.contractor_address,
        obligee_name=SEED.obligee_name, contract_date=date(2022, 4, 1),
        terms=StatedTerms(project_name=SEED.project_name, completion_date=SEED.completion_date,
                          guarantee_period_end=SEED.guarantee_period_end,
                          contract_amount_total=SEED.contract_amount_total, contract_amount_covered=90_000_000,
                          guarantee_amount=SEED.guarantee_amount, deposit_bank=SEED.deposit_bank),
        issued_on=SEED.issued_on, issued_at=datetime(2022, 5, 10, tzinfo=UTC), issued_by="demo-surety")
    assert CertificateContent.from_version(version) == SEED
    assert certificate_text_fields(CertificateContent.from_version(version), SURETY) == certificate_text_fields(
        SEED, SURETY)
