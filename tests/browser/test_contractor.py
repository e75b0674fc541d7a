"""The 受注者ポータル: 保証工事一覧 (search, pager), 保証証書 (PDF, print), 認証キー and its 再発行."""

from __future__ import annotations

import re

from chalicelib.domain.clock import japan_today
from chalicelib.domain.search import FIELD_NAMES_JA
from scripts.demo_data import CERTIFICATES, seeded_numbers, variety
from tests.support.browser import EXTRA_CERTIFICATES, login, pdf_behind, squeezed_cells

PAGER = re.compile(r"(\d+)\s*件中\s*(\d+)\s*-\s*(\d+)\s*件")
KEY = re.compile(r"\b([0-9A-HJKMNP-TV-Z]{5})-([0-9A-HJKMNP-TV-Z]{5})\b")
SEEDED = seeded_numbers("contractor-1", japan_today())  # the demo world's, newest first
FLYER = sorted(number for number, _, _ in CERTIFICATES)  # the flyer's three, the oldest
PREF_DEMO = sorted([*FLYER, *(g.number for g in variety(japan_today()) if g.body["obligee_id"] == "pref-demo")])


def pager_of(page):
    """(total, first, last) from the pager 「N件中 a - b件」; it must read the same above and below the table."""
    texts = set(PAGER.findall(page.locator("main").inner_text()))
    assert len(texts) == 1, f"pager texts: {texts}"
    return tuple(int(x) for x in texts.pop())


def numbers_listed(page):
    """The 保証契約番号 links of the table, in order."""
    return page.locator("main table tbody th[scope=row] a").all_inner_texts()


def search(page, field, q):
    page.get_by_role("radio", name=field, exact=True).check()
    page.get_by_label("検索語").fill(q)
    page.get_by_role("button", name="検索", exact=True).click()
    page.wait_for_load_state()


def test_list_search_and_pages(runner, new_page, a11y, screenshot):
    total = len(SEEDED) + EXTRA_CERTIFICATES
    page = new_page()
    login(page, "demo-contractor-1")
    page.goto("/certificates")
    assert page.get_by_role("heading", name=re.compile("保証工事一覧")).count() >= 1
    for column in ("種別", "証書発行日", "保証契約番号", "区分", "変更契約", "発注者", "工事名", "請負金額", "保証金額",
                   "認証キー"):
        assert page.get_by_role("columnheader", name=re.compile(column)).count() >= 1, column
    got_total, first, last = pager_of(page)
    assert (got_total, first) == (total, 1)
    size = last
    assert size < total, f"{total} certificates fit on one page of {size}: nothing to page through"
    assert len(numbers_listed(page)) == size
    a11y.check(page, "保証工事一覧")

    # 次▶ / ◀前 / 最後▶ / 先頭: plain links, the same above and below the table.
    assert page.locator("nav.pager, nav[aria-label*=ページ]").count() == 2
    page.get_by_role("link", name=re.compile(r"^\W*次")).first.click()
    assert "cursor=" in page.url  # a signed position: the next page reads one page
    assert pager_of(page) == (total, size + 1, min(2 * size, total))
    a11y.check(page, "保証工事一覧 (page 2)")
    page.get_by_role("link", name=re.compile(r"^\W*前")).first.click()
    assert pager_of(page) == (total, 1, size)
    page.get_by_role("link", name=re.compile("最後")).first.click()
    last_page = pager_of(page)
    assert last_page[2] == total and last_page[1] == (total - 1) // size * size + 1, last_page
    assert set(FLYER) <= set(numbers_listed(page)), "the oldest (the flyer's) certificates are not on the last page"
    # The last page holds the demo world's variety (中間前払, 契約, 書面, 解約, an ended period): the list's picture.
    main = page.locator("main").inner_text()
    assert all(word in main for word in ("中間前払", "契約", "書面", "解約")), main
    assert not squeezed_cells(page), squeezed_cells(page)[:5]
    screenshot(page, "certificates")
    page.get_by_role("link", name=re.compile("先頭")).first.click()
    assert pager_of(page) == (total, 1, size)

    # Search, by a GET form (bookmarkable): 工事名 containing 第1工区 is only the first one issued.
    search(page, "工事名", "第1工区")
    assert "field=project_name" in page.url and "q=" in page.url
    assert pager_of(page)[0] == 1, page.locator("main").inner_text()
    assert numbers_listed(page) == [runner.issued[0]]
    a11y.check(page, "保証工事一覧 (search)")

    search(page, "保証契約番号", FLYER[0])
    assert numbers_listed(page) == [FLYER[0]]

    search(page, "発注者", "○○県")
    assert sorted(numbers_listed(page)) == PREF_DEMO

    # The ranges (証書発行日 and 保証金額 here), the order of the one that drives, the CSV of the whole search.
    page.goto("/certificates")
    page.locator("summary", has_text="絞り込む").click()
    page.get_by_label(FIELD_NAMES_JA["guarantee_amount_min"]).fill("20,000,000")
    page.get_by_label(FIELD_NAMES_JA["guarantee_amount_max"]).fill("50000000")  # closed: this range drives
    page.get_by_label(FIELD_NAMES_JA["issued_to"]).fill("2022-12-31")
    page.get_by_role("button", name="検索", exact=True).click()
    page.wait_for_load_state()
    assert sorted(numbers_listed(page)) == ["2070004426", "2070004427"]  # the seed's 40 and 20 million, 2022
    assert "並び順: 保証金額の大きい順" in page.locator("main").inner_text()
    assert pager_of(page) == (2, 1, 2)
    a11y.check(page, "保証工事一覧 (ranges)")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("CSVダウンロード")).click()
    saved = download.value
    assert saved.suggested_filename.startswith("保証工事一覧_") and saved.suggested_filename.endswith(".csv")
    text = open(saved.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0].startswith("保証契約番号,区分,発注者,工事名,契約日,証書発行日")
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == ["2070004426", "2070004427"]
    a11y.assert_clean()


def test_certificate_pdf_and_print(runner, new_page, a11y, screenshot):
    number = runner.issued[5]
    page = new_page()
    login(page, "demo-contractor-1")
    page.goto(f"/certificates?field=contract_number&q={number}")
    page.get_by_role("link", name=number).first.click()
    assert page.url.endswith(f"/certificates/{number}")
    main = page.locator("main").inner_text()
    assert "保証証書" in main and "前払金保証" in main and number in main
    assert "この画面は、印刷・保存が可能です。" in main
    assert "境港市長" in main and "株式会社○○建設" in main and "40,000,000" in main
    assert re.search(r"令和\s*\d+年\s*\d+月\s*\d+日", main), main
    a11y.check(page, "保証証書")

    pdf = page.get_by_role("link", name="PDFをダウンロード")
    assert pdf_behind(page, pdf.first.get_attribute("href")).startswith(b"%PDF")

    # 取扱場所 on the left, beside the surety on the right, as the PDF places them (issue 21 item 10).
    branch = page.locator(".certificate__branch").bounding_box()
    surety = page.locator(".certificate__surety").bounding_box()
    assert branch["x"] + branch["width"] <= surety["x"] and abs(branch["y"] - surety["y"]) < 4, (branch, surety)
    # The warning stands right above both downloads.
    warning = page.locator(".submit-warning")
    assert "保証証書のPDFを誤って提出しない" in warning.inner_text()
    assert warning.bounding_box()["y"] < page.get_by_role("link", name=re.compile("認証キーを表示")).bounding_box()["y"]

    page.get_by_role("link", name=re.compile("印刷画面へ")).click()
    assert page.url.endswith(f"/certificates/{number}/print")
    assert number in page.locator("body").inner_text()
    a11y.check(page, "保証証書 (印刷画面)")

    # The demo's (変更) 前払金保証 with its versions: the picture of the certificate screen.
    amended = next(g.number for g in variety(japan_today()) if g.amendment)
    page.goto(f"/certificates/{amended}")
    main = page.locator("main").inner_text()
    assert "(変更)" in main and "第2版(表示中)" in main, main
    a11y.check(page, "保証証書 (変更)")
    screenshot(page, "certificate")
    a11y.assert_clean()


def test_auth_key_and_reissue(runner, new_page, a11y, screenshot):
    number = runner.issued[0]
    page = new_page()
    login(page, "demo-contractor-1")
    page.goto(f"/certificates?field=contract_number&q={number}")
    page.get_by_role("row", name=re.compile(number)).get_by_role("link", name=re.compile("表示")).click()
    assert page.url.endswith(f"/certificates/{number}/auth-key")
    main = page.locator("main").inner_text()
    old = KEY.search(main)
    assert old, main
    old_key = old.group(0)
    for label in ("区分", "保証契約番号", "工事名", "発注者", "保証機関"):
        assert label in main, label
    assert runner.verify(number, old_key).status_code == 200
    a11y.check(page, "認証キー")
    screenshot(page, "auth-key")

    notice = page.get_by_role("link", name=re.compile("お知らせ.*PDF"))
    assert pdf_behind(page, notice.first.get_attribute("href")).startswith(b"%PDF")

    page.get_by_role("link", name=re.compile("再発行する")).click()
    assert page.url.endswith(f"/certificates/{number}/auth-key/reissue")
    confirm = page.locator("main").inner_text()
    assert re.search("使用できなく|無効", confirm), confirm
    # The button that acts stands well apart from the way back (issue 21 item 10).
    button = page.get_by_role("button", name=re.compile("再発行")).bounding_box()
    back = page.get_by_role("link", name="再発行せずに戻る").bounding_box()
    assert back["y"] - (button["y"] + button["height"]) >= 16, (button, back)
    a11y.check(page, "認証キー再発行の確認")
    screenshot(page, "auth-key-reissue")

    page.get_by_role("button", name=re.compile("再発行")).click()
    page.wait_for_load_state()
    assert re.search(rf"/certificates/{number}/auth-key(\?|$)", page.url), page.url
    assert "再発行しました" in page.get_by_role("status").inner_text()
    new = KEY.search(page.locator("main").inner_text())
    assert new and new.group(0) != old_key
    a11y.check(page, "認証キー (再発行後)")

    assert runner.verify(number, old_key).status_code == 404, "the old key still verifies"
    assert runner.verify(number, new.group(0)).status_code == 200, "the new key does not verify"
    a11y.assert_clean()


def test_another_contractors_certificate_answers_like_a_missing_one(new_page, a11y):
    page = new_page()
    login(page, "demo-contractor-2")
    answers = []
    for path in (f"/certificates/{FLYER[0]}", "/certificates/2079999999", f"/certificates/{FLYER[0]}/auth-key"):
        response = page.goto(path)
        answers.append((response.status, page.locator("main").inner_text()))
        a11y.check(page, f"エラー画面 ({path})")
    assert answers[0] == answers[1] == answers[2], answers
    assert answers[0][0] == 404
    assert "{" not in answers[0][1] and "Traceback" not in answers[0][1], "a JSON envelope or a stack trace"
    a11y.assert_clean()


def test_the_list_reads_on_a_phone(new_page, a11y, screenshot):
    """Issue 21 item 10: at 390 px no column is squeezed to one character per line; the table scrolls sideways."""
    page = new_page(width=390)
    login(page, "demo-contractor-1")
    page.goto("/certificates")
    screenshot(page, "certificates-phone")
    squeezed = squeezed_cells(page)
    assert not squeezed, squeezed[:5]
    # The page itself does not scroll sideways: only the table's own box does.
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap'))
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert not wide, wide[:10]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    a11y.check(page, "保証工事一覧 (390 px)")
    a11y.assert_clean()
