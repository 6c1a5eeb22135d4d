"""Where the person is, from what they type or from a shared location.

`locate(text)` reads a postcode ("93200", "93 200"), a commune name with or without accents,
hyphens or typos ("st denis", "ST DENIS", "aubervillier", "ivry", "boulogne"), a Paris
arrondissement in any usual form ("paris 13", "13e", "le 20eme", "1er arrondissement",
"Paris XIII", "75116"), a former commune ("pierrefitte" -> Saint-Denis), or any of these inside
a sentence ("j'habite à ivry", "près de la mairie de pantin", "à côté d'Épinay", "dIvry"
without its apostrophe). It never raises.

The answer is a `Location` of one of four kinds:

- `found`: one commune or arrondissement (`place`);
- `ambiguous`: several `candidates` to ask among (a shared postcode, "neuilly", "paris" alone,
  "dans le 93", a typo close to two names), or a single one to confirm ("13" alone, a far typo);
- `outside`: not in the Métropole: a postcode whose department (its first two digits; 20
  Corsica, 97x overseas) is not 75, 92, 93 or 94 and that no member commune uses ("69001",
  "78000", "91300"; `others` are the communes that use it), a department number outside it
  ("77", "dans le 69"), or the name of a commune of France that is not a member ("Lille",
  "je suis à Lyon", "Versailles", "toulous"; `others` are the communes it names, see
  `bot/geo/france.py`);
- `unknown`: nothing usable. A name that is neither a member nor a commune of France
  ("Londres"), or that names a place of Paris as well ("Belleville"), is `unknown` with reason
  "name": the person is asked for a postcode, which settles inside or outside.

Precedence, from most to least certain: postcode, explicit arrondissement ("paris 13", "13e
arrondissement"), exact names and their usual short forms, department, bare "13e", the
name of a commune outside, fuzzy names (members, then large communes outside), a bare
number. A member's name always beats a homonym outside ("Saint-Denis" is 93, unless another
department is said: "Saint-Denis 974"), but a longer name outside beats it ("Montreuil-sur-Mer",
"La Celle-Saint-Cloud"). A short form followed by more of a name is not that member
("Saint-Ouen-l'Aumône" is not Saint-Ouen, "Boulogne-sur-Mer" not Boulogne). The reasons are in
`Location.reason`.

`locate(text, previous=location)` reads the answer to the question asked for an `ambiguous`
location: "2" or "le deuxième" (a listed candidate), "13" (Paris arrondissement), "oui" (the
single candidate to confirm), "sur marne" (the words that tell candidates apart), or anything
`locate` understands on its own.

`locate_point(lat, lon)` names the nearest commune or arrondissement centroid of a shared
location, or says `outside` when every centroid is farther than `OUTSIDE_KM`.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.choices import ORDINALS as _ORDINALS, means_dont_know, means_none, said_number
from bot.geo import france
from bot.geo.communes import (
    PARIS_INSEE, WHOLE_DEPARTMENTS, Arrondissement, FormerCommune, OtherCommune, Place,
    arrondissement, arrondissements, communes, communes_of_department, department_names,
    former_communes, other_communes_by_postcode, paris, place as place_by_code,
    places_by_postcode, point_places,
)
from bot.geo.distance import haversine_km, valid_point
from bot.text import mostly_latin, normalize

log = logging.getLogger(__name__)

FOUND, AMBIGUOUS, OUTSIDE, UNKNOWN = "found", "ambiguous", "outside", "unknown"

# A shared location farther than this from every member centroid is taken as outside the
# Métropole. A chosen value, not a border: near the edge of the Métropole it can be wrong either
# way, so a location is only a starting point and the person can always type a postcode.
OUTSIDE_KM = 4.0
# At most this many candidates are listed with numbers ("1 Marolles-en-Brie 2 Santeny ...");
# more (a department) are asked for by name.
MAX_LISTED = 4
# Fuzzy matches: a score (rapidfuzz `fuzz.ratio`, 0-100) of at least `_cutoff(len)` is a
# candidate; `SURE_SCORE` and above is taken without asking; candidates within `TIE_BAND`
# points of the best one are asked among.
SURE_SCORE = 90
TIE_BAND = 3
# Fuzzy matching is tried on short answers only: a long message is not a place name.
FUZZY_MAX_TOKENS = 8
NGRAM_MAX = 5


@dataclass(frozen=True)
class Location:
    """What `locate` or `locate_point` understood.

    `place` is set for `found` (and, for `outside` from a point, to the nearest place); `lat` and
    `lon` are the centroid of `place` for a text, the shared point itself for a point.
    `postcode` is the postcode the person typed, if any. `candidates` (for `ambiguous`) are in
    the order they are offered. `merged_from` names the former commune the person typed
    ("Pierrefitte-sur-Seine"). `department` is the department number behind an `ambiguous`
    department question or an `outside` answer. `fallback` is a whole place usable instead of
    asking (Paris, for "paris"). `others` (for `outside`) are the communes outside the
    Métropole that the name or postcode typed means, and `named` (for a name) how to say it
    back ("Lille (59)").
    """

    kind: str
    reason: str = ""
    place: Place | None = None
    candidates: tuple[Place, ...] = ()
    postcode: str | None = None
    merged_from: str | None = None
    department: str | None = None
    fallback: Place | None = None
    lat: float | None = None
    lon: float | None = None
    distance_km: float | None = None
    score: float | None = None
    others: tuple[OtherCommune, ...] = ()
    named: str | None = None

    @property
    def name(self) -> str | None:
        """The name to say back ("Saint-Denis", "Paris 13e"), for `found`."""
        return self.place.nom if self.place is not None and self.kind == FOUND else None

    @property
    def code_insee(self) -> str | None:
        return self.place.code_insee if self.place is not None and self.kind == FOUND else None

    @property
    def found(self) -> bool:
        return self.kind == FOUND


def _found(place: Place, reason: str, **extra) -> Location:
    return Location(FOUND, reason, place=place, lat=place.lat, lon=place.lon, **extra)


def _ambiguous(candidates, reason: str, **extra) -> Location:
    return Location(AMBIGUOUS, reason, candidates=tuple(candidates), **extra)


def _unknown(reason: str) -> Location:
    return Location(UNKNOWN, reason)


def _paris_question(**extra) -> Location:
    return _ambiguous(arrondissements(), "paris", fallback=paris(), department="75", **extra)


# --- Words ---------------------------------------------------------------------------------

_CANON = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_ARTICLES = {"le", "la", "les", "l"}
# Words after which the rest of a name is a qualifier: "Vitry|-sur-Seine", "Issy|-les-...".
_CONNECTORS = {"sur", "sous", "en", "aux", "au", "les", "le", "la", "des", "de", "du", "d",
               "saint", "sainte", "lez"}
# Short forms that are ordinary words, never taken alone as a name.
_GENERIC = {"bois", "bourg", "ville", "saint", "sainte", "pre", "ile", "queue", "blanc", "l",
            "le", "la", "les", "mont", "val", "port", "pont", "fort", "petit", "plaine", "poste",
            "bruyeres", "mesnil"}
# Names that are also ordinary words: matched only as the whole answer, never inside a sentence.
_WHOLE_ONLY = {"maisons", "lilas", "hay"}
# Words around a place name in an answer ("j'habite à", "près de la mairie de", "merci").
_FILLERS = {
    "j", "je", "habite", "habites", "habitons", "habitez", "habiter", "vis", "vit", "vivons",
    "suis", "sommes", "reside", "resides", "residez", "demeure", "moi", "nous", "on", "c", "ca",
    "est", "cest", "ici", "a", "au", "aux", "en", "dans", "de", "du", "des", "d", "la", "le",
    "les", "l", "pres", "proche", "proximite", "cote", "vers", "sur", "sous", "ville", "commune",
    "mairie", "centre", "quartier", "secteur", "coin", "region", "banlieue", "code", "postal",
    "postale", "cp", "mon", "ma", "mes", "y", "oui", "bonjour", "bonsoir", "salut", "hello",
    "merci", "svp", "stp", "plait", "s", "il", "vous", "alors", "euh", "ben", "bah", "donc",
    "voila", "ok", "actuellement", "maintenant", "toujours", "bien", "juste", "enfin",
    "domicile", "domicilie", "domiciliee", "chez", "departement", "dept", "dpt", "dep",
    "arrondissement", "arr", "arrdt", "ardt", "et", "me",
    "m", "situe", "situee", "trouve", "un", "une", "pas", "loin", "t", "tout", "pile", "ne",
    "n", "sais", "sait", "connais", "quoi", "rien", "idee", "veux", "voudrais", "peux",
    "besoin", "aide", "cherche", "beaucoup", "madame", "monsieur", "habitation", "adresse",
    "parti", "allons", "allez", "vas", "go",
}
# Words that are part of many names but never a place on their own (a typo of "Marnes").
_NOT_NAMES = {"seine", "marne", "oise", "france", "paris", "bois", "roses", "val", "maison"}
# Phrases that hold a name but are not the place: the Métropole itself, a landlord.
_NOT_PLACES = ("metropole du grand paris", "grand paris", "paris habitat", "region parisienne")
# After a short form, these mean another commune: "Boulogne-sur-Mer" is not "Boulogne".
_NAME_GOES_ON = {"sur", "sous", "en", "aux", "au", "les", "le", "la", "l", "lez", "d", "de",
                 "des", "du"}
# A name right after these ("rue de Paris", "avenue de Stalingrad") is a street, not a place;
# it counts only when nothing else is named.
_STREET_WORDS = {"rue", "avenue", "av", "ave", "bd", "boulevard", "bld", "allee", "impasse",
                 "chemin", "route", "rte", "quai", "porte", "place", "square", "cours", "villa",
                 "cite", "passage", "sentier", "voie", "pont", "residence", "parc"}
_YES = {"oui", "ouais", "ouai", "yes", "exact", "exactement", "voila", "c est ca", "tout a fait",
        "oui c est ca", "d accord", "ok", "oui oui", "bien sur", "absolument", "oui merci",
        "c est bien ca", "c est exact", "affirmatif", "oki", "yep"}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9,
          "x": 10, "xi": 11, "xii": 12, "xiii": 13, "xiv": 14, "xv": 15, "xvi": 16, "xvii": 17,
          "xviii": 18, "xix": 19, "xx": 20}

# "13e", "13eme", "13ieme", "1er", "1ere", "2nd", "13 e", "13 eme"
_SUFFIX = r"(?:e|eme|ieme|iem|em|me|er|ere|nd|nde)"
_NUMBER = r"(?P<n>0?[1-9]|1[0-9]|20)"
_ROMAN_RE = r"(?P<r>(?=[ivx])x{0,2}(?:ix|iv|v?i{0,3}))"
_ARR_WORD = r"(?:arrondissement\w*|arrondisement\w*|arrondissemnt\w*|arrdt|ardt|arr|arrond)"
_ORDINAL_RE = "(?P<o>" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + ")"
_STRONG_ARR = [
    re.compile(rf"\bparis {_NUMBER}(?: ?{_SUFFIX})?\b(?! ?\d)"),
    re.compile(rf"\b{_NUMBER} ?{_SUFFIX}? {_ARR_WORD}\b"),
    re.compile(rf"\b{_ARR_WORD} (?:de paris )?{_NUMBER}\b(?! ?\d)"),
    re.compile(rf"\bparis {_ROMAN_RE}(?: ?{_SUFFIX})?\b"),
    re.compile(rf"\b{_ROMAN_RE} ?{_SUFFIX}? {_ARR_WORD}\b"),
    re.compile(rf"\b{_ORDINAL_RE} {_ARR_WORD}\b"),
    re.compile(rf"\bparis {_ORDINAL_RE}\b"),
]
# "Paris" and "11e" anywhere in the message ("je vis à Paris dans le 11e"), not "3e étage".
_PARIS_AND_NUMBER = re.compile(rf"\b{_NUMBER} ?{_SUFFIX}\b(?! etage)")
# The whole answer is "13e", "le 20eme", "XVIe": an arrondissement when no commune is named.
_WEAK_ARR = re.compile(rf"^{_NUMBER} ?{_SUFFIX}$")
_WEAK_ROMAN = re.compile(rf"^{_ROMAN_RE} ?(?:e|eme|ieme)$")
_GLUED_PARIS = re.compile(r"\bparis([0-9]{1,2})\b")
_POSTCODE = re.compile(r"(?<![0-9])([0-9]{5})(?![0-9])")
_SPLIT_POSTCODE = re.compile(r"(?<![0-9])([0-9]{2}) ([0-9]{3})(?![0-9])")
# Overseas departments and collectivities that use French postcodes (not Monaco, 980xx).
_OVERSEAS = {"971", "972", "973", "974", "975", "976", "977", "978", "986", "987", "988"}
_BARE_NUMBER = re.compile(r"^(?:n )?([0-9]{1,3}|2a|2b)$")


def _tokens(text: str | None) -> list[str]:
    return [_CANON.get(t, t) for t in normalize(text).split()]


def _key(text: str) -> str:
    return " ".join(_tokens(text))


def _core(tokens: list[str]) -> list[str]:
    """The answer without the words around it ("j'habite à ivry merci" -> ["ivry"])."""
    start, end = 0, len(tokens)
    while start < end and tokens[start] in _FILLERS:
        start += 1
    while end > start and tokens[end - 1] in _FILLERS:
        end -= 1
    return tokens[start:end]


def _variants(name: str) -> dict[str, int]:
    """Keys a name is known by, with a rank (0 full name, 1 without its article, 2 short form).

    "Le Perreux-sur-Marne": le perreux sur marne (0), perreux sur marne (1), le perreux and
    perreux (2). "Boulogne-Billancourt": boulogne (2). "Saint-Maur-des-Fossés": saint maur (2).
    """
    tokens = _tokens(name)
    found = {" ".join(tokens): 0}
    bodies = [tokens]
    if len(tokens) > 1 and tokens[0] in _ARTICLES:
        found.setdefault(" ".join(tokens[1:]), 1)
        bodies.append(tokens[1:])
    for body in bodies:
        start = 1 if body[0] in _ARTICLES else 0
        prefix = None
        for i in range(start + 1, len(body)):
            if body[i] in _CONNECTORS:
                prefix = body[:i]
                break
        else:
            if len(body) - start >= 2 and body[start] not in ("saint", "sainte"):
                prefix = body[:start + 1]
        if prefix and prefix[-1] not in _GENERIC | _NOT_NAMES and len(prefix[-1]) >= 3:
            found.setdefault(" ".join(prefix), 2)
        # "Boulogne-Billancourt" is also "Billancourt", "Le Kremlin-Bicêtre" "Bicêtre"
        words = body[start:]
        if (len(words) == 2 and not set(words) & _CONNECTORS and len(words[1]) >= 6
                and words[1] not in _GENERIC | _NOT_NAMES):
            found.setdefault(words[1], 2)
    return found


@dataclass
class _Entry:
    """The places a key means, at the best rank seen."""

    rank: int
    places: list = field(default_factory=list)
    former: FormerCommune | None = None


def _add(index: dict[str, _Entry], key: str, rank: int, item, former=None) -> None:
    entry = index.get(key)
    if entry is None or rank < entry.rank:
        index[key] = _Entry(rank, [item], former)
    elif rank == entry.rank and item not in entry.places:
        entry.places.append(item)


@lru_cache(maxsize=1)
def _member_index() -> dict[str, _Entry]:
    """Keys of the member communes (Paris included) and of the former communes."""
    index: dict[str, _Entry] = {}
    for commune in communes():
        for key, rank in _variants(commune.nom).items():
            _add(index, key, rank, commune)
    for former in former_communes():
        into = place_by_code(former.merged_into)
        for key, rank in _variants(former.nom).items():
            if key not in index:
                _add(index, key, rank, into, former)
    for entry in index.values():
        entry.places.sort(key=lambda p: -getattr(p, "population", 0))
    return index


@lru_cache(maxsize=1)
def _official_arrondissement_names() -> dict[str, Arrondissement]:
    """"gobelins" -> 13e, "montmartre" -> 18e: asked to confirm, never taken as such."""
    names: dict[str, Arrondissement] = {}
    for arr in arrondissements():
        key = _key(arr.nom_officiel)
        if key == "hotel de ville":  # every commune has one
            continue
        names[key] = arr
        words = key.split()
        if len(words) == 2 and words[0] == "buttes":
            names[words[1]] = arr
        elif len(words) == 2:
            names.setdefault(words[0], arr)
    return names


@lru_cache(maxsize=1)
def _department_name_keys() -> dict[str, str]:
    """"seine saint denis" -> "93", for the departments that hold member communes."""
    keys = {_key(name): code for code, name in department_names().items() if code != "75"}
    return dict(sorted(keys.items(), key=lambda kv: -len(kv[0])))


def _department_of_postcode(code: str) -> str | None:
    """The department of a French postcode (971..988 overseas), or None if none can be."""
    if code[:2] in ("97", "98"):
        dept = code[:3]
        return dept if dept in _OVERSEAS else None
    return code[:2] if "01" <= code[:2] <= "95" else None


# --- Reading a text ---------------------------------------------------------------------------

def locate(text: str | None, previous: Location | None = None) -> Location:
    """Where the person is, from what they typed. Never raises; see the module docstring."""
    try:
        if previous is not None and previous.kind == AMBIGUOUS:
            chosen = _choose(text, previous)
            if chosen is not None:
                return chosen
        return _locate(text)
    except Exception:  # pragma: no cover - a bug must not end the conversation
        log.exception("locate failed")
        return _unknown("error")


def _locate(text: str | None) -> Location:
    words = normalize(text)
    if not words:
        return _unknown("empty")
    if means_none(text) or means_dont_know(text):
        # "aucun", "je sais pas": no place (even though Aucun is a commune, in the 65).
        return _unknown("none")
    words = _GLUED_PARIS.sub(r"paris \1", words)  # "paris13"
    tokens = _unglue([_CANON.get(t, t) for t in words.split()])
    joined = " ".join(tokens)
    core = _core(tokens)
    core_text = " ".join(core)
    latin = mostly_latin(text)

    by_postcode = _from_postcodes(joined, tokens if latin else [], core_text)
    if by_postcode is not None:
        return by_postcode

    arr = _strong_arrondissement(joined)
    if arr is not None:
        return _found(arr, "arrondissement")

    masked, departments = _mask_departments(tokens) if latin else (tokens, [])
    if latin:
        by_name = _from_names(masked, core_text)
        if by_name is not None:
            return _homonym_elsewhere(core, by_name)
        official = _official_arrondissement_names().get(core_text)
        if official is not None:
            return _ambiguous([official], "confirm")

    rest = " ".join(_core([t for t in masked if t != "#"]))
    named_department = _common(departments)
    number_department = _department_in(rest)
    department = None
    if named_department and (not rest or number_department == named_department):
        department = named_department
    elif not departments and number_department:
        department = number_department
    if department is not None:
        return _from_department(department)

    weak = _WEAK_ARR.match(core_text)
    if weak:
        return _found(arrondissement(int(weak.group("n"))), "arrondissement")
    roman = _WEAK_ROMAN.match(core_text)
    if roman and core_text != "vie" and _ROMAN.get(roman.group("r")):
        return _found(arrondissement(_ROMAN[roman.group("r")]), "arrondissement")
    if core_text in _ORDINALS:  # "seizième" alone: Paris 16e?
        return _ambiguous([arrondissement(_ORDINALS[core_text])], "arrondissement_number")

    if latin:
        named = _outside_by_name(tokens)
        if named is not None:
            return named
        fuzzy = _fuzzy(core)
        if fuzzy is not None:
            return fuzzy
        typo = france.fuzzy(core)
        if typo:
            return _outside_name(typo, "fuzzy")

    bare = _BARE_NUMBER.match(core_text)
    if bare and bare.group(1) in _ARR_NUMBERS:
        return _ambiguous([arrondissement(int(bare.group(1)))], "arrondissement_number")
    if latin and _looks_like_a_name(rest):
        return _unknown("name")  # not a member: the postcode will tell inside from outside
    return _unknown("not_understood")


def _homonym_elsewhere(core: list[str], location: Location) -> Location:
    """A member's name followed by another department's number is that department's homonym:
    "Saint-Denis 974" is not Saint-Denis (93)."""
    if location.kind != FOUND or location.reason != "name":
        return location
    name, department = france.split_department(core)
    if department is None or department == location.place.departement:
        return location
    match = france.homonyms_in(name, department)
    return _outside_name(match, "name") if match else location


def _outside_name(match: france.Match, reason: str) -> Location:
    return Location(OUTSIDE, reason, department=match.department, others=match.communes,
                    named=match.name)


def _outside_by_name(tokens: list[str]) -> Location | None:
    """A commune outside the Métropole named as the whole answer ("Versailles", "je suis à
    Lyon", "au Mans", "Lille 59") or after a word that says where ("je vis à Lyon avec ma
    fille"); see `bot/geo/france.py`."""
    start, end = 0, len(tokens)
    while start < end and tokens[start] in _FILLERS:
        start += 1
    while end > start and tokens[end - 1] in _FILLERS:
        end -= 1
    # the words around it may belong to the name: "Coucy-la-Ville", "Saint-Vit", "Vers-Pont"
    spans = sorted({(s, e) for s in (0, start) for e in (end, len(tokens)) if s < e},
                   key=lambda span: span[0] - span[1])
    for s, e in spans:
        if all(t in _FILLERS for t in tokens[s:e]):
            continue  # "y", "vers": words around a name, not one
        match = france.whole(tokens[s:e], tokens[s - 1] if s > 0 else None)
        if match:
            return _outside_name(match, "name")
    match = france.in_sentence(tokens)
    return _outside_name(match, "name") if match else None


@lru_cache(maxsize=1)
def _first_words() -> frozenset[str]:
    """First words of the members' names and short forms ("ivry", "aubervilliers", "hay")."""
    words = set()
    for key in _member_index():
        words.add(key.split()[0])
        if key.split()[0] in _ARTICLES and len(key.split()) > 1:
            words.add(key.split()[1])
    return frozenset(w for w in words if len(w) >= 3)


def _unglue(tokens: list[str]) -> list[str]:
    """An elision typed without its apostrophe: "dIvry" -> "d ivry", "lHaÿ" -> "l hay"."""
    if not any(len(t) >= 4 and t[0] in "dl" for t in tokens):
        return tokens
    first = _first_words()
    result = []
    for token in tokens:
        if (len(token) >= 4 and token[0] in "dl" and token[1] in "aeiouyh"
                and token not in first and token[1:] in first and token not in _FILLERS):
            result.extend((token[0], token[1:]))
        else:
            result.append(token)
    return result


# A place name the Métropole does not hold: a few words of letters ("lyon", "boulogne sur mer").
NAME_MAX_TOKENS = 5
NAME_MAX_CHARS = 60


def _looks_like_a_name(rest: str) -> bool:
    """True when what is left of the answer could be a commune name: one to `NAME_MAX_TOKENS`
    words of letters only ("versailles", "saint ouen l aumone"), not a sentence or a number."""
    words = rest.split()
    return (0 < len(words) <= NAME_MAX_TOKENS and len(rest) <= NAME_MAX_CHARS
            and all(w.isalpha() for w in words) and any(len(w) >= 3 for w in words))


_ARR_NUMBERS = {str(n) for n in range(1, 21)}


def _department_in(text: str) -> str | None:
    """The department a bare number means ("93", "dept 77", "05", "2a", "974"), if any.

    1 to 20 without a leading zero are Paris arrondissements, asked about later."""
    match = _BARE_NUMBER.match(text)
    if not match or match.group(1) in _ARR_NUMBERS:
        return None
    value = match.group(1)
    if value in ("2a", "2b") or value in _OVERSEAS or (len(value) == 2 and "01" <= value <= "95"):
        return value
    return None


def _common(values: list[str]) -> str | None:
    return values[0] if values and len(set(values)) == 1 else None


def _from_postcodes(joined: str, tokens: list[str], core_text: str) -> Location | None:
    codes = _POSTCODE.findall(joined) + ["".join(m) for m in _SPLIT_POSTCODE.findall(joined)
                                         if _department_of_postcode("".join(m))]
    codes = list(dict.fromkeys(codes))
    if not codes:
        return None
    members: list[Place] = []
    member_codes: list[str] = []
    others: list[Location] = []
    for code in codes:
        found = places_by_postcode(code)
        if found:
            members.extend(p for p in found if p not in members)
            member_codes.append(code)
            continue
        department = _department_of_postcode(code)
        if department == "75":
            others.append(_paris_question(postcode=code))
        elif department in WHOLE_DEPARTMENTS:
            others.append(_ambiguous(communes_of_department(department), "department",
                                     department=department, postcode=code))
        elif department is not None:
            # Not a member postcode (those of 91 and 95 members were found above), in a
            # department other than 75, 92, 93, 94: certainly outside.
            others.append(Location(OUTSIDE, "postcode", postcode=code, department=department,
                                   others=other_communes_by_postcode(code)))
    postcode = member_codes[0] if len(member_codes) == 1 else None
    if members:
        named = _names_in(_mask_departments(tokens)[0], core_text)
        if len(members) == 1:
            place = members[0]
            if named and not any(_same_place(place, n) for n in named):
                return _ambiguous(_unique([place] + named), "conflict", postcode=postcode)
            return _found(place, "postcode", postcode=postcode,
                          merged_from=_former_for_postcode(place, postcode))
        narrowed = [p for p in members if any(_same_place(p, n) for n in named)]
        if len(narrowed) == 1:
            return _found(narrowed[0], "postcode", postcode=postcode)
        return _ambiguous(members, "postcode_shared", postcode=postcode)
    if others:
        return others[0]
    return None


def _same_place(a: Place, b: Place) -> bool:
    return a == b or (b.code_insee == PARIS_INSEE and isinstance(a, Arrondissement))


def _unique(places) -> list:
    return list(dict.fromkeys(places))


def _former_for_postcode(place: Place, postcode: str | None) -> str | None:
    for former in former_communes():
        if former.merged_into == place.code_insee and postcode in former.codes_postaux:
            return former.nom
    return None


def _strong_arrondissement(joined: str) -> Arrondissement | None:
    for pattern in _STRONG_ARR:
        for match in pattern.finditer(joined):
            groups = match.groupdict()
            if groups.get("n"):
                number = int(groups["n"])
            elif groups.get("r"):
                number = _ROMAN.get(groups["r"], 0)
            elif groups.get("o"):
                number = _ORDINALS[groups["o"]]
            else:
                continue
            found = arrondissement(number)
            if found is not None:
                return found
    if re.search(r"\bparis\b", joined):
        for match in _PARIS_AND_NUMBER.finditer(joined):
            return arrondissement(int(match.group("n")))
    return None


def _mask_departments(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Department names replaced by "#" ("saint denis en seine saint denis" keeps one
    Saint-Denis), and the departments named."""
    text = " " + " ".join(tokens) + " "
    for phrase in _NOT_PLACES:
        text = text.replace(f" {phrase} ", " " + " ".join("#" * len(phrase.split())) + " ")
    named = []
    for key, code in _department_name_keys().items():
        while f" {key} " in text:
            named.append(code)
            text = text.replace(f" {key} ", " " + " ".join("#" * len(key.split())) + " ", 1)
    return text.split(), named


def _exact_matches(tokens: list[str], core_text: str) -> list[tuple[_Entry, bool]]:
    """Longest known keys in the text, left to right, each with "after a street word"."""
    index = _member_index()
    found = []
    i = 0
    while i < len(tokens):
        # a commune outside whose name starts here and is longer than any member's name here:
        # "saint martin boulogne" is not Boulogne, "la celle saint cloud" not Saint-Cloud
        longer, _ = france.longest_at(tokens, i) if len(tokens) - i > 1 else (0, ())
        if longer > 1 and not any(" ".join(tokens[i:i + n]) in index
                                  for n in range(longer, min(NGRAM_MAX, len(tokens) - i) + 1)):
            i += longer
            continue
        for n in range(min(NGRAM_MAX, len(tokens) - i), 0, -1):
            key = " ".join(tokens[i:i + n])
            entry = index.get(key)
            if entry is None or (key in _WHOLE_ONLY and key != core_text):
                continue
            if entry.rank == 2 and i + n < len(tokens) and tokens[i + n] in _NAME_GOES_ON:
                continue
            if i + n < len(tokens):
                # a longer name of a commune outside: "montreuil sur mer", "orly sur morin"
                longer = france.longer_name_at(tokens, i, n)
                if longer:
                    i += longer
                    break
            before = tokens[max(0, i - 2):i]
            street = bool(before) and (before[-1] in _STREET_WORDS or (
                len(before) == 2 and before[-1] in ("de", "du", "des", "d")
                and before[0] in _STREET_WORDS))
            found.append((entry, street))
            i += n
            break
        else:
            i += 1
    return found


def _names_in(tokens: list[str], core_text: str) -> list[Place]:
    """Communes named next to a postcode, to check it against: streets ("93100 rue de Paris")
    and Paris ("93100, près de Paris") do not count."""
    matches = _exact_matches(tokens, core_text)
    return _unique(p for entry, street in matches if not street for p in entry.places
                   if p.code_insee != PARIS_INSEE)


def _from_names(tokens: list[str], core_text: str) -> Location | None:
    matches = _exact_matches(tokens, core_text)
    if not matches:
        return None
    chosen = [m for m in matches if not m[1]] or matches
    places = _unique(p for entry, _ in chosen for p in entry.places)
    if len(places) > 1:
        places = [p for p in places if p.code_insee != PARIS_INSEE]
    if len(places) == 1:
        place = places[0]
        if place.code_insee == PARIS_INSEE:
            return _paris_question()
        formers = {entry.former for entry, _ in chosen if entry.former is not None}
        if formers and len(chosen) == len([e for e, _ in chosen if e.former is not None]):
            former = formers.pop()
            return _found(place, "former_commune", merged_from=former.nom)
        return _found(place, "name")
    reason = "name" if len(chosen) == 1 else "several"
    return _ambiguous(places, reason)


def _from_department(department: str) -> Location:
    if department == "75":
        return _paris_question()
    if department in department_names():
        return _ambiguous(communes_of_department(department), "department", department=department)
    return Location(OUTSIDE, "department", department=department.upper())


def _cutoff(length: int) -> float:
    if length < 4:
        return 101.0
    if length == 4:
        return 75.0
    if length <= 7:
        return 80.0
    return 85.0


@lru_cache(maxsize=1)
def _fuzzy_choices() -> tuple[list[str], list[_Entry]]:
    keys = [k for k in _member_index() if len(k) >= 4]
    return keys, [_member_index()[k] for k in keys]


def _fuzzy(core: list[str]) -> Location | None:
    if not core or len(core) > FUZZY_MAX_TOKENS:
        return None
    whole = " ".join(core)
    # query -> True when the name goes on after it ("boulogne" in "boulogne sur mer")
    queries = {whole: False}
    for n in range(1, min(NGRAM_MAX, len(core)) + 1):
        for i in range(len(core) - n + 1):
            gram = core[i:i + n]
            if gram[0] not in _FILLERS and gram[-1] not in _FILLERS:
                goes_on = i + n < len(core) and core[i + n] in _NAME_GOES_ON
                queries.setdefault(" ".join(gram), goes_on)
    keys, entries = _fuzzy_choices()
    best: dict[Place, tuple[float, _Entry]] = {}
    for query, goes_on in queries.items():
        if len(query) < 4 or query.isdigit() or query in _NOT_NAMES:
            continue
        cutoff = _cutoff(len(query))
        for key, score, i in process.extract(query, keys, scorer=fuzz.ratio, score_cutoff=cutoff,
                                             limit=10):
            entry = entries[i]
            if (key in _WHOLE_ONLY and query != whole) or (goes_on and entry.rank == 2):
                continue
            if query != whole and score < SURE_SCORE:
                continue  # inside a sentence, only a near-certain name ("voir" is not Viry)
            if len(query) <= 5 and (abs(len(key) - len(query)) > 1 or key[:2] != query[:2]):
                continue  # a short word: one letter off, not at its start ("sais", "stains")
            for p in entry.places:
                if score > best.get(p, (0.0, entry))[0]:
                    best[p] = (score, entry)
    if not best:
        return None
    top = max(score for score, _ in best.values())
    close = sorted((p for p, (score, _) in best.items() if score >= top - TIE_BAND),
                   key=lambda p: (-best[p][0], -getattr(p, "population", 0)))
    if len(close) > 1:
        close = [p for p in close if p.code_insee != PARIS_INSEE] or close
    if len(close) == 1:
        place = close[0]
        entry = best[place][1]
        if place.code_insee == PARIS_INSEE:
            return _paris_question(score=top)
        if top >= SURE_SCORE:
            if entry.former is not None:
                return _found(place, "former_commune", merged_from=entry.former.nom, score=top)
            return _found(place, "fuzzy", score=top)
        return _ambiguous([place], "confirm", score=top)
    return _ambiguous(close, "fuzzy", score=top)


# --- Reading the answer to a question about candidates ---------------------------------------

def _choose(text: str | None, previous: Location) -> Location | None:
    candidates = previous.candidates
    tokens = _tokens(text)
    core_text = " ".join(_core(tokens))
    words = " ".join(tokens)
    if not candidates:
        return None
    if words in _YES or core_text in _YES:
        if len(candidates) == 1:
            return _found(candidates[0], "choice", postcode=previous.postcode)
        return None
    # "2", "le 2", "2e", "n°2", "la deuxième", "le dernier", "je prends le 2 merci": the one
    # reader of choices (bot.choices); no range check here ("5" among three asks again).
    number = said_number(text, 20 if previous.reason == "paris" else len(candidates))
    if number is not None:
        if previous.reason == "paris":
            found = arrondissement(number)
            return _found(found, "choice") if found else None
        if len(candidates) == 1:
            only = candidates[0]
            # "1" is yes; "13" again, after "Paris 13e ?", too.
            if number == 1 or (isinstance(only, Arrondissement) and number == only.number):
                return _found(only, "choice", postcode=previous.postcode)
            return None
        if len(candidates) <= MAX_LISTED:
            if 1 <= number <= len(candidates):
                return _found(candidates[number - 1], "choice", postcode=previous.postcode)
            return previous  # "5" among three listed: the same question again
        return None
    # The words that tell the candidates apart ("sur marne", "le grand", "billancourt"): filler
    # words count only when some candidate's name has them.
    keys = {p: set(_key(p.nom).split()) for p in candidates}
    name_words = set().union(*keys.values())
    meaningful = [t for t in tokens if t not in _FILLERS or t in name_words]
    if not meaningful:
        return None
    matching = [p for p, words_of in keys.items() if all(t in words_of for t in meaningful)]
    if len(matching) == 1:
        return _found(matching[0], "choice", postcode=previous.postcode)
    # A fuller answer: keep it when it falls among the candidates.
    again = _locate(text)
    if again.kind == FOUND:
        return again
    if again.kind == AMBIGUOUS:
        among = [p for p in again.candidates if p in candidates]
        if len(among) == 1:
            return _found(among[0], "choice", postcode=previous.postcode)
    return None


# --- A shared location ------------------------------------------------------------------------

def locate_point(lat: float, lon: float) -> Location:
    """The commune or arrondissement whose centroid is nearest to a shared location.

    `outside` when every centroid is farther than `OUTSIDE_KM` (the point itself is in `lat`,
    `lon`; the nearest place and its distance are still given); `unknown` for an invalid point.
    Near the border, a point just outside (up to about 4 km) is taken as near the closest
    member commune: the places offered are then the nearest ones anyway, and a resident is
    never turned away.
    """
    if not valid_point(lat, lon):
        return _unknown("invalid_point")
    lat, lon = float(lat), float(lon)
    nearest, distance = min(((p, haversine_km(lat, lon, p.lat, p.lon)) for p in point_places()),
                            key=lambda item: item[1])
    distance = round(distance, 3)
    if distance > OUTSIDE_KM:
        return Location(OUTSIDE, "point", place=nearest, lat=lat, lon=lon, distance_km=distance)
    return Location(FOUND, "point", place=nearest, lat=lat, lon=lon, distance_km=distance)


def nearest_places(lat: float, lon: float, count: int = 3) -> list[tuple[Place, float]]:
    """The `count` commune or arrondissement centroids nearest to a point, with their distance."""
    if not valid_point(lat, lon):
        return []
    ranked = sorted(((p, haversine_km(float(lat), float(lon), p.lat, p.lon))
                     for p in point_places()), key=lambda item: item[1])
    return ranked[:max(0, count)]


__all__ = [
    "AMBIGUOUS", "FOUND", "OUTSIDE", "UNKNOWN", "Location", "OUTSIDE_KM", "locate",
    "locate_point", "nearest_places",
]
