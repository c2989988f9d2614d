"""Test-suite settings shared by every test module."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from hypothesis import settings
from tests.postgres import ENV_TEST_POSTGRES, PostgresUnavailable, ThrowawayPostgres

import citegraph
from citegraph.server.app import create_app

# CI runs the property tests on a fixed sequence of examples, so a submission's result does not depend on
# the draw; local runs keep exploring new examples (that is how the bugs they found were found).
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# --- a real server on 127.0.0.1 -------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn in a thread; the graph is opened inside it (SQLite connections stay in one thread)."""

    def __init__(self, db: Path | str, root: str | None, counts: str = "ours") -> None:
        self.port = _free_port()
        self.db = db
        self.root = root
        self.counts = counts
        self.server: uvicorn.Server | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            graph = citegraph.open(self.db, readonly=True)
            app = create_app(graph, root=self.root, counts=self.counts)
            config = uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", access_log=False
            )
            self.server = uvicorn.Server(config)
            self.server.run()
        except BaseException as exc:  # surfaced by start()
            self.error = exc

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.error is not None:
                raise RuntimeError("server failed to start") from self.error
            if self.server is not None and self.server.started:
                return
            time.sleep(0.02)
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.thread.join(timeout=10)


#: Start a server over a database (with a dialect also at ``/``, serving ``counts``, ``ours`` unless given);
#: returns ``http://127.0.0.1:<port>``.
ServeDb = Callable[..., str]


@pytest.fixture(scope="session")
def serve_db() -> Iterator[ServeDb]:
    """Servers started by tests, all stopped at the end of the session."""
    started: list[LiveServer] = []

    def start(db: Path | str, root: str | None = None, counts: str = "ours") -> str:
        server = LiveServer(db, root, counts)
        server.start()
        started.append(server)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in started:
        server.stop()


# --- both storage engines ---------------------------------------------------------------------------------
#: The engines the contract suite runs on: every test that makes its database with ``new_db`` runs on each.
ENGINES = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL server of this test session's own (one per xdist worker), stopped at the end."""
    if os.environ.get(ENV_TEST_POSTGRES) == "0":
        pytest.skip(f"{ENV_TEST_POSTGRES}=0: the PostgreSQL half of the contract suite is not run")
    try:
        server = ThrowawayPostgres().start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))
    # what a PostgreSQL store derives on this host (search index, columns) goes under this session's temp dir
    os.environ["CITEGRAPH_LOCAL_DIR"] = str(tmp_path_factory.mktemp("pg-local"))
    yield server
    server.stop()


#: Make a new empty database for a test: a SQLite path, or a PostgreSQL URL naming a fresh schema.
NewDb = Callable[[str], str]


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """The storage engine under test."""
    return str(request.param)


@pytest.fixture(scope="session")
def new_db(engine: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> NewDb:
    """``new_db(name)``: a new empty database on the engine under test (PostgreSQL: a schema of its own)."""
    if engine == "sqlite":
        return lambda name: str(tmp_path_factory.mktemp(name) / f"{name}.db")
    server: ThrowawayPostgres = request.getfixturevalue("postgres_server")
    base = server.create_database("citegraph")
    made = 0

    def make(name: str) -> str:
        nonlocal made
        import psycopg

        made += 1
        schema = f"t{made}_" + "".join(c if c.isalnum() else "_" for c in name.lower())[:40]
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return f"{base}?options=-csearch_path%3D{schema}"

    return make
