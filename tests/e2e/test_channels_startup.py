"""Starting the assistant: without Twilio or Telegram credentials it starts, offline, with those
channels off (a log line each, their webhooks answer 503); with Twilio's, an SMS stored before a
restart is answered after it."""
from __future__ import annotations

import os
import subprocess
import time

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_the_assistant_starts_without_credentials_and_sms_and_telegram_are_off(tmp_path):
    from scripts.servers import PROJECT_DIR, VENV_BIN, Servers, free_port

    model = PROJECT_DIR / "models" / "npt.tar.gz"
    env = {"NPT_DATABASE_URL": f"sqlite:///{tmp_path / 'npt.db'}",
           "NPT_TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
           "NPT_SECRET_KEY": "off-test", "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "",
           "TWILIO_FROM_NUMBER": "", "TELEGRAM_BOT_TOKEN": "", "TELEGRAM_SECRET_TOKEN": ""}
    subprocess.run([str(VENV_BIN / "npt"), "db", "upgrade"], check=True, cwd=PROJECT_DIR,
                   env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    servers = Servers(model, rasa_port=free_port(), actions_port=free_port(), web_port=None,
                      log_dir=tmp_path / "log", env=env)
    with servers:
        health = requests.get(f"{servers.rasa_url}/webhooks/twilio_sms/", timeout=30)
        refused = requests.post(f"{servers.rasa_url}/webhooks/twilio_sms/webhook", timeout=30,
                                data={"MessageSid": "SM1", "From": "+33600000000", "Body": "hi"})
        telegram = requests.post(f"{servers.rasa_url}/webhooks/telegram/webhook", timeout=30,
                                 json={"update_id": 1})
        rest = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", timeout=60,
                             json={"sender": "off-test", "message": "bonjour"})
    assert health.json() == {"status": "off"}
    assert refused.status_code == 503 and telegram.status_code == 503
    assert rest.status_code == 200 and rest.json(), "the other channels still work"
    log = (tmp_path / "log" / f"rasa-{servers.rasa_port}.log").read_text(errors="replace")
    assert "SMS channel off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER" in log
    assert "Telegram channel off: set TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN" in log


def test_an_sms_stored_before_a_restart_is_answered_after_it(tmp_path):
    """The server stopped after storing a message and before processing it: at the next start
    the message is processed, and answered once."""
    from bot.db.session import upgrade
    from bot.channels.sms_store import record_inbound
    from connectors.twilio_sms import key_of
    from scripts.fake_twilio import FakeTwilio
    from scripts.servers import PROJECT_DIR, Servers, free_port

    url = f"sqlite:///{tmp_path / 'npt.db'}"
    upgrade(url)
    phone = "+33698765432"
    assert record_inbound("SM" + "7" * 32, phone, key_of(phone), "bonjour", url=url) is not None
    twilio = FakeTwilio().start()
    env = {"NPT_DATABASE_URL": url, "NPT_TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}",
           "NPT_SECRET_KEY": "e2e-secret-key", **twilio.env()}
    servers = Servers(PROJECT_DIR / "models" / "npt.tar.gz", rasa_port=free_port(),
                      actions_port=free_port(), web_port=None, log_dir=tmp_path / "log", env=env)
    try:
        with servers:
            twilio.wait_for(phone, 2)
            time.sleep(2)  # anything more would be a second processing
            answers = [message["body"] for message in twilio.to(phone)]
    finally:
        twilio.stop()
    assert "Numérique pour Tous" in answers[0]
    assert sum("On commence ?" in body for body in answers) == 1, answers
