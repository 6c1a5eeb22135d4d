"""Shared fixtures: a throwaway database per test, a fixed pseudonym key, the whole assistant;
the fixtures of tests/support/ (PostgreSQL, the booking demo, Chromium) through pytest_plugins."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The helpers of tests/support/ get pytest's assertion messages, as test files do.
pytest.register_assert_rewrite("tests.support")
pytest_plugins = [
    "tests.support.postgres",  # postgres_server, postgres_url, postgres_database
    "tests.support.booking",  # demo
    "tests.support.browser",  # page
    "tests.support.production",  # production (the production mode, started when asked for)
]


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    """A migrated SQLite database of our own, and a known secret key."""
    from bot.db.session import upgrade

    url = f"sqlite:///{tmp_path / 'npt.db'}"
    monkeypatch.setenv("NPT_DATABASE_URL", url)
    monkeypatch.setenv("NPT_SECRET_KEY", "test-secret-key")
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def assistant(tmp_path_factory):
    """The whole assistant (action server, Rasa, web app) on free ports, with its own databases.

    Needs the trained model (`make test` trains it first when the data changed).
    """
    from scripts.servers import Servers, free_port

    model = PROJECT_DIR / "models" / "npt.tar.gz"
    if not model.exists():
        pytest.fail("models/npt.tar.gz is missing: run `make train` (make test does it)")
    base = tmp_path_factory.mktemp("assistant")
    # SMS goes to a fake Twilio API on loopback, through the real twilio client.
    from tests.support.fake_telegram import FakeTelegram
    from scripts.fake_twilio import FakeTwilio

    from tests.support.smtp import SmtpInbox

    twilio = FakeTwilio().start()
    telegram = FakeTelegram().start()
    # Email goes to a real SMTP server on loopback.
    smtp = SmtpInbox().start()
    env = {
        "NPT_DATABASE_URL": f"sqlite:///{base / 'npt.db'}",
        "NPT_TRACKER_DATABASE_URL": f"sqlite:///{base / 'tracker.db'}",
        "NPT_SECRET_KEY": "e2e-secret-key",
        **twilio.env(),
        **telegram.env(),
        **smtp.env(),
    }
    servers = Servers(model, rasa_port=free_port(), actions_port=free_port(), web_port=free_port(),
                      log_dir=base / "log", env=env)
    # The real places and the demo partners, as `make run` seeds them.
    import subprocess
    from scripts.servers import VENV_BIN
    for command in (["db", "upgrade"], ["places", "seed"], ["partners", "load"]):
        subprocess.run([str(VENV_BIN / "npt"), *command], check=True, cwd=PROJECT_DIR,
                       env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    servers.start()
    servers.db_url = env["NPT_DATABASE_URL"]
    servers.tracker_url = env["NPT_TRACKER_DATABASE_URL"]
    servers.secret = env["NPT_SECRET_KEY"].encode()
    servers.twilio = twilio
    servers.telegram = telegram
    servers.smtp = smtp
    servers.env_used = env
    yield servers
    servers.stop()
    twilio.stop()
    telegram.stop()
    smtp.stop()
