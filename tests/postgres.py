"""A throwaway PostgreSQL server for tests and benchmarks: initdb into a temporary directory, a free port on
127.0.0.1, stopped (and its files removed) at the end. Never assumes a server is already running.

The binaries are the machine's own (``initdb`` on PATH, or Debian's ``/usr/lib/postgresql/<v>/bin``), else the
ones the ``pgserver`` wheel carries. PostgreSQL refuses to run as root, so under root the server runs as an
unprivileged OS user (``nobody``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: Set to 0 to run the suite without PostgreSQL (its tests are then skipped, and say so).
ENV_TEST_POSTGRES = "CITEGRAPH_TEST_POSTGRES"
#: The OS user the server runs as when the tests run as root.
UNPRIVILEGED_USER = "nobody"
#: The database superuser initdb creates (trust authentication on loopback only).
SUPERUSER = "citegraph"
#: Settings for a throwaway server: durability is not wanted, speed and a small footprint are.
SERVER_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200",
                   "shared_buffers=128MB", "listen_addresses=127.0.0.1")


class PostgresUnavailable(Exception):
    """No PostgreSQL binaries on this machine."""


def find_bin_dir() -> Path:
    """Where initdb, pg_ctl and postgres are: the machine's first, then the pgserver wheel's."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        return Path(candidate).parent
    with contextlib.suppress(ImportError):
        import pgserver  # type: ignore[import-not-found]

        install = Path(pgserver.__file__).parent / "pginstall"
        if (install / "bin" / "initdb").exists():
            return _reachable(install) / "bin"
    raise PostgresUnavailable("no PostgreSQL binaries found: install PostgreSQL (apt-get install postgresql) or "
                              f"set {ENV_TEST_POSTGRES}=0 to skip the PostgreSQL tests")


def _reachable(install: Path) -> Path:
    """``install`` where the unprivileged user can run it: under root, a copy in the temporary directory (a
    virtualenv inside root's home may be closed to others), with the wheel's libraries where its binaries look."""
    if os.geteuid() != 0:
        return install
    package = install.parent
    copy = Path(tempfile.gettempdir()) / f"citegraph-pgserver-{os.stat(install).st_ino}"
    if not (copy / package.name / install.name / "bin" / "initdb").exists():
        staging = Path(tempfile.mkdtemp(prefix="citegraph-pgserver-"))
        os.chmod(staging, 0o755)
        shutil.copytree(install, staging / package.name / install.name, symlinks=True)
        libs = package.with_name(package.name + ".libs")  # the binaries' RPATH: $ORIGIN/../../../pgserver.libs
        if libs.is_dir():
            shutil.copytree(libs, staging / libs.name, symlinks=True)
        os.chmod(staging / package.name, 0o755)
        if copy.exists():
            shutil.rmtree(staging, ignore_errors=True)
        else:
            os.replace(staging, copy)
    return copy / package.name / install.name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayPostgres:
    """One PostgreSQL server in a temporary directory; ``url(database)`` names a database on it."""

    def __init__(self, settings: tuple[str, ...] = SERVER_SETTINGS) -> None:
        self.bin = find_bin_dir()
        self.dir = Path(tempfile.mkdtemp(prefix="citegraph-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.settings = settings
        self.process: subprocess.Popen[bytes] | None = None
        self.user: str | None = UNPRIVILEGED_USER if os.geteuid() == 0 else None
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(args, user=self.user, cwd=self.dir, capture_output=True, timeout=120, check=False)

    def start(self) -> ThrowawayPostgres:
        done = self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                         "-E", "UTF8", "--locale=C", "--no-sync")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.decode(errors='replace')}")
        args = [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.dir)]
        for setting in self.settings:
            args += ["-c", setting]
        self.process = subprocess.Popen(args, user=self.user, cwd=self.dir, stdout=subprocess.DEVNULL,
                                        stderr=open(self.dir / "server.log", "wb"))  # noqa: SIM115
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("postgres exited: " + (self.dir / "server.log").read_text(errors="replace"))
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                if self._ready():
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("postgres did not start in 30 s")

    def _ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def url(self, database: str) -> str:
        """A connection URL for ``database`` on this server."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once and remove its files."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown (SIGTERM's "smart" one waits for clients)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
