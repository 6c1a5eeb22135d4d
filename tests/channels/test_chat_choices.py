"""The choices last offered in a chat, as a button press needs them: the latest offer replaces
the earlier one, an answer without buttons forgets them, and SUPPRIMER finds them by the
person's pseudonym, on SQLite and on PostgreSQL alike."""
from __future__ import annotations

import pytest

from bot.channels.channel_store import forget_person, offered_choices, remember_choices
from bot.db.session import upgrade

FIRST = [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}]
LATER = [{"title": "Le matin", "payload": "1"}, {"title": "L'après-midi", "payload": "2"}]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, database):
    if request.param == "sqlite":
        return database
    postgres = request.getfixturevalue("postgres_database")
    upgrade(postgres)
    return postgres


def test_the_latest_offer_is_the_one_a_press_is_read_against(url):
    remember_choices("telegram", "tg:41", FIRST, url=url, person_key="k41")
    remember_choices("telegram", "tg:42", FIRST, url=url, person_key="k42")
    assert offered_choices("telegram", "tg:41", url=url) == FIRST
    remember_choices("telegram", "tg:41", LATER, url=url, person_key="k41")
    assert offered_choices("telegram", "tg:41", url=url) == LATER
    assert offered_choices("telegram", "tg:42", url=url) == FIRST  # another chat's stay
    remember_choices("telegram", "tg:41", None, url=url, person_key="k41")
    assert offered_choices("telegram", "tg:41", url=url) == []
    remember_choices("telegram", "tg:41", None, url=url, person_key="k41")  # nothing to forget
    assert offered_choices("telegram", "tg:41", url=url) == []


def test_supprimer_finds_the_latest_offer_by_the_persons_pseudonym(url):
    remember_choices("telegram", "tg:43", FIRST, url=url, person_key="k43")
    remember_choices("telegram", "tg:43", LATER, url=url, person_key="k43")
    assert forget_person("k43", url=url) == 1
    assert offered_choices("telegram", "tg:43", url=url) == []
