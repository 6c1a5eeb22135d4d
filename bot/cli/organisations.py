"""`npt organisations create|list|revoke|code`: prescripteur organisations and their codes."""
from __future__ import annotations

from bot.cli.common import URL_HELP, cli_user, database_errors, fail
from bot.prescripteurs.organisations import (KINDS, OrganisationError, add_code,
                                             create_organisation, list_organisations, revoke_code)

SHOWN_ONCE = ("(shown once: only a keyed hash is kept; give it to the organisation's "
              "prescripteurs, revoke it with `npt organisations revoke CODE`)")


@database_errors
def _create(args) -> int:
    try:
        organisation, code = create_organisation(args.name, args.kind, args.commune,
                                                 actor=cli_user(), url=args.url)
    except OrganisationError as error:
        return fail(str(error))
    print(f"organisation {organisation.id} created: {organisation.name} "
          f"({KINDS[organisation.kind]}, {organisation.commune})")
    print(f"code: {code}")
    print(SHOWN_ONCE)
    return 0


@database_errors
def _new_code(args) -> int:
    try:
        code = add_code(args.name, actor=cli_user(), url=args.url)
    except OrganisationError as error:
        return fail(str(error))
    print(f"code: {code}")
    print(SHOWN_ONCE)
    return 0


@database_errors
def _list(args) -> int:
    rows = list_organisations(args.url)
    if not rows:
        print("no organisation yet (npt organisations create NAME --kind KIND --commune COMMUNE)")
    for row in rows:
        codes = ", ".join(row.active_codes) or "none"
        print(f"{row.id}\t{row.name}\t{KINDS[row.kind]}\t{row.commune}\tactive codes: {codes}"
              f"\trevoked: {row.revoked_codes}")
    return 0


@database_errors
def _revoke(args) -> int:
    try:
        organisation = revoke_code(args.code, actor=cli_user(), url=args.url)
    except OrganisationError as error:
        return fail(str(error))
    print(f"code revoked: it no longer opens the prescripteur mode of {organisation.name}")
    return 0


def add_commands(sub) -> None:
    group = sub.add_parser("organisations", help="prescripteur organisations and their access "
                                                 "codes").add_subparsers(dest="organisations",
                                                                         required=True)
    create = group.add_parser("create", help="a new organisation; prints its code once")
    create.add_argument("name")
    create.add_argument("--kind", required=True,
                        help=f"one of: {', '.join(KINDS)} (\"La Poste\", \"other\" also read)")
    create.add_argument("--commune", required=True,
                        help="the member commune it serves: name, postcode or INSEE code")
    create.add_argument("--url", help=URL_HELP)
    create.set_defaults(func=_create)
    code = group.add_parser("code", help="another code for an organisation; prints it once")
    code.add_argument("name")
    code.add_argument("--url", help=URL_HELP)
    code.set_defaults(func=_new_code)
    listing = group.add_parser("list", help="organisations, their commune and codes (hints only)")
    listing.add_argument("--url", help=URL_HELP)
    listing.set_defaults(func=_list)
    revoke = group.add_parser("revoke", help="revoke a code: it opens nothing any more")
    revoke.add_argument("code")
    revoke.add_argument("--url", help=URL_HELP)
    revoke.set_defaults(func=_revoke)
