"""The yearly funding report, its CSV / XLSX exports, its SVG chart and `npt funding report`.

Every scenario is written by hand into funding_entries / funding_adjustments / funding_years (as
the ledger would), with a rules file of our own: 2026 pays 50 € per person, capped at 3 persons.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook

from bot.db.models import FundingAdjustment, FundingEntry, FundingYear, Place, Referral
from bot.db.session import session_scope
from bot.chart_scale import MONTHS_FR
from bot.funding.chart import funding_chart_svg
from bot.funding.export import report_csv, report_xlsx
from bot.spreadsheets import guard_text
from bot.funding.report import (ASSISTANT_LABEL, NBSP, PARIS_EPT_LABEL, format_eur, format_int,
                                funded_over_time, funding_report, locate_structure)
from bot.cli.funding_report import add_report_commands, report_table
from bot.funding.rules import UnknownFundingYear

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '=HYPERLINK("http://evil.example","x")'
CCAS = "CCAS de Paris"
RULES = """\
years:
  2024:
    rate_eur: 100
    cap_persons: 2
  2025:
    rate_eur: 70
    cap_persons: 10
  2026:
    rate_eur: 50
    cap_persons: 3
"""
# Structures: Espace (Paris 20e), Écoute (Saint-Denis, Plaine Commune), Maison (Pierrefitte,
# part of Saint-Denis since 2025). "Écoute" sorts before "Espace" in French, not in code points.
ESPACE = dict(id="espace", nom="Espace numérique Belleville", commune="Paris", code_postal="75020",
              code_insee="75120")
ECOUTE = dict(id="ecoute", nom="Écoute numérique Gulliver", commune="Saint-Denis",
              code_postal="93200", code_insee="93066")
MAISON = dict(id="maison", nom="Maison France Services Pierrefitte",
              commune="Pierrefitte-sur-Seine", code_postal="93380", code_insee="93059")


@pytest.fixture
def rules(tmp_path):
    path = tmp_path / "funding.yml"
    path.write_text(RULES, encoding="utf-8")
    return str(path)


def add_places(url: str) -> dict[str, int]:
    with session_scope(url) as session:
        places = {}
        for fields in (ESPACE, ECOUTE, MAISON):
            place = Place(source="test", pivot="00000000000000", adresse="1 rue du Test",
                          date_maj=date(2026, 1, 1), **fields)
            session.add(place)
            session.flush()
            places[fields["id"]] = place.pk
        return places


def add_entry(url: str, year: int, person: str, place_pk: int, organisation: str | None,
              recorded_at: datetime, rank: int, funded: bool, amount_cents: int) -> None:
    with session_scope(url) as session:
        referral = Referral(person_key=person, place_pk=place_pk, channel="sms",
                            oriented_by="prescripteur" if organisation else "assistant",
                            oriented_by_organisation=organisation, status="accompanied",
                            accompanied_on=recorded_at.date(), recorded_at=recorded_at)
        session.add(referral)
        session.flush()
        session.add(FundingEntry(year=year, person_key=person, referral_id=referral.id,
                                 place_pk=place_pk, organisation=organisation,
                                 accompanied_on=recorded_at.date(), recorded_at=recorded_at,
                                 rank=rank, funded=funded, amount_cents=amount_cents))


def add_adjustment(url: str, place_pk: int, organisation: str | None, persons: int, cents: int,
                   created_at: datetime, reason: str, year: int = 2026) -> None:
    with session_scope(url) as session:
        session.add(FundingAdjustment(year=year, person_key=f"adj-{persons}-{place_pk}",
                                      place_pk=place_pk, organisation=organisation,
                                      persons_delta=persons, amount_cents_delta=cents,
                                      reason=reason, created_at=created_at,
                                      created_by="admin@metropolegrandparis.fr"))


@pytest.fixture
def year_2026(database):
    """Five persons in 2026 (cap 3): a, b, c funded; d, e hors plafond. And one in 2025."""
    places = add_places(database)
    espace, ecoute = places["espace"], places["ecoute"]
    add_entry(database, 2026, "a", espace, CCAS, datetime(2026, 1, 10, 9), 1, True, 5000)
    # 23:30 UTC on 3 February is 00:30 on 4 February in Paris.
    add_entry(database, 2026, "b", ecoute, None, datetime(2026, 2, 3, 23, 30), 2, True, 5000)
    add_entry(database, 2026, "c", ecoute, CCAS, datetime(2026, 2, 4, 10), 3, True, 5000)
    add_entry(database, 2026, "d", espace, EVIL, datetime(2026, 3, 1, 10), 4, False, 0)
    add_entry(database, 2026, "e", ecoute, None, datetime(2026, 3, 2, 10), 5, False, 0)
    add_entry(database, 2025, "a", espace, CCAS, datetime(2025, 6, 1, 10), 1, True, 7000)
    return database


@pytest.fixture
def validated_2026(database):
    """2026 validated on 30 June with a (Espace), b (Écoute), c (Maison): 3 persons, 150 €.
    Then c's accompaniment is withdrawn and d (Espace, EVIL) takes the freed funded place."""
    places = add_places(database)
    espace, ecoute, maison = places["espace"], places["ecoute"], places["maison"]
    add_entry(database, 2026, "a", espace, CCAS, datetime(2026, 1, 10, 9), 1, True, 5000)
    add_entry(database, 2026, "b", ecoute, None, datetime(2026, 2, 3, 23, 30), 2, True, 5000)
    add_entry(database, 2026, "d", espace, EVIL, datetime(2026, 3, 1, 10), 3, True, 5000)
    add_entry(database, 2026, "e", ecoute, None, datetime(2026, 3, 2, 10), 4, False, 0)
    with session_scope(database) as session:
        session.add(FundingYear(year=2026, validated_at=datetime(2026, 6, 30, 12),
                                validated_by="daf@metropolegrandparis.fr", validated_persons=3,
                                validated_amount_cents=15000))
    # Before validation: already in the validated figures, so not listed.
    add_adjustment(database, ecoute, None, 1, 5000, datetime(2026, 6, 1, 8), "avant validation")
    add_adjustment(database, maison, CCAS, -1, -5000, datetime(2026, 7, 2, 9),
                   "Accompagnement annulé par la structure")
    add_adjustment(database, espace, EVIL, 1, 5000, datetime(2026, 7, 2, 9, 1),
                   "Personne suivante entrée dans le plafond")
    return database


def figures(report):
    return [(r.label, r.detail, r.persons_funded, r.persons_over_cap, r.amount_due_cents)
            for r in report.rows]


def adjustments(report):
    return [(r.label, r.adjustment_persons, r.adjustment_amount_cents) for r in report.rows]


# -- Formatting and places -----------------------------------------------------------------------


def test_euros_and_counts_are_written_the_french_way():
    assert format_eur(0) == f"0,00{NBSP}€"
    assert format_eur(5) == f"0,05{NBSP}€"
    assert format_eur(123400) == f"1{NBSP}234,00{NBSP}€"
    assert format_eur(123456789) == f"1{NBSP}234{NBSP}567,89{NBSP}€"
    assert format_eur(-5000) == f"-50,00{NBSP}€"
    assert format_int(12345) == f"12{NBSP}345"
    assert format_int(999) == "999"


def test_structures_are_placed_in_their_member_commune_and_ept():
    paris20 = locate_structure("75120", "75020", "Paris")
    assert (paris20.commune_key, paris20.commune_label, paris20.ept_label) == \
        ("75056", "Paris", PARIS_EPT_LABEL)
    pierrefitte = locate_structure("93059", "93380", "Pierrefitte-sur-Seine")  # merged in 2025
    assert (pierrefitte.commune_label, pierrefitte.ept_label) == ("Saint-Denis", "Plaine Commune")
    no_code = locate_structure(None, "93000", "Bobigny")  # its postcode names one commune
    assert (no_code.commune_label, no_code.ept_label) == ("Bobigny", "Est Ensemble")
    outside = locate_structure("78646", "78000", "Versailles")
    assert (outside.commune_label, outside.ept_label) == \
        ("Versailles", "Hors Métropole du Grand Paris")


# -- The report ----------------------------------------------------------------------------------


def test_report_by_structure(year_2026, rules):
    report = funding_report(2026, "structure", url=year_2026, rules_path=rules)
    assert (report.year, report.rate.rate_cents, report.cap) == (2026, 5000, 3)
    assert figures(report) == [
        ("Écoute numérique Gulliver", "Saint-Denis", 2, 1, 10000),
        ("Espace numérique Belleville", "Paris", 1, 1, 5000),
    ]
    assert [r.cap_share for r in report.rows] == pytest.approx([2 / 3, 1 / 3])
    totals = report.totals
    assert (totals.persons_funded, totals.persons_over_cap, totals.amount_due_cents) == \
        (3, 2, 15000)
    assert totals.cap_consumed == pytest.approx(1.0)
    assert report.validation is None and report.adjustments == () and not report.shows_adjustments


def test_report_by_commune_folds_arrondissements_into_paris(year_2026, rules):
    report = funding_report(2026, "commune", url=year_2026, rules_path=rules)
    assert figures(report) == [
        ("Paris", PARIS_EPT_LABEL, 1, 1, 5000),
        ("Saint-Denis", "Plaine Commune", 2, 1, 10000),
    ]
    assert [r.key for r in report.rows] == ["75056", "93066"]


def test_report_by_ept(year_2026, rules):
    report = funding_report(2026, "ept", url=year_2026, rules_path=rules)
    assert figures(report) == [
        ("Plaine Commune", None, 2, 1, 10000),
        (PARIS_EPT_LABEL, None, 1, 1, 5000),
    ]
    assert [r.cap_share for r in report.rows] == pytest.approx([2 / 3, 1 / 3])


def test_report_by_organisation(year_2026, rules):
    report = funding_report(2026, "organisation", url=year_2026, rules_path=rules)
    assert figures(report) == [
        (EVIL, None, 0, 1, 0),
        (ASSISTANT_LABEL, None, 1, 1, 5000),
        (CCAS, None, 2, 0, 10000),
    ]
    assert [r.key for r in report.rows] == [EVIL, None, CCAS]
    assert (report.totals.persons_funded, report.totals.amount_due_cents) == (3, 15000)


def test_other_years_are_not_counted(year_2026, rules):
    report = funding_report(2025, url=year_2026, rules_path=rules)
    assert figures(report) == [("Espace numérique Belleville", "Paris", 1, 0, 7000)]
    assert report.totals.cap_consumed == pytest.approx(0.1)  # 1 of 10


def test_unknown_grouping_and_year_are_refused(year_2026, rules):
    with pytest.raises(ValueError, match="unknown grouping 'place'.*structure, commune, ept"):
        funding_report(2026, "place", url=year_2026, rules_path=rules)
    with pytest.raises(UnknownFundingYear, match="2030.*2024, 2025, 2026"):
        funding_report(2030, url=year_2026, rules_path=rules)


def test_funded_persons_over_time_by_paris_day(year_2026):
    assert funded_over_time(2026, url=year_2026) == [(date(2026, 1, 10), 1),
                                                     (date(2026, 2, 4), 3)]
    assert funded_over_time(2025, url=year_2026) == [(date(2025, 6, 1), 1)]
    assert funded_over_time(2024, url=year_2026) == []


def test_adjustments_after_validation_per_group_and_in_totals(validated_2026, rules):
    report = funding_report(2026, "structure", url=validated_2026, rules_path=rules)
    assert figures(report) == [
        ("Écoute numérique Gulliver", "Saint-Denis", 1, 1, 5000),
        ("Espace numérique Belleville", "Paris", 2, 0, 10000),
        ("Maison France Services Pierrefitte", "Pierrefitte-sur-Seine", 0, 0, 0),
    ]
    assert adjustments(report) == [
        ("Écoute numérique Gulliver", 0, 0),
        ("Espace numérique Belleville", 1, 5000),
        ("Maison France Services Pierrefitte", -1, -5000),
    ]
    assert [(r.validated_persons, r.validated_amount_cents) for r in report.rows] == \
        [(1, 5000), (1, 5000), (1, 5000)]
    v = report.validation
    assert (v.validated_at, v.validated_by, v.persons, v.amount_cents) == \
        (datetime(2026, 6, 30, 12), "daf@metropolegrandparis.fr", 3, 15000)
    assert [(a.structure, a.commune, a.organisation, a.persons_delta, a.amount_cents_delta)
            for a in report.adjustments] == [
        ("Maison France Services Pierrefitte", "Saint-Denis", CCAS, -1, -5000),
        ("Espace numérique Belleville", "Paris", EVIL, 1, 5000),
    ]
    t = report.totals
    assert (t.persons_funded, t.persons_over_cap, t.amount_due_cents,
            t.adjustment_persons, t.adjustment_amount_cents) == (3, 1, 15000, 0, 0)
    assert "Année validée le 30/06/2026 à 14:00 par daf@metropolegrandparis.fr" in \
        report.validation_line()

    by_commune = funding_report(2026, "commune", url=validated_2026, rules_path=rules)
    assert figures(by_commune) == [("Paris", PARIS_EPT_LABEL, 2, 0, 10000),
                                   ("Saint-Denis", "Plaine Commune", 1, 1, 5000)]
    assert adjustments(by_commune) == [("Paris", 1, 5000), ("Saint-Denis", -1, -5000)]
    by_ept = funding_report(2026, "ept", url=validated_2026, rules_path=rules)
    assert adjustments(by_ept) == [("Plaine Commune", -1, -5000), (PARIS_EPT_LABEL, 1, 5000)]
    by_org = funding_report(2026, "organisation", url=validated_2026, rules_path=rules)
    assert figures(by_org) == [(EVIL, None, 1, 0, 5000), (ASSISTANT_LABEL, None, 1, 1, 5000),
                               (CCAS, None, 1, 0, 5000)]
    assert adjustments(by_org) == [(EVIL, 1, 5000), (ASSISTANT_LABEL, 0, 0), (CCAS, -1, -5000)]


def test_an_empty_year_has_no_row(year_2026, rules):
    report = funding_report(2024, "commune", url=year_2026, rules_path=rules)
    assert report.rows == () and report.series == ()
    assert (report.totals.persons_funded, report.totals.amount_due_cents,
            report.totals.cap_consumed) == (0, 0, 0.0)
    rows = list(csv.reader(io.StringIO(report_csv(report).decode("utf-8-sig")), delimiter=";"))
    assert rows == [["Commune", "EPT", "Personnes financées", "Personnes hors plafond",
                     "Montant dû (€)", "Part du plafond (%)"],
                    ["Total", "", "0", "0", "0,00", "0,00"]]
    load_workbook(io.BytesIO(report_xlsx(report)))  # opens
    assert "aucune personne comptée en 2024" in report_table(report)


# -- CSV -----------------------------------------------------------------------------------------


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8")), delimiter=";"))


def test_csv_by_structure(year_2026, rules):
    data = report_csv(funding_report(2026, url=year_2026, rules_path=rules))
    assert b"\r\n" in data
    assert read_csv(data) == [
        ["Structure", "Commune", "Personnes financées", "Personnes hors plafond",
         "Montant dû (€)", "Part du plafond (%)"],
        ["Écoute numérique Gulliver", "Saint-Denis", "2", "1", "100,00", "66,67"],
        ["Espace numérique Belleville", "Paris", "1", "1", "50,00", "33,33"],
        ["Total", "", "3", "2", "150,00", "100,00"],
    ]


def test_csv_guards_against_formula_injection(year_2026, rules):
    rows = read_csv(report_csv(funding_report(2026, "organisation", url=year_2026,
                                              rules_path=rules)))
    assert rows[0] == ["Organisation prescriptrice", "Personnes financées",
                       "Personnes hors plafond", "Montant dû (€)", "Part du plafond (%)"]
    assert rows[1] == ["'" + EVIL, "0", "1", "0,00", "0,00"]
    assert rows[2:] == [[ASSISTANT_LABEL, "1", "1", "50,00", "33,33"],
                        [CCAS, "2", "0", "100,00", "66,67"],
                        ["Total", "3", "2", "150,00", "100,00"]]
    for text in ("=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert guard_text(text) == "'" + text
    assert guard_text("CCAS") == "CCAS" and guard_text(None) == ""


def test_csv_of_a_validated_year_shows_the_adjustments(validated_2026, rules):
    rows = read_csv(report_csv(funding_report(2026, "ept", url=validated_2026, rules_path=rules)))
    assert rows == [
        ["EPT", "Personnes financées", "Personnes hors plafond", "Montant dû (€)",
         "Part du plafond (%)", "Ajustements après validation (personnes)",
         "Ajustements après validation (€)"],
        ["Plaine Commune", "1", "1", "50,00", "33,33", "-1", "-50,00"],
        [PARIS_EPT_LABEL, "2", "0", "100,00", "66,67", "1", "50,00"],
        ["Total", "3", "1", "150,00", "100,00", "0", "0,00"],
    ]


# -- XLSX ----------------------------------------------------------------------------------------


def sheet_rows(sheet, first: int) -> list[tuple]:
    return [tuple(cell for cell in row) for row in sheet.iter_rows(min_row=first,
                                                                    values_only=True)]


def test_xlsx_report_sheet_holds_numbers(year_2026, rules):
    report = funding_report(2026, url=year_2026, rules_path=rules)
    workbook = load_workbook(io.BytesIO(report_xlsx(report)))
    assert workbook.sheetnames == ["Rapport", "Ajustements", "Graphique"]
    sheet = workbook["Rapport"]
    assert sheet["A1"].value == "Financement Numérique pour Tous 2026, par structure"
    assert sheet["A2"].value == f"Tarif : 50,00{NBSP}€ par personne ; plafond : 3 personnes"
    assert sheet["A3"].value == "Année non validée : chiffres provisoires."
    rows = sheet_rows(sheet, 6)
    assert rows[0] == ("Structure", "Commune", "Personnes financées", "Personnes hors plafond",
                       "Montant dû (€)", "Part du plafond (%)")
    assert rows[1][:5] == ("Écoute numérique Gulliver", "Saint-Denis", 2, 1, 100)
    assert rows[2][:5] == ("Espace numérique Belleville", "Paris", 1, 1, 50)
    assert rows[3][:5] == ("Total", None, 3, 2, 150)
    assert [r[5] for r in rows[1:]] == pytest.approx([2 / 3, 1 / 3, 1.0])
    assert "€" in sheet["E7"].number_format and sheet["F7"].number_format == "0.00%"
    assert sheet.column_dimensions["A"].width >= len("Espace numérique Belleville")
    assert workbook["Ajustements"]["A2"].value == "Année non validée : pas d'ajustement."


def test_xlsx_guards_text_cells_and_lists_adjustments(validated_2026, rules):
    report = funding_report(2026, "organisation", url=validated_2026, rules_path=rules)
    workbook = load_workbook(io.BytesIO(report_xlsx(report)))
    sheet = workbook["Rapport"]
    rows = sheet_rows(sheet, 6)
    assert rows[0][-2:] == ("Ajustements après validation (personnes)",
                            "Ajustements après validation (€)")
    assert rows[1] == ("'" + EVIL, 1, 0, 50, pytest.approx(1 / 3), 1, 50)
    assert sheet["A7"].data_type == "s"
    assert rows[3] == (CCAS, 1, 0, 50, pytest.approx(1 / 3), -1, -50)
    assert rows[4] == ("Total", 3, 1, 150, pytest.approx(1.0), 0, 0)
    assert sheet["A3"].value.startswith("Année validée le 30/06/2026 à 14:00")
    adjustments_sheet = sheet_rows(workbook["Ajustements"], 1)
    assert adjustments_sheet[0] == ("Date", "Structure", "Commune", "Organisation prescriptrice",
                                    "Personnes", "Montant (€)", "Motif", "Par")
    assert adjustments_sheet[1] == (datetime(2026, 7, 2, 11), "Maison France Services Pierrefitte",
                                    "Saint-Denis", CCAS, -1, -50,
                                    "Accompagnement annulé par la structure",
                                    "admin@metropolegrandparis.fr")
    assert adjustments_sheet[2][3:6] == ("'" + EVIL, 1, 50)
    assert len(adjustments_sheet) == 3
    for sheet in workbook.worksheets:  # no cell anywhere became a formula
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_xlsx_chart_sheet_has_the_cumulative_persons_and_the_cap(year_2026, rules):
    report = funding_report(2026, url=year_2026, rules_path=rules)
    report = dataclasses.replace(report, generated_at=datetime(2026, 3, 31, 10,
                                                               tzinfo=timezone.utc))
    graph = load_workbook(io.BytesIO(report_xlsx(report)))["Graphique"]
    rows = sheet_rows(graph, 1)
    assert rows[0] == ("Date", "Personnes financées (cumul)", "Plafond")
    by_day = {row[0].date(): (row[1], row[2]) for row in rows[1:]}
    assert len(by_day) == 31 + 28 + 31  # 1 January to "today", 31 March
    assert by_day[date(2026, 1, 9)] == (0, 3)
    assert by_day[date(2026, 1, 10)] == (1, 3)
    assert by_day[date(2026, 2, 3)] == (1, 3)
    assert by_day[date(2026, 2, 4)] == (3, 3)
    assert by_day[date(2026, 3, 31)] == (3, 3)
    assert len(graph._charts) == 1
    assert len(graph._charts[0].series) == 2
    # A past year runs to 31 December.
    past = dataclasses.replace(report, generated_at=datetime(2027, 2, 1, tzinfo=timezone.utc))
    rows = sheet_rows(load_workbook(io.BytesIO(report_xlsx(past)))["Graphique"], 2)
    assert (len(rows), rows[-1][0].date(), rows[-1][1]) == (365, date(2026, 12, 31), 3)


# -- SVG chart -----------------------------------------------------------------------------------


def parse_svg(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert "<script" not in svg and "@import" not in svg and "href" not in svg
    return root


def texts(root: ET.Element) -> list[str]:
    return [element.text for element in root.iter(f"{SVG}text")]


def test_chart_of_the_year(year_2026):
    svg = funding_chart_svg(funded_over_time(2026, url=year_2026), 3, 2026)
    root = parse_svg(svg)
    assert root.find(f"{SVG}title").text == "Personnes financées en 2026"
    desc = root.find(f"{SVG}desc").text
    assert "3 personnes financées sur un plafond de 3" in desc
    assert f"(100,00{NBSP}% du plafond), au 04/02/2026" in desc
    all_texts = texts(root)
    assert "Plafond : 3" in all_texts and "3" in all_texts
    assert [text for text in all_texts if text in MONTHS_FR] == list(MONTHS_FR)
    assert MONTHS_FR[:3] == ("janv.", "févr.", "mars") and MONTHS_FR[-1] == "déc."
    cap = next(e for e in root.iter(f"{SVG}line") if e.get("class") == "cap")
    path = next(e for e in root.iter(f"{SVG}path") if e.get("class") == "funded")
    # The line climbs to 3 persons: the cap's height.
    assert path.get("d").split("V")[-1].split()[0] == cap.get("y1")
    assert path.get("d").count("V") == 2


def test_chart_with_large_figures_and_the_empty_chart():
    root = parse_svg(funding_chart_svg([(date(2026, 3, 1), 345), (date(2026, 9, 1), 12345)],
                                       16000, 2026))
    assert f"12{NBSP}345 personnes financées sur un plafond de 16{NBSP}000" in \
        root.find(f"{SVG}desc").text
    assert f"Plafond : 16{NBSP}000" in texts(root)

    empty = parse_svg(funding_chart_svg([], 3, 2026))
    assert "Aucune personne financée pour l'instant" in texts(empty)
    assert "plafond de 3 personnes" in empty.find(f"{SVG}desc").text
    assert [e.get("class") for e in empty.iter(f"{SVG}line") if e.get("class")] == ["cap"]
    assert list(empty.iter(f"{SVG}path")) == []


# -- npt funding report --------------------------------------------------------------------------


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    add_report_commands(sub)
    args = parser.parse_args(["report", *argv])
    return args.func(args)


def test_command_prints_a_table(year_2026, rules, capsys):
    assert run(["--year", "2026", "--by", "commune", "--url", year_2026, "--rules", rules]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Financement Numérique pour Tous 2026, par commune"
    header = next(line for line in out if line.startswith("Commune"))
    paris = next(line for line in out if line.startswith("Paris"))
    total = out[-1]
    assert re.split(" {2,}", paris) == ["Paris", PARIS_EPT_LABEL, "1", "1", f"50,00{NBSP}€",
                                        f"33,33{NBSP}%"]
    assert total.split()[0] == "Total" and total.endswith(f"100,00{NBSP}%")
    assert len(header) == len(total)  # right-aligned columns end together


def test_command_writes_csv_and_xlsx(year_2026, rules, tmp_path, capsysbinary):
    assert run(["--year", "2026", "--format", "csv", "--url", year_2026, "--rules", rules]) == 0
    assert read_csv(capsysbinary.readouterr().out)[-1] == \
        ["Total", "", "3", "2", "150,00", "100,00"]
    target = tmp_path / "rapport.xlsx"
    assert run(["--year", "2026", "--by", "ept", "--format", "xlsx", "--output", str(target),
                "--url", year_2026, "--rules", rules]) == 0
    sheet = load_workbook(target)["Rapport"]
    assert sheet_rows(sheet, 7)[-1][:3] == ("Total", 3, 2)
    assert list(tmp_path.glob(".rapport.xlsx.*")) == []  # no temporary file left


def test_command_errors_are_one_line_and_exit_2(year_2026, rules, tmp_path, capsys,
                                                 monkeypatch):
    assert run(["--year", "2026", "--format", "xlsx", "--url", year_2026, "--rules", rules]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--output" in err

    with monkeypatch.context() as patch:
        patch.setattr("sys.stdout.isatty", lambda: True)
        assert run(["--year", "2026", "--format", "xlsx", "--output", "-", "--url", year_2026,
                    "--rules", rules]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "terminal" in err

    assert run(["--year", "2031", "--url", year_2026, "--rules", rules]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2031" in err and "2024, 2025, 2026" in err

    bare = f"sqlite:///{tmp_path / 'empty.db'}"
    assert run(["--year", "2026", "--url", bare, "--rules", rules]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "npt db upgrade" in err

    assert run(["--year", "2026", "--format", "csv", "--output",
                str(tmp_path / "missing" / "r.csv"), "--url", year_2026, "--rules", rules]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write" in err

    with pytest.raises(SystemExit) as exit_:
        run(["--year", "2026", "--by", "place"])
    assert exit_.value.code == 2
