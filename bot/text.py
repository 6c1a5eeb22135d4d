"""Text normalisation shared by every free-text matcher."""
from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalize(text: str | None, max_length: int = 1000) -> str:
    """Lower-case ASCII words separated by single spaces.

    "Avec l’aide de ma fille !" -> "avec l aide de ma fille". Digits of other scripts
    become ASCII digits, accents are dropped, anything else becomes a separator. Very long
    input is cut to `max_length` characters first, so that a pasted novel costs nothing.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text)[:max_length])
    text = "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in text)
    text = unidecode(text).lower()
    return _NON_WORD.sub(" ", text).strip()


def mostly_latin(text: str | None) -> bool:
    """True when most letters of the text are Latin (French, English...), or it has none.

    The assistant understands French; a message in another alphabet is never taken for a
    command or a question, only answered with the current question again.
    """
    letters = [ch for ch in str(text or "")[:1000] if ch.isalpha()]
    if not letters:
        return True
    latin = sum(1 for ch in letters if unicodedata.name(ch, "").startswith("LATIN"))
    return latin * 2 >= len(letters)
