"""The SMS simulator page of the web app (what `make run` offers without a Twilio account): what
is typed goes through the real SMS channel as a signed webhook; the replies come back through
the real twilio client to the web app, and are shown with their segment counts."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("NPT_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


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


def test_a_typed_sms_is_answered_with_its_segment_count(simulated):
    root = simulated.web_url + "sms-simulator"
    assert requests.get(root, timeout=30).status_code == 200
    phone = "+33611112222"
    sent = requests.post(root + "/send", json={"phone": phone, "body": "bonjour"}, timeout=30)
    assert sent.status_code == 200, sent.text
    deadline, messages = time.monotonic() + 60, []
    while time.monotonic() < deadline and not any("On commence ?" in m["body"] for m in messages):
        messages = requests.get(root + "/messages", params={"phone": phone, "after": 0},
                                timeout=30).json()["messages"]
        time.sleep(0.3)
    question = next(m for m in messages if "On commence ?" in m["body"])
    assert "1 - Oui" in question["body"] and question["encoding"] == "GSM-7"
    assert question["segments"] >= 1
    assert requests.post(root + "/send", json={"phone": "0612", "body": "x"},
                         timeout=30).status_code == 400
    # Only the SMS channel (with the made-up credentials) may post replies here.
    forged = requests.post(root + "/twilio/2010-04-01/Accounts/AC1/Messages.json",
                           data={"To": phone, "Body": "faux"}, timeout=30)
    assert forged.status_code == 401


def test_the_simulator_page_in_chromium(simulated):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs the Debian package chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 800}, locale="fr-FR")
        page.goto(simulated.web_url + "sms-simulator")
        page.get_by_label("Votre message").fill("Bonjour")
        page.get_by_role("button", name="Envoyer").click()
        answer = page.locator(".sms.in", has_text="On commence ?")
        expect(answer).to_be_visible(timeout=30_000)
        expect(answer.locator(".cost")).to_contain_text("segment")
        browser.close()


def test_the_simulator_is_off_where_a_real_account_is_used(assistant):
    assert requests.get(assistant.web_url + "sms-simulator", timeout=30).status_code == 404
