"""Retention (PRODUCT.md "Privacy"): what is older than NPT_RETENTION_MONTHS (12) goes.

`purge(now)` deletes, in this order:

- Rasa conversations (tracker database, table `events`) whose latest event is older than the
  cut-off, whole: a conversation still going on keeps its old turns;
- the number, texts, choices and error texts of SMS stored before the cut-off (the rows stay:
  counts, segments and statuses feed the SMS figures);
- chat choices and channel update ids older than the cut-off;
- stored diagnostics older than the cut-off that no referral points at (a referral's diagnostic
  stays: the funding of the structure rests on it, under the pseudonym only);
- the contact data of bookings (sender id, first name, and the error texts of their reminders)
  whose appointment ended more than NPT_RETENTION_BOOKING_DAYS (30) ago.

Referrals, their audit log, funding entries, merges and the people rows (consent, the STOP
marker) stay: they hold pseudonymous keys and counts only. The scheduler runs it once a day;
`npt privacy purge` by hand (`--dry-run` counts without changing anything).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select

from bot import clock
from bot.booking.bookings import forget_past_contacts
from bot.channels import channel_store, sms_store
from bot.config import retention_booking_days, retention_months
from bot.db.models import Referral, StoredDiagnostic
from bot.db.session import session_scope
from bot.people.tracker_data import has_events_table, purge_conversations
from bot.webinars.privacy import purge_past_registrations


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` calendar months earlier (31 March - 1 = 28/29 Feb)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


@dataclass
class PurgeReport:
    """What a purge did (or, with dry_run, would do): counts per table."""

    now: datetime  # aware
    cutoff: datetime  # aware: older than this goes
    booking_cutoff: datetime  # aware: appointments ended before this lose their contact data
    months: int
    booking_days: int
    dry_run: bool
    tracker_available: bool = True
    counts: dict[str, int] = field(default_factory=dict)

    DESCRIPTIONS = {
        "tracker conversations": "conversations deleted (whole)",
        "tracker events": "events of those conversations deleted",
        "sms_messages": "SMS blanked (number, text, choices, error)",
        "chat_choices": "chat choices deleted",
        "channel_updates": "channel update ids deleted",
        "diagnostic_results": "diagnostics deleted (none a referral needs)",
        "bookings": "bookings' contact data blanked (sender id, first name)",
    }

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        from zoneinfo import ZoneInfo

        paris = ZoneInfo("Europe/Paris")
        verb = "would be"
        head = [
            f"{'dry run, nothing changed: ' if self.dry_run else ''}data older than "
            f"{self.cutoff.astimezone(paris):%Y-%m-%d %H:%M %Z} ({self.months} months); booking "
            f"contact data of appointments ended before "
            f"{self.booking_cutoff.astimezone(paris):%Y-%m-%d %H:%M %Z} ({self.booking_days} days)",
        ]
        width = max(len(name) for name in self.DESCRIPTIONS)
        for name, description in self.DESCRIPTIONS.items():
            if name.startswith("tracker") and not self.tracker_available:
                head.append(f"{name:<{width}}  - (no tracker table yet: no conversation stored)")
                continue
            count = self.counts.get(name, 0)
            what = description.replace("deleted", f"{verb} deleted").replace(
                "blanked", f"{verb} blanked") if self.dry_run else description
            head.append(f"{name:<{width}}  {count:>6}  {what}")
        return head


def _diagnostics(cutoff_db: datetime, dry_run: bool, url: str | None) -> int:
    needed = select(Referral.diagnostic_id).where(Referral.diagnostic_id.isnot(None))
    condition = (StoredDiagnostic.created_at < cutoff_db, StoredDiagnostic.id.not_in(needed))
    with session_scope(url) as session:
        if dry_run:
            return session.execute(select(func.count(StoredDiagnostic.id)).where(*condition)
                                   ).scalar() or 0
        return session.execute(delete(StoredDiagnostic).where(*condition)
                               .execution_options(synchronize_session=False)).rowcount or 0


def purge(now: datetime | None = None, dry_run: bool = False, url: str | None = None,
          tracker_url: str | None = None, months: int | None = None,
          booking_days: int | None = None) -> PurgeReport:
    """Delete (or with `dry_run` count) what is older than the retention period; see the module.

    `now` is aware (default: the current time); `months` and `booking_days` default to
    NPT_RETENTION_MONTHS and NPT_RETENTION_BOOKING_DAYS (a wrong value there raises
    bot.config.SettingError: nothing is deleted on a typo). Each table is its own transaction:
    a purge stopped half-way is finished by the next one.
    """

    if now is None:
        now = clock.utc_now()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware: {now!r}")
    months = retention_months(strict=True) if months is None else int(months)
    booking_days = retention_booking_days(strict=True) if booking_days is None else int(booking_days)
    if months < 1 or booking_days < 1:
        raise ValueError("the retention periods are at least 1 month and 1 day")
    cutoff = months_before(now, months)
    booking_cutoff = now - timedelta(days=booking_days)
    report = PurgeReport(now=now, cutoff=cutoff, booking_cutoff=booking_cutoff, months=months,
                         booking_days=booking_days, dry_run=dry_run)
    cutoff_db = _naive_utc(cutoff)

    report.tracker_available = has_events_table(tracker_url)
    tracker = purge_conversations(cutoff.timestamp(), dry_run=dry_run, url=tracker_url)
    report.counts["tracker conversations"] = tracker.conversations
    report.counts["tracker events"] = tracker.events
    report.counts["sms_messages"] = sms_store.purge_before(cutoff_db, dry_run=dry_run, url=url)
    channels = channel_store.purge_before(cutoff_db, dry_run=dry_run, url=url)
    report.counts["chat_choices"] = channels.chat_choices
    report.counts["channel_updates"] = channels.channel_updates
    report.counts["diagnostic_results"] = _diagnostics(cutoff_db, dry_run, url)
    report.counts["bookings"] = forget_past_contacts(booking_cutoff, dry_run=dry_run, now=now,
                                                     url=url)
    report.counts["webinar_registrations"] = purge_past_registrations(cutoff, dry_run=dry_run,
                                                                      url=url)
    return report
