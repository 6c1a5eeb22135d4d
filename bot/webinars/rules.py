"""The rules and texts of the webinars, as data: data/webinars.yml."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.paths import DATA_DIR
from bot.yaml_data import number_setting, read_settings

WEBINAR_RULES_PATH = DATA_DIR / "webinars.yml"
MEDIA = ("chat", "subject", "email")


class WebinarRulesError(ValueError):
    """data/webinars.yml is unusable; the message names the setting."""


@dataclass(frozen=True)
class WebinarRules:
    offer_minutes: int = 720
    offer_notice_minutes: int = 30
    reminder_day_minutes: int = 1440
    reminder_hour_minutes: int = 60
    # kind -> {"chat": ..., "subject": ..., "email": ...} (a kind without "chat" is email only)
    notices: dict = field(default_factory=dict)


def parse_rules(raw: dict, path: Path = WEBINAR_RULES_PATH) -> WebinarRules:
    if not isinstance(raw, dict):
        raise WebinarRulesError(f"{path}: must be a mapping of settings")
    default = WebinarRules()
    numbers = {name: number_setting(raw, name, getattr(default, name), 1, path,
                                    WebinarRulesError)
               for name in ("offer_minutes", "offer_notice_minutes", "reminder_day_minutes",
                            "reminder_hour_minutes")}
    notices = raw.get("notices")
    if not isinstance(notices, dict) or not notices:
        raise WebinarRulesError(f"{path}: 'notices' must map each kind to its texts")
    for kind, texts in notices.items():
        if not isinstance(texts, dict) or not {"subject", "email"} <= set(texts) or any(
                medium not in MEDIA or not isinstance(text, str) or not text.strip()
                for medium, text in texts.items()):
            raise WebinarRulesError(f"{path}: notices.{kind} needs a subject and an email text "
                                    f"(and may have a chat text), nothing else")
    for kind in ("reminder_day", "reminder_hour", "offer", "changed", "confirmed", "waiting"):
        if kind not in notices:
            raise WebinarRulesError(f"{path}: notices.{kind} is missing")
    return WebinarRules(notices=notices, **numbers)


@lru_cache(maxsize=1)
def webinar_rules() -> WebinarRules:
    """The rules of data/webinars.yml (read once per process)."""
    return parse_rules(read_settings(WEBINAR_RULES_PATH, WebinarRulesError), WEBINAR_RULES_PATH)
