"""The diagnostic grid v1 of PRODUCT.md, as a table of hand-computed cases."""
from __future__ import annotations

import pytest

from bot.diagnostic import AnswersError, evaluate, load_grid, result_message

SKILLS = ["information", "communication", "contenu", "securite", "resolution"]
DEMARCHES = "Aide aux démarches administratives"
ACCES = "Accès internet et matériel informatique"


def answers(equipement=3, connexion=1, usage=1, skills=(1, 1, 1, 1, 1), besoin=1, contrainte=1):
    """Answers with skill options in grid order (1 alone = 2 points, 2 with help = 1, 3 no = 0)."""
    result = {"equipement": equipement, "connexion": connexion, "usage": usage,
              "besoin": besoin, "contrainte": contrainte}
    if skills is not None:
        result.update(zip(SKILLS, skills))
    return result


# (case, answers, level, score, accompaniment)
CASES = [
    ("no internet use in 3 months: skills skipped", answers(usage=3, skills=None), "exclu", 0, "Accompagnement individuel"),
    ("usage no wins even with skill answers given", answers(usage=3, skills=(1, 1, 1, 1, 1)), "exclu", 0, "Accompagnement individuel"),
    ("no device, whatever the skills", answers(equipement=4, skills=(1, 1, 1, 1, 1)), "exclu", 10, "Accompagnement individuel"),
    ("score 0", answers(skills=(3, 3, 3, 3, 3)), "exclu", 0, "Accompagnement individuel"),
    ("score 2 is still exclu", answers(skills=(1, 3, 3, 3, 3)), "exclu", 2, "Accompagnement individuel"),
    ("score 2 from two helps", answers(skills=(2, 2, 3, 3, 3)), "exclu", 2, "Accompagnement individuel"),
    ("score 3 is eloigne", answers(skills=(1, 2, 3, 3, 3)), "eloigne", 3, "Accompagnement individuel"),
    ("score 5 (all with help)", answers(skills=(2, 2, 2, 2, 2)), "eloigne", 5, "Accompagnement individuel"),
    ("score 6 is eloigne", answers(skills=(1, 1, 1, 3, 3)), "eloigne", 6, "Accompagnement individuel"),
    ("score 7 is presque autonome", answers(skills=(1, 1, 1, 2, 3)), "presque_autonome", 7, "Dans un atelier collectif"),
    ("score 9 is presque autonome", answers(skills=(1, 1, 1, 1, 2)), "presque_autonome", 9, "Dans un atelier collectif"),
    ("score 10 is autonome", answers(skills=(1, 1, 1, 1, 1)), "autonome", 10, "En autonomie"),
    ("no connection does not change the level", answers(connexion=3, skills=(1, 1, 1, 1, 1)), "autonome", 10, "En autonomie"),
    ("smartphone only, phone plan only, a little use", answers(equipement=1, connexion=2, usage=2, skills=(2, 2, 1, 3, 3)), "eloigne", 4, "Accompagnement individuel"),
]


@pytest.mark.parametrize("case,given,level,score,accompaniment", CASES, ids=[c[0] for c in CASES])
def test_levels_scores_and_accompaniment(case, given, level, score, accompaniment):
    result = evaluate(given)
    assert (result.level, result.score, result.accompaniment) == (level, score, accompaniment)
    assert result.grid_version == load_grid().version
    assert sum(result.area_scores.values()) == result.score
    assert set(result.area_scores) == set(SKILLS)


def test_skipped_areas_score_zero_and_are_not_kept_as_answers():
    result = evaluate(answers(usage=3, skills=(1, 1, 1, 1, 1)))
    assert result.area_scores == dict.fromkeys(SKILLS, 0)
    assert not set(SKILLS) & set(result.answers)


def test_area_scores_follow_alone_help_no():
    result = evaluate(answers(skills=(1, 2, 3, 1, 2)))
    assert result.area_scores == {"information": 2, "communication": 1, "contenu": 0,
                                  "securite": 2, "resolution": 1}


NEEDS = [
    (1, [DEMARCHES]),
    (2, ["Insertion professionnelle via le numérique"]),
    (3, ["Maîtrise des outils numériques du quotidien"]),
    (4, [DEMARCHES]),
    (5, ["Parentalité et éducation avec le numérique"]),
    (6, ["Acquisition de matériel informatique à prix solidaire", ACCES]),
    (7, ["Utilisation sécurisée du numérique"]),
    (8, ["Maîtrise des outils numériques du quotidien"]),
]


@pytest.mark.parametrize("besoin,services", NEEDS)
def test_needs_map_to_national_services(besoin, services):
    assert evaluate(answers(besoin=besoin)).services == services


@pytest.mark.parametrize("extra", [{"equipement": 4}, {"connexion": 3}, {"equipement": 4, "connexion": 3}])
def test_no_device_or_no_connection_adds_access_once(extra):
    result = evaluate({**answers(besoin=1), **extra})
    assert result.services == [DEMARCHES, ACCES]


def test_need_for_a_cheap_device_does_not_list_access_twice():
    result = evaluate(answers(equipement=4, connexion=3, besoin=6))
    assert result.services.count(ACCES) == 1


@pytest.mark.parametrize("contrainte,support", [
    (1, []),
    (2, ["Langues étrangères (anglais)", "Langues étrangères (autres)"]),
    (3, ["Surdité", "Handicaps moteurs", "Déficience visuelle"]),
    (4, ["Illettrisme"]),
])
def test_constraints_map_to_specific_support(contrainte, support):
    assert evaluate(answers(contrainte=contrainte)).support == support


def test_option_numbers_may_come_as_text():
    assert evaluate({k: str(v) for k, v in answers().items()}).level == "autonome"


@pytest.mark.parametrize("given,message", [
    ({k: v for k, v in answers().items() if k != "besoin"}, "missing answer(s): besoin"),
    ({k: v for k, v in answers().items() if k != "information"}, "missing answer(s): information"),
    ({**answers(), "equipement": 5}, "equipement: option 5 does not exist (1 to 4)"),
    ({**answers(), "usage": 0}, "usage: option 0 does not exist (1 to 3)"),
    ({**answers(), "usage": "souvent"}, "usage: 'souvent' is not an option number"),
    ({**answers(), "usage": 1.5}, "usage: 1.5 is not an option number"),
    ({**answers(), "age": 3}, "unknown question(s): age"),
    ({}, "missing answer(s)"),
])
def test_wrong_answers_are_refused_with_a_precise_message(given, message):
    with pytest.raises(AnswersError) as error:
        evaluate(given)
    assert message in str(error.value)


@pytest.mark.parametrize("level,given", [
    ("exclu", answers(usage=3, skills=None)),
    ("eloigne", answers(skills=(2, 2, 2, 2, 2))),
    ("presque_autonome", answers(skills=(1, 1, 1, 1, 2))),
    ("autonome", answers()),
])
def test_result_message_is_kind_and_names_the_need(level, given):
    result = evaluate({**given, "besoin": 2})
    assert result.level == level
    message = result_message(result)
    assert "pour l'emploi" in message
    assert message.startswith("Merci pour vos réponses.")
    for word in ("exclu", "éloigné", "niveau", "faible", "incapable"):
        assert word not in message.lower()
