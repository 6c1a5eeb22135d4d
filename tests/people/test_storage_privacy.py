"""The assistant's own data: migrations, pseudonyms, consent, STOP and SUPPRIMER."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import inspect

from bot.db.session import current_revision, get_engine, head_revision, upgrade
from bot.diagnostic import evaluate
from bot.diagnostic.results import level_counts, results_for, save_result
from bot.people.privacy import erase_person, is_opted_out, record_consent, record_opt_out
from bot.pseudonyms import channel_identity, person_key
from bot.people.privacy import clear_opt_out

ANSWERS = {"equipement": 1, "connexion": 2, "usage": 2, "information": 2, "communication": 2,
           "contenu": 1, "securite": 3, "resolution": 3, "besoin": 1, "contrainte": 1}


def test_migration_creates_the_tables_and_can_run_twice(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    upgrade(url)
    assert current_revision(url) == head_revision()
    tables = set(inspect(get_engine(url)).get_table_names())
    assert {"people", "diagnostic_results", "alembic_version"} <= tables


def test_pseudonyms_are_keyed_and_never_the_identity():
    identity = channel_identity("twilio_sms", "+33612345678")
    assert identity == "tel:+33612345678"
    key = person_key(identity, b"key-one")
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert "612345678" not in key
    assert person_key(identity, b"key-one") == key
    assert person_key(identity, b"key-two") != key
    assert person_key(channel_identity("socketio", "+33612345678"), b"key-one") != key
    with pytest.raises(ValueError):
        person_key("", b"key-one")


def test_a_result_is_stored_with_its_grid_version_and_pseudonym(database):
    key = person_key("socketio:session-1")
    result = evaluate(ANSWERS)
    save_result(key, "socketio", result)
    [row] = results_for(key)
    assert (row.level, row.score, row.grid_version, row.channel) == (
        "eloigne", 4, result.grid_version, "socketio")
    assert row.services == ["Aide aux démarches administratives"]
    assert row.answers == ANSWERS
    assert level_counts() == {"eloigne": 1}


def test_stop_is_recorded_and_survives_erasure(database):
    key = person_key("socketio:session-2")
    record_consent(key)
    assert not is_opted_out(key)
    record_opt_out(key)
    record_opt_out(key)  # twice is the same as once
    assert is_opted_out(key)
    erase_person(key)
    assert is_opted_out(key), "a person who said STOP must never be written to again"
    clear_opt_out(key)
    assert not is_opted_out(key)


def test_delete_erases_only_that_persons_results(database):
    mine, theirs = person_key("socketio:me"), person_key("socketio:them")
    record_consent(mine)
    for _ in range(2):
        save_result(mine, "socketio", evaluate(ANSWERS))
    save_result(theirs, "socketio", evaluate(ANSWERS))
    erasure = erase_person(mine)
    assert erasure.diagnostics == 2 and erasure.person_removed
    assert results_for(mine) == []
    assert len(results_for(theirs)) == 1
    assert erase_person(mine).diagnostics == 0  # erasing again is harmless
