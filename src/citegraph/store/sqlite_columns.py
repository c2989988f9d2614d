"""Filter columns and facet lists of the SQLite store as numpy arrays: group-bys and facets in milliseconds.

A facet over a filtered set is a count per value of every work in the set. SQLite answers it by visiting
the facet rows of the whole field (or the works' wide rows, for a column) — 0.3 s to 180 s per facet over
92k of 920k works. Here each field used is read once into arrays indexed by work id (a column: one code per
work; a multi-valued field: parallel work-id and value-code arrays); a filter becomes a boolean mask over
work ids, and a facet a ``bincount`` of the codes the mask selects (a few ms).

The arrays mirror the database: they are dropped whenever it changes (PRAGMA data_version moves when another
connection commits, ``total_changes`` when this one writes). Each predicate is evaluated here with exactly
the SQL compiler's semantics (NULL is false, a negated Eq holds for a missing value, a negated Range too);
predicates the arrays cannot answer (relations, id lists, values of an unexpected type) are answered by the
SQL compiler for that predicate alone and enter the mask as a list of work ids.
"""

from __future__ import annotations

import bisect
import json
import re
import shutil
import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from citegraph import query as q
from citegraph.store.sqlquery import (
    COLUMN_FIELDS,
    FACET_FIELDS,
    FLAG_FACETS,
    Compiler,
    TextResolver,
    facet_value,
)

Mask = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

#: The folder beside the database where a build's columns are saved (``<db>.columns/build-<id>-v<schema>``).
COLUMNS_SUFFIX = ".columns"
#: Bumped whenever the saved layout or a field's encoding changes: a save of another schema is never read.
COLUMNS_SCHEMA = 2
#: Leaf-predicate masks remembered while the database is unchanged (one byte per work each).
MASK_CACHE_SIZE = 16
#: SQLite's lower() folds ASCII letters only: keyword columns are compared folded the same way.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: A text SQLite converts to an integer when compared with an INTEGER column (type affinity).
_INTEGER_TEXT = re.compile(r"[+-]?\d+")
#: Group-by fields computed from a column: the field, the column's field and the test (``> 0``).
_POSITIVE_OF: dict[str, str] = {q.HAS_REFERENCES: q.REFERENCED_WORKS_COUNT}


@dataclass
class _IntColumn:
    """An INTEGER column: its value per work id where ``present``."""

    values: Ints
    present: Mask


@dataclass
class _TextColumn:
    """A TEXT column, dictionary-encoded: ``codes`` per work id (-1: NULL) into ``values``, which are sorted,
    so that a code range is a value range (keyword columns hold their values folded as SQLite's lower())."""

    codes: npt.NDArray[np.int32]
    values: list[str]


@dataclass
class _FacetList:
    """A multi-valued field: one (work id, value code) pair per value a work has, and ``has`` per work id."""

    works: Ints
    codes: Ints
    values: list[str]
    has: Mask


class Unsupported(Exception):
    """The arrays cannot answer this predicate or group-by exactly; the SQL compiler answers it."""


def ascii_lower(text: str) -> str:
    """``text`` folded as SQLite's lower() folds it (ASCII letters only)."""
    return text.translate(_ASCII_LOWER)


class SQLiteColumns:
    """Read-through numpy copies of the fields filters and group-bys use, for one connection."""

    def __init__(self, conn: sqlite3.Connection, *, data_version: Callable[[], object] | None = None,
                 database_path: Path | None = None) -> None:
        """``data_version`` says when the database changed (default: SQLite's own counters); ``database_path`` is
        where saved columns live beside (default: the SQLite file's)."""
        self.conn = conn
        self._data_version = data_version or self._sqlite_version
        self._database_path_given = database_path
        self._version: object = None
        self._fields: dict[str, _IntColumn | _TextColumn | _FacetList | None] = {}
        self._masks: OrderedDict[tuple[object, ...], Mask] = OrderedDict()
        self._size = 0
        self._real: Mask = np.zeros(0, dtype=bool)
        self._saved: Path | None = None

    # --- freshness -------------------------------------------------------------------------------------
    def _sqlite_version(self) -> object:
        return (int(self.conn.execute("PRAGMA data_version").fetchone()[0]), self.conn.total_changes)

    def _check(self) -> None:
        version = self._data_version()
        if version == self._version:
            return
        self._version = version
        self._fields.clear()
        self._masks.clear()
        self._saved = self._saved_folder()
        top = self.conn.execute("SELECT max(id) FROM works").fetchone()[0]
        self._size = int(top or 0) + 1
        real = self._read_saved("real", lambda folder: np.load(folder / "real.npy", mmap_mode="r"))
        if real is None or len(real) != self._size:
            self._saved = None  # not the database's own columns after all
            real = np.zeros(self._size, dtype=bool)
            real[self._ints("SELECT id FROM works WHERE stub = 0")] = True
        self._real = real

    def _ints(self, sql: str, params: tuple[object, ...] = ()) -> Ints:
        rows = self.conn.execute(sql, params).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    # --- saved columns ---------------------------------------------------------------------------------
    def _database_path(self) -> Path | None:
        if self._database_path_given is not None:
            return self._database_path_given
        row = next((r for r in self.conn.execute("PRAGMA database_list") if r[1] == "main"), None)
        return Path(row[2]) if row is not None and row[2] else None

    def _folder_for(self, build: str) -> Path | None:
        db = self._database_path()
        return None if db is None else db.with_name(db.name + COLUMNS_SUFFIX) / f"build-{build}-v{COLUMNS_SCHEMA}"

    def _saved_folder(self) -> Path | None:
        """The folder of columns saved for the database's current build, if there is one."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'build_id'").fetchone()
        folder = self._folder_for(str(row[0])) if row is not None else None
        return folder if folder is not None and folder.is_dir() else None

    def saved(self) -> bool:
        """Are this build's columns saved beside the database?"""
        return self._saved_folder() is not None

    def _read_saved(self, name: str, read: Callable[[Path], Any]) -> Any:
        """``read`` over the saved folder, or None when there is none or it cannot be read (a newer build's
        save may have removed it): the caller then computes from the database."""
        if self._saved is None:
            return None
        try:
            return read(self._saved)
        except (OSError, ValueError):
            return None

    def save(self) -> Path | None:
        """Write every field's arrays beside the database, named by its current build, for the next readers
        (a server's first facet then maps them instead of reading a million rows per field); older builds'
        folders are removed. Called by the writer after a build; returns the folder (None: an in-memory db)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'build_id'").fetchone()
        final = self._folder_for(str(row[0]) if row is not None else "0")
        if final is None:
            return None
        self._version = None  # read everything from the database itself, never from an older save
        self._check()
        self._saved = None
        tmp = final.with_name(final.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        np.save(tmp / "real.npy", self._real)
        for name in sorted({*COLUMN_FIELDS, *FACET_FIELDS}):
            found = self._load(name)
            self._fields[name] = found
            _write_field(tmp / name, found)
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        for other in final.parent.iterdir():
            if other != final:
                shutil.rmtree(other, ignore_errors=True)
        return final

    # --- loading ---------------------------------------------------------------------------------------
    def _field(self, name: str) -> _IntColumn | _TextColumn | _FacetList:
        if name not in self._fields:
            saved = self._read_saved(name, lambda folder: _read_field(folder / name, self._size))
            self._fields[name] = saved[0] if saved is not None else self._load(name)
        found = self._fields[name]
        if found is None:
            raise Unsupported(name)
        return found

    def _load(self, name: str) -> _IntColumn | _TextColumn | _FacetList | None:
        if name in COLUMN_FIELDS:
            col = COLUMN_FIELDS[name]
            rows = self.conn.execute(f"SELECT w.id, {col} FROM works w WHERE {col} IS NOT NULL").fetchall()
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            if q.FIELDS[name] in (q.FieldKind.INT, q.FieldKind.BOOL):
                if {type(r[1]) for r in rows} - {int}:
                    return None  # a value SQLite kept as text or real: compared by SQL's own rules only
                present = np.zeros(self._size, dtype=bool)
                present[ids] = True
                values = np.zeros(self._size, dtype=np.int64)
                values[ids] = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
                return _IntColumn(values, present)
            # codes in order of first sight, then the (few) distinct values folded, sorted and renumbered
            index: dict[object, int] = {}
            first = np.fromiter((index.setdefault(r[1], len(index)) for r in rows), dtype=np.int32, count=len(rows))
            if any(type(v) is not str for v in index):
                return None
            seen = [str(v) for v in index]
            if q.FIELDS[name] is q.FieldKind.KEYWORD:
                seen = [ascii_lower(v) for v in seen]
            values_sorted = sorted(set(seen))
            position = {v: i for i, v in enumerate(values_sorted)}
            renumber = np.fromiter((position[v] for v in seen), dtype=np.int32, count=len(seen))
            codes = np.full(self._size, -1, dtype=np.int32)
            codes[ids] = renumber[first] if len(seen) else first
            return _TextColumn(codes, values_sorted)
        if name in FACET_FIELDS:
            vrows = self.conn.execute("SELECT id, value FROM facet_values WHERE field = ? ORDER BY id",
                                      (name,)).fetchall()
            vids = np.fromiter((r[0] for r in vrows), dtype=np.int64, count=len(vrows))
            rows = self.conn.execute("SELECT f.work_id, f.value_id FROM facets f WHERE f.value_id IN"
                                     " (SELECT id FROM facet_values WHERE field = ?)", (name,)).fetchall()
            works = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            value_ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
            has = np.zeros(self._size, dtype=bool)
            has[works] = True
            return _FacetList(works, np.searchsorted(vids, value_ids).astype(np.int64), [r[1] for r in vrows], has)
        return None

    # --- filters ---------------------------------------------------------------------------------------
    def mask(self, query: q.Query, resolve_text: TextResolver) -> Mask:
        """The works (non-stub) a query's filters and text select, as a mask over work ids."""
        self._check()
        out = self._real.copy()
        if query.where is not None:
            out &= self._pred(query.where, resolve_text)
        text = query.text
        if text is not None:
            out &= self._remembered(("text", repr(text)), lambda: self._ids_mask(
                resolve_text(q.Text(q.FULLTEXT_DEFAULT, text))))
        return out

    def _remembered(self, key: tuple[object, ...], compute: Callable[[], Mask]) -> Mask:
        """A leaf predicate's mask, kept while the database is unchanged: a Crossref request evaluates the same
        filters once per facet it asks for, and a dashboard asks the same filters over and over."""
        found = self._masks.get(key)
        if found is None:
            found = compute()
            if len(self._masks) >= MASK_CACHE_SIZE:
                self._masks.popitem(last=False)
            self._masks[key] = found
        else:
            self._masks.move_to_end(key)
        return found

    def _ids_mask(self, ids: Any) -> Mask:
        out = np.zeros(self._size, dtype=bool)
        arr = np.fromiter(ids, dtype=np.int64)
        out[arr[(arr >= 0) & (arr < self._size)]] = True
        return out

    def _pred(self, p: q.Predicate, resolve_text: TextResolver) -> Mask:
        if isinstance(p, q.And):
            out = np.ones(self._size, dtype=bool)
            for part in p.parts:
                out &= self._pred(part, resolve_text)
            return out
        if isinstance(p, q.Or):
            out = np.zeros(self._size, dtype=bool)
            for part in p.parts:
                out |= self._pred(part, resolve_text)
            return out
        return self._remembered(("leaf", repr(p)), lambda: self._leaf(p, resolve_text))

    def _leaf(self, p: q.Predicate, resolve_text: TextResolver) -> Mask:
        if isinstance(p, q.Text):
            hits = self._ids_mask(resolve_text(p))
            return ~hits if p.negate else hits
        try:
            if isinstance(p, q.Eq):
                hit = self._eq(p.field, p.values)
                return ~hit if p.negate else hit  # NOT coalesce(x, 0): a missing value is not equal
            if isinstance(p, q.Range):
                return self._range(p)
            if isinstance(p, q.IsNull):
                null = self._null(p.field)
                return ~null if p.negate else null
        except Unsupported:
            pass
        return self._sql_mask(p, resolve_text)

    def _sql_mask(self, p: q.Predicate, resolve_text: TextResolver) -> Mask:
        """One predicate answered by the SQL compiler (relations, id lists, odd values)."""
        params: list[object] = []
        sql = Compiler(resolve_text)._pred(p, params)
        return self._ids_mask(self._ints(f"SELECT w.id FROM works w WHERE {sql}", tuple(params)))

    def _eq(self, name: str, values: tuple[object, ...]) -> Mask:
        if name in FLAG_FACETS:
            wanted = {bool(v) for v in values}
            if wanted == {True, False}:
                return np.ones(self._size, dtype=bool)
            has = np.zeros(self._size, dtype=bool)
            for f in FLAG_FACETS[name]:
                has |= self._facet(f).has
            return has if True in wanted else ~has
        if name in _POSITIVE_OF:
            wanted = {bool(v) for v in values}
            if wanted == {True, False}:
                return np.ones(self._size, dtype=bool)
            positive = self._positive(name)
            return positive if True in wanted else ~positive
        if name in FACET_FIELDS:
            facet = self._facet(name)
            codes = _codes_of(facet.values, [facet_value(v) for v in values])
            out = np.zeros(self._size, dtype=bool)
            out[facet.works[_chosen(len(facet.values), codes)[facet.codes]]] = True
            return out
        column = self._field(name) if name in COLUMN_FIELDS else None
        if isinstance(column, _IntColumn):
            ints = [_as_int(v) for v in values]
            hit = np.zeros(self._size, dtype=bool)
            for i in ints:  # (np.isin sorts the whole column: 7 ms, where each comparison is 0.3)
                if i is not None:
                    hit |= column.values == i
            return column.present & hit
        if isinstance(column, _TextColumn):
            if any(not isinstance(v, str) for v in values):
                raise Unsupported(name)  # SQLite would compare its text form: leave that to SQLite
            # code -1 (NULL) reads the table's last entry, which is never chosen
            return _chosen(len(column.values), _codes_of(column.values, [str(v) for v in values]))[column.codes]
        raise Unsupported(name)

    def _range(self, p: q.Range) -> Mask:
        column = self._field(p.field) if p.field in COLUMN_FIELDS else None
        if isinstance(column, _IntColumn):
            low, high = _as_int(p.low), _as_int(p.high)
            if (p.low is not None and low is None) or (p.high is not None and high is None):
                raise Unsupported(p.field)
            within = column.present.copy()
            if low is not None:
                within &= column.values >= low if p.low_inclusive else column.values > low
            if high is not None:
                within &= column.values <= high if p.high_inclusive else column.values < high
            present = column.present
        elif isinstance(column, _TextColumn) and q.FIELDS[p.field] is not q.FieldKind.KEYWORD:
            if not all(b is None or isinstance(b, str) for b in (p.low, p.high)):
                raise Unsupported(p.field)
            # the values are sorted: a bound is a code, found by bisection
            values = column.values
            lo = 0 if p.low is None else (bisect.bisect_left if p.low_inclusive else bisect.bisect_right)(
                values, str(p.low))
            hi = len(values) if p.high is None else (bisect.bisect_right if p.high_inclusive else bisect.bisect_left)(
                values, str(p.high))
            within = (column.codes >= lo) & (column.codes < hi)
            present = column.codes >= 0
        else:
            raise Unsupported(p.field)
        return (~present | ~within) if p.negate else within

    def _null(self, name: str) -> Mask:
        if name in FLAG_FACETS or name in _POSITIVE_OF or name == q.WORK_ID:
            return np.zeros(self._size, dtype=bool)  # a has-flag is always known; every work has an id
        if name == q.CITES:
            return self._ints_of(q.REFERENCED_WORKS_COUNT) == 0
        if name == q.CITED_BY:
            return self._ints_of(q.CITED_BY_COUNT) == 0
        if name in FACET_FIELDS:
            return ~self._facet(name).has
        column = self._field(name) if name in COLUMN_FIELDS else None
        if isinstance(column, _IntColumn):
            return ~column.present
        if isinstance(column, _TextColumn):
            return column.codes < 0
        raise Unsupported(name)

    def _facet(self, name: str) -> _FacetList:
        found = self._field(name)
        if not isinstance(found, _FacetList):
            raise Unsupported(name)
        return found

    def _ints_of(self, name: str) -> Ints:
        """An INTEGER column that is never NULL (the counts)."""
        found = self._field(name)
        if not isinstance(found, _IntColumn):
            raise Unsupported(name)
        return found.values

    def _positive(self, name: str) -> Mask:
        return self._ints_of(_POSITIVE_OF[name]) > 0

    # --- groups ----------------------------------------------------------------------------------------
    def groups(self, name: str, mask: Mask, include_unknown: bool, top: int | None = None) -> list[tuple[object, int]]:
        """(value, works) for each value of ``name`` among the masked works, as the SQL group-by gives them:
        keyword columns folded, booleans as 0/1, no zero counts; with ``include_unknown`` a (None, n) bucket
        for the works without a value (a multi-valued field always has it, a column when n > 0).

        With ``top``, values counted fewer times than the ``top``-th most frequent are left out (ties at the cut
        are kept, so a caller that orders by count, then value, picks the same ``top`` as from all of them)."""
        self._check()
        if name in _POSITIVE_OF:
            positive = self._positive(name)
            return _nonzero_counts([0, 1], np.bincount(positive[mask].astype(np.int64), minlength=2))
        field = self._field(name)
        if isinstance(field, _FacetList):
            picked = field.codes[mask[field.works]]
            rows = _nonzero_counts(field.values, np.bincount(picked, minlength=len(field.values)), top)
            if include_unknown:
                rows.append((None, int(np.count_nonzero(mask & ~field.has))))
            return rows
        if isinstance(field, _TextColumn):
            codes = field.codes[mask]
            known = codes[codes >= 0]
            rows = _nonzero_counts(field.values, np.bincount(known, minlength=len(field.values)), top)
            unknown = len(codes) - len(known)
        else:
            values = field.values[mask & field.present]
            found, counts = np.unique(values, return_counts=True)
            rows = [(int(v), int(n)) for v, n in zip(found, counts, strict=True)]
            unknown = int(np.count_nonzero(mask & ~field.present))
        if include_unknown and unknown:
            rows.append((None, unknown))
        return rows

    def can_group(self, name: str) -> bool:
        """Whether ``name`` is grouped here (else by SQL)."""
        if name in _POSITIVE_OF:
            return True
        if name not in COLUMN_FIELDS and name not in FACET_FIELDS:
            return False
        self._check()
        try:
            self._field(name)
        except Unsupported:
            return False
        return True


def _write_field(base: Path, found: _IntColumn | _TextColumn | _FacetList | None) -> None:
    """One field's arrays as ``base.<part>.npy`` files (and its values as JSON); ``base.none``: unsupported."""
    if found is None:
        base.with_name(base.name + ".none").touch()
    elif isinstance(found, _IntColumn):
        np.save(base.with_name(base.name + ".values.npy"), found.values)
        np.save(base.with_name(base.name + ".present.npy"), found.present)
    else:
        np.save(base.with_name(base.name + ".codes.npy"), found.codes)
        base.with_name(base.name + ".values.json").write_text(json.dumps(found.values))
        if isinstance(found, _FacetList):
            np.save(base.with_name(base.name + ".works.npy"), found.works)


def _read_field(base: Path, size: int) -> tuple[_IntColumn | _TextColumn | _FacetList | None]:
    """A field written by ``_write_field``, its arrays mapped, not read (a 1-tuple: the field may be None)."""
    def part(suffix: str) -> Any:
        return np.load(base.with_name(base.name + suffix), mmap_mode="r")

    if base.with_name(base.name + ".none").exists():
        return (None,)
    if base.with_name(base.name + ".present.npy").exists():
        return (_IntColumn(part(".values.npy"), part(".present.npy")),)
    values = json.loads(base.with_name(base.name + ".values.json").read_text())
    if not base.with_name(base.name + ".works.npy").exists():
        return (_TextColumn(part(".codes.npy"), values),)
    works = part(".works.npy")
    has = np.zeros(size, dtype=bool)
    has[works] = True
    return (_FacetList(works, part(".codes.npy"), values, has),)


def _chosen(size: int, codes: list[int]) -> Mask:
    """A lookup table over codes 0..size-1, true at ``codes``, with one more (false) entry for code -1."""
    table = np.zeros(size + 1, dtype=bool)
    table[codes] = True
    return table


def _codes_of(values: list[str], wanted: list[str]) -> list[int]:
    """The codes of the ``wanted`` values among sorted ``values`` (absent ones have none)."""
    out = []
    for w in wanted:
        i = bisect.bisect_left(values, w)
        if i < len(values) and values[i] == w:
            out.append(i)
    return out


def _as_int(value: object) -> int | None:
    """A value as SQLite compares it with an INTEGER column: ints and bools as is, integer text converted."""
    if value is None:
        return None
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        return int(value)
    raise Unsupported(repr(value))


def _nonzero_counts(values: list[Any], counts: Ints, top: int | None = None) -> list[tuple[object, int]]:
    """(value, count) for the counted values; with ``top``, only those counted at least as often as the
    ``top``-th most frequent (a facet of 4,000 container titles shows 20: the rest never reach Python)."""
    floor = 1
    if top is not None and 0 < top < len(counts):
        floor = max(1, int(np.partition(counts, len(counts) - top)[len(counts) - top]))
    return [(values[i], int(counts[i])) for i in np.flatnonzero(counts >= floor)]

