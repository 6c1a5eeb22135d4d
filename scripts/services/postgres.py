"""A real PostgreSQL server started by us: the tests' throwaway one, and the production mode's.

The server is made by `initdb` in a directory of its own and started on a loopback port (unix
sockets in that directory, trust authentication: it only listens on 127.0.0.1). A throwaway
server (the tests) runs with `fsync=off` and is removed after use; a durable one (`make
run-prod`) keeps its data in var/prod/postgres and syncs it, and is started again on the same
data next time. If the process that started it is killed, the server gets SIGINT from the
kernel (parent-death signal) and shuts down.

The binaries are searched on PATH, then in /usr/lib/postgresql/*/bin (highest version); `make
services` installs them (Debian package `postgresql`). initdb and the server refuse to run as
root: as root, they run as the system user `postgres`.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SYSTEM_USER = "postgres"      # who runs initdb and the server when the tests run as root
SUPERUSER = "postgres"        # the database superuser made by initdb
SESSION_DATABASE = "npt_test"  # the tests' shared database
START_TIMEOUT = 60.0          # seconds for the server to accept connections
STOP_TIMEOUT = 30.0
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
INSTALL_HINT = ("run `make services` (as root it installs the Debian package `postgresql`), "
                "or `sudo apt-get install postgresql`")


class PostgresUnavailable(Exception):
    """PostgreSQL cannot be found or started; the message says why, in one paragraph."""


def _version_key(bindir: Path) -> tuple:
    """/usr/lib/postgresql/15/bin -> (15,); unknown names sort first."""
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name)) or (-1,)


def find_bindir() -> Path:
    """The directory of initdb, pg_ctl and postgres: PATH first, then the highest Debian version."""
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent)
    candidates += sorted((Path(p) for p in glob.glob(DEBIAN_BIN_GLOB)), key=_version_key, reverse=True)
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return bindir
    looked = ", ".join(str(c) for c in candidates) or "nothing found"
    raise PostgresUnavailable(
        f"PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH nor in "
        f"{DEBIAN_BIN_GLOB} (looked at: {looked}): {INSTALL_HINT}")


def _run_as_prefix() -> tuple[list[str], int | None, int | None]:
    """The command prefix that runs a program as the server's user, and that user's uid/gid.

    As root: the system user `postgres` (setpriv, else runuser). Otherwise: ourselves. With
    setpriv, the server also gets SIGINT (fast shutdown) if the test process dies.
    """
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0:
        return ([setpriv, "--pdeathsig", "SIGINT", "--"] if setpriv else []), None, None
    import pwd

    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"the tests run as root, and initdb and postgres refuse to run as root, but there is "
            f"no system user {SYSTEM_USER!r} to run them (the Debian package `postgresql` makes "
            f"it): {INSTALL_HINT}, or `useradd --system {SYSTEM_USER}`") from None
    if setpriv:
        prefix = [setpriv, f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups",
                  "--pdeathsig", "SIGINT", "--"]
    elif shutil.which("runuser"):
        prefix = [shutil.which("runuser"), "-u", SYSTEM_USER, "--"]
    else:
        raise PostgresUnavailable("the tests run as root and neither setpriv nor runuser (util-linux) "
                                  f"is there to run PostgreSQL as {SYSTEM_USER!r}")
    return prefix, entry.pw_uid, entry.pw_gid


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.strip().splitlines()[-lines:]) or "(empty log)"


def _child_env(base: Path) -> dict:
    """Our environment without the PG* variables that would redirect initdb or the server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C", HOME=str(base), TZ="UTC")
    return env


@dataclass
class PostgresServer:
    bindir: Path
    base: Path                     # its own directory: data/, the sockets and the log
    port: int = 0                  # 0: a free loopback port
    durable: bool = False          # True: the data is kept and synced (production mode)
    user: str = SUPERUSER
    host: str = "127.0.0.1"
    version: str = ""
    process: subprocess.Popen | None = None
    started_in: float = 0.0        # seconds from nothing to a running server with its database
    _prefix: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log_file(self) -> Path:
        return self.base / "postgres.log"

    def url(self, database: str = SESSION_DATABASE) -> str:
        return f"postgresql+psycopg2://{self.user}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres", timeout: int = 5):
        """A psycopg2 connection (autocommit) as the superuser."""
        import psycopg2

        connection = psycopg2.connect(host=self.host, port=self.port, user=self.user,
                                      dbname=database, connect_timeout=timeout)
        connection.autocommit = True
        return connection

    def create_database(self, name: str) -> str:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
        finally:
            connection.close()
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop `name`, ending the connections still open on it (pools of the test process)."""
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version_num")
                if int(cursor.fetchone()[0]) >= 130000:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                else:
                    cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            connection.close()

    # -- life cycle -------------------------------------------------------------------------

    def _as_user(self, *command, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([*self._prefix, *map(str, command)], cwd=self.base, env=_child_env(self.base),
                              capture_output=True, text=True, **kwargs)

    def start(self) -> None:
        began = time.monotonic()
        try:
            import psycopg2  # noqa: F401
        except ImportError as error:
            raise PostgresUnavailable(f"psycopg2 is not installed in this Python ({error}): run `make venv`")
        self._prefix, uid, gid = _run_as_prefix()
        if uid is not None:
            os.chown(self.base, uid, gid)
            os.chmod(self.base, 0o700)
            reach = self._as_user("test", "-w", self.base, "-a", "-x", self.base)
            if reach.returncode != 0:
                raise PostgresUnavailable(
                    f"the user {SYSTEM_USER!r} cannot reach the directory {self.base} (a parent "
                    f"directory is not traversable by it): set TMPDIR to a directory such as /tmp")
        initialised = (self.data_dir / "PG_VERSION").exists()
        initdb = None if initialised else self._as_user(
            self.bindir / "initdb", "-D", self.data_dir, "-U", self.user, "-A", "trust", "-E", "UTF8",
            "--no-locale", *(() if self.durable else ("--no-sync",)), timeout=120)
        if initdb is not None and initdb.returncode != 0:
            raise PostgresUnavailable(f"initdb ({self.bindir / 'initdb'}) failed with code {initdb.returncode}:\n"
                                      f"{(initdb.stderr or initdb.stdout).strip()}")
        self.version = self._as_user(self.bindir / "postgres", "--version").stdout.strip()
        fixed = self.port
        for attempt in range(3):  # a free port can be taken between the probe and the bind
            self.port = fixed or _free_port()
            if self._launch():
                break
            if "could not bind" not in _tail(self.log_file, 200) or attempt == 2 or fixed:
                raise PostgresUnavailable(f"the PostgreSQL server did not start (port {self.port}); "
                                          f"its log ({self.version}):\n{_tail(self.log_file)}")
        if not self.durable:
            self.create_database(SESSION_DATABASE)
        self.started_in = time.monotonic() - began

    def _launch(self) -> bool:
        """Start the server on self.port; True once it accepts connections, False if it exited."""
        import psycopg2

        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [*self._prefix, str(self.bindir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port),
                 "-k", str(self.base), "-c", "listen_addresses=127.0.0.1", *self._settings()],
                cwd=self.base, env=_child_env(self.base), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                self.process = None
                return False
            try:
                self.connect(timeout=2).close()
                return True
            except psycopg2.OperationalError as error:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(
                        f"the PostgreSQL server did not accept connections on 127.0.0.1:{self.port} within "
                        f"{START_TIMEOUT:.0f} s ({str(error).strip()}); its log:\n{_tail(self.log_file)}")
            time.sleep(0.05)

    def start_again(self) -> None:
        """Start the stopped server again on its data and port (a restart)."""
        if not self._launch():
            raise PostgresUnavailable(f"the PostgreSQL server did not start again; its log:\n"
                                      f"{_tail(self.log_file)}")

    def _settings(self) -> list[str]:
        if self.durable:  # every process of the production mode keeps a pool of connections
            return ["-c", "max_connections=200"]
        return ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=50"]

    def ensure_database(self, name: str) -> str:
        """The URL of database `name`, made when it is not there yet."""
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                there = cursor.fetchone() is not None
        finally:
            connection.close()
        return self.url(name) if there else self.create_database(name)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL; never raises."""
        process, self.process = self.process, None
        if process is None:
            return
        pid = self._postmaster_pid() or process.pid  # with runuser, process is not the postmaster
        for sig, wait in ((signal.SIGINT, STOP_TIMEOUT), (signal.SIGQUIT, 10), (signal.SIGKILL, 10)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
            if pid != process.pid and sig == signal.SIGKILL:
                process.kill()
            try:
                process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)
