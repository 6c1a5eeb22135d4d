"""Webinar sessions for the tests that run the whole assistant: made with `npt webinars create`,
as the Métropole makes them, and the scheduler's turn that sends what is due."""
from __future__ import annotations

import os
import re
import uuid
from datetime import datetime, timedelta
from unittest import mock

from bot.clock import now_paris
from tests.support.prescripteurs import npt


def new_webinar(assistant, capacity: int, start: datetime | None = None) -> tuple[int, str]:
    """A new session (in three days at 10 h by default): its id and its unique title."""
    title = f"Présentation {uuid.uuid4().hex[:6]}"
    start = start or (now_paris() + timedelta(days=3)).replace(hour=10, minute=0, second=0,
                                                              microsecond=0)
    done = npt(assistant, "webinars", "create", "--title", title, "--start",
               start.strftime("%Y-%m-%dT%H:%M"), "--minutes", "60", "--capacity", str(capacity),
               "--link", "https://visio.example.org/npt-e2e")
    assert done.returncode == 0, done.stderr
    return int(re.search(r"webinar (\d+) created", done.stdout).group(1)), title


def send_webinars(assistant, now: datetime | None = None):
    """The scheduler's turn (`npt webinars send`), with the assistant's settings (its SMTP
    server, its pseudonym key)."""
    from bot.webinars.sender import send_due

    with mock.patch.dict(os.environ, assistant.env):
        return send_due(now=now, url=assistant.db_url, rasa=assistant.rasa_url,
                        token=assistant.env["NPT_RASA_TOKEN"])
