"""The funding rules are data (data/funding.yml): per year the rate per person and the cap; a
file with a fault is refused with the file, the year and the field named."""
from __future__ import annotations

import pytest

from bot.funding.rules import (FUNDING_RULES_PATH, FundingRulesError, UnknownFundingYear,
                               funding_rules, load_rules, parse_rules, rule_for, rules_path)


def test_the_shipped_rules_are_the_programmes(monkeypatch):
    monkeypatch.delenv("NPT_FUNDING_RULES", raising=False)
    rules = funding_rules()
    assert [(r.year, r.rate_cents, r.cap) for r in rules.values()] == [
        (2024, 10000, 8000), (2025, 7000, 10000), (2026, 5000, 16000)]
    assert str(rule_for(2025).rate_eur) == "70"
    assert rules_path() == FUNDING_RULES_PATH


def test_npt_funding_rules_names_another_file(tmp_path, monkeypatch):
    path = tmp_path / "trial.yml"
    path.write_text("years:\n  2030:\n    rate_eur: '12,5'\n    cap_persons: 0\n", encoding="utf-8")
    monkeypatch.setenv("NPT_FUNDING_RULES", str(path))
    assert rules_path() == path
    assert (rule_for(2030).rate_cents, rule_for(2030).cap) == (1250, 0)
    with pytest.raises(UnknownFundingYear,
                       match=r"no funding rule for 2026 in .*trial.yml \(years written: 2030\)"):
        rule_for(2026)
    assert rule_for(2026, FUNDING_RULES_PATH).cap == 16000  # an explicit path wins


@pytest.mark.parametrize("raw, fault", [
    (None, "must hold `years:`"),
    ({"years": {}}, "must hold `years:`"),
    ({"years": {2026: {"rate_eur": 50, "cap_persons": 1}}, "other": 1}, "unknown setting(s): other"),
    ({"years": {"2026": {"rate_eur": 50, "cap_persons": 1}}},
     "years.2026: a year must be written as a number"),
    ({"years": {1999: {"rate_eur": 50, "cap_persons": 1}}}, "years.1999: a year must be"),
    ({"years": {2026: [50, 1]}}, "years.2026: must be a mapping"),
    ({"years": {2026: {"rate_eur": 50}}}, "years.2026: missing cap_persons"),
    ({"years": {2026: {"rate_eur": 50, "cap_persons": 1, "bonus": 2}}}, "years.2026: unknown bonus"),
    ({"years": {2026: {"rate_eur": 0, "cap_persons": 1}}}, "rate_eur must be more than 0"),
    ({"years": {2026: {"rate_eur": 12.345, "cap_persons": 1}}}, "at most 2 decimals"),
    ({"years": {2026: {"rate_eur": "cinquante", "cap_persons": 1}}}, "rate_eur must be an amount"),
    ({"years": {2026: {"rate_eur": True, "cap_persons": 1}}}, "rate_eur must be an amount"),
    ({"years": {2026: {"rate_eur": 50, "cap_persons": 1.5}}}, "cap_persons must be a whole number"),
    ({"years": {2026: {"rate_eur": 50, "cap_persons": -1}}}, "cap_persons must be a whole number"),
])
def test_a_fault_is_named_precisely(raw, fault):
    with pytest.raises(FundingRulesError) as refused:
        parse_rules(raw, "rules.yml")
    assert str(refused.value).startswith("rules.yml") and fault in str(refused.value)


def test_unreadable_and_invalid_yaml_files(tmp_path):
    with pytest.raises(FundingRulesError, match="cannot be read"):
        load_rules(tmp_path / "missing.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("years:\n  2026:\n    rate_eur: [50\n", encoding="utf-8")
    with pytest.raises(FundingRulesError, match=r"broken.yml: line \d+, column \d+ is not valid YAML"):
        load_rules(broken)
