"""The demo world of the local run; tests register the same owners and contractors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

DEMO_PASSWORD = "Demo-Passw0rd!"

OBLIGEES = {
    "sakaiminato": {
        "name": "境港市長",
        "e_guarantee_start_date": "2024-01-01",
        "eligible_work_categories": ["construction", "survey"],
        "submission_method": "email",
        "contact_email": "keiyaku@sakaiminato.example.jp",
    },
    "pref-demo": {
        "name": "○○県知事",
        "e_guarantee_start_date": "2021-04-01",
        "eligible_work_categories": ["construction"],
        "submission_method": "e_contract",
        "contact_email": "keiyaku@pref-demo.example.jp",
    },
}

CONTRACTORS = {
    "contractor-1": {
        "name": "株式会社○○建設",
        "address": "▲▲市▲▲区▲▲1丁目1番1号",
        "email": "info@maru-kensetsu.example.jp",
    },
    "contractor-2": {
        "name": "株式会社△△工業",
        "address": "□□市□□町2番3号",
        "email": "info@sankaku-kogyo.example.jp",
    },
}

# username: (role, org_id)
USERS = {
    "demo-surety": ("surety", "surety"),
    "demo-contractor-1": ("contractor", "contractor-1"),
    "demo-contractor-2": ("contractor", "contractor-2"),
    "demo-sakaiminato": ("obligee", "sakaiminato"),
    "demo-pref": ("obligee", "pref-demo"),
}

_COMMON = {
    "contractor_id": "contractor-1",
    "obligee_id": "pref-demo",
    "work_category": "construction",
    "contract_date": "2022-01-20",
    "completion_date": "2023-03-31",
    "delivery": "electronic",
}

# The flyer's three certificates: (number, issue date, body)
CERTIFICATES = [
    ("2070004426", date(2022, 1, 28), {
        **_COMMON, "guarantee_type": "advance_payment", "project_name": "○○道路改良工事",
        "contract_amount_total": 100_000_000, "guarantee_amount": 40_000_000, "deposit_bank": "○○銀行 △△支店",
    }),
    ("2070004427", date(2022, 1, 28), {
        **_COMMON, "guarantee_type": "advance_payment", "project_name": "△△トンネル工事",
        "contract_amount_total": 50_000_000, "guarantee_amount": 20_000_000, "deposit_bank": "○○銀行 △△支店",
    }),
    ("2070202096", date(2022, 1, 28), {
        **_COMMON, "guarantee_type": "performance", "project_name": "○○道路改良工事",
        "contract_amount_total": 100_000_000, "guarantee_amount": 10_000_000,
    }),
]


@dataclass(frozen=True)
class DemoGuarantee:
    """A guarantee of the demo world beside the flyer's: issued on `issued_on`, then amended or cancelled."""

    number: str
    issued_on: date
    body: dict[str, Any]
    amendment: dict[str, Any] | None = None  # a later change through the amendment rules (変更)
    cancel_reason: str | None = None  # cancelled through the cancellation rules (解約)


def variety(today: date) -> list[DemoGuarantee]:
    """Every kind the screens show, dated relative to today (valid under today's rules): 境港市's 前払金保証 with a
    (変更) version and its 中間前払金保証, a 契約保証 of 測量等業務, a paper 前払金保証 for ○○県, a cancelled one
    and one whose 保証期間 ended (○○県's). Numbers below the counter's range (APP_CONTRACT_NUMBER_BASE)."""

    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    sakaiminato = {"contractor_id": "contractor-1", "obligee_id": "sakaiminato", "work_category": "construction",
                   "delivery": "electronic"}
    harbour = {**sakaiminato, "project_name": "境港市 中野港 岸壁改良工事", "contract_date": ago(75),
               "completion_date": ago(-280), "contract_amount_total": 120_000_000, "deposit_bank": "山陰銀行 境港支店"}
    return [
        DemoGuarantee("2070300001", today - timedelta(days=70),
                      {**harbour, "guarantee_type": "advance_payment", "guarantee_amount": 48_000_000},
                      amendment={"expected_version": 1, "expected_revision": 1, "guarantee_amount": 44_000_000}),
        DemoGuarantee("2070300002", today - timedelta(days=12),
                      {**harbour, "guarantee_type": "intermediate_advance_payment", "guarantee_amount": 24_000_000}),
        DemoGuarantee("2070300003", today - timedelta(days=38), {
            **sakaiminato, "guarantee_type": "performance", "work_category": "survey",
            "project_name": "境港市 都市計画基本図 作成業務", "contract_date": ago(40), "completion_date": ago(-140),
            "contract_amount_total": 18_000_000, "guarantee_amount": 1_800_000}),
        DemoGuarantee("2070300004", today - timedelta(days=28), {
            **sakaiminato, "obligee_id": "pref-demo", "delivery": "paper", "guarantee_type": "advance_payment",
            "project_name": "○○県道 △△線 舗装工事", "contract_date": ago(30), "completion_date": ago(-150),
            "contract_amount_total": 60_000_000, "guarantee_amount": 24_000_000, "deposit_bank": "○○銀行 △△支店"}),
        DemoGuarantee("2070300005", today - timedelta(days=115), {
            **sakaiminato, "guarantee_type": "advance_payment", "project_name": "境港市 旧庁舎 解体工事",
            "contract_date": ago(120), "completion_date": ago(-100), "contract_amount_total": 50_000_000,
            "guarantee_amount": 20_000_000, "deposit_bank": "山陰銀行 境港支店"},
            cancel_reason="工事請負契約の解除による"),
        # ○○県 (electronic since 2021): a contract of 400 days ago is one it takes on any day the tests run.
        DemoGuarantee("2070300006", today - timedelta(days=395), {
            **sakaiminato, "obligee_id": "pref-demo", "guarantee_type": "advance_payment",
            "project_name": "○○県道 □□線 側溝整備工事", "contract_date": ago(400), "completion_date": ago(35),
            "contract_amount_total": 30_000_000, "guarantee_amount": 12_000_000, "deposit_bank": "○○銀行 △△支店"}),
    ]


def seeded_numbers(contractor_id: str, today: date) -> list[str]:
    """The 保証契約番号 the seed gives a contractor, newest 証書発行日 first (as its 保証工事一覧 lists them: an
    amended one by its (変更) version's date, today)."""
    found = [(issued_on, number) for number, issued_on, body in CERTIFICATES if body["contractor_id"] == contractor_id]
    found += [(today if g.amendment else g.issued_on, g.number) for g in variety(today)
              if g.body["contractor_id"] == contractor_id]
    return [number for _, number in sorted(found, reverse=True)]
