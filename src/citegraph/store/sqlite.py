"""The SQLite store: one file, WAL mode, one writer and any number of readers.

Layout (see ``SCHEMA``):

- ``works``: one row per work (or stub) with the scalars lists and filters need, and our counts;
- ``work_ids``: every external id (scheme, value) → work, the identity table;
- ``records``: each source's raw record per work, zstd-compressed, keyed ``work_id << 3 | source``;
- ``edges``: one row per (citing, cited) with a bitmask of the sources that asserted it;
- ``stage``: per written record, its references, facets and names as JSON, expanded by the build
  (one row per record keeps the writer fast; the build expands them in C, sorted);
- derived by the build: ``citers`` (the citation index, ordered for the common sorts) and
  ``counts_by_year``; ``works.cited_by_count`` and ``works.referenced_works_count``.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from citegraph import ids
from citegraph.model import (
    AUTHOR_SC_NO,
    AUTHOR_SC_YES,
    FIELD_PRECEDENCE,
    IS_INFLUENTIAL,
    JOURNAL_SC_NO,
    JOURNAL_SC_YES,
    OCI_FROM_OMIDS,
    SOURCES,
    AssertedCitation,
    CitationColumns,
    counts_by_year_span,
    pack_date,
    precedence,
    sources_of,
)
from citegraph.query import VENUE_ISSN
from citegraph.store.base import (
    SCALAR_COLUMNS,
    AssertedRow,
    BatchResult,
    BuildResult,
    CitationBatchResult,
    CitationFacts,
    CitationRow,
    CitersPage,
    FileState,
    IdPair,
    PreparedRecord,
    ServedWork,
    ServeSpec,
    StoredRecord,
    StoreError,
    WorkRow,
)
from citegraph.store.codec import Codec
from citegraph.store.fields import AUTHOR_KEY_FIELDS, VENUE_KEY_FIELDS
from citegraph.store.sqlite_citations import (
    OmidIndex,
    build_staged,
    read_runs,
    stage_columns,
    stage_dates,
    staged_next_id,
    unpack_meta,
)
from citegraph.store.sqlite_columns import SQLiteColumns
from citegraph.store.sqlite_find import SQLiteQueries
from citegraph.store.sqlite_metrics import SQLiteMetrics
from citegraph.store.sqlquery import page_bounds

#: Bump when the schema changes; ``MIGRATIONS`` must then carry the old version forward.
SCHEMA_VERSION = 9

#: Records are keyed work_id << RECORD_SHIFT | source index: room for 8 sources per work.
RECORD_SHIFT = 3
#: The columns of what serving a work needs, as ``_served_sql`` selects them first.
_SERVED_COLUMNS = 12
#: Placeholders for every record key of one work.
_RECORD_KEY_MARKS = ",".join("?" * (1 << RECORD_SHIFT))

#: SQLite caps bound parameters per statement at 32766; stay well under for IN lists.
MAX_IN_PARAMS = 500

#: Page size of new databases: a compressed record is ~800 bytes, and 8 KB pages waste half as much of
#: each page's tail as 4 KB ones (measured: ~80 bytes a work).
PAGE_BYTES = 8192
#: Page cache per connection (negative = KiB): 256 MiB keeps the id index hot during loads.
CACHE_KIB = 262_144
#: Every this many citers of a work, the citation index's place is marked (``citer_marks``): a page at offset N
#: seeks to the mark below N and skips fewer than this many rows, however deep N is.
MARK_EVERY = 1000

#: Memory-mapped reads for read-only connections (the server); the writer does not map, which keeps
#: a load's resident memory to its page cache and sorter.
READER_MMAP_BYTES = 1 << 30

#: The tables schema version 8 added (the metrics' results, the build's log of touched works), and a work's facets
#: by work (a citation's author and venue keys were found by visiting every author and venue value: 0.7 s a work on
#: 1M works, now 0.3 ms): in the schema and in the migration to it alike.
V8_TABLES = """CREATE INDEX IF NOT EXISTS facets_work ON facets(work_id, value_id);
CREATE TABLE IF NOT EXISTS impact_bins(
    id INTEGER PRIMARY KEY, subject TEXT NOT NULL, year INTEGER NOT NULL, type TEXT, works INTEGER NOT NULL,
    mean DOUBLE PRECISION NOT NULL, mean_3y DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS impact(
    work_id INTEGER PRIMARY KEY, bin INTEGER, cited_3y INTEGER NOT NULL, score DOUBLE PRECISION,
    score_3y DOUBLE PRECISION, percentile DOUBLE PRECISION, percentile_3y DOUBLE PRECISION, flags INTEGER NOT NULL,
    author_self_cited_by INTEGER NOT NULL, journal_self_cited_by INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS touched(work_id INTEGER PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS related_top(
    work_id INTEGER NOT NULL, rank INTEGER NOT NULL, other INTEGER NOT NULL, cocitation INTEGER NOT NULL,
    coupling INTEGER NOT NULL, cocitation_cosine DOUBLE PRECISION NOT NULL, coupling_cosine DOUBLE PRECISION NOT NULL,
    PRIMARY KEY(work_id, rank)) WITHOUT ROWID;
"""

#: What serving a work reads besides its row and record, written by the build (a correlated read per work cost ~5 µs
#: in SQLite and ~20 µs in PostgreSQL: a third of a 25-work page). ``served_years``: the counts by year a work is
#: served with, as the JSON ``_served`` writes, for the span in meta ``served_years`` (works with none in it have
#: no row). ``refs_beyond``: the sources (bits) holding a record of the work that do not assert every edge it
#: cites (works with none have no row); trusted once meta ``refs_beyond`` is set.
V9_TABLES = """CREATE TABLE IF NOT EXISTS served_years(work_id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refs_beyond(work_id INTEGER PRIMARY KEY, sources INTEGER NOT NULL);
"""
#: The meta keys saying those tables are current (see V9_TABLES); until then serving reads live.
SERVED_YEARS_META = "served_years"
REFS_BEYOND_META = "refs_beyond"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS works(
    id INTEGER PRIMARY KEY,
    stub INTEGER NOT NULL DEFAULT 1,
    sources INTEGER NOT NULL DEFAULT 0,
    key_id TEXT,
    title TEXT,
    publication_year INTEGER,
    publication_date TEXT,
    pub_key INTEGER NOT NULL DEFAULT 0,
    type TEXT,
    type_source TEXT,
    language TEXT,
    is_oa INTEGER,
    oa_status TEXT,
    is_retracted INTEGER,
    is_paratext INTEGER,
    has_abstract INTEGER,
    authors_count INTEGER,
    publisher TEXT,
    has_doi INTEGER,
    has_pmid INTEGER,
    has_pmcid INTEGER,
    created_date TEXT,
    deposited_date TEXT,
    indexed_date TEXT,
    print_date TEXT,
    online_date TEXT,
    member TEXT,
    doi_prefix TEXT,
    reference_visibility TEXT,
    cited_by_count INTEGER NOT NULL DEFAULT 0,
    referenced_works_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS works_cbc ON works(cited_by_count DESC, id);
CREATE INDEX IF NOT EXISTS works_pub_date ON works(publication_date);
CREATE INDEX IF NOT EXISTS works_pub_year ON works(publication_year);
CREATE TABLE IF NOT EXISTS work_ids(
    scheme TEXT NOT NULL, value TEXT NOT NULL, work_id INTEGER NOT NULL,
    PRIMARY KEY(scheme, value)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS work_ids_work ON work_ids(work_id);
CREATE TABLE IF NOT EXISTS records(
    key INTEGER PRIMARY KEY, version TEXT, dict_id INTEGER NOT NULL, data BLOB NOT NULL,
    duplicate_refs INTEGER NOT NULL DEFAULT 0, self_refs INTEGER NOT NULL DEFAULT 0,
    flags INTEGER NOT NULL DEFAULT 0, spans BLOB, fields BLOB);
CREATE TABLE IF NOT EXISTS facet_values(
    id INTEGER PRIMARY KEY, field TEXT NOT NULL, value TEXT NOT NULL, UNIQUE(field, value));
CREATE TABLE IF NOT EXISTS facets(
    value_id INTEGER NOT NULL, work_id INTEGER NOT NULL, sources INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY(value_id, work_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS edges(
    citing INTEGER NOT NULL, cited INTEGER NOT NULL, sources INTEGER NOT NULL,
    PRIMARY KEY(citing, cited)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stage(
    citing INTEGER NOT NULL, source INTEGER NOT NULL, cited BLOB NOT NULL, refs BLOB NOT NULL,
    facets BLOB NOT NULL, names BLOB NOT NULL, PRIMARY KEY(citing, source));
CREATE TABLE IF NOT EXISTS stage_replaced(work_id INTEGER NOT NULL, source INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS self_loops(
    work_id INTEGER NOT NULL, sources INTEGER NOT NULL, PRIMARY KEY(work_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS conflicts(
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, record_id TEXT NOT NULL, scheme TEXT NOT NULL,
    value TEXT NOT NULL, kept_work INTEGER NOT NULL, other_work INTEGER NOT NULL, rule TEXT NOT NULL,
    UNIQUE(source, record_id, scheme, value));
CREATE TABLE IF NOT EXISTS load_files(
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, source TEXT, position INTEGER NOT NULL,
    done INTEGER NOT NULL, loaded INTEGER NOT NULL, rejected INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS names(
    scheme TEXT NOT NULL, value TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY(scheme, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dictionaries(id INTEGER PRIMARY KEY, source TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS citers(
    cited INTEGER NOT NULL, neg_cbc INTEGER NOT NULL, citing INTEGER NOT NULL, pub_key INTEGER NOT NULL,
    PRIMARY KEY(cited, neg_cbc, citing)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS citers_date ON citers(cited, pub_key, citing);
CREATE TABLE IF NOT EXISTS citer_marks(
    cited INTEGER NOT NULL, rank INTEGER NOT NULL, neg_cbc INTEGER NOT NULL, citing INTEGER NOT NULL,
    PRIMARY KEY(cited, rank)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS asserted(
    citing INTEGER NOT NULL, cited INTEGER NOT NULL, source INTEGER NOT NULL, oci TEXT, creation TEXT, timespan TEXT,
    flags INTEGER NOT NULL DEFAULT 0, extras BLOB, citing_pos INTEGER, cited_pos INTEGER,
    PRIMARY KEY(citing, cited, source)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS asserted_oci ON asserted(oci) WHERE oci IS NOT NULL;
CREATE INDEX IF NOT EXISTS asserted_cited_pos ON asserted(cited, source, cited_pos) WHERE cited_pos IS NOT NULL;
CREATE TABLE IF NOT EXISTS asserted_runs(
    citing INTEGER NOT NULL, source INTEGER NOT NULL, cited BLOB NOT NULL, meta BLOB NOT NULL,
    PRIMARY KEY(citing, source)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stage_citations(
    id INTEGER PRIMARY KEY, source INTEGER NOT NULL, rows INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS stage_stubs(id INTEGER PRIMARY KEY, count INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS stage_dates(id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS counts_by_year(
    work_id INTEGER NOT NULL, year INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY(work_id, year)) WITHOUT ROWID;
""" + V8_TABLES + V9_TABLES

#: version → SQL that brings a database at that version to the next one.
MIGRATIONS: dict[int, str] = {
    # v2: records.flags and records.spans, serving hints from the load; 0 and NULL on old rows mean
    # "not known", which is always safe (the server checks the record itself)
    # and facets by value id (each (field, value) once in facet_values): half the bytes per work
    1: "ALTER TABLE records ADD COLUMN flags INTEGER NOT NULL DEFAULT 0; ALTER TABLE records ADD COLUMN spans BLOB;"
       "CREATE TABLE facet_values(id INTEGER PRIMARY KEY, field TEXT NOT NULL, value TEXT NOT NULL,"
       " UNIQUE(field, value));"
       "INSERT INTO facet_values(field, value) SELECT DISTINCT field, value FROM facets ORDER BY field, value;"
       "CREATE TABLE facets_v2(value_id INTEGER NOT NULL, work_id INTEGER NOT NULL,"
       " PRIMARY KEY(value_id, work_id)) WITHOUT ROWID;"
       "INSERT INTO facets_v2 SELECT v.id, f.work_id FROM facets f JOIN facet_values v"
       " ON v.field = f.field AND v.value = f.value ORDER BY 1, 2;"
       "DROP TABLE facets; ALTER TABLE facets_v2 RENAME TO facets;",
    # v3: the Crossref scalars (dates, member, DOI prefix, reference visibility); NULL on old rows until
    # their records are loaded again (``citegraph load`` of the same files refills them)
    2: "".join(f"ALTER TABLE works ADD COLUMN {c} TEXT;" for c in (
        "created_date", "deposited_date", "indexed_date", "print_date", "online_date", "member", "doi_prefix",
        "reference_visibility")),
    # v4: publication dates and years indexed: date and year filters (Crossref's from-/until-pub-date, OpenAlex's
    # from_/to_publication_date and publication_year) read their range instead of every work (0.4 s for 35k of
    # 920k works before)
    3: "CREATE INDEX IF NOT EXISTS works_pub_date ON works(publication_date);"
       "CREATE INDEX IF NOT EXISTS works_pub_year ON works(publication_year);",
    # v5: what a source's citation file asserted about each citation (OpenCitations' OCI, creation, timespan, flags)
    4: "CREATE TABLE IF NOT EXISTS asserted(citing INTEGER NOT NULL, cited INTEGER NOT NULL, source INTEGER NOT NULL,"
       " oci TEXT, creation TEXT, timespan TEXT, flags INTEGER NOT NULL DEFAULT 0,"
       " PRIMARY KEY(citing, cited, source)) WITHOUT ROWID;",
    # v6: citation files read in bulk are staged as packed blocks and built into one row per citing work
    # and OCIs a source wrote as text are found back by /citation/{oci} (a DOI with an inner "10." does not decode)
    5: "CREATE INDEX IF NOT EXISTS asserted_oci ON asserted(oci) WHERE oci IS NOT NULL;"
       "CREATE TABLE IF NOT EXISTS asserted_runs(citing INTEGER NOT NULL, source INTEGER NOT NULL,"
       " cited BLOB NOT NULL, meta BLOB NOT NULL, PRIMARY KEY(citing, source)) WITHOUT ROWID;"
       "CREATE TABLE IF NOT EXISTS stage_citations(id INTEGER PRIMARY KEY, source INTEGER NOT NULL,"
       " rows INTEGER NOT NULL, data BLOB NOT NULL);"
       "CREATE TABLE IF NOT EXISTS stage_stubs(id INTEGER PRIMARY KEY, count INTEGER NOT NULL, data BLOB NOT NULL);"
       "CREATE TABLE IF NOT EXISTS stage_dates(id INTEGER PRIMARY KEY, data BLOB NOT NULL);",
    # v7: what S2 says of a citation (contexts, intents) and where it listed it (its own citation/reference order);
    # every MARK_EVERY-th citer of a much-cited work, so a page at any offset starts near its place
    6: "ALTER TABLE asserted ADD COLUMN extras BLOB;"
       "ALTER TABLE asserted ADD COLUMN citing_pos INTEGER;"
       "ALTER TABLE asserted ADD COLUMN cited_pos INTEGER;"
       "CREATE INDEX IF NOT EXISTS asserted_cited_pos ON asserted(cited, source, cited_pos)"
       " WHERE cited_pos IS NOT NULL;"
       "CREATE TABLE IF NOT EXISTS citer_marks(cited INTEGER NOT NULL, rank INTEGER NOT NULL,"
       " neg_cbc INTEGER NOT NULL, citing INTEGER NOT NULL, PRIMARY KEY(cited, rank)) WITHOUT ROWID;",
    # v8: field-normalised impact and self-citation counts per work, and the bins works are compared within
    # (filled by the next build; the subjects need the records loaded again by this version); each record's own
    # work-row values (the row is merged from them by FIELD_PRECEDENCE) and which sources gave each facet (NULL and
    # 0 on old rows: not known, treated as before)
    7: "ALTER TABLE records ADD COLUMN fields BLOB;"
       "ALTER TABLE facets ADD COLUMN sources INTEGER NOT NULL DEFAULT 0;"
       + V8_TABLES,
    # v9: what serving reads precomputed (filled by the next build; read live until then)
    8: V9_TABLES,
}


_ADD_COLUMN = re.compile(r"\s*ALTER TABLE (\w+) ADD COLUMN (\w+)", re.IGNORECASE)

#: A build updates the derived tables of the works a load touched (``touched``) when they are at most this share of
#: the works; past it, rebuilding every derived table from sorted bulk inserts is the faster way.
INCREMENTAL_MAX_SHARE = 0.05

#: Sources whose citations come from citation files (written by ``write_citations``), not from their records'
#: reference lists: loading such a source's record again must not drop its edges.
CITATION_FILE_SOURCES = frozenset({"opencitations", "s2"})

#: Ids remembered by the citation writer between batches (about 150 bytes each); past this the memory is cleared.
ID_CACHE_MAX = 4_000_000

#: records.flags bit: the stored record needs no cleaning before it is served (the source checked at load).
RECORD_CLIENT_CLEAN = 1
#: records.flags bit: the record's own reference list is exactly the references it gave (no repeats,
#: nulls, self-references or unreadable entries), so a work known only from it can serve that list as is.
RECORD_REFS_EXACT = 2


_NO_SCALARS = (None,) * len(SCALAR_COLUMNS)

_WORK_COLUMNS = ("id", "sources", "key_id", "title", "publication_year", "publication_date", "pub_key",
                 "type") + SCALAR_COLUMNS
#: The work row's columns a record supplies (besides the work id, its source bit and pub_key, derived from the date).
_FIELD_COLUMNS = _WORK_COLUMNS[2:6] + _WORK_COLUMNS[7:]
#: The row written is merged in Python from every record of the work by FIELD_PRECEDENCE (``_merged_fields``), so
#: it replaces what is there: the same row whatever order the sources were loaded in.
_UPSERT_WORK = (
    f"INSERT INTO works(stub, {', '.join(_WORK_COLUMNS)}) VALUES(0, {', '.join('?' * len(_WORK_COLUMNS))})"
    " ON CONFLICT(id) DO UPDATE SET stub=0, sources=works.sources|excluded.sources, "
    + ", ".join(f"{c}=excluded.{c}" for c in _WORK_COLUMNS if c not in ("id", "sources")))
_pack_fields = msgspec.msgpack.encode
_unpack_fields = msgspec.msgpack.Decoder(list)


def merge_fields(candidates: list[tuple[int, Sequence[object]]]) -> list[object]:
    """One work row's values from several records' (precedence, values): per column, the first value not None in
    precedence order (the lower number first)."""
    ordered = [values for _rank, values in sorted(candidates, key=lambda c: c[0])]
    return [next((v[i] for v in ordered if i < len(v) and v[i] is not None), None)
            for i in range(len(_FIELD_COLUMNS))]


_json = msgspec.json.encode
#: Writes whose target may hold the row already, in the upsert form SQLite and PostgreSQL both read.
_INSERT_CONFLICT = ("INSERT INTO conflicts(source, record_id, scheme, value, kept_work, other_work, rule)"
                    " VALUES(?,?,?,?,?,?,?) ON CONFLICT DO NOTHING")
_INSERT_ID = "INSERT INTO work_ids(scheme, value, work_id) VALUES(?,?,?) ON CONFLICT DO NOTHING"
_UPSERT_RECORD = ("INSERT INTO records VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET"
                  " version = excluded.version, dict_id = excluded.dict_id, data = excluded.data,"
                  " duplicate_refs = excluded.duplicate_refs,"
                  " self_refs = excluded.self_refs, flags = excluded.flags, spans = excluded.spans,"
                  " fields = excluded.fields")
_UPSERT_STAGE = ("INSERT INTO stage VALUES(?,?,?,?,?,?) ON CONFLICT(citing, source) DO UPDATE SET"
                 " cited = excluded.cited, refs = excluded.refs, facets = excluded.facets, names = excluded.names")
#: The staged references, one row each: (citing, source, position in the record, scheme, value).
# refs and facets are staged as flat "scheme:value" / "field:value" strings: cheaper to expand than pairs
_STAGED_REFS = ("SELECT s.citing, s.source, j.key AS pos, substr(j.value, 1, instr(j.value, ':') - 1) AS scheme,"
                " substr(j.value, instr(j.value, ':') + 1) AS value FROM stage s, json_each(s.refs) j")


def pub_key(date: str | None, year: int | None) -> int:
    """A date as an integer YYYYMMDD that sorts like the date; unknown parts are 0, unknown dates 0."""
    if date:
        parts = date.split("-")
        try:
            y = int(parts[0])
            m = int(parts[1]) if len(parts) > 1 else 0
            d = int(parts[2][:2]) if len(parts) > 2 else 0
            return y * 10000 + m * 100 + d
        except ValueError:
            pass
    return (year or 0) * 10000


@functools.lru_cache(maxsize=1 << 16)  # a list reads 25+ dates per call, from a few tens of thousands
def key_date(key: int) -> str | None:
    """The ISO date (at its precision) of a ``pub_key``."""
    if key <= 0:
        return None
    y, m, d = key // 10000, key // 100 % 100, key % 100
    if not m:
        return f"{y:04d}"
    if not d:
        return f"{y:04d}-{m:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}"


#: A ``pub_key`` with its unknown month and day taken as the first (S2: "treated as if published on January 1st").
_FIRST_DAY_KEY = ("(w.pub_key + CASE WHEN w.pub_key % 10000 = 0 THEN 101 WHEN w.pub_key % 100 = 0 THEN 1"
                  " ELSE 0 END)")


def _span_text(span: tuple[int, int]) -> str:
    """A span of years as meta ``served_years`` holds it."""
    return f"{span[0]}-{span[1]}"


def _source_index(source: str) -> int:
    return SOURCES.index(source)


def _list_order(sort: str, neg_cbc: str, date: str, other: str, after: tuple | None,
                params: list[object]) -> tuple[str, str]:
    """The keyset condition (after ``after``) and ORDER BY of a citation or reference list in ``sort`` order.

    One rule for both lists: most cited first breaks ties by lowest id (a forward scan of -cited_by_count),
    least cited first by highest id, and dates break ties by id in the date's own direction.
    """
    field, _, direction = sort.partition(":")
    desc = direction == "desc"
    if field == "cited_by_count":
        key, order, sign = neg_cbc, ("ASC" if desc else "DESC"), -1
    elif field == "publication_date":
        key, order, sign = date, ("DESC" if desc else "ASC"), 1
    else:
        raise ValueError(f"unknown sort {sort!r}")
    keyset_sql = ""
    if after is not None:
        keyset_sql = f" AND ({key}, {other}) {'<' if order == 'DESC' else '>'} (?, ?)"
        params += [sign * after[0], after[1]]
    return keyset_sql, f"{key} {order}, {other} {order}"


def connect(path: str | os.PathLike[str], *, readonly: bool = False) -> sqlite3.Connection:
    """Open a connection tuned for this store (WAL, big cache, memory-mapped reads)."""
    if readonly:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    else:
        conn = sqlite3.connect(os.fspath(path), check_same_thread=False, isolation_level=None)
    if not readonly:
        conn.execute(f"PRAGMA page_size={PAGE_BYTES}")  # takes effect only while the file is still empty
    conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    if readonly:
        # readers map the file: pages come straight from the OS page cache, shared between workers
        conn.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")
    conn.execute("PRAGMA temp_store=FILE")
    conn.execute("PRAGMA threads=2")  # the sorter may use both cores during builds
    conn.execute("PRAGMA busy_timeout=10000")
    if not readonly:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
    return conn


class SQLiteStore(SQLiteMetrics, SQLiteQueries):
    """The storage contract on one SQLite file.

    Its SQL is written to read alike in PostgreSQL where it can; what cannot (JSON expansion, index hints, one
    aggregate) is a class attribute, and the build's bulk steps are methods, that the PostgreSQL store replaces.
    """

    #: The staged references, one row each: (citing, source, position in the record, scheme, value).
    _STAGED_REFS = _STAGED_REFS
    #: A record's resolved references (work ids, each once, in order) as the ``stage.cited`` column holds them.
    _staged_cited: Callable[[list[int]], object] = staticmethod(lambda cited: _json(cited))
    #: The staged facets, one row each: (field, value, work_id, source).
    _STAGED_FACETS = ("SELECT substr(j.value, 1, instr(j.value, ':') - 1) AS field, substr(j.value, instr(j.value, ':')"
                      " + 1) AS value, s.citing AS work_id, s.source AS source FROM stage s, json_each(s.facets) j")
    #: The staged display names, one row each: (scheme, value, name).
    _STAGED_NAMES = "SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM stage s, json_each(s.names) j WHERE true"
    #: Staged references (resolved at load, or by id now; ``{refs}`` is ``_STAGED_REFS``) merged into the edges.
    _EDGES_FROM_STAGE = ("INSERT INTO edges(citing, cited, sources)"
                         " SELECT s.citing, j.value, 1 << s.source FROM stage s, json_each(s.cited) j"
                         " UNION ALL SELECT r.citing, i.work_id, 1 << r.source FROM ({refs}) r"
                         " JOIN work_ids i ON i.scheme = r.scheme AND i.value = r.value ORDER BY 1, 2"
                         " ON CONFLICT(citing, cited) DO UPDATE SET sources = edges.sources | excluded.sources")
    #: The staged facets as rows of the facets table (value id, work, the source's bit), in key order; a facet
    #: another source gave too keeps both bits.
    _FACETS_FROM_STAGE = ("INSERT INTO facets SELECT v.id, f.work_id, 1 << f.source FROM staged_facets f"
                          " JOIN facet_values v ON v.field = f.field AND v.value = f.value WHERE true ORDER BY 1, 2"
                          " ON CONFLICT(value_id, work_id) DO UPDATE SET sources = facets.sources | excluded.sources")
    #: Reads the citation index in date order: SQLite's planner is told to (it would pick the primary key).
    _CITERS_BY_DATE = " INDEXED BY citers_date"
    #: A work's counts by year for years ? to ? as ServedWork's JSON, newest first, built by SQLite: formatting them in
    #: Python cost ~7 µs a work, a third of splicing one. The subquery's ORDER BY is a backward scan of the key
    #: (no sort), and SQLite aggregates a subquery's rows in its order; a test pins the order.
    _COUNTS_BY_YEAR_JSON = (
        "SELECT json_group_array(json_object('year', c.year, 'cited_by_count', c.n)) FROM"
        " (SELECT year, n FROM counts_by_year WHERE work_id = w.id AND year BETWEEN ? AND ? AND n > 0"
        " ORDER BY year DESC) c")

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True, readonly: bool = False,
                 columnar: bool = True) -> None:
        """Open (or create) the database at ``path``; ``columnar=False`` answers group-bys by SQL alone."""
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        if not self.path.exists():
            if not create or readonly:
                raise StoreError(f"no citegraph database at {self.path} (run `citegraph load` first)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = connect(self.path, readonly=readonly)
            self._check_schema(create=create and not readonly)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable citegraph database: {exc}") from exc
        self._start(SQLiteColumns(self.conn) if columnar else None)

    def _start(self, columns: SQLiteColumns | None) -> None:
        """The state an open store keeps besides its connection (both engines)."""
        self._codec: Codec | None = None
        self._id_cache: dict[IdPair, int] = {}  # the citation writer's memory of resolved ids
        self._omids = OmidIndex()  # the bulk citation writer's: every br OMID held, as sorted integers
        self.columns = columns

    # --- lifecycle -------------------------------------------------------------------------------
    def _check_schema(self, *, create: bool) -> None:
        has_meta = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if not has_meta:
            tables = self.conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
            if tables:
                raise StoreError(f"{self.path} is a SQLite file but not a citegraph database")
            if not create:
                raise StoreError(f"{self.path} is empty: not a citegraph database")
            self.conn.executescript("BEGIN;" + SCHEMA + "COMMIT;")
            self.conn.execute("INSERT INTO meta VALUES('schema_version', ?)", (str(SCHEMA_VERSION),))
            return
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} has schema version {version}, newer than this citegraph "
                             f"understands ({SCHEMA_VERSION}); upgrade citegraph")
        while version < SCHEMA_VERSION:
            step = MIGRATIONS.get(version)
            if step is None or not create:
                raise StoreError(f"{self.path} has schema version {version}; this citegraph needs "
                                 f"{SCHEMA_VERSION} and cannot migrate it" +
                                 ("" if create else " from a read-only connection (`citegraph migrate` does)"))
            self.conn.executescript("BEGIN;" + self._without_present_columns(step) + "COMMIT;")
            version += 1
            self.conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))

    def _without_present_columns(self, step: str) -> str:
        """A migration without its ``ALTER TABLE t ADD COLUMN c`` statements whose column is there already (SQLite
        has no ``IF NOT EXISTS`` for columns; a table a later schema created whole has them)."""
        kept = []
        for statement in step.split(";"):
            m = _ADD_COLUMN.match(statement)
            if m is not None and any(row[1] == m[2] for row in self.conn.execute(f"PRAGMA table_info({m[1]})")):
                continue
            kept.append(statement)
        return ";".join(kept)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL when this was the last one)."""
        self.conn.close()

    def meta(self, key: str) -> str | None:
        """A value from the meta table."""
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value in the meta table."""
        self.conn.execute("INSERT INTO meta VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                          (key, value))

    # --- compression dictionaries -----------------------------------------------------------------
    def dictionary(self, source: str) -> tuple[int, bytes] | None:
        """The newest compression dictionary trained for ``source``."""
        row = self.conn.execute("SELECT id, data FROM dictionaries WHERE source=? ORDER BY id DESC LIMIT 1",
                                (source,)).fetchone()
        return (row[0], row[1]) if row else None

    def dictionaries(self) -> dict[int, bytes]:
        """Every compression dictionary, by id."""
        return {r[0]: r[1] for r in self.conn.execute("SELECT id, data FROM dictionaries")}

    def add_dictionary(self, source: str, data: bytes) -> int:
        """Store a trained dictionary; its id is what records name."""
        row = self.conn.execute("INSERT INTO dictionaries(source, data) VALUES(?, ?) RETURNING id",
                                (source, data)).fetchone()
        self._codec = None
        return int(row[0])

    @property
    def codec(self) -> Codec:
        """A codec knowing every dictionary of this database."""
        if self._codec is None:
            self._codec = Codec(self.dictionaries())
        return self._codec

    # --- load progress -------------------------------------------------------------------------------
    def file_state(self, path: str) -> FileState | None:
        """The recorded progress of a load through ``path``."""
        row = self.conn.execute("SELECT path, size, mtime_ns, source, position, done, loaded, rejected "
                                "FROM load_files WHERE path=?", (path,)).fetchone()
        if not row:
            return None
        return FileState(path=row[0], size=row[1], mtime_ns=row[2], source=row[3], position=row[4],
                         done=bool(row[5]), loaded=row[6], rejected=row[7])

    def start_file(self, state: FileState) -> None:
        """Record the start (or restart) of a file's load."""
        self.conn.execute(
            "INSERT INTO load_files VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(path) DO UPDATE SET size=excluded.size,"
            " mtime_ns=excluded.mtime_ns, source=excluded.source, position=excluded.position,"
            " done=excluded.done, loaded=excluded.loaded, rejected=excluded.rejected",
            (state.path, state.size, state.mtime_ns, state.source, state.position, int(state.done),
             state.loaded, state.rejected))

    # --- writing ----------------------------------------------------------------------------------------
    def _lookup_ids(self, pairs: set[IdPair]) -> dict[IdPair, int]:
        found: dict[IdPair, int] = {}
        by_scheme: dict[str, list[str]] = {}
        omids = [v for s, v in pairs if s == ids.OMID and v.startswith("br/06") and v[3:].isdigit() and len(v) <= 21]
        if omids and (self._omids.loaded or self.conn.execute("SELECT 1 FROM stage_stubs LIMIT 1").fetchone()):
            # OMIDs of stubs staged but not yet built are known to the bulk writer's index only
            if not self._omids.loaded:
                self._omids.load(self.conn)
            work = self._omids.lookup(np.array([int(v[3:]) for v in omids], dtype=np.int64))
            found.update({(ids.OMID, v): int(w) for v, w in zip(omids, work.tolist(), strict=True) if w >= 0})
        for scheme, value in pairs:
            if (scheme, value) not in found:
                by_scheme.setdefault(scheme, []).append(value)
        for scheme, values in by_scheme.items():
            found.update(((scheme, value), work_id) for value, work_id in self._ids_named(scheme, values))
        return found

    def _ids_named(self, scheme: str, values: list[str]) -> Iterator[tuple[str, int]]:
        """(value, work) of each of ``values`` that names a work in ``scheme``."""
        for i in range(0, len(values), MAX_IN_PARAMS):
            chunk = values[i:i + MAX_IN_PARAMS]
            marks = ",".join("?" * len(chunk))
            yield from self.conn.execute(f"SELECT value, work_id FROM work_ids WHERE scheme=? AND value IN ({marks})",
                                         (scheme, *chunk))

    def _has_other_id(self, work_id: int, pair: IdPair, batch_primary: dict[int, IdPair]) -> bool:
        """Does ``work_id`` already hold an id of ``pair``'s scheme with another value?"""
        mine = batch_primary.get(work_id)
        if mine is not None and mine[0] == pair[0] and mine[1] != pair[1]:
            return True
        row = self.conn.execute("SELECT 1 FROM work_ids WHERE work_id=? AND scheme=? AND value<>? LIMIT 1",
                                (work_id, pair[0], pair[1])).fetchone()
        return row is not None

    def _next_work_id(self) -> int:
        row = self.conn.execute("SELECT max(id) FROM works").fetchone()
        return max((row[0] or 0) + 1, staged_next_id(self.conn))

    def write_batch(self, source: str, records: Sequence[PreparedRecord], *, path: str | None,
                    next_position: int, rejected: int, done: bool) -> BatchResult:
        """Write a batch of one source's records and the file's progress in one transaction.

        Identity resolution (the documented rule): a record joins the work its primary (first) id
        names; if that id is new, the lowest-numbered work any of its other ids names — unless that
        work already has a different primary id of the same scheme (two OpenAlex works sharing a
        DOI are two works). Every id that names another work than the one joined stays where it is
        and is written to ``conflicts`` with the rule applied; nothing is silently reassigned.
        """
        src = _source_index(source)
        result = BatchResult()
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            wanted = {pair for rec in records for pair in rec.ids}
            known = self._lookup_ids(wanted | {pair for rec in records for pair in rec.refs})
            held = set(known)
            next_id = self._next_work_id()
            keys = []
            claimed_before: set[int] = set()
            batch_primary: dict[int, IdPair] = {}  # works given a primary id in this batch
            for rec in records:
                primary_pair = rec.ids[0]
                claimed = [known[p] for p in rec.ids if p in known]
                primary = known.get(primary_pair)
                rivals: set[int] = set()
                if primary is None:
                    # a work that already has another primary id of this scheme is a different work
                    # of this source that shares a secondary id (two OpenAlex works with one DOI)
                    rivals = {w for w in claimed if self._has_other_id(w, primary_pair, batch_primary)}
                candidates = [w for w in claimed if w not in rivals]
                if primary is not None:
                    work_id = primary
                elif candidates:
                    work_id = min(candidates)
                else:
                    work_id = next_id
                    next_id += 1
                for pair in rec.ids:
                    other = known.get(pair)
                    if other is not None and other != work_id:
                        rule = "same-source-primary-ids-differ" if other in rivals else "primary-id-wins"
                        conn.execute(_INSERT_CONFLICT,
                                     (source, f"{primary_pair[0]}:{primary_pair[1]}", pair[0], pair[1],
                                      work_id, other, rule))
                        result.conflicts += 1
                if primary is not None or candidates:
                    claimed_before.add(work_id)
                batch_primary.setdefault(work_id, primary_pair)
                for pair in rec.ids:
                    known.setdefault(pair, work_id)
                keys.append(work_id)
            # ids: new ones point at their work; ids claimed by another work keep it (recorded above)
            new_ids = list({(s, v): (s, v, w) for rec, w in reversed(list(zip(records, keys, strict=True)))
                            for (s, v) in rec.ids if (s, v) not in held}.values())  # each id once: its first work
            conn.executemany(_INSERT_ID, new_ids)
            self._omids.add_pairs(new_ids)  # the bulk citation writer's index learns the OMIDs written here
            existing = {}
            rkeys = [(w << RECORD_SHIFT) | src for w in keys]
            for i in range(0, len(rkeys), MAX_IN_PARAMS):
                chunk = rkeys[i:i + MAX_IN_PARAMS]
                marks = ",".join("?" * len(chunk))
                for key, version in conn.execute(f"SELECT key, version FROM records WHERE key IN ({marks})",
                                                 chunk):
                    existing[key] = version
            work_rows = []
            record_rows = []
            stage_rows: list[tuple[int, int, object, bytes, bytes, bytes]] = []
            replaced = []
            for index, (rec, work_id, rkey) in enumerate(zip(records, keys, rkeys, strict=True)):
                if rkey in existing:
                    old = existing[rkey]
                    if old is not None and rec.version is not None and rec.version <= old:
                        result.unchanged += 1  # the same or an older version: nothing to change
                        continue
                    result.updated += 1
                    replaced.append((work_id, src))
                elif work_id in claimed_before:
                    result.merged += 1  # joined a work known from another source, or filled a stub
                    result.merged_keys.append(work_id)
                else:
                    result.inserted += 1
                result.written.append((index, work_id))
                existing[rkey] = rec.version
                fields = (rec.ids[0][0] + ":" + rec.ids[0][1], rec.title, rec.publication_year, rec.publication_date,
                          rec.type, *(rec.scalars or _NO_SCALARS))
                work_rows.append((work_id, fields))
                record_rows.append((rkey, rec.version, rec.dict_id, rec.data, rec.duplicate_refs,
                                    rec.self_refs, _record_flags(rec), rec.spans, _pack_fields(fields)))
                # references to works the database already knows are staged as keys; the rest by id
                cited: list[int] = []
                unresolved: list[str] = []
                for pair in rec.refs:
                    target = known.get(pair)
                    if target is None:
                        unresolved.append(f"{pair[0]}:{pair[1]}")
                    else:
                        cited.append(target)
                stage_rows.append((work_id, src, self._staged_cited(sorted(set(cited))), _json(unresolved),
                                   _json([f"{a}:{b}" for a, b in rec.facets]), _json(rec.names)))
                result.refs += len(rec.refs)
            conn.executemany(_UPSERT_WORK, self._merged_rows(src, work_rows))
            self._log_touched(w for w, _f in work_rows)
            conn.executemany(_UPSERT_RECORD, record_rows)
            if replaced:
                conn.executemany("INSERT INTO stage_replaced VALUES(?,?)", replaced)
            # a record staged twice before a build keeps only its newest staging (the primary key)
            conn.executemany(_UPSERT_STAGE, stage_rows)
            stated = [c for rec in records for c in rec.asserted]
            if stated:  # after the records, so each end finds the work a record of this batch made
                result.citations = self._write_asserted(source, stated)[0]
            self._written(path, next_position, done, len(records), rejected)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            self._omids.clear()  # it may hold OMIDs that were never written
            self._id_cache.clear()  # it may name stubs that were never written
            raise
        return result

    def _merged_rows(self, src: int, rows: Sequence[tuple[int, tuple[object, ...]]]) -> list[tuple[object, ...]]:
        """Work rows to upsert for records of source ``src`` just written, each (work, its values): a work that
        other sources' records (or a stub's citation data) also describe gets the merge of them all by
        FIELD_PRECEDENCE, so its row is the same whatever order the sources came in."""
        known: dict[int, tuple[object, ...]] = {}  # work → (sources, stub, values) of works already stored
        work_ids = list({w for w, _f in rows})
        columns = ", ".join(_FIELD_COLUMNS)
        for i in range(0, len(work_ids), MAX_IN_PARAMS):
            chunk = work_ids[i:i + MAX_IN_PARAMS]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(f"SELECT id, sources, stub, {columns} FROM works WHERE id IN ({marks})",
                                         chunk):
                known[row[0]] = tuple(row[1:])
        mine = precedence(SOURCES[src])
        others: dict[int, list[int]] = {}  # record keys of other sources to read, per work
        for work_id, _fields in rows:
            had = known.get(work_id)
            if had is not None:
                bits = int(had[0]) & ~(1 << src)  # type: ignore[call-overload]
                keys = [(work_id << RECORD_SHIFT) | s for s in range(len(SOURCES)) if bits & (1 << s)]
                if keys:
                    others[work_id] = keys
        stored: dict[int, bytes | None] = {}
        wanted = [k for keys in others.values() for k in keys]
        for i in range(0, len(wanted), MAX_IN_PARAMS):
            chunk = wanted[i:i + MAX_IN_PARAMS]
            marks = ",".join("?" * len(chunk))
            stored.update(self.conn.execute(f"SELECT key, fields FROM records WHERE key IN ({marks})", chunk))
        out = []
        for work_id, fields in rows:
            had = known.get(work_id)
            candidates: list[tuple[int, Sequence[object]]] = [(mine, fields)]
            if had is not None:
                current = had[2:]
                for key in others.get(work_id, ()):
                    blob = stored.get(key)
                    # a record stored before records kept their values: the row as it stands speaks for it
                    other = _unpack_fields.decode(blob) if blob else current
                    candidates.append((precedence(SOURCES[key & ((1 << RECORD_SHIFT) - 1)]), other))
                if had[1]:  # a stub: what citation files said of it (title, date) comes after any record
                    candidates.append((len(FIELD_PRECEDENCE) + 1, current))
            merged = merge_fields(candidates)
            key_id, title, year, date, kind, *scalars = merged
            out.append((work_id, 1 << src, key_id, title, year, date, pub_key(date, year),  # type: ignore[arg-type]
                        kind, *scalars))
        return out

    def _log_touched(self, work_ids: Iterable[int]) -> None:
        """Inside a writing transaction: note works whose edges, counts or sort keys this write may change, so the
        next build updates only their derived rows. Not kept before a database's first build, nor once a load went
        past what is worth following (``touched_all``): that build rebuilds everything."""
        if self.meta("build_id") is None or self.meta("touched_all") is not None:
            return
        self.conn.executemany("INSERT INTO touched(work_id) VALUES(?) ON CONFLICT DO NOTHING",
                              [(w,) for w in sorted(set(work_ids))])

    def _written(self, path: str | None, next_position: int, done: bool, loaded: int, rejected: int) -> None:
        """Inside a writing transaction: mark the database as needing a build and advance the file's progress."""
        self.set_meta("dirty", "1")
        if path is not None:
            self.conn.execute("UPDATE load_files SET position=?, done=?, loaded=loaded+?, rejected=rejected+?"
                              " WHERE path=?", (next_position, int(done), loaded, rejected, path))

    def write_citations(self, source: str, citations: Sequence[AssertedCitation], *, path: str | None,
                        next_position: int, rejected: int, done: bool,
                        columns: CitationColumns | None = None) -> CitationBatchResult:
        """Write citations a source's citation file asserts, with the file's progress, in one transaction.

        Each end joins the work its ids name (the lowest-numbered when they name several; the others are recorded
        as conflicts); ids of an end not yet known are added to its work; an end none of whose ids is known
        becomes a stub keyed by every id given, numbered in order of appearance (so a resumed load numbers them
        the same way). A stub takes the citing date (``creation``) as its publication date. A row whose ends are
        one work is a self-loop: counted, never an edge. The same citation written twice stays one edge.
        ``columns`` (rows whose ends are one OMID each) are written first, vectorised, in the same transaction.
        """
        src = _source_index(source)
        result = CitationBatchResult()
        conn = self.conn
        cache = self._id_cache
        if len(cache) > ID_CACHE_MAX:
            cache.clear()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if columns is not None and len(columns):
                self.set_meta("touched_all", "1")  # staged in bulk: the build rebuilds every derived table
                bulk = stage_columns(conn, self._omids, src, columns, self._next_work_id())
                result.edges, result.self_loops, result.stubs = bulk.edges, bulk.self_loops, bulk.stubs
            edges, loops, stubs, conflicts = self._write_asserted(source, citations)
            self._written(path, next_position, done, len(citations), rejected)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            cache.clear()  # it may name stubs that were never written
            self._omids.clear()
            raise
        result.edges += edges
        result.self_loops += loops
        result.stubs += stubs
        result.conflicts = conflicts
        return result

    #: How a citation a source asserts again is kept: its newest facts, and the list positions and S2 extras it
    #: said before when it says none now (a dataset row must not erase where an API page listed the citation).
    _UPSERT_ASSERTED = (
        "INSERT INTO asserted(citing, cited, source, oci, creation, timespan, flags, extras, citing_pos, cited_pos)"
        " VALUES(?,?,?,?,?,?,?,?,?,?) ON CONFLICT(citing, cited, source) DO UPDATE SET oci = excluded.oci,"
        " creation = excluded.creation, timespan = excluded.timespan, flags = excluded.flags,"
        " extras = coalesce(excluded.extras, asserted.extras),"
        " citing_pos = coalesce(excluded.citing_pos, asserted.citing_pos),"
        " cited_pos = coalesce(excluded.cited_pos, asserted.cited_pos)")

    def _write_asserted(self, source: str, citations: Sequence[AssertedCitation]) -> tuple[int, int, int, int]:
        """Inside a writing transaction: citations a source asserts (a citation file's rows, or those a record
        states), each end joined to the work its ids name or made a stub; (edges, self-loops, stubs, conflicts)."""
        if not citations:
            return 0, 0, 0, 0
        src = _source_index(source)
        bit = 1 << src
        conn = self.conn
        cache = self._id_cache
        wanted = {pair for c in citations for end in (c.citing, c.cited) for pair in end if pair not in cache}
        if wanted:
            cache.update(self._lookup_ids(wanted))
        next_id = self._next_work_id()
        new_ids: list[tuple[str, str, int]] = []
        stubs: list[tuple[int, str]] = []
        conflicts: list[tuple[str, str, str, str, int, int, str]] = []
        dates: dict[int, str] = {}  # citing work → the citing date given
        titles: dict[int, str] = {}  # a work → the title the source gave it (a stub's only title)
        edges: list[tuple[int, int, int]] = []
        asserted: list[tuple[int, int, int, str | None, str | None, str | None, int, bytes | None, int | None,
                             int | None]] = []
        loops: dict[int, int] = {}
        get = cache.get
        for c in citations:
            ends = []
            for end in (c.citing, c.cited):
                if len(end) == 1:
                    work = get(end[0])
                else:
                    found = {get(pair) for pair in end}
                    found.discard(None)
                    work = min(found) if found else None  # type: ignore[type-var]
                    if work is not None and len(found) > 1:
                        record = f"{end[0][0]}:{end[0][1]}"
                        for pair in end:
                            other = get(pair)
                            if other is not None and other != work:
                                conflicts.append((source, record, pair[0], pair[1], work, other,
                                                  "lowest-work-of-citation-end"))
                if work is None:
                    work = next_id
                    next_id += 1
                    first = end[0]
                    stubs.append((work, f"{first[0]}:{first[1]}"))
                for pair in end:
                    if pair not in cache:
                        cache[pair] = work
                        new_ids.append((pair[0], pair[1], work))
                ends.append(work)
            citing, cited = ends
            if c.citing_title:
                titles.setdefault(citing, c.citing_title)
            if c.cited_title:
                titles.setdefault(cited, c.cited_title)
            if citing == cited:
                loops[citing] = loops.get(citing, 0) + 1
                continue
            if c.creation is not None:
                dates.setdefault(citing, c.creation)
            edges.append((citing, cited, bit))
            flags = (0 if c.journal_sc is None else JOURNAL_SC_YES if c.journal_sc else JOURNAL_SC_NO) | (
                0 if c.author_sc is None else AUTHOR_SC_YES if c.author_sc else AUTHOR_SC_NO) | (
                IS_INFLUENTIAL if c.is_influential else 0)
            asserted.append((citing, cited, src, c.oci, c.creation, c.timespan, flags, c.extras, c.citing_pos,
                             c.cited_pos))
        if stubs:
            # every value a parameter: a database server takes many rows of a plain INSERT in bulk (COPY)
            conn.executemany("INSERT INTO works(id, stub, key_id, title, publication_date, publication_year, pub_key)"
                             " VALUES(?, ?, ?, ?, ?, ?, ?)",
                             [(w, 1, key, titles.pop(w, None), *_dated(dates.pop(w, None))) for w, key in stubs])
        if titles:  # a stub met before without a title takes the one given now; a loaded record's title wins
            conn.executemany("UPDATE works SET title = ? WHERE id = ? AND stub = 1 AND title IS NULL",
                             [(t, w) for w, t in titles.items()])
        if new_ids:
            conn.executemany(_INSERT_ID, new_ids)
            self._omids.add_pairs(new_ids)
        if conflicts:
            conn.executemany(_INSERT_CONFLICT, conflicts)
        if dates:
            # the citing date a citation file gives is the only date a stub has; a loaded record's date wins
            conn.executemany("UPDATE works SET publication_date = ?, publication_year = ?, pub_key = ?"
                             " WHERE id = ? AND stub = 1 AND publication_date IS NULL",
                             [(*_dated(date), w) for w, date in dates.items()])
            if staged_next_id(conn):  # a stub staged by the bulk writer is dated by the build
                owed = [(w, pack_date(d)) for w, d in dates.items()]
                owed = [(w, d) for w, d in owed if d]
                if owed:
                    w_, d_ = zip(*owed, strict=True)
                    stage_dates(conn, np.array(w_, dtype=np.int64), np.array(d_, dtype=np.int64))
        edges.sort()
        self._log_touched([w for e in edges for w in e[:2]] + list(loops))
        conn.executemany("INSERT INTO edges(citing, cited, sources) VALUES(?,?,?) ON CONFLICT(citing, cited)"
                         " DO UPDATE SET sources = edges.sources | excluded.sources", edges)
        asserted.sort(key=lambda r: (r[0], r[1]))  # key order: B-tree appends; the last of a repeat wins
        conn.executemany(self._UPSERT_ASSERTED, asserted)
        if loops:
            conn.executemany("INSERT INTO self_loops VALUES(?, ?) ON CONFLICT(work_id)"
                             " DO UPDATE SET sources = self_loops.sources | excluded.sources",
                             [(w, bit) for w in loops])
        return len(edges), sum(loops.values()), len(stubs), len(conflicts)

    def record_file_rejects(self, path: str, *, next_position: int, rejected: int, done: bool) -> None:
        """Advance a file's progress when a batch held only rejected records."""
        self.conn.execute("UPDATE load_files SET position=?, done=?, rejected=rejected+? WHERE path=?",
                          (next_position, int(done), rejected, path))

    # --- the build ---------------------------------------------------------------------------------------
    def build(self) -> BuildResult:
        """Resolve staged references into edges, then rebuild the derived tables, in one transaction.

        Interrupted at any point, the transaction rolls back and a re-run does the same work again.
        ``BuildResult.steps`` says how long each step took.
        """
        t0 = time.perf_counter()
        res = BuildResult()
        conn = self.conn

        def step(name: str, sql: str, params: Sequence[object] = ()) -> int:
            t = time.perf_counter()
            n = conn.execute(sql, params).rowcount
            res.steps[name] = round(res.steps.get(name, 0.0) + time.perf_counter() - t, 3)
            return n

        self._omids.clear()  # OMIDs this writes are not tracked by the bulk citation writer
        conn.execute("BEGIN IMMEDIATE")
        try:
            incremental = self._start_incremental(step)
            # 1. records that replaced an older version drop that source's edges and facets first (the new version
            # stages its own); what other sources gave the work stays
            for (src,) in conn.execute("SELECT DISTINCT source FROM stage_replaced").fetchall():
                bit = 1 << src
                touched = "SELECT work_id FROM stage_replaced WHERE source = ?"
                step("replace", f"UPDATE facets SET sources = sources & ~{bit} WHERE work_id IN ({touched})", (src,))
                if SOURCES[src] in CITATION_FILE_SOURCES:
                    continue  # its edges come from its citation files, not from the records replaced
                step("replace", f"UPDATE edges SET sources = sources & ~{bit} WHERE citing IN ({touched})", (src,))
                step("replace", f"UPDATE self_loops SET sources = sources & ~{bit} WHERE work_id IN ({touched})",
                     (src,))
            if conn.execute("SELECT 1 FROM stage_replaced LIMIT 1").fetchone():
                # a facet no source gives any more goes (0 also marks a facet stored before facets kept sources)
                step("replace", "DELETE FROM facets WHERE sources = 0 AND work_id IN"
                                " (SELECT work_id FROM stage_replaced)")
            step("replace", "DELETE FROM edges WHERE sources = 0")
            step("replace", "DELETE FROM self_loops WHERE sources = 0")
            step("replace", "DELETE FROM stage_replaced")
            # 2. cited ids nobody has loaded become stub works, numbered in first-appearance order so an
            # interrupted and re-run load numbers them the same way
            step("stubs", "CREATE TEMP TABLE missing AS SELECT scheme, value, row_number() OVER (ORDER BY first) AS n"
                          " FROM (SELECT r.scheme, r.value, min((r.citing << 24) | (r.source << 20) | r.pos) AS first"
                          f" FROM ({self._STAGED_REFS}) r WHERE NOT EXISTS (SELECT 1 FROM work_ids i"
                          " WHERE i.scheme = r.scheme AND i.value = r.value) GROUP BY r.scheme, r.value) m")
            base = self._next_work_id() - 1
            res.stubs_created = step("stubs", f"INSERT INTO works(id, stub, key_id) SELECT {base} + n, 1,"
                                              " scheme || ':' || value FROM missing")
            step("stubs", f"INSERT INTO work_ids SELECT scheme, value, {base} + n FROM missing")
            conn.execute("DROP TABLE missing")
            # 3. staged references become edges, merging sources into existing edges
            before = conn.execute("SELECT count(*) FROM edges").fetchone()[0]
            written = self._merge_staged_edges(step)
            step("facets", f"CREATE TEMP TABLE staged_facets AS {self._STAGED_FACETS}")
            # new values numbered in sorted order, so an interrupted and re-run load numbers them the same way
            step("facets", "INSERT INTO facet_values(field, value) SELECT DISTINCT field, value FROM staged_facets f"
                           " WHERE NOT EXISTS (SELECT 1 FROM facet_values v WHERE v.field = f.field"
                           " AND v.value = f.value) ORDER BY 1, 2")
            self._insert_facets(step)
            step("facets", "DROP TABLE staged_facets")
            step("facets", f"INSERT INTO names {self._STAGED_NAMES} ON CONFLICT DO NOTHING")
            step("edges", "DELETE FROM stage")
            # 3b. citations staged in bulk (citation files) become edges and runs of what was asserted
            t = time.perf_counter()
            if build_staged(conn, lambda _name, sql, params=(): conn.execute(sql, params).rowcount):
                written = None  # citation files added edges (and perhaps self-references) after the whole write
            res.steps["citations"] = round(time.perf_counter() - t, 3)
            # 4. a reference that resolves to its own work is a self-loop: counted, kept aside (unless the edges were
            # written whole with them set aside already)
            if written is None:
                step("edges", "INSERT INTO self_loops SELECT citing, sources FROM edges WHERE citing=cited"
                              " ON CONFLICT(work_id) DO UPDATE SET sources = self_loops.sources | excluded.sources")
                step("edges", "DELETE FROM edges WHERE citing=cited")
            after = written if written is not None else conn.execute("SELECT count(*) FROM edges").fetchone()[0]
            res.edges_added = after - before
            res.edges = after
            if incremental:
                self._update_derived(step)
            else:
                self._build_derived(step)
            res.incremental = incremental
            step("touched", "DELETE FROM touched")
            conn.execute("DELETE FROM meta WHERE key = 'touched_all'")
            res.self_loops = conn.execute("SELECT count(*) FROM self_loops").fetchone()[0]
            res.works = conn.execute("SELECT count(*) FROM works").fetchone()[0]
            conn.execute("DELETE FROM meta WHERE key='dirty'")
            # every build gets a new id: derived data outside the database (the search index) names it
            conn.execute("INSERT INTO meta VALUES('build_id', '1') ON CONFLICT(key) DO UPDATE"
                         " SET value = CAST(meta.value AS INTEGER) + 1")
            self.set_meta("works_count", str(conn.execute("SELECT count(*) FROM works WHERE stub = 0").fetchone()[0]))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if self.columns is not None:
            # the filter and facet columns of this build, for the readers that follow; derived data only: when
            # they cannot be written, readers compute them from the database
            with contextlib.suppress(OSError):
                self.columns.save()
        res.seconds = time.perf_counter() - t0
        return res

    def _start_incremental(self, step: Callable[..., int]) -> bool:
        """Inside the build, before any edge changes: when the works the loads touched are few, note them (``t_set``)
        and their citation-index rows as of the last build (``old_rows``: the rows of their edges then, found by
        primary key), and say the derived tables are to be updated, not rebuilt."""
        conn = self.conn
        if self.meta("build_id") is None or self.meta("touched_all") is not None:
            return False
        works = conn.execute("SELECT count(*) FROM works").fetchone()[0]
        touched = conn.execute("SELECT count(*) FROM touched").fetchone()[0]
        if touched > INCREMENTAL_MAX_SHARE * works:
            return False
        # (CROSS JOIN: SQLite joins in the order written, the few touched works first, each other table by its key,
        # never a scan of every edge or index row; PostgreSQL plans it as any join)
        step("touched", "CREATE TEMP TABLE t_set(work_id BIGINT PRIMARY KEY)")
        step("touched", "INSERT INTO t_set SELECT work_id FROM touched")
        step("touched", "CREATE TEMP TABLE old_rows AS SELECT c.cited, c.neg_cbc, c.citing, c.pub_key"
                        " FROM t_set t CROSS JOIN edges e CROSS JOIN works w CROSS JOIN citers c"
                        " WHERE e.citing = t.work_id AND w.id = e.citing AND c.cited = e.cited"
                        " AND c.neg_cbc = -w.cited_by_count AND c.citing = e.citing")
        return True

    def _update_derived(self, step: Callable[..., int]) -> None:
        """Inside the build, after the edges changed: the derived tables brought up to date for the works touched
        (``_start_incremental``) alone, each row as a full rebuild would write it. The edges of the touched works now
        (``new_rows``) against their rows then (``old_rows``) give each cited work's change of citation count and of
        counts by year; a work whose citation count changed moves in the lists of the works it cites; each list
        that changed gets its marks again."""
        step("counts", "CREATE TEMP TABLE new_rows AS SELECT e.cited, e.citing FROM t_set t CROSS JOIN edges e"
                       " WHERE e.citing = t.work_id")
        step("counts", "CREATE TEMP TABLE delta AS SELECT cited, sum(d) AS d FROM (SELECT cited, 1 AS d FROM new_rows"
                       " UNION ALL SELECT cited, -1 AS d FROM old_rows) x GROUP BY cited HAVING sum(d) <> 0")
        step("counts", "UPDATE works SET cited_by_count = works.cited_by_count + d.d FROM delta AS d"
                       " WHERE works.id = d.cited")
        step("counts", "UPDATE works SET referenced_works_count = c.n FROM (SELECT t.work_id, count(e.cited) AS n"
                       " FROM t_set t LEFT JOIN edges e ON e.citing = t.work_id GROUP BY t.work_id) AS c"
                       " WHERE works.id = c.work_id")
        # works whose citation count changed, untouched otherwise: their rows in the lists they are in, re-keyed
        step("citers", "CREATE TEMP TABLE moved AS SELECT e.cited, e.citing, d.d FROM delta d CROSS JOIN edges e"
                       " WHERE e.citing = d.cited AND NOT EXISTS (SELECT 1 FROM t_set t WHERE t.work_id = d.cited)")
        step("citers", "DELETE FROM citers WHERE (cited, neg_cbc, citing) IN (SELECT cited, neg_cbc, citing"
                       " FROM old_rows)")
        step("citers", "DELETE FROM citers WHERE (cited, neg_cbc, citing) IN (SELECT m.cited, d.d - w.cited_by_count,"
                       " m.citing FROM moved m JOIN works w ON w.id = m.citing JOIN delta d ON d.cited = m.citing)")
        step("citers", "INSERT INTO citers(cited, neg_cbc, citing, pub_key) SELECT r.cited, -w.cited_by_count,"
                       " r.citing, w.pub_key FROM new_rows r JOIN works w ON w.id = r.citing"
                       " UNION ALL SELECT m.cited, -w.cited_by_count, m.citing, w.pub_key FROM moved m"
                       " JOIN works w ON w.id = m.citing ORDER BY 1, 2, 3")
        step("by_year", "CREATE TEMP TABLE year_delta AS SELECT cited, year, sum(d) AS d FROM"
                        " (SELECT r.cited, w.pub_key / 10000 AS year, 1 AS d FROM new_rows r JOIN works w"
                        " ON w.id = r.citing WHERE w.pub_key > 0 UNION ALL SELECT cited, pub_key / 10000 AS year,"
                        " -1 AS d FROM old_rows WHERE pub_key > 0) x GROUP BY cited, year HAVING sum(d) <> 0")
        step("by_year", "INSERT INTO counts_by_year(work_id, year, n) SELECT cited, year, d FROM year_delta"
                        " WHERE true ON CONFLICT(work_id, year) DO UPDATE SET n = counts_by_year.n + excluded.n")
        step("by_year", "DELETE FROM counts_by_year WHERE n = 0 AND work_id IN (SELECT cited FROM year_delta)")
        step("citer_marks", "CREATE TEMP TABLE relisted AS SELECT DISTINCT cited FROM (SELECT cited FROM new_rows"
                            " UNION ALL SELECT cited FROM old_rows UNION ALL SELECT cited FROM moved) x")
        step("citer_marks", "DELETE FROM citer_marks WHERE cited IN (SELECT cited FROM relisted)")
        step("citer_marks", "INSERT INTO citer_marks SELECT cited, rn, neg_cbc, citing FROM (SELECT c.cited, c.neg_cbc,"
                            " c.citing, row_number() OVER (PARTITION BY c.cited ORDER BY c.neg_cbc, c.citing) - 1"
                            " AS rn FROM citers c WHERE c.cited IN (SELECT r.cited FROM relisted r JOIN works w"
                            " ON w.id = r.cited WHERE w.cited_by_count >= ?)) ranked WHERE rn % ? = 0 AND rn > 0",
                            (MARK_EVERY, MARK_EVERY))
        self._fill_served(step, "SELECT cited FROM year_delta", "SELECT work_id FROM t_set")
        for table in ("t_set", "old_rows", "new_rows", "delta", "moved", "year_delta", "relisted"):
            step("touched", f"DROP TABLE {table}")

    def _merge_staged_edges(self, step: Callable[..., int]) -> int | None:
        """Inside the build: the staged references (resolved at load, or by id now) merged into the edges. An engine
        that writes the table whole, self-references set aside, returns how many edges it holds (None: merged)."""
        step("edges", self._EDGES_FROM_STAGE.format(refs=self._STAGED_REFS))
        return None

    def _insert_facets(self, step: Callable[..., int]) -> None:
        """Inside the build: the staged facets (``staged_facets``) added to the facets table, each pair once."""
        empty = self.conn.execute("SELECT 1 FROM facets LIMIT 1").fetchone() is None
        if empty:  # into an empty table the index by work is built once, after the rows (a sort, not row by row)
            step("facets", "DROP INDEX IF EXISTS facets_work")
        step("facets", self._FACETS_FROM_STAGE)
        if empty:
            step("facets", "CREATE INDEX IF NOT EXISTS facets_work ON facets(work_id, value_id)")

    def _build_derived(self, step: Callable[..., int]) -> None:
        self._build_counts(step)
        self._build_indexes(step)
        self._fill_served(step, None, None)

    def ensure_served(self) -> bool:
        """Write ``V9_TABLES`` for every work when they are not current (see the store contract)."""
        span = _span_text(counts_by_year_span(datetime.date.today().year))
        if self.meta(SERVED_YEARS_META) == span and self.meta(REFS_BEYOND_META) is not None:
            return False
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self._fill_served(lambda _name, sql, params=(): self.conn.execute(sql, params).rowcount, None, None)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return True

    def _fill_served(self, step: Callable[..., int], cited: str | None, citing: str | None) -> None:
        """Inside the build, after the counts by year and the edges are final: ``V9_TABLES`` for every work
        (``cited``/``citing`` None), or for the works the SQL ``cited`` names (their counts by year changed) and those
        ``citing`` names (their edges changed). Counts by year are written whole again when the year has turned since
        they were (the span served moved)."""
        span = counts_by_year_span(datetime.date.today().year)
        if cited is None or self.meta(SERVED_YEARS_META) != _span_text(span):
            step("served", "DELETE FROM served_years")
            cited = None
        else:
            step("served", f"DELETE FROM served_years WHERE work_id IN ({cited})")
        step("served", "INSERT INTO served_years SELECT id, j FROM (SELECT w.id, (" + self._COUNTS_BY_YEAR_JSON
             + ") AS j FROM works w WHERE w.cited_by_count > 0"
             + ("" if cited is None else f" AND w.id IN ({cited})") + ") x WHERE j <> '[]'", span)
        self.set_meta(SERVED_YEARS_META, _span_text(span))
        # per source bit: set when the work has a record of that source and an edge the source does not assert
        lacking = " | ".join(f"max((~e.sources) & w.sources & {1 << i})" for i in range(len(SOURCES)))
        if citing is None or self.meta(REFS_BEYOND_META) is None:
            step("served", "DELETE FROM refs_beyond")
            step("served", f"INSERT INTO refs_beyond SELECT e.citing, {lacking} FROM works w JOIN edges e"
                           " ON e.citing = w.id WHERE (e.sources & w.sources) <> w.sources GROUP BY e.citing")
        else:
            step("served", f"DELETE FROM refs_beyond WHERE work_id IN ({citing})")
            step("served", f"INSERT INTO refs_beyond SELECT e.citing, {lacking} FROM works w CROSS JOIN edges e"
                           f" WHERE w.id IN ({citing}) AND e.citing = w.id AND (e.sources & w.sources) <> w.sources"
                           " GROUP BY e.citing")
        self.set_meta(REFS_BEYOND_META, "1")

    def _build_counts(self, step: Callable[..., int]) -> None:
        # counts: in-degree from one GROUP BY (a sort of the edges by cited), out-degree from the edge order
        step("counts", "UPDATE works SET cited_by_count=0, referenced_works_count=0"
                       " WHERE cited_by_count != 0 OR referenced_works_count != 0")
        step("counts", "UPDATE works SET referenced_works_count = c.n FROM"
                       " (SELECT citing, count(*) AS n FROM edges GROUP BY citing) AS c WHERE works.id = c.citing")
        step("counts", "CREATE TEMP TABLE indeg AS SELECT cited, count(*) AS n FROM edges GROUP BY cited")
        step("counts", "UPDATE works SET cited_by_count = d.n FROM indeg AS d WHERE works.id = d.cited")
        step("counts", "DROP TABLE indeg")

    def _build_indexes(self, step: Callable[..., int]) -> None:
        # the citation index: a page of top citers is a range scan, not a join and a sort
        step("citers", "DELETE FROM citers")
        step("citers", "DROP INDEX IF EXISTS citers_date")
        step("citers", "INSERT INTO citers(cited, neg_cbc, citing, pub_key)"
                       " SELECT e.cited, -w.cited_by_count, e.citing, w.pub_key"
                       " FROM edges e JOIN works w ON w.id = e.citing ORDER BY 1, 2, 3")
        step("citers_date", "CREATE INDEX citers_date ON citers(cited, pub_key, citing)")
        step("citer_marks", "DELETE FROM citer_marks")
        step("citer_marks", "INSERT INTO citer_marks SELECT cited, rn, neg_cbc, citing FROM (SELECT c.cited, c.neg_cbc,"
                            " c.citing, row_number() OVER (PARTITION BY c.cited ORDER BY c.neg_cbc, c.citing) - 1 AS rn"
                            " FROM citers c WHERE c.cited IN (SELECT id FROM works WHERE cited_by_count >= ?)) ranked"
                            " WHERE rn % ? = 0 AND rn > 0", (MARK_EVERY, MARK_EVERY))
        step("by_year", "DELETE FROM counts_by_year")
        step("by_year", "INSERT INTO counts_by_year SELECT cited, pub_key / 10000, count(*) FROM citers"
                        f"{self._CITERS_BY_DATE} WHERE pub_key > 0 GROUP BY cited, pub_key / 10000")

    # --- reading ---------------------------------------------------------------------------------------
    def resolve(self, pair: IdPair) -> int | None:
        """The work an external id names."""
        row = self.conn.execute("SELECT work_id FROM work_ids WHERE scheme=? AND value=?", pair).fetchone()
        return row[0] if row else None

    def resolve_many(self, pairs: Iterable[IdPair]) -> dict[IdPair, int]:
        """The works many external ids name."""
        return self._lookup_ids(set(pairs))

    def work_row(self, work_id: int) -> WorkRow | None:
        """A work's scalars and every id it has."""
        row = self.conn.execute(
            "SELECT id, stub, sources, title, publication_year, publication_date, type, cited_by_count,"
            " referenced_works_count, key_id FROM works WHERE id=?", (work_id,)).fetchone()
        if not row:
            return None
        ids = self.conn.execute("SELECT scheme, value FROM work_ids WHERE work_id=?", (work_id,)).fetchall()
        return WorkRow(id=row[0], stub=bool(row[1]), sources=sources_of(row[2]), ids=[tuple(i) for i in ids],
                       title=row[3], publication_year=row[4], publication_date=row[5], type=row[6],
                       cited_by_count=row[7], referenced_works_count=row[8], key_id=row[9])

    def work_rows(self, work_ids: Sequence[int]) -> dict[int, WorkRow]:
        """``work_row`` of many works in two reads per chunk of keys (unknown keys are left out)."""
        out: dict[int, WorkRow] = {}
        for i in range(0, len(work_ids), MAX_IN_PARAMS):
            chunk = list(work_ids[i:i + MAX_IN_PARAMS])
            marks = ",".join("?" * len(chunk))
            by_work: dict[int, list[IdPair]] = {}
            for scheme, value, work in self.conn.execute(
                    f"SELECT scheme, value, work_id FROM work_ids WHERE work_id IN ({marks})", chunk).fetchall():
                held = by_work.get(work)
                if held is None:
                    by_work[work] = [(scheme, value)]
                else:
                    held.append((scheme, value))
            # positional, in WorkRow's field order: a page of 100 works builds 100 of these
            for wid, stub, sources, title, year, date, kind, cbc, rwc, key_id in self.conn.execute(
                    "SELECT id, stub, sources, title, publication_year, publication_date, type, cited_by_count,"
                    f" referenced_works_count, key_id FROM works WHERE id IN ({marks})", chunk).fetchall():
                out[wid] = WorkRow(wid, stub == 1, sources_of(sources), by_work.get(wid, []), title, year, date, kind,
                                   cbc, rwc, key_id)
        return out

    def work_counts(self, work_id: int) -> tuple[int, int] | None:
        """(cited_by_count, referenced_works_count) of a work: one primary-key read."""
        row = self.conn.execute("SELECT cited_by_count, referenced_works_count FROM works WHERE id=?",
                                (work_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def records(self, work_id: int) -> list[StoredRecord]:
        """Every source's raw record of a work, decompressed."""
        lo = work_id << RECORD_SHIFT
        out = []
        codec = self.codec
        # each possible key, not the range: a server plans a range of parameters anew on every call (any plan for
        # unknown bounds looks dearer), ~50 µs in PostgreSQL, once per citer on a page rendered from records
        for key, version, dict_id, data, dups, selfs in self.conn.execute(
                "SELECT key, version, dict_id, data, duplicate_refs, self_refs FROM records"
                f" WHERE key IN ({_RECORD_KEY_MARKS}) ORDER BY key", [lo | i for i in range(1 << RECORD_SHIFT)]):
            out.append(StoredRecord(source=SOURCES[key & ((1 << RECORD_SHIFT) - 1)], version=version,
                                    data=codec.decompress(data, dict_id), duplicate_refs=dups, self_refs=selfs))
        return out

    def iter_records(self, batch: int = 5000) -> Iterator[tuple[int, str, bytes]]:
        """Every stored record as (work key, source, decompressed bytes), in key order, in batches."""
        last = -1
        codec = self.codec
        mask = (1 << RECORD_SHIFT) - 1
        while True:
            rows = self.conn.execute("SELECT key, dict_id, data FROM records WHERE key > ? ORDER BY key LIMIT ?",
                                     (last, batch)).fetchall()
            if not rows:
                return
            for key, dict_id, data in rows:
                yield key >> RECORD_SHIFT, SOURCES[key & mask], codec.decompress(data, dict_id)
            last = rows[-1][0]

    def record(self, work_id: int, source: str) -> bytes | None:
        """One source's raw record of a work, decompressed, or None."""
        row = self.conn.execute("SELECT dict_id, data FROM records WHERE key=?",
                                ((work_id << RECORD_SHIFT) | _source_index(source),)).fetchone()
        return self.codec.decompress(row[1], row[0]) if row else None

    def served_works(self, work_ids: Sequence[int], source: str,
                     years: tuple[int, int] | None) -> dict[int, ServedWork]:
        """What serving each work needs, one statement per chunk of keys (the serving hot path)."""
        out: dict[int, ServedWork] = {}
        for i in range(0, len(work_ids), MAX_IN_PARAMS):
            chunk = list(work_ids[i:i + MAX_IN_PARAMS])
            for served in self._served(f"w.id IN ({','.join('?' * len(chunk))})", chunk, source, years):
                out[served.id] = served
        return out

    def served_work_named(self, pair: IdPair, source: str,
                          years: tuple[int, int] | None) -> ServedWork | None:
        """``served_works`` of the work an external id names, resolved in the same statement."""
        found = self._served("w.id = (SELECT work_id FROM work_ids WHERE scheme = ? AND value = ?)", pair, source,
                             years)
        return found[0] if found else None

    def _served(self, where: str, params: Sequence[object], source: str,
                years: tuple[int, int] | None) -> list[ServedWork]:
        sql, head = self._served_sql(source, years, "works w", ())
        rows = self.conn.execute(f"{sql} WHERE {where}", (*head, *params)).fetchall()
        return self._served_of(rows)

    def _served_sql(self, source: str, years: tuple[int, int] | None, rows_from: str,
                    from_params: Sequence[object], more: str = "") -> tuple[str, list[object]]:
        """``SELECT`` of what serving each work ``w`` of ``rows_from`` needs (``_served_of`` reads its first
        ``_SERVED_COLUMNS``; ``more`` adds others after them), without WHERE, and its parameters."""
        index = _source_index(source)
        bit = 1 << index
        by_year_params: tuple[object, ...] = ()
        if years is None:  # a dialect that serves no counts by year (Crossref, S2) reads none
            by_year_sql = "NULL"
        else:  # the build's JSON when it was written for these years, else read live
            by_year_sql = (f"CASE WHEN (SELECT value FROM meta WHERE key = '{SERVED_YEARS_META}') = ?"
                           f" THEN coalesce(y.json, '[]') ELSE ({self._COUNTS_BY_YEAR_JSON}) END")
            by_year_params = (_span_text(years), *years)
        sql = ("SELECT w.id, w.stub, w.sources, w.key_id, w.cited_by_count, w.referenced_works_count,"
               f" r.dict_id, r.data, r.flags, r.spans, {by_year_sql},"
               # a citation the record did not give (another source's record or citation file did): the build's
               # note, or one short range of the work's own edges before a build wrote it; only with the record
               " CASE WHEN r.data IS NULL THEN 0"
               f" WHEN (SELECT value FROM meta WHERE key = '{REFS_BEYOND_META}') IS NOT NULL"
               " THEN CASE WHEN (coalesce(b.sources, 0) & ?) = 0 THEN 0 ELSE 1 END"
               " WHEN EXISTS (SELECT 1 FROM edges e WHERE e.citing = w.id AND (e.sources & ?) = 0) THEN 1 ELSE 0 END"
               f"{more} FROM {rows_from} LEFT JOIN records r ON r.key = (w.id << {RECORD_SHIFT}) | ?"
               + ("" if years is None else " LEFT JOIN served_years y ON y.work_id = w.id")
               + " LEFT JOIN refs_beyond b ON b.work_id = w.id")
        return sql, [*by_year_params, bit, bit, *from_params, index]

    def _served_of(self, rows: Iterable[Sequence[Any]]) -> list[ServedWork]:
        """``ServedWork``s of rows whose first ``_SERVED_COLUMNS`` are ``_served_sql``'s."""
        decompress = self.codec.decompress
        out = []
        n = _SERVED_COLUMNS
        for row in rows:
            work_id, stub, sources, key_id, cbc, rwc, dict_id, data, flags, spans, by_year, beyond = row[:n]
            flags = flags or 0
            # positional, in ServedWork's field order: this loop is the serving hot path
            out.append(ServedWork(work_id, stub == 1, sources_of(sources), key_id, cbc, rwc,
                                  decompress(data, dict_id) if data is not None else None,
                                  flags & RECORD_CLIENT_CLEAN != 0, flags & RECORD_REFS_EXACT != 0, spans,
                                  b"" if by_year is None else by_year.encode(), beyond == 1))
        return out

    def citations(self, work_id: int, *, sort: str = "cited_by_count:desc", year: int | None = None,
                  after: tuple | None = None, limit: int = 25, offset: int = 0,
                  with_ids: bool = True) -> list[CitationRow]:
        """Works citing ``work_id``: one range scan of the citation index (plus the citers' display ids)."""
        return self._citer_rows("?", [work_id], sort=sort, year=year, after=after, limit=limit, offset=offset,
                                with_ids=with_ids).rows

    def citations_named(self, pair: IdPair, *, sort: str = "cited_by_count:desc", after: tuple | None = None,
                        limit: int = 25, offset: int = 0,
                        serve: ServeSpec | None = None) -> CitersPage | None:
        """The citation count of the work an external id names and a page of its citers (as ``citations`` without
        display ids), read in one statement: a database server charges a round trip per statement. ``after`` is a
        position as ``find``'s cursor holds it (in a date order, the date as served). With ``serve``
        (a source and counts-by-year span, as ``served_works`` takes them), what serving each citer needs is read
        in the same statement. None when the id names no work."""
        named = "(SELECT work_id FROM work_ids WHERE scheme = ? AND value = ?)"
        if after is not None and sort.startswith("publication_date"):
            after = (pub_key(after[0], None), after[1])  # a cursor holds the date as served, the index its key
        page = self._citer_rows(named, [*pair], sort=sort, year=None, after=after, limit=limit, offset=offset,
                                with_ids=False,
                                count_of=(f"(SELECT cited_by_count FROM works WHERE id = {named})", [*pair]),
                                serve=serve)
        if page.count is not None:
            return page
        # no row: no such work, or a page past its citers (its count is still the answer's)
        found = self.conn.execute("SELECT w.id, w.cited_by_count FROM work_ids i JOIN works w ON w.id = i.work_id"
                                  " WHERE i.scheme = ? AND i.value = ?", pair).fetchone()
        return None if found is None else CitersPage([], found[1], None if serve is None else {})

    def _citer_rows(self, cited_sql: str, cited_params: list[object], *, sort: str, year: int | None,
                    after: tuple | None, limit: int, offset: int, with_ids: bool,
                    count_of: tuple[str, list[object]] | None = None,
                    serve: ServeSpec | None = None) -> CitersPage:
        """Rows of the citation index for the work ``cited_sql`` gives (a parameter, or a subquery read once); the
        value of ``count_of``'s SQL (None without it, or when there is no row); with ``serve`` (not with
        ``with_ids``), what serving each citer needs, read in the same statement."""
        count_sql, params = ("NULL", []) if count_of is None else (count_of[0], list(count_of[1]))
        params += cited_params
        where = f"c.cited = {cited_sql}"
        if year is not None:
            where += " AND c.pub_key >= ? AND c.pub_key < ?"
            params += [year * 10000, (year + 1) * 10000]
        hint = self._CITERS_BY_DATE if (year is not None or sort.startswith("publication_date")) else ""
        keyset_sql, order_by = _list_order(sort, "c.neg_cbc", "c.pub_key", "c.citing", after, params)
        where += keyset_sql
        bounds = page_bounds(limit, offset)
        if serve is not None:
            # the page as a subquery, the works it names read with it, in the page's order again
            page_sql = (f"SELECT c.citing, c.neg_cbc, c.pub_key, {count_sql} AS n FROM citers c{hint}"
                        f" WHERE {where} ORDER BY {order_by}{bounds}")
            _, page_order = _list_order(sort, "p.neg_cbc", "p.pub_key", "p.citing", None, [])
            sql, all_params = self._served_sql(serve[0], serve[1], f"({page_sql}) p JOIN works w ON w.id = p.citing",
                                               params, ", p.neg_cbc, p.pub_key, p.n")
            rows = self.conn.execute(f"{sql} ORDER BY {page_order}", all_params).fetchall()
            served = self._served_of(rows)
            neg_cbc, key, count = _SERVED_COLUMNS, _SERVED_COLUMNS + 1, _SERVED_COLUMNS + 2  # the page's, after
            return CitersPage([CitationRow(r[0], -r[neg_cbc], key_date(r[key])) for r in rows],
                              rows[0][count] if rows else None, {s.id: s for s in served})
        if not with_ids:
            found = self.conn.execute(
                f"SELECT c.citing, -c.neg_cbc, c.pub_key, {count_sql} FROM citers c{hint} WHERE {where}"
                f" ORDER BY {order_by}{bounds}", params).fetchall()
            return CitersPage([CitationRow(r[0], r[1], key_date(r[2])) for r in found],
                              found[0][3] if found else None)
        found = self.conn.execute(
            f"SELECT c.citing, -c.neg_cbc, c.pub_key, w.key_id, {count_sql} FROM citers c{hint}"
            f" JOIN works w ON w.id = c.citing WHERE {where} ORDER BY {order_by}{bounds}", params).fetchall()
        return CitersPage([CitationRow(r[0], r[1], key_date(r[2]), r[3]) for r in found],
                          found[0][4] if found else None)

    def references(self, work_id: int, *, sort: str = "cited_by_count:desc", year: int | None = None,
                   after: tuple | None = None, limit: int = 25, offset: int = 0) -> list[CitationRow]:
        """Works ``work_id`` cites; reference lists are short, so they are sorted when read."""
        params: list[object] = [work_id]
        where = "e.citing = ?"
        if year is not None:
            where += " AND w.pub_key >= ? AND w.pub_key < ?"
            params += [year * 10000, (year + 1) * 10000]
        keyset_sql, order_by = _list_order(sort, "-w.cited_by_count", "w.pub_key", "e.cited", after, params)
        return [CitationRow(work_id=r[0], cited_by_count=r[1], publication_date=key_date(r[2]), key_id=r[3])
                for r in self.conn.execute(
                    f"SELECT e.cited, w.cited_by_count, w.pub_key, w.key_id FROM edges e JOIN works w"
                    f" ON w.id = e.cited WHERE {where}{keyset_sql} ORDER BY {order_by}{page_bounds(limit, offset)}",
                    params)]

    def listed(self, work_id: int, source: str, direction: str, *, dates: tuple[int, int] | None = None,
               offset: int = 0, limit: int = 100) -> list[int]:
        """A work's citing (``direction`` "citations") or cited ("references") works in ``source``'s own order: those
        it listed, by their place in its list, then every other in the citation index's order (most cited first;
        references by key). ``dates`` keeps works published in that inclusive ``YYYYMMDD`` range, a date known
        only to its year or month counting as its first day."""
        cit = direction == "citations"
        this, other, pos = ("cited", "citing", "cited_pos") if cit else ("citing", "cited", "citing_pos")
        src = _source_index(source)
        date_sql, date_params = "", []
        if dates is not None:
            date_sql = f" AND w.pub_key > 0 AND {_FIRST_DAY_KEY} BETWEEN ? AND ?"
            date_params = [*dates]
        q = self.conn.execute
        join = f" JOIN works w ON w.id = a.{other}" if dates is not None else ""
        n_listed = q(f"SELECT count(*) FROM asserted a{join} WHERE a.{this} = ? AND a.source = ?"
                     f" AND a.{pos} IS NOT NULL{date_sql}", (work_id, src, *date_params)).fetchone()[0]
        out: list[int] = []
        if offset < n_listed:
            out = [r[0] for r in q(f"SELECT a.{other} FROM asserted a{join} WHERE a.{this} = ? AND a.source = ?"
                                   f" AND a.{pos} IS NOT NULL{date_sql} ORDER BY a.{pos}, a.{other}"
                                   f"{page_bounds(limit, offset)}", (work_id, src, *date_params))]
        if len(out) >= limit:
            return out
        rest = max(0, offset - n_listed)
        unlisted = ""
        if n_listed or (dates is not None and q(f"SELECT 1 FROM asserted WHERE {this} = ? AND source = ?"
                                                f" AND {pos} IS NOT NULL LIMIT 1", (work_id, src)).fetchone()):
            unlisted = (f" AND NOT EXISTS (SELECT 1 FROM asserted a WHERE a.citing = {'c.citing' if cit else '?'}"
                        f" AND a.cited = {'?' if cit else 'c.cited'} AND a.source = ? AND a.{pos} IS NOT NULL)")
        seek, seek_params = "", []
        if cit and not unlisted and dates is None and rest >= MARK_EVERY:
            mark = q("SELECT rank, neg_cbc, citing FROM citer_marks WHERE cited = ? AND rank <= ?"
                     " ORDER BY rank DESC LIMIT 1", (work_id, rest)).fetchone()
            if mark is not None:
                rest -= mark[0]
                seek, seek_params = " AND (c.neg_cbc, c.citing) >= (?, ?)", [mark[1], mark[2]]
        if cit:
            sql = (f"SELECT c.citing FROM citers c{' JOIN works w ON w.id = c.citing' if dates else ''}"
                   f" WHERE c.cited = ?{seek}{date_sql}{unlisted} ORDER BY c.neg_cbc, c.citing"
                   f"{page_bounds(limit - len(out), rest)}")
        else:
            sql = (f"SELECT c.cited FROM edges c{' JOIN works w ON w.id = c.cited' if dates else ''}"
                   f" WHERE c.citing = ?{date_sql}{unlisted} ORDER BY c.cited{page_bounds(limit - len(out), rest)}")
        params: list[object] = [work_id, *seek_params, *date_params]
        if unlisted:
            params += [work_id, src]
        out += [r[0] for r in q(sql, params)]
        return out

    def listed_facts(self, pairs: Sequence[tuple[int, int]],
                     source: str) -> dict[tuple[int, int], tuple[int, bytes | None]]:
        """The flags and extras (S2's contexts and intents, as JSON) ``source`` asserted of each (citing, cited)."""
        src = _source_index(source)
        out: dict[tuple[int, int], tuple[int, bytes | None]] = {}
        step = MAX_IN_PARAMS // 2
        for i in range(0, len(pairs), step):
            chunk = pairs[i:i + step]
            where = " OR ".join(["(citing = ? AND cited = ?)"] * len(chunk))
            for citing, cited, flags, extras in self.conn.execute(
                    f"SELECT citing, cited, flags, extras FROM asserted WHERE source = ? AND ({where})",
                    (src, *(x for pair in chunk for x in pair))):
                out[(citing, cited)] = (flags, extras)
        return out

    def influential_counts(self, keys: Sequence[int], source: str) -> dict[int, int]:
        """Citations of each work that ``source`` called influential (works with none are left out)."""
        src = _source_index(source)
        out: dict[int, int] = {}
        for i in range(0, len(keys), MAX_IN_PARAMS):
            chunk = list(keys[i:i + MAX_IN_PARAMS])
            marks = ",".join("?" * len(chunk))
            for cited, n in self.conn.execute(
                    f"SELECT a.cited, count(*) FROM asserted a JOIN edges e ON e.citing = a.citing AND"
                    f" e.cited = a.cited WHERE a.cited IN ({marks}) AND a.source = ?"
                    f" AND (a.flags & {IS_INFLUENTIAL}) != 0"
                    " GROUP BY a.cited", (*chunk, src)):
                out[cited] = n
        return out

    def asserted_degrees(self, work_id: int, source: str) -> tuple[int, int]:
        """(citations, references) of a work among the edges ``source`` asserted: the citation index gives the
        citers, the edges' bitmask says who asserted each (no ``asserted`` rows needed: reference lists leave none)."""
        bit = 1 << _source_index(source)
        cited = self.conn.execute(
            "SELECT count(*) FROM citers c JOIN edges e ON e.citing = c.citing AND e.cited = c.cited"
            " WHERE c.cited = ? AND (e.sources & ?) != 0", (work_id, bit)).fetchone()[0]
        citing = self.conn.execute("SELECT count(*) FROM edges WHERE citing = ? AND (sources & ?) != 0",
                                   (work_id, bit)).fetchone()[0]
        return int(cited), int(citing)

    def reference_keys(self, work_id: int) -> list[int]:
        """Every work ``work_id`` cites, by key."""
        return [r[0] for r in self.conn.execute("SELECT cited FROM edges WHERE citing=?", (work_id,))]

    def ids_of(self, keys: Sequence[int], scheme: str) -> dict[int, str]:
        """The ``scheme`` id of each of ``keys`` that has one."""
        out: dict[int, str] = {}
        for i in range(0, len(keys), MAX_IN_PARAMS):
            chunk = list(keys[i:i + MAX_IN_PARAMS])
            marks = ",".join("?" * len(chunk))
            for work_id, value in self.conn.execute(
                    f"SELECT work_id, value FROM work_ids WHERE work_id IN ({marks}) AND scheme=?", (*chunk, scheme)):
                out.setdefault(work_id, value)
        return out

    def citation_facts(self, keys: Sequence[int]) -> dict[int, CitationFacts]:
        """Every id, the publication date, and the author and venue keys of each work, a few reads per chunk."""
        ids: dict[int, list[IdPair]] = {}
        dates: dict[int, str | None] = {}
        people: dict[int, set[str]] = {}
        venues: dict[int, set[str]] = {}
        for i in range(0, len(keys), MAX_IN_PARAMS):
            chunk = list(keys[i:i + MAX_IN_PARAMS])
            marks = ",".join("?" * len(chunk))
            for work_id, date in self.conn.execute(
                    f"SELECT id, publication_date FROM works WHERE id IN ({marks})", chunk):
                dates[work_id] = date
            for scheme, value, work_id in self.conn.execute(
                    f"SELECT scheme, value, work_id FROM work_ids WHERE work_id IN ({marks})", chunk):
                ids.setdefault(work_id, []).append((scheme, value))
            for work_id, field, value in self.conn.execute(
                    f"SELECT f.work_id, v.field, v.value FROM facets f JOIN facet_values v ON v.id = f.value_id"
                    f" WHERE f.work_id IN ({marks}) AND v.field IN (?, ?, ?, ?)",
                    (*chunk, *_SELF_CITATION_FIELDS)):
                (people if field in _AUTHOR_FIELDS else venues).setdefault(work_id, set()).add(value)
        return {k: CitationFacts(ids=sorted(ids.get(k, []), key=_pid_order), publication_date=dates[k],
                                 authors=frozenset(people.get(k, ())), venues=frozenset(venues.get(k, ())))
                for k in keys if k in dates}

    def asserted(self, pairs: Sequence[tuple[int, int]], source: str) -> dict[tuple[int, int], AssertedRow]:
        """What ``source`` asserted about each (citing, cited) pair it asserted something of: its rows read in bulk
        (runs per citing work), then the rows written one by one (primary-key reads), which say it with text."""
        src = _source_index(source)
        out: dict[tuple[int, int], AssertedRow] = {}
        for (citing, cited), packed in read_runs(self.conn, pairs, src).items():
            creation, span, flags = unpack_meta(packed)
            out[(citing, cited)] = AssertedRow(
                citing, cited, None, creation, span, *_said(flags), oci_from_omids=bool(flags & OCI_FROM_OMIDS))
        step = MAX_IN_PARAMS // 2
        for i in range(0, len(pairs), step):
            chunk = pairs[i:i + step]
            where = " OR ".join(["(citing = ? AND cited = ?)"] * len(chunk))
            flat = [x for pair in chunk for x in pair]
            for citing, cited, oci, creation, span, flags in self.conn.execute(
                    "SELECT citing, cited, oci, creation, timespan, flags FROM asserted"
                    f" WHERE source = ? AND ({where})", (src, *flat)):
                out[(citing, cited)] = AssertedRow(citing, cited, oci, creation, span, *_said(flags),
                                                   oci_from_omids=oci is None and bool(flags & OCI_FROM_OMIDS))
        return out

    def citation_by_oci(self, oci: str) -> tuple[int, int] | None:
        """The (citing, cited) works of a citation whose OCI a source wrote as text, or None."""
        row = self.conn.execute("SELECT citing, cited FROM asserted WHERE oci = ? LIMIT 1", (oci,)).fetchone()
        return (row[0], row[1]) if row else None

    def venue_citation_count(self, issn: str) -> int:
        """Citations received by the works filed under this ISSN (their cited_by_count summed)."""
        row = self.conn.execute(
            "SELECT coalesce(sum(w.cited_by_count), 0) FROM facet_values v JOIN facets f ON f.value_id = v.id"
            " JOIN works w ON w.id = f.work_id WHERE v.field = ? AND v.value = ?",
            (VENUE_ISSN, f"issn:{issn}")).fetchone()
        return int(row[0])

    def names(self, pairs: Iterable[IdPair]) -> dict[IdPair, str]:
        """Display names of entity ids (authors, institutions, venues, topics …) that records gave."""
        out: dict[IdPair, str] = {}
        by_scheme: dict[str, list[str]] = {}
        for scheme, value in set(pairs):
            by_scheme.setdefault(scheme, []).append(value)
        for scheme, values in by_scheme.items():  # one query per chunk, not per name (a facet shows 1000)
            for i in range(0, len(values), MAX_IN_PARAMS):
                chunk = values[i:i + MAX_IN_PARAMS]
                for value, name in self.conn.execute(
                        f"SELECT value, name FROM names WHERE scheme=? AND value IN ({','.join('?' * len(chunk))})",
                        (scheme, *chunk)):
                    out[(scheme, value)] = name
        return out

    def counts_by_year(self, work_id: int, since: int | None = None) -> dict[int, int]:
        """Citations received per publication year of the citing work (from ``since`` on, if given)."""
        return dict(self.conn.execute("SELECT year, n FROM counts_by_year WHERE work_id=? AND year >= ?"
                                      " ORDER BY year", (work_id, since if since is not None else -(1 << 31))))

    def stats(self) -> dict[str, int]:
        """Corpus-wide counts."""
        q = self.conn.execute
        out = {
            "works": q("SELECT count(*) FROM works WHERE stub=0").fetchone()[0],
            "stubs": q("SELECT count(*) FROM works WHERE stub=1").fetchone()[0],
            "ids": q("SELECT count(*) FROM work_ids").fetchone()[0],
            "edges": q("SELECT count(*) FROM edges").fetchone()[0],
            "self_loops": q("SELECT count(*) FROM self_loops").fetchone()[0],
            "duplicate_refs": q("SELECT coalesce(sum(duplicate_refs),0) FROM records").fetchone()[0],
            "conflicts": q("SELECT count(*) FROM conflicts").fetchone()[0],
            "pending_records": q("SELECT count(*) FROM stage").fetchone()[0],
            "pending_citations": q("SELECT coalesce(sum(rows), 0) FROM stage_citations").fetchone()[0],
        }
        for i, name in enumerate(SOURCES):
            out[f"records_{name}"] = q(f"SELECT count(*) FROM records WHERE (key & 7) = {i}").fetchone()[0]
        out["bytes"] = self._bytes()
        return out

    def _bytes(self) -> int:
        """The database's size on disk."""
        return self.path.stat().st_size

    def conflicts(self, limit: int = 1000) -> list[dict[str, object]]:
        """Recorded identity conflicts, newest first."""
        cols = ("id", "source", "record_id", "scheme", "value", "kept_work", "other_work", "rule")
        return [dict(zip(cols, r, strict=True)) for r in self.conn.execute(
            "SELECT id, source, record_id, scheme, value, kept_work, other_work, rule FROM conflicts"
            " ORDER BY id DESC LIMIT ?", (limit,))]


#: The facet fields that say who wrote a work and where it appeared: the inputs of self-citation.
_AUTHOR_FIELDS = frozenset(AUTHOR_KEY_FIELDS)
_SELF_CITATION_FIELDS = AUTHOR_KEY_FIELDS + VENUE_KEY_FIELDS
#: Id schemes in the order OpenCitations lists a work's ids (its OMID first, then the ids Meta holds).
PID_ORDER = ("omid", "doi", "pmid", "pmcid", "openalex", "wikidata", "arxiv")


def _pid_order(pair: IdPair) -> tuple[int, str, str]:
    scheme = pair[0]
    return (PID_ORDER.index(scheme) if scheme in PID_ORDER else len(PID_ORDER), scheme, pair[1])


def _dated(date: str | None) -> tuple[str | None, int | None, int]:
    """(publication_date, publication_year, pub_key) of a date at any precision, or of none."""
    if date is None:
        return None, None, 0
    year = int(date[:4])
    return date, year, pub_key(date, year)


def _said(flags: int) -> tuple[bool | None, bool | None]:
    """The journal and author self-citation flags a source said (None: not said)."""
    return (None if not flags & (JOURNAL_SC_NO | JOURNAL_SC_YES) else bool(flags & JOURNAL_SC_YES),
            None if not flags & (AUTHOR_SC_NO | AUTHOR_SC_YES) else bool(flags & AUTHOR_SC_YES))


def _record_flags(rec: PreparedRecord) -> int:
    """The ``records.flags`` bits of a prepared record."""
    return (RECORD_CLIENT_CLEAN if rec.client_clean else 0) | (RECORD_REFS_EXACT if rec.refs_exact else 0)


_YEAR_COUNTS = msgspec.json.Decoder(dict[int, int])
