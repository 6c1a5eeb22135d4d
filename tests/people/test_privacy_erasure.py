"""The person's rights: access (`npt privacy export`) and erasure (SUPPRIMER).

After an erasure, no column of any table of either database (ours, Rasa's tracker) holds the
person's phone number, chat id, conversation id or first name, even in error texts, even in the
SMS confirming the erasure. SQLite databases in a temporary folder."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, inspect, select, text, update

from bot.cli import main
from bot.db.models import ChatChoices, Reminder, SmsMessage
from bot.db.session import session_scope
from bot.diagnostic import evaluate
from bot.diagnostic.results import save_result
from bot.channels import channel_store, sms_store
from bot.people.privacy import erase_person, is_opted_out, record_consent, record_opt_out
from bot.pseudonyms import channel_identity, person_key
from bot.people.identity import (IdentityError, normalise_phone, person_ref,
                                 sibling_conversation_ids)
from bot.people.tracker_data import conversation_texts, erase_conversations
from connectors.tracker_store import ErasingSQLTrackerStore
from tests.support.booking import DIAGNOSIS, PARIS_11, PARIS_12, at, book_for, place_pk

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
ANSWERS = {"equipement": 1, "connexion": 2, "usage": 2, "information": 2, "communication": 2,
           "contenu": 1, "securite": 3, "resolution": 3, "besoin": 1, "contrainte": 1}

PHONE = "+33698765432"
PHONE_NEEDLES = ("698765432", "98 76 54 32", "98.76.54.32")  # +33..., 06..., spaced, dotted
CHAT = "5550001234"
SMS_NAME, TG_NAME = "Zéphyrine", "Quirinalia"
BYSTANDER = "+33611223344"
BUTTONS = [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}]
TWILIO_ERROR = (f"TwilioRestException: HTTP 400 error: Unable to create record: The 'To' "
                f"number {PHONE} is not a valid phone number.")


@pytest.fixture
def tracker_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("NPT_TRACKER_DATABASE_URL", url)
    return url


def stamp(day: int, hour: int) -> float:
    return datetime(2026, 12, day, hour, tzinfo=timezone.utc).timestamp()


def turn(said: str, answer: str, when: float) -> list:
    return [ActionExecuted("action_listen", timestamp=when),
            UserUttered(said, {"name": "inform"}, timestamp=when),
            ActionExecuted("utter_ok", timestamp=when), BotUttered(answer, timestamp=when)]


async def converse(store, conversation: str, *turns) -> DialogueStateTracker:
    events = [event for said in turns for event in said]
    tracker = DialogueStateTracker.from_events(conversation, events, slots=DOMAIN.slots)
    await store.save(tracker)
    return tracker


async def say_supprimer(store, tracker: DialogueStateTracker) -> None:
    """The SUPPRIMER turn as the conversation saves it: action_delete_my_data ran (it called
    erase_person) and set the slot; the tracker store erases the whole conversation."""
    for event in [ActionExecuted("action_listen"), UserUttered("SUPPRIMER", {"name": "delete_my_data"}),
                  ActionExecuted("action_delete_my_data"), SlotSet("erase_conversation", True),
                  ActionExecuted("utter_data_deleted"), BotUttered("Vos données sont effacées.")]:
        tracker.update(event)
    await store.save(tracker)


def occurrences(url: str, needle: str) -> list[tuple[str, str]]:
    """(table, column) of every value holding `needle` (case-insensitive), in every table;
    also as JSON writes it ("Z\\u00e9phyrine": Rasa's events are ASCII JSON)."""
    forms = {needle.lower(), json.dumps(needle)[1:-1].lower()}
    engine = create_engine(url)
    found = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            result = connection.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row):
                    if value is not None and any(form in str(value).lower() for form in forms):
                        found.append((table, column))
    return found


@pytest.fixture
async def people(demo, tracker_url):
    """One person by SMS, one by Telegram (who said STOP), and a bystander by SMS, with data
    in every table that can hold some."""
    store = ErasingSQLTrackerStore(domain=DOMAIN, url=tracker_url)
    sms_key = person_key(channel_identity("twilio_sms", PHONE))
    tg_key = person_key(channel_identity("telegram", CHAT))
    other_key = person_key(channel_identity("twilio_sms", BYSTANDER))
    ids = {"sms_key": sms_key, "tg_key": tg_key, "other_key": other_key}

    # The SMS person: consent, diagnostic, booking (first name), SMS in and out.
    record_consent(sms_key)
    diagnostic = save_result(sms_key, "twilio_sms", evaluate(ANSWERS))
    ids["sms_booking"] = book_for(sms_key, place_pk(PARIS_12), at(3, 10), first_name=SMS_NAME,
                                  sender_id=f"sms:{PHONE}", channel="twilio_sms",
                                  diagnosis={**DIAGNOSIS, "diagnostic_id": diagnostic})
    inbound = sms_store.record_inbound("SM0001", PHONE, sms_key,
                                       f"Je suis {SMS_NAME}, mon numéro est 06 98 76 54 32")
    sms_store.set_status(inbound, "failed", f"KeyError: '{PHONE}'")  # an error naming the number
    ids["sms_out"] = sms_store.record_outbound(PHONE, sms_key, f"Merci {SMS_NAME} !", BUTTONS,
                                               "GSM-7", 1)
    sms_store.mark_sent(ids["sms_out"], "SM0002", "queued", 1)
    failed = sms_store.record_outbound(PHONE, sms_key, "Votre rendez-vous", None, "GSM-7", 1)
    sms_store.mark_failed(failed, TWILIO_ERROR, 3)
    with session_scope() as session:  # a reminder whose push failed, naming the conversation
        session.execute(update(Reminder).where(Reminder.booking_id == ids["sms_booking"].id)
                        .values(last_error=f"push to sms:{PHONE} failed"))
        # A row written before outbound rows lost the number (older code stored it).
        session.add(SmsMessage(direction="out", phone=PHONE, person_key=sms_key,
                               body=f"Bonjour {SMS_NAME}", status="sent", attempts=1,
                               last_error=f"retried: 0{PHONE[3:]} busy"))
    sms = await converse(store, f"sms:{PHONE}",
                         turn(f"je m'appelle {SMS_NAME}", f"Merci {SMS_NAME}", stamp(1, 9)),
                         turn(f"mon numéro est {PHONE}", "C'est noté", stamp(1, 10)))

    # The Telegram person: STOP, diagnostic, booking, the choices of their chat.
    record_consent(tg_key)
    record_opt_out(tg_key)
    save_result(tg_key, "telegram", evaluate(ANSWERS))
    ids["tg_booking"] = book_for(tg_key, place_pk(PARIS_11), at(3, 14, 30), first_name=TG_NAME,
                                 sender_id=f"tg:{CHAT}", channel="telegram")
    channel_store.remember_choices("telegram", CHAT, BUTTONS)  # the connector's call today
    channel_store.first_time("telegram", "700001")
    with session_scope() as session:  # a chat's choices stored before migration 0008
        session.add(ChatChoices(channel="telegram", chat_id=f"tg:{CHAT}", buttons=BUTTONS,
                                person_key=None, updated_at=datetime(2026, 11, 1)))
    telegram = await converse(store, f"tg:{CHAT}",
                              turn(f"c'est {TG_NAME}, chat {CHAT}", f"Bonjour {TG_NAME}",
                                   stamp(1, 11)))

    # The bystander, whose data must stay.
    sms_store.record_inbound("SM0100", BYSTANDER, other_key, "Bonjour")
    sms_store.record_outbound(BYSTANDER, other_key, "Bonjour !", None, "GSM-7", 1)
    await converse(store, f"sms:{BYSTANDER}", turn("bonjour", "Bonjour !", stamp(1, 12)))
    ids.update(store=store, sms_tracker=sms, tg_tracker=telegram)
    return ids


async def test_after_erasure_no_table_of_either_database_holds_the_person(people, database,
                                                                          tracker_url):
    # Before: the needles are there (the search itself works).
    assert occurrences(database, PHONE_NEEDLES[0]) and occurrences(tracker_url, SMS_NAME)
    assert occurrences(database, CHAT) and occurrences(database, TG_NAME)

    # SUPPRIMER on each channel, as the conversation does it: the action erases our data
    # (erase_person gets only the pseudonym), then the tracker store erases the conversation.
    sms_erasure = erase_person(people["sms_key"])
    await say_supprimer(people["store"], people["sms_tracker"])
    assert (sms_erasure.diagnostics, sms_erasure.bookings, sms_erasure.sms) == (1, 1, 4)
    assert sms_erasure.person_removed
    # The SMS confirming the erasure is stored as the SMS channel stores it today (with the
    # number as argument): the number is not written back.
    confirmation = sms_store.record_outbound(PHONE, people["sms_key"],
                                             "Vos données sont effacées.", None, "GSM-7", 1)
    sms_store.mark_failed(confirmation, TWILIO_ERROR, 1)  # and even if it fails
    tg_erasure = erase_person(people["tg_key"])
    await say_supprimer(people["store"], people["tg_tracker"])
    assert (tg_erasure.diagnostics, tg_erasure.bookings, tg_erasure.chat_choices) == (1, 1, 2)
    assert not tg_erasure.person_removed and is_opted_out(people["tg_key"])  # STOP stays

    for url in (database, tracker_url):
        for needle in (*PHONE_NEEDLES, CHAT, SMS_NAME, TG_NAME):
            assert occurrences(url, needle) == [], (url, needle)
    # What stays is pseudonymous: the bookings and referrals, the SMS counts, the STOP marker.
    with session_scope() as session:
        kept = session.execute(select(SmsMessage).where(
            SmsMessage.person_key == people["sms_key"])).scalars().all()
        assert [(m.direction, m.status) for m in kept] == [
            ("in", "failed"), ("out", "queued"), ("out", "failed"), ("out", "sent"),
            ("out", "failed")]
    assert [row for row in occurrences(database, people["sms_key"]) if row[0] == "referrals"]
    # The bystander is untouched.
    assert ("sms_messages", "phone") in occurrences(database, BYSTANDER)
    assert occurrences(tracker_url, BYSTANDER)


def test_outbound_sms_are_stored_and_found_by_pseudonym_without_the_number(database):
    key = person_key(channel_identity("twilio_sms", PHONE))
    first = sms_store.record_outbound_for_key(key, "Choisissez", BUTTONS, "GSM-7", 1)
    assert sms_store.last_choices_for_key(key) == BUTTONS
    assert sms_store.last_choices(PHONE) == BUTTONS  # the old call, by number, still works
    second = sms_store.record_outbound(PHONE, key, "Merci", None, "GSM-7", 1)
    assert sms_store.last_choices(PHONE) is None  # the last SMS offered no choice
    assert [m.id for m in sms_store.messages_of(PHONE)] == [first, second]
    assert [m.phone for m in sms_store.messages_for_key(key)] == [None, None]
    with pytest.raises(ValueError):
        sms_store.record_outbound_for_key("", "x", None, "GSM-7", 1)


@pytest.mark.parametrize("error, stored", [
    (TWILIO_ERROR, "TwilioRestException: HTTP 400 error: Unable to create record: The 'To' "
                   "number [numéro masqué] is not a valid phone number."),
    ("Appel vers 06 98 76 54 32 refusé", "Appel vers [numéro masqué] refusé"),
    ("Twilio error 21211 for SM0123456789abcdef0123456789abcdef", None),  # nothing to mask
])
def test_error_texts_are_stored_with_numbers_masked(database, error, stored):
    key = person_key(channel_identity("twilio_sms", PHONE))
    message = sms_store.record_outbound_for_key(key, "x", None, "GSM-7", 1)
    sms_store.mark_failed(message, error, 3)
    [record] = sms_store.messages_for_key(key)
    assert record.last_error == (stored or error)


def test_chat_choices_carry_the_pseudonym_of_their_chat(database):
    key = person_key(channel_identity("telegram", CHAT))
    channel_store.remember_choices("telegram", CHAT, BUTTONS)  # computed from the chat id
    channel_store.remember_choices("telegram", f"tg:{CHAT}", BUTTONS)  # a namespaced id too
    channel_store.remember_choices("telegram", "777", BUTTONS, person_key="given-key")
    with session_scope() as session:
        keys = {row.chat_id: row.person_key
                for row in session.execute(select(ChatChoices)).scalars()}
    assert keys == {CHAT: key, f"tg:{CHAT}": key, "777": "given-key"}
    assert channel_store.offered_choices("telegram", CHAT) == BUTTONS
    assert channel_store.forget_person(key) == 2
    assert channel_store.offered_choices("telegram", "777") == BUTTONS


async def test_a_conversation_is_found_and_erased_by_its_new_and_its_old_id(tracker_url):
    store = ErasingSQLTrackerStore(domain=DOMAIN, url=tracker_url)
    await converse(store, PHONE, turn("ancien", "Ancien", stamp(1, 8)))  # before namespacing
    await converse(store, f"sms:{PHONE}", turn("nouveau", "Nouveau", stamp(2, 8)))
    ids = sibling_conversation_ids(f"sms:{PHONE}")
    assert ids == (f"sms:{PHONE}", PHONE)
    assert sibling_conversation_ids(f"tg:{CHAT}") == (f"tg:{CHAT}", CHAT)
    assert sibling_conversation_ids(CHAT) == (CHAT,)  # a bare id does not say its channel
    texts = conversation_texts(ids)
    assert [e.text for e in texts[PHONE]] == ["ancien", "Ancien"]
    assert [(e.kind, e.text) for e in texts[f"sms:{PHONE}"]] == [("user", "nouveau"),
                                                                 ("bot", "Nouveau")]
    assert erase_conversations(ids) == 8
    assert occurrences(tracker_url, "698765432") == []


# -- access: npt privacy export ----------------------------------------------------------------

def test_a_typed_phone_is_normalised_to_e164_and_a_wrong_one_refused(monkeypatch):
    monkeypatch.setenv("NPT_SECRET_KEY", "test-secret-key")
    assert normalise_phone("06 98 76 54 32") == PHONE
    assert normalise_phone("+33 6 98 76 54 32") == PHONE
    assert normalise_phone("0033698765432") == PHONE
    ref = person_ref("06.98.76.54.32")
    assert ref.channel == "twilio_sms" and ref.conversation_ids == (f"sms:{PHONE}", PHONE)
    assert ref.key == person_key(channel_identity("twilio_sms", PHONE), b"test-secret-key")
    assert person_ref(CHAT).conversation_ids == (f"tg:{CHAT}", CHAT)
    for wrong in ("06 98 76", "12345678901234567", "bonjour"):
        with pytest.raises(IdentityError):
            person_ref(wrong, "sms")


async def test_export_shows_everything_stored_about_the_person(people, tracker_url, capsys):
    # An older conversation under the bare number (before conversation ids were namespaced).
    await converse(people["store"], PHONE, turn("une ancienne question", "Une ancienne réponse",
                                                stamp(1, 7)))
    assert main(["privacy", "export", "06 98 76 54 32"]) == 0
    out = capsys.readouterr().out
    assert SMS_NAME in out  # ensure_ascii=False: "Zéphyrine", not "Z\u00e9phyrine"
    assert out.startswith('{\n  "channel": "twilio_sms"')  # indent 2
    data = json.loads(out)
    assert data["identifier"] == PHONE and data["pseudonym"] == people["sms_key"]
    assert data["person"]["consent_given_at"] and data["person"]["opted_out_at"] is None
    [diagnostic] = data["diagnostics"]
    assert diagnostic["level"] == "eloigne" and diagnostic["answers"] == ANSWERS
    [booking] = data["bookings"]
    assert booking["reference"] == people["sms_booking"].reference
    assert booking["place"] == people["sms_booking"].place_name
    assert booking["start"] == "2026-12-03T10:00:00+01:00"
    assert (booking["status"], booking["first_name"]) == ("booked", SMS_NAME)
    [referral] = data["referrals"]
    assert referral["booking_reference"] == booking["reference"] and referral["status"] == "booked"
    assert [(m["direction"], m["text"]) for m in data["sms_messages"]] == [
        ("received", f"Je suis {SMS_NAME}, mon numéro est 06 98 76 54 32"),
        ("sent", f"Merci {SMS_NAME} !"), ("sent", "Votre rendez-vous"),
        ("sent", f"Bonjour {SMS_NAME}")]
    assert all(m["date"] for m in data["sms_messages"])
    conversations = {c["conversation_id"]: c["messages"] for c in data["conversations"]}
    assert list(conversations) == [f"sms:{PHONE}", PHONE]
    assert [(m["from"], m["text"]) for m in conversations[f"sms:{PHONE}"]][:2] == [
        ("person", f"je m'appelle {SMS_NAME}"), ("assistant", f"Merci {SMS_NAME}")]
    assert conversations[PHONE][0]["text"] == "une ancienne question"
    assert BYSTANDER not in out and TG_NAME not in out  # only this person

    # A Telegram person, by chat id: their chat's choices and conversation.
    assert main(["privacy", "export", CHAT, "--channel", "telegram"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["person"]["opted_out_at"]
    assert data["bookings"][0]["first_name"] == TG_NAME
    assert {c["chat"] for c in data["chat_choices"]} == {CHAT, f"tg:{CHAT}"}
    assert data["chat_choices"][0]["choices"] == ["Oui", "Non"]
    assert [c["conversation_id"] for c in data["conversations"]] == [f"tg:{CHAT}"]
    assert data["sms_messages"] == []


def test_export_of_someone_unknown_is_empty_and_says_so(database, tracker_url, capsys):
    assert main(["privacy", "export", "+33612121212"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["person"] is None and data["bookings"] == [] and data["conversations"] == []
    assert "nothing is stored about this person" in captured.err


@pytest.mark.parametrize("argv, message", [
    (["06 98 76"], "error: '06 98 76' is not a valid phone number"),
    (["+33 6 98 76 54 32 99"], "error: '+33 6 98 76 54 32 99' is not a valid phone number"),
    (["abc", "--channel", "sms"], "error: 'abc' is not a phone number"),
    (["06 98 76 54 32", "--channel", "telegram"], "error: '06 98 76 54 32' is not a Telegram chat id"),
    (["bonjour"], "error: 'bonjour' is neither a phone number nor a Telegram chat id"),
])
def test_export_refuses_a_wrong_number_with_exit_2(database, tracker_url, capsys, argv, message):
    assert main(["privacy", "export", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message) and captured.out == ""


def test_export_refuses_an_unknown_channel(database, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["privacy", "export", CHAT, "--channel", "fax"])
    assert exit_.value.code == 2
    assert "invalid choice: 'fax'" in capsys.readouterr().err
