"""Where the person is (bot/geo): what people type, shared locations, messages, data.

Expected values come from the CSV files read here with the csv module, or are written out by
hand, never from the code under test.
"""
from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.geo import (
    AMBIGUOUS, FOUND, OUTSIDE, OUTSIDE_KM, UNKNOWN, ask_where, haversine_km, locate, locate_point,
    nearest_places, render,
)
from bot.geo.communes import arrondissements, communes, place

PROJECT_DIR = Path(__file__).resolve().parents[2]
GEO = PROJECT_DIR / "data" / "geo"
# The shared open data sits beside the project (../shared), as on the developers' machines.
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "communes"


def _csv(name: str) -> list[dict[str, str]]:
    with open(GEO / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


COMMUNES = _csv("mgp_communes.csv")
ARRONDISSEMENTS = _csv("paris_arrondissements_centroids.csv")
POSTCODE_USES = Counter(code for row in COMMUNES for code in row["codes_postaux"].split("|"))
DEPT_93 = {row["code_insee"] for row in COMMUNES if row["code_departement"] == "93"}
DEPT_92 = {row["code_insee"] for row in COMMUNES if row["code_departement"] == "92"}
DEPT_91 = {row["code_insee"] for row in COMMUNES if row["code_departement"] == "91"}
ALL_ARRONDISSEMENTS = {f"751{n:02d}" for n in range(1, 21)}


def codes(location) -> set[str]:
    return {p.code_insee for p in location.candidates}


# --- The table: what people type -------------------------------------------------------------

# (text, kind, expected): for `found` the INSEE code; for `ambiguous` the exact set of candidate
# codes; for `outside` the department number; for `unknown` its reason ("name": a name that is not
# a member, answered with the postcode question) or None (any reason).
TABLE = [
    # postcodes
    ("93200", FOUND, "93066"),
    ("93 200", FOUND, "93066"),
    ("75013", FOUND, "75113"),
    ("75116", FOUND, "75116"),
    ("75016", FOUND, "75116"),
    ("95100", FOUND, "95018"),
    ("aubervilliers 93300", FOUND, "93001"),
    ("12 rue de Paris 93100 Montreuil", FOUND, "93048"),
    ("93100, rue de Paris", FOUND, "93048"),
    ("93100 près de Paris", FOUND, "93048"),
    ("75013 Paris", FOUND, "75113"),
    ("94440 Santeny", FOUND, "94070"),
    ("94440", AMBIGUOUS, {"94048", "94070", "94075"}),
    ("94520", AMBIGUOUS, {"94047", "94056"}),
    ("Ivry 75013", AMBIGUOUS, {"94041", "75113"}),
    ("75000", AMBIGUOUS, ALL_ARRONDISSEMENTS),
    ("92081", AMBIGUOUS, DEPT_92),
    # commune names, spelling, case, short forms
    ("st denis", FOUND, "93066"),
    ("saint-denis", FOUND, "93066"),
    ("ST DENIS", FOUND, "93066"),
    ("St-Denis", FOUND, "93066"),
    ("ivry", FOUND, "94041"),
    ("boulogne", FOUND, "92012"),
    ("vitry sur seine", FOUND, "94081"),
    ("VITRY-SUR-SEINE", FOUND, "94081"),
    ("vitry", FOUND, "94081"),
    ("montreuil", FOUND, "93048"),
    ("le kremlin bicetre", FOUND, "94043"),
    ("kremlin", FOUND, "94043"),
    ("issy", FOUND, "92040"),
    ("saint maur", FOUND, "94068"),
    ("st maur des fossés", FOUND, "94068"),
    ("la courneuve", FOUND, "93027"),
    ("courneuve", FOUND, "93027"),
    ("l'hay les roses", FOUND, "94038"),
    ("L'HAŸ", FOUND, "94038"),
    ("clichy", FOUND, "92024"),
    ("clichy sous bois", FOUND, "93014"),
    ("blanc mesnil", FOUND, "93007"),
    ("champigny", FOUND, "94017"),
    ("Argenteuil", FOUND, "95018"),
    ("Billancourt", FOUND, "92012"),
    ("bicêtre", FOUND, "94043"),
    # places inside a commune that carry its name
    ("la plaine saint denis", FOUND, "93066"),
    ("Orly", FOUND, "94054"),
    ("Meudon-la-Forêt", FOUND, "92048"),
    # typos
    ("aubervillier", FOUND, "93001"),
    ("montreul", FOUND, "93048"),
    ("créteuil", FOUND, "94028"),
    ("gennevilier", FOUND, "92036"),
    ("romainvile", FOUND, "93063"),
    ("sevrant", FOUND, "93071"),
    ("vitry sur seinne", FOUND, "94081"),
    ("ivri", AMBIGUOUS, {"94041"}),  # too far to be sure: confirmed first
    ("neuily", AMBIGUOUS, {"92051", "93050", "93049"}),
    ("fontenai", AMBIGUOUS, {"92032", "94033"}),
    ("evry", OUTSIDE, None),  # not Ivry nor Viry: Évry (89), Évry-Courcouronnes (91)
    ("voir", UNKNOWN, None),
    ("qui a gagné le match hier", UNKNOWN, None),  # "gagne" in a sentence is not Gagny
    ("je préfère qu'on me montre en vrai", UNKNOWN, None),
    ("c'est parti", UNKNOWN, None),
    ("c'est la Métropole du Grand Paris", UNKNOWN, None),
    # sentences
    ("j'habite à ivry", FOUND, "94041"),
    # ... whatever the elision and apostrophe (issue 10)
    ("près de Ivry-sur-Seine", FOUND, "94041"),
    ("près de Aubervilliers", FOUND, "93001"),
    ("près d'Ivry", FOUND, "94041"),
    ("d'Aubervilliers", FOUND, "93001"),
    ("à côté d'Épinay", FOUND, "93031"),
    ("j'habite à l'Haÿ-les-Roses", FOUND, "94038"),
    ("vers l'Île-Saint-Denis", FOUND, "93039"),
    ("dans le 93", AMBIGUOUS, DEPT_93),
    ("j'habite en Seine-Saint-Denis", AMBIGUOUS, DEPT_93),
    ("j'habite au Kremlin-Bicêtre", FOUND, "94043"),
    ("du Blanc-Mesnil", FOUND, "93007"),
    ("sur Montreuil", FOUND, "93048"),
    ("près de l’Île-Saint-Denis", FOUND, "93039"),
    ("j’habite à l’Haÿ", FOUND, "94038"),
    ("à côté d’Épinay-sur-Seine", FOUND, "93031"),
    ("pres d’Ivry", FOUND, "94041"),
    ("pres d`Ivry", FOUND, "94041"),
    ("près d´Ivry", FOUND, "94041"),
    ("près dʼIvry", FOUND, "94041"),
    ("près d Ivry", FOUND, "94041"),
    ("dIvry", FOUND, "94041"),  # the apostrophe left out
    ("près dIvry", FOUND, "94041"),
    ("à côté dAubervilliers", FOUND, "93001"),
    ("dEpinay", FOUND, "93031"),
    ("lHaÿ-les-Roses", FOUND, "94038"),
    ("lIle-Saint-Denis", FOUND, "93039"),
    ("jhabite a ivry", FOUND, "94041"),
    ("j'habite à Drancy", FOUND, "93029"),  # a name that starts with d is not cut
    ("Dugny", FOUND, "93030"),
    ("les Lilas", FOUND, "93045"),
    ("je suis a boulogne", FOUND, "92012"),
    ("près de la mairie de pantin", FOUND, "93055"),
    ("Je vis à Aulnay avec ma fille", FOUND, "93005"),
    ("bonjour j'habite aubervillier depuis 20 ans merci", FOUND, "93001"),
    ("Bondy, près de Paris", FOUND, "93010"),
    ("saint denis en seine saint denis", FOUND, "93066"),
    ("entre Pantin et Bobigny", AMBIGUOUS, {"93055", "93008"}),
    # names shared by several communes
    ("neuilly", AMBIGUOUS, {"92051", "93050", "93049"}),
    ("noisy", AMBIGUOUS, {"93051", "93053"}),
    ("fontenay", AMBIGUOUS, {"92032", "94033"}),
    ("villeneuve", AMBIGUOUS, {"92078", "94077", "94078"}),
    ("plessis", AMBIGUOUS, {"92060", "94059"}),
    # Paris and its arrondissements
    ("paris", AMBIGUOUS, ALL_ARRONDISSEMENTS),
    ("j'habite Paris", AMBIGUOUS, ALL_ARRONDISSEMENTS),
    ("paris 13", FOUND, "75113"),
    ("paris 13e", FOUND, "75113"),
    ("Paris 13ème", FOUND, "75113"),
    ("13e", FOUND, "75113"),
    ("13ème", FOUND, "75113"),
    ("le 20eme", FOUND, "75120"),
    ("dans le 15e", FOUND, "75115"),
    ("paris 1er", FOUND, "75101"),
    ("1er arrondissement", FOUND, "75101"),
    ("treizième arrondissement", FOUND, "75113"),
    ("arrondissement 13", FOUND, "75113"),
    ("paris 05", FOUND, "75105"),
    ("Paris XIII", FOUND, "75113"),
    ("XXe arrondissement", FOUND, "75120"),
    ("XVIe", FOUND, "75116"),
    ("paris13", FOUND, "75113"),
    ("je vis à Paris, dans le 11e", FOUND, "75111"),
    ("seizième", AMBIGUOUS, {"75116"}),
    ("13", AMBIGUOUS, {"75113"}),  # Paris 13e? asked, not assumed
    ("gobelins", AMBIGUOUS, {"75113"}),
    # merged commune
    ("pierrefitte", FOUND, "93066"),
    ("Pierrefitte-sur-Seine", FOUND, "93066"),
    ("93380", FOUND, "93066"),
    # departments
    ("dans le 93", AMBIGUOUS, DEPT_93),
    ("93", AMBIGUOUS, DEPT_93),
    ("Seine-Saint-Denis", AMBIGUOUS, DEPT_93),
    ("91", AMBIGUOUS, DEPT_91),
    ("Val-d'Oise", AMBIGUOUS, {"95018"}),
    ("dans le 75", AMBIGUOUS, ALL_ARRONDISSEMENTS),
    # outside the Métropole: what the postcode system makes certain
    ("69001", OUTSIDE, "69"),
    ("13005", OUTSIDE, "13"),
    ("60100", OUTSIDE, "60"),
    ("78000", OUTSIDE, "78"),
    ("Lyon 69001", OUTSIDE, "69"),
    ("20000", OUTSIDE, "20"),
    ("91300", OUTSIDE, "91"),
    ("95000", OUTSIDE, "95"),
    ("77", OUTSIDE, "77"),
    ("dans le 69", OUTSIDE, "69"),
    ("2A", OUTSIDE, "2A"),
    ("97400", OUTSIDE, "974"),
    # outside the Métropole: a commune of France that is not a member, by name (issue 10)
    ("Lyon", OUTSIDE, "69"),
    ("Marseille", OUTSIDE, "13"),
    ("Creil", OUTSIDE, "60"),
    ("j'habite à Cergy", OUTSIDE, "95"),
    ("Versailles", OUTSIDE, "78"),
    ("Saint-Ouen-l'Aumône", OUTSIDE, "95"),  # not Saint-Ouen-sur-Seine
    ("Lille", OUTSIDE, "59"),
    ("LILLE", OUTSIDE, "59"),
    ("Toulouse", OUTSIDE, "31"),
    ("Bordeaux", OUTSIDE, "33"),
    ("Marseille 13001", OUTSIDE, "13"),
    ("je suis à Lyon", OUTSIDE, "69"),
    ("59000", OUTSIDE, "59"),
    ("31000", OUTSIDE, "31"),
    ("Cergy", OUTSIDE, "95"),
    ("Argenteuil", FOUND, "95018"),  # a member, in the Val-d'Oise
    ("boulogne sur mer", OUTSIDE, "62"),  # not Boulogne-Billancourt
    ("montreuil sur mer", OUTSIDE, "62"),  # a longer name beats the member's
    ("au Bourget-du-Lac", OUTSIDE, "73"),
    ("Maisons-Laffitte", OUTSIDE, "78"),  # not Maisons-Alfort
    ("fontenay tresigny", OUTSIDE, "77"),
    ("Sceaux-du-Gâtinais", OUTSIDE, "45"),
    ("Ivry-la-Bataille", OUTSIDE, "27"),
    ("Vitry-le-François", OUTSIDE, "51"),
    ("Saint-Denis 974", OUTSIDE, "974"),  # the member, unless another department is said
    ("saint denis (974)", OUTSIDE, "974"),
    ("Saint-Denis 93", FOUND, "93066"),
    ("Saint-Germain-en-Laye", OUTSIDE, "78"),
    ("st germain en laye", OUTSIDE, "78"),
    ("st etienne", OUTSIDE, None),  # Saint-Étienne (42) and homonyms elsewhere
    ("Villeneuve d'Ascq", OUTSIDE, "59"),
    ("Sarcelles", OUTSIDE, "95"),
    ("Villiers-le-Bel", OUTSIDE, "95"),
    ("Conflans", OUTSIDE, None),  # the short form of a large commune (78), and of others
    ("Mantes", OUTSIDE, "78"),  # Mantes-la-Jolie and Mantes-la-Ville
    ("à Roissy", OUTSIDE, None),  # Roissy-en-Brie (77), Roissy-en-France (95)
    ("Brive", OUTSIDE, "19"),
    ("Lille 59", OUTSIDE, "59"),
    ("Marseille (13)", OUTSIDE, "13"),
    ("marseille 13e", OUTSIDE, "13"),
    ("au Mans", OUTSIDE, "72"),
    ("j'habite au Havre", OUTSIDE, "76"),
    ("La Rochelle", OUTSIDE, None),  # in 17 and in 70
    ("aux Mureaux", OUTSIDE, "78"),
    ("à l'Isle-Adam", OUTSIDE, "95"),
    ("près de Lille", OUTSIDE, "59"),
    ("à côté de Bordeaux", OUTSIDE, "33"),
    ("vers Toulouse", OUTSIDE, "31"),
    ("sur Marseille", OUTSIDE, "13"),
    ("j'habite près d'Orléans", OUTSIDE, "45"),
    ("dans la banlieue de Lyon", OUTSIDE, "69"),
    ("je vis à Lyon avec ma fille", OUTSIDE, "69"),
    ("je suis à Lyon depuis 3 ans", OUTSIDE, "69"),
    ("toulous", OUTSIDE, "31"),  # a small typo of a large commune
    ("marseile", OUTSIDE, "13"),
    ("bordeau", OUTSIDE, "33"),
    ("Strasbourgh", OUTSIDE, "67"),
    # a name not judged: unknown, the person is asked for the postcode
    ("Londres", UNKNOWN, "name"),
    ("Belleville", UNKNOWN, "name"),  # Paris 20e, though communes elsewhere bear the name
    ("Auteuil", UNKNOWN, "name"),
    ("à Saint-Michel", UNKNOWN, "name"),
    ("à Saint-Germain-des-Prés", UNKNOWN, "name"),
    ("je suis à la rue", UNKNOWN, None),  # Rue (80) is a commune; here it is not
    ("je suis à l'hôpital", UNKNOWN, None),  # nor L'Hôpital (57)
    ("je suis sur place", UNKNOWN, None),  # nor Placé (53)
    ("en ligne", UNKNOWN, None),
    ("à la gare de Lyon", UNKNOWN, None),  # a station of Paris
    ("j'habite rue de Lyon", UNKNOWN, None),
    ("porte de Versailles", UNKNOWN, None),
    ("je suis à la maison", UNKNOWN, None),  # not Maisons-Alfort
    ("à Monceau", UNKNOWN, "name"),  # Paris 8e, not Montceau-les-Mines (71)
    ("Paris l'Hôpital", AMBIGUOUS, ALL_ARRONDISSEMENTS),  # Paris, not Paris-l'Hôpital (71)
    # nothing usable
    ("bonjour", UNKNOWN, None),
    ("je ne sais pas", UNKNOWN, None),
    ("j'ai 75 ans", UNKNOWN, None),
    ("j'habite au 3e étage", UNKNOWN, None),
    ("avec plaisir", UNKNOWN, None),
    ("chatelet", UNKNOWN, None),  # a Paris hub, not Le Châtelet-en-Brie (77)
    ("marne", UNKNOWN, None),
    ("mesnil", UNKNOWN, None),
    ("ma vie", UNKNOWN, None),
    ("00000", UNKNOWN, None),
    ("99999", UNKNOWN, None),
]


def test_the_table_is_large_and_covers_every_kind():
    assert len(TABLE) >= 50
    assert {kind for _, kind, _ in TABLE} == {FOUND, AMBIGUOUS, OUTSIDE, UNKNOWN}


@pytest.mark.parametrize("text,kind,expected", TABLE, ids=[t for t, _, _ in TABLE])
def test_what_people_type(text, kind, expected):
    location = locate(text)
    assert location.kind == kind, (location.kind, location.reason)
    if kind == FOUND:
        assert location.code_insee == expected
        assert location.name == place(expected).nom
        assert (location.lat, location.lon) == (place(expected).lat, place(expected).lon)
    elif kind == AMBIGUOUS:
        assert codes(location) == expected
        assert location.place is None and location.name is None
    elif kind == OUTSIDE:
        assert location.department == expected
        assert location.place is None
    else:
        assert location.place is None and not location.candidates
        if expected is not None:
            assert location.reason == expected


def test_found_says_the_name_and_keeps_the_postcode_given():
    location = locate("93200")
    assert (location.name, location.code_insee, location.postcode) == ("Saint-Denis", "93066",
                                                                       "93200")
    assert locate("saint denis").postcode is None
    assert locate("75116").name == "Paris 16e"
    assert locate("1er arrondissement").name == "Paris 1er"


def test_exact_names_beat_fuzzy_ones():
    assert locate("montreuil").reason == "name"
    assert locate("montreul").reason == "fuzzy"
    assert locate("93200 saint denis").reason == "postcode"


def test_paris_alone_asks_for_the_arrondissement_but_offers_paris_as_a_whole():
    location = locate("paris")
    assert location.reason == "paris"
    assert [p.number for p in location.candidates] == list(range(1, 21))
    assert location.fallback is not None and location.fallback.code_insee == "75056"


def test_a_merged_commune_is_said_to_be_part_of_the_new_one():
    for text in ("pierrefitte", "Pierrefitte-sur-Seine", "93380"):
        location = locate(text)
        assert location.code_insee == "93066"
        assert location.merged_from == "Pierrefitte-sur-Seine"
    assert locate("93200").merged_from is None
    assert locate("saint denis").merged_from is None


def test_outside_rests_on_the_postcode_system_only():
    member_postcodes = set(POSTCODE_USES) | {
        code for row in ARRONDISSEMENTS for code in row["codes_postaux"].split("|")}
    # Every postcode of 91 and 95, where only some communes are members: a member's postcode
    # is found there, any other is outside.
    for department in ("91", "95"):
        for n in range(1000):
            code = f"{department}{n:03d}"
            location = locate(code)
            if code in member_postcodes:
                assert location.kind in (FOUND, AMBIGUOUS), code
            else:
                assert (location.kind, location.department, location.postcode) == (
                    OUTSIDE, department, code), code
    # A sample of the other departments (and Corsica, 20): outside
    for first in range(1, 96):
        department = f"{first:02d}"
        if department in ("75", "91", "92", "93", "94", "95"):
            continue
        for code in (f"{department}000", f"{department}100", f"{department}999"):
            assert (locate(code).kind, locate(code).department) == (OUTSIDE, department), code
    # 75, 92, 93, 94 are wholly members: an unknown postcode there asks for the commune
    for code in ("75000", "92081", "93999", "94999"):
        assert locate(code).kind == AMBIGUOUS, code
    # No certainty without a French department
    for code in ("00000", "96000", "98000", "99999"):
        assert locate(code).kind == UNKNOWN, code


def test_a_name_not_judged_asks_for_the_postcode_which_settles_it():
    for text in ("Londres", "Belleville", "Auteuil", "à Saint-Michel"):
        location = locate(text)
        assert (location.kind, location.reason) == (UNKNOWN, "name"), text
        (message,) = render(location)
        assert message.count("?") == 1 and "code postal ?" in message, message
    londres = locate("Londres")
    assert (locate("78000", londres).kind, locate("78000", londres).department) == (
        OUTSIDE, "78")
    assert locate("75020", locate("Belleville")).code_insee == "75120"
    assert locate("93200", londres).code_insee == "93066"
    assert locate("91300", locate("Massy")).kind == OUTSIDE
    assert locate("95100", locate("Cergy")).code_insee == "95018"


def test_a_commune_outside_is_named_back_with_its_department():
    lille = locate("Lille")
    assert (lille.kind, lille.reason, lille.department) == (OUTSIDE, "name", "59")
    assert [c.code_insee for c in lille.others] == ["59350"]
    statement, helpline = render(lille)
    assert statement == "Lille (59) n'est pas dans la Métropole du Grand Paris."
    assert "01 70 772 372" in helpline and "cartographie.societenumerique.gouv.fr" in helpline
    assert render(locate("toulous"))[0] == (
        "Toulouse (31) n'est pas dans la Métropole du Grand Paris.")
    # homonyms across departments: the name alone; a short form: as the communes write it
    assert render(locate("evry"))[0] == "Évry n'est pas dans la Métropole du Grand Paris."
    assert locate("roissy").named == "Roissy"
    assert locate("mantes").named == "Mantes (78)"
    assert locate("brive").named == "Brive-la-Gaillarde (19)"
    assert locate("au mans").named == "Le Mans (72)"
    assert {c.code_insee for c in locate("evry").others} == {"89162", "91228"}
    # a postcode: the statement names the postcode; its communes are kept in `others`
    assert render(locate("59000"))[0] == (
        "Le code postal 59000 n'est pas dans la Métropole du Grand Paris.")
    assert [c.nom for c in locate("59000").others] == ["Lille"]
    assert [c.nom for c in locate("01000").others] == ["Bourg-en-Bresse", "Saint-Denis-lès-Bourg"]
    assert locate("91999").others == ()  # no commune: the department says it


# --- Never an exception ------------------------------------------------------------------------

ODD_INPUTS = [
    None, "", "   ", "😀📍🏠", "x" * 10_000, "lorem ipsum dolor sit amet " * 400,
    "Москва", "東京都", "مرحبا بكم", "'; DROP TABLE communes; --", "1 OR 1=1; --",
    "<script>alert(1)</script>", "\x00\x01\x02", "%s %d {0} {name}", "\u202e\u200b", "?!;:,.",
]


@pytest.mark.parametrize("text", ODD_INPUTS, ids=range(len(ODD_INPUTS)))
def test_odd_input_is_unknown_and_never_raises(text):
    location = locate(text)
    assert location.kind == UNKNOWN
    assert render(location)  # and it can be answered


def test_a_very_long_message_is_still_understood():
    # (Its cost is bounded by reading only the start of a message: bot.text.normalize.)
    assert locate("ivry " * 2500).code_insee == "94041"
    assert locate("abcdefghij " * 1000).kind == UNKNOWN


# --- Every place ------------------------------------------------------------------------------

def test_data_has_130_communes_and_20_arrondissements():
    assert len(COMMUNES) == 130 and len(communes()) == 130
    assert len(ARRONDISSEMENTS) == 20 and [a.number for a in arrondissements()] == list(range(1, 21))
    assert "93059" not in {c.code_insee for c in communes()}  # Pierrefitte, merged


@pytest.mark.parametrize("number", range(1, 21))
def test_every_arrondissement_by_number_and_postcode(number):
    code = f"751{number:02d}"
    suffix = "er" if number == 1 else "e"
    for text in (f"paris {number}", f"Paris {number}{suffix}", f"{number}{suffix}",
                 f"{number}ème arrondissement", f"75{number:03d}"):
        location = locate(text)
        assert (location.kind, location.code_insee) == (FOUND, code), text
    row = next(r for r in ARRONDISSEMENTS if r["code_insee"] == code)
    for postcode in row["codes_postaux"].split("|"):
        assert locate(postcode).code_insee == code


@pytest.mark.parametrize("row", COMMUNES, ids=[r["nom"] for r in COMMUNES])
def test_every_commune_by_its_exact_name(row):
    location = locate(row["nom"])
    if row["code_insee"] == "75056":
        assert location.reason == "paris"
        return
    assert (location.kind, location.code_insee) == (FOUND, row["code_insee"])
    assert location.name == row["nom"]
    # the same in capitals, and in a sentence
    assert locate(row["nom"].upper()).code_insee == row["code_insee"]
    assert locate(f"j'habite à {row['nom']}").code_insee == row["code_insee"]


@pytest.mark.parametrize("row", COMMUNES, ids=[r["nom"] for r in COMMUNES])
def test_every_commune_by_its_first_postcode(row):
    postcode = row["codes_postaux"].split("|")[0]
    location = locate(postcode)
    if row["code_insee"] == "75056":
        assert location.code_insee == "75101"  # 75001 is the 1st arrondissement
    elif POSTCODE_USES[postcode] == 1:
        assert (location.kind, location.code_insee, location.postcode) == (
            FOUND, row["code_insee"], postcode)
    else:
        assert location.kind == AMBIGUOUS and row["code_insee"] in codes(location)
        assert len(location.candidates) == POSTCODE_USES[postcode]


def test_every_commune_without_accents_or_hyphens():
    from unidecode import unidecode

    for row in COMMUNES:
        if row["code_insee"] == "75056":
            continue
        plain = unidecode(row["nom"]).replace("-", " ").replace("'", " ").lower()
        assert locate(plain).code_insee == row["code_insee"], plain


def test_former_communes_point_to_members_and_cite_only_shared_data():
    members = {row["code_insee"]: row for row in COMMUNES}
    rows = _csv("communes_fusionnees.csv")
    assert [(r["code_insee"], r["nom"], r["codes_postaux"], r["code_insee_actuel"],
             r["date_fusion"]) for r in rows] == [
        ("93059", "Pierrefitte-sur-Seine", "93380", "93066", "2025-01-01")]
    for row in rows:
        target = members[row["code_insee_actuel"]]
        # the former commune's postcodes are postcodes of the member it is part of
        assert set(row["codes_postaux"].split("|")) <= set(target["codes_postaux"].split("|"))
        # every fact cited comes from a file of the shared data
        cited = [part.split(" ")[0] for part in row["source"].split("; ")]
        assert cited and all(c.startswith("shared/data/") for c in cited), row["source"]
        if SHARED.exists():
            assert all((SHARED.parents[2] / c).is_file() for c in cited), cited


def test_data_holds_only_the_documented_files():
    readme = (GEO / "README.md").read_text(encoding="utf-8")
    files = {p.name for p in GEO.iterdir() if p.is_file()} - {"README.md"}
    assert files == {"mgp_communes.csv", "paris_arrondissements_centroids.csv",
                     "communes_fusionnees.csv", "messages.yml", "france_communes.csv"}
    for name in files:
        assert f"`{name}`" in readme, name


def test_the_national_list_holds_every_current_commune_and_agrees_with_the_members():
    rows = _csv("france_communes.csv")
    assert list(rows[0]) == ["code_insee", "nom", "codes_postaux", "code_departement",
                             "population"]
    by_code = {row["code_insee"]: row for row in rows}
    assert len(by_code) == len(rows) > 34_000  # about 35,000 communes, each once
    assert [row["code_insee"] for row in rows] == sorted(by_code)
    for row in COMMUNES:  # the 130 members, with the same name, postcodes and department
        national = by_code[row["code_insee"]]
        assert (national["nom"], national["code_departement"]) == (row["nom"],
                                                                   row["code_departement"])
        assert set(national["codes_postaux"].split("|")) == set(row["codes_postaux"].split("|"))
    assert "93059" not in by_code  # Pierrefitte-sur-Seine, merged into Saint-Denis
    # no postcode is shared by a member and a commune outside the Métropole
    members = {row["code_insee"] for row in COMMUNES}
    inside = {code for row in COMMUNES for code in row["codes_postaux"].split("|")}
    outside = {code for row in rows if row["code_insee"] not in members
               for code in row["codes_postaux"].split("|") if code}
    assert not inside & outside
    assert (by_code["59350"]["nom"], by_code["59350"]["codes_postaux"]) == (
        "Lille", "59000|59160|59260|59777|59800")
    size = (GEO / "france_communes.csv").stat().st_size
    assert size < 2_000_000, size


FRANCE = _csv("france_communes.csv")
MEMBER_CODES = {row["code_insee"] for row in COMMUNES}
# Large communes outside that are not told outside by their name alone, and why: a member's
# homonym, a place of Paris that other communes are named after, an arrondissement's name.
NOT_OUTSIDE_BY_NAME = {
    "97411": (FOUND, "93066"),  # Saint-Denis (974): the member Saint-Denis wins
    "52121": (AMBIGUOUS, "75119"),  # Chaumont (52): Buttes-Chaumont, Paris 19e? asked
    "74208": (AMBIGUOUS, "75116"),  # Passy (74): Paris 16e? asked
    "59368": (UNKNOWN, None),  # La Madeleine (59): the Madeleine, Paris 8e
    "68297": (UNKNOWN, None),  # Saint-Louis (68): the île Saint-Louis, Paris 4e
    "97414": (UNKNOWN, None),  # Saint-Louis (974)
    "97415": (UNKNOWN, None),  # Saint-Paul (974): Saint-Paul, Paris 4e
    "97801": (UNKNOWN, None),  # Saint-Martin (978): Porte, canal Saint-Martin, Paris 10e
}


def test_every_postcode_of_a_commune_outside_is_outside_and_names_its_communes():
    uses: dict[str, set[str]] = {}
    for row in FRANCE:
        if row["code_insee"] not in MEMBER_CODES:
            for code in filter(None, row["codes_postaux"].split("|")):
                uses.setdefault(code, set()).add(row["code_insee"])
    assert len(uses) > 6000
    for code, expected in uses.items():
        location = locate(code)
        assert (location.kind, location.postcode) == (OUTSIDE, code), code
        assert {c.code_insee for c in location.others} == expected, code


def test_every_large_commune_outside_is_outside_by_its_name():
    large = [row for row in FRANCE if row["code_insee"] not in MEMBER_CODES
             and int(row["population"] or 0) >= 10_000]
    assert len(large) > 900
    for row in large:
        location = locate(row["nom"])
        if row["code_insee"] in NOT_OUTSIDE_BY_NAME:
            kind, code = NOT_OUTSIDE_BY_NAME[row["code_insee"]]
            assert location.kind == kind, row["nom"]
            assert code is None or code in {location.code_insee} | codes(location)
            continue
        assert location.kind == OUTSIDE, (row["nom"], location.kind, location.reason)
        assert row["code_insee"] in {c.code_insee for c in location.others}, row["nom"]
        if len({c.departement for c in location.others}) == 1:
            assert location.department == row["code_departement"]
        # the same in capitals, without accents or hyphens, and in a sentence
        from unidecode import unidecode

        plain = unidecode(row["nom"]).replace("-", " ").lower()
        for text in (row["nom"].upper(), plain, f"j'habite à {row['nom']}"):
            again = locate(text)
            assert again.kind == OUTSIDE and row["code_insee"] in {
                c.code_insee for c in again.others}, text


def test_names_outside_are_read_as_the_persons_words_are():
    from bot.geo.france import key_tokens
    from bot.text import normalize

    canon = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
    for row in FRANCE:  # "Œuf-en-Ternois", "L’Hôpital", "Saint-Jean-d'Aulps"...
        expected = [canon.get(w, w) for w in normalize(row["nom"]).split()]
        assert key_tokens(row["nom"]) == expected, row["nom"]


def test_a_member_is_never_shadowed_by_a_homonym_outside():
    members = {row["nom"]: row["code_insee"] for row in COMMUNES}
    homonyms = [row for row in FRANCE
                if row["code_insee"] not in MEMBER_CODES and row["nom"] in members]
    assert {row["code_insee"] for row in homonyms} >= {"97411", "11339", "30247"}  # Saint-Denis
    for row in homonyms:
        location = locate(row["nom"])
        assert (location.kind, location.code_insee) == (FOUND, members[row["nom"]]), row["nom"]


def test_an_answer_outside_after_a_question_is_still_outside():
    neuilly = locate("neuilly")
    lille = locate("Lille", neuilly)
    assert (lille.kind, lille.department) == (OUTSIDE, "59")
    assert locate("59000", locate("paris")).kind == OUTSIDE


def test_the_national_list_is_read_once():
    from bot.geo import france
    from bot.geo.communes import _others_by_postcode, other_communes

    cached = (other_communes, _others_by_postcode, france._indexes, france._fuzzy_choices)
    for function in cached:
        function.cache_clear()
    france.preload()
    assert locate("Lille").department == "59"
    texts = ("Lille", "je suis à Lyon", "59000", "toulous")
    for text in texts:
        assert locate(text).kind == OUTSIDE
    read = [function.cache_info().misses for function in cached]
    assert all(read), "the list and its indexes were read"
    for text in texts:
        assert locate(text).kind == OUTSIDE
    # Once read, never again (how long it takes is measured by make bench, not asserted here).
    assert [function.cache_info().misses for function in cached] == read


# --- Answers to the question that follows an ambiguous location -----------------------------

def test_choosing_among_listed_candidates():
    neuilly = locate("neuilly")
    assert locate("2", neuilly).code_insee == neuilly.candidates[1].code_insee
    assert locate("le premier", neuilly).code_insee == neuilly.candidates[0].code_insee
    assert locate("sur marne", neuilly).code_insee == "93050"
    assert locate("plaisance", neuilly).code_insee == "93049"
    assert locate("5", neuilly) == neuilly  # out of range: asked again
    assert locate("montreuil", neuilly).code_insee == "93048"  # another answer altogether
    noisy = locate("noisy")
    assert locate("le grand", noisy).code_insee == "93051"
    assert locate("sec", noisy).code_insee == "93053"
    shared = locate("94440")
    chosen = locate("santeny", shared)
    assert (chosen.code_insee, chosen.postcode) == ("94070", "94440")


def test_choosing_an_arrondissement_or_confirming():
    paris = locate("paris")
    assert locate("13", paris).code_insee == "75113"
    assert locate("le 5e", paris).code_insee == "75105"
    assert locate("75020", paris).code_insee == "75120"
    assert locate("je ne sais pas", paris).kind == UNKNOWN
    thirteen = locate("13")
    assert locate("oui", thirteen).code_insee == "75113"
    assert locate("13", thirteen).code_insee == "75113"
    assert locate("non", thirteen).kind == UNKNOWN
    assert locate("93200", thirteen).code_insee == "93066"
    assert locate("oui", locate("Val-d'Oise")).code_insee == "95018"
    assert locate("aubervillier", locate("dans le 93")).code_insee == "93001"


# --- Shared locations -------------------------------------------------------------------------

@pytest.mark.parametrize("row", COMMUNES[1:] + ARRONDISSEMENTS,
                         ids=[r.get("nom", "") for r in COMMUNES[1:] + ARRONDISSEMENTS])
def test_the_centroid_of_every_place_is_that_place(row):
    location = locate_point(float(row["latitude"]), float(row["longitude"]))
    assert (location.kind, location.code_insee) == (FOUND, row["code_insee"])
    assert location.distance_km < 0.01


def test_points_near_and_far():
    # Paris centroid (75056) falls in an arrondissement, never in "Paris" as a whole
    assert locate_point(48.85661, 2.3428).place.kind == "arrondissement"
    # the corner of Tremblay-en-France farthest from any centroid (IGN polygon): inside
    far_corner = locate_point(49.012, 2.565)
    assert (far_corner.kind, far_corner.code_insee) == (FOUND, "93073")
    assert 3.5 < far_corner.distance_km < OUTSIDE_KM
    # the point itself is kept for the place search
    assert (far_corner.lat, far_corner.lon) == (49.012, 2.565)
    for lat, lon in ((45.76, 4.84), (48.8049, 2.1204), (49.036, 2.063), (43.0, 5.0),
                     (46.0, -5.0), (0.0, 0.0), (-33.9, 151.2)):
        location = locate_point(lat, lon)
        assert location.kind == OUTSIDE, (lat, lon)
        assert location.name is None and location.distance_km > OUTSIDE_KM


@pytest.mark.parametrize("lat,lon", [(None, None), ("abc", 2.3), (float("nan"), 2.3),
                                     (48.8, float("inf")), (91.0, 2.3), (48.8, 181.0),
                                     (True, False)])
def test_an_invalid_point_is_unknown(lat, lon):
    assert locate_point(lat, lon).kind == UNKNOWN
    assert nearest_places(lat, lon) == []


def test_nearest_places_are_sorted():
    ranked = nearest_places(48.9362, 2.3574, count=3)
    assert ranked[0][0].code_insee == "93066"
    assert [d for _, d in ranked] == sorted(d for _, d in ranked)


def test_haversine():
    assert haversine_km(48.8, 2.3, 48.8, 2.3) == 0
    # one degree along a meridian: 2 pi R / 360, R = 6371.0088 km
    assert haversine_km(0, 0, 1, 0) == pytest.approx(2 * math.pi * 6371.0088 / 360, rel=1e-9)
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * 6371.0088, rel=1e-9)
    paris_lyon = haversine_km(48.8566, 2.3522, 45.7640, 4.8357)
    assert 390 < paris_lyon < 394  # about 392 km, as published
    assert haversine_km(45.7640, 4.8357, 48.8566, 2.3522) == pytest.approx(paris_lyon)


# --- Messages ----------------------------------------------------------------------------------

SAMPLES = ["93200", "pierrefitte", "94440", "neuilly", "neuily", "Ivry 75013", "13", "paris",
           "75000", "dans le 93", "92081", "91", "Val-d'Oise", "69001", "Lyon", "Versailles", "77",
           "bonjour", "gobelins", "entre Pantin et Bobigny", "Londres", "59000", "01000", "evry",
           "Saint-Denis 974", "toulous", "Sainte-Geneviève-des-Bois", "Villeneuve-d'Ascq"]


def test_messages_answer_every_kind():
    assert "?" in ask_where() and "code postal" in ask_where()
    assert render(locate("93200")) == ["Merci. Je cherche une aide près de Saint-Denis."]
    merged = render(locate("pierrefitte"))[0]
    assert "Pierrefitte-sur-Seine" in merged and "Saint-Denis" in merged
    assert "1er janvier 2025" in merged
    shared = render(locate("94440"))[0]
    assert "1 Marolles-en-Brie, 2 Santeny, 3 Villecresnes" in shared and "1, 2 ou 3" in shared
    assert "arrondissement" in render(locate("paris"))[0]
    assert "Saint-Denis, Montreuil ou Aubervilliers" in render(locate("dans le 93"))[0]
    assert "Paris 13e ?" in render(locate("13"))[0]
    statement, helpline = render(locate("69001"))
    assert "69001" in statement and "pas dans la Métropole du Grand Paris" in statement
    assert "01 70 772 372" in helpline and "cartographie.societenumerique.gouv.fr" in helpline
    assert render(locate("Londres")) == [
        "Je ne trouve pas cette ville dans la Métropole du Grand Paris. Quel est votre code postal ?"]
    assert render(locate("Creil"))[0] == "Creil (60) n'est pas dans la Métropole du Grand Paris."
    assert "01 70 772 372" in render(locate_point(45.76, 4.84))[1]
    (not_understood,) = render(locate("bonjour"))
    assert "code postal ?" in not_understood and "93200 pour Saint-Denis" in not_understood
    assert "Saint-Denis" in render(locate_point(48.93644, 2.36018))[0]


@pytest.mark.parametrize("text", SAMPLES)
def test_each_message_asks_at_most_one_question_and_says_vous(text):
    for message in render(locate(text)):
        assert message.count("?") <= 1, message
        assert len(message) <= 200, message
        assert "{" not in message and "}" not in message
        assert not any(word in f" {message.lower()} " for word in (" tu ", " ton ", " ta ", " tes "))


# One text (or point) for each template of messages.yml.
TEMPLATE_SAMPLES = {
    "found": "93200", "merged": "pierrefitte", "choose.postcode_shared": "94440",
    "choose.name": "neuilly", "choose.several": "entre Pantin et Bobigny", "choose.fuzzy": "neuily",
    "choose.conflict": "Ivry 75013", "confirm": "13", "paris": "paris", "paris_postcode": "75000",
    "department": "dans le 93", "department_postcode": "92081", "department_some": "91",
    "department_one": "Val-d'Oise", "outside.postcode": "12000", "outside.department": "77",
    "outside.name": "Lille",
    "outside_help": "69001", "unknown": "Londres", "not_understood": "bonjour",
}


def _templates() -> dict[str, str]:
    data = yaml.safe_load((GEO / "messages.yml").read_text(encoding="utf-8"))
    flat = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{sub}": text for sub, text in value.items()})
        else:
            flat[key] = value
    return flat


def test_every_message_of_the_file_is_said_somewhere():
    import re

    templates = _templates()
    said = {
        "ask": [ask_where()],
        "found_point": render(locate_point(48.93644, 2.36018)),
        "outside.point": render(locate_point(45.76, 4.84)),
    }
    said.update({key: render(locate(text)) for key, text in TEMPLATE_SAMPLES.items()})
    assert set(said) == set(templates), set(templates) ^ set(said)
    for key, template in templates.items():
        pattern = "^" + re.sub(r"\\\{\w+\\\}", ".+", re.escape(template)) + "$"
        assert any(re.match(pattern, message) for message in said[key]), (key, said[key])
        assert template.count("?") <= 1


# (The copied data is checked against the originals in tests/core/test_shared_copies.py.)


@pytest.mark.parametrize("answer, expected", [
    ("2", 2), ("le 2", 2), ("2e", 2), ("2ème", 2), ("n°2", 2), ("la deuxième", 2),
    ("deuxieme", 2), ("2️⃣", 2), ("le premier", 1), ("1er", 1), ("je prends le 2 merci", 2),
])
def test_every_way_of_naming_a_listed_commune_picks_it(answer, expected):
    """The same reader of choices as every other question (bot.choices)."""
    asked = locate("neuilly")
    assert asked.kind == AMBIGUOUS and len(asked.candidates) >= 2
    picked = locate(answer, previous=asked)
    assert picked.kind == FOUND and picked.name == asked.candidates[expected - 1].nom


@pytest.mark.parametrize("answer", ["aucun", "aucune", "je sais pas"])
def test_none_of_the_listed_communes_is_not_a_place(answer):
    asked = locate("neuilly")
    assert locate(answer, previous=asked).kind != OUTSIDE
