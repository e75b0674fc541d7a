"""The demo world of the local run; tests register the same owners and contractors."""

from __future__ import annotations

from datetime import date

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
