"""The sample documents in docs/ are what the service makes (issue 10): `make docs` renders them with the
service's own code and records each page's layout digest in docs/samples.json. This fails when the code now
draws something else (run `make docs` and commit the PNGs), or when a PNG is not the one recorded.

The comparison is of the layout (every string, position, rule and QR value: deterministic, machine-independent),
never of PDF or PNG bytes rendered here: stored PDFs are signed per object and PNG rasterising differs across
poppler versions."""

from __future__ import annotations

import hashlib
import json

import pytest

from scripts.docs import DOCS, RECORD, layout_digest, sample_pages


@pytest.fixture(scope="module")
def pages():
    return sample_pages()


def test_the_samples_in_docs_are_what_the_service_draws(pages):
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))
    assert set(recorded) == set(pages), "run `make docs`"
    for name, (page, _pdf) in pages.items():
        assert recorded[name]["text"] == [t.text for t in page.texts], f"{name} is stale: run `make docs`"
        assert recorded[name]["layout_sha256"] == layout_digest(page), f"{name} is stale: run `make docs`"
        png = (DOCS / recorded[name]["png"]).read_bytes()
        assert hashlib.sha256(png).hexdigest() == recorded[name]["png_sha256"], f"{name}.png is not the one rendered"


def test_the_samples_show_what_the_issue_asks_for(pages):
    amended = [t.text for t in pages["certificate-amended-sample"][0].texts]
    assert "(変更)" in amended and "36,000,000 円" in amended
    notice = " ".join(t.text for t in pages["key-notice-sample"][0].texts)
    assert "境港市長" in notice and "電子メールに添付して送信" in notice
    assert "【重要】" not in notice and "STEP" not in notice and "電子契約システム" not in notice
    (qr,) = pages["key-notice-sample"][0].qr_codes
    assert qr.value.endswith("/verify?contract_number=2070500001")
    # Issue 21: the notice is dated and names our verification service; every kind of guarantee has a sample.
    assert "発行日 令和 6年 5月13日" in notice and "「電子保証 確認サービス」にログインし" in notice
    flat = "".join(t.text for t in pages["key-notice-sample"][0].texts)
    assert "前払金請求書とあわせて" in flat and "契約窓口(keiyaku@sakaiminato.example.jp)" in flat
    intermediate = [t.text for t in pages["certificate-intermediate-sample"][0].texts]
    assert "保証証書 (中間前払金保証)" in intermediate and "20,000,000 円" in intermediate
    assert "預託金融機関" in intermediate
    performance = [t.text for t in pages["certificate-performance-sample"][0].texts]
    assert "保証証書 (契約保証)" in performance and "10,000,000 円" in performance
    assert "預託金融機関" not in performance  # a 契約保証 has no deposit bank
    for page, _pdf in pages.values():  # the fictional demo surety only
        assert any("見本建設保証株式会社" in t.text for t in page.texts)
        assert not any("西日本" in t.text or "06-6543" in t.text for t in page.texts)


def test_a_changed_drawing_changes_the_digest(pages):
    from dataclasses import replace

    page = pages["key-notice-sample"][0]
    moved = type(page)(page.width, page.height, [replace(page.texts[0], x=page.texts[0].x + 0.5), *page.texts[1:]],
                       page.lines, page.qr_codes)
    assert layout_digest(moved) != layout_digest(page)
