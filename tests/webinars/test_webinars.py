"""Webinar sessions and registrations: created with `npt webinars`, one registration per email
and session, the seats held under a lock (20 people racing for the last seat get exactly one, on
SQLite and on a real PostgreSQL server), the waiting list, and the attendee list the organisers
export (CSV and XLSX, guarded against formulas)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.clock import PARIS
from bot.db.session import get_engine, upgrade
from bot.webinars.attendees import attendees
from bot.webinars.errors import WebinarError
from bot.webinars.registrations import Outcome, cancel_registration, register
from bot.webinars.sessions import create_session, get_session, list_sessions
from tests.support.booking import race

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
LINK = "https://visio.example.org/npt-janvier"


def new_session(capacity: int = 2, url: str | None = None, **changes):
    values = dict(title="Numérique pour Tous : présentation", start=NOW + timedelta(days=10),
                  minutes=60, capacity=capacity, link=LINK, actor="test", now=NOW, url=url)
    values.update(changes)
    return create_session(**values)


def sign_up(session_id: int, email: str, **changes):
    values = dict(name="Awa Diallo", email=email, commune="Saint-Denis", role="agent",
                  channel="telegram", sender_id="tg:1", now=NOW)
    values.update(changes)
    return register(session_id, **values)


def test_the_cli_creates_and_lists_sessions_and_names_a_wrong_field(database, capsys):
    assert main(["webinars", "create", "--title", "Présentation aux élus", "--start",
                 "2030-01-14T10:00", "--minutes", "45", "--capacity", "30", "--link", LINK]) == 0
    assert "webinar 1 created: Présentation aux élus, 2030-01-14 10:00 (Europe/Paris), 45 min, " \
           "30 seats" in capsys.readouterr().out
    assert main(["webinars", "list"]) == 0
    assert "1\t2030-01-14 10:00\t45 min\tPrésentation aux élus\tregistered 0/30\twaiting 0" in \
        capsys.readouterr().out
    wrong = [(["--start", "14/01/2030"], "YYYY-MM-DDTHH:MM"),
             (["--start", "2020-01-14T10:00"], "future"),
             (["--capacity", "0"], "capacity"), (["--minutes", "une heure"], "minutes"),
             (["--link", "javascript:alert(1)"], "http(s)")]
    for change, said in wrong:
        argv = {"--title": "T", "--start": "2030-01-14T10:00", "--minutes": "45",
                "--capacity": "30", "--link": LINK}
        argv[change[0]] = change[1]
        assert main(["webinars", "create", *[x for pair in argv.items() for x in pair]]) == 2
        assert said in capsys.readouterr().err
    assert len(list_sessions(url=database)) == 1  # nothing half made


def test_seats_then_the_waiting_list_and_one_registration_per_email(database):
    webinar = new_session(capacity=2)
    assert sign_up(webinar.id, "awa@saint-denis.fr").outcome is Outcome.REGISTERED
    assert sign_up(webinar.id, "AWA@Saint-Denis.fr ").outcome is Outcome.ALREADY
    assert sign_up(webinar.id, "karim@montreuil.fr", commune="montreuil").outcome is Outcome.REGISTERED
    assert sign_up(webinar.id, "ines@bondy.fr", waiting_list=False).outcome is Outcome.FULL
    waiting = sign_up(webinar.id, "ines@bondy.fr", commune="93140")
    assert waiting.outcome is Outcome.WAITING
    assert (get_session(webinar.id).registered, get_session(webinar.id).waiting) == (2, 1)
    assert cancel_registration(webinar.id, "Karim@montreuil.fr", now=NOW)
    assert not cancel_registration(webinar.id, "karim@montreuil.fr", now=NOW)  # once
    # The freed seat is held for Inès, the first waiting; Karim, back, waits behind her.
    assert (get_session(webinar.id).offered, get_session(webinar.id).seats_left) == (1, 0)
    assert sign_up(webinar.id, "karim@montreuil.fr").outcome is Outcome.WAITING
    assert [(a.email, a.status) for a in attendees(webinar.id)] == [
        ("awa@saint-denis.fr", "registered"), ("ines@bondy.fr", "offered"),
        ("karim@montreuil.fr", "waiting")]


@pytest.mark.parametrize("change, said", [
    ({"email": "pas une adresse"}, "e-mail"), ({"commune": "Lyon"}, "Métropole"),
    ({"role": "ministre"}, "agent"), ({"name": "  "}, "nom")])
def test_a_wrong_field_is_refused_with_a_clear_answer(database, change, said):
    webinar = new_session()
    with pytest.raises(WebinarError) as refused:
        sign_up(webinar.id, change.pop("email", "ok@example.fr"), **change)
    assert said in refused.value.message_fr
    assert get_session(webinar.id).registered == 0


def test_no_registration_once_the_session_has_begun(database):
    webinar = new_session()
    with pytest.raises(WebinarError, match="begun"):
        sign_up(webinar.id, "late@example.fr", now=NOW + timedelta(days=10, minutes=1))
    with pytest.raises(WebinarError, match="no webinar"):
        sign_up(webinar.id + 1, "late@example.fr")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request, tmp_path, monkeypatch):
    url = (f"sqlite:///{tmp_path / 'webinars.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_database"))
    monkeypatch.setenv("NPT_DATABASE_URL", url)
    upgrade(url)
    yield url
    get_engine(url).dispose()


def test_twenty_people_racing_for_the_last_seat_get_exactly_one(any_database):
    webinar = new_session(capacity=3, url=any_database)
    for number in range(2):
        register(webinar.id, "Déjà", f"first{number}@example.fr", "Bobigny", "agent", "socketio",
                 now=NOW, url=any_database)
    results = race(20, lambda i: register(webinar.id, f"Agent {i}", f"agent{i}@example.fr",
                                          "Pantin", "agent", "telegram", waiting_list=False,
                                          now=NOW, url=any_database))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.outcome.value for r in results) == ["full"] * 19 + ["registered"]
    assert get_session(webinar.id, url=any_database).registered == 3


def test_the_attendee_list_as_csv_and_xlsx_guarded_against_formulas(database, tmp_path, capsysbinary):
    webinar = new_session(capacity=1)
    sign_up(webinar.id, "awa@saint-denis.fr", name="=HYPERLINK(\"http://x\")")
    sign_up(webinar.id, "karim@montreuil.fr", name="Karim", role="elu", commune="Montreuil")
    assert main(["webinars", "attendees", str(webinar.id), "--format", "csv"]) == 0
    raw = capsysbinary.readouterr().out
    assert raw.startswith("\ufeff".encode("utf-8"))  # French Excel reads it as UTF-8
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Nom", "E-mail", "Commune", "Code INSEE", "Rôle", "Statut",
                        "Inscrit(e) le", "Canal", "Présent(e)"]
    assert lines[1][0] == "'=HYPERLINK(\"http://x\")"
    assert lines[1][2:6] == ["Saint-Denis", "93066", "Agent de la commune", "Inscrit(e)"]
    assert lines[2][:6] == ["Karim", "karim@montreuil.fr", "Montreuil", "93048", "Élu(e)",
                            "Liste d'attente"]
    path = tmp_path / "participants.xlsx"
    assert main(["webinars", "attendees", str(webinar.id), "--format", "xlsx",
                 "--output", str(path)]) == 0
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0].startswith("Numérique pour Tous : présentation")
    assert rows[2][0].startswith("'=") and rows[3][:2] == ["Karim", "karim@montreuil.fr"]
    assert main(["webinars", "attendees", "999"]) == 2


def test_the_cli_changes_a_session_and_tells_how_many_will_be_told(database, capsys):
    webinar = new_session(capacity=2, start=datetime(2030, 1, 14, 10, 0, tzinfo=PARIS))
    sign_up(webinar.id, "awa@saint-denis.fr")
    assert main(["webinars", "edit", str(webinar.id)]) == 2
    assert "nothing to change" in capsys.readouterr().err
    assert main(["webinars", "edit", str(webinar.id), "--link", "ftp://x"]) == 2
    assert "http(s)" in capsys.readouterr().err
    assert main(["webinars", "edit", str(webinar.id), "--start", "2030-01-15T14:00"]) == 0
    assert "2030-01-15 14:00 (Europe/Paris)" in capsys.readouterr().out
    assert main(["webinars", "edit", "999", "--capacity", "3"]) == 2
    assert main(["webinars", "send", "--dry-run"]) == 0
    said = capsys.readouterr()
    assert "changed by chat due" in said.out
    assert get_session(webinar.id).sequence == 1


def test_the_webinar_rules_file_names_what_is_wrong(tmp_path):
    from bot.webinars.rules import WebinarRulesError, parse_rules, webinar_rules

    good = webinar_rules()
    assert good.offer_minutes == 720 and "chat" in good.notices["offer"]
    broken = {**good.notices}
    del broken["offer"]
    with pytest.raises(WebinarRulesError, match="notices.offer is missing"):
        parse_rules({"notices": broken})
    with pytest.raises(WebinarRulesError, match="offer_minutes"):
        parse_rules({"offer_minutes": 0, "notices": good.notices})
    with pytest.raises(WebinarRulesError, match="notices.waiting"):
        parse_rules({"notices": {**good.notices, "waiting": {"chat": "x"}}})
