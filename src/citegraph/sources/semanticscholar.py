"""Semantic Scholar (S2): read Academic Graph API answers and Datasets dumps; map papers and citations.

Files of paper records (``iter_raw`` and ``map_record``; positions resume a load):

- API paper objects (``GET /paper/{id}``), compact or pretty-printed, one per file or one per line;
- batch answers (``POST /paper/batch``): a JSON array of paper objects, ``null`` for ids S2 does not know;
- search pages ``{"total", "offset", "next", "data"}`` and bulk search pages ``{"total", "token", "data"}``;
- S2 Datasets ``papers`` lines (``{"corpusid", "externalids", …}``), converted to the API's shape;
- S2 Datasets ``abstracts`` lines (``{"corpusid", "openaccessinfo", "abstract"}``), converted to the API projection
  they amount to (``corpusId``, ``abstract``, and ``isOpenAccess``/``openAccessPdf`` when they give a URL).

Files of citations (``iter_citations``, yielding :class:`Chunk` rows):

- citation and reference pages ``{"offset", "next", "data": [{"contexts", "intents", "contextsWithIntent",
  "isInfluential", "citingPaper" | "citedPaper"}]}``, one per file or one per line. S2 does not say whose
  citations a page lists, so each page must carry our ``"paper"`` key: the paper's id in any form S2's
  ``/paper/{id}`` path takes (``CorpusID:14514057``, ``DOI:10.x/y``, a bare DOI, a 40-hex paperId);
- S2 Datasets ``citations`` lines (``{"citationid", "citingcorpusid", "citedcorpusid", …}``).

What the Datasets readers rely on (S2 documents the Datasets only as "see the Graph API", so these come from the
sample files S2 ships with the Datasets API and from lines of releases quoted in public repositories):

- ``papers``: ``corpusid`` (int), ``externalids`` (every key present, null when S2 has no such id, ``CorpusId``
  as a string), ``url`` (``https://www.semanticscholar.org/paper/<paperId>``), ``title``, ``authors``
  (``[{"authorId", "name"}]``), ``venue``, ``publicationvenueid`` (the venue's id only), ``year``,
  ``referencecount``, ``citationcount``, ``influentialcitationcount``, ``isopenaccess``, ``s2fieldsofstudy``,
  ``publicationtypes``, ``publicationdate``, ``journal`` (``{"name", "pages", "volume"}``); 2022 releases add
  ``updated``. No abstract (the ``abstracts`` dataset) and no references (the ``citations`` dataset).
- ``abstracts``: ``corpusid`` (int), ``openaccessinfo`` (``{"externalids": {"MAG", "ACL", "DOI", "PubMedCentral",
  "ArXiv"}, "license", "url", "status"}``, Unpaywall's open-access data, every key present and null when unknown),
  ``abstract`` (a string); 2022–2023 releases add ``updated``. The dataset's README documents ``openaccessinfo``;
  S2's sample file shows the rest.
- ``citations``: ``citationid`` (in current releases), ``citingcorpusid``, ``citedcorpusid`` (null when S2 could
  not link the cited paper; strings in the 2022 samples, numbers in 2024 lines), ``isinfluential``, ``contexts``
  (strings or null), ``intents``: one list of intents per context in 2024 lines (``[["methodology"]]``), one flat
  list in the 2022 samples. Both shapes are read.

Each paper is stored as S2's API serves it (``Mapped.raw``) without its embedded ``citations`` and ``references``
lists, which become ``Mapped.citations`` (the store serves them from the graph); the embedded papers S2 gives more
of than a paperId and a title also become records of their own (``Mapped.nested``). An answer is a projection of
the paper (the fields asked), so a record that arrives for a paper already stored is merged into it
(:func:`merge_records`): what S2 said before stays unless S2 now says otherwise. A record or row that cannot be
used is set aside with its reason; it never stops the file.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, Final, NamedTuple

import msgspec
from msgspec import UNSET, UnsetType

from citegraph import ids
from citegraph.model import AssertedCitation, Author, Biblio, Concept, Id, UpstreamCounts, Venue, Work
from citegraph.sources import Mapped, RecordError
from citegraph.sources.jsonio import (
    DOCUMENT_MAX_BYTES,
    LEADING,
    decode_record,
    first_line,
    is_json_line,
    lines,
    read_bounded,
)

SOURCE: Final = "s2"

#: Rows per yielded chunk at most: one store transaction each.
CHUNK_ROWS: Final = 50_000
#: Characters of a rejected row kept in the report: enough to find it again.
REJECT_SNIPPET: Final = 200
#: S2's publication types and the OpenAlex work type each becomes, most specific first: a paper S2 types both
#: ``JournalArticle`` and ``Review`` is a review. A type not listed (CaseReport, Study, News…) makes an article.
S2_TO_OPENALEX_TYPE: Final = {
    "Review": "review", "Editorial": "editorial", "LettersAndComments": "letter", "BookSection": "book-chapter",
    "Book": "book", "Dataset": "dataset", "JournalArticle": "article", "Conference": "article",
}
#: The work type of a paper whose S2 types are all outside the table above.
DEFAULT_TYPE: Final = "article"
#: ``publicationVenue.type`` values and the venue type each is in the canonical model (S2 knows only these two).
VENUE_TYPES: Final = {"journal": "journal", "conference": "conference"}
#: Schemes of the S2 ids of authors and venues: they name no work, so :mod:`citegraph.ids` does not know them.
AUTHOR_SCHEME: Final = "s2author"
VENUE_SCHEME: Final = "s2venue"
#: The concept kind of S2's fields of study.
FIELD_OF_STUDY: Final = "field_of_study"
#: Counts and list offsets above these are damage, not data: the store keeps them as 64-bit integers, and S2
#: serves no list past offset 10,000 (10 million for bulk search).
MAX_COUNT: Final = (1 << 63) - 1
MAX_OFFSET: Final = 1 << 40
#: CorpusIds are below this (the digits :mod:`citegraph.ids` keeps of a numeric id).
CORPUS_ID_LIMIT: Final = 10 ** ids.MAX_NUMBER_DIGITS
#: Years a publication date can have (four digits, as the dialects print them).
MIN_YEAR, MAX_YEAR = 1, 9999
#: The keys of a search or bulk search page besides ``data``; a citation page has ``offset`` and ``next``, and
#: our ``paper``.
PAGE_KEYS: Final = frozenset({b"total", b"offset", b"next", b"token", b"paper"})
#: Datasets ``papers`` keys and the API's name for each, in the API's field order (after paperId, externalIds,
#: corpusId and publicationVenue, which need more than a new name).
DATASETS_PAPER_KEYS: Final = (
    ("url", "url"), ("title", "title"), ("abstract", "abstract"), ("venue", "venue"), ("year", "year"),
    ("referencecount", "referenceCount"), ("citationcount", "citationCount"),
    ("influentialcitationcount", "influentialCitationCount"), ("isopenaccess", "isOpenAccess"),
    ("s2fieldsofstudy", "s2FieldsOfStudy"), ("publicationtypes", "publicationTypes"),
    ("publicationdate", "publicationDate"), ("journal", "journal"), ("authors", "authors"),
)
#: The keys of an embedded paper that a title-only listing has: an entry with any other key is a projection of the
#: paper worth keeping as a record of its own (``Mapped.nested``).
STUB_KEYS: Final = frozenset({"paperId", "title"})
#: The lists a paper may embed (kept as citations, never in a stored record).
EMBEDDED_LISTS: Final = ("citations", "references")
#: Normalised ids repeat across millions of records (venues' ISSNs, cited papers).
ID_CACHE_SIZE: Final = 1 << 16

IdPair = ids.IdPair
#: One end of a citation: every id the source gave for it, its own id first.
End = tuple[IdPair, ...]

_DATE: Final = re.compile(r"([0-9]{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12][0-9]|3[01]))?)?")
#: A JSON string (escapes kept), a bracket or a comma: enough to follow the nesting of JSON that may be cut short.
_TOKEN: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]', re.DOTALL)
#: A search, bulk search or citation page opens with one of its own keys (S2 writes ``total``/``offset`` first).
_PAGE_START: Final = re.compile(rb'\{\s*"(?:total|offset|next|token|data|paper)"\s*:')
_DATA_ARRAY: Final = re.compile(rb'"data"\s*:\s*\[')


# --- the decoded subset of S2's objects ------------------------------------------------------------------
# Ids are decoded as any JSON value and checked here, so a bad id drops that id, not the record.


class _Stub(msgspec.Struct, gc=False):
    """A paper as a list entry names it: its ids and title."""

    paperId: Any = None
    corpusId: Any = None
    externalIds: Any = None
    title: str | None = None


class _OpenAccessPdf(msgspec.Struct, gc=False):
    url: str | None = None


class _Venue(msgspec.Struct, gc=False):
    id: str | None = None
    name: str | None = None
    type: str | None = None
    issn: str | None = None
    alternate_issns: list[str | None] | None = None


class _Journal(msgspec.Struct, gc=False):
    name: str | None = None
    volume: str | None = None
    pages: str | None = None


class _Author(msgspec.Struct, gc=False):
    authorId: str | None = None
    name: str | None = None


class _FieldOfStudy(msgspec.Struct, gc=False):
    category: str | None = None


class _Paper(_Stub, gc=False):
    """An API paper object (FullPaper); ``corpusid`` is set only on a Datasets ``papers`` or ``abstracts`` line,
    ``openaccessinfo`` only on an ``abstracts`` line."""

    url: str | None = None
    abstract: str | None = None
    venue: str | None = None
    publicationVenue: _Venue | None = None
    year: int | None = None
    referenceCount: int | None = None
    citationCount: int | None = None
    influentialCitationCount: int | None = None
    isOpenAccess: bool | None = None
    openAccessPdf: _OpenAccessPdf | None = None
    fieldsOfStudy: list[str | None] | None = None
    s2FieldsOfStudy: list[_FieldOfStudy | None] | None = None
    publicationTypes: list[str | None] | None = None
    publicationDate: str | None = None
    journal: _Journal | None = None
    authors: list[_Author | None] | None = None
    citations: list[msgspec.Raw] | None | UnsetType = UNSET
    references: list[msgspec.Raw] | None | UnsetType = UNSET
    corpusid: Any = UNSET
    openaccessinfo: Any = UNSET
    updated: Any = None


class _ContextWithIntent(msgspec.Struct, gc=False):
    context: str | None = None
    intents: list[str | None] | None = None


class _CitationItem(msgspec.Struct, gc=False):
    """One entry of a citation or reference page."""

    contexts: list[str | None] | None | UnsetType = UNSET
    intents: list[str | None] | None | UnsetType = UNSET
    contextsWithIntent: list[_ContextWithIntent | None] | None | UnsetType = UNSET
    isInfluential: bool | None = None
    citingPaper: _Stub | None | UnsetType = UNSET
    citedPaper: _Stub | None | UnsetType = UNSET


class _Page(msgspec.Struct, gc=False):
    """A citation or reference page; ``paper`` and ``offset`` are checked here, item by item they are rejected."""

    data: list[msgspec.Raw] | None = None
    paper: Any = None
    offset: Any = None
    citingPaper: Any = UNSET  # (set on a lone page entry)
    citedPaper: Any = UNSET


class _DatasetCitation(msgspec.Struct, gc=False):
    """One Datasets ``citations`` line (both the 2022 and the current shape)."""

    citingcorpusid: int | str | None = None
    citedcorpusid: int | str | None = None
    isinfluential: bool | None = None
    contexts: list[str | None] | None = None
    intents: list[str | list[str | None] | None] | None = None


class _Envelope(msgspec.Struct, gc=False):
    """What tells a JSON value of a file apart: a page (its ``data``) or a paper (its ``paperId``)."""

    data: list[msgspec.Raw] | None | UnsetType = UNSET
    paperId: Any = UNSET


_PAPER = msgspec.json.Decoder(_Paper)
_STUB = msgspec.json.Decoder(_Stub)
_ITEM = msgspec.json.Decoder(_CitationItem)
_PAGE = msgspec.json.Decoder(_Page)
_DATASET_CITATION = msgspec.json.Decoder(_DatasetCitation)
_ENVELOPE = msgspec.json.Decoder(list[msgspec.Raw] | _Envelope)
#: A JSON object's members, their values left as they are written (what merging and nesting need of a paper).
_FIELDS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_encode = msgspec.json.encode
_NULL: Final = msgspec.Raw(b"null")


# --- ids -----------------------------------------------------------------------------------------------


def _normalised(scheme: str, value: str) -> str | None:
    """The canonical form of an id of ``scheme``, or None when it is not one."""
    if len(value) > ids.MAX_ID_CHARS:  # no id is this long (and the cache below keeps only short strings)
        return None
    return _normalised_cached(scheme, value)


@functools.lru_cache(maxsize=ID_CACHE_SIZE)
def _normalised_cached(scheme: str, value: str) -> str | None:
    try:
        return ids.normalize(scheme, value)
    except ids.IdError:
        return None


def _id_text(value: object) -> str | None:
    """An id value as text: S2 writes most as strings and CorpusId as a number."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


def _add(out: list[IdPair], scheme: str, value: object, issues: list[str], what: str) -> None:
    text = _id_text(value)
    norm = _normalised(scheme, text) if text is not None else None
    if norm is None:
        issues.append(f"{what}unusable {scheme} id {_shown(value)}")
    elif (scheme, norm) not in out:
        out.append((scheme, norm))


def _paper_ids(p: _Stub, issues: list[str], what: str = "") -> list[IdPair]:
    """A paper's ids: its paperId first (else its CorpusId), then its CorpusId and external ids in S2's order.

    An id that does not parse is left out and noted in ``issues`` (prefixed with ``what``); keys S2 lists with no
    id (null, as the Datasets do) and keys of schemes we do not keep (``Medline``) are passed over.
    """
    out: list[IdPair] = []
    if p.paperId is not None:
        _add(out, ids.S2, p.paperId, issues, what)
    if p.corpusId is not None:
        _add(out, ids.CORPUSID, p.corpusId, issues, what)
    ext = p.externalIds
    if isinstance(ext, dict):
        for key, value in ext.items():
            scheme = ids.S2_EXTERNAL_ID_SCHEMES.get(key)
            if scheme is not None and value is not None:
                _add(out, scheme, value, issues, what)
    elif ext is not None:
        issues.append(f"{what}externalIds is not an object: {_shown(ext)}")
    if out and out[0][0] != ids.S2:
        out.sort(key=lambda pair: pair[0] != ids.CORPUSID)  # no paperId: the CorpusId names it (a stable sort)
    return out


def title_key(title: str) -> str:
    """The S2REF id of an entry S2 lists by title alone: the SHA-1 of the title, stripped and lower-cased."""
    return hashlib.sha1(title.strip().lower().encode("utf-8")).hexdigest()


def _entry_ids(p: _Stub, issues: list[str], what: str) -> End | None:
    """The ids of a paper named in a list; one S2 could not link (no id, a title) is keyed by its title."""
    found = _paper_ids(p, issues, what)
    if found:
        return tuple(found)
    title = _text(p.title)
    return ((ids.S2REF, title_key(title)),) if title else None


# --- values --------------------------------------------------------------------------------------------


def _text(value: str | None) -> str | None:
    """A string field stripped, None when empty."""
    if value is None:
        return None
    text = value.strip()
    return text or None


def _count(value: int | None, what: str, issues: list[str]) -> int | None:
    if value is None:
        return None
    if 0 <= value <= MAX_COUNT:
        return value
    issues.append(f"{what} {_shown(value)} is not a count")
    return None


def _pages(pages: str | None) -> tuple[str | None, str | None]:
    """First and last page of S2's ``journal.pages`` (``"433-460"``, ``"\\n 487-488\\n "``, ``"332 - 348"``)."""
    text = _text(pages)
    if text is None:
        return None, None
    first, sep, last = text.replace("\u2013", "-").partition("-")
    return first.strip() or None, (last.strip() or None) if sep else None


def _dates(p: _Paper, issues: list[str]) -> tuple[str | None, int | None]:
    """The publication date (``publicationDate``, else the year) and year; an impossible one is noted."""
    year = p.year
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        issues.append(f"year {_shown(year)} is not a year")
        year = None
    date = _text(p.publicationDate)
    if date is not None and _DATE.fullmatch(date) is None:
        issues.append(f"publicationDate {_shown(date)} is not a date")
        date = None
    if date is not None:
        return date, int(date[:4])
    return (f"{year:04d}" if year is not None else None), year


def _authors(p: _Paper) -> list[Author]:
    out = []
    for a in p.authors or ():
        if a is None:
            continue
        name, author_id = _text(a.name), _text(a.authorId)
        if name is None and author_id is None:
            continue
        out.append(Author(name=name, ids=[Id(AUTHOR_SCHEME, author_id)] if author_id else []))
    for i, author in enumerate(out):  # S2 lists authors in byline order
        author.position = "first" if i == 0 else "last" if i == len(out) - 1 else "middle"
    return out


def _venue(p: _Paper, issues: list[str]) -> Venue | None:
    pv = p.publicationVenue
    name = (_text(pv.name) if pv is not None else None) or _text(p.venue)
    venue_ids: list[Id] = []
    kind = None
    if pv is not None:
        venue_id = _text(pv.id)
        if venue_id:
            venue_ids.append(Id(VENUE_SCHEME, venue_id))
        found: list[IdPair] = []
        for issn in [pv.issn, *(pv.alternate_issns or ())]:
            if issn:
                _add(found, ids.ISSN, issn, issues, "publicationVenue ")
        venue_ids += [Id(*pair) for pair in found]
        kind = VENUE_TYPES.get((pv.type or "").strip().lower())
    if name is None and not venue_ids:
        return None
    return Venue(name=name, ids=venue_ids, type=kind)


def _concepts(p: _Paper) -> list[Concept]:
    names = [f.category for f in p.s2FieldsOfStudy or () if f is not None] + list(p.fieldsOfStudy or ())
    unique = dict.fromkeys(t for t in (_text(n) for n in names) if t)
    return [Concept(name=n, kind=FIELD_OF_STUDY) for n in unique]


def _work_type(p: _Paper) -> tuple[str | None, str | None]:
    """The OpenAlex type of S2's publication types and those types as S2 wrote them (joined by ",")."""
    types = [t for t in (_text(x) for x in p.publicationTypes or ()) if t]
    if not types:
        return None, None
    kind = next((S2_TO_OPENALEX_TYPE[t] for t in S2_TO_OPENALEX_TYPE if t in types), DEFAULT_TYPE)
    return kind, ",".join(types)


def _nested_raw(raw: msgspec.Raw) -> bytes | None:
    """An embedded paper as a record of its own: compact, without embedded lists of its own (S2 nests one level
    only, and a record is stored without them); None when it says nothing beyond its paperId and title."""
    try:
        fields = _FIELDS.decode(raw)
    except msgspec.DecodeError:
        return None
    lists = [name for name in EMBEDDED_LISTS if name in fields]
    for name in lists:
        del fields[name]
    if fields.keys() <= STUB_KEYS:
        return None
    return msgspec.json.format(_encode(fields) if lists else raw, indent=-1)


def _listed(entries: list[msgspec.Raw] | None | UnsetType, key: str, own: End, issues: list[str],
            nested: list[bytes]) -> list[AssertedCitation]:
    """An embedded ``citations`` or ``references`` list as citations, each with its place in the list; each entry
    that is a richer projection of a paper S2 linked (its paperId and more than a title) is added to ``nested``."""
    if not isinstance(entries, list):
        return []
    out = []
    for i, raw in enumerate(entries):
        what = f"{key}[{i}]: "
        try:
            entry = _STUB.decode(raw)
        except msgspec.DecodeError as exc:  # (ValidationError included)
            if bytes(raw) != b"null":
                issues.append(f"{what}not a paper: {exc}")
            continue
        end = _entry_ids(entry, issues, what)
        if end is None:
            issues.append(f"{what}no id and no title; left out")
            continue
        if end[0][0] == ids.S2 and end[0] != own[0] and (record := _nested_raw(raw)) is not None:
            nested.append(record)
        title = _text(entry.title)
        if key == "references":
            out.append(AssertedCitation(citing=own, cited=end, citing_pos=i, cited_title=title))
        else:
            out.append(AssertedCitation(citing=end, cited=own, cited_pos=i, citing_title=title))
    return out


# --- records -------------------------------------------------------------------------------------------


def _sha_of_url(url: object) -> str | None:
    """The paperId in an S2 paper URL (``https://www.semanticscholar.org/paper/<40 hex>``), else None."""
    if not isinstance(url, str) or "semanticscholar.org" not in url:
        return None
    try:
        scheme, value = ids.parse_id(url)
    except ids.IdError:
        return None
    return value if scheme == ids.S2 else None


def _as_number(value: object) -> object:
    """A CorpusId as the API writes it (a number), when the Datasets wrote it as digits."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= ids.MAX_NUMBER_DIGITS:
        return int(value)
    return value


def datasets_paper_to_api(line: dict[str, Any]) -> dict[str, Any]:
    """A Datasets ``papers`` line in the shape S2's API serves the paper (FullPaper, camelCase, API key order).

    ``paperId`` comes from the ``url``; ``externalIds`` drops the null entries and gains ``CorpusId`` (a number,
    as the API gives it); ``publicationvenueid`` becomes ``publicationVenue: {"id": …}`` (the Datasets keep the
    rest of a venue apart); authors' ``authorid`` becomes ``authorId``. Keys the API does not have (``updated``)
    are dropped.
    """
    out: dict[str, Any] = {}
    sha = _sha_of_url(line.get("url"))
    if sha is not None:
        out["paperId"] = sha
    corpus = _as_number(line.get("corpusid"))
    ext = line.get("externalids")
    if isinstance(ext, dict) or corpus is not None:
        found = {k: _as_number(v) if k == "CorpusId" else v
                 for k, v in (ext.items() if isinstance(ext, dict) else ()) if v is not None}
        if "CorpusId" not in found and corpus is not None:
            found["CorpusId"] = corpus
        out["externalIds"] = found
    if corpus is not None:
        out["corpusId"] = corpus
    if "publicationvenue" in line:
        out["publicationVenue"] = line["publicationvenue"]
    elif "publicationvenueid" in line:
        venue_id = line["publicationvenueid"]
        out["publicationVenue"] = {"id": venue_id} if venue_id is not None else None
    for key, api_key in DATASETS_PAPER_KEYS:
        if key in line:
            out[api_key] = line[key]
    authors = out.get("authors")
    if isinstance(authors, list):
        out["authors"] = [{("authorId" if k == "authorid" else k): v for k, v in a.items()}
                          if isinstance(a, dict) else a for a in authors]
    return out


def datasets_abstract_to_api(line: dict[str, Any]) -> dict[str, Any]:
    """A Datasets ``abstracts`` line as the API projection of its paper: ``corpusId`` (a number, as the API gives
    it) and ``abstract``, and, when ``openaccessinfo`` gives a URL, ``isOpenAccess: true`` and ``openAccessPdf``
    (``url``, ``status``, ``license`` as the line has them).

    ``openaccessinfo.externalids`` are left out: they are the ids the ``papers`` line of the same CorpusId gives
    (without ``CorpusId`` itself), and ``updated`` is no API field.
    """
    out: dict[str, Any] = {}
    corpus = _as_number(line.get("corpusid"))
    if corpus is not None:
        out["corpusId"] = corpus
    out["abstract"] = line.get("abstract")
    info = line.get("openaccessinfo")
    url = info.get("url") if isinstance(info, dict) else None
    if isinstance(info, dict) and isinstance(url, str) and url.strip():
        out["isOpenAccess"] = True
        out["openAccessPdf"] = {"url": url, "status": info.get("status"), "license": info.get("license")}
    return out


def _abstracts_line(line: dict[str, Any], issues: list[str]) -> dict[str, Any]:
    """:func:`datasets_abstract_to_api` of a line that names its paper and has an abstract, else RecordError."""
    if line.get("corpusid") is None:
        raise RecordError("a Datasets abstracts line without corpusid")
    if not isinstance(line.get("abstract"), str):
        raise RecordError(f"a Datasets abstracts line whose abstract is not a string: {_shown(line.get('abstract'))}")
    info = line["openaccessinfo"]
    if info is not None and not isinstance(info, dict):
        issues.append(f"openaccessinfo is not an object: {_shown(info)}")
    elif isinstance(info, dict) and not isinstance(info.get("url"), str | None):
        issues.append(f"openaccessinfo.url is not a URL: {_shown(info.get('url'))}")
    return datasets_abstract_to_api(line)


def _stored(raw: bytes, p: _Paper) -> bytes:
    """The bytes kept for an API paper: compact, without the embedded lists (the graph serves those)."""
    if p.citations is not UNSET or p.references is not UNSET:
        whole = msgspec.json.decode(raw)
        whole.pop("citations", None)
        whole.pop("references", None)
        return _encode(whole)
    if b"\n" in raw:
        return msgspec.json.format(raw, indent=-1)
    return raw


def map_record(raw: bytes) -> Mapped:
    """Parse and map one S2 paper: an API paper object, or a Datasets ``papers`` or ``abstracts`` line.

    Embedded ``citations``/``references`` become ``Mapped.citations``; those of their papers S2 gives more of
    than a paperId and a title are also returned whole in ``Mapped.nested``, as records of their own.

    Raises RecordError when the record is not a JSON object, has a value of the wrong type, or names no paper
    (no usable paperId, CorpusId or external id); an ``abstracts`` line also when it has no corpusid or its
    abstract is not a string.
    """
    raw = raw.strip(LEADING)
    p: _Paper = decode_record(raw, _PAPER)
    version = None
    issues: list[str] = []
    if p.paperId is None and p.corpusId is None and (p.corpusid is not UNSET or p.openaccessinfo is not UNSET):
        line = msgspec.json.decode(raw)
        version = line.get("updated") if isinstance(line.get("updated"), str) else None
        api = datasets_paper_to_api(line) if p.openaccessinfo is UNSET else _abstracts_line(line, issues)
        stored = _encode(api)
        p = decode_record(stored, _PAPER)
    else:
        stored = _stored(raw, p)
    own = _paper_ids(p, issues)
    if not own:
        raise RecordError("the record names no paper: no usable paperId, corpusId or externalIds"
                          + (f" ({'; '.join(issues)})" if issues else ""))
    own_end = tuple(own)
    date, year = _dates(p, issues)
    kind, type_source = _work_type(p)
    journal = p.journal
    first, last = _pages(journal.pages if journal is not None else None)
    journal_name = _text(journal.name) if journal is not None else None
    abstract = _text(p.abstract)
    work = Work(
        ids=[Id(*pair) for pair in own], source=SOURCE, title=_text(p.title), abstract=abstract, type=kind,
        type_source=type_source, publication_date=date, publication_year=year, authors=_authors(p),
        venue=_venue(p, issues), container_titles=[journal_name] if journal_name else [],
        biblio=Biblio(volume=_text(journal.volume) if journal is not None else None, first_page=first,
                      last_page=last),
        is_oa=p.isOpenAccess, oa_url=_text(p.openAccessPdf.url) if p.openAccessPdf is not None else None,
        concepts=_concepts(p),
        upstream=UpstreamCounts(
            cited_by_count=_count(p.citationCount, "citationCount", issues),
            referenced_works_count=_count(p.referenceCount, "referenceCount", issues),
            influential_citation_count=_count(p.influentialCitationCount, "influentialCitationCount", issues)),
        version=version)
    nested: list[bytes] = []
    citations = (_listed(p.references, "references", own_end, issues, nested)
                 + _listed(p.citations, "citations", own_end, issues, nested))
    return Mapped(work=work, raw=stored, version=version, issues=issues, has_abstract=abstract is not None,
                  citations=citations, nested=nested)


# --- merging records -----------------------------------------------------------------------------------------


def _same_value(a: msgspec.Raw, b: msgspec.Raw) -> bool:
    """Whether two JSON values written differently (escapes, spaces, number forms) are the same value."""
    try:
        return _encode(msgspec.json.decode(a)) == _encode(msgspec.json.decode(b))
    except msgspec.DecodeError:  # a number out of range: not comparable, so not the same
        return False


def _merged_fields(stored: dict[str, msgspec.Raw], new: dict[str, msgspec.Raw],
                   top: bool = True) -> dict[str, msgspec.Raw] | None:
    """``stored``'s members then those only ``new`` has; ``new``'s value wins unless it is null where ``stored``
    has a value, and (``top``: of a paper) two ``externalIds`` objects merge member by member. None when the
    result is ``stored``."""
    out: dict[str, msgspec.Raw] | None = None
    for key, value in new.items():
        old = stored.get(key)
        if old is not None:
            if value in (old, _NULL):
                continue  # the same, or S2 did not know it this time
            if top and key == "externalIds" and bytes(old)[:1] == bytes(value)[:1] == b"{":
                inner = _merged_fields(_FIELDS.decode(old), _FIELDS.decode(value), top=False)
                if inner is None:
                    continue
                value = msgspec.Raw(_encode(inner))
            elif _same_value(old, value):
                continue
        if out is None:
            out = dict(stored)
        out[key] = value
    return out


def merge_records(stored: bytes, new: bytes) -> bytes:
    """The record to keep when ``new`` arrives for a paper whose stored record is ``stored``.

    S2 answers only the fields asked, and prints null for what it does not know: so every member of ``stored``
    stays, then come those only ``new`` has; of a member both have, ``new``'s value is kept unless it is null
    (then ``stored``'s is); ``externalIds`` merges id by id the same way. (A new paperId replaces the stored one:
    S2 merged the paper into another.) The result is compact JSON, ``stored`` itself when ``new`` adds or changes
    nothing, so merging again changes nothing. When ``new`` is not a JSON object, ``stored`` is kept; when
    ``stored`` is not, ``new`` replaces it.
    """
    if stored == new:
        return stored
    try:
        fresh = _FIELDS.decode(new)
    except msgspec.DecodeError:  # (ValidationError included: valid JSON that is no object)
        return stored
    try:
        kept = _FIELDS.decode(stored)
    except msgspec.DecodeError:
        return new
    out = _merged_fields(kept, fresh)
    if out is None:
        return stored
    return msgspec.json.format(_encode(out), indent=-1)


# --- telling files apart ----------------------------------------------------------------------------------


def _head_keys(text: bytes) -> tuple[set[bytes], set[bytes], set[bytes]]:
    """The keys of the objects 1, 2 and 3 levels deep in ``text`` (the first bytes of a file, maybe cut short).

    A top-level paper or Datasets line has its keys at level 1; a batch answer's papers at level 2; a page's
    items (in its ``data`` array) at level 3.
    """
    levels: tuple[set[bytes], set[bytes], set[bytes]] = (set(), set(), set())
    depth = 0
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token in (b"{", b"["):
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
        elif token[:1] == b'"' and 1 <= depth <= 3 and text[m.end():m.end() + 16].lstrip().startswith(b":"):
            levels[depth - 1].add(token[1:-1])
    return levels


def file_kind(head: bytes) -> str | None:
    """``"citations"`` for citation or reference pages (and lone entries of one) and Datasets ``citations`` lines;
    ``"records"`` for S2 papers (API objects, batch answers, search and bulk pages, Datasets ``papers`` and
    ``abstracts`` lines);
    None if not S2."""
    text = head.lstrip(LEADING)
    if not text.startswith((b"{", b"[")):
        return None
    top, second, third = _head_keys(text)
    if text.startswith(b"["):
        return "records" if b"paperId" in second else None  # a batch answer
    if b"paperId" in top:
        return "records"
    if b"citingcorpusid" in top and b"citedcorpusid" in top:
        return "citations"
    if b"citingPaper" in top or b"citedPaper" in top:
        return "citations"  # a lone page entry (its rows are rejected: only a page says whose citation it is)
    if b"corpusid" in top and (b"externalids" in top or b"openaccessinfo" in top):
        return "records"  # a Datasets papers or abstracts line
    if b"data" in top and top & PAGE_KEYS:
        if b"citingPaper" in third or b"citedPaper" in third:
            return "citations"
        if b"paperId" in third:
            return "records"
    return None


def sniff(head: bytes) -> bool:
    """Whether the first bytes of a decompressed file look like Semantic Scholar data (see :func:`file_kind`)."""
    return file_kind(head) is not None


# --- reading files -----------------------------------------------------------------------------------------


def _shape(stream: BinaryIO) -> tuple[Iterator[bytes], bytes] | bytes | None:
    """The file as JSON Lines (the lines, and a whole line that tells what the lines hold) or as one document
    (its bytes); None when the file is empty.

    One JSON value per line is JSON Lines; a first line that is not JSON while the second is, a damaged first
    line of JSON Lines. Anything else is one (pretty-printed) document, read whole when it is not too big.
    """
    opening = first_line(stream)
    if opening is None:
        return None
    first, blanks = opening
    body = first.strip()
    if not body.startswith((b"{", b"[")) or is_json_line(body):
        return lines(blanks + first, stream), body
    second = stream.readline()
    if body not in (b"{", b"[") and is_json_line(second.strip()):
        return lines(blanks + first + second, stream), second.strip()
    doc = read_bounded(first + second, stream)
    if len(doc) > DOCUMENT_MAX_BYTES:  # no S2 answer is this big: lines, whatever they hold
        return lines(blanks + doc, stream), body
    return doc


def _split(value: bytes) -> tuple[bool, list[bytes] | None]:
    """Whether ``value`` is valid JSON, and its items when it is a container (an array, or a page's ``data``)."""
    try:
        top = _ENVELOPE.decode(value)
    except msgspec.ValidationError:
        return True, None  # valid JSON of another shape (a string, a page whose data is no list)
    except msgspec.DecodeError:
        return False, None
    if isinstance(top, list):
        return True, [bytes(r) for r in top]
    if isinstance(top.data, list) and top.paperId is UNSET:
        return True, [bytes(r) for r in top.data]
    return True, None


def _scan_array(doc: bytes, at: int) -> Iterator[bytes]:
    """The elements of the JSON array that opens at ``doc[at]``, found by bracket depth, valid or not.

    Used when a document does not decode whole (cut short, one damaged paper): each element comes back on its
    own, so the good ones still load and the bad one is rejected with its reason.
    """
    depth = 0
    begin = at + 1
    for m in _TOKEN.finditer(doc, at):
        token = m.group()
        if token in (b"[", b"{"):
            depth += 1
        elif token in (b"]", b"}"):
            depth -= 1
            if depth == 0:
                piece = doc[begin:m.start()].strip(LEADING)
                if piece:
                    yield piece
                return
        elif token == b"," and depth == 1:
            yield doc[begin:m.start()].strip(LEADING)
            begin = m.end()
    tail = doc[begin:].strip(LEADING)
    if tail:
        yield tail  # the document ends inside this element


def _document_records(doc: bytes) -> Iterator[tuple[int, bytes]]:
    """The papers of one document: an array's or a page's items (numbered by index), else the document itself."""
    body = doc.strip(LEADING)
    valid, items = _split(body)
    if items is None and not valid:
        if body.startswith(b"["):
            items = list(_scan_array(body, 0))
        elif _PAGE_START.match(body) and (m := _DATA_ARRAY.search(body)) is not None:
            items = list(_scan_array(body, m.end() - 1))
    if items is None:
        yield 0, body
        return
    for i, item in enumerate(items):
        if item and item != b"null":  # a batch answer's null: an id S2 does not know
            yield i, item


def _line_records(source: Iterable[bytes], start: int, containers: bool) -> Iterator[tuple[int, bytes]]:
    """Papers of JSON Lines: position = line number (blank lines keep theirs); when the lines are pages or
    arrays, position = item number counted across lines. A line that is not JSON is yielded for the mapper to
    reject."""
    position = 0
    for line in source:
        record = line.strip()
        if not containers:
            if record and position >= start:
                yield position, record
            position += 1
            continue
        if not record:
            continue
        items = _split(record)[1]
        for item in items if items is not None else [record]:
            if position >= start and item != b"null":
                yield position, item
            position += 1


def iter_raw(stream: BinaryIO, *, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """The papers of one decompressed file as ``(position, raw JSON bytes)``, in order, from ``start`` on.

    JSON Lines give one paper per line (position = line number); a document gives itself (position 0) or, for
    a batch answer or a search page, its non-null items (position = index). Items that are not valid JSON are
    yielded too, for :func:`map_record` to reject.
    """
    shape = _shape(stream)
    if shape is None:
        return
    if isinstance(shape, bytes):
        for position, raw in _document_records(shape):
            if position >= start:
                yield position, raw
        return
    source, sample = shape
    yield from _line_records(source, start, containers=_split(sample)[1] is not None)


# --- citations -------------------------------------------------------------------------------------------


class Chunk:
    """Rows read from a citation file: the citations with their positions, the rejects, and where to resume.

    ``records`` are the citing or cited papers page entries give with more than an id and a title, each a raw
    record :func:`map_record` reads (the loader writes them as records, merged into what is stored).

    ``rejects`` holds ``(position, reason, first characters of the row)``; ``columns`` and ``header`` are always
    None (they serve the OpenCitations bulk reader, which the loader drives the same way).
    """

    __slots__ = ("citations", "columns", "header", "next_position", "positions", "records", "rejects")

    def __init__(self) -> None:
        self.citations: list[AssertedCitation] = []
        self.records: list[bytes] = []  # the papers page entries give whole (richer than an id and a title)
        self.positions: list[int] = []
        self.rejects: list[tuple[int, str, str]] = []
        self.columns: None = None
        self.header: None = None
        self.next_position = 0

    def __len__(self) -> int:
        """Rows this chunk holds (citations and rejects)."""
        return len(self.citations) + len(self.rejects)

    def all_citations(self) -> list[AssertedCitation]:
        """Every citation of the chunk (as :class:`citegraph.sources.opencitations.Chunk` offers them)."""
        return self.citations

    def all_positions(self) -> list[int]:
        """The position of each of ``all_citations()``."""
        return self.positions


class _Listed(NamedTuple):
    """A page entry read: its citation, and the other paper whole when the entry gives more than its id and title."""

    citation: AssertedCitation
    paper: bytes


#: A row read: a citation (with the paper it gives, from a page), or why the row was set aside and its first
#: characters.
_Row = AssertedCitation | _Listed | tuple[str, str]


def _snippet(raw: bytes) -> str:
    return raw[:REJECT_SNIPPET * 4].decode("utf-8", "replace")[:REJECT_SNIPPET]


def _reason(exc: msgspec.DecodeError) -> str:
    if isinstance(exc, msgspec.ValidationError):
        return f"unexpected value type: {exc}"
    return f"invalid JSON: {exc}"


def _page_paper(paper: object) -> End | str:
    """The page's own paper from our ``"paper"`` key, or why it cannot be used."""
    if paper is None:
        return ('the page does not name its paper: add "paper": "<S2 paper id>" (such as "CorpusID:14514057" '
                'or "DOI:10.1093/mind/lix.236.433") to it')
    text = _id_text(paper)
    if text is None:
        return f'"paper" {_shown(paper)} is not an id'
    try:
        pair = ids.parse_id(text, default=ids.CORPUSID)
    except ids.IdError as exc:
        return f'"paper": {exc}'
    if not ids.is_work_id(pair):
        return f'"paper" {_shown(paper)} does not name a paper'
    return (pair,)


def _page_offset(offset: object) -> int | str:
    """Where the page starts in S2's list (0 when not said), or why it cannot be used."""
    if offset is None:
        return 0
    if isinstance(offset, int) and not isinstance(offset, bool) and 0 <= offset <= MAX_OFFSET:
        return offset
    return f'"offset" {_shown(offset)} is not a list offset'


def _item_extras(item: _CitationItem) -> bytes | None:
    """What S2 said of one citation (the keys the item has, in S2's order), as a JSON object; None if nothing."""
    said: dict[str, Any] = {}
    if isinstance(item.contexts, list):
        said["contexts"] = item.contexts
    if isinstance(item.intents, list):
        said["intents"] = item.intents
    if isinstance(item.contextsWithIntent, list):
        said["contextsWithIntent"] = item.contextsWithIntent
    return _encode(said) if said else None


def _page_item(raw: bytes, page: End, at: int) -> _Row:
    """One entry of a citation (``citingPaper``) or reference (``citedPaper``) page as a citation of ``page``."""
    try:
        item = _ITEM.decode(raw)
    except msgspec.DecodeError as exc:
        return _reason(exc), _snippet(raw)
    citing, cited = item.citingPaper, item.citedPaper
    if (citing is UNSET) == (cited is UNSET):
        why = "both citingPaper and citedPaper" if citing is not UNSET else "neither citingPaper nor citedPaper"
        return f"a page entry with {why}", _snippet(raw)
    key, other = ("citingPaper", citing) if citing is not UNSET else ("citedPaper", cited)
    if not isinstance(other, _Stub):
        return f"{key} is null", _snippet(raw)
    issues: list[str] = []
    end = _entry_ids(other, issues, "")
    if end is None:
        return f"{key} has no usable id and no title" + (f" ({'; '.join(issues)})" if issues else ""), _snippet(raw)
    extras = _item_extras(item)
    title = _text(other.title)
    if key == "citingPaper":
        row = AssertedCitation(citing=end, cited=page, is_influential=item.isInfluential, extras=extras,
                               cited_pos=at, citing_title=title)
    else:
        row = AssertedCitation(citing=page, cited=end, is_influential=item.isInfluential, extras=extras,
                               citing_pos=at, cited_title=title)
    if other.paperId is None:
        return row  # an unlinked entry: no record without an id
    try:
        paper = _FIELDS.decode(raw).get(key)
    except msgspec.DecodeError:
        return row
    whole = _nested_raw(paper) if paper is not None else None
    return _Listed(row, whole) if whole is not None else row


def _page_rows(source: Iterable[bytes], start: int) -> Iterator[tuple[int, _Row]]:
    """The entries of citation pages, numbered across pages in file order (a line that is no page counts one)."""
    position = 0
    for line in source:
        text = line.strip(LEADING)
        if not text:
            continue
        try:
            page = _PAGE.decode(text)
        except msgspec.DecodeError as exc:
            if position >= start:
                yield position, (f"not a citation page: {_reason(exc)}", _snippet(text))
            position += 1
            continue
        if page.data is None:
            lone = page.citingPaper is not UNSET or page.citedPaper is not UNSET
            if position >= start:
                yield position, ('a citation entry outside a page: S2 says whose citation it is only in the page '
                                 '(put it in {"paper": "<id>", "data": [...]})' if lone else
                                 "a page without a data list", _snippet(text))
            position += 1
            continue
        end = _page_paper(page.paper)
        offset = _page_offset(page.offset)
        for i, raw in enumerate(page.data):
            if position >= start:
                if isinstance(end, str) or isinstance(offset, str):
                    yield position, (end if isinstance(end, str) else str(offset), _snippet(bytes(raw)))
                else:
                    yield position, _page_item(bytes(raw), end, offset + i)
            position += 1


def _corpus_end(value: int | str | None) -> End | None:
    if type(value) is int and 0 <= value < CORPUS_ID_LIMIT:  # the common case: its digits are the canonical form
        return ((ids.CORPUSID, str(value)),)
    text = _id_text(value)
    norm = _normalised(ids.CORPUSID, text) if text is not None else None
    return ((ids.CORPUSID, norm),) if norm is not None else None


def _dataset_extras(rec: _DatasetCitation) -> bytes | None:
    """A Datasets line's contexts and intents in the API's terms: ``contexts``, ``intents`` (every intent once,
    in order) and, when the line gives one intent list per context, ``contextsWithIntent``."""
    if rec.contexts is None and rec.intents is None:
        return None
    said: dict[str, Any] = {}
    if rec.contexts is not None:
        said["contexts"] = rec.contexts
    if rec.intents is not None:
        per_context = [x if isinstance(x, list) else [x] for x in rec.intents]
        said["intents"] = list(dict.fromkeys(i for group in per_context for i in group if i))
        if rec.contexts is not None and len(rec.contexts) == len(rec.intents) and not any(
                isinstance(x, str) for x in rec.intents):  # (a flat list, the 2022 shape, pairs with nothing)
            said["contextsWithIntent"] = [{"context": c, "intents": [i for i in group if i]}
                                          for c, group in zip(rec.contexts, per_context, strict=True)]
    return _encode(said)


def _dataset_row(text: bytes) -> _Row:
    try:
        rec = _DATASET_CITATION.decode(text)
    except msgspec.DecodeError as exc:
        return _reason(exc), _snippet(text)
    if rec.citedcorpusid is None:
        return "citedcorpusid is null: S2 could not link the cited paper", _snippet(text)
    if rec.citingcorpusid is None:
        return "citingcorpusid is missing or null", _snippet(text)
    citing, cited = _corpus_end(rec.citingcorpusid), _corpus_end(rec.citedcorpusid)
    if citing is None or cited is None:
        key, value = ("citingcorpusid", rec.citingcorpusid) if citing is None else ("citedcorpusid", rec.citedcorpusid)
        return f"{key} {_shown(value)} is not a CorpusId", _snippet(text)
    return AssertedCitation(citing=citing, cited=cited, is_influential=rec.isinfluential,
                            extras=_dataset_extras(rec))


def _dataset_rows(source: Iterable[bytes], start: int) -> Iterator[tuple[int, _Row]]:
    """Datasets ``citations`` lines, numbered by line (blank lines keep their numbers)."""
    for position, line in enumerate(source):
        text = line.strip()
        if text and position >= start:
            yield position, _dataset_row(text)


def _citation_rows(stream: BinaryIO, start: int) -> Iterator[tuple[int, _Row]]:
    shape = _shape(stream)
    if shape is None:
        return
    if isinstance(shape, bytes):  # one (pretty-printed) page
        yield from _page_rows([shape], start)
        return
    source, sample = shape
    try:
        head = _PAGE.decode(sample)
        is_page = isinstance(head.data, list) or head.citingPaper is not UNSET or head.citedPaper is not UNSET
    except msgspec.DecodeError:
        is_page = False
    yield from (_page_rows(source, start) if is_page else _dataset_rows(source, start))


def iter_citations(stream: BinaryIO, *, start: int = 0) -> Iterator[Chunk]:
    """The citations of one decompressed file from position ``start`` on, in chunks of at most
    :data:`CHUNK_ROWS` rows; a row that cannot be used comes back as a reject with its reason.

    Positions are line numbers for Datasets lines, and entry numbers counted across the pages of a file for
    citation and reference pages; ``Chunk.next_position`` is where a resumed read starts.
    """
    limit = CHUNK_ROWS  # (read when called, so a test may lower it)
    chunk = Chunk()
    chunk.next_position = start
    rows = 0
    for position, row in _citation_rows(stream, start):
        if isinstance(row, AssertedCitation):
            chunk.citations.append(row)
            chunk.positions.append(position)
        elif isinstance(row, _Listed):
            chunk.citations.append(row.citation)
            chunk.positions.append(position)
            chunk.records.append(row.paper)
        else:
            chunk.rejects.append((position, row[0], row[1]))
        rows += 1
        if rows >= limit:
            chunk.next_position = position + 1
            yield chunk
            chunk = Chunk()
            chunk.next_position = position + 1
            rows = 0
        else:
            chunk.next_position = position + 1
    if rows:
        yield chunk


__all__ = [
    "CHUNK_ROWS",
    "S2_TO_OPENALEX_TYPE",
    "SOURCE",
    "Chunk",
    "datasets_abstract_to_api",
    "datasets_paper_to_api",
    "file_kind",
    "iter_citations",
    "iter_raw",
    "map_record",
    "merge_records",
    "sniff",
    "title_key",
]
