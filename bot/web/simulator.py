"""The SMS simulator: a phone-like page where anyone can try the SMS experience without a Twilio
account (`/sms-simulator`, on when NPT_SMS_SIMULATOR=1, which `make run` sets when no Twilio
credentials are configured).

What the page types is posted as a real, signed Twilio webhook to the assistant's SMS channel
(the same code path as a real SMS). The channel answers through the real `twilio` client, whose
API base URL (TWILIO_API_BASE_URL) points back here: this app plays Twilio's "send a message"
endpoint, keeps the messages in memory, and the page shows them with their segment counts.
"""
from __future__ import annotations

import asyncio
import base64
import hmac
import itertools
import json
import os
import re
import threading
import time
import urllib.parse
import urllib.request
import uuid

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.paths import PROJECT_DIR

PAGE = PROJECT_DIR / "bot" / "web" / "static" / "simulator.html"
PHONE = re.compile(r"^\+\d{8,15}$")
MAX_BODY = 1600


def enabled() -> bool:
    return os.environ.get("NPT_SMS_SIMULATOR", "").strip() == "1"


class Outbox:
    """The messages the assistant sent, by phone number (in this process's memory)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: dict[str, list[dict]] = {}
        self._ids = itertools.count(1)

    def add(self, phone: str, body: str) -> dict:
        from bot.messaging.sms_text import segments

        cost = segments(body)
        message = {"id": next(self._ids), "body": body, "segments": cost.segments,
                   "encoding": cost.encoding, "at": time.time()}
        with self._lock:
            self._messages.setdefault(phone, []).append(message)
            del self._messages[phone][:-200]
        return message

    def since(self, phone: str, after: int) -> list[dict]:
        with self._lock:
            return [m for m in self._messages.get(phone, []) if m["id"] > after]


def _sign_and_post(phone: str, body: str) -> int:
    """Post a signed Twilio webhook to the assistant's SMS channel; the HTTP status."""
    from twilio.request_validator import RequestValidator

    rasa = os.environ.get("NPT_RASA_URL", "http://127.0.0.1:5005").rstrip("/")
    path = "/webhooks/twilio_sms/webhook"
    public = os.environ.get("NPT_PUBLIC_URL", "").strip().rstrip("/")
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid":
              os.environ.get("TWILIO_ACCOUNT_SID", ""), "From": phone,
              "To": os.environ.get("TWILIO_FROM_NUMBER", ""), "Body": body, "NumMedia": "0"}
    signature = RequestValidator(os.environ.get("TWILIO_AUTH_TOKEN", "")).compute_signature(
        (public or rasa) + path, params)
    request = urllib.request.Request(rasa + path, data=urllib.parse.urlencode(params).encode(),
                                     method="POST", headers={
                                         "X-Twilio-Signature": signature,
                                         "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 502


def _twilio_auth_ok(request: Request) -> bool:
    """The twilio client authenticates with HTTP Basic (account SID, auth token)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return (hmac.compare_digest(user, os.environ.get("TWILIO_ACCOUNT_SID", ""))
            and hmac.compare_digest(password, os.environ.get("TWILIO_AUTH_TOKEN", "")))


def simulator_blueprint() -> Blueprint:
    bp = Blueprint("sms_simulator", url_prefix="/sms-simulator")
    outbox = Outbox()

    @bp.get("/")
    async def page(request: Request) -> HTTPResponse:
        if not enabled():
            return response.text("Page introuvable.", status=404)
        return await response.file(PAGE, mime_type="text/html; charset=utf-8")

    @bp.post("/send")
    async def send(request: Request) -> HTTPResponse:
        if not enabled():
            return response.text("Page introuvable.", status=404)
        try:
            data = json.loads(request.body or b"{}")
            phone, body = str(data.get("phone", "")).strip(), str(data.get("body", ""))
        except (ValueError, AttributeError):
            return response.json({"error": "JSON attendu"}, status=400)
        if not PHONE.match(phone):
            return response.json({"error": "Numéro au format +33612345678"}, status=400)
        status = await asyncio.to_thread(_sign_and_post, phone, body[:MAX_BODY])
        return response.json({"status": status}, status=200 if status == 200 else 502)

    @bp.get("/messages")
    async def messages(request: Request) -> HTTPResponse:
        if not enabled():
            return response.text("Page introuvable.", status=404)
        phone = request.args.get("phone", "")
        after = request.args.get("after", "0")
        if not PHONE.match(phone) or not after.isdigit():
            return response.json({"error": "phone et after attendus"}, status=400)
        return response.json({"messages": outbox.since(phone, int(after))})

    @bp.post("/twilio/2010-04-01/Accounts/<account>/Messages.json")
    async def twilio_send(request: Request, account: str) -> HTTPResponse:
        """Twilio's "create a message", played here for the SMS channel."""
        if not enabled() or not _twilio_auth_ok(request):
            return response.json({"code": 20003, "message": "Authenticate"}, status=401)
        form = {k: v[0] for k, v in urllib.parse.parse_qs(
            (request.body or b"").decode("utf-8", "replace"), keep_blank_values=True).items()}
        to, body = form.get("To", ""), form.get("Body", "")
        message = outbox.add(to, body)
        sid = "SM" + uuid.uuid4().hex
        return response.json({"sid": sid, "status": "queued", "to": to, "from": form.get("From"),
                              "body": body, "num_segments": str(message["segments"]),
                              "account_sid": account}, status=201)

    return bp
