"""Without Twilio credentials the assistant still starts: the SMS channel is off, says so in
the log, and its webhook refuses messages (503) instead of failing."""
from __future__ import annotations

import os
import subprocess

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_the_assistant_starts_without_credentials_and_the_sms_channel_is_off(tmp_path):
    from scripts.servers import PROJECT_DIR, VENV_BIN, Servers, free_port

    model = PROJECT_DIR / "models" / "npt.tar.gz"
    env = {"NPT_DATABASE_URL": f"sqlite:///{tmp_path / 'npt.db'}",
           "NPT_TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
           "NPT_SECRET_KEY": "off-test", "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "",
           "TWILIO_FROM_NUMBER": ""}
    subprocess.run([str(VENV_BIN / "npt"), "db", "upgrade"], check=True, cwd=PROJECT_DIR,
                   env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    servers = Servers(model, rasa_port=free_port(), actions_port=free_port(), web_port=None,
                      log_dir=tmp_path / "log", env=env)
    with servers:
        health = requests.get(f"{servers.rasa_url}/webhooks/twilio_sms/", timeout=30)
        refused = requests.post(f"{servers.rasa_url}/webhooks/twilio_sms/webhook", timeout=30,
                                data={"MessageSid": "SM1", "From": "+33600000000", "Body": "hi"})
        rest = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", timeout=60,
                             json={"sender": "off-test", "message": "bonjour"})
    assert health.json() == {"status": "off"}
    assert refused.status_code == 503
    assert rest.status_code == 200 and rest.json(), "the other channels still work"
    log = (tmp_path / "log" / f"rasa-{servers.rasa_port}.log").read_text(errors="replace")
    assert "SMS channel off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER" in log
