"""`npt results summary`: stored diagnostics by level."""
from __future__ import annotations

from bot.cli.common import URL_HELP
from bot.diagnostic.results import level_counts


def _results_summary(args) -> int:
    counts = level_counts(args.url)
    if not counts:
        print("no diagnostic stored yet")
    for level, count in sorted(counts.items()):
        print(f"{level}\t{count}")
    return 0


def add_commands(sub) -> None:
    results = sub.add_parser("results", help="stored diagnostics").add_subparsers(dest="results", required=True)
    summary = results.add_parser("summary", help="count stored diagnostics by level")
    summary.add_argument("--url", help=URL_HELP)
    summary.set_defaults(func=_results_summary)
