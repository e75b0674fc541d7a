"""The letters the service sends (Japanese text): never a 認証キー, a token or a link that grants access."""

from __future__ import annotations

from chalicelib.adapters.mail import Email
from chalicelib.config import get_settings, service_names
from chalicelib.domain.records import Obligee
from chalicelib.domain.submission import submission_advice
from chalicelib.domain.types import GuaranteeType

ISSUED_SUBJECT = "電子証書・認証キー登録のお知らせ"
AMENDED_SUBJECT = "電子証書(変更)発行のお知らせ"
CANCELLED_SUBJECT = "保証契約解約のお知らせ"
RECORDED_SUBJECT = "保証期間等の変更のお知らせ"


def portal_link(contract_number: str, *, for_owner: bool) -> str:
    """Where the addressee reads it: the contractor's 保証工事一覧, or the owner's verification screen with
    the number filled in. A login is needed either way; never a key or a token."""
    return verification_page_url(contract_number) if for_owner else f"{get_settings().portal_url}/certificates"


def verification_page_url(contract_number: str) -> str:
    """The owner's verification screen with the number filled in (emails, the key notice's QR code): the one
    place this address is made, and it never carries a key."""
    return f"{get_settings().portal_url}/verify?contract_number={contract_number}"


def _letter(to: str, subject: str, addressee: str, lead: list[str], facts: list[tuple[str, str]],
            tail: list[str], link: str) -> Email:
    surety = get_settings().surety
    body = "\n".join([
        f"{addressee} 様",
        "",
        *lead,
        "",
        *(f"  {label}: {value}" for label, value in facts),
        "",
        *tail,
        f"ログインしてご確認ください: {link}",
        "",
        "このメールには認証キーを記載していません。",
        "お心当たりのない場合は、お手数ですが下記までご連絡ください。",
        "",
        f"{surety.name} {surety.branch_name}",
        f"TEL: {surety.tel}",
    ])
    return Email(to=to, subject=subject, body=body)


def issued_notice(
    *, to: str, contractor_name: str, contract_number: str, guarantee_type: GuaranteeType, project_name: str,
    obligee: Obligee,
) -> Email:
    """The notice to a contractor that an electronic certificate and its key are ready, with how its owner
    wants the key notice (the flyer's advice: domain/submission)."""
    return _letter(
        to, ISSUED_SUBJECT, contractor_name,
        ["保証契約を締結し、電子証書と認証キーを登録しました。",
         f"{service_names().contractor_portal}にログインし、「保証工事一覧」から電子証書の内容をご確認ください。",
         "認証キーは一覧の「表示」ボタンから確認でき、発注者へ提出する「認証キー等のお知らせ」(PDF)を",
         "ダウンロードできます。"],
        [("保証契約番号", contract_number), ("区分", guarantee_type.label), ("工事名", project_name),
         ("発注者", obligee.name)],
        [submission_advice(guarantee_type, obligee.submission_methods, obligee.contact_email,
                           subject="「認証キー等のお知らせ」(PDF)"),
         "保証証書のPDFではなく、「認証キー等のお知らせ」(PDF)をご提出ください。", ""],
        portal_link(contract_number, for_owner=False),
    )


def amended_notice(*, to: str, addressee: str, for_owner: bool, contract_number: str, label: str,
                   project_name: str, version: int, changes: list[str]) -> Email:
    """A new certificate version (変更): to the contractor, and to an owner that verified the earlier one."""
    if for_owner:
        lead = ["ご確認いただいた電子証書について、保証内容の変更により変更後の電子証書が発行されました。",
                f"{service_names().verification}で、お手元の保証契約番号と認証キー(変更前と同じです)により",
                "変更後の内容をご確認ください。"]
    else:
        lead = ["保証内容の変更により、変更後の電子証書(変更)を発行しました。",
                f"{service_names().contractor_portal}の「保証工事一覧」からご確認ください。認証キーは変更前と同じです。"]
    return _letter(
        to, AMENDED_SUBJECT, addressee, lead,
        [("保証契約番号", contract_number), ("区分", label), ("工事名", project_name), ("版", f"第{version}版")],
        ["変更内容:", *(f"  ・{line}" for line in changes), ""],
        portal_link(contract_number, for_owner=for_owner),
    )


def recorded_change_notice(*, to: str, addressee: str, for_owner: bool, contract_number: str, label: str,
                           project_name: str, changes: list[str]) -> Email:
    """A change of what the owner relies on (工期末日, 保証期間) that issues no certificate (注2)."""
    lead = ["下記の保証について、工期末日・保証期間の変更を記録しました。",
            "保証期間は工期の完了に応じて変更されるため、変更の保証証書は発行しません(証書の注2)。",
            "電子証書には変更後の内容が表示されます。"]
    if for_owner:
        lead.append(f"{service_names().verification}で、お手元の保証契約番号と認証キー(変わりません)によりご確認ください。")
    return _letter(
        to, RECORDED_SUBJECT, addressee, lead,
        [("保証契約番号", contract_number), ("区分", label), ("工事名", project_name)],
        ["変更内容:", *(f"  ・{line}" for line in changes), ""],
        portal_link(contract_number, for_owner=for_owner),
    )


def cancelled_notice(*, to: str, addressee: str, contract_number: str, label: str, project_name: str,
                     cancelled_on: str, for_owner: bool = False) -> Email:
    return _letter(
        to, CANCELLED_SUBJECT, addressee,
        ["下記の保証契約は解約・返還の手続きにより終了しました。", "電子証書には解約済みと表示されます。"],
        [("保証契約番号", contract_number), ("区分", label), ("工事名", project_name), ("解約日", cancelled_on)],
        [], portal_link(contract_number, for_owner=for_owner),
    )


