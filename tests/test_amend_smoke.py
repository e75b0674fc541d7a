from tests.conftest import sent_emails


def test_amend_flow(api):
    number = api.issue().json_body["contract_number"]
    key = api.get(f"/v1/certificates/{number}/auth-key", user="demo-contractor-1").json_body["auth_key"]
    assert api.post("/v1/verifications", {"contract_number": number, "auth_key": key},
                    user="demo-sakaiminato").status_code == 200
    before = len(sent_emails())
    r = api.post(f"/v1/guarantees/{number}/amendments", {"expected_version": 1, "guarantee_amount": 30_000_000},
                 user="demo-surety", headers={"Idempotency-Key": "a1"})
    assert r.status_code == 201, r.json_body
    assert r.json_body["version"] == 2 and r.json_body["amended"]
    assert len(sent_emails()) == before + 2
    r2 = api.post(f"/v1/guarantees/{number}/amendments", {"expected_version": 1, "guarantee_amount": 30_000_000},
                  user="demo-surety", headers={"Idempotency-Key": "a1"})
    assert r2.status_code == 201 and r2.json_body == r.json_body
    assert len(sent_emails()) == before + 2
    r3 = api.post(f"/v1/guarantees/{number}/amendments", {"expected_version": 1, "guarantee_amount": 20_000_000},
                  user="demo-surety", headers={"Idempotency-Key": "a2"})
    assert r3.status_code == 409 and r3.json_body["current_version"] == 2, r3.json_body
    r4 = api.post(f"/v1/guarantees/{number}/amendments", {"expected_version": 2, "contract_amount_total": 120_000_000},
                  user="demo-surety", headers={"Idempotency-Key": "a3"})
    assert r4.status_code == 200 and r4.json_body["certificate_issued"] is False, r4.json_body
    lst = api.get("/v1/verifications", user="demo-sakaiminato").json_body
    assert lst["items"][0]["changed_since_verified"] is True
    detail = api.get(f"/v1/certificates/{number}", user="demo-contractor-1").json_body
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    assert detail["contract_amount_total"] == 120_000_000
    c = api.post(f"/v1/guarantees/{number}/cancel", {"reason": "工事中止"}, user="demo-surety",
                 headers={"Idempotency-Key": "c1"})
    assert c.status_code == 200 and c.json_body["status"] == "cancelled", c.json_body
    v = api.post("/v1/verifications", {"contract_number": number, "auth_key": key}, user="demo-sakaiminato")
    assert v.status_code == 200 and v.json_body["certificate"]["status"] == "cancelled"
    r5 = api.post(f"/v1/guarantees/{number}/amendments", {"expected_version": 2, "guarantee_amount": 1_000_000},
                  user="demo-surety", headers={"Idempotency-Key": "a4"})
    assert r5.status_code == 409
    old = api.get(f"/v1/certificates/{number}/pdf?version=1", user="demo-contractor-1")
    assert old.status_code == 200 and old.json_body["version"] == 1
