"""The 確認サービス for the owner's clerk (境港市): 保証証書の確認 with the key the contractor sees, the one generic
failure message, the lock, 確認済み一覧, and the whole verification by keyboard alone."""

from __future__ import annotations

import re

from chalicelib.domain.clock import japan_today
from scripts.demo_data import variety
from tests.support.browser import login, pdf_behind

GENERIC_FAILURE = "保証契約番号または認証キーに誤りがあるか、確認できない保証証書です。入力内容をご確認ください。"
KEY = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}\b")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def number_field(page):
    return page.get_by_label(re.compile("保証契約番号"))


def key_field(page):
    return page.get_by_label(re.compile("認証キー"))


def submit(page):
    page.get_by_role("button", name="確認する").click()
    page.wait_for_load_state()


def key_shown_to_the_contractor(new_page, number):
    page = new_page()
    login(page, "demo-contractor-1")
    page.goto(f"/certificates/{number}/auth-key")
    found = KEY.search(page.locator("main").inner_text())
    assert found, page.locator("main").inner_text()
    return found.group(0)


def test_owner_verifies_with_the_key_the_contractor_sees(runner, new_page, a11y, screenshot):
    number = runner.issued[1]
    key = key_shown_to_the_contractor(new_page, number)

    page = new_page()
    login(page, "demo-sakaiminato")
    page.goto("/verify")
    assert page.get_by_role("heading", name=re.compile("保証証書の確認")).count() >= 1
    assert "※必須" in page.locator("main").inner_text()
    a11y.check(page, "保証証書の確認")
    screenshot(page, "verify")

    number_field(page).fill(number.translate(FULL_WIDTH))  # full-width digits
    key_field(page).fill(key.replace("-", "").lower())  # no hyphen, lower case
    submit(page)
    main = page.locator("main").inner_text()
    assert number in main and "保証証書" in main and "境港市長" in main, main
    assert "確認日時" in main
    assert GENERIC_FAILURE not in main
    a11y.check(page, "保証証書の確認 (結果)")
    screenshot(page, "verify-result")
    pdf = page.get_by_role("link", name="PDFをダウンロード")
    assert pdf_behind(page, pdf.first.get_attribute("href")).startswith(b"%PDF")

    # The demo world's 境港市 guarantees verified too (a (変更) one, its 中間前払金保証, a 契約保証, a cancelled one):
    # the picture of the list shows their states.
    for seeded in (g.number for g in variety(japan_today()) if g.body["obligee_id"] == "sakaiminato"):
        assert runner.verify(seeded, runner.auth_key(seeded)).status_code in (200, 404)
    page.goto("/verifications")
    assert page.get_by_role("heading", name=re.compile("確認済み一覧")).count() >= 1
    row = page.get_by_role("row", name=re.compile(number))
    assert row.count() == 1 and "株式会社○○建設" in row.inner_text()
    a11y.check(page, "確認済み一覧")
    screenshot(page, "verifications")

    # Searched by 工事名, then opened again from its row without typing the key.
    page.get_by_role("radio", name="工事名", exact=True).check()
    page.get_by_label("検索語").fill("第2工区")  # runner.issued[1] is 第2工区
    page.get_by_role("button", name="検索", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("row", name=re.compile(number)).count() == 1
    page.get_by_role("link", name=number, exact=True).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/verifications/{number}"), page.url
    main = page.locator("main").inner_text()
    assert "確認済みの保証証書です" in main and number in main and "確認日時" in main, main
    a11y.check(page, "確認済み一覧から開いた保証証書")
    a11y.assert_clean()


def test_malformed_input_is_marked_on_its_field(runner, new_page, a11y):
    page = new_page()
    login(page, "demo-sakaiminato")
    page.goto("/verify")
    number_field(page).fill("12345")
    key_field(page).fill("ABCDE-1234")
    submit(page)
    for field in (number_field(page), key_field(page)):
        assert field.get_attribute("aria-invalid") == "true"
        described = field.get_attribute("aria-describedby") or ""
        assert described, "the error is not tied to its field"
        message = " ".join(page.locator(f"[id='{i}']").inner_text() for i in described.split())
        assert re.search("10桁|10文字", message), message
    a11y.check(page, "保証証書の確認 (入力誤り)")
    a11y.assert_clean()


def test_wrong_keys_answer_one_message_then_lock(runner, new_page, a11y):
    number = runner.issued[2]
    page = new_page()
    login(page, "demo-sakaiminato")
    messages = []
    for attempt in range(1, 8):
        page.goto("/verify")
        number_field(page).fill(number)
        key_field(page).fill("ZZZZZ-ZZZZZ")
        submit(page)
        main = page.locator("main").inner_text()
        if "一時停止" in main:
            break
        assert GENERIC_FAILURE in main, main
        messages.append(attempt)
        if attempt == 1:
            a11y.check(page, "保証証書の確認 (不一致)")
    else:
        raise AssertionError("seven wrong keys in a row and no lock message")
    assert len(messages) == 5, f"locked after {len(messages)} failures"
    assert re.search(r"\d+分後", main), main
    a11y.check(page, "保証証書の確認 (ロック)")

    # A number that does not exist answers the same message as a wrong key.
    page.goto("/verify")
    number_field(page).fill("2079999999")
    key_field(page).fill("ZZZZZ-ZZZZZ")
    submit(page)
    assert GENERIC_FAILURE in page.locator("main").inner_text()
    a11y.assert_clean()


def _focus_ring(page):
    return page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        return {name: document.activeElement.name || document.activeElement.tagName,
                style: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0, shadow: s.boxShadow};
    }""")


def _tab_to(page, name, limit=30):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.name") == name:
            ring = _focus_ring(page)
            assert (ring["style"] != "none" and ring["width"] >= 2) or ring["shadow"] not in ("", "none"), \
                f"no visible focus ring on {name}: {ring}"
            return
    raise AssertionError(f"{limit} presses of Tab never reached the field {name!r}")


def test_keyboard_only_verification(runner, new_page, a11y):
    number = runner.issued[3]
    key = runner.auth_key(number)
    page = new_page()
    page.goto("/login")
    _tab_to(page, "username")
    page.keyboard.type("demo-sakaiminato")
    _tab_to(page, "password")
    page.keyboard.type("Demo-Passw0rd!")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url

    page.goto("/verify")
    _tab_to(page, "contract_number")
    page.keyboard.type(number)
    _tab_to(page, "auth_key", limit=1)  # the key is the very next stop
    page.keyboard.type(key)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    main = page.locator("main").inner_text()
    assert number in main and "確認日時" in main, main
    a11y.check(page, "保証証書の確認 (キーボード)")
    a11y.assert_clean()


def test_owner_checks_a_handed_pdf_on_the_check_screen(runner, new_page, a11y, screenshot, tmp_path):
    """「PDFの署名確認」: the PDF the clerk was handed is genuine; one changed byte makes it a PDF not to trust."""
    number = runner.issued[1]
    key = key_shown_to_the_contractor(new_page, number)
    page = new_page()
    login(page, "demo-sakaiminato")
    page.goto("/verify")
    number_field(page).fill(number)
    key_field(page).fill(key)
    submit(page)
    genuine = pdf_behind(page, page.get_by_role("link", name="PDFをダウンロード").first.get_attribute("href"))
    changed = bytearray(genuine)
    changed[len(changed) // 3] ^= 0x01
    for name, data in (("genuine.pdf", genuine), ("changed.pdf", bytes(changed))):
        (tmp_path / name).write_bytes(data)

    page.goto("/check")
    assert page.get_by_role("heading", name="PDFの署名確認").count() == 1
    a11y.check(page, "PDFの署名確認")
    page.get_by_label(re.compile("PDFファイル")).set_input_files(str(tmp_path / "genuine.pdf"))
    page.get_by_role("button", name="確認する").click()
    page.wait_for_load_state()
    status = page.get_by_role("status").inner_text()
    assert "真正な保証証書" in status and "最新" in status, status
    assert number in page.locator("main").inner_text()
    a11y.check(page, "PDFの署名確認 (結果)")
    screenshot(page, "check-result")

    page.get_by_label(re.compile("PDFファイル")).set_input_files(str(tmp_path / "changed.pdf"))
    page.get_by_role("button", name="確認する").click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "真正な" not in main and ("変更" in main or "読み取れません" in main), main
    a11y.assert_clean()


def _result_states_first(new_page, a11y, screenshot, owner, number, key, state, shot):
    """The owner's result of `number`: `state` in words before 確認日時, never the plain success; axe-checked and
    photographed as `shot`. The page, for more checks."""
    page = new_page()
    login(page, owner)
    page.goto("/verify")
    number_field(page).fill(number)
    key_field(page).fill(key)
    submit(page)
    main = page.locator("main").inner_text()
    assert "保証証書を確認しました。" not in main, main
    assert main.index(state) < main.index("確認日時"), main
    assert "最新の版です" in main and "版の履歴" in main, main
    a11y.check(page, f"保証証書の確認結果 ({shot})")
    screenshot(page, shot)
    return page


def test_owners_result_for_a_cancelled_and_an_expired_guarantee_says_the_state_first(runner, new_page, a11y,
                                                                                    screenshot):
    """The state in words before anything else (never the green 「保証証書を確認しました。」 alone), the version shown
    and that no newer one exists, the history, and a print view (issue 21, item 4)."""
    cancelled = runner.issue(90, project_name="境港市道 解約された工事")
    response = runner.api("POST", f"/v1/guarantees/{cancelled}/cancel", "demo-surety", json={"reason": "工事中止"},
                          headers={"Idempotency-Key": "browser-cancel-90"})
    assert response.status_code == 200, response.text
    page = _result_states_first(new_page, a11y, screenshot, "demo-sakaiminato", cancelled, runner.auth_key(cancelled),
                                "この保証は解約されています", "verify-result-cancelled")
    page.get_by_role("link", name="印刷画面へ").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/verifications/{cancelled}/print"), page.url
    assert "この保証は解約されています" in page.locator("main").inner_text()

    # The flyer's 前払金保証 for ○○県: its 保証期間 ended on 令和5年3月31日 (the runner keeps real time).
    expired = "2070004426"
    page = _result_states_first(new_page, a11y, screenshot, "demo-pref", expired, runner.auth_key(expired),
                                "この保証は保証期間が満了しています", "verify-result-expired")
    main = page.locator("main").inner_text()
    assert "保証期間の末日 令和 5年 3月31日" in main and "保証期間満了" in main, main
    page.goto("/verifications")
    assert "保証期間満了" in page.get_by_role("row", name=re.compile(expired)).inner_text()
    a11y.assert_clean()
