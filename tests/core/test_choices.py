"""The one reader of choices (bot/choices.py): every question, every channel."""
from __future__ import annotations

import pytest

from bot.choices import (DONT_KNOW, EMPTY, NARROWED, NONE, OUT_OF_RANGE, UNCLEAR, Option,
                         means_dont_know, means_none, read_choice, said_number)

THREE = 3  # three options shown with numbers only
PLACES = ["France services La Poste de Saint-Denis", "Bus France services Pimms",
          "Médiathèque de Pierrefitte"]
YES_NO = ["Oui", "Non"]
DEVICES = [
    Option("Un smartphone", ("smartphone", "portable", "mon telephone"), ("pas de portable",)),
    Option("Un ordinateur ou une tablette", ("ordinateur", "ordi", "tablette"), ("pas d ordi",)),
    Option("Les deux", ("les deux", "les 2"), ("pas d ordi", "pas de portable")),
    Option("Aucun", ("aucun", "rien")),
]

CASES = [
    # (text, options, expected: the number chosen, or the kind)
    # digits, however they are written
    ("2", THREE, 2),
    (" 2 ", THREE, 2),
    ("2.", THREE, 2),
    ("2)", THREE, 2),
    ("n°2", THREE, 2),
    ("N° 2", THREE, 2),
    ("nº2", THREE, 2),
    ("№2", THREE, 2),
    ("#2", THREE, 2),
    ("choix 2", THREE, 2),
    ("Choix 3 !", THREE, 3),
    ("numéro 2", THREE, 2),
    ("numero 2", THREE, 2),
    ("réponse 2", THREE, 2),
    ("option 2", THREE, 2),
    ("03", THREE, 3),
    ("２", THREE, 2),  # full-width
    ("٢", THREE, 2),  # Arabic-Indic
    ("۲", THREE, 2),  # extended Arabic-Indic
    ("2️⃣", THREE, 2),  # keycap
    ("1️⃣", THREE, 1),
    # ordinals
    ("le 2", THREE, 2),
    ("la 2", THREE, 2),
    ("2e", THREE, 2),
    ("2E", THREE, 2),
    ("2ème", THREE, 2),
    ("2eme", THREE, 2),
    ("2 ème", THREE, 2),
    ("2ieme", THREE, 2),
    ("le 2e", THREE, 2),
    ("2nd", THREE, 2),
    ("deuxième", THREE, 2),
    ("le deuxième", THREE, 2),
    ("la deuxieme", THREE, 2),
    ("DEUXIEME", THREE, 2),
    ("deuxiemme", THREE, 2),  # a typo
    ("la seconde", THREE, 2),
    ("le second", THREE, 2),
    ("troisième", THREE, 3),
    ("3e", THREE, 3),
    ("le premier", THREE, 1),
    ("la première", THREE, 1),
    ("premier", THREE, 1),
    ("1er", THREE, 1),
    ("1ère", THREE, 1),
    ("1ere", THREE, 1),
    ("le deux", THREE, 2),
    ("deux", THREE, 2),
    ("numéro trois", THREE, 3),
    ("la une", THREE, 1),
    # the last one
    ("dernier", THREE, 3),
    ("le dernier", THREE, 3),
    ("la dernière", THREE, 3),
    ("la derniere", 4, 4),
    ("l'avant-dernier", THREE, 2),
    ("le dernier", PLACES, 3),
    ("la dernière", YES_NO, 2),
    # numbers inside a longer sentence of filler words
    ("je prends le 2 merci", THREE, 2),
    ("je prends le 2", THREE, 2),
    ("je voudrais le 2 s'il vous plaît", THREE, 2),
    ("le numéro 2 svp", THREE, 2),
    ("euh... le 3 alors", THREE, 3),
    ("oui le 2", THREE, 2),
    ("c'est le 1", THREE, 1),
    ("je choisis la deuxième", THREE, 2),
    ("plutôt le premier", THREE, 1),
    ("je prends le 2 merci", PLACES, 2),
    # other words around a number: not a rank
    ("j'ai 2 enfants", THREE, UNCLEAR),
    ("le 2 décembre", THREE, UNCLEAR),
    ("pas le 2", THREE, UNCLEAR),
    ("je veux le 2 demain", THREE, UNCLEAR),
    ("<script>alert(1)</script>", THREE, UNCLEAR),
    ("93200", THREE, UNCLEAR),
    ("un peu", THREE, UNCLEAR),
    # out of range
    ("4", THREE, OUT_OF_RANGE),
    ("0", THREE, OUT_OF_RANGE),
    ("12", THREE, OUT_OF_RANGE),
    ("le 5", THREE, OUT_OF_RANGE),
    ("je prends le 7 merci", PLACES, OUT_OF_RANGE),
    ("4e", THREE, OUT_OF_RANGE),
    ("le quatrième", THREE, OUT_OF_RANGE),
    ("3", YES_NO, OUT_OF_RANGE),
    # two numbers at once
    ("1 ou 2", THREE, UNCLEAR),
    ("2 3", THREE, UNCLEAR),
    ("2,5", THREE, UNCLEAR),
    ("le premier ou le dernier", THREE, UNCLEAR),
    # an option's own words: accents, case, spaces, punctuation, typos
    ("oui", YES_NO, 1),
    ("OUI !", YES_NO, 1),
    ("Ouí", YES_NO, 1),
    ("  Non.", YES_NO, 2),
    ("la poste de saint-denis", PLACES, 1),
    ("La Poste de St Denis", PLACES, 1),
    ("pimms", PLACES, 2),
    ("le bus", PLACES, 2),
    ("médiathèque", PLACES, 3),
    ("mediatheque de pierefite", PLACES, 3),  # typo
    ("je vais a la mediatheque de pierrefitte", PLACES, 3),
    ("France services La Poste de Saint-Denis", PLACES, 1),
    ("unsmartphone", DEVICES, 1),
    ("smartphnoe", DEVICES, 1),  # typo
    ("j'ai un portable", DEVICES, 1),
    ("les 2", DEVICES, 3),  # the whole message is option 3's words: both, not option 2
    ("LES DEUX", DEVICES, 3),
    ("2", DEVICES, 2),
    ("deux", DEVICES, 3),  # a word of the title "Les deux", not a rank
    ("le deux", DEVICES, 2),
    ("aucun", DEVICES, 4),  # the option's own words win over "none of them"
    ("pas de portable mais un ordi", DEVICES, 2),
    ("j'ai pas d'ordi", DEVICES, NARROWED),
    # words of two options at once
    ("services", PLACES, UNCLEAR),
    ("france services", PLACES, UNCLEAR),
    ("un portable ou un ordi", DEVICES, UNCLEAR),
    ("oui non", YES_NO, UNCLEAR),
    # none of them
    ("aucun", PLACES, NONE),
    ("aucune", PLACES, NONE),
    ("Aucun des trois", PLACES, NONE),
    ("rien", PLACES, NONE),
    ("non rien", THREE, NONE),
    ("ni l'un ni l'autre", YES_NO, NONE),
    ("ni l’une ni l’autre", THREE, NONE),
    ("autre chose", PLACES, NONE),
    ("aucun ne me convient", PLACES, NONE),
    # does not know
    ("je sais pas", PLACES, DONT_KNOW),
    ("jsp", PLACES, DONT_KNOW),
    ("JSP", THREE, DONT_KNOW),
    ("je ne sais pas", THREE, DONT_KNOW),
    ("sais pas", THREE, DONT_KNOW),
    ("chais pas", THREE, DONT_KNOW),
    ("j'en sais rien", THREE, DONT_KNOW),  # not "rien": none of them
    ("aucune idée", THREE, DONT_KNOW),  # not "aucune"
    ("je sais pas trop", PLACES, DONT_KNOW),
    # nothing understood
    ("bonjour", PLACES, UNCLEAR),
    ("Au revoir et bonne journée", PLACES, UNCLEAR),
    ("bof", THREE, UNCLEAR),
    ("Какой сегодня день", PLACES, UNCLEAR),
    ("a" * 100_000, PLACES, UNCLEAR),
    ("", THREE, EMPTY),
    ("   ", THREE, EMPTY),
    (None, THREE, EMPTY),
    ("😀👍", THREE, EMPTY),
    ("-", YES_NO, EMPTY),
]


def _read(text, options):
    if isinstance(options, int):
        return read_choice(text, count=options)
    return read_choice(text, options)


@pytest.mark.parametrize("text,options,expected", CASES,
                         ids=[f"{str(t)[:30]!r}-{o if isinstance(o, int) else len(o)}"
                              for t, o, _ in CASES])
def test_read_choice(text, options, expected):
    assert _read(text, options).outcome == expected


def test_a_choice_says_how_it_was_read():
    assert read_choice("2e", count=3).how == "ordinal"
    assert read_choice("le dernier", count=3).how == "last"
    assert read_choice("pimms", PLACES).how == "title"
    assert read_choice("mediatheque de pierefite", PLACES).how == "title"
    assert read_choice("smartphnoe", DEVICES).how == "title"  # a typo of a word of its title
    assert read_choice("portabel", DEVICES).how == "fuzzy"  # a typo of one of its words
    assert read_choice("oui", YES_NO).how == "exact"
    out = read_choice("5", count=3)
    assert (out.kind, out.number, out.chosen) == (OUT_OF_RANGE, 5, False)
    tie = read_choice("france services", PLACES)
    assert (tie.kind, tie.candidates) == (UNCLEAR, (1, 2))
    narrowed = read_choice("j'ai pas d'ordi", DEVICES)
    assert (narrowed.kind, narrowed.candidates) == (NARROWED, (1, 4))


def test_whole_answers_only():
    """`partial=False` (SMS buttons): a rank, a whole title or one with a typo; words inside a
    sentence are left to the conversation."""
    assert read_choice("oui", YES_NO, partial=False).outcome == 1
    assert read_choice("oui mais demain", YES_NO, partial=False).outcome == UNCLEAR
    assert read_choice("la poste", PLACES, partial=False).outcome == UNCLEAR
    assert read_choice("le 2e", PLACES, partial=False).outcome == 2
    assert read_choice("aucun", PLACES, partial=False).outcome == NONE
    assert read_choice("smartphnoe", DEVICES, partial=False).outcome == 1
    assert read_choice("smartphnoe", DEVICES, partial=False, fuzzy=False).outcome == UNCLEAR


def test_a_rank_wins_over_a_title_made_of_digits():
    assert read_choice("1", ["2", "1"]).outcome == 1
    assert read_choice("2", ["Oui", "oui !"]).outcome == 2


def test_twin_titles_are_unclear():
    twins = read_choice("oui", ["Oui", "oui !"])
    assert (twins.kind, twins.candidates) == (UNCLEAR, (1, 2))


@pytest.mark.parametrize("text,count,number", [
    ("13", None, 13), ("le 13e", None, 13), ("13 eme", None, 13), ("seizième", None, 16),
    ("dix-septième", None, 17), ("n°2", None, 2), ("la deuxième", None, 2), ("le dernier", 4, 4),
    ("le dernier", None, None), ("1 ou 2", None, None), ("le 2 décembre", None, None),
    ("paris", None, None), ("", None, None),
])
def test_said_number_whatever_its_range(text, count, number):
    assert said_number(text, count) == number


def test_none_and_dont_know_on_their_own():
    assert means_none("ni l'un ni l'autre") and means_none("autre chose")
    assert not means_none("j'en sais rien") and means_dont_know("j'en sais rien")
    assert means_dont_know("jsp") and not means_dont_know("le 2")


# --- the questions of the booking read by the same reader ----------------------------------

@pytest.mark.parametrize("text,number", [
    ("2e", 2), ("2ème", 2), ("le deuxième", 2), ("n°2", 2), ("2️⃣", 2), ("le dernier", 3),
    ("je prends le 2 merci", 2), ("la poste de saint-denis", 1), ("le bus", 2),
    ("4", None), ("aucun", None), ("je sais pas", None), ("Au revoir et bonne journée", None),
])
def test_a_place_is_picked_like_any_choice(text, number):
    from actions.booking_form import pick_by_name

    assert pick_by_name(text, PLACES) == number


@pytest.mark.parametrize("text,number", [
    ("2", 2), ("2e", 2), ("le 3", 3), ("la dernière", 3), ("le premier", 1), ("je prends le 2", 2),
    ("le 2 décembre", None), ("pas le 2", None), ("plutôt le matin", None), ("5", None),
])
def test_a_slot_is_picked_by_its_rank_only(text, number):
    from actions.booking_form import pick_number

    assert pick_number(text, 3) == number


@pytest.mark.parametrize("text,action", [("1", 1), ("2e", 2), ("le dernier", 3), ("rien", 3),
                                         ("je veux déplacer", 2), ("annuler le rdv", 1)])
def test_what_to_do_with_a_booking(text, action):
    from actions.manage_booking import wanted_action

    assert wanted_action(text) == action
