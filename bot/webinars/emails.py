"""A work email address, checked with `email-validator` (syntax only: no DNS query, so that a
registration does not wait on the network). One home for the rule: the chat, the CLI and the
registrations all read an address here."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from bot.webinars.errors import WebinarError


def checked_email(text: str | None) -> str:
    """The address in its normal form ("Marie.Dupont@Ville-Montreuil.FR" keeps its local part,
    its domain lower-cased); WebinarError for anything that is not one address."""
    text = (text or "").strip()
    # "mon adresse : marie.dupont@montreuil.fr." -> the one word with an "@", without the
    # sentence's punctuation around it.
    words = [word for word in text.split() if "@" in word]
    if len(words) == 1 and len(text) <= 400:
        text = words[0]
    text = text.strip("<>()[]\"'«».,;:!?").strip()
    if not text or len(text) > 254:
        raise WebinarError("an email address is needed", "Cette adresse e-mail n'est pas valide.")
    try:
        found = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise WebinarError(f"{text!r} is not an email address: {error}",
                           "Cette adresse e-mail n'est pas valide. Elle ressemble à "
                           "prenom.nom@ville.fr.") from None
    return found.normalized
