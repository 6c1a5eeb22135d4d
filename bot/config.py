"""Settings from the environment (a `.env` file for local runs is read by the Makefile).

Importing this module makes the files and folders the process creates its user's only (umask
077: files 0600, folders 0700): databases, keys and logs hold personal data. The project's var/
folder is kept 0700.
"""
from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from bot.paths import VAR_DIR

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700

# Early, before anything is created: what a stricter umask already forbids stays forbidden.
os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)


def _tighten(path: Path, mode: int) -> None:
    """chmod `path` to `mode` when it is ours and more open than that (never raises)."""
    try:
        info = path.stat()
        if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & ~mode:
            os.chmod(path, stat.S_IMODE(info.st_mode) & mode)
    except OSError:
        pass


def private_dir(path: Path) -> Path:
    """`path` as a folder, made (with its missing parents) readable by this user only."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    return path


def var_dir() -> Path:
    """The project's var/ folder (databases, local key, logs), made or kept 0700."""
    private_dir(VAR_DIR)
    _tighten(VAR_DIR, PRIVATE_DIR_MODE)
    return VAR_DIR


def private_file(path: Path, create: bool = True) -> Path:
    """`path` as a file readable and writable by this user only (0600): made empty when it does
    not exist and `create` (an empty file is a valid SQLite database), tightened when it is
    more open."""
    path = Path(path)
    if not create:
        _tighten(path, PRIVATE_FILE_MODE)
        return path
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        _tighten(path, PRIVATE_FILE_MODE)
    else:
        os.close(fd)
    return path


if VAR_DIR.is_dir():
    _tighten(VAR_DIR, PRIVATE_DIR_MODE)


def trust_proxy() -> bool:
    """`NPT_TRUST_PROXY=1`: the web app is reached through one reverse proxy that appends the
    client's address to X-Forwarded-For (that address then counts, not the proxy's)."""
    return os.environ.get("NPT_TRUST_PROXY", "").strip() == "1"


def _url(variable: str, sqlite_file: str) -> str:
    url = os.environ.get(variable, "").strip()
    if url:
        return url
    # Not made here (asking for the URL creates no database); an older, more open file is
    # tightened. A new one is made 0600 by whoever creates it (bot.db.session, or Rasa under
    # this module's umask).
    path = private_file(var_dir() / sqlite_file, create=False)
    return f"sqlite:///{path}"


def database_url() -> str:
    """The assistant's own database: `NPT_DATABASE_URL`, or SQLite under var/."""
    return _url("NPT_DATABASE_URL", "npt.db")


def tracker_database_url() -> str:
    """Where Rasa keeps conversations: `NPT_TRACKER_DATABASE_URL`, or SQLite under var/."""
    return _url("NPT_TRACKER_DATABASE_URL", "tracker.db")


def secret_key() -> bytes:
    """The key of the pseudonyms: `NPT_SECRET_KEY`, or a local key made once under var/.

    The local key is for development only; a deployment sets NPT_SECRET_KEY, and keeps it:
    changing it changes every person's pseudonym.
    """
    value = os.environ.get("NPT_SECRET_KEY", "").strip()
    if value:
        return value.encode("utf-8")
    named = os.environ.get("NPT_SECRET_KEY_FILE", "").strip()
    path = Path(named) if named else var_dir() / "secret.key"
    if not path.exists():
        private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        log.warning("NPT_SECRET_KEY is not set: made a local key in %s (development only)", path)
    else:
        _tighten(path, PRIVATE_FILE_MODE)
    return path.read_text().strip().encode("utf-8")


class SettingError(ValueError):
    """A setting of the environment that cannot be used; the message names it."""


def positive_int_setting(variable: str, default: int) -> int:
    """An integer setting >= 1; SettingError names the variable and the wrong value."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{variable}={raw!r} is not a whole number") from None
    if value < 1:
        raise SettingError(f"{variable}={raw!r} must be at least 1")
    return value


def retention_months(strict: bool = False) -> int:
    """How long conversations and results are kept (PRODUCT.md: 12 months by default).

    `strict`: a wrong value raises SettingError (the purge deletes nothing on a typo) instead
    of falling back to the default (what the consent message says).
    """
    try:
        return positive_int_setting("NPT_RETENTION_MONTHS", 12)
    except SettingError:
        if strict:
            raise
        return 12


def retention_booking_days(strict: bool = False) -> int:
    """How many days after an appointment its contact data (sender id, first name) is kept."""
    try:
        return positive_int_setting("NPT_RETENTION_BOOKING_DAYS", 30)
    except SettingError:
        if strict:
            raise
        return 30
