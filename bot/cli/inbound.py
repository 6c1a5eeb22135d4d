"""`npt inbound`: messages received from people, by channel and processing status."""
from __future__ import annotations

import sys

from bot.channels import sms_store, telegram_store


def _inbound(args) -> int:
    counts = {"sms": sms_store.inbound_counts(args.url),
              "telegram": telegram_store.counts(args.url)}
    for channel, by_status in counts.items():
        line = ", ".join(f"{status} {count}" for status, count in sorted(by_status.items()))
        print(f"{channel}\t{line or 'none'}")
    stuck = sum(by_status.get("failed", 0) for by_status in counts.values())
    if stuck:
        print(f"{stuck} message(s) could not be processed: see their last_error (sms_messages, "
              "channel_updates) and the Rasa log", file=sys.stderr)
    return 1 if stuck else 0


def add_commands(sub) -> None:
    inbound = sub.add_parser("inbound", help="messages received by SMS and Telegram, by status "
                                             "(exit 1 when some could not be processed)")
    inbound.add_argument("--url", help="database URL (default: NPT_DATABASE_URL)")
    inbound.set_defaults(func=_inbound)
