"""`npt`: the operators' command line. Each subcommand calls one function of `bot/`."""
from __future__ import annotations

import argparse
import json
import sys

from bot.diagnostic import AnswersError, GridError, evaluate, load_grid, result_message


def _db_upgrade(args) -> int:
    from bot.config import database_url
    from bot.db.session import current_revision, upgrade

    upgrade(args.url)
    print(f"database at revision {current_revision(args.url)} ({args.url or database_url()})")
    return 0


def _grid_check(args) -> int:
    try:
        grid = load_grid(args.file)
    except GridError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"grid {grid.version}: {len(grid.questions)} questions, {len(grid.levels)} levels, "
          f"max score {grid.max_score}")
    return 0


def _diagnostic_evaluate(args) -> int:
    answers = {}
    for item in args.answers:
        question, sep, value = item.partition("=")
        if not sep or not question.strip():
            print(f"error: {item!r} is not QUESTION=OPTION (for example usage=3)", file=sys.stderr)
            return 2
        answers[question.strip()] = value.strip()
    try:
        result = evaluate(answers, load_grid(args.grid) if args.grid else None)
    except (AnswersError, GridError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    output = result.to_dict()
    output["message"] = result_message(result)
    print(json.dumps(output, ensure_ascii=False, indent=2))
    return 0


def _results_summary(args) -> int:
    from bot.diagnostic.results import level_counts

    counts = level_counts(args.url)
    if not counts:
        print("no diagnostic stored yet")
    for level, count in sorted(counts.items()):
        print(f"{level}\t{count}")
    return 0


def _print_places_report(report) -> None:
    for line in report.lines():
        print(line)


def _places_import(args) -> int:
    from bot.places import PlacesFileError, PlacesImportError, import_places

    try:
        report = import_places(args.file, source=args.source, url=args.url)
    except PlacesFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except PlacesImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _print_places_report(report)
    return 0


def _places_seed(args) -> int:
    from bot.places import PlacesImportError, seed_default_places

    try:
        report = seed_default_places(args.url)
    except PlacesImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _print_places_report(report)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="npt", description="Numérique pour Tous: operators' tools")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="the assistant's database").add_subparsers(dest="db", required=True)
    up = db.add_parser("upgrade", help="create or migrate the database to the latest schema")
    up.add_argument("--url", help="SQLAlchemy URL (default: NPT_DATABASE_URL or var/npt.db)")
    up.set_defaults(func=_db_upgrade)

    grid = sub.add_parser("grid", help="the diagnostic grid").add_subparsers(dest="grid", required=True)
    check = grid.add_parser("check", help="validate a grid file")
    check.add_argument("file", nargs="?", help="grid YAML (default: data/diagnostic.yml)")
    check.set_defaults(func=_grid_check)

    diag = sub.add_parser("diagnostic", help="the diagnostic engine").add_subparsers(dest="diag", required=True)
    ev = diag.add_parser("evaluate", help="score answers given as QUESTION=OPTION")
    ev.add_argument("answers", nargs="+", metavar="QUESTION=OPTION")
    ev.add_argument("--grid", help="grid YAML (default: data/diagnostic.yml)")
    ev.set_defaults(func=_diagnostic_evaluate)

    results = sub.add_parser("results", help="stored diagnostics").add_subparsers(dest="results", required=True)
    summary = results.add_parser("summary", help="count stored diagnostics by level")
    summary.add_argument("--url", help="SQLAlchemy URL (default: NPT_DATABASE_URL or var/npt.db)")
    summary.set_defaults(func=_results_summary)

    places = sub.add_parser("places", help="the directory of places").add_subparsers(dest="places", required=True)
    imp = places.add_parser("import", help="import a CSV file of the national standard "
                                           "'lieux de médiation numérique' v1.0.2 (upsert by source and id)")
    imp.add_argument("file", help="CSV file (UTF-8, ',' or ';' separated, header with the standard's columns)")
    imp.add_argument("--source", help="name of the source its rows belong to (default: the file's name)")
    imp.add_argument("--url", help="SQLAlchemy URL (default: NPT_DATABASE_URL or var/npt.db)")
    imp.set_defaults(func=_places_import)
    seed = places.add_parser("seed", help="import the default directory (France Services sites of the MGP)")
    seed.add_argument("--url", help="SQLAlchemy URL (default: NPT_DATABASE_URL or var/npt.db)")
    seed.set_defaults(func=_places_seed)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
