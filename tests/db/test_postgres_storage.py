"""The assistant's own data on a real PostgreSQL server (the production database).

The server is started by the `postgres_server` fixture (tests/support/postgres.py); these tests
fail, never skip, when PostgreSQL is missing: `make test` installs it first.
"""
from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import func, inspect, select

from bot.db.models import Place
from bot.db.session import current_revision, get_engine, head_revision, session_scope, upgrade
from bot.diagnostic import evaluate
from bot.diagnostic.results import level_counts, results_for, save_result
from bot.people.privacy import erase_person, is_opted_out, record_consent, record_opt_out
from bot.pseudonyms import person_key
from bot.people.privacy import clear_opt_out, count_diagnostics
from bot.places import DEFAULT_SOURCE, seed_default_places

NPT = Path(sys.executable).parent / "npt"
SECRET = b"postgres-test-secret"
ANSWERS = {"equipement": 1, "connexion": 2, "usage": 2, "information": 2, "communication": 2,
           "contenu": 1, "securite": 3, "resolution": 3, "besoin": 1, "contrainte": 1}


def npt(*args: str) -> subprocess.CompletedProcess:
    """The operators' command, as they run it."""
    return subprocess.run([str(NPT), *args], capture_output=True, text=True, timeout=120)


def places_count(url: str) -> int:
    with session_scope(url) as session:
        return session.execute(select(func.count()).select_from(Place)).scalar_one()


def test_upgrade_migrates_an_empty_postgres_database_to_head(postgres_database):
    engine = get_engine(postgres_database)
    assert engine.dialect.name == "postgresql"
    assert current_revision(postgres_database) is None  # really empty
    upgrade(postgres_database)
    assert current_revision(postgres_database) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"alembic_version", "people", "diagnostic_results", "places"} <= tables
    upgrade(postgres_database)  # a second deployment's upgrade changes nothing
    assert current_revision(postgres_database) == head_revision()


def test_npt_db_upgrade_then_places_seed_on_postgres(postgres_database):
    upgraded = npt("db", "upgrade", "--url", postgres_database)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"database at revision {head_revision()} ({postgres_database})" in upgraded.stdout
    assert current_revision(postgres_database) == head_revision()

    seeded = npt("places", "seed", "--url", postgres_database)
    assert seeded.returncode == 0, seeded.stderr
    assert "inserted: 80" in seeded.stdout and "rejected: 0" in seeded.stdout
    again = npt("places", "seed", "--url", postgres_database)
    assert again.returncode == 0, again.stderr
    assert "inserted: 0" in again.stdout and "updated: 80 (of which unchanged: 80)" in again.stdout
    assert places_count(postgres_database) == 80


def test_npt_places_seed_on_an_unmigrated_postgres_database_says_what_to_do(postgres_database):
    seeded = npt("places", "seed", "--url", postgres_database)
    assert seeded.returncode == 1
    assert "run `npt db upgrade` first" in seeded.stderr
    assert "Traceback" not in seeded.stderr


def test_seed_gives_the_80_places_and_importing_twice_does_not_duplicate(postgres_database):
    upgrade(postgres_database)
    first = seed_default_places(postgres_database)
    assert (first.rows_read, first.inserted, first.updated, first.rejected) == (80, 80, 0, 0)
    with session_scope(postgres_database) as session:
        before = {p.id: (p.pk, p.updated_at) for p in session.execute(select(Place)).scalars()}
        place = session.execute(select(Place).where(Place.id == "435")).scalar_one()
    assert place.source == DEFAULT_SOURCE
    assert place.nom == "France services Pimms Médiation Paris 12ème - Sud-Est"
    assert (place.latitude, place.longitude) == (48.84049, 2.392507)
    assert place.date_maj == date(2020, 2, 1)
    assert place.services[0] == "Aide aux démarches administratives"  # JSON list round trip
    assert place.partner is False and place.booking_enabled is False

    second = seed_default_places(postgres_database)
    assert (second.inserted, second.updated, second.unchanged, second.rejected) == (0, 80, 80, 0)
    assert places_count(postgres_database) == 80
    with session_scope(postgres_database) as session:
        after = {p.id: (p.pk, p.updated_at) for p in session.execute(select(Place)).scalars()}
    assert after == before  # the same rows, untouched


def test_consent_stop_and_erasure_on_postgres(postgres_url):
    upgrade(postgres_url)  # the session's shared database: idempotent, keys unique to this test
    run = uuid.uuid4().hex
    mine = person_key(f"socketio:me-{run}", SECRET)
    theirs = person_key(f"socketio:them-{run}", SECRET)

    record_consent(mine, url=postgres_url)
    assert not is_opted_out(mine, url=postgres_url)
    for _ in range(2):
        save_result(mine, "socketio", evaluate(ANSWERS), url=postgres_url)
    save_result(theirs, "socketio", evaluate(ANSWERS), url=postgres_url)
    [stored, _] = results_for(mine, url=postgres_url)
    assert stored.answers == ANSWERS and stored.level == "eloigne"  # JSON columns read back as sent
    assert level_counts(postgres_url)["eloigne"] >= 3

    record_opt_out(mine, url=postgres_url)
    record_opt_out(mine, url=postgres_url)  # STOP twice is STOP once
    assert is_opted_out(mine, url=postgres_url)

    erasure = erase_person(mine, url=postgres_url)
    assert erasure.diagnostics == 2
    assert not erasure.person_removed  # the STOP marker is kept...
    assert is_opted_out(mine, url=postgres_url), "a person who said STOP must never be written to again"
    assert count_diagnostics(mine, url=postgres_url) == 0  # ...and nothing else
    assert count_diagnostics(theirs, url=postgres_url) == 1
    assert erase_person(mine, url=postgres_url).diagnostics == 0  # erasing again is harmless

    clear_opt_out(mine, url=postgres_url)
    assert not is_opted_out(mine, url=postgres_url)
    assert erase_person(mine, url=postgres_url).person_removed
