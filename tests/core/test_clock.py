"""bot.clock: the one clock, Europe/Paris and naive UTC, public holidays, dates in French."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from bot import clock
from bot.clock import (PARIS, aware, from_db, is_public_holiday, local, now, now_db, now_paris,
                       public_holidays, say_date, say_slot, say_time, to_db)


def _easter(year: int) -> date:
    """Gregorian Easter Sunday: the hand-made computation bot.booking.calendar used to have."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _hand_made(year: int) -> dict[date, str]:
    """The list the code had before the `holidays` package computed it."""
    easter = _easter(year)
    return {
        date(year, 1, 1): "Jour de l'an",
        easter + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du Travail",
        date(year, 5, 8): "Victoire 1945",
        easter + timedelta(days=39): "Ascension",
        easter + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }


@pytest.mark.parametrize("year", range(2024, 2041))
def test_public_holidays_are_the_eleven_days_and_names_the_code_had(year):
    assert public_holidays(year) == _hand_made(year)
    assert len(public_holidays(year)) == 11


def test_known_public_holidays_and_ordinary_days():
    assert is_public_holiday(date(2025, 4, 21))  # Lundi de Pâques
    assert is_public_holiday(date(2026, 5, 14))  # Ascension
    assert is_public_holiday(date(2027, 5, 17))  # Lundi de Pentecôte
    assert public_holidays(2025)[date(2025, 12, 25)] == "Noël"
    assert public_holidays(2030)[date(2030, 1, 1)] == "Jour de l'an"
    assert not is_public_holiday(date(2025, 12, 26))  # Saint-Étienne: Alsace-Moselle only
    assert not is_public_holiday(date(2025, 4, 18))  # Vendredi saint: Alsace-Moselle only
    assert not is_public_holiday(date(2025, 4, 22))


def test_dates_said_in_french():
    assert say_date(date(2026, 12, 1)) == "mardi 1er décembre"
    assert say_date(date(2025, 8, 15)) == "vendredi 15 août"
    assert say_time(time(10, 0)) == "10 h"
    assert say_time(time(9, 5)) == "9 h 05"
    assert say_slot(datetime(2026, 12, 1, 10, 30, tzinfo=PARIS)) == "mardi 1er décembre à 10 h 30"


def test_now_is_aware_europe_paris():
    moment = now()
    assert moment.tzinfo is PARIS and moment.utcoffset() is not None
    assert abs(moment - datetime.now(timezone.utc)) < timedelta(seconds=5)
    assert now_paris().tzinfo is PARIS


def test_now_db_is_naive_utc():
    moment = now_db()
    assert moment.tzinfo is None
    assert abs(moment - datetime.now(timezone.utc).replace(tzinfo=None)) < timedelta(seconds=5)


def test_one_clock_drives_now_and_now_db(monkeypatch):
    winter = datetime(2026, 1, 15, 8, 30, tzinfo=timezone.utc)
    monkeypatch.setattr(clock, "utc_now", lambda: winter)
    assert now() == winter and now().hour == 9 and now().tzinfo is PARIS
    assert now_paris() == winter
    assert now_db() == datetime(2026, 1, 15, 8, 30)
    summer = datetime(2026, 7, 15, 8, 30, tzinfo=timezone.utc)
    monkeypatch.setattr(clock, "utc_now", lambda: summer)
    assert now().hour == 10 and now_db() == datetime(2026, 7, 15, 8, 30)


def test_conversions_round_trip_and_refuse_naive():
    start = local(date(2026, 3, 29), time(10, 0))  # the day summer time starts
    assert start.utcoffset() == timedelta(hours=2)
    assert to_db(start) == datetime(2026, 3, 29, 8, 0)
    assert from_db(to_db(start)) == start and from_db(to_db(start)).tzinfo is PARIS
    assert aware(datetime(2026, 3, 29, 8, 0, tzinfo=timezone.utc)) == start
    with pytest.raises(ValueError):
        aware(datetime(2026, 3, 29, 10, 0))
    with pytest.raises(TypeError):
        aware(date(2026, 3, 29))
