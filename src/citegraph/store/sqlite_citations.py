"""Citation columns (the bulk of an OpenCitations Index dump) in the SQLite store: staged at load, built in bulk.

Rows whose ends are each one bibliographic-resource OMID arrive as :class:`~citegraph.model.CitationColumns`.
At load their OMIDs are looked up in an in-memory hash map of every such OMID the store holds
(:class:`OmidIndex`), unknown ones become stubs, and each block is staged as one row of packed arrays (edge keys,
what was asserted of each, the citing dates of older stubs) in the file's transaction: no per-row SQL. The build
sorts what was staged and writes edges in key order, and what was asserted as one row per citing work
(``asserted_runs``: the cited works and their packed facts, sorted), so neither costs a B-tree insert per row
at random.

Packed facts, one integer per citation: ``creation`` (``YYYYMMDD``, zeros for the parts not given) in bits 0-26,
the timespan in bits 27-54 (see :func:`pack_timespan`), the flags of :mod:`citegraph.model` in bits 55-59. A
value that does not pack exactly goes the row-by-row way (the ``asserted`` table keeps its text).
"""

from __future__ import annotations

import bisect
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import Final

import msgspec
import numpy as np

from citegraph import ids
from citegraph.model import CitationColumns, unpack_date, unpack_timespan

#: Bits a work id is shifted by in a packed (citing, cited) edge key; ids must stay below 2**31.
KEY_SHIFT: Final = 32
#: The cited work's bits of an edge key.
KEY_MASK: Final = (1 << KEY_SHIFT) - 1
#: The (citing, cited) of a packed key in SQL, for the value of a JSON array.
_KEY_PAIR_SQL: Final = f"value >> {KEY_SHIFT}, value & {KEY_MASK}"
#: The largest work id an edge key can hold.
MAX_KEYED_WORK: Final = (1 << 31) - 1
#: Where each fact sits in a packed integer.
CREATION_BITS, TIMESPAN_SHIFT, FLAGS_SHIFT = 27, 27, 55
#: Staged rows the build sorts at once (24 bytes each, twice over while sorting): bounded memory per pass.
BUILD_PASS_ROWS: Final = 16_000_000
#: Edge keys per INSERT statement of the build (one JSON array each).
EDGE_INSERT_ROWS: Final = 1_000_000
#: Runs written per statement of the build.
RUN_WRITE_WORKS: Final = 100_000
#: Citing works per read of stored runs (an IN list).
RUN_READ_WORKS: Final = 500

_encode = msgspec.json.Encoder().encode
_LE_I8: Final = np.dtype("<i8")
_LE_I4: Final = np.dtype("<i4")


def unpack_meta(v: int) -> tuple[str | None, str | None, int]:
    """A packed citation's creation, timespan and flags."""
    return (unpack_date(v & ((1 << CREATION_BITS) - 1)), unpack_timespan(v >> TIMESPAN_SHIFT & ((1 << 28) - 1)),
            v >> FLAGS_SHIFT)


class IntMap:
    """A map of non-negative 64-bit integers to integers, looked up and filled column-wise: open addressing with
    linear probing over two numpy arrays, each step of a probe one vectorised pass over the keys still looking.
    A sorted array answered the same in a sort and a binary search per block (~4x the time)."""

    #: Slots at least per key held: probes stay short (1.5 on average at half full).
    SLOTS_PER_KEY: Final = 2
    _EMPTY: Final = -1
    #: Fibonacci hashing's multiplier (2**64 / golden ratio): consecutive keys land far apart.
    _MULTIPLIER: Final = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, bits: int = 10) -> None:
        self._bits = bits
        self._keys = np.full(1 << bits, self._EMPTY, dtype=np.int64)
        self._values = np.zeros(1 << bits, dtype=np.int64)
        self.size = 0

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            hashed = keys.astype(np.uint64) * self._MULTIPLIER
        return (hashed >> np.uint64(64 - self._bits)).astype(np.int64)

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The value of each key, -1 where the map has none."""
        out = np.full(len(keys), -1, dtype=np.int64)
        looking = np.arange(len(keys))
        slots = self._slots(keys)
        mask = (1 << self._bits) - 1
        while len(looking):
            held = self._keys[slots]
            wanted = keys[looking]
            hit = held == wanted
            out[looking[hit]] = self._values[slots[hit]]
            on = ~hit & (held != self._EMPTY)
            looking, slots = looking[on], (slots[on] + 1) & mask
        return out

    def put(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Set each key's value (distinct keys; one already held takes the new value)."""
        keys, values = keys.astype(np.int64), values.astype(np.int64)
        if (self.size + len(keys)) * self.SLOTS_PER_KEY > len(self._keys):
            self._grow(self.size + len(keys))
        mask = (1 << self._bits) - 1
        pending = np.arange(len(keys))
        slots = self._slots(keys)
        while len(pending):
            held = self._keys[slots]
            wanted = keys[pending]
            free = held == self._EMPTY
            self._keys[slots[free]] = wanted[free]  # several may claim one slot: one wins, the rest probe on
            done = self._keys[slots] == wanted
            self._values[slots[done]] = values[pending[done]]
            self.size += int(np.count_nonzero(done & free))
            pending, slots = pending[~done], (slots[~done] + 1) & mask

    def _grow(self, keys: int) -> None:
        held = self._keys != self._EMPTY
        old_keys, old_values = self._keys[held], self._values[held]
        bits = self._bits
        while (1 << bits) < keys * self.SLOTS_PER_KEY * 2:  # room to grow into before the next rehash
            bits += 1
        self.__init__(bits)  # type: ignore[misc]
        self.put(old_keys, old_values)


class OmidIndex:
    """Every canonical ``br/06…`` OMID the store holds, as integers mapped to their work ids (:class:`IntMap`).

    Loaded from ``work_ids`` and the staged stubs once, then kept in step by the writers (``add``); dropped
    (``clear``) whenever some other writer may have added OMIDs or a transaction rolled back, and loaded again
    when next needed. Until the build, the staged stubs' OMIDs are known here only.
    """

    def __init__(self) -> None:
        self.loaded = False
        self._map = IntMap()

    def clear(self) -> None:
        """Forget everything; the next lookup loads from the database."""
        self.__init__()  # type: ignore[misc]

    def load(self, conn: sqlite3.Connection) -> None:
        """Read every canonical bibliographic-resource OMID from the database."""
        keys: list[int] = []
        works: list[int] = []
        for value, work in conn.execute("SELECT value, work_id FROM work_ids WHERE scheme = ? AND value >= 'br/06'"
                                        " AND value < 'br/07'", (ids.OMID,)):
            digits = value[3:]
            if digits.isdigit() and len(digits) <= 18:
                keys.append(int(digits))
                works.append(work)
        self._map.put(np.array(keys, dtype=np.int64), np.array(works, dtype=np.int64))
        for first, data in conn.execute("SELECT id, data FROM stage_stubs ORDER BY id"):
            omids, _dates = _unpack_arrays(data)
            self._map.put(omids, np.arange(first, first + len(omids), dtype=np.int64))
        self.loaded = True

    def add(self, keys: np.ndarray, works: np.ndarray) -> None:
        """Record OMIDs just written (as integers) with their works."""
        if self.loaded and len(keys):
            self._map.put(keys, works)

    def add_pairs(self, pairs: list[tuple[str, str, int]]) -> None:
        """Record ids just written by the row-by-row writer: its canonical ``br/06…`` OMIDs join the index."""
        if not self.loaded:
            return
        got = [(int(v[3:]), w) for s, v, w in pairs
               if s == ids.OMID and v.startswith("br/06") and v[3:].isdigit() and len(v) <= 21]
        if got:
            k, w = zip(*got, strict=True)
            self.add(np.array(k, dtype=np.int64), np.array(w, dtype=np.int64))

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The work of each OMID, -1 where the store has none."""
        return self._map.get(keys.astype(np.int64))


class ColumnsResult:
    """What staging one block of citation columns did."""

    __slots__ = ("edges", "self_loops", "stubs")

    def __init__(self) -> None:
        self.edges = 0
        self.self_loops = 0
        self.stubs = 0


#: SQL of the text date a packed creation ``c`` stands for (pub_key is the packed creation itself).
def _date_of_packed(c: str) -> str:
    return (f"CASE WHEN {c} = 0 THEN NULL WHEN {c} % 10000 = 0 THEN printf('%04d', {c} / 10000)"
            f" WHEN {c} % 100 = 0 THEN printf('%04d-%02d', {c} / 10000, {c} / 100 % 100)"
            f" ELSE printf('%04d-%02d-%02d', {c} / 10000, {c} / 100 % 100, {c} % 100) END")


def _runs(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts (a dump lists a citing work's citations together)."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    heads = np.empty(len(values), dtype=bool)
    heads[0] = True
    np.not_equal(values[1:], values[:-1], out=heads[1:])
    return np.flatnonzero(heads)


def stage_columns(conn: sqlite3.Connection, index: OmidIndex, src: int, cols: CitationColumns,
                  next_id: int) -> ColumnsResult:
    """Stage citation columns inside the caller's transaction: stubs for unknown OMIDs (numbered in order of
    appearance, citing before cited; dated by their first citing date), self-loops, and one staged row of edge
    keys and packed facts, and the citing dates owed to older stubs."""
    res = ColumnsResult()
    n = len(cols)
    if not n:
        return res
    if not index.loaded:
        index.load(conn)
    heads = _runs(cols.citing)  # a citing work is looked up once per run of its rows
    lengths = np.diff(np.append(heads, n))
    citing_heads = index.lookup(cols.citing[heads])
    cited = index.lookup(cols.cited)
    unknown_citing, unknown_cited = citing_heads < 0, cited < 0
    new_keys = np.zeros(0, dtype=np.int64)
    if unknown_citing.any() or unknown_cited.any():
        # first appearance in row order, the citing end before the cited one
        values = np.concatenate([cols.citing[heads][unknown_citing], cols.cited[unknown_cited]])
        places = np.concatenate([2 * heads[unknown_citing], 2 * np.flatnonzero(unknown_cited) + 1])
        by_value = np.lexsort((places, values))
        values, places = values[by_value], places[by_value]
        firsts = _runs(values)
        order = np.argsort(places[firsts], kind="stable")
        new_keys = values[firsts][order]
        index.add(new_keys, np.arange(next_id, next_id + len(new_keys), dtype=np.int64))
        citing_heads[unknown_citing] = index.lookup(cols.citing[heads][unknown_citing])
        cited[unknown_cited] = index.lookup(cols.cited[unknown_cited])
        res.stubs = len(new_keys)
    citing = np.repeat(citing_heads, lengths)
    creation = cols.creation.astype(np.int64)
    meta = creation | cols.timespan.astype(np.int64) << TIMESPAN_SHIFT | cols.flags.astype(np.int64) << FLAGS_SHIFT
    loop = citing == cited
    if loop.any():
        res.self_loops = int(loop.sum())
        conn.executemany("INSERT INTO self_loops VALUES(?, ?) ON CONFLICT(work_id)"
                         " DO UPDATE SET sources = sources | excluded.sources",
                         [(w, 1 << src) for w in np.unique(citing[loop]).tolist()])
        keep_rows = ~loop
        citing, cited, creation, meta = citing[keep_rows], cited[keep_rows], creation[keep_rows], meta[keep_rows]
    # the first citing date given for each citing work: new stubs are written with it, older ones owe it
    given = creation > 0
    dated, dates = citing[given], creation[given]
    run_heads = _runs(dated)
    dated_works, first_at = np.unique(dated[run_heads], return_index=True)
    first_dates = dates[run_heads][first_at]
    if len(new_keys):
        # stubs are staged (numbered now, written by the build in key order): their OMIDs, and each one's first
        # citing date here
        stub_dates = np.zeros(len(new_keys), dtype=np.int64)
        fresh = dated_works >= next_id
        stub_dates[dated_works[fresh] - next_id] = first_dates[fresh]
        conn.execute("INSERT INTO stage_stubs(id, count, data) VALUES(?, ?, ?)",
                     (next_id, len(new_keys), _pack_arrays(new_keys, stub_dates)))
    older = dated_works < next_id
    if len(citing):
        if max(int(citing.max()), int(cited.max())) > MAX_KEYED_WORK:
            raise ValueError(f"work ids past {MAX_KEYED_WORK} cannot be written as packed edge keys")
        key = citing << KEY_SHIFT | cited
        conn.execute("INSERT INTO stage_citations(source, rows, data) VALUES(?, ?, ?)",
                     (src, len(key), _pack_arrays(key, meta)))
    if older.any():
        stage_dates(conn, dated_works[older], first_dates[older])
    res.edges = len(citing)
    return res


def _pack_arrays(a: np.ndarray, b: np.ndarray) -> bytes:
    """Two arrays of one length as little-endian int64s, one after the other."""
    return a.astype(_LE_I8).tobytes() + b.astype(_LE_I8).tobytes()


def _unpack_arrays(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    a = np.frombuffer(data, dtype=_LE_I8)
    half = len(a) // 2
    return a[:half], a[half:]


def stage_dates(conn: sqlite3.Connection, works: np.ndarray, dates: np.ndarray) -> None:
    """Stage citing dates (packed) owed to stubs: the build gives each stub without a date the first one staged."""
    if len(works):
        conn.execute("INSERT INTO stage_dates(data) VALUES(?)", (_pack_arrays(works, dates),))


def staged_next_id(conn: sqlite3.Connection) -> int:
    """The id after the last staged stub (0 when none is staged)."""
    row = conn.execute("SELECT max(id + count) FROM stage_stubs").fetchone()
    return row[0] or 0


def build_staged(conn: sqlite3.Connection, step: Callable[..., int]) -> int:
    """Inside the build's transaction: staged stubs become works (each with the first citing date staged for it),
    older stubs take the dates owed, and staged citations become edges (in key order) and runs of what was
    asserted (merged with the runs stored, the latest row of a citation winning). Returns the citations written."""
    _build_stubs(conn, step)
    written = 0
    for (src,) in conn.execute("SELECT DISTINCT source FROM stage_citations").fetchall():
        last = 0
        while True:
            blobs: list[tuple[np.ndarray, np.ndarray]] = []
            rows = 0
            for sid, n, data in conn.execute("SELECT id, rows, data FROM stage_citations WHERE source = ? AND id > ?"
                                             " ORDER BY id", (src, last)):
                if blobs and rows + n > BUILD_PASS_ROWS:
                    break
                blobs.append(_unpack_arrays(data))
                rows += n
                last = sid
            if not blobs:
                break
            written += _build_pass(conn, step, src, blobs)
        step("citations", "DELETE FROM stage_citations WHERE source = ?", (src,))
    return written


def _build_stubs(conn: sqlite3.Connection, step: Callable[..., int]) -> None:
    works: list[np.ndarray] = []
    dates: list[np.ndarray] = []
    for (data,) in conn.execute("SELECT data FROM stage_dates ORDER BY id"):
        w, d = _unpack_arrays(data)
        works.append(w)
        dates.append(d)
    owed_works, first = np.unique(np.concatenate(works or [np.zeros(0, np.int64)]), return_index=True)
    owed_dates = np.concatenate(dates or [np.zeros(0, np.int64)])[first]  # the first date staged for a work wins
    staged = conn.execute("SELECT id, data FROM stage_stubs ORDER BY id").fetchall()
    values: list[np.ndarray] = []
    numbers: list[np.ndarray] = []
    for start, data in staged:
        omids, own = _unpack_arrays(data)
        ids_ = np.arange(start, start + len(omids), dtype=np.int64)
        if len(owed_works):
            at = np.minimum(np.searchsorted(owed_works, ids_), len(owed_works) - 1)
            owed = (owed_works[at] == ids_) & (own == 0)
            own = np.where(owed, owed_dates[at], own)
        stubs = [f"br/0{k} {d}" for k, d in zip(omids.tolist(), own.tolist(), strict=True)]
        # a record loaded since may have made the work (it joined the stub by this OMID): its row wins
        step("stubs", "INSERT OR IGNORE INTO works(id, stub, key_id, publication_date, publication_year, pub_key)"
                      f" SELECT ? + key, 1, 'omid:' || omid, {_date_of_packed('c')}, nullif(c / 10000, 0), c FROM"
                      " (SELECT key, substr(value, 1, instr(value, ' ') - 1) AS omid,"
                      " CAST(substr(value, instr(value, ' ') + 1) AS INTEGER) AS c FROM json_each(?))",
             (start, _encode(stubs)))
        values.append(np.char.add("br/0", omids.astype("U20")))
        numbers.append(ids_)
    if values:
        # the ids in key order: the B-tree grows at its end instead of everywhere
        text, work = np.concatenate(values), np.concatenate(numbers)
        order = np.argsort(text, kind="stable")
        text, work = text[order], work[order]
        for i in range(0, len(text), EDGE_INSERT_ROWS):
            step("stubs", "INSERT OR IGNORE INTO work_ids(scheme, value, work_id) SELECT ?, value ->> 0, value ->> 1"
                          " FROM json_each(?)",
                 (ids.OMID, _encode([[t, w] for t, w in zip(text[i:i + EDGE_INSERT_ROWS].tolist(),
                                                             work[i:i + EDGE_INSERT_ROWS].tolist(), strict=True)])))
    staged_ids = np.concatenate(numbers) if numbers else np.zeros(0, dtype=np.int64)
    older = ~np.isin(owed_works, staged_ids)
    if older.any():
        # a statement per work (a PRIMARY KEY update): joined to a JSON table, SQLite would scan every work
        conn.executemany(f"UPDATE works SET publication_date = {_date_of_packed('?1')}, publication_year = ?1 / 10000,"
                         " pub_key = ?1 WHERE id = ?2 AND stub = 1 AND publication_date IS NULL",
                         zip(owed_dates[older].tolist(), owed_works[older].tolist(), strict=True))
    step("stubs", "DELETE FROM stage_stubs")
    step("stubs", "DELETE FROM stage_dates")


def _build_pass(conn: sqlite3.Connection, step: Callable[..., int], src: int,
                blobs: Sequence[tuple[np.ndarray, np.ndarray]]) -> int:
    key = np.concatenate([b[0] for b in blobs])
    meta = np.concatenate([b[1] for b in blobs])
    order = np.argsort(key, kind="stable")  # staging order kept among repeats: the last one wins
    key, meta = key[order], meta[order]
    last = np.ones(len(key), dtype=bool)
    last[:-1] = key[1:] != key[:-1]
    key, meta = key[last], meta[last]
    for i in range(0, len(key), EDGE_INSERT_ROWS):
        step("citations", f"INSERT INTO edges(citing, cited, sources) SELECT {_KEY_PAIR_SQL}, ?"
                          " FROM json_each(?) WHERE 1 ON CONFLICT(citing, cited)"
                          " DO UPDATE SET sources = sources | excluded.sources",
             (1 << src, _encode(key[i:i + EDGE_INSERT_ROWS].tolist())))
    if conn.execute("SELECT 1 FROM asserted WHERE source = ? LIMIT 1", (src,)).fetchone():
        # rows written one by one before: these later bulk rows say it now
        for i in range(0, len(key), EDGE_INSERT_ROWS):
            step("citations", "DELETE FROM asserted WHERE source = ? AND (citing, cited) IN"
                              f" (SELECT {_KEY_PAIR_SQL} FROM json_each(?))",
                 (src, _encode(key[i:i + EDGE_INSERT_ROWS].tolist())))
    _write_runs(conn, step, src, key, meta)
    return len(key)


def _write_runs(conn: sqlite3.Connection, step: Callable[..., int], src: int, key: np.ndarray,
                meta: np.ndarray) -> None:
    """One row per citing work: its cited works (int32, sorted) and their packed facts, merged with the stored."""
    citing = key >> KEY_SHIFT
    starts = np.flatnonzero(np.r_[True, citing[1:] != citing[:-1]])
    ends = np.r_[starts[1:], len(key)]
    works = citing[starts]
    cited = (key & KEY_MASK).astype(_LE_I4)
    meta = meta.astype(_LE_I8)
    stored: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if conn.execute("SELECT 1 FROM asserted_runs WHERE source = ? LIMIT 1", (src,)).fetchone():
        for i in range(0, len(works), RUN_READ_WORKS):
            batch = works[i:i + RUN_READ_WORKS].tolist()
            for w, c, m in conn.execute("SELECT citing, cited, meta FROM asserted_runs WHERE source = ? AND citing"
                                        f" IN ({','.join('?' * len(batch))})", (src, *batch)):
                stored[w] = (np.frombuffer(c, dtype=_LE_I4), np.frombuffer(m, dtype=_LE_I8))
    rows = []
    for w, a, b in zip(works.tolist(), starts.tolist(), ends.tolist(), strict=True):
        c, m = cited[a:b], meta[a:b]
        old = stored.get(w)
        if old is not None:
            keep = ~np.isin(old[0], c)
            c, m = np.concatenate([old[0][keep], c]), np.concatenate([old[1][keep], m])
            order = np.argsort(c, kind="stable")
            c, m = c[order], m[order]
        rows.append((w, src, c.tobytes(), m.tobytes()))
        if len(rows) >= RUN_WRITE_WORKS:  # bounded memory: the runs go out in batches
            conn.executemany("INSERT OR REPLACE INTO asserted_runs(citing, source, cited, meta) VALUES(?, ?, ?, ?)",
                             rows)
            rows = []
    conn.executemany("INSERT OR REPLACE INTO asserted_runs(citing, source, cited, meta) VALUES(?, ?, ?, ?)", rows)


def read_runs(conn: sqlite3.Connection, pairs: Sequence[tuple[int, int]], src: int) -> dict[tuple[int, int], int]:
    """The packed facts of each (citing, cited) pair a run holds."""
    wanted: dict[int, list[int]] = {}
    for citing, cited in pairs:
        wanted.setdefault(citing, []).append(cited)
    out: dict[tuple[int, int], int] = {}
    works = list(wanted)
    for i in range(0, len(works), RUN_READ_WORKS):
        batch = works[i:i + RUN_READ_WORKS]
        for w, c, m in conn.execute("SELECT citing, cited, meta FROM asserted_runs WHERE source = ? AND citing"
                                    f" IN ({','.join('?' * len(batch))})", (src, *batch)):
            run = _ints(c, 4)  # a few probes of a short sorted run: bisect, no array built
            for x in wanted[w]:
                j = bisect.bisect_left(run, x)
                if j < len(run) and run[j] == x:
                    out[(w, x)] = int.from_bytes(m[8 * j:8 * j + 8], "little", signed=True)
    return out


def _ints(data: bytes, size: int) -> Sequence[int]:
    """Little-endian integers of ``size`` bytes as a sequence, without copying where the machine is little-endian."""
    if sys.byteorder == "little":
        return memoryview(data).cast("i" if size == 4 else "q")
    return np.frombuffer(data, dtype=_LE_I4 if size == 4 else _LE_I8).tolist()


__all__ = ["ColumnsResult", "OmidIndex", "build_staged", "read_runs", "stage_columns", "stage_dates", "staged_next_id",
           "unpack_meta"]
