"""Which places to offer: the nearest places of the directory that fit the person's diagnostic.

`find_places` answers step 5 of the conversation ("the 3 nearest structures that offer the
needed service and accompaniment mode"); see its docstring for the rules.
"""
from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Iterable, Sequence

from sqlalchemy import Text, and_, exists, not_, select, type_coerce

from bot.clock import now as clock_now
from bot.db.models import Agenda, AgendaHours, Place
from bot.db.session import get_engine
from bot.geo.distance import EARTH_RADIUS_KM, haversine_km, valid_point
from bot.places.hours import is_open

# Radii of the successive bounding boxes, in km; the last one is always `max_km`.
RADII_KM = (3.0, 7.0, 15.0)
# How far `nearest_bookable_place` looks for a place that takes bookings through the assistant.
BOOKABLE_MAX_KM = 30.0
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180.0  # about 111.2 km along a meridian
BOX_MARGIN = 1.01  # the boxes are a little larger than the circles they must contain
# The standard's `modalites_acces` value of a place that receives no one: never offered.
NO_PUBLIC = "Ce lieu n'accueille pas de public"

# Columns read for every candidate in the box, multi-valued ones as their raw JSON text (decoded
# once per distinct value: most places share a few combinations); the full row is read only for
# the chosen places.
_TABLE = Place.__table__
_RANKING_COLUMNS = (
    _TABLE.c.pk, _TABLE.c.latitude, _TABLE.c.longitude,
    type_coerce(_TABLE.c.services, Text).label("services"),
    type_coerce(_TABLE.c.modalites_accompagnement, Text).label("modalites_accompagnement"),
    type_coerce(_TABLE.c.prise_en_charge_specifique, Text).label("prise_en_charge_specifique"),
    type_coerce(_TABLE.c.modalites_acces, Text).label("modalites_acces"),
    _TABLE.c.nom, _TABLE.c.adresse, _TABLE.c.code_postal,
)


@dataclass(frozen=True)
class PlaceMatch:
    """A place offered to the person: a snapshot of its row (lists as tuples), how far it is and
    how well it fits. It holds no database object and can be kept after the session is gone."""

    pk: int
    id: str
    nom: str
    adresse: str
    complement_adresse: str | None
    code_postal: str
    commune: str
    telephone: str | None
    courriels: tuple[str, ...]
    site_web: tuple[str, ...]
    horaires: str | None
    frais_a_charge: tuple[str, ...]
    modalites_acces: tuple[str, ...]
    modalites_accompagnement: tuple[str, ...]
    services: tuple[str, ...]
    prise_en_charge_specifique: tuple[str, ...]
    latitude: float
    longitude: float
    partner: bool
    booking_enabled: bool
    distance_km: float
    # The place lists one of the specific supports asked for (False when none was asked).
    fits_specific: bool
    # The place lists the accompaniment mode asked for (False when none was asked).
    fits_accompaniment: bool
    # Open at the `now` of the search: True, False, or None when its hours are unknown.
    open_now: bool | None


# A candidate place: (specific rank, mode rank, -services matched, distance, pk) is its sort key
# (smaller is better; the pk makes it total), then what the match tells about it.
_SPECIFIC_RANK, _MODE_RANK, _MATCHED, _DISTANCE, _PK, _FITS_SPECIFIC, _FITS_MODE, _NAMES = range(8)


def _box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(south, north, west, east), in degrees, of a box that holds the circle of `radius_km`."""
    dlat = radius_km * BOX_MARGIN / KM_PER_DEGREE
    farthest = min(89.9, abs(lat) + dlat)  # the box is widest where the circle is nearest a pole
    dlon = min(180.0, dlat / math.cos(math.radians(farthest)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _inside(box: tuple[float, float, float, float]):
    south, north, west, east = box
    return and_(_TABLE.c.latitude.between(south, north), _TABLE.c.longitude.between(west, east))


def _radii(max_km: float) -> list[float]:
    return [radius for radius in RADII_KM if radius < max_km] + [max_km]


def _words(text: object) -> str:
    """Case-, accent- and spacing-insensitive form of a name or an address."""
    text = unicodedata.normalize("NFKD", str(text or "")).casefold()
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


@lru_cache(maxsize=4096)
def _decoded(raw: str) -> frozenset[str]:
    try:
        values = json.loads(raw)
    except ValueError:
        return frozenset()
    return frozenset(v for v in values if isinstance(v, str)) if isinstance(values, list) else frozenset()


def _values(raw) -> frozenset[str]:
    """The values of a multi-valued column read as raw JSON text (or as a list, when the
    database driver decodes JSON itself)."""
    if raw is None:
        return frozenset()
    if isinstance(raw, str):
        return _decoded(raw)
    return frozenset(v for v in raw if isinstance(v, str))


def _as_tuple(values: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(values or ())


def find_places(lat: float, lon: float, services: list[str], accompaniment: str | None = None,
                specific: list[str] | None = None, limit: int = 3, max_km: float = 15.0,
                url: str | None = None, now: datetime | None = None) -> list[PlaceMatch]:
    """The best `limit` places within `max_km` km of (lat, lon), best first.

    Which places qualify:
    - the place has coordinates and is at most `max_km` km away (great-circle distance);
    - it offers at least one of `services` (values of the standard's `services`); an empty
      `services` list means any service;
    - it receives the public: a place whose `modalites_acces` says "Ce lieu n'accueille pas de
      public" is never offered, since the person is told to go there;
    - the accompaniment mode never excludes a place: most directories, the shipped France
      Services seed included, list no `modalites_accompagnement` at all, and excluding them
      would leave the person with nothing.

    How they are ranked, group by group:
    1. places that list one of `specific` (values of `prise_en_charge_specifique`, from the
       diagnostic's constraint) come first, even when farther; when `specific` is empty, no
       place is put first for it;
    2. then, when `accompaniment` is given (a value of `modalites_accompagnement`, from the
       diagnostic's level): places that list it, then places that list no mode at all (their
       mode is unknown: they may well do it), then places that list only other modes (known not
       to offer it, e.g. free computer access only for a person who needs individual help);
    3. within a group: more of the requested services first, then the nearest.
    Ties end on the row's key, so that the same question always gets the same answer. A place
    listed twice (same name and address, e.g. by two sources) is offered once.

    How it stays fast on a national directory: the places are read by growing bounding boxes
    (3, 7, 15 km, then `max_km`), each query reading only the ring not read yet, and only the
    columns needed to rank; the exact distance is computed in Python. The search stops at the
    first radius where `limit` places within that radius fit every criterion fully (specific
    support, accompaniment mode, all requested services): no farther place could then outrank
    them. Otherwise it goes on to `max_km`, so that a fitting place farther away is never
    missed. Full rows are read for the chosen places only.

    `now` (default: the current time) sets `open_now` of each match. Raises ValueError for an
    invalid point; returns [] when `limit` or `max_km` is not positive.
    """
    if not valid_point(lat, lon):
        raise ValueError(f"invalid point: latitude {lat!r}, longitude {lon!r}")
    if limit <= 0 or not max_km > 0:
        return []
    lat, lon = float(lat), float(lon)
    max_km = min(float(max_km), math.pi * EARTH_RADIUS_KM)  # half the Earth's circumference
    wanted = {service.strip() for service in services or () if service and service.strip()}
    supports = {value.strip() for value in specific or () if value and value.strip()}
    mode = accompaniment.strip() if accompaniment and accompaniment.strip() else None
    best_prefix = (0, 0, -len(wanted))

    ranker = _Ranker(lat, lon, wanted, supports, mode)
    engine = get_engine(url)
    candidates: list[tuple] = []
    previous_box = None
    with engine.connect() as connection:
        for radius in _radii(max_km):
            box = _box(lat, lon, radius)
            query = select(*_RANKING_COLUMNS).where(_inside(box))
            if previous_box is not None:
                query = query.where(not_(_inside(previous_box)))
            previous_box = box
            candidates.extend(ranker.candidates(connection.execute(query).fetchall()))
            if radius < max_km and _enough(candidates, radius, best_prefix, limit):
                break
        chosen = _choose(candidates, radius, limit)
        if not chosen:
            return []
        rows = {row.pk: row for row in connection.execute(
            select(_TABLE).where(_TABLE.c.pk.in_([c[_PK] for c in chosen])))}
    moment = now if now is not None else clock_now()
    return [_match(rows[c[_PK]], c, moment) for c in chosen if c[_PK] in rows]


class _Ranker:
    """Ranks the rows of the boxes; rows with the same multi-valued columns (most places share a
    few combinations) are judged once."""

    def __init__(self, lat: float, lon: float, wanted: set[str], supports: set[str],
                 mode: str | None):
        self.lat, self.lon = lat, lon
        self.wanted, self.supports, self.mode = wanted, supports, mode
        self.profiles: dict[tuple, tuple | None] = {}

    def _profile(self, services, modes, specific, access) -> tuple | None:
        """(specific rank, mode rank, -matched, fits specific, fits mode), or None when a place
        with these values does not qualify."""
        matched = 0
        if self.wanted:
            matched = len(self.wanted.intersection(_values(services)))
            if not matched:
                return None
        if NO_PUBLIC in _values(access):
            return None
        fits_specific = bool(self.supports) and not self.supports.isdisjoint(_values(specific))
        listed = _values(modes)
        fits_mode = self.mode is not None and self.mode in listed
        if self.mode is None or fits_mode:
            mode_rank = 0
        elif not listed:
            mode_rank = 1
        else:
            mode_rank = 2
        specific_rank = 0 if fits_specific or not self.supports else 1
        return specific_rank, mode_rank, -matched, fits_specific, fits_mode

    def candidates(self, rows) -> Iterable[tuple]:
        profiles = self.profiles
        for pk, lat, lon, services, modes, specific, access, nom, adresse, code_postal in rows:
            if lat is None or lon is None:
                continue
            key = (_hashable(services), _hashable(modes), _hashable(specific), _hashable(access))
            try:
                profile = profiles[key]
            except KeyError:
                profile = profiles[key] = self._profile(services, modes, specific, access)
            if profile is None:
                continue
            specific_rank, mode_rank, matched, fits_specific, fits_mode = profile
            yield (specific_rank, mode_rank, matched, haversine_km(self.lat, self.lon, lat, lon), pk,
                   fits_specific, fits_mode, (nom, adresse, code_postal))


def _hashable(raw):
    return raw if raw is None or isinstance(raw, str) else tuple(raw)


def _identity(candidate: tuple) -> tuple:
    """The same place listed twice (e.g. by two sources) has the same identity."""
    nom, adresse, code_postal = candidate[_NAMES]
    return _words(nom), _words(adresse), code_postal


def _enough(candidates: Sequence[tuple], radius: float, best_prefix: tuple, limit: int) -> bool:
    """True when `limit` distinct places within `radius` fit every criterion fully."""
    perfect = [c for c in candidates if c[:3] == best_prefix and c[_DISTANCE] <= radius]
    return len(perfect) >= limit and len({_identity(c) for c in perfect}) >= limit


def _choose(candidates: Sequence[tuple], radius: float, limit: int) -> list[tuple]:
    chosen, seen = [], set()
    for candidate in sorted(c for c in candidates if c[_DISTANCE] <= radius):
        identity = _identity(candidate)
        if identity in seen:
            continue
        seen.add(identity)
        chosen.append(candidate)
        if len(chosen) == limit:
            break
    return chosen


def _match(row, candidate: tuple, now: datetime) -> PlaceMatch:
    return PlaceMatch(
        pk=row.pk, id=row.id, nom=row.nom, adresse=row.adresse,
        complement_adresse=row.complement_adresse, code_postal=row.code_postal,
        commune=row.commune, telephone=row.telephone, courriels=_as_tuple(row.courriels),
        site_web=_as_tuple(row.site_web), horaires=row.horaires,
        frais_a_charge=_as_tuple(row.frais_a_charge), modalites_acces=_as_tuple(row.modalites_acces),
        modalites_accompagnement=_as_tuple(row.modalites_accompagnement),
        services=_as_tuple(row.services),
        prise_en_charge_specifique=_as_tuple(row.prise_en_charge_specifique),
        latitude=row.latitude, longitude=row.longitude, partner=bool(row.partner),
        booking_enabled=bool(row.booking_enabled), distance_km=round(candidate[_DISTANCE], 3),
        fits_specific=candidate[_FITS_SPECIFIC], fits_accompaniment=candidate[_FITS_MODE],
        open_now=is_open(row.horaires, now),
    )


def takes_bookings(match: PlaceMatch) -> bool:
    """True when the place takes appointments through the assistant (a partner with bookings
    enabled), as the booking conversation reads it."""
    return bool(match.partner and match.booking_enabled)


def _bookable_here():
    """SQL: the place is a partner with bookings enabled and an active agenda with weekly hours
    (what `bot.booking.slots.place_is_bookable` checks, for many places at once)."""
    agendas = Agenda.__table__
    hours = AgendaHours.__table__
    with_hours = exists().where(hours.c.agenda_id == agendas.c.id)
    agenda = exists().where(agendas.c.place_pk == _TABLE.c.pk, agendas.c.active.is_(True), with_hours)
    return and_(_TABLE.c.partner.is_(True), _TABLE.c.booking_enabled.is_(True), agenda)


def nearest_bookable_place(lat: float, lon: float, services: list[str],
                           accompaniment: str | None = None, specific: list[str] | None = None,
                           exclude_pks: Iterable[int] = (), max_km: float = BOOKABLE_MAX_KM,
                           url: str | None = None, now: datetime | None = None) -> PlaceMatch | None:
    """The nearest place within `max_km` km that takes bookings through the assistant, or None.

    For when none of the places `find_places` offers takes bookings: the person can then be
    told that one does, a little farther. A place qualifies when it is a partner with bookings
    enabled and at least one active agenda with weekly hours, it offers one of `services` (any
    service when empty), it receives the public, it has coordinates and its pk is not in
    `exclude_pks` (the places already offered). The nearest wins (ties: the row's key), whatever
    the specific support and accompaniment mode: those only set `fits_specific` and
    `fits_accompaniment` of the match. `now` sets `open_now`. Raises ValueError for an invalid
    point.
    """
    if not valid_point(lat, lon):
        raise ValueError(f"invalid point: latitude {lat!r}, longitude {lon!r}")
    if not max_km > 0:
        return None
    lat, lon = float(lat), float(lon)
    max_km = min(float(max_km), math.pi * EARTH_RADIUS_KM)
    wanted = {service.strip() for service in services or () if service and service.strip()}
    supports = {value.strip() for value in specific or () if value and value.strip()}
    mode = accompaniment.strip() if accompaniment and accompaniment.strip() else None
    excluded = [int(pk) for pk in exclude_pks or ()]
    query = select(*_RANKING_COLUMNS).where(_inside(_box(lat, lon, max_km)), _bookable_here())
    if excluded:
        query = query.where(_TABLE.c.pk.not_in(excluded))
    ranker = _Ranker(lat, lon, wanted, supports, mode)
    with get_engine(url).connect() as connection:
        candidates = [c for c in ranker.candidates(connection.execute(query).fetchall())
                      if c[_DISTANCE] <= max_km]
        if not candidates:
            return None
        nearest = min(candidates, key=lambda c: (c[_DISTANCE], c[_PK]))
        row = connection.execute(select(_TABLE).where(_TABLE.c.pk == nearest[_PK])).first()
    if row is None:
        return None
    return _match(row, nearest, now if now is not None else clock_now())


__all__ = ["BOOKABLE_MAX_KM", "PlaceMatch", "RADII_KM", "find_places", "nearest_bookable_place",
           "takes_bookings"]
