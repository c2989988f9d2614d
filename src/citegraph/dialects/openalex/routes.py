"""The OpenAlex dialect's HTTP routes (spec/api-dialects.md §1), relative to their mount point.

``routes(graph)`` returns Starlette routes for ``/works``, ``/works/{id}``, ``/works/random``,
``/autocomplete/works``, ``POST /works/citations`` (upstream doc 000) and the ``/entities/…`` and
``/v2/…`` aliases. Handlers are plain functions run on the event loop: each request is a few
sub-millisecond SQLite reads, cheaper than a hop to a thread pool.

Every error is JSON in upstream's shape: a parse error is its :class:`OpenAlexError` status and
``{error, message}``; anything unexpected is logged and answered with a JSON 500 (a bug to fix:
malformed input is meant to get a 4xx).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from citegraph import ids
from citegraph import query as q
from citegraph.dialects.openalex import errors as e
from citegraph.dialects.openalex.errors import OpenAlexError, not_found, pagination_error, params_error
from citegraph.dialects.openalex.params import (
    CANONICAL_WORK_ID,
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    parse_select,
    parse_work_id_path,
    parse_works_request,
)
from citegraph.dialects.openalex.render import (
    AUTOCOMPLETE_FIELDS,
    WorkRenderer,
    autocomplete_item,
    citation_item,
    group_envelope,
    group_item,
    list_envelope,
    list_meta,
)
from citegraph.graph.counts import CountsMode

if TYPE_CHECKING:
    from citegraph.graph import Graph

log = logging.getLogger(__name__)

#: The body of a 500: upstream's Flask answers its own stock text; ours says the same in JSON.
INTERNAL_ERROR = {
    "error": "Internal Server Error",
    "message": "The server encountered an internal error and was unable to complete your request.",
}
#: The 404 message for a well-formed id that names no work here (developers.openalex.org's wording).
MSG_WORK_NOT_FOUND = "Work {id} not found"
#: Path prefixes (relative to the mount) under which a single work is served.
WORK_PATH_PREFIXES = ("/works/", "/entities/works/", "/v2/works/")
#: ``/works/random`` (and ``/works/RANDOM``): one random work, upstream ids/views.py.
RANDOM_IDS = ("random", "RANDOM")
#: Upstream's n-gram endpoint is out of service (docs); spec §1.1 recommends a 404.
NGRAMS_SUFFIX = "/ngrams"
#: Parameters ``/autocomplete/works`` accepts (upstream validate_entity_autocomplete_params).
AUTOCOMPLETE_PARAMS = (
    "q",
    "filter",
    "mailto",
    "search",
    "hide_zero",
    "author_hint",
    "data_version",
    "data-version",
    "include_xpac",
    "include-xpac",
    "api-key",
    "api_key",
)
#: Parameters ``/autocomplete`` accepts (upstream validate_full_autocomplete_params).
FULL_AUTOCOMPLETE_PARAMS = (
    "author_hint",
    "entity_type",
    "hide_works",
    "mailto",
    "q",
    "data_version",
    "data-version",
    "include_xpac",
    "include-xpac",
    "api-key",
    "api_key",
)
MSG_AUTOCOMPLETE_PARAM = (
    "{arg} is not a valid parameter for the {kind} autocomplete endpoint. Valid parameters are: {valid}."
)
MSG_ENTITY_TYPE = (
    "{value} is not a valid value for parameter entity_type. Valid entity_type values are: work."
)
#: Results an autocomplete answers at most (upstream: 10).
AUTOCOMPLETE_SIZE = 10
#: Page size the citations wrapper reads the citing works in.
CITATIONS_PAGE = MAX_PER_PAGE

Handler = Callable[[Request], Response]


class _JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return msgspec.json.encode(content)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return _JSON(body, status_code=status, headers=headers)


def _error(exc: OpenAlexError) -> Response:
    return _json(exc.body(), exc.status)


def _guard(handler: Handler) -> Callable[[Request], Any]:
    """Run a handler, turning OpenAlexError into its answer and anything unexpected into a JSON 500."""

    async def endpoint(request: Request) -> Response:
        try:
            return handler(request)
        except OpenAlexError as exc:
            return _error(exc)
        except q.CursorSortError:  # a well-formed cursor of another sort, or forged: as upstream's bad cursor
            return _error(pagination_error(e.MSG_CURSOR_INVALID))
        except q.QueryError as exc:  # a query the parser let through but the graph refused
            return _error(params_error(str(exc)))
        except Exception:
            log.exception("unexpected error serving %s", request.url.path)
            return _json(INTERNAL_ERROR, 500)

    return endpoint


def _base(request: Request) -> str:
    """This dialect's own URL root, e.g. ``http://127.0.0.1:8000/openalex`` (or the host alone at ``/``)."""
    return _base_of(request.scope, request.scope.get("root_path", ""))


def _base_of(scope: MutableMapping[str, Any], mount: str) -> str:
    """``scheme://host`` as the client addressed us, then this dialect's mount path."""
    host = next((v.decode("latin-1") for k, v in scope.get("headers") or () if k == b"host"), None)
    if host is None:  # HTTP/1.0 without Host: the address the server listens on
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if server else "localhost"
    return f"{scope.get('scheme', 'http')}://{host}{mount}"


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def routes(graph: Graph, *, counts: CountsMode = CountsMode.OURS) -> list[BaseRoute]:
    """The OpenAlex dialect's routes over ``graph``, relative to their mount point, serving ``counts``."""
    renderer = WorkRenderer(graph, counts)

    def list_works(request: Request) -> Response:
        query = parse_works_request(request.query_params.multi_items())
        started = time.perf_counter()
        # a page to be served: the store may read what serving it needs with it
        result = graph.find(query, None if query.group_by is not None else renderer.serve_spec())
        cursor_sent = isinstance(query.page, q.Cursor)
        next_cursor = None
        if cursor_sent and result.next_after is not None:
            next_cursor = q.encode_cursor(tuple(result.next_after))
        page = query.page.number if isinstance(query.page, q.Page) else None

        def meta_of(groups_count: int | None = None) -> dict[str, Any]:
            return list_meta(count=result.count, elapsed_ms=_elapsed_ms(started), page=page, per_page=query.page.size,
                             cursor_sent=cursor_sent, next_cursor=next_cursor, groups_count=groups_count)

        if query.group_by is not None:
            field = query.group_by.field
            items = [group_item(field, g.key, g.count, g.display_name, {}) for g in result.groups or []]
            return _json(group_envelope(meta_of(len(items)), items))
        keys = [h.key for h in result.hits]
        scores = [h.score for h in result.hits] if query.is_search else None
        results = renderer.works(keys, base=_base(request), select=query.select, scores=scores, raw_ok=True,
                                 served=result.served)
        return _json(list_envelope(meta_of(), results))

    def get_work(request: Request) -> Response:
        raw_id, prefix = _raw_work_id(request)
        if raw_id in RANDOM_IDS and prefix == "/works/":
            return random_work(request)
        if raw_id.endswith(NGRAMS_SUFFIX):
            raise not_found()
        # no query string, no parameters to parse (the common case; Starlette's parsing costs ~15 µs)
        select = parse_select(request.query_params.get("select")) if request.scope.get("query_string") else None
        key: int | None
        try:
            kind, pair = parse_work_id_path(raw_id)
        except OpenAlexError as exc:  # a form upstream does not route: perhaps one of our fallback ids
            key = _resolve_extension(graph, raw_id) if exc.status == 404 else None
            if key is None:
                raise
        else:
            if kind == "redirect":
                return _redirect(request, prefix, pair[1])
            key = _resolve(graph, pair)
        if key is None:
            raise OpenAlexError(404, e.NOT_FOUND_ERROR, MSG_WORK_NOT_FOUND.format(id=_shown_id(raw_id)))
        found = renderer.works([key], base=_base(request), select=select, raw_ok=True)
        work = found[0] if found else None
        if work is None:
            raise OpenAlexError(404, e.NOT_FOUND_ERROR, MSG_WORK_NOT_FOUND.format(id=_shown_id(raw_id)))
        return _json(work)

    def random_work(request: Request) -> Response:
        select = parse_select(request.query_params.get("select"))
        result = graph.find(q.Query(sample=q.Sample(1), page=q.Page(1, 1)))
        if not result.hits:
            raise not_found()
        work = renderer.work(result.hits[0].key, base=_base(request), select=select)
        if work is None:
            raise not_found()
        return _json(work)

    def autocomplete(request: Request, full: bool) -> Response:
        valid = FULL_AUTOCOMPLETE_PARAMS if full else AUTOCOMPLETE_PARAMS
        params = request.query_params
        for name in params:
            if name not in valid and name != "bypass_cache":
                raise params_error(
                    MSG_AUTOCOMPLETE_PARAM.format(
                        arg=name, kind="full" if full else "entity", valid=", ".join(valid)
                    )
                )
        if (params.get("data_version") or params.get("data-version")) == "1":
            raise params_error(e.MSG_DATA_VERSION_1)
        for unsupported in ("filter", "search"):
            if params.get(unsupported):
                raise params_error(e.MSG_UNSUPPORTED.format(what=f"{unsupported} on autocomplete"))
        entity_type = params.get("entity_type")
        if entity_type and entity_type != "work":
            raise params_error(MSG_ENTITY_TYPE.format(value=entity_type))
        started = time.perf_counter()
        text = (params.get("q") or "").strip()
        keys: list[int] = []
        if full and (params.get("hide_works") or "").lower() == "true":
            keys = []
        elif text:
            exact = _autocomplete_id(graph, text)
            keys = (
                [exact] if exact is not None else [h.key for h in graph.autocomplete(text, AUTOCOMPLETE_SIZE)]
            )
        else:
            result = graph.find(
                q.Query(
                    sort=(q.Sort(q.CITED_BY_COUNT, True), q.Sort(q.WORK)), page=q.Page(1, AUTOCOMPLETE_SIZE)
                )
            )
            keys = [h.key for h in result.hits]
        works = renderer.works(keys, base=_base(request), select=AUTOCOMPLETE_FIELDS)
        results = [autocomplete_item(w) for w in works]
        meta = {
            "count": len(results),
            "db_response_time_ms": _elapsed_ms(started),
            "page": 1,
            "per_page": AUTOCOMPLETE_SIZE,
        }
        return _json({"meta": meta, "results": results})

    async def citations(request: Request) -> Response:
        try:
            body = await request.body()
            return _citations(graph, renderer, body, _base(request))
        except OpenAlexError as exc:
            return _error(exc)
        except Exception:
            log.exception("unexpected error serving %s", request.url.path)
            return _json(INTERNAL_ERROR, 500)

    def missing(request: Request) -> Response:
        raise not_found()

    works_list = _guard(list_works)
    work_get = _guard(get_work)
    return [
        # the two hot routes first: Starlette tries routes in order
        Route("/works", works_list, methods=["GET"]),
        Route("/works/{id:path}", work_get, methods=["GET"]),  # also /works/random (see get_work)
        Route("/entities/works", works_list, methods=["GET"]),
        Route("/v2/works", works_list, methods=["GET"]),
        Route("/works/citations", citations, methods=["POST"]),
        Route("/autocomplete/works", _guard(lambda r: autocomplete(r, False)), methods=["GET"]),
        Route("/autocomplete", _guard(lambda r: autocomplete(r, True)), methods=["GET"]),
        Route("/entities/works/{id:path}", work_get, methods=["GET"]),
        Route("/v2/works/{id:path}", work_get, methods=["GET"]),
        Route("/{rest:path}", _guard(missing)),
    ]


# --- the hot path ----------------------------------------------------------------------------------
#: The path prefix of single works (relative to the mount).
_WORKS_PREFIX = "/works/"


def fast_get(graph: Graph, *,
             counts: CountsMode = CountsMode.OURS) -> Callable[[str, MutableMapping[str, Any], str], bytes | None]:
    """The commonest request, ``GET /works/W…`` without parameters, answered without the framework.

    The returned function takes the path below the mount, the ASGI scope and the mount path and gives the
    JSON body, or None to let the full route answer (an unknown id, a redirect, any other form or
    failure): the full route stays the one place for every error and edge case.
    """
    renderer = WorkRenderer(graph, counts)

    def answer(path: str, scope: MutableMapping[str, Any], mount: str) -> bytes | None:
        if not path.startswith(_WORKS_PREFIX):
            return None
        short = path[len(_WORKS_PREFIX) :]
        if not CANONICAL_WORK_ID.fullmatch(short):
            return None
        try:
            found = renderer.work_named((ids.OPENALEX, short), base=_base_of(scope, mount))
            return msgspec.json.encode(found) if found is not None else None
        except Exception:  # the full route answers, and logs, whatever went wrong here
            return None

    return answer


# --- single works --------------------------------------------------------------------------------
def _raw_work_id(request: Request) -> tuple[str, str]:
    """The ``{id}`` segment as sent (undecoded, so it is decoded exactly once) and the route prefix.

    pyopenalex sends ``/works/https://doi.org/10.…`` raw and pyalex ``/works/https%3A%2F%2Fdoi.org%2F…``;
    ``parse_work_id_path`` reads both. The decoded path is the fallback when the server gives no raw path.
    """
    scope = request.scope
    root = scope.get("root_path", "")
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else quote(scope["path"], safe="/:@!$&'()*+,;=")
    if root and path.startswith(root):
        path = path[len(root) :]
    for prefix in WORK_PATH_PREFIXES:
        if path.startswith(prefix):
            return _to_text(path[len(prefix) :]), prefix
    return str(request.path_params.get("id", "")), "/works/"


def _to_text(segment: str) -> str:
    """A raw path segment as text: bytes beyond ASCII (sent unescaped) are read as UTF-8."""
    try:
        return segment.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return segment


def _shown_id(raw_id: str) -> str:
    """The id as a 404 message names it (decoded; an OpenAlex URL by its short id)."""
    text = unquote(raw_id)
    return text.rsplit("/", 1)[-1] if text.startswith("https://openalex.org/") else text


def _redirect(request: Request, prefix: str, short: str) -> Response:
    """302 to the canonical ``/works/W…`` under this mount, query string kept (upstream works_id_get)."""
    target_prefix = "/v2/works/" if prefix == "/v2/works/" else "/works/"
    location = f"{request.scope.get('root_path', '')}{target_prefix}{short}"
    query = request.scope.get("query_string") or b""
    if query:
        location += "?" + query.decode("latin-1")
    return Response(status_code=302, headers={"location": location})


def _resolve(graph: Graph, pair: tuple[str, str]) -> int | None:
    return graph.key_of(pair)  # the path parser already made the pair canonical


#: Id prefixes upstream does not route (it answers 404) that we resolve as an addition: they are the
#: ``id`` forms we print for works without an OpenAlex id, DOI or PubMed id (see render.py).
_EXTENSION_SEPARATOR = ":"


def _resolve_extension(graph: Graph, raw_id: str) -> int | None:
    """A work named by ``<scheme>:<value>`` in a scheme upstream does not route (our fallback ids)."""
    from citegraph.graph import UnknownWorkError
    from citegraph.ids import IdError

    text = unquote(raw_id)
    scheme = text.split(_EXTENSION_SEPARATOR, 1)[0].lower()
    if _EXTENSION_SEPARATOR not in text or scheme in (
        "doi",
        "pmid",
        "pmcid",
        "mag",
        "openalex",
        "http",
        "https",
    ):
        return None
    try:
        return graph.resolve(text)
    except (IdError, UnknownWorkError, ValueError):
        return None


def _autocomplete_id(graph: Graph, text: str) -> int | None:
    """Upstream's canonical-id match: a W id or DOI typed into autocomplete finds that work."""
    try:
        kind, pair = parse_work_id_path(text)
    except OpenAlexError:
        return None
    return _resolve(graph, pair)


# --- POST /works/citations (upstream doc 000) -----------------------------------------------------
#: The wrapper's sort values (upstream doc 000).
CITATION_SORTS = (
    "relevance_score:desc",
    "cited_by_count:desc",
    "cited_by_count:asc",
    "publication_date:desc",
    "publication_date:asc",
)
#: A citations list has no text to score, so its relevance order is the default order (most cited first).
RELEVANCE_SORT = "relevance_score:desc"
TIMEOUT_DEFAULT = 300
TIMEOUT_MIN = 20
TIMEOUT_MAX = 1500


class ValidationFailure(Exception):
    """The wrapper's request body is invalid: FastAPI's 422 ``{"detail": [...]}``."""

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__("invalid request body")
        self.detail = detail


def _problem(
    kind: str, loc: list[Any], msg: str, value: Any, ctx: dict[str, Any] | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx is not None:
        item["ctx"] = ctx
    return item


def _int_field(
    body: dict[str, Any],
    name: str,
    problems: list[dict[str, Any]],
    *,
    required: bool,
    default: int | None,
    low: int,
    high: int | None,
) -> int | None:
    loc = ["body", name]
    if name not in body:
        if required:
            problems.append(_problem("missing", loc, "Field required", body))
        return default
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.append(_problem("int_type", loc, "Input should be a valid integer", value))
        return None
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            problems.append(
                _problem(
                    "int_parsing",
                    loc,
                    "Input should be a valid integer, unable to parse string as an integer",
                    value,
                )
            )
            return None
    elif isinstance(value, float):
        if not value.is_integer():
            problems.append(
                _problem(
                    "int_from_float",
                    loc,
                    "Input should be a valid integer, got a number with a fractional part",
                    value,
                )
            )
            return None
        number = int(value)
    else:
        number = value
    if number < low:
        problems.append(
            _problem(
                "greater_than_equal",
                loc,
                f"Input should be greater than or equal to {low}",
                value,
                {"ge": low},
            )
        )
        return None
    if high is not None and number > high:
        problems.append(
            _problem(
                "less_than_equal", loc, f"Input should be less than or equal to {high}", value, {"le": high}
            )
        )
        return None
    return number


def parse_citations_body(body: bytes) -> tuple[str, int, str | None]:
    """``(work, count, sort)`` from the wrapper's JSON body; raises ValidationFailure (FastAPI's rules)."""
    try:
        data = msgspec.json.decode(body) if body.strip() else None
    except msgspec.DecodeError as exc:
        raise ValidationFailure(
            [_problem("json_invalid", ["body", 0], "JSON decode error", {}, {"error": str(exc)})]
        ) from None
    if data is None:
        raise ValidationFailure([_problem("missing", ["body"], "Field required", None)])
    if not isinstance(data, dict):
        raise ValidationFailure(
            [
                _problem(
                    "model_attributes_type",
                    ["body"],
                    "Input should be a valid dictionary or object to extract fields from",
                    data,
                )
            ]
        )
    problems: list[dict[str, Any]] = []
    work = data.get("work")
    if "work" not in data:
        problems.append(_problem("missing", ["body", "work"], "Field required", data))
    elif not isinstance(work, str):
        problems.append(_problem("string_type", ["body", "work"], "Input should be a valid string", work))
    elif len(work) < 1:
        problems.append(
            _problem(
                "string_too_short",
                ["body", "work"],
                "String should have at least 1 character",
                work,
                {"min_length": 1},
            )
        )
    count = _int_field(data, "count", problems, required=True, default=None, low=1, high=None)
    _int_field(
        data, "timeout", problems, required=False, default=TIMEOUT_DEFAULT, low=TIMEOUT_MIN, high=TIMEOUT_MAX
    )
    sort = data.get("sort")
    if sort is not None and sort not in CITATION_SORTS:
        expected = ", ".join(f"'{s}'" for s in CITATION_SORTS[:-1]) + f" or '{CITATION_SORTS[-1]}'"
        problems.append(
            _problem("enum", ["body", "sort"], f"Input should be {expected}", sort, {"expected": expected})
        )
    if problems:
        raise ValidationFailure(problems)
    assert isinstance(work, str) and count is not None
    return work, count, sort


def _citations(graph: Graph, renderer: WorkRenderer, body: bytes, base: str) -> Response:
    """Up to ``count`` works citing ``work``, flattened; the wrapper pages OpenAlex ``filter=cites:``."""
    try:
        work, count, sort = parse_citations_body(body)
    except ValidationFailure as exc:
        return _json({"detail": exc.detail}, 422)
    params: list[tuple[str, str]] = [("filter", f"cites:{work}"), ("cursor", "*")]
    if sort is not None and sort != RELEVANCE_SORT:
        params.append(("sort", sort))
    items: list[dict[str, Any]] = []
    cursor = "*"
    while len(items) < count:
        size = min(CITATIONS_PAGE, max(count - len(items), 1))
        page_params = [*params[:1], ("cursor", cursor), ("per-page", str(size)), *params[2:]]
        try:
            query = parse_works_request(page_params)
        except OpenAlexError as exc:
            problem = _problem(
                "value_error",
                ["body", "work" if "sort" not in exc.message else "sort"],
                f"Value error, {exc.message}",
                work,
            )
            return _json({"detail": [problem]}, 422)
        result = graph.find(query)
        keys = [h.key for h in result.hits]
        items.extend(citation_item(w) for w in renderer.works(keys, base=base))
        if result.next_after is None or not keys:
            break
        cursor = q.encode_cursor(tuple(result.next_after))
    return _json(items[:count])


__all__ = ["DEFAULT_PER_PAGE", "parse_citations_body", "routes"]
