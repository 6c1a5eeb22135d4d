"""SMS text: GSM-7 transliteration that keeps French readable, exact segment counts,
buttons as numbered choices that never show a payload, and replies mapped back."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.channels.sms_text import (REPLY_WITH_NUMBER, SmsCost, choice_payload, is_gsm7,
                                    render_with_choices, segments, sms_parts, sms_variant,
                                    to_gsm7)

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"

# The same definition as tests/notifications/test_reminders_store.py.
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
EXTENSION = "^{}\\[]~|€\x0c"


# --- is_gsm7 -------------------------------------------------------------------------------

def test_is_gsm7_accepts_the_basic_set_and_the_extension_table_only():
    assert is_gsm7("".join(sorted(GSM7)))
    assert is_gsm7(EXTENSION)
    assert is_gsm7("")
    for outside in ("ê", "â", "ç", "œ", "’", "«", "…", "–", "\u00a0", "\u202f", "😀", "م", "\t", "`"):
        assert not is_gsm7(f"abc{outside}"), outside


# --- segments ------------------------------------------------------------------------------

def test_an_empty_text_costs_nothing():
    assert segments("") == SmsCost(encoding="GSM-7", units=0, segments=0)
    assert sms_parts("") == []


@pytest.mark.parametrize("length, expected", [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3),
                                              (459, 3), (460, 4)])
def test_gsm7_segments_at_the_boundaries(length, expected):
    assert segments("a" * length) == SmsCost(encoding="GSM-7", units=length, segments=expected)


def test_extension_characters_cost_two_septets():
    assert segments("a" * 158 + "€") == SmsCost("GSM-7", 160, 1)
    assert segments("a" * 159 + "€") == SmsCost("GSM-7", 161, 2)
    assert segments("{}" * 80) == SmsCost("GSM-7", 320, 3)  # 76 pairs per part (152 septets)


def test_an_escape_pair_is_never_split_between_two_parts():
    # 306 septets would fit two parts of 153 if the escape pair could be split; it cannot.
    text = "a" * 152 + "€" + "a" * 152
    assert segments(text) == SmsCost("GSM-7", 306, 3)
    parts = sms_parts(text)
    assert parts == ["a" * 152, "€" + "a" * 151, "a"]
    assert "".join(parts) == text
    # Exactly at the boundary the pair still fits.
    fits = "a" * 151 + "€" + "a" * 153
    assert segments(fits) == SmsCost("GSM-7", 306, 2)
    assert sms_parts(fits) == ["a" * 151 + "€", "a" * 153]


@pytest.mark.parametrize("length, expected", [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_segments_at_the_boundaries(length, expected):
    assert segments("ê" * length) == SmsCost(encoding="UCS-2", units=length, segments=expected)


def test_one_character_outside_gsm7_makes_the_whole_message_ucs2():
    assert segments("a" * 100).segments == 1
    assert segments("a" * 99 + "ê") == SmsCost("UCS-2", 100, 2)


def test_emoji_take_two_code_units_and_a_surrogate_pair_is_never_split():
    assert segments("😀" * 35) == SmsCost("UCS-2", 70, 1)
    assert segments("😀" * 35 + "a") == SmsCost("UCS-2", 71, 2)
    text = "ê" * 66 + "😀" + "ê" * 66  # 134 code units: two parts only if the pair were split
    assert segments(text) == SmsCost("UCS-2", 134, 3)
    parts = sms_parts(text)
    assert parts == ["ê" * 66, "😀" + "ê" * 65, "ê"]
    for part in parts:
        assert len(part.encode("utf-16-le")) // 2 <= 67
        part.encode("utf-16-le")  # no lone surrogate
    fits = "ê" * 65 + "😀" + "ê" * 67
    assert segments(fits) == SmsCost("UCS-2", 134, 2)


# --- to_gsm7 -------------------------------------------------------------------------------

def test_a_french_sentence_becomes_gsm7_and_stays_readable():
    text, cost = sms_variant("Vous êtes bien inscrit(e) – à bientôt…")
    assert text == "Vous etes bien inscrit(e) - à bientot..."
    assert cost == SmsCost("GSM-7", len(text), 1)


@pytest.mark.parametrize("original, expected", [
    ("fenêtre, Noël, où, même, âge, île, naïf, côté, sûr, L'Haÿ", "fenetre, Noel, où, meme, age, ile, naif, coté, sur, L'Hay"),
    ("Ça, ça, garçon, Élodie, À bientôt, Ève, Être, Île, Ôter, Ù, Ûber", "Ça, ca, garcon, Élodie, A bientot, Eve, Etre, Ile, Oter, U, Uber"),
    ("cœur, Œuvre, ŒUVRE, Lætitia, Straße", "coeur, Oeuvre, OEUVRE, Lætitia, Straße"),
    ("l’aide d‘un “proche”", "l'aide d'un \"proche\""),
    ("Répondez «\u00a0Oui\u00a0» ou «\u202fNon\u202f»", 'Répondez "Oui" ou "Non"'),
    ("«  Oui  »", '"Oui"'),
    ("Quand ?\u00a0Demain\u202f!", "Quand ? Demain !"),
    ("Attendez… 10 – 12 h — ou −5", "Attendez... 10 - 12 h - ou -5"),
    ("• Carte Vitale\n• Pièce d’identité", "- Carte Vitale\n- Pièce d'identité"),
    ("Coût : 1\u202f000\u00a0€", "Cout : 1 000 €"),
    ("Dossier n°12, №3", "Dossier no12, No3"),
    ("España, São Paulo, Łódź, Ærø", "España, Sao Paulo, Lodz, Ærø"),
])
def test_french_letters_and_typography_are_transliterated(original, expected):
    assert to_gsm7(original) == expected
    assert is_gsm7(expected)


def test_digits_keep_their_meaning():
    assert to_gsm7("10² et 1½") == "10^2 et 1 1/2"
    assert to_gsm7("Répondez ２") == "Répondez 2"
    assert to_gsm7("01\u00a023\u00a045\u00a067\u00a089, 75012") == "01 23 45 67 89, 75012"


def test_other_alphabets_are_kept_and_the_message_is_ucs2():
    arabic = "مرحبا، موعدك غدا الساعة 10"
    text, cost = sms_variant(arabic)
    assert text == arabic
    assert cost == SmsCost("UCS-2", len(arabic), 1)
    assert to_gsm7("Привет") == "Привет"
    assert to_gsm7("नमस्ते") == "नमस्ते"  # the vowel signs (combining marks) stay
    assert to_gsm7("Bonjour, مرحبا") == "Bonjour, مرحبا"


def test_emoji_and_symbols_are_dropped_with_the_space_they_leave():
    assert to_gsm7("Bonjour 👋 !") == "Bonjour !"
    assert to_gsm7("👋Bonjour") == "Bonjour"
    assert to_gsm7("C'est noté ✅\nÀ demain 🙂") == "C'est noté\nA demain"
    assert to_gsm7("Super 👍🏽 merci ❤️") == "Super merci"
    assert to_gsm7("Famille 👨\u200d👩\u200d👧 ok") == "Famille ok"
    assert to_gsm7("1️⃣ Oui") == "1 Oui"  # the keycap keeps its digit
    assert to_gsm7("ℹ️ Info") == "Info"
    assert to_gsm7("🙂") == ""
    text, cost = sms_variant("مرحبا 👋")
    assert (text, cost.units) == ("مرحبا", 5)


def test_references_and_urls_are_unchanged():
    reference = "Votre référence : 9YWVUJ. Annulation : https://rdv.exemple.fr/b/9YWVUJ?x=1&y=2"
    assert to_gsm7(reference) == reference
    with_accents = "Voir https://exemple.fr/démarches/fenêtre?q=Île… ou www.exemple.fr/être."
    assert to_gsm7(with_accents) == (
        "Voir https://exemple.fr/démarches/fenêtre?q=Île... ou www.exemple.fr/être.")
    assert segments(to_gsm7(with_accents)).encoding == "UCS-2"  # correct link rather than cheap


def test_ascii_and_gsm7_text_is_never_changed():
    text = "".join(sorted(GSM7)) + EXTENSION
    assert to_gsm7(text) == text


# --- buttons -------------------------------------------------------------------------------

BUTTONS = [
    {"title": "Oui", "payload": "/affirm"},
    {"title": "Non", "payload": "/deny"},
    {"title": "Un smartphone", "payload": '/inform{"x":1}'},
]


def test_render_with_choices_lists_titles_only():
    message = render_with_choices("Avez-vous un ordinateur ?", BUTTONS)
    assert message == ("Avez-vous un ordinateur ?\n"
                       "1 - Oui\n"
                       "2 - Non\n"
                       "3 - Un smartphone\n"
                       "Répondez par le numéro.")
    for button in BUTTONS:
        assert button["payload"] not in message
    assert "/" not in message and "{" not in message
    assert "\n\n" not in message
    assert sms_variant(message)[1] == SmsCost("GSM-7", len(message), 1)


def test_a_payload_is_never_shown_even_without_a_title():
    buttons = [{"title": "", "payload": "/affirm"},
               {"payload": '/inform{"x":1}'},
               {"title": "/deny", "payload": "/deny"},
               {"title": "  Plus tard \n ", "payload": "/later"}]
    message = render_with_choices("Votre choix ?", buttons)
    assert message == "Votre choix ?\n1 - Choix 1\n2 - Choix 2\n3 - Choix 3\n4 - Plus tard\n" + REPLY_WITH_NUMBER
    for payload in ("/affirm", '/inform{"x":1}', "/deny", "/later", "affirm", "inform", "deny"):
        assert payload not in message


def test_render_with_choices_never_has_a_blank_line():
    message = render_with_choices("Bonjour.\n\nVoici vos choix :\r\n \r\n", BUTTONS[:1])
    assert message == "Bonjour.\nVoici vos choix :\n1 - Oui\n" + REPLY_WITH_NUMBER
    assert "\n\n" not in message and "\r" not in message
    assert render_with_choices("Bonjour.\n\n\nAu revoir.", []) == "Bonjour.\nAu revoir."
    assert REPLY_WITH_NUMBER not in render_with_choices("Sans choix.", [])


@pytest.mark.parametrize("reply, payload", [
    ("1", "/affirm"), (" 2 ", "/deny"), ("2.", "/deny"), ("2)", "/deny"), ("n°2", "/deny"),
    ("N° 2", "/deny"), ("nº3", '/inform{"x":1}'), ("choix 2", "/deny"), ("Choix 3 !", '/inform{"x":1}'),
    ("２", "/deny"), ("1️⃣", "/affirm"), ("03", '/inform{"x":1}'),
    ("oui", "/affirm"), ("OUI !", "/affirm"), ("  Non.", "/deny"), ("Un smartphone", '/inform{"x":1}'),
    ("un   SMARTPHONE", '/inform{"x":1}'), ("unsmartphone", '/inform{"x":1}'), ("Ouí", "/affirm"),
    ("0", None), ("4", None), ("12", None), ("-", None), ("", None), ("2 3", None),
    ("oui mais demain", None), ("je veux le 2 demain", None), ("un ordinateur", None), ("2,5", None),
])
def test_choice_payload(reply, payload):
    assert choice_payload(reply, BUTTONS) == payload


def test_choice_payload_without_buttons_or_with_ambiguous_titles():
    assert choice_payload("1", []) is None
    assert choice_payload("Œuvre", [{"title": "Œuvre", "payload": "/a"}]) == "/a"
    assert choice_payload("oeuvre", [{"title": "Œuvre", "payload": "/a"}]) == "/a"
    twins = [{"title": "Oui", "payload": "/a"}, {"title": "oui !", "payload": "/b"}]
    assert choice_payload("oui", twins) is None
    assert choice_payload("2", twins) == "/b"
    assert choice_payload("نعم", [{"title": "لا", "payload": "/deny"}, {"title": "نعم", "payload": "/affirm"}]) == "/affirm"


# --- every response of the domain ----------------------------------------------------------

def test_the_sms_variant_of_every_domain_response_is_gsm7():
    responses = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["responses"]
    checked, not_gsm7 = 0, {}
    for name, variants in responses.items():
        for index, variant in enumerate(variants):
            if not variant.get("text") and not variant.get("buttons"):
                continue
            message = render_with_choices(variant.get("text") or "", variant.get("buttons") or [])
            text, cost = sms_variant(message)
            checked += 1
            if cost.encoding != "GSM-7":
                not_gsm7[f"{name}[{index}]"] = "".join(sorted(set(text) - GSM7 - set(EXTENSION)))
            assert "\n\n" not in text, name
    assert checked > 0
    assert not not_gsm7, f"SMS variants still in UCS-2 (response: characters): {not_gsm7}"


@pytest.mark.parametrize("reply, payload", [
    ("2e", "/deny"), ("2ème", "/deny"), ("2eme", "/deny"), ("le 2", "/deny"),
    ("le deuxième", "/deny"), ("la première", "/affirm"), ("1er", "/affirm"),
    ("le dernier", '/inform{"x":1}'), ("numéro 2", "/deny"), ("٢", "/deny"),
    ("je prends le 2 merci", "/deny"), ("un smartphnoe", '/inform{"x":1}'),
    ("aucun", None), ("je sais pas", None), ("4e", None), ("le 2 décembre", None),
])
def test_choice_payload_reads_ranks_like_every_question(reply, payload):
    assert choice_payload(reply, BUTTONS) == payload


def test_choice_payload_of_twin_titles_with_one_payload():
    same = [{"title": "Oui", "payload": "/affirm"}, {"title": "oui !", "payload": "/affirm"}]
    assert choice_payload("oui", same) == "/affirm"
