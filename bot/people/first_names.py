"""The first name asked for a booking: the only name the assistant ever asks for."""
from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 40
_INTRO = re.compile(
    r"^\s*(?:bonjour|salut|bonsoir)?[\s,.!]*(?:je m'?\s?appelle|je m appelle|moi c'?\s?est|"
    r"c'?\s?est|mon prénom est|mon prenom est|mon prénom c'?\s?est|mon prenom c'?\s?est|"
    r"prénom|prenom)?\s*:?\s*", re.IGNORECASE)
_ALLOWED_MARKS = {"-", "'", "’", " "}
# Words that answer something else ("oui", "merci"): never taken as a first name.
_NOT_NAMES = {"oui", "non", "ok", "okay", "merci", "bonjour", "salut", "bonsoir", "stop",
              "annuler", "aide", "supprimer", "pourquoi", "quoi", "rien", "personne", "non merci",
              "d'accord", "dac", "je ne sais pas", "jsp", "pas envie", "anonyme"}


def read_first_name(text: str | None) -> str | None:
    """The first name in the message, tidied ("je m'appelle fatima" -> "Fatima"), or None.

    Any alphabet is welcome (a name is a name); digits, links, symbols, more than three words
    or more than 40 characters are not a first name.
    """
    if not text:
        return None
    raw = unicodedata.normalize("NFC", str(text)[:200]).strip()
    name = _INTRO.sub("", raw, count=1).strip(" .,!;:")
    name = re.sub(r"\s+", " ", name)
    if not name or len(name) > MAX_LENGTH or len(name.split()) > 3:
        return None
    if any(not (ch.isalpha() or ch in _ALLOWED_MARKS or unicodedata.category(ch) == "Mn")
           for ch in name):
        return None
    if not any(ch.isalpha() for ch in name) or name.lower().replace("’", "'") in _NOT_NAMES:
        return None
    if name.islower() or name.isupper():
        name = "-".join(" ".join(w[:1].upper() + w[1:].lower() for w in part.split(" "))
                        for part in name.split("-"))
    return name.replace("’", "'")
