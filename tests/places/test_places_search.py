"""Which places the person is offered, their opening hours, and the card they read.

The directory is the shipped seed (the 80 France Services sites of the Métropole, imported by
the real importer) plus a few hand-made rows of the national standard for the ranking rules.
"""
from __future__ import annotations

import csv
import logging
import math
import re
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.booking.partners.load import load_partners
from bot.db.models import Agenda, Place
from bot.db.session import session_scope
from bot.geo.communes import place as member_place
from bot.geo.distance import haversine_km
from bot.places.hours import describe_hours, is_open, next_opening
from bot.places.importer import import_places
from bot.places.render import MAX_CARD_CHARS, booking_line, format_distance, place_card
from bot.places.schema import load_schema
from bot.places.search import PlaceMatch, find_places, nearest_bookable_place, takes_bookings
from bot.places.seed import DEFAULT_PLACES_FILE, seed_default_places

PARIS = ZoneInfo("Europe/Paris")
ADMIN = "Aide aux démarches administratives"
SAFETY = "Utilisation sécurisée du numérique"
LEISURE = "Loisirs et créations numériques"
HARDWARE = "Acquisition de matériel informatique à prix solidaire"
INDIVIDUAL = "Accompagnement individuel"
SELF_SERVICE = "En autonomie"
SAINT_DENIS = member_place("93066")  # centroid of the commune
LYON = (45.7640, 4.8357)
# The seed's Pimms Paris 12e: open Mo-Th 10-13 and 14-18, Fr 10-13.
PARIS_12_HOURS = ("Mo 10:00-13:00,14:00-18:00; Tu 10:00-13:00,14:00-18:00; We 10:00-13:00,14:00-18:00; "
                  "Th 10:00-13:00,14:00-18:00; Fr 10:00-13:00")
MONDAY, TUESDAY, FRIDAY, SATURDAY, SUNDAY = 14, 15, 18, 19, 20  # days of July 2025


def paris(day: int, hour: int, minute: int = 0, month: int = 7) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=PARIS)


def seed_rows() -> list[dict]:
    with DEFAULT_PLACES_FILE.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def offset(km_north: float, km_east: float = 0.0, origin=None) -> tuple[str, str]:
    """A point `km_north` km north and `km_east` km east of the origin (Saint-Denis)."""
    lat0, lon0 = origin or (SAINT_DENIS.lat, SAINT_DENIS.lon)
    lat = lat0 + km_north / 111.195
    lon = lon0 + km_east / (111.195 * math.cos(math.radians(lat0)))
    return f"{lat:.6f}", f"{lon:.6f}"


def hand_made(place_id: str, nom: str, where: tuple[str, str] | None, **fields) -> dict:
    """A valid row of the standard, Saint-Denis address; `where` None means no coordinates."""
    lat, lon = where if where else ("", "")
    return {
        "id": place_id, "pivot": "00000000000000", "nom": nom, "commune": "Saint-Denis",
        "code_postal": "93200", "code_insee": "93066", "adresse": "2 Place Victor Hugo",
        "latitude": lat, "longitude": lon, "telephone": "+33149336464",
        "horaires": "Mo-Fr 09:00-12:00,14:00-17:00", "date_maj": "2025-01-15",
        "services": ADMIN, "frais_a_charge": "Gratuit", "modalites_acces": "Se présenter",
        **fields,
    }


def import_rows(url: str, tmp_path: Path, rows: list[dict], source: str = "tests-mains") -> None:
    columns = list(load_schema().columns)
    path = tmp_path / f"{source}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows({name: row.get(name, "") for name in columns} for row in rows)
    report = import_places(path, source=source, url=url)
    assert report.rejected == 0, str(report)
    assert report.inserted == len(rows)


@pytest.fixture
def seeded(database) -> str:
    report = seed_default_places(database)
    assert report.inserted == 80
    return database


def search(url: str, services=(ADMIN,), point=None, **options) -> list[PlaceMatch]:
    lat, lon = point or (SAINT_DENIS.lat, SAINT_DENIS.lon)
    return find_places(lat, lon, list(services), url=url, now=options.pop("now", paris(TUESDAY, 11)),
                       **options)


# -- which places, in which order -----------------------------------------------------------

def test_the_three_nearest_france_services_of_saint_denis_are_offered_nearest_first(seeded):
    matches = search(seeded)

    assert len(matches) == 3
    distances = [m.distance_km for m in matches]
    assert distances == sorted(distances) and distances[-1] < 3
    assert "Saint-Denis" in {m.commune for m in matches}
    assert {m.commune for m in matches} <= {
        "Saint-Denis", "Pierrefitte-sur-Seine", "Villeneuve-la-Garenne", "Stains",
        "L'Île-Saint-Denis", "Saint-Ouen-sur-Seine", "Aubervilliers", "La Courneuve"}
    # exactly the 3 nearest of the 80 sites, by an independent computation over the file
    by_distance = sorted(seed_rows(), key=lambda r: haversine_km(
        SAINT_DENIS.lat, SAINT_DENIS.lon, float(r["latitude"]), float(r["longitude"])))
    assert [m.id for m in matches] == [r["id"] for r in by_distance[:3]]
    for match in matches:
        expected = haversine_km(SAINT_DENIS.lat, SAINT_DENIS.lon, match.latitude, match.longitude)
        assert match.distance_km == pytest.approx(expected, abs=0.001)
        assert match.services and ADMIN in match.services
        assert match.telephone and match.telephone.startswith("+33")
        assert not match.fits_specific


def test_a_larger_limit_gives_more_places_still_nearest_first_and_within_max_km(seeded):
    matches = search(seeded, limit=10, max_km=4)

    assert 3 < len(matches) <= 10
    assert all(m.distance_km <= 4 for m in matches)
    assert [m.distance_km for m in matches] == sorted(m.distance_km for m in matches)
    assert search(seeded, limit=3) == matches[:3]


def test_a_place_offering_the_service_farther_away_comes_after_the_nearer_ones(seeded, tmp_path):
    import_rows(seeded, tmp_path, [
        hand_made("near", "Atelier numérique du Landy", offset(0.3), services=LEISURE),
        hand_made("far", "Médiathèque Ulysse", offset(5.5, 1.0), services=LEISURE),
        hand_made("farther", "Espace jeunesse Nord", offset(-9.0, 4.0), services=LEISURE),
    ])

    matches = search(seeded, services=[LEISURE])

    assert [m.id for m in matches] == ["near", "far", "farther"]
    assert matches[0].distance_km == pytest.approx(0.3, abs=0.02)
    assert matches[0].distance_km < matches[1].distance_km < matches[2].distance_km


def test_the_service_filter_leaves_out_a_nearer_place_that_does_not_offer_it(seeded, tmp_path):
    import_rows(seeded, tmp_path, [
        hand_made("leisure-only", "Fablab de la Plaine", offset(0.1), services=LEISURE),
    ])

    for_admin = search(seeded, services=[ADMIN])
    for_leisure = search(seeded, services=[LEISURE])

    assert "leisure-only" not in [m.id for m in for_admin]
    assert all(ADMIN in m.services for m in for_admin)
    assert [m.id for m in for_leisure] == ["leisure-only"]  # no France Services offers leisure
    assert search(seeded, services=[])[0].id == "leisure-only"  # no service asked: any place


def test_a_place_offering_more_of_the_requested_services_comes_first(seeded, tmp_path):
    import_rows(seeded, tmp_path, [
        hand_made("both", "Maison de la sécurité numérique", offset(6.0), services=f"{ADMIN}|{SAFETY}"),
    ])

    matches = search(seeded, services=[ADMIN, SAFETY])

    assert matches[0].id == "both" and matches[0].distance_km > 5
    # then the France Services sites (administrative procedures only), nearest first
    assert [m.distance_km for m in matches[1:]] == sorted(m.distance_km for m in matches[1:])
    assert all(m.distance_km < 3 for m in matches[1:])


def test_a_place_that_lists_the_specific_support_comes_first_even_when_farther(seeded, tmp_path):
    import_rows(seeded, tmp_path, [
        hand_made("deaf", "Point numérique accessible", offset(8.0, -2.0),
                  prise_en_charge_specifique="Surdité|Déficience visuelle"),
    ])

    without = search(seeded)
    with_support = search(seeded, specific=["Surdité", "Handicaps moteurs"])

    assert "deaf" not in [m.id for m in without]
    assert [m.id for m in with_support][0] == "deaf"
    assert with_support[0].fits_specific and with_support[0].distance_km > 7
    # the places that do not list it are still shown after it, nearest first
    assert [m.id for m in with_support[1:]] == [m.id for m in without[:2]]
    assert not any(m.fits_specific for m in with_support[1:])


def test_the_accompaniment_mode_ranks_places_without_excluding_those_that_list_none(seeded, tmp_path):
    import_rows(seeded, tmp_path, [
        hand_made("individual", "Permanence numérique de quartier", offset(6.5),
                  modalites_accompagnement=f"{INDIVIDUAL}|Dans un atelier collectif"),
        hand_made("self-service", "Espace libre-service", offset(0.2),
                  modalites_accompagnement=SELF_SERVICE),
    ])

    plain = search(seeded, limit=6)
    individual = search(seeded, accompaniment=INDIVIDUAL, limit=6)

    assert plain[0].id == "self-service"  # no mode asked: the nearest comes first
    assert individual[0].id == "individual" and individual[0].fits_accompaniment
    # the France Services sites list no mode: still offered, nearest first
    assert [m.id for m in individual[1:]] == [m.id for m in plain[1:6]]
    assert all(not m.modalites_accompagnement for m in individual[1:])
    # the self-service place says it does not do individual help: it comes after all of them
    everything = search(seeded, accompaniment=INDIVIDUAL, limit=500)
    assert everything[-1].id == "self-service"
    autonomous = search(seeded, accompaniment=SELF_SERVICE)
    assert autonomous[0].id == "self-service" and autonomous[0].fits_accompaniment


def test_places_without_coordinates_are_skipped(seeded, tmp_path):
    import_rows(seeded, tmp_path, [
        hand_made("nowhere", "Ressourcerie sans adresse GPS", None, services=HARDWARE),
        hand_made("somewhere", "Ressourcerie de la Plaine", offset(2.0), services=HARDWARE),
    ])

    matches = search(seeded, services=[HARDWARE])

    assert [m.id for m in matches] == ["somewhere"]


def test_a_place_that_receives_no_public_is_never_offered(seeded, tmp_path):
    import_rows(seeded, tmp_path, [
        hand_made("office", "Siège du réseau de médiation", offset(0.1),
                  modalites_acces="Ce lieu n'accueille pas de public|Téléphoner"),
    ])

    assert "office" not in [m.id for m in search(seeded, limit=10)]


def test_a_place_listed_by_two_sources_is_offered_once(seeded, tmp_path):
    nearest = search(seeded, limit=1)[0]
    row = next(r for r in seed_rows() if r["id"] == nearest.id)
    import_rows(seeded, tmp_path, [dict(row, id="copy-1")], source="national-export")

    matches = search(seeded)

    assert [m.nom for m in matches].count(nearest.nom) == 1
    assert len({(m.nom, m.adresse) for m in matches}) == 3


def test_nothing_is_offered_when_no_place_is_within_max_km(seeded):
    assert search(seeded, point=LYON) == []
    assert search(seeded, point=LYON, max_km=50) == []
    assert search(seeded, max_km=1.0) == []  # the nearest site is 1.7 km from the centroid
    assert len(search(seeded, max_km=1.75)) == 2


def test_the_match_tells_whether_the_place_is_open_at_the_time_of_the_search(seeded):
    tuesday_morning = search(seeded, limit=10, max_km=4, now=paris(TUESDAY, 11))
    sunday = search(seeded, limit=10, max_km=4, now=paris(SUNDAY, 11))

    assert all(m.open_now is False for m in sunday)
    assert any(m.open_now is True for m in tuesday_morning)
    assert all(m.open_now == is_open(m.horaires, paris(TUESDAY, 11)) for m in tuesday_morning)


def test_an_invalid_point_is_refused(seeded):
    with pytest.raises(ValueError):
        find_places(float("nan"), 2.35, [ADMIN], url=seeded)
    with pytest.raises(ValueError):
        find_places(148.9, 2.35, [ADMIN], url=seeded)


# -- opening hours --------------------------------------------------------------------------

@pytest.mark.parametrize("now, expected", [
    (paris(TUESDAY, 11), "Ouvert maintenant, jusqu'à 13 h."),
    (paris(TUESDAY, 13, 30), "Fermé maintenant. Ouvre aujourd'hui à 14 h."),
    (paris(TUESDAY, 16, 15), "Ouvert maintenant, jusqu'à 18 h."),
    (paris(TUESDAY, 8, 0), "Fermé maintenant. Ouvre aujourd'hui à 10 h."),
    (paris(TUESDAY, 23, 30), "Fermé maintenant. Ouvre demain à 10 h."),  # late evening
    (paris(FRIDAY, 15, 0), "Fermé maintenant. Ouvre lundi à 10 h."),  # closed Friday afternoon
    (paris(SATURDAY, 10, 0), "Fermé maintenant. Ouvre lundi à 10 h."),
    (paris(SUNDAY, 15, 0), "Fermé maintenant. Ouvre demain à 10 h."),
    (datetime(2025, 7, 15, 9, 0, tzinfo=timezone.utc), "Ouvert maintenant, jusqu'à 13 h."),  # 11 h in Paris
    (datetime(2025, 1, 14, 9, 0, tzinfo=timezone.utc), "Ouvert maintenant, jusqu'à 13 h."),  # 10 h in winter
    (datetime(2025, 1, 14, 9, 30), "Fermé maintenant. Ouvre aujourd'hui à 10 h."),  # naive: Paris time
])
def test_hours_of_a_real_place_at_fixed_times(now, expected):
    assert describe_hours(PARIS_12_HOURS, now) == expected
    assert is_open(PARIS_12_HOURS, now) is expected.startswith("Ouvert")


def test_next_opening_is_an_aware_paris_time():
    friday_evening = datetime(2025, 7, 18, 21, 0)  # naive: Paris time

    opening = next_opening(PARIS_12_HOURS, friday_evening)

    assert opening == datetime(2025, 7, 21, 10, 0, tzinfo=PARIS)
    assert opening.utcoffset().total_seconds() == 2 * 3600
    assert next_opening(PARIS_12_HOURS, paris(TUESDAY, 11)) == paris(TUESDAY, 11)  # open already


def test_hours_with_half_hours_and_days_further_ahead():
    hours = "Tu 09:30-13:00,14:00-17:00; We 09:30-13:00; Sa 09:00-11:30"

    assert describe_hours(hours, paris(SUNDAY, 10)) == "Fermé maintenant. Ouvre mardi à 9 h 30."
    assert describe_hours(hours, paris(SATURDAY, 9, 5)) == "Ouvert maintenant, jusqu'à 11 h 30."
    assert describe_hours("We[1] 14:00-17:00", paris(TUESDAY, 10)) == \
        "Fermé maintenant. Ouvre le mercredi 6 août à 14 h."
    assert describe_hours("Mo-Su 18:00-24:00", paris(TUESDAY, 20)) == "Ouvert maintenant, jusqu'à minuit."
    assert describe_hours("Mo-Su 22:00-02:00", paris(TUESDAY, 23)) == \
        "Ouvert maintenant, jusqu'à demain 2 h."


def test_french_public_holidays_are_known_when_the_hours_name_them():
    hours = "Mo-Fr 09:00-17:00; PH off"
    bastille_day = paris(MONDAY, 10)  # Monday 14 July 2025

    assert describe_hours(hours, bastille_day) == "Fermé maintenant. Ouvre demain à 9 h."
    assert is_open(hours, bastille_day) is False
    assert is_open(hours, paris(TUESDAY, 10)) is True


@pytest.mark.parametrize("expression", [None, "", "   "])
def test_missing_hours_ask_to_call(expression):
    assert describe_hours(expression, paris(TUESDAY, 11)) == \
        "Horaires non communiqués : appelez avant de venir."
    assert is_open(expression, paris(TUESDAY, 11)) is None
    assert next_opening(expression, paris(TUESDAY, 11)) is None


def test_unreadable_hours_ask_to_call_and_are_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="bot.places.hours"):
        text = describe_hours("du lundi au vendredi 9h-12h", paris(TUESDAY, 11))

    assert text == "Horaires non communiqués : appelez avant de venir."
    assert any("du lundi au vendredi 9h-12h" in record.getMessage() for record in caplog.records)
    assert is_open("du lundi au vendredi 9h-12h", paris(TUESDAY, 11)) is None
    assert next_opening("du lundi au vendredi 9h-12h", paris(TUESDAY, 11)) is None


def test_hours_that_never_open_say_so():
    assert describe_hours("closed", paris(TUESDAY, 11)) == \
        "Fermé maintenant. Prochaine ouverture non communiquée : appelez avant de venir."
    assert next_opening("closed", paris(TUESDAY, 11)) is None
    assert describe_hours("24/7", paris(SUNDAY, 3)) == "Ouvert maintenant."


# -- the card the person reads --------------------------------------------------------------

MARKDOWN = set("*_`#[]<>|~")


def no_markup(text: str) -> bool:
    return not (MARKDOWN & set(text)) and not any(
        unicodedata.category(c) == "So" or ord(c) > 0xFFFF for c in text)


def test_the_card_of_a_real_place(seeded):
    match = search(seeded, now=paris(TUESDAY, 11))[0]
    now = paris(SUNDAY, 15)

    card = place_card(match, 1, now)
    lines = card.split("\n")

    assert lines[0] == f"1. {match.nom} — {format_distance(match.distance_km)}"
    assert re.fullmatch(r"1\. .+ — \d,\d km", lines[0])  # 1,7 km: French decimal comma
    assert lines[1] == f"{match.adresse}, {match.code_postal} {match.commune}"
    assert lines[2] == describe_hours(match.horaires, now) and lines[2].startswith("Fermé maintenant. Ouvre")
    assert lines[3] == "Gratuit."
    assert lines[4] == "Accès : se présenter."
    assert re.fullmatch(r"Tél\. 0\d( \d\d){4}", lines[5])
    assert lines[5].replace(" ", "")[4:] == "0" + match.telephone[3:]
    assert len(lines) == 6 and len(card) <= MAX_CARD_CHARS
    assert no_markup(card)


def test_cards_of_the_three_nearest_places(seeded):
    now = paris(TUESDAY, 11)
    cards = [place_card(m, n, now) for n, m in enumerate(search(seeded, now=now), 1)]

    assert [card.split(". ", 1)[0] for card in cards] == ["1", "2", "3"]
    assert all(no_markup(card) and len(card) <= MAX_CARD_CHARS for card in cards)
    assert all("Tél. 0" in card for card in cards)


@pytest.mark.parametrize("km, shown", [
    (0.35, "350 m"), (0.004, "10 m"), (0.999, "1,0 km"), (1.23, "1,2 km"), (12.34, "12,3 km"),
])
def test_distances_read_the_french_way(km, shown):
    assert format_distance(km) == shown


def _sample_match(**changes) -> PlaceMatch:
    base = dict(
        pk=1, id="x", nom="Espace numérique de la Plaine", adresse="2 Place Victor Hugo",
        complement_adresse=None, code_postal="93200", commune="Saint-Denis",
        telephone="+33149336464", courriels=("contact@example.org",), site_web=(),
        horaires="Mo-Fr 09:00-17:00", frais_a_charge=("Gratuit",),
        modalites_acces=("Se présenter", "Téléphoner"), modalites_accompagnement=(),
        services=(ADMIN,), prise_en_charge_specifique=(), latitude=48.93, longitude=2.35,
        partner=False, booking_enabled=False, distance_km=0.35, fits_specific=False,
        fits_accompaniment=False, open_now=None)
    return PlaceMatch(**{**base, **changes})


def test_a_card_without_number_with_metres_several_fees_and_ways_in():
    card = place_card(_sample_match(frais_a_charge=("Gratuit sous condition", "Payant")), None,
                      paris(TUESDAY, 11))

    assert card.split("\n") == [
        "Espace numérique de la Plaine — 350 m",
        "2 Place Victor Hugo, 93200 Saint-Denis",
        "Ouvert maintenant, jusqu'à 17 h.",
        "Gratuit sous condition ou payant.",
        "Accès : se présenter ou téléphoner.",
        "Tél. 01 49 33 64 64",
    ]


def test_a_card_without_phone_gives_the_email_and_without_hours_asks_to_call():
    card = place_card(_sample_match(telephone=None, horaires=None, frais_a_charge=()), 2,
                      paris(TUESDAY, 11))

    assert "Courriel : contact@example.org" in card
    assert "Horaires non communiqués : appelez avant de venir." in card
    assert "Tél." not in card and "Gratuit" not in card


def test_a_very_long_card_is_shortened_but_keeps_distance_hours_and_phone():
    match = _sample_match(
        nom="Espace public numérique de la maison de quartier des Francs-Moisins et Bel-Air " * 3,
        complement_adresse="Bâtiment C, deuxième étage, porte de gauche au fond de la cour",
        modalites_acces=("Se présenter", "Téléphoner", "Contacter par mail", "Prendre un RDV en ligne",
                         "Envoyer un mail avec une fiche de prescription"))

    card = place_card(match, 3, paris(TUESDAY, 11))

    assert len(card) <= MAX_CARD_CHARS
    first = card.split("\n")[0]
    assert first.startswith("3. Espace public numérique") and first.endswith("… — 350 m")
    assert "Ouvert maintenant, jusqu'à 17 h." in card and card.endswith("Tél. 01 49 33 64 64")
    assert no_markup(card)


# -- a place that takes bookings, a little farther ---------------------------------------------

BOOKING_LINE = "Rendez-vous possible par ici."
ANTONY = member_place("92002")           # its 3 nearest France Services take no booking here
VIRY_CHATILLON = member_place("91687")   # its nearest partner is more than 15 km away
IVRY = "3049"                            # a demo partner (data/partners/demo.yml)
SAINT_DENIS_POINT = (SAINT_DENIS.lat, SAINT_DENIS.lon)


@pytest.fixture
def with_partners(seeded) -> str:
    load_partners(url=seeded)
    return seeded


def partner_rows(url: str) -> list:
    with session_scope(url) as session:
        return [(p.pk, p.id, p.latitude, p.longitude, tuple(p.services)) for p in session.execute(
            select(Place).where(Place.partner.is_(True), Place.booking_enabled.is_(True))).scalars()]


def test_a_partner_farther_than_the_three_nearest_places_is_found(with_partners):
    point = (ANTONY.lat, ANTONY.lon)
    nearest = search(with_partners, point=point)
    assert len(nearest) == 3 and not any(takes_bookings(m) for m in nearest)

    found = nearest_bookable_place(*point, [ADMIN], exclude_pks=[m.pk for m in nearest],
                                   url=with_partners, now=paris(TUESDAY, 11))

    assert found is not None and found.id == IVRY and takes_bookings(found)
    assert found.distance_km > max(m.distance_km for m in nearest)
    # the nearest of the partners, by an independent computation
    by_distance = sorted((r for r in partner_rows(with_partners) if ADMIN in r[4]),
                         key=lambda r: haversine_km(*point, r[2], r[3]))
    assert found.pk == by_distance[0][0]
    assert found.distance_km == pytest.approx(haversine_km(*point, found.latitude, found.longitude),
                                              abs=0.001)
    assert found.open_now is True and ADMIN in found.services


def test_the_bookable_place_is_searched_farther_than_the_places_offered(with_partners):
    point = (VIRY_CHATILLON.lat, VIRY_CHATILLON.lon)
    assert not any(takes_bookings(m) for m in search(with_partners, point=point))

    found = nearest_bookable_place(*point, [ADMIN], url=with_partners)

    assert found is not None and found.id == IVRY and 15 < found.distance_km <= 30
    assert nearest_bookable_place(*point, [ADMIN], max_km=15, url=with_partners) is None


def test_the_bookable_place_excludes_given_places_and_those_that_take_no_booking(with_partners):
    point = (ANTONY.lat, ANTONY.lon)
    ivry = nearest_bookable_place(*point, [ADMIN], url=with_partners)
    second = nearest_bookable_place(*point, [ADMIN], exclude_pks=[ivry.pk], url=with_partners)
    assert second is not None and second.pk != ivry.pk and second.distance_km >= ivry.distance_km
    # a partner with bookings switched off, or without an active agenda, takes no booking
    with session_scope(with_partners) as session:
        session.execute(update(Place).where(Place.pk == ivry.pk).values(booking_enabled=False))
        session.execute(update(Agenda).where(Agenda.place_pk == second.pk).values(active=False))
    third = nearest_bookable_place(*point, [ADMIN], url=with_partners)
    assert third is not None and third.pk not in {ivry.pk, second.pk}
    # the same services as the places offered; an empty list means any
    assert nearest_bookable_place(*point, [LEISURE], url=with_partners) is None
    assert nearest_bookable_place(*point, [], url=with_partners).pk == third.pk
    assert nearest_bookable_place(*point, [ADMIN], max_km=0, url=with_partners) is None
    with pytest.raises(ValueError):
        nearest_bookable_place(91.0, 2.0, [ADMIN], url=with_partners)


def test_without_partners_there_is_no_bookable_place(seeded):
    assert nearest_bookable_place(SAINT_DENIS.lat, SAINT_DENIS.lon, [ADMIN], url=seeded) is None


def test_only_the_card_of_a_place_that_takes_bookings_says_so(with_partners):
    now = paris(TUESDAY, 11)
    matches = search(with_partners, now=now)
    cards = {m.nom: place_card(m, n, now) for n, m in enumerate(matches, 1)}

    bookable = [m.nom for m in matches if takes_bookings(m)]
    assert bookable == ["France services La Poste de Saint-Denis"]
    for name, card in cards.items():
        assert card.endswith("\n" + BOOKING_LINE) == (name in bookable), card
        assert card.count(BOOKING_LINE) == (name in bookable)
        assert len(card) <= MAX_CARD_CHARS and no_markup(card)


@pytest.mark.parametrize("partner, enabled, line", [
    (True, True, BOOKING_LINE), (True, False, None), (False, False, None), (False, True, None),
])
def test_the_booking_line_of_a_card(partner, enabled, line):
    match = _sample_match(partner=partner, booking_enabled=enabled)
    card = place_card(match, 1, paris(TUESDAY, 11))

    assert booking_line(match) == line
    assert (BOOKING_LINE in card) == (line is not None)
    if line:
        assert card.split("\n")[-2:] == ["Tél. 01 49 33 64 64", BOOKING_LINE]


def test_a_very_long_card_of_a_bookable_place_keeps_its_booking_line():
    match = _sample_match(
        partner=True, booking_enabled=True,
        nom="Espace public numérique de la maison de quartier des Francs-Moisins et Bel-Air " * 3,
        complement_adresse="Bâtiment C, deuxième étage, porte de gauche au fond de la cour",
        modalites_acces=("Se présenter", "Téléphoner", "Contacter par mail", "Prendre un RDV en ligne",
                         "Envoyer un mail avec une fiche de prescription"))

    card = place_card(match, 3, paris(TUESDAY, 11))

    assert len(card) <= MAX_CARD_CHARS and card.endswith("Tél. 01 49 33 64 64\n" + BOOKING_LINE)


# -- the same answers on PostgreSQL ---------------------------------------------------------

def test_the_search_gives_the_same_answers_on_postgresql(postgres_database, database, tmp_path):
    from bot.db.session import get_engine, upgrade

    assert get_engine(postgres_database).dialect.name == "postgresql"
    upgrade(postgres_database)
    rows = [hand_made("deaf", "Point numérique accessible", offset(8.0, -2.0),
                      prise_en_charge_specifique="Surdité",
                      modalites_accompagnement=INDIVIDUAL)]
    for url in (postgres_database, database):
        assert seed_default_places(url).inserted == 80
        import_rows(url, tmp_path, rows)

    for options in ({}, {"specific": ["Surdité"]}, {"accompaniment": INDIVIDUAL, "limit": 5},
                    {"point": LYON}):
        on_postgres = search(postgres_database, **options)
        on_sqlite = search(database, **options)
        assert on_postgres == on_sqlite
    assert search(postgres_database, specific=["Surdité"])[0].id == "deaf"
    assert len(search(postgres_database)) == 3


def test_the_nearest_bookable_place_is_the_same_on_postgresql(postgres_database, database):
    from bot.db.session import get_engine, upgrade

    assert get_engine(postgres_database).dialect.name == "postgresql"
    upgrade(postgres_database)
    for url in (postgres_database, database):
        assert seed_default_places(url).inserted == 80
        load_partners(url=url)

    now = paris(TUESDAY, 11)
    for point in ((ANTONY.lat, ANTONY.lon), (VIRY_CHATILLON.lat, VIRY_CHATILLON.lon), SAINT_DENIS_POINT):
        on_postgres = nearest_bookable_place(*point, [ADMIN], url=postgres_database, now=now)
        on_sqlite = nearest_bookable_place(*point, [ADMIN], url=database, now=now)
        assert on_postgres is not None and on_postgres == on_sqlite
    assert nearest_bookable_place(*SAINT_DENIS_POINT, [ADMIN], url=postgres_database,
                                  exclude_pks=[on_sqlite.pk], now=now).pk != on_sqlite.pk
