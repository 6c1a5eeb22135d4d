"""The funding report as files for finance staff: CSV for French Excel, and an XLSX workbook.

Text that comes from data (names of structures, communes, organisations, reasons) is guarded
against formula injection: a cell starting with = + - @ or a tab / carriage return / line feed
gets a leading apostrophe, so that a spreadsheet shows it as text instead of running it. Cells
that hold our own figures are numbers (XLSX) or plain figures (CSV) and are not touched.
"""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta, timezone
from decimal import Decimal

from bot.funding.report import (ASSISTANT_LABEL, FundingReport, format_eur_plain, paris_day,
                                paris_time, percent_of_cap)
from bot.spreadsheets import guard_text, xlsx_text

EUR_FORMAT = '#,##0.00\\ "€"'
PERCENT_FORMAT = "0.00%"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


def _headers(report: FundingReport) -> list[str]:
    headers = [report.label_header]
    if report.detail_header:
        headers.append(report.detail_header)
    headers += ["Personnes financées", "Personnes hors plafond", "Montant dû (€)",
                "Part du plafond (%)"]
    if report.shows_adjustments:
        headers += ["Ajustements après validation (personnes)",
                    "Ajustements après validation (€)"]
    return headers


def _percent_text(persons: int, cap: int) -> str:
    return str(percent_of_cap(persons, cap)).replace(".", ",")


# -- CSV ----------------------------------------------------------------------------------------


def report_csv(report: FundingReport) -> bytes:
    """UTF-8 with a BOM, `;`-separated, decimal commas: what French Excel opens as is.

    A header row, one row per group, then a "Total" row.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_headers(report))
    for row in report.rows:
        cells = [guard_text(row.label)]
        if report.detail_header:
            cells.append(guard_text(row.detail))
        cells += [row.persons_funded, row.persons_over_cap, format_eur_plain(row.amount_due_cents),
                  _percent_text(row.persons_funded, report.cap)]
        if report.shows_adjustments:
            cells += [row.adjustment_persons, format_eur_plain(row.adjustment_amount_cents)]
        writer.writerow(cells)
    totals = report.totals
    cells = ["Total"] + ([""] if report.detail_header else [])
    cells += [totals.persons_funded, totals.persons_over_cap,
              format_eur_plain(totals.amount_due_cents),
              _percent_text(totals.persons_funded, report.cap)]
    if report.shows_adjustments:
        cells += [totals.adjustment_persons, format_eur_plain(totals.adjustment_amount_cents)]
    writer.writerow(cells)
    return buffer.getvalue().encode("utf-8-sig")


# -- XLSX ---------------------------------------------------------------------------------------


def _text(value: str | None) -> str:
    return xlsx_text(value)


def _set_text(cell, value: str | None) -> None:
    cell.value = _text(value)
    cell.data_type = "s"  # never a formula, whatever openpyxl guesses


def _euros(cents: int) -> Decimal:
    return Decimal(int(cents)) / 100


def _chart_days(report: FundingReport) -> list[tuple[date, int]]:
    """One row per day, from 1 January to the last day worth showing, with the cumulative
    funded persons of that day: the year's end for a past year, today for the current one.
    Days recorded outside the year (an accompaniment of 31 December recorded in January) count
    on its first or last day."""
    first, last = date(report.year, 1, 1), date(report.year, 12, 31)
    counts: dict[date, int] = {}
    for day, count in report.series:  # cumulative, so the last of a day is its figure
        counts[min(max(day, first), last)] = count
    today = paris_day(report.generated_at)
    end = min(last, max([today, first] + list(counts)))
    days, running, day = [], 0, first
    while day <= end:
        running = counts.get(day, running)
        days.append((day, running))
        day += timedelta(days=1)
    return days


def report_xlsx(report: FundingReport) -> bytes:
    """A workbook: "Rapport" (title lines, header, rows, totals), "Ajustements" (changes since
    validation) and "Graphique" (cumulative funded persons against the cap, with its data)."""
    # openpyxl takes a tenth of a second to import and only this XLSX export needs it.
    from openpyxl import Workbook
    from openpyxl.chart import LineChart, Reference
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    top_line = Border(top=Side(style="thin"))

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Rapport"
    for line_number, line in enumerate((report.title(), report.rule_line(),
                                        report.validation_line()), start=1):
        _set_text(sheet.cell(row=line_number, column=1), line)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    generated = paris_time(report.generated_at).replace(tzinfo=None)
    _set_text(sheet.cell(row=4, column=1), f"Édité le {generated:%d/%m/%Y à %H:%M}")

    header_row = 6
    headers = _headers(report)
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=header_row, column=column)
        _set_text(cell, header)
        cell.font, cell.fill = bold, header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    first_figure = 3 if report.detail_header else 2

    def figures(row_number: int, funded: int, over: int, amount: int, adj_persons: int,
                adj_amount: int) -> None:
        values = [(funded, "0"), (over, "0"), (_euros(amount), EUR_FORMAT),
                  ((funded / report.cap) if report.cap > 0 else 0.0, PERCENT_FORMAT)]
        if report.shows_adjustments:
            values += [(adj_persons, "0"), (_euros(adj_amount), EUR_FORMAT)]
        for offset, (value, number_format) in enumerate(values):
            cell = sheet.cell(row=row_number, column=first_figure + offset, value=value)
            cell.number_format = number_format

    row_number = header_row
    for row in report.rows:
        row_number += 1
        _set_text(sheet.cell(row=row_number, column=1), row.label)
        if report.detail_header:
            _set_text(sheet.cell(row=row_number, column=2), row.detail)
        figures(row_number, row.persons_funded, row.persons_over_cap, row.amount_due_cents,
                row.adjustment_persons, row.adjustment_amount_cents)
    row_number += 1
    totals = report.totals
    _set_text(sheet.cell(row=row_number, column=1), "Total")
    figures(row_number, totals.persons_funded, totals.persons_over_cap, totals.amount_due_cents,
            totals.adjustment_persons, totals.adjustment_amount_cents)
    for column in range(1, len(headers) + 1):
        cell = sheet.cell(row=row_number, column=column)
        cell.font, cell.border = bold, top_line
    label_width = max([len(headers[0])] + [len(r.label) for r in report.rows]) + 2
    sheet.column_dimensions["A"].width = min(max(label_width, 24), 60)
    if report.detail_header:
        detail_width = max([len(headers[1])] + [len(r.detail or "") for r in report.rows]) + 2
        sheet.column_dimensions["B"].width = min(max(detail_width, 16), 40)
    for column in range(first_figure, len(headers) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 18
    sheet.row_dimensions[header_row].height = 32
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)

    # Adjustments since validation.
    adjustments = workbook.create_sheet("Ajustements")
    adjustment_headers = ["Date", "Structure", "Commune", "Organisation prescriptrice",
                          "Personnes", "Montant (€)", "Motif", "Par"]
    for column, header in enumerate(adjustment_headers, start=1):
        cell = adjustments.cell(row=1, column=column)
        _set_text(cell, header)
        cell.font, cell.fill = bold, header_fill
    for number, adj in enumerate(report.adjustments, start=2):
        when = adjustments.cell(row=number, column=1,
                                value=paris_time(adj.created_at).replace(tzinfo=None))
        when.number_format = DATETIME_FORMAT
        for column, text in ((2, adj.structure), (3, adj.commune),
                             (4, adj.organisation or ASSISTANT_LABEL), (7, adj.reason),
                             (8, adj.created_by)):
            _set_text(adjustments.cell(row=number, column=column), text)
        adjustments.cell(row=number, column=5, value=adj.persons_delta).number_format = "0"
        amount = adjustments.cell(row=number, column=6, value=_euros(adj.amount_cents_delta))
        amount.number_format = EUR_FORMAT
    if not report.adjustments:
        _set_text(adjustments.cell(row=2, column=1),
                  "Aucun ajustement depuis la validation." if report.validated
                  else "Année non validée : pas d'ajustement.")
    for column, width in zip("ABCDEFGH", (18, 36, 22, 32, 12, 14, 48, 28)):
        adjustments.column_dimensions[column].width = width
    adjustments.freeze_panes = "A2"

    # The chart, with the day-by-day figures it draws.
    graph = workbook.create_sheet("Graphique")
    for column, header in enumerate(("Date", "Personnes financées (cumul)", "Plafond"), start=1):
        cell = graph.cell(row=1, column=column)
        _set_text(cell, header)
        cell.font = bold
    days = _chart_days(report)
    for number, (day, count) in enumerate(days, start=2):
        graph.cell(row=number, column=1, value=day).number_format = DATE_FORMAT
        graph.cell(row=number, column=2, value=count)
        graph.cell(row=number, column=3, value=report.cap)
    for column, width in zip("ABC", (12, 28, 10)):
        graph.column_dimensions[column].width = width
    chart = LineChart()
    chart.title = f"Personnes financées en {report.year} (cumul) et plafond"
    chart.y_axis.title = "Personnes"
    chart.x_axis.title = "Date"
    chart.x_axis.number_format = DATE_FORMAT
    chart.x_axis.tickLblSkip = chart.x_axis.tickMarkSkip = 30  # about one label a month
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height, chart.width = 10, 24
    last_row = len(days) + 1
    chart.add_data(Reference(graph, min_col=2, max_col=3, min_row=1, max_row=last_row),
                   titles_from_data=True)
    chart.set_categories(Reference(graph, min_col=1, min_row=2, max_row=last_row))
    for series in chart.series:
        series.smooth = False
        series.marker.symbol = "none"
    chart.series[1].graphicalProperties.line.dashStyle = "dash"
    graph.add_chart(chart, "E2")

    workbook.properties.title = report.title()
    workbook.properties.creator = "Numérique pour Tous"
    # Created: when the report's figures were read.
    workbook.properties.created = workbook.properties.modified = (
        report.generated_at.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0))
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()

