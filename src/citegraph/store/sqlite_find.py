"""Query execution for the SQLite store: Graph.find's filters, orders, pages, cursors, groups and samples.

Kept apart from ``sqlite.py`` (schema, writing, the build, simple reads); the SQL itself is compiled
by ``sqlquery.py`` from the dialect-neutral query model.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from citegraph import query as q
from citegraph.query import Query
from citegraph.store.base import CitersPage, FindResult, FoundGroup, FoundWork, ServeSpec
from citegraph.store.sqlite_columns import SQLiteColumns
from citegraph.store.sqlquery import (
    COLUMN_FIELDS,
    FACET_FIELDS,
    FACET_WORKS,
    MAX_GROUPS,
    Compiler,
    TextResolver,
    cursor_fits,
    keyset,
    sort_expr,
)

#: The order of a list query that names none: most cited first (OpenAlex's own default, near enough).
DEFAULT_SORT = (q.Sort(q.CITED_BY_COUNT, descending=True),)
#: Query orders the citation index answers directly, and the index order that serves each.
FAST_CITER_SORTS: dict[tuple[tuple[str, bool], ...], str] = {
    ((q.CITED_BY_COUNT, True), (q.WORK, False)): "cited_by_count:desc",
    ((q.CITED_BY_COUNT, True),): "cited_by_count:desc",
    ((q.PUBLICATION_DATE, True), (q.WORK, True)): "publication_date:desc",
    ((q.PUBLICATION_DATE, False), (q.WORK, False)): "publication_date:asc",
}
#: Query counts remembered per connection while the database is unchanged (oldest dropped first).
COUNT_CACHE_SIZE = 512
#: Queries with a parameter longer than this (a text search's list of hits) are not remembered: too big to keep.
COUNT_CACHE_MAX_PARAM = 4096
#: Group-by fields computed from an expression rather than a column.
GROUP_EXPRESSIONS: dict[str, str] = {
    q.HAS_REFERENCES: "(w.referenced_works_count > 0)",
}


class SQLiteQueries:
    """The ``find`` part of the storage contract, over the connection of a SQLiteStore."""

    conn: sqlite3.Connection
    #: numpy copies of the filter and facet fields that answer group-bys (None: SQL answers them)
    columns: SQLiteColumns | None = None

    def _data_version(self) -> object:
        """A value that changes whenever the database does (another connection's commit, or this one's write)."""
        return (self.conn.execute("PRAGMA data_version").fetchone()[0], self.conn.total_changes)

    def _compiler(self, resolve_text: TextResolver) -> Compiler:
        return Compiler(resolve_text)

    def citations_named(self, pair: tuple[str, str], *, sort: str = "cited_by_count:desc",
                        after: tuple | None = None, limit: int = 25, offset: int = 0,
                        serve: ServeSpec | None = None) -> CitersPage | None:  # provided by SQLiteStore
        raise NotImplementedError

    # --- queries ---------------------------------------------------------------------------------------
    def find(self, query: Query, resolve_text: TextResolver, serve: ServeSpec | None = None) -> FindResult:
        """Answer a query: filters, text (answered by ``resolve_text``), order, page or cursor, groups, sample.
        With ``serve``, a page of a work's citers comes with what serving them needs (``FindResult.served``)."""
        fast = self._find_citers_fast(query, serve)
        if fast is not None:
            return fast
        columns = self.columns
        if query.group_by is not None and columns is not None and columns.can_group(query.group_by.field):
            return self._column_groups(query, columns, resolve_text)  # (before compiling: no text resolved twice)
        comp = self._compiler(resolve_text).compile(query)
        base = f"FROM works w{comp.joins} WHERE {comp.where}"
        bparams = comp.join_params + comp.params
        if query.group_by is not None:
            return self._groups(query, base, bparams)
        count = self._count(base, bparams)
        if query.sample is not None:
            return self._sample(query, base, bparams, count)
        sorts = tuple(query.sort) or DEFAULT_SORT
        if not any(s.key == q.WORK for s in sorts):
            sorts = (*sorts, q.Sort(q.WORK))
        exprs = [sort_expr(s) for s in sorts]
        order = ", ".join(f"{e} {'DESC' if s.descending else 'ASC'}" for e, s in zip(exprs, sorts, strict=True))
        cols = ", ".join(exprs)
        params = list(bparams)
        page = query.page
        if isinstance(page, q.Cursor):
            # a cursor holds one value per key of the query's own sort (which should end with WORK)
            n_keys = len(query.sort)
            extra = ""
            if page.after:
                extra = " AND " + keyset(sorts[:len(page.after)], tuple(page.after), params)
            rows = self.conn.execute(f"SELECT w.id, ts.score, {cols} {base}{extra} ORDER BY {order} LIMIT ?",
                                     [*params, page.size + 1]).fetchall()
            more = len(rows) > page.size
            rows = rows[:page.size]
            next_after = tuple(rows[-1][2:2 + n_keys]) if more and rows and n_keys else None
        else:
            rows = self.conn.execute(f"SELECT w.id, ts.score, {cols} {base} ORDER BY {order} LIMIT ? OFFSET ?",
                                     [*params, page.size, page.offset]).fetchall()
            next_after = None
        scored = query.is_search
        return FindResult(count=count, hits=[FoundWork(r[0], float(r[1] or 0.0) if scored else None) for r in rows],
                          next_after=next_after)

    def count(self, query: Query, resolve_text: TextResolver) -> int:
        """How many works a query's filters and text select, without reading any of them."""
        comp = self._compiler(resolve_text).compile(query)
        return self._count(f"FROM works w{comp.joins} WHERE {comp.where}", comp.join_params + comp.params)

    def _count(self, base: str, params: list[object]) -> int:
        """``count(*)`` of a query's works, remembered while the database is unchanged (a cursor walk asks the
        same count on every page, and counting a large set is most of a page's time)."""
        # (a list is one parameter holding many keys, as PostgreSQL binds them)
        key = (base, *(tuple(p) if isinstance(p, list) else p for p in params))
        if any(isinstance(p, str | list) and len(p) > COUNT_CACHE_MAX_PARAM for p in params):
            return int(self.conn.execute(f"SELECT count(*) {base}", params).fetchone()[0])
        version = self._data_version()
        cache: dict[tuple[object, ...], int] | None = getattr(self, "_counts", None)
        if cache is None or getattr(self, "_counts_version", None) != version:
            cache = {}
            self._counts, self._counts_version = cache, version
        found = cache.get(key)
        if found is None:
            found = int(self.conn.execute(f"SELECT count(*) {base}", params).fetchone()[0])
            if len(cache) >= COUNT_CACHE_SIZE:
                cache.pop(next(iter(cache)))  # the oldest
            cache[key] = found
        return found

    def _find_citers_fast(self, query: Query, serve: ServeSpec | None = None) -> FindResult | None:
        """``cites:X`` alone, in a citation-index order: a range scan of the index, not a join and a sort."""
        where = query.where
        if (where is None or len(where.parts) != 1 or query.text is not None or query.group_by is not None
                or query.sample is not None):
            return None
        pred = where.parts[0]
        if not (isinstance(pred, q.Eq) and pred.field == q.CITES and not pred.negate and len(pred.values) == 1):
            return None
        sort = FAST_CITER_SORTS.get(tuple((s.key, s.descending) for s in query.sort))
        if sort is None:
            return None
        value = pred.values[0]
        assert isinstance(value, tuple)
        page = query.page
        after = None
        if isinstance(page, q.Cursor):
            if page.after is not None:
                if len(page.after) != len(query.sort):
                    return None
                after = (page.after[0], page.after[-1]) if len(page.after) == 2 else None
                # the index's keys: a count, or a date as the cursor holds it (its ISO text; None when this path
                # paged past an undated work); anything else is the general path's to refuse
                undated = after is not None and after[0] is None and not sort.startswith("cited_by_count")
                if after is None or not cursor_fits(query.sort[-1], after[1]) or not (
                        undated or cursor_fits(query.sort[0], after[0])):
                    return None
            limit, offset = page.size + 1, 0
        else:
            limit, offset = page.size, page.offset
        # the work, its count, the page and what serving it needs in one read (a database server charges a round
        # trip per statement)
        found = self.citations_named((value[0], value[1]), sort=sort, after=after, limit=limit, offset=offset,
                                     serve=serve)
        if found is None:
            return FindResult(count=0, hits=[])
        count, rows, served = found.count or 0, found.rows, found.served
        if not isinstance(page, q.Cursor):
            return FindResult(count=count, hits=[FoundWork(r.work_id) for r in rows], served=served)
        more = len(rows) > page.size
        rows = rows[:page.size]
        next_after = None
        if more and rows:
            last = rows[-1]
            key0 = last.cited_by_count if sort.startswith("cited_by_count") else last.publication_date
            next_after = (key0, last.work_id) if len(query.sort) == 2 else None
            if next_after is None:
                return None
        return FindResult(count=count, hits=[FoundWork(r.work_id) for r in rows], next_after=next_after,
                          served=served)

    def _sample(self, query: Query, base: str, params: list[object], count: int) -> FindResult:
        assert query.sample is not None
        seed = query.sample.seed
        # a seeded sample is a fixed pseudo-random order of ids; an unseeded one is fresh each time
        salt = int.from_bytes(hashlib.blake2b((seed or "").encode(), digest_size=4).digest(), "big")
        order = f"((w.id * 2654435761 + {salt}) % 4294967296)" if seed is not None else "random()"
        size = query.sample.size
        page = query.page
        offset = page.offset if isinstance(page, q.Page) else 0
        limit = max(0, min(page.size, size - offset))
        rows = self.conn.execute(f"SELECT w.id FROM (SELECT w.id {base} ORDER BY {order} LIMIT ?) s"
                                 f" JOIN works w ON w.id = s.id ORDER BY {order} LIMIT ? OFFSET ?",
                                 [*params, size, limit, offset]).fetchall() if limit else []
        return FindResult(count=min(count, size), hits=[FoundWork(r[0]) for r in rows])

    def _column_groups(self, query: Query, columns: SQLiteColumns, resolve_text: TextResolver) -> FindResult:
        """A group-by answered from the numpy columns: the filters as a mask, the groups as counts."""
        gb = query.group_by
        assert gb is not None
        mask = columns.mask(query, resolve_text)
        page = query.page
        # a page by count needs only the values that can reach it
        top = (min(page.size * page.number, MAX_GROUPS)
               if isinstance(page, q.Page) and gb.order == "count" and gb.descending else None)
        return self._group_page(query, int(mask.sum()), columns.groups(gb.field, mask, gb.include_unknown, top))

    def _groups(self, query: Query, base: str, params: list[object]) -> FindResult:
        """A group-by answered by SQL (fields the columns do not hold, or a store without them)."""
        gb = query.group_by
        assert gb is not None
        name = gb.field
        p = list(params)
        if name in COLUMN_FIELDS or name in GROUP_EXPRESSIONS:
            expr = COLUMN_FIELDS.get(name) or GROUP_EXPRESSIONS[name]
            if q.FIELDS[name] is q.FieldKind.KEYWORD:
                expr = f"lower({expr})"
            sql = f"SELECT {expr} AS v, count(*) AS n {base} GROUP BY v"
        elif name in FACET_FIELDS:
            sql = (f"SELECT v.value AS v, count(*) AS n FROM facet_values v JOIN facets f ON f.value_id = v.id"
                   f" WHERE v.field = ? AND f.work_id IN (SELECT w.id {base}) GROUP BY v.id")
            p = [name, *params]
            if gb.include_unknown:
                sql += f" UNION ALL SELECT NULL, count(*) {base} AND w.id NOT IN ({FACET_WORKS})"
                p += [*params, name]
        else:
            raise q.QueryError(f"cannot group by {name} in this store")
        count = self.conn.execute(f"SELECT count(*) {base}", params).fetchone()[0]
        return self._group_page(query, count, self.conn.execute(sql, p).fetchall())

    @staticmethod
    def _group_page(query: Query, count: int, found: list[tuple[object, int]]) -> FindResult:
        """The page of groups a query asks for, from every (value, works) pair."""
        gb = query.group_by
        assert gb is not None
        rows: list[tuple[Any, int]] = [(v, n) for v, n in found if v is not None or gb.include_unknown]
        page = query.page
        if isinstance(page, q.Cursor):
            rows.sort(key=lambda r: (r[0] is None, r[0] if r[0] is not None else 0))
            if page.after is not None and page.after[0] is not None:
                rows = [r for r in rows if r[0] is not None and r[0] > page.after[0]]
            more = len(rows) > page.size
            rows = rows[:page.size]
            next_after = (rows[-1][0],) if more and rows else None
        else:
            if gb.order == "count":
                rows.sort(key=lambda r: (-r[1] if gb.descending else r[1], str(r[0])))
            else:
                rows.sort(key=lambda r: (r[0] is None, r[0] if r[0] is not None else 0), reverse=gb.descending)
            rows = rows[:min(page.size, MAX_GROUPS)]
            next_after = None
        return FindResult(count=count, hits=[], groups=[FoundGroup(v, n) for v, n in rows],
                          next_after=next_after)

