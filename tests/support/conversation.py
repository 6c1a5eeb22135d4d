"""Turns of a conversation with the running assistant through the REST channel: the happy path
of the diagnostic, a message and its replies, the way from the diagnostic to a booking in
Saint-Denis, and the bookings the conversation made."""
from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

from bot.pseudonyms import channel_identity, person_key
from tests.support.databases import rows

HAPPY_PATH = [
    ("bonjour", "On commence ?"),
    ("oui", "Quel appareil avez-vous ?"),
    ("jai juste mon portable", "Avez-vous internet ?"),
    ("2", "avez-vous utilisé internet ?"),
    ("un peu", "cherché une information"),
    ("avec l'aide de ma fille", "envoyé un message"),
    ("oui seul", "rempli un formulaire"),
    ("jamais", "créé un compte"),
    ("non", "démarche en ligne jusqu'au bout"),
    ("3", "Pour quoi voulez-vous de l'aide ?"),
    ("la caf", "aide particulière"),
    ("non", "accompagné(e) gratuitement"),
]


def say(assistant, sender: str, text: str) -> list[dict]:
    request = urllib.request.Request(
        f"{assistant.rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def key_of(assistant, sender: str) -> str:
    return person_key(channel_identity("rest", sender), assistant.secret)


def complete(assistant, sender: str, turns=HAPPY_PATH) -> list[list[dict]]:
    all_replies = []
    for message, expected in turns:
        replies = say(assistant, sender, message)
        assert expected in texts(replies), f"after {message!r}: {texts(replies)!r}"
        all_replies.append(replies)
    return all_replies


def buttons(replies: list[dict]) -> list[dict]:
    return [b for reply in replies for b in reply.get("buttons") or []]


def book_in_saint_denis(assistant, sender: str, first_name: str = "Fatima",
                        when: str | None = None) -> list[dict]:
    """The whole way: diagnostic, where, place, slot (or a wish, then a slot), first name.
    Returns the replies to the first name: the confirmation."""
    complete(assistant, sender, HAPPY_PATH)
    where = say(assistant, sender, "93200")
    shown = texts(where)
    assert "Saint-Denis" in shown and "Quel lieu choisissez-vous ?" in shown, shown
    places = buttons(where)
    assert 1 <= len(places) <= 3
    # The Saint-Denis France Services is a (demo) partner that takes bookings.
    number = next(b["payload"] for b in places if "Saint-Denis" in b["title"])
    slots = say(assistant, sender, number)
    assert "rendez-vous libres" in texts(slots), texts(slots)
    assert buttons(slots), "the free slots come as buttons"
    if when:
        wished = say(assistant, sender, when)
        assert "rendez-vous libres" in texts(wished), texts(wished)
    asked = say(assistant, sender, "1")
    assert "Quel est votre prénom ?" in texts(asked), texts(asked)
    return say(assistant, sender, f"je m'appelle {first_name}")


def active(assistant, sender: str):
    return rows(assistant.db_url, "select id, reference, status, start from bookings "
                "where person_key = ? order by id", key_of(assistant, sender))


def a_weekday_next_week() -> str:
    """"1/12": a Monday to Thursday 5 to 11 days ahead (Saint-Denis takes bookings then, and
    a booking made days ahead gets a reminder the day before)."""
    from datetime import date

    from bot.clock import is_public_holiday
    day = date.today() + timedelta(days=5)
    while day.weekday() > 3 or is_public_holiday(day):
        day += timedelta(days=1)
    return f"{day.day}/{day.month}"
