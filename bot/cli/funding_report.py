"""`npt funding report`: the yearly funding report as a table, CSV or XLSX.

    npt funding report --year 2026 [--by structure|commune|ept|organisation]
                       [--format table|csv|xlsx] [--output FILE] [--url URL] [--rules FILE]

Errors are one line on stderr and exit 2.
"""
from __future__ import annotations

import sys

from bot.cli.common import database_errors, fail, write_output
from bot.funding.export import report_csv, report_xlsx
from bot.funding.report import (GROUPINGS, FundingReport, format_eur, format_int, format_percent,
                                funding_report, printable)
from bot.funding.rules import FundingRulesError, UnknownFundingYear

FORMATS = ("table", "csv", "xlsx")


def add_report_commands(funding_subparsers) -> None:
    """Add `report` to the subcommands of `npt funding`."""
    report = funding_subparsers.add_parser(
        "report", help="the yearly funding report (persons funded, over the cap, amount due)",
        description="The funding report of a year, grouped by structure, commune, EPT or "
                    "prescripteur organisation: persons funded, persons over the cap, amount "
                    "due, and the adjustments made since the year was validated.")
    report.add_argument("--year", type=int, required=True, help="the programme year, e.g. 2026")
    report.add_argument("--by", choices=tuple(GROUPINGS), default="structure",
                        help="how to group the rows (default: structure)")
    report.add_argument("--format", choices=FORMATS, default="table",
                        help="table (text, default), csv (French Excel) or xlsx (needs --output)")
    report.add_argument("--output", "-o", metavar="FILE",
                        help="write to FILE instead of the standard output ('-': standard output)")
    report.add_argument("--url", help="database URL (default: NPT_DATABASE_URL)")
    report.add_argument("--rules", metavar="FILE",
                        help="funding rules file (default: data/funding.yml)")
    report.set_defaults(func=_funding_report)


@database_errors
def _funding_report(args) -> int:
    to_stdout = args.output in (None, "-")
    if args.format == "xlsx":
        if args.output is None:
            return fail("--format xlsx writes a binary file: give --output FILE.xlsx")
        if to_stdout and sys.stdout.isatty():
            return fail("will not write a binary XLSX file to the terminal: give --output "
                         "FILE.xlsx or redirect the output")
    try:
        report = funding_report(args.year, args.by, url=args.url, rules_path=args.rules)
    except (UnknownFundingYear, FundingRulesError, ValueError) as error:
        return fail(str(error))
    if args.format == "table":
        data = report_table(report).encode("utf-8")
    elif args.format == "csv":
        data = report_csv(report)
    else:
        data = report_xlsx(report)
    if to_stdout and args.format == "table":
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
        return 0
    failed = write_output(args.output, data)
    if failed is not None or to_stdout:
        return failed or 0
    rows = len(report.rows)
    print(f"{args.output}: funding report {report.year} by {report.by}, "
          f"{rows} row{'s' if rows != 1 else ''}, {report.totals.persons_funded} persons funded",
          file=sys.stderr)
    return 0


def report_table(report: FundingReport) -> str:
    """The report as an aligned text table, with its title lines and a total line."""
    headers = [report.label_header] + ([report.detail_header] if report.detail_header else [])
    text_columns = len(headers)
    headers += ["Financées", "Hors plafond", "Montant dû", "Part du plafond"]
    if report.shows_adjustments:
        headers += ["Ajust. personnes", "Ajust. montant"]

    def figures(funded, over, amount, adj_persons, adj_amount) -> list[str]:
        cells = [format_int(funded), format_int(over), format_eur(amount),
                 format_percent(funded, report.cap)]
        if report.shows_adjustments:
            cells += [f"{'+' if adj_persons > 0 else ''}{format_int(adj_persons)}",
                      f"{'+' if adj_amount > 0 else ''}{format_eur(adj_amount)}"]
        return cells

    lines = [[printable(row.label)]
             + ([printable(row.detail or "")] if report.detail_header else [])
             + figures(row.persons_funded, row.persons_over_cap, row.amount_due_cents,
                       row.adjustment_persons, row.adjustment_amount_cents)
             for row in report.rows]
    t = report.totals
    total = (["Total"] + [""] * (text_columns - 1)
             + figures(t.persons_funded, t.persons_over_cap, t.amount_due_cents,
                       t.adjustment_persons, t.adjustment_amount_cents))
    widths = [max(len(cells[i]) for cells in [headers, total, *lines]) for i in range(len(headers))]

    def render(cells: list[str]) -> str:
        parts = [cell.ljust(widths[i]) if i < text_columns else cell.rjust(widths[i])
                 for i, cell in enumerate(cells)]
        return "  ".join(parts).rstrip()

    out = [report.title(), report.rule_line(), printable(report.validation_line()), "",
           render(headers), "  ".join("-" * w for w in widths)]
    out += [render(cells) for cells in lines]
    if not lines:
        out.append(f"(aucune personne comptée en {report.year})")
    out += ["  ".join("-" * w for w in widths), render(total)]
    return "\n".join(out) + "\n"
