"""`npt telegram set-webhook`: register the Telegram webhook."""
from __future__ import annotations

from bot.cli.common import fail
from bot.channels.telegram_webhook import TelegramSetupError, set_webhook


def _telegram_set_webhook(args) -> int:
    try:
        url = set_webhook(args.url)
    except TelegramSetupError as error:
        return fail(str(error))
    print(f"Telegram will send updates to {url}")
    return 0


def add_commands(sub) -> None:
    telegram = sub.add_parser("telegram", help="the Telegram channel").add_subparsers(
        dest="telegram", required=True)
    hook = telegram.add_parser("set-webhook", help="register this assistant's webhook with "
                                                   "Telegram (with the secret token)")
    hook.add_argument("--url", help="public HTTPS base URL (default: NPT_PUBLIC_URL)")
    hook.set_defaults(func=_telegram_set_webhook)
