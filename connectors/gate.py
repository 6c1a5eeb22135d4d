"""What every channel does with a person's message before Rasa sees it.

1. STOP and START (bot.people.opt_words) are read before anything else; while a person is
   opted out, nothing they send reaches the conversation and nothing is answered.
2. A message is a message: text that looks like a Rasa intent (`/EXTERNAL_reminder{...}`) is
   read as words unless it is exactly the payload of a button this conversation was offered
   last (ENGINEERING.md trap 14): for the web chat and REST, the buttons of the assistant's
   last message with buttons in the conversation itself; Telegram and SMS keep theirs. Only
   our connectors and the scheduler (Rasa's HTTP API, with its token) ever start an intent.
3. START after a conversation was interrupted by STOP says the last question again, so the
   person goes on where they were.
4. A message that is only an organisation's code (bot.prescripteurs.sessions.typed_code) is
   checked here: a known code opens the prescripteur mode and Rasa gets `/prescripteur_start`
   instead, so no code is ever kept in a conversation's history; an unknown or revoked code, or
   too many tries, is answered here.
5. Every conversation that reaches Rasa counts once a month as started, for the programme's
   funnel (bot/funnel/starts.py); a prescripteur's own conversation does not (each person at
   their counter does, from the conversation).
6. A stored message taken up again after a crash (SMS, Telegram) is not processed twice: its
   turn carries the message's id (`message_id`), and when the conversation already holds it,
   `saved_answers` gives that turn's answers instead, read from the conversation.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Iterable, Optional

from bot import metrics
from bot.messages import text as say
from bot.prescripteurs.organisations import CodeCheck
from bot.funnel.starts import month_of, record_start
from bot.prescripteurs.sessions import active_session, enter, typed_code
from bot.people.privacy import is_opted_out
from bot.people.opt_words import apply_opt_word, opt_word
from connectors.background import patiently

log = logging.getLogger(__name__)

INTENT_PREFIX = "/"
# Payloads anyone may send: the web chat's first message, the same as saying "bonjour".
HARMLESS = {"/greet"}


def as_words(text: str | None, offered_payloads: Iterable[str] = ()) -> str:
    """The text Rasa may read: an offered payload as it is, any other `/...` as plain words."""
    text = text or ""
    stripped = text.strip()
    if not stripped.startswith(INTENT_PREFIX):
        return text
    if stripped in HARMLESS or stripped in set(offered_payloads):
        return stripped
    words = stripped.lstrip(INTENT_PREFIX).strip()
    return words or "aide"


async def readable(agent: Any, conversation: str, text: str | None) -> str:
    """`as_words` for a web chat or REST message: the choices last offered are read from the
    conversation itself (`offered_in_conversation`), and only for a message that starts with
    `/`, the only kind they can let through."""
    text = text or ""
    if not text.strip().startswith(INTENT_PREFIX):
        return text
    return as_words(text, payloads(await offered_in_conversation(agent, conversation)))


async def offered_in_conversation(agent: Any, conversation: str) -> list[dict]:
    """The buttons of the assistant's last message that had buttons in the conversation (its
    latest session, as Rasa reads it); none when it cannot be read."""
    from rasa.shared.core.events import BotUttered

    # Unreadable (the tracker store is down): a typed payload is read as words.
    tracker = await _conversation(agent, conversation, "for its offered choices")
    for event in reversed(tracker.events if tracker is not None else []):
        if isinstance(event, BotUttered) and (event.data or {}).get("buttons"):
            return list(event.data["buttons"])
    return []


async def _conversation(agent: Any, conversation: str, why: str) -> Any:
    """The conversation's tracker as Rasa reads it (its latest session); None when there is
    none or it cannot be read (logged, with `why` it was read)."""
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return None
    try:
        return await store.retrieve(conversation)
    except Exception:
        log.exception("could not read the conversation %s", why)
        return None


async def saved_answers(agent: Any, conversation: str, turn_id: str) -> Optional[list[dict]]:
    """The answers of the turn `turn_id` (a UserMessage's message_id), as Rasa sent them to the
    channel (BotUttered.message()), when the conversation holds that turn; None when it does
    not (the message is then processed). A store that cannot be read raises: the message is
    tried again later rather than processed a second time."""
    from rasa.shared.core.events import BotUttered, UserUttered

    store = getattr(agent, "tracker_store", None)
    if store is None:
        return None
    tracker = await store.retrieve(conversation)
    answers = None
    for event in tracker.events if tracker is not None else []:
        if isinstance(event, UserUttered):
            if answers is not None:
                break
            if event.message_id == turn_id:
                answers = []
        elif isinstance(event, BotUttered) and answers is not None:
            answers.append(event.message())
    return answers


# What Rasa gets when a known organisation code was typed: only our connectors send it.
PRESCRIPTEUR_START = "/prescripteur_start"


async def code_gate(conversation: str, channel: str, text: str | None,
                    confirm: Callable[[str], Awaitable[Any]],
                    throttle_key: str | None = None) -> Optional[str]:
    """An organisation's code, before Rasa. None when the message is not a code (it goes on as
    usual); PRESCRIPTEUR_START when the code opened the prescripteur mode (pass that on instead
    of the message); "" when the answer was given here (unknown or revoked code, too many
    tries). Wrong tries count against `throttle_key` (the conversation by default)."""
    code = typed_code(text)
    if code is None:
        return None
    entry = await patiently(enter, code, conversation, channel, throttle_key)
    if entry.status is CodeCheck.OK:
        log.info("prescripteur mode opened for organisation %s", entry.session.organisation_id)
        return PRESCRIPTEUR_START
    if entry.status is CodeCheck.THROTTLED:
        await confirm(say("prescripteur_code_throttled"))
    else:
        await confirm(say("prescripteur_code_unknown"))
    return ""


# Conversations already counted this month by this process: one database write per
# conversation and month, not one per message. Emptied when the month changes, or when it grows
# too large (then a conversation is only looked up again: the database keeps one row).
_COUNTED: dict[str, set[str]] = {}
MAX_COUNTED = 200_000


def _count_start(conversation: str, channel: str) -> None:
    if active_session(conversation) is None:
        record_start(channel, conversation)


async def count_start(conversation: str, channel: str) -> None:
    """Count the conversation as started this month (once); a failure only loses a count."""
    month = month_of()
    counted = _COUNTED.get(month)
    if counted is not None and conversation in counted:
        return
    try:
        await patiently(_count_start, conversation, channel)
    except Exception:  # the database is down: the conversation goes on, uncounted
        log.exception("could not count a conversation start")
        return
    if counted is None or len(counted) >= MAX_COUNTED:
        _COUNTED.clear()
        counted = _COUNTED[month] = set()
    counted.add(conversation)


def counted(channel: str, on_new_message: Callable[[Any], Awaitable[Any]]
            ) -> Callable[[Any], Awaitable[Any]]:
    """`on_new_message` timed per turn for the metrics (bot/metrics.py); a turn that fails
    counts as an error."""
    async def handle(message: Any) -> Any:
        with metrics.turn(channel):
            return await on_new_message(message)

    return handle


def payloads(buttons: Iterable[dict] | None) -> list[str]:
    return [str(button.get("payload")) for button in buttons or [] if button.get("payload")]


async def last_question(agent: Any, conversation: str) -> Optional[dict]:
    """The assistant's last message of a conversation still in a form, as a response dict
    (text, buttons); None when no form was in progress."""
    from rasa.shared.core.events import BotUttered

    # Unreadable (the tracker store is down): START still works, without the reminder.
    tracker = await _conversation(agent, conversation, "to resume it")
    if tracker is None or not tracker.active_loop_name:
        return None
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered) and (event.text or (event.data or {}).get("buttons")):
            return {"text": event.text or "", "buttons": (event.data or {}).get("buttons") or []}
    return None


async def opt_gate(key: str, text: str, confirm: Callable[[str], Awaitable[Any]],
                   resume: Callable[[], Awaitable[Optional[dict]]] | None = None,
                   said: Callable[[dict], Awaitable[Any]] | None = None,
                   stopped: str = "chat_stopped", started: str = "chat_started",
                   resumed: str = "resumed") -> bool:
    """STOP / START before anything else. True when the message was handled here (an opt word,
    or any message of an opted-out person): it must not reach the conversation.

    `confirm(text)` says a confirmation even to an opted-out person; after START, `resume()`
    gives the question to say again (then `said(question)` says it)."""
    word = opt_word(text)
    if word == "stop":
        if await patiently(apply_opt_word, key, word):
            await confirm(say(stopped))
        return True
    if word == "start":
        await patiently(apply_opt_word, key, word)
        question = await resume() if resume is not None else None
        if question and said is not None:
            await confirm(say(resumed))
            await said(question)
        else:
            await confirm(say(started))
        return True
    if await patiently(is_opted_out, key):
        log.info("message from an opted-out person: not answered (START lets them in again)")
        return True
    return False
