"""scripts/backfill.py's registry steps: verification rows and contractors written before issue 20's indexes appear
in the owner's 確認済み一覧 and the console's lookup after it runs; a second run changes nothing; a dry run writes
nothing; a run resumes from where it stopped; what the service wrote meanwhile is left alone."""

from __future__ import annotations

from typing import Any

from tests.support.api import OWNER, SURETY, amend, issue, show_key, verify


def old_shape_row(number: str, verified_version: int = 1) -> None:
    """The verification row as the service wrote it before the list kept the guarantee's state."""
    from chalicelib.domain.clock import utc_now
    from chalicelib.store.models import Verification

    Verification("sakaiminato", number, verified_version=verified_version, verified_recorded_changes=0,
                 verified_at=utc_now(), verified_by=OWNER).save()


def old_shape_contractor(contractor_id: str, name: str) -> None:
    from chalicelib.domain.clock import utc_now
    from chalicelib.store.models import Contractor

    Contractor(contractor_id, name=name, address="鳥取県米子市1番地", email=f"{contractor_id}@example.jp",
               certificate_count=0, updated_at=utc_now()).save()


def listed_numbers(api: Any) -> list[str]:
    response = api.get("/v1/verifications", user=OWNER)
    assert response.status_code == 200, response.json_body
    return [i["contract_number"] for i in response.json_body["items"]]


def backfill(*names: str, write: bool = True, **options: Any) -> dict[str, Any]:
    """The outcomes of a run of these steps of scripts/backfill.py, per step."""
    from scripts.backfill import STEPS, run

    return run([s for s in STEPS if s.name in names], write=write, say=options.pop("say", lambda _: None), **options)


def looked_up(q: str) -> list[str]:
    from chalicelib.services.parties import find_contractors

    return [c["contractor_id"] for c in find_contractors(q, {}, 50)["items"]]


def test_old_items_appear_after_the_backfill_and_a_second_run_changes_nothing(api):
    kept, amended = issue(api), issue(api, project_name="確認後に変更された工事")
    for number in (kept, amended):
        assert verify(api, number, show_key(api, number)).status_code == 200
    assert amend(api, amended, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201
    old_shape_row(kept)
    old_shape_row(amended)  # as verified before the amendment, with no state kept
    for i in range(5):
        old_shape_contractor(f"old-{i}", f"株式会社古参建設{i}")
    assert listed_numbers(api) == [] and looked_up("古参") == []

    # Before the backfill a keyed read still answers (from the latest version), so does the reopen link.
    searched = api.get(f"/v1/verifications?field=contract_number&q={amended}", user=OWNER).json_body["items"]
    assert [(i["version"], i["changed_since_verified"]) for i in searched] == [(2, True)]
    assert api.get(f"/v1/verifications/{kept}", user=OWNER).status_code == 200

    dry = backfill("verifications", "contractors", write=False)
    assert dry == {"verifications": {"stale": 2}, "contractors": {"stale": 5, "current": 2}}  # and the 2 demo ones
    assert listed_numbers(api) == [] and looked_up("古参") == []

    done = backfill("verifications", "contractors")
    assert done == {"verifications": {"written": 2}, "contractors": {"written": 5, "current": 2}}
    assert set(listed_numbers(api)) == {kept, amended}
    items = {i["contract_number"]: i for i in api.get("/v1/verifications", user=OWNER).json_body["items"]}
    assert (items[amended]["version"], items[amended]["guarantee_amount"], items[amended]["changed_since_verified"]) \
        == (2, 30_000_000, True)
    assert (items[kept]["contractor_name"], items[kept]["changed_since_verified"]) == ("株式会社○○建設", False)
    assert sorted(looked_up("古参建設")) == [f"old-{i}" for i in range(5)]

    again = backfill("verifications", "contractors")
    assert again == {"verifications": {}, "contractors": {"current": 7}}  # the Scan's filter leaves complete rows out


def test_a_row_without_the_periods_end_gets_it_so_its_expiry_shows(api):
    """A row written between issue 20 and 21 has the list's columns but not the 保証期間's end (保証期間満了 is derived
    from it, domain/status.py): the backfill adds only that, and only while the row shows the latest version."""
    from chalicelib.store.models import Verification

    number = issue(api)
    assert verify(api, number, show_key(api, number)).status_code == 200
    Verification("sakaiminato", number).update(actions=[Verification.guarantee_period_end.remove()])
    assert backfill("verifications", write=False) == {"verifications": {"stale": 1}}
    assert backfill("verifications") == {"verifications": {"written": 1}}
    assert Verification.get("sakaiminato", number).guarantee_period_end.isoformat() == "2025-03-31"
    assert backfill("verifications") == {"verifications": {}}


def test_a_run_resumes_where_it_stopped(api):
    for i in range(7):
        old_shape_contractor(f"old-{i}", f"古参工業{i}")
    said: list[str] = []
    stopped = backfill("contractors", page_size=3, max_pages=1, say=said.append)
    assert sum(stopped["contractors"].values()) == 3  # 7 and the 2 demo contractors, 3 a page
    token = said[-1].rsplit(" ", 1)[1]
    rest = backfill("contractors", page_size=3, resume=token)
    assert stopped["contractors"] + rest["contractors"] == {"written": 7, "current": 2}  # each item once
    assert backfill("contractors") == {"contractors": {"current": 9}}
    assert sorted(looked_up("古参工業")) == [f"old-{i}" for i in range(7)]


def test_what_the_service_wrote_meanwhile_is_left_alone(api):
    """A row refreshed or re-verified after the backfill read it, a contractor renamed: their writes stand."""
    from chalicelib.store import parties, verifications
    from chalicelib.store.guarantees import latest_version
    from chalicelib.store.models import Verification

    number = issue(api)
    old_shape_row(number)
    read = verifications.old_row(Verification.get("sakaiminato", number).serialize())
    assert read is not None and read.contract_number == number
    stale = latest_version(number)
    assert stale is not None
    assert amend(api, number, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201  # refreshes
    assert verifications.complete_old_row(read, stale) is False
    assert verifications.get("sakaiminato", number).state.version == 2

    old_shape_contractor("renamed", "株式会社旧名建設")
    body = {"name": "株式会社新名建設", "address": "鳥取県米子市1番地", "email": "renamed@example.jp"}
    assert api.put("/v1/contractors/renamed", body, user=SURETY).status_code == 200
    assert parties.complete_name_key("renamed", "株式会社旧名建設") is False
    assert looked_up("新名") == ["renamed"] and looked_up("旧名") == []
