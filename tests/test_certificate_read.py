"""GET /v1/certificates/{contract_number}: the certificate in full, for its contractor and the surety only.
Another contractor's certificate answers exactly as an unknown number does."""

from __future__ import annotations

from scripts.demo_data import CONTRACTORS
from tests.support.api import assert_error
from tests.support.world import DROP, issue_body

C1, C2, SURETY = "demo-contractor-1", "demo-contractor-2", "demo-surety"
UNKNOWN = "2079999999"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_contractor_and_surety_read_the_full_certificate(api):
    issued = api.issue(contract_amount_total=120_000_000, contract_amount_covered=100_000_000,
                       guarantee_period_end="2025-04-30")
    assert issued.status_code == 201, issued.json_body
    number = issued.json_body["contract_number"]

    own = api.get(f"/v1/certificates/{number}", user=C1)
    assert own.status_code == 200, own.json_body
    body = own.json_body
    request = issue_body()
    assert body["contract_number"] == number
    assert body["guarantee_type"] == "advance_payment" and body["label"] == "前払"
    assert body["guarantee_type_name"] == "前払金保証"
    assert body["contractor"] == {"contractor_id": "contractor-1", "name": CONTRACTORS["contractor-1"]["name"],
                                  "address": CONTRACTORS["contractor-1"]["address"]}
    assert body["obligee"] == {"obligee_id": "sakaiminato", "name": "境港市長"}
    assert body["obligee_name"] == "境港市長"
    assert body["project_name"] == request["project_name"]
    assert (body["contract_amount_total"], body["contract_amount_covered"], body["guarantee_amount"]) == (
        120_000_000, 100_000_000, 40_000_000)
    assert (body["contract_date"], body["completion_date"], body["guarantee_period_end"]) == (
        "2024-04-01", "2025-03-31", "2025-04-30")
    assert body["work_category"] == "construction"
    assert body["delivery"] == "electronic"
    assert body["deposit_bank"] == "山陰銀行 境港支店"
    assert body["version"] == 1 and body["amended"] is False
    assert body["issued_on"] == issued.json_body["issued_on"]
    assert [v["version"] for v in body["versions"]] == [1]
    assert body["versions"][0]["issued_on"] == body["issued_on"]
    assert body["versions"][0]["amended"] is False

    by_surety = api.get(f"/v1/certificates/{number}", user=SURETY)
    assert by_surety.status_code == 200, by_surety.json_body
    assert by_surety.json_body == body

    performance = api.issue(guarantee_type="performance", guarantee_amount=10_000_000, deposit_bank=DROP,
                            delivery="paper").json_body
    read = api.get(f"/v1/certificates/{performance['contract_number']}", user=C1).json_body
    assert read["label"] == "契約" and read["guarantee_type_name"] == "契約保証"
    assert read["deposit_bank"] is None
    assert read["delivery"] == "paper"


def test_contract_number_in_the_path_is_normalised_or_refused(api):
    number = api.issue().json_body["contract_number"]
    reference = api.get(f"/v1/certificates/{number}", user=C1).json_body

    for typed in (number.translate(FULL_WIDTH), f"{number[:4]}-{number[4:]}"):
        response = api.get(f"/v1/certificates/{typed}", user=C1)
        assert response.status_code == 200, (typed, response.json_body)
        assert response.json_body == reference, typed

    for bad in (number[:9], number + "1", "20705000AB", "abcdefghij", "２０７０５０００１"):
        response = api.get(f"/v1/certificates/{bad}", user=C1)
        assert_error(response, 400, "validation_error", context=bad)
        assert [e["field"] for e in response.json_body["errors"]] == ["contract_number"], bad
        assert "保証契約番号" in response.json_body["message"], bad


def test_security_matrix_of_certificate_reads(api):
    """Who may read what: another contractor's certificate is indistinguishable from an unknown one."""
    number = api.issue().json_body["contract_number"]
    theirs = api.issue(contractor_id="contractor-2", project_name="△△工業の工事").json_body["contract_number"]

    unknown = api.get(f"/v1/certificates/{UNKNOWN}", user=C2)
    assert_error(unknown, 404, "not_found")
    other = api.get(f"/v1/certificates/{number}", user=C2)
    assert other.status_code == 404
    assert other.json_body == unknown.json_body  # BOLA: nothing tells "exists, not yours" from "no such number"
    assert other.headers.get("content-type") == unknown.headers.get("content-type")
    assert api.get(f"/v1/certificates/{number.translate(FULL_WIDTH)}", user=C2).json_body == unknown.json_body

    matrix = [
        # (user, path, status)
        (None, f"/v1/certificates/{number}", 401),
        (None, "/v1/certificates", 401),
        (C1, f"/v1/certificates/{number}", 200),
        (C1, f"/v1/certificates/{theirs}", 404),
        (C1, f"/v1/certificates/{UNKNOWN}", 404),
        (C2, f"/v1/certificates/{theirs}", 200),
        (C2, f"/v1/certificates/{number}", 404),
        (SURETY, f"/v1/certificates/{number}", 200),
        (SURETY, f"/v1/certificates/{theirs}", 200),
        (SURETY, f"/v1/certificates/{UNKNOWN}", 404),
        # Owners verify with number + key (POST /v1/verifications); they do not browse certificates.
        ("demo-sakaiminato", f"/v1/certificates/{number}", 403),
        ("demo-pref", f"/v1/certificates/{number}", 403),
        ("demo-sakaiminato", "/v1/certificates", 403),
    ]
    for user, path, status in matrix:
        response = api.get(path, user=user)
        assert response.status_code == status, (user, path, response.json_body)
        if status == 404:
            assert response.json_body == unknown.json_body, (user, path)
        elif status != 200:
            assert_error(response, status, context=(user, path))
        else:
            assert response.json_body["contract_number"] == path.rsplit("/", 1)[1], (user, path)
