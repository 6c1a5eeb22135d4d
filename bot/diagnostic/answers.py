"""Understanding a person's answer to one diagnostic question.

A person may type the option number ("2", "le 2", "réponse 3", "٢", "2e"), an ordinal ("le
premier", "le dernier"), press a button (whose payload is the number), or write free words
("avec l'aide de ma fille", "jamais", "les deux"). The reading itself is `bot.choices`, the
one reader of every question: the longest phrase of the grid found in the text decides; two
options tied on their longest phrase means we do not know, and the question is asked again.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from bot.choices import (CHOSEN, EMPTY, NARROWED, OUT_OF_RANGE, Choice, Option as ChoiceOption,
                         read_choice)
from bot.diagnostic.grid import Question
from bot.text import normalize


@dataclass(frozen=True)
class Understood:
    """The option chosen, or None with the reason (`empty`, `out_of_range`, `unclear`,
    `narrowed`: the message ruled some options out and `remaining` are still possible).

    `choice` is the reader's full answer: its kind tells an "unclear" that means "none of
    them" (`bot.choices.NONE`) or "I don't know" (`bot.choices.DONT_KNOW`) apart.
    """

    option: int | None
    reason: str = ""
    remaining: tuple[int, ...] = ()
    choice: Choice | None = None


_REASONS = {EMPTY: "empty", OUT_OF_RANGE: "out_of_range", NARROWED: "narrowed"}


def _options(question: Question) -> list[ChoiceOption]:
    return [ChoiceOption(title=o.label, words=o.words, excludes=o.excludes)
            for o in question.options]


def exact_option(question: Question, text: str | None) -> int | None:
    """The option whose number or phrase is the whole message ("2", "non", "les deux")."""
    choice = read_choice(text, _options(question), partial=False, fuzzy=False)
    if choice.kind is CHOSEN and (choice.how == "exact" or (
            choice.how == "number" and normalize(text).isdigit())):
        return choice.number
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
        return Understood(None, "unclear", tuple(among), understood.choice)
    return understood


def _understand(question: Question, text: str | None) -> Understood:
    choice = read_choice(text, _options(question))
    if choice.kind is CHOSEN:
        return Understood(choice.number, choice=choice)
    reason = _REASONS.get(choice.kind, "unclear")
    remaining = choice.candidates if choice.kind is NARROWED else ()
    return Understood(None, reason, remaining, choice)
