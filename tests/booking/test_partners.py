"""Partner places and agendas from a data file (`npt partners load`), closures, and the
operators' commands `npt partners`, `npt bookings list`, `npt reminders list`."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.booking.slots import bookable, free_slots
from bot.booking.partners.closures import add_closure
from bot.booking.partners.errors import PartnersFileError
from bot.booking.partners.file import DEFAULT_PARTNERS_FILE
from bot.booking.partners.listing import list_partners
from bot.booking.partners.load import load_partners
from bot.cli import main
from bot.db.models import Agenda, AgendaHours, Closure, Place
from bot.db.session import session_scope
from bot.places import DEFAULT_SOURCE, seed_default_places
from tests.support.booking import (BOBIGNY, NOT_A_PARTNER, NOW, PARIS_11, PARIS_12, at, book_for,
                                   place_pk)

DEMO = yaml.safe_load(DEFAULT_PARTNERS_FILE.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """The commands take "now" from the clock: fixed, so that these tests never age."""
    from bot import clock

    monkeypatch.setattr(clock, "utc_now", lambda: NOW)


@pytest.fixture
def seeded(database) -> str:
    seed_default_places(database)
    return database


def write(tmp_path: Path, partners: list, name: str = "partners.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"partners": partners}, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def partner(place_id: str, hours: list[dict], **extra) -> dict:
    agenda = {"key": "individuel", "label": "Rendez-vous individuel", "kind": "individual",
              "slot_minutes": 45, "seats": 1, "hours": hours}
    return {"place": {"source": DEFAULT_SOURCE, "id": place_id}, "agendas": [agenda], **extra}


def snapshot(url: str) -> tuple:
    """Everything the loader writes, row by row."""
    with session_scope(url) as session:
        places = session.execute(select(Place.pk, Place.partner, Place.booking_enabled, Place.updated_at)
                                 .order_by(Place.pk)).all()
        agendas = session.execute(select(Agenda.id, Agenda.place_pk, Agenda.key, Agenda.label, Agenda.kind,
                                         Agenda.slot_minutes, Agenda.seats, Agenda.active,
                                         Agenda.updated_at).order_by(Agenda.id)).all()
        hours = session.execute(select(AgendaHours.id, AgendaHours.agenda_id, AgendaHours.weekday,
                                       AgendaHours.start, AgendaHours.end).order_by(AgendaHours.id)).all()
        closures = session.execute(select(Closure.id, Closure.place_pk, Closure.start_date,
                                          Closure.end_date, Closure.reason).order_by(Closure.id)).all()
    return places, agendas, hours, closures


def partners_in(url: str) -> set[str]:
    with session_scope(url) as session:
        return set(session.execute(select(Place.id).where(Place.partner.is_(True))).scalars())


# -- the demo file ---------------------------------------------------------------------------

def test_the_demo_file_says_it_is_a_demo_and_names_real_places_across_the_metropole(seeded):
    head = DEFAULT_PARTNERS_FILE.read_text(encoding="utf-8")[:600]
    assert "DEMO CONFIGURATION" in head and "NOT REAL PARTNERS" in head
    report = load_partners(now=NOW)
    assert len(report.added) == 6 and report.changed
    partners = list_partners(today=NOW.date())
    assert {p.ref.split(":")[0] for p in partners} == {DEFAULT_SOURCE}
    assert {p.ref.split(":")[1] for p in partners} == partners_in(seeded)
    with session_scope() as session:
        departments = {code[:2] for code in session.execute(
            select(Place.code_postal).where(Place.partner.is_(True))).scalars()}
    assert departments == {"75", "92", "93", "94"}
    assert all(bookable(p.pk) for p in partners)
    kinds = {(a.kind, a.seats, a.slot_minutes) for p in partners for a in p.agendas}
    assert ("collective", 6, 120) in kinds and ("individual", 1, 45) in kinds
    assert any(c.reason.startswith("Fermeture de fin d'année") for p in partners for c in p.closures)


def test_loading_twice_changes_nothing(seeded):
    load_partners(now=NOW)
    before = snapshot(seeded)
    report = load_partners(now=NOW)
    assert not report.changed and "no change" in "\n".join(report.lines())
    assert snapshot(seeded) == before


def test_removing_a_partner_from_the_file_unpartners_it_and_keeps_its_bookings(seeded, tmp_path):
    load_partners(now=NOW)
    pk = place_pk(PARIS_12)
    booking = book_for("kept", pk, at(3, 10))
    smaller = {"partners": [entry for entry in DEMO["partners"] if entry["place"]["id"] != PARIS_12]}
    path = tmp_path / "five.yml"
    path.write_text(yaml.safe_dump(smaller, allow_unicode=True), encoding="utf-8")
    report = load_partners(path, now=NOW)
    assert [name for name in report.removed if "Paris 12ème" in name]
    assert any(booking.reference in warning for warning in report.warnings)
    assert PARIS_12 not in partners_in(seeded) and len(partners_in(seeded)) == 5
    assert not bookable(pk) and free_slots(pk, NOW) == []
    assert load_partners(path, now=NOW).changed is False
    # back in the file: the same agenda again (same id), bookable again
    with session_scope() as session:
        agenda_id = session.execute(select(Agenda.id).where(Agenda.place_pk == pk)).scalar_one()
    load_partners(now=NOW)
    with session_scope() as session:
        assert session.execute(select(Agenda.id).where(Agenda.place_pk == pk)).scalar_one() == agenda_id
    assert bookable(pk) and free_slots(pk, NOW)


def test_an_edited_agenda_is_updated_in_place(seeded, tmp_path):
    load_partners(now=NOW)
    entries = [partner(BOBIGNY, [{"days": "lundi-vendredi", "from": "09:00", "to": "12:00"}])]
    entries[0]["agendas"][0]["slot_minutes"] = 60
    report = load_partners(write(tmp_path, entries), now=NOW)
    assert (report.agendas_created, report.agendas_updated, report.hours_changed) == (0, 0, 1)
    slots = free_slots(place_pk(BOBIGNY), NOW, limit=100)
    assert slots and all(s.start.hour < 12 for s in slots)
    assert partners_in(seeded) == {BOBIGNY}


def test_an_operators_closure_survives_reloading_the_file(seeded):
    load_partners(now=NOW)
    add_closure(f"{DEFAULT_SOURCE}:{BOBIGNY}", date(2026, 12, 2), date(2026, 12, 2), "Grève")
    load_partners(now=NOW)
    days = {s.start.date() for s in free_slots(place_pk(BOBIGNY), NOW, limit=100)}
    assert date(2026, 12, 2) not in days and date(2026, 12, 3) in days


def test_a_partner_with_bookings_off_is_listed_but_not_bookable(seeded, tmp_path):
    entry = partner(BOBIGNY, [{"days": "lundi", "from": "09:00", "to": "12:00"}], booking_enabled=False)
    load_partners(write(tmp_path, [entry]), now=NOW)
    [listed] = list_partners()
    assert not listed.booking_enabled and not bookable(listed.pk)
    assert free_slots(listed.pk, NOW) == []


# -- the file is checked before anything is written ------------------------------------------

def load_error(path: Path) -> list[str]:
    with pytest.raises(PartnersFileError) as refused:
        load_partners(path, now=NOW)
    return refused.value.problems


def test_an_unknown_place_is_named_with_the_file_and_the_entry(seeded, tmp_path):
    good = partner(BOBIGNY, [{"days": "lundi", "from": "09:00", "to": "12:00"}])
    path = write(tmp_path, [good, partner("no-such-id", [])])
    [problem] = load_error(path)
    assert problem.startswith(f"{path}: partners[1] ({DEFAULT_SOURCE}:no-such-id): no such place")
    assert partners_in(seeded) == set()  # the good entry was not loaded either


def test_a_slot_outside_the_opening_hours_is_refused(seeded, tmp_path):
    # Bobigny is open Mo-Fr 09:00-12:00,13:00-17:00: no lunch-time slot, nothing on Saturday
    path = write(tmp_path, [partner(BOBIGNY, [{"days": "lundi", "from": "11:00", "to": "14:00"},
                                              {"days": "samedi", "from": "09:00", "to": "12:00"}])])
    problems = load_error(path)
    assert problems == [
        f"{path}: partners[0] ({DEFAULT_SOURCE}:{BOBIGNY}).agendas[0].hours[0]: lundi 11:00-14:00 is "
        f"outside the opening hours of France services Joseph Epstein ({DEFAULT_SOURCE}:{BOBIGNY}): "
        f"Mo 09:00-12:00,13:00-17:00; Tu 09:00-12:00,13:00-17:00; We 09:00-12:00,13:00-17:00; "
        f"Th 09:00-12:00,13:00-17:00; Fr 09:00-12:00,13:00-17:00",
        f"{path}: partners[0] ({DEFAULT_SOURCE}:{BOBIGNY}).agendas[0].hours[1]: samedi 09:00-12:00 is "
        f"outside the opening hours of France services Joseph Epstein ({DEFAULT_SOURCE}:{BOBIGNY}): "
        f"Mo 09:00-12:00,13:00-17:00; Tu 09:00-12:00,13:00-17:00; We 09:00-12:00,13:00-17:00; "
        f"Th 09:00-12:00,13:00-17:00; Fr 09:00-12:00,13:00-17:00",
    ]


@pytest.mark.parametrize("hours, message", [
    ([{"days": "lundi", "from": "09:00", "to": "11:00"}, {"days": "lundi-mardi", "from": "10:00", "to": "12:00"}],
     "hours[1]: lundi 10:00-12:00 overlaps partners[0] (france-services-2024-08-01:2883).agendas[0].hours[0] (09:00-11:00)"),
    ([{"days": "lundi", "from": "11:00", "to": "10:00"}], "hours[0]: from 11:00 must be before to 10:00"),
    ([{"days": "lundi", "from": "25:00", "to": "26:00"}], "hours[0]: from and to must be times HH:MM, not '25:00'"),
    ([{"days": "lundi", "from": "09:00", "to": "09:30"}], "hours[0]: 09:00-09:30 is shorter than one slot (45 min)"),
    ([{"days": "funday", "from": "09:00", "to": "10:00"}], "hours[0]: days must name weekdays"),
    ([{"days": "lundi", "from": "09:00", "to": "10:00", "room": "B"}], "hours[0]: unknown key(s) room"),
    ([], "agendas[0]: hours must be a list"),
])
def test_invalid_times_are_refused_precisely(seeded, tmp_path, hours, message):
    path = write(tmp_path, [partner(BOBIGNY, hours)])
    problems = load_error(path)
    assert any(message in problem for problem in problems), problems
    assert partners_in(seeded) == set()


def test_every_fault_of_a_file_is_reported_at_once(seeded, tmp_path):
    bad_agenda = partner(BOBIGNY, [{"days": "lundi", "from": "09:00", "to": "12:00"}])
    bad_agenda["agendas"][0].update(seats=3, slot_minutes=5, key="Individuel!")
    bad_agenda["closures"] = [{"from": "2026-12-10", "to": "2026-12-01", "reason": "x"},
                              {"from": "demain", "reason": ""}, {"from": "2026-12-01", "agenda": "atelier"}]
    no_hours = partner("942", [])  # "France services multisites": no opening hours in the directory
    twice = partner(BOBIGNY, [])
    path = write(tmp_path, [bad_agenda, no_hours, twice])
    problems = "\n".join(load_error(path))
    for expected in ["key must be 1-64 lower-case", "slot_minutes must be a whole number of minutes",
                     "an individual agenda has 1 seat", "closures[0]: to 2026-12-01 is before from 2026-12-10",
                     "closures[1]: from and to must be dates YYYY-MM-DD, not 'demain'",
                     "closures[1]: reason is required", "closures[2]: agenda 'atelier' is not an agenda",
                     f"partners[1] ({DEFAULT_SOURCE}:942): France services multisites Pimms Médiation Paris "
                     f"has no opening hours", "partners[2] (france-services-2024-08-01:2883): the same place as partners[0]"]:
        assert expected in problems, expected


@pytest.mark.parametrize("content, message", [
    ("partners: [\n  - place: {source: x\n", "not valid YAML at line"),
    ("- just a list\n", "must be a mapping with a list `partners:`"),
    ("partners: []\ncolour: blue\n", "unknown top-level key(s) colour"),
])
def test_an_unreadable_file_is_refused_in_one_line(seeded, tmp_path, content, message):
    path = tmp_path / "broken.yml"
    path.write_text(content, encoding="utf-8")
    [problem] = load_error(path)
    assert problem.startswith(f"{path}: ") and message in problem


def test_an_empty_list_unpartners_everyone(seeded, tmp_path):
    load_partners(now=NOW)
    report = load_partners(write(tmp_path, []), now=NOW)
    assert len(report.removed) == 6 and partners_in(seeded) == set()


# -- the commands ----------------------------------------------------------------------------

def test_cli_partners_load_list_and_load_again(seeded, capsys):
    assert main(["partners", "load"]) == 0
    out = capsys.readouterr().out
    assert f"file: {DEFAULT_PARTNERS_FILE}" in out and "partners: 6" in out
    assert "now a partner: France services La Poste de Saint-Denis" in out
    assert main(["partners", "load", str(DEFAULT_PARTNERS_FILE)]) == 0
    assert "no change" in capsys.readouterr().out
    assert main(["partners", "list"]) == 0
    out = capsys.readouterr().out
    assert f"{DEFAULT_SOURCE}:{PARIS_11}" in out and "agenda atelier-smartphone" in out
    assert "samedi 09:30-11:30" in out and "6 seats" in out


def test_cli_partners_load_refuses_a_bad_file_with_exit_2_and_every_problem(seeded, tmp_path, capsys):
    path = write(tmp_path, [partner("nope", []), partner(BOBIGNY, [{"days": "dimanche", "from": "09:00",
                                                                      "to": "10:00"}])])
    assert main(["partners", "load", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0] == f"error: {path}: 2 problems, nothing was loaded:"
    assert lines[1].startswith(f"  {path}: partners[0] ({DEFAULT_SOURCE}:nope): no such place")
    assert "dimanche 09:00-10:00 is outside the opening hours" in lines[2]
    assert "Traceback" not in captured.err
    assert main(["partners", "load", str(tmp_path / "missing.yml")]) == 2
    assert f"{tmp_path / 'missing.yml'}: no such file" in capsys.readouterr().err


def test_cli_closure_add_and_its_errors(seeded, capsys):
    assert main(["partners", "load"]) == 0
    book_for("closed-out", place_pk(PARIS_12), at(3, 10), now=NOW)
    capsys.readouterr()
    code = main(["partners", "closure", "add", f"{DEFAULT_SOURCE}:{PARIS_12}", "--from", "2026-12-03",
                 "--to", "2026-12-04", "--reason", "Travaux"])
    captured = capsys.readouterr()
    assert code == 0 and "closed from 2026-12-03 to 2026-12-04" in captured.out
    assert "1 upcoming booking(s) fall in it and are NOT cancelled" in captured.err
    assert main(["partners", "list"]) == 0
    assert "closed 2026-12-03 to 2026-12-04: Travaux [operator" in capsys.readouterr().out
    cases = [
        (["nowhere:1"], "error: no place 'nowhere:1' (give SOURCE:ID"),
        ([str(place_pk(PARIS_12)), "--from", "2026-12-31", "--to", "2026-12-01"], "ends (2026-12-01) before it starts"),
        ([str(place_pk(PARIS_12)), "--from", "31/12/2026"], "error: --from '31/12/2026' is not a date YYYY-MM-DD"),
    ]
    for args, message in cases:
        full = ["partners", "closure", "add", *args]
        full += [] if "--from" in args else ["--from", "2026-12-03"]
        full += [] if "--to" in args else ["--to", "2026-12-04"]
        assert main(full + ["--reason", "x"]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


def test_cli_bookings_list_shows_only_first_name_and_reference(seeded, capsys):
    assert main(["partners", "load"]) == 0
    one = book_for("listed-1", place_pk(PARIS_12), at(3, 10), sender_id="+33611111111", first_name="Awa")
    two = book_for("listed-2", place_pk(BOBIGNY), at(2, 9), sender_id="+33622222222", first_name="Jean")
    capsys.readouterr()
    assert main(["bookings", "list"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[0].startswith(f"2026-12-02 09:00  {two.reference}  Jean")
    assert lines[1].startswith(f"2026-12-03 10:00  {one.reference}  Awa")
    assert "+336" not in out and "listed-1" not in out
    assert main(["bookings", "list", "--place", f"{DEFAULT_SOURCE}:{BOBIGNY}"]) == 0
    assert one.reference not in capsys.readouterr().out
    assert main(["bookings", "list", "--place", f"{DEFAULT_SOURCE}:{NOT_A_PARTNER}"]) == 0
    assert "no upcoming booking" in capsys.readouterr().out
    assert main(["bookings", "list", "--place", "nowhere:0"]) == 2
    assert "error: no place 'nowhere:0'" in capsys.readouterr().err


def test_cli_reminders_list_counts_by_status(seeded, capsys):
    assert main(["partners", "load"]) == 0
    book_for("reminded", place_pk(PARIS_12), at(3, 10))
    capsys.readouterr()
    assert main(["reminders", "list"]) == 0
    out = capsys.readouterr().out
    assert "pending\t1" in out and "sent\t0" in out and "failed\t0" in out
    assert "next due: 2026-12-02 18:00 (Europe/Paris)" in out


def test_cli_commands_on_an_unmigrated_database_exit_2_without_traceback(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    for args in (["partners", "load"], ["partners", "list"], ["bookings", "list"], ["reminders", "list"],
                 ["partners", "closure", "add", "1", "--from", "2026-12-01", "--to", "2026-12-01",
                  "--reason", "x"]):
        assert main([*args, "--url", url]) == 2, args
        err = capsys.readouterr().err
        assert "run `npt db upgrade` first" in err and "Traceback" not in err, args
