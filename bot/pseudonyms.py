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


# Conversation ids are namespaced by the channel that proved who is talking: a Twilio-signed
# SMS (`sms:+33612345678`), a Telegram update carrying the secret token (`tg:123456789`), a
# web chat session issued by our server (`web:<random>`), the local REST channel
# (`rest:<id>`). No channel can name another's conversation, and the person behind a
# conversation is derived from its id alone, never from a channel name a client sent.
CONVERSATION_PREFIXES = {"twilio_sms": "sms", "telegram": "tg", "socketio": "web", "rest": "rest"}
_CHANNEL_OF_PREFIX = {prefix: channel for channel, prefix in CONVERSATION_PREFIXES.items()}


def conversation_id(channel: str, raw_id: str) -> str:
    """The conversation id of `raw_id` (a phone number, a chat id...) on `channel`."""
    return f"{CONVERSATION_PREFIXES[channel]}:{raw_id}"


def split_conversation_id(conversation: str) -> tuple[str, str]:
    """(channel, raw id) of a namespaced conversation id; ("unknown", id) for any other id."""
    prefix, sep, raw = str(conversation).partition(":")
    channel = _CHANNEL_OF_PREFIX.get(prefix) if sep else None
    if channel is None or not raw:
        return "unknown", str(conversation)
    return channel, raw


def conversation_identity(conversation: str) -> str:
    """The identity behind a conversation id: `tel:+33...` for SMS, `telegram:<chat>`,
    `socketio:<session>`, `rest:<id>`; `unknown:<id>` for an id no channel of ours made."""
    channel, raw = split_conversation_id(conversation)
    return channel_identity(channel, raw)


def key_of_chat(channel: str, chat_id: str) -> str:
    """The pseudonym of the person of a chat, whether its id is namespaced (`tg:123`) or not."""
    found, raw_id = split_conversation_id(chat_id)
    return person_key(channel_identity(channel, raw_id if found == channel else str(chat_id)))
