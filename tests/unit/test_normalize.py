from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.normalize import normalize_contract_number, normalize_search_text, normalize_typed


def to_full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_full_width_digits_and_letters_become_ascii():
    assert normalize_typed("２０７０ＡＢｃｄ") == "2070ABcd"


def test_case_is_kept():
    assert normalize_typed("abCD") == "abCD"


def test_spaces_including_ideographic_space_are_removed():
    assert normalize_typed(" 20\u300070\t04 \n4426 ") == "2070044426"


def test_hyphen_like_characters_are_removed():
    hyphens = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "ｰ", "ー", "－"]
    for h in hyphens:
        assert normalize_typed(f"207{h}0004{h}426") == "2070004426", repr(h)


def test_zero_width_characters_from_copy_and_paste_are_removed():
    assert normalize_typed("\ufeff2070\u200b004426\u2060") == "2070004426"


def test_other_punctuation_is_kept():
    assert normalize_typed("20/70.00") == "20/70.00"


def test_contract_number_accepts_typed_variants():
    assert normalize_contract_number("2070004426") == "2070004426"
    assert normalize_contract_number("２０７０－００４４２６") == "2070004426"
    assert normalize_contract_number(" 2070 004 426 ") == "2070004426"


def test_contract_number_rejects_wrong_length_and_non_digits():
    assert normalize_contract_number("207000442") is None
    assert normalize_contract_number("20700044260") is None
    assert normalize_contract_number("207000442A") is None
    assert normalize_contract_number("") is None
    # Arabic-Indic digits are digits to str.isdigit, but not a contract number.
    assert normalize_contract_number("\u0662" * 10) is None


@given(st.text(alphabet="0123456789", min_size=10, max_size=10), st.lists(st.sampled_from(" -\u3000ー")))
def test_any_ten_digits_with_separators_and_full_width_normalise_back(digits, seps):
    typed = to_full_width(digits)
    for i, sep in enumerate(seps):
        pos = i % (len(typed) + 1)
        typed = typed[:pos] + sep + typed[pos:]
    assert normalize_contract_number(typed) == digits


def test_search_text_folds_width_case_and_spaces():
    assert normalize_search_text("境港市　ＡＢＣ 道路 Improvement") == "境港市abc道路improvement"


def test_search_text_keeps_hyphens_and_katakana_long_vowel():
    # Free text: ー is part of words (センター), unlike in typed codes.
    assert normalize_search_text("センター 1-2") == "センター1-2"


def test_search_text_folds_half_width_katakana():
    assert normalize_search_text("ｾﾝﾀｰ") == "センター"


@given(st.text())
def test_search_text_is_idempotent(text):
    once = normalize_search_text(text)
    assert normalize_search_text(once) == once
