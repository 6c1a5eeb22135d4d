"""The places of the Métropole du Grand Paris, loaded once from `data/geo/` (see its README).

- the 130 member communes (COG 2026) with postcodes, department, EPT, population and centroid;
- the 20 Paris arrondissements with their official names, postcodes and centroids;
- former communes merged into a member (Pierrefitte-sur-Seine, part of Saint-Denis since
  2025-01-01).

and, read only when an answer needs it, the national list of current communes
(`france_communes.csv`, about 35,000), to tell a commune outside the Métropole ("Lille",
"Versailles") or its postcode from an unknown name (see `bot/geo/france.py`).
"""
from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Union

from bot.paths import DATA_DIR

GEO_DIR = DATA_DIR / "geo"
PARIS_INSEE = "75056"
# Departments whose every commune is a member; 91 and 95 have only some members.
WHOLE_DEPARTMENTS = ("75", "92", "93", "94")


@dataclass(frozen=True)
class Commune:
    """A member commune. Paris is one (75056); its arrondissements are `Arrondissement`s."""

    code_insee: str
    nom: str
    codes_postaux: tuple[str, ...]
    departement: str          # "93"
    departement_nom: str      # "Seine-Saint-Denis"
    ept: str                  # "Plaine Commune"; "" for Paris, which belongs to no EPT
    ept_siren: str
    population: int
    lat: float
    lon: float

    kind = "commune"

    @property
    def commune_insee(self) -> str:
        """The member commune's INSEE code (itself)."""
        return self.code_insee


@dataclass(frozen=True)
class Arrondissement:
    """A Paris arrondissement (75101..75120)."""

    code_insee: str
    number: int               # 1..20
    nom_officiel: str         # "Gobelins"
    codes_postaux: tuple[str, ...]
    lat: float
    lon: float

    kind = "arrondissement"
    departement = "75"
    departement_nom = "Paris"

    @property
    def nom(self) -> str:
        """How the assistant names it: "Paris 1er", "Paris 13e"."""
        return f"Paris {self.number}{'er' if self.number == 1 else 'e'}"

    @property
    def commune_insee(self) -> str:
        """The member commune it belongs to: Paris (directories file Paris places under 75056)."""
        return PARIS_INSEE


Place = Union[Commune, Arrondissement]


@dataclass(frozen=True)
class FormerCommune:
    """A commune merged into a member commune: its name still means that member."""

    code_insee: str
    nom: str
    codes_postaux: tuple[str, ...]
    merged_into: str          # INSEE code of the member commune
    date: str                 # ISO date of the merger


@dataclass(frozen=True, slots=True)
class OtherCommune:
    """A current commune of France that is not a member of the Métropole."""

    code_insee: str
    nom: str
    codes_postaux: tuple[str, ...]
    departement: str          # "59", "2A", "974"
    population: int           # 0 when unknown

    kind = "other"

    @property
    def label(self) -> str:
        """How the assistant names it: "Lille (59)"."""
        return f"{self.nom} ({self.departement})"


def _rows(name: str, path: Path | None = None) -> list[dict[str, str]]:
    with open(path or GEO_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _postcodes(value: str) -> tuple[str, ...]:
    return tuple(code for code in value.split("|") if code)


@lru_cache(maxsize=1)
def communes() -> tuple[Commune, ...]:
    """The 130 member communes, in the order of the file (by INSEE code)."""
    result = []
    for row in _rows("mgp_communes.csv"):
        result.append(Commune(
            code_insee=row["code_insee"],
            nom=row["nom"],
            codes_postaux=_postcodes(row["codes_postaux"]),
            departement=row["code_departement"],
            departement_nom=row["departement"],
            ept=row["ept_nom"] if row["ept_siren"] else "",
            ept_siren=row["ept_siren"],
            population=int(row["population_municipale"]),
            lat=float(row["latitude"]),
            lon=float(row["longitude"]),
        ))
    return tuple(result)


@lru_cache(maxsize=1)
def arrondissements() -> tuple[Arrondissement, ...]:
    """The 20 Paris arrondissements, 1er to 20e."""
    result = [
        Arrondissement(
            code_insee=row["code_insee"],
            number=int(row["arrondissement"]),
            nom_officiel=row["nom_officiel"],
            codes_postaux=_postcodes(row["codes_postaux"]),
            lat=float(row["latitude"]),
            lon=float(row["longitude"]),
        )
        for row in _rows("paris_arrondissements_centroids.csv")
    ]
    return tuple(sorted(result, key=lambda a: a.number))


@lru_cache(maxsize=1)
def former_communes() -> tuple[FormerCommune, ...]:
    return tuple(
        FormerCommune(row["code_insee"], row["nom"], _postcodes(row["codes_postaux"]),
                      row["code_insee_actuel"], row["date_fusion"])
        for row in _rows("communes_fusionnees.csv"))


@lru_cache(maxsize=1)
def _by_code() -> dict[str, Place]:
    places: dict[str, Place] = {c.code_insee: c for c in communes()}
    places.update({a.code_insee: a for a in arrondissements()})
    return places


def place(code_insee: str) -> Place | None:
    """A commune or an arrondissement by its INSEE code."""
    return _by_code().get(code_insee)


def paris() -> Commune:
    return _by_code()[PARIS_INSEE]  # type: ignore[return-value]


def arrondissement(number: int) -> Arrondissement | None:
    if 1 <= number <= 20:
        return arrondissements()[number - 1]
    return None


@lru_cache(maxsize=1)
def _by_postcode() -> dict[str, tuple[Place, ...]]:
    """Postcode -> the places it serves: arrondissements for Paris, communes elsewhere."""
    index: dict[str, list[Place]] = {}
    for item in list(arrondissements()) + [c for c in communes() if c.code_insee != PARIS_INSEE]:
        for code in item.codes_postaux:
            index.setdefault(code, []).append(item)
    return {code: tuple(items) for code, items in index.items()}


def places_by_postcode(postcode: str) -> tuple[Place, ...]:
    """The member places that a postcode serves (several when it is shared), or ()."""
    return _by_postcode().get(postcode, ())


def postcodes() -> frozenset[str]:
    """Every postcode of the Métropole."""
    return frozenset(_by_postcode())


def communes_of_department(department: str) -> tuple[Commune, ...]:
    """Member communes of a department, most populous first (Paris stands alone in 75)."""
    found = [c for c in communes() if c.departement == department]
    return tuple(sorted(found, key=lambda c: -c.population))


def department_names() -> dict[str, str]:
    """Department code -> name, for the departments that hold member communes."""
    return {c.departement: c.departement_nom for c in communes()}


def point_places() -> tuple[Place, ...]:
    """The places a shared location can fall into: the 20 arrondissements and the 129 other
    communes (Paris as a whole is too large to be a useful answer)."""
    return tuple(arrondissements()) + tuple(c for c in communes() if c.code_insee != PARIS_INSEE)


@lru_cache(maxsize=1)
def other_communes() -> tuple[OtherCommune, ...]:
    """The current communes of France outside the Métropole (`france_communes.csv` less the
    members), by INSEE code. Read once, on first use (about 0.1 s, 10 MB)."""
    members = {c.code_insee for c in communes()}
    shared: dict[str, tuple[str, ...]] = {}  # one tuple per distinct postcode list
    result = []
    with open(GEO_DIR / "france_communes.csv", encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        if next(rows) != ["code_insee", "nom", "codes_postaux", "code_departement",
                          "population"]:
            raise ValueError("france_communes.csv: unexpected columns")
        for code, nom, postcodes, department, population in rows:
            if code in members:
                continue
            codes = shared.get(postcodes)
            if codes is None:
                codes = shared[postcodes] = _postcodes(postcodes)
            result.append(OtherCommune(code, nom, codes, sys.intern(department),
                                       int(population or 0)))
    return tuple(result)


@lru_cache(maxsize=1)
def _others_by_postcode() -> dict[str, tuple[OtherCommune, ...]]:
    index: dict[str, list[OtherCommune]] = {}
    for commune in other_communes():
        for code in commune.codes_postaux:
            index.setdefault(code, []).append(commune)
    return {code: tuple(sorted(items, key=lambda c: -c.population))
            for code, items in index.items()}


def other_communes_by_postcode(postcode: str) -> tuple[OtherCommune, ...]:
    """The communes outside the Métropole that use a postcode, most populous first, or ()."""
    return _others_by_postcode().get(postcode, ())
