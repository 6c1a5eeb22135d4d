"""Whole conversations from tests/dialogues/conversations.yml, played against the running
assistant through the REST channel: every interruption at every question, hesitation words,
unclear answers, STOP/START/AIDE/SUPPRIMER at each step, a place without booking, every way of
naming a choice, locations in a sentence, places outside the Métropole. Replies are checked by
meaning (the texts of the grid, the domain and the messages files), so rewording a message
keeps these tests true."""
from __future__ import annotations

import re
import uuid
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from tests.support.conversation import say

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((Path(__file__).parents[1] / "dialogues" / "conversations.yml")
                      .read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _texts() -> dict[str, dict]:
    data = PROJECT / "data"
    grid = yaml.safe_load((data / "diagnostic.yml").read_text(encoding="utf-8"))
    messages = yaml.safe_load((data / "messages.yml").read_text(encoding="utf-8"))
    geo = yaml.safe_load((data / "geo" / "messages.yml").read_text(encoding="utf-8"))
    domain = yaml.safe_load((PROJECT / "domain.yml").read_text(encoding="utf-8"))
    questions = {q["id"]: [q["text"], q["rephrase"]] for q in grid["questions"]}
    consent = messages["consent"]
    questions["consent"] = [consent["text"], consent.get("rephrase") or consent["text"]]
    return {"q": questions, "m": messages, "g": geo,
            "r": {name: variants[0]["text"] for name, variants in domain["responses"].items()
                  if variants and "text" in variants[0]}}


def _fixed(text: str) -> str:
    """A message's longest run of fixed words (between its placeholders), at most 40
    characters: what any filled-in version of it contains."""
    return max((part.strip() for part in re.split(r"\{[^}]*\}", text)), key=len)[:40]


def matches(meaning: str, said: str) -> bool:
    kind, sep, name = meaning.partition(":")
    if sep and kind in ("q", "m", "g", "r"):
        texts = _texts()[kind]
        if name not in texts:
            raise KeyError(f"{meaning!r}: no such text (tests/dialogues/conversations.yml)")
        if kind == "q":
            return any(_fixed(variant) in said for variant in texts[name])
        value = texts[name]
        if isinstance(value, list):
            value = value[0]
        if isinstance(value, dict):
            value = value.get("text") or next(iter(value.values()))
        return _fixed(str(value)) in said
    return meaning in said


def play(assistant, turns: list[dict], sender: str | None = None) -> None:
    sender = sender or f"dialogue-{uuid.uuid4()}"
    history = []
    for number, turn in enumerate(turns, 1):
        replies = say(assistant, sender, turn["say"])
        said = "\n".join(reply.get("text") or "" for reply in replies)
        history.append(f"> {turn['say']}\n{said}")
        where = f"turn {number} ({turn['say']!r})\n" + "\n".join(history)
        if turn.get("silent"):
            assert replies == [], f"expected no reply at {where}"
        for meaning in turn.get("expect") or []:
            assert matches(meaning, said), f"{meaning!r} missing at {where}"
        for meaning in turn.get("absent") or []:
            assert not matches(meaning, said), f"{meaning!r} present at {where}"


def path_to(position: str) -> list[dict]:
    """The turns that reach `position` (a question id, or `result`), each checked."""
    turns = []
    for step in SPEC["path"]:
        expect = [f"q:{step['at']}"] if step["at"] != "result" else ["accompagné(e)"]
        turns.append({"say": step["say"], "expect": expect})
        if step["at"] == position:
            return turns
    raise KeyError(position)


QUESTIONS = [step["at"] for step in SPEC["path"] if step["at"] != "result"]


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("probe", SPEC["at_every_question"], ids=lambda p: p["name"])
def test_at_every_question_an_interruption_is_answered_and_the_question_comes_back(
        assistant, probe, question):
    play(assistant, path_to(question) + [
        {"say": probe["say"], "expect": [*(probe.get("expect") or []), f"q:{question}"],
         "absent": probe.get("absent") or []}])


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("command", SPEC["commands_at_every_question"], ids=lambda c: c["name"])
def test_commands_work_the_same_at_every_question(assistant, command, question):
    turns = [{**turn, "expect": [f"q:{question}" if item == "<the question>" else item
                                 for item in turn.get("expect") or []]}
             for turn in command["turns"]]
    play(assistant, path_to(question) + turns)


@pytest.mark.parametrize("conversation", SPEC["conversations"], ids=lambda c: c["name"])
def test_conversation(assistant, conversation):
    start = path_to(conversation["from_path"]) if conversation.get("from_path") else []
    play(assistant, start + conversation["turns"])


@pytest.mark.parametrize("words", SPEC["ways_of_choosing"]["say"])
def test_every_way_of_naming_a_choice_picks_it(assistant, words):
    choosing = SPEC["ways_of_choosing"]
    play(assistant, path_to("result") + choosing["setup"]
         + [{"say": words, "expect": choosing["expect"]}])


def test_the_meanings_of_the_file_all_exist():
    """A typo in the file (q:equipment) must not make a check pass or fail silently."""
    def meanings():
        for conversation in SPEC["conversations"]:
            for turn in conversation["turns"]:
                yield from turn.get("expect") or []
                yield from turn.get("absent") or []
        for probe in SPEC["at_every_question"]:
            yield from probe.get("expect") or []
    for meaning in meanings():
        matches(meaning, "")  # raises KeyError for an unknown text
