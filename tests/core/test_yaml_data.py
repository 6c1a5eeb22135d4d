"""YAML 1.1 booleans (ENGINEERING.md trap 15): one loader refuses them in lists of words."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.paths import DATA_DIR
from bot.yaml_data import YamlDataError, load_yaml, parse_yaml

CONSENT_WITH_A_BARE_YES = """\
consent:
  text: "On commence ?"
  options:
    - label: "Oui"
      words: [oui, ok,
              yes, yep]
    - label: "Non"
      words: [non, "no"]
"""


def test_a_bare_yes_in_a_word_list_is_refused_with_the_file_and_the_place(tmp_path):
    path = tmp_path / "messages.yml"
    path.write_text(CONSENT_WITH_A_BARE_YES, encoding="utf-8")
    with pytest.raises(YamlDataError) as error:
        load_yaml(path)
    message = str(error.value)
    assert message.startswith(f"{path}: consent.options[0].words[2] (line 6, column 15): ")
    assert "`yes` is read as True (a boolean) in a list of words" in message
    assert 'quote it: "yes"' in message
    assert isinstance(error.value, yaml.YAMLError)  # callers that catch YAML errors catch it


@pytest.mark.parametrize("text,where,read_as", [
    ("words: [oui, no]", "words[1]", "False (a boolean)"),
    ("words: [on, vas y]", "words[0]", "True (a boolean)"),
    ("a:\n  b:\n    - bien\n    - off\n", "a.b[1]", "False (a boolean)"),
    ("words: [oui, ~]", "words[1]", "None (nothing)"),
    ("words: [oui, null]", "words[1]", "None (nothing)"),
    ("words: [3g, 4g, 5]", "words[2]", "5 (a number)"),
    ("words: [un, 2.5]", "words[1]", "2.5 (a number)"),
    ("words: [yes, no]", "words[0]", "True (a boolean)"),  # a boolean word in any list
    ("yes: bonjour\nno: au revoir\n", "yes", "True (a boolean)"),  # a key among words
])
def test_non_strings_in_lists_of_words_are_refused(text, where, read_as):
    with pytest.raises(YamlDataError) as error:
        parse_yaml(text, "f.yml")
    assert error.value.where == where
    assert read_as in str(error.value)


def test_an_empty_item_in_a_word_list_is_refused():
    with pytest.raises(YamlDataError, match=r"f.yml: words\[1\] \(line 3, column 4\): an empty item"):
        parse_yaml("words:\n  - oui\n  -\n  - non\n", "f.yml")


@pytest.mark.parametrize("text,content", [
    ('words: [oui, "yes", \'no\', "on"]', {"words": ["oui", "yes", "no", "on"]}),
    ("skip_when: {usage: [3]}", {"skip_when": {"usage": [3]}}),  # numbers where numbers are meant
    ("scores: [0, 1, 2]", {"scores": [0, 1, 2]}),
    ("closed_on_public_holidays: true\nseats: 1", {"closed_on_public_holidays": True, "seats": 1}),
    ("enabled: yes", {"enabled": True}),  # a boolean where a boolean is meant
    ("years:\n  2024: {rate_eur: 100}\n", {"years": {2024: {"rate_eur": 100}}}),
    ("items: [{a: 1}, {b: yes}]", {"items": [{"a": 1}, {"b": True}]}),
    ("", None),
])
def test_lists_of_numbers_and_other_values_keep_working(text, content):
    assert parse_yaml(text, "f.yml") == content


DATA_FILES = sorted(p for p in Path(DATA_DIR).rglob("*.y*ml"))


@pytest.mark.parametrize("path", DATA_FILES, ids=[str(p.relative_to(DATA_DIR)) for p in DATA_FILES])
def test_every_shipped_data_file_loads(path):
    assert load_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8"))


def test_every_loader_of_the_project_reads_its_shipped_file():
    from bot import messages
    from bot.booking.partners.file import DEFAULT_PARTNERS_FILE, read_partners_file
    from bot.booking.rules import booking_rules
    from bot.diagnostic import load_grid
    from bot.funding.rules import load_rules
    from bot.geo.messages import ask_where
    from bot.notifications.rules import notification_rules

    messages._load.cache_clear()
    assert messages.text("consent_declined")
    assert ask_where()
    assert booking_rules().reference_length >= 4
    assert "{when}" in notification_rules().reminder_text
    assert read_partners_file(DEFAULT_PARTNERS_FILE)
    assert load_grid().questions
    assert load_rules()


def test_the_project_loaders_refuse_a_bare_yes_and_say_where(tmp_path):
    from bot.booking.partners.errors import PartnersFileError
    from bot.booking.partners.file import read_partners_file
    from bot.diagnostic import GridError, load_grid
    from bot.funding.rules import FundingRulesError, load_rules

    grid = tmp_path / "grid.yml"
    grid.write_text((DATA_DIR / "diagnostic.yml").read_text(encoding="utf-8").replace(
        "words: [oui, ", "words: [yes, ", 1), encoding="utf-8")
    with pytest.raises(GridError, match=r"answer_sets\.skill\[0\]\.words\[0\].*`yes` is read as True"):
        load_grid(grid)

    partners = tmp_path / "partners.yml"
    partners.write_text("partners:\n  - name: x\n    tags: [a, off]\n", encoding="utf-8")
    with pytest.raises(PartnersFileError, match=r"partners\[0\]\.tags\[1\].*`off` is read as False"):
        read_partners_file(partners)

    funding = tmp_path / "funding.yml"
    funding.write_text("years:\n  2024: {rate_eur: 100, cap_persons: 10}\nnotes: [a, no]\n",
                       encoding="utf-8")
    with pytest.raises(FundingRulesError, match=r"notes\[1\].*`no` is read as False"):
        load_rules(funding)


@pytest.mark.parametrize("text", ["yes", "Yes", "YES!", "yes please", "oui", "ok"])
def test_yes_to_the_consent_question_is_understood(text):
    from bot.diagnostic import understand
    from bot.messages import consent_question

    assert understand(consent_question(), text).option == 1


@pytest.mark.parametrize("text", ["no", "non", "non merci"])
def test_no_to_the_consent_question_is_understood(text):
    from bot.diagnostic import understand
    from bot.messages import consent_question

    assert understand(consent_question(), text).option == 2


def test_the_consent_words_are_all_words():
    from bot.messages import consent_question

    for option in consent_question().options:
        assert all(isinstance(word, str) and word not in ("True", "False", "None")
                   for word in option.words)
    assert "yes" in consent_question().options[0].words
