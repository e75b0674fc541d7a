"""The contractor's screens (issue 12, 受注者ポータル): 保証工事一覧 with hints, search and the pager, the certificate
and its print view, the PDF redirect, the 認証キー screen and its re-issue behind a confirmation; every route
refuses anonymous visitors, other roles and other contractors' numbers."""

from __future__ import annotations

import html
import re

import pytest

from tests.support.api import DISPLAY_KEY, OWNER, SURETY, UNKNOWN_NUMBER, issue, verify
from tests.support.portal import C1, C2, CSP, Browser, path_of, signed_in
from tests.support.world import DROP

XSS = "<script>alert(1)</script>港湾工事"


def routes(number: str) -> list[str]:
    return ["/certificates", f"/certificates/{number}", f"/certificates/{number}/print",
            f"/certificates/{number}/pdf", f"/certificates/{number}/auth-key",
            f"/certificates/{number}/auth-key/reissue"]


def test_list_shows_hints_search_pager_and_columns(api):
    numbers = [issue(api), issue(api, guarantee_type="performance", guarantee_amount=10_000_000, deposit_bank=DROP,
                                 project_name="境港市 岸壁補修工事", delivery="paper")]
    page = signed_in(api, C1).get("/certificates")
    assert page.status_code == 200
    text = page.visible_text
    for hint in ("保証契約番号 (10桁) をクリックすると、保証証書の内容をご確認いただけます。",
                 "認証キーの「表示」ボタンを押すと、発注者へ提出いただく情報が表示されます。",
                 "全件表示したい場合は全件を選択し"):
        assert hint in text
    assert text.count("先頭 ◀前 2件中 1 - 2件 次▶ 最後▶") == 2  # above and below the table
    assert "▼" not in text  # the flyer's 「▼先頭」 is a misread glyph (issue 21 item 10)
    for column in ("種別", "証書発行日", "保証契約番号", "区分", "変更契約", "発注者", "工事名",
                   "請負金額(総額):円 請負金額(対象額):円", "保証金額:円", "認証キー"):
        assert column in text
    assert text.count('scope="col"') == 0 and page.text.count('scope="col"') == 10
    for number in numbers:
        assert f'href="/certificates/{number}"' in page.text
    assert f'href="/certificates/{numbers[0]}/auth-key"' in page.text  # electronic: 表示
    assert f'href="/certificates/{numbers[1]}/auth-key"' not in page.text  # paper: no key
    assert "100,000,000 100,000,000 40,000,000" in text
    assert re.search(r"\d{4}/\d{2}/\d{2} " + numbers[0] + " 前払", text)


def pager_link(page, name: str) -> str | None:
    """The href of 先頭 / 前 / 次 / 最後 in the pager above the table (None where it is not a link)."""
    found = re.search(r'<a class="pager__link" href="([^"]+)"[^>]*>[▼◀]?' + name, page.text)
    return html.unescape(found.group(1)) if found else None


def test_pager_moves_by_page_and_keeps_the_search(api, monkeypatch):
    from chalicelib.portal import contractor as portal_contractor

    monkeypatch.setattr(portal_contractor, "PORTAL_PER_PAGE", 2)
    for i in range(5):
        issue(api, project_name=f"工事{i}")
    browser = signed_in(api, C1)
    first = browser.get("/certificates")
    assert "先頭 ◀前 5件中 1 - 2件 次▶ 最後▶" in first.visible_text
    assert '<span class="pager__off">先頭</span>' in first.text  # nowhere to go back to
    assert "並び順: 証書発行日の新しい順" in first.visible_text
    second = browser.get(pager_link(first, "次"))
    assert "5件中 3 - 4件" in second.visible_text
    assert pager_link(second, "先頭") == "/certificates"
    assert "5件中 1 - 2件" in browser.get(pager_link(second, "前")).visible_text
    last = browser.get(pager_link(first, "最後"))
    assert "5件中 5 - 5件" in last.visible_text  # what the full pages leave, read backwards
    assert pager_link(last, "次") is None and pager_link(last, "最後") is None
    assert "5件中 3 - 4件" in browser.get(pager_link(last, "前")).visible_text
    searched = browser.get("/certificates?field=project_name&q=%E5%B7%A5%E4%BA%8B")
    assert "5件中 1 - 2件" in searched.visible_text
    assert pager_link(searched, "次").startswith("/certificates?field=project_name&q=%E5%B7%A5%E4%BA%8B&cursor=")
    assert 'value="project_name" checked' in searched.text
    assert "5件中 3 - 4件" in browser.get(pager_link(searched, "次")).visible_text
    narrow = browser.get("/certificates?field=project_name&q=%E5%B7%A5%E4%BA%8B3")
    assert "1件中 1 - 1件" in narrow.visible_text and "工事3" in narrow.visible_text
    # A cursor is bound to its search: another search's cursor is refused, on the page.
    crossed = browser.get("/certificates?field=project_name&q=%E5%B7%A5%E4%BA%8B3&cursor="
                          + pager_link(searched, "次").rsplit("cursor=", 1)[1])
    assert crossed.status_code == 400 and "cursor" in crossed.visible_text


def test_a_bad_search_is_shown_on_the_search_field(api):
    issue(api)
    page = signed_in(api, C1).get("/certificates?field=contract_number&q=abc")
    assert page.status_code == 400
    assert 'aria-invalid="true" aria-describedby="q-error"' in page.text
    assert "数字" in page.visible_text and "0件中 0 - 0件" in page.visible_text


def test_certificate_screen_print_and_pdf(api):
    number = issue(api)
    browser = signed_in(api, C1)
    page = browser.get(f"/certificates/{number}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.visible_text
    for expected in ("保証証書 (前払金保証)", "印刷画面へ", "この画面は、印刷・保存が可能です。", "PDFをダウンロード",
                     "境港市長 様", "40,000,000 円", "令和 7年 3月31日", "山陰銀行 境港支店",
                     "当会社は、前払金保証契約に基づき上記のとおり前払金保証契約を締結し、その責に任じます。",
                     "【注1】", "【注2】", "【注3】", "版の履歴"):
        assert expected in text, expected
    assert page.text.count('<th scope="row">') >= 9
    printed = browser.get(f"/certificates/{number}/print")
    assert printed.status_code == 200 and printed.headers["Cache-Control"] == "no-store"
    assert "この画面は、印刷・保存が可能です。" in printed.visible_text
    assert "保証証書 (前払金保証)" in printed.visible_text and "ログアウト" not in printed.visible_text
    pdf = browser.get(f"/certificates/{number}/pdf")
    assert pdf.status_code == 303
    assert "X-Amz-Expires=" in pdf.location and f"/certificates/{number}/v1.pdf" in pdf.location
    # 取扱場所 beside the surety, before it, as the PDF places them (issue 21 item 10).
    assert re.search(r"取扱場所 見本支店 .*? 000-000-0001 ○○県○○市見本町1丁目2番3号 見本建設保証株式会社", text)


SUBMIT_WARNING = ("発注者へ提出するのは「認証キー等のお知らせ」(PDF)です。"
                  "保証証書のPDFを誤って提出しないようご注意ください")


def test_the_warning_against_submitting_the_certificate_stands_where_both_downloads_are(api):
    """Issue 21 item 7: the certificate's PDF and the key (with its notice) are one click apart; the flyer warns
    against handing the owner the certificate's PDF."""
    electronic, paper = issue(api), issue(api, delivery="paper", project_name="境港市 岸壁補修工事")
    browser = signed_in(api, C1)
    screen = browser.get(f"/certificates/{electronic}")
    warning_at = screen.text.index("submit-warning")
    assert warning_at < screen.text.index(f"/certificates/{electronic}/pdf") < screen.text.index("認証キーを表示")
    assert SUBMIT_WARNING in screen.visible_text and "保証証書のPDFをダウンロード" in screen.visible_text
    key_screen = browser.get(f"/certificates/{electronic}/auth-key")
    assert SUBMIT_WARNING in key_screen.visible_text
    assert key_screen.text.index("submit-warning") < key_screen.text.index("key-notices/")
    # Paper: no key to hand over, so no warning about it.
    assert SUBMIT_WARNING not in browser.get(f"/certificates/{paper}").visible_text


def test_the_key_screen_says_how_this_owner_wants_the_notice(api):
    """Issue 21 items 6 and 10: the owner's registry entry (methods, 契約窓口), the link's time in a clerk's words."""
    browser = signed_in(api, C1)
    by_email = browser.get(f"/certificates/{issue(api)}/auth-key").visible_text
    assert ("「認証キー等のお知らせ」(PDF)は、前払金請求書とあわせて電子メールに添付して発注者へご提出ください。"
            "送付先のメールアドレスは、あらかじめ発注者の契約窓口(keiyaku@sakaiminato.example.jp)にご確認ください。"
            ) in by_email
    assert "ダウンロードは、この画面を開いてから5分以内に行ってください。" in by_email
    assert "リンクの有効期間" not in by_email
    by_system = browser.get(f"/certificates/{issue(api, obligee_id='pref-demo')}/auth-key").visible_text
    assert "電子契約システムに登録(アップロード)して発注者へご提出ください。登録の方法は" in by_system
    assert "契約窓口(keiyaku@pref-demo.example.jp)" in by_system
    assert "メール" not in by_system.split("発注者への提出")[1]


def test_an_amended_certificate_shows_its_versions(api):
    number = issue(api)
    amended = api.post(f"/v1/guarantees/{number}/amendments", {"expected_version": 1, "expected_revision": 1,
                                                                 "guarantee_amount": 30_000_000},
                       user=SURETY, headers={"Idempotency-Key": f"portal-amend-{number}"})
    assert amended.status_code == 201, amended.json_body
    browser = signed_in(api, C1)
    latest = browser.get(f"/certificates/{number}").visible_text
    assert "(変更)" in latest and "30,000,000 円" in latest and "第2版(表示中)" in latest
    first = browser.get(f"/certificates/{number}?version=1")
    assert "40,000,000 円" in first.visible_text and "最新は第2版です。" in first.visible_text
    assert f'href="/certificates/{number}/print?version=1"' in first.text


def test_key_screen_and_reissue_behind_a_confirmation(api):
    number = issue(api)
    browser = signed_in(api, C1)
    page = browser.get(f"/certificates/{number}/auth-key")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.visible_text
    for label in ("区分 前払金保証", f"保証契約番号 {number}", "工事名 境港市道 渡町線 道路改良工事", "発注者 境港市長",
                  "保証機関 見本建設保証株式会社"):
        assert label in text, label
    old_key = DISPLAY_KEY.search(text).group(0)
    assert re.search(r'href="https?://[^"]+key-notices/[^"]+\.pdf\?[^"]*X-Amz-Expires', page.text)

    confirm = browser.get(f"/certificates/{number}/auth-key/reissue")
    assert confirm.status_code == 200
    assert "現在の認証キーはただちに使用できなくなります" in confirm.visible_text
    assert DISPLAY_KEY.search(confirm.visible_text) is None  # the confirmation does not show the key
    # Without the page's token, or from another site, nothing changes.
    assert browser.post(f"/certificates/{number}/auth-key/reissue", {}).status_code == 403
    assert browser.submit(confirm, f"/certificates/{number}/auth-key/reissue",
                          origin="https://evil.example").status_code == 403
    assert DISPLAY_KEY.search(browser.get(f"/certificates/{number}/auth-key").visible_text).group(0) == old_key

    done = browser.submit(confirm, f"/certificates/{number}/auth-key/reissue")
    assert done.status_code == 303 and done.location == f"/certificates/{number}/auth-key?reissued=1"
    shown = browser.get(done.location)
    new_key = DISPLAY_KEY.search(shown.visible_text).group(0)
    assert new_key != old_key and "認証キーを再発行しました。" in shown.visible_text
    assert re.search(r"再発行 令和 ?\d+年", shown.visible_text)  # the key's reissue day, as its notice prints it
    assert verify(api, number, old_key).status_code == 404
    assert verify(api, number, new_key).status_code == 200


def test_script_in_the_project_name_prints_as_text_everywhere(api):
    number = issue(api, project_name=XSS)
    browser = signed_in(api, C1)
    pages = [browser.get(path) for path in ("/certificates", f"/certificates/{number}",
                                            f"/certificates/{number}/print", f"/certificates/{number}/auth-key",
                                            f"/certificates/{number}/auth-key/reissue")]
    surety = signed_in(api, SURETY)
    pages += [surety.get("/console/contractors/contractor-1"), surety.get(f"/console/certificates/{number}")]
    for page in pages:
        assert page.status_code == 200
        assert "<script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;港湾工事" in page.text
        assert XSS in page.visible_text


def test_anonymous_visitors_are_sent_to_login_from_every_route(api):
    number = issue(api)
    for path in routes(number):
        page = Browser(api).get(path)
        assert page.status_code == 303, path
        assert path_of(page.location).startswith("/login?next=" + path.replace("/", "%2F")), page.location
    anonymous_post = Browser(api).post(f"/certificates/{number}/auth-key/reissue", {})
    assert anonymous_post.status_code == 303 and "/login?" in anonymous_post.location


@pytest.mark.parametrize("user", [OWNER, SURETY])
def test_other_roles_get_the_403_page(api, user):
    number = issue(api)
    browser = signed_in(api, user)
    for path in routes(number):
        page = browser.get(path)
        assert page.status_code == 403, (user, path)
        assert "この画面を表示する権限がありません" in page.visible_text
        assert page.headers["Content-Security-Policy"] == CSP
    confirm = browser.get("/verify" if user == OWNER else "/console")
    assert browser.submit(confirm, f"/certificates/{number}/auth-key/reissue").status_code == 403


def test_another_contractors_number_answers_exactly_as_a_missing_one(api):
    theirs = issue(api, contractor_id="contractor-2", project_name="△△工業の秘密の工事")
    browser = signed_in(api, C1)
    for path in routes(theirs)[1:]:
        other = browser.get(path)
        missing = browser.get(path.replace(theirs, UNKNOWN_NUMBER))
        assert other.status_code == missing.status_code == 404, path
        assert other.text == missing.text.replace(UNKNOWN_NUMBER, theirs), path
        assert "秘密" not in other.text and "該当する保証証書が見つかりません。" in other.visible_text
    confirm = browser.get("/certificates")
    refused = browser.submit(confirm, f"/certificates/{theirs}/auth-key/reissue")
    assert refused.status_code == 404
    assert signed_in(api, C2).get(f"/certificates/{theirs}").status_code == 200
