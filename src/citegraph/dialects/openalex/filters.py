"""The OpenAlex ``filter=`` grammar → query predicates (spec/api-dialects.md §1.4).

One table (``FILTERS``) says what each filter key means; the functions read a filter value the
way upstream's field classes do (``ourresearch/openalex-elastic-api`` @5a6505c, core/filter.py and
core/fields.py): ``|`` OR, a leading ``!`` NOT, spaces (``+`` in a URL) AND, ranges, dates,
booleans, ``null``, and ids in every form OpenAlex accepts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import NamedTuple

from citegraph import ids
from citegraph import query as q
from citegraph.dialects.openalex import errors as e
from citegraph.dialects.openalex.errors import params_error

MAX_FILTER_VALUES = 100  # upstream MAX_IDS_IN_FILTER: values in one `|` OR or `+` AND

# Filter kinds: which of upstream's field classes a filter behaves as.
TERM = "term"  # a keyword (TermField)
OPENALEX_ID = "openalex_id"  # an OpenAlex entity id (OpenAlexIDField)
EXTERNAL_ID = "external_id"  # a DOI, PMID, ORCID, ROR, ISSN … (TermField on an id)
BOOL = "bool"  # true | false | null | !null (BooleanField)
BOOL_STRICT = "bool_strict"  # true | false only (upstream's external-id and has_references flags)
RANGE = "range"  # numbers and ranges (RangeField)
DATE = "date"  # one date, or >date, <date, null (DateField)
DATE_FROM = "date_from"  # from_…: on or after
DATE_TO = "date_to"  # to_…: on or before
SEARCH = "search"  # full text (SearchField)


class FilterSpec(NamedTuple):
    """How one OpenAlex filter key maps onto a query field."""

    kind: str
    field: str
    scheme: str | None = None  # EXTERNAL_ID: the id scheme its values are in
    prefixes: tuple[str, ...] = ()  # TERM: entity-URL prefixes stripped from values
    null_field: str | None = None  # EXTERNAL_ID: the has_… flag that `null` means false for


_W = FilterSpec(OPENALEX_ID, q.WORK_ID)
_TITLE = FilterSpec(SEARCH, q.TITLE)
_ABSTRACT = FilterSpec(SEARCH, q.ABSTRACT)
_TITLE_ABSTRACT = FilterSpec(SEARCH, q.TITLE_AND_ABSTRACT)
_FULLTEXT = FilterSpec(SEARCH, q.FULLTEXT_DEFAULT)

#: Every filter key this server answers (aliases included) and what it means.
FILTERS: dict[str, FilterSpec] = {
    "cites": FilterSpec(OPENALEX_ID, q.CITES),
    "referenced_works": FilterSpec(OPENALEX_ID, q.CITES),  # upstream: cites is its alias
    "cited_by": FilterSpec(OPENALEX_ID, q.CITED_BY),
    "related_to": FilterSpec(OPENALEX_ID, q.RELATED_TO),
    "openalex": _W,
    "openalex_id": _W,
    "ids.openalex": _W,
    "doi": FilterSpec(EXTERNAL_ID, q.WORK_ID, ids.DOI, null_field=q.HAS_DOI),
    "pmid": FilterSpec(EXTERNAL_ID, q.WORK_ID, ids.PMID, null_field=q.HAS_PMID),
    "ids.pmid": FilterSpec(EXTERNAL_ID, q.WORK_ID, ids.PMID, null_field=q.HAS_PMID),
    "pmcid": FilterSpec(EXTERNAL_ID, q.WORK_ID, ids.PMCID, null_field=q.HAS_PMCID),
    "ids.pmcid": FilterSpec(EXTERNAL_ID, q.WORK_ID, ids.PMCID, null_field=q.HAS_PMCID),
    "mag": FilterSpec(EXTERNAL_ID, q.WORK_ID, ids.MAG),
    "ids.mag": FilterSpec(EXTERNAL_ID, q.WORK_ID, ids.MAG),
    "publication_year": FilterSpec(RANGE, q.PUBLICATION_YEAR),
    "publication_date": FilterSpec(DATE, q.PUBLICATION_DATE),
    "from_publication_date": FilterSpec(DATE_FROM, q.PUBLICATION_DATE),
    "to_publication_date": FilterSpec(DATE_TO, q.PUBLICATION_DATE),
    "type": FilterSpec(TERM, q.TYPE, prefixes=("work-types/", "types/")),
    "type_crossref": FilterSpec(TERM, q.TYPE_SOURCE),
    "language": FilterSpec(TERM, q.LANGUAGE, prefixes=("languages/",)),
    "is_oa": FilterSpec(BOOL, q.IS_OA),
    "open_access.is_oa": FilterSpec(BOOL, q.IS_OA),
    "oa_status": FilterSpec(TERM, q.OA_STATUS, prefixes=("oa-statuses/",)),
    "open_access.oa_status": FilterSpec(TERM, q.OA_STATUS, prefixes=("oa-statuses/",)),
    "is_retracted": FilterSpec(BOOL, q.IS_RETRACTED),
    "is_paratext": FilterSpec(BOOL, q.IS_PARATEXT),
    "has_abstract": FilterSpec(BOOL, q.HAS_ABSTRACT),
    "has_doi": FilterSpec(BOOL_STRICT, q.HAS_DOI),
    "has_orcid": FilterSpec(BOOL_STRICT, q.HAS_ORCID),
    "has_pmid": FilterSpec(BOOL_STRICT, q.HAS_PMID),
    "has_pmcid": FilterSpec(BOOL_STRICT, q.HAS_PMCID),
    "has_references": FilterSpec(BOOL_STRICT, q.HAS_REFERENCES),
    "cited_by_count": FilterSpec(RANGE, q.CITED_BY_COUNT),
    "referenced_works_count": FilterSpec(RANGE, q.REFERENCED_WORKS_COUNT),
    "authors_count": FilterSpec(RANGE, q.AUTHORS_COUNT),
    "authorships.author.id": FilterSpec(OPENALEX_ID, q.AUTHOR_ID),
    "author.id": FilterSpec(OPENALEX_ID, q.AUTHOR_ID),
    "authorships.author.orcid": FilterSpec(EXTERNAL_ID, q.AUTHOR_ORCID, ids.ORCID),
    "author.orcid": FilterSpec(EXTERNAL_ID, q.AUTHOR_ORCID, ids.ORCID),
    "authorships.institutions.id": FilterSpec(OPENALEX_ID, q.INSTITUTION_ID),
    "institutions.id": FilterSpec(OPENALEX_ID, q.INSTITUTION_ID),
    "institution.id": FilterSpec(OPENALEX_ID, q.INSTITUTION_ID),
    "authorships.institutions.ror": FilterSpec(EXTERNAL_ID, q.INSTITUTION_ROR, ids.ROR),
    "institutions.ror": FilterSpec(EXTERNAL_ID, q.INSTITUTION_ROR, ids.ROR),
    "institutions.country_code": FilterSpec(TERM, q.COUNTRY_CODE, prefixes=("countries/",)),
    "authorships.institutions.country_code": FilterSpec(TERM, q.COUNTRY_CODE, prefixes=("countries/",)),
    "authorships.countries": FilterSpec(TERM, q.COUNTRY_CODE, prefixes=("countries/",)),
    "primary_location.source.id": FilterSpec(OPENALEX_ID, q.VENUE_ID),
    "locations.source.id": FilterSpec(OPENALEX_ID, q.VENUE_ID),  # we keep one venue per work
    "primary_location.source.issn": FilterSpec(EXTERNAL_ID, q.VENUE_ISSN, ids.ISSN),
    "primary_topic.id": FilterSpec(OPENALEX_ID, q.PRIMARY_TOPIC_ID),
    "topics.id": FilterSpec(OPENALEX_ID, q.TOPIC_ID),
    "concepts.id": FilterSpec(OPENALEX_ID, q.CONCEPT_ID),
    "concept.id": FilterSpec(OPENALEX_ID, q.CONCEPT_ID),
    "keywords.id": FilterSpec(TERM, q.KEYWORD, prefixes=("keywords/",)),
    "funders.id": FilterSpec(OPENALEX_ID, q.FUNDER_ID),
    "grants.funder": FilterSpec(OPENALEX_ID, q.FUNDER_ID),
    "title.search": _TITLE,
    "title.search.exact": _TITLE,
    "title.search.no_stem": _TITLE,
    "display_name.search": _TITLE,
    "display_name.search.exact": _TITLE,
    "display_name.search.no_stem": _TITLE,
    "abstract.search": _ABSTRACT,
    "abstract.search.exact": _ABSTRACT,
    "abstract.search.no_stem": _ABSTRACT,
    "title_and_abstract.search": _TITLE_ABSTRACT,
    "title_and_abstract.search.exact": _TITLE_ABSTRACT,
    "title_and_abstract.search.no_stem": _TITLE_ABSTRACT,
    "default.search": _FULLTEXT,
    "default.search.exact": _FULLTEXT,
    "fulltext.search": _FULLTEXT,
    "fulltext.search.exact": _FULLTEXT,
    "raw_affiliation_strings.search": FilterSpec(SEARCH, q.AFFILIATION),
    "raw_author_name.search": FilterSpec(SEARCH, q.AUTHOR_NAME),
}
#: Filter keys upstream skips rather than applies.
IGNORED_FILTERS: frozenset[str] = frozenset({"include_xpac"})

_OPENALEX_ID = re.compile(r"[WAICFVPSTG][0-9]{2,}")  # upstream normalize_openalex_id


# --- reading filters ---------------------------------------------------------------------------------
def split_filter(value: str | None) -> list[tuple[str, str]]:
    """Upstream map_filter_params: commas split (not inside double quotes), then ``key:value``."""
    if not value:
        return []
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    for char in value:
        if char == '"':
            in_quotes = not in_quotes
        if char == "," and not in_quotes:
            if current:
                parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        parts.append("".join(current))
    result: list[tuple[str, str]] = []
    for part in parts:
        if ":" not in part:
            raise params_error(e.MSG_FILTER_SYNTAX.format(part=part))
        key, val = part.split(":", 1)
        key = key.replace("-", "_")
        if not val or val.lower() in ("none", "undefined"):
            raise params_error(e.MSG_FILTER_EMPTY.format(key=key, value=val))
        result.append((key, val))  # the key as sent: error messages quote it so
    return result


def parse_filter(sent_key: str, value: str) -> list[q.Predicate]:
    """The predicates one ``key:value`` filter adds to the query's And (keys are case-blind)."""
    key = sent_key.lower()
    if key in IGNORED_FILTERS:
        return []
    spec = FILTERS.get(key)
    if spec is None:
        raise params_error(e.MSG_INVALID_FIELD.format(key=sent_key, valid=", ".join(sorted(FILTERS))))
    quoted = value.startswith('"') and value.endswith('"') and spec.kind != SEARCH
    if quoted:
        value = value[1:-1]
    if "|" in value:
        return _parse_or(key, spec, value)
    if " " in value and not quoted and spec.kind not in (SEARCH, RANGE, BOOL, BOOL_STRICT):
        words = value.split(" ")
        if len(words) > MAX_FILTER_VALUES:
            raise params_error(e.MSG_TOO_MANY_VALUES.format(key=key, max=MAX_FILTER_VALUES))
        return _merge_and([_value(key, spec, word) for word in words])
    pred = _value(key, spec, value)
    return [] if pred is None else [pred]


def _parse_or(key: str, spec: FilterSpec, value: str) -> list[q.Predicate]:
    """Upstream handle_or_query: ``a|b`` is OR; ``!a|b`` is NOT (a OR b)."""
    alternatives = value.split("|")
    if len(alternatives) > MAX_FILTER_VALUES:
        raise params_error(e.MSG_TOO_MANY_VALUES.format(key=key, max=MAX_FILTER_VALUES))
    if any(f"{other}:" in value for other in FILTERS):
        raise params_error(e.MSG_OR_BETWEEN_FILTERS.format(value=value))
    if value.startswith("!"):
        negated = [_value(key, spec, alt.replace("!", "")) for alt in alternatives]
        if any(p is None for p in negated):  # NOT (… OR everything): nothing matches
            return [q.Or(())]
        return _merge_and([_negate(p) for p in negated if p is not None])
    preds: list[q.Predicate] = []
    for alt in alternatives:
        if alt.startswith("!"):
            raise params_error(e.MSG_BANG_NOT_FIRST.format(value=alt))
        pred = _value(key, spec, alt)
        if pred is None:  # an alternative that matches everything makes the OR match everything
            return []
        preds.append(pred)
    return [_merge_or(preds)]


def _merge_or(preds: list[q.Predicate]) -> q.Predicate:
    """One Eq per field for the plain alternatives; an Or when kinds are mixed."""
    merged: list[q.Predicate] = []
    for pred in preds:
        if isinstance(pred, q.Eq) and not pred.negate:
            for i, prior in enumerate(merged):
                if isinstance(prior, q.Eq) and not prior.negate and prior.field == pred.field:
                    merged[i] = q.Eq(pred.field, prior.values + pred.values)
                    break
            else:
                merged.append(pred)
        else:
            merged.append(pred)
    return merged[0] if len(merged) == 1 else q.Or(tuple(merged))


def _merge_and(preds: Sequence[q.Predicate | None]) -> list[q.Predicate]:
    """Negated Eqs on one field become one (NOT a AND NOT b = NOT (a OR b)); the rest stay."""
    merged: list[q.Predicate] = []
    for pred in preds:
        if pred is None:
            continue
        if isinstance(pred, q.Eq) and pred.negate:
            for i, prior in enumerate(merged):
                if isinstance(prior, q.Eq) and prior.negate and prior.field == pred.field:
                    merged[i] = q.Eq(pred.field, prior.values + pred.values, negate=True)
                    break
            else:
                merged.append(pred)
        else:
            merged.append(pred)
    return merged


def _negate(pred: q.Predicate) -> q.Predicate:
    if isinstance(pred, q.Eq):
        return q.Eq(pred.field, pred.values, negate=not pred.negate)
    if isinstance(pred, q.Range):
        return q.Range(
            pred.field, pred.low, pred.high, pred.low_inclusive, pred.high_inclusive, not pred.negate
        )
    if isinstance(pred, q.IsNull):
        return q.IsNull(pred.field, negate=not pred.negate)
    if isinstance(pred, q.Text):
        return q.Text(pred.field, pred.query, negate=not pred.negate)
    if isinstance(pred, q.And):
        return q.Or(tuple(_negate(p) for p in pred.parts))
    return q.And(tuple(_negate(p) for p in pred.parts))


def _value(key: str, spec: FilterSpec, value: str) -> q.Predicate | None:
    """One filter value (it may start with ``!``); None when it matches every work."""
    kind = spec.kind
    if kind == SEARCH:
        if any(word.startswith("!") for word in value.split()):
            raise params_error(e.MSG_SEARCH_FILTER_BANG.format(value=value))
        parsed = q.parse_search(value)
        return None if parsed is None else q.Text(spec.field, parsed)
    if kind == RANGE:
        return _range_value(key, spec.field, value)
    if kind in (DATE, DATE_FROM, DATE_TO):
        return _date_value(key, spec, value)
    if kind == BOOL_STRICT:
        flag = value.lower().strip()
        if flag not in ("true", "false"):
            raise params_error(e.MSG_BOOL_TRUE_FALSE.format(key=key, value=flag))
        return q.Eq(spec.field, (flag == "true",))
    if value.lower() in ("null", "!null"):
        negate = value.startswith("!")
        if spec.null_field is not None:  # doi:null means "has no DOI"
            return q.Eq(spec.null_field, (negate,))
        return q.IsNull(spec.field, negate=negate)
    if kind == BOOL:
        flag = value.lower().strip()
        if flag not in ("true", "false"):
            raise params_error(e.MSG_BOOL_VALUES.format(key=key, value=flag))
        return q.Eq(spec.field, (flag == "true",))
    negate = value.startswith("!")
    bare = value[1:] if negate else value
    if kind == OPENALEX_ID:
        pair = _openalex_value(bare)
        if pair is None:
            if spec.field in (q.CITED_BY, q.RELATED_TO) and not negate:
                raise params_error(e.MSG_CITED_BY_ID)
            raise params_error(
                e.MSG_INVALID_OPENALEX_ID.format(value=value.replace("https://openalex.org/", ""))
            )
        return q.Eq(spec.field, (pair,), negate=negate)
    if kind == EXTERNAL_ID:
        assert spec.scheme is not None
        return q.Eq(spec.field, (external_id(spec.scheme, bare),), negate=negate)
    return q.Eq(spec.field, (_strip_entity_prefix(bare, spec.prefixes),), negate=negate)


def _number_value(key: str, text: str) -> int | float:
    """A filter number as upstream's float() reads it; whole numbers come back as ints."""
    try:
        number = float(text)
    except ValueError:
        raise params_error(e.MSG_NOT_A_NUMBER_FILTER.format(key=key)) from None
    if not math.isfinite(number):
        raise params_error(e.MSG_NOT_A_NUMBER_FILTER.format(key=key))
    # Exact ints only where a float holds them exactly; SQL binds the rest as floats.
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _range_value(key: str, field: str, v: str) -> q.Predicate:
    """Upstream RangeField.build_query, branch for branch (``!null`` is ours)."""
    if "<" in v:
        return q.Range(field, high=_number_value(key, v[1:]), high_inclusive=False)
    if v.startswith("-"):
        return q.Range(field, high=_number_value(key, v[1:]))
    if ">" in v:
        return q.Range(field, low=_number_value(key, v[1:]), low_inclusive=False)
    if v.endswith("-"):
        return q.Range(field, low=_number_value(key, v[:-1]))
    if v.startswith("!"):
        if v.lower() == "!null":
            return q.IsNull(field, negate=True)
        if "-" in v:
            low, high = v[1:].strip().split("-")[:2]
            return q.Range(field, _number_value(key, low), _number_value(key, high), negate=True)
        return q.Eq(field, (_number_value(key, v[1:]),), negate=True)
    if "-" in v:
        low, high = v.strip().split("-")[:2]
        return q.Range(field, _number_value(key, low), _number_value(key, high))
    if v.lower() == "null":
        return q.IsNull(field)
    return q.Eq(field, (_number_value(key, v),))


def _date_value(key: str, spec: FilterSpec, v: str) -> q.Predicate:
    """Upstream DateField.build_query."""

    def date(text: str) -> str:
        if not q.is_iso_date(text):
            raise params_error(e.MSG_INVALID_DATE.format(key=key))
        return text

    if "<" in v:
        return q.Range(spec.field, high=date(v[1:]), high_inclusive=False)
    if ">" in v:
        return q.Range(spec.field, low=date(v[1:]), low_inclusive=False)
    if spec.kind == DATE_TO:
        return q.Range(spec.field, high=date(v))
    if spec.kind == DATE_FROM:
        return q.Range(spec.field, low=date(v))
    if v.lower() == "null":
        return q.IsNull(spec.field)
    return q.Eq(spec.field, (date(v),))


def _strip_entity_prefix(value: str, prefixes: tuple[str, ...]) -> str:
    """``https://openalex.org/languages/en`` → ``en`` (upstream _strip_openalex_prefix)."""
    if value.startswith("https://openalex.org/"):
        value = value[len("https://openalex.org/") :]
    for prefix in prefixes:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


# --- identifiers -------------------------------------------------------------------------------
def find_openalex_id(text: str) -> str | None:
    """The first OpenAlex short id in ``text``, upper-cased (upstream's lenient search), or None."""
    match = _OPENALEX_ID.search(text.strip().upper().replace("\0", ""))
    return None if match is None else match.group()


def _openalex_value(text: str) -> tuple[str, str] | None:
    """The canonical pair of the first OpenAlex id in ``text``, or None."""
    short = find_openalex_id(text)
    return None if short is None else openalex_pair(short)


def openalex_pair(short: str) -> tuple[str, str]:
    """The canonical pair of an OpenAlex short id (``W123``, ``A5023888391``, …)."""
    try:
        return (ids.OPENALEX, ids.normalize(ids.OPENALEX, short))
    except ids.IdError:
        # A letter ids does not know (upstream accepts WAICFVPSTG): keep the key, zeros dropped.
        return (ids.OPENALEX, short[0] + str(int(short[1:])))


def external_id(scheme: str, text: str) -> tuple[str, str]:
    """The canonical pair for a value of an external-id filter in ``scheme``.

    Values in any form ids reads (bare, URL, ``scheme:``-prefixed) are normalised; a value that
    is not a valid id of that scheme keeps its lowercased text, which matches no work (upstream
    does not reject malformed DOIs or PMIDs either; it finds nothing).
    """
    pair = strict_external_id(scheme, text)
    return pair if pair is not None else (scheme, text.strip().lower())


def strict_external_id(scheme: str, text: str) -> tuple[str, str] | None:
    """The canonical pair when ``text`` is a valid id of ``scheme``, else None."""
    text = text.strip()
    try:
        return (scheme, ids.normalize(scheme, text))
    except ids.IdError:
        pass
    try:  # a prefixed form such as doi:10.1/x or pmid:123
        pair = ids.parse_id(text)
    except ids.IdError:
        return None
    return pair if pair[0] == scheme else None
