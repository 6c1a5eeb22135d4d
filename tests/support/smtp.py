"""A real SMTP server on loopback (aiosmtpd), whose received messages the tests read: the
assistant's mail goes through the standard library's SMTP client to it, exactly as it would to
the Métropole's server."""
from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpInbox:
    """Every message the server accepted, parsed, with the envelope's recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self._lock = threading.Lock()
        self.port = _free_port()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def start(self) -> "SmtpInbox":
        """Start (or start again, on the same port) the server."""
        if self._controller is None:
            self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
            self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {"NPT_SMTP_URL": self.url,
                "NPT_SMTP_FROM": "Numérique pour Tous <webinaires@npt.example>"}

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for rcpt, m in self.messages if address.lower() in
                    (r.lower() for r in rcpt)]

    def wait_for(self, address: str, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{len(self.to(address))} message(s) to {address}, "
                             f"{count} expected")
