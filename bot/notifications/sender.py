"""Sending what the outbox holds that is due: `npt reminders send`, run by the scheduler.

Each due row is claimed first (a second sender never gets the same one), then pushed into the
person's conversation as its notifier's external intent (`EXTERNAL_reminder`,
`EXTERNAL_structure_cancelled`, ...): the notifier's action (actions/notifications.py) checks it
again and says it on the person's channel through the same sending code as every reply (where a
STOP is honoured). A row is sent at most once: it is marked sent when Rasa took it; a push Rasa
certainly did not take (no connection, an error status) is retried by a later round; a push
that may have gone out all the same (no answer within the timeout, the connection broke after
the request was sent) is marked `uncertain`, never retried, and logged as a warning for the
operator.
"""
from __future__ import annotations

import logging
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import utc_now
from bot.notifications.outbox import claim_due, mark_failed, mark_sent, mark_uncertain
from bot.notifications.rasa_push import DEFAULT_TIMEOUT, PushError, push_intent, rasa_url
from bot.notifications.registry import notifier

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0  # certainly not sent: retried by a later round (or given up)
    uncertain: int = 0  # may have been sent: never retried, for the operator to check
    errors: list[str] = field(default_factory=list)


def rasa_is_up(url: str | None = None) -> bool:
    try:
        with urllib.request.urlopen(url or rasa_url(), timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


def send_due(now: datetime | None = None, url: str | None = None, rasa: str | None = None,
             token: str | None = None, limit: int = 50,
             timeout: float = DEFAULT_TIMEOUT) -> SendReport:
    """Send every notification due at `now`; returns what was sent, what failed and what may
    have been sent (`timeout`: how long a push may wait for Rasa's answer)."""
    now = now or utc_now()
    report = SendReport()
    for job in claim_due(now, limit=limit, url=url):
        try:
            push_intent(job.sender_id, job.channel, notifier(job.kind).intent,
                        {"reference": job.reference}, url=rasa, token=token, timeout=timeout)
        except PushError as error:
            report.errors.append(f"{job.reference}: {error}")
            if error.maybe_delivered:
                mark_uncertain(job.id, str(error), now, url=url)
                report.uncertain += 1
                log.warning("%s %s (id %s) may have been sent: marked uncertain, it will "
                            "not be retried automatically (%s)", job.kind, job.reference, job.id,
                            error)
                continue
            mark_failed(job.id, str(error), now, url=url)
            report.failed += 1
            log.warning("%s %s not sent (retried later): %s", job.kind, job.reference, error)
            continue
        mark_sent(job.id, now, url=url)
        report.sent += 1
    return report
