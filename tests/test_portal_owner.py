"""The owner clerk's screens (issue 12, 確認サービス): 保証証書の確認 with field errors for malformed input, the one
generic failure, the lock message with when to retry, the result with 確認日時 / PDF / print, the QR code's
prefilled number, and 確認済み一覧 with 「確認後に変更あり」 and 解約 marks."""

from __future__ import annotations

from tests.support.api import OTHER_OWNER, OWNER, SURETY, UNKNOWN_NUMBER, issue, show_key, wrong_key_for
from tests.support.portal import C1, CSP, Browser, path_of, signed_in

GENERIC = "保証契約番号または認証キーに誤りがあるか、確認できない保証証書です。入力内容をご確認ください。"


def check(browser: Browser, number: str, key: str):
    form = browser.get("/verify")
    return browser.submit(form, "/verify", {"contract_number": number, "auth_key": key})


def test_the_key_notices_qr_code_lands_on_the_form_with_the_number_only(api):
    browser = signed_in(api, OWNER)
    page = browser.get("/verify?contract_number=2070500001&auth_key=QRSTV-WXYZ0")
    assert page.status_code == 200
    assert page.field("contract_number") == "2070500001"
    assert "QRSTV" not in page.text and page.field("auth_key") == ""
    assert "保証契約番号 ※必須" in page.visible_text and "認証キー ※必須" in page.visible_text
    anonymous = Browser(api).get("/verify?contract_number=2070500001")
    assert path_of(anonymous.location) == "/login?next=%2Fverify%3Fcontract_number%3D2070500001"


def test_success_shows_the_certificate_with_time_pdf_and_print(api):
    number = issue(api, project_name="<script>x</script>境港の工事")
    key = show_key(api, number)
    fullwidth_number = "".join(chr(ord(c) + 0xFEE0) for c in number)
    page = check(signed_in(api, OWNER), fullwidth_number, key.replace("-", "").lower())
    assert page.status_code == 200, page.visible_text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Content-Security-Policy"] == CSP
    text = page.visible_text
    assert "保証証書を確認しました。" in text and "確認日時 令和" in text
    assert "保証証書 (前払金保証)" in text and "40,000,000 円" in text and "境港市長 様" in text
    assert "この画面は、印刷・保存が可能です。" in text
    assert "PDFをダウンロード" in text and "X-Amz-Expires" in page.text
    assert "<script>x</script>" not in page.text and "<script>x</script>境港の工事" in text


def test_every_failure_is_the_one_generic_message(api):
    number = issue(api)
    theirs = issue(api, obligee_id="pref-demo", project_name="○○県の工事")
    key, their_key = show_key(api, number), show_key(api, theirs)
    browser = signed_in(api, OWNER)
    answers = [check(browser, number, wrong_key_for(key)), check(browser, UNKNOWN_NUMBER, key),
               check(browser, theirs, their_key)]  # another owner's certificate with its right key
    for answer in answers:
        assert answer.status_code == 404
        assert GENERIC in answer.visible_text
        assert 'role="alert"' in answer.text
        assert "○○県の工事" not in answer.text
    assert answers[0].field("contract_number") == number  # the number stays, the key is never echoed
    assert wrong_key_for(key) not in answers[0].text
    assert check(signed_in(api, OTHER_OWNER), theirs, their_key).status_code == 200


def test_malformed_input_is_shown_on_its_field(api):
    browser = signed_in(api, OWNER)
    page = check(browser, "12345", "ABC")
    assert page.status_code == 400
    for name in ("contract_number", "auth_key"):
        assert f'aria-invalid="true" aria-describedby="{name}-error {name}-hint"' in page.text, name
        assert f'id="{name}-error"' in page.text
    assert "保証契約番号は10桁の数字で入力してください" in page.visible_text
    assert GENERIC not in page.visible_text


def test_repeated_wrong_keys_lock_with_when_to_retry(api):
    number = issue(api)
    wrong = wrong_key_for(show_key(api, number))
    browser = signed_in(api, OWNER)
    answers = [check(browser, number, wrong) for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [404] * 5
    locked = answers[5]
    assert locked.status_code == 429
    assert "一時停止しています" in locked.visible_text and "分後に再度お試しください。" in locked.visible_text
    assert int(locked.headers["Retry-After"]) > 0


def test_verified_list_marks_changes_and_cancellation(api):
    changed, cancelled, same = issue(api, project_name="変更される工事"), issue(api, project_name="解約される工事"), \
        issue(api, project_name="そのままの工事")
    browser = signed_in(api, OWNER)
    for number in (changed, cancelled, same):
        assert check(browser, number, show_key(api, number)).status_code == 200
    amended = api.post(f"/v1/guarantees/{changed}/amendments", {"expected_version": 1, "expected_revision": 1,
                                                                  "guarantee_amount": 30_000_000},
                       user=SURETY, headers={"Idempotency-Key": f"portal-amend-{changed}"})
    assert amended.status_code == 201, amended.json_body
    ended = api.post(f"/v1/guarantees/{cancelled}/cancel", {"reason": "工事中止"}, user=SURETY,
                     headers={"Idempotency-Key": f"portal-cancel-{cancelled}"})
    assert ended.status_code in (200, 201), ended.json_body
    page = browser.get("/verifications")
    assert page.status_code == 200
    rows = {n: row for n, row in ((n, _row(page.visible_text, n)) for n in (changed, cancelled, same))}
    assert "確認後に変更あり" in rows[changed] and "第2版" in rows[changed]
    assert "解約" in rows[cancelled] and "確認後に変更あり" not in rows[cancelled]
    assert "変更なし" in rows[same]
    assert signed_in(api, OTHER_OWNER).get("/verifications").visible_text.count("207") == 0


def _row(text: str, number: str) -> str:
    start = text.index(number)
    following = [text.find(m, start + 10) for m in ("2070", "まだ確認していない保証証書は")]
    return text[start:min(i for i in following if i > 0)]


def test_owner_routes_refuse_other_roles_and_anonymous_visitors(api):
    for path in ("/verify", "/verifications"):
        assert "/login?next=" in Browser(api).get(path).location
        for user in (C1, SURETY):
            page = signed_in(api, user).get(path)
            assert page.status_code == 403 and "この画面を表示する権限がありません" in page.visible_text
    contractor = signed_in(api, C1)
    form = contractor.get("/certificates")
    refused = contractor.submit(form, "/verify", {"contract_number": "2070500001", "auth_key": "ABCDE-12345"})
    assert refused.status_code == 403
    owner = signed_in(api, OWNER)
    assert owner.post("/verify", {"contract_number": "2070500001", "auth_key": "ABCDE-12345"}).status_code == 403
