"""The OpenCitations routes (spec/api-dialects.md §3), relative to their mount point.

- Index API v2: ``/index/v2/{citations,references,citation-count,reference-count}/{doi:|pmid:|omid:}…``,
  ``/index/v2/venue-citation-count/issn:…``, ``/index/v2/citation/{oci}``;
- Index API v1 and the legacy COCI API (``/index/v1/…``, ``/index/coci/api/v1/…``): bare DOIs; COCI's rows carry
  DOI OCIs and Index-build timespans, as COCI served them;
- the v1 REST wrapper of upstream doc 001: ``/v1/{citations,references,count,meta}?doi=&limit=``;
- Meta v1: ``/meta/v1/metadata/{ids joined by __}`` for the works we hold (:mod:`.meta`).

A path no operation matches is a text 404 ``No API operation found at URL '…'``; an unknown id is ``200 []`` (or a
zero count). Answers are JSON (pretty-printed, every value a string) or CSV (``Accept: text/csv`` or
``format=csv``), streamed a chunk of citations at a time so a work with hundreds of thousands of citers costs
bounded memory.

Counts (``citation-count``, ``reference-count``, the wrapper's ``total`` and ``/v1/count``, COCI metadata's
``citation_count``) are our graph's by default. OpenCitations states no count of its own: its counts are counts of
its citation data, so a server run with ``--counts upstream`` (:class:`~citegraph.graph.counts.CountsMode`)
counts only the citations OpenCitations asserted (an Index dump's rows, as they joined our works), for every work
OpenCitations knows (one it asserted a citation to or from, or gave a Meta record of); any other work is served
our counts. The lists stay our graph's whole citations in both modes, and ``venue-citation-count`` stays ours.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Final

import msgspec
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from citegraph import ids
from citegraph.dialects.opencitations.meta import COCI_META_FIELDS, META_FIELDS, coci_metadata, metadata
from citegraph.dialects.opencitations.render import (
    FIELDS,
    SOURCE,
    ParamError,
    PostProcess,
    Version,
    csv_chunks,
    json_chunks,
    row,
)
from citegraph.graph.citations import Direction, OciForm, citation_between, citation_objects
from citegraph.graph.counts import CountsMode, edge_counts
from citegraph.metrics.oci import OciError, decode_oci

if TYPE_CHECKING:
    from citegraph.graph import Graph

log = logging.getLogger(__name__)

#: v2's id forms (matched after lower-casing, as upstream's preprocessing does).
V2_ID: Final = re.compile(r"(omid|doi|pmid):(.+)")
#: v2's reference-count also accepts issn: by its regex (it counts nothing: no work is an ISSN).
V2_REFCOUNT_ID: Final = re.compile(r"(omid|doi|pmid|issn):(.+)")
V2_VENUE_ID: Final = re.compile(r"(issn):(.+)")
#: v1 and COCI take bare DOIs.
V1_ID: Final = re.compile(r"10\..+")
#: An OCI in a path: digits, a dash, digits (no ``oci:``).
OCI_PATH: Final = re.compile(r"[0-9]+-[0-9]+")
#: The wrapper's limit: 1 to 200, 50 when not given (upstream doc 001).
WRAPPER_LIMIT_DEFAULT, WRAPPER_LIMIT_MAX = 50, 200
WRAPPER_SOURCE: Final = "OpenCitations — the open citation index, COCI (opencitations.net)"
WRAPPER_ENDPOINTS: Final = ["/v1/citations", "/v1/references", "/v1/count", "/v1/meta"]
#: The versions under ``/index`` and where each lives.
VERSION_PATHS: Final[dict[str, Version]] = {"/index/v2": "v2", "/index/v1": "v1", "/index/coci/api/v1": "coci"}

_json = msgspec.json.encode


def _not_found(request: Request) -> Response:
    return PlainTextResponse(f"No API operation found at URL '{request.url.path}'", status_code=404)


def _wants_csv(request: Request) -> bool:
    fmt = request.query_params.get("format")
    if fmt is not None:
        return fmt.lower() == "csv"
    return "text/csv" in request.headers.get("accept", "")


async def _stream(chunks: Iterator[str]) -> AsyncIterator[bytes]:
    # an async generator: each piece is made on the event loop, so the store's connection is never shared by threads
    buf: list[str] = []
    size = 0
    for piece in chunks:
        buf.append(piece)
        size += len(piece)
        if size >= 65536:
            yield "".join(buf).encode()
            buf, size = [], 0
    if buf:
        yield "".join(buf).encode()


def _answer(request: Request, rows: Iterator[dict[str, str]], fields: tuple[str, ...] = FIELDS) -> Response:
    try:
        post = PostProcess(list(request.query_params.multi_items()))
    except ParamError as exc:
        return PlainTextResponse(f"HTTP status code 400: {exc}", status_code=400)
    kept = post.apply(rows)
    if _wants_csv(request):
        return StreamingResponse(_stream(csv_chunks(kept, fields)), media_type="text/csv; charset=utf-8")
    return StreamingResponse(_stream(json_chunks(post.shape(kept))), media_type="application/json")


def _count(request: Request, n: int) -> Response:
    return _answer(request, iter([{"count": str(n)}]), ("count",))


class Index:
    """The Index API operations of one version over a graph."""

    def __init__(self, graph: Graph, version: Version, counts: CountsMode = CountsMode.OURS) -> None:
        self.graph = graph
        self.version = version
        self.counts = counts
        self.form: OciForm = "coci" if version == "coci" else "current"

    def key(self, raw: str, pattern: re.Pattern[str]) -> int | None | bool:
        """The work an id names (None: unknown), or False when the id does not match the operation's form."""
        text = raw.lower() if self.version == "v2" else raw
        m = pattern.fullmatch(text)
        if m is None:
            return False
        try:
            pair = ids.parse_id(text if self.version == "v2" else f"doi:{text}", default=ids.DOI)
        except ids.IdError:
            return None  # the form matched but the id is not one: upstream finds nothing
        if pair[0] == ids.OMID and not pair[1].startswith("br/"):
            return None
        return self.graph.key_of(pair)

    def id_pattern(self, op: str) -> re.Pattern[str]:
        if self.version != "v2":
            return V1_ID
        return V2_REFCOUNT_ID if op == "reference-count" else V2_ID

    def list(self, request: Request, direction: Direction) -> Response:
        key = self.key(request.path_params["id"], self.id_pattern(direction))
        if key is False:
            return _not_found(request)
        if key is None:
            return _answer(request, iter(()))
        assert isinstance(key, int)
        objects = citation_objects(self.graph, key, direction, self.form)
        rows = (row(c, self.version) for c in objects)
        if self.version != "v2":
            rows = (r for r in rows if r["citing"] and r["cited"])  # v1 and COCI hold only works with DOIs
        return _answer(request, rows)

    def count(self, request: Request, direction: Direction) -> Response:
        op = "citation-count" if direction == "citations" else "reference-count"
        key = self.key(request.path_params["id"], self.id_pattern(op))
        if key is False:
            return _not_found(request)
        if key is None:
            return _count(request, 0)
        assert isinstance(key, int)
        cited_by, references = edge_counts(self.graph, key, self.counts, SOURCE)
        return _count(request, cited_by if direction == "citations" else references)

    def venue_count(self, request: Request) -> Response:
        m = V2_VENUE_ID.fullmatch(request.path_params["id"].lower())
        if m is None or self.version != "v2":
            return _not_found(request)
        try:
            issn = ids.normalize(ids.ISSN, m[2])
        except ids.IdError:
            return _count(request, 0)
        return _count(request, self.graph.store.venue_citation_count(issn))

    def citation(self, request: Request) -> Response:
        oci = request.path_params["id"]
        if not OCI_PATH.fullmatch(oci):
            return _not_found(request)
        try:
            citing_pair, cited_pair = decode_oci(oci)
            citing, cited = self.graph.key_of(citing_pair), self.graph.key_of(cited_pair)
        except OciError:
            citing = cited = None
        if citing is None or cited is None:
            # an OCI that does not decode to works we hold may still be one a source wrote (the DOI rule drops
            # every "10.", so a DOI holding another "10." does not come back)
            pair = self.graph.store.citation_by_oci(oci)
            if pair is None:
                return _answer(request, iter(()))
            citing, cited = pair
        found = citation_between(self.graph, citing, cited, self.form)
        return _answer(request, iter([row(found, self.version)] if found is not None else []))

    def dispatch(self, request: Request) -> Response:
        op = request.path_params["op"]
        if op in ("citations", "references"):
            return self.list(request, op)
        if op == "citation-count":
            return self.count(request, "citations")
        if op == "reference-count":
            return self.count(request, "references")
        if op == "venue-citation-count":
            return self.venue_count(request)
        if op == "citation":
            return self.citation(request)
        if op == "metadata" and self.version == "coci":  # deprecated, and gone from v1; COCI scripts still ask
            rows = coci_metadata(self.graph, request.path_params["id"], self.counts)
            return _not_found(request) if rows is None else _answer(request, rows, COCI_META_FIELDS)
        return _not_found(request)


# --- the v1 REST wrapper (upstream doc 001) -------------------------------------------------------------------


def _wrapper(request: Request, data: Any, message: str, status: int = 200) -> Response:
    ok = status < 400
    body = {"data": data if ok else None,
            "meta": {"timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
                     .replace("+00:00", "Z"), "request_id": getattr(request.state, "request_id", None)},
            "status": "ok" if ok else "error", "message": message, "success": ok}
    return Response(_json(body), status_code=status, media_type="application/json")


class Wrapper:
    """The v1 wrapper's operations: citations, references, counts and its self-description."""

    def __init__(self, graph: Graph, counts: CountsMode = CountsMode.OURS) -> None:
        self.graph = graph
        self.counts = counts

    def _doi(self, request: Request) -> tuple[str, int | None] | Response:
        raw = request.query_params.get("doi")
        if raw is None or not raw.strip():
            return _wrapper(request, None, "Missing required parameter: doi", 400)
        try:
            doi = ids.normalize(ids.DOI, raw.strip())
        except ids.IdError as exc:
            return _wrapper(request, None, f"Invalid DOI: {exc}", 400)
        return raw, self.graph.key_of((ids.DOI, doi))

    def _limit(self, request: Request) -> int | Response:
        raw = request.query_params.get("limit")
        if raw is None:
            return WRAPPER_LIMIT_DEFAULT
        if not raw.isdigit() or not 1 <= int(raw) <= WRAPPER_LIMIT_MAX:
            return _wrapper(request, None, f"limit must be an integer from 1 to {WRAPPER_LIMIT_MAX}", 400)
        return int(raw)

    def listing(self, request: Request, direction: Direction) -> Response:
        found = self._doi(request)
        if isinstance(found, Response):
            return found
        limit = self._limit(request)
        if isinstance(limit, Response):
            return limit
        raw, key = found
        items: list[dict[str, Any]] = []
        total = 0
        if key is not None:
            cited_by, references = edge_counts(self.graph, key, self.counts, SOURCE)
            total = cited_by if direction == "citations" else references
            for c in citation_objects(self.graph, key, direction, chunk=limit):
                other = c.citing_ids if direction == "citations" else c.cited_ids
                items.append({"doi": next((v for s, v in other if s == ids.DOI), None), "oci": c.oci,
                              "creation": c.creation, "timespan": c.timespan,
                              "author_self_citation": c.author_sc, "journal_self_citation": c.journal_sc})
                if len(items) >= limit:
                    break
        data: dict[str, Any] = {"doi": raw, "count": len(items), "total": total}
        if direction == "references":
            data["direction"] = "outgoing"
        data[direction] = items
        what = "Citations" if direction == "citations" else "References"
        return _wrapper(request, data, f"{what} retrieved")

    def count(self, request: Request) -> Response:
        found = self._doi(request)
        if isinstance(found, Response):
            return found
        raw, key = found
        cbc, rwc = (0, 0)
        if key is not None:
            cbc, rwc = edge_counts(self.graph, key, self.counts, SOURCE)
        return _wrapper(request, {"doi": raw, "cited_by_count": cbc, "reference_count": rwc}, "Counts retrieved")

    def meta(self, request: Request) -> Response:
        return _wrapper(request, {"note": "Served by citegraph from its own citation graph, in the shape of the"
                                          " OpenCitations v1 wrapper.",
                                  "source": WRAPPER_SOURCE, "endpoints": WRAPPER_ENDPOINTS}, "Service metadata")


def routes(graph: Graph, *, counts: CountsMode = CountsMode.OURS) -> list[BaseRoute]:
    """The OpenCitations dialect's routes over ``graph``, relative to their mount point, serving ``counts``."""

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return handler(request)
            except Exception as exc:
                log.exception("unexpected error serving %s", request.url.path)
                return PlainTextResponse(f"HTTP status code 500: something unexpected happened - {exc}",
                                         status_code=500)
        return endpoint

    out: list[BaseRoute] = []
    for prefix, version in VERSION_PATHS.items():
        index = Index(graph, version, counts)
        out.append(Route(prefix + "/{op}/{id:path}", guarded(index.dispatch), methods=["GET"]))
    wrapper = Wrapper(graph, counts)

    def meta(request: Request) -> Response:
        rows = metadata(graph, request.path_params["ids"])
        return _not_found(request) if rows is None else _answer(request, rows, META_FIELDS)

    out.append(Route("/meta/v1/metadata/{ids:path}", guarded(meta), methods=["GET"]))
    out += [
        Route("/v1/citations", guarded(lambda r: wrapper.listing(r, "citations")), methods=["GET"]),
        Route("/v1/references", guarded(lambda r: wrapper.listing(r, "references")), methods=["GET"]),
        Route("/v1/count", guarded(wrapper.count), methods=["GET"]),
        Route("/v1/meta", guarded(wrapper.meta), methods=["GET"]),
    ]
    # anything else under the mount: OpenCitations' own 404 text
    out.append(Route("/{rest:path}", guarded(_not_found), methods=["GET"]))
    return out


__all__ = ["routes"]
