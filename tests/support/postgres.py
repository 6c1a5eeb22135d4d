"""A real, throwaway PostgreSQL server for the tests (no mock, no shared server).

Fixtures:

- `postgres_server` (session): the running server (`.port`, `.user`, `.url(database)`, ...).
- `postgres_url` (session): `postgresql+psycopg2://postgres@127.0.0.1:PORT/npt_test`, an empty
  database shared by the whole session.
- `postgres_database` (function): the URL of a fresh, empty database of its own, dropped after
  the test (for migrations, imports and anything that needs a clean slate).

The server (scripts/services/postgres.py, shared with `make run-prod`) is made by `initdb` in a
temporary directory and started on a free loopback port
(unix sockets in that directory, `fsync=off`, trust authentication: it only listens on
127.0.0.1 and lives as long as the test session). It is stopped and its directory removed at
the end, also when a test or the start-up fails; if pytest itself is killed, the server gets
SIGINT from the kernel (parent-death signal) and shuts down.

The binaries are searched on PATH, then in /usr/lib/postgresql/*/bin (highest version); `make
services` installs them (Debian package `postgresql`). initdb and the server refuse to run as
root: as root, they run as the system user `postgres`. When PostgreSQL cannot be found or
started, the tests that need it FAIL with the reason; they are never skipped.
"""
from __future__ import annotations

import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from scripts.services.postgres import (SESSION_DATABASE, PostgresServer,  # noqa: F401
                                      PostgresUnavailable, find_bindir)


@pytest.fixture(scope="session")
def postgres_server():
    """A running PostgreSQL server of this test session (fails the tests if there is none)."""
    server = None
    try:
        try:
            bindir = find_bindir()
            server = PostgresServer(bindir=bindir, base=Path(tempfile.mkdtemp(prefix="npt-pg-")))
            server.start()
        except PostgresUnavailable as error:
            pytest.fail(f"PostgreSQL is needed by this test and is unavailable: {error}", pytrace=False)
        except (OSError, subprocess.SubprocessError) as error:
            pytest.fail(f"PostgreSQL could not be started: {error}", pytrace=False)
        yield server
    finally:
        if server is not None:
            server.stop()
            server.remove()


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    """URL of the session's empty database `npt_test` (shared by the tests of the session)."""
    return postgres_server.url(SESSION_DATABASE)


@pytest.fixture
def postgres_database(postgres_server) -> str:
    """URL of a fresh, empty database for this test only (dropped afterwards)."""
    name = f"npt_test_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)
