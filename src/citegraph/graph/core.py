"""The Graph facade: every question the library answers, over any store.

``citegraph.open(path)`` returns a :class:`Graph`. It accepts any identifier form a user may type
(``W2741809807``, ``https://doi.org/10.7717/peerj.4375``, ``pmid:29456894`` …), answers from the
store, and maps stored source records to the canonical :class:`~citegraph.model.Work`.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from citegraph import ids as idlib
from citegraph import query as q
from citegraph.graph import bibliometrics as bib
from citegraph.graph.load import SOURCE_MODULES, LoadReport, ProgressCallback, load
from citegraph.graph.metrics import build_metrics
from citegraph.graph.search import (
    INDEXED_FLAGS,
    IndexUpdater,
    SearchIndex,
    build_index,
    document_text,
    empty_index,
    index_path,
    index_stamp,
)
from citegraph.model import FIELD_PRECEDENCE, Counts, Id, UpstreamCounts, Work
from citegraph.sources import RecordError, implausible
from citegraph.store import CITATION_SORTS, ServedWork, ServeSpec, Store, StoreError, WorkRow, open_store
from citegraph.store.fields import NAMED_KEYWORD_FIELDS

#: The database used when none is named: a file in the working directory, like git's .git.
DEFAULT_DB = "citegraph.db"
#: The environment variable that names the database when ``--db`` is not given.
DB_ENV = "CITEGRAPH_DB"
#: The largest page a citation or reference list returns at once.
MAX_PAGE = 1000
#: Orders a relevance page may name for the index to answer it alone (best first, ties by key).
RELEVANCE_ORDERS = ((q.Sort(q.RELEVANCE, True),), (q.Sort(q.RELEVANCE, True), q.Sort(q.WORK)))
#: The most hits the index path ranks for one page (offset + rows, or a cursor's depth): past this the general
#: path, which scores every match, is no slower.
TOP_TEXT_MAX = 50_000
#: Extra hits fetched past a page so works tied on score at its edge are ordered by key as the general path does.
TOP_TEXT_TIE_MARGIN = 64
#: Bumped if the cursor layout ever changes, so old cursors fail clearly instead of silently.
CURSOR_VERSION = 1


class UnknownWorkError(LookupError):
    """No work in this database has the identifier asked for."""


class CursorError(ValueError):
    """A cursor that this database did not hand out, or for another list."""


class GraphWork:
    """A work as the graph knows it: every id, its sources, our counts, and the canonical record.

    ``work`` (the canonical :class:`~citegraph.model.Work`, None for a stub) is mapped from the stored
    records when first read: a lookup that needs only ids and counts never parses a record.
    """

    __slots__ = ("_graph", "_work", "cited_by_count", "ids", "key", "referenced_works_count", "sources", "stub")
    _UNSET: Any = object()

    def __init__(self, graph: Graph, key: int, ids: list[Id], stub: bool, sources: list[str], cited_by_count: int,
                 referenced_works_count: int) -> None:
        self._graph = graph
        self.key = key  # the internal work id
        self.ids = ids
        self.stub = stub  # cited by loaded works, but no record of its own is loaded
        self.sources = sources
        self.cited_by_count = cited_by_count
        self.referenced_works_count = referenced_works_count
        self._work: Work | None = GraphWork._UNSET

    @property
    def work(self) -> Work | None:
        """The canonical record, merged from every source's record by FIELD_PRECEDENCE."""
        if self._work is GraphWork._UNSET:
            views = self._graph._views(self.key)
            self._work = merge_works(views) if views else None
        return self._work

    def __repr__(self) -> str:
        return (f"GraphWork(key={self.key}, ids={self.ids!r}, stub={self.stub}, sources={self.sources},"
                f" cited_by_count={self.cited_by_count}, referenced_works_count={self.referenced_works_count})")


class WorkHit(msgspec.Struct):
    """A work a query found: its internal key, and its relevance when the query searched text."""

    key: int
    score: float | None = None


class Group(msgspec.Struct):
    """One bucket of a group-by.

    ``key`` is typed by the field: a canonical (scheme, value) pair for id fields, a str for
    keywords, a bool for flags, an int for numbers; None is the bucket of works without a value.
    """

    key: object
    count: int
    display_name: str | None = None


class WorksResult(msgspec.Struct):
    """The answer to :meth:`Graph.find`."""

    count: int
    hits: list[WorkHit]
    next_after: tuple | None = None  # sort values of the last hit when a Cursor page has more after it
    groups: list[Group] | None = None
    #: what serving each hit needs, by key, when ``find`` was asked for it and the store read it with the hits
    #: (else None: read it with ``served_works``)
    served: dict[int, ServedWork] | None = None


class CitationItem(msgspec.Struct):
    """One entry of a citation or reference list."""

    key: int
    id: str | None  # primary external id, "scheme:value"
    cited_by_count: int
    publication_date: str | None


class CitationPage(msgspec.Struct):
    """A page of a citation or reference list."""

    total: int
    items: list[CitationItem]
    next_cursor: str | None


def default_db() -> str:
    """The database named by $CITEGRAPH_DB, else ./citegraph.db."""
    return os.environ.get(DB_ENV) or DEFAULT_DB


def open(target: str | os.PathLike[str] | None = None, *, create: bool = False,  # noqa: A001
         readonly: bool = False) -> Graph:
    """Open the citation graph at ``target`` (a SQLite path; default ``$CITEGRAPH_DB`` or ./citegraph.db).

    ``create`` makes a new empty database when none exists; otherwise a missing one is an error.
    """
    return Graph(open_store(target if target is not None else default_db(), create=create, readonly=readonly))


def merge_works(works: dict[str, Work]) -> Work:
    """One canonical work from several sources' views: fields by ``FIELD_PRECEDENCE``, ids united."""
    ordered = [works[s] for s in FIELD_PRECEDENCE if s in works]
    if len(ordered) == 1:
        return ordered[0]
    base = msgspec.structs.replace(ordered[0], source=None)
    seen = {(i.scheme, i.value) for i in base.ids}
    all_ids = list(base.ids)
    for other in ordered[1:]:
        for i in other.ids:
            if (i.scheme, i.value) not in seen:
                seen.add((i.scheme, i.value))
                all_ids.append(i)
        for name in base.__struct_fields__:
            value = getattr(base, name)
            if value in (None, [], {}) and getattr(other, name) not in (None, [], {}):
                setattr(base, name, getattr(other, name))
    base.ids = all_ids
    return base


def _parse(any_id: str | Id | tuple[str, str]) -> tuple[str, str]:
    if isinstance(any_id, Id):
        return (any_id.scheme, any_id.value)
    if isinstance(any_id, tuple):
        return (any_id[0], idlib.normalize(any_id[0], any_id[1]))
    return idlib.parse_id(any_id)


class Graph:
    """The citation graph in one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._search: SearchIndex | None = None
        self._search_checked = False

    def close(self) -> None:
        """Release the store."""
        self.store.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- identity ------------------------------------------------------------------------------
    def resolve(self, any_id: str | Id | tuple[str, str]) -> int:
        """The internal key of the work ``any_id`` names; raises IdError or UnknownWorkError."""
        pair = _parse(any_id)
        key = self.store.resolve(pair)
        if key is None:
            raise UnknownWorkError(f"no work with id {idlib.format_id(pair, 'canonical')} in this database")
        return key

    def key_of(self, pair: tuple[str, str]) -> int | None:
        """The key of the work a canonical (scheme, value) pair names, or None; the pair is not parsed again
        (for callers whose parser already made it canonical)."""
        return self.store.resolve(pair)

    # --- works ------------------------------------------------------------------------------------
    def _row(self, any_id: str | Id | tuple[str, str] | int) -> tuple[int, WorkRow]:
        key = any_id if isinstance(any_id, int) else self.resolve(any_id)
        row = self.store.work_row(key)
        if row is None:
            raise UnknownWorkError(f"no work with key {key} in this database")
        return key, row

    def _views(self, key: int, fields: Collection[str] | None = None) -> dict[str, Work]:
        """Each source's record of a work, mapped to the canonical model; with ``fields`` (canonical ``Work`` field
        names), a source whose lean mapping keeps them all (``LEAN_FIELDS``) maps its record that way."""
        views: dict[str, Work] = {}
        for rec in self.store.records(key):
            module = SOURCE_MODULES.get(rec.source)
            if module is None:
                continue
            lean = getattr(module, "LEAN_FIELDS", None)
            if fields is not None and lean is not None and lean.issuperset(fields):
                views[rec.source] = module.map_record(rec.data, mode=module.LEAN_MODE).work
            else:
                views[rec.source] = module.map_record(rec.data).work
            implausible(views[rec.source])  # as at load: what the load left out stays out
        return views

    def canonical_works(self, keys: Sequence[int], fields: Collection[str] | None = None) -> dict[int, Work]:
        """The canonical record of each of ``keys`` that has records. Naming the ``Work`` fields needed (``fields``)
        lets a source map the lean way when its lean mapping keeps them (OpenAlex: everything but the abstract,
        open-access URL, biblio and a few more), which is faster; the other fields are then left empty."""
        out: dict[int, Work] = {}
        for key in keys:
            views = self._views(key, fields)
            if views:
                out[key] = merge_works(views)
        return out

    def work(self, any_id: str | Id | tuple[str, str] | int) -> GraphWork:
        """A work by any of its ids (or its internal key): ids, sources, our counts, canonical record."""
        _key, row = self._row(any_id)
        return GraphWork(self, key=row.id, ids=[Id(s, v) for s, v in row.ids], stub=row.stub, sources=row.sources,
                         cited_by_count=row.cited_by_count, referenced_works_count=row.referenced_works_count)

    def record(self, any_id: str | Id | tuple[str, str] | int, source: str) -> bytes | None:
        """The raw record ``source`` gave for a work, as stored, or None."""
        key = any_id if isinstance(any_id, int) else self.resolve(any_id)
        return self.store.record(key, source)

    def served_works(self, keys: Sequence[int], source: str,
                     years: tuple[int, int] | None) -> dict[int, ServedWork]:
        """What serving each work needs at once: counts, primary id, ``source``'s record, counts by year for
        ``years`` (first, last) as JSON (the dialects' hot path; unknown keys are left out)."""
        return self.store.served_works(keys, source, years)

    def served_work_named(self, pair: tuple[str, str], source: str,
                          years: tuple[int, int] | None) -> ServedWork | None:
        """``served_works`` of the work a canonical (scheme, value) pair names, looked up in the same read."""
        return self.store.served_work_named(pair, source, years)

    # --- citations --------------------------------------------------------------------------------
    def citations(self, any_id: str | Id | tuple[str, str] | int, *, sort: str = "cited_by_count:desc",
                  year: int | None = None, limit: int = 25, cursor: str | None = None) -> CitationPage:
        """Works citing a work, ``limit`` at a time, in ``sort`` order; follow ``next_cursor`` for more."""
        return self._page("citations", any_id, sort, year, limit, cursor)

    def references(self, any_id: str | Id | tuple[str, str] | int, *, sort: str = "cited_by_count:desc",
                   year: int | None = None, limit: int = 25, cursor: str | None = None) -> CitationPage:
        """Works a work cites, ``limit`` at a time, in ``sort`` order; follow ``next_cursor`` for more."""
        return self._page("references", any_id, sort, year, limit, cursor)

    def _page(self, kind: str, any_id: Any, sort: str, year: int | None, limit: int,
              cursor: str | None) -> CitationPage:
        if sort not in CITATION_SORTS:
            raise ValueError(f"unknown sort {sort!r}; one of: {', '.join(CITATION_SORTS)}")
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
        key = any_id if isinstance(any_id, int) else self.resolve(any_id)
        after = decode_cursor(cursor, kind, key, sort, year) if cursor else None
        fetch = self.store.citations if kind == "citations" else self.store.references
        rows = fetch(key, sort=sort, year=year, after=after, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = None
        if more:
            last = rows[-1]
            field = sort.partition(":")[0]
            if field == "cited_by_count":
                pos: tuple = (last.cited_by_count, last.work_id)
            else:
                pos = (_date_key(last.publication_date), last.work_id)
            next_cursor = encode_cursor(kind, key, sort, year, pos)
        total = self._total(kind, key, year)
        return CitationPage(total=total, items=[CitationItem(key=r.work_id, id=r.key_id,
                                                             cited_by_count=r.cited_by_count,
                                                             publication_date=r.publication_date) for r in rows],
                            next_cursor=next_cursor)

    def _total(self, kind: str, key: int, year: int | None) -> int:
        counts = self.store.work_counts(key)
        if counts is None:
            return 0
        if year is None:
            return counts[0] if kind == "citations" else counts[1]
        if kind == "citations":
            return self.store.counts_by_year(key).get(year, 0)
        return len(self.store.references(key, sort="publication_date:asc", year=year, after=None, limit=10**9))

    def counts(self, any_id: str | Id | tuple[str, str] | int) -> Counts:
        """Our citation and reference counts and counts by year, beside what the sources asserted."""
        key, row = self._row(any_id)
        upstream: dict[str, UpstreamCounts] = {source: w.upstream for source, w in self._views(key).items()}
        return Counts(cited_by_count=row.cited_by_count, referenced_works_count=row.referenced_works_count,
                      counts_by_year=self.store.counts_by_year(key), upstream=upstream)

    # --- bibliometrics -------------------------------------------------------------------------
    def metrics(self, any_id: str | Id | tuple[str, str] | int) -> bib.WorkMetrics:
        """A work's counts (ours and its sources'), whole-history counts by year, field-normalised impact and
        self-citation; MetricsNotBuiltError when the database's metrics are not computed."""
        key = any_id if isinstance(any_id, int) else self.resolve(any_id)
        return bib.work_metrics(self, key)

    def related(self, any_id: str | Id | tuple[str, str] | int, limit: int = 20) -> list[bib.RelatedWork]:
        """The works most related to a work by co-citation and bibliographic coupling, best first."""
        key = any_id if isinstance(any_id, int) else self.resolve(any_id)
        return bib.related_works(self, key, limit)

    def cocitation(self, any_ids: Sequence[str | Id | tuple[str, str] | int]) -> list[bib.PairStrength]:
        """Co-citation and coupling strengths (raw and Salton's cosine) of every pair of a set of works."""
        keys = [i if isinstance(i, int) else self.resolve(i) for i in any_ids]
        return bib.cocitation_matrix(self, keys)

    def author(self, author_id: str) -> bib.EntitySummary:
        """An author's works, citations, h-index and self-citation rate in this corpus (any author id form)."""
        return bib.entity_summary(self, bib.parse_entity_id(author_id, "author"), "author")

    def venue(self, venue_id: str) -> bib.EntitySummary:
        """A venue's works, citations, h-index and self-citation rate in this corpus (a source id or an ISSN)."""
        return bib.entity_summary(self, bib.parse_entity_id(venue_id, "venue"), "venue")

    # --- queries over works ---------------------------------------------------------------------
    @property
    def search_index(self) -> SearchIndex | None:
        """The full-text index beside the database, or None when it has not been built."""
        if not self._search_checked:
            self._search_checked = True
            path = self._index_path()
            if path is not None and index_stamp(path) is not None:
                self._search = SearchIndex(path)
        return self._search

    def _index_path(self) -> Path | None:
        return index_path(self.store.path)

    def _text(self, pred: q.Text) -> dict[int, float]:
        index = self.search_index
        if index is None:
            raise q.QueryError("this database has no search index on this host; run `citegraph migrate` (which builds"
                               " it) or `citegraph load`")
        return index.search(pred.field, pred.query)

    def _related(self, pred: q.Predicate) -> q.Predicate:
        """``related_to:X`` names the works X's own record lists as related: read them from X's records."""
        if isinstance(pred, q.And | q.Or):
            return type(pred)(tuple(self._related(p) for p in pred.parts))
        if isinstance(pred, q.Eq) and pred.field == q.RELATED_TO:
            related: list[tuple[str, str]] = []
            for value in pred.values:
                assert isinstance(value, tuple)
                key = self.store.resolve(value)
                gw = self.work(key) if key is not None else None
                if gw is not None and gw.work is not None:
                    related += [(i.scheme, i.value) for i in gw.work.related]
            if not related:
                return q.Or(()) if not pred.negate else q.And(())
            return q.Eq(q.WORK_ID, tuple(related), negate=pred.negate)
        if isinstance(pred, q.IsNull) and pred.field == q.RELATED_TO:
            raise q.QueryError("related_to cannot be tested for null")
        return pred

    def find(self, query: q.Query, serve: ServeSpec | None = None) -> WorksResult:
        """Works matching a query: filters, full text, sort, page or cursor, group-by or sample. ``serve`` (a
        source and span of years, as ``served_works`` takes them): the page's works are to be served, and the store
        may read what that needs with them (``WorksResult.served``; a database server's round trip fewer)."""
        if query.where is not None and any(getattr(p, "field", None) == q.RELATED_TO for p in q.walk(query.where)):
            where = self._related(query.where)
            assert isinstance(where, q.And)
            query = dataclasses.replace(query, where=where)
        top = self._find_top_text(query)
        if top is not None:
            return top
        found = self.store.find(query, self._text, serve)
        hits = [WorkHit(h.key, h.score) for h in found.hits]
        groups = None
        if found.groups is not None and query.group_by is not None:
            groups = self._groups(query.group_by.field, found.groups)
        return WorksResult(count=found.count, hits=hits, next_after=found.next_after, groups=groups,
                           served=found.served)

    def count(self, query: q.Query) -> int:
        """How many works match ``query`` (its filters and text; no page is read): a ``rows=0`` answer."""
        query = dataclasses.replace(query, page=q.Page(1, 1), group_by=None, sample=None)
        if query.where is not None and any(getattr(p, "field", None) == q.RELATED_TO for p in q.walk(query.where)):
            return self.find(query).count
        top = self._find_top_text(query)
        if top is not None:
            return top.count
        return self.store.count(query, self._text)

    def _find_top_text(self, query: q.Query) -> WorksResult | None:
        """A relevance page of a text search whose other filters the index holds too: answered by the index alone.

        The general path scores every match, joins them with the works table and sorts them all (a second for
        an OR-like query over a million works); the index ranks and counts in one pass. Pages and cursors are
        both served, in the general path's order (score, then key) and with its cursor values (score, key).
        Anything else (other filters, other orders, groups, samples, pages deeper than TOP_TEXT_MAX) returns
        None for the general path.
        """
        if query.group_by is not None or query.sample is not None or query.sort not in RELEVANCE_ORDERS:
            return None
        texts: list[tuple[str, q.TextQuery]] = []
        without: list[str] = []  # flags a match must not carry (see INDEXED_FLAGS)
        for part in query.where.parts if query.where is not None else ():
            if isinstance(part, q.Text) and not part.negate:
                texts.append((part.field, part.query))
            elif (isinstance(part, q.Eq) and not part.negate and part.values == (True,)
                  and part.field in INDEXED_FLAGS):
                without.append(INDEXED_FLAGS[part.field])
            else:
                return None
        if query.text is not None:
            texts.append((q.FULLTEXT_DEFAULT, query.text))
        index = self.search_index
        if not texts or index is None:
            return None
        page = query.page
        after: tuple[float, int] | None = None
        skip = page.offset if isinstance(page, q.Page) else 0
        if isinstance(page, q.Cursor) and page.after is not None:
            score, key = page.after if len(page.after) == 2 else (None, None)
            if not isinstance(score, float | int) or not isinstance(key, int):
                return None
            after = (float(score), key)
        limit = skip + page.size + TOP_TEXT_TIE_MARGIN
        while True:
            count, ranked = index.top(texts, without, limit)
            ranked.sort(key=lambda ks: (-ks[1], ks[0]))  # the general path's order: score, then key
            rest = ranked if after is None else [r for r in ranked if (-r[1], r[0]) > (-after[0], after[1])]
            complete = len(ranked) >= count
            # enough when the page and the next hit are in hand and no work tied with the next hit was cut off
            boundary = skip + page.size
            if complete or (len(rest) > boundary and ranked[-1][1] < rest[boundary][1]):
                break
            if limit >= TOP_TEXT_MAX:
                return None  # deeper than the index path goes: the general path pages it
            limit = min(limit * 4, TOP_TEXT_MAX)
        chosen = rest[skip:skip + page.size]
        next_after = None
        if isinstance(page, q.Cursor) and len(rest) > page.size and chosen:
            next_after = (chosen[-1][1], chosen[-1][0])
        return WorksResult(count=count, hits=[WorkHit(k, s) for k, s in chosen], next_after=next_after)

    def _groups(self, field: str, found: list[Any]) -> list[Group]:
        kind = q.FIELDS[field]
        out = []
        pairs = []
        for g in found:
            key: object = g.value
            if g.value is not None:
                if kind is q.FieldKind.ID:
                    scheme, _, value = str(g.value).partition(":")
                    key = (scheme, value)
                    pairs.append(key)
                elif kind is q.FieldKind.BOOL:
                    key = bool(g.value)
                elif field in NAMED_KEYWORD_FIELDS:
                    pairs.append((field, str(g.value)))
            out.append(Group(key=key, count=g.count))
        names = self.store.names(pairs) if pairs else {}
        for grp in out:
            if isinstance(grp.key, tuple):
                grp.display_name = names.get(grp.key)
            elif isinstance(grp.key, str) and field in NAMED_KEYWORD_FIELDS:
                grp.display_name = names.get((field, grp.key))
        return out

    def autocomplete(self, text: str, limit: int = 10) -> list[WorkHit]:
        """Works whose titles start with (words starting with) ``text``, most cited first."""
        index = self.search_index
        if index is None:
            return []
        hits = index.prefix_titles(text, limit=max(limit * 5, 50))
        rows = [(k, self.store.work_row(k)) for k in hits]
        rows.sort(key=lambda kr: -(kr[1].cited_by_count if kr[1] else 0))
        return [WorkHit(k, hits[k]) for k, r in rows[:limit] if r is not None]

    def ids_of(self, keys: list[int], scheme: str) -> dict[int, str]:
        """The ``scheme`` id (canonical value) of each work in ``keys`` that has one."""
        return self.store.ids_of(keys, scheme)

    def reference_keys(self, key: int) -> list[int]:
        """Every work ``key`` cites in the merged graph."""
        return self.store.reference_keys(key)

    def counts_by_year(self, key: int, since: int | None = None) -> dict[int, int]:
        """Citations received per year (of the citing work's publication), every year or from ``since`` on."""
        return self.store.counts_by_year(key, since=since)

    def names(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Display names of entity ids (authors, institutions, venues, topics, funders)."""
        return self.store.names(pairs)

    def rebuild_search_index(self) -> int:
        """Rewrite the full-text index from the store's records; returns the number of works indexed."""
        path = self._index_path()
        if path is None:
            return 0

        def works() -> Iterator[tuple[int, Work]]:
            current: int | None = None
            views: dict[str, Work] = {}
            for key, source, data in self.store.iter_records():
                if key != current:
                    if current is not None and views:
                        yield current, merge_works(views)
                    current, views = key, {}
                module = SOURCE_MODULES.get(source)
                if module is not None:
                    try:
                        views[source] = module.map_record(data).work
                    except RecordError:
                        continue  # a stored record that no longer maps is reported by its own load
            if current is not None and views:
                yield current, merge_works(views)

        n = build_index(path, works(), self.store.meta("build_id") or "0")
        self._search_checked = False
        self._search = None
        return n

    def search_index_current(self) -> bool:
        """Is the full-text index on this host made from the database's current build?"""
        path = self._index_path()
        return path is not None and index_stamp(path) == (self.store.meta("build_id") or "0")

    def ensure_search_index(self) -> int | None:
        """Rebuild this host's full-text index when it is missing or was made from an older build (a PostgreSQL
        database loaded from another host); returns the works indexed, or None when it was current."""
        if self.search_index_current():
            return None
        return self.rebuild_search_index()

    def ensure_columns(self) -> bool:
        """Save the filter and facet columns of the database's current build on this host when they are not (a
        PostgreSQL database loaded from another host); True when they were saved now."""
        columns = getattr(self.store, "columns", None)
        if columns is None or columns.saved():
            return False
        return columns.save() is not None

    # --- corpus -------------------------------------------------------------------------------------
    def ensure_metrics(self) -> bool:
        """Compute the metrics when they are not computed for the current build (a writer's call); True if it did.
        A failed self-check raises ``MetricsCheckError``."""
        if self.store.metrics_current():
            return False
        build_metrics(self.store)
        return True

    def ensure_served(self) -> bool:
        """Write what serving reads precomputed when the last build did not (a writer's call); True if it did."""
        return self.store.ensure_served()

    def ensure_adjacency(self) -> bool:
        """Save the current build's adjacency arrays on this host when they are missing (a server database's API
        host, or a database built before they existed); True if it saved them. Derived data only: when the folder
        beside the database cannot be written, readers build them in memory instead."""
        if self.store.adjacency_saved():
            return False
        try:
            self.store.adjacency(save=True)
        except OSError:
            return False
        return True

    def stats(self) -> dict[str, int]:
        """Corpus-wide counts: works, stubs, ids, edges, self-loops, conflicts, records per source."""
        return self.store.stats()

    def load(self, paths: Iterable[str | os.PathLike[str]], *, source: str | None = None,
             workers: int | None = None, rejects_path: str | os.PathLike[str] | None = None,
             progress: ProgressCallback | None = None, **options: Any) -> LoadReport:
        """Load files, directories or globs of source records, then rebuild derived tables and the search index.

        ``options`` pass through to :func:`citegraph.graph.load.load` (``batch_records``, ``pool_min_bytes``).
        """
        path = self._index_path()
        updater = None
        if path is not None:
            current = self.store.meta("build_id") or "0"
            if index_stamp(path) is None and current == "0":
                empty_index(path, current)  # a new database starts with an empty index, in step
            if index_stamp(path) == current:
                updater = IndexUpdater(path)  # in step: add this load's works as they are written
        report = load(self.store, paths, source=source, workers=workers, rejects_path=rejects_path,
                      progress=progress, index=updater, **options)
        if path is not None:
            t0 = time.perf_counter()
            stamp = self.store.meta("build_id") or "0"
            if updater is not None:
                for key in set(report.merged_keys):  # several sources: index their merged text
                    gw = self.work(key)
                    if gw.work is not None:
                        updater.put(key, document_text(gw.work))
                updater.commit(stamp)
            elif index_stamp(path) != stamp:
                self.rebuild_search_index()
            self._search_checked = False
            self._search = None
            report.index_seconds = time.perf_counter() - t0
        return report


def _date_key(date: str | None) -> int:
    if not date:
        return 0
    parts = [int(p) for p in date.split("-")]
    parts += [0] * (3 - len(parts))
    return parts[0] * 10000 + parts[1] * 100 + parts[2]


def encode_cursor(kind: str, key: int, sort: str, year: int | None, pos: tuple) -> str:
    """An opaque cursor for the list (kind, work, sort, year) positioned after ``pos``."""
    raw = msgspec.msgpack.encode([CURSOR_VERSION, kind, key, sort, year, list(pos)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, key: int, sort: str, year: int | None) -> tuple:
    """The position a cursor stands for; CursorError when it is not one of this list's cursors."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, c_kind, c_key, c_sort, c_year, pos = msgspec.msgpack.decode(raw)
    except (ValueError, TypeError, msgspec.DecodeError) as exc:
        raise CursorError(f"invalid cursor {cursor!r}") from exc
    if version != CURSOR_VERSION or (c_kind, c_key, c_sort, c_year) != (kind, key, sort, year):
        raise CursorError("this cursor belongs to another list (work, sort or year differ)")
    if not isinstance(pos, list) or not all(isinstance(p, int) for p in pos):
        raise CursorError(f"invalid cursor {cursor!r}")
    return tuple(pos)


__all__ = [
    "DB_ENV",
    "Group",
    "WorkHit",
    "WorksResult",
    "DEFAULT_DB",
    "CitationItem",
    "CitationPage",
    "CursorError",
    "Graph",
    "GraphWork",
    "StoreError",
    "UnknownWorkError",
    "default_db",
    "merge_works",
    "open",
]
