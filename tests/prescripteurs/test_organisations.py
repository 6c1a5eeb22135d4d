"""Prescripteur organisations and their codes: created by the Métropole with `npt organisations`,
the code shown once and stored only as a keyed hash, revocable, and guessing slowed down per
conversation."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, inspect, text

from bot.cli import main
from bot.prescripteurs.organisations import (ALPHABET, CODE_LENGTH, MAX_FAILURES, WINDOW_MINUTES,
                                             CodeCheck, OrganisationError, check_code,
                                             create_organisation, looks_like_a_code,
                                             revoke_code)

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)


def created(capsys, *argv: str) -> str:
    assert main(["organisations", "create", *argv]) == 0
    out = capsys.readouterr().out
    [code] = re.findall(r"^code: (\S+)$", out, re.M)
    return code


def test_create_prints_the_code_once_and_keeps_only_its_hash(database, capsys):
    code = created(capsys, "La Poste Saint-Denis", "--kind", "La Poste", "--commune", "Saint-Denis")
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert main(["organisations", "list"]) == 0
    listing = capsys.readouterr().out
    assert listing.startswith("1\tLa Poste Saint-Denis\tLa Poste\tSaint-Denis\t")
    assert f"active codes: …{code[-2:]}" in listing and code not in listing
    engine = create_engine(database)
    with engine.connect() as connection:  # the code is in no column of any table
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                assert code not in " ".join(str(value) for value in row), table


@pytest.mark.parametrize("argv, error", [
    (["X", "--kind", "banque", "--commune", "Bobigny"],
     "error: kind 'banque' is not one of: la_poste, bailleur_social, ccas, mairie, "
     "mission_locale, autre"),
    (["X", "--kind", "ccas", "--commune", "Lille"],
     "error: 'Lille' is not a commune of the Métropole du Grand Paris (give its name, postcode "
     "or INSEE code)"),
    (["  ", "--kind", "ccas", "--commune", "Bobigny"],
     "error: the organisation's name must be 1 to 120 characters"),
])
def test_a_wrong_kind_commune_or_name_is_refused_in_one_line(database, capsys, argv, error):
    assert main(["organisations", "create", *argv]) == 2
    assert capsys.readouterr().err.strip() == error
    assert main(["organisations", "list"]) == 0
    assert capsys.readouterr().out.startswith("no organisation yet")


def test_kinds_and_communes_are_read_as_an_operator_types_them(database, capsys):
    created(capsys, "CCAS du 13e", "--kind", "CCAS", "--commune", "75013")
    created(capsys, "Mission locale Bobigny", "--kind", "mission-locale", "--commune", "93008")
    created(capsys, "Autre", "--kind", "other", "--commune", "Ivry-sur-Seine")
    assert main(["organisations", "create", "Autre", "--kind", "ccas", "--commune", "Ivry"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["organisations", "list"]) == 0
    rows = [line.split("\t")[1:4] for line in capsys.readouterr().out.splitlines()]
    assert rows == [["Autre", "autre", "Ivry-sur-Seine"], ["CCAS du 13e", "CCAS", "Paris"],
                    ["Mission locale Bobigny", "mission locale", "Bobigny"]]


def test_a_code_opens_its_organisation_however_it_is_typed_until_revoked(database):
    organisation, code = create_organisation("CCAS Bobigny", "ccas", "Bobigny", actor="test")
    typed = f" {code[:5].lower()} - {code[5:]} "
    assert looks_like_a_code(typed) and not looks_like_a_code("bonjour tout le monde")
    result = check_code(typed, "web:abc", now=NOW)
    assert result.status == CodeCheck.OK and result.organisation.name == "CCAS Bobigny"
    assert revoke_code(code, actor="test").name == "CCAS Bobigny"
    assert check_code(code, "web:abc", now=NOW).status == CodeCheck.UNKNOWN
    with pytest.raises(OrganisationError, match="already revoked"):
        revoke_code(code, actor="test")
    with pytest.raises(OrganisationError, match="no such code"):
        revoke_code("AAAAAAAAAA", actor="test")


def test_revoke_and_a_new_code_from_the_command_line(database, capsys):
    first = created(capsys, "Bailleur 93", "--kind", "bailleur social", "--commune", "Pantin")
    assert main(["organisations", "code", "Bailleur 93"]) == 0
    second = re.search(r"^code: (\S+)$", capsys.readouterr().out, re.M).group(1)
    assert main(["organisations", "revoke", first]) == 0
    assert "no longer opens the prescripteur mode of Bailleur 93" in capsys.readouterr().out
    assert main(["organisations", "revoke", first]) == 2
    assert "already revoked" in capsys.readouterr().err
    assert check_code(first, "tg:1", now=NOW).status == CodeCheck.UNKNOWN
    assert check_code(second, "tg:1", now=NOW).status == CodeCheck.OK
    assert main(["organisations", "list"]) == 0
    assert f"active codes: …{second[-2:]}\trevoked: 1" in capsys.readouterr().out


def test_guessing_is_stopped_per_conversation_for_the_window(database):
    _, code = create_organisation("Mairie de Pantin", "mairie", "Pantin", actor="test")
    for attempt in range(MAX_FAILURES):
        assert check_code("AAAAAAAAAA", "sms:+33612345678", now=NOW).status == CodeCheck.UNKNOWN
    # Even the right code is not checked for this conversation now...
    assert check_code(code, "sms:+33612345678", now=NOW).status == CodeCheck.THROTTLED
    # ...while another conversation is not affected,
    assert check_code(code, "sms:+33698765432", now=NOW).status == CodeCheck.OK
    # and once the failures are older than the window, the right code opens again.
    later = NOW + timedelta(minutes=WINDOW_MINUTES, seconds=1)
    assert check_code(code, "sms:+33612345678", now=later).status == CodeCheck.OK


def test_codes_are_drawn_from_the_unambiguous_alphabet_and_differ(database):
    assert not set(ALPHABET) & set("01OIL")
    codes = {create_organisation(f"Org {i}", "autre", "Bobigny", actor="test")[1]
             for i in range(40)}
    assert len(codes) == 40
    assert all(looks_like_a_code(code) for code in codes)  # two digits and two letters at least
    assert not looks_like_a_code("super super") and not looks_like_a_code("RENDEZVOUS")
