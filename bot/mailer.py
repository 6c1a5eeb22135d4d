"""Sending email through a real SMTP server with the standard library's client.

Configured by the environment: `NPT_SMTP_URL` (`smtp://[user:password@]host[:port]`, STARTTLS
used when the server offers it; `smtps://...` for TLS from the start; user and password
percent-encoded) and `NPT_SMTP_FROM` (the sender address). Without `NPT_SMTP_URL` email is off:
`email_enabled()` is False and the callers log it once; nothing else changes. The password is
never logged: errors name the host and port only.
"""
from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)
DEFAULT_FROM = "Numérique pour Tous <ne-pas-repondre@localhost>"
TIMEOUT = 30


class MailError(Exception):
    """The message was not accepted by the SMTP server (or it could not be reached)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: bool  # TLS from the first byte (smtps)
    user: str | None
    password: str | None
    sender: str

    def __repr__(self) -> str:  # never the password
        return f"SmtpSettings(host={self.host!r}, port={self.port}, tls={self.tls})"


def smtp_settings() -> SmtpSettings | None:
    """The SMTP server of the environment, or None when email is off. Raises MailError for a
    setting that cannot be read (named without its secret)."""
    raw = os.environ.get("NPT_SMTP_URL", "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError("NPT_SMTP_URL must look like smtp://host:port or smtps://host:port")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise MailError("NPT_SMTP_URL has a port that is not a number") from None
    sender = os.environ.get("NPT_SMTP_FROM", "").strip() or DEFAULT_FROM
    return SmtpSettings(host=parts.hostname, port=port, tls=parts.scheme == "smtps",
                        user=unquote(parts.username) if parts.username else None,
                        password=unquote(parts.password) if parts.password else None,
                        sender=sender)


def email_enabled() -> bool:
    try:
        return smtp_settings() is not None
    except MailError:
        return False


def build_message(sender: str, to: str, subject: str, body: str,
                  attachments: tuple[tuple[str, bytes, str], ...] = ()) -> EmailMessage:
    """A plain-text message; each attachment is (file name, content, MIME type)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # no header injection by a title
    message["Message-ID"] = make_msgid(domain="numerique-pour-tous")
    message.set_content(body)
    for filename, content, mime in attachments:
        maintype, _, subtype = mime.partition("/")
        params = {}
        if subtype.startswith("calendar"):
            subtype, params = "calendar", {"method": "PUBLISH"}
        message.add_attachment(content, maintype=maintype, subtype=subtype,
                               filename=filename, params=params)
    return message


def send_email(to: str, subject: str, body: str,
               attachments: tuple[tuple[str, bytes, str], ...] = (),
               settings: SmtpSettings | None = None) -> None:
    """Hand one message to the SMTP server. Raises MailError when it was not accepted."""
    settings = settings or smtp_settings()
    if settings is None:
        raise MailError("email is off (NPT_SMTP_URL is not set)")
    message = build_message(settings.sender, to, subject, body, attachments)
    where = f"{settings.host}:{settings.port}"
    try:
        if settings.tls:
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
        with client:
            client.ehlo()
            if not settings.tls and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if settings.user:
                client.login(settings.user, settings.password or "")
            refused = client.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # The reply of the server, not the settings: no password can be in it.
        raise MailError(f"SMTP {where}: {type(error).__name__}: {error}") from error
    if refused:
        raise MailError(f"SMTP {where} refused {', '.join(refused)}")


