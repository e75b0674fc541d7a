"""Emails through SES (the letters themselves are written in chalicelib.services.notices)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from chalicelib.adapters.aws import client
from chalicelib.config import get_settings
from chalicelib.logs import log_context

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


def encode(emails: list[Email]) -> list[dict[str, str]]:
    """Emails as plain data, to be kept until sent."""
    return [asdict(e) for e in emails]


def decode(data: list[dict[str, str]]) -> list[Email]:
    return [Email(**e) for e in data]


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
        logger.exception("email could not be sent", extra=log_context(subject=email.subject))
        return False
    return True
