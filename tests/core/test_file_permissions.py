"""Files holding personal data are their user's only: SQLite databases and the local secret key
are made 0600, the var/ folder 0700, and a process that imported bot.config creates every file
0600 (umask 077), also the ones made by libraries (Rasa's tracker database, logs)."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import bot.config
from bot.config import database_url, secret_key, tracker_database_url
from bot.db.session import get_engine, upgrade

PROJECT_DIR = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """A permissive umask while the test runs: the modes must not depend on the umask alone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def var(tmp_path, monkeypatch) -> Path:
    """var/ of a project in a temporary folder, with nothing configured."""
    folder = tmp_path / "project" / "var"
    monkeypatch.setattr(bot.config, "VAR_DIR", folder)
    for name in ("NPT_DATABASE_URL", "NPT_TRACKER_DATABASE_URL", "NPT_SECRET_KEY",
                 "NPT_SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    return folder


def test_importing_the_settings_makes_new_files_private():
    current = os.umask(0o077)
    os.umask(current)
    assert current & 0o077 == 0o077


def test_the_databases_the_key_and_var_are_the_users_only(var, open_umask):
    url = database_url()
    assert mode(var) == 0o700
    upgrade(url)
    with get_engine(url).begin() as connection:  # something written: the WAL files exist
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS scratch (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO scratch VALUES (1)")
        files = [path for path in var.iterdir() if path.name.startswith("npt.db")]
        assert {path.name for path in files} >= {"npt.db", "npt.db-wal"}
        assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    tracker = Path(tracker_database_url().removeprefix("sqlite:///"))
    assert tracker.parent == var and not tracker.exists()  # asking makes no database
    key = secret_key()
    assert len(key) == 64 and mode(var / "secret.key") == 0o600
    assert secret_key() == key


def test_a_database_anywhere_is_made_private_and_an_open_one_is_tightened(tmp_path, open_umask):
    fresh = tmp_path / "elsewhere" / "fresh.db"
    fresh.parent.mkdir()
    upgrade(f"sqlite:///{fresh}")
    assert mode(fresh) == 0o600
    old = tmp_path / "old.db"
    old.touch()
    old.chmod(0o644)  # made before this rule
    with get_engine(f"sqlite:///{old}").connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert mode(old) == 0o600


def test_an_open_var_folder_key_and_tracker_are_tightened(var, monkeypatch, open_umask):
    var.mkdir(parents=True, mode=0o755)
    var.chmod(0o755)
    tracker = var / "tracker.db"
    tracker.touch()
    tracker.chmod(0o644)  # made by Rasa before this rule
    assert tracker_database_url() == f"sqlite:///{tracker}"
    assert mode(tracker) == 0o600
    key_file = var / "secret.key"
    key_file.write_text("a" * 64)
    key_file.chmod(0o644)
    assert secret_key() == b"a" * 64
    assert mode(var) == 0o700 and mode(key_file) == 0o600
    named = var.parent / "keys" / "npt.key"
    monkeypatch.setenv("NPT_SECRET_KEY_FILE", str(named))
    secret_key()
    assert mode(named) == 0o600 and mode(named.parent) == 0o700


def test_a_process_that_imported_the_settings_creates_only_private_files(tmp_path):
    """What a library makes (Rasa's SQLite tracker store, a log file) is private too."""
    script = ("import sqlite3, sys, os; os.umask(0o022); import bot.config; "
              "sqlite3.connect(sys.argv[1]).execute('CREATE TABLE events (x)'); "
              "open(sys.argv[2], 'w').write('log'); os.mkdir(sys.argv[3])")
    paths = [tmp_path / "tracker.db", tmp_path / "rasa.log", tmp_path / "folder"]
    done = subprocess.run([sys.executable, "-c", script, *map(str, paths)], cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [mode(path) for path in paths] == [0o600, 0o600, 0o700]
