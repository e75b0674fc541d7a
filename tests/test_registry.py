"""The registry of owners (発注者) and contractors (保証契約者), kept by the surety."""

from __future__ import annotations

from scripts.demo_data import CONTRACTORS, OBLIGEES
from tests.support.api import assert_error

SURETY = "demo-surety"


def test_obligee_is_created_then_updated_and_the_update_applies(bare_api):
    body = OBLIGEES["sakaiminato"]
    created = bare_api.put("/v1/obligees/sakaiminato", body, user=SURETY)
    assert created.status_code == 201, created.json_body
    assert created.json_body["obligee_id"] == "sakaiminato"
    assert created.json_body["name"] == "境港市長"
    assert created.json_body["e_guarantee_start_date"] == "2024-01-01"
    assert created.json_body["eligible_work_categories"] == ["construction", "survey"]
    assert bare_api.put("/v1/contractors/contractor-1", CONTRACTORS["contractor-1"], user=SURETY).status_code == 201
    assert bare_api.issue(contract_date="2024-05-01").status_code == 201

    updated = bare_api.put("/v1/obligees/sakaiminato", {**body, "e_guarantee_start_date": "2025-04-01"}, user=SURETY)
    assert updated.status_code == 200, updated.json_body
    assert updated.json_body["e_guarantee_start_date"] == "2025-04-01"
    # The new adoption date governs the next issue: a 2024 contract can no longer be electronic.
    refused = bare_api.issue(contract_date="2024-05-01")
    assert_error(refused, 422, "not_eligible_for_electronic")
    assert "令和7年4月1日" in refused.json_body["message"]


def test_contractor_update_keeps_its_certificates_and_count(bare_api):
    assert bare_api.put("/v1/obligees/sakaiminato", OBLIGEES["sakaiminato"], user=SURETY).status_code == 201
    body = CONTRACTORS["contractor-1"]
    created = bare_api.put("/v1/contractors/contractor-1", body, user=SURETY)
    assert created.status_code == 201, created.json_body
    assert created.json_body == {"contractor_id": "contractor-1", **body}
    numbers = [bare_api.issue().json_body["contract_number"] for _ in range(2)]

    moved = {**body, "address": "鳥取県境港市上道町3000番地", "email": "new@maru-kensetsu.example.jp"}
    updated = bare_api.put("/v1/contractors/contractor-1", moved, user=SURETY)
    assert updated.status_code == 200, updated.json_body
    assert updated.json_body == {"contractor_id": "contractor-1", **moved}

    listed = bare_api.get("/v1/certificates", user="demo-contractor-1")
    assert listed.status_code == 200, listed.json_body
    assert listed.json_body["total"] == 2
    assert sorted(i["contract_number"] for i in listed.json_body["items"]) == sorted(numbers)

    third = bare_api.issue()
    assert third.status_code == 201, third.json_body
    assert third.json_body["contractor"]["address"] == moved["address"]
    assert bare_api.get("/v1/certificates", user="demo-contractor-1").json_body["total"] == 3


def test_registry_validation_errors_name_the_field(bare_api):
    contractor = CONTRACTORS["contractor-1"]
    obligee = OBLIGEES["sakaiminato"]
    cases = [
        ("contractors", {**contractor, "email": "not-an-email"}, {"email"}),
        ("contractors", {k: v for k, v in contractor.items() if k != "name"}, {"name"}),
        ("contractors", {**contractor, "address": "   "}, {"address"}),
        ("contractors", {**contractor, "address": "あ" * 201}, {"address"}),
        ("contractors", {**contractor, "phone": "0859-00-0000"}, {"phone"}),
        ("contractors", {}, {"name", "address", "email"}),
        ("obligees", {**obligee, "e_guarantee_start_date": "2024-02-30"}, {"e_guarantee_start_date"}),
        ("obligees", {**obligee, "e_guarantee_start_date": "2024/01/01"}, {"e_guarantee_start_date"}),
        ("obligees", {**obligee, "eligible_work_categories": ["building"]}, {"eligible_work_categories"}),
        ("obligees", {**obligee, "eligible_work_categories": "construction"}, {"eligible_work_categories"}),
        ("obligees", {**obligee, "eligible_work_categories": []}, {"eligible_work_categories"}),
        ("obligees", {**obligee, "submission_method": "fax"}, {"submission_method"}),
        ("obligees", {**obligee, "contact_email": ""}, {"contact_email"}),
        ("obligees", {**obligee, "ratio_rules": {"advance_payment": {"kind": "max", "percent": 140}}},
         {"ratio_rules"}),
        ("obligees", {**obligee, "mayor": "x"}, {"mayor"}),
    ]
    for kind, body, fields in cases:
        item_id = "contractor-1" if kind == "contractors" else "sakaiminato"
        response = bare_api.put(f"/v1/{kind}/{item_id}", body, user=SURETY)
        assert_error(response, 400, "validation_error", context=(kind, body))
        named = {e["field"] for e in response.json_body["errors"]}
        assert named == fields, (kind, body, response.json_body)

    for raw in ("", "[1, 2]", "{not json"):
        response = bare_api.put("/v1/contractors/contractor-1", user=SURETY, raw_body=raw)
        assert_error(response, 400, context=raw)

    # None of the refused requests registered anything: the first valid PUTs still create.
    assert bare_api.put("/v1/contractors/contractor-1", contractor, user=SURETY).status_code == 201
    assert bare_api.put("/v1/obligees/sakaiminato", obligee, user=SURETY).status_code == 201


def test_registry_is_written_only_by_the_surety_with_valid_ids(bare_api):
    contractor = CONTRACTORS["contractor-1"]
    obligee = OBLIGEES["sakaiminato"]
    for user in ("demo-contractor-1", "demo-contractor-2", "demo-sakaiminato", "demo-pref"):
        assert_error(bare_api.put("/v1/contractors/contractor-1", contractor, user=user), 403, "forbidden",
                     context=user)
        assert_error(bare_api.put("/v1/obligees/sakaiminato", obligee, user=user), 403, "forbidden", context=user)
    assert_error(bare_api.put("/v1/contractors/contractor-1", contractor), 401, context="anonymous")

    for bad_id in ("bad.id", "a" * 65, "%E5%A2%83%E6%B8%AF", "x%20y"):
        response = bare_api.put(f"/v1/contractors/{bad_id}", contractor, user=SURETY)
        assert_error(response, 400, "validation_error", context=bad_id)
        assert [e["field"] for e in response.json_body["errors"]] == ["contractor_id"], bad_id
        response = bare_api.put(f"/v1/obligees/{bad_id}", obligee, user=SURETY)
        assert_error(response, 400, "validation_error", context=bad_id)
        assert [e["field"] for e in response.json_body["errors"]] == ["obligee_id"], bad_id

    # Nothing was registered by the refused calls.
    assert bare_api.put("/v1/contractors/contractor-1", contractor, user=SURETY).status_code == 201
    assert bare_api.put("/v1/obligees/sakaiminato", obligee, user=SURETY).status_code == 201
