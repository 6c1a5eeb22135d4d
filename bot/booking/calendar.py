"""Moved to bot.clock (issue 11): the clock, Europe/Paris and naive UTC, French public holidays
and dates said in French. Import from bot.clock; these names stay here only during the move.
The clock itself is bot.clock.utc_now (patch that one in tests)."""
from __future__ import annotations

from bot.clock import (MONTHS_FR, PARIS, WEEKDAYS_FR, aware, from_db, is_public_holiday, local,
                       now_paris, public_holidays, say_date, say_slot, say_time, to_db)

__all__ = ["MONTHS_FR", "PARIS", "WEEKDAYS_FR", "aware", "from_db", "is_public_holiday", "local",
           "now_paris", "public_holidays", "say_date", "say_slot", "say_time", "to_db"]
