def test_health_needs_no_login(api):
    response = api.get("/v1/health")
    assert response.status_code == 200
    assert response.json_body == {"status": "ok"}


def test_issue_then_read(api):
    issued = api.issue()
    assert issued.status_code == 201, issued.json_body
    number = issued.json_body["contract_number"]
    read = api.get(f"/v1/certificates/{number}", user="demo-contractor-1")
    assert read.status_code == 200, read.json_body
    assert read.json_body["guarantee_amount"] == 40_000_000
