"""Crossref REST request parameters → the query model (spec/api-dialects.md §2.3–2.4).

Every failure is collected, not raised at the first: Crossref answers one 400 listing them all
(``validation-failure``), each ``{type, value, message}`` with Crossref's own wording.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from citegraph import ids
from citegraph import query as q

#: Rows per page by default, and at most (Crossref's own).
DEFAULT_ROWS = 20
MAX_ROWS = 1000
#: Deepest offset on /works routes; further needs a cursor.
MAX_OFFSET = 10_000
#: Largest random sample.
MAX_SAMPLE = 100
#: Facet values returned for ``*`` (and the most ever); some facets are capped lower upstream.
MAX_FACET_VALUES = 1000
#: Facets whose ``*`` means at most 100 values (Crossref's documented cap for these).
FACET_CAPPED_100 = frozenset({"container-title", "issn", "orcid"})
FACET_CAP_100 = 100

#: Every parameter any Crossref route accepts (others are a 400 ``unknown-parameter``).
KNOWN_PARAMS = frozenset({"query", "rows", "offset", "sample", "facet", "filter", "sort", "order", "cursor",
                          "select", "mailto"})

#: Field queries and the text field each searches.
FIELD_QUERIES: dict[str, str] = {
    "bibliographic": q.BIBLIOGRAPHIC,
    "author": q.AUTHOR_NAME,
    "title": q.TITLE,
    "container-title": q.VENUE_NAME,
    "affiliation": q.AFFILIATION,
    "contributor": q.AUTHOR_NAME,  # authors and editors: the canonical byline holds both
    "editor": q.AUTHOR_NAME,
    "publisher-name": q.PUBLISHER_TEXT,
    "funder-name": q.FUNDER_TEXT,
}

#: Sort names and the query-model key each orders by.
SORT_FIELDS: dict[str, str] = {
    "score": q.RELEVANCE,
    "relevance": q.RELEVANCE,
    "updated": q.DEPOSITED_DATE,
    "deposited": q.DEPOSITED_DATE,
    "indexed": q.INDEXED_DATE,
    "created": q.CREATED_DATE,
    "published": q.PUBLICATION_DATE,
    "published-print": q.PRINT_DATE,
    "published-online": q.ONLINE_DATE,
    "issued": q.PUBLICATION_DATE,
    "is-referenced-by-count": q.CITED_BY_COUNT,
    "references-count": q.REFERENCED_WORKS_COUNT,
}
SORT_ORDERS = ("asc", "desc", "1", "-1")

#: Fields ``select`` may name (Crossref's list for /works).
SELECTABLE = ("DOI", "ISBN", "ISSN", "URL", "abstract", "accepted", "alternative-id", "approved", "archive",
              "article-number", "assertion", "author", "chair", "clinical-trial-number", "container-title",
              "content-created", "content-domain", "created", "degree", "deposited", "editor", "event", "funder",
              "group-title", "indexed", "is-referenced-by-count", "issn-type", "issue", "issued", "license", "link",
              "member", "original-title", "page", "posted", "prefix", "published", "published-online",
              "published-print", "publisher", "publisher-location", "reference", "references-count", "relation",
              "score", "short-container-title", "short-title", "standards-body", "subject", "subtitle", "title",
              "translator", "type", "update-policy", "update-to", "updated-by", "volume")

#: Facets served, and the query field each counts.
FACETS: dict[str, str] = {
    "type-name": q.TYPE_SOURCE,
    "published": q.PUBLICATION_YEAR,
    "publisher-name": q.PUBLISHER,
    "container-title": q.CONTAINER_TITLE,
    "issn": q.VENUE_ISSN,
    "funder-name": q.FUNDER_ID,
    "license": q.LICENSE_URL,
    "orcid": q.AUTHOR_ORCID,
    "affiliation": q.AFFILIATION_NAME,
    "ror-id": q.INSTITUTION_ROR,
    "update-type": q.UPDATE_OF,
}

#: Crossref's work types (the /types listing), id → label.
TYPES: dict[str, str] = {
    "book-section": "Book Section", "monograph": "Monograph", "report-component": "Report Component",
    "report": "Report", "peer-review": "Peer Review", "book-track": "Book Track",
    "journal-article": "Journal Article", "book-part": "Part", "other": "Other", "book": "Book",
    "journal-volume": "Journal Volume", "book-set": "Book Set", "reference-entry": "Reference Entry",
    "proceedings-article": "Proceedings Article", "journal": "Journal", "component": "Component",
    "book-chapter": "Book Chapter", "proceedings-series": "Proceedings Series", "report-series": "Report Series",
    "proceedings": "Proceedings", "database": "Database", "standard": "Standard",
    "reference-book": "Reference Book", "posted-content": "Posted Content", "journal-issue": "Journal Issue",
    "dissertation": "Dissertation", "grant": "Grant", "dataset": "Dataset", "book-series": "Book Series",
    "edited-book": "Edited Book",
}
TYPE_IDS_BY_LABEL = {label.lower(): type_id for type_id, label in TYPES.items()}
#: Canonical (OpenAlex-vocabulary) types as Crossref's, for works no source gave a Crossref type.
OPENALEX_TO_CROSSREF_TYPE: dict[str, str] = {
    "article": "journal-article", "book-chapter": "book-chapter", "book": "book", "preprint": "posted-content",
    "dissertation": "dissertation", "dataset": "dataset", "report": "report", "peer-review": "peer-review",
    "standard": "standard", "reference-entry": "reference-entry", "paratext": "component", "editorial":
    "journal-article", "letter": "journal-article", "review": "journal-article", "erratum": "journal-article",
    "retraction": "journal-article", "libguides": "other", "supplementary-materials": "component", "other": "other",
}


def crossref_type(type_source: str | None, canonical_type: str | None) -> str:
    """The Crossref type a work is served with: its own when a source gave one, else the canonical type's."""
    if type_source in TYPES:
        return type_source
    return OPENALEX_TO_CROSSREF_TYPE.get(canonical_type or "", "other")


def type_predicate(type_id: str) -> q.Predicate:
    """Works served with Crossref type ``type_id`` (see ``crossref_type``)."""
    own = q.Eq(q.TYPE_SOURCE, (type_id,))
    canonical = tuple(t for t, c in OPENALEX_TO_CROSSREF_TYPE.items() if c == type_id)
    if not canonical:
        return own
    return q.Or((own, q.And((q.Eq(q.TYPE_SOURCE, tuple(TYPES), negate=True), q.Eq(q.TYPE, canonical)))))

_BOOLEANS = {"t": True, "true": True, "1": True, "f": False, "false": False, "0": False}
_DATE_FORM = re.compile(r"(\d{4})|(\d{4}-\d{2})|(\d{4}-\d{2}-\d{2})")
_PAIR = re.compile(r"([^:,]+):([^,]*)")
_PREFIX = re.compile(r"10\.\d{4,}")

#: Date filter stems and the field each bounds (``from-<stem>``/``until-<stem>``).
DATE_FILTERS: dict[str, str] = {
    "pub-date": q.PUBLICATION_DATE,
    "issued-date": q.PUBLICATION_DATE,
    "created-date": q.CREATED_DATE,
    "deposit-date": q.DEPOSITED_DATE,
    "update-date": q.DEPOSITED_DATE,
    "index-date": q.INDEXED_DATE,
    "print-pub-date": q.PRINT_DATE,
    "online-pub-date": q.ONLINE_DATE,
}
#: Boolean filters and the flag each tests.
FLAG_FILTERS: dict[str, str] = {
    "has-orcid": q.HAS_ORCID,
    "has-references": q.HAS_REFERENCES,
    "has-abstract": q.HAS_ABSTRACT,
    "has-funder": q.HAS_FUNDER,
    "has-license": q.HAS_LICENSE,
    "has-full-text": q.HAS_FULL_TEXT,
    "is-update": q.IS_UPDATE,
    "has-affiliation": q.HAS_AFFILIATION,
    "has-ror-id": q.HAS_ROR_ID,
}
#: Every filter name served (the list a filter-not-available message gives).
FILTER_NAMES: tuple[str, ...] = (
    *(f"{edge}-{stem}" for stem in DATE_FILTERS for edge in ("from", "until")), *FLAG_FILTERS,
    "type", "type-name", "doi", "prefix", "member", "issn", "isbn", "container-title", "orcid", "funder",
    "license.url", "ror-id", "reference-visibility", "updates")
REFERENCE_VISIBILITIES = ("open", "limited", "closed")
#: Filters on an id: the field, the id scheme, and Crossref's failure type and form for a malformed value.
ID_FILTERS: dict[str, tuple[str, str, str, str]] = {
    "issn": (q.VENUE_ISSN, ids.ISSN, "issn-not-valid", "aaaa-aaab where a is a digit, and b is a digit or 'X'"),
    "orcid": (q.AUTHOR_ORCID, ids.ORCID, "orcid-not-valid",
              "aaaa-aaaa-aaaa-aaab where a is a digit and b is a digit or 'X'"),
}


@dataclass
class Failure:
    """One ``validation-failure`` entry."""

    type: str
    value: object
    message: str

    def as_dict(self) -> dict[str, object]:
        """The entry as Crossref writes it."""
        return {"type": self.type, "value": self.value, "message": self.message}


class ValidationFailure(Exception):
    """A request with one or more invalid parameters: Crossref's 400 lists every failure."""

    def __init__(self, failures: list[Failure]) -> None:
        super().__init__("; ".join(f.message for f in failures))
        self.failures = failures


class CursorInvalid(Exception):
    """A cursor this server did not issue (Crossref answers 404 ``resource-failure``)."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


@dataclass
class ListRequest:
    """A parsed list request: the query, and how to page and what to facet."""

    where: list[q.Predicate] = field(default_factory=list)
    text: q.TextQuery | None = None
    search_terms: str | None = None
    sort: tuple[q.Sort, ...] = ()
    rows: int = DEFAULT_ROWS
    offset: int = 0
    sample: int | None = None
    cursor: str | None = None
    select: tuple[str, ...] | None = None
    facets: dict[str, int] = field(default_factory=dict)

    @property
    def is_search(self) -> bool:
        """Whether results have relevance scores."""
        return self.text is not None or any(isinstance(p, q.Text) for p in self.where)


def _integer(failures: list[Failure], raw: str | None, maximum: int | None, extra: str = "") -> int | None:
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or (maximum is not None and int(raw) > maximum):
        bound = f" less than or equal to {maximum}" if maximum is not None else ""
        failures.append(Failure("integer-not-valid", raw,
                                f"Integer specified as {raw} but must be a positive integer{bound}. {extra}"))
        return None
    return int(raw)


def text_query(text: str) -> q.TextQuery | None:
    """Crossref's free text as an OR of its words: relevance ranks works matching more of them first."""
    words = [w for w in re.split(r"[\s\"+()]+", text.lower()) if w.strip("*?~-")]
    terms: list[q.TextQuery] = [q.Term(w.strip("*?~")) for w in words[:64] if w.strip("*?~")]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else q.TextOr(tuple(terms))


def _date(failures: list[Failure], value: str) -> str | None:
    if not _DATE_FORM.fullmatch(value):
        failures.append(Failure("date-not-valid", value, f"Date specified as {value} but must be of the form: "
                                                         "yyyy or yyyy-MM or yyyy-MM-dd"))
        return None
    padded = value + ("-01-01" if len(value) == 4 else "-01" if len(value) == 7 else "")
    try:
        datetime.date.fromisoformat(padded)
    except ValueError:
        failures.append(Failure("date-not-legitimate", value,
                                f"Date {value} specified in the correct format but represents an illegitimate date."))
        return None
    return padded


def _until(date: str, original: str) -> str:
    """The last day an ``until`` date covers: ``2015`` runs to 2015-12-31, ``2015-02`` to 2015-02-28."""
    if len(original) == 4:
        return f"{original}-12-31"
    if len(original) == 7:
        y, m = int(original[:4]), int(original[5:7])
        nxt = datetime.date(y + (m == 12), m % 12 + 1, 1)
        return (nxt - datetime.timedelta(days=1)).isoformat()
    return date


def _doi(failures: list[Failure], value: str) -> tuple[str, str] | None:
    try:
        return (ids.DOI, ids.normalize(ids.DOI, value))
    except ids.IdError:
        failures.append(Failure("doi-not-valid", value, f"DOI specified as {value} but must be of the form: "
                                "10.prefix/suffix where prefix is 4 or more digits and suffix  is a string"))
        return None


def _filter(failures: list[Failure], name: str, value: str) -> q.Predicate | None:
    """One ``name:value`` filter as a predicate (None after recording a failure)."""
    for stem, fieldname in DATE_FILTERS.items():
        if name in (f"from-{stem}", f"until-{stem}"):
            date = _date(failures, value)
            if date is None:
                return None
            if name.startswith("from-"):
                return q.Range(fieldname, low=date)
            return q.Range(fieldname, high=_until(date, value))
    if name in FLAG_FILTERS:
        flag = _BOOLEANS.get(value.lower())
        if flag is None:
            failures.append(Failure("boolean-not-valid", value,
                                    f"Boolean specified as {value} but must be one of: t, true, 1, f, false, 0"))
            return None
        return q.Eq(FLAG_FILTERS[name], (flag,))
    if name == "type":
        if value not in TYPES:
            failures.append(Failure("type-not-valid", value,
                                    f"Type specified as {value} but must be one of: {', '.join(TYPES)}"))
            return None
        return type_predicate(value)
    if name == "type-name":
        type_id = TYPE_IDS_BY_LABEL.get(value.lower())
        return type_predicate(type_id) if type_id else q.Eq(q.TYPE_SOURCE, (value,))
    if name in ("doi", "updates"):
        pair = _doi(failures, value)
        if pair is None:
            return None
        return q.Eq(q.WORK_ID if name == "doi" else q.UPDATE_OF, (pair,))
    if name == "prefix":
        prefix = value.split("/")[-1] if "doi.org" in value else value
        if not _PREFIX.fullmatch(prefix):
            failures.append(Failure("prefix-not-valid", value, f"Prefix specified as {value} but must be of the "
                                    "form: 10.digits where digits is 4 or more digits"))
            return None
        return q.Eq(q.DOI_PREFIX, (prefix,))
    if name == "member":
        if _integer(failures, value, None) is None:
            return None
        return q.Eq(q.MEMBER, (value,))
    if name in ID_FILTERS:
        field, scheme, failure, form = ID_FILTERS[name]
        try:
            return q.Eq(field, ((scheme, ids.normalize(scheme, value)),))
        except ids.IdError:
            failures.append(Failure(failure, value, f"{failure.split('-')[0].upper()} specified as {value} but must "
                                    f"be of the form: {form}"))
            return None
    if name == "isbn":
        try:
            return q.Eq(q.ISBN, ((ids.ISBN, ids.normalize(ids.ISBN, value)),))
        except ids.IdError:
            return q.Eq(q.ISBN, ((ids.ISBN, value),))  # Crossref takes any string here: it matches nothing
    if name == "funder":
        funder = f"10.13039/{value}" if value.isdigit() else value
        try:
            return q.Eq(q.FUNDER_ID, ((ids.DOI, ids.normalize(ids.DOI, funder)),))
        except ids.IdError:
            failures.append(Failure("funder-id-not-valid", value,
                                    f"Funder ID specified as {value} but must be a DOI or positive integer"))
            return None
    if name == "ror-id":
        try:
            return q.Eq(q.INSTITUTION_ROR, ((ids.ROR, ids.normalize(ids.ROR, value)),))
        except ids.IdError:
            return q.Eq(q.INSTITUTION_ROR, ((ids.ROR, value),))
    if name == "container-title":
        return q.Eq(q.CONTAINER_TITLE, (value,))
    if name == "license.url":
        return q.Eq(q.LICENSE_URL, (value,))
    if name == "reference-visibility":
        if value not in REFERENCE_VISIBILITIES:
            failures.append(Failure("reference-visibility-not-valid", value,
                                    f"Reference visibility specified as {value} but must be one of: "
                                    + ", ".join(REFERENCE_VISIBILITIES)))
            return None
        return q.Eq(q.REFERENCE_VISIBILITY, (value,))
    failures.append(Failure("filter-not-available", name,
                            f"Filter {name} specified but there is no such filter for this route. Valid filters for "
                            f"this route are: {', '.join(FILTER_NAMES)}"))
    return None


def parse_filters(failures: list[Failure], raw: str) -> list[q.Predicate]:
    """``name:value,…``: different names AND, a repeated name OR (Crossref's rule)."""
    pairs: list[tuple[str, str]] = []
    for part in _split_pairs(raw):
        match = _PAIR.fullmatch(part)
        if match is None:
            failures.append(Failure("pair-list-form-invalid", raw, f"Pair list form specified as '{raw}' but should "
                                    "be of the form: key:val,...,keyN:valN"))
            return []
        pairs.append((match.group(1).strip(), match.group(2).strip()))
    by_name: dict[str, list[q.Predicate]] = {}
    for name, value in pairs:
        pred = _filter(failures, name.replace("_", "-"), value)
        if pred is not None:
            by_name.setdefault(name, []).append(pred)
    return [preds[0] if len(preds) == 1 else q.Or(tuple(preds)) for preds in by_name.values()]


def _split_pairs(raw: str) -> list[str]:
    """Split on commas that start a new ``name:``, so a value may hold commas (a container title)."""
    parts: list[str] = []
    for piece in raw.split(","):
        if parts and not re.match(r"\s*[A-Za-z][\w.\-]*:", piece):
            parts[-1] += "," + piece
        else:
            parts.append(piece)
    return [p for p in parts if p.strip()]


def parse_facets(failures: list[Failure], raw: str) -> dict[str, int]:
    """``facet=name:N,name:*`` → {facet: most values}."""
    out: dict[str, int] = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        name, _, count = part.partition(":")
        name = name.strip()
        if name != "*" and name not in FACETS:
            failures.append(Failure("facet-not-available", name, f"Facet {name} specified but there is no such facet "
                                    f"for this route. Valid facets for this route are: {', '.join(FACETS)}, *"))
            continue
        if count.strip() in ("*", "t", "T", "1", ""):
            limit = MAX_FACET_VALUES
        else:
            parsed = _integer(failures, count.strip(), MAX_FACET_VALUES)
            if parsed is None:
                continue
            limit = parsed
        for facet in (FACETS if name == "*" else (name,)):
            out[facet] = min(limit, FACET_CAP_100) if facet in FACET_CAPPED_100 else limit
    return out


def parse_list_request(items: Sequence[tuple[str, str]], *, scope: list[q.Predicate] | None = None) -> ListRequest:
    """A /works (or /<entity>/{id}/works) query string as a ListRequest; raises ValidationFailure."""
    failures: list[Failure] = []
    first: dict[str, str] = {}
    field_queries: dict[str, str] = {}
    for name, value in items:
        if name.startswith("query."):
            field_queries.setdefault(name[len("query."):], value)
        elif name not in KNOWN_PARAMS:
            failures.append(Failure("unknown-parameter", name, f"Parameter {name} specified but there is no such "
                                    "parameter available on any route"))
        else:
            first.setdefault(name, value)
    req = ListRequest(where=list(scope or []))
    unknown_fields = [f for f in field_queries if f not in FIELD_QUERIES]
    for f in unknown_fields:
        failures.append(Failure("field-query-not-available", f"query.{f}",
                                f"Field query {f} specified byt there is no such field query for this route. Valid "
                                f"field queries for this route are: {', '.join(FIELD_QUERIES)}"))
    for f, text in field_queries.items():
        if f in FIELD_QUERIES:
            parsed = text_query(text)
            if parsed is not None:
                req.where.append(q.Text(FIELD_QUERIES[f], parsed))
    if first.get("query", "").strip():
        req.search_terms = first["query"]
        req.text = text_query(first["query"])
    rows = _integer(failures, first.get("rows"), MAX_ROWS)
    offset = _integer(failures, first.get("offset"), MAX_OFFSET,
                      " Use the cursor parameter to page further into result sets.")
    sample = _integer(failures, first.get("sample"), MAX_SAMPLE)
    req.rows = DEFAULT_ROWS if rows is None else rows
    req.offset = offset or 0
    if offset is not None and req.offset + req.rows > MAX_OFFSET:
        failures.append(Failure("integer-not-valid", first["offset"],
                                f"Integer specified as {first['offset']} but must be a positive integer less than or "
                                f"equal to {MAX_OFFSET - req.rows}.  Use the cursor parameter to page further into "
                                "result sets."))
    req.sample = sample or None  # sample=0 samples nothing: Crossref then lists as usual
    cursor = first.get("cursor")
    if cursor is not None:
        if first.get("offset") is not None or req.sample is not None:
            failures.append(Failure("cursor-with-offset-or-sample", "cursor",
                                    "Cursor cannot be combined with offset or sample"))
        req.cursor = cursor
    if "filter" in first:
        req.where.extend(parse_filters(failures, first["filter"]))
    if "facet" in first:
        req.facets = parse_facets(failures, first["facet"])
    if "select" in first:
        chosen = tuple(s.strip() for s in first["select"].split(",") if s.strip())
        for s in chosen:
            if s not in SELECTABLE:
                failures.append(Failure("select-not-available", s, f"Select {s} specified but there is no such "
                                        f"select for this route. Valid selects for this route are: "
                                        f"{', '.join(SELECTABLE)}"))
        req.select = chosen
    req.sort = _sort(failures, first.get("sort"), first.get("order"), req.text is not None or req.is_search)
    if failures:
        raise ValidationFailure(failures)
    return req


def _sort(failures: list[Failure], sort: str | None, order: str | None, searching: bool) -> tuple[q.Sort, ...]:
    if order is not None and order not in SORT_ORDERS:
        failures.append(Failure("sort-order-not-valid", order,
                                f"Sort order specified as {order} but must be one of: {', '.join(SORT_ORDERS)}"))
    descending = order not in ("asc", "1")
    if sort is None:
        # relevance when searching; else our stable key order (Crossref's default is its update date, which
        # would sort the whole corpus on every unsorted page)
        return (q.Sort(q.RELEVANCE, True), q.Sort(q.WORK)) if searching else (q.Sort(q.WORK),)
    key = SORT_FIELDS.get(sort)
    if key is None:
        failures.append(Failure("sort-field-not-valid", sort,
                                f"Sort field specified as {sort} but must be one of: {', '.join(SORT_FIELDS)}"))
        return (q.Sort(q.WORK),)
    return (q.Sort(key, descending), q.Sort(q.WORK, descending))
