"""`npt places import FILE`, `npt places seed`: the directory of places."""
from __future__ import annotations

from bot.cli.common import URL_HELP, fail
from bot.places import PlacesFileError, PlacesImportError, import_places, seed_default_places


def _print_report(report) -> None:
    for line in report.lines():
        print(line)


def _places_import(args) -> int:
    try:
        report = import_places(args.file, source=args.source, url=args.url)
    except PlacesFileError as error:
        return fail(str(error))
    except PlacesImportError as error:
        return fail(str(error), code=1)
    _print_report(report)
    return 0


def _places_seed(args) -> int:
    try:
        report = seed_default_places(args.url)
    except PlacesImportError as error:
        return fail(str(error), code=1)
    _print_report(report)
    return 0


def add_commands(sub) -> None:
    places = sub.add_parser("places", help="the directory of places").add_subparsers(dest="places", required=True)
    imp = places.add_parser("import", help="import a CSV file of the national standard "
                                           "'lieux de médiation numérique' v1.0.2 (upsert by source and id)")
    imp.add_argument("file", help="CSV file (UTF-8, ',' or ';' separated, header with the standard's columns)")
    imp.add_argument("--source", help="name of the source its rows belong to (default: the file's name)")
    imp.add_argument("--url", help=URL_HELP)
    imp.set_defaults(func=_places_import)
    seed = places.add_parser("seed", help="import the default directory (France Services sites of the MGP)")
    seed.add_argument("--url", help=URL_HELP)
    seed.set_defaults(func=_places_seed)
