"""The dialect-neutral query model: what a request over works asks for, with no SQL in it.

Each dialect parses its own request syntax into a :class:`Query`; each store compiles a
``Query`` to parameterised SQL. The model is pure data (frozen dataclasses) plus the rules that
keep it well formed: a structurally wrong query (a range over a keyword field, a text search
over a numeric one) raises :class:`QueryError` when it is built, so a store never sees it.

Fields are canonical names (``FIELDS`` holds each one's kind). Values by kind:

* ``keyword``: ``str``, compared case-insensitively (values are lowercased here);
* ``id``: a canonical ``(scheme, value)`` pair from :mod:`citegraph.ids`;
* ``bool``: ``bool``; ``int``: ``int`` (or a finite ``float`` in a range bound or equality);
* ``date``: an ISO date string ``YYYY-MM-DD``;
* ``text``: only through :class:`Text` with a :class:`TextQuery` tree.

Multi-valued fields (authors, institutions, topics, the relations) match when any of their
values does. The relations read the same way: CITES holds the work's references (so
``Eq(CITES, (x,))`` is "works citing x"), CITED_BY holds its citers ("works cited by x"),
RELATED_TO its related works. ``negate`` on any predicate is plain logical NOT: a work with no
value never satisfies the positive predicate, so it does satisfy the negated one (in SQL,
``NOT`` must not let a NULL comparison drop the row).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

import msgspec


class QueryError(ValueError):
    """A query that is not well formed (a wrong field, kind, value or combination)."""


class CursorSortError(QueryError):
    """A cursor whose values are not of the kinds its query's sort orders by (cursors are not signed: one may be
    forged or altered)."""


class CursorError(ValueError):
    """A cursor string that this library did not issue, or that is damaged."""


class FieldKind(StrEnum):
    """What kind of values a field holds, which decides the predicates allowed on it."""

    KEYWORD = "keyword"
    ID = "id"
    BOOL = "bool"
    INT = "int"
    DATE = "date"
    TEXT = "text"


# --- fields ------------------------------------------------------------------------------------
PUBLICATION_YEAR = "publication_year"
PUBLICATION_DATE = "publication_date"
TYPE = "type"  # the OpenAlex work-type vocabulary (article, book-chapter, …)
TYPE_SOURCE = "type_source"  # the source's own type string (Crossref type, …)
LANGUAGE = "language"
IS_OA = "is_oa"
OA_STATUS = "oa_status"
IS_RETRACTED = "is_retracted"
IS_PARATEXT = "is_paratext"
HAS_DOI = "has_doi"
HAS_ABSTRACT = "has_abstract"
HAS_REFERENCES = "has_references"
HAS_ORCID = "has_orcid"
HAS_PMID = "has_pmid"
HAS_PMCID = "has_pmcid"
CITED_BY_COUNT = "cited_by_count"
REFERENCED_WORKS_COUNT = "referenced_works_count"
AUTHORS_COUNT = "authors_count"
WORK_ID = "work_id"  # any external id of the work itself
AUTHOR_ID = "author_id"
AUTHOR_ORCID = "author_orcid"
INSTITUTION_ID = "institution_id"
INSTITUTION_ROR = "institution_ror"
COUNTRY_CODE = "country_code"  # of any author affiliation
VENUE_ID = "venue_id"
VENUE_ISSN = "venue_issn"
TOPIC_ID = "topic_id"
PRIMARY_TOPIC_ID = "primary_topic_id"
CONCEPT_ID = "concept_id"
KEYWORD = "keyword"
FUNDER_ID = "funder_id"
PUBLISHER = "publisher"  # the publisher's name
# Crossref's metadata (filled from any source that carries it): dates at day precision, a partial date
# taken as its earliest day (Crossref's own rule)
CREATED_DATE = "created_date"  # when the DOI's metadata was first deposited (OpenAlex: created_date)
DEPOSITED_DATE = "deposited_date"  # last deposit by the member
INDEXED_DATE = "indexed_date"  # last (re)indexed by Crossref
PRINT_DATE = "print_date"  # published in print
ONLINE_DATE = "online_date"  # published online
MEMBER = "member"  # the Crossref member id
DOI_PREFIX = "doi_prefix"  # the DOI's prefix (10.1234), from the DOI itself
REFERENCE_VISIBILITY = "reference_visibility"  # open | limited | closed
CONTAINER_TITLE = "container_title"  # any container title (journal, book, proceedings)
FIELD_OF_STUDY = "field_of_study"  # a broad field: S2's fieldsOfStudy, the field of an OpenAlex topic
ISBN = "isbn"
LICENSE_URL = "license_url"
FUNDER_NAME = "funder_name"  # funders named without an id (funders with ids are FUNDER_ID)
AFFILIATION_NAME = "affiliation_name"  # affiliations named without an institution id of their own source
FULL_TEXT_TYPE = "full_text_type"  # content types of full-text links for text mining or similarity checking
UPDATE_OF = "update_of"  # the works this one updates (corrections, retractions): ids
IMPACT_SUBJECT = "impact_subject"  # the subject a work's citations are normalised within (level:name)
HAS_FUNDER = "has_funder"
HAS_LICENSE = "has_license"
HAS_FULL_TEXT = "has_full_text"
HAS_AFFILIATION = "has_affiliation"
HAS_ROR_ID = "has_ror_id"
IS_UPDATE = "is_update"
#: Works that cite any of the given works (their reference lists contain one of them).
CITES = "cites"
#: Works cited by any of the given works (they appear in one of those reference lists).
CITED_BY = "cited_by"
#: Works related to any of the given works (upstream's ``related_works``).
RELATED_TO = "related_to"

# Text fields (only through Text predicates).
TITLE = "title"
ABSTRACT = "abstract"
TITLE_AND_ABSTRACT = "title_and_abstract"
FULLTEXT_DEFAULT = "fulltext_default"  # title + abstract + author names + venue name
AFFILIATION = "affiliation"  # raw affiliation strings
AUTHOR_NAME = "author_name"
VENUE_NAME = "venue_name"
PUBLISHER_TEXT = "publisher_text"  # the publisher's name, searched as text
FUNDER_TEXT = "funder_text"  # funder names, searched as text
BIBLIOGRAPHIC = "bibliographic"  # title, author names, venue and year: a reference as it is cited

#: Every field and its kind: the one table the dialects and stores consult.
FIELDS: dict[str, FieldKind] = {
    PUBLICATION_YEAR: FieldKind.INT,
    PUBLICATION_DATE: FieldKind.DATE,
    TYPE: FieldKind.KEYWORD,
    TYPE_SOURCE: FieldKind.KEYWORD,
    LANGUAGE: FieldKind.KEYWORD,
    IS_OA: FieldKind.BOOL,
    OA_STATUS: FieldKind.KEYWORD,
    IS_RETRACTED: FieldKind.BOOL,
    IS_PARATEXT: FieldKind.BOOL,
    HAS_DOI: FieldKind.BOOL,
    HAS_ABSTRACT: FieldKind.BOOL,
    HAS_REFERENCES: FieldKind.BOOL,
    HAS_ORCID: FieldKind.BOOL,
    HAS_PMID: FieldKind.BOOL,
    HAS_PMCID: FieldKind.BOOL,
    CITED_BY_COUNT: FieldKind.INT,
    REFERENCED_WORKS_COUNT: FieldKind.INT,
    AUTHORS_COUNT: FieldKind.INT,
    WORK_ID: FieldKind.ID,
    AUTHOR_ID: FieldKind.ID,
    AUTHOR_ORCID: FieldKind.ID,
    INSTITUTION_ID: FieldKind.ID,
    INSTITUTION_ROR: FieldKind.ID,
    COUNTRY_CODE: FieldKind.KEYWORD,
    VENUE_ID: FieldKind.ID,
    VENUE_ISSN: FieldKind.ID,
    TOPIC_ID: FieldKind.ID,
    PRIMARY_TOPIC_ID: FieldKind.ID,
    CONCEPT_ID: FieldKind.ID,
    KEYWORD: FieldKind.KEYWORD,
    FUNDER_ID: FieldKind.ID,
    PUBLISHER: FieldKind.KEYWORD,
    CREATED_DATE: FieldKind.DATE,
    DEPOSITED_DATE: FieldKind.DATE,
    INDEXED_DATE: FieldKind.DATE,
    PRINT_DATE: FieldKind.DATE,
    ONLINE_DATE: FieldKind.DATE,
    MEMBER: FieldKind.KEYWORD,
    DOI_PREFIX: FieldKind.KEYWORD,
    REFERENCE_VISIBILITY: FieldKind.KEYWORD,
    CONTAINER_TITLE: FieldKind.KEYWORD,
    FIELD_OF_STUDY: FieldKind.KEYWORD,
    ISBN: FieldKind.ID,
    LICENSE_URL: FieldKind.KEYWORD,
    FUNDER_NAME: FieldKind.KEYWORD,
    AFFILIATION_NAME: FieldKind.KEYWORD,
    FULL_TEXT_TYPE: FieldKind.KEYWORD,
    UPDATE_OF: FieldKind.ID,
    HAS_FUNDER: FieldKind.BOOL,
    HAS_LICENSE: FieldKind.BOOL,
    HAS_FULL_TEXT: FieldKind.BOOL,
    HAS_AFFILIATION: FieldKind.BOOL,
    HAS_ROR_ID: FieldKind.BOOL,
    IS_UPDATE: FieldKind.BOOL,
    CITES: FieldKind.ID,
    CITED_BY: FieldKind.ID,
    RELATED_TO: FieldKind.ID,
    TITLE: FieldKind.TEXT,
    ABSTRACT: FieldKind.TEXT,
    TITLE_AND_ABSTRACT: FieldKind.TEXT,
    FULLTEXT_DEFAULT: FieldKind.TEXT,
    AFFILIATION: FieldKind.TEXT,
    AUTHOR_NAME: FieldKind.TEXT,
    VENUE_NAME: FieldKind.TEXT,
    PUBLISHER_TEXT: FieldKind.TEXT,
    FUNDER_TEXT: FieldKind.TEXT,
    BIBLIOGRAPHIC: FieldKind.TEXT,
}

#: The graph relations: id fields whose values name other works, not properties of this one.
RELATION_FIELDS: frozenset[str] = frozenset({CITES, CITED_BY, RELATED_TO})

#: Kinds a range can apply to (ordered values).
RANGE_KINDS: frozenset[FieldKind] = frozenset({FieldKind.INT, FieldKind.DATE})
#: Kinds a group-by can bucket on (discrete values).
GROUP_KINDS: frozenset[FieldKind] = frozenset(
    {FieldKind.KEYWORD, FieldKind.ID, FieldKind.BOOL, FieldKind.INT}
)
#: Fields no group-by may use: one bucket per work (WORK_ID) or a graph relation.
UNGROUPABLE_FIELDS: frozenset[str] = frozenset({WORK_ID}) | RELATION_FIELDS

# --- sort keys ---------------------------------------------------------------------------------
DISPLAY_NAME = "display_name"  # the title
RELEVANCE = "relevance"  # the full-text score of the query's text (0 for every work without text)
WORK = "work"  # the internal work id: the final tiebreak of every order

#: Every key a Sort may use.
SORT_KEYS: frozenset[str] = frozenset(
    {
        CITED_BY_COUNT,
        PUBLICATION_DATE,
        PUBLICATION_YEAR,
        DISPLAY_NAME,
        RELEVANCE,
        WORK,
        REFERENCED_WORKS_COUNT,
        CREATED_DATE,
        DEPOSITED_DATE,
        INDEXED_DATE,
        PRINT_DATE,
        ONLINE_DATE,
    }
)

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_iso_date(text: str) -> bool:
    """True when ``text`` is a real calendar date written ``YYYY-MM-DD``."""
    if not _ISO_DATE.fullmatch(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _field_kind(name: object) -> FieldKind:
    if not isinstance(name, str) or name not in FIELDS:
        raise QueryError(f"unknown field {name!r}")
    return FIELDS[name]


def _is_number(value: object) -> bool:
    # bool is an int subclass, but True is not a count.
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _check_value(field: str, kind: FieldKind, value: object) -> object:
    """Validate one value for a field of ``kind``; returns the value in canonical form."""
    if kind is FieldKind.KEYWORD:
        if not isinstance(value, str):
            raise QueryError(f"{field} takes strings, not {value!r}")
        return value.lower()
    if kind is FieldKind.ID:
        if not (isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)):
            raise QueryError(f"{field} takes (scheme, value) id pairs, not {value!r}")
        return value
    if kind is FieldKind.BOOL:
        if not isinstance(value, bool):
            raise QueryError(f"{field} takes true or false, not {value!r}")
        return value
    if kind is FieldKind.INT:
        if not _is_number(value):
            raise QueryError(f"{field} takes finite numbers, not {value!r}")
        return value
    if kind is FieldKind.DATE:
        if not (isinstance(value, str) and is_iso_date(value)):
            raise QueryError(f"{field} takes YYYY-MM-DD dates, not {value!r}")
        return value
    raise QueryError(f"{field} is a text field: use a Text predicate")


# --- text queries ------------------------------------------------------------------------------
#: Edits a fuzzy term allows at most (the index's automaton is built for up to two).
MAX_FUZZY_EDITS = 2
#: Words a phrase may have between its own at most: beyond this a phrase is no longer a phrase.
MAX_PHRASE_SLOP = 100


@dataclass(frozen=True, slots=True)
class Term:
    """One search word, lowercased; the store's analyser tokenises and stems it.

    A word the analyser splits into several tokens (``covid-19``) is matched as a phrase of them. ``prefix``: the
    word matches any word it begins (after stemming: ``comput`` finds computing and computers); ``fuzzy``: any word
    within that many edits (a transposition counting one), at most :data:`MAX_FUZZY_EDITS`.
    """

    text: str
    prefix: bool = False
    fuzzy: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text or any(c.isspace() for c in self.text):
            raise QueryError(f"a search term is one non-empty word, not {self.text!r}")
        if not (_is_int(self.fuzzy) and 0 <= self.fuzzy <= MAX_FUZZY_EDITS) or (self.prefix and self.fuzzy):
            raise QueryError(f"a term is a prefix or fuzzy within 0..{MAX_FUZZY_EDITS} edits, not {self!r}")

    def __str__(self) -> str:
        return self.text + ("*" if self.prefix else f"~{self.fuzzy}" if self.fuzzy else "")


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words that must appear next to each other, in this order (a quoted phrase); ``slop``: up to that many other
    words between them (at most :data:`MAX_PHRASE_SLOP`)."""

    words: tuple[str, ...]
    slop: int = 0

    def __post_init__(self) -> None:
        if len(self.words) < 2 or not all(
            isinstance(w, str) and w and not any(c.isspace() or c == '"' for c in w) for w in self.words
        ):
            raise QueryError(f"a phrase is two or more words, not {self.words!r}")
        if not (_is_int(self.slop) and 0 <= self.slop <= MAX_PHRASE_SLOP):
            raise QueryError(f"a phrase's slop is 0..{MAX_PHRASE_SLOP}, not {self.slop!r}")

    def __str__(self) -> str:
        return '"' + " ".join(self.words) + '"' + (f"~{self.slop}" if self.slop else "")


@dataclass(frozen=True, slots=True)
class TextAnd:
    """Every part must match."""

    parts: tuple[TextQuery, ...]

    def __post_init__(self) -> None:
        _check_text_parts(self.parts, "TextAnd")

    def __str__(self) -> str:
        return " AND ".join(_wrap(p) for p in self.parts)


@dataclass(frozen=True, slots=True)
class TextOr:
    """At least one part must match."""

    parts: tuple[TextQuery, ...]

    def __post_init__(self) -> None:
        _check_text_parts(self.parts, "TextOr")

    def __str__(self) -> str:
        return " OR ".join(_wrap(p) for p in self.parts)


@dataclass(frozen=True, slots=True)
class TextNot:
    """The part must not match."""

    part: TextQuery

    def __post_init__(self) -> None:
        if not isinstance(self.part, _TEXT_NODES):
            raise QueryError(f"TextNot takes a text query, not {self.part!r}")

    def __str__(self) -> str:
        return "NOT " + _wrap(self.part)


#: A boolean tree of search words and phrases.
TextQuery: TypeAlias = Term | Phrase | TextAnd | TextOr | TextNot
_TEXT_NODES = (Term, Phrase, TextAnd, TextOr, TextNot)


def _check_text_parts(parts: object, name: str) -> None:
    if not isinstance(parts, tuple) or len(parts) < 2 or not all(isinstance(p, _TEXT_NODES) for p in parts):
        raise QueryError(f"{name} takes a tuple of two or more text queries, not {parts!r}")


def _wrap(node: TextQuery) -> str:
    return f"({node})" if isinstance(node, TextAnd | TextOr) else str(node)


def text_terms(query: TextQuery) -> Iterator[str]:
    """Every word the query mentions outside a NOT (for highlighting or scoring hints)."""
    if isinstance(query, Term):
        yield query.text
    elif isinstance(query, Phrase):
        yield from query.words
    elif isinstance(query, TextAnd | TextOr):
        for part in query.parts:
            yield from text_terms(part)


#: Characters OpenAlex strips from a search: wildcards and fuzziness are not supported.
SEARCH_STRIPPED_CHARS = "*?~"
#: The boolean operators of the search syntax; only the uppercase words are operators.
SEARCH_OPERATORS = frozenset({"AND", "OR", "NOT"})
#: Deeper parentheses than this are read as plain grouping-free text (bounds recursion).
MAX_SEARCH_NESTING = 32

_SEARCH_TOKEN = re.compile(r'"[^"]*"?|\(|\)|[^\s()"]+')
# Stripped characters vanish; parentheses inside a phrase separate words (a word never holds one).
_STRIP_TABLE = str.maketrans("()", "  ", SEARCH_STRIPPED_CHARS)
_WORDISH = re.compile(r"\w")


def _clean_words(raw: str) -> list[str]:
    """Split text into lowercased words, dropping stripped characters and pure punctuation."""
    words = raw.translate(_STRIP_TABLE).lower().split()
    return [w for w in words if _WORDISH.search(w)]


def parse_search(text: str) -> TextQuery | None:
    """Parse OpenAlex search syntax into a TextQuery, or None when nothing searchable remains.

    Words are ANDed by default; ``AND``, ``OR`` and ``NOT`` (uppercase only) are operators with
    the usual precedence (NOT, then AND, then OR); ``"double quotes"`` make a phrase; parentheses
    group. ``*``, ``?`` and ``~`` are stripped. Any string parses: unbalanced parentheses and
    quotes, and dangling operators, are tolerated rather than rejected.
    """
    tokens: list[str] = _SEARCH_TOKEN.findall(text)
    parser = _SearchParser(tokens)
    return parser.parse()


class _SearchParser:
    """Recursive descent over search tokens (depth bounded by MAX_SEARCH_NESTING)."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def parse(self) -> TextQuery | None:
        result = self._or()
        while self.pos < len(self.tokens):  # stray ")" at top level: skip and keep reading
            self.pos += 1
            rest = self._or()
            result = _combine(TextAnd, [n for n in (result, rest) if n is not None])
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _or(self) -> TextQuery | None:
        parts = []
        first = self._and()
        if first is not None:
            parts.append(first)
        while self._peek() == "OR":
            self.pos += 1
            nxt = self._and()
            if nxt is not None:
                parts.append(nxt)
        return _combine(TextOr, parts)

    def _and(self) -> TextQuery | None:
        parts: list[TextQuery] = []
        while True:
            tok = self._peek()
            if tok is None or tok in (")", "OR"):
                break
            if tok == "AND":
                self.pos += 1
                continue
            node = self._unary()
            if node is not None:
                parts.append(node)
        return _combine(TextAnd, parts)

    def _unary(self) -> TextQuery | None:
        negations = 0
        while self._peek() == "NOT":
            self.pos += 1
            negations += 1
        tok = self._peek()
        if tok is None or tok in (")", "OR", "AND"):
            return None  # a dangling NOT negates nothing
        node = self._primary()
        if node is None:
            return None
        if negations % 2 == 0:
            return node
        # NOT of a negation (``NOT (NOT a)``) is the thing itself: one shape for equal queries
        return node.part if isinstance(node, TextNot) else TextNot(node)

    def _primary(self) -> TextQuery | None:
        tok = self.tokens[self.pos]
        self.pos += 1
        if tok == "(":
            if self.depth >= MAX_SEARCH_NESTING:
                return None  # too deep: the parenthesis is ignored, its contents read inline
            self.depth += 1
            inner = self._or()
            self.depth -= 1
            if self._peek() == ")":
                self.pos += 1
            return inner
        if tok.startswith('"'):
            words = _clean_words(tok.strip('"'))
            if len(words) >= 2:
                return Phrase(tuple(words))
            return Term(words[0]) if words else None
        words = _clean_words(tok)
        if not words:
            return None
        return Term(words[0]) if len(words) == 1 else _combine(TextAnd, [Term(w) for w in words])


def _combine(kind: type[TextAnd] | type[TextOr], parts: list[TextQuery]) -> TextQuery | None:
    # Flatten same-kind children so equal queries have one shape.
    flat: list[TextQuery] = []
    for part in parts:
        if isinstance(part, kind):
            flat.extend(part.parts)
        else:
            flat.append(part)
    if not flat:
        return None
    if len(flat) == 1:
        return flat[0]
    return kind(tuple(flat))


# --- predicates --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Eq:
    """The field equals any of ``values`` (OR); with ``negate``, it equals none of them.

    For a multi-valued field "equals" means "has among its values". Keyword values compare
    case-insensitively (they are lowercased here; the store compares lowercased columns).
    """

    field: str
    values: tuple[object, ...]
    negate: bool = False

    def __post_init__(self) -> None:
        kind = _field_kind(self.field)
        if kind is FieldKind.TEXT:
            raise QueryError(f"{self.field} is a text field: use a Text predicate")
        if not isinstance(self.values, tuple) or not self.values:
            raise QueryError(f"Eq on {self.field} needs a non-empty tuple of values")
        checked = tuple(_check_value(self.field, kind, v) for v in self.values)
        object.__setattr__(self, "values", tuple(dict.fromkeys(checked)))


@dataclass(frozen=True, slots=True)
class Range:
    """The field lies between ``low`` and ``high`` (either may be None for an open end).

    Int fields take numbers, date fields ISO dates. ``negate`` is NOT (a work without a value
    matches it).
    """

    field: str
    low: object = None
    high: object = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    negate: bool = False

    def __post_init__(self) -> None:
        kind = _field_kind(self.field)
        if kind not in RANGE_KINDS:
            raise QueryError(f"a range needs an int or date field, not {self.field} ({kind})")
        if self.low is None and self.high is None:
            raise QueryError(f"a range on {self.field} needs at least one bound")
        for bound in (self.low, self.high):
            if bound is not None:
                _check_value(self.field, kind, bound)


@dataclass(frozen=True, slots=True)
class IsNull:
    """The field has no value (``negate``: it has one). For a relation: no such works exist."""

    field: str
    negate: bool = False

    def __post_init__(self) -> None:
        if _field_kind(self.field) is FieldKind.TEXT:
            raise QueryError(f"{self.field} is a text field: use a Text predicate")


@dataclass(frozen=True, slots=True)
class Text:
    """The text field matches the full-text query (``negate``: does not match).

    A positive Text predicate also contributes to the relevance score.
    """

    field: str
    query: TextQuery
    negate: bool = False

    def __post_init__(self) -> None:
        if _field_kind(self.field) is not FieldKind.TEXT:
            raise QueryError(f"{self.field} is not a text field")
        if not isinstance(self.query, _TEXT_NODES):
            raise QueryError(f"Text on {self.field} needs a TextQuery, not {self.query!r}")


@dataclass(frozen=True, slots=True)
class And:
    """Every part holds. An empty And holds for every work."""

    parts: tuple[Predicate, ...]

    def __post_init__(self) -> None:
        _check_parts(self.parts, "And")


@dataclass(frozen=True, slots=True)
class Or:
    """At least one part holds (mixed alternatives such as ``value OR missing``).

    An empty Or holds for no work.
    """

    parts: tuple[Predicate, ...]

    def __post_init__(self) -> None:
        _check_parts(self.parts, "Or")


#: Any predicate.
Predicate: TypeAlias = Eq | Range | IsNull | Text | And | Or
_PREDICATES = (Eq, Range, IsNull, Text, And, Or)


def _check_parts(parts: object, name: str) -> None:
    if not isinstance(parts, tuple) or not all(isinstance(p, _PREDICATES) for p in parts):
        raise QueryError(f"{name} takes a tuple of predicates, not {parts!r}")


def walk(predicate: Predicate) -> Iterator[Predicate]:
    """Every predicate in the tree, parents before children."""
    yield predicate
    if isinstance(predicate, And | Or):
        for part in predicate.parts:
            yield from walk(part)


# --- order, pages, projection, grouping, sampling ------------------------------------------------
@dataclass(frozen=True, slots=True)
class Sort:
    """Order by ``key`` (one of SORT_KEYS); missing values sort last in either direction."""

    key: str
    descending: bool = False

    def __post_init__(self) -> None:
        if self.key not in SORT_KEYS:
            raise QueryError(f"unknown sort key {self.key!r}")


@dataclass(frozen=True, slots=True)
class Page:
    """Page ``number`` (from 1) of ``size`` results."""

    number: int = 1
    size: int = 25

    def __post_init__(self) -> None:
        if not (_is_int(self.number) and self.number >= 1 and _is_int(self.size) and self.size >= 1):
            raise QueryError(f"a page needs number >= 1 and size >= 1, not {self.number}, {self.size}")

    @property
    def offset(self) -> int:
        """How many results come before this page."""
        return (self.number - 1) * self.size


@dataclass(frozen=True, slots=True)
class Cursor:
    """``size`` results after the row whose sort values are ``after`` (None: from the start).

    ``after`` holds one value per key of ``Query.sort`` (for a group-by: the last group's key).
    """

    after: tuple[object, ...] | None = None
    size: int = 25

    def __post_init__(self) -> None:
        if not (_is_int(self.size) and self.size >= 1):
            raise QueryError(f"a cursor page needs size >= 1, not {self.size}")
        if self.after is not None and not isinstance(self.after, tuple):
            raise QueryError("a cursor position is a tuple of sort values")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class GroupBy:
    """Count works per value of ``field`` instead of listing them.

    ``include_unknown`` adds a bucket for works without a value. Buckets are ordered by
    ``order`` ("count" or "key"); a Cursor page over groups always walks them by key.
    """

    field: str
    include_unknown: bool = False
    order: str = "count"
    descending: bool = True

    def __post_init__(self) -> None:
        kind = _field_kind(self.field)
        if kind not in GROUP_KINDS or self.field in UNGROUPABLE_FIELDS:
            raise QueryError(f"cannot group by {self.field} ({kind})")
        if self.order not in ("count", "key"):
            raise QueryError(f"groups are ordered by count or key, not {self.order!r}")


@dataclass(frozen=True, slots=True)
class Sample:
    """A random sample of ``size`` matching works, reproducible when ``seed`` is given.

    Sampled results come in the sample's own random order (``Query.sort`` is empty); a page
    walks that order; a cursor serves only the first page (with no next cursor).
    """

    size: int
    seed: str | None = None

    def __post_init__(self) -> None:
        if not (_is_int(self.size) and self.size >= 0):
            raise QueryError(f"a sample size is a whole number >= 0, not {self.size!r}")


@dataclass(frozen=True, slots=True)
class Query:
    """A query over works.

    ``where`` filters; ``text`` is the relevance search over FULLTEXT_DEFAULT (it filters too);
    ``sort`` orders, ending with WORK as the tiebreak; ``page`` is a Page or a Cursor;
    ``select`` names the output fields (dialect vocabulary, None = all); ``group_by`` turns
    the answer into counts; ``sample`` draws a random subset.
    """

    where: And | None = None
    text: TextQuery | None = None
    sort: tuple[Sort, ...] = ()
    page: Page | Cursor = Page()
    select: tuple[str, ...] | None = None
    group_by: GroupBy | None = None
    sample: Sample | None = None

    def __post_init__(self) -> None:
        if self.where is not None and not isinstance(self.where, And):
            raise QueryError("Query.where is an And (or None)")
        if self.text is not None and not isinstance(self.text, _TEXT_NODES):
            raise QueryError("Query.text is a TextQuery (or None)")
        if not isinstance(self.sort, tuple) or not all(isinstance(s, Sort) for s in self.sort):
            raise QueryError("Query.sort is a tuple of Sort")
        if len({s.key for s in self.sort}) != len(self.sort):
            raise QueryError("a sort key may appear only once")
        if not isinstance(self.page, Page | Cursor):
            raise QueryError("Query.page is a Page or a Cursor")
        if self.select is not None and not (
            isinstance(self.select, tuple) and all(isinstance(s, str) for s in self.select)
        ):
            raise QueryError("Query.select is a tuple of field names (or None)")
        if self.group_by is not None and not isinstance(self.group_by, GroupBy):
            raise QueryError("Query.group_by is a GroupBy (or None)")
        if self.sample is not None:
            if not isinstance(self.sample, Sample):
                raise QueryError("Query.sample is a Sample (or None)")
            if self.sort:
                raise QueryError("a sampled query has no sort (the sample's order is random)")
            if self.group_by is not None:
                raise QueryError("a sampled query cannot be grouped")
        if isinstance(self.page, Cursor) and self.page.after is not None:
            expected = 1 if self.group_by is not None else len(self.sort)
            if len(self.page.after) != expected:
                raise QueryError(f"the cursor holds {len(self.page.after)} values, the order has {expected}")

    @property
    def text_predicates(self) -> tuple[Text, ...]:
        """The positive Text predicates in ``where`` (they score, as well as filter)."""
        if self.where is None:
            return ()
        return tuple(p for p in walk(self.where) if isinstance(p, Text) and not p.negate)

    @property
    def is_search(self) -> bool:
        """True when the query has text to score (the relevance search or a text filter)."""
        return self.text is not None or bool(self.text_predicates)


# --- cursors ---------------------------------------------------------------------------------
#: The first byte of every cursor; bump it when the encoding changes so old cursors fail cleanly.
CURSOR_VERSION = 1
#: Cursors longer than this are refused unread (a real one holds a handful of sort values).
MAX_CURSOR_LENGTH = 4096
_CURSOR_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")
_SCALARS = (type(None), bool, int, float, str)


def encode_cursor(values: tuple[object, ...]) -> str:
    """An opaque, URL-safe string holding ``values`` (scalars, or tuples of scalars)."""
    for value in values:
        _check_cursor_value(value, nested=True, exc=QueryError)
    payload = bytes([CURSOR_VERSION]) + msgspec.msgpack.encode(list(values))
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")


def decode_cursor(text: str) -> tuple[object, ...]:
    """The values ``encode_cursor`` put in ``text``; raises CursorError for anything else."""
    if not isinstance(text, str) or not text or len(text) > MAX_CURSOR_LENGTH:
        raise CursorError("not a cursor")
    if not _CURSOR_ALPHABET.fullmatch(text) or len(text) % 4 == 1:
        raise CursorError("not a cursor")
    try:
        payload = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CursorError("not a cursor") from exc
    if not payload or payload[0] != CURSOR_VERSION:
        raise CursorError("not a cursor of this version")
    try:
        decoded = msgspec.msgpack.decode(payload[1:])
    except (msgspec.DecodeError, ValueError) as exc:
        raise CursorError("damaged cursor") from exc
    if not isinstance(decoded, list):
        raise CursorError("damaged cursor")
    values = tuple(tuple(v) if isinstance(v, list) else v for v in decoded)
    for value in values:
        _check_cursor_value(value, nested=True, exc=CursorError)
    return values


def _check_cursor_value(value: object, *, nested: bool, exc: type[ValueError]) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise exc("cursor values must be finite")
    if isinstance(value, _SCALARS):
        return
    if nested and isinstance(value, tuple):
        for item in value:
            _check_cursor_value(item, nested=False, exc=exc)
        return
    raise exc(f"cursor values are None, bool, int, float, str or tuples of them, not {type(value).__name__}")


__all__ = [
    "ABSTRACT",
    "AFFILIATION",
    "AUTHORS_COUNT",
    "AUTHOR_ID",
    "AUTHOR_NAME",
    "AUTHOR_ORCID",
    "CITED_BY",
    "CITED_BY_COUNT",
    "CITES",
    "CONCEPT_ID",
    "COUNTRY_CODE",
    "CURSOR_VERSION",
    "DISPLAY_NAME",
    "FIELDS",
    "FULLTEXT_DEFAULT",
    "FUNDER_ID",
    "GROUP_KINDS",
    "HAS_ABSTRACT",
    "HAS_DOI",
    "HAS_ORCID",
    "HAS_PMCID",
    "HAS_PMID",
    "HAS_REFERENCES",
    "INSTITUTION_ID",
    "INSTITUTION_ROR",
    "IS_OA",
    "IS_PARATEXT",
    "IS_RETRACTED",
    "KEYWORD",
    "LANGUAGE",
    "OA_STATUS",
    "PRIMARY_TOPIC_ID",
    "PUBLICATION_DATE",
    "PUBLICATION_YEAR",
    "PUBLISHER",
    "RANGE_KINDS",
    "REFERENCED_WORKS_COUNT",
    "RELATED_TO",
    "RELATION_FIELDS",
    "RELEVANCE",
    "SORT_KEYS",
    "TITLE",
    "TITLE_AND_ABSTRACT",
    "TOPIC_ID",
    "TYPE",
    "TYPE_SOURCE",
    "UNGROUPABLE_FIELDS",
    "VENUE_ID",
    "VENUE_ISSN",
    "VENUE_NAME",
    "WORK",
    "WORK_ID",
    "And",
    "Cursor",
    "CursorError",
    "CursorSortError",
    "Eq",
    "FieldKind",
    "GroupBy",
    "IsNull",
    "Or",
    "Page",
    "Phrase",
    "Predicate",
    "Query",
    "QueryError",
    "Range",
    "Sample",
    "Sort",
    "Term",
    "Text",
    "TextAnd",
    "TextNot",
    "TextOr",
    "TextQuery",
    "decode_cursor",
    "encode_cursor",
    "is_iso_date",
    "parse_search",
    "text_terms",
    "walk",
]
