"""The Semantic Scholar Graph API dialect's routes (spec/api-dialects.md §4), relative to their mount point.

Everything lives under ``/graph/v1`` as upstream: papers by any S2 id form, batches, citations and references in
S2's own list order (then the rest of our graph's), relevance, bulk and title search, autocomplete, and authors
computed from our graph. Errors are S2's ``{"error": …}`` 400s and 404s; ``x-api-key`` is accepted, never needed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from citegraph import ids
from citegraph import query as q
from citegraph.dialects.s2.params import (
    AUTHOR_FIELDS,
    AUTOCOMPLETE_CHARS,
    BATCH_NESTED_MAX,
    BULK_PAGE,
    CITATION_FIELDS,
    CITATION_WINDOW,
    DEFAULT_AUTHOR_FIELDS,
    DEFAULT_PAPER_FIELDS,
    FIELDS_OF_STUDY,
    MAX_AUTHOR_BATCH,
    MAX_LIST_LIMIT,
    MAX_PAPER_BATCH,
    MAX_SEARCH_LIMIT,
    NESTED_LIST_MAX,
    PAPER_FIELDS,
    PAPER_LIST_FIELDS,
    PUBLICATION_TYPES,
    SEARCH_WINDOW,
    Fields,
    S2Error,
    parse_bulk_query,
    parse_date_or_year,
    parse_fields,
    parse_page,
    parse_year,
    unacceptable,
)
from citegraph.dialects.s2.render import (
    AUTHOR_URL,
    PaperRenderer,
    author_summary,
    author_works,
    citation_item,
    paper_id,
)
from citegraph.graph.counts import CountsMode

if TYPE_CHECKING:
    from citegraph.graph import Graph

log = logging.getLogger(__name__)

PREFIX = "/graph/v1"
#: Paper fields a list of papers inside search answers may not ask for (S2: no nested lists in search).
_LISTLESS_PAPER_FIELDS = tuple(f for f in PAPER_FIELDS if f not in PAPER_LIST_FIELDS)
#: The sort keys of bulk search and the query-model field each orders by (paperId: our stable work order).
BULK_SORTS: dict[str, str] = {"paperId": q.WORK, "publicationDate": q.PUBLICATION_DATE,
                              "citationCount": q.CITED_BY_COUNT}
#: S2 ``publicationTypes`` as our work types (the filter matches works of that type).
TYPE_FILTER: dict[str, str] = {
    "JournalArticle": "article", "Review": "review", "Conference": "article", "Book": "book",
    "BookSection": "book-chapter", "Dataset": "dataset", "Editorial": "editorial", "LettersAndComments": "letter",
    "CaseReport": "article", "ClinicalTrial": "article", "MetaAnalysis": "review", "News": "article",
    "Study": "article",
}
#: Query parameters each kind of route accepts (anything else is S2's "Unacceptable query params").
_COMMON = frozenset({"fields"})
_LIST_PARAMS = _COMMON | {"offset", "limit"}
_SEARCH_FILTERS = frozenset({"query", "year", "venue", "fieldsOfStudy", "publicationTypes", "openAccessPdf",
                             "minCitationCount", "publicationDateOrYear"})
ALLOWED: dict[str, frozenset[str]] = {
    "paper": _COMMON, "citations": _LIST_PARAMS | {"publicationDateOrYear"},
    "references": _LIST_PARAMS | {"publicationDateOrYear"},  # (not in S2's spec for references; applied all the same)
    "authors": _LIST_PARAMS, "search": _LIST_PARAMS | _SEARCH_FILTERS,
    "bulk": _LIST_PARAMS | _SEARCH_FILTERS | {"token", "sort"}, "match": _LIST_PARAMS | _SEARCH_FILTERS,
    "autocomplete": frozenset({"query"}), "batch": _COMMON, "author": _COMMON,
    "author_papers": _LIST_PARAMS | {"publicationDateOrYear"}, "author_search": _LIST_PARAMS | {"query"},
}


class _JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return msgspec.json.encode(content)


def _params(request: Request, kind: str) -> dict[str, str]:
    """The request's query parameters (the last of a repeated one), refusing any the route does not take."""
    params = dict(request.query_params)
    bad = [f"{k}={v}" for k, v in request.query_params.multi_items() if k not in ALLOWED[kind]]
    if bad:
        raise S2Error(400, f"Unacceptable query params: [{', '.join(bad)}]")
    return params


def parse_paper_id(raw: str) -> tuple[str, str] | None:
    """The canonical id an S2 ``paper_id`` names (every form of §4.4, prefixes in any case), or None."""
    text = raw.strip()
    if text[:4].lower() == "url:":
        text = text[4:]
    try:
        pair = ids.parse_id(text, allowed=ids.WORK_SCHEMES)
    except ids.IdError:
        return None
    return pair


class S2Dialect:
    """The dialect's handlers over one graph."""

    def __init__(self, graph: Graph, *, citation_window: int | None = CITATION_WINDOW,
                 counts: CountsMode = CountsMode.OURS) -> None:
        self.graph = graph
        self.renderer = PaperRenderer(graph, counts)
        self.citation_window = citation_window

    # --- papers ---------------------------------------------------------------------------------------
    def resolve(self, raw: str) -> int:
        """The key of the paper ``raw`` names; S2's 404 when none."""
        pair = parse_paper_id(raw)
        key = self.graph.key_of(pair) if pair is not None else None
        if key is None:
            raise S2Error(404, f"Paper with id {raw} not found")
        return key

    def paper(self, raw: str, params: dict[str, str]) -> dict[str, Any]:
        """``GET /paper/{paper_id}``."""
        fields = parse_fields(params.get("fields"))
        key = self.resolve(raw)
        found = self.renderer.papers([key], fields)
        if key not in found:
            raise S2Error(404, f"Paper with id {raw} not found")
        return found[key]

    def paper_batch(self, body: bytes, params: dict[str, str]) -> list[dict[str, Any] | None]:
        """``POST /paper/batch``: the papers in the order asked, null for an id we do not hold."""
        fields = parse_fields(params.get("fields"))
        wanted = _batch_ids(body, MAX_PAPER_BATCH)
        keys: list[int | None] = []
        for raw in wanted:
            pair = parse_paper_id(raw)
            keys.append(self.graph.key_of(pair) if pair is not None else None)
        held = [k for k in keys if k is not None]
        if PAPER_LIST_FIELDS & set(fields.names):
            rows = self.graph.store.work_rows(held)
            nested = sum(min(NESTED_LIST_MAX, rows[k].cited_by_count if "citations" in fields else 0) +
                         min(NESTED_LIST_MAX, rows[k].referenced_works_count if "references" in fields else 0)
                         for k in held if k in rows)  # (each list is cut at NESTED_LIST_MAX apart)
            if nested > BATCH_NESTED_MAX:
                raise S2Error(400, f"Response would exceed maximum size: {nested} citations and references asked"
                                   f" in one batch (at most {BATCH_NESTED_MAX}); ask for fewer papers or fields")
        found = self.renderer.papers(held, fields)
        return [found.get(k) if k is not None else None for k in keys]

    def citation_list(self, raw: str, kind: str, params: dict[str, str]) -> dict[str, Any]:
        """``/paper/{id}/citations`` and ``/references``: S2's list order first, then the rest of our graph."""
        fields = parse_fields(params.get("fields"), extra=CITATION_FIELDS)
        dates = parse_date_or_year(params.get("publicationDateOrYear"))
        offset, limit = parse_page(params, max_limit=MAX_LIST_LIMIT, window=self.citation_window, strict=True)
        key = self.resolve(raw)
        cit = kind == "citations"
        keys = self.graph.store.listed(key, "s2", kind, dates=dates, offset=offset, limit=limit + 1)
        more = len(keys) > limit
        keys = keys[:limit]
        citation_fields = [n for n in fields.names if n in CITATION_FIELDS]
        paper_names = [n for n in fields.names if n not in CITATION_FIELDS] or list(DEFAULT_PAPER_FIELDS)
        papers = self.renderer.papers(keys, Fields(paper_names, fields.sub), nested=True)
        pairs = [(k, key) if cit else (key, k) for k in keys]
        facts = self.graph.store.listed_facts(pairs, "s2") if citation_fields else {}
        side = "citingPaper" if cit else "citedPaper"
        data = [citation_item(side, papers.get(k), facts.get(p), citation_fields)
                for k, p in zip(keys, pairs, strict=True)]
        out: dict[str, Any] = {"offset": offset}
        if more and (self.citation_window is None or offset + len(data) < self.citation_window):
            out["next"] = offset + len(data)
        out["data"] = data
        return out

    def paper_authors(self, raw: str, params: dict[str, str]) -> dict[str, Any]:
        """``/paper/{id}/authors``: the byline, ``limit`` at a time."""
        fields = parse_fields(params.get("fields"), allowed=AUTHOR_FIELDS, default=DEFAULT_AUTHOR_FIELDS)
        offset, limit = parse_page(params, max_limit=MAX_LIST_LIMIT, window=None)
        key = self.resolve(raw)
        paper = self.renderer.papers([key], Fields(["authors"]))[key]
        ids_ = [a.get("authorId") for a in paper.get("authors", [])]
        names = [a.get("name") for a in paper.get("authors", [])]
        page = list(zip(ids_, names, strict=True))[offset:offset + limit]
        data = [self._author(aid, name, fields) for aid, name in page]
        out: dict[str, Any] = {"offset": offset}
        if offset + len(data) < len(ids_):
            out["next"] = offset + len(data)
        out["data"] = data
        return out

    # --- search ---------------------------------------------------------------------------------------
    def _filters(self, params: dict[str, str]) -> list[q.Predicate]:
        where: list[q.Predicate] = []
        years = parse_year(params.get("year"))
        if years is not None:
            where.append(q.Range(q.PUBLICATION_YEAR, years[0], years[1]))
        dates = parse_date_or_year(params.get("publicationDateOrYear"))
        if dates is not None:
            where += date_predicates(*dates)
        venues = [v.strip() for v in params.get("venue", "").split(",") if v.strip()]
        if venues:
            parts = []
            for v in venues:
                text = q.parse_search(f'"{v}"' if " " in v else v)
                if text is not None:
                    parts.append(q.Text(q.VENUE_NAME, text))
            if parts:
                where.append(q.Or(tuple(parts)) if len(parts) > 1 else parts[0])
        types = [t.strip() for t in params.get("publicationTypes", "").split(",") if t.strip()]
        if types:
            unknown = [t for t in types if t not in PUBLICATION_TYPES]
            if unknown:
                raise unacceptable("publicationTypes", ",".join(unknown))
            where.append(q.Eq(q.TYPE, tuple(dict.fromkeys(TYPE_FILTER[t] for t in types))))
        if "openAccessPdf" in params:
            where.append(q.Eq(q.IS_OA, (True,)))
        if "minCitationCount" in params:
            raw = params["minCitationCount"]
            if not raw.isdigit() or len(raw) > 12:
                raise unacceptable("minCitationCount", raw)
            where.append(q.Range(q.CITED_BY_COUNT, int(raw), None))
        studies = [f.strip() for f in params.get("fieldsOfStudy", "").split(",") if f.strip()]
        if studies:
            unknown = [f for f in studies if f not in FIELDS_OF_STUDY]
            if unknown:
                raise unacceptable("fieldsOfStudy", ",".join(unknown))
            where.append(q.Eq(q.FIELD_OF_STUDY, tuple(studies)))
        return where

    def search(self, params: dict[str, str]) -> dict[str, Any]:
        """``/paper/search``: relevance order, ``limit`` ≤ 100, the first 1,000 results."""
        fields = parse_fields(params.get("fields"), allowed=_LISTLESS_PAPER_FIELDS)
        offset, limit = parse_page(params, max_limit=MAX_SEARCH_LIMIT, window=SEARCH_WINDOW)
        text = q.parse_search(params.get("query") or "")
        if "query" not in params:
            raise S2Error(400, "Unacceptable query params: [query=]; query is required")
        where = self._filters(params)
        if text is None:
            return {"total": 0, "offset": offset, "data": []}
        query = q.Query(where=q.And(tuple(where)), text=text, sort=(q.Sort(q.RELEVANCE, descending=True),),
                        page=q.Page(1, max(1, offset + limit)))
        result = self.graph.find(query)
        keys = [h.key for h in result.hits][offset:offset + limit]
        papers = self.renderer.papers(keys, fields)
        out: dict[str, Any] = {"total": result.count, "offset": offset}
        end = offset + len(keys)
        if keys and end < min(result.count, SEARCH_WINDOW):
            out["next"] = end
        out["data"] = [papers[k] for k in keys if k in papers]
        return out

    def bulk(self, params: dict[str, str]) -> dict[str, Any]:
        """``/paper/search/bulk``: up to 1,000 papers a page in ``sort`` order, paged by ``token``."""
        fields = parse_fields(params.get("fields"), allowed=_LISTLESS_PAPER_FIELDS)
        parse_page(params, max_limit=MAX_LIST_LIMIT, window=None)  # checked, then ignored as S2 does
        raw_sort = params.get("sort", "paperId:asc")
        name, _, order = raw_sort.partition(":")
        if name not in BULK_SORTS or order not in ("", "asc", "desc"):
            raise unacceptable("sort", raw_sort)
        sort = [q.Sort(BULK_SORTS[name], descending=order == "desc")]
        where = self._filters(params)
        text = parse_bulk_query(params["query"]) if params.get("query") else None
        if params.get("query") and text is None:
            return {"total": 0, "data": []}
        after: tuple[object, ...] | None = None
        token = params.get("token")
        if token:
            try:
                after = q.decode_cursor(token)
            except q.CursorError:
                raise unacceptable("token", token) from None
        try:
            query = q.Query(where=q.And(tuple(where)), text=text, sort=tuple(sort), page=q.Cursor(after, BULK_PAGE))
            result = self.graph.find(query)
        except q.QueryError:
            raise unacceptable("token", token or "") from None
        keys = [h.key for h in result.hits]
        total = self.graph.count(q.Query(where=q.And(tuple(where)), text=text)) if not token else result.count
        papers = self.renderer.papers(keys, fields)
        out: dict[str, Any] = {"total": total}
        if result.next_after is not None and keys:
            out["token"] = q.encode_cursor(result.next_after)
        out["data"] = [papers[k] for k in keys if k in papers]
        return out

    def match(self, params: dict[str, str]) -> dict[str, Any]:
        """``/paper/search/match``: the one paper whose title best matches ``query`` (``offset``/``limit``, which the
        semanticscholar client sends, are checked and ignored)."""
        fields = parse_fields(params.get("fields"), allowed=_LISTLESS_PAPER_FIELDS)
        parse_page(params, max_limit=MAX_LIST_LIMIT, window=None)
        text = q.parse_search(params.get("query") or "")
        if text is None:
            raise S2Error(404, "Title match not found")
        where = [*self._filters(params), q.Text(q.TITLE, text)]
        result = self.graph.find(q.Query(where=q.And(tuple(where)), sort=(q.Sort(q.RELEVANCE, descending=True),),
                                         page=q.Page(1, 1)))
        if not result.hits:
            raise S2Error(404, "Title match not found")
        hit = result.hits[0]
        paper = self.renderer.papers([hit.key], fields)[hit.key]
        return {"data": [{"paperId": paper["paperId"], "matchScore": round(hit.score or 0.0, 4),
                          **{k: v for k, v in paper.items() if k != "paperId"}}]}

    def autocomplete(self, params: dict[str, str]) -> dict[str, Any]:
        """``/paper/autocomplete``: title completions, the query cut at 100 characters as S2 does."""
        text = (params.get("query") or "")[:AUTOCOMPLETE_CHARS]
        if not text.strip():
            raise unacceptable("query", text)
        hits = self.graph.autocomplete(text, limit=10)
        papers = self.renderer.papers([h.key for h in hits], Fields(["title", "authors", "year"]))
        matches = []
        for h in hits:
            p = papers.get(h.key)
            if p is None:
                continue
            first = next((a.get("name") for a in p.get("authors") or [] if a.get("name")), None)
            family = first.split()[-1] if first else None
            authors_year = ", ".join(str(x) for x in (family, p.get("year")) if x)
            matches.append({"id": p["paperId"], "title": p.get("title"), "authorsYear": authors_year})
        return {"matches": matches}

    # --- authors --------------------------------------------------------------------------------------
    def _author_name(self, author_id: str) -> str | None:
        return self.graph.names([("s2author", author_id)]).get(("s2author", author_id))

    def _author(self, author_id: str | None, name: str | None, fields: Fields) -> dict[str, Any]:
        out: dict[str, Any] = {"authorId": author_id}
        stats: dict[str, Any] = {}
        if author_id and {"paperCount", "citationCount", "hIndex"} & set(fields.names):
            stats = author_summary(self.graph, author_id)
        for f in fields.names:
            if f == "authorId":
                continue
            if f == "name":
                out[f] = name
            elif f == "url":
                out[f] = AUTHOR_URL + author_id if author_id else None
            elif f == "externalIds":
                out[f] = {}
            elif f == "affiliations":
                out[f] = []
            elif f == "homepage":
                out[f] = None
            elif f in stats:
                out[f] = stats[f]
            elif f == "papers":
                keys = author_works(self.graph, author_id) if author_id else []
                sub = Fields(fields.sub.get("papers") or list(DEFAULT_PAPER_FIELDS))
                papers = self.renderer.papers(keys, sub, nested=True)
                out[f] = [papers[k] for k in keys if k in papers]
            else:
                out[f] = None
        return out

    def author(self, author_id: str, params: dict[str, str]) -> dict[str, Any]:
        """``GET /author/{author_id}``: an author as our graph knows them (their works on S2 bylines)."""
        fields = parse_fields(params.get("fields"), allowed=AUTHOR_FIELDS, default=DEFAULT_AUTHOR_FIELDS)
        name = self._author_name(author_id) if author_id.isdigit() else None
        if name is None:
            raise S2Error(404, f"Author with id {author_id} not found")
        return self._author(author_id, name, fields)

    def author_batch(self, body: bytes, params: dict[str, str]) -> list[dict[str, Any] | None]:
        """``POST /author/batch``."""
        fields = parse_fields(params.get("fields"), allowed=AUTHOR_FIELDS, default=DEFAULT_AUTHOR_FIELDS)
        out: list[dict[str, Any] | None] = []
        for author_id in _batch_ids(body, MAX_AUTHOR_BATCH):
            name = self._author_name(author_id) if author_id.isdigit() else None
            out.append(self._author(author_id, name, fields) if name is not None else None)
        return out

    def author_papers(self, author_id: str, params: dict[str, str]) -> dict[str, Any]:
        """``/author/{id}/papers``: their works, most cited first."""
        fields = parse_fields(params.get("fields"))
        offset, limit = parse_page(params, max_limit=MAX_LIST_LIMIT, window=None)
        dates = parse_date_or_year(params.get("publicationDateOrYear"))
        if not author_id.isdigit() or self._author_name(author_id) is None:
            raise S2Error(404, f"Author with id {author_id} not found")
        keys = author_works(self.graph, author_id)
        if dates is not None:
            rows = self.graph.store.work_rows(keys)
            keys = [k for k in keys if k in rows and _in_dates(rows[k].publication_date, rows[k].publication_year,
                                                              dates)]
        page = keys[offset:offset + limit]
        papers = self.renderer.papers(page, fields)
        out: dict[str, Any] = {"offset": offset}
        if offset + len(page) < len(keys):
            out["next"] = offset + len(page)
        out["data"] = [papers[k] for k in page if k in papers]
        return out

    def author_search(self, params: dict[str, str]) -> dict[str, Any]:
        """``/author/search``: authors on S2 bylines whose names hold every word of ``query``."""
        fields = parse_fields(params.get("fields"), allowed=AUTHOR_FIELDS, default=DEFAULT_AUTHOR_FIELDS)
        offset, limit = parse_page(params, max_limit=MAX_LIST_LIMIT, window=None)
        raw = params.get("query") or ""
        text = q.parse_search(raw)
        if text is None:
            raise unacceptable("query", raw)
        words = raw.lower().split()
        result = self.graph.find(q.Query(where=q.And((q.Text(q.AUTHOR_NAME, text),)),
                                         sort=(q.Sort(q.CITED_BY_COUNT, descending=True),), page=q.Page(1, 1000)))
        papers = self.renderer.papers([h.key for h in result.hits], Fields(["authors"]), nested=True)
        found: dict[str, str] = {}
        for h in result.hits:
            for a in (papers.get(h.key) or {}).get("authors") or []:
                aid, name = a.get("authorId"), a.get("name") or ""
                if isinstance(aid, str) and all(w in name.lower() for w in words):
                    found.setdefault(aid, name)
        items = list(found.items())
        page = items[offset:offset + limit]
        out: dict[str, Any] = {"total": len(items), "offset": offset}
        if offset + len(page) < len(items):
            out["next"] = offset + len(page)
        out["data"] = [self._author(aid, name, fields) for aid, name in page]
        return out


def _iso(key: int) -> str:
    return f"{key // 10000:04d}-{key // 100 % 100:02d}-{key % 100:02d}"


def date_predicates(lo: int, hi: int) -> list[q.Predicate]:
    """``publicationDateOrYear``'s inclusive ``YYYYMMDD`` range as predicates, a work known only to its year counting
    as published on January 1st (S2's rule): a bound on a year's edge is a bound on the year, which holds for works
    with no date too; any other bound compares dates (a year-only date, ``"2019"``, sorts before ``"2019-01-01"``,
    so it falls on the right side of every bound inside its year)."""
    out: list[q.Predicate] = []
    if lo > 101:  # not the open start
        out.append(q.Range(q.PUBLICATION_YEAR, lo // 10000, None) if lo % 10000 == 101
                   else q.Range(q.PUBLICATION_DATE, _iso(lo), None))
    if hi < 99991231:
        out.append(q.Range(q.PUBLICATION_YEAR, None, hi // 10000) if hi % 10000 == 1231
                   else q.Range(q.PUBLICATION_DATE, None, _iso(hi)))
    return out


def _in_dates(date: str | None, year: int | None, dates: tuple[int, int]) -> bool:
    """Whether a publication date (a year-only or month-only one as its first day) lies in ``dates``."""
    if date:
        parts = [int(p) for p in date.split("-")[:3] if p.isdigit()]
        if parts:
            key = parts[0] * 10000 + (parts[1] if len(parts) > 1 else 1) * 100 + (parts[2] if len(parts) > 2 else 1)
            return dates[0] <= key <= dates[1]
    if year is not None:
        return dates[0] <= year * 10000 + 101 <= dates[1]
    return False


def _batch_ids(body: bytes, cap: int) -> list[str]:
    """The ``ids`` of a batch body; S2's 400 for a body that is not ``{"ids": [strings]}`` or holds too many."""
    try:
        doc = msgspec.json.decode(body) if body else None
    except msgspec.DecodeError:
        raise S2Error(400, "Request body is not valid JSON") from None
    wanted = doc.get("ids") if isinstance(doc, dict) else None
    if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted):
        raise S2Error(400, 'Request body must be {"ids": [<id>, …]}')
    if len(wanted) > cap:
        raise S2Error(400, f"Cannot process more than {cap} ids in one request (got {len(wanted)})")
    return wanted


def routes(graph: Graph, *, citation_window: int | None = CITATION_WINDOW,
           counts: CountsMode = CountsMode.OURS) -> list[BaseRoute]:
    """The dialect's routes over ``graph``, relative to its mount point (``/s2``), serving ``counts``."""
    d = S2Dialect(graph, citation_window=citation_window, counts=counts)

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                body = await request.body() if request.method == "POST" else b""
                return _JSON(handler(request, body))
            except S2Error as exc:
                return _JSON({"error": exc.message}, status_code=exc.status)
            except q.QueryError as exc:
                return _JSON({"error": str(exc)}, status_code=400)
            except Exception:
                log.exception("unexpected error serving %s", request.url.path)
                return _JSON({"error": "Internal Server Error"}, status_code=500)
        return endpoint

    def paper_path(request: Request, body: bytes) -> Any:
        raw: str = request.path_params["paper_id"]
        for kind in ("citations", "references", "authors"):
            if raw.endswith("/" + kind):
                pid = raw[: -len(kind) - 1]
                params = _params(request, kind)
                if kind == "authors":
                    return d.paper_authors(pid, params)
                return d.citation_list(pid, kind, params)
        return d.paper(raw, _params(request, "paper"))

    def author_path(request: Request, body: bytes) -> Any:
        raw: str = request.path_params["author_id"]
        if raw.endswith("/papers"):
            return d.author_papers(raw[: -len("/papers")], _params(request, "author_papers"))
        return d.author(raw, _params(request, "author"))

    async def missing(request: Request) -> Response:
        return _JSON({"error": "Not found"}, status_code=404)

    p = PREFIX
    return [
        Route(f"{p}/paper/batch", guarded(lambda r, b: d.paper_batch(b, _params(r, "batch"))), methods=["POST"]),
        Route(f"{p}/paper/search", guarded(lambda r, b: d.search(_params(r, "search"))), methods=["GET"]),
        Route(f"{p}/paper/search/bulk", guarded(lambda r, b: d.bulk(_params(r, "bulk"))), methods=["GET"]),
        Route(f"{p}/paper/search/match", guarded(lambda r, b: d.match(_params(r, "match"))), methods=["GET"]),
        Route(f"{p}/paper/autocomplete", guarded(lambda r, b: d.autocomplete(_params(r, "autocomplete"))),
              methods=["GET"]),
        Route(f"{p}/paper/{{paper_id:path}}", guarded(paper_path), methods=["GET"]),
        Route(f"{p}/author/batch", guarded(lambda r, b: d.author_batch(b, _params(r, "batch"))), methods=["POST"]),
        Route(f"{p}/author/search", guarded(lambda r, b: d.author_search(_params(r, "author_search"))),
              methods=["GET"]),
        Route(f"{p}/author/{{author_id:path}}", guarded(author_path), methods=["GET"]),
        Route("/{rest:path}", missing),
    ]


__all__ = ["ALLOWED", "BULK_SORTS", "S2Dialect", "paper_id", "parse_paper_id", "routes"]
