"""The webinar actions as the action server runs them: the registration form reads each answer
(a wrong email, an unknown commune, a role in words), a full session offers the next one or the
waiting list, the confirmation registers once; cancelling by chat reaches only this
conversation's registrations; a notice is said only in the conversation it is for, and an OUI
takes only this conversation's offer."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from actions.webinar_cancel import AskWebinarCancelPick, ValidateWebinarCancelForm
from actions.webinar_form import (WEBINAR_STATE, ActionWebinarDone, AskWebinarCommune,
                                  AskWebinarConfirm, AskWebinarEmail, AskWebinarName,
                                  AskWebinarPick, AskWebinarRole, AskWebinarWaiting,
                                  ValidateWebinarForm)
from actions.webinar_notices import ActionTakeWebinarOffer, ActionWebinarNotice
from bot.clock import now_paris
from bot.webinars.notices import claim_due
from bot.webinars.registrations import cancel_by_id, register
from bot.webinars.sessions import create_session
from tests.support.form_actions import (DOMAIN, OTHER_SENDER, SENDER, activation, answer,
                                        asking, run, slot_values, texts, tracker, user_event)

WEBINAR, CANCEL = "webinar_form", "webinar_cancel_form"
LINK = "https://visio.example.org/npt"


def new_session(capacity: int, title: str = "Présentation", days: int = 5):
    return create_session(title, now_paris() + timedelta(days=days), 60, capacity, LINK,
                          actor="test")


async def step(state: dict[str, Any], text: str, **kwargs) -> tuple[list, list, dict]:
    events, sent = await run(ValidateWebinarForm(), answer(text, state, WEBINAR, **kwargs))
    return events, sent, {**state, **slot_values(events)}


async def asked(action, state: dict[str, Any]) -> list[dict]:
    _, sent = await run(action(), asking(state, WEBINAR))
    return sent


def test_every_webinar_action_is_in_the_domain():
    names = {a().name() for a in (
        ValidateWebinarForm, AskWebinarPick, AskWebinarWaiting, AskWebinarName, AskWebinarEmail,
        AskWebinarCommune, AskWebinarRole, AskWebinarConfirm, ActionWebinarDone,
        ValidateWebinarCancelForm, AskWebinarCancelPick, ActionWebinarNotice,
        ActionTakeWebinarOffer)}
    assert names <= set(DOMAIN["actions"])
    assert set(WEBINAR_STATE) <= set(DOMAIN["slots"])


async def test_no_session_to_come_ends_at_once_with_a_clear_answer(database):
    events, sent = await run(ValidateWebinarForm(), activation("webinaire", "register_webinar",
                                                               WEBINAR))
    assert "Aucun webinaire n'est prévu" in texts(sent)[0]
    assert slot_values(events)["requested_slot"] is None


async def test_a_whole_registration_with_wrong_answers_asked_again_kindly(database):
    webinar = new_session(capacity=3, title="Présentation aux communes")
    events, _ = await run(ValidateWebinarForm(), activation("webinaire", "register_webinar",
                                                            WEBINAR))
    state = slot_values(events)
    assert state["requested_slot"] == "webinar_pick"
    [question] = await asked(AskWebinarPick, state)
    assert question["buttons"][0]["title"].startswith("Présentation aux communes, ")
    _, _, state = await step(state, "1")
    assert (state["requested_slot"], state["webinar_waiting"]) == ("webinar_name", "no_need")
    _, _, state = await step(state, "Awa Diallo")
    _, _, again = await step(state, "awa.diallo@montreuil")  # no domain ending
    assert again["requested_slot"] == "webinar_email" and again["webinar_retries"] == 1
    [rephrased] = await asked(AskWebinarEmail, again)
    assert "prenom.nom@ville.fr" in rephrased["text"]
    _, _, state = await step(again, "mon mail : Awa.Diallo@Ville-Montreuil.FR.")
    assert state["webinar_email"] == "Awa.Diallo@ville-montreuil.fr"
    _, _, unknown = await step(state, "Lyon")
    assert unknown["requested_slot"] == "webinar_commune"
    [rephrased] = await asked(AskWebinarCommune, unknown)
    assert "Métropole du Grand Paris" in rephrased["text"]
    _, _, state = await step(unknown, "montreul")  # a typo
    assert state["webinar_commune"] == {"insee": "93048", "name": "Montreuil"}
    _, _, state = await step(state, "je suis adjointe au maire")
    assert state["webinar_role"] == "elu"
    [summary] = await asked(AskWebinarConfirm, state)
    assert "Commune : Montreuil" in summary["text"] and "Élu(e)" in summary["text"]
    events, sent, state = await step(state, "oui")
    assert "C'est fait" in texts(sent)[0] and "invitation.ics" in texts(sent)[1]
    assert state["webinar_confirm"] == "registered" and state["requested_slot"] is None
    # The same person again: already done, nothing twice.
    _, sent, _ = await step({**state, "requested_slot": "webinar_confirm"}, "oui")
    assert "déjà inscrit(e)" in texts(sent)[0]
    assert webinar.id


async def test_a_full_session_offers_the_next_with_seats_or_the_waiting_list(database):
    full = new_session(capacity=1, title="Session pleine", days=3)
    new_session(capacity=5, title="Session suivante", days=10)
    register(full.id, "X", "x@bondy.fr", "Bondy", "agent", "rest", "rest:x")
    events, _ = await run(ValidateWebinarForm(), activation("webinaire", "register_webinar",
                                                            WEBINAR))
    state = slot_values(events)
    _, _, state = await step(state, "1")
    assert state["requested_slot"] == "webinar_waiting"
    [question] = await asked(AskWebinarWaiting, state)
    assert "complète" in question["text"]
    assert [b["title"] for b in question["buttons"]][1:] == ["La liste d'attente",
                                                            "Ni l'un ni l'autre"]
    _, _, moved = await step(state, "1")  # the next session, which has seats
    assert moved["webinar_pick"]["title"] == "Session suivante"
    _, _, waiting = await step(state, "la liste d'attente")
    assert (waiting["webinar_waiting"], waiting["requested_slot"]) == ("yes", "webinar_name")
    _, sent, ended = await step(state, "non merci")
    assert "je ne vous inscris pas" in texts(sent)[0] and ended["requested_slot"] is None


async def test_cancelling_by_chat_reaches_only_this_conversations_registrations(database):
    one, two = new_session(5, "Atelier A"), new_session(5, "Atelier B", days=6)
    mine = [register(w.id, "Awa", "awa@bondy.fr", "Bondy", "agent", "rest", SENDER)
            for w in (one, two)]
    register(one.id, "Autre", "autre@bondy.fr", "Bondy", "agent", "rest", OTHER_SENDER)
    events, _ = await run(ValidateWebinarCancelForm(),
                          activation("annuler mon inscription", "cancel_webinar", CANCEL))
    state = slot_values(events)
    assert state["requested_slot"] == "webinar_cancel_pick"
    _, sent = await run(AskWebinarCancelPick(), asking(state, CANCEL))
    assert [b["title"].split(",")[0] for b in sent[0]["buttons"]] == ["Atelier A", "Atelier B"]
    events, sent = await run(ValidateWebinarCancelForm(), answer("2", state, CANCEL))
    assert "C'est annulé" in texts(sent)[0] and "Atelier B" in texts(sent)[0]
    # The other conversation's registration is untouched; a forged id reaches nothing.
    assert not cancel_by_id(mine[0].registration_id, sender_id=OTHER_SENDER)
    events, sent = await run(ValidateWebinarCancelForm(), activation(
        "annuler mon inscription", "cancel_webinar", CANCEL, sender="rest:nobody"))
    assert "aucune inscription" in texts(sent)[0]


async def test_a_notice_is_said_only_in_its_conversation_and_yes_takes_only_its_offer(database):
    webinar = new_session(capacity=1)
    first = register(webinar.id, "X", "x@bondy.fr", "Bondy", "agent", "rest", OTHER_SENDER)
    register(webinar.id, "Awa", "awa@bondy.fr", "Bondy", "agent", "rest", SENDER)
    cancel_by_id(first.registration_id)
    [offer] = claim_due()
    entities = [{"entity": "webinar_notice", "value": str(offer.id)}]
    pushed = {"name": "EXTERNAL_webinar_notice", "confidence": 1.0}

    def notice_for(sender: str):
        return tracker([user_event("", pushed, entities)], {}, "", pushed, entities, sender,
                       form=None)

    events, sent = await run(ActionWebinarNotice(), notice_for(OTHER_SENDER))
    assert sent == [] and events == []  # not this conversation's notice
    events, sent = await run(ActionWebinarNotice(), notice_for(SENDER))
    assert "Une place s'est libérée" in texts(sent)[0]
    assert slot_values(events) == {"webinar_offer_open": True, "booking_outcome": None}
    yes = {"name": "affirm", "confidence": 0.99}
    _, sent = await run(ActionTakeWebinarOffer(), tracker([], {}, "oui", yes, sender=OTHER_SENDER,
                                                          form=None))
    assert "pas de place à vous proposer" in texts(sent)[0]
    _, sent = await run(ActionTakeWebinarOffer(), tracker([], {}, "OUI", yes, sender=SENDER,
                                                          form=None))
    assert "la place est à vous" in texts(sent)[0]
