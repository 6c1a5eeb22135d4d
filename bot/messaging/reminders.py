"""Sending the reminders that are due: `npt reminders send`, called by the scheduler.

Each due reminder is claimed first (a second sender never gets the same one), then pushed
into the person's conversation as the external intent `EXTERNAL_reminder` (or
`EXTERNAL_structure_cancelled` when a structure cancelled the booking): the action
`action_send_reminder` (`action_tell_structure_cancelled`) says it on the person's channel,
like any reply. A reminder is marked
sent only when Rasa took it; a failure is retried by the next round (bot/reminders).
"""
from __future__ import annotations

import logging
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone

from bot.messaging.rasa_push import PushError, push_intent, rasa_url
from bot.reminders import claim_due, mark_failed, mark_sent
from bot.reminders.store import REMINDER, STRUCTURE_CANCELLED

log = logging.getLogger(__name__)

REMINDER_INTENT = "EXTERNAL_reminder"
# Each kind of booking message has its external intent, and its action in actions/reminders.py.
INTENTS = {REMINDER: REMINDER_INTENT, STRUCTURE_CANCELLED: "EXTERNAL_structure_cancelled"}


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def rasa_is_up(url: str | None = None) -> bool:
    try:
        with urllib.request.urlopen(url or rasa_url(), timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


def send_due_reminders(now: datetime | None = None, url: str | None = None,
                       rasa: str | None = None, token: str | None = None,
                       limit: int = 50) -> SendReport:
    """Send every reminder due at `now`; returns what was sent and what failed."""
    now = now or datetime.now(timezone.utc)
    report = SendReport()
    for job in claim_due(now, limit=limit, url=url):
        try:
            push_intent(job.sender_id, job.channel, INTENTS[job.kind],
                        {"reference": job.reference}, url=rasa, token=token)
        except PushError as error:
            mark_failed(job.id, str(error), now, url=url)
            report.failed += 1
            report.errors.append(f"{job.reference}: {error}")
            log.warning("reminder %s not sent: %s", job.reference, error)
            continue
        mark_sent(job.id, now, url=url)
        report.sent += 1
    return report
