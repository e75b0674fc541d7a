"""Statuses that tell the truth (issue 21, item 4): a guarantee whose 保証期間 has ended reads 保証期間満了 (`expired`)
everywhere its state shows, from the day after the period's last day in Japan: the contractor's list, its CSV and the
certificate, the owner's verification answer and 確認済み一覧, the PDF check (never 「現在有効な最新」), and the owner's
result screen, which puts the state first for an expired or a cancelled guarantee and shows the latest version, the
history and a print view."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.api import CONTRACTOR, OWNER, SURETY, amend, cancel, issue, listed, read, show_key, verify
from tests.support.clock import frozen
from tests.support.documents import check, stored_pdf
from tests.support.portal import signed_in

LAST_DAY = datetime(2025, 3, 31, 3, 0, tzinfo=UTC)  # 12:00 on 2025-03-31 in Japan: the period's last day
NEXT_DAY = datetime(2025, 3, 31, 15, 0, tzinfo=UTC)  # 00:00 on 2025-04-01 in Japan


def verified_row(api, number: str) -> dict:
    (row,) = [i for i in api.get("/v1/verifications", user=OWNER).json_body["items"] if i["contract_number"] == number]
    return row


def test_a_period_that_ended_reads_expired_everywhere(api):
    number = issue(api)  # 保証期間 to 2025-03-31 (the 工期末日)
    key = show_key(api, number)
    assert verify(api, number, key).status_code == 200
    first_print = stored_pdf(api, number)

    with frozen(api, LAST_DAY):
        assert read(api, number).json_body["status"] == "active"
        assert verified_row(api, number)["status"] == "active"
        assert check(api, first_print).json_body["status"] == "current"
    with frozen(api, NEXT_DAY):
        assert read(api, number).json_body["status"] == "expired"
        assert read(api, number, user=SURETY).json_body["status"] == "expired"
        (row,) = [i for i in listed(api)["items"] if i["contract_number"] == number]
        assert row["status"] == "expired"
        csv = api.get("/v1/certificates?format=csv", user=CONTRACTOR).body
        csv = csv.decode("utf-8-sig") if isinstance(csv, bytes) else csv
        assert "保証期間満了" in csv.splitlines()[1]
        answer = verify(api, number, key).json_body
        assert answer["certificate"]["status"] == "expired"
        assert verified_row(api, number)["status"] == "expired"
        checked = check(api, first_print).json_body
        assert checked["status"] == "expired" and "保証期間が満了" in checked["message"]
        assert "現在有効" not in checked["message"]
        # A period pushed out (注2) brings it back in force.
        assert amend(api, number, {"expected_version": 1, "guarantee_period_end": "2025-09-30"}).status_code == 200
        assert read(api, number).json_body["status"] == "active"
        assert verified_row(api, number)["status"] == "active"


def test_a_cancelled_guarantee_is_never_called_current(api):
    number = issue(api)
    first_print = stored_pdf(api, number)
    assert cancel(api, number, {"reason": "工事中止"}).status_code == 200
    with frozen(api, NEXT_DAY):  # cancelled stays cancelled when the period has ended too
        assert read(api, number).json_body["status"] == "cancelled"
        checked = check(api, first_print).json_body
        assert checked["status"] == "cancelled" and "現在有効" not in checked["message"]


def test_the_owners_result_says_the_state_first_with_the_latest_version_history_and_print(api):
    in_force = issue(api, project_name="有効な工事")
    cancelled = issue(api, project_name="解約された工事")
    expired = issue(api, project_name="満了した工事")
    keys = {n: show_key(api, n) for n in (in_force, cancelled, expired)}
    assert amend(api, in_force, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201
    assert cancel(api, cancelled, {"reason": "工事中止"}).status_code == 200

    def result(number: str):
        browser = signed_in(api, OWNER)
        form = browser.get("/verify")
        return browser, browser.submit(form, "/verify", {"contract_number": number, "auth_key": keys[number]})

    browser, page = result(in_force)
    text = page.visible_text
    assert "保証証書を確認しました。この保証は有効です。" in text
    assert "表示中の版 第2版(変更) ― 最新の版です。これより新しい版はありません。" in text
    assert "版の履歴" in text and "第1版" in text and "保証金額: 40,000,000円 → 30,000,000円" in text
    assert f'href="/verifications/{in_force}/print"' in page.text
    printed = browser.get(f"/verifications/{in_force}/print")
    assert printed.status_code == 200 and "保証証書 (前払金保証)" in printed.visible_text
    assert "確認結果の画面へ戻る" in printed.visible_text

    _, page = result(cancelled)
    text = page.visible_text
    assert "保証証書を確認しました。" not in text
    assert text.index("この保証は解約されています") < text.index("確認日時")
    assert "状態 解約" in text and f'href="/verifications/{cancelled}/print"' in page.text

    with frozen(api, NEXT_DAY):
        _, page = result(expired)
        text = page.visible_text
        assert "保証証書を確認しました。" not in text
        assert text.index("この保証は保証期間が満了しています") < text.index("確認日時")
        assert "保証期間の末日 令和 7年 3月31日" in text and "状態 保証期間満了" in text
        listing = signed_in(api, OWNER).get("/verifications").visible_text
        assert "保証期間満了" in listing and "解約" in listing
        contractor = signed_in(api, "demo-contractor-1").get("/certificates").visible_text
        assert "満了" in contractor


def test_a_reopened_row_says_which_version_was_verified_and_that_a_newer_one_exists(api):
    number = issue(api)
    assert verify(api, number, show_key(api, number)).status_code == 200
    assert amend(api, number, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201
    page = signed_in(api, OWNER).get(f"/verifications/{number}")
    text = page.visible_text
    assert "表示中の版 第2版(変更) ― 最新の版です。" in text
    assert "確認した版 第1版(確認後に第2版が発行されています)" in text
    # Only what this owner verified prints: another number is the one 404.
    assert signed_in(api, "demo-pref").get(f"/verifications/{number}/print").status_code == 404
