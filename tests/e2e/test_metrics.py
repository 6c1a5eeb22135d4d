"""Prometheus' metrics of the running assistant (bot/metrics.py): the web app's /metrics adds
up what every process counted (the client's multiprocess mode), and reads what the database
knows; with NPT_METRICS_TOKEN set, it asks for the token."""
from __future__ import annotations

import os
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from scripts.servers import PROJECT_DIR, VENV_BIN, Process, free_port, wait_healthy
from tests.support.conversation import say

pytestmark = pytest.mark.e2e


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(assistant) -> dict[tuple[str, tuple], float]:
    answer = requests.get(assistant.web_url + "metrics", timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain")
    return samples(answer.text)


def test_messages_turns_and_the_database_are_counted(assistant):
    rest = (("channel", "rest"),)
    before = scrape(assistant)
    sender = f"metrics-{uuid.uuid4()}"
    answers = [say(assistant, sender, text) for text in ("bonjour", "oui", "jai juste mon portable")]
    after = scrape(assistant)
    received = after[("npt_messages_received_total", rest)] - before.get(
        ("npt_messages_received_total", rest), 0)
    sent = after[("npt_messages_sent_total", rest)] - before.get(
        ("npt_messages_sent_total", rest), 0)
    turns = after[("npt_turn_seconds_count", rest)] - before.get(("npt_turn_seconds_count", rest), 0)
    assert received >= 3 and turns >= 3  # (other tests may talk at the same time: at least)
    assert sent >= sum(len(answer) for answer in answers)
    assert ("npt_inbound_unprocessed", ()) in after
    # No label names a person: only channels, encodings, operations, places in the code.
    labels = {key for (_, pairs) in after for key, _ in pairs}
    assert labels <= {"channel", "encoding", "operation", "where", "le"}, labels


def test_the_token_is_asked_for_when_one_is_set(tmp_path):
    port = free_port()
    web = Process("web", [str(VENV_BIN / "python"), "-m", "bot.web"],
                  f"http://127.0.0.1:{port}/health", tmp_path / "web.log",
                  {"NPT_WEB_PORT": str(port), "NPT_METRICS_TOKEN": "scraper-secret",
                   "NPT_DATABASE_URL": f"sqlite:///{tmp_path / 'npt.db'}",
                   "NPT_SECRET_KEY": "metrics-test", "PYTHONUNBUFFERED": "1"})
    import subprocess

    subprocess.run([str(VENV_BIN / "npt"), "db", "upgrade"], cwd=PROJECT_DIR, check=True,
                   env={**os.environ, **web.env}, stdout=subprocess.DEVNULL)
    web.start()
    try:
        wait_healthy([web], 60, web.stop)
        url = f"http://127.0.0.1:{port}/metrics"
        assert requests.get(url, timeout=10).status_code == 401
        assert requests.get(url, timeout=10, headers={"Authorization": "Bearer wrong"}
                            ).status_code == 401
        answer = requests.get(url, timeout=10,
                              headers={"Authorization": "Bearer scraper-secret"})
        assert answer.status_code == 200
        assert ("npt_inbound_unprocessed", ()) in samples(answer.text)
    finally:
        web.stop()
