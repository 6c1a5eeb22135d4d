"""Settings from the environment (a `.env` file for local runs is read by the Makefile)."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from bot.paths import VAR_DIR

log = logging.getLogger(__name__)


def _url(variable: str, sqlite_file: str) -> str:
    url = os.environ.get(variable, "").strip()
    if url:
        return url
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR_DIR / sqlite_file}"


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
    path = Path(os.environ.get("NPT_SECRET_KEY_FILE", VAR_DIR / "secret.key"))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        log.warning("NPT_SECRET_KEY is not set: made a local key in %s (development only)", path)
    return path.read_text().strip().encode("utf-8")


def retention_months() -> int:
    """How long conversations and results are kept (PRODUCT.md: 12 months by default)."""
    try:
        return max(1, int(os.environ.get("NPT_RETENTION_MONTHS", "12")))
    except ValueError:
        return 12
