"""Understanding a person's answer to one diagnostic question.

A person may type the option number ("2", "le 2", "réponse 3", "٢"), an ordinal ("le premier"),
press a button (whose payload is the number), or write free words ("avec l'aide de ma fille",
"jamais", "les deux"). The longest phrase of the grid found in the text decides; two options
tied on their longest phrase means we do not know, and the question is asked again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.diagnostic.grid import Question
from bot.text import normalize

_ORDINALS = {
    "premier": 1, "premiere": 1, "1er": 1, "1ere": 1, "deuxieme": 2, "second": 2, "seconde": 2,
    "2eme": 2, "2e": 2, "troisieme": 3, "3eme": 3, "3e": 3, "quatrieme": 4, "4eme": 4, "4e": 4,
    "cinquieme": 5, "5eme": 5, "sixieme": 6, "6eme": 6, "septieme": 7, "7eme": 7,
    "huitieme": 8, "8eme": 8,
}
_NUMBER = re.compile(r"^\d{1,3}$")
# Words that may surround an option number ("je prends le 2 svp"); anything else around a
# number means it is not an answer ("alert(1)", "j'ai 2 enfants").
_FILLER = {
    "le", "la", "l", "les", "reponse", "choix", "numero", "num", "n", "no", "option", "c", "est",
    "cest", "ca", "sera", "je", "j", "choisis", "prends", "dirais", "plutot", "pense", "mets",
    "alors", "euh", "bah", "ben", "donc", "svp", "stp", "merci", "voila", "oui", "bon", "ok",
    "dernier", "derniere",
}


@dataclass(frozen=True)
class Understood:
    """The option chosen, or None with the reason (`empty`, `out_of_range`, `unclear`,
    `narrowed`: the message ruled some options out and `remaining` are still possible)."""

    option: int | None
    reason: str = ""
    remaining: tuple[int, ...] = ()


def _number_in(tokens: list[str], count: int) -> Understood | None:
    if any(t not in _FILLER and t not in _ORDINALS and not _NUMBER.match(t) for t in tokens):
        return None
    numbers = {int(t) for t in tokens if _NUMBER.match(t)}
    numbers |= {_ORDINALS[t] for t in tokens if t in _ORDINALS}
    if tokens and tokens[-1] in ("dernier", "derniere") and len(tokens) <= 3:
        numbers.add(count)
    if len(numbers) == 1:
        (number,) = numbers
        if 1 <= number <= count:
            return Understood(number)
        return Understood(None, "out_of_range")
    if len(numbers) > 1:
        return Understood(None, "unclear")
    return None


def _contains(haystack: str, phrase: str) -> bool:
    return f" {phrase} " in f" {haystack} "


def exact_option(question: Question, text: str | None) -> int | None:
    """The option whose number or phrase is the whole message ("2", "non", "les deux")."""
    words = normalize(text)
    if _NUMBER.match(words) and 1 <= int(words) <= len(question.options):
        return int(words)
    for option in question.options:
        if option.label and normalize(option.label) == words:
            return option.number
        if any(normalize(phrase) == words for phrase in option.words):
            return option.number
    return None


def understand(question: Question, text: str | None,
               among: tuple[int, ...] | list[int] | None = None) -> Understood:
    """Which option of `question` the text means (only `among` these options, when given)."""
    if among:
        allowed = set(among)
        question = replace(question, options=tuple(
            o if o.number in allowed else replace(o, words=(), excludes=()) for o in question.options))
    understood = _understand(question, text)
    if among and understood.option is not None and understood.option not in among:
        return Understood(None, "unclear", tuple(among))
    return understood


def _understand(question: Question, text: str | None) -> Understood:
    words = normalize(text)
    if not words:
        return Understood(None, "empty")
    tokens = words.split()
    # The whole message is one of the option's phrases ("les 2" means both, not option 2).
    exact = exact_option(question, words)
    if exact is not None and not _NUMBER.match(words):
        return Understood(exact)
    # A message holding one number or ordinal among filler words ("2", "le 2", "choix 3").
    by_number = _number_in(tokens, len(question.options))
    if by_number is not None:
        return by_number
    # Phrases that rule an option out, and the text they cover.
    excluded: set[int] = set()
    covered = words
    for option in question.options:
        for phrase in option.excludes:
            phrase = normalize(phrase)
            if phrase and _contains(words, phrase):
                excluded.add(option.number)
                covered = f" {covered} ".replace(f" {phrase} ", " # ").strip()
    best: dict[int, tuple[int, int]] = {}
    for option in question.options:
        if option.number in excluded:
            continue
        for phrase in option.words:
            phrase = normalize(phrase)
            if phrase and _contains(covered, phrase):
                weight = (len(phrase.split()), len(phrase))
                if weight > best.get(option.number, (0, 0)):
                    best[option.number] = weight
    if best:
        top = max(best.values())
        winners = [number for number, weight in best.items() if weight == top]
        if len(winners) == 1:
            return Understood(winners[0])
        return Understood(None, "unclear")
    remaining = tuple(o.number for o in question.options if o.number not in excluded)
    if excluded and len(remaining) == 1:
        return Understood(remaining[0])
    if excluded and remaining:
        return Understood(None, "narrowed", remaining)
    return Understood(None, "unclear")
