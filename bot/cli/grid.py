"""`npt grid check`: validate a diagnostic grid file and name the fault."""
from __future__ import annotations

from bot.cli.common import fail
from bot.diagnostic import GridError, load_grid


def _grid_check(args) -> int:
    try:
        grid = load_grid(args.file)
    except GridError as error:
        return fail(str(error))
    print(f"grid {grid.version}: {len(grid.questions)} questions, {len(grid.levels)} levels, "
          f"max score {grid.max_score}")
    return 0


def add_commands(sub) -> None:
    grid = sub.add_parser("grid", help="the diagnostic grid").add_subparsers(dest="grid", required=True)
    check = grid.add_parser("check", help="validate a grid file")
    check.add_argument("file", nargs="?", help="grid YAML (default: data/diagnostic.yml)")
    check.set_defaults(func=_grid_check)
