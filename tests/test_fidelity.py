"""Issue 10, domain fidelity: the 保証期間 follows the works (注2) and every reader sees the same period; the
rules a surety would refuse (422); Japanese in messages; the notices' links. Through the API, as the surety,
the contractor and the owner's clerk see it (docs/ARCHITECTURE.md, where each rule lives)."""

from __future__ import annotations

from typing import Any

import requests

from tests.test_amendments import (
    CONTRACTOR,
    CONTRACTOR_EMAIL,
    OWNER,
    OWNER_EMAIL,
    amend,
    events,
    issue,
    listed,
    mails_about,
    pdf_text,
    read,
    show_key,
    verify,
)

RECORDED_SUBJECT = "保証期間等の変更のお知らせ"


def period_everywhere(api: Any, number: str, key: str) -> dict[str, Any]:
    """The guarantee period as each reader gets it: API read, list row, D-Sure answer, and the PDF they link."""
    shown = read(api, number).json_body
    (row,) = [i for i in listed(api)["items"] if i["contract_number"] == number]
    verified = verify(api, number, key)
    assert verified.status_code == 200, verified.json_body
    owner_pdf = requests.get(verified.json_body["pdf_url"], timeout=10).content
    contractor_pdf = requests.get(api.get(f"/v1/certificates/{number}/pdf", user=CONTRACTOR).json_body["url"],
                                  timeout=10).content
    return {"read": shown["guarantee_period_end"], "list": row["guarantee_period_end"],
            "d_sure": verified.json_body["certificate"]["guarantee_period_end"],
            "owner_pdf": pdf_text(owner_pdf), "contractor_pdf": pdf_text(contractor_pdf)}


def assert_period(seen: dict[str, Any], iso: str, printed: str) -> None:
    assert (seen["read"], seen["list"], seen["d_sure"]) == (iso, iso, iso), seen
    for text in (seen["owner_pdf"], seen["contractor_pdf"]):
        assert printed in text.replace(" ", ""), text
    assert seen["owner_pdf"].count("(変更)") == 1  # only in 注1: no certificate was issued for it (注2)


def test_the_period_follows_the_works_and_every_reader_sees_the_same_one(api):
    number = issue(api, contract_date="2026-04-01", completion_date="2027-03-31")
    key = show_key(api, number)
    assert verify(api, number, key).status_code == 200

    # The surety extends the period beyond the works: recorded, no certificate (注2).
    extended = amend(api, number, {"expected_version": 1, "guarantee_period_end": "2027-05-31"})
    assert extended.status_code == 200, extended.json_body
    assert extended.json_body["certificate_issued"] is False
    assert extended.json_body["guarantee_period_end"] == "2027-05-31"
    assert_period(period_everywhere(api, number, key), "2027-05-31", "令和9年5月31日")

    # The works are extended to 2027-04-30: the agreed period is not pulled back, and the answer says so.
    works = amend(api, number, {"expected_version": 1, "completion_date": "2027-04-30"})
    assert works.status_code == 200, works.json_body
    body = works.json_body
    assert body["changes"] == ["工期末日: 令和9年3月31日 → 令和9年4月30日"]
    assert (body["completion_date"], body["guarantee_period_end"], body["period_shortened"]) == (
        "2027-04-30", "2027-05-31", False)
    seen = period_everywhere(api, number, key)
    assert_period(seen, "2027-05-31", "令和9年5月31日")
    assert "令和9年4月30日" in seen["owner_pdf"].replace(" ", "")  # 工期末日 as it now stands

    # The history and the trail hold both changes; the owner that verified was told of each.
    history = read(api, number).json_body["versions"]
    assert [v["version"] for v in history] == [1]
    assert [r["changes"] for r in history[0]["recorded_changes"]] == [extended.json_body["changes"], body["changes"]]
    trail = events(api, number, "change_recorded")
    assert [e["detail"]["changed"] for e in reversed(trail)] == [
        {"guarantee_period_end": ["2027-03-31", "2027-05-31"]},
        {"completion_date": ["2027-03-31", "2027-04-30"]},
    ]
    told = mails_about(number, RECORDED_SUBJECT)
    assert sorted(m.destinations["ToAddresses"][0] for m in told) == sorted([CONTRACTOR_EMAIL, OWNER_EMAIL] * 2)
    for mail in told:
        assert "注2" in mail.body and key not in mail.body and "X-Amz" not in mail.body
    (owner_mail, *_) = [m for m in told if m.destinations["ToAddresses"] == [OWNER_EMAIL]]
    assert f"/verify?contract_number={number}" in owner_mail.body

    # The works run past the agreed end: the period follows them.
    later = amend(api, number, {"expected_version": 1, "completion_date": "2027-07-31"})
    assert later.json_body["guarantee_period_end"] == "2027-07-31"
    assert_period(period_everywhere(api, number, key), "2027-07-31", "令和9年7月31日")


def test_a_shortened_period_is_stated_in_the_answer(api):
    number = issue(api, contract_date="2026-04-01", completion_date="2027-03-31")
    response = amend(api, number, {"expected_version": 1, "completion_date": "2027-01-31"})
    assert response.status_code == 200, response.json_body
    assert response.json_body["period_shortened"] is True
    assert "保証期間の末日: 令和9年3月31日 → 令和9年1月31日(工期末日に連動・短縮)" in response.json_body["changes"]
    assert response.json_body["changed"]["guarantee_period_end"] == {"before": "2027-03-31", "after": "2027-01-31"}


def test_every_notice_carries_the_portal_address(api):
    from chalicelib.config import get_settings

    number = issue(api, contract_date="2026-04-01", completion_date="2027-03-31")
    (mail,) = mails_about(number, "電子証書・認証キー登録のお知らせ")
    assert f"{get_settings().portal_url}/certificates" in mail.body
    assert mail.destinations["ToAddresses"] == [CONTRACTOR_EMAIL]
    assert read(api, number, user=OWNER).status_code == 403
