"""What only the PostgreSQL store does: its schema, its connections, its refusals, its workers — on a real server
the tests start themselves."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from tests.postgres import ThrowawayPostgres

import citegraph
from citegraph import query as q
from citegraph.store import StoreError, open_store
from citegraph.store.postgres import PostgresStore, pg_schema, redacted, to_pyformat
from citegraph.store.sqlite import SCHEMA_VERSION

WORKS = Path(__file__).resolve().parents[1] / "data" / "openalex" / "works.jsonl.gz"


def _schema_url(server: ThrowawayPostgres, name: str) -> str:
    base = server.url("postgres")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{name}"')
    return f"{base}?options=-csearch_path%3D{name}"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_schema_is_the_sqlite_one_in_postgresql_types(postgres_server: ThrowawayPostgres) -> None:
    ddl = pg_schema()
    assert "WITHOUT ROWID" not in ddl and " BLOB" not in ddl and "INTEGER" not in ddl
    url = _schema_url(postgres_server, "types")
    PostgresStore(url).close()
    with psycopg.connect(url) as conn:
        types = dict(conn.execute("SELECT table_name || '.' || column_name, data_type FROM information_schema.columns"
                                  " WHERE table_schema = 'types'").fetchall())
        collation = conn.execute("SELECT collation_name FROM information_schema.columns WHERE table_schema = 'types'"
                                 " AND table_name = 'work_ids' AND column_name = 'value'").fetchone()[0]
    assert types["works.id"] == "bigint" and types["records.data"] == "bytea" and types["work_ids.value"] == "text"
    assert collation == "C"  # text sorts byte-wise, as in SQLite, whatever the server's locale


def test_placeholders_become_pyformat_and_percent_signs_stay_operators() -> None:
    assert to_pyformat("SELECT a % ? FROM t WHERE b = ?") == "SELECT a %% %s FROM t WHERE b = %s"


def test_foreign_empty_and_newer_databases_are_refused(postgres_server: ThrowawayPostgres) -> None:
    foreign = _schema_url(postgres_server, "alien")
    with psycopg.connect(foreign, autocommit=True) as conn:
        conn.execute("CREATE TABLE alien.other(x int)")
    with pytest.raises(StoreError, match="holds tables but is not a citegraph database"):
        open_store(foreign, create=True)
    with pytest.raises(StoreError, match="empty: not a citegraph database"):
        open_store(_schema_url(postgres_server, "empty"), readonly=True)
    newer = _schema_url(postgres_server, "newer")
    PostgresStore(newer).close()
    with psycopg.connect(newer, autocommit=True) as conn:
        conn.execute("UPDATE newer.meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="upgrade citegraph"):
        open_store(newer, readonly=True)


def test_an_unreachable_or_refusing_server_is_a_clear_error(postgres_server: ThrowawayPostgres) -> None:
    t0 = time.monotonic()
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL at postgresql://citegraph@127.0.0.1"):
        open_store(f"postgresql://citegraph:secret@127.0.0.1:{_closed_port()}/citegraph")
    assert time.monotonic() - t0 < 15
    with pytest.raises(StoreError, match="cannot connect") as refused:
        open_store(postgres_server.url("no_such_database"), readonly=True)
    assert "does not exist" in str(refused.value)
    assert "secret" not in redacted("postgresql://u:secret@h:5/db")


def test_the_cli_says_what_is_wrong_without_a_traceback(postgres_server: ThrowawayPostgres) -> None:
    newer = _schema_url(postgres_server, "cli_newer")
    PostgresStore(newer).close()
    with psycopg.connect(newer, autocommit=True) as conn:
        conn.execute("UPDATE cli_newer.meta SET value = '999' WHERE key = 'schema_version'")
    for db, said in ((f"postgresql://citegraph@127.0.0.1:{_closed_port()}/x", "cannot connect"),
                     (newer, "schema version 999")):
        for command in (["stats"], ["load", str(WORKS)], ["serve", "--port", str(_closed_port())]):
            done = subprocess.run([sys.executable, "-m", "citegraph.cli", *command, "--db", db],
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode != 0 and said in done.stderr, (command, done.stderr)
            assert "Traceback" not in done.stderr


def test_a_reading_store_refuses_to_write(postgres_server: ThrowawayPostgres) -> None:
    url = _schema_url(postgres_server, "readonly")
    PostgresStore(url).close()
    reader = open_store(url, readonly=True)
    with pytest.raises(StoreError, match="read-only"):
        reader.write_batch("openalex", [], path=None, next_position=0, rejected=0, done=False)
    reader.close()


def test_one_writer_at_a_time(postgres_server: ThrowawayPostgres) -> None:
    url = _schema_url(postgres_server, "writers")
    first, second = PostgresStore(url), PostgresStore(url)
    first.conn.execute("BEGIN IMMEDIATE")
    entered = threading.Event()

    def other_writer() -> None:
        second.conn.execute("BEGIN IMMEDIATE")  # waits for the first writer's transaction
        entered.set()
        second.conn.execute("COMMIT")

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert not entered.wait(0.5)
    first.conn.execute("COMMIT")
    assert entered.wait(10)
    thread.join()
    first.close()
    second.close()


def test_serve_with_two_workers_over_one_database_builds_its_index_and_answers(
        postgres_server: ThrowawayPostgres, tmp_path: Path) -> None:
    url = _schema_url(postgres_server, "served")
    env = {**os.environ, "CITEGRAPH_LOCAL_DIR": str(tmp_path / "loader")}
    done = subprocess.run([sys.executable, "-m", "citegraph.cli", "load", str(WORKS), "--db", url, "--workers", "0"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    port = _closed_port()
    api_host = {**os.environ, "CITEGRAPH_LOCAL_DIR": str(tmp_path / "api-host")}  # another host: no index yet
    proc = subprocess.Popen([sys.executable, "-m", "citegraph.cli", "serve", "--db", url, "--workers", "2",
                             "--port", str(port)], env=api_host, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/openalex/works/W2741809807", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["id"] == "https://openalex.org/W2741809807"
        found = httpx.get(f"http://127.0.0.1:{port}/openalex/works", params={"search": "biodiversity"}).json()
        assert found["meta"]["count"] > 0
        with citegraph.open(url, readonly=True) as g:  # (this host, too, makes its own index first)
            assert g.ensure_search_index() == 369
            assert found["meta"]["count"] == g.find(q.Query(text=q.Term("biodiversity"))).count
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert "building the full-text index" in err and "indexed 369 works" in err
    assert "filter columns saved on this host" in err


def test_an_older_schema_is_migrated_by_a_writer_only(postgres_server: ThrowawayPostgres,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The migration steps are the SQLite store's in PostgreSQL's types. PostgreSQL databases begin at version 7, so
    the v6 → v7 step stands in for the steps to come."""
    from citegraph.store import postgres

    url = _schema_url(postgres_server, "older")
    PostgresStore(url).close()
    with psycopg.connect(url, autocommit=True) as conn:  # what version 6 had: no S2 columns, no citer marks
        for column in ("extras", "citing_pos", "cited_pos"):
            conn.execute(f"ALTER TABLE older.asserted DROP COLUMN {column}")
        conn.execute("DROP TABLE older.citer_marks")
        conn.execute("UPDATE older.meta SET value = '6' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="cannot migrate it"):
        open_store(url, create=True)
    monkeypatch.setattr(postgres, "FIRST_PG_SCHEMA", 6)
    with pytest.raises(StoreError, match="citegraph migrate --db URL"):
        open_store(url, readonly=True)
    PostgresStore(url).close()  # a writer migrates
    with psycopg.connect(url) as conn:
        columns = {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns"
                                              " WHERE table_schema = 'older' AND table_name = 'asserted'")}
        assert {"extras", "citing_pos", "cited_pos"} <= columns
        assert conn.execute("SELECT to_regclass('older.citer_marks') IS NOT NULL").fetchone()[0]
    assert open_store(url, readonly=True).meta("schema_version") == str(SCHEMA_VERSION)


def test_references_staged_as_json_by_an_older_version_are_built_as_edges(postgres_server: ThrowawayPostgres) -> None:
    """Staged references are an array in PostgreSQL since the edge step reads them without parsing; a database
    whose stage holds them as JSON bytes (written before) is converted by the next writer, staged rows kept."""
    url = _schema_url(postgres_server, "stagedjson")
    fresh = _schema_url(postgres_server, "stagedfresh")
    for target in (url, fresh):
        with citegraph.open(target, create=True) as g:
            g.load([WORKS], workers=0, build=False)
    with psycopg.connect(url, autocommit=True) as conn:  # what an older version staged
        conn.execute("UPDATE stagedjson.stage SET cited = array_cat(ARRAY(SELECT unnest(cited) ORDER BY 1 DESC),"
                     " cited[1:1])")  # in any order, one twice
        conn.execute("ALTER TABLE stagedjson.stage ALTER COLUMN cited TYPE bytea"
                     " USING convert_to(array_to_json(cited)::text, 'UTF8')")
    with citegraph.open(url, create=True) as g:
        g.store.build()
    with citegraph.open(fresh, create=True) as g:
        g.store.build()
    edges = []
    for schema in ("stagedjson", "stagedfresh"):
        with psycopg.connect(url) as conn:
            edges.append(conn.execute(f"SELECT citing, cited, sources FROM {schema}.edges ORDER BY 1, 2").fetchall())
            kind = conn.execute("SELECT data_type FROM information_schema.columns WHERE table_schema = %s"
                                " AND table_name = 'stage' AND column_name = 'cited'", (schema,)).fetchone()
            assert kind == ("ARRAY",)
    assert edges[0] == edges[1] and len(edges[0]) > 100


def test_a_first_load_whose_references_all_resolve_gives_the_edges_sqlite_gives(
        postgres_server: ThrowawayPostgres, tmp_path: Path) -> None:
    """Every reference resolved at load and each work staged once: the edge step reads the stage in key order
    without sorting the edges (``_STAGED_EDGES_IN_ORDER``); the edges must be SQLite's."""
    import gzip
    import json

    works = [json.loads(line) for line in gzip.decompress(WORKS.read_bytes()).splitlines() if line.strip()]
    for i, work in enumerate(works):  # each cites the works listed before it (some twice: kept once)
        earlier = [w["id"] for w in works[max(0, i - 7):i]]
        work["referenced_works"] = [*reversed(earlier), *earlier[:1]]
    path = tmp_path / "chain.jsonl"
    path.write_text("".join(json.dumps(w) + "\n" for w in works))
    url = _schema_url(postgres_server, "inorder")
    got = []
    for target in (url, str(tmp_path / "chain.db")):
        with citegraph.open(target, create=True) as g:
            g.load([path], workers=0, build=False)
            if isinstance(g.store, PostgresStore):
                assert g.store._staged_in_order()
            g.store.build()
            got.append(g.store.conn.execute("SELECT w.key_id, x.key_id, e.sources FROM edges e JOIN works w ON"
                                            " w.id = e.citing JOIN works x ON x.id = e.cited").fetchall())
    assert sorted(got[0]) == sorted(got[1]) and len(got[0]) > 100


def test_results_read_in_binary_keep_sqlites_number_types(postgres_server: ThrowawayPostgres) -> None:
    url = _schema_url(postgres_server, "numbers")
    PostgresStore(url).close()
    reader = open_store(url, readonly=True)
    row = reader.conn.execute(  # type: ignore[attr-defined]
        "SELECT sum(x), avg(x), sum(x) * 1.5, ?::bytea FROM (VALUES (1::bigint), (2)) v(x)",
        (b"\x00\xffraw",)).fetchone()
    reader.close()
    assert row == (3, 1.5, 4.5, b"\x00\xffraw")
    assert type(row[0]) is int and type(row[1]) is float and type(row[2]) is float  # not Decimal


def test_a_citer_page_and_a_works_records_are_planned_once_not_on_every_request(
        postgres_server: ThrowawayPostgres) -> None:
    # a bound LIMIT, or a range of bound keys, made every generic plan look dearer than a custom one: PostgreSQL
    # planned the statement anew each time (0.3–0.5 ms a citer page on a million works, ~50 µs a work's records)
    url = _schema_url(postgres_server, "planned")
    with citegraph.open(url, create=True) as g:
        g.load([WORKS])
    with citegraph.open(url, readonly=True) as g:
        most = max((g.work(k) for k in range(1, 60) if g.store.work_row(k)), key=lambda w: w.cited_by_count)
        pair = next((i.scheme, i.value) for i in most.ids if i.scheme == "openalex")
        query = q.Query(where=q.And((q.Eq(q.CITES, (pair,)),)), sort=(q.Sort(q.CITED_BY_COUNT, True),),
                        page=q.Page(1, 2))
        for _ in range(20):  # psycopg prepares a statement at its 5th run; PostgreSQL tries 5 custom plans first
            found = g.find(query, ("openalex", (2016, 2030)))
            assert found.count == most.cited_by_count and found.served is not None and len(found.hits) == 2
        for _ in range(20):
            assert [r.source for r in g.store.records(most.key)] == ["openalex"]
        plans = g.store.conn.execute(  # type: ignore[attr-defined]
            "SELECT statement LIKE '%FROM citers c%', generic_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%FROM citers c%' OR statement LIKE '%FROM records WHERE key IN%'").fetchall()
    assert sorted(citers for citers, _generic in plans) == [False, True]
    assert all(generic >= 5 for _citers, generic in plans)
