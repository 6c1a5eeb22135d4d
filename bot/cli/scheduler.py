"""The assistant's scheduler: `python -m bot.cli.scheduler`, started by `make run`.

It runs the jobs of data/scheduler.yml, each an `npt` command at its own period:

| job | period | command |
|---|---|---|
| reminders | `NPT_SCHEDULER_SECONDS` (60) | `npt reminders send --quiet`: the notifications that are due (a log line only when something was sent or failed); skipped while Rasa is not up |
| privacy purge | once a day, and once at start | `npt privacy purge`: what is older than the retention period |

Every job runs at start, then each `period` seconds after its previous turn began (a job not
ready is looked at again a period later). What a command prints is logged under the job's name;
a job that fails (an exception, or a command that exits non-zero) is logged and tried again at
its next turn; the loop never stops for it. The notifications are rows in the database: a
restart loses none. A new job is one more entry of data/scheduler.yml.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bot.cli import build_parser, main as npt
from bot.notifications.sender import rasa_is_up
from bot.paths import DATA_DIR
from bot.stopping import StopSignal
from bot.yaml_data import YamlDataError, load_yaml

log = logging.getLogger("npt.scheduler")

DAY = 24 * 3600.0
JOBS_FILE = DATA_DIR / "scheduler.yml"


class SchedulerError(ValueError):
    """data/scheduler.yml is not a list of valid jobs (the file and the fault are named)."""


@dataclass(frozen=True)
class Job:
    name: str
    period: float  # seconds between two runs
    run: Callable[[], None]
    ready: Callable[[], bool] = lambda: True  # False: skipped this turn (tried at the next)


def run_command(name: str, argv: list[str]) -> None:
    """Run `npt ARGV` in this process; its output is logged under the job's name. A non-zero
    exit is an error (raised, so the scheduler logs it and tries again at the next turn)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = npt(argv)
        except SystemExit as exit_:  # argparse, or a command that exits
            status = exit_.code if isinstance(exit_.code, int) else 1
    for line in out.getvalue().splitlines():
        if line.strip():
            log.info("%s: %s", name, line.rstrip())
    for line in err.getvalue().splitlines():
        if line.strip():
            log.warning("%s: %s", name, line.rstrip())
    if status:
        raise RuntimeError(f"`npt {shlex.join(argv)}` exited with status {status}")


def interval() -> float:
    """The reminders' period: NPT_SCHEDULER_SECONDS (at least 1 s), 60 by default."""
    return _setting_seconds("NPT_SCHEDULER_SECONDS", 60.0)


def _setting_seconds(name: str, default: float) -> float:
    try:
        return max(1.0, float(os.environ.get(name, default)))
    except ValueError:
        log.warning("%s is not a number of seconds: %s s used", name, default)
        return default


def jobs(path: Path = JOBS_FILE) -> list[Job]:
    """The scheduler's jobs, read from `path` and checked: each command must be one `npt`
    accepts (with `--dry-run` too: every scheduled job can be tried without effect)."""
    try:
        raw = load_yaml(path)
    except (OSError, YamlDataError) as error:
        raise SchedulerError(f"{path}: {error}") from None
    entries = raw.get("jobs") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SchedulerError(f"{path}: a `jobs:` list is needed")
    parser, table, names = build_parser(), [], set()
    for index, entry in enumerate(entries, 1):
        where = f"{path}: job {index}"
        if not isinstance(entry, dict):
            raise SchedulerError(f"{where}: a mapping with name, command and every is needed")
        unknown = set(entry) - {"name", "command", "every", "every_setting", "needs_rasa"}
        if unknown:
            raise SchedulerError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        name, command, every = entry.get("name"), entry.get("command"), entry.get("every")
        if not isinstance(name, str) or not name.strip() or name in names:
            raise SchedulerError(f"{where}: `name` must be a text, unique in the file")
        if not isinstance(command, str) or not command.strip():
            raise SchedulerError(f"{where} ({name}): `command` must be an npt command")
        if isinstance(every, bool) or not isinstance(every, (int, float)) or every <= 0:
            raise SchedulerError(f"{where} ({name}): `every` must be a number of seconds > 0")
        argv = shlex.split(command)
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                parser.parse_args(argv + ["--dry-run"])
        except SystemExit:
            raise SchedulerError(f"{where} ({name}): `npt {command} --dry-run` is not a "
                                 "command npt knows") from None
        setting = entry.get("every_setting")
        period = _setting_seconds(setting, float(every)) if setting else float(every)
        ready = rasa_is_up if entry.get("needs_rasa") is True else (lambda: True)
        names.add(name)
        table.append(Job(name, period, lambda name=name, argv=argv: run_command(name, argv),
                         ready=ready))
    return table


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
    stop = StopSignal()
    try:
        table = jobs()
    except SchedulerError as error:
        log.error("%s", error)
        return 2
    schedule = Schedule(table)
    log.info("scheduler started: %s", "; ".join(f"{job.name} every {job.period:.0f} s"
                                                 for job in table))
    while not stop:
        schedule.run_due()
        deadline = time.monotonic() + max(schedule.seconds_to_next(), 0.2)
        while not stop and time.monotonic() < deadline:
            time.sleep(0.2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
