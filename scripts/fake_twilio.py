"""A small fake of Twilio's REST API on loopback: the real `twilio` client talks to it (through
TWILIO_API_BASE_URL) and it records every message the assistant sends. It can be told to fail
the next requests, to test retries."""
from __future__ import annotations

import threading
import time
import uuid
from urllib.parse import parse_qs

from scripts.fake_api import JsonHandler, LoopbackServer

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "fake-twilio-auth-token"
FROM_NUMBER = "+33700000001"


class FakeTwilio(LoopbackServer):
    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.failures_left = 0
        self.requests = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                expected = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
                with fake._lock:
                    fake.requests += 1
                    failing = fake.failures_left > 0
                    if failing:
                        fake.failures_left -= 1
                if self.path != expected:
                    return self._answer(404, {"code": 20404, "message": "not found"})
                if failing:
                    return self._answer(500, {"code": 20500, "message": "fake outage"})
                sid = "SM" + uuid.uuid4().hex
                with fake._lock:
                    fake.sent.append({"sid": sid, "to": form.get("To"), "from": form.get("From"),
                                      "body": form.get("Body", ""),
                                      "status_callback": form.get("StatusCallback")})
                self._answer(201, {"sid": sid, "account_sid": ACCOUNT_SID, "status": "queued",
                                   "to": form.get("To"), "from": form.get("From"),
                                   "body": form.get("Body"), "num_segments": "1",
                                   "direction": "outbound-api", "uri": expected})

        self._serve(Handler)

    def env(self) -> dict[str, str]:
        return {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_API_BASE_URL": self.url,
                "NPT_SMS_RETRY_SECONDS": "0.2,0.5"}

    def to(self, phone: str) -> list[dict]:
        with self._lock:
            return [message for message in self.sent if message["to"] == phone]

    def wait_for(self, phone: str, count: int, timeout: float = 60) -> list[dict]:
        """The messages sent to `phone` once there are at least `count` (fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.to(phone)
            if len(messages) >= count:
                return messages
            time.sleep(0.1)
        raise AssertionError(f"{len(self.to(phone))} SMS sent to {phone}, expected {count}: "
                             f"{self.to(phone)}")
