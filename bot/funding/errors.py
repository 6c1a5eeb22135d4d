"""Why a referral cannot be marked, two persons merged or a year validated.

Each error has an English `str()` for logs and the command line, and `.message_fr`, a plain
French sentence the back-office can show as it is.
"""
from __future__ import annotations

from bot.funding.rules import UnknownFundingYear


class FundingError(Exception):
    """Any refusal of the funding ledger."""

    default_fr = "L'opération n'est pas possible."

    def __init__(self, message: str, message_fr: str | None = None):
        super().__init__(message)
        self.message = message
        self.message_fr = message_fr or self.default_fr


class ReferralNotFound(FundingError):
    """No referral with that id."""

    default_fr = "Cette orientation n'existe pas."


class NotAllowed(FundingError):
    """This actor may not do this: another structure's referral, or a role that may not."""

    default_fr = "Vous n'avez pas le droit de faire cette opération."


class InvalidTransition(FundingError):
    """The referral's status cannot change that way (a cancelled referral is final)."""

    default_fr = "Ce changement de statut n'est pas possible."


class InvalidAccompanimentDate(FundingError):
    """The date of the accompaniment is in the future, before the referral, or of a year that has
    no funding rule."""

    default_fr = "La date de l'accompagnement n'est pas valable."


class YearValidated(FundingError):
    """The year's figures were validated: a structure can no longer change them, and a year is
    validated only once."""

    default_fr = "Le bilan de cette année est déjà validé."


class InvalidMerge(FundingError):
    """Two person keys that cannot be merged: the same, unknown, already merged, or a cycle."""

    default_fr = "Ces deux personnes ne peuvent pas être fusionnées."


class UnknownYear(FundingError, UnknownFundingYear):
    """No funding rule is written for that year (also an UnknownFundingYear)."""

    default_fr = "Aucune règle de financement n'est écrite pour cette année."
