"""Persons: pseudonyms, consent, opt-out (STOP) and erasure (SUPPRIMER)."""
from bot.people.privacy import erase_person, is_opted_out, record_consent, record_opt_out
from bot.people.pseudonyms import channel_identity, person_key

__all__ = ["channel_identity", "erase_person", "is_opted_out", "person_key", "record_consent",
           "record_opt_out"]
