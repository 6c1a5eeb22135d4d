"""The assistant's scheduler: the jobs of `JOBS`, each at its own period.

| job | period | what |
|---|---|---|
| reminders | `NPT_SCHEDULER_SECONDS` (60) | send the reminders that are due (`npt reminders send`); skipped while Rasa is not up, so that nothing is marked failed during a restart |
| privacy purge | once a day, and once at start | delete what is older than the retention period (`npt privacy purge`) |

Started by `make run` beside Rasa. Every job runs at start, then each `period` seconds after its
previous turn began (a job not ready is looked at again a period later). A job that fails is logged and tried again at its next turn; the loop never
stops for it. Reminders are rows in the database: a restart loses none. A new job is one more
row of `jobs()`.
"""
from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger("npt.scheduler")

DAY = 24 * 3600.0


@dataclass(frozen=True)
class Job:
    name: str
    period: float  # seconds between two runs
    run: Callable[[], None]
    ready: Callable[[], bool] = lambda: True  # False: skipped this turn (tried at the next)


def send_reminders() -> None:
    from bot.messaging.reminders import send_due_reminders

    report = send_due_reminders()
    if report.sent or report.failed:
        log.info("reminders: %d sent, %d failed", report.sent, report.failed)


def rasa_ready() -> bool:
    from bot.messaging.reminders import rasa_is_up

    return rasa_is_up()


def purge_old_data() -> None:
    from bot.people.retention import purge

    report = purge()
    done = ", ".join(f"{name} {count}" for name, count in report.counts.items() if count)
    log.info("privacy purge (older than %s): %s", f"{report.cutoff:%Y-%m-%d}",
             done or "nothing to delete")


def interval() -> float:
    try:
        return max(1.0, float(os.environ.get("NPT_SCHEDULER_SECONDS", "60")))
    except ValueError:
        return 60.0


def jobs() -> list[Job]:
    """The scheduler's jobs: name, period, what to run (and when it may run)."""
    return [
        Job("reminders", interval(), send_reminders, ready=rasa_ready),
        Job("privacy purge", DAY, purge_old_data),
    ]


class Schedule:
    """When each job is next due; `run_due` runs those due, never letting one failure out."""

    def __init__(self, table: list[Job], clock: Callable[[], float] = time.monotonic):
        self.table = table
        self.clock = clock
        start = clock()
        self.next_run = {job.name: start for job in table}  # every job runs at start

    def run_due(self) -> list[str]:
        """Run the jobs that are due; the names of those that ran (failed ones included)."""
        ran = []
        for job in self.table:
            now = self.clock()
            if now < self.next_run[job.name]:
                continue
            self.next_run[job.name] = now + job.period
            try:
                if not job.ready():
                    continue  # not ready (Rasa restarting): tried again a period later
            except Exception:
                log.exception("%s: could not tell whether it may run", job.name)
                continue
            ran.append(job.name)
            try:
                job.run()
            except Exception:  # the next turn tries again; the operator sees it
                log.exception("%s failed", job.name)
        return ran

    def seconds_to_next(self) -> float:
        return max(0.0, min(self.next_run.values()) - self.clock()) if self.next_run else 60.0


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    table = jobs()
    schedule = Schedule(table)
    log.info("scheduler started: %s", "; ".join(f"{job.name} every {job.period:.0f} s"
                                                 for job in table))
    while running:
        schedule.run_due()
        deadline = time.monotonic() + max(schedule.seconds_to_next(), 0.2)
        while running and time.monotonic() < deadline:
            time.sleep(0.2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
