"""The referral statuses the funding speaks of, and their French labels.

A referral goes booked -> accompanied | absent | cancelled (bot.referrals.core holds the
statuses; bot.funding.marking the rules of who may change them).
"""
from __future__ import annotations

from bot.referrals.core import REFERRAL_STATUS_LABELS, ReferralStatus

BOOKED = ReferralStatus.BOOKED.value
ACCOMPANIED = ReferralStatus.ACCOMPANIED.value
ABSENT = ReferralStatus.ABSENT.value
CANCELLED = ReferralStatus.CANCELLED.value


def status_label(status: str | None) -> str:
    """The French label of a referral status (the status itself when unknown)."""
    try:
        return REFERRAL_STATUS_LABELS[ReferralStatus(status)]
    except ValueError:
        return str(status)
