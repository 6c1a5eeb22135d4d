"""The SMS simulator: a phone-like page where anyone can try the SMS experience without a Twilio
account (`/sms-simulator`, on when NPT_SMS_SIMULATOR=1, which `make run` sets when no Twilio
credentials are configured).

What the page types is posted as a real, signed Twilio webhook to the assistant's SMS channel
(the same code path as a real SMS). The channel answers through the real `twilio` client, whose
API base URL (TWILIO_API_BASE_URL) points back here: this app plays Twilio's "send a message"
endpoint, keeps the messages in memory, and the page shows them with their segment counts.

Safety:
- it stays off (routes 404, one log line) unless TWILIO_API_BASE_URL points to a loopback
  address: otherwise real Twilio credentials could be in use, and the simulator would sign
  webhooks with the real auth token and send real SMS;
- each browser gets a random token (HttpOnly, SameSite=Strict cookie); the server remembers which
  numbers each token sent from, and shows a number's replies only to the token that used it
  first (another token gets 403, for reading as for sending);
- the fake Twilio API (/sms-simulator/twilio/...) answers only requests made from this machine
  (a loopback peer, not through a proxy), with the made-up credentials.
"""
from __future__ import annotations

import asyncio
import base64
import hmac
import ipaddress
import itertools
import json
import logging
import os
import re
import secrets
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import OrderedDict

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.sms_text import segments
from bot.paths import PROJECT_DIR

log = logging.getLogger(__name__)

PAGE = PROJECT_DIR / "bot" / "web" / "static" / "simulator.html"
PHONE = re.compile(r"^\+\d{8,15}$")
MAX_BODY = 1600
PREFIX = "/sms-simulator"
TOKEN_COOKIE = "npt_sms_simulator"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
MAX_PHONES_PER_TOKEN = 20
MAX_TOKENS = 10_000
# Headers a reverse proxy adds: a request carrying one did not come from this machine itself.
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host")


def requested() -> bool:
    return os.environ.get("NPT_SMS_SIMULATOR", "").strip() == "1"


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1 (with or without brackets), or the name localhost."""
    host = (host or "").strip().strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def api_base_is_loopback() -> bool:
    """TWILIO_API_BASE_URL names a loopback address (unset means Twilio's real API)."""
    parts = urllib.parse.urlsplit(os.environ.get("TWILIO_API_BASE_URL", "").strip())
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and is_loopback_host(parts.hostname)


def enabled() -> bool:
    """On when asked for (NPT_SMS_SIMULATOR=1) and the SMS channel talks to a fake Twilio on this
    machine (TWILIO_API_BASE_URL on loopback)."""
    return requested() and api_base_is_loopback()


def explain_off() -> None:
    """The log line of a simulator asked for but kept off."""
    if requested() and not api_base_is_loopback():
        host = urllib.parse.urlsplit(os.environ.get("TWILIO_API_BASE_URL", "").strip()).hostname
        log.error("SMS simulator kept OFF: NPT_SMS_SIMULATOR=1 but TWILIO_API_BASE_URL (%s) is not "
                  "a loopback address (127.0.0.0/8, localhost, [::1]): real Twilio credentials "
                  "could be in use, and the simulator would sign webhooks with the real auth "
                  "token and send real SMS. Its pages answer 404.",
                  f"host {host}" if host else "unset: Twilio's own API")


class Owners:
    """Which browser (token) may use which number: the first token that sends from a number
    owns it; only it may read the number's replies or send from it (in this process's memory,
    the oldest tokens forgotten beyond MAX_TOKENS)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: dict[str, str] = {}
        self._phones: OrderedDict[str, set[str]] = OrderedDict()

    def claim(self, token: str, phone: str) -> bool:
        """True when `token` may use `phone` (now its own if nobody had it)."""
        with self._lock:
            owner = self._owner.get(phone)
            if owner is not None:
                return hmac.compare_digest(owner, token)
            phones = self._phones.setdefault(token, set())
            self._phones.move_to_end(token)
            if len(phones) >= MAX_PHONES_PER_TOKEN:
                return False
            phones.add(phone)
            self._owner[phone] = token
            while len(self._phones) > MAX_TOKENS:
                _, forgotten = self._phones.popitem(last=False)
                for number in forgotten:
                    self._owner.pop(number, None)
            return True

    def owns(self, token: str, phone: str) -> bool:
        with self._lock:
            owner = self._owner.get(phone)
            return owner is not None and hmac.compare_digest(owner, token)


def _token(request: Request) -> str | None:
    token = request.cookies.get(TOKEN_COOKIE, "")
    return token if TOKEN.match(token) else None


def _from_this_machine(request: Request) -> bool:
    """The peer is a loopback address and no proxy relayed the request."""
    return is_loopback_host(request.ip) and not any(
        request.headers.get(name) for name in PROXY_HEADERS)


class Outbox:
    """The messages the assistant sent, by phone number (in this process's memory)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: dict[str, list[dict]] = {}
        self._ids = itertools.count(1)

    def add(self, phone: str, body: str) -> dict:
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


def _not_found() -> HTTPResponse:
    return response.text("Page introuvable.", status=404)


def simulator_blueprint() -> Blueprint:
    bp = Blueprint("sms_simulator", url_prefix=PREFIX)
    outbox = Outbox()
    owners = Owners()
    explain_off()

    @bp.get("/")
    async def page(request: Request) -> HTTPResponse:
        if not enabled():
            return _not_found()
        resp = await response.file(PAGE, mime_type="text/html; charset=utf-8",
                                   headers={"Cache-Control": "no-store"})
        if _token(request) is None:
            resp.cookies[TOKEN_COOKIE] = secrets.token_urlsafe(32)
            cookie = resp.cookies[TOKEN_COOKIE]
            cookie["httponly"] = True
            cookie["samesite"] = "Strict"
            cookie["path"] = PREFIX
            if os.environ.get("NPT_PUBLIC_URL", "").strip().lower().startswith("https://"):
                cookie["secure"] = True
        return resp

    @bp.post("/send")
    async def send(request: Request) -> HTTPResponse:
        if not enabled():
            return _not_found()
        try:
            data = json.loads(request.body or b"{}")
            phone, body = str(data.get("phone", "")).strip(), str(data.get("body", ""))
        except (ValueError, AttributeError):
            return response.json({"error": "JSON attendu"}, status=400)
        if not PHONE.match(phone):
            return response.json({"error": "Numéro au format +33612345678"}, status=400)
        token = _token(request)
        if token is None:
            return response.json({"error": "Rechargez la page du simulateur, puis réessayez."},
                                 status=403)
        if not owners.claim(token, phone):
            return response.json({"error": "Ce numéro est déjà utilisé par une autre page du "
                                           "simulateur. Choisissez-en un autre."}, status=403)
        status = await asyncio.to_thread(_sign_and_post, phone, body[:MAX_BODY])
        return response.json({"status": status}, status=200 if status == 200 else 502)

    @bp.get("/messages")
    async def messages(request: Request) -> HTTPResponse:
        if not enabled():
            return _not_found()
        phone = request.args.get("phone", "")
        after = request.args.get("after", "0")
        if not PHONE.match(phone) or not after.isdigit() or len(after) > 12:
            return response.json({"error": "phone et after attendus"}, status=400)
        token = _token(request)
        if token is None or not owners.owns(token, phone):
            return response.json({"error": "Cette page n'a pas écrit depuis ce numéro."},
                                 status=403)
        return response.json({"messages": outbox.since(phone, int(after))},
                             headers={"Cache-Control": "no-store"})

    @bp.post("/twilio/2010-04-01/Accounts/<account>/Messages.json")
    async def twilio_send(request: Request, account: str) -> HTTPResponse:
        """Twilio's "create a message", played here for the SMS channel of this machine."""
        if not enabled():
            return _not_found()
        if not _from_this_machine(request):
            return response.json({"code": 20403, "message": "Forbidden"}, status=403)
        if not _twilio_auth_ok(request):
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
