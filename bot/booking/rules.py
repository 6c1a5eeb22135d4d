"""The booking rules, as data: data/booking.yml (horizon, lead time, reminders, references)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from pathlib import Path

import yaml

from bot.clock import PARIS
from bot.paths import DATA_DIR
from bot.yaml_data import load_yaml

BOOKING_RULES_PATH = DATA_DIR / "booking.yml"
CONFUSABLE = set("0O1IL")


class BookingRulesError(ValueError):
    """data/booking.yml is unusable; the message names the setting."""


@dataclass(frozen=True)
class BookingRules:
    horizon_days: int = 21
    min_lead_hours: float = 2
    closed_on_public_holidays: bool = True
    reminder_days_before: int = 1
    reminder_hour: time = time(18, 0)
    reminder_max_attempts: int = 3
    reminder_retry_minutes: int = 15
    reminder_claim_timeout_minutes: int = 10
    reference_alphabet: str = "ACDEFGHJKMNPQRTUVWXY34679"
    reference_length: int = 6
    what_to_bring: tuple[str, ...] = ()
    cancelled_by_structure_text: str = ("{greeting}, {place} a annulé votre rendez-vous {when}. "
                                        "Nous en sommes désolés. Référence {reference}.")
    reminder_text: str = ("{greeting}, rappel de votre rendez-vous {when} : {place}, {address}. "
                          "Référence {reference}.")


def _int(raw: dict, name: str, default, minimum: int, path: Path):
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise BookingRulesError(f"{path}: {name} must be a number >= {minimum}, not {value!r}")
    return value


def parse_rules(raw: dict, path: Path = BOOKING_RULES_PATH) -> BookingRules:
    if not isinstance(raw, dict):
        raise BookingRulesError(f"{path}: must be a mapping of settings")
    default = BookingRules()
    hour = str(raw.get("reminder_hour", "18:00"))
    try:
        hours, minutes = (int(part) for part in hour.split(":"))
        reminder_hour = time(hours, minutes)
    except ValueError:
        raise BookingRulesError(f"{path}: reminder_hour must be HH:MM, not {hour!r}") from None
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
        reminder_days_before=_int(raw, "reminder_days_before", default.reminder_days_before, 0, path),
        reminder_hour=reminder_hour,
        reminder_max_attempts=_int(raw, "reminder_max_attempts", default.reminder_max_attempts, 1, path),
        reminder_retry_minutes=_int(raw, "reminder_retry_minutes", default.reminder_retry_minutes, 0, path),
        reminder_claim_timeout_minutes=_int(raw, "reminder_claim_timeout_minutes",
                                            default.reminder_claim_timeout_minutes, 1, path),
        reference_alphabet=alphabet.upper(),
        reference_length=_int(raw, "reference_length", default.reference_length, 4, path),
        what_to_bring=tuple(item.strip() for item in bring),
        reminder_text=str(raw.get("reminder_text", default.reminder_text)).strip(),
        cancelled_by_structure_text=str(raw.get("cancelled_by_structure_text",
                                                default.cancelled_by_structure_text)).strip(),
    )


@lru_cache(maxsize=1)
def booking_rules() -> BookingRules:
    """The rules of data/booking.yml (read once per process)."""
    try:
        raw = load_yaml(BOOKING_RULES_PATH)
    except (OSError, yaml.YAMLError) as error:
        raise BookingRulesError(f"{BOOKING_RULES_PATH}: cannot be read: {error}") from None
    return parse_rules(raw or {}, BOOKING_RULES_PATH)
