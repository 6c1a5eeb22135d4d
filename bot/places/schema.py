"""The national standard "lieux de médiation numérique" v1.0.2: its rules, and checking a row.

The rules are read from the standard's own Table Schema, shipped as is in
`data/places/schema-lieux-mediation-numerique-1.0.2.json`: the columns and their order, which
are required, the patterns (SIRET, postcode, INSEE code, phone, and the enumerations written as
`(?:(?:^|\\|)(A|B|...))+$`), types (number, date) and maximum lengths.

A few checks come from the fields' descriptions rather than from their constraints (e-mail
addresses, web addresses, coordinate ranges, OpenStreetMap opening hours); they are marked as
such below. Bad data never raises: `validate_row` returns a list of `FieldError`.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from bot.paths import DATA_DIR

SCHEMA_PATH = DATA_DIR / "places" / "schema-lieux-mediation-numerique-1.0.2.json"
SEPARATOR = "|"

# Fields holding several `|`-separated values: every enumerated field (their patterns repeat
# `(?:^|\|)`), plus the three whose description or example says so.
FREE_MULTI_VALUED = ("typologie", "courriels", "site_web")

# From the descriptions of the fields, not from their constraints in the Table Schema.
EMAIL_FIELDS = ("courriels",)
URL_FIELDS = ("site_web", "fiche_acces_libre", "prise_rdv")
RANGES = {"latitude": (-90.0, 90.0), "longitude": (-180.0, 180.0)}
OPENING_HOURS_FIELD = "horaires"

# Storage limits of the programme (the standard sets none): the `places` table's columns.
MAX_LENGTHS = {"id": 255}

# What a pattern of the schema means, said to an operator (the pattern itself stays the rule).
PATTERN_HINTS = {
    "pivot": "must be a SIRET (14 digits), or a RNA / RIDET number: 9 to 14 letters or digits",
    "code_postal": "must be 5 digits",
    "code_insee": "must be an INSEE commune code: 5 characters such as 75056, 93066 or 2A004",
    "telephone": "must be in international format without spaces, such as +33180059880 "
                 "(+33, +262, +590, +594, +596, +269, +687, +689, +508 or +681, then 6 to 9 digits)",
}

_ENUM_PATTERN = re.compile(r"^\(\?:\(\?:\^\|\\\|\)\((?P<alternatives>.*)\)\)\+\$$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_EMAIL = re.compile(r"^[^@\s|<>\"]+@[^@\s|<>\"]+\.[^@\s|<>\".]{2,}$")
_SHOWN = 80


def shown(value: str | None) -> str | None:
    """A value as quoted in a report: at most 80 characters, its length said when cut."""
    if value is None:
        return None
    if len(value) <= _SHOWN:
        return value
    return f"{value[:_SHOWN]}… ({len(value)} characters)"


@dataclass(frozen=True)
class FieldError:
    """One fault of a row: the field (None for the row as a whole), its value, why."""

    field: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        if self.field is None:
            return self.reason
        if self.value in (None, ""):
            return f"{self.field}: {self.reason}"
        return f"{self.field} = {self.value!r}: {self.reason}"


@dataclass(frozen=True)
class FieldRule:
    name: str
    title: str
    type: str
    required: bool
    pattern: re.Pattern | None
    enum: tuple[str, ...] | None
    multi: bool
    max_length: int | None


class SchemaError(ValueError):
    """The schema file itself is not usable."""


def _enum_from_pattern(pattern: str) -> tuple[str, ...] | None:
    """The allowed values of an enumeration pattern `(?:(?:^|\\|)(A|B|C))+$`, unescaped."""
    match = _ENUM_PATTERN.match(pattern)
    if not match:
        return None
    alternatives = re.split(r"(?<!\\)\|", match.group("alternatives"))
    return tuple(re.sub(r"\\(.)", r"\1", value) for value in alternatives)


@dataclass(frozen=True)
class StandardSchema:
    version: str
    fields: dict[str, FieldRule]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(name for name, rule in self.fields.items() if rule.required)

    @property
    def enums(self) -> dict[str, tuple[str, ...]]:
        return {name: rule.enum for name, rule in self.fields.items() if rule.enum}

    @property
    def multi_valued(self) -> tuple[str, ...]:
        return tuple(name for name, rule in self.fields.items() if rule.multi)

    # -- checking ------------------------------------------------------------------------

    def validate_row(self, row: Mapping[str, Any]) -> list[FieldError]:
        """Every fault of one row (a mapping column → cell text); empty when the row is valid.

        A column absent from the mapping counts as an empty cell. Cells are read stripped of
        surrounding spaces, and so are the items of multi-valued fields.
        """
        errors: list[FieldError] = []
        for name, rule in self.fields.items():
            raw = row.get(name)
            value = "" if raw is None else str(raw).strip()
            if not value:
                if rule.required:
                    errors.append(FieldError(name, "", "required field is empty"))
                continue
            errors.extend(self._check(rule, value))
        return errors

    def _check(self, rule: FieldRule, value: str) -> list[FieldError]:
        name = rule.name
        errors: list[FieldError] = []
        if rule.max_length is not None and len(value) > rule.max_length:
            errors.append(FieldError(name, shown(value), f"is {len(value)} characters long; "
                                                         f"the standard allows at most {rule.max_length}"))
        limit = MAX_LENGTHS.get(name)
        if limit is not None and len(value) > limit:
            errors.append(FieldError(name, shown(value), f"is {len(value)} characters long; "
                                                         f"at most {limit} can be stored"))
        items = split_items(value) if rule.multi else [value]
        if rule.multi and any(not item for item in items):
            errors.append(FieldError(name, shown(value), "has an empty value between two '|'"))
        items = [item for item in items if item]
        if rule.enum is not None:
            for item in items:
                if item not in rule.enum:
                    errors.append(FieldError(name, shown(item), "is not an allowed value; allowed: "
                                                                + "; ".join(rule.enum)))
        elif rule.pattern is not None:
            for item in items:
                if not rule.pattern.fullmatch(item):
                    hint = PATTERN_HINTS.get(name, f"does not match the standard's pattern "
                                                   f"{rule.pattern.pattern}")
                    errors.append(FieldError(name, shown(item), hint))
        if rule.type == "number":
            number = parse_number(value)
            if number is None:
                reason = "is not a number"
                if "," in value:
                    reason += " (the decimal separator is a point: 48.85, not 48,85)"
                errors.append(FieldError(name, shown(value), reason))
            elif name in RANGES:
                low, high = RANGES[name]
                if not low <= number <= high:
                    errors.append(FieldError(name, shown(value), f"must be between {low:g} and {high:g}"))
        elif rule.type == "date":
            if parse_date(value) is None:
                errors.append(FieldError(name, shown(value), "is not a date written YYYY-MM-DD"))
        if name in EMAIL_FIELDS:
            for item in items:
                if not _EMAIL.match(item):
                    errors.append(FieldError(name, shown(item), "is not an e-mail address"))
        if name in URL_FIELDS:
            for item in items:
                if not is_web_address(item):
                    errors.append(FieldError(name, shown(item),
                                             "is not a web address starting with http:// or https://"))
        return errors

    def warnings(self, row: Mapping[str, Any]) -> list[FieldError]:
        """Faults that do not reject a row: opening hours the OpenStreetMap syntax cannot read.

        The standard asks for the `opening_hours` syntax in the field's description only; such a
        place is kept (it is still a place to go), but its hours cannot be used to say "open now".
        """
        value = str(row.get(OPENING_HOURS_FIELD) or "").strip()
        if value and not opening_hours_valid(value):
            return [FieldError(OPENING_HOURS_FIELD, shown(value),
                               "is not in the OpenStreetMap opening_hours syntax: the place is "
                               "imported, but its opening hours cannot be read")]
        return []

    def to_values(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The typed values of a valid row: lists for multi-valued fields, float, date, None."""
        values: dict[str, Any] = {}
        for name, rule in self.fields.items():
            raw = row.get(name)
            value = "" if raw is None else str(raw).strip()
            if rule.multi:
                values[name] = [item for item in split_items(value) if item]
            elif not value:
                values[name] = None
            elif rule.type == "number":
                values[name] = parse_number(value)
            elif rule.type == "date":
                values[name] = parse_date(value)
            else:
                values[name] = value
        return values


def split_items(value: str) -> list[str]:
    return [item.strip() for item in value.split(SEPARATOR)] if value else []


def parse_number(value: str) -> float | None:
    """A Table Schema number (point as decimal separator), finite; None when it is not one."""
    if not _NUMBER.match(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def parse_date(value: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def is_web_address(value: str) -> bool:
    if any(char.isspace() for char in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "." in parts.hostname


def opening_hours_valid(value: str) -> bool:
    try:
        import opening_hours
    except ImportError:  # pragma: no cover - the library is a dependency; without it, no check
        return True
    try:
        return bool(opening_hours.validate(value))
    except Exception:  # noqa: BLE001 - a parser failure of any kind means "not readable"
        return False


@lru_cache(maxsize=4)
def load_schema(path: Path | str = SCHEMA_PATH) -> StandardSchema:
    """The standard's rules, read from its Table Schema (JSON)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        fields = {}
        for field in document["fields"]:
            constraints = field.get("constraints", {})
            pattern = constraints.get("pattern")
            enum = _enum_from_pattern(pattern) if pattern else None
            fields[field["name"]] = FieldRule(
                name=field["name"],
                title=field.get("title", field["name"]),
                type=field.get("type", "string"),
                required=bool(constraints.get("required", False)),
                pattern=re.compile(pattern, re.ASCII) if pattern and enum is None else None,
                enum=enum,
                multi=enum is not None or field["name"] in FREE_MULTI_VALUED,
                max_length=constraints.get("maxLength"),
            )
        return StandardSchema(version=document.get("version", "?"), fields=fields)
    except (OSError, ValueError, KeyError, TypeError, re.error) as error:
        raise SchemaError(f"{path}: not a usable Table Schema ({error})") from error


def validate_row(row: Mapping[str, Any], schema: StandardSchema | None = None) -> list[FieldError]:
    """Every fault of one row of the standard; see `StandardSchema.validate_row`."""
    return (schema or load_schema()).validate_row(row)
