"""Text cells for the files the operators open in a spreadsheet (funding reports, attendee
lists): a cell starting with = + - @ or a tab / carriage return / line feed gets a leading
apostrophe, so that a spreadsheet shows it as text instead of running it; characters XML 1.0
(so XLSX) cannot hold are dropped."""
from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def guard_text(value: str | None) -> str:
    """A text cell that no spreadsheet takes for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def xlsx_text(value: str | None) -> str:
    """A guarded text cell that an XLSX file can hold."""
    return guard_text(_ILLEGAL_XML.sub("", "" if value is None else str(value)))
