"""The diagnostic grid: loaded from `data/diagnostic.yml` and checked before use."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.paths import DATA_DIR
from bot.yaml_data import load_yaml

DEFAULT_GRID_PATH = DATA_DIR / "diagnostic.yml"

# Allowed values of the national standard "lieux de médiation numérique" v1.0.2.
STANDARD_SERVICES = {
    "Aide aux démarches administratives",
    "Maîtrise des outils numériques du quotidien",
    "Insertion professionnelle via le numérique",
    "Utilisation sécurisée du numérique",
    "Parentalité et éducation avec le numérique",
    "Loisirs et créations numériques",
    "Compréhension du monde numérique",
    "Accès internet et matériel informatique",
    "Acquisition de matériel informatique à prix solidaire",
}
STANDARD_ACCOMPANIMENTS = {
    "En autonomie",
    "Accompagnement individuel",
    "Dans un atelier collectif",
    "À distance",
}
STANDARD_SUPPORT = {
    "Surdité",
    "Handicaps moteurs",
    "Handicaps mentaux",
    "Illettrisme",
    "Langues étrangères (anglais)",
    "Langues étrangères (autres)",
    "Déficience visuelle",
}


class GridError(ValueError):
    """The grid file is not usable; the message names the place of the fault."""


@dataclass(frozen=True)
class Option:
    number: int
    label: str
    words: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    score: int | None = None
    services: tuple[str, ...] = ()
    support: tuple[str, ...] = ()
    result_phrase: str | None = None
    third_person_label: str | None = None


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    third_person: str
    rephrase: str
    options: tuple[Option, ...]
    area: bool = False
    skip_when: dict[str, tuple[int, ...]] = field(default_factory=dict)
    adds_services_when: tuple[int, ...] = ()

    def option(self, number: int) -> Option:
        return self.options[number - 1]

    def is_skipped(self, answers: dict[str, int]) -> bool:
        return any(answers.get(qid) in values for qid, values in self.skip_when.items())


@dataclass(frozen=True)
class LevelRule:
    id: str
    accompaniment: str
    conditions: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Grid:
    version: str
    questions: tuple[Question, ...]
    levels: tuple[LevelRule, ...]
    added_services: tuple[str, ...]
    results: dict[str, str]

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    @property
    def question_ids(self) -> list[str]:
        return [q.id for q in self.questions]

    @property
    def max_score(self) -> int:
        return sum(max(o.score or 0 for o in q.options) for q in self.questions if q.area)


def _fail(where: str, why: str) -> GridError:
    return GridError(f"diagnostic grid, {where}: {why}")


def _options(raw: list[dict], where: str) -> tuple[Option, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise _fail(where, "needs a list of at least 2 options")
    options = []
    for number, item in enumerate(raw, start=1):
        here = f"{where}, option {number}"
        if not isinstance(item, dict) or not str(item.get("label", "")).strip():
            raise _fail(here, "needs a label")
        services = tuple(item.get("services") or ())
        unknown = set(services) - STANDARD_SERVICES
        if unknown:
            raise _fail(here, f"unknown service(s) {sorted(unknown)}")
        support = tuple(item.get("support") or ())
        unknown = set(support) - STANDARD_SUPPORT
        if unknown:
            raise _fail(here, f"unknown prise_en_charge_specifique {sorted(unknown)}")
        options.append(
            Option(
                number=number,
                label=str(item["label"]),
                words=tuple(str(w) for w in item.get("words") or ()),
                excludes=tuple(str(w) for w in item.get("excludes") or ()),
                score=item.get("score"),
                services=services,
                support=support,
                result_phrase=item.get("result_phrase"),
                third_person_label=item.get("third_person_label"),
            )
        )
    return tuple(options)


def parse_grid(raw: dict) -> Grid:
    """Build and check a grid from its YAML content."""
    if not isinstance(raw, dict):
        raise _fail("top level", "must be a mapping")
    version = str(raw.get("version") or "").strip()
    if not version:
        raise _fail("top level", "needs a version")
    answer_sets = raw.get("answer_sets") or {}
    questions: list[Question] = []
    seen: set[str] = set()
    for index, item in enumerate(raw.get("questions") or [], start=1):
        qid = str(item.get("id") or "")
        where = f"question {index} ({qid or 'no id'})"
        if not qid.isidentifier() or qid in seen:
            raise _fail(where, "needs a unique identifier-like id")
        seen.add(qid)
        for key in ("text", "third_person", "rephrase"):
            if not str(item.get(key) or "").strip():
                raise _fail(where, f"needs a {key}")
        if "answer_set" in item:
            if item["answer_set"] not in answer_sets:
                raise _fail(where, f"unknown answer_set {item['answer_set']!r}")
            options = _options(answer_sets[item["answer_set"]], where)
        else:
            options = _options(item.get("options"), where)
        area = bool(item.get("area"))
        if area and any(not isinstance(o.score, int) for o in options):
            raise _fail(where, "a skill area needs an integer score on every option")
        skip_when = {}
        for other, values in (item.get("skip_when") or {}).items():
            if other not in seen or other == qid:
                raise _fail(where, f"skip_when refers to {other!r}, which is not an earlier question")
            skip_when[str(other)] = tuple(int(v) for v in values)
        questions.append(
            Question(
                id=qid,
                text=str(item["text"]),
                third_person=str(item["third_person"]),
                rephrase=str(item["rephrase"]),
                options=options,
                area=area,
                skip_when=skip_when,
                adds_services_when=tuple(int(v) for v in item.get("adds_services_when") or ()),
            )
        )
    if not questions:
        raise _fail("top level", "needs questions")
    if len(questions) > 10:
        raise _fail("top level", "at most 10 questions (PRODUCT.md)")
    # checks that need every question
    by_id = {q.id: q for q in questions}
    for q in questions:
        for other, values in q.skip_when.items():
            bad = [v for v in values if not 1 <= v <= len(by_id[other].options)]
            if bad:
                raise _fail(f"question {q.id}", f"skip_when {other} has no option {bad}")
    levels = []
    for index, item in enumerate(raw.get("levels") or [], start=1):
        where = f"level {index} ({item.get('id')})"
        if item.get("accompaniment") not in STANDARD_ACCOMPANIMENTS:
            raise _fail(where, f"accompaniment must be one of {sorted(STANDARD_ACCOMPANIMENTS)}")
        conditions = tuple(item.get("when_any") or ())
        if not conditions:
            raise _fail(where, "needs when_any")
        for condition in conditions:
            extra = set(condition) - {"answers", "score_min", "score_max"}
            if extra:
                raise _fail(where, f"unknown condition keys {sorted(extra)}")
            for other in (condition.get("answers") or {}):
                if other not in by_id:
                    raise _fail(where, f"condition on unknown question {other!r}")
        levels.append(LevelRule(id=str(item["id"]), accompaniment=item["accompaniment"],
                                conditions=conditions))
    if not levels or levels[-1].conditions != ({},):
        raise _fail("levels", "the last level must be the default one (when_any: [{}])")
    added = tuple(raw.get("added_services") or ())
    if set(added) - STANDARD_SERVICES:
        raise _fail("added_services", f"unknown service(s) {sorted(set(added) - STANDARD_SERVICES)}")
    results = dict(raw.get("results") or {})
    missing = [lv.id for lv in levels if lv.id not in results]
    if missing:
        raise _fail("results", f"no text for level(s) {missing}")
    return Grid(version=version, questions=tuple(questions), levels=tuple(levels),
                added_services=added, results=results)


def load_grid(path: str | Path | None = None) -> Grid:
    """Load the grid from a YAML file (the project's own by default)."""
    path = Path(path) if path else DEFAULT_GRID_PATH
    if path == DEFAULT_GRID_PATH:
        return _default_grid()
    return _read(path)


def _read(path: Path) -> Grid:
    try:
        raw = load_yaml(path)
    except (OSError, yaml.YAMLError) as error:
        raise GridError(f"diagnostic grid {path}: cannot read it ({error})") from error
    return parse_grid(raw)


@lru_cache(maxsize=1)
def _default_grid() -> Grid:
    return _read(DEFAULT_GRID_PATH)
