"""What the command groups of `npt` share: the database option's help, the one-line error,
the database guard, who runs the command, and the parsing of a day and of a place reference."""
from __future__ import annotations

import getpass
import os
import sys
import tempfile
from pathlib import Path
from datetime import date

from sqlalchemy.exc import SQLAlchemyError

from bot.booking.partners.database import check_database, resolve_place
from bot.booking.partners.errors import PlaceNotFound
from bot.db.session import session_scope

URL_HELP = "SQLAlchemy URL (default: NPT_DATABASE_URL or var/npt.db)"


def cli_user() -> str:
    """Who runs the command, as recorded beside what it changes: "cli:<login>"."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        user = "unknown"
    return f"cli:{user}"[:160]


def fail(message: str, code: int = 2) -> int:
    """An error is one line on stderr; returns the exit code (2 unless told)."""
    print(f"error: {message}", file=sys.stderr)
    return code


def database_errors(func):
    """A database that cannot be used is one line on stderr and exit 2, never a traceback."""
    def run(args) -> int:
        try:
            return func(args)
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0][:200]
            if "no such table" in reason or "does not exist" in reason:
                return fail(f"the database is not ready ({reason}): run `npt db upgrade` first")
            return fail(f"the database refused the operation: {reason}")
    return run


def parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{option} {value!r} is not a date YYYY-MM-DD") from None


def place_pk_of(ref: str | None, url: str | None) -> int | None:
    """The database is ready, and the number of the place PLACE_REF names (None for no ref).
    PartnersError (PlaceNotFound) says what is wrong."""
    check_database(url)
    if not ref:
        return None
    with session_scope(url) as session:
        place = resolve_place(session, ref)
        if place is None:
            raise PlaceNotFound(f"no place {ref!r} (give SOURCE:ID, for example "
                                f"france-services-2024-08-01:435, or the place's number)")
        return place.pk


def write_stdout(data: bytes) -> None:
    """Bytes to standard output (a file, or a pipe)."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (some test harnesses)
        sys.stdout.write(data.decode("utf-8"))
    else:
        buffer.write(data)
        buffer.flush()


def write_file(path: Path, data: bytes) -> None:
    """Write the whole file or nothing: a temporary file beside it, then renamed."""
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def write_output(output: str | None, data: bytes) -> int | None:
    """`data` to the file `output` (whole or not at all), or to standard output when it is None
    or "-"; the exit code when it could not be written, else None."""
    if output in (None, "-"):
        write_stdout(data)
        return None
    try:
        write_file(Path(output), data)
    except OSError as error:
        return fail(f"cannot write {output}: {error.strerror or error}")
    return None
