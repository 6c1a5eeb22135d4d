"""`npt`: the operators' command line. Each command group is one module of this package that
adds its subcommands (`add_commands`); each subcommand calls one function of `bot/`. What the
groups share (the one-line error, the database guard, dates, place references) is in
`bot.cli.common`; no group imports this module."""
from __future__ import annotations

import argparse

from bot.cli import (accounts, bookings, db, diagnostic, funding, grid, inbound, organisations,
                     partners, places, privacy, reminders, results, telegram, webinars)

# The order of `npt --help`.
GROUPS = (db, grid, diagnostic, results, places, partners, bookings, reminders, inbound, telegram,
          privacy, funding, accounts, organisations, webinars)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="npt", description="Numérique pour Tous: operators' tools")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
