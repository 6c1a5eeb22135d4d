"""`npt accounts`: back-office accounts are created and managed from the command line."""
from __future__ import annotations

import getpass
import secrets
import sys

from bot.booking.partners.database import check_database
from bot.booking.partners.errors import PartnersError
from bot.cli.common import URL_HELP, database_errors, fail, place_pk_of


def _read_password(args) -> str:
    """The new password: from stdin (--password-stdin), made up (--generate), or typed twice."""
    if args.generate:
        return secrets.token_urlsafe(15)  # 20 characters
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to type the password: use --password-stdin or --generate")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _create(args) -> int:
    # imported on use: its module hashes a password at import (+0.16 s to every `npt` start)
    from bot.web.backoffice.accounts import AccountError, create_account

    try:
        place_pk = place_pk_of(args.place, args.url)
    except PartnersError as error:
        return fail(str(error))
    try:
        password = _read_password(args)
        account = create_account(email=args.email, display_name=args.name, role=args.role,
                                 password=password, place_pk=place_pk, url=args.url)
    except (AccountError, ValueError) as error:
        return fail(str(error))
    where = f" for {account.place_name} (place {account.place_pk})" if account.place_pk else ""
    print(f"account {account.id} created: {account.email}, role {account.role}{where}")
    if args.generate:
        print(f"password (shown once): {password}")
    return 0


def _password(args) -> int:
    # imported on use: its module hashes a password at import (+0.16 s to every `npt` start)
    from bot.web.backoffice.accounts import AccountError, set_password

    try:
        password = _read_password(args)
        set_password(args.email, password, url=args.url)
    except (AccountError, ValueError) as error:
        return fail(str(error))
    print(f"password changed for {args.email.strip().lower()}")
    if args.generate:
        print(f"password (shown once): {password}")
    return 0


def _active(args, active: bool) -> int:
    # imported on use: its module hashes a password at import (+0.16 s to every `npt` start)
    from bot.web.backoffice.accounts import AccountError, set_active

    try:
        set_active(args.email, active, url=args.url)
    except AccountError as error:
        return fail(str(error))
    print(f"account {args.email.strip().lower()} {'enabled' if active else 'disabled'}")
    return 0


def _list(args) -> int:
    # imported on use: its module hashes a password at import (+0.16 s to every `npt` start)
    from bot.web.backoffice.accounts import list_accounts

    try:
        check_database(args.url)
    except PartnersError as error:
        return fail(str(error))
    accounts = list_accounts(args.url)
    if not accounts:
        print("no account (create one: npt accounts create --help)")
    for account in accounts:
        where = f"\t{account.place_name} (place {account.place_pk})" if account.place_pk else ""
        state = "" if account.active else "\t[disabled]"
        print(f"{account.id}\t{account.email}\t{account.role}\t{account.display_name}{where}{state}")
    return 0


def add_commands(subparsers) -> None:
    accounts = subparsers.add_parser("accounts", help="back-office accounts").add_subparsers(
        dest="accounts", required=True)

    def password_options(parser) -> None:
        how = parser.add_mutually_exclusive_group()
        how.add_argument("--password-stdin", action="store_true",
                         help="read the password from the first line of standard input")
        how.add_argument("--generate", action="store_true",
                         help="make up a strong password and print it once")

    create = accounts.add_parser(
        "create", help="create an account (the password is typed twice, read from stdin, or "
                       f"generated; at least 12 characters)")
    create.add_argument("--email", required=True, help="the login (an e-mail address)")
    create.add_argument("--name", required=True, help="the person's name, shown in the audit log")
    create.add_argument("--role", required=True, choices=("structure", "admin"),
                        help="structure: staff of one place; admin: the Métropole team")
    create.add_argument("--place", metavar="PLACE_REF",
                        help="for a structure account: SOURCE:ID or the place's number")
    password_options(create)
    create.add_argument("--url", help=URL_HELP)
    create.set_defaults(func=database_errors(_create))

    password = accounts.add_parser("password", help="set a new password (unlocks the account)")
    password.add_argument("email")
    password_options(password)
    password.add_argument("--url", help=URL_HELP)
    password.set_defaults(func=database_errors(_password))

    for name, active in (("disable", False), ("enable", True)):
        command = accounts.add_parser(name, help=f"{name} an account"
                                      + (" (its sessions end at once)" if not active else ""))
        command.add_argument("email")
        command.add_argument("--url", help=URL_HELP)
        command.set_defaults(func=database_errors(lambda args, active=active: _active(args, active)))

    listing = accounts.add_parser("list", help="every account, its role and place")
    listing.add_argument("--url", help=URL_HELP)
    listing.set_defaults(func=database_errors(_list))
