"""The SMS simulator page of the web app (what `make run` offers without a Twilio account): what
is typed goes through the real SMS channel as a signed webhook; the replies come back through
the real twilio client to the web app, and are shown with their segment counts.

The first tests run the whole assistant (and Chromium); the last ones run the web app alone,
with a small fake of Rasa's SMS webhook on loopback that answers like the SMS channel does."""
from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import requests.adapters

from tests.support.browser import launch, require_chromium

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    from scripts.servers import PROJECT_DIR, VENV_BIN, Servers, free_port, simulator_env

    base = tmp_path_factory.mktemp("simulator")
    web_port = free_port()
    env = {"NPT_DATABASE_URL": f"sqlite:///{base / 'npt.db'}",
           "NPT_TRACKER_DATABASE_URL": f"sqlite:///{base / 'tracker.db'}",
           "NPT_SECRET_KEY": "simulator-test", **simulator_env(web_port)}
    subprocess.run([str(VENV_BIN / "npt"), "db", "upgrade"], check=True, cwd=PROJECT_DIR,
                   env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    servers = Servers(PROJECT_DIR / "models" / "npt.tar.gz", rasa_port=free_port(),
                      actions_port=free_port(), web_port=web_port, log_dir=base / "log", env=env)
    with servers:
        yield servers


@pytest.mark.browser
def test_a_typed_sms_is_answered_with_its_segment_count(simulated):
    root = simulated.web_url + "sms-simulator"
    page = requests.Session()  # the page's cookie: its numbers are its own
    assert page.get(root, timeout=30).status_code == 200
    phone = "+33611112222"
    sent = page.post(root + "/send", json={"phone": phone, "body": "bonjour"}, timeout=30)
    assert sent.status_code == 200, sent.text
    deadline, messages = time.monotonic() + 60, []
    while time.monotonic() < deadline and not any("On commence ?" in m["body"] for m in messages):
        messages = page.get(root + "/messages", params={"phone": phone, "after": 0},
                            timeout=30).json()["messages"]
        time.sleep(0.3)
    question = next(m for m in messages if "On commence ?" in m["body"])
    assert "1 - Oui" in question["body"] and question["encoding"] == "GSM-7"
    assert question["segments"] >= 1
    assert page.post(root + "/send", json={"phone": "0612", "body": "x"},
                     timeout=30).status_code == 400
    # Only the SMS channel (with the made-up credentials) may post replies here.
    forged = requests.post(root + "/twilio/2010-04-01/Accounts/AC1/Messages.json",
                           data={"To": phone, "Body": "faux"}, timeout=30)
    assert forged.status_code == 401


@pytest.mark.browser
def test_the_simulator_page_in_chromium(simulated):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 390, "height": 800}, locale="fr-FR")
        page.goto(simulated.web_url + "sms-simulator")
        page.get_by_label("Votre message").fill("Bonjour")
        page.get_by_role("button", name="Envoyer").click()
        answer = page.locator(".sms.in", has_text="On commence ?")
        expect(answer).to_be_visible(timeout=30_000)
        expect(answer.locator(".cost")).to_contain_text("segment")
        browser.close()


@pytest.mark.browser
def test_the_simulator_is_off_where_a_real_account_is_used(assistant):
    assert requests.get(assistant.web_url + "sms-simulator", timeout=30).status_code == 404


# -- the web app alone: who may use the simulator --------------------------------------------

ACCOUNT_SID, AUTH_TOKEN = "AC" + "5" * 32, "simulator-auth-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeSmsChannel:
    """Rasa's SMS webhook on loopback: records each signed webhook and answers the way the SMS
    channel does, through the Twilio API that TWILIO_API_BASE_URL names (the simulator's)."""

    def __init__(self) -> None:
        self.webhooks: list[tuple[dict, str]] = []
        self.api_base = ""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                fake.webhooks.append((form, self.headers.get("X-Twilio-Signature", "")))
                fake.answer(form["From"], f"Bonjour ! Vous avez écrit : {form['Body']}")
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", "10")
                self.end_headers()
                self.wfile.write(b"<Response/")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, to: str, body: str) -> None:
        data = urllib.parse.urlencode({"To": to, "From": "+33700000000", "Body": body}).encode()
        request = urllib.request.Request(
            f"{self.api_base}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json", data=data,
            headers={"Authorization": "Basic " + base64.b64encode(
                f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_web(base: Path, **env) -> tuple[subprocess.Popen, str, Path]:
    """The web app alone (`python -m bot.web`) with these settings; its process, URL and log."""
    port = int(env.pop("port", 0)) or free_port()
    log_path = base / f"web-{port}.log"
    settings = {**os.environ, "NPT_DATABASE_URL": f"sqlite:///{base / 'npt.db'}",
                "NPT_SECRET_KEY": "simulator-test", "NPT_WEB_PORT": str(port),
                "PYTHONUNBUFFERED": "1", **env}
    for name in [name for name, value in env.items() if value is None]:
        settings.pop(name, None)
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot.web"], cwd=PROJECT_DIR,
                                   env=settings, stdout=log, stderr=subprocess.STDOUT)
    root = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(root + "/health", timeout=2).status_code == 200:
                return process, root, log_path
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the web app did not start:\n" + log_path.read_text())
        time.sleep(0.2)


@pytest.fixture(scope="module")
def simulator_alone(tmp_path_factory):
    """The web app with the simulator on (listening on every address of this machine), and a
    fake SMS channel standing for Rasa."""
    base = tmp_path_factory.mktemp("simulator-alone")
    channel = FakeSmsChannel()
    port = free_port()
    channel.api_base = f"http://127.0.0.1:{port}/sms-simulator/twilio"
    process, root, _ = start_web(
        base, port=port, NPT_WEB_HOST="0.0.0.0", NPT_SMS_SIMULATOR="1",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER="+33700000000", TWILIO_API_BASE_URL=channel.api_base,
        NPT_RASA_URL=channel.url, NPT_PUBLIC_URL=None)
    channel.root, channel.port = root + "/sms-simulator", port
    yield channel
    process.terminate()
    process.wait(timeout=10)
    channel.stop()


def a_page(channel) -> requests.Session:
    page = requests.Session()
    opened = page.get(channel.root, timeout=10)
    assert opened.status_code == 200 and "Simulateur SMS" in opened.text
    return page


def test_a_numbers_replies_are_shown_only_to_the_page_that_used_it(simulator_alone):
    from twilio.request_validator import RequestValidator

    channel = simulator_alone
    mine = requests.Session()
    opened = mine.get(channel.root, timeout=10)
    cookie = opened.headers["Set-Cookie"]
    assert "npt_sms_simulator=" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and "Path=/sms-simulator" in cookie
    phone = "+33612300001"
    sent = mine.post(channel.root + "/send", json={"phone": phone, "body": "bonjour"}, timeout=10)
    assert sent.status_code == 200, sent.text
    form, signature = channel.webhooks[-1]
    assert (form["From"], form["Body"]) == (phone, "bonjour")
    assert RequestValidator(AUTH_TOKEN).validate(
        channel.url + "/webhooks/twilio_sms/webhook", form, signature)
    read = mine.get(channel.root + "/messages", params={"phone": phone, "after": 0}, timeout=10)
    assert read.status_code == 200
    assert [m["body"] for m in read.json()["messages"]] == [
        "Bonjour ! Vous avez écrit : bonjour"]

    other = a_page(channel)  # another browser, with its own cookie
    assert other.cookies["npt_sms_simulator"] != mine.cookies["npt_sms_simulator"]
    peek = other.get(channel.root + "/messages", params={"phone": phone, "after": 0}, timeout=10)
    assert peek.status_code == 403 and "Bonjour" not in peek.text
    taken = other.post(channel.root + "/send", json={"phone": phone, "body": "c'est moi"},
                       timeout=10)
    assert taken.status_code == 403 and "autre page" in taken.json()["error"]
    assert channel.webhooks[-1][0]["Body"] == "bonjour"  # nothing was sent for it
    anonymous = requests.get(channel.root + "/messages", params={"phone": phone, "after": 0},
                             timeout=10)
    assert anonymous.status_code == 403
    made_up = requests.get(channel.root + "/messages", params={"phone": phone, "after": 0},
                           cookies={"npt_sms_simulator": "x" * 43}, timeout=10)
    assert made_up.status_code == 403
    assert requests.post(channel.root + "/send", json={"phone": "+33612300002", "body": "hé"},
                         timeout=10).status_code == 403  # no cookie: reload the page
    # The other page has numbers of its own.
    assert other.post(channel.root + "/send", json={"phone": "+33612300003", "body": "salut"},
                      timeout=10).status_code == 200
    assert other.get(channel.root + "/messages", params={"phone": "+33612300003", "after": 0},
                     timeout=10).json()["messages"][0]["body"].endswith("salut")
    again = mine.get(channel.root + "/messages", params={"phone": phone, "after": 0}, timeout=10)
    assert again.status_code == 200 and len(again.json()["messages"]) == 1


def test_the_fake_twilio_api_answers_only_this_machine(simulator_alone):
    channel = simulator_alone
    path = f"/sms-simulator/twilio/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    credentials = (ACCOUNT_SID, AUTH_TOKEN)
    message = {"To": "+33612300009", "From": "+33700000000", "Body": "faux"}
    # Which peers count as this machine (no traffic is sent to another address from tests).
    from bot.web.simulator import is_loopback_host

    assert all(is_loopback_host(peer) for peer in ("127.0.0.1", "127.3.2.1", "::1",
                                                  "::ffff:127.0.0.1", "localhost"))
    assert not any(is_loopback_host(peer) for peer in ("192.0.2.2", "10.0.0.1", "::ffff:10.0.0.1",
                                                      "fd00::2", "", None, "localhost.evil"))
    proxied = requests.post(f"http://127.0.0.1:{channel.port}{path}", data=message,
                            auth=credentials, headers={"X-Forwarded-For": "198.51.100.4"},
                            timeout=10)
    assert proxied.status_code == 403
    assert requests.post(f"http://127.0.0.1:{channel.port}{path}", data=message,
                         timeout=10).status_code == 401
    assert requests.post(f"http://127.0.0.1:{channel.port}{path}", data=message,
                         auth=credentials, timeout=10).status_code == 201


@pytest.mark.parametrize("api_base", ["https://api.twilio.com", None,
                                      "http://192.0.2.80:8000/sms-simulator/twilio"])
def test_the_simulator_stays_off_unless_the_twilio_api_is_on_loopback(tmp_path, api_base):
    """With a Twilio API elsewhere (or Twilio's own), real credentials could be in use: the
    simulator would sign webhooks with the real auth token and send real SMS."""
    process, root, log_path = start_web(
        tmp_path, NPT_SMS_SIMULATOR="1", TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_FROM_NUMBER="+33700000000",
        TWILIO_API_BASE_URL=api_base)
    try:
        assert requests.get(root + "/sms-simulator", timeout=10).status_code == 404
        assert requests.get(root + "/sms-simulator/messages",
                            params={"phone": "+33612300001", "after": 0},
                            timeout=10).status_code == 404
        assert requests.post(root + "/sms-simulator/send",
                             json={"phone": "+33612300001", "body": "bonjour"},
                             timeout=10).status_code == 404
        assert requests.post(
            root + f"/sms-simulator/twilio/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
            data={"To": "+33612300001", "Body": "x"}, auth=(ACCOUNT_SID, AUTH_TOKEN),
            timeout=10).status_code == 404
    finally:
        process.terminate()
        process.wait(timeout=10)
    logged = log_path.read_text()
    assert "SMS simulator kept OFF" in logged and "not a loopback address" in logged, logged
    assert AUTH_TOKEN not in logged
