"""Texts composed by the assistant's actions, from data/messages.yml."""
from __future__ import annotations

from functools import lru_cache

from bot.config import retention_months
from bot.diagnostic.grid import Question, _options
from bot.paths import DATA_DIR
from bot.yaml_data import load_yaml

MESSAGES_PATH = DATA_DIR / "messages.yml"


@lru_cache(maxsize=1)
def _load() -> dict:
    return load_yaml(MESSAGES_PATH)


def text(name: str, /, **values) -> str:
    """One message by name, with `{placeholders}` filled."""
    value = _load()[name]
    if not isinstance(value, str):
        raise KeyError(f"{name} is not a plain message")
    return value.format(**values)


@lru_cache(maxsize=1)
def consent_question() -> Question:
    """The consent question, asked like the diagnostic's own questions (numbers or words)."""
    raw = _load()["consent"]
    months = retention_months()
    return Question(
        id="consent",
        text=raw["text"].format(months=months),
        third_person=raw["third_person"].format(months=months),
        rephrase=raw["rephrase"],
        options=_options(raw["options"], "messages.yml consent"),
    )
