"""The scheduler's jobs are `npt` commands read from data/scheduler.yml: checked at start, each
with a dry run, their output logged under their name, a failing one retried at its next turn."""
from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.cli import main
from bot.cli.scheduler import JOBS_FILE, Schedule, SchedulerError, jobs, run_command
from bot.notifications.outbox import NotificationStatus, notifications_of_booking
from bot.yaml_data import load_yaml
from tests.support.booking import PARIS_12, at, book_for, place_pk


def write(tmp_path, text: str):
    path = tmp_path / "scheduler.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_table_runs_reminders_every_minute_and_the_purge_daily(monkeypatch):
    assert [job["command"] for job in load_yaml(JOBS_FILE)["jobs"]] == [
        "reminders send --quiet", "privacy purge", "webinars send --quiet"]
    monkeypatch.delenv("NPT_SCHEDULER_SECONDS", raising=False)
    assert [(job.name, job.period) for job in jobs()] == [("reminders", 60.0),
                                                          ("privacy purge", 86400.0),
                                                          ("webinars", 60.0)]
    monkeypatch.setenv("NPT_SCHEDULER_SECONDS", "5")
    assert jobs()[0].period == 5.0


@pytest.mark.parametrize("text, fault", [
    ("jobs:\n  - name: x\n    command: reminders explode\n    every: 60\n",
     "job 1 (x): `npt reminders explode --dry-run` is not a command npt knows"),
    ("jobs:\n  - name: x\n    command: reminders send\n    every: 0\n",
     "job 1 (x): `every` must be a number of seconds > 0"),
    ("jobs:\n  - name: x\n    command: reminders send\n    every: 60\n    evry: 3\n",
     "job 1: unknown field(s) evry"),
    ("jobs:\n  - name: x\n    command: reminders send\n    every: 60\n"
     "  - name: x\n    command: privacy purge\n    every: 60\n",
     "job 2: `name` must be a text, unique in the file"),
    ("jobs: []\n", "a `jobs:` list is needed"),
])
def test_a_wrong_table_is_refused_with_the_job_and_its_fault(tmp_path, text, fault):
    path = write(tmp_path, text)
    with pytest.raises(SchedulerError) as error:
        jobs(path)
    assert str(error.value) == f"{path}: {fault}"


def test_reminders_send_dry_run_lists_what_is_due_and_sends_nothing(demo, capsys, monkeypatch):
    booking = book_for("p1", place_pk(PARIS_12), at(3, 10), first_name="Awa",
                       sender_id="+33612345678")
    monkeypatch.setattr("bot.notifications.outbox.now_paris", lambda: at(2, 18, 5))
    assert main(["reminders", "send", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["dry run, nothing sent: 1 due",
                                f"  reminder {booking.reference} due 2026-12-02 18:00"]
    assert [r.status for r in notifications_of_booking(booking.id)] == [NotificationStatus.PENDING]


def test_a_command_that_fails_is_logged_and_tried_again_at_its_next_turn(demo, caplog,
                                                                        monkeypatch):
    monkeypatch.setenv("NPT_RASA_URL", "http://127.0.0.1:9")  # nothing listens there
    now = [0.0]
    schedule = Schedule([job for job in jobs() if job.name == "reminders"], clock=lambda: now[0])
    assert schedule.run_due() == []  # Rasa is not up: the job is skipped, not failed
    with caplog.at_level(logging.INFO, logger="npt.scheduler"):
        with pytest.raises(RuntimeError, match="exited with status 2"):
            run_command("reminders", ["reminders", "send", "--rasa", "http://127.0.0.1:9"])
    assert "reminders: error: Rasa is not reachable at http://127.0.0.1:9" in caplog.text
    broken = Schedule([job for job in jobs() if job.name == "privacy purge"], clock=lambda: now[0])
    monkeypatch.setenv("NPT_RETENTION_MONTHS", "zero")
    with caplog.at_level(logging.ERROR, logger="npt.scheduler"):
        assert broken.run_due() == ["privacy purge"]  # ran, failed, logged; the loop goes on
    assert "privacy purge failed" in caplog.text and "exited with status 2" in caplog.text
    now[0] += 86400
    assert broken.run_due() == ["privacy purge"]  # tried again at its next turn


def test_the_scheduled_reminders_say_nothing_when_nothing_was_due(demo, caplog, capsys):
    """The scheduler runs `npt reminders send --quiet` every minute: its log gets a line only
    when something was sent, failed or may have gone out; by hand the summary is always said."""
    class Up(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name): Rasa's status page answers 200
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Up)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rasa = f"http://127.0.0.1:{server.server_port}"
    try:
        [job] = [job for job in jobs() if job.name == "reminders"]
        with caplog.at_level(logging.INFO, logger="npt.scheduler"):
            run_command(job.name, ["reminders", "send", "--quiet", "--rasa", rasa])
        assert "reminders:" not in caplog.text
        assert main(["reminders", "send", "--rasa", rasa]) == 0
        assert capsys.readouterr().out.startswith("reminders sent: 0, failed: 0")
    finally:
        server.shutdown()
