"""The 認証キー: 10 characters of Crockford base32, shown as XXXXX-XXXXX.

See docs/ARCHITECTURE.md, 認証キー and guessing."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from chalicelib.domain.normalize import normalize_typed

# Crockford base32: no I, L, O (they read as 1, 1, 0) and no U.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KEY_LENGTH = 10  # 32**10 = 2**50 keys

_ALPHABET_SET = frozenset(ALPHABET)
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def generate_auth_key() -> str:
    """A fresh key from the OS's CSPRNG."""
    return "".join(secrets.choice(ALPHABET) for _ in range(KEY_LENGTH))


def format_auth_key(key: str) -> str:
    """Display form 'ABCDE-FGHJK' of a normalised key."""
    if len(key) != KEY_LENGTH:
        raise ValueError(f"auth key must be {KEY_LENGTH} characters")
    half = KEY_LENGTH // 2
    return f"{key[:half]}-{key[half:]}"


def normalize_auth_key(text: str) -> str | None:
    """The key a person meant, or None when the text cannot be a key."""
    typed = normalize_typed(text)
    # ASCII check before upper(): 'ı'.upper() == 'I' would otherwise sneak in as '1'.
    if not typed.isascii():
        return None
    key = typed.upper().translate(_ALIASES)
    if len(key) != KEY_LENGTH or not set(key) <= _ALPHABET_SET:
        return None
    return key


def auth_key_digest(secret: bytes, contract_number: str, key: str) -> str:
    """Hex HMAC-SHA-256 of the key bound to its contract, so a digest is useless for any other number."""
    message = f"{contract_number}:{key}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def auth_key_matches(secret: bytes, contract_number: str, key: str, digest: str) -> bool:
    """Constant-time check of a (normalised) key against a stored digest."""
    expected = auth_key_digest(secret, contract_number, key)
    # Compare bytes: compare_digest rejects non-ASCII str with TypeError, and a stored value is data.
    return hmac.compare_digest(expected.encode(), digest.encode())
