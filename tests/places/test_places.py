"""The directory of places: the standard's rules, the CSV importer, the default seed, `npt places`."""
from __future__ import annotations

import csv
import tracemalloc
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, update

from bot.cli import main
from bot.db.models import Place
from bot.db.session import alembic_config, get_engine, session_scope
from bot.diagnostic.grid import STANDARD_ACCOMPANIMENTS, STANDARD_SERVICES, STANDARD_SUPPORT
from bot.paths import DATA_DIR
from bot.places import (DEFAULT_SOURCE, PlacesFileError, import_places, load_schema,
                        seed_default_places, validate_row)
from bot.places import importer as importer_module

PLACES_DIR = DATA_DIR / "places"
FRANCE_SERVICES = PLACES_DIR / "france_services_mgp_schema_lieux_mediation_numerique_v1.csv"
EXAMPLE = PLACES_DIR / "exemple-valide.csv"
COLUMNS = list(load_schema().columns)

# A valid row of the standard (a France Services site of the shipped file, id changed).
GOOD = {
    "id": "good-1", "pivot": "00000000000000", "nom": "France services Pimms Médiation Paris 12ème",
    "commune": "Paris 12e", "code_postal": "75012", "code_insee": "75112",
    "adresse": "181 Avenue Daumesnil", "complement_adresse": "", "latitude": "48.84049",
    "longitude": "2.392507", "typologie": "RFS", "telephone": "+33144672700",
    "courriels": "paris-sud-est@pimms.org", "site_web": "",
    "horaires": "Mo-Fr 10:00-13:00,14:00-18:00", "presentation_resume": "",
    "presentation_detail": "", "source": "France Services (ANCT)", "itinerance": "Fixe",
    "structure_parente": "", "date_maj": "2020-02-01",
    "services": "Aide aux démarches administratives|Maîtrise des outils numériques du quotidien",
    "publics_specifiquement_adresses": "", "prise_en_charge_specifique": "",
    "frais_a_charge": "Gratuit", "dispositif_programmes_nationaux": "France Services",
    "formations_labels": "", "autres_formations_labels": "", "modalites_acces": "Se présenter",
    "modalites_accompagnement": "", "fiche_acces_libre": "", "prise_rdv": "",
}


def row(**changes) -> dict:
    return {**GOOD, **changes}


def write_csv(path: Path, rows, header=None, delimiter=",", bom=False) -> Path:
    """Rows are dicts (written in the header's order) or raw lists of cells."""
    header = header or COLUMNS
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        for item in rows:
            writer.writerow([item.get(name, "") for name in header] if isinstance(item, dict) else item)
    return path


def stored(url, **where) -> list[Place]:
    with session_scope(url) as session:
        query = select(Place).order_by(Place.pk)
        for name, value in where.items():
            query = query.where(getattr(Place, name) == value)
        return list(session.execute(query).scalars())


def count(url) -> int:
    with session_scope(url) as session:
        return session.execute(select(func.count()).select_from(Place)).scalar_one()


def problems(report) -> list[tuple[int, str | None, str]]:
    return [(p.line, p.field, p.reason) for p in report.problems]


# -- the standard's rules ----------------------------------------------------------------

def test_the_rules_are_read_from_the_shipped_schema_of_the_standard():
    schema = load_schema()
    assert schema.version == "v1.0.2"
    assert len(schema.columns) == 32 and schema.columns[0] == "id" and schema.columns[-1] == "prise_rdv"
    assert schema.required == ("id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj")
    # the enumerations come from the schema's patterns and agree with the diagnostic grid's values
    assert set(schema.enums["services"]) == STANDARD_SERVICES
    assert set(schema.enums["modalites_accompagnement"]) == STANDARD_ACCOMPANIMENTS
    assert set(schema.enums["prise_en_charge_specifique"]) == STANDARD_SUPPORT
    assert "Relais numérique (Emmaüs Connect)" in schema.enums["dispositif_programmes_nationaux"]
    assert set(schema.multi_valued) == {
        "typologie", "courriels", "site_web", "itinerance", "services",
        "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
        "dispositif_programmes_nationaux", "formations_labels", "modalites_acces",
        "modalites_accompagnement"}
    assert schema.fields["presentation_resume"].max_length == 280


def test_a_valid_row_has_no_error():
    assert validate_row(GOOD) == []
    with EXAMPLE.open(encoding="utf-8") as handle:
        assert validate_row(next(csv.DictReader(handle))) == []


@pytest.mark.parametrize("field, value, reason", [
    ("nom", "   ", "required field is empty"),
    ("date_maj", "", "required field is empty"),
    ("pivot", "1234", "must be a SIRET (14 digits), or a RNA / RIDET number: 9 to 14 letters or digits"),
    ("code_postal", "7501", "must be 5 digits"),
    ("code_postal", "75 012", "must be 5 digits"),
    ("code_postal", "７５０１２", "must be 5 digits"),  # full-width digits are not digits here
    ("code_insee", "20000", "must be an INSEE commune code: 5 characters such as 75056, 93066 or 2A004"),
    ("telephone", "01 44 67 27 00", "must be in international format without spaces, such as +33180059880"),
    ("latitude", "148.8", "must be between -90 and 90"),
    ("longitude", "-181", "must be between -180 and 180"),
    ("latitude", "48,84", "is not a number (the decimal separator is a point: 48.85, not 48,85)"),
    ("longitude", "nan", "is not a number"),
    ("date_maj", "02/01/2020", "is not a date written YYYY-MM-DD"),
    ("date_maj", "2020-02-30", "is not a date written YYYY-MM-DD"),
    ("presentation_resume", "x" * 281, "is 281 characters long; the standard allows at most 280"),
    ("courriels", "contact@pimms.org|pas-un-courriel", "is not an e-mail address"),
    ("site_web", "www.pimms.org", "is not a web address starting with http:// or https://"),
    ("prise_rdv", "javascript:alert(1)", "is not a web address starting with http:// or https://"),
    ("itinerance", "Fixe||Itinérant", "has an empty value between two '|'"),
    ("frais_a_charge", "gratuit", "is not an allowed value; allowed: Gratuit; Gratuit sous condition; Payant"),
    ("services", "Aide aux démarches administratives|Cuisine", "is not an allowed value; allowed: "),
])
def test_each_rule_of_the_standard_gives_a_precise_error(field, value, reason):
    errors = validate_row(row(**{field: value}))
    assert len(errors) == 1, errors
    assert errors[0].field == field
    assert errors[0].reason.startswith(reason)


def test_the_error_names_the_bad_item_of_a_multi_valued_field_and_cuts_long_values():
    [error] = validate_row(row(services="Aide aux démarches administratives|Cuisine"))
    assert error.value == "Cuisine"
    assert str(error).startswith("services = 'Cuisine': is not an allowed value; allowed: Aide aux")
    [error] = validate_row(row(presentation_resume="é" * 500))
    assert error.value == "é" * 80 + "… (500 characters)"


def test_several_faults_of_a_row_are_all_reported():
    errors = validate_row(row(nom="", code_postal="ABCDE", frais_a_charge="Gratuit|Cher"))
    assert [(e.field, e.value) for e in errors] == [("nom", ""), ("code_postal", "ABCDE"),
                                                    ("frais_a_charge", "Cher")]


# -- importing the shipped files ---------------------------------------------------------

def test_the_shipped_france_services_file_imports_all_80_rows(database):
    report = import_places(FRANCE_SERVICES, source=DEFAULT_SOURCE)
    assert (report.rows_read, report.inserted, report.updated, report.rejected) == (80, 80, 0, 0)
    assert report.problems == [] and report.warnings == [] and report.unknown_columns == []
    assert count(database) == 80
    [place] = stored(database, id="435")
    assert place.source == DEFAULT_SOURCE
    assert place.nom == "France services Pimms Médiation Paris 12ème - Sud-Est"
    assert (place.code_postal, place.code_insee) == ("75012", "75112")
    assert (place.latitude, place.longitude) == (48.84049, 2.392507)
    assert place.date_maj == date(2020, 2, 1)
    assert place.services == ["Aide aux démarches administratives",
                              "Insertion professionnelle via le numérique",
                              "Maîtrise des outils numériques du quotidien",
                              "Compréhension du monde numérique"]
    assert place.frais_a_charge == ["Gratuit"] and place.modalites_accompagnement == []
    assert place.source_structure == "France Services (ANCT)"  # the standard's own `source`
    assert place.telephone == "+33144672700" and place.site_web == [] and place.prise_rdv is None
    assert place.partner is False and place.booking_enabled is False
    assert place.imported_at is not None and place.updated_at == place.imported_at


def test_importing_the_same_file_twice_updates_and_never_duplicates(database):
    first = seed_default_places()
    before = [(p.pk, p.id, p.nom, p.services, p.imported_at, p.updated_at) for p in stored(database)]
    second = seed_default_places()
    assert (first.inserted, first.updated) == (80, 0)
    assert (second.rows_read, second.inserted, second.updated, second.unchanged, second.rejected) == \
        (80, 0, 80, 80, 0)
    assert count(database) == 80
    after = [(p.pk, p.id, p.nom, p.services, p.imported_at, p.updated_at) for p in stored(database)]
    assert after == before  # idempotent: the very same rows, timestamps included


def test_a_changed_row_is_updated_and_the_programme_fields_are_kept(database, tmp_path):
    seed_default_places()
    with get_engine(database).begin() as connection:
        connection.execute(update(Place.__table__).where(Place.__table__.c.id == "435")
                           .values(partner=True, booking_enabled=True))
    with FRANCE_SERVICES.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["nom"] = "France services Pimms Paris 12e (nouveau nom)"
    rows[0]["horaires"] = "Mo-Fr 09:00-17:00"
    changed = write_csv(tmp_path / "fs.csv", rows)
    old = stored(database, id="435")[0]

    report = import_places(changed, source=DEFAULT_SOURCE)

    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (0, 80, 79, 0)
    [place] = stored(database, id="435")
    assert place.nom == "France services Pimms Paris 12e (nouveau nom)"
    assert place.horaires == "Mo-Fr 09:00-17:00"
    assert place.partner is True and place.booking_enabled is True  # never reset by an import
    assert place.updated_at > old.updated_at and place.imported_at == old.imported_at
    assert count(database) == 80


def test_the_same_ids_under_another_source_are_other_places(database):
    seed_default_places()
    report = import_places(FRANCE_SERVICES, source="commune-list")
    assert report.inserted == 80 and count(database) == 160


def test_the_standards_own_example_file_imports_without_rejection(database):
    report = import_places(EXAMPLE)
    assert (report.rows_read, report.inserted, report.rejected, report.warnings) == (1, 1, 0, [])
    [place] = stored(database, source="exemple-valide.csv")
    assert place.typologie == ["TIERS_LIEUX", "ASSO"]
    assert place.courriels == ["contact@laquincaillerie.tl", "responsable@laquincaillerie.tl"]
    assert place.formations_labels == ["Formé à « Mon Espace Santé »",
                                       "Arnia/MedNum BFC (Bourgogne-Franche-Comté)"]
    assert place.modalites_accompagnement == ["Dans un atelier collectif", "À distance", "En autonomie",
                                              "Accompagnement individuel"]


# (The shipped copies are checked against the originals in tests/core/test_shared_copies.py.)


# -- rejected rows -----------------------------------------------------------------------

def test_only_the_good_row_of_a_crafted_file_is_imported_and_each_bad_row_is_reported(database, tmp_path):
    path = write_csv(tmp_path / "crafted.csv", [
        row(id="good"),                                                          # line 2
        row(id="no-name", nom=""),                                               # line 3
        row(id="bad-enum", modalites_accompagnement="En autonomie|Sur la lune"),  # line 4
        row(id="bad-postcode", code_postal="750120"),                            # line 5
        row(id="bad-latitude", latitude="91.5"),                                 # line 6
        ["too-few", "00000000000000", "Nom", "Paris"],                           # line 7
        [*row(id="too-many").values(), "extra"],                                 # line 8
    ])
    report = import_places(path, source="crafted")
    assert (report.rows_read, report.inserted, report.updated, report.rejected) == (7, 1, 0, 6)
    assert report.rejected_lines == [3, 4, 5, 6, 7, 8]
    assert problems(report) == [
        (3, "nom", "required field is empty"),
        (4, "modalites_accompagnement", "is not an allowed value; allowed: En autonomie; "
                                        "Accompagnement individuel; Dans un atelier collectif; À distance"),
        (5, "code_postal", "must be 5 digits"),
        (6, "latitude", "must be between -90 and 90"),
        (7, None, "the row has 4 cells; the header has 32"),
        (8, None, "the row has 33 cells; the header has 32"),
    ]
    assert [p.id for p in stored(database)] == ["good"]
    text = str(report)
    assert "line 4: modalites_accompagnement = 'Sur la lune': is not an allowed value" in text
    assert "line 5: code_postal = '750120': must be 5 digits" in text


def test_a_rejected_row_changes_nothing_already_stored(database, tmp_path):
    import_places(write_csv(tmp_path / "a.csv", [row(id="p1", nom="Ancien nom")]), source="s")
    report = import_places(write_csv(tmp_path / "b.csv", [row(id="p1", nom="Nouveau", code_postal="7")]),
                           source="s")
    assert (report.updated, report.rejected) == (0, 1)
    assert stored(database, id="p1")[0].nom == "Ancien nom"


def test_line_numbers_count_physical_lines_when_a_cell_spans_several(database, tmp_path):
    path = write_csv(tmp_path / "multiline.csv", [
        row(id="a", presentation_detail="Premier paragraphe.\nDeuxième.\nTroisième."),  # lines 2-4
        row(id="b", code_postal="X"),                                                   # line 5
    ])
    report = import_places(path)
    assert problems(report) == [(5, "code_postal", "must be 5 digits")]
    assert stored(database, id="a")[0].presentation_detail == "Premier paragraphe.\nDeuxième.\nTroisième."


def test_a_duplicate_id_in_one_file_is_rejected(database, tmp_path):
    report = import_places(write_csv(tmp_path / "dup.csv", [row(id="x"), row(id="y"), row(id="x", nom="Autre")]))
    assert problems(report) == [(4, "id", "is already the id of line 2 of this file (ids must be unique)")]
    assert count(database) == 2 and stored(database, id="x")[0].nom == GOOD["nom"]


def test_unreadable_opening_hours_are_a_warning_and_the_place_is_kept(database, tmp_path):
    report = import_places(write_csv(tmp_path / "hours.csv", [row(horaires="lundi 9h-12h")]))
    assert (report.inserted, report.rejected) == (1, 0)
    assert [(w.line, w.field) for w in report.warnings] == [(2, "horaires")]
    assert "warnings (these rows were imported):" in str(report)
    assert "line 2: horaires = 'lundi 9h-12h': is not in the OpenStreetMap opening_hours syntax" in str(report)


def test_html_and_sql_in_text_are_stored_as_plain_text(database, tmp_path):
    nasty = "<script>alert('x')</script>'); DROP TABLE places; --"
    report = import_places(write_csv(tmp_path / "nasty.csv", [row(nom=nasty, adresse="1 rue <b>X</b>")]))
    assert (report.inserted, report.rejected) == (1, 0)
    [place] = stored(database)
    assert place.nom == nasty and place.adresse == "1 rue <b>X</b>"
    assert inspect(get_engine(database)).has_table("places")


def test_a_row_the_database_refuses_is_rejected_alone(database, tmp_path, monkeypatch):
    real_write = importer_module._write

    def failing_write(connection, source, batch, now):
        if any(values["id"] == "boom" for _, values in batch):
            connection.exec_driver_sql("SELECT * FROM no_such_table")
        return real_write(connection, source, batch, now)

    monkeypatch.setattr(importer_module, "_write", failing_write)
    path = write_csv(tmp_path / "refused.csv", [row(id="a"), row(id="boom"), row(id="c")])
    report = import_places(path, batch_size=10)
    assert (report.inserted, report.rejected) == (2, 1)
    assert [(p.line, p.field) for p in report.problems] == [(3, None)]
    assert report.problems[0].reason.startswith("the database refused the row: no such table")
    assert [p.id for p in stored(database)] == ["a", "c"]


# -- file formats ------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter, bom", [(";", False), (";", True), (",", True), ("\t", False)])
def test_semicolon_tab_and_bom_files_import(database, tmp_path, delimiter, bom):
    path = write_csv(tmp_path / "f.csv", [row(id="1"), row(id="2", services="Aide aux démarches administratives")],
                     delimiter=delimiter, bom=bom)
    report = import_places(path)
    assert (report.delimiter, report.bom) == (delimiter, bom)
    assert (report.rows_read, report.inserted, report.rejected) == (2, 2, 0)
    assert [p.id for p in stored(database)] == ["1", "2"]  # the BOM is not part of the first column
    assert ("UTF-8 with BOM" in str(report)) is bom


def test_missing_optional_columns_and_unknown_columns_are_reported(database, tmp_path):
    header = ["nom", "id", "pivot", "commune", "code_postal", "adresse", "date_maj", "siret", "remarque"]
    path = write_csv(tmp_path / "short.csv", [[GOOD["nom"], "s1", "00000000000000", "Paris", "75012",
                                              "1 rue X", "2024-01-01", "123", "note"]], header=header)
    report = import_places(path)
    assert report.unknown_columns == ["siret", "remarque"]
    assert report.missing_columns == [c for c in COLUMNS if c not in header]
    assert (report.inserted, report.rejected) == (1, 0)
    assert "unknown columns (ignored): siret, remarque" in str(report)
    [place] = stored(database)
    assert place.services == [] and place.latitude is None and place.code_insee is None


def test_non_utf8_bytes_in_a_row_reject_that_row_with_a_clear_reason(database, tmp_path):
    path = write_csv(tmp_path / "latin1.csv", [row(id="ok"), row(id="latin", nom="Médiathèque")])
    path.write_bytes(path.read_bytes().replace("Médiathèque".encode(), "Médiathèque".encode("latin-1")))
    report = import_places(path)
    assert (report.rows_read, report.inserted, report.rejected) == (2, 1, 1)
    assert problems(report) == [(3, "nom", "the line is not valid UTF-8 (byte 0xE9 at character 23): "
                                           "save the file as UTF-8")]
    assert [p.id for p in stored(database)] == ["ok"]


def test_a_huge_cell_or_line_rejects_that_row_only(database, tmp_path):
    path = write_csv(tmp_path / "huge.csv", [row(id="big", presentation_detail="x" * 200_000), row(id="after")])
    report = import_places(path)
    assert problems(report) == [(2, None, "a cell is longer than 131,072 characters")]
    assert [p.id for p in stored(database)] == ["after"]

    path = tmp_path / "longline.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "y" * 1_500_000 + "\n"
                    + ",".join(f'"{row(id="next")[c]}"' for c in COLUMNS) + "\n", encoding="utf-8")
    report = import_places(path, source="long")
    assert problems(report) == [(2, None, "the line is longer than 1,000,000 bytes")]
    assert [p.id for p in stored(database, source="long")] == ["next"]


def test_a_header_only_file_reads_no_row(database, tmp_path):
    report = import_places(write_csv(tmp_path / "header.csv", []))
    assert (report.rows_read, report.inserted, report.rejected) == (0, 0, 0)


def test_blank_lines_are_skipped_not_counted(database, tmp_path):
    path = write_csv(tmp_path / "blank.csv", [row(id="1"), [], [""] * 32, row(id="2")])
    report = import_places(path)
    assert (report.rows_read, report.inserted, report.blank_lines) == (2, 2, 2)


def test_a_20000_row_file_imports_in_bounded_memory(database, tmp_path):
    path = tmp_path / "big.csv"
    detail = "Accueil et accompagnement numérique. " * 25  # ~900 characters a row: a 22 MB file
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for number in range(20_000):
            values = row(id=f"p{number}", presentation_detail=detail)
            writer.writerow([values[c] for c in COLUMNS])
    size = path.stat().st_size
    tracemalloc.start()
    try:
        report = import_places(path, source="big")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (report.rows_read, report.inserted, report.rejected) == (20_000, 20_000, 0)
    assert count(database) == 20_000
    assert peak < size / 2, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


# -- unusable files ----------------------------------------------------------------------

@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty (no header line)"),
    (b"\n" + ",".join(COLUMNS).encode(), "the first line is empty; it must be the header line"),
    ("id,nom,commune,prénom\n".encode("latin-1"),
     "the header line is not valid UTF-8 (byte 0xE9 at character 18): save the file as UTF-8"),
    (b"PK\x03\x04\x14\x00\x06\x00", "is a ZIP archive (an .xlsx or .ods spreadsheet?), not a CSV file"),
    (b'{"id": 1, "nom": "x"}\n', "missing required columns: id, pivot, nom, commune, code_postal, adresse, "
                                 "date_maj (no column of the standard"),
    (b"id,nom,commune,id\n", "column 'id' appears twice in the header (columns 1 and 4)"),
])
def test_an_unusable_file_is_refused_with_one_precise_line(database, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(PlacesFileError) as refused:
        import_places(path)
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_cli_refuses_a_file_missing_required_columns_with_exit_code_2(database, tmp_path, capsys):
    header = [c for c in COLUMNS if c not in ("pivot", "date_maj")] + ["siret"]
    path = write_csv(tmp_path / "nopivot.csv", [row()], header=header)
    assert main(["places", "import", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"error: {path}: missing required columns: pivot, date_maj (unknown columns in the header: siret)\n"
    assert count(database) == 0


def test_cli_import_prints_the_report_and_exits_0_even_with_rejected_rows(database, tmp_path, capsys):
    path = write_csv(tmp_path / "mixed.csv", [row(id="ok"), row(id="ko", date_maj="hier")], delimiter=";")
    assert main(["places", "import", str(path), "--source", "commune-93066"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"file: {path} (delimiter ';', UTF-8), source: commune-93066"
    assert out[1:] == ["rows read: 2", "inserted: 1", "updated: 0 (of which unchanged: 0)", "rejected: 1",
                       "rejected rows (nothing of them was imported):",
                       "  line 3: date_maj = 'hier': is not a date written YYYY-MM-DD"]
    assert [p.source for p in stored(database)] == ["commune-93066"]


def test_cli_missing_file_and_unmigrated_database(tmp_path, capsys):
    assert main(["places", "import", str(tmp_path / "nope.csv")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope.csv'}: no such file\n"
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["places", "seed", "--url", url]) == 1
    assert "run `npt db upgrade` first" in capsys.readouterr().err


def test_cli_seed_twice(database, capsys):
    assert main(["places", "seed"]) == 0
    assert "inserted: 80" in capsys.readouterr().out
    assert main(["places", "seed"]) == 0
    out = capsys.readouterr().out
    assert "inserted: 0" in out and "updated: 80 (of which unchanged: 80)" in out
    assert count(database) == 80


# -- the table ---------------------------------------------------------------------------

def test_migration_0002_creates_the_places_table_and_0001_removes_it(database):
    from alembic import command

    inspector = inspect(get_engine(database))
    columns = {c["name"] for c in inspector.get_columns("places")}
    expected = {("source_structure" if c == "source" else c) for c in COLUMNS}
    assert expected <= columns
    assert {"pk", "source", "partner", "booking_enabled", "imported_at", "updated_at"} <= columns
    assert len(columns) == 32 + 6
    uniques = inspector.get_unique_constraints("places")
    assert [u["column_names"] for u in uniques] == [["source", "id"]]
    assert {tuple(i["column_names"]) for i in inspector.get_indexes("places")} >= {("code_insee",),
                                                                                  ("code_postal",)}
    # the migration and the model agree
    assert {c.name for c in Place.__table__.columns} == columns
    command.downgrade(alembic_config(database), "0001")
    assert not inspect(get_engine(database)).has_table("places")
