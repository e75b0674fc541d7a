"""Emails through SES. They never carry a 認証キー, a token or a link that grants access."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chalicelib.aws import client
from chalicelib.config import get_settings

logger = logging.getLogger(__name__)

ISSUED_SUBJECT = "電子証書・認証キー登録のお知らせ"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


def issued_notice(
    *, to: str, contractor_name: str, contract_number: str, label: str, project_name: str, obligee_name: str
) -> Email:
    """The notice to a contractor that an electronic certificate and its key are ready."""
    surety = get_settings().surety
    body = "\n".join(
        [
            f"{contractor_name} 様",
            "",
            "保証契約を締結し、電子証書と認証キーを登録しました。",
            "e-Net保証にログインし、「保証工事一覧」から電子証書の内容をご確認ください。",
            "認証キーは一覧の「表示」ボタンから確認でき、発注者へ提出する「認証キー等のお知らせ」(PDF)を",
            "ダウンロードできます。",
            "",
            f"  保証契約番号: {contract_number}",
            f"  区分: {label}",
            f"  工事名: {project_name}",
            f"  発注者: {obligee_name}",
            "",
            "このメールには認証キーを記載していません。",
            "お心当たりのない場合は、お手数ですが下記までご連絡ください。",
            "",
            f"{surety.name} {surety.branch_name}",
            f"TEL: {surety.tel}",
        ]
    )
    return Email(to=to, subject=ISSUED_SUBJECT, body=body)


def send(email: Email) -> bool:
    """Send one email; a failure is logged (without the body) and reported, never raised."""
    settings = get_settings()
    try:
        client("ses", settings.region).send_email(
            Source=settings.sender_email,
            Destination={"ToAddresses": [email.to]},
            Message={
                "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": email.body, "Charset": "UTF-8"}},
            },
        )
    except Exception:  # the guarantee stands even if the notice could not be sent
        logger.exception("email could not be sent", extra={"subject": email.subject})
        return False
    return True
