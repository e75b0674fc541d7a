"""The kinds of guarantee and the words the product uses for them."""

from __future__ import annotations

from enum import StrEnum


class GuaranteeType(StrEnum):
    ADVANCE_PAYMENT = "advance_payment"
    INTERMEDIATE_ADVANCE_PAYMENT = "intermediate_advance_payment"
    PERFORMANCE = "performance"

    @property
    def name_ja(self) -> str:
        """Full name, as in the certificate heading and the key notice's 区分."""
        return _NAMES[self][0]

    @property
    def label(self) -> str:
        """Short label of the portal list's 区分 column."""
        return _NAMES[self][1]

    @property
    def is_advance(self) -> bool:
        """Advance types carry 預託金融機関 (the bank the advance is deposited with)."""
        return self is not GuaranteeType.PERFORMANCE


_NAMES = {
    GuaranteeType.ADVANCE_PAYMENT: ("前払金保証", "前払"),
    GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT: ("中間前払金保証", "中間前払"),
    GuaranteeType.PERFORMANCE: ("契約保証", "契約"),
}


class WorkCategory(StrEnum):
    CONSTRUCTION = "construction"  # 建設工事
    SURVEY = "survey"  # 測量等業務
    GOODS = "goods"  # 物品: never eligible for the construction surety's e-guarantee here

    @property
    def name_ja(self) -> str:
        return {"construction": "建設工事", "survey": "測量等業務", "goods": "物品"}[self.value]


class Delivery(StrEnum):
    ELECTRONIC = "electronic"
    PAPER = "paper"

    @property
    def name_ja(self) -> str:
        return {"electronic": "電子交付", "paper": "書面交付"}[self.value]


class SubmissionMethod(StrEnum):
    """How an owner wants the key notice submitted to it; in the flyer's order (① then ②)."""

    E_CONTRACT = "e_contract"  # 電子契約システムへの登録
    EMAIL = "email"  # 電子メールに添付して送信

    @property
    def name_ja(self) -> str:
        """As the key notice words it (flyer)."""
        names = {"e_contract": "電子契約システムへの登録 (アップロード)", "email": "電子メールに添付して送信"}
        return names[self.value]

