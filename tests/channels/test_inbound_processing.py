"""Inbound messages are never lost nor processed twice (issue 9, part 6): Telegram updates are
stored before they are acknowledged, like SMS; whoever processes a stored message claims it
first; a message whose processing raises is tried again, then kept as failed with its error.

These drive the channels' own processing code (connectors/telegram.py, twilio_sms.py) with a
real SQLite database and an `on_new_message` standing in for Rasa's agent, which the tests
make fail on purpose."""
from __future__ import annotations

import asyncio
import json
import threading

import pytest
from sqlalchemy import select

from bot.db.models import ChannelUpdate, SmsMessage
from bot.db.session import session_scope
from bot.channels import sms_store, telegram_store
from tests.support.fake_telegram import BOT_TOKEN, message_update


@pytest.fixture
def quick_retries(database, monkeypatch):
    monkeypatch.setenv("NPT_INBOUND_RETRY_SECONDS", "0.01,0.01")
    return database


class Rasa:
    """Stands in for Rasa's message handler: records what it got, fails `failures` times."""

    def __init__(self, failures: int = 0):
        self.failures, self.received = failures, []

    async def __call__(self, message) -> None:
        self.received.append((message.sender_id, message.text))
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the tracker store is down")


def telegram_input():
    from connectors.telegram import TelegramInput, TelegramSettings

    channel = TelegramInput(TelegramSettings(BOT_TOKEN, "secret", "http://127.0.0.1:9", ""))
    channel.bot = channel.settings.make_bot()  # never called: Rasa's stand-in sends nothing
    return channel


def store_update(chat: int, text: str) -> tuple[int, object]:
    from telegram import Update

    from connectors.telegram import key_of

    data = message_update(chat, text)
    row_id = telegram_store.record_update(str(data["update_id"]), json.dumps(data),
                                          key_of(str(chat)))
    return row_id, Update.de_json(data, None)


def update_row(row_id: int) -> ChannelUpdate:
    with session_scope() as session:
        row = session.get(ChannelUpdate, row_id)
        session.expunge(row)
        return row


# --------------------------------------------------------------------------- Telegram


def test_an_update_is_stored_once_and_its_text_dropped_once_processed(quick_retries):
    row_id, update = store_update(700100, "bonjour")
    assert telegram_store.record_update(str(update.update_id), "{}", None) is None  # again
    assert update_row(row_id).status == "received" and "bonjour" in update_row(row_id).payload

    rasa = Rasa()
    asyncio.run(telegram_input()._process(row_id, update, rasa))

    assert rasa.received == [("tg:700100", "bonjour")]
    row = update_row(row_id)
    assert (row.status, row.attempts, row.payload) == ("processed", 1, None)


def test_an_update_whose_processing_raises_is_tried_again(quick_retries):
    row_id, update = store_update(700101, "bonjour")
    rasa = Rasa(failures=1)

    asyncio.run(telegram_input()._process(row_id, update, rasa))

    assert len(rasa.received) == 2
    row = update_row(row_id)
    assert (row.status, row.attempts) == ("processed", 2)


def test_an_update_that_keeps_failing_is_kept_as_failed_with_its_error(quick_retries, caplog):
    row_id, update = store_update(700102, "bonjour")
    rasa = Rasa(failures=10)

    asyncio.run(telegram_input()._process(row_id, update, rasa))

    assert len(rasa.received) == 3  # first attempt and two more
    row = update_row(row_id)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "tracker store is down" in row.last_error
    assert telegram_store.counts()["failed"] == 1
    assert any("not processed after 3 attempts" in r.getMessage() for r in caplog.records)


def test_updates_left_by_a_stopped_server_are_processed_once_by_two_recovering_servers(
        quick_retries):
    first, _ = store_update(700103, "bonjour")
    second, _ = store_update(700104, "oui")
    rasa = Rasa()

    async def two_servers_start():
        one, two = telegram_input(), telegram_input()
        await asyncio.gather(one._recover(rasa), two._recover(rasa))
        await asyncio.gather(*one.background._tasks, *two.background._tasks)

    asyncio.run(two_servers_start())

    assert sorted(rasa.received) == [("tg:700103", "bonjour"), ("tg:700104", "oui")]
    assert {update_row(first).status, update_row(second).status} == {"processed"}


def test_an_update_being_processed_elsewhere_is_not_taken_until_it_is_stale(quick_retries):
    row_id, update = store_update(700105, "bonjour")
    assert telegram_store.claim(row_id) == 1  # another process is on it
    rasa = Rasa()

    asyncio.run(telegram_input()._process(row_id, update, rasa, stale_after=120))
    assert rasa.received == [] and update_row(row_id).status == "processing"

    asyncio.run(telegram_input()._process(row_id, update, rasa, stale_after=0))  # it died
    assert rasa.received == [("tg:700105", "bonjour")]
    assert update_row(row_id).status == "processed"


def test_claims_race_and_exactly_one_wins(quick_retries):
    row_id, _ = store_update(700106, "bonjour")
    results, start = [], threading.Barrier(8)

    def claim():
        start.wait()
        results.append(telegram_store.claim(row_id))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [1] + [None] * 7


def test_supprimer_blanks_the_stored_updates_of_the_person(quick_retries):
    from bot.people.privacy import erase_person
    from connectors.telegram import key_of

    row_id, _ = store_update(700107, "je m'appelle Awa")
    erase_person(key_of("700107"))
    row = update_row(row_id)
    assert row.payload is None and row.person_key is None


# --------------------------------------------------------------------------- SMS


def sms_input():
    from connectors.twilio_sms import SmsSettings, TwilioSmsInput

    return TwilioSmsInput(SmsSettings("AC" + "0" * 32, "token", "+33700000000",
                                      "http://127.0.0.1:9", "", (0.01,), (0.01, 0.01)))


def sms_row(message_id: int) -> SmsMessage:
    with session_scope() as session:
        row = session.get(SmsMessage, message_id)
        session.expunge(row)
        return row


def test_an_sms_whose_processing_raises_is_tried_again_then_kept_as_failed(quick_retries):
    from connectors.twilio_sms import key_of

    phone, other = "+33612345001", "+33612345002"
    once = sms_store.record_inbound("SM-retry-1", phone, key_of(phone), "bonjour")
    always = sms_store.record_inbound("SM-retry-2", other, key_of(other), "oui")
    channel = sms_input()

    asyncio.run(channel._process(once, phone, "bonjour", Rasa(failures=1)))
    asyncio.run(channel._process(always, other, "oui", Rasa(failures=10)))

    assert (sms_row(once).status, sms_row(once).attempts) == ("processed", 2)
    failed = sms_row(always)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert "tracker store is down" in failed.last_error


def test_sms_recovered_by_two_processes_at_once_are_processed_once(quick_retries):
    from connectors.twilio_sms import key_of

    phones = [f"+3361234510{n}" for n in range(5)]
    ids = [sms_store.record_inbound(f"SM-recover-{n}", phone, key_of(phone), f"message {n}")
           for n, phone in enumerate(phones)]
    rasa = Rasa()

    async def two_servers_start():
        one, two = sms_input(), sms_input()
        await asyncio.gather(one._recover(rasa, 0), two._recover(rasa, 0))
        await asyncio.gather(*one.background._tasks, *two.background._tasks)

    asyncio.run(two_servers_start())

    assert sorted(rasa.received) == sorted((f"sms:{p}", f"message {n}")
                                           for n, p in enumerate(phones))
    assert {sms_row(i).status for i in ids} == {"processed"}
    with session_scope() as session:
        attempts = session.execute(select(SmsMessage.attempts)
                                   .where(SmsMessage.id.in_(ids))).scalars().all()
    assert attempts == [1] * 5


def test_a_numbers_messages_are_processed_in_the_order_they_came(quick_retries):
    """The later SMS is handed over first: it waits for the earlier one, which is processed
    first and then takes the later one along."""
    from connectors.twilio_sms import key_of

    phone = "+33612345301"
    first = sms_store.record_inbound("SM-order-1", phone, key_of(phone), "bonjour")
    second = sms_store.record_inbound("SM-order-2", phone, key_of(phone), "oui")
    rasa, channel = Rasa(), sms_input()

    asyncio.run(channel._process(second, phone, "oui", rasa))
    assert rasa.received == [] and sms_row(second).status == "received"
    asyncio.run(channel._process(first, phone, "bonjour", rasa))
    assert rasa.received == [(f"sms:{phone}", "bonjour"), (f"sms:{phone}", "oui")]
    assert {sms_row(first).status, sms_row(second).status} == {"processed"}


def test_a_burst_from_one_number_on_two_servers_is_processed_once_in_order(quick_retries):
    from connectors.twilio_sms import key_of

    phone = "+33612345401"
    texts = [f"message {n}" for n in range(6)]
    ids = [sms_store.record_inbound(f"SM-burst-{n}", phone, key_of(phone), text)
           for n, text in enumerate(texts)]
    rasa = Rasa()

    async def two_servers():
        one, two = sms_input(), sms_input()
        handed = [(one if n % 2 else two)._process(i, phone, t, rasa)
                  for n, (i, t) in enumerate(zip(ids, texts))]
        await asyncio.gather(*reversed(handed))

    asyncio.run(two_servers())
    assert [text for _, text in rasa.received] == texts
    assert {sms_row(i).status for i in ids} == {"processed"}


def test_an_sms_already_in_the_conversation_is_not_processed_again(quick_retries, tmp_path):
    """A server stopped after the turn was saved and before the SMS was marked processed: the
    SMS taken up again is marked processed without a second turn."""
    from pathlib import Path
    from types import SimpleNamespace

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from connectors.tracker_store import ErasingSQLTrackerStore
    from connectors.twilio_sms import key_of

    phone = "+33612345501"
    said = sms_store.record_inbound("SM-said-1", phone, key_of(phone), "bonjour")
    assert sms_store.claim_inbound(said) == 1  # the server that then stopped
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    store = ErasingSQLTrackerStore(domain=domain, url=f"sqlite:///{tmp_path / 'tracker.db'}")
    asyncio.run(store.save(DialogueStateTracker.from_events(f"sms:{phone}", [
        ActionExecuted("action_listen"),
        UserUttered("bonjour", {"name": "greet"}, message_id=f"sms-{said}")],
        slots=domain.slots)))
    channel, rasa = sms_input(), Rasa()
    channel.agent = SimpleNamespace(tracker_store=store)

    asyncio.run(channel._process(said, phone, "bonjour", rasa, stale_after=0))
    assert rasa.received == [] and sms_row(said).status == "processed"
    # A message the conversation does not hold yet is processed as usual.
    other = sms_store.record_inbound("SM-said-2", phone, key_of(phone), "oui")
    assert sms_store.claim_inbound(other) == 1
    asyncio.run(channel._process(other, phone, "oui", rasa, stale_after=0))
    assert rasa.received == [(f"sms:{phone}", "oui")]


def test_a_burst_waits_for_its_turns_and_no_message_is_taken_twice(quick_retries):
    """Twelve numbers write at once to a process that runs three turns at a time: never more
    than three reach Rasa together, every message is processed once, and the recovery round
    leaves alone the ones waiting here."""
    from connectors.twilio_sms import SmsSettings, TwilioSmsInput, key_of

    phones = [f"+336123456{n:02d}" for n in range(12)]
    ids = [sms_store.record_inbound(f"SM-wait-{n}", phone, key_of(phone), "bonjour")
           for n, phone in enumerate(phones)]
    channel = TwilioSmsInput(SmsSettings("AC" + "0" * 32, "token", "+33700000000",
                                         "http://127.0.0.1:9", "", (0.01,), (0.01, 0.01), 3))
    busy, most, received = 0, 0, []

    async def rasa(message) -> None:
        nonlocal busy, most
        busy += 1
        most = max(most, busy)
        await asyncio.sleep(0.05)
        received.append(message.sender_id)
        busy -= 1

    async def burst():
        waiting = [asyncio.create_task(channel._process(i, p, "bonjour", rasa))
                   for i, p in zip(ids, phones)]
        await asyncio.sleep(0.01)
        assert len(channel.queued) == 12
        await channel._recover(rasa, 0)  # every one is waiting here: none started again
        assert not channel.background._tasks
        await asyncio.gather(*waiting)

    asyncio.run(burst())
    assert most == 3
    assert sorted(received) == sorted(f"sms:{p}" for p in phones)
    assert {sms_row(i).status for i in ids} == {"processed"} and not channel.queued


def test_npt_inbound_tells_the_operator_what_could_not_be_processed(quick_retries, capsys):
    from bot.cli import main
    from connectors.twilio_sms import key_of

    phone, other = "+33612345201", "+33612345202"
    done = sms_store.record_inbound("SM-count-1", phone, key_of(phone), "bonjour")
    stuck = sms_store.record_inbound("SM-count-2", other, key_of(other), "oui")
    asyncio.run(sms_input()._process(done, phone, "bonjour", Rasa()))
    asyncio.run(sms_input()._process(stuck, other, "oui", Rasa(failures=10)))
    row_id, update = store_update(700200, "bonjour")

    assert main(["inbound"]) == 1
    out, err = capsys.readouterr()
    assert "sms\tfailed 1, processed 1" in out
    assert "telegram\treceived 1" in out
    assert "1 message(s) could not be processed" in err


def test_a_failure_to_record_a_sent_sms_does_not_drop_the_rest_of_the_turn(quick_retries,
                                                                           monkeypatch):
    """The database refuses to record the first SMS's outcome: both SMS of the turn still go
    out (through the real twilio client, to a fake Twilio API on loopback)."""
    from sqlalchemy.exc import OperationalError

    import connectors.twilio_sms as twilio_sms
    from connectors.twilio_sms import SmsSender, SmsSettings, TwilioSmsOutput
    from scripts.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio

    twilio = FakeTwilio().start()
    try:
        settings = SmsSettings(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER,
                               twilio.env()["TWILIO_API_BASE_URL"], "", (0.01,))
        failures = iter([OperationalError("UPDATE sms_messages", {}, Exception("locked"))])
        raised = []
        real_mark_sent = sms_store.mark_sent

        def mark_sent(*args, **kwargs):
            error = next(failures, None)
            if error is not None:
                raised.append(error)
                raise error
            return real_mark_sent(*args, **kwargs)

        monkeypatch.setattr(twilio_sms, "mark_sent", mark_sent)  # what the channel calls
        phone = "+33612345301"
        output = TwilioSmsOutput(SmsSender(settings), in_turn=True)

        async def turn():
            await output.send_response(f"sms:{phone}", {"text": "Première réponse"})
            await output.send_response(f"sms:{phone}", {"text": "Deuxième réponse"})

        asyncio.run(turn())
        assert [m["body"] for m in twilio.wait_for(phone, 2, timeout=10)] == [
            "Première réponse", "Deuxième réponse"]
        assert len(raised) == 1  # the database did fail once, and the turn went on
    finally:
        twilio.stop()


def fake_twilio_input(twilio):
    from connectors.twilio_sms import SmsSettings, TwilioSmsInput
    from scripts.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER

    return TwilioSmsInput(SmsSettings(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER,
                                      twilio.env()["TWILIO_API_BASE_URL"], "", (0.01,),
                                      (0.01, 0.01)))


def test_a_turn_that_fails_before_its_save_has_sent_nothing_and_is_answered_once(
        quick_retries):
    """Rasa answered, then the turn failed before it was saved (a server killed at that point
    does the same): the answer was held, so the SMS processed again is answered once."""
    from connectors.twilio_sms import key_of
    from scripts.fake_twilio import FakeTwilio

    twilio = FakeTwilio().start()
    try:
        channel = fake_twilio_input(twilio)
        phone = "+33612345601"
        said = sms_store.record_inbound("SM-held-1", phone, key_of(phone), "bonjour")
        attempts = []

        async def rasa(message) -> None:
            attempts.append(message.text)
            await message.output_channel.send_response(
                message.sender_id, {"text": "Bonjour, je suis l'assistant."})
            if len(attempts) == 1:
                raise RuntimeError("the turn was not saved")

        asyncio.run(channel._process(said, phone, "bonjour", rasa))
        assert attempts == ["bonjour", "bonjour"]
        assert [sms["body"] for sms in twilio.to(phone)] == ["Bonjour, je suis l'assistant."]
        assert sms_row(said).status == "processed"
    finally:
        twilio.stop()


def test_a_saved_turn_taken_up_again_sends_only_its_answers_not_sent_yet(quick_retries,
                                                                          tmp_path):
    """A server stopped after Rasa saved the turn, after sending its first answer and while
    sending the second (stored, not confirmed by Twilio): the server that takes the SMS up
    again does not run the turn again and sends the second answer only, from the
    conversation."""
    from pathlib import Path
    from types import SimpleNamespace

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from connectors.tracker_store import ErasingSQLTrackerStore
    from connectors.twilio_sms import key_of
    from scripts.fake_twilio import FakeTwilio

    phone = "+33612345602"
    earlier = sms_store.record_inbound("SM-saved-0", phone, key_of(phone), "salut")
    sms_store.set_status(earlier, "processed")
    said = sms_store.record_inbound("SM-saved-1", phone, key_of(phone), "bonjour")
    assert sms_store.claim_inbound(said) == 1  # the server that then stopped
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    store = ErasingSQLTrackerStore(domain=domain, url=f"sqlite:///{tmp_path / 'tracker.db'}")
    buttons = [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}]
    asyncio.run(store.save(DialogueStateTracker.from_events(f"sms:{phone}", [
        ActionExecuted("action_listen"),
        UserUttered("salut", {"name": "greet"}, message_id=f"sms-{earlier}"),
        BotUttered("Bonjour, je suis l'assistant."),
        ActionExecuted("action_listen"),
        UserUttered("bonjour", {"name": "greet"}, message_id=f"sms-{said}"),
        BotUttered("Bonjour, je suis l'assistant."),
        BotUttered("Avez-vous un ordinateur ?", {"buttons": buttons}),
        ActionExecuted("action_listen")], slots=domain.slots)))
    # The stopped server had sent the turn's first answer (Twilio confirmed it), and stored
    # the second when it stopped.
    sent = sms_store.record_outbound_for_key(key_of(phone), "Bonjour, je suis l'assistant.",
                                             None, "GSM-7", 1)
    sms_store.mark_sent(sent, "SM" + "1" * 32, "queued", 1)
    from connectors.twilio_sms import SmsSender
    second, _ = SmsSender.rendered("Avez-vous un ordinateur ?", buttons)
    sms_store.record_outbound_for_key(key_of(phone), second, buttons, "GSM-7", 1)
    twilio = FakeTwilio().start()
    try:
        channel, rasa = fake_twilio_input(twilio), Rasa()
        channel.agent = SimpleNamespace(tracker_store=store)
        asyncio.run(channel._process(said, phone, "bonjour", rasa, stale_after=0))
        assert rasa.received == []  # the turn is not run again
        sent = [sms["body"] for sms in twilio.to(phone)]
        assert len(sent) == 1 and sent[0].startswith("Avez-vous un ordinateur ?")
        assert "1" in sent[0] and "Oui" in sent[0] and "Non" in sent[0]
        assert sms_row(said).status == "processed"
        # The choices of that last answer are the ones the person's "1" is read against.
        assert sms_store.last_choices_for_key(key_of(phone)) == buttons
    finally:
        twilio.stop()


def fake_telegram_input(fake):
    from connectors.telegram import TelegramInput, TelegramSettings

    return TelegramInput(TelegramSettings(BOT_TOKEN, "secret", fake.url, ""))


def test_a_telegram_turn_that_fails_before_its_save_has_sent_nothing_and_is_answered_once(
        quick_retries):
    """Rasa answered, then the turn failed before it was saved: the answer was held, so the
    update processed again is answered once."""
    from tests.support.fake_telegram import FakeTelegram

    fake = FakeTelegram().start()
    try:
        row_id, update = store_update(700301, "bonjour")
        channel = fake_telegram_input(fake)
        attempts = []

        async def rasa(message) -> None:
            attempts.append((message.text, message.message_id))
            await message.output_channel.send_response(
                message.sender_id, {"text": "Bonjour, je suis l'assistant."})
            if len(attempts) == 1:
                raise RuntimeError("the turn was not saved")

        async def process():
            channel.bot = channel.settings.make_bot()
            await channel._process(row_id, update, rasa)

        asyncio.run(process())
        assert attempts == [("bonjour", f"tg-{row_id}")] * 2
        assert [sent["text"] for sent in fake.sent_to(700301)] == ["Bonjour, je suis l'assistant."]
        assert update_row(row_id).status == "processed"
    finally:
        fake.stop()


def test_a_saved_telegram_turn_taken_up_again_is_not_run_again(quick_retries, tmp_path):
    """A server stopped after Rasa saved the turn: the update taken up again gets that turn's
    answers from the conversation, without a second turn."""
    from pathlib import Path
    from types import SimpleNamespace

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from connectors.tracker_store import ErasingSQLTrackerStore
    from tests.support.fake_telegram import FakeTelegram

    row_id, update = store_update(700302, "bonjour")
    assert telegram_store.claim(row_id) == 1  # the server that then stopped
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    store = ErasingSQLTrackerStore(domain=domain, url=f"sqlite:///{tmp_path / 'tracker.db'}")
    buttons = [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}]
    asyncio.run(store.save(DialogueStateTracker.from_events("tg:700302", [
        ActionExecuted("action_listen"),
        UserUttered("bonjour", {"name": "greet"}, message_id=f"tg-{row_id}"),
        BotUttered("Bonjour, je suis l'assistant."),
        BotUttered("Avez-vous un ordinateur ?", {"buttons": buttons}),
        ActionExecuted("action_listen")], slots=domain.slots)))
    fake = FakeTelegram().start()
    try:
        channel, rasa = fake_telegram_input(fake), Rasa()
        channel.agent = SimpleNamespace(tracker_store=store)

        async def process():
            channel.bot = channel.settings.make_bot()
            await channel._process(row_id, update, rasa, stale_after=0)

        asyncio.run(process())
        assert rasa.received == []  # the turn is not run again
        sent = fake.sent_to(700302)
        assert [message["text"] for message in sent] == ["Bonjour, je suis l'assistant.",
                                                         "Avez-vous un ordinateur ?"]
        assert "Oui" in json.dumps(sent[1]["reply_markup"], ensure_ascii=False)
        assert update_row(row_id).status == "processed"
    finally:
        fake.stop()
