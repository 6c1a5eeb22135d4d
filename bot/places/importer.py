"""Import a CSV file of the national standard "lieux de médiation numérique" into `places`.

Any file of the standard is accepted: the national export, a commune's own list, our default
seed. The file is streamed (one physical line in memory at a time, at most 1 MB each), so a
file of tens of thousands of rows imports in bounded memory.

- The file must be UTF-8 (with or without BOM); `,`, `;` or tab is detected from the header.
- The header must hold the standard's required columns, or the whole file is refused
  (`PlacesFileError`, one line saying why). Missing optional columns are read as empty, unknown
  columns are ignored; both are named in the report.
- Each row is checked against the standard (`bot.places.schema`) and is all-or-nothing: a
  rejected row changes nothing, and is reported with its line in the file (the header is line 1;
  a row whose quoted cell spans several lines is named by its first line), field and reason.
- Valid rows are upserted by (source, id): importing the same file again updates, never
  duplicates. An update rewrites the standard's fields only: `partner` and `booking_enabled`
  belong to the programme and are never touched by an import. A row identical to what is
  stored is left as is (`updated_at` keeps the time of the last real change).
- Rows are written in batches of 500, one transaction each; if the database refuses a batch,
  its rows are written one transaction each, so that only the faulty row is rejected.
"""
from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from bot.db.models import Place, utcnow
from bot.db.session import get_engine, missing_table
from bot.places.schema import FieldError, StandardSchema, load_schema

MAX_LINE_BYTES = 1_000_000
BATCH_SIZE = 500
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab"}
MAX_SOURCE_LENGTH = 255
UTF8_BOM = b"\xef\xbb\xbf"

# The standard's `source` (who collected the data) is stored as `source_structure`, because
# `source` in our table names the file or importer a row came from.
COLUMN_OF_FIELD = {"source": "source_structure"}


class PlacesImportError(Exception):
    """The import could not start; the message is one line for the operator."""


class PlacesFileError(PlacesImportError):
    """The file itself is unusable: missing, empty, not a UTF-8 CSV, required columns missing."""


class PlacesDatabaseError(PlacesImportError):
    """The database is not ready for places (not migrated)."""


@dataclass(frozen=True)
class RowProblem:
    """A fault of a row, with the line of the file where the row starts."""

    line: int
    field: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {FieldError(self.field, self.value, self.reason)}"


@dataclass
class ImportReport:
    path: str
    source: str
    delimiter: str = ","
    bom: bool = False
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    blank_lines: int = 0
    rejected_lines: list[int] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejected_lines)

    def reject(self, line: int, errors: list[FieldError]) -> None:
        self.rejected_lines.append(line)
        self.problems.extend(RowProblem(line, e.field, e.value, e.reason) for e in errors)

    def lines(self) -> list[str]:
        """The report as an operator reads it."""
        encoding = "UTF-8 with BOM" if self.bom else "UTF-8"
        delimiter = DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        out = [f"file: {self.path} (delimiter {delimiter}, {encoding}), source: {self.source}"]
        if self.unknown_columns:
            out.append("unknown columns (ignored): " + ", ".join(self.unknown_columns))
        if self.missing_columns:
            out.append("missing optional columns (read as empty): " + ", ".join(self.missing_columns))
        out.append(f"rows read: {self.rows_read}")
        out.append(f"inserted: {self.inserted}")
        out.append(f"updated: {self.updated} (of which unchanged: {self.unchanged})")
        out.append(f"rejected: {self.rejected}")
        if self.blank_lines:
            out.append(f"blank lines skipped: {self.blank_lines}")
        if self.problems:
            out.append("rejected rows (nothing of them was imported):")
            out.extend(f"  {problem}" for problem in self.problems)
        if self.warnings:
            out.append("warnings (these rows were imported):")
            out.extend(f"  {warning}" for warning in self.warnings)
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


class _Lines:
    """The physical lines of a binary file, decoded as UTF-8, numbered from 1.

    A line that is not UTF-8, or longer than MAX_LINE_BYTES, is still yielded (with U+FFFD for
    the bad bytes, or as an empty line) so that the CSV reader keeps its place, and its fault is
    kept in `faults` for the row that contains it.
    """

    def __init__(self, handle: BinaryIO):
        self.handle = handle
        self.number = 0
        self.bom = False
        self.faults: dict[int, str] = {}  # line number -> what is wrong with it

    def __iter__(self) -> Iterator[str]:
        while True:
            raw = self.handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            self.number += 1
            if self.number == 1 and raw.startswith(UTF8_BOM):
                self.bom = True
                raw = raw[len(UTF8_BOM):]
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while True:  # skip the rest of the line without keeping it
                    more = self.handle.readline(MAX_LINE_BYTES)
                    if not more or more.endswith(b"\n"):
                        break
                self.faults[self.number] = f"the line is longer than {MAX_LINE_BYTES:,} bytes"
                yield "\n"
                continue
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as error:
                column = len(raw[:error.start].decode("utf-8", errors="replace")) + 1
                self.faults[self.number] = (
                    f"the line is not valid UTF-8 (byte 0x{raw[error.start]:02X} at character "
                    f"{column}): save the file as UTF-8")
                yield raw.decode("utf-8", errors="replace")

    def take_faults(self, first: int, last: int) -> list[str]:
        """The faults of lines first..last (a row), each naming its line when not the first."""
        found = []
        for n in sorted(n for n in self.faults if first <= n <= last):
            fault = self.faults.pop(n)
            found.append(fault if n == first else fault.replace("the line", f"line {n}", 1))
        for n in [n for n in self.faults if n < first]:  # never kept past their row
            del self.faults[n]
        return found


def _csv_reason(error: csv.Error) -> str:
    text = str(error)
    if "field larger than field limit" in text:
        return f"a cell is longer than {csv.field_size_limit():,} characters"
    if "NUL" in text:
        return "the line contains a NUL byte (binary data, not text)"
    return f"unreadable CSV: {text}"


def _sniff_binary(path: Path, head: bytes) -> None:
    if head.startswith(b"PK\x03\x04"):
        raise PlacesFileError(f"{path}: is a ZIP archive (an .xlsx or .ods spreadsheet?), not a CSV "
                              f"file: export it as CSV UTF-8")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PlacesFileError(f"{path}: is UTF-16 text: save it as CSV UTF-8")


def _detect_delimiter(header_line: str, schema: StandardSchema) -> str:
    known = set(schema.columns)

    def score(delimiter: str) -> int:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(1 for cell in cells if cell.strip() in known)

    return max(DELIMITERS, key=score)  # ties: the first, ','


def _read_header(path: Path, lines: _Lines, schema: StandardSchema, report: ImportReport):
    iterator = iter(lines)
    try:
        first = next(iterator)
    except StopIteration:
        raise PlacesFileError(f"{path}: the file is empty (no header line)") from None
    if 1 in lines.faults:
        raise PlacesFileError(f"{path}: {lines.faults[1].replace('the line', 'the header line', 1)}")
    if "\x00" in first:
        raise PlacesFileError(f"{path}: contains NUL bytes: not a text CSV file")
    if not first.strip():
        raise PlacesFileError(f"{path}: the first line is empty; it must be the header line")
    delimiter = _detect_delimiter(first, schema)
    reader = csv.reader(itertools.chain([first], iterator), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as error:
        raise PlacesFileError(f"{path}: the header line is not readable: {_csv_reason(error)}") from None
    if reader.line_num != 1:
        raise PlacesFileError(f"{path}: the header line has an unclosed quote")
    names = [cell.strip() for cell in header]
    known = set(schema.columns)
    positions: dict[str, int] = {}
    unknown = []
    for number, name in enumerate(names, 1):
        if name in known:
            if name in positions:
                raise PlacesFileError(f"{path}: column {name!r} appears twice in the header "
                                      f"(columns {positions[name] + 1} and {number})")
            positions[name] = number - 1
        else:
            unknown.append(name if name else f"(column {number}, no name)")
    missing_required = [name for name in schema.required if name not in positions]
    if missing_required:
        message = f"{path}: missing required columns: {', '.join(missing_required)}"
        if not positions:
            message += (" (no column of the standard 'lieux de médiation numérique' "
                        f"{schema.version} in the header: is it a CSV file of that standard?)")
        elif unknown:
            message += f" (unknown columns in the header: {', '.join(unknown)})"
        raise PlacesFileError(message)
    report.delimiter = delimiter
    report.unknown_columns = unknown
    report.missing_columns = [name for name in schema.columns if name not in positions]
    return reader, positions, len(names)


def _database_values(values: dict) -> dict:
    return {COLUMN_OF_FIELD.get(name, name): value for name, value in values.items()}


def _write(connection, source: str, batch: list[tuple[int, dict]], now) -> tuple[int, int, int]:
    """Upsert a batch of (line, values) by (source, id); returns (inserted, updated, unchanged)."""
    table = Place.__table__
    ids = [values["id"] for _, values in batch]
    existing = {row.id: row for row in connection.execute(
        select(table).where(table.c.source == source, table.c.id.in_(ids)))}
    new_rows, inserted, updated, unchanged = [], 0, 0, 0
    for _, values in batch:
        stored = existing.get(values["id"])
        data = _database_values(values)
        if stored is None:
            new_rows.append({**data, "source": source, "partner": False, "booking_enabled": False,
                             "imported_at": now, "updated_at": now})
            inserted += 1
        elif all(getattr(stored, column) == value for column, value in data.items()):
            unchanged += 1
        else:
            connection.execute(update(table).where(table.c.pk == stored.pk).values(**data, updated_at=now))
            updated += 1
    if new_rows:
        connection.execute(insert(table), new_rows)
    return inserted, updated + unchanged, unchanged


def _flush(engine, source: str, batch: list[tuple[int, dict]], report: ImportReport) -> None:
    if not batch:
        return
    now = utcnow()
    try:
        with engine.begin() as connection:
            counts = _write(connection, source, batch, now)
    except SQLAlchemyError:
        for item in batch:
            try:
                with engine.begin() as connection:
                    counts = _write(connection, source, [item], now)
            except SQLAlchemyError as error:
                reason = str(getattr(error, "orig", error)).strip().splitlines()[0][:200]
                report.reject(item[0], [FieldError(None, None, f"the database refused the row: {reason}")])
                continue
            report.inserted += counts[0]
            report.updated += counts[1]
            report.unchanged += counts[2]
    else:
        report.inserted += counts[0]
        report.updated += counts[1]
        report.unchanged += counts[2]
    batch.clear()


def check_database(url: str | None = None) -> None:
    problem = missing_table(Place.__tablename__, url)
    if problem:
        raise PlacesDatabaseError(problem)


def import_places(path: Path | str, source: str | None = None, url: str | None = None,
                  schema: StandardSchema | None = None, batch_size: int = BATCH_SIZE) -> ImportReport:
    """Import a CSV file of the standard into the places of `source` (default: the file's name).

    Raises PlacesFileError when the file is unusable (nothing is imported), PlacesDatabaseError
    when the database is not migrated; bad rows never raise: they are in the report.
    """
    path = Path(path)
    schema = schema or load_schema()
    source = (source if source is not None else path.name).strip()
    if not source or len(source) > MAX_SOURCE_LENGTH:
        raise PlacesImportError(f"the source name must be 1 to {MAX_SOURCE_LENGTH} characters")
    if not path.exists():
        raise PlacesFileError(f"{path}: no such file")
    if not path.is_file():
        raise PlacesFileError(f"{path}: not a file")
    report = ImportReport(path=str(path), source=source)
    try:
        handle = path.open("rb")
    except OSError as error:
        raise PlacesFileError(f"{path}: cannot be read ({error.strerror})") from None
    with handle:
        _sniff_binary(path, handle.read(4))
        handle.seek(0)
        lines = _Lines(handle)
        reader, positions, width = _read_header(path, lines, schema, report)
        report.bom = lines.bom
        check_database(url)
        engine = get_engine(url)
        seen_ids: dict[str, int] = {}
        batch: list[tuple[int, dict]] = []
        end = reader.line_num
        while True:
            start = end + 1
            try:
                record = next(reader)
                error = None
            except StopIteration:
                break
            except csv.Error as csv_error:
                record, error = None, csv_error
            end = reader.line_num
            faults = lines.take_faults(start, end)
            if record is not None and not faults and not any(cell.strip() for cell in record):
                report.blank_lines += end - start + 1
                continue
            report.rows_read += 1
            if error is not None:
                report.reject(start, [FieldError(None, None, _csv_reason(error))]
                              + [FieldError(None, None, fault) for fault in faults])
                continue
            if faults:
                bad = [name for name, i in positions.items() if i < len(record) and "\ufffd" in record[i]]
                where = bad[0] if bad else None
                report.reject(start, [FieldError(where, None, fault) for fault in faults])
                continue
            if len(record) != width:
                report.reject(start, [FieldError(None, None, f"the row has {len(record)} cells; "
                                                             f"the header has {width}")])
                continue
            row = {name: record[i] for name, i in positions.items()}
            errors = schema.validate_row(row)
            if not errors:
                place_id = row["id"].strip()
                if place_id in seen_ids:
                    reason = f"is already the id of line {seen_ids[place_id]} of this file (ids must be unique)"
                    errors = [FieldError("id", place_id, reason)]
            if errors:
                report.reject(start, errors)
                continue
            seen_ids[place_id] = start
            for warning in schema.warnings(row):
                report.warnings.append(RowProblem(start, warning.field, warning.value, warning.reason))
            batch.append((start, schema.to_values(row)))
            if len(batch) >= batch_size:
                _flush(engine, source, batch, report)
        _flush(engine, source, batch, report)
    report.rejected_lines.sort()
    report.problems.sort(key=lambda problem: problem.line)
    return report
