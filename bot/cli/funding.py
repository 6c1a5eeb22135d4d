"""`npt funding ...`: the funding rules and the ledger from the command line.

    npt funding check [FILE]                     validate data/funding.yml; each year's rate and cap
    npt funding mark REFERRAL_ID --accompanied YYYY-MM-DD | --absent [--note TEXT]
    npt funding merge FROM_KEY INTO_KEY --reason TEXT
    npt funding validate --year YYYY
    npt funding recompute --year YYYY --reason TEXT

The operator acts as role "cli", named "cli:<OS user>" in the audit log. Every error is one
line on stderr and exit code 2. The report command (bot.cli.funding_report) joins the same
`funding` group.
"""
from __future__ import annotations

from bot.cli.common import URL_HELP, cli_user, database_errors, fail, parse_day
from bot.cli.funding_report import add_report_commands
from bot.funding.actors import Actor
from bot.funding.errors import FundingError
from bot.funding.marking import mark_absent, mark_accompanied
from bot.funding.merges import merge_persons
from bot.funding.rules import FundingRulesError, UnknownFundingYear, load_rules, rules_path
from bot.funding.years import recompute_year, validate_year, year_summary


def cli_actor() -> Actor:
    return Actor(name=cli_user(), role="cli")


def _guarded(func):
    """Refusals of the ledger, bad arguments, a broken rules file and an unusable database are
    one line on stderr and exit 2, never a traceback."""
    @database_errors
    def run(args) -> int:
        try:
            return func(args)
        except (FundingError, FundingRulesError, UnknownFundingYear, ValueError) as error:
            return fail(" ".join(str(error).split()))
    return run


def _whole(value: str, what: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or len(text) > 12:
        raise ValueError(f"{what} {value!r} is not a whole number")
    return int(text)


def _year(value: str) -> int:
    text = str(value).strip()
    if not (text.isdigit() and len(text) == 4):
        raise ValueError(f"--year {value!r} is not a year YYYY")
    return int(text)


def _eur(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d} EUR"


@_guarded
def _check(args) -> int:
    path = rules_path(args.file)
    rules = load_rules(path)
    print(f"{path}: {len(rules)} year{'s' if len(rules) > 1 else ''}")
    for rule in rules.values():
        print(f"{rule.year}: {_eur(rule.rate_cents)} per person, cap {rule.cap} persons")
    return 0


def _describe(result) -> str:
    if result.status != "accompanied":
        text = f"referral {result.referral_id}: {result.status}"
    else:
        text = f"referral {result.referral_id}: accompanied on {result.accompanied_on.isoformat()}"
        if result.rank is not None:
            state = (f"funded ({_eur(result.amount_cents or 0)})" if result.funded
                     else "over the cap (hors plafond, not funded)")
            counted = ("" if result.counted_referral_id in (None, result.referral_id)
                       else f", counted by referral {result.counted_referral_id}")
            text += f"; {result.year}: the person is rank {result.rank}, {state}{counted}"
    if not result.changed:
        text += " (already so: nothing changed)"
    if result.adjustments:
        text += f"; {result.adjustments} adjustment(s) recorded in the validated year"
    return text


@_guarded
def _mark(args) -> int:
    referral_id = _whole(args.referral, "REFERRAL_ID")
    if args.absent:
        result = mark_absent(referral_id, actor=cli_actor(), note=args.note, url=args.url)
    else:
        on = parse_day(args.accompanied, "--accompanied")
        result = mark_accompanied(referral_id, on=on, actor=cli_actor(), note=args.note,
                                  url=args.url)
    print(_describe(result))
    return 0


@_guarded
def _merge(args) -> int:
    result = merge_persons(args.from_key, args.into_key, actor=cli_actor(), reason=args.reason,
                           url=args.url)
    years = ", ".join(str(year) for year in result.years) or "none"
    print(f"{result.from_key} merged into {result.into_key} (the person is now "
          f"{result.canonical_key}); years recomputed: {years}; "
          f"{len(result.adjustments)} adjustment(s) recorded")
    return 0


@_guarded
def _validate(args) -> int:
    summary = validate_year(_year(args.year), actor=cli_actor(), url=args.url)
    print(f"{summary.year} validated by {summary.validated_by}: {summary.validated_persons} "
          f"persons funded, {_eur(summary.validated_amount_cents)}; "
          f"{summary.persons_over_cap} over the cap")
    return 0


@_guarded
def _recompute(args) -> int:
    adjustments = recompute_year(_year(args.year), actor=cli_actor(), reason=args.reason,
                                 url=args.url)
    summary = year_summary(_year(args.year), url=args.url)
    print(f"{summary.year}: {summary.persons_funded} persons funded, "
          f"{summary.persons_over_cap} over the cap, {_eur(summary.amount_cents)}; "
          f"{len(adjustments)} adjustment(s) recorded")
    for adjustment in adjustments:
        print(f"  {adjustment.person_key} place {adjustment.place_pk}: "
              f"{adjustment.persons_delta:+d} person, {adjustment.amount_cents_delta / 100:+.2f} EUR")
    return 0


def add_ledger_commands(funding) -> None:
    """The ledger's commands in the `funding` subparsers group."""
    check = funding.add_parser("check", help="validate the funding rules file; print each "
                                             "year's rate and cap")
    check.add_argument("file", nargs="?", help="funding YAML (default: NPT_FUNDING_RULES or "
                                               "data/funding.yml)")
    check.set_defaults(func=_check)

    mark = funding.add_parser("mark", help="say a referral's person was accompanied (on a day) "
                                           "or absent; corrections too")
    mark.add_argument("referral", metavar="REFERRAL_ID")
    outcome = mark.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--accompanied", metavar="YYYY-MM-DD", help="the day of the accompaniment")
    outcome.add_argument("--absent", action="store_true", help="the person did not come")
    mark.add_argument("--note", help="why (kept in the audit log)")
    mark.add_argument("--url", help=URL_HELP)
    mark.set_defaults(func=_mark)

    merge = funding.add_parser("merge", help="FROM_KEY is the same person as INTO_KEY (counted "
                                             "once a year); recomputes the years concerned")
    merge.add_argument("from_key", metavar="FROM_KEY")
    merge.add_argument("into_key", metavar="INTO_KEY")
    merge.add_argument("--reason", required=True, help="why (kept with the merge)")
    merge.add_argument("--url", help=URL_HELP)
    merge.set_defaults(func=_merge)

    validate = funding.add_parser("validate", help="freeze a year's totals; later changes are "
                                                   "recorded as adjustments")
    validate.add_argument("--year", required=True, metavar="YYYY")
    validate.add_argument("--url", help=URL_HELP)
    validate.set_defaults(func=_validate)

    recompute = funding.add_parser("recompute", help="compute a year's ledger again from the "
                                                     "referrals (e.g. after the rules changed)")
    recompute.add_argument("--year", required=True, metavar="YYYY")
    recompute.add_argument("--reason", required=True, help="why (kept with any adjustment)")
    recompute.add_argument("--url", help=URL_HELP)
    recompute.set_defaults(func=_recompute)


def add_commands(subparsers) -> None:
    """`npt funding ...` in the `npt` parser (called by bot.cli.build_parser)."""
    funding = subparsers.add_parser("funding", help="funding rules, ledger and reports") \
        .add_subparsers(dest="funding", required=True)
    add_ledger_commands(funding)
    add_report_commands(funding)
