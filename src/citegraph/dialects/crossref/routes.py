"""The Crossref REST dialect's routes (spec/api-dialects.md §2), relative to their mount point.

``/works``, ``/works/{doi}`` (GET and HEAD), ``/works/{doi}/agency``, the scoped lists
``/journals/{issn}/works``, ``/prefixes/{prefix}/works``, ``/members/{id}/works``, ``/types/{id}/works``,
``/funders/{id}/works``, and ``/types``; each also under ``/v1`` and ``/v1.0``. Only works with a DOI
exist in this dialect, as in Crossref. Errors are Crossref's: a 400 ``validation-failure`` listing every
failure, a text 404 for an unknown DOI, a JSON 404 for an unknown route.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from citegraph import ids
from citegraph import query as q
from citegraph.dialects.crossref.params import (
    FACETS,
    MAX_FACET_VALUES,
    TYPES,
    CursorInvalid,
    Failure,
    ListRequest,
    ValidationFailure,
    crossref_type,
    parse_list_request,
    type_predicate,
)
from citegraph.dialects.crossref.render import (
    RESOURCE_NOT_FOUND,
    ROUTE_NOT_FOUND,
    ItemRenderer,
    envelope,
    failure_body,
    list_message,
)
from citegraph.graph import WorksResult
from citegraph.graph.counts import CountsMode

if TYPE_CHECKING:
    from citegraph.graph import Graph

log = logging.getLogger(__name__)

#: A cursor past the last page: Crossref keeps answering empty pages with a next cursor (crossrefapi
#: stops only on an empty page), so the end has a cursor of its own.
_END = "end"
#: Version prefixes Crossref serves every route under.
VERSION_PREFIXES = ("", "/v1", "/v1.0")
#: Parameters a single-work route refuses, and Crossref's wording for each.
SINGLETON_REFUSED = {"rows": "This route does not support rows", "offset": "This route does not support offset",
                     "sample": "This route does not support sample", "cursor": "This route does not support cursor"}
INTERNAL_ERROR = {"status": "error", "message-type": "exception", "message-version": "1.0.0",
                  "message": "The server encountered an internal error."}


class _JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return msgspec.json.encode(content)


def _scope_filter(kind: str, value: str) -> list[q.Predicate]:
    """The predicate a scoped list route adds (``/journals/{issn}/works`` …); raises ValidationFailure."""
    failures: list[Failure] = []
    pred: q.Predicate | None = None
    try:
        if kind == "journals":
            pred = q.Eq(q.VENUE_ISSN, ((ids.ISSN, ids.normalize(ids.ISSN, value)),))
        elif kind == "prefixes":
            pred = q.Eq(q.DOI_PREFIX, (value.lower(),))
        elif kind == "members":
            pred = q.Eq(q.MEMBER, (value,))
        elif kind == "types":
            pred = type_predicate(value)
        elif kind == "funders":
            funder = f"10.13039/{value}" if value.isdigit() else value
            pred = q.Eq(q.FUNDER_ID, ((ids.DOI, ids.normalize(ids.DOI, funder)),))
    except ids.IdError:
        failures.append(Failure(f"{kind[:-1]}-not-valid", value, f"{kind[:-1].capitalize()} specified as {value} "
                                "is not valid"))
        raise ValidationFailure(failures) from None
    return [pred] if pred is not None else []


def routes(graph: Graph, *, counts: CountsMode = CountsMode.OURS) -> list[BaseRoute]:
    """The Crossref dialect's routes over ``graph``, relative to their mount point, serving ``counts``."""
    renderer = ItemRenderer(graph, counts)

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return handler(request)
            except ValidationFailure as exc:
                return _JSON(failure_body([f.as_dict() for f in exc.failures]), status_code=400)
            except CursorInvalid as exc:
                return _JSON(failure_body([{"type": "cursor-invalid", "value": exc.value,
                                            "message": "Cursor specified but it is invalid"}], "resource-failure"),
                             status_code=404)
            except q.QueryError as exc:
                return _JSON(failure_body([{"type": "query-not-valid", "value": None, "message": str(exc)}]),
                             status_code=400)
            except Exception:
                log.exception("unexpected error serving %s", request.url.path)
                return _JSON(INTERNAL_ERROR, status_code=500)
        return endpoint

    def resolve_doi(raw: str) -> int | None:
        try:
            pair = (ids.DOI, ids.normalize(ids.DOI, raw))
        except ids.IdError:
            return None
        return graph.key_of(pair)

    def work(request: Request) -> Response:
        raw = request.path_params["doi"]
        agency = raw.endswith("/agency")
        if agency:
            raw = raw[: -len("/agency")]
        refused = [Failure("parameter-not-allowed", name, msg) for name, msg in SINGLETON_REFUSED.items()
                   if name in request.query_params]
        if any(k.startswith("query.") for k in request.query_params):
            refused.append(Failure("parameter-not-allowed", "query.*",
                                   "This route does not support field query parameters"))
        if refused:
            raise ValidationFailure(refused)
        key = resolve_doi(raw)
        if key is None:
            return PlainTextResponse(RESOURCE_NOT_FOUND, status_code=404)
        if agency:
            doi = ids.normalize(ids.DOI, raw)
            return _JSON(envelope("work-agency", {"DOI": doi, "agency": {"id": "crossref", "label": "Crossref"}}))
        item = renderer.item(key)
        if item is None or not item.get("DOI"):
            return PlainTextResponse(RESOURCE_NOT_FOUND, status_code=404)
        return _JSON(envelope("work", item))

    def listing(request: Request, scope: list[q.Predicate] | None = None) -> Response:
        req = parse_list_request(request.query_params.multi_items(), scope=scope)
        return _JSON(envelope("work-list", answer_list(graph, renderer, req)))

    def scoped(request: Request) -> Response:
        kind = request.url.path.rstrip("/").split("/")[-3]
        return listing(request, _scope_filter(kind, request.path_params["id"]))

    def types(request: Request) -> Response:
        items = [{"id": t, "label": label} for t, label in TYPES.items()]
        return _JSON(envelope("type-list", {"items-per-page": len(items), "query": {"start-index": 0,
                                            "search-terms": None}, "total-results": len(items), "items": items}))

    def one_type(request: Request) -> Response:
        type_id = request.path_params["id"]
        if type_id not in TYPES:
            return PlainTextResponse(RESOURCE_NOT_FOUND, status_code=404)
        return _JSON(envelope("type", {"id": type_id, "label": TYPES[type_id]}))

    async def missing(request: Request) -> Response:
        return _JSON(ROUTE_NOT_FOUND, status_code=404)

    out: list[BaseRoute] = []
    for v in VERSION_PREFIXES:
        out += [
            Route(f"{v}/works", guarded(listing), methods=["GET"]),
            Route(f"{v}/works/{{doi:path}}", guarded(work), methods=["GET", "HEAD"]),
            Route(f"{v}/types", guarded(types), methods=["GET"]),
            Route(f"{v}/types/{{id}}", guarded(one_type), methods=["GET"]),
        ]
        for kind in ("journals", "prefixes", "members", "types", "funders"):
            out.append(Route(f"{v}/{kind}/{{id:path}}/works", guarded(scoped), methods=["GET"]))
    out.append(Route("/{rest:path}", missing))
    return out


def answer_list(graph: Graph, renderer: ItemRenderer, req: ListRequest) -> dict[str, Any]:
    """The ``work-list`` message for a parsed request (library entry point of the dialect)."""
    where = q.And((q.Eq(q.HAS_DOI, (True,)), *req.where))  # Crossref knows works by DOI only
    next_cursor: str | None = None
    if req.sample is not None:
        query = q.Query(where=where, text=req.text, page=q.Page(1, req.sample), sample=q.Sample(req.sample))
        result = graph.find(query)
    elif req.cursor is not None:
        after: tuple[object, ...] | None = None
        if req.cursor != "*":
            try:
                after = q.decode_cursor(req.cursor)
            except q.CursorError:
                raise CursorInvalid(req.cursor) from None
        if after == (_END,) or req.rows == 0:
            result = WorksResult(count=graph.count(q.Query(where=where, text=req.text, sort=req.sort)), hits=[])
            next_cursor = req.cursor if req.cursor != "*" else q.encode_cursor((_END,))
        else:
            try:
                query = q.Query(where=where, text=req.text, sort=req.sort, page=q.Cursor(after, req.rows))
            except q.QueryError:
                raise CursorInvalid(req.cursor) from None
            result = graph.find(query)
            next_cursor = q.encode_cursor(tuple(result.next_after) if result.next_after is not None else (_END,))
    elif req.rows == 0:  # the count (and facets) alone: no page is read
        result = WorksResult(count=graph.count(q.Query(where=where, text=req.text, sort=req.sort)), hits=[])
    else:
        size = max(req.rows, 1)
        if req.offset % size == 0:
            page = q.Page(req.offset // size + 1, size)
            skip = 0
        else:  # an offset that is not a whole number of pages: read from the start and skip
            page, skip = q.Page(1, req.offset + size), req.offset
        result = graph.find(q.Query(where=where, text=req.text, sort=req.sort, page=page))
        result.hits = result.hits[skip:] if req.rows else []
    keys = [h.key for h in result.hits]
    scores = [h.score for h in result.hits] if req.is_search else None
    items = renderer.items(keys, select=req.select, scores=scores)
    facets = {name: facet(graph, where, req.text, name, limit) for name, limit in req.facets.items()}
    return list_message(items=items, total=result.count, rows=req.rows, offset=req.offset,
                        search_terms=req.search_terms, facets=facets, next_cursor=next_cursor)


def facet(graph: Graph, where: q.And, text: q.TextQuery | None, name: str, limit: int) -> dict[str, Any]:
    """One facet: its values (most frequent first, up to ``limit``) with counts, as Crossref shows them."""
    field = FACETS[name]
    values: dict[str, int] = {}
    passes = [(field, where)]
    if name == "funder-name":  # funders named without an id too
        passes.append((q.FUNDER_NAME, where))
    if name == "type-name":  # works without a Crossref type count under the one they are served with
        passes = [(field, q.And((*where.parts, q.Eq(q.TYPE_SOURCE, tuple(TYPES))))),
                  (q.TYPE, q.And((*where.parts, q.Eq(q.TYPE_SOURCE, tuple(TYPES), negate=True))))]
    for f, scope in passes:
        groups = graph.find(q.Query(where=scope, text=text, group_by=q.GroupBy(f), page=q.Page(1, MAX_FACET_VALUES)))
        for g in groups.groups or []:
            if g.key is None or not g.count:
                continue
            if name == "funder-name" and isinstance(g.key, tuple) and g.key[0] == ids.ROR:
                continue  # a funder's ROR id stands beside its registry id: the funder is counted by that one
            shown = TYPES[crossref_type(None, str(g.key))] if f == q.TYPE else _facet_value(name, g.key,
                                                                                             g.display_name)
            values[shown] = values.get(shown, 0) + g.count
    ordered = dict(sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])
    return {"value-count": len(ordered), "values": ordered}


def _facet_value(name: str, key: object, display: str | None) -> str:
    if name == "type-name":
        return TYPES.get(str(key), str(key))
    if isinstance(key, tuple):
        scheme, value = key
        if scheme == ids.ISSN:
            return f"http://id.crossref.org/issn/{value}"
        if scheme == ids.ORCID:
            return f"http://orcid.org/{value}"
        if scheme == ids.ROR:
            return f"https://ror.org/{value}"
        return display or value
    return display or str(key)
