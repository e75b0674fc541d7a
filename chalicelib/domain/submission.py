"""How the contractor hands the key notice to the owner: the flyer's advice (its Q&A for 境港市: by email, with
the 前払金請求書, the address confirmed with the owner's 契約窓口), worded for the methods the owner accepts.

One wording for the contractor's key screen, the issue email and the key notice (docs/ARCHITECTURE.md, where
each rule lives).
"""

from __future__ import annotations

from chalicelib.domain.types import GuaranteeType, SubmissionMethod

# What the owner receives together with the key notice: the claim the guarantee backs (a 契約保証 is handed
# in at the contract itself, with no claim).
COMPANION_DOCUMENTS: dict[GuaranteeType, str | None] = {
    GuaranteeType.ADVANCE_PAYMENT: "前払金請求書",
    GuaranteeType.INTERMEDIATE_ADVANCE_PAYMENT: "中間前払金請求書",
    GuaranteeType.PERFORMANCE: None,
}


def submission_advice(guarantee_type: GuaranteeType, methods: tuple[SubmissionMethod, ...],
                      contact_email: str, *, subject: str = "") -> str:
    """One paragraph: how to submit (the owner's methods), with what, and whom to ask for the address.

    `subject` names the document when the sentence stands alone (a screen, an email); the notice itself leaves
    it and the methods out (its 【お客様へのお知らせ】 has just named them, pdf/key_notice.submission_instruction)."""
    companion = COMPANION_DOCUMENTS[GuaranteeType(guarantee_type)]
    chosen = set(methods)
    if not chosen or not chosen <= set(SubmissionMethod):
        raise ValueError(f"unknown submission method: {methods!r}")
    lead = f"{subject}は、" if subject else ""
    together = f"{companion}とあわせて" if companion else ""
    if chosen == {SubmissionMethod.EMAIL}:
        how, ask = "電子メールに添付して", "送付先のメールアドレス"
    elif chosen == {SubmissionMethod.E_CONTRACT}:
        how, ask = "電子契約システムに登録(アップロード)して", "登録の方法"
    else:
        how, ask = "電子契約システムへの登録又は電子メールへの添付により", "提出の方法と送付先"
    window = f"発注者の契約窓口({contact_email})" if contact_email else "発注者の契約窓口"
    if not subject:
        how = ""
    return f"{lead}{together}{how}発注者へご提出ください。{ask}は、あらかじめ{window}にご確認ください。"
