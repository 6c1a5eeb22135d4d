"""Referrals (orientations): who was oriented where, after which diagnostic, by whom.

Created with the booking, in its transaction (`bot.booking.book`); they follow the booking when
it moves or is cancelled. Only the pseudonymous key identifies the person.
"""
from bot.referrals.core import (REFERRAL_STATUS_LABELS, ReferralRecord, ReferralStatus,
                                referrals_of)

__all__ = ["REFERRAL_STATUS_LABELS", "ReferralRecord", "ReferralStatus", "referrals_of"]
