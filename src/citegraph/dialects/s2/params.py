"""Request parameters of the Semantic Scholar Graph API dialect (spec/api-dialects.md §4.2): ``fields``,
``offset``/``limit``, ``publicationDateOrYear``, ``year``, the bulk search syntax, and S2's 400/404 bodies."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field

from citegraph import query as q

#: Every paper field S2 serves (FullPaper), in S2's own order.
PAPER_FIELDS: tuple[str, ...] = (
    "paperId", "corpusId", "externalIds", "url", "title", "abstract", "venue", "publicationVenue", "year",
    "referenceCount", "citationCount", "influentialCitationCount", "isOpenAccess", "openAccessPdf", "fieldsOfStudy",
    "s2FieldsOfStudy", "publicationTypes", "publicationDate", "journal", "citationStyles", "authors", "citations",
    "references", "embedding", "tldr", "textAvailability",
)
#: Paper fields that hold lists of papers (their subfields are paper fields) or of authors.
PAPER_LIST_FIELDS = frozenset({"citations", "references"})
#: Every author field S2 serves.
AUTHOR_FIELDS: tuple[str, ...] = (
    "authorId", "externalIds", "url", "name", "affiliations", "homepage", "paperCount", "citationCount", "hIndex",
    "papers",
)
#: Fields of a citation itself on /citations and /references (every other field is the paper's).
CITATION_FIELDS: tuple[str, ...] = ("contexts", "intents", "contextsWithIntent", "isInfluential")
#: ``embedding`` subfields S2 names (the models it served).
EMBEDDING_MODELS = frozenset({"specter_v1", "specter_v2"})
#: What S2 returns without ``fields``: the id and title (authors: id and name).
DEFAULT_PAPER_FIELDS: tuple[str, ...] = ("paperId", "title")
DEFAULT_AUTHOR_FIELDS: tuple[str, ...] = ("authorId", "name")

#: Page sizes S2 allows: citations, references, authors and author lists ≤ 1000; relevance search ≤ 100.
MAX_LIST_LIMIT = 1000
MAX_SEARCH_LIMIT = 100
DEFAULT_LIMIT = 100
#: S2 serves citations and references only while offset + limit < 10,000 (s2-folks#27: "no work around").
CITATION_WINDOW = 10_000
#: Relevance search reaches only the first 1,000 results (cut from 10,000 on 2023-10-31).
SEARCH_WINDOW = 1_000
#: A bulk search page holds up to 1,000 papers (S2 ignores ``limit`` there).
BULK_PAGE = 1_000
#: Ids per batch request (S2: 500 papers, 1,000 authors).
MAX_PAPER_BATCH = 500
MAX_AUTHOR_BATCH = 1_000
#: Autocomplete reads only the first 100 characters of its query (S2's own truncation).
AUTOCOMPLETE_CHARS = 100
#: Papers a nested ``citations``/``references`` list holds at most (S2's embedded lists stop at 1,000, as its
#: Turing 1950 record with 10,059 citations shows).
NESTED_LIST_MAX = 1_000
#: Citations and references a batch answer may embed in all (S2's limit: "≤ 9999 citations" per batch).
BATCH_NESTED_MAX = 9_999
#: ``fieldsOfStudy`` values S2 accepts as a search filter (its 23 fields).
FIELDS_OF_STUDY = frozenset({
    "Computer Science", "Medicine", "Chemistry", "Biology", "Materials Science", "Physics", "Geology",
    "Psychology", "Art", "History", "Geography", "Sociology", "Business", "Political Science", "Economics",
    "Philosophy", "Mathematics", "Engineering", "Environmental Science", "Agricultural and Food Sciences",
    "Education", "Law", "Linguistics",
})
#: ``publicationTypes`` values S2 accepts as a search filter.
PUBLICATION_TYPES = frozenset({
    "Review", "JournalArticle", "CaseReport", "ClinicalTrial", "Conference", "Dataset", "Editorial",
    "LettersAndComments", "MetaAnalysis", "News", "Study", "Book", "BookSection",
})


class S2Error(Exception):
    """An error S2 answers with ``{"error": message}`` and ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def unacceptable(name: str, value: str) -> S2Error:
    """S2's 400 for a parameter value it cannot use."""
    return S2Error(400, f"Unacceptable query params: [{name}={value}]")


@dataclass
class Fields:
    """What a request asked to see: top-level fields in the order asked, and each list field's subfields."""

    names: list[str]
    sub: dict[str, list[str]] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.names


def parse_fields(text: str | None, *, allowed: tuple[str, ...] = PAPER_FIELDS,
                 extra: tuple[str, ...] = (), default: tuple[str, ...] = DEFAULT_PAPER_FIELDS) -> Fields:
    """``fields=a,b,authors.name,citations.title`` checked against S2's names; an unknown one is S2's 400 listing
    every unknown name. ``extra`` are citation-level names allowed beside the paper's (on /citations)."""
    if text is None or not text.strip():
        return Fields(list(default))
    names: list[str] = []
    sub: dict[str, list[str]] = {}
    bad: list[str] = []
    known = set(allowed) | set(extra)
    for raw in text.split(","):
        name = raw.strip()
        if not name:
            continue
        head, dot, rest = name.partition(".")
        if not dot:
            if name not in known:
                bad.append(name)
            elif name not in names:
                names.append(name)
            continue
        if not _subfield_known(head, rest, known):
            bad.append(name)
            continue
        if head not in names:
            names.append(head)
        subs = sub.setdefault(head, [])
        if rest not in subs:
            subs.append(rest)
    if bad:
        raise S2Error(400, f"Unrecognized or unsupported fields: [{', '.join(bad)}]")
    if not names:
        return Fields(list(default))
    return Fields(names, sub)


def _subfield_known(head: str, rest: str, known: set[str]) -> bool:
    """Whether ``head.rest`` names a subfield S2 serves (authors' fields; paper fields in paper lists)."""
    if head not in known:
        return False
    if head == "authors":
        return rest in AUTHOR_FIELDS and rest != "papers"
    if head in PAPER_LIST_FIELDS or head == "papers":
        return rest in PAPER_FIELDS and rest not in PAPER_LIST_FIELDS
    return head == "embedding" and rest in EMBEDDING_MODELS


def parse_int(params: dict[str, str], name: str, default: int) -> int:
    """A non-negative whole-number parameter; S2's 400 otherwise."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise unacceptable(name, raw)
    return int(raw)


def parse_page(params: dict[str, str], *, max_limit: int, window: int | None,
               strict: bool = False) -> tuple[int, int]:
    """``(offset, limit)`` of a list request: limit ≤ ``max_limit``; offset + limit ≤ ``window`` (``strict``:
    below it, as citations and references ask); ``window`` None: no cap. S2's 400 otherwise."""
    offset = parse_int(params, "offset", 0)
    limit = parse_int(params, "limit", DEFAULT_LIMIT)
    if limit > max_limit:
        raise S2Error(400, f"Unacceptable query params: [limit={limit}]; limit must be <= {max_limit}")
    if window is not None and (offset + limit >= window if strict else offset + limit > window):
        raise S2Error(400, f"Unacceptable query params: [offset={offset}, limit={limit}];"
                           f" offset + limit must be {'<' if strict else '<='} {window}")
    return offset, limit


_DATE_PART = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def _date_bound(text: str, *, last: bool) -> int:
    """A ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` prefix as the first (or last) day it covers, ``YYYYMMDD``."""
    m = _DATE_PART.fullmatch(text)
    if m is None:
        raise ValueError(text)
    y = int(m[1])
    mo = int(m[2]) if m[2] else (12 if last else 1)
    if not 1 <= mo <= 12:
        raise ValueError(text)
    days = calendar.monthrange(y, mo)[1] if y >= 1 else 31
    d = int(m[3]) if m[3] else (days if last else 1)
    if not 1 <= d <= days:
        raise ValueError(text)
    return y * 10000 + mo * 100 + d


#: The widest date range (years 0 to 9999), an open end's bound.
_OPEN = (0, 99991231)


def parse_date_or_year(text: str | None) -> tuple[int, int] | None:
    """``publicationDateOrYear``: ``<start>:<end>``, each side optional, each a date prefix; a single prefix is
    the range it covers. The inclusive ``YYYYMMDD`` range, or None without the parameter; S2's 400 if malformed."""
    if text is None:
        return None
    try:
        if ":" in text:
            start, _, end = text.partition(":")
            if not start and not end:
                raise ValueError(text)
            lo = _date_bound(start, last=False) if start else _OPEN[0]
            hi = _date_bound(end, last=True) if end else _OPEN[1]
        else:
            lo, hi = _date_bound(text, last=False), _date_bound(text, last=True)
    except ValueError:
        raise unacceptable("publicationDateOrYear", text) from None
    return lo, hi


_YEAR_RANGE = re.compile(r"([0-9]{4})?(-)?([0-9]{4})?")


def parse_year(text: str | None) -> tuple[int, int] | None:
    """Search's ``year``: ``2019``, ``2016-2020``, ``2010-``, ``-2015`` as an inclusive year range."""
    if text is None:
        return None
    m = _YEAR_RANGE.fullmatch(text.strip())
    if m is None or not (m[1] or m[3]) or (not m[2] and m[3]):
        raise unacceptable("year", text)
    lo = int(m[1]) if m[1] else 0
    hi = int(m[3]) if m[3] else (9999 if m[2] else lo)
    if lo > hi:
        raise unacceptable("year", text)
    return lo, hi


_WORDISH = re.compile(r"\w")
#: ``~`` with no number: S2 allows two edits (a word) or two words between (a phrase).
DEFAULT_FUZZINESS = 2
_BULK_TOKEN = re.compile(r'"[^"]*"?(?:~[0-9]*|\*)?|[()|+]|-(?=\S)|[^\s()|+"]+')


class _BulkParser:
    """Recursive descent over bulk-search tokens: ``|`` binds loosest, then ``+`` or plain adjacency (AND), then
    ``-`` (NOT); parentheses group. Unbalanced parentheses and quotes are tolerated, as S2 tolerates them."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> q.TextQuery | None:
        parts = []
        while self.peek() is not None:  # a stray ")" ends a group, not the query
            node = self.either()
            if node is not None:
                parts.append(node)
            if self.peek() == ")":
                self.i += 1
        return _joined(parts, q.TextAnd)

    def either(self) -> q.TextQuery | None:
        parts = [self.both()]
        while self.peek() == "|":
            self.i += 1
            parts.append(self.both())
        return _joined([p for p in parts if p is not None], q.TextOr)

    def both(self) -> q.TextQuery | None:
        parts = []
        while (tok := self.peek()) is not None and tok not in ("|", ")"):
            if tok == "+":
                self.i += 1
                continue
            node = self.negated()
            if node is not None:
                parts.append(node)
        return _joined(parts, q.TextAnd)

    def negated(self) -> q.TextQuery | None:
        if self.peek() == "-":
            self.i += 1
            inner = self.negated() if self.peek() not in (None, "|", ")") else None
            return q.TextNot(inner) if inner is not None else None
        return self.atom()

    def atom(self) -> q.TextQuery | None:
        tok = self.tokens[self.i]
        self.i += 1
        if tok == "(":
            if self.depth >= q.MAX_SEARCH_NESTING:
                raise unacceptable("query", "(" * self.depth)
            self.depth += 1
            inner = self.either()
            self.depth -= 1
            if self.peek() == ")":
                self.i += 1
            return inner
        if tok.startswith('"'):
            body, _, tail = tok[1:].rpartition('"') if tok.count('"') > 1 else (tok[1:], "", "")
            words = [w for w in body.split() if _WORDISH.search(w)]
            slop = _fuzziness(tail[1:], q.MAX_PHRASE_SLOP) if tail.startswith("~") else 0
            if not words:
                return None
            if len(words) == 1:
                return q.Term(words[0], prefix=tail == "*", fuzzy=min(slop, q.MAX_FUZZY_EDITS))
            return q.Phrase(tuple(words), slop=slop)  # (a phrase prefix reads as the phrase)
        word, tilde, edits = tok.partition("~")
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if not _WORDISH.search(word):
            return None  # punctuation alone: nothing the index holds
        return q.Term(word, prefix=prefix and not tilde,
                      fuzzy=_fuzziness(edits, q.MAX_FUZZY_EDITS) if tilde and not prefix else 0)


def _fuzziness(text: str, cap: int) -> int:
    """``~N``'s N (S2's default when it is left out), held to ``cap``."""
    return min(int(text), cap) if text.isdigit() else DEFAULT_FUZZINESS


def _joined(parts: list[q.TextQuery], kind: type[q.TextAnd] | type[q.TextOr]) -> q.TextQuery | None:
    return None if not parts else parts[0] if len(parts) == 1 else kind(tuple(parts))


def parse_bulk_query(text: str) -> q.TextQuery | None:
    """Bulk search syntax as a text query: words ANDed, ``+`` AND, ``|`` OR, ``-`` NOT, ``"phrase"``, ``word*``
    (prefix), ``word~N`` (within N edits), ``"phrase"~N`` (up to N words apart), ``( )``; None when nothing
    searchable remains. Raises S2Error for nesting deeper than the search parser allows."""
    return _BulkParser(_BULK_TOKEN.findall(text)).parse()


__all__ = [
    "AUTHOR_FIELDS", "CITATION_FIELDS", "PAPER_FIELDS", "Fields", "S2Error", "parse_bulk_query",
    "parse_date_or_year", "parse_fields", "parse_page", "parse_year",
]
