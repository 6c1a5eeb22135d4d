"""Reading which of the offered options a person chose: one reader for every question.

Every question of the conversation that offers options (the diagnostic's questions and the
consent, the places, the slots, the bookings to manage, the candidate communes, the numbered
buttons of an SMS) reads the answer here, on every channel, so that "2e" means the same thing
everywhere.

`read_choice(text, options)` understands, in this order:

1. nothing (empty, emoji, punctuation): `EMPTY`;
2. the whole message is one option's title or one of its words ("oui", "Les deux",
   "unsmartphone"), ignoring case, accents, spaces and punctuation; a bare number is always a
   rank, even when a title is made of digits;
3. a number or an ordinal among filler words: "2", " 2 ", "2.", "2)", "n°2", "nº2", "choix 2",
   "numéro 2", "le 2", "je prends le 2 merci", full-width or Arabic-Indic digits ("２", "٢"),
   keycaps ("2️⃣"), "2e", "2ème", "2eme", "2 ème", "deuxième" (and its typos), "le premier",
   "la première", "1er", "second", "le deux", "le dernier" (the last option), "l'avant-dernier".
   A number outside 1..count is `OUT_OF_RANGE`; two different numbers ("1 ou 2") are
   `UNCLEAR`. Any other word around the number ("j'ai 2 enfants", "le 2 décembre", "pas le 2")
   means the message is not a rank;
4. (with `partial`, the default) the option's own words (and its title) found in the message,
   as whole words: the phrase of the most words decides, a tie is `UNCLEAR` ("un portable ou
   un ordi"); phrases that rule an option out
   (`excludes`, "pas d'ordi") leave the others (`NARROWED`, or the only one left); or every
   meaningful word of the message found in one title only, in any order, typos included ("la
   poste de st denis", "le bus", "mediateque pierefite" for "Médiathèque de Pierrefitte");
5. the person means none of the options ("aucun", "aucune", "rien", "ni l'un ni l'autre",
   "autre chose"): `NONE`; or does not know ("je sais pas", "jsp", "je ne sais pas", "sais
   pas", "aucune idée"): `DONT_KNOW`. An option whose own words say so wins ("aucun" is option
   4 of "Quel appareil avez-vous ?");
6. (with `fuzzy`, the default) the message is an option's title or word with a typo
   ("smartphnoe", "jamai"; rapidfuzz ratio on text without accents);
7. otherwise `UNCLEAR`.

Callers answer from the kind: a number to act on, or a kind reply (`NONE`: offer something
else; `DONT_KNOW`: reassure and explain; `OUT_OF_RANGE`: say which numbers exist).

`said_number(text, count)` is step 3 alone, without a range (an arrondissement "le 13e", a
candidate commune); `ORDINALS` the ordinal words 1 to 20; `means_none` / `means_dont_know`
step 5 alone.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Sequence

from rapidfuzz import fuzz

from bot.text import normalize


class Kind(str, Enum):
    CHOSEN = "chosen"
    NONE = "none"  # none of the options ("aucun", "rien", "autre chose")
    DONT_KNOW = "dont_know"  # "je sais pas"
    UNCLEAR = "unclear"  # nothing understood, or several options at once
    OUT_OF_RANGE = "out_of_range"  # a number that is not an option ("5" among 3)
    EMPTY = "empty"  # no words at all
    NARROWED = "narrowed"  # some options ruled out, `candidates` are still possible


CHOSEN, NONE, DONT_KNOW, UNCLEAR = Kind.CHOSEN, Kind.NONE, Kind.DONT_KNOW, Kind.UNCLEAR
OUT_OF_RANGE, EMPTY, NARROWED = Kind.OUT_OF_RANGE, Kind.EMPTY, Kind.NARROWED


@dataclass(frozen=True)
class Choice:
    """What the person chose.

    `number` (1-based) is set for `CHOSEN` only (and for `OUT_OF_RANGE`: the number said).
    `how` tells what decided: "number" ("2", "le 2"), "ordinal" ("2e", "le deuxième"),
    "last" ("le dernier"), "exact" (a whole title or word), "words" (an option's words in
    the message), "title" (the message within a title), "narrowed", "fuzzy", "phrase" (the
    words of `NONE` / `DONT_KNOW`); for `UNCLEAR`, "several" (options tied on their words,
    titles or typos: `candidates`) or "numbers" (two different numbers: `candidates` are those
    in range).
    `candidates` are also the options still possible for `NARROWED`.
    """

    kind: Kind
    number: int | None = None
    how: str = ""
    candidates: tuple[int, ...] = ()

    @property
    def chosen(self) -> bool:
        return self.kind is CHOSEN

    @property
    def outcome(self) -> int | Kind:
        """The number chosen, or the kind ("2" -> 2, "aucun" -> NONE)."""
        return self.number if self.kind is CHOSEN else self.kind


@dataclass(frozen=True)
class Option:
    """An option as offered: its title (what was shown), other words that name it, and
    phrases that rule it out."""

    title: str = ""
    words: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


# --- numbers ------------------------------------------------------------------------------

_UNITS = ["un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
          "douze", "treize", "quatorze", "quinze", "seize"]
# Ordinal words, 1 to 20 (also the arrondissements of Paris: "le seizième").
ORDINALS: dict[str, int] = {
    "premier": 1, "premiere": 1, "premiers": 1, "premieres": 1, "second": 2, "seconde": 2,
    "deuxieme": 2, "troisieme": 3, "quatrieme": 4, "cinquieme": 5, "sixieme": 6,
    "septieme": 7, "huitieme": 8, "neuvieme": 9, "dixieme": 10, "onzieme": 11, "douzieme": 12,
    "treizieme": 13, "quatorzieme": 14, "quinzieme": 15, "seizieme": 16, "dix septieme": 17,
    "dix huitieme": 18, "dix neuvieme": 19, "vingtieme": 20,
}
# Number words, said alone or after an article ("le deux", "la une", "numéro trois").
CARDINALS: dict[str, int] = {word: number for number, word in enumerate(_UNITS, 1)}
CARDINALS.update({"une": 1, "dix sept": 17, "dix huit": 18, "dix neuf": 19, "vingt": 20})
_LAST = {"dernier", "derniere", "derniers", "dernieres"}
_BEFORE_LAST = {"avant", "avant dernier", "avant derniere", "penultieme"}
# Words that may surround a number ("je prends le 2 svp"); anything else around a number means
# the message is not a rank ("alert(1)", "j'ai 2 enfants", "le 2 décembre", "pas le 2").
FILLER = frozenset({
    "le", "la", "l", "les", "reponse", "rep", "choix", "choice", "numero", "num", "n", "no",
    "nr", "option", "c", "est", "cest", "ca", "sera", "je", "j", "choisis", "choisi", "prends",
    "prend", "prendrai", "prendre", "veux", "voudrais", "prefere", "dirais", "plutot", "pense",
    "mets", "alors", "euh", "heu", "bah", "ben", "donc", "svp", "stp", "s", "il", "vous",
    "plait", "merci", "beaucoup", "voila", "oui", "bon", "ok", "okay", "d", "accord", "celui",
    "celle", "ci", "pour", "moi", "ou", "et", "va", "lieu", "endroit", "creneau", "rdv",
    "rendez", "horaire", "bien", "sur", "ce", "numeros",
})
# Words that make a number word a rank: "le deux", "numéro trois" (not "les deux": both).
_ARTICLES = frozenset({"le", "la", "l", "numero", "num", "n", "no", "choix", "reponse", "option"})
_SUFFIX = r"(?:e|er|ere|eme|emes|ieme|iem|iere|ier|em|me|nd|nde|eres|ers)"
_ORDINAL_NUMBER = re.compile(rf"^(\d{{1,3}}){_SUFFIX}$")
_DIGITS = re.compile(r"^\d{1,3}$")
_PREFIXED = re.compile(r"^(?:n|no|nr|num)(\d{1,3})$")  # "nº2" -> "no2"
_SUFFIX_ALONE = re.compile(rf"^{_SUFFIX}$")
_FUZZY_ORDINALS = {**ORDINALS, **{word: 0 for word in _LAST}}


_SHORT_FORMS = {"st": "saint", "ste": "sainte", "stes": "saintes", "sts": "saints"}


def _prepare(text: str | None) -> str:
    """normalize(), with "n°2" and "nº2" read as "n 2" (unidecode spells ° "deg") and "st"
    as "saint"."""
    words = normalize(re.sub(r"[°º˚]", " ", str(text or "")[:1000])).split()
    return " ".join(_SHORT_FORMS.get(word, word) for word in words)


def _merge_pairs(tokens: list[str]) -> list[str]:
    """"dix septieme" -> one token, "avant dernier" -> one token."""
    merged: list[str] = []
    index = 0
    while index < len(tokens):
        pair = " ".join(tokens[index:index + 2])
        if index + 1 < len(tokens) and (pair in ORDINALS or pair in CARDINALS
                                         or pair in _BEFORE_LAST):
            merged.append(pair)
            index += 2
        else:
            merged.append(tokens[index])
            index += 1
    return merged


def _fuzzy_ordinal(token: str) -> int | None:
    """"deuxiemme" -> 2, "derneire" -> 0 (the last): a typo of one ordinal only."""
    if len(token) < 6 or not token.isalpha():
        return None
    scores = sorted(((fuzz.ratio(token, word), value) for word, value in _FUZZY_ORDINALS.items()),
                    reverse=True)
    best, value = scores[0]
    if best >= 86 and all(score <= best - 5 for score, other in scores[1:] if other != value):
        return value
    return None


@dataclass(frozen=True)
class _Said:
    numbers: frozenset[int]
    how: str


def _numbers_said(words: str, count: int | None,
                  titled: frozenset[str] = frozenset()) -> _Said | None:
    """The numbers a message made only of numbers, ordinals and filler words says; None when
    some other word is there (the message is not a rank). A number word alone that is also a
    word of a title ("deux" for "Les deux") is not a rank."""
    tokens = _merge_pairs(words.split())
    if not tokens:
        return None
    numbers: set[int] = set()
    how = "number"
    for index, token in enumerate(tokens):
        previous = tokens[index - 1] if index else ""
        if _DIGITS.match(token):
            numbers.add(int(token))
        elif _PREFIXED.match(token):
            numbers.add(int(_PREFIXED.match(token).group(1)))
        elif _ORDINAL_NUMBER.match(token):
            numbers.add(int(_ORDINAL_NUMBER.match(token).group(1)))
            how = "ordinal"
        elif token in ORDINALS:
            numbers.add(ORDINALS[token])
            how = "ordinal"
        elif token in _LAST or token in _BEFORE_LAST:
            if token == "avant":
                return None  # "avant" alone is not a rank
            if count is None or count < 1:
                return None
            numbers.add(count if token in _LAST else count - 1)
            how = "last"
        elif token in CARDINALS and (previous in _ARTICLES
                                     or (len(tokens) == 1 and token not in titled)):
            numbers.add(CARDINALS[token])
        elif _SUFFIX_ALONE.match(token) and _DIGITS.match(previous):
            continue  # "2 eme"
        elif token in FILLER:
            continue
        else:
            value = _fuzzy_ordinal(token)
            if value is None:
                return None
            if value == 0:
                if count is None or count < 1:
                    return None
                value, how = count, "last"
            else:
                how = "ordinal"
            numbers.add(value)
    if not numbers:
        return None
    return _Said(frozenset(numbers), how)


def said_number(text: str | None, count: int | None = None) -> int | None:
    """The one number or ordinal a message says, among filler words, whatever its range:
    "13", "le 13e", "n°2", "la deuxième" -> 13, 13, 2, 2; "le dernier" -> `count`. None when
    there is none, several, or other words around it ("le 2 décembre")."""
    said = _numbers_said(_prepare(text), count)
    if said is None or len(said.numbers) != 1:
        return None
    (number,) = said.numbers
    return number


# --- none of them, does not know ----------------------------------------------------------

DONT_KNOW_PHRASES = (
    "je sais pas", "je ne sais pas", "sais pas", "sait pas", "jsp", "j sais pas", "chais pas",
    "chai pas", "ch sais pas", "je sai pas", "sai pas", "je c pas", "je ne sais plus",
    "je sais plus", "sais plus", "aucune idee", "pas d idee", "aucun idee", "j en sais rien",
    "j en sais pas", "je ne suis pas sur", "je ne suis pas sure", "je suis pas sur",
    "je suis pas sure", "j hesite", "je ne sais", "comprends rien", "comprend rien",
    "compris rien", "je vois pas", "je ne vois pas",
)
NONE_PHRASES = (
    "aucun", "aucune", "aucuns", "aucunes", "rien", "ni l un ni l autre", "ni l une ni l autre",
    "ni un ni l autre", "ni une ni l autre", "ni l un ni l autres", "autre chose",
    "autres choses", "un autre", "une autre", "d autres", "autre part", "ailleurs",
    "pas ceux la", "pas celles la", "pas celui la", "pas celle la", "ca ne me va pas",
    "ca me va pas", "ne me convient pas", "me convient pas", "ne me conviennent pas",
    "me conviennent pas", "non merci",
)
_MAX_PHRASE_TOKENS = 12


def _contains(haystack: str, phrase: str) -> bool:
    return bool(phrase) and f" {phrase} " in f" {haystack} "


def _says(words: str, phrases: Iterable[str]) -> bool:
    return len(words.split()) <= _MAX_PHRASE_TOKENS and any(_contains(words, p) for p in phrases)


def means_dont_know(text: str | None) -> bool:
    """"je sais pas", "jsp", "aucune idée"."""
    return _says(_prepare(text), DONT_KNOW_PHRASES)


def means_none(text: str | None) -> bool:
    """"aucun", "rien", "ni l'un ni l'autre", "autre chose" (and not "je n'en sais rien")."""
    words = _prepare(text)
    return not _says(words, DONT_KNOW_PHRASES) and _says(words, NONE_PHRASES)


# --- options' words -----------------------------------------------------------------------

# Words too common to name an option on their own (the message within a title).
_STOP = frozenset({
    "le", "la", "l", "les", "de", "des", "du", "d", "un", "une", "et", "ou", "a", "au", "aux",
    "en", "sur", "pour", "par", "avec", "mon", "ma", "mes", "je", "j", "oui", "non", "c", "est",
    "ce", "ca", "s", "il", "vous", "svp", "merci", "lieu",
})
FUZZY_SCORE = 85  # rapidfuzz ratio (0-100) for a typo of a title or word
FUZZY_SCORE_SHORT = 90  # for a message of 5 characters or fewer
FUZZY_MARGIN = 5  # the best option must lead the next one by this many points
_FUZZY_MIN_CHARS, _FUZZY_MAX_CHARS = 4, 80


def _as_option(option: Option | str | Sequence[str] | None) -> Option:
    if isinstance(option, Option):
        return option
    if option is None:
        return Option()
    if isinstance(option, str):
        return Option(title=option)
    items = [str(item) for item in option]
    return Option(title=items[0] if items else "", words=tuple(items[1:]))


def _key(text: str | None) -> str:
    """Letters and digits only, for whole-message comparisons: "Un smartphone !" ->
    "unsmartphone"; text of scripts unidecode cannot spell keeps its own letters."""
    key = _prepare(text).replace(" ", "")
    if key:
        return key
    plain = unicodedata.normalize("NFKC", str(text or "")[:1000]).casefold()
    return "".join(ch for ch in plain if ch.isalnum())


@dataclass(frozen=True)
class _Prepared:
    title: str
    words: tuple[str, ...]
    excludes: tuple[str, ...]
    keys: frozenset[str]


def _prepare_options(options: Sequence[Option]) -> list[_Prepared]:
    prepared = []
    for option in options:
        title = _prepare(option.title)
        words = tuple(w for w in (_prepare(w) for w in option.words) if w)
        excludes = tuple(w for w in (_prepare(w) for w in option.excludes) if w)
        keys = {k for k in (_key(option.title), *(_key(w) for w in option.words)) if k}
        prepared.append(_Prepared(title, words, excludes, frozenset(keys)))
    return prepared


def _exact(text: str | None, options: list[_Prepared]) -> Choice | None:
    key = _key(text)
    if not key:
        return None
    hits = tuple(number for number, option in enumerate(options, 1) if key in option.keys)
    if len(hits) == 1:
        return Choice(CHOSEN, hits[0], "exact")
    if hits:
        return Choice(UNCLEAR, None, "several", hits)
    return None


def _by_number(words: str, count: int | None, options: list[_Prepared]) -> Choice | None:
    said = _numbers_said(words, count, frozenset(w for o in options for w in o.title.split()))
    if said is None:
        return None
    if len(said.numbers) > 1:
        within = tuple(sorted(n for n in said.numbers if count is None or 1 <= n <= count))
        return Choice(UNCLEAR, None, "numbers", within)
    (number,) = said.numbers
    if count is not None and not 1 <= number <= count:
        return Choice(OUT_OF_RANGE, number, said.how)
    return Choice(CHOSEN, number, said.how)


def _in_title(word: str, title: list[str], fuzzy: bool) -> bool:
    if word in title:
        return True
    return fuzzy and len(word) >= 5 and any(
        len(other) >= 4 and fuzz.ratio(word, other) >= FUZZY_SCORE for other in title)


def _by_words(words: str, options: list[_Prepared], fuzzy: bool) -> Choice | None:
    excluded: set[int] = set()
    covered = words
    for number, option in enumerate(options, 1):
        for phrase in option.excludes:
            if _contains(words, phrase):
                excluded.add(number)
                covered = f" {covered} ".replace(f" {phrase} ", " # ").strip()
    best: dict[int, int] = {}  # the most words of one phrase found, by option
    for number, option in enumerate(options, 1):
        if number in excluded:
            continue
        for phrase in (*option.words, option.title):
            if _contains(covered, phrase):
                best[number] = max(best.get(number, 0), len(phrase.split()))
    if best:
        top = max(best.values())
        winners = tuple(number for number, weight in best.items() if weight == top)
        if len(winners) == 1:
            return Choice(CHOSEN, winners[0], "words")
        return Choice(UNCLEAR, None, "several", winners)
    # Every meaningful word of the message is in one title only ("la poste de saint denis",
    # "le bus", "mediatheque pierefite"), a typo included when `fuzzy`.
    tokens = covered.split()
    meaningful = [t for t in tokens if t not in _STOP and t not in FILLER]
    if meaningful and "#" not in tokens and len("".join(meaningful)) >= 3:
        within = tuple(number for number, option in enumerate(options, 1)
                       if number not in excluded
                       and all(_in_title(t, option.title.split(), fuzzy) for t in meaningful))
        if len(within) == 1:
            return Choice(CHOSEN, within[0], "title")
        if within:
            return Choice(UNCLEAR, None, "several", within)
    remaining = tuple(n for n in range(1, len(options) + 1) if n not in excluded)
    if excluded and len(remaining) == 1:
        return Choice(CHOSEN, remaining[0], "narrowed")
    if excluded and remaining:
        return Choice(NARROWED, None, "narrowed", remaining)
    return None


def _by_typo(words: str, options: list[_Prepared]) -> Choice | None:
    if not _FUZZY_MIN_CHARS <= len(words) <= _FUZZY_MAX_CHARS or not any(c.isalpha() for c in words):
        return None
    needed = FUZZY_SCORE_SHORT if len(words) <= 5 else FUZZY_SCORE
    scores: dict[int, float] = {}
    for number, option in enumerate(options, 1):
        score = max([fuzz.ratio(words, phrase) for phrase in (option.title, *option.words)
                     if phrase] or [0.0])
        scores[number] = score
    if not scores:
        return None
    top = max(scores.values())
    if top < needed:
        return None
    close = tuple(n for n, score in scores.items() if score > top - FUZZY_MARGIN)
    if len(close) == 1:
        return Choice(CHOSEN, close[0], "fuzzy")
    return Choice(UNCLEAR, None, "several", close)


def read_choice(text: str | None,
                options: Sequence[Option | str | Sequence[str] | None] | None = None, *,
                count: int | None = None, partial: bool = True, fuzzy: bool = True) -> Choice:
    """Which of the offered options `text` means (see the module doc).

    `options`: what was offered, in order (titles as `str`, or `Option` with words and
    excludes); `count`: how many were offered, when only numbers were shown (default
    `len(options)`). `partial=False` accepts only a whole answer (a rank, an ordinal, a whole
    title or word, or one with a typo): what the SMS channel turns into a button press, the
    rest going to the NLU. `fuzzy=False` accepts no typo.
    """
    prepared = _prepare_options([_as_option(o) for o in options or ()])
    if count is None:
        count = len(prepared) if options is not None else None
    words = _prepare(text)
    if not words:
        return Choice(EMPTY)
    # The whole message is an option ("les 2" means both, not option 2); a bare number is a rank.
    if not _DIGITS.match(words):
        exact = _exact(text, prepared)
        if exact is not None:
            return exact
    by_number = _by_number(words, count, prepared)
    if by_number is not None:
        return by_number
    if partial and prepared:
        by_words = _by_words(words, prepared, fuzzy)
        if by_words is not None:
            return by_words
    if _says(words, DONT_KNOW_PHRASES):
        return Choice(DONT_KNOW, None, "phrase")
    if _says(words, NONE_PHRASES):
        return Choice(NONE, None, "phrase")
    if fuzzy and prepared:
        by_typo = _by_typo(words, prepared)
        if by_typo is not None:
            return by_typo
    return Choice(UNCLEAR)


__all__ = [
    "CARDINALS", "CHOSEN", "Choice", "DONT_KNOW", "DONT_KNOW_PHRASES", "EMPTY", "FILLER",
    "Kind", "NARROWED", "NONE", "NONE_PHRASES", "ORDINALS", "OUT_OF_RANGE", "Option", "UNCLEAR",
    "means_dont_know", "means_none", "read_choice", "said_number",
]
