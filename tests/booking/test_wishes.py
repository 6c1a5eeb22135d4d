"""A wish about the time of an appointment ("plutôt le matin", "pas mardi", "le 6 décembre",
"plus tard"): the slots that fit it, or the closest ones when none does, never the same as
before when others exist, and the sentence that says which.

A real SQLite database with the France Services directory and the demo partners of
data/partners/demo.yml; "now" is fixed, on Tuesday 1 December 2026 at 9:00, Europe/Paris
(21-day horizon: up to Tuesday 22 December 9:00; 2 hours of lead time).
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from bot import messages
from bot.booking.partners.closures import add_closure
from bot.booking.partners.load import load_partners
from bot.booking.preferences import Preference, read_preference
from bot.booking.slots import AFTERNOON, EVENING, MORNING
from bot.booking.wishes import WishAnswer, part_distance, say_wish, slots_for_wish
from bot.db.models import Place
from bot.db.session import session_scope, upgrade
from bot.messages import MESSAGES_PATH
from bot.channels.sms_text import is_gsm7
from bot.places import DEFAULT_SOURCE, seed_default_places

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)  # a Tuesday morning
# Demo partners (ids of the France Services file) and what their agendas say.
PARIS_12 = "435"       # Mo-Th 10:00-13:00 and 14:00-17:45, Fr 10:00-12:15; 45 min; closed 24/12-2/1
PARIS_11 = "3205"      # Mo-Fr 14:30-19:00 (45 min) and a Saturday workshop 09:30-11:30
SAINT_DENIS = "668"    # mornings Mo-Th and Sa; Mo and Fr 15:00-18:45 (45 min)
BOBIGNY = "2883"       # Mo-Fr 09:00-12:00 and 13:00-17:00, 60 min
IVRY = "3049"          # Tu and Th 09:30-12:30 and 14:00-17:45, Sa 09:00-12:00; 45 min
NOT_A_PARTNER = "436"  # Pimms Paris 15e


def at(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def place_pk(place_id: str, url: str) -> int:
    with session_scope(url) as session:
        return session.execute(select(Place.pk).where(Place.source == DEFAULT_SOURCE,
                                                      Place.id == place_id)).scalar_one()


def prepare(url: str) -> str:
    upgrade(url)
    seed_default_places(url)
    load_partners(url=url, now=NOW)
    return url


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> str:
    """One database for the tests that only read it."""
    return prepare(f"sqlite:///{tmp_path_factory.mktemp('wishes') / 'npt.db'}")


@pytest.fixture
def own_demo(database) -> str:
    """A database of its own, for a test that adds closures."""
    return prepare(database)


def answer(url: str, place_id: str, text: str, now: datetime = NOW, offered=(), **options) -> WishAnswer:
    wish = read_preference(text, now.date())
    return slots_for_wish(place_pk(place_id, url), now, wish, list(offered), url=url, **options)


def starts(result: WishAnswer) -> list[datetime]:
    return [slot.start for slot in result.slots]


# -- slots for a wish, table -----------------------------------------------------------------

WISHES = [
    # (place, what the person says, now, fits, starts offered, the wish in French)
    # A part of the day that fits.
    (PARIS_12, "plutôt l'après-midi", NOW, True, [at(1, 12, 15), at(1, 14), at(1, 14, 45)],
     "l'après-midi"),
    (SAINT_DENIS, "le soir", NOW, True, [at(4, 18), at(7, 18), at(11, 18)], "le soir"),
    (PARIS_11, "le matin", NOW, True, [at(5, 9, 30), at(12, 9, 30), at(19, 9, 30)], "le matin"),
    # No evening at Bobigny: the latest starts of the day are the closest, soonest days first.
    (BOBIGNY, "plutôt le soir", NOW, False, [at(1, 16), at(2, 16), at(3, 16)], "le soir"),
    # No Tuesday morning at Paris 11e: Tuesdays still, at their earliest start.
    (PARIS_11, "mardi matin", NOW, False, [at(1, 14, 30), at(8, 14, 30), at(15, 14, 30)],
     "le mardi matin"),
    # A date and a part of the day.
    (PARIS_12, "le 2 décembre le matin", NOW, True, [at(2, 10), at(2, 10, 45), at(2, 11, 30)],
     "le mercredi 2 décembre au matin"),
    # Friday at Paris 12e ends at 12:15: that day's slots nearest to the afternoon.
    (PARIS_12, "vendredi 4 décembre l'après-midi", NOW, False,
     [at(4, 10), at(4, 10, 45), at(4, 11, 30)], "le vendredi 4 décembre l'après-midi"),
    # A Sunday: the nearest day with a free slot is the Monday after.
    (BOBIGNY, "le 6 décembre", NOW, False, [at(7, 9), at(7, 10), at(7, 11)],
     "le dimanche 6 décembre"),
    # Christmas is a public holiday: the day before is the nearest.
    (BOBIGNY, "le 25 décembre", at(20, 9), False, [at(24, 9), at(24, 10), at(24, 11)],
     "le vendredi 25 décembre"),
    # Paris 12e is closed from 24 December to 2 January: 23 December is the nearest.
    (PARIS_12, "le 25/12", at(20, 9), False, [at(23, 10), at(23, 10, 45), at(23, 11, 30)],
     "le vendredi 25 décembre"),
    # Beyond the 21-day horizon: the last days one may book.
    (BOBIGNY, "le 15 janvier", NOW, False, [at(21, 9), at(21, 10), at(22, 9)],
     "le vendredi 15 janvier"),
    # Weekdays.
    (PARIS_12, "pas le mardi", NOW, True, [at(2, 10), at(2, 10, 45), at(2, 11, 30)],
     "un autre jour que le mardi"),
    (IVRY, "samedi", NOW, True, [at(5, 9), at(5, 9, 45), at(5, 10, 30)], "le samedi"),
    (IVRY, "lundi", NOW, False, [at(1, 11), at(1, 11, 45), at(1, 14)], "le lundi"),
    # Every free slot of Ivry is on a Tuesday, a Thursday or a Saturday: the earliest.
    (IVRY, "pas mardi ni jeudi ni samedi", NOW, False, [at(1, 11), at(1, 11, 45), at(1, 14)],
     "un autre jour que le mardi, le jeudi ou le samedi"),
]


@pytest.mark.parametrize("place, text, now, fits, expected, phrase", WISHES,
                         ids=[f"{w[0]}-{w[1]}" for w in WISHES])
def test_slots_for_a_wish(demo, place, text, now, fits, expected, phrase):
    result = answer(demo, place, text, now)

    assert (result.matched, starts(result), result.wish) == (fits, expected, phrase)
    assert starts(result) == sorted(starts(result))
    if fits:
        assert result.key == "slots_for_wish"
        assert result.message == f"Voici des rendez-vous libres {phrase} :"
    else:
        assert result.key == "slots_none_match"
        assert result.message == f"Je n'ai pas de rendez-vous libre {phrase}. Voici les plus proches :"
    assert not result.nothing_later
    assert all(slot.start >= now for slot in result.slots)


def test_a_morning_wish_where_no_morning_is_free_gets_the_earliest_starts(own_demo):
    # The Saturday workshop is the only morning of Paris 11e: closed, nothing fits.
    add_closure(f"{DEFAULT_SOURCE}:{PARIS_11}", date(2026, 12, 1), date(2026, 12, 31), "Travaux",
                agenda_key="atelier-smartphone", now=NOW, url=own_demo)

    result = answer(own_demo, PARIS_11, "plutôt le matin")

    assert not result.matched
    assert starts(result) == [at(1, 14, 30), at(2, 14, 30), at(3, 14, 30)]
    assert result.message == "Je n'ai pas de rendez-vous libre le matin. Voici les plus proches :"


# -- never the same slots again when others exist ---------------------------------------------

def test_slots_already_offered_are_not_offered_again(demo):
    first = [at(1, 11, 30), at(1, 12, 15), at(1, 14)]  # the first offer of Paris 12e
    result = answer(demo, PARIS_12, "plutôt le matin", offered=first)
    assert result.matched and starts(result) == [at(2, 10), at(2, 10, 45), at(2, 11, 30)]

    evenings = answer(demo, BOBIGNY, "le soir")
    again = answer(demo, BOBIGNY, "le soir", offered=[s.start.isoformat() for s in evenings.slots])
    assert not again.matched
    assert starts(again) == [at(4, 16), at(7, 16), at(8, 16)]
    assert not set(starts(again)) & set(starts(evenings))


def test_a_fitting_slot_already_offered_is_offered_again_when_it_is_the_only_one(demo):
    # Saturday 5 December at Paris 11e: the workshop only.
    result = answer(demo, PARIS_11, "le 5 décembre", offered=[at(5, 9, 30)])

    assert result.matched and starts(result) == [at(5, 9, 30)]
    assert result.slots[0].collective


def test_later_offers_the_slots_after_the_last_one_offered(demo):
    result = answer(demo, PARIS_12, "plus tard", offered=[at(1, 11, 30), at(1, 12, 15), at(1, 14)])

    assert result.matched and result.wish == "plus tard"
    assert starts(result) == [at(1, 14, 45), at(1, 15, 30), at(1, 16, 15)]
    assert result.message == "Voici des rendez-vous libres plus tard :"


def test_later_with_nothing_later_says_so_and_offers_the_earliest_others(demo):
    # 22 December at 9:00 is Bobigny's last slot within the horizon.
    result = answer(demo, BOBIGNY, "plus tard", offered=[at(22, 9)])

    assert (result.matched, result.nothing_later, result.key) == (False, True, "slots_nothing_later")
    assert starts(result) == [at(1, 11), at(1, 13), at(1, 14)]
    assert result.message == ("Je n'ai pas de rendez-vous libre plus tard. "
                              "Voici ceux qui sont encore libres :")


def test_a_place_without_booking_has_nothing_for_any_wish(demo):
    for text in ("le matin", "plus tard", "pas mardi", "le 3 décembre"):
        result = answer(demo, NOT_A_PARTNER, text)
        assert (result.matched, result.slots) == (False, [])


def test_an_empty_wish_offers_the_earliest_slots_not_offered_yet(demo):
    pk = place_pk(PARIS_12, demo)
    result = slots_for_wish(pk, NOW, Preference(), [at(1, 11, 30)], url=demo)

    assert result.matched and starts(result) == [at(1, 12, 15), at(1, 14), at(1, 14, 45)]
    assert result.message == messages.text("slots_other")
    assert slots_for_wish(pk, NOW, Preference(), limit=1, url=demo).slots[0].start == at(1, 11, 30)
    assert slots_for_wish(pk, NOW, Preference(), limit=0, url=demo).slots == []


def test_a_naive_time_is_refused(demo):
    pk = place_pk(PARIS_12, demo)
    with pytest.raises(ValueError, match="timezone-aware"):
        slots_for_wish(pk, datetime(2026, 12, 1, 9), Preference(part_of_day=MORNING), url=demo)
    with pytest.raises(ValueError, match="timezone-aware"):
        slots_for_wish(pk, NOW, Preference(), [datetime(2026, 12, 1, 14)], url=demo)


# -- the wish in French ------------------------------------------------------------------------

@pytest.mark.parametrize("wish, phrase", [
    (Preference(part_of_day=MORNING), "le matin"),
    (Preference(part_of_day=AFTERNOON), "l'après-midi"),
    (Preference(part_of_day=EVENING), "le soir"),
    (Preference(on_date=date(2026, 12, 2)), "le mercredi 2 décembre"),
    (Preference(on_date=date(2026, 12, 1), part_of_day=EVENING), "le mardi 1er décembre au soir"),
    (Preference(exclude_weekdays=frozenset({1})), "un autre jour que le mardi"),
    (Preference(exclude_weekdays=frozenset({0, 1})), "un autre jour que le lundi ou le mardi"),
    (Preference(exclude_weekdays=frozenset({1}), part_of_day=MORNING),
     "le matin, un autre jour que le mardi"),
    (Preference(exclude_weekdays=frozenset({0, 1, 2, 4, 5, 6})), "le jeudi"),
    (Preference(exclude_weekdays=frozenset({0, 2, 4, 5, 6})), "le mardi ou le jeudi"),
    (Preference(exclude_weekdays=frozenset({0, 1, 2, 4, 5, 6}), part_of_day=AFTERNOON),
     "le jeudi après-midi"),
    (Preference(exclude_weekdays=frozenset({0, 2, 4, 5, 6}), part_of_day=MORNING),
     "le matin, le mardi ou le jeudi"),
    (Preference(later=True), "plus tard"),
    (Preference(), ""),
])
def test_the_wish_in_french(wish, phrase):
    assert say_wish(wish) == phrase
    assert is_gsm7(phrase)


@pytest.mark.parametrize("text, phrase", [
    ("plutôt le matin", "le matin"), ("pas le matin", "l'après-midi"), ("aprem", "l'après-midi"),
    ("le soir après le travail", "le soir"), ("demain", "le mercredi 2 décembre"),
    ("demain matin", "le mercredi 2 décembre au matin"), ("pas mardi", "un autre jour que le mardi"),
    ("ni lundi ni mardi", "un autre jour que le lundi ou le mardi"), ("jeudi", "le jeudi"),
    ("mardi ou jeudi", "le mardi ou le jeudi"), ("plus tard", "plus tard"),
    ("un autre jour", "plus tard"), ("le 3/12", "le jeudi 3 décembre"),
])
def test_what_people_say_and_the_wish_said_back(text, phrase):
    assert say_wish(read_preference(text, NOW.date())) == phrase


@pytest.mark.parametrize("hour, minute, part, distance", [
    (9, 0, MORNING, 0), (12, 0, MORNING, 1), (14, 30, MORNING, 151), (18, 0, MORNING, 361),
    (17, 0, EVENING, 60), (9, 0, EVENING, 540), (18, 15, EVENING, 0),
    (11, 30, AFTERNOON, 30), (18, 0, AFTERNOON, 1), (12, 0, AFTERNOON, 0), (10, 0, None, 0),
])
def test_distance_of_a_time_to_a_part_of_the_day(hour, minute, part, distance):
    assert part_distance(at(2, hour, minute), part) == distance


# -- the messages ------------------------------------------------------------------------------

def test_the_wish_messages_are_short_gsm7_french():
    raw = yaml.safe_load(MESSAGES_PATH.read_text(encoding="utf-8"))
    for key in ("slots_for_wish", "slots_none_match", "slots_nothing_later",
                "place_card_bookable", "places_bookable_further"):
        assert is_gsm7(raw[key]), key
        assert len(raw[key]) <= 100, key
    longest = messages.text("slots_none_match",
                            wish="le matin, un autre jour que le mardi, le jeudi ou le samedi")
    assert is_gsm7(longest) and len(longest) <= 160
