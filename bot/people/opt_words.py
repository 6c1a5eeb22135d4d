"""STOP and START typed on a messaging channel (SMS, Telegram): read before anything else.

"Stop", " ARRÊT ", "stop sms!" all read as STOP; "start" lets the person in again. A STOP from
someone already opted out is recorded again but not confirmed again (one confirmation)."""
from __future__ import annotations

import re

from unidecode import unidecode

from bot.people.privacy import clear_opt_out, is_opted_out, record_opt_out

STOP_WORDS = {"stop", "arret", "stop sms", "stopsms", "unsubscribe"}
START_WORDS = {"start", "unstop"}


def keyword(text: str) -> str:
    """The letters of `text`, lower-case, without accents, spaces collapsed."""
    return " ".join(re.sub(r"[^a-z ]", " ", unidecode(text or "").lower()).split())


def opt_word(text: str) -> str | None:
    """"stop", "start", or None for any other message."""
    word = keyword(text)
    return "stop" if word in STOP_WORDS else "start" if word in START_WORDS else None


def apply_opt_word(key: str, word: str, url: str | None = None) -> bool:
    """Record the person's STOP or START; True when a confirmation is due."""
    if word == "stop":
        already = is_opted_out(key, url)
        record_opt_out(key, url)
        return not already
    if word == "start":
        clear_opt_out(key, url)
        return True
    raise ValueError(f"not an opt word: {word!r}")
