import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.auth_key import (
    ALPHABET,
    KEY_LENGTH,
    auth_key_digest,
    auth_key_matches,
    format_auth_key,
    generate_auth_key,
    normalize_auth_key,
)

SECRET = b"test-secret"
HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212ｰー－"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width chars that come with copy and paste
keys = st.text(alphabet=ALPHABET, min_size=KEY_LENGTH, max_size=KEY_LENGTH)
separators = st.lists(st.sampled_from([" ", "\u3000", "\t", *HYPHENS, *INVISIBLE]), max_size=6)


def to_full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def insert_at_spread(text: str, extras: list[str]) -> str:
    for i, extra in enumerate(extras):
        pos = (i * 3) % (len(text) + 1)
        text = text[:pos] + extra + text[pos:]
    return text


def is_benign(ch: str) -> bool:
    """A char that normalises into the key alphabet, an alias or a separator."""
    allowed = set(ALPHABET) | set(ALPHABET.lower()) | set("IiLlOo") | set(HYPHENS) | set(INVISIBLE)
    return all(c in allowed or c.isspace() for c in unicodedata.normalize("NFKC", ch))


def test_alphabet_is_crockford_without_i_l_o_u():
    assert len(ALPHABET) == 32 == len(set(ALPHABET))
    assert not set("ILOU") & set(ALPHABET)
    assert KEY_LENGTH == 10


def test_generated_keys_are_ten_chars_of_the_alphabet_and_distinct():
    drawn = [generate_auth_key() for _ in range(1000)]
    for key in drawn:
        assert len(key) == KEY_LENGTH
        assert set(key) <= set(ALPHABET)
    # 1000 draws from 2**50: a collision has probability ~4e-10, so a repeat means a broken generator.
    assert len(set(drawn)) == 1000
    # Every symbol shows up over 10000 chars (a generator stuck on a subset would fail).
    assert set("".join(drawn)) == set(ALPHABET)


def test_format_auth_key():
    assert format_auth_key("ABCDEFGHJK") == "ABCDE-FGHJK"
    with pytest.raises(ValueError):
        format_auth_key("ABC")


def test_normalize_examples():
    assert normalize_auth_key("abcde-fghjk") == "ABCDEFGHJK"
    assert normalize_auth_key("ＡＢＣＤＥ　ＦＧＨＪＫ") == "ABCDEFGHJK"
    # Crockford aliases: I and L read as 1, O as 0, in either case.
    assert normalize_auth_key("IiLlOo2345") == "1111002345"


def test_normalize_rejects_u_wrong_length_and_other_chars():
    assert normalize_auth_key("ABCDEFGHJU") is None
    assert normalize_auth_key("ABCDEFGHJ") is None
    assert normalize_auth_key("ABCDEFGHJKM") is None
    assert normalize_auth_key("ABCDE_FGHJK") is None
    assert normalize_auth_key("") is None
    # Dotless i upper-cases to I; it is not something a person types for 1.
    assert normalize_auth_key("\u0131BCDEFGHJK") is None


@given(keys)
def test_format_then_normalize_round_trips(key):
    assert normalize_auth_key(format_auth_key(key)) == key


@given(keys, st.booleans(), st.booleans(), separators)
def test_any_typed_rendering_normalises_back(key, full_width, lower, seps):
    typed = key.lower() if lower else key
    typed = to_full_width(typed) if full_width else typed
    typed = insert_at_spread(typed, seps)
    assert normalize_auth_key(typed) == key


@given(keys, st.characters(exclude_categories=["Cs"]).filter(lambda c: not is_benign(c)), st.integers(0, 10))
def test_any_foreign_char_makes_the_text_invalid(key, bad, pos):
    typed = key[:pos] + bad + key[pos:]
    assert normalize_auth_key(typed) is None


@given(st.sampled_from("Uu"), keys, st.integers(0, 9))
def test_u_is_never_accepted(u, key, pos):
    assert normalize_auth_key(key[:pos] + u + key[pos + 1 :]) is None


def test_digest_matches_its_own_key_and_contract():
    digest = auth_key_digest(SECRET, "2070004426", "ABCDEFGHJK")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert auth_key_matches(SECRET, "2070004426", "ABCDEFGHJK", digest)


def test_digest_is_bound_to_contract_number_key_and_secret():
    digest = auth_key_digest(SECRET, "2070004426", "ABCDEFGHJK")
    assert not auth_key_matches(SECRET, "2070004427", "ABCDEFGHJK", digest)
    assert not auth_key_matches(SECRET, "2070004426", "ABCDEFGHJM", digest)
    assert not auth_key_matches(b"other-secret", "2070004426", "ABCDEFGHJK", digest)
    assert auth_key_digest(SECRET, "2070004427", "ABCDEFGHJK") != digest


def test_matches_is_false_for_garbage_digest():
    assert not auth_key_matches(SECRET, "2070004426", "ABCDEFGHJK", "")
    assert not auth_key_matches(SECRET, "2070004426", "ABCDEFGHJK", "ü" * 64)


@given(keys, st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_digest_verifies_for_any_key_and_number(key, number):
    assert auth_key_matches(SECRET, number, key, auth_key_digest(SECRET, number, key))
