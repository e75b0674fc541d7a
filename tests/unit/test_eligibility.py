from datetime import date

import pytest

from chalicelib.domain.eligibility import ObligeePolicy, electronic_refusal, format_date_ja
from chalicelib.domain.types import WorkCategory

SAKAIMINATO = ObligeePolicy(
    e_guarantee_start_date=date(2024, 1, 1),
    eligible_work_categories=frozenset({WorkCategory.CONSTRUCTION, WorkCategory.SURVEY}),
)
NOT_ADOPTED = ObligeePolicy(e_guarantee_start_date=None, eligible_work_categories=frozenset())


@pytest.mark.parametrize("category", [WorkCategory.CONSTRUCTION, WorkCategory.SURVEY])
@pytest.mark.parametrize("contract_date", [date(2024, 1, 1), date(2024, 1, 2), date(2030, 12, 31)])
def test_sakaiminato_accepts_from_start_date_for_its_categories(category, contract_date):
    assert electronic_refusal(SAKAIMINATO, "境港市", contract_date, category) is None


def test_contract_the_day_before_start_is_refused():
    reason = electronic_refusal(SAKAIMINATO, "境港市", date(2023, 12, 31), WorkCategory.CONSTRUCTION)
    assert reason == "境港市の電子保証は令和6年1月1日以降に締結した契約が対象です(契約日 令和5年12月31日)。"


def test_goods_are_refused():
    reason = electronic_refusal(SAKAIMINATO, "境港市", date(2024, 6, 1), WorkCategory.GOODS)
    assert reason == "境港市の電子保証の対象は建設工事・測量等業務です(物品は対象外)。"


def test_category_list_follows_the_policy():
    survey_only = ObligeePolicy(date(2024, 1, 1), frozenset({WorkCategory.SURVEY}))
    reason = electronic_refusal(survey_only, "○○県", date(2024, 6, 1), WorkCategory.CONSTRUCTION)
    assert reason == "○○県の電子保証の対象は測量等業務です(建設工事は対象外)。"


def test_no_eligible_category_is_refused_with_owner_name():
    none = ObligeePolicy(date(2024, 1, 1), frozenset())
    reason = electronic_refusal(none, "○○県", date(2024, 6, 1), WorkCategory.CONSTRUCTION)
    assert reason is not None and reason.startswith("○○県") and "建設工事は対象外" in reason


def test_date_and_category_both_wrong_gives_both_reasons():
    reason = electronic_refusal(SAKAIMINATO, "境港市", date(2023, 12, 31), WorkCategory.GOODS)
    assert reason is not None
    assert "令和6年1月1日以降" in reason and "物品は対象外" in reason


@pytest.mark.parametrize("category", list(WorkCategory))
def test_owner_not_adopted_is_refused(category):
    reason = electronic_refusal(NOT_ADOPTED, "○○村", date(2024, 6, 1), category)
    assert reason == "○○村は電子保証を導入していないため、電子交付はできません。書面で交付してください。"


def test_not_adopted_wins_even_if_categories_are_listed():
    policy = ObligeePolicy(None, frozenset(WorkCategory))
    reason = electronic_refusal(policy, "○○村", date(2024, 6, 1), WorkCategory.CONSTRUCTION)
    assert reason is not None and "導入していない" in reason


def test_format_date_ja_is_the_era_date_without_padding():
    assert format_date_ja(date(2024, 1, 1)) == "令和6年1月1日"
    assert format_date_ja(date(2023, 12, 31)) == "令和5年12月31日"
    assert format_date_ja(date(2019, 5, 1)) == "令和元年5月1日"


def test_policy_is_frozen():
    with pytest.raises(AttributeError):
        SAKAIMINATO.e_guarantee_start_date = None  # type: ignore[misc]
