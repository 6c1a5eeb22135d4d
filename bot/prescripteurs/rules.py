"""The rules of the prescripteur mode, as data: data/prescripteurs.yml."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.paths import DATA_DIR
from bot.yaml_data import number_setting, read_settings

PRESCRIPTEUR_RULES_PATH = DATA_DIR / "prescripteurs.yml"


class PrescripteurRulesError(ValueError):
    """data/prescripteurs.yml is unusable; the message names the setting."""


@dataclass(frozen=True)
class PrescripteurRules:
    session_minutes: int = 240


def parse_rules(raw: dict, path: Path = PRESCRIPTEUR_RULES_PATH) -> PrescripteurRules:
    if not isinstance(raw, dict):
        raise PrescripteurRulesError(f"{path}: must be a mapping of settings")
    default = PrescripteurRules()
    return PrescripteurRules(session_minutes=number_setting(
        raw, "session_minutes", default.session_minutes, 1, path, PrescripteurRulesError))


@lru_cache(maxsize=1)
def prescripteur_rules() -> PrescripteurRules:
    """The rules of data/prescripteurs.yml (read once per process)."""
    return parse_rules(read_settings(PRESCRIPTEUR_RULES_PATH, PrescripteurRulesError),
                       PRESCRIPTEUR_RULES_PATH)
