"""The SQLite store: one file, WAL mode, one writer and any number of readers.

Layout (see ``SCHEMA``):

- ``works``: one row per work (or stub) with the scalars lists and filters need, and our counts;
- ``work_ids``: every external id (scheme, value) → work, the identity table;
- ``records``: each source's raw record per work, zstd-compressed, keyed ``work_id << 3 | source``;
- ``edges``: one row per (citing, cited) with a bitmask of the sources that asserted it;
- ``stage_refs``: references written by loads, resolved into edges by :meth:`SQLiteStore.build`;
- derived by the build: ``citers`` (the citation index, ordered for the common sorts) and
  ``counts_by_year``; ``works.cited_by_count`` and ``works.referenced_works_count``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from citegraph.model import SOURCES, sources_of
from citegraph.store.base import (
    BatchResult,
    BuildResult,
    CitationRow,
    FileState,
    IdPair,
    PreparedRecord,
    StoreError,
    StoredRecord,
    WorkRow,
)
from citegraph.store.codec import Codec

#: Bump when the schema changes; ``MIGRATIONS`` must then carry the old version forward.
SCHEMA_VERSION = 1

#: Records are keyed work_id << RECORD_SHIFT | source index: room for 8 sources per work.
RECORD_SHIFT = 3

#: SQLite caps bound parameters per statement at 32766; stay well under for IN lists.
MAX_IN_PARAMS = 500

#: Page cache per connection (negative = KiB): 256 MiB keeps the id index hot during loads.
CACHE_KIB = 262_144

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
    type TEXT,
    cited_by_count INTEGER NOT NULL DEFAULT 0,
    referenced_works_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS work_ids(
    scheme TEXT NOT NULL, value TEXT NOT NULL, work_id INTEGER NOT NULL,
    PRIMARY KEY(scheme, value)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS work_ids_work ON work_ids(work_id);
CREATE TABLE IF NOT EXISTS records(
    key INTEGER PRIMARY KEY, version TEXT, dict_id INTEGER NOT NULL, data BLOB NOT NULL,
    duplicate_refs INTEGER NOT NULL DEFAULT 0, self_refs INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS facets(
    field TEXT NOT NULL, value TEXT NOT NULL, work_id INTEGER NOT NULL,
    PRIMARY KEY(field, value, work_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS facets_work ON facets(work_id);
CREATE TABLE IF NOT EXISTS edges(
    citing INTEGER NOT NULL, cited INTEGER NOT NULL, sources INTEGER NOT NULL,
    PRIMARY KEY(citing, cited)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stage_refs(
    citing INTEGER NOT NULL, source INTEGER NOT NULL, scheme TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS stage_refs_citing ON stage_refs(citing);
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
CREATE TABLE IF NOT EXISTS dictionaries(id INTEGER PRIMARY KEY, source TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS citers(
    cited INTEGER NOT NULL, cbc INTEGER NOT NULL, citing INTEGER NOT NULL, pub_key INTEGER NOT NULL,
    PRIMARY KEY(cited, cbc, citing)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS citers_date ON citers(cited, pub_key, citing);
CREATE TABLE IF NOT EXISTS refs_sorted(
    citing INTEGER NOT NULL, cbc INTEGER NOT NULL, cited INTEGER NOT NULL, pub_key INTEGER NOT NULL,
    PRIMARY KEY(citing, cbc, cited)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_sorted_date ON refs_sorted(citing, pub_key, cited);
CREATE TABLE IF NOT EXISTS counts_by_year(
    work_id INTEGER NOT NULL, year INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY(work_id, year)) WITHOUT ROWID;
"""

#: version → SQL that brings a database at that version to the next one.
MIGRATIONS: dict[int, str] = {}


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


def _source_index(source: str) -> int:
    return SOURCES.index(source)  # type: ignore[arg-type]


def connect(path: str | os.PathLike[str], *, readonly: bool = False) -> sqlite3.Connection:
    """Open a connection tuned for this store (WAL, big cache, memory-mapped reads)."""
    if readonly:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    else:
        conn = sqlite3.connect(os.fspath(path), check_same_thread=False, isolation_level=None)
    conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    conn.execute("PRAGMA mmap_size=1073741824")  # reads straight from the page cache of the OS
    conn.execute("PRAGMA temp_store=FILE")
    conn.execute("PRAGMA threads=2")  # the sorter may use both cores during builds
    conn.execute("PRAGMA busy_timeout=10000")
    if not readonly:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
    return conn


class SQLiteStore:
    """The storage contract on one SQLite file."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True, readonly: bool = False) -> None:
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
        self._codec: Codec | None = None

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
                                 ("" if create else " from a read-only connection"))
            self.conn.executescript("BEGIN;" + step + "COMMIT;")
            version += 1
            self.conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))

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
        cur = self.conn.execute("INSERT INTO dictionaries(source, data) VALUES(?, ?)", (source, data))
        self._codec = None
        return int(cur.lastrowid or 0)

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
        for scheme, value in pairs:
            by_scheme.setdefault(scheme, []).append(value)
        for scheme, values in by_scheme.items():
            for i in range(0, len(values), MAX_IN_PARAMS):
                chunk = values[i:i + MAX_IN_PARAMS]
                marks = ",".join("?" * len(chunk))
                for value, work_id in self.conn.execute(
                        f"SELECT value, work_id FROM work_ids WHERE scheme=? AND value IN ({marks})",
                        (scheme, *chunk)):
                    found[(scheme, value)] = work_id
        return found

    def _next_work_id(self) -> int:
        row = self.conn.execute("SELECT max(id) FROM works").fetchone()
        return (row[0] or 0) + 1

    def write_batch(self, source: str, records: Sequence[PreparedRecord], *, path: str | None,
                    next_position: int, rejected: int, done: bool) -> BatchResult:
        """Write a batch of one source's records and the file's progress in one transaction.

        Identity resolution: a record joins the work any of its ids already names. When its ids name
        two different works, it joins the work its primary (first) id names — or, if that id is new,
        the lowest-numbered of them — and the other claims are written to ``conflicts``.
        """
        src = _source_index(source)
        result = BatchResult()
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            wanted = {pair for rec in records for pair in rec.ids}
            known = self._lookup_ids(wanted)
            next_id = self._next_work_id()
            keys = []
            claimed_before: set[int] = set()
            for rec in records:
                claimed = [known[p] for p in rec.ids if p in known]
                primary = known.get(rec.ids[0])
                if not claimed:
                    work_id = next_id
                    next_id += 1
                else:
                    work_id = primary if primary is not None else min(claimed)
                    others = {w for w in claimed if w != work_id}
                    for pair in rec.ids:
                        other = known.get(pair)
                        if other is not None and other in others:
                            conn.execute("INSERT OR IGNORE INTO conflicts(source, record_id, scheme, value,"
                                         " kept_work, other_work, rule) VALUES(?,?,?,?,?,?,?)",
                                         (source, f"{rec.ids[0][0]}:{rec.ids[0][1]}", pair[0], pair[1],
                                          work_id, other, "primary-id-wins"))
                            result.conflicts += 1
                    claimed_before.add(work_id)
                for pair in rec.ids:
                    known.setdefault(pair, work_id)
                keys.append(work_id)
            # ids: new ones point at their work; ids claimed by another work keep it (recorded above)
            conn.executemany("INSERT OR IGNORE INTO work_ids(scheme, value, work_id) VALUES(?,?,?)",
                             [(s, v, w) for rec, w in zip(records, keys, strict=True) for (s, v) in rec.ids])
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
            stage_rows = []
            replaced = []
            facet_rows = []
            for rec, work_id, rkey in zip(records, keys, rkeys, strict=True):
                if rkey in existing:
                    old = existing[rkey]
                    if old is not None and rec.version is not None and rec.version <= old:
                        result.unchanged += 1  # the same or an older version: nothing to change
                        continue
                    result.updated += 1
                    replaced.append((work_id, src))
                elif work_id in claimed_before:
                    result.merged += 1  # joined a work known from another source, or filled a stub
                else:
                    result.inserted += 1
                existing[rkey] = rec.version
                work_rows.append((work_id, 1 << src, rec.ids[0][0] + ":" + rec.ids[0][1], rec.title,
                                  rec.publication_year, rec.publication_date, rec.type))
                record_rows.append((rkey, rec.version, rec.dict_id, rec.data, rec.duplicate_refs,
                                    rec.self_refs))
                stage_rows.extend((work_id, src, s, v) for (s, v) in rec.refs)
                facet_rows.extend((f, v, work_id) for (f, v) in rec.facets)
                result.refs += len(rec.refs)
            conn.executemany(
                "INSERT INTO works(id, stub, sources, key_id, title, publication_year, publication_date, type)"
                " VALUES(?,0,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET stub=0,"
                " sources=works.sources|excluded.sources, key_id=coalesce(works.key_id, excluded.key_id),"
                " title=coalesce(works.title, excluded.title),"
                " publication_year=coalesce(works.publication_year, excluded.publication_year),"
                " publication_date=coalesce(works.publication_date, excluded.publication_date),"
                " type=coalesce(works.type, excluded.type)", work_rows)
            conn.executemany("INSERT OR REPLACE INTO records VALUES(?,?,?,?,?,?)", record_rows)
            if replaced:
                conn.executemany("INSERT INTO stage_replaced VALUES(?,?)", replaced)
                conn.executemany("DELETE FROM stage_refs WHERE citing=? AND source=?", replaced)
            conn.executemany("INSERT INTO stage_refs VALUES(?,?,?,?)", stage_rows)
            if facet_rows:
                conn.executemany("INSERT OR IGNORE INTO facets VALUES(?,?,?)", facet_rows)
            conn.execute("INSERT OR REPLACE INTO meta VALUES('dirty', '1')")
            if path is not None:
                conn.execute("UPDATE load_files SET position=?, done=?, loaded=loaded+?, rejected=rejected+?"
                             " WHERE path=?", (next_position, int(done), len(records), rejected, path))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return result

    def record_file_rejects(self, path: str, *, next_position: int, rejected: int, done: bool) -> None:
        """Advance a file's progress when a batch held only rejected records."""
        self.conn.execute("UPDATE load_files SET position=?, done=?, rejected=rejected+? WHERE path=?",
                          (next_position, int(done), rejected, path))

    # --- the build ---------------------------------------------------------------------------------------
    def build(self) -> BuildResult:
        """Resolve staged references into edges, then rebuild the derived tables, in one transaction.

        Interrupted at any point, the transaction rolls back and a re-run does the same work again.
        """
        t0 = time.perf_counter()
        res = BuildResult()
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            # 1. records that replaced an older version drop that source's edges first
            for (src,) in conn.execute("SELECT DISTINCT source FROM stage_replaced").fetchall():
                bit = 1 << src
                touched = "SELECT work_id FROM stage_replaced WHERE source = ?"
                conn.execute(f"UPDATE edges SET sources = sources & ~{bit} WHERE citing IN ({touched})", (src,))
                conn.execute(f"UPDATE self_loops SET sources = sources & ~{bit} WHERE work_id IN ({touched})",
                             (src,))
            conn.execute("DELETE FROM edges WHERE sources = 0")
            conn.execute("DELETE FROM self_loops WHERE sources = 0")
            conn.execute("DELETE FROM stage_replaced")
            # 2. cited ids nobody has loaded become stub works
            # first-appearance order, so an interrupted and re-run load numbers stubs the same way
            conn.execute("CREATE TEMP TABLE missing AS SELECT scheme, value FROM stage_refs s"
                         " WHERE NOT EXISTS (SELECT 1 FROM work_ids i WHERE i.scheme=s.scheme AND i.value=s.value)"
                         " GROUP BY scheme, value ORDER BY min(s.rowid)")
            base = self._next_work_id() - 1
            res.stubs_created = conn.execute(
                f"INSERT INTO works(id, stub, key_id) SELECT {base} + rowid, 1, scheme || ':' || value FROM missing"
            ).rowcount
            conn.execute(f"INSERT INTO work_ids SELECT scheme, value, {base} + rowid FROM missing")
            conn.execute("DROP TABLE missing")
            # 3. staged references become edges, merging sources into existing edges
            before = conn.execute("SELECT count(*) FROM edges").fetchone()[0]
            conn.execute(
                "INSERT INTO edges(citing, cited, sources)"
                " SELECT s.citing, i.work_id, 1 << s.source FROM stage_refs s"
                " JOIN work_ids i ON i.scheme=s.scheme AND i.value=s.value WHERE true ORDER BY 1, 2"
                " ON CONFLICT(citing, cited) DO UPDATE SET sources = sources | excluded.sources")
            conn.execute("DELETE FROM stage_refs")
            # 4. a reference that resolves to its own work is a self-loop: counted, kept aside
            conn.execute("INSERT INTO self_loops SELECT citing, sources FROM edges WHERE citing=cited"
                         " ON CONFLICT(work_id) DO UPDATE SET sources = sources | excluded.sources")
            conn.execute("DELETE FROM edges WHERE citing=cited")
            after = conn.execute("SELECT count(*) FROM edges").fetchone()[0]
            res.edges_added = after - before
            res.edges = after
            self._build_derived()
            res.self_loops = conn.execute("SELECT count(*) FROM self_loops").fetchone()[0]
            res.works = conn.execute("SELECT count(*) FROM works").fetchone()[0]
            conn.execute("DELETE FROM meta WHERE key='dirty'")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        res.seconds = time.perf_counter() - t0
        return res

    def _build_derived(self) -> None:
        conn = self.conn
        conn.execute("UPDATE works SET cited_by_count=0, referenced_works_count=0"
                     " WHERE cited_by_count != 0 OR referenced_works_count != 0")
        conn.execute("UPDATE works SET referenced_works_count = c.n FROM"
                     " (SELECT citing, count(*) AS n FROM edges GROUP BY citing) AS c WHERE works.id = c.citing")
        conn.execute("CREATE TEMP TABLE indeg AS SELECT cited, count(*) AS n FROM edges GROUP BY cited")
        conn.execute("UPDATE works SET cited_by_count = d.n FROM indeg AS d WHERE works.id = d.cited")
        conn.execute("DROP TABLE indeg")
        # the citation index: a page of top citers is a range scan, not a join and a sort
        conn.execute("DELETE FROM citers")
        conn.execute("DELETE FROM refs_sorted")
        conn.execute("DROP INDEX IF EXISTS citers_date")
        conn.execute("DROP INDEX IF EXISTS refs_sorted_date")
        keyexpr = ("CASE WHEN {w}.publication_date IS NOT NULL THEN"
                   " CAST(substr({w}.publication_date,1,4) AS INTEGER)*10000"
                   " + coalesce(CAST(substr({w}.publication_date,6,2) AS INTEGER),0)*100"
                   " + coalesce(CAST(substr({w}.publication_date,9,2) AS INTEGER),0)"
                   " ELSE coalesce({w}.publication_year,0)*10000 END")
        conn.execute("INSERT INTO citers(cited, cbc, citing, pub_key)"
                     f" SELECT e.cited, w.cited_by_count, e.citing, {keyexpr.format(w='w')}"
                     " FROM edges e JOIN works w ON w.id = e.citing ORDER BY 1, 2, 3")
        conn.execute("INSERT INTO refs_sorted(citing, cbc, cited, pub_key)"
                     f" SELECT e.citing, w.cited_by_count, e.cited, {keyexpr.format(w='w')}"
                     " FROM edges e JOIN works w ON w.id = e.cited ORDER BY 1, 2, 3")
        conn.execute("CREATE INDEX citers_date ON citers(cited, pub_key, citing)")
        conn.execute("CREATE INDEX refs_sorted_date ON refs_sorted(citing, pub_key, cited)")
        conn.execute("DELETE FROM counts_by_year")
        conn.execute("INSERT INTO counts_by_year SELECT cited, pub_key / 10000, count(*) FROM citers"
                     " INDEXED BY citers_date WHERE pub_key > 0 GROUP BY cited, pub_key / 10000")

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
            " referenced_works_count FROM works WHERE id=?", (work_id,)).fetchone()
        if not row:
            return None
        ids = self.conn.execute("SELECT scheme, value FROM work_ids WHERE work_id=?", (work_id,)).fetchall()
        return WorkRow(id=row[0], stub=bool(row[1]), sources=sources_of(row[2]), ids=[tuple(i) for i in ids],
                       title=row[3], publication_year=row[4], publication_date=row[5], type=row[6],
                       cited_by_count=row[7], referenced_works_count=row[8])

    def records(self, work_id: int) -> list[StoredRecord]:
        """Every source's raw record of a work, decompressed."""
        lo = work_id << RECORD_SHIFT
        out = []
        codec = self.codec
        for key, version, dict_id, data, dups, selfs in self.conn.execute(
                "SELECT key, version, dict_id, data, duplicate_refs, self_refs FROM records"
                " WHERE key >= ? AND key < ?", (lo, lo + (1 << RECORD_SHIFT))):
            out.append(StoredRecord(source=SOURCES[key & ((1 << RECORD_SHIFT) - 1)], version=version,
                                    data=codec.decompress(data, dict_id), duplicate_refs=dups, self_refs=selfs))
        return out

    def record(self, work_id: int, source: str) -> bytes | None:
        """One source's raw record of a work, decompressed, or None."""
        row = self.conn.execute("SELECT dict_id, data FROM records WHERE key=?",
                                ((work_id << RECORD_SHIFT) | _source_index(source),)).fetchone()
        return self.codec.decompress(row[1], row[0]) if row else None

    def _list(self, table: str, date_index: str, own: str, other: str, work_id: int, *, sort: str,
              year: int | None, after: tuple | None, limit: int) -> list[CitationRow]:
        field, _, direction = sort.partition(":")
        desc = direction == "desc"
        cmp = "<" if desc else ">"
        order = "DESC" if desc else "ASC"
        params: list[object] = [work_id]
        where = f"{own} = ?"
        if year is not None:
            where += " AND pub_key >= ? AND pub_key < ?"
            params += [year * 10000, (year + 1) * 10000]
        if field == "cited_by_count" and year is None:
            if after is not None:
                where += f" AND (cbc, {other}) {cmp} (?, ?)"
                params += [after[0], after[1]]
            sql = (f"SELECT {other}, cbc, pub_key FROM {table} WHERE {where}"
                   f" ORDER BY cbc {order}, {other} {order} LIMIT ?")
        elif field == "cited_by_count":
            # with a year the date index narrows the range; the sort is over that one year only
            if after is not None:
                where += f" AND (cbc, {other}) {cmp} (?, ?)"
                params += [after[0], after[1]]
            sql = (f"SELECT {other}, cbc, pub_key FROM {table} INDEXED BY {date_index} WHERE {where}"
                   f" ORDER BY cbc {order}, {other} {order} LIMIT ?")
        elif field == "publication_date":
            if after is not None:
                where += f" AND (pub_key, {other}) {cmp} (?, ?)"
                params += [after[0], after[1]]
            sql = (f"SELECT {other}, cbc, pub_key FROM {table} INDEXED BY {date_index} WHERE {where}"
                   f" ORDER BY pub_key {order}, {other} {order} LIMIT ?")
        elif field == "id":
            if after is not None:
                where += f" AND {other} {cmp} ?"
                params += [after[0]]
            sql = (f"SELECT {other}, cbc, pub_key FROM {table} WHERE {where}"
                   f" ORDER BY {other} {order} LIMIT ?")
        else:
            raise ValueError(f"unknown sort {sort!r}")
        params.append(limit)
        rows = self.conn.execute(sql, params).fetchall()
        if not rows:
            return []
        # one IN query for the display ids: cheaper than a join the planner might reorder
        marks = ",".join("?" * len(rows))
        key_ids = dict(self.conn.execute(f"SELECT id, key_id FROM works WHERE id IN ({marks})",
                                         [r[0] for r in rows]).fetchall())
        return [CitationRow(work_id=r[0], cited_by_count=r[1], publication_date=key_date(r[2]),
                            key_id=key_ids.get(r[0])) for r in rows]

    def citations(self, work_id: int, *, sort: str = "cited_by_count:desc", year: int | None = None,
                  after: tuple | None = None, limit: int = 25) -> list[CitationRow]:
        """Works citing ``work_id``, from the citation index."""
        return self._list("citers", "citers_date", "cited", "citing", work_id, sort=sort, year=year,
                          after=after, limit=limit)

    def references(self, work_id: int, *, sort: str = "cited_by_count:desc", year: int | None = None,
                   after: tuple | None = None, limit: int = 25) -> list[CitationRow]:
        """Works ``work_id`` cites, from the reference index."""
        return self._list("refs_sorted", "refs_sorted_date", "citing", "cited", work_id, sort=sort, year=year,
                          after=after, limit=limit)

    def counts_by_year(self, work_id: int) -> dict[int, int]:
        """Citations received per publication year of the citing work."""
        return {y: n for y, n in self.conn.execute(
            "SELECT year, n FROM counts_by_year WHERE work_id=? ORDER BY year", (work_id,))}

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
            "pending_refs": q("SELECT count(*) FROM stage_refs").fetchone()[0],
        }
        for i, name in enumerate(SOURCES):
            out[f"records_{name}"] = q(f"SELECT count(*) FROM records WHERE (key & 7) = {i}").fetchone()[0]
        out["bytes"] = self.path.stat().st_size
        return out

    def conflicts(self, limit: int = 1000) -> list[dict[str, object]]:
        """Recorded identity conflicts, newest first."""
        cols = ("id", "source", "record_id", "scheme", "value", "kept_work", "other_work", "rule")
        return [dict(zip(cols, r, strict=True)) for r in self.conn.execute(
            "SELECT id, source, record_id, scheme, value, kept_work, other_work, rule FROM conflicts"
            " ORDER BY id DESC LIMIT ?", (limit,))]
