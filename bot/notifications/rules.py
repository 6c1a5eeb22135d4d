"""The rules of what the assistant sends on its own, as data: data/notifications.yml (when a
reminder is due, retries, how long a claim lasts, and the texts)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from pathlib import Path

from bot.paths import DATA_DIR
from bot.yaml_data import number_setting, read_settings

NOTIFICATION_RULES_PATH = DATA_DIR / "notifications.yml"


class NotificationRulesError(ValueError):
    """data/notifications.yml is unusable; the message names the setting."""


@dataclass(frozen=True)
class NotificationRules:
    reminder_days_before: int = 1
    reminder_hour: time = time(18, 0)
    reminder_max_attempts: int = 3
    reminder_retry_minutes: int = 15
    reminder_claim_timeout_minutes: int = 10
    reminder_text: str = ("{greeting}, rappel de votre rendez-vous {when} : {place}, {address}. "
                          "Référence {reference}.")
    cancelled_by_structure_text: str = ("{greeting}, {place} a annulé votre rendez-vous {when}. "
                                        "Nous en sommes désolés. Référence {reference}.")
    prescripteur_booked_text: str = ("{greeting}, {organisation} a pris pour vous un rendez-vous "
                                     "{when} : {place}, {address}. Apportez : {bring}. "
                                     "Répondez OUI pour confirmer, ANNULER pour annuler.")
    person_confirmed_text: str = ("{first_name} a confirmé par SMS le rendez-vous {when} "
                                  "({place}).")
    cancelled_by_prescripteur_text: str = ("{greeting}, {organisation} a annulé le rendez-vous "
                                           "pris pour vous {when} ({place}).")
    referral_outcome_text: str = "Suite de votre orientation : {first_name}, {place} : {outcome}."
    outcome_words: dict = field(default_factory=lambda: {
        "accompanied": "la personne a été accompagnée", "absent": "la personne n'est pas venue"})


def parse_rules(raw: dict, path: Path = NOTIFICATION_RULES_PATH) -> NotificationRules:
    if not isinstance(raw, dict):
        raise NotificationRulesError(f"{path}: must be a mapping of settings")
    default = NotificationRules()

    def number(name: str, minimum: int):
        return number_setting(raw, name, getattr(default, name), minimum, path,
                              NotificationRulesError)

    hour = str(raw.get("reminder_hour", "18:00"))
    try:
        hours, minutes = (int(part) for part in hour.split(":"))
        reminder_hour = time(hours, minutes)
    except ValueError:
        raise NotificationRulesError(f"{path}: reminder_hour must be HH:MM, not {hour!r}") from None
    return NotificationRules(
        reminder_days_before=number("reminder_days_before", 0),
        reminder_hour=reminder_hour,
        reminder_max_attempts=number("reminder_max_attempts", 1),
        reminder_retry_minutes=number("reminder_retry_minutes", 0),
        reminder_claim_timeout_minutes=number("reminder_claim_timeout_minutes", 1),
        reminder_text=str(raw.get("reminder_text", default.reminder_text)).strip(),
        cancelled_by_structure_text=str(raw.get("cancelled_by_structure_text",
                                                default.cancelled_by_structure_text)).strip(),
        prescripteur_booked_text=str(raw.get("prescripteur_booked_text",
                                             default.prescripteur_booked_text)).strip(),
        person_confirmed_text=str(raw.get("person_confirmed_text",
                                          default.person_confirmed_text)).strip(),
        cancelled_by_prescripteur_text=str(raw.get(
            "cancelled_by_prescripteur_text", default.cancelled_by_prescripteur_text)).strip(),
        referral_outcome_text=str(raw.get("referral_outcome_text",
                                          default.referral_outcome_text)).strip(),
        outcome_words=_outcome_words(raw.get("outcome_words", default.outcome_words), path),
    )


def _outcome_words(value, path: Path) -> dict:
    if not isinstance(value, dict) or set(value) != {"accompanied", "absent"} or not all(
            isinstance(words, str) and words.strip() for words in value.values()):
        raise NotificationRulesError(f"{path}: outcome_words must give the words of "
                                     f"'accompanied' and 'absent'")
    return {status: words.strip() for status, words in value.items()}


@lru_cache(maxsize=1)
def notification_rules() -> NotificationRules:
    """The rules of data/notifications.yml (read once per process)."""
    return parse_rules(read_settings(NOTIFICATION_RULES_PATH, NotificationRulesError), NOTIFICATION_RULES_PATH)
