"""What a person may type to answer a diagnostic question."""
from __future__ import annotations

import copy

import pytest
import yaml

from bot.diagnostic import GridError, load_grid, parse_grid, understand
from bot.diagnostic.grid import DEFAULT_GRID_PATH
from bot.messages import consent_question

GRID = load_grid()

CASES = [
    # (question, text, option)
    ("equipement", "1", 1),
    ("equipement", " 3 ", 3),
    ("equipement", "3.", 3),
    ("equipement", "le 2", 2),
    ("equipement", "réponse 4", 4),
    ("equipement", "٢", 2),  # Arabic-Indic digit two
    ("equipement", "jai juste mon portable", 1),
    ("equipement", "J'ai un smartphone", 1),
    ("equipement", "les deux", 3),
    ("equipement", "LES 2", 3),
    ("equipement", "un ordi", 2),
    ("equipement", "pas de portable mais un ordi", 2),
    ("equipement", "juste mon portable, pas d'ordi", 1),
    ("equipement", "aucun", 4),
    ("equipement", "rien du tout", 4),
    ("equipement", "un vieux telephone a touches", 4),
    ("equipement", "le premier", 1),
    ("equipement", "le dernier", 4),
    ("connexion", "oui chez moi", 1),
    ("connexion", "j'ai la box", 1),
    ("connexion", "seulement sur mon telephone", 2),
    ("connexion", "avec mon forfait 4g", 2),
    ("connexion", "non pas d'internet", 3),
    ("usage", "oui souvent", 1),
    ("usage", "tous les jours", 1),
    ("usage", "un peu", 2),
    ("usage", "pas souvent", 2),
    ("usage", "jamais", 3),
    ("usage", "NON", 3),
    ("information", "oui", 1),
    ("information", "oui toute seule", 1),
    ("information", "avec l'aide de ma fille", 2),
    ("information", "avec ma fille", 2),
    ("information", "oui mais avec l aide de mon fils", 2),
    ("information", "c'est mon petit-fils qui fait", 2),
    ("communication", "jamais", 3),
    ("communication", "je sais pas faire", 3),
    ("communication", "je ne sais pas", 3),
    ("contenu", "non", 3),
    ("securite", "Oui, avec de l'aide", 2),
    ("resolution", "oui seul sans probleme", 1),
    ("besoin", "la caf", 1),
    ("besoin", "mes impots", 1),
    ("besoin", "trouver du travail", 2),
    ("besoin", "apprendre a utiliser mon telephone", 3),
    ("besoin", "doctolib", 4),
    ("besoin", "pronote pour l'ecole", 5),
    ("besoin", "un ordinateur pas cher", 6),
    ("besoin", "les arnaques", 7),
    ("besoin", "autre chose", 8),
    ("besoin", "8", 8),
    ("besoin", "je prends le 3 svp", 3),
    ("contrainte", "non", 1),
    ("contrainte", "je parle peu francais", 2),
    ("contrainte", "je suis en fauteuil roulant", 3),
    ("contrainte", "je vois mal", 3),
    ("contrainte", "j'ai du mal a lire", 4),
]


@pytest.mark.parametrize("question,text,option", CASES, ids=[f"{q}:{t}" for q, t, _ in CASES])
def test_answers_in_numbers_buttons_and_words(question, text, option):
    assert understand(GRID.question(question), text).option == option


UNCLEAR = [
    ("equipement", "", "empty"),
    ("equipement", "   ", "empty"),
    ("equipement", "😀👍", "empty"),
    ("equipement", "5", "out_of_range"),
    ("equipement", "0", "out_of_range"),
    ("usage", "1 ou 2", "unclear"),
    ("equipement", "bonjour", "unclear"),
    ("usage", "je sais pas", "unclear"),
    ("besoin", "<script>alert(1)</script>", "unclear"),
    ("besoin", "'; DROP TABLE people; --", "unclear"),
    ("besoin", "j'ai 2 chats", "unclear"),
    ("information", "Какой сегодня день", "unclear"),
    ("information", "a" * 100_000, "unclear"),
]


@pytest.mark.parametrize("question,text,reason", UNCLEAR, ids=[f"{q}:{t[:20]}" for q, t, _ in UNCLEAR])
def test_unclear_answers_are_not_guessed(question, text, reason):
    understood = understand(GRID.question(question), text)
    assert understood.option is None
    assert understood.reason == reason


@pytest.mark.parametrize("text,option", [("oui", 1), ("ok", 1), ("d'accord", 1), ("vas-y", 1),
                                          ("1", 1), ("non", 2), ("pas maintenant", 2), ("2", 2)])
def test_consent_answers(text, option):
    assert understand(consent_question(), text).option == option


def test_every_question_has_what_the_conversation_needs():
    for question in GRID.questions:
        assert question.text.endswith("?")
        assert "compris" in question.rephrase
        assert 2 <= len(question.options) <= 8
        # button titles stay short enough for a phone screen
        assert all(len(option.label) <= 40 for option in question.options)


def _raw():
    return yaml.safe_load(DEFAULT_GRID_PATH.read_text(encoding="utf-8"))


def _broken(change):
    raw = copy.deepcopy(_raw())
    change(raw)
    return raw


@pytest.mark.parametrize("change,message", [
    (lambda r: r.pop("version"), "needs a version"),
    (lambda r: r["questions"][0].pop("text"), "question 1 (equipement): needs a text"),
    (lambda r: r["questions"][1].update(id="equipement"), "needs a unique identifier-like id"),
    (lambda r: r["questions"][8]["options"][0].update(services=["Cours de cuisine"]), "unknown service(s) ['Cours de cuisine']"),
    (lambda r: r["questions"][9]["options"][1].update(support=["Autre"]), "unknown prise_en_charge_specifique"),
    (lambda r: r["questions"][3].update(skip_when={"besoin": [3]}), "not an earlier question"),
    (lambda r: r["questions"][3].update(skip_when={"usage": [7]}), "skip_when usage has no option [7]"),
    (lambda r: r["levels"][0].update(accompaniment="Tout seul"), "accompaniment must be one of"),
    (lambda r: r["levels"].pop(), "the last level must be the default one"),
    (lambda r: r["results"].pop("autonome"), "no text for level(s) ['autonome']"),
    (lambda r: r["questions"].append(copy.deepcopy(r["questions"][0])), "needs a unique"),
    (lambda r: r["answer_sets"]["skill"][0].pop("score"), "integer score on every option"),
])
def test_a_broken_grid_is_refused_with_the_place_of_the_fault(change, message):
    with pytest.raises(GridError) as error:
        parse_grid(_broken(change))
    assert message in str(error.value)


def test_more_than_ten_questions_is_refused():
    def add(raw):
        for index in range(1, 3):
            extra = copy.deepcopy(raw["questions"][0])
            extra["id"] = f"extra{index}"
            raw["questions"].append(extra)
    with pytest.raises(GridError, match="at most 10 questions"):
        parse_grid(_broken(add))


def test_a_grid_file_that_is_not_yaml_is_refused(tmp_path):
    path = tmp_path / "grid.yml"
    path.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(GridError, match="cannot read it"):
        load_grid(path)


def test_an_answer_that_rules_options_out_narrows_the_choice():
    question = GRID.question("equipement")
    narrowed = understand(question, "j'ai pas d'ordi")
    assert (narrowed.option, narrowed.reason, narrowed.remaining) == (None, "narrowed", (1, 4))
    assert understand(question, "oui un smartphone", narrowed.remaining).option == 1
    assert understand(question, "non rien", narrowed.remaining).option == 4
    assert understand(question, "4", narrowed.remaining).option == 4
    # an option already ruled out is not accepted
    assert understand(question, "un ordinateur", narrowed.remaining).option is None


# --- the one reader of choices (bot/choices.py) --------------------------------------------

@pytest.mark.parametrize("question,text,option", [
    ("equipement", "2e", 2), ("equipement", "2ème", 2), ("equipement", "le deuxième", 2),
    ("equipement", "n°2", 2), ("equipement", "2️⃣", 2), ("equipement", "la première", 1),
    ("equipement", "1er", 1), ("usage", "le dernier", 3), ("besoin", "8e", 8),
    ("equipement", "deux", 3),  # a word of "Les deux", not a rank
    ("usage", "jamai", 3),  # a typo
])
def test_every_way_of_saying_a_rank_answers_a_question(question, text, option):
    assert understand(GRID.question(question), text).option == option


def test_none_and_dont_know_stay_unclear_but_say_so():
    from bot.choices import DONT_KNOW, NONE

    dont_know = understand(GRID.question("usage"), "je sais pas")
    assert (dont_know.option, dont_know.reason, dont_know.choice.kind) == (None, "unclear", DONT_KNOW)
    none = understand(GRID.question("besoin"), "aucun")
    assert (none.option, none.reason, none.choice.kind) == (None, "unclear", NONE)
    # a question whose own words say so keeps its option
    assert understand(GRID.question("equipement"), "aucun").option == 4
    assert understand(GRID.question("communication"), "je sais pas").option == 3
