"""Engine and sessions (SQLAlchemy 1.4, 2.0-style API); migrations with Alembic.

A SQLite database file is made (or kept) 0600 before its engine first connects: it holds
personal data. Its -wal and -shm files get the same mode from SQLite.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.config import database_url, private_file

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def get_engine(url: str | None = None) -> Engine:
    """The engine of `url`, or of the configured database (read at each call, cached by URL)."""
    return _engine(url or database_url())


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database, or an in-memory one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:") \
            or parsed.query.get("mode") == "memory":
        return None
    return Path(database)


def private_sqlite_file(url: str) -> None:
    """Make the file of a SQLite URL 0600 (created empty when missing) before SQLite opens it;
    nothing for another database. Its folder must exist."""
    path = sqlite_file(url)
    if path is not None and path.parent.is_dir():
        private_file(path)


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    private_sqlite_file(url)
    if sqlite_file(url) is not None:
        # SQLAlchemy 1.4 opens a new SQLite connection for every session of a file database
        # (NullPool), and each new connection runs the pragmas below: measured by the bench's
        # profile under load. A pool keeps a few open; each is used by one thread at a time.
        engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=5,
                               max_overflow=10, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # pragma: no cover - trivial
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()
    return engine


def connection_lost(error: BaseException) -> bool:
    """True when `error` means the database could not be reached (it is restarting, or the
    connection dropped): worth trying again in a moment, unlike a wrong query."""
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and bool(error.connection_invalidated))


def missing_table(table: str, url: str | None = None) -> str | None:
    """None when the database has `table`; otherwise what the operator should be told (the
    database cannot be opened, or it was never migrated)."""
    try:
        ready = inspect(get_engine(url)).has_table(table)
    except SQLAlchemyError as error:
        return f"the database cannot be opened: {str(error).splitlines()[0]}"
    return None if ready else f"the database has no {table} table yet: run `npt db upgrade` first"


def upsert_insert(session: Session, table):
    """An INSERT of `table` that can take `.on_conflict_do_nothing(...)`: the dialect's own
    (SQLite, PostgreSQL); None on another database, where the caller inserts plainly."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert

        return insert(table)
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        return insert(table)
    return None


@lru_cache(maxsize=8)
def _sessions(engine: Engine) -> sessionmaker:
    # One factory per engine: `sessionmaker` makes a new Session class each time it is built.
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back on error."""
    session = _sessions(get_engine(url))()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database schema to `revision` (creating the database file if needed)."""
    from alembic import command

    url = url or database_url()
    private_sqlite_file(url)  # alembic opens its own engine
    command.upgrade(alembic_config(url), revision)


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The latest migration shipped with the code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
