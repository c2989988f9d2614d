"""citegraph's own API under ``/api``: what none of the four dialects can say.

- ``GET /api/works/{id}``: a work with every id, its provenance (the sources holding a record, each record's
  version), our counts beside each source's asserted ones, whole-history counts by year, field-normalised impact
  and self-citation;
- ``GET /api/works/{id}/citations`` and ``/references``: citation objects from every source (OCI, creation,
  timespan, author and journal self-citation, the sources asserting the edge, S2's influence, contexts, intents),
  ``limit`` (1–1000, default 100) at a time, following ``next_cursor``;
- ``GET /api/works/{id}/counts_by_year``: ours for every year, beside each source's;
- ``GET /api/works/{id}/related``: the works most related by co-citation and coupling (``limit`` 1–200);
- ``GET /api/cocitation?ids=a,b,…``: co-citation and coupling of every pair of up to 100 works;
- ``GET /api/authors/{id}``, ``GET /api/venues/{id}``: works, citations, h-index, self-citation rate.

``{id}`` is any id form the graph reads (``doi:…``, a DOI URL, ``W…``, ``pmid:…``, …). Errors are JSON
``{"error", "message"}`` with 400 (a malformed id or parameter), 404 (nothing by that id) or 503 (metrics not
computed for the database's current build).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from citegraph import ids as idlib
from citegraph.graph import Graph
from citegraph.graph.bibliometrics import MAX_RELATED, MAX_SET, MetricsNotBuiltError, NotFoundError, primary_ids
from citegraph.graph.citations import citation_page
from citegraph.graph.core import CursorError, UnknownWorkError

#: Citation objects per page: default and most (a page of 1,000 is built in tens of milliseconds).
DEFAULT_CITATION_LIMIT = 100
MAX_CITATION_LIMIT = 1000
#: Related works returned when ``limit`` is not given.
DEFAULT_RELATED = 20

Handler = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    """A request the native API refuses: its status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


_REASONS = {400: "Bad Request", 404: "Not Found", 503: "Service Unavailable"}


def _json(content: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(content), status_code=status, media_type="application/json")


def _guarded(handler: Callable[[Request], Any]) -> Handler:
    """Run a handler and turn what it raises into the native API's JSON errors."""
    async def endpoint(request: Request) -> Response:
        try:
            return _json(handler(request))
        except ApiError as exc:
            return _json({"error": _REASONS[exc.status], "message": exc.message}, exc.status)
        except MetricsNotBuiltError as exc:
            return _json({"error": _REASONS[503], "message": str(exc)}, 503)
        except (UnknownWorkError, NotFoundError) as exc:
            return _json({"error": _REASONS[404], "message": str(exc).strip("'\"")}, 404)
        except (idlib.IdError, CursorError, ValueError) as exc:
            return _json({"error": _REASONS[400], "message": str(exc)}, 400)
    return endpoint


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, not {raw!r}") from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}")
    return value


def routes(graph: Graph) -> list[BaseRoute]:
    """The native API's routes, relative to its mount (``/api``)."""

    def key_of(request: Request) -> int:
        return graph.resolve(request.path_params["id"])

    def work(request: Request) -> Any:
        key = key_of(request)
        metrics = msgspec.to_builtins(graph.metrics(key))
        metrics["records"] = [{"source": r.source, "version": r.version} for r in graph.store.records(key)]
        return metrics

    def citations(direction: str) -> Callable[[Request], Any]:
        def handler(request: Request) -> Any:
            key = key_of(request)
            limit = _int_param(request, "limit", DEFAULT_CITATION_LIMIT, 1, MAX_CITATION_LIMIT)
            items, cursor, total = citation_page(graph, key, direction,  # type: ignore[arg-type]
                                                 limit=limit, cursor=request.query_params.get("cursor") or None)
            primary = primary_ids(graph, list({k for c in items for k in (c.citation.citing, c.citation.cited)}))
            return {"total": total, "next_cursor": cursor, "results": [
                {"citing": primary.get(c.citation.citing), "cited": primary.get(c.citation.cited),
                 "citing_ids": [idlib.format_id(p, "canonical") for p in c.citation.citing_ids],
                 "cited_ids": [idlib.format_id(p, "canonical") for p in c.citation.cited_ids],
                 "oci": c.citation.oci, "creation": c.citation.creation, "timespan": c.citation.timespan,
                 "author_sc": c.citation.author_sc, "journal_sc": c.citation.journal_sc,
                 "sources": c.sources, "is_influential": c.is_influential, "s2": c.s2} for c in items]}
        return handler

    def counts_by_year(request: Request) -> Any:
        counts = graph.counts(key_of(request))
        return {"cited_by_count": counts.cited_by_count, "counts_by_year": counts.counts_by_year,
                "upstream": {source: {"cited_by_count": up.cited_by_count, "counts_by_year": up.counts_by_year}
                             for source, up in counts.upstream.items()}}

    def related(request: Request) -> Any:
        key = key_of(request)
        limit = _int_param(request, "limit", DEFAULT_RELATED, 1, MAX_RELATED)
        return {"results": graph.related(key, limit)}

    def cocitation(request: Request) -> Any:
        raw = request.query_params.get("ids") or ""
        wanted = [part for part in (p.strip() for p in raw.split(",")) if part]
        if len(wanted) < 2:
            raise ApiError(400, "ids must name at least two works, comma-separated")
        if len(wanted) > MAX_SET:
            raise ApiError(400, f"ids may name at most {MAX_SET} works")
        return {"results": graph.cocitation(wanted)}

    def author(request: Request) -> Any:
        return graph.author(request.path_params["id"])

    def venue(request: Request) -> Any:
        return graph.venue(request.path_params["id"])

    return [
        Route("/works/{id:path}/citations", _guarded(citations("citations"))),
        Route("/works/{id:path}/references", _guarded(citations("references"))),
        Route("/works/{id:path}/counts_by_year", _guarded(counts_by_year)),
        Route("/works/{id:path}/related", _guarded(related)),
        Route("/works/{id:path}", _guarded(work)),
        Route("/cocitation", _guarded(cocitation)),
        Route("/authors/{id:path}", _guarded(author)),
        Route("/venues/{id:path}", _guarded(venue)),
    ]


#: The native API's paths for the OpenAPI description: path → (summary, parameters beyond the path's).
OPENAPI_PATHS: dict[str, tuple[str, tuple[str, ...]]] = {
    "/api/works/{id}": ("A work: every id, provenance, counts (ours and upstream), impact, self-citation", ()),
    "/api/works/{id}/citations": ("Citations of a work as citation objects from every source", ("limit", "cursor")),
    "/api/works/{id}/references": ("References of a work as citation objects from every source", ("limit", "cursor")),
    "/api/works/{id}/counts_by_year": ("Citations per year over the whole history, ours and upstream", ()),
    "/api/works/{id}/related": ("Related works by co-citation and bibliographic coupling", ("limit",)),
    "/api/cocitation": ("Co-citation and coupling of every pair of a set of works", ("ids",)),
    "/api/authors/{id}": ("An author's works, citations, h-index and self-citation rate", ()),
    "/api/venues/{id}": ("A venue's works, citations, h-index and self-citation rate", ()),
}


__all__ = ["OPENAPI_PATHS", "routes"]
