"""The assistant in production mode (scripts/production.py), for the end-to-end tests that run
against it: PostgreSQL, Redis, two Rasa and two action servers behind nginx, the web app and the
scheduler, all really started, in a temporary folder, with SMS, Telegram and email going to the
same fakes on loopback as the embedded default's tests (`assistant`).

Fixture `production` (session): started the first time a test asks for it, stopped at the end.
Its attributes mirror `assistant`'s where the tests need them: `public_url` (nginx; every
public path goes through it), `rasa_url` (Rasa's HTTP API through nginx), `db_url`,
`tracker_url`, `env`, `secret`, `twilio`, `telegram`, `smtp`."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from scripts.servers import PROJECT_DIR, free_port


@pytest.fixture(scope="session")
def production():
    from scripts.fake_twilio import FakeTwilio
    from scripts.production import Production
    from tests.support.fake_telegram import FakeTelegram
    from tests.support.smtp import SmtpInbox

    model = PROJECT_DIR / "models" / "npt.tar.gz"
    if not model.exists():
        pytest.fail("models/npt.tar.gz is missing: run `make train` (make test does it)")
    twilio, telegram, smtp = FakeTwilio().start(), FakeTelegram().start(), SmtpInbox().start()
    env = {"NPT_SECRET_KEY": "production-e2e-secret-key", **twilio.env(), **telegram.env(),
           **smtp.env()}
    # A folder PostgreSQL's own user can reach (pytest's are its owner's only).
    base = Path(tempfile.mkdtemp(prefix="npt-production-"))
    servers = Production(model, base=base, public_port=free_port(), env=env, durable=False)
    try:
        servers.start()
    except Exception as error:  # noqa: BLE001 - every cause is said in the failure
        servers.stop()
        for fake in (twilio, telegram, smtp):
            fake.stop()
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"the production mode did not start: {error}", pytrace=False)
    servers.db_url = servers.env["NPT_DATABASE_URL"]
    servers.tracker_url = servers.env["NPT_TRACKER_DATABASE_URL"]
    servers.secret = env["NPT_SECRET_KEY"].encode()
    servers.twilio, servers.telegram, servers.smtp = twilio, telegram, smtp
    servers.env_used = servers.env
    yield servers
    servers.stop()
    for fake in (twilio, telegram, smtp):
        fake.stop()
    shutil.rmtree(base, ignore_errors=True)
