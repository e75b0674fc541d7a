"""The demo world (issue 21 item 11): beside the flyer's three, every kind the screens show, through the same
rules as the API, dated relative to today: a 契約保証, a 中間前払金保証, a (変更) version, paper delivery, a cancelled
guarantee and one whose 保証期間 ended. Seeding twice changes nothing."""

from __future__ import annotations

from chalicelib.domain.clock import japan_today
from scripts import demo_data
from scripts.seed import seed_demo


def test_the_seed_has_every_kind_and_is_idempotent(account, api):
    numbers = seed_demo(account.settings, account.identity)
    assert seed_demo(account.settings, account.identity) == numbers
    today = japan_today()
    listed = api.get("/v1/certificates?limit=50", user="demo-contractor-1").json_body
    assert [i["contract_number"] for i in listed["items"]] == demo_data.seeded_numbers("contractor-1", today)
    assert set(numbers) == {i["contract_number"] for i in listed["items"]}

    details = {n: api.get(f"/v1/certificates/{n}", user="demo-surety").json_body for n in numbers}
    kinds = {d["guarantee_type"] for d in details.values()}
    assert kinds == {"advance_payment", "intermediate_advance_payment", "performance"}
    amended = [d for d in details.values() if d["amended"]]
    assert [(d["version"], len(d["versions"])) for d in amended] == [(2, 2)]
    assert any(d["delivery"] == "paper" for d in details.values())
    assert any(d["work_category"] == "survey" for d in details.values())
    cancelled = [d for d in details.values() if d["status"] == "cancelled"]
    assert len(cancelled) == 1
    # Ended: the period of one guarantee issued after 2024 lies in the past (beside the flyer's, of 2023).
    ended = [d for d in details.values() if d["guarantee_period_end"] < today.isoformat() and d["issued_on"] >= "2023"]
    assert len(ended) == 1 and ended[0]["status"] != "cancelled"
    # Both owners: 境港市 (email) and ○○県 (its e-contract system).
    assert {d["obligee"]["obligee_id"] for d in details.values()} == {"sakaiminato", "pref-demo"}


def test_the_variety_moves_with_today():
    from datetime import timedelta

    today = japan_today()
    later = today + timedelta(days=1000)
    for now, then in zip(demo_data.variety(today), demo_data.variety(later), strict=True):
        assert then.number == now.number and then.issued_on - now.issued_on == later - today
