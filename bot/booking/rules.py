"""The booking rules, as data: data/booking.yml (horizon, lead time, holidays, references, what
to bring). What is sent on its own (reminders, notices) has its rules in data/notifications.yml."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.paths import DATA_DIR
from bot.yaml_data import number_setting, read_settings

BOOKING_RULES_PATH = DATA_DIR / "booking.yml"
CONFUSABLE = set("0O1IL")


class BookingRulesError(ValueError):
    """data/booking.yml is unusable; the message names the setting."""


@dataclass(frozen=True)
class BookingRules:
    horizon_days: int = 21
    min_lead_hours: float = 2
    closed_on_public_holidays: bool = True
    reference_alphabet: str = "ACDEFGHJKMNPQRTUVWXY34679"
    reference_length: int = 6
    what_to_bring: tuple[str, ...] = ()


def _int(raw: dict, name: str, default, minimum: int, path: Path):
    return number_setting(raw, name, default, minimum, path, BookingRulesError)


def parse_rules(raw: dict, path: Path = BOOKING_RULES_PATH) -> BookingRules:
    if not isinstance(raw, dict):
        raise BookingRulesError(f"{path}: must be a mapping of settings")
    default = BookingRules()
    alphabet = str(raw.get("reference_alphabet", default.reference_alphabet))
    if len(set(alphabet)) != len(alphabet) or len(alphabet) < 10 or CONFUSABLE & set(alphabet.upper()):
        raise BookingRulesError(f"{path}: reference_alphabet must hold at least 10 distinct "
                                f"characters, none of 0 O 1 I L")
    bring = raw.get("what_to_bring", [])
    if not isinstance(bring, list) or not all(isinstance(item, str) and item.strip() for item in bring):
        raise BookingRulesError(f"{path}: what_to_bring must be a list of texts")
    return BookingRules(
        horizon_days=_int(raw, "horizon_days", default.horizon_days, 1, path),
        min_lead_hours=_int(raw, "min_lead_hours", default.min_lead_hours, 0, path),
        closed_on_public_holidays=bool(raw.get("closed_on_public_holidays", True)),
        reference_alphabet=alphabet.upper(),
        reference_length=_int(raw, "reference_length", default.reference_length, 4, path),
        what_to_bring=tuple(item.strip() for item in bring),
    )


@lru_cache(maxsize=1)
def booking_rules() -> BookingRules:
    """The rules of data/booking.yml (read once per process)."""
    return parse_rules(read_settings(BOOKING_RULES_PATH, BookingRulesError), BOOKING_RULES_PATH)
