"""Issue 10, domain fidelity: the 保証期間 follows the works (注2) and every reader sees the same period; the
rules a surety would refuse (422); Japanese in messages; the notices' links. Through the API, as the surety,
the contractor and the owner's clerk see it (docs/ARCHITECTURE.md, where each rule lives)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.support.api import (
    CONTRACTOR,
    CONTRACTOR_EMAIL,
    OWNER,
    OWNER_EMAIL,
    SURETY,
    amend,
    assert_error,
    events_of,
    issue,
    listed,
    read,
    show_key,
    verify,
)
from tests.support.clock import frozen
from tests.support.stored import pdf_text
from tests.support.world import mails_about

RECORDED_SUBJECT = "保証期間等の変更のお知らせ"


@pytest.fixture
def in_2026(api: Any) -> Iterator[Any]:
    """The API on 2026-05-10 in Japan, when the issue's scenario (works until 2027) is issued and changed."""
    with frozen(api, datetime(2026, 5, 10, 3, 0, tzinfo=UTC)):
        yield api


def period_everywhere(api: Any, number: str, key: str) -> dict[str, Any]:
    """The guarantee period as each reader gets it: API read, list row, owner's answer, and the PDF they link."""
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


def test_the_period_follows_the_works_and_every_reader_sees_the_same_one(in_2026):
    api = in_2026
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
    trail = events_of(api, number, "change_recorded")
    changes = [e["detail"]["changed"] for e in trail]  # one frozen moment: their order is not asserted
    assert len(changes) == 2 and {"guarantee_period_end": ["2027-03-31", "2027-05-31"]} in changes
    assert {"completion_date": ["2027-03-31", "2027-04-30"]} in changes
    told = mails_about(number, RECORDED_SUBJECT)
    assert sorted(m.destinations["ToAddresses"][0] for m in told) == sorted([CONTRACTOR_EMAIL, OWNER_EMAIL] * 2)
    for mail in told:
        assert "注2" in mail.body and key not in mail.body and "X-Amz" not in mail.body
    (owner_mail, *_) = [m for m in told if m.destinations["ToAddresses"] == [OWNER_EMAIL]]
    assert f"/verify?contract_number={number}" in owner_mail.body

    # The owner's 確認済み一覧 marks it changed until it verifies again.
    (item,) = [i for i in api.get("/v1/verifications", user=OWNER).json_body["items"] if i["contract_number"] == number]
    assert item["changed_since_verified"] is False  # period_everywhere verified it just now
    assert amend(api, number, {"expected_version": 1, "contract_amount_total": 120_000_000}).status_code == 200
    (item,) = [i for i in api.get("/v1/verifications", user=OWNER).json_body["items"] if i["contract_number"] == number]
    assert item["changed_since_verified"] is True

    # The works run past the agreed end: the period follows them.
    later = amend(api, number, {"expected_version": 1, "completion_date": "2027-07-31"})
    assert later.json_body["guarantee_period_end"] == "2027-07-31"
    assert_period(period_everywhere(api, number, key), "2027-07-31", "令和9年7月31日")


def test_a_shortened_period_is_stated_in_the_answer(in_2026):
    api = in_2026
    number = issue(api, contract_date="2026-04-01", completion_date="2027-03-31")
    response = amend(api, number, {"expected_version": 1, "completion_date": "2027-01-31"})
    assert response.status_code == 200, response.json_body
    assert response.json_body["period_shortened"] is True
    assert "保証期間の末日: 令和9年3月31日 → 令和9年1月31日(工期末日に連動・短縮)" in response.json_body["changes"]
    assert response.json_body["changed"]["guarantee_period_end"] == {"before": "2027-03-31", "after": "2027-01-31"}


def test_every_notice_carries_the_portal_address(in_2026):
    api = in_2026
    from chalicelib.config import get_settings

    number = issue(api, contract_date="2026-04-01", completion_date="2027-03-31")
    (mail,) = mails_about(number, "電子証書・認証キー登録のお知らせ")
    assert f"{get_settings().portal_url}/certificates" in mail.body
    assert mail.destinations["ToAddresses"] == [CONTRACTOR_EMAIL]
    assert read(api, number, user=OWNER).status_code == 403


# --- what a surety refuses (422, chalicelib/domain/underwriting.py) -------------------------------------------


def test_a_guarantee_whose_period_has_ended_is_refused_and_nothing_is_written(api):
    from chalicelib.store.models import AuditEvent, GuaranteeVersion

    # The world's clock reads 2024-05-10: works that ended on 2024-03-31 can no longer be guaranteed.
    response = api.issue(contract_date="2023-10-01", completion_date="2024-03-31", obligee_id="pref-demo")
    assert_error(response, 422, "guarantee_period_ended", fields={"guarantee_period_end"})
    message = response.json_body["message"]
    assert "保証期間の末日(令和6年3月31日)が証書発行日(令和6年5月10日)より前" in message
    assert "延長後の工期末日" in message  # what to do
    assert list(GuaranteeVersion.scan()) == [] and list(AuditEvent.scan()) == []
    # A period still running on the issue date is fine, the same day included.
    same_day = api.issue(contract_date="2023-10-01", completion_date="2024-05-10", obligee_id="pref-demo")
    assert same_day.status_code == 201, same_day.json_body


def test_a_contract_years_back_needs_a_stated_reason_which_is_audited(api):
    old = {"obligee_id": "pref-demo", "completion_date": "2025-03-31"}  # ○○県 adopted 電子保証 in 2021
    refused = api.issue(contract_date="2023-05-09", **old)
    assert_error(refused, 422, "late_registration_reason_required", fields={"contract_date"})
    assert "契約日(令和5年5月9日)が証書発行日(令和6年5月10日)の1年以上前です" in refused.json_body["message"]
    assert "late_registration_reason" in refused.json_body["message"]
    # A year to the day is not late yet.
    assert api.issue(contract_date="2023-05-10", **old).status_code == 201

    reason = "書面で交付済みの保証を電子化するため"
    issued = api.issue(contract_date="2023-05-09", late_registration_reason=reason, **old)
    assert issued.status_code == 201, issued.json_body
    (event,) = events_of(api, issued.json_body["contract_number"], "issued")
    assert event["detail"]["late_registration_reason"] == reason
    assert_error(api.issue(late_registration_reason="x" * 201), 400, "validation_error",
                 fields={"late_registration_reason"})


def assert_missing_advance(response: Any) -> None:
    assert_error(response, 422, "advance_payment_guarantee_missing", fields={"guarantee_type"})


def test_an_intermediate_advance_needs_the_advance_guarantee_of_the_same_works(api):
    intermediate = {"guarantee_type": "intermediate_advance_payment", "guarantee_amount": 20_000_000}
    refused = api.issue(**intermediate)
    assert_missing_advance(refused)
    assert "境港市長の「境港市道 渡町線 道路改良工事」の前払金保証が見つかりません" in refused.json_body["message"]
    assert "先に前払金保証を発行する" in refused.json_body["message"]

    advance = issue(api)
    # Another owner's or another contractor's works do not count.
    assert_missing_advance(api.issue(**intermediate, obligee_id="pref-demo"))
    assert_missing_advance(api.issue(**intermediate, contractor_id="contractor-2"))
    # The same works, however its name is spaced or written (full-width), do.
    assert api.issue(**intermediate, project_name="境港市道　渡町線　道路改良工事").status_code == 201
    # A cancelled advance guarantee is no advance guarantee.
    api.post(f"/v1/guarantees/{advance}/cancel", {"reason": "工事中止"}, user=SURETY,
             headers={"Idempotency-Key": "cancel-advance"})
    assert_missing_advance(api.issue(**intermediate))


def test_every_refusal_is_listed_at_once(api):
    response = api.issue(guarantee_type="intermediate_advance_payment", guarantee_amount=20_000_000,
                         contract_date="2022-04-01", completion_date="2023-03-31", obligee_id="pref-demo")
    assert_error(response, 422, "guarantee_period_ended",
                 fields={"guarantee_period_end", "contract_date", "guarantee_type"})


# --- the owner's submission methods on the key notice -----------------------------------------------------------


@pytest.mark.parametrize(("methods", "shown"), [
    ("e_contract", "e_contract"),
    (["email", "e_contract"], ["e_contract", "email"]),
])
def test_an_owner_accepts_one_or_both_submission_methods(api, methods, shown):
    from scripts.demo_data import OBLIGEES

    body = {**OBLIGEES["sakaiminato"], "submission_method": methods}
    response = api.put("/v1/obligees/sakaiminato", body, user=SURETY)
    assert response.status_code == 200, response.json_body
    assert response.json_body["submission_method"] == shown
    number = issue(api)
    notice = api.get(f"/v1/certificates/{number}/auth-key", user=CONTRACTOR).json_body
    text = pdf_text(requests.get(notice["notice_pdf_url"], timeout=10).content).replace(" ", "").replace("\n", "")
    assert ("電子メールに添付して送信" in text) is ("email" in methods)
    assert "電子契約システムへの登録" in text
    if isinstance(methods, list):
        assert "①電子契約システムへの登録(アップロード)又は②電子メールに添付して送信" in text


@pytest.mark.parametrize("methods", [[], ["fax"], "both", ["email", "email", "e_contract"]])
def test_unknown_submission_methods_are_refused_in_japanese(api, methods):
    from scripts.demo_data import OBLIGEES

    response = api.put("/v1/obligees/sakaiminato", {**OBLIGEES["sakaiminato"], "submission_method": methods},
                       user=SURETY)
    assert_error(response, 400, "validation_error", fields={"submission_method"})
    assert "電子契約システムへの登録・電子メールでの送信の一方または両方" in response.json_body["errors"][0]["message"]


def test_the_portal_shows_the_recorded_change_in_the_history_and_the_current_period(api):
    from tests.support.portal import signed_in

    number = issue(api)
    assert amend(api, number, {"expected_version": 1, "guarantee_period_end": "2025-05-31"}).status_code == 200
    page = signed_in(api, CONTRACTOR).get(f"/certificates/{number}")
    assert page.status_code == 200
    text = page.visible_text
    assert "記録(証書の発行なし): 保証期間の末日: 令和7年3月31日 → 令和7年5月31日(保証期間の変更)" in text
    assert "令和 7年 5月31日" in text  # the 保証期間 the certificate now states, as the PDF prints it


def test_the_key_notice_qr_code_opens_the_owner_verification_screen_with_the_number(api):
    import io

    from pypdf import PdfReader

    from tests.support.portal import Browser, path_of

    number = issue(api)
    notice = api.get(f"/v1/certificates/{number}/auth-key", user=CONTRACTOR).json_body
    pdf = requests.get(notice["notice_pdf_url"], timeout=10).content
    annotations = [a.get_object() for a in PdfReader(io.BytesIO(pdf)).pages[0].get("/Annots", [])]
    # The code and the address printed beside it (for a reader on a PC) link the same place; not the signature widget.
    qr_url, printed_url = [a["/A"]["/URI"] for a in annotations if a.get("/Subtype") == "/Link"]
    assert printed_url == qr_url
    assert qr_url == f"{api.account.settings.portal_url}/verify?contract_number={number}"
    assert notice["auth_key"].replace("-", "") not in qr_url.upper()

    # A clerk who scans it is asked to log in, then lands on the form with the number filled in (never the key).
    clerk = Browser(api)
    first = clerk.get(path_of(qr_url))
    assert first.status_code in (302, 303) and "/login" in first.headers["Location"]
    landed = clerk.login(OWNER, next_path=path_of(qr_url))
    assert landed.status_code == 303 and path_of(landed.headers["Location"]) == path_of(qr_url)
    form = clerk.get(path_of(qr_url))
    assert form.status_code == 200 and form.field("contract_number") == number
    assert not form.field("auth_key")
