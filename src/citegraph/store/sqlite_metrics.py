"""What the metrics read and write in the SQLite store (and, inherited, the PostgreSQL one).

The metrics themselves are computed outside the store (``citegraph.metrics`` over numpy arrays, joined by the
graph); the store hands out the graph and the works' fields as arrays, keeps the adjacency arrays of each build
beside the database, and stores what the metrics computed (``impact``, ``impact_bins``).
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from citegraph.store.adjacency import Adjacency, adjacency_folder
from citegraph.store.base import ImpactBin, ImpactRow, WorkArrays

Ints = npt.NDArray[np.int64]

#: Rows a bulk read fetches per call (a million-work array is read in 20 round trips).
FETCH_ROWS = 50_000
#: Keys bound per IN list (SQLite allows 32766 parameters; chunks this size read well in both engines).
IN_CHUNK = 500


#: ``impact`` columns in ``ImpactRow`` order.
_IMPACT_COLUMNS = ("work_id", "bin", "cited_3y", "score", "score_3y", "percentile", "percentile_3y", "flags",
                   "author_self_cited_by", "journal_self_cited_by")


class SQLiteMetrics:
    """The metrics part of the storage contract, over the connection of a SQLiteStore."""

    conn: sqlite3.Connection
    path: Path
    _adjacency: tuple[str, Adjacency] | None = None
    _adjacency_lock = threading.Lock()

    # --- reading the graph and the works as arrays -------------------------------------------------------
    def _pairs(self, sql: str, params: Sequence[object] = ()) -> tuple[Ints, Ints]:
        """Two integer columns of a query as arrays."""
        cur = self.conn.execute(sql, params)
        chunks = []
        while True:
            rows = cur.fetchmany(FETCH_ROWS)
            if not rows:
                break
            chunks.append(np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=2 * len(rows)))
        flat = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        return flat[0::2].copy(), flat[1::2].copy()

    def edge_arrays(self) -> tuple[Ints, Ints]:
        """Every edge as parallel (citing, cited) arrays, in (citing, cited) order."""
        return self._pairs("SELECT citing, cited FROM edges ORDER BY citing, cited")

    def work_arrays(self) -> WorkArrays:
        """The fields the metrics need of every work, as arrays by work id."""
        rows = self.conn.execute("SELECT id, stub, pub_key, type, cited_by_count, referenced_works_count"
                                 " FROM works").fetchall()
        top = max((r[0] for r in rows), default=0) + 1
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        kinds: dict[str | None, int] = {None: 0}
        out = WorkArrays(present=np.zeros(top, dtype=bool), stub=np.zeros(top, dtype=bool),
                         year=np.zeros(top, dtype=np.int64), dated=np.zeros(top, dtype=bool),
                         kind=np.zeros(top, dtype=np.int64), kinds=[],
                         cited_by_count=np.zeros(top, dtype=np.int64),
                         referenced_works_count=np.zeros(top, dtype=np.int64))
        out.present[ids] = True
        out.stub[ids] = np.fromiter((bool(r[1]) for r in rows), dtype=bool, count=len(rows))
        out.year[ids] = np.fromiter((max(r[2] or 0, 0) // 10000 for r in rows), dtype=np.int64, count=len(rows))
        out.dated[ids] = np.fromiter(((r[2] or 0) > 0 for r in rows), dtype=bool, count=len(rows))
        out.kind[ids] = np.fromiter((kinds.setdefault(r[3], len(kinds)) for r in rows), dtype=np.int64,
                                    count=len(rows))
        out.cited_by_count[ids] = np.fromiter((r[4] for r in rows), dtype=np.int64, count=len(rows))
        out.referenced_works_count[ids] = np.fromiter((r[5] for r in rows), dtype=np.int64, count=len(rows))
        out.kinds = list(kinds)
        return out

    def facet_pairs(self, fields: Iterable[str]) -> tuple[Ints, Ints]:
        """(work, facet value id) of every facet in ``fields``, as parallel arrays."""
        fields = list(fields)
        marks = ",".join("?" * len(fields))
        return self._pairs(f"SELECT f.work_id, f.value_id FROM facet_values v JOIN facets f ON f.value_id = v.id"
                           f" WHERE v.field IN ({marks})", fields)

    def facet_values(self, field: str) -> dict[int, str]:
        """Every value filed under a facet field, by value id."""
        return dict(self.conn.execute("SELECT id, value FROM facet_values WHERE field = ?", (field,)).fetchall())

    def works_with(self, fields: Sequence[str], value: str) -> list[int]:
        """The works holding ``value`` under any of the facet ``fields`` (an author's, a venue's works)."""
        marks = ",".join("?" * len(fields))
        rows = self.conn.execute(f"SELECT DISTINCT f.work_id FROM facet_values v JOIN facets f ON f.value_id = v.id"
                                 f" WHERE v.field IN ({marks}) AND v.value = ? ORDER BY 1", (*fields, value))
        return [r[0] for r in rows]

    def counts_by_year_sums(self) -> tuple[Ints, Ints]:
        """(work, the sum of its counts by year) of every work with any."""
        return self._pairs("SELECT work_id, sum(n) FROM counts_by_year GROUP BY work_id")

    def edge_sources(self, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], int]:
        """The sources bitmask of each (citing, cited) edge that exists (primary-key reads)."""
        out: dict[tuple[int, int], int] = {}
        step = IN_CHUNK // 2
        for i in range(0, len(pairs), step):
            chunk = pairs[i:i + step]
            where = " OR ".join(["(citing = ? AND cited = ?)"] * len(chunk))
            for citing, cited, sources in self.conn.execute(
                    f"SELECT citing, cited, sources FROM edges WHERE {where}", [x for pair in chunk for x in pair]):
                out[(citing, cited)] = sources
        return out

    # --- adjacency -------------------------------------------------------------------------------------
    def build_id(self) -> str:
        """The current build's id (every build gets a new one; "0" before the first)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'build_id'").fetchone()
        return str(row[0]) if row is not None else "0"

    def _adjacency_folder(self, build: str) -> Path:
        return adjacency_folder(self.path, build)

    def adjacency(self, *, save: bool = False) -> Adjacency:
        """The graph of the current build as adjacency arrays: mapped from its save beside the database, else read
        from the edges (and saved, with ``save``). Held while the build stays current."""
        build = self.build_id()
        held = self._adjacency
        if held is not None and held[0] == build:
            return held[1]
        with self._adjacency_lock:
            held = self._adjacency
            if held is not None and held[0] == build:
                return held[1]
            folder = self._adjacency_folder(build)
            adjacency = Adjacency.load(folder)
            if adjacency is None:
                citing, cited = self.edge_arrays()
                works = np.asarray(self._pairs("SELECT id, 0 FROM works")[0])
                adjacency = Adjacency.from_edges(citing, cited, works)
                if save:
                    adjacency.save(folder)
            self._adjacency = (build, adjacency)
            return adjacency

    def adjacency_saved(self) -> bool:
        """Are the current build's adjacency arrays saved beside the database?"""
        return Adjacency.load(self._adjacency_folder(self.build_id())) is not None

    # --- the metrics' results --------------------------------------------------------------------------
    def write_impact(self, bins: Sequence[tuple[object, ...]], rows: Sequence[tuple[object, ...]],
                     build: str, related: Sequence[tuple[object, ...]] = ()) -> None:
        """Replace the stored bins, per-work metrics and precomputed related works (work, rank, other, co-citation,
        coupling, and their cosines) with those of build ``build``, in one transaction."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM impact")
            conn.execute("DELETE FROM impact_bins")
            conn.execute("DELETE FROM related_top")
            conn.executemany("INSERT INTO related_top(work_id, rank, other, cocitation, coupling, cocitation_cosine,"
                             " coupling_cosine) VALUES(?, ?, ?, ?, ?, ?, ?)", related)
            conn.executemany("INSERT INTO impact_bins(id, subject, year, type, works, mean, mean_3y)"
                             " VALUES(?, ?, ?, ?, ?, ?, ?)", bins)
            conn.executemany(f"INSERT INTO impact({', '.join(_IMPACT_COLUMNS)})"
                             f" VALUES({', '.join('?' * len(_IMPACT_COLUMNS))})", rows)
            conn.execute("INSERT INTO meta VALUES('metrics_build', ?) ON CONFLICT(key) DO UPDATE"
                         " SET value = excluded.value", (build,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def metrics_current(self) -> bool:
        """Were the stored metrics computed for the current build?"""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'metrics_build'").fetchone()
        return row is not None and str(row[0]) == self.build_id()

    def related_top(self, work_id: int, limit: int) -> list[tuple[int, int, int, float, float]]:
        """The build's related works of ``work_id``, best first, (other, co-citation, coupling, cosines); empty when
        the build did not precompute them (a work light enough to compute at once)."""
        return [tuple(r) for r in self.conn.execute(
            "SELECT other, cocitation, coupling, cocitation_cosine, coupling_cosine FROM related_top"
            " WHERE work_id = ? ORDER BY rank LIMIT ?", (work_id, limit))]

    def impact(self, work_id: int) -> ImpactRow | None:
        """A work's stored impact metrics, or None (a stub, or metrics not built)."""
        row = self.conn.execute(f"SELECT {', '.join(_IMPACT_COLUMNS)} FROM impact WHERE work_id = ?",
                                (work_id,)).fetchone()
        return ImpactRow(*row) if row is not None else None

    def impact_scores(self, work_ids: Sequence[int]) -> dict[int, float | None]:
        """The open-window normalised score of each of ``work_ids`` that has impact metrics."""
        out: dict[int, float | None] = {}
        for i in range(0, len(work_ids), IN_CHUNK):
            chunk = list(work_ids[i:i + IN_CHUNK])
            marks = ",".join("?" * len(chunk))
            out.update(self.conn.execute(f"SELECT work_id, score FROM impact WHERE work_id IN ({marks})", chunk))
        return out

    def impact_bin(self, bin_id: int) -> ImpactBin | None:
        """One bin's description."""
        row = self.conn.execute("SELECT id, subject, year, type, works, mean, mean_3y FROM impact_bins WHERE id = ?",
                                (bin_id,)).fetchone()
        return ImpactBin(*row) if row is not None else None


__all__ = ["SQLiteMetrics"]
