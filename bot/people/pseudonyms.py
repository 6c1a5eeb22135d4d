"""Keyed pseudonyms: the only way a person is known in stored data."""
from __future__ import annotations

import hashlib
import hmac

from bot.config import secret_key

# Channels whose sender id is a phone number: the same person whatever the channel that
# brought the number (an SMS, a prescripteur typing it).
PHONE_CHANNELS = {"twilio_sms", "sms"}


def channel_identity(channel: str | None, sender_id: str) -> str:
    """The identity to hash: the phone number for SMS, `channel:sender` otherwise."""
    channel = (channel or "unknown").strip().lower()
    sender_id = str(sender_id).strip()
    if channel in PHONE_CHANNELS:
        return f"tel:{sender_id}"
    return f"{channel}:{sender_id}"


def person_key(identity: str, key: bytes | None = None) -> str:
    """HMAC-SHA256 of the identity, keyed by NPT_SECRET_KEY, as 64 hex characters."""
    if not identity:
        raise ValueError("an empty identity has no pseudonym")
    return hmac.new(key or secret_key(), identity.encode("utf-8"), hashlib.sha256).hexdigest()
