"""Whole conversations through the running servers (REST channel), checked in the databases."""
from __future__ import annotations

import json
import uuid

import pytest

from tests.support.conversation import HAPPY_PATH, complete, key_of, say, texts
from tests.support.databases import rows

pytestmark = pytest.mark.e2e


def test_a_whole_diagnostic_is_answered_and_stored(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    replies = complete(assistant, sender)
    final = texts(replies[-1])
    assert "pour vos démarches" in final
    # then the booking begins: where does the person live?
    assert "Dans quelle ville habitez-vous ?" in final
    # buttons come with every question, with numbers as payloads
    assert [b["payload"] for b in replies[1][0]["buttons"]] == ["1", "2", "3", "4"]
    stored_key = key_of(assistant, sender)
    [(level, score, version, channel)] = rows(
        assistant.db_url, "select level, score, grid_version, channel from diagnostic_results "
        "where person_key = ?", stored_key)
    assert (level, score, channel) == ("eloigne", 3, "rest")
    assert version
    assert sender not in stored_key
    # the raw sender id is stored nowhere in our own database
    dump = "\n".join(str(r) for t in ("people", "diagnostic_results")
                     for r in rows(assistant.db_url, f"select * from {t}"))
    assert sender not in dump
    [(consent_at,)] = rows(assistant.db_url, "select consent_at from people where person_key = ?",
                           stored_key)
    assert consent_at


def test_no_internet_use_skips_the_five_skill_questions(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    complete(assistant, sender, [
        ("salut", "On commence ?"), ("ok", "Quel appareil"), ("aucun", "Avez-vous internet ?"),
        ("non", "utilisé internet ?"), ("jamais", "Pour quoi voulez-vous de l'aide ?"),
        ("6", "aide particulière"), ("je parle peu francais", "par une personne rien que pour vous"),
    ])
    [(level, services)] = rows(assistant.db_url,
                               "select level, services from diagnostic_results where person_key = ?",
                               key_of(assistant, sender))
    assert level == "exclu"
    assert "Accès internet et matériel informatique" in json.loads(services)


def test_interruptions_are_answered_and_the_question_comes_back(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    complete(assistant, sender, HAPPY_PATH[:3])
    for message, answer in [("vous etes un robot ?", "assistant automatique"),
                            ("c'est gratuit ?", "gratuite pour vous"),
                            ("je veux parler a quelqu'un", "01 70 772 372")]:
        reply = texts(say(assistant, sender, message))
        assert answer in reply and "Avez-vous internet ?" in reply, reply
    assert "avez-vous utilisé internet ?" in texts(say(assistant, sender, "oui chez moi"))


def test_bad_answers_are_rephrased_twice_then_a_person_is_offered(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    complete(assistant, sender, HAPPY_PATH[:2])
    first = texts(say(assistant, sender, "patate"))
    second = texts(say(assistant, sender, "bof bof"))
    third = texts(say(assistant, sender, "zzz"))
    assert "Je n'ai pas bien compris" in first and "Je n'ai pas bien compris" in second
    assert "01 70 772 372" not in first + second
    assert "01 70 772 372" in third and "chiffre" in third
    assert "Avez-vous internet ?" in texts(say(assistant, sender, "1"))


@pytest.mark.parametrize("message", ["", " ", "😀😀😀", "x" * 5000, "Привет, как дела?",
                                     "<script>alert('x')</script>", "مرحبا"])
def test_strange_input_gets_a_kind_answer_and_the_question_stays(assistant, message):
    sender = f"e2e-{uuid.uuid4()}"
    complete(assistant, sender, HAPPY_PATH[:2])
    reply = texts(say(assistant, sender, message))
    assert reply.strip(), "the assistant must always answer"
    assert "Traceback" not in reply
    assert "Avez-vous internet ?" in texts(say(assistant, sender, "1"))


def test_stop_during_the_diagnostic_records_the_opt_out(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    complete(assistant, sender, HAPPY_PATH[:4])
    reply = texts(say(assistant, sender, "STOP"))
    assert "ne recevrez plus de messages" in reply
    [(opted_out_at,)] = rows(assistant.db_url, "select opted_out_at from people where person_key = ?",
                             key_of(assistant, sender))
    assert opted_out_at
    # the form is over: a later answer is not taken as the next question's answer
    assert "Ces 3 derniers mois" not in texts(say(assistant, sender, "un peu"))


def test_delete_erases_results_and_the_conversation(assistant):
    sender, other = f"e2e-{uuid.uuid4()}", f"e2e-{uuid.uuid4()}"
    complete(assistant, sender)
    complete(assistant, other)
    mine = key_of(assistant, sender)
    assert rows(assistant.db_url, "select count(*) from diagnostic_results where person_key = ?", mine) == [(1,)]
    assert rows(assistant.tracker_url, "select count(*) from events where sender_id = ?", f"rest:{sender}")[0][0] > 0
    reply = texts(say(assistant, sender, "SUPPRIMER"))
    assert "effacées" in reply
    assert rows(assistant.db_url, "select count(*) from diagnostic_results where person_key = ?", mine) == [(0,)]
    assert rows(assistant.tracker_url, "select count(*) from events where sender_id = ?", f"rest:{sender}") == [(0,)]
    assert rows(assistant.db_url, "select count(*) from diagnostic_results where person_key = ?",
                key_of(assistant, other)) == [(1,)]
    # a new conversation starts from scratch, consent included
    assert "On commence ?" in texts(say(assistant, sender, "bonjour"))


def test_cancel_stops_the_questions(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    complete(assistant, sender, HAPPY_PATH[:5])
    assert "j'arrête les questions" in texts(say(assistant, sender, "annuler"))
    # answers were dropped, consent was kept: the questions start again from the first one
    assert "Quel appareil avez-vous ?" in texts(say(assistant, sender, "bonjour"))


def test_no_computer_narrows_the_device_question(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    complete(assistant, sender, HAPPY_PATH[:2])
    replies = say(assistant, sender, "j'ai pas d'ordi")
    assert "laquelle de ces réponses" in texts(replies)
    assert [b["title"] for b in replies[-1]["buttons"]] == ["Un smartphone", "Aucun"]
    assert "Avez-vous internet ?" in texts(say(assistant, sender, "un smartphone"))
