"""`npt webinars send`, run by the scheduler every minute: offers past their deadline expire,
free seats are offered to the waiting list, then every due notice is sent, by chat (pushed
into the person's conversation as `EXTERNAL_webinar_notice`, said by
actions/webinar_notices.py on their channel, where STOP is honoured) and by email (with the
invitation attached where it matters). Same guarantees as the booking reminders
(bot/notifications/sender.py): a notice is claimed before it is sent, a push Rasa certainly
did not take is retried, one that may have gone out is marked uncertain and never repeated.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import now_paris
from bot.mailer import MailError, email_enabled, send_email
from bot.notifications.rasa_push import DEFAULT_TIMEOUT, PushError, push_intent
from bot.webinars.invitation import invitation_ics
from bot.webinars.notices import WITH_INVITATION, NoticeJob, claim_due, mark_failed, mark_sent
from bot.webinars.offers import expire_offers, offer_free_seats

log = logging.getLogger(__name__)
INTENT = "EXTERNAL_webinar_notice"
_email_off_logged = False


@dataclass
class WebinarSendReport:
    expired: int = 0  # offers not taken in time
    offered: int = 0  # freed seats offered to the waiting list
    sent: int = 0
    failed: int = 0
    uncertain: int = 0
    errors: list[str] = field(default_factory=list)


def invitation_of(job: NoticeJob) -> bytes:
    return invitation_ics(job.registration_id, job.title, job.start, job.minutes, job.link,
                          sequence=job.sequence, description=job.description)


def _send_email(job: NoticeJob) -> None:
    attachments = (("invitation.ics", invitation_of(job), "text/calendar"),) if (
        job.kind in WITH_INVITATION) else ()
    send_email(job.email, job.text("subject"), job.text("email"), attachments)


def send_due(now: datetime | None = None, url: str | None = None, rasa: str | None = None,
             token: str | None = None, limit: int = 50,
             timeout: float = DEFAULT_TIMEOUT) -> WebinarSendReport:
    global _email_off_logged
    now = now or now_paris()
    report = WebinarSendReport()
    report.expired = expire_offers(now, url=url)
    report.offered = offer_free_seats(now, url=url)
    if not email_enabled() and not _email_off_logged:
        _email_off_logged = True
        log.info("webinar emails are off: NPT_SMTP_URL is not set (the chat still tells)")
    for job in claim_due(now, limit=limit, url=url):
        what = f"{job.kind} by {job.medium} (notice {job.id})"
        try:
            if job.medium == "email":
                _send_email(job)
            else:
                push_intent(job.sender_id, job.channel, INTENT,
                            {"webinar_notice": str(job.id)}, url=rasa, token=token,
                            timeout=timeout)
        except PushError as error:
            report.errors.append(f"{what}: {error}")
            mark_failed(job.id, str(error), now, url=url, uncertain=error.maybe_delivered)
            if error.maybe_delivered:
                report.uncertain += 1
                log.warning("%s may have been sent: marked uncertain, not retried (%s)", what,
                            error)
            else:
                report.failed += 1
                log.warning("%s not sent (retried later): %s", what, error)
            continue
        except MailError as error:
            report.errors.append(f"{what}: {error}")
            mark_failed(job.id, str(error), now, url=url)
            report.failed += 1
            log.warning("%s not sent (retried later): %s", what, error)
            continue
        mark_sent(job.id, now, url=url)
        report.sent += 1
    return report
