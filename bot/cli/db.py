"""`npt db upgrade`: create or migrate the database."""
from __future__ import annotations

from bot.cli.common import URL_HELP
from bot.config import database_url
from bot.db.session import current_revision, upgrade


def _db_upgrade(args) -> int:
    upgrade(args.url)
    print(f"database at revision {current_revision(args.url)} ({args.url or database_url()})")
    return 0


def add_commands(sub) -> None:
    db = sub.add_parser("db", help="the assistant's database").add_subparsers(dest="db", required=True)
    up = db.add_parser("upgrade", help="create or migrate the database to the latest schema")
    up.add_argument("--url", help=URL_HELP)
    up.set_defaults(func=_db_upgrade)
