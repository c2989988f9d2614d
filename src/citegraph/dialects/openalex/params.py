"""OpenAlex request parameters → the query model (spec/api-dialects.md §1.2–1.5, §1.8).

``parse_works_request`` reads the query-string pairs of ``GET /works`` (repeated names kept, as
sent) and returns a :class:`citegraph.query.Query`, or raises :class:`OpenAlexError` with
upstream's status, error class and message. Rules follow upstream's server
(``ourresearch/openalex-elastic-api`` @5a6505c), including the order in which it checks them,
so the first error a request hits is the one upstream reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote

from citegraph import ids
from citegraph import query as q
from citegraph.dialects.openalex import errors as e
from citegraph.dialects.openalex.errors import not_found, pagination_error, params_error
from citegraph.dialects.openalex.filters import (
    BOOL,
    BOOL_STRICT,
    DATE,
    DATE_FROM,
    DATE_TO,
    FILTERS,
    RANGE,
    SEARCH,
    external_id,
    find_openalex_id,
    openalex_pair,
    parse_filter,
    split_filter,
    strict_external_id,
)

Params = Sequence[tuple[str, str]]

#: Upstream's parameter allowlist, in the order its error message lists them.
VALID_PARAMETERS: tuple[str, ...] = (
    "apc_sum", "api-key", "api_key", "cited_by_count_sum", "cursor", "data_version", "data-version",
    "filter", "format", "include_xpac", "include-xpac", "group_by", "group-by", "group_bys", "group-bys",
    "mailto", "page", "per_page", "per-page", "q", "sample", "seed", "search", "select", "sort", "warm",
)  # fmt: skip
#: Accepted without being advertised.
HIDDEN_PARAMETERS: frozenset[str] = frozenset({"bypass_cache"})
#: The ``search.*`` parameters upstream accepts, in its message's order.
SEARCH_PARAMETERS: tuple[str, ...] = (
    "search", "search.semantic", "search.exact", "search.title", "search.title.exact",
    "search.title_and_abstract", "search.title_and_abstract.exact",
)  # fmt: skip

#: Root fields of the OpenAlex work object: what ``select`` accepts (upstream WorksSchema, as its
#: own 400 message lists them in the recorded real response).
WORK_ROOT_FIELDS: tuple[str, ...] = (
    "id", "doi", "title", "display_name", "relevance_score", "publication_year", "publication_date",
    "ids", "language", "primary_location", "sources", "type", "type_crossref", "indexed_in",
    "open_access", "authorships", "institution_assertions", "institutions", "countries_distinct_count",
    "institutions_distinct_count", "corresponding_author_ids", "corresponding_institution_ids",
    "apc_list", "apc_paid", "fwci", "is_authors_truncated", "has_fulltext", "fulltext_origin",
    "cited_by_count", "citation_normalized_percentile", "cited_by_percentile_year", "biblio",
    "is_retracted", "is_paratext", "is_xpac", "primary_topic", "topics", "keywords", "concepts", "mesh",
    "locations_count", "locations", "best_oa_location", "sustainable_development_goals", "awards",
    "funders", "datasets", "versions", "has_content", "content_urls", "referenced_works_count",
    "referenced_works", "related_works", "abstract_inverted_index", "cited_by_api_url",
    "counts_by_year", "updated_date", "created_date",
)  # fmt: skip

DEFAULT_PER_PAGE = 25  # upstream's list default
GROUP_BY_PER_PAGE = 200  # upstream's default (and maximum) number of groups
MAX_PER_PAGE = 200  # per-page must be 1..200
MAX_RESULT_WINDOW = 10_000  # page × per-page beyond this needs a cursor
MAX_SAMPLE = 10_000  # largest sample upstream draws

#: Sort keys (hyphens already underscores) → query sort keys; publication_year sorts by date as upstream.
SORTS: dict[str, str] = {
    "cited_by_count": q.CITED_BY_COUNT,
    "publication_date": q.PUBLICATION_DATE,
    "publication_year": q.PUBLICATION_DATE,
    "display_name": q.DISPLAY_NAME,
    "referenced_works_count": q.REFERENCED_WORKS_COUNT,
    "relevance_score": q.RELEVANCE,
}
#: Number filters upstream allows grouping by (its exception list, restricted to ours).
GROUPABLE_RANGES: frozenset[str] = frozenset(
    {"publication_year", "cited_by_count", "authors_count", "referenced_works_count"}
)
#: Filters upstream refuses to group by ("Cannot group by <key>."), plus the work's own ids and
#: the citation relations, which we do not group by either.
UNGROUPABLE_FILTERS: frozenset[str] = frozenset(
    {"cited_by", "doi", "ids.mag", "ids.pmid", "ids.pmcid", "mag", "pmid", "pmcid", "related_to",
     "cites", "openalex", "openalex_id", "ids.openalex"}
)  # fmt: skip
#: Flags upstream will not sort groups of (its EXTERNAL_ID_FIELDS and BOOLEAN_TEXT_FIELDS).
UNSORTABLE_GROUPS: frozenset[str] = frozenset(
    {"has_doi", "has_orcid", "has_pmid", "has_pmcid", "has_abstract", "has_references"}
)

_DOI_IN_TEXT = re.compile(r"10\.[0-9]+/\S+")  # upstream normalize_doi
_URL_SLASHES = re.compile(r"^(https?):/+", re.IGNORECASE)  # proxies may collapse "//" to "/"
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
#: ``/works/{prefix}:{id}`` forms upstream looks up directly (``doi:`` is matched by its own rule).
_PATH_SCHEMES: dict[str, str] = {"pmid": ids.PMID, "pmcid": ids.PMCID}
_GROUP_METRIC = re.compile(r"^.+\.(mean|sum|min|max)$")


# --- the request -------------------------------------------------------------------------------
def parse_works_request(params: Params) -> q.Query:
    """The Query for ``GET /works`` with these query-string pairs; raises OpenAlexError."""
    first: dict[str, str] = {}
    for name, value in params:
        first.setdefault(name, value)

    select = parse_select(first.get("select"))
    _check_allowlist(params, first)
    group_by_raw = first.get("group_by") or first.get("group-by")
    sample = _parse_sample(first, group_by_raw)
    _check_search_params(first)
    filter_parts = split_filter(first.get("filter"))
    page_number = _number(first, "page", 1)
    per_page = _number(first, "per-page", GROUP_BY_PER_PAGE if group_by_raw else DEFAULT_PER_PAGE)
    sort_items = _split_sort(first.get("sort"))

    cursor_raw = first.get("cursor")
    if cursor_raw and not group_by_raw and page_number != 1:
        raise pagination_error(e.MSG_CURSOR_WITH_PAGE)

    text, text_filters = _parse_searches(first)
    where_parts: list[q.Predicate] = list(text_filters)
    for key, value in filter_parts:
        where_parts.extend(parse_filter(key, value))
    is_search = _is_search(first, filter_parts)

    group_key, include_unknown = _group_by_key(group_by_raw) if group_by_raw else (None, False)
    sort, group_order = _parse_sort(sort_items, is_search, group_key)
    group_by = None
    if group_key is not None:
        group_by = _parse_group_by(group_key, include_unknown, group_order, bool(cursor_raw))
    if sample is not None or group_by is not None:
        sort = ()
    _check_pagination(page_number, per_page, group_by is not None)

    page: q.Page | q.Cursor = q.Page(page_number, per_page)
    if cursor_raw:
        after = None if cursor_raw == "*" else _decode_cursor(cursor_raw)
        expected = 1 if group_by is not None else len(sort)
        if after is not None and sample is None and len(after) != expected:
            raise pagination_error(e.MSG_CURSOR_MISMATCH)
        page = q.Cursor(None if sample is not None else after, per_page)

    _check_unsupported(first)
    try:
        return q.Query(
            where=q.And(tuple(where_parts)) if where_parts else None,
            text=text,
            sort=sort,
            page=page,
            select=select,
            group_by=group_by,
            sample=sample,
        )
    except q.QueryError as exc:  # a rule above let something malformed through: still a 400
        raise params_error(str(exc)) from exc


def parse_select(value: str | None) -> tuple[str, ...] | None:
    """The root fields ``select=`` names (None when absent); raises OpenAlexError for others."""
    if not value:
        return None
    names: list[str] = []
    for name in value.split(","):
        if name.strip() not in WORK_ROOT_FIELDS:
            raise params_error(e.MSG_INVALID_SELECT.format(field=name, valid=", ".join(WORK_ROOT_FIELDS)))
        names.append(name.strip())
    return tuple(dict.fromkeys(names))


def _check_allowlist(params: Params, first: dict[str, str]) -> None:
    """Upstream validate_params: parameter names, deprecated values, one filter, combinations."""
    for name in first:
        if name.startswith("search."):
            if name not in SEARCH_PARAMETERS:
                raise params_error(
                    e.MSG_INVALID_SEARCH_PARAMETER.format(arg=name, valid=", ".join(SEARCH_PARAMETERS))
                )
        elif name not in VALID_PARAMETERS and name not in HIDDEN_PARAMETERS:
            if name == "semantic":
                raise params_error(e.MSG_SEMANTIC_PARAMETER)
            raise params_error(e.MSG_INVALID_PARAMETER.format(arg=name, valid=", ".join(VALID_PARAMETERS)))
    if (first.get("data_version") or first.get("data-version")) == "1":
        raise params_error(e.MSG_DATA_VERSION_1)
    if any("host_venue" in value for _, value in params):  # also catches alternate_host_venues
        raise params_error(e.MSG_HOST_VENUE)
    if sum(1 for name, _ in params if name == "filter") > 1:
        raise params_error(e.MSG_ONE_FILTER)
    if ("group_by" in first or "group-by" in first) and "select" in first:
        raise params_error(e.MSG_SELECT_WITH_GROUP_BY)


def _parse_sample(first: dict[str, str], group_by_raw: str | None) -> q.Sample | None:
    """Upstream validate_sample_param, then the Sample itself."""
    size: int | None = None
    if "sample" in first:
        try:
            size = int(first["sample"])
        except ValueError:
            raise params_error(e.MSG_SAMPLE_NOT_INT) from None
        if size > MAX_SAMPLE:
            raise params_error(e.MSG_SAMPLE_TOO_BIG)
    if size is not None and "sort" in first:
        raise params_error(e.MSG_SAMPLE_WITH_SORT)
    if "seed" in first and size is None:
        raise params_error(e.MSG_SEED_WITHOUT_SAMPLE)
    if size is not None and ("group-by" in first or "group_by" in first):
        raise params_error(e.MSG_SAMPLE_WITH_GROUP_BY)
    page = _int_or_none(first.get("page"))
    if size is not None and page is not None and page > 1 and "seed" not in first:
        raise params_error(e.MSG_SAMPLE_PAGE_NEEDS_SEED)
    if size is None:
        return None
    if size < 0:
        raise params_error(e.MSG_SAMPLE_NEGATIVE)
    return q.Sample(size, first.get("seed") or None)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _check_search_params(first: dict[str, str]) -> None:
    """Upstream validate_search_param: combinations of search parameters and their operators."""
    present = [name for name in first if name == "search" or name.startswith("search.")]
    if "search.semantic" in present and len(present) > 1:
        raise params_error(e.MSG_SEARCH_SEMANTIC_COMBINED)
    scopes: dict[str, tuple[str, str]] = {}
    for name in present:
        scope, kind = _search_scope(name)
        if scope in scopes and scopes[scope][0] != kind:
            raise params_error(e.MSG_SEARCH_SCOPE_CLASH.format(first=scopes[scope][1], second=name))
        scopes[scope] = (kind, name)
    for name in present:
        value = first[name]
        if value and any(word.startswith("!") for word in value.split()):
            raise params_error(e.MSG_SEARCH_BANG.format(value=value))
        if value and "|" in value:
            raise params_error(e.MSG_SEARCH_PIPE.format(value=value))


def _search_scope(name: str) -> tuple[str, str]:
    """(scope, stemmed|exact|semantic) of a search parameter name."""
    if name in ("search", "search.exact"):
        return "bare", "exact" if name.endswith(".exact") else "default"
    if name == "search.semantic":
        return "semantic", "semantic"
    rest = name[len("search.") :]
    if rest.endswith(".exact"):
        return rest[: -len(".exact")], "exact"
    return rest, "default"


#: search.* parameters that search one text field (they filter and score like `.search` filters).
_SCOPED_SEARCHES: dict[str, str] = {
    "search.title": q.TITLE,
    "search.title.exact": q.TITLE,
    "search.title_and_abstract": q.TITLE_AND_ABSTRACT,
    "search.title_and_abstract.exact": q.TITLE_AND_ABSTRACT,
}


def _has_search_value(value: str | None) -> bool:
    return bool(value) and value != '""'


def _parse_searches(first: dict[str, str]) -> tuple[q.TextQuery | None, list[q.Predicate]]:
    """The relevance text (``search``/``search.exact``) and Text filters of the scoped searches."""
    text = None
    for name in ("search", "search.exact"):
        if _has_search_value(first.get(name)):
            text = q.parse_search(first[name])
    scoped: list[q.Predicate] = []
    for name, field in _SCOPED_SEARCHES.items():
        if _has_search_value(first.get(name)):
            parsed = q.parse_search(first[name])
            if parsed is not None:
                scoped.append(q.Text(field, parsed))
    return text, scoped


def _is_search(first: dict[str, str], filter_parts: list[tuple[str, str]]) -> bool:
    """Upstream check_is_search_query: any search parameter or `.search` filter with a value."""
    if any(_has_search_value(v) for n, v in first.items() if n == "search" or n.startswith("search.")):
        return True
    return any(key.lower() in FILTERS and FILTERS[key.lower()].kind == SEARCH for key, _ in filter_parts)


def _number(first: dict[str, str], name: str, default: int) -> int:
    """Upstream set_number_param: the hyphen or underscore spelling, else the default."""
    raw = first.get(name) or first.get(name.replace("-", "_"))
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise params_error(e.MSG_NOT_A_NUMBER.format(param=name)) from None


def _check_pagination(page: int, per_page: int, grouped: bool) -> None:
    """Upstream Paginate.validate."""
    if grouped and page != 1:
        raise pagination_error(e.MSG_GROUP_BY_PAGE)
    if page < 1:
        raise pagination_error(e.MSG_PAGE_TOO_SMALL)
    if per_page > MAX_PER_PAGE or per_page < 1:
        raise pagination_error(e.MSG_PER_PAGE_RANGE.format(max=MAX_PER_PAGE))
    if page * per_page > MAX_RESULT_WINDOW:
        raise pagination_error(e.MSG_RESULT_WINDOW.format(max=MAX_RESULT_WINDOW))


def _decode_cursor(raw: str) -> tuple[object, ...]:
    if raw == "null" or raw.lower() == "none":
        raise pagination_error(e.MSG_CURSOR_NULL)
    try:
        return q.decode_cursor(raw)
    except q.CursorError:
        raise pagination_error(e.MSG_CURSOR_INVALID) from None


def _check_unsupported(first: dict[str, str]) -> None:
    """Upstream features this server does not have: a clear 400, never a silently wrong answer."""
    fmt = first.get("format")
    if fmt:
        if fmt.lower() not in ("csv", "json", "xlsx"):
            raise params_error(e.MSG_VALID_FORMATS)
        if fmt.lower() != "json":
            raise params_error(e.MSG_UNSUPPORTED.format(what=f"format={fmt.lower()}"))
    if first.get("group_bys") or first.get("group-bys"):
        raise params_error(e.MSG_UNSUPPORTED.format(what="group_bys"))
    if _has_search_value(first.get("search.semantic")):
        raise params_error(e.MSG_UNSUPPORTED.format(what="search.semantic"))


# --- sort and group_by ---------------------------------------------------------------------------
def _split_sort(value: str | None) -> list[tuple[str, str]]:
    """Upstream map_sort_params: ``key[:dir]`` pairs, later duplicates replacing earlier ones."""
    if not value:
        return []
    items: dict[str, str] = {}
    for part in value.split(","):
        pieces = part.split(":")
        if len(pieces) > 2:
            raise params_error(e.MSG_FILTER_SYNTAX.format(part=part))
        key, direction = (pieces[0], pieces[1]) if len(pieces) == 2 else (part, "asc")
        items[key.replace("-", "_")] = direction.lower()
    return list(items.items())


def _parse_sort(
    items: list[tuple[str, str]], is_search: bool, group_key: str | None
) -> tuple[tuple[q.Sort, ...], tuple[str, bool]]:
    """The work order (ending with the WORK tiebreak) and the group order (key|count, descending)."""
    if any(key.lower() == "relevance_score" for key, _ in items) and not is_search:
        raise params_error(e.MSG_RELEVANCE_WITHOUT_SEARCH)
    group_order = ("count", True)
    sorts: list[q.Sort] = []
    for sent_key, direction in items:
        key = sent_key.lower()
        if group_key is not None:
            if group_key.lower() in UNSORTABLE_GROUPS:
                raise params_error(e.MSG_GROUP_BY_SORT_BOOLEAN)
            if key in ("key", "count") and direction in ("asc", "desc"):
                group_order = (key, direction == "desc")
                break  # upstream stops at the first key/count sort
            if _GROUP_METRIC.match(key) and direction in ("asc", "desc"):
                raise params_error(e.MSG_UNSUPPORTED.format(what="Sorting groups by a metric"))
            raise params_error(e.MSG_GROUP_BY_SORT)
        if key == "relevance_score" and direction == "asc":
            raise params_error(e.MSG_RELEVANCE_ASC)
        if key not in SORTS:
            raise params_error(e.MSG_INVALID_FIELD.format(key=sent_key, valid=", ".join(sorted(SORTS))))
        if direction not in ("asc", "desc"):
            continue  # upstream ignores a direction it does not know
        if all(s.key != SORTS[key] for s in sorts):  # publication_year after publication_date
            sorts.append(q.Sort(SORTS[key], direction == "desc"))
    if not sorts:
        sorts = (
            [q.Sort(q.RELEVANCE, True), q.Sort(q.PUBLICATION_DATE, False)]
            if is_search
            else [q.Sort(q.CITED_BY_COUNT, True)]
        )
    sorts.append(q.Sort(q.WORK, False))
    return tuple(sorts), group_order


def _group_by_key(raw: str) -> tuple[str, bool]:
    """The filter key of ``group_by=key[:include_unknown]`` and whether unknowns are included."""
    if "," in raw:
        raise params_error(e.MSG_UNSUPPORTED.format(what="Multi-dimensional group_by"))
    key, include_unknown = raw, False
    pieces = raw.split(":")
    if len(pieces) == 2:
        if pieces[1].lower() not in ("include_unknown", "known"):
            raise params_error(e.MSG_GROUP_BY_QUALIFIER)
        key, include_unknown = pieces[0], pieces[1].lower() == "include_unknown"
    return key.replace("-", "_"), include_unknown


def _parse_group_by(sent_key: str, include_unknown: bool, order: tuple[str, bool], cursor: bool) -> q.GroupBy:
    """The GroupBy for a checked key, with upstream's refusals."""
    key = sent_key.lower()
    spec = FILTERS.get(key)
    if spec is None:
        raise params_error(e.MSG_INVALID_FIELD.format(key=sent_key, valid=", ".join(sorted(FILTERS))))
    if spec.kind in (DATE, DATE_FROM, DATE_TO, SEARCH) or (
        spec.kind == RANGE and key not in GROUPABLE_RANGES
    ):
        raise params_error(e.MSG_GROUP_BY_KIND)
    if key == "referenced_works":
        raise params_error(e.MSG_GROUP_BY_REFERENCED_WORKS)
    if key in UNGROUPABLE_FILTERS:
        raise params_error(e.MSG_GROUP_BY_FIELD.format(key=key))
    if cursor and spec.kind in (BOOL, BOOL_STRICT):
        raise params_error(e.MSG_GROUP_BY_CURSOR_BOOLEAN)
    return q.GroupBy(spec.field, include_unknown=include_unknown, order=order[0], descending=order[1])


#: A work id exactly as OpenAlex prints its short form (no redirect, nothing to decode).
CANONICAL_WORK_ID = re.compile(r"W[1-9][0-9]{1,18}")  # upstream routes W ids of 2+ digits only


def parse_work_id_path(path_id: str) -> tuple[str, tuple[str, str]]:
    """Read the ``{id}`` of ``GET /works/{id}`` as upstream routes it (§1.8).

    Returns ``("ok", pair)`` to look the work up, or ``("redirect", pair)`` when upstream answers
    with a redirect to ``/works/<canonical W id>`` (lowercase ``w``, URL and ``openalex:`` forms,
    ``mag:``). Raises the 404 OpenAlexError for forms upstream does not route (a bare DOI without
    ``doi:`` or doi.org, an unknown prefix, a non-work OpenAlex id). The segment may arrive
    percent-encoded or raw, with ``//`` or with it collapsed to ``/``.
    """
    if CANONICAL_WORK_ID.fullmatch(path_id):  # the common case, as clients print it: W<digits>
        return ("ok", (ids.OPENALEX, path_id))  # already canonical: no leading zeros, uppercase W
    text = path_id
    if _PERCENT.search(text):
        text = unquote(text)
    text = _URL_SLASHES.sub(lambda m: m.group(1).lower() + "://", text)
    lowered = text.lower()
    if (
        re.search(r"https://openalex\.org/[waicfvpstg][0-9]{2,}", lowered)
        or re.match(r"[waicfvpstg][0-9]{2,}", lowered)
        or re.search(r"openalex:[waicfvpstg][0-9]{2,}", lowered)
    ):
        short = find_openalex_id(text)
        if short is None or not short.startswith("W"):
            raise not_found()  # ours: upstream would look up W<digits> for any entity letter
        return ("ok" if short == text else "redirect", openalex_pair(short))
    prefix = lowered.split(":", 1)[0] if ":" in lowered else ""
    rest = text[len(prefix) + 1 :]
    if prefix == "mag":
        if not (rest.isascii() and rest.isdigit()):
            raise not_found()
        return ("redirect", openalex_pair("W" + rest))
    if prefix in _PATH_SCHEMES:
        found = strict_external_id(_PATH_SCHEMES[prefix], rest)
        if found is None:
            raise not_found()
        return ("ok", found)
    if "doi" in lowered:  # doi:…, https://doi.org/…, http://dx.doi.org/…
        match = _DOI_IN_TEXT.search(lowered.strip())
        if match is None:
            raise not_found()
        return ("ok", external_id(ids.DOI, match.group().replace("\0", "")))
    raise not_found()
