"""Every bound the service puts on what it is sent, written down once (docs/ARCHITECTURE.md, limits) and
enforced at the edge: a request past a bound is refused with a Japanese message before any work is done."""

from __future__ import annotations

import unicodedata
from datetime import date

# --- requests ------------------------------------------------------------------------------------------------
MAX_BODY_BYTES = 64 * 1024  # a JSON body; the largest real one (an issue) is under 2 KB
MAX_JSON_DEPTH = 6  # objects/arrays nested; the deepest real body (ratio_rules) is 3
MAX_FORM_BYTES = 16 * 1024  # a portal form
# A PDF handed in for checking (POST /v1/documents/check): ours are under 90 KB; a PDF past this is not ours.
MAX_CHECK_PDF_BYTES = 512 * 1024
# Its JSON body carries the PDF as base64 (4 characters per 3 bytes) plus the field name.
MAX_CHECK_BODY_BYTES = (MAX_CHECK_PDF_BYTES + 2) // 3 * 4 + 1024
MAX_IDEMPOTENCY_KEY = 128  # characters of the Idempotency-Key header
MAX_CURSOR = 2048  # characters of a paging cursor
MAX_LIMIT = 100  # items per page (?limit=)
DEFAULT_LIMIT = 20  # items per page when ?limit= is not given
MAX_VERSION_DIGITS = 6  # ?version=

# --- the portal's screens ------------------------------------------------------------------------------------
PORTAL_PER_PAGE = 20  # rows of 保証工事一覧 per page
MAX_PAGE_NUMBER = 99_999  # ?page= beyond this is the first page
MAX_TYPED_CONTRACT_NUMBER = 40  # characters of a 保証契約番号 taken from a link (full-width, hyphens and all)
MAX_TYPED_FIELD = 100  # characters of a field typed into the verification form

# --- an owner's integrations ----------------------------------------------------------------------------------
MAX_WEBHOOK_ENDPOINTS = 5  # live webhook endpoints per owner
MAX_MACHINE_CLIENTS = 5  # live machine clients per owner

# --- fields --------------------------------------------------------------------------------------------------
CONTRACT_NUMBER_DIGITS = 10  # 保証契約番号
ID_MAX = 64  # contractor_id, obligee_id
PROJECT_NAME_MAX = 200
DEPOSIT_BANK_MAX = 100
PARTY_NAME_MAX = 100  # 発注者名, 保証契約者名
ADDRESS_MAX = 200
CANCEL_REASON_MAX = 200
LATE_REGISTRATION_REASON_MAX = 200
EMAIL_LOCAL_MAX = 64
EMAIL_DOMAIN_MAX = 253
MACHINE_CLIENT_NAME_MAX = 64
WEBHOOK_URL_MAX = 2048
MAX_AMOUNT = 10**13  # yen; far above any real contract, small enough to catch a slipped key

# Business dates (contract, completion, guarantee period, adoption) must print in 和暦 on the certificate:
# from the first day of 明治, and no later than a year no contract reaches.
EARLIEST_DATE = date(1868, 10, 23)
LATEST_DATE = date(2100, 12, 31)

# Unicode general categories that never belong in printed text: controls (NUL, ESC, CR, LF), format characters
# (zero-width spaces, RLO and other bidi overrides, BOM), surrogates, private use, unassigned, line/paragraph
# separators.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def unprintable_characters(text: str) -> list[str]:
    """The characters of `text` that cannot be printed on a certificate, as U+XXXX (empty when all can)."""
    return [f"U+{ord(ch):04X}" for ch in dict.fromkeys(text) if unicodedata.category(ch) in _UNPRINTABLE]
