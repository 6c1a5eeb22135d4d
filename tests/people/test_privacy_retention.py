"""Retention: `npt privacy purge` deletes what is older than NPT_RETENTION_MONTHS (whole
conversations, SMS numbers and texts, chat choices, update ids, diagnostics no referral needs)
and blanks the contact data of bookings over for more than NPT_RETENTION_BOOKING_DAYS; the
scheduler runs it daily beside the reminders. SQLite databases in a temporary folder."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, select, text, update

from bot.cli import main
from bot.db.models import (Booking as BookingRow, ChannelUpdate, ChatChoices, SmsMessage,
                           StoredDiagnostic, WebinarRegistration)
from bot.db.session import session_scope
from bot.diagnostic import evaluate
from bot.diagnostic.results import save_result
from bot.channels import channel_store, sms_store
from bot.cli.scheduler import DAY, Job, Schedule, interval, jobs, run_command
from bot.pseudonyms import person_key
from bot.people.retention import months_before, purge
from connectors.tracker_store import ErasingSQLTrackerStore
from tests.support.booking import DIAGNOSIS, PARIS, PARIS_12, at, book_for, place_pk

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
ANSWERS = {"equipement": 1, "connexion": 2, "usage": 2, "information": 2, "communication": 2,
           "contenu": 1, "securite": 3, "resolution": 3, "besoin": 1, "contrainte": 1}
# "Now" of the purge: 15 December 2027; the cut-off is then 15 December 2026.
PURGE_NOW = datetime(2027, 12, 15, 3, 0, tzinfo=PARIS)
OLD = datetime(2026, 6, 1, 10, 0)  # naive UTC, as stored: 18 months before
RECENT = datetime(2027, 11, 1, 10, 0)  # 6 weeks before


@pytest.fixture
def tracker_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("NPT_TRACKER_DATABASE_URL", url)
    return url


async def save_conversation(url: str, sender: str, *moments: datetime) -> None:
    """A conversation of one exchange per moment (naive UTC), stored by our tracker store."""
    events = []
    for moment in moments:
        stamp = moment.replace(tzinfo=timezone.utc).timestamp()
        events += [ActionExecuted("action_listen", timestamp=stamp),
                   UserUttered("bonjour", {"name": "greet"}, timestamp=stamp),
                   BotUttered("Bonjour !", timestamp=stamp)]
    store = ErasingSQLTrackerStore(domain=DOMAIN, url=url)
    await store.save(DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots))


def senders(url: str) -> dict[str, int]:
    with create_engine(url).connect() as connection:
        return dict(connection.execute(text(
            "SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id")).all())


def age(model, column: str, ids, when: datetime, url: str | None = None) -> None:
    key = getattr(model, "id", None)
    with session_scope(url) as session:
        session.execute(update(model).where(key.in_(ids)).values({column: when})
                        .execution_options(synchronize_session=False))


def set_choices(chat_id: str, when: datetime) -> None:
    channel_store.remember_choices("telegram", chat_id, [{"title": "Oui", "payload": "/affirm"}])
    with session_scope() as session:
        session.execute(update(ChatChoices).where(ChatChoices.chat_id == chat_id)
                        .values(updated_at=when))


def sms_rows() -> dict[int, tuple]:
    with session_scope() as session:
        return {r.id: (r.phone, r.body, r.last_error, r.segments, r.status)
                for r in session.execute(select(SmsMessage)).scalars()}


@pytest.fixture
async def aged(demo, tracker_url):
    """Rows older and younger than the cut-off in every table the purge looks at."""
    key = person_key("twilio_sms:+33600000001")
    ids = {}
    # SMS: one old inbound, one old failed outbound, one recent inbound.
    ids["sms_old_in"] = sms_store.record_inbound("SMold", "+33600000001", key, "Bonjour ancien")
    ids["sms_old_out"] = sms_store.record_outbound_for_key(key, "Réponse", None, "GSM-7", 1)
    sms_store.mark_failed(ids["sms_old_out"], "The 'To' number +33600000001 is wrong", 3)
    ids["sms_new_in"] = sms_store.record_inbound("SMnew", "+33600000001", key, "Bonjour récent")
    age(SmsMessage, "created_at", [ids["sms_old_in"], ids["sms_old_out"]], OLD)
    age(SmsMessage, "created_at", [ids["sms_new_in"]], RECENT)
    # Chat choices and update ids.
    set_choices("111", OLD)
    set_choices("222", RECENT)
    for update_id, when in (("u-old", OLD), ("u-new", RECENT)):
        channel_store.first_time("telegram", update_id)
        with session_scope() as session:
            session.execute(update(ChannelUpdate).where(ChannelUpdate.update_id == update_id)
                            .values(received_at=when))
    # Diagnostics: old and alone (goes), old but a referral's (stays), recent (stays).
    for name in ("diag_old", "diag_referred", "diag_new"):
        ids[name] = save_result(key, "twilio_sms", evaluate(ANSWERS))
    age(StoredDiagnostic, "created_at", [ids["diag_old"], ids["diag_referred"]], OLD)
    age(StoredDiagnostic, "created_at", [ids["diag_new"]], RECENT)
    booking = book_for(key, place_pk(PARIS_12), at(3, 10), first_name="Zoé",
                       sender_id="sms:+33600000001",
                       diagnosis={**DIAGNOSIS, "diagnostic_id": ids["diag_referred"]})
    ids["booking"] = booking.id
    # Conversations: all old (goes whole), old with a recent turn (stays whole), recent.
    await save_conversation(tracker_url, "sms:+33600000001", OLD, OLD + timedelta(minutes=5))
    await save_conversation(tracker_url, "tg:111", OLD, RECENT)
    await save_conversation(tracker_url, "web:abc", RECENT)
    # Webinar registrations: one of a session long past (blanked), one of a recent one.
    from bot.webinars.registrations import register
    from bot.webinars.sessions import create_session
    for name, start in (("webinar_old", OLD), ("webinar_new", RECENT)):
        start = start.replace(tzinfo=timezone.utc)
        webinar = create_session("Atelier", start, 60, 5, "https://visio.example.org/a",
                                 actor="t", now=start - timedelta(days=2))
        ids[name] = register(webinar.id, "Zoé Martin", f"zoe.{name}@bondy.fr", "Bondy", "agent",
                             "telegram", "tg:111", now=start - timedelta(days=1)).registration_id
    return ids


def test_months_before_counts_calendar_months():
    assert months_before(datetime(2027, 12, 15, 3, 0), 12) == datetime(2026, 12, 15, 3, 0)
    assert months_before(datetime(2027, 3, 31), 1) == datetime(2027, 2, 28)
    assert months_before(datetime(2028, 3, 31), 1) == datetime(2028, 2, 29)
    assert months_before(datetime(2027, 1, 10), 13) == datetime(2025, 12, 10)


async def test_purge_deletes_only_what_is_older_than_the_cut_off(aged, tracker_url):
    report = purge(now=PURGE_NOW)
    assert report.cutoff == datetime(2026, 12, 15, 3, 0, tzinfo=PARIS)
    assert report.counts == {"tracker conversations": 1, "tracker events": 6, "sms_messages": 2,
                             "chat_choices": 1, "channel_updates": 1, "diagnostic_results": 1,
                             "bookings": 1, "webinar_registrations": 1}
    # Conversations go whole, and only those whose latest event is old.
    assert senders(tracker_url) == {"tg:111": 6, "web:abc": 3}
    rows = sms_rows()
    assert rows[aged["sms_old_in"]] == (None, None, None, None, "received")
    assert rows[aged["sms_old_out"]] == (None, None, None, 1, "failed")
    assert rows[aged["sms_new_in"]][:2] == ("+33600000001", "Bonjour récent")
    with session_scope() as session:
        assert {r.chat_id for r in session.execute(select(ChatChoices)).scalars()} == {"222"}
        assert {r.update_id for r in session.execute(select(ChannelUpdate)).scalars()} == {"u-new"}
        kept = {r.id for r in session.execute(select(StoredDiagnostic)).scalars()}
        assert kept == {aged["diag_referred"], aged["diag_new"]}
        booking = session.get(BookingRow, aged["booking"])
        assert (booking.sender_id, booking.first_name) == (None, None)
        assert booking.reference and booking.status == "booked"  # the booking itself stays
        old, new = (session.get(WebinarRegistration, aged[name])
                    for name in ("webinar_old", "webinar_new"))
        assert (old.name, old.sender_id, old.commune_insee) == ("(effacé)", None, "93010")
        assert "zoe" not in old.email and new.name == "Zoé Martin"
    # A second purge finds nothing more.
    assert purge(now=PURGE_NOW).total == 0


async def test_dry_run_counts_and_changes_nothing(aged, tracker_url, database, capsys):
    before_sms, before_senders = sms_rows(), senders(tracker_url)
    assert main(["privacy", "purge", "--dry-run", "--now", "2027-12-15T03:00"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dry run, nothing changed: data older than 2026-12-15 03:00 CET "
                          "(12 months); booking contact data of appointments ended before "
                          "2027-11-15 03:00 CET (30 days)")
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert lines["tracker"]  # "tracker conversations" / "tracker events"
    assert "     1  conversations would be deleted (whole)" in out
    assert "     6  events of those conversations would be deleted" in out
    assert "     2  SMS would be blanked (number, text, choices, error)" in lines["sms_messages"]
    assert "     1  chat choices would be deleted" in lines["chat_choices"]
    assert "     1  channel update ids would be deleted" in lines["channel_updates"]
    assert "     1  diagnostics would be deleted" in lines["diagnostic_results"]
    assert "     1  bookings' contact data would be blanked" in lines["bookings"]
    assert sms_rows() == before_sms and senders(tracker_url) == before_senders
    with session_scope() as session:
        assert session.get(BookingRow, aged["booking"]).first_name == "Zoé"
        assert len(session.execute(select(StoredDiagnostic)).scalars().all()) == 3
    # The real run prints what it did, with the same counts.
    assert main(["privacy", "purge", "--now", "2027-12-15T03:00+01:00"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("data older than 2026-12-15 03:00 CET (12 months)")
    assert "     2  SMS blanked (number, text, choices, error)" in out
    assert senders(tracker_url) == {"tg:111": 6, "web:abc": 3}


@pytest.mark.parametrize("days_after, blanked", [(29, False), (31, True)])
def test_booking_contact_data_goes_after_the_configured_days(demo, tracker_url, monkeypatch,
                                                             days_after, blanked):
    monkeypatch.setenv("NPT_RETENTION_BOOKING_DAYS", "30")
    key = person_key("telegram:42")
    booking = book_for(key, place_pk(PARIS_12), at(3, 10), first_name="Lina", sender_id="tg:42",
                       channel="telegram")
    ends = at(3, 10, 45)
    report = purge(now=ends + timedelta(days=days_after))
    assert report.counts["bookings"] == (1 if blanked else 0)
    with session_scope() as session:
        row = session.get(BookingRow, booking.id)
        contact = (row.sender_id, row.first_name)
    assert contact == ((None, None) if blanked else ("tg:42", "Lina"))


def test_the_booking_days_are_configurable(demo, tracker_url, monkeypatch):
    monkeypatch.setenv("NPT_RETENTION_BOOKING_DAYS", "5")
    booking = book_for(person_key("telegram:43"), place_pk(PARIS_12), at(3, 10))
    assert purge(now=at(8, 9)).counts["bookings"] == 0  # ended 4 days and 22 hours before
    assert purge(now=at(8, 11)).counts["bookings"] == 1
    with session_scope() as session:
        assert session.get(BookingRow, booking.id).first_name is None


@pytest.mark.parametrize("argv, message", [
    (["--now", "demain"], "error: --now 'demain' is not an ISO date or date-time"),
    (["--now", "2027-02-30"], "error: --now '2027-02-30' is not an ISO date or date-time"),
])
def test_bad_arguments_exit_2_with_a_precise_message(database, tracker_url, capsys, argv, message):
    assert main(["privacy", "purge", *argv]) == 2
    assert capsys.readouterr().err.startswith(message)


@pytest.mark.parametrize("variable, value, message", [
    ("NPT_RETENTION_MONTHS", "douze", "error: NPT_RETENTION_MONTHS='douze' is not a whole number"),
    ("NPT_RETENTION_MONTHS", "0", "error: NPT_RETENTION_MONTHS='0' must be at least 1"),
    ("NPT_RETENTION_BOOKING_DAYS", "-3", "error: NPT_RETENTION_BOOKING_DAYS='-3' must be at least 1"),
])
async def test_a_wrong_retention_setting_deletes_nothing(aged, tracker_url, monkeypatch, capsys,
                                                   variable, value, message):
    monkeypatch.setenv(variable, value)
    before = sms_rows()
    assert main(["privacy", "purge", "--now", "2027-12-15"]) == 2
    assert capsys.readouterr().err.strip() == message
    assert sms_rows() == before


async def test_the_retention_months_are_configurable(aged, tracker_url, monkeypatch):
    monkeypatch.setenv("NPT_RETENTION_MONTHS", "24")  # cut-off 15 December 2025: nothing older
    assert purge(now=PURGE_NOW).counts["sms_messages"] == 0
    monkeypatch.setenv("NPT_RETENTION_MONTHS", "1")  # cut-off 15 November 2027
    assert purge(now=PURGE_NOW).counts["sms_messages"] == 3


def test_an_unmigrated_database_is_one_line_and_exit_2(tmp_path, tracker_url, capsys):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["privacy", "purge", "--url", url]) == 2
    assert "run `npt db upgrade` first" in capsys.readouterr().err


def test_no_tracker_database_yet_is_said_not_created(database, tmp_path, capsys):
    missing = tmp_path / "none" / "tracker.db"
    assert main(["privacy", "purge", "--tracker-url", f"sqlite:///{missing}"]) == 0
    assert "no tracker table yet" in capsys.readouterr().out
    assert not missing.exists()


# -- the scheduler ---------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_scheduler_has_the_purge_daily_beside_the_reminders():
    table = {job.name: job for job in jobs()}
    assert set(table) == {"reminders", "privacy purge", "webinars"}
    assert table["webinars"].period == interval()
    assert table["privacy purge"].period == DAY
    assert table["reminders"].period == interval()  # NPT_SCHEDULER_SECONDS, 60 by default


def test_jobs_run_at_start_then_at_their_period_and_a_failure_never_stops_the_loop(caplog):
    clock, calls = Clock(), []

    def broken():
        calls.append("broken")
        raise RuntimeError("database unreachable")

    schedule = Schedule([Job("often", 60, lambda: calls.append("often")),
                         Job("daily", DAY, broken),
                         Job("waiting", 60, lambda: calls.append("waiting"), ready=lambda: False)],
                        clock=clock)
    with caplog.at_level(logging.ERROR, logger="npt.scheduler"):
        assert schedule.run_due() == ["often", "daily"]
    assert "daily failed" in caplog.text and "database unreachable" in caplog.text
    assert schedule.run_due() == []
    assert schedule.seconds_to_next() == 60
    clock.now += 60
    assert schedule.run_due() == ["often"]
    clock.now += DAY
    assert schedule.run_due() == ["often", "daily"]
    assert calls == ["often", "broken", "often", "often", "broken"]


async def test_the_scheduler_purge_job_purges_the_configured_databases(aged, tracker_url, caplog):
    [job] = [job for job in jobs() if job.name == "privacy purge"]  # `npt privacy purge`
    with caplog.at_level(logging.INFO, logger="npt.scheduler"):
        run_command(job.name, ["privacy", "purge", "--now", PURGE_NOW.isoformat()])
    assert "privacy purge: data older than 2026-12-15" in caplog.text
    assert re.search(r"privacy purge: tracker conversations +1 ", caplog.text), caplog.text
    assert senders(tracker_url) == {"tg:111": 6, "web:abc": 3}
