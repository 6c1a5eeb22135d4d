"""Texting the running assistant as Twilio would: signed webhooks in, and what the assistant
sent read back from the fake Twilio API (scripts/fake_twilio.py). Used by the end-to-end tests
and by the benchmark of SMS segments."""
from __future__ import annotations

import re
import time
import uuid

import requests
from twilio.request_validator import RequestValidator

from scripts.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio

WEBHOOK = "/webhooks/twilio_sms/webhook"
STATUS = "/webhooks/twilio_sms/status"
CHOICE = re.compile(r"^(\d+) - (.+)$", re.MULTILINE)


def new_phone() -> str:
    return "+336" + str(uuid.uuid4().int)[:8]


class SmsDriver:
    def __init__(self, rasa_url: str, twilio: FakeTwilio):
        self.rasa_url, self.twilio = rasa_url.rstrip("/"), twilio

    def post(self, params: dict, path: str = WEBHOOK, sign_url: str | None = None,
             token: str = AUTH_TOKEN, headers: dict | None = None) -> requests.Response:
        url = self.rasa_url + path
        signature = RequestValidator(token).compute_signature(sign_url or url, params)
        return requests.post(url, data=params, timeout=30,
                             headers={"X-Twilio-Signature": signature, **(headers or {})})

    def send(self, phone: str, body: str, sid: str | None = None, **options) -> requests.Response:
        params = {"MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
                  "From": phone, "To": FROM_NUMBER, "Body": body, "NumMedia": "0"}
        return self.post(params, **options)

    def exchange(self, phone: str, body: str, expected: str, timeout: float = 60) -> list[str]:
        """Send `body`; the SMS received since, once one of them contains `expected`."""
        before = len(self.twilio.to(phone))
        answer = self.send(phone, body)
        if answer.status_code != 200 or "<Response>" not in answer.text:
            raise AssertionError(f"the webhook answered {answer.status_code}: {answer.text[:200]}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = [m["body"] for m in self.twilio.to(phone)[before:]]
            if any(expected in text for text in received):
                time.sleep(0.3)  # the rest of this turn's messages
                return [m["body"] for m in self.twilio.to(phone)[before:]]
            time.sleep(0.1)
        raise AssertionError(f"after {body!r} no SMS with {expected!r}: "
                             f"{[m['body'] for m in self.twilio.to(phone)[before:]]}")

    def diagnostic_and_booking(self, phone: str, path: list[tuple[str, str]],
                               where: str = "93200", place: str = "Saint-Denis",
                               first_name: str = "Fatou") -> str:
        """The whole way by SMS: the diagnostic `path` (message, expected reply), where, the
        place whose title holds `place`, the first slot, the first name. The confirmation."""
        for body, expected in path:
            self.exchange(phone, body, expected)
        listing = "\n".join(self.exchange(phone, where, "Quel lieu choisissez-vous ?"))
        number = next(n for n, title in CHOICE.findall(listing) if place in title)
        self.exchange(phone, number, "rendez-vous libres")
        self.exchange(phone, "1", "Quel est votre prénom ?")
        return "\n".join(self.exchange(phone, first_name, "Votre référence"))
