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
# A portal upload (/check) is multipart/form-data: its file and the CSRF token. More parts than this is no form of
# ours, and each part costs the MIME parser an object.
MAX_FORM_PARTS = 8
MAX_FORM_FIELDS = 32  # fields of an urlencoded portal form; the largest (new password) has 7
# A bearer token or the portal's session cookie, checked before it is decoded: Cognito's ID and access tokens are
# 1-2 KB (a user in every group with long attributes stays far below this).
MAX_TOKEN_CHARS = 8 * 1024
MAX_IDEMPOTENCY_KEY = 128  # characters of the Idempotency-Key header
MAX_CURSOR = 2048  # characters of a paging cursor
MAX_LIMIT = 100  # items per page (?limit=)
DEFAULT_LIMIT = 20  # items per page when ?limit= is not given
MAX_VERSION_DIGITS = 6  # ?version=

# --- a PDF handed in for checking (docs/ARCHITECTURE.md, signing) ---------------------------------------------
# The check reads the bytes with a bounded scan before any PDF parser runs (chalicelib/pdf/scan.py); only a file
# whose signature is ours, over the whole file, reaches pyHanko, and then only within these bounds too.
PDF_HEADER_WINDOW = 1024  # "%PDF-" must start within the first KB, "%%EOF" and startxref lie in the last KB
MAX_SIGNATURES_SCANNED = 16  # signature dictionaries examined, the last ones; ours have exactly one
# The CMS container in /Contents: pyHanko reserves about 1.5 KB for ours (about 10 KB with a time stamp). A larger
# one is not read, whatever the hex string holds.
MAX_SIGNATURE_CONTENTS_BYTES = 32 * 1024
# Entries a cross-reference section (or an object stream) declares. pyHanko builds its table from the declaration
# before reading a byte of it: /Index [0 20000000] in 375 bytes cost 40 s and 2.7 GB. Ours declare about 20; a
# declaration is refused past this, or past what the file's bytes could hold.
MAX_PDF_OBJECTS = 100_000
XREF_ENTRY_MIN_BYTES = 18  # a classic table's entry is 20 bytes ("0000000000 65535 f \r\n"); some writers drop one
MAX_XREF_FIELD_BYTES = 8  # a width of /W in an xref stream: 8 bytes hold any offset of any file
# Cross-reference sections followed through /Prev: a 512 KB file holds at most about 10,000 minimal ones (pyHanko
# reads 5,000 in about 0.5 s); ours have 2. A section seen twice is a loop, refused at once.
MAX_XREF_SECTIONS = 10_000
XREF_DICTIONARY_WINDOW = 4096  # bytes of a trailer or xref-stream dictionary read for its /Prev, /Size, /Index
# The check's own function (scripts/infra.py, .chalice/config.json): a flood of uploads takes this much and no
# more. Its timeout is the check's time budget; the API waits a little longer for the answer.
CHECK_FUNCTION_MEMORY_MB = 512
CHECK_FUNCTION_TIMEOUT_SECONDS = 10
CHECK_FUNCTION_RESERVED_CONCURRENCY = 10
# Locally and in tests the same handler runs in a child process capped at the function's memory, as address space
# (RLIMIT_AS counts mapped libraries too: the warm child maps about 70 MB, 60 MB of it resident).
CHECK_LOCAL_ADDRESS_SPACE_BYTES = CHECK_FUNCTION_MEMORY_MB * 1024 * 1024

# --- answers the service reads back ------------------------------------------------------------------------
# A webhook receiver's answer: only its status matters, so at most this much of its body is read, and the whole
# delivery (connect, send, status, headers, body) ends within the time, however slowly the receiver drips.
WEBHOOK_ANSWER_MAX_BYTES = 64 * 1024
WEBHOOK_DELIVERY_SECONDS = 10.0

# --- the portal's screens ------------------------------------------------------------------------------------
PORTAL_PER_PAGE = 20  # rows of 保証工事一覧 per page
MAX_TYPED_CONTRACT_NUMBER = 40  # characters of a 保証契約番号 taken from a link (full-width, hyphens and all)
MAX_TYPED_FIELD = 100  # characters of a field typed into the verification form
CONSOLE_CONTRACTORS_PER_PAGE = 50  # rows of the surety console's contractor list (a page of the name index)

# --- searching certificates (docs/ARCHITECTURE.md, search and lists) ----------------------------------------
SEARCH_TEXT_MAX = 100  # characters of `q`: the longest searchable field (工事名) is 200, a fragment of it is less
MAX_CSV_ROWS = 20_000  # rows of one CSV; past it the search is refused with its count, to be narrowed by a range
# A CSV answered in the response itself: API Gateway's Lambda proxy answer is at most 6 MB, and were it
# JSON-escaped a kanji takes 6 bytes for its 3, so 2.5 MB of UTF-8 stays under it either way; larger goes via S3.
CSV_INLINE_MAX_BYTES = 2_500_000
# Across contractors an 証書発行日 range is read month by month (one index partition a month): one page reads at
# most this many months, then hands back a cursor to go on, so a sparse range never walks years in one request.
MAX_MONTHS_PER_PAGE = 12

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
