"""`npt funding check|mark|merge|validate|recompute`: what they print, and every error as one
line on stderr with exit code 2, never a traceback.

Most tests build a parser with only the ledger's commands (bot.cli.funding), so that they
do not depend on the other command groups; one test goes through `bot.cli.main`.
"""
from __future__ import annotations

import argparse
import getpass
from datetime import date, datetime, timezone

import pytest

from bot import clock
from bot.funding import audit_events, mark_accompanied, year_summary
from bot.cli.funding import add_ledger_commands
from tests.support.booking import BOBIGNY, PARIS_12, place_pk, prepare
from tests.support.funding import SMALL_RULES, entries, new_referral, paris, staff, write_rules

TODAY = datetime(2026, 12, 10, 11, 0, tzinfo=timezone.utc)  # the CLI's "now": 10 December 2026


def run(capsys, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="npt")
    commands = parser.add_subparsers(dest="command", required=True)
    add_ledger_commands(commands.add_parser("funding").add_subparsers(dest="funding", required=True))
    args = parser.parse_args(list(argv))
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_one_line_error(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


@pytest.fixture
def cli(database, tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("NPT_FUNDING_RULES", write_rules(tmp_path, SMALL_RULES))
    monkeypatch.setattr(clock, "utc_now", lambda: TODAY)
    prepare(database)
    return database


def test_check_prints_each_years_rate_and_cap(capsys, monkeypatch):
    monkeypatch.delenv("NPT_FUNDING_RULES", raising=False)
    code, out, err = run(capsys, "funding", "check")
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == ["2024: 100.00 EUR per person, cap 8000 persons",
                                    "2025: 70.00 EUR per person, cap 10000 persons",
                                    "2026: 50.00 EUR per person, cap 16000 persons"]
    assert out.splitlines()[0].endswith("data/funding.yml: 3 years")


def test_check_names_the_file_the_year_and_the_fault(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("NPT_FUNDING_RULES", raising=False)
    bad = write_rules(tmp_path, "years:\n  2026:\n    rate_eur: 50\n    cap_persons: -3\n", "bad.yml")
    assert_one_line_error(*run(capsys, "funding", "check", bad), bad, "years.2026",
                          "cap_persons must be a whole number >= 0, not -3")
    broken = write_rules(tmp_path, "years:\n  2026: [\n", "broken.yml")
    assert_one_line_error(*run(capsys, "funding", "check", broken), "is not valid YAML", "line ")
    assert_one_line_error(*run(capsys, "funding", "check", str(tmp_path / "none.yml")),
                          "none.yml: cannot be read")
    # NPT_FUNDING_RULES is the default file when it is set
    monkeypatch.setenv("NPT_FUNDING_RULES", write_rules(tmp_path, SMALL_RULES))
    code, out, _ = run(capsys, "funding", "check")
    assert code == 0 and "2027: 60.00 EUR per person, cap 3 persons" in out


def test_mark_accompanied_then_absent_as_the_operator(cli, capsys):
    pk = place_pk(PARIS_12)
    referral = new_referral("cli-person", pk)
    code, out, err = run(capsys, "funding", "mark", str(referral), "--accompanied", "2026-12-09",
                         "--note", "saisi par l'équipe")
    assert (code, err) == (0, "")
    assert out == (f"referral {referral}: accompanied on 2026-12-09; 2026: the person is rank 1, "
                   f"funded (50.00 EUR)\n")
    code, out, _ = run(capsys, "funding", "mark", str(referral), "--accompanied", "2026-12-09")
    assert code == 0 and out.rstrip().endswith("(already so: nothing changed)")
    code, out, _ = run(capsys, "funding", "mark", str(referral), "--absent")
    assert (code, out) == (0, f"referral {referral}: absent\n")
    [absent, accompanied, _] = audit_events(referral_id=referral)
    assert (accompanied.actor, accompanied.actor_role, accompanied.note) == (
        f"cli:{getpass.getuser()}", "cli", "saisi par l'équipe")
    assert (absent.from_status, absent.to_status, absent.at) == ("accompanied", "absent", TODAY)
    assert entries(2026) == []


def test_mark_refuses_bad_arguments_in_one_line(cli, capsys, tmp_path, monkeypatch):
    pk = place_pk(PARIS_12)
    referral = new_referral("cli-bad", pk)
    mark = ("funding", "mark")
    assert_one_line_error(*run(capsys, *mark, "999", "--absent"), "no referral 999")
    assert_one_line_error(*run(capsys, *mark, "abc", "--absent"), "REFERRAL_ID 'abc' is not a whole number")
    assert_one_line_error(*run(capsys, *mark, str(referral), "--accompanied", "2026-13-01"),
                          "--accompanied '2026-13-01' is not a date YYYY-MM-DD")
    assert_one_line_error(*run(capsys, *mark, str(referral), "--accompanied", "2026-12-11"),
                          "2026-12-11 is in the future")
    assert_one_line_error(*run(capsys, *mark, str(referral), "--accompanied", "2026-01-04"),
                          "before referral")
    monkeypatch.setenv("NPT_FUNDING_RULES", write_rules(
        tmp_path, "years:\n  2027:\n    rate_eur: 60\n    cap_persons: 3\n", "only-2027.yml"))
    assert_one_line_error(*run(capsys, *mark, str(referral), "--accompanied", "2026-06-01"),
                          "no funding rule for 2026")
    assert len(audit_events(referral_id=referral)) == 1  # nothing was written
    with pytest.raises(SystemExit) as usage:  # argparse: one of the two outcomes is required
        run(capsys, *mark, str(referral))
    assert usage.value.code == 2


def test_merge_validate_recompute(cli, capsys, tmp_path, monkeypatch):
    paris_12, bobigny = place_pk(PARIS_12), place_pk(BOBIGNY)
    for n, (person, pk) in enumerate([("sms", paris_12), ("tg", bobigny), ("third", paris_12)]):
        mark_accompanied(new_referral(person, pk), on=date(2026, 3, 2), actor=staff(pk),
                         now=paris(2026, 3, 2, 10 + n))
    code, out, err = run(capsys, "funding", "merge", "tg", "sms", "--reason", "même personne")
    assert (code, err) == (0, "")
    assert out == ("tg merged into sms (the person is now sms); years recomputed: 2026; "
                   "0 adjustment(s) recorded\n")
    assert_one_line_error(*run(capsys, "funding", "merge", "sms", "tg", "--reason", "x"), "cycle")
    assert_one_line_error(*run(capsys, "funding", "merge", "sms", "sms", "--reason", "x"), "itself")
    assert_one_line_error(*run(capsys, "funding", "validate", "--year", "20x6"),
                          "--year '20x6' is not a year YYYY")
    assert_one_line_error(*run(capsys, "funding", "validate", "--year", "2031"),
                          "no funding rule for 2031")
    code, out, _ = run(capsys, "funding", "validate", "--year", "2026")
    assert (code, out) == (0, f"2026 validated by cli:{getpass.getuser()}: 2 persons funded, "
                              f"100.00 EUR; 0 over the cap\n")
    assert_one_line_error(*run(capsys, "funding", "validate", "--year", "2026"),
                          "already validated")
    # the cap is lowered to 1: recomputing 2026 takes third's place back, as an adjustment
    monkeypatch.setenv("NPT_FUNDING_RULES", write_rules(
        tmp_path, SMALL_RULES.replace("cap_persons: 2", "cap_persons: 1"), "lower.yml"))
    code, out, _ = run(capsys, "funding", "recompute", "--year", "2026", "--reason", "plafond 1")
    assert code == 0
    assert out == ("2026: 1 persons funded, 1 over the cap, 50.00 EUR; 1 adjustment(s) recorded\n"
                   f"  third place {paris_12}: -1 person, -50.00 EUR\n")
    summary = year_summary(2026)
    assert summary.validated_persons + summary.adjustments_persons == summary.persons_funded == 1


def test_a_database_not_migrated_is_one_line_too(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(clock, "utc_now", lambda: TODAY)
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert_one_line_error(*run(capsys, "funding", "mark", "1", "--absent", "--url", url),
                          "the database is not ready", "npt db upgrade")


def test_npt_funding_is_wired_into_the_cli(cli, capsys):
    from bot.cli import main

    referral = new_referral("through-main", place_pk(PARIS_12))
    assert main(["funding", "mark", str(referral), "--absent", "--url", cli]) == 0
    assert capsys.readouterr().out == f"referral {referral}: absent\n"
    assert main(["funding", "mark", "12345", "--absent"]) == 2
    assert capsys.readouterr().err == "error: no referral 12345\n"
