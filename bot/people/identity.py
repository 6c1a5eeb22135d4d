"""From what an operator types (a phone number, a Telegram chat id) to the person's pseudonym
and the ids of their Rasa conversations.

Conversation ids are namespaced by channel (`sms:+33612345678`, `tg:123456`, `web:<random>`,
`rest:<id>`); conversations started before that change carry the bare id (`+33612345678`,
`123456`). Both are looked up, so that access and erasure reach old and new conversations.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.pseudonyms import (CONVERSATION_PREFIXES, channel_identity, conversation_id,
                                   person_key, split_conversation_id)

# What operators type after --channel -> the Rasa channel whose identity makes the pseudonym.
CLI_CHANNELS = {"sms": "twilio_sms", "telegram": "telegram", "web": "socketio"}


class IdentityError(ValueError):
    """What was typed names no one (an impossible phone number, an empty id...)."""


@dataclass(frozen=True)
class PersonRef:
    channel: str  # the Rasa channel: "twilio_sms", "telegram", "socketio"
    raw_id: str  # E.164 phone, chat id, web session id
    key: str  # the pseudonym (bot.pseudonyms.person_key)
    conversation_ids: tuple[str, ...]  # namespaced first, then the bare old id


def normalise_phone(text: str, region: str = "FR") -> str:
    """A phone number as typed ("06 12 34 56 78", "+33 6 12...") in E.164 ("+33612345678")."""
    import phonenumbers

    typed = str(text or "").strip()
    try:
        number = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException:
        raise IdentityError(f"{typed!r} is not a phone number (for example 06 12 34 56 78 or "
                            f"+33612345678)") from None
    if not phonenumbers.is_valid_number(number):
        raise IdentityError(f"{typed!r} is not a valid phone number (for example 06 12 34 56 78 "
                            f"or +33612345678)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def conversation_ids(channel: str, raw_id: str) -> tuple[str, ...]:
    """The ids a conversation of this person may have in the tracker: namespaced, then bare."""
    raw_id = str(raw_id).strip()
    if channel not in CONVERSATION_PREFIXES:
        return (raw_id,)
    return (conversation_id(channel, raw_id), raw_id)


def sibling_conversation_ids(conversation: str) -> tuple[str, ...]:
    """Every id the same person's conversation may have: `sms:+336...` -> (`sms:+336...`,
    `+336...`). A bare id does not say its channel: it is returned alone."""
    channel, raw_id = split_conversation_id(conversation)
    if channel not in CONVERSATION_PREFIXES:
        return (str(conversation),)
    return conversation_ids(channel, raw_id)


def person_ref(typed: str, channel: str | None = None) -> PersonRef:
    """The person an operator names: `channel` is "sms", "telegram" or "web"; without it a
    number starting with "+" or "0" is a phone, other digits a Telegram chat id."""
    typed = str(typed or "").strip()
    if not typed:
        raise IdentityError("give a phone number or a chat id")
    if channel is None:
        compact = typed.replace(" ", "").replace(".", "").replace("-", "")
        if compact.startswith(("+", "0")) or compact.startswith("sms:"):
            channel = "sms"
        elif compact.lstrip("-").isdigit() or compact.startswith("tg:"):
            channel = "telegram"
        else:
            raise IdentityError(f"{typed!r} is neither a phone number nor a Telegram chat id: "
                                f"say which with --channel sms|telegram|web")
    if channel not in CLI_CHANNELS:
        raise IdentityError(f"unknown channel {channel!r} (sms, telegram or web)")
    rasa_channel = CLI_CHANNELS[channel]
    found_channel, raw_id = split_conversation_id(typed)
    if found_channel == "unknown":
        raw_id = typed
    elif found_channel != rasa_channel:
        raise IdentityError(f"{typed!r} is a {found_channel} conversation id, not {channel}")
    if rasa_channel == "twilio_sms":
        raw_id = normalise_phone(raw_id)
    elif rasa_channel == "telegram":
        if not raw_id.lstrip("-").isdigit():
            raise IdentityError(f"{typed!r} is not a Telegram chat id (digits, for example "
                                f"123456789)")
    return PersonRef(channel=rasa_channel, raw_id=raw_id,
                     key=person_key(channel_identity(rasa_channel, raw_id)),
                     conversation_ids=conversation_ids(rasa_channel, raw_id))
