"""Scoring a completed diagnostic with the rules of the grid."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from bot.diagnostic.grid import Grid, Question, load_grid


class AnswersError(ValueError):
    """The answers do not fit the grid; the message says which answer and why."""


@dataclass(frozen=True)
class DiagnosticResult:
    grid_version: str
    level: str
    score: int
    area_scores: dict[str, int]
    services: list[str]
    accompaniment: str
    support: list[str]
    need: int
    answers: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def applicable_questions(answers: Mapping[str, int], grid: Grid | None = None) -> list[Question]:
    """The questions to ask given the answers so far (the adaptive skip of the grid)."""
    grid = grid or load_grid()
    return [q for q in grid.questions if not q.is_skipped(answers)]


def next_question(answers: Mapping[str, int], grid: Grid | None = None) -> Question | None:
    """The first applicable question not answered yet, or None when the diagnostic is complete."""
    for question in applicable_questions(answers, grid):
        if question.id not in answers:
            return question
    return None


def _coerce(question: Question, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AnswersError(f"{question.id}: {value!r} is not an option number") from None
    if isinstance(value, float) and value != number:
        raise AnswersError(f"{question.id}: {value!r} is not an option number")
    if not 1 <= number <= len(question.options):
        raise AnswersError(
            f"{question.id}: option {number} does not exist (1 to {len(question.options)})"
        )
    return number


def evaluate(answers: Mapping[str, Any], grid: Grid | None = None) -> DiagnosticResult:
    """Score `answers` (question id -> 1-based option number) with the grid.

    Questions skipped by the adaptive rule score 0 whatever is given for them. Every applicable
    question must be answered; unknown question ids are refused.
    """
    grid = grid or load_grid()
    unknown = set(answers) - set(grid.question_ids)
    if unknown:
        raise AnswersError(f"unknown question(s): {', '.join(sorted(unknown))}")
    clean: dict[str, int] = {}
    for question in grid.questions:
        if question.id in answers and answers[question.id] is not None:
            clean[question.id] = _coerce(question, answers[question.id])
    asked = applicable_questions(clean, grid)
    missing = [q.id for q in asked if q.id not in clean]
    if missing:
        raise AnswersError(f"missing answer(s): {', '.join(missing)}")
    asked_ids = {q.id for q in asked}
    kept = {qid: number for qid, number in clean.items() if qid in asked_ids}

    area_scores = {
        q.id: (q.option(kept[q.id]).score if q.id in kept else 0) or 0
        for q in grid.questions
        if q.area
    }
    score = sum(area_scores.values())

    level = next(rule for rule in grid.levels if _matches(rule.conditions, kept, score))

    services: list[str] = []
    need = grid.question("besoin")
    for service in need.option(kept["besoin"]).services:
        if service not in services:
            services.append(service)
    for question in grid.questions:
        if question.id in kept and kept[question.id] in question.adds_services_when:
            for service in grid.added_services:
                if service not in services:
                    services.append(service)
    support = list(grid.question("contrainte").option(kept["contrainte"]).support)

    return DiagnosticResult(
        grid_version=grid.version,
        level=level.id,
        score=score,
        area_scores=area_scores,
        services=services,
        accompaniment=level.accompaniment,
        support=support,
        need=kept["besoin"],
        answers=kept,
    )


def _matches(conditions, answers: Mapping[str, int], score: int) -> bool:
    for condition in conditions:
        ok = True
        for qid, values in (condition.get("answers") or {}).items():
            if answers.get(qid) not in values:
                ok = False
        if "score_min" in condition and score < condition["score_min"]:
            ok = False
        if "score_max" in condition and score > condition["score_max"]:
            ok = False
        if ok:
            return True
    return False


def result_message(result: DiagnosticResult, grid: Grid | None = None) -> str:
    """What the person reads: the help that fits, said kindly."""
    grid = grid or load_grid()
    phrase = grid.question("besoin").option(result.need).result_phrase or ""
    return grid.results[result.level].format(besoin=phrase).replace(" ,", ",")
