"""The funding rules, as data: data/funding.yml (per year: rate per person and cap on persons)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import yaml

from bot.paths import DATA_DIR
from bot.yaml_data import YamlDataError, load_yaml

FUNDING_RULES_PATH = DATA_DIR / "funding.yml"
RULES_ENV = "NPT_FUNDING_RULES"  # another rules file (tests, a trial); default data/funding.yml
FIRST_YEAR, LAST_YEAR = 2000, 2100


class FundingRulesError(ValueError):
    """The funding rules file is unusable; the message names the file, the year and the field."""


class UnknownFundingYear(LookupError):
    """No rule is written for this year in the funding rules file."""


@dataclass(frozen=True)
class YearRule:
    year: int
    rate_cents: int  # paid per funded person
    cap: int  # persons funded at most in the year

    @property
    def rate_eur(self) -> Decimal:
        return Decimal(self.rate_cents) / 100


def _rate_cents(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FundingRulesError(f"{where}: rate_eur must be an amount in euros, not {value!r}")
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise FundingRulesError(f"{where}: rate_eur must be an amount in euros, not {value!r}") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise FundingRulesError(f"{where}: rate_eur must be more than 0 with at most 2 decimals, "
                                f"not {value!r}")
    return int(amount * 100)


def parse_rules(raw, path: Path = FUNDING_RULES_PATH) -> dict[int, YearRule]:
    """The rules of `raw` (the parsed YAML) by year; FundingRulesError names each fault."""
    if not isinstance(raw, dict) or not isinstance(raw.get("years"), dict) or not raw["years"]:
        raise FundingRulesError(f"{path}: must hold `years:`, a mapping of years to their rules")
    unknown = set(raw) - {"years"}
    if unknown:
        raise FundingRulesError(f"{path}: unknown setting(s): {', '.join(sorted(map(str, unknown)))}")
    rules: dict[int, YearRule] = {}
    for year, rule in raw["years"].items():
        where = f"{path}: years.{year}"
        if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
            raise FundingRulesError(f"{where}: a year must be written as a number "
                                    f"{FIRST_YEAR}-{LAST_YEAR}")
        if not isinstance(rule, dict):
            raise FundingRulesError(f"{where}: must be a mapping with rate_eur and cap_persons")
        extra = set(rule) - {"rate_eur", "cap_persons"}
        missing = {"rate_eur", "cap_persons"} - set(rule)
        if extra or missing:
            raise FundingRulesError(
                f"{where}: " + "; ".join(
                    part for part in (
                        f"missing {', '.join(sorted(missing))}" if missing else "",
                        f"unknown {', '.join(sorted(map(str, extra)))}" if extra else "") if part))
        cap = rule["cap_persons"]
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise FundingRulesError(f"{where}: cap_persons must be a whole number >= 0, not {cap!r}")
        rules[year] = YearRule(year=year, rate_cents=_rate_cents(rule["rate_eur"], where), cap=cap)
    return dict(sorted(rules.items()))


def load_rules(path: Path | str = FUNDING_RULES_PATH) -> dict[int, YearRule]:
    path = Path(path)
    try:
        raw = load_yaml(path)
    except YamlDataError as error:
        raise FundingRulesError(str(error)) from None
    except OSError as error:
        raise FundingRulesError(f"{path}: cannot be read ({error.strerror or error})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FundingRulesError(f"{path}:{where} is not valid YAML") from None
    return parse_rules(raw, path)


@lru_cache(maxsize=4)
def _cached(path: str) -> dict[int, YearRule]:
    return load_rules(path)


def rules_path(path: Path | str | None = None) -> Path:
    """`path`, else the file named by NPT_FUNDING_RULES, else data/funding.yml."""
    return Path(path or os.environ.get(RULES_ENV, "").strip() or FUNDING_RULES_PATH)


def funding_rules(path: Path | str | None = None) -> dict[int, YearRule]:
    """The rules of `path`, or of NPT_FUNDING_RULES, or of data/funding.yml; read once."""
    return _cached(str(rules_path(path)))


def rule_for(year: int, path: Path | str | None = None) -> YearRule:
    """The rule of `year`; UnknownFundingYear when the file has none."""
    rules = funding_rules(path)
    if year not in rules:
        known = ", ".join(str(y) for y in rules)
        raise UnknownFundingYear(f"no funding rule for {year} in {rules_path(path)} "
                                 f"(years written: {known})")
    return rules[year]
