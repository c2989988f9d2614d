"""What only the SQLite store does: files, schema checks and migrations of older files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.store.test_contract import W, rec, write

from citegraph.store import SQLiteStore, StoreError
from citegraph.store.codec import Codec
from citegraph.store.sqlite import SCHEMA_VERSION


def test_refuses_foreign_and_newer_databases(tmp_path: Path) -> None:
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as c:
        c.execute("CREATE TABLE t(x)")
    with pytest.raises(StoreError, match="not a citegraph database"):
        SQLiteStore(foreign)
    newer = tmp_path / "newer.db"
    SQLiteStore(newer).close()
    with sqlite3.connect(newer) as c:
        c.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="newer than this citegraph"):
        SQLiteStore(newer)
    with pytest.raises(StoreError, match="no citegraph database"):
        SQLiteStore(tmp_path / "missing.db", create=False)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError):
        SQLiteStore(garbage)


V3_WORK_COLUMNS = ("created_date", "deposited_date", "indexed_date", "print_date", "online_date", "member",
                   "doi_prefix", "reference_visibility")


def test_a_version_1_database_is_migrated_and_its_records_are_not_trusted_clean(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    s = SQLiteStore(path)
    clean = rec([W(1)])
    clean.data = Codec({}).compress(b"{}", 0)
    clean.client_clean = True
    write(s, [clean])
    s.build()
    s.close()
    with sqlite3.connect(path) as c:  # what version 1 wrote: no serving hints, facets by (field, value)
        c.execute("ALTER TABLE records DROP COLUMN flags")
        c.execute("ALTER TABLE records DROP COLUMN spans")
        for column in V3_WORK_COLUMNS:
            c.execute(f"ALTER TABLE works DROP COLUMN {column}")
        c.execute("DROP INDEX works_pub_date")  # (v4)
        c.execute("DROP INDEX works_pub_year")
        for table in ("asserted", "asserted_runs", "stage_citations", "stage_stubs", "stage_dates",  # (v5, v6)
                      "citer_marks"):  # (v7)
            c.execute(f"DROP TABLE {table}")
        c.execute("DROP TABLE facets")
        c.execute("DROP TABLE facet_values")
        c.execute("CREATE TABLE facets(field TEXT NOT NULL, value TEXT NOT NULL, work_id INTEGER NOT NULL,"
                  " PRIMARY KEY(field, value, work_id)) WITHOUT ROWID")
        c.executemany("INSERT INTO facets VALUES(?, ?, 1)", [("author_id", "openalex:A1"), ("keyword", "x")])
        c.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    with pytest.raises(StoreError, match="cannot migrate it from a read-only connection"):
        SQLiteStore(path, readonly=True)
    s = SQLiteStore(path)
    assert s.meta("schema_version") == str(SCHEMA_VERSION)
    columns = {r[1] for r in s.conn.execute("PRAGMA table_info(works)")}
    assert set(V3_WORK_COLUMNS) <= columns  # v2 → v3 ran after v1 → v2
    indexes = {r[1] for r in s.conn.execute("PRAGMA index_list(works)")}
    assert {"works_pub_date", "works_pub_year"} <= indexes  # and v3 → v4
    tables = {r[0] for r in s.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"asserted", "asserted_runs", "stage_citations", "stage_stubs", "stage_dates",
            "citer_marks"} <= tables  # v4 → v7
    asserted = {r[1] for r in s.conn.execute("PRAGMA table_info(asserted)")}
    assert {"extras", "citing_pos", "cited_pos"} <= asserted  # v6 → v7 on the table v4 → v5 made
    key = s.resolve(W(1)) or -1
    assert s.served_works([key], "openalex", (0, 9999))[key].record_client_clean is False  # unknown means check
    assert s.conn.execute("SELECT v.field, v.value, f.work_id FROM facets f JOIN facet_values v ON v.id = f.value_id"
                          " ORDER BY 1").fetchall() == [("author_id", "openalex:A1", 1), ("keyword", "x", 1)]
    s.close()




def test_a_works_facets_are_read_by_work(tmp_path: Path) -> None:
    """Citation objects read each work's author and venue keys by work (an index), never by visiting every value."""
    store = SQLiteStore(tmp_path / "f.db")
    plan = " ".join(str(r[3]) for r in store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT f.work_id, v.field, v.value FROM facets f JOIN facet_values v ON v.id = f.value_id"
        " WHERE f.work_id IN (1, 2) AND v.field IN ('author_id', 'author_orcid', 'venue_id', 'venue_issn')"))
    assert "facets_work" in plan
    store.close()
