"""The HTTP server: one ASGI app that mounts each dialect under its prefix.

Read-only by construction: no route writes to the store. Middleware is plain ASGI (no per-request
task or body buffering), because at the latencies we aim for (well under a millisecond) the
framework's own cost is most of the budget.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route

import citegraph
from citegraph.dialects import DIALECTS
from citegraph.graph import Graph
from citegraph.graph import open as open_graph
from citegraph.graph.counts import DEFAULT_COUNTS, CountsMode, counts_mode
from citegraph.server import native

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Largest request body accepted (POST batch bodies are small; anything bigger is abuse).
MAX_BODY_BYTES = 1024 * 1024
#: Longest URL (path + query) accepted: OR-lists of 100 ids fit with room to spare.
MAX_URL_BYTES = 16 * 1024
#: The dialects and the prefixes they are mounted under.
DIALECT_PREFIXES: dict[str, str] = {name: f"/{name}" for name in DIALECTS}
#: Where citegraph's own API (what no dialect says: provenance, metrics, related works) is mounted.
NATIVE_PREFIX = "/api"
#: Environment variables read by the app factory used under ``--workers`` (each worker builds its app).
ENV_DB = "CITEGRAPH_DB"
ENV_ROOT = "CITEGRAPH_ROOT_DIALECT"
#: Whose counts the dialects serve, ``ours`` or ``upstream`` (see ``citegraph.graph.counts.CountsMode``).
ENV_COUNTS = "CITEGRAPH_COUNTS"
#: S2's offset + limit cap on citations and references (default 10,000, as upstream); 0 lifts it.
ENV_S2_CITATION_WINDOW = "CITEGRAPH_S2_CITATION_WINDOW"
#: Set to 1 to mount ``/-/bench/constant`` (a fixed 5 KB JSON body): the HTTP stack's own cost, for benchmarks.
ENV_BENCH = "CITEGRAPH_BENCH_ENDPOINTS"
#: The constant body: 5 KB of JSON, the size of a typical OpenAlex work.
_CONSTANT_BODY = msgspec.json.encode({"results": [{"id": f"https://openalex.org/W{i:010d}", "title": "x" * 40,
                                                   "cited_by_count": i} for i in range(60)]})[:5120]


class JSONResponse(Response):
    """A JSON response encoded by msgspec (several times faster than the stdlib encoder)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return msgspec.json.encode(content)


class Limits:
    """Reject oversized URLs and bodies before any handler runs (413/414), without buffering."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") > MAX_URL_BYTES:
            await _plain(send, 414, b"URI too long")
            return
        for name, value in scope.get("headers") or ():
            if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
                await _plain(send, 413, b"Request body too large")
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _plain(send, 413, b"Request body too large")


class _BodyTooLarge(Exception):
    pass


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class RequestIdAndCors:
    """Give every response an ``X-Request-Id`` (the client's, or a new one) and upstream's open CORS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = b""
        origin = False
        for name, value in scope.get("headers") or ():
            if name == b"x-request-id" and 0 < len(value) <= 128:
                rid = value
            elif name == b"origin":
                origin = True
        if not rid:
            rid = os.urandom(16).hex().encode()  # a random 128-bit id, as uuid4 but without its object
        scope.setdefault("state", {})["request_id"] = rid.decode("latin-1")
        if scope["method"] == "OPTIONS" and origin:
            await send({"type": "http.response.start", "status": 204, "headers": [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-methods", b"GET, POST, HEAD, OPTIONS"),
                (b"access-control-allow-headers", b"*"), (b"access-control-max-age", b"86400"),
                (b"x-request-id", rid)]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid))
                headers.append((b"access-control-allow-origin", b"*"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _own_routes(graph: Graph, mounted: dict[str, list[str]], counts: CountsMode) -> list[BaseRoute]:
    started = time.time()

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    # both say whose counts the dialects serve, so a client can tell our graph's numbers from upstream's
    async def version(_: Request) -> Response:
        return JSONResponse({"name": "citegraph", "version": citegraph.__version__, "counts": counts.value})

    async def stats(_: Request) -> Response:
        return JSONResponse({"stats": graph.stats(), "dialects": mounted, "counts": counts.value,
                             "uptime_s": round(time.time() - started)})

    async def openapi(_: Request) -> Response:
        return JSONResponse(openapi_document(mounted))

    async def docs(_: Request) -> Response:
        return HTMLResponse(_DOCS_HTML)

    async def constant(_: Request) -> Response:
        return Response(_CONSTANT_BODY, media_type="application/json")

    routes: list[BaseRoute] = [Route("/-/health", health), Route("/-/version", version), Route("/-/stats", stats),
                               Route("/-/openapi.json", openapi), Route("/-/docs", docs)]
    if os.environ.get(ENV_BENCH) == "1":
        routes.append(Route("/-/bench/constant", constant))
    return routes


#: Each dialect's main path below its mount, for the OpenAPI description (the rest is upstream's documentation).
DIALECT_ENTRIES: dict[str, tuple[str, str]] = {
    "openalex": ("/works", "list works"), "crossref": ("/works", "list works"),
    "opencitations": ("/index/v2/citations/{id}", "citations of a work"),
    "s2": ("/graph/v1/paper/{paper_id}", "a paper"),
}


def openapi_document(mounted: dict[str, list[str]]) -> dict[str, Any]:
    """An OpenAPI 3.1 description of our own endpoints, pointing at the dialects' mounts."""
    paths: dict[str, Any] = {
        "/-/health": {"get": {"summary": "Liveness", "responses": {"200": {"description": "ok"}}}},
        "/-/version": {"get": {"summary": "citegraph version, and whose counts the dialects serve (ours, upstream)",
                               "responses": {"200": {"description": "ok"}}}},
        "/-/stats": {"get": {"summary": "Corpus counts, the dialects mounted and whose counts they serve",
                             "responses": {"200": {"description": "ok"}}}},
    }
    for path, (summary, params) in native.OPENAPI_PATHS.items():
        parameters = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                       "description": "any id form: doi:…, a DOI URL, W…, pmid:…, an ORCID, an ISSN …"}
                      ] if "{id}" in path else []
        parameters += [{"name": p, "in": "query", "required": p == "ids", "schema": {"type": "string"}}
                       for p in params]
        paths[path] = {"get": {"summary": summary, "parameters": parameters, "responses": {
            "200": {"description": "ok"}, "400": {"description": "a malformed id or parameter"},
            "404": {"description": "nothing by that id"},
            "503": {"description": "metrics not computed for the current build"}}}}
    for name, prefixes in mounted.items():
        path, summary = DIALECT_ENTRIES[name]
        for prefix in prefixes:
            paths[f"{prefix.rstrip('/')}{path}"] = {"get": {"summary": f"{name} dialect: {summary}",
                                                            "responses": {"200": {"description": "ok"}}}}
    return {"openapi": "3.1.0", "info": {"title": "citegraph", "version": citegraph.__version__,
                                         "description": "Dialects mounted: " + ", ".join(
                                             f"{n} at {' and '.join(p)}" for n, p in mounted.items())},
            "paths": paths}


_DOCS_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>citegraph API</title></head>
<body><h1>citegraph</h1><p>A self-hosted scholarly citation index.</p>
<p>The OpenAPI description is at <a href="/-/openapi.json">/-/openapi.json</a>.
Dialects: OpenAlex under <code>/openalex</code>, Crossref under <code>/crossref</code>, OpenCitations under
<code>/opencitations</code>, Semantic Scholar under <code>/s2/graph/v1</code>; citegraph's own API (provenance,
counts ours and upstream, field-normalised impact, related works, co-citation, author and venue summaries) under
<code>/api</code>.</p></body></html>"""


async def _not_found(request: Request, _exc: Exception) -> Response:
    """Paths no route matches: a JSON 404, as every dialect answers (never a framework text page)."""
    return JSONResponse({"error": "Not Found", "message": f"No resource at {request.url.path!r}"}, status_code=404)


async def _not_allowed(request: Request, _exc: Exception) -> Response:
    """The server is read-only: methods other than GET, HEAD, POST-for-queries and OPTIONS are refused."""
    return JSONResponse({"error": "Method Not Allowed", "message": f"{request.method} is not allowed here"},
                        status_code=405)


#: A dialect's framework-free GET handler: (path below the mount, scope, mount path) → body, or None.
FastGet = Callable[[str, Scope, str], "bytes | None"]


class FastGets:
    """Answer a dialect's commonest parameterless GETs before the framework runs (routing, request and
    response objects cost as much as the lookup); anything the fast handler declines goes on to the app."""

    def __init__(self, app: ASGIApp, handlers: list[tuple[str, FastGet]]) -> None:
        self.app = app
        self.handlers = handlers  # (mount prefix, handler), the root mount ("") last

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("query_string"):
            path: str = scope["path"]
            for prefix, handler in self.handlers:
                if path.startswith(prefix + "/"):
                    body = handler(path[len(prefix):], scope, prefix)
                    if body is not None:
                        await send({"type": "http.response.start", "status": 200, "headers": [
                            (b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]})
                        await send({"type": "http.response.body", "body": body})
                        return
                    break
        await self.app(scope, receive, send)


def dialect_fast_get(name: str, graph: Graph, counts: CountsMode = DEFAULT_COUNTS) -> FastGet | None:
    """A dialect's framework-free handler of its commonest GET, if it has one."""
    if name == "openalex":
        from citegraph.dialects.openalex.routes import fast_get

        return fast_get(graph, counts=counts)
    return None


def dialect_routes(name: str, graph: Graph, counts: CountsMode = DEFAULT_COUNTS) -> list[BaseRoute]:
    """The routes of one dialect, relative to its mount point, serving ``counts``."""
    if name == "openalex":
        from citegraph.dialects.openalex.routes import routes

        return routes(graph, counts=counts)
    if name == "crossref":
        from citegraph.dialects.crossref.routes import routes as crossref_routes

        return crossref_routes(graph, counts=counts)
    if name == "opencitations":
        from citegraph.dialects.opencitations.routes import routes as opencitations_routes

        return opencitations_routes(graph, counts=counts)
    if name == "s2":
        from citegraph.dialects.s2.params import CITATION_WINDOW
        from citegraph.dialects.s2.routes import routes as s2_routes

        window = int(os.environ.get(ENV_S2_CITATION_WINDOW) or CITATION_WINDOW)
        return s2_routes(graph, citation_window=window or None, counts=counts)
    raise ValueError(f"unknown dialect {name!r}")


def create_app(graph: Graph, *, root: str | None = None, counts: CountsMode | str = DEFAULT_COUNTS) -> ASGIApp:
    """The ASGI app serving ``graph``: every dialect under its prefix, ``root`` (if given) also at ``/``, each
    serving ``counts`` (our graph's by default, or each source's own: see :class:`CountsMode`)."""
    counts = counts_mode(counts)
    mounted = {name: [prefix] + (["/"] if name == root else []) for name, prefix in DIALECT_PREFIXES.items()}
    # dialects first: Starlette tries routes in order, and the dialects carry nearly every request
    routes: list[BaseRoute] = [Mount(prefix, routes=dialect_routes(name, graph, counts))
                               for name, prefix in DIALECT_PREFIXES.items()]
    routes.append(Mount(NATIVE_PREFIX, routes=native.routes(graph)))
    routes += _own_routes(graph, mounted, counts)
    if root:
        routes.append(Mount("", routes=dialect_routes(root, graph, counts)))
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.graph = graph
    fast = [(prefix, h) for name, prefix in DIALECT_PREFIXES.items() if (h := dialect_fast_get(name, graph, counts))]
    if root and (h := dialect_fast_get(root, graph, counts)):
        fast.append(("", h))
    return Limits(RequestIdAndCors(FastGets(app, fast)))


def app_from_env() -> ASGIApp:
    """App factory for uvicorn workers: the database, root dialect and counts come from the environment."""
    db = os.environ.get(ENV_DB) or "citegraph.db"
    return create_app(open_graph(db, readonly=True), root=os.environ.get(ENV_ROOT) or None,
                      counts=os.environ.get(ENV_COUNTS) or DEFAULT_COUNTS)
