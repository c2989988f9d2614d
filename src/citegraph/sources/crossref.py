"""Crossref works: read the public data file and API answers, map each work to the canonical model.

Inputs (already decompressed by the loader):

- public data file parts (``N.json.gz``): one document ``{"items": [work, …]}``, compact or pretty-printed;
- a tar of such parts, or of the newer JSON Lines parts (the file as Crossref distributes it);
- JSON Lines, one work per line (the 2025 form), or one API answer per line;
- API answers: a single work (``{"message-type": "work", "message": {…}}``) or a ``work-list`` page,
  and a bare work object or a JSON array of works.

Each item is kept as its own bytes (compacted when the file was pretty-printed), so the Crossref
dialect serves it as Crossref wrote it. An item that is not valid JSON, or not a usable work, is
yielded all the same and rejected by the mapper with its reason; the rest of its file loads.
"""

from __future__ import annotations

import functools
import html
import re
import tarfile
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

import msgspec

from citegraph import ids
from citegraph.model import (
    Affiliation,
    Author,
    Biblio,
    Concept,
    Dates,
    Funding,
    Id,
    License,
    Link,
    Reference,
    UpstreamCounts,
    Venue,
    Work,
)
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

SOURCE = "crossref"

#: Crossref's work types and the OpenAlex type each becomes in the canonical model (OpenAlex's own mapping,
#: as its records show in ``type_crossref``/``type``); a type not listed becomes "other".
CROSSREF_TO_OPENALEX_TYPE: dict[str, str] = {
    "journal-article": "article", "proceedings-article": "article", "posted-content": "preprint",
    "book-chapter": "book-chapter", "book-part": "book-chapter", "book-section": "book-chapter",
    "book": "book", "monograph": "book", "edited-book": "book", "reference-book": "book", "book-set": "book",
    "book-track": "book", "book-series": "book", "dataset": "dataset", "database": "dataset",
    "dissertation": "dissertation", "report": "report", "report-component": "report", "report-series": "report",
    "peer-review": "peer-review", "standard": "standard", "standard-series": "standard",
    "reference-entry": "reference-entry", "grant": "grant", "component": "paratext", "journal-issue": "paratext",
    "journal-volume": "paratext", "journal": "other", "proceedings": "other", "proceedings-series": "other",
    "other": "other",
}
#: The kind of venue a work of each Crossref type appears in (types not listed name no venue type).
VENUE_TYPES: dict[str, str] = {
    "journal-article": "journal", "journal-issue": "journal", "journal-volume": "journal",
    "proceedings-article": "conference", "book-chapter": "book series", "book-part": "book series",
    "book-section": "book series", "posted-content": "repository", "dataset": "repository",
}
#: Crossref's ``sequence`` of an author and the OpenAlex position it is.
FIRST_AUTHOR = "first"
#: Contributor lists of a Crossref work and the role each names (``author`` lists the byline).
CONTRIBUTOR_ROLES: tuple[tuple[str, str], ...] = (
    ("author", "author"), ("editor", "editor"), ("chair", "chair"), ("translator", "translator"))
#: The ``id-type`` values of a relation or affiliation id that name an identifier scheme of ours.
RELATION_ID_SCHEMES: dict[str, str] = {"doi": ids.DOI, "arxiv": ids.ARXIV, "pmid": ids.PMID, "pmcid": ids.PMCID,
                                       "issn": ids.ISSN, "isbn": ids.ISBN, "ror": ids.ROR}
#: Positions inside a tar member are numbered from ``member number × TAR_MEMBER_STRIDE``: a public data
#: file part holds a few thousand works, so parts never overlap, and resuming skips whole parts unread.
TAR_MEMBER_STRIDE = 1 << 24
#: Stands in for the unread rest of a tar member that cannot be read; ``map_record`` rejects it with the reason.
DAMAGED_MEMBER = b"\x00damaged tar member "
#: The names of tar members that hold data; checksums, READMEs and folders are passed over.
TAR_DATA_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".gz")
#: A tar header starts every tar file: the ``ustar`` magic sits at this offset of the first block.
TAR_MAGIC_OFFSET = 257
TAR_BLOCK = 512
#: Normalised secondary ids (ISSNs, ORCIDs, funder DOIs, RORs) repeat across millions of records.
ID_CACHE_SIZE = 1 << 16

#: Markup Crossref titles and abstracts carry (JATS, MathML, HTML): an opening, closing or empty tag.
_TAG_RE = re.compile(r"</?[A-Za-z][\w.:-]*(?:\s[^<>]*)?/?>")
#: JATS elements that end a block of text (a paragraph, a heading): they become a space, not nothing.
_BLOCK_TAG_RE = re.compile(r"</?(?:jats:)?(?:p|title|sec|list|list-item|label|caption|break|def-item)\b[^<>]*>")
#: An abstract's first heading when it only says "Abstract" (or "Summary"): not part of the text.
_ABSTRACT_HEADING_RE = re.compile(r"^\s*<(?:jats:)?title>\s*(?:abstract|summary)\s*</(?:jats:)?title>",
                                  re.IGNORECASE)
_SPACES_RE = re.compile(r"\s+")
#: How sure the bytes must be: an API answer names its message type among its first top-level keys
#: (``status``, ``message-type``, ``message-version``, then ``message``).
_MESSAGE_TYPE_RE = re.compile(
    rb'^\{\s*(?:"[a-z-]*"\s*:\s*(?:"[^"\\]*"|[0-9.]+)\s*,\s*){0,3}"message-type"\s*:\s*"work(?:-list)?"')
#: A public data file part begins with its ``items`` list.
_ITEMS_DOC_RE = re.compile(rb'^\{\s*"items"\s*:\s*\[')
#: A work's DOI under Crossref's own upper-case key.
_DOI_KEY_RE = re.compile(rb'"DOI"\s*:\s*"10\.')
#: Keys every Crossref work record has and no other source's work writes this way.
_CROSSREF_KEYS_RE = re.compile(rb'"(?:indexed|deposited|member|prefix|is-referenced-by-count|reference-count)"\s*:')
#: A top-level value of a document that failed to decode: a JSON string, or one bracket.
_SCAN_RE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


# --- the decoded subset of a work -----------------------------------------------------------------------
# Everything optional and nullable: Crossref's records differ by member, vintage and deposit schema.

DatePart = int | str | None


class _Date(msgspec.Struct, gc=False):
    date_parts: list[list[DatePart] | None] | None = msgspec.field(name="date-parts", default=None)
    date_time: str | None = msgspec.field(name="date-time", default=None)


class _IdEntry(msgspec.Struct, gc=False):
    id: str | None = None
    id_type: str | None = msgspec.field(name="id-type", default=None)


class _Affiliation(msgspec.Struct, gc=False):
    name: str | None = None
    id: list[_IdEntry | None] | None = None
    place: list[str | None] | None = None


class _Person(msgspec.Struct, gc=False):
    given: str | None = None
    family: str | None = None
    name: str | None = None
    suffix: str | None = None
    ORCID: str | None = None
    sequence: str | None = None
    affiliation: list[_Affiliation | None] | None = None


class _TypedValue(msgspec.Struct, gc=False):
    value: str | None = None
    type: str | None = None


class _License(msgspec.Struct, gc=False):
    URL: str | None = None
    start: _Date | None = None
    content_version: str | None = msgspec.field(name="content-version", default=None)


class _Link(msgspec.Struct, gc=False):
    URL: str | None = None
    content_type: str | None = msgspec.field(name="content-type", default=None)
    content_version: str | None = msgspec.field(name="content-version", default=None)
    intended_application: str | None = msgspec.field(name="intended-application", default=None)


class _Funder(msgspec.Struct, gc=False):
    DOI: str | None = None
    name: str | None = None
    award: list[str | None] | None = None


class _Update(msgspec.Struct, gc=False):
    DOI: str | None = None
    type: str | None = None


class _Reference(msgspec.Struct, gc=False):
    key: str | None = None
    DOI: str | None = None
    unstructured: str | None = None
    article_title: str | None = msgspec.field(name="article-title", default=None)
    volume_title: str | None = msgspec.field(name="volume-title", default=None)
    series_title: str | None = msgspec.field(name="series-title", default=None)
    author: str | None = None
    year: str | int | None = None
    journal_title: str | None = msgspec.field(name="journal-title", default=None)
    volume: str | int | None = None
    first_page: str | int | None = msgspec.field(name="first-page", default=None)


class _Work(msgspec.Struct, gc=False):
    DOI: str | None = None
    title: list[str | None] | None = None
    subtitle: list[str | None] | None = None
    original_title: list[str | None] | None = msgspec.field(name="original-title", default=None)
    abstract: str | None = None
    type: str | None = None
    language: str | None = None
    author: list[_Person | None] | None = None
    editor: list[_Person | None] | None = None
    chair: list[_Person | None] | None = None
    translator: list[_Person | None] | None = None
    container_title: list[str | None] | None = msgspec.field(name="container-title", default=None)
    ISSN: list[str | None] | None = None
    issn_type: list[_TypedValue | None] | None = msgspec.field(name="issn-type", default=None)
    ISBN: list[str | None] | None = None
    publisher: str | None = None
    member: str | int | None = None
    prefix: str | None = None
    issued: _Date | None = None
    published: _Date | None = None
    published_print: _Date | None = msgspec.field(name="published-print", default=None)
    published_online: _Date | None = msgspec.field(name="published-online", default=None)
    posted: _Date | None = None
    accepted: _Date | None = None
    created: _Date | None = None
    deposited: _Date | None = None
    indexed: _Date | None = None
    volume: str | int | None = None
    issue: str | int | None = None
    page: str | int | None = None
    article_number: str | int | None = msgspec.field(name="article-number", default=None)
    license: list[_License | None] | None = None
    link: list[_Link | None] | None = None
    funder: list[_Funder | None] | None = None
    subject: list[str | None] | None = None
    relation: dict[str, list[_IdEntry | None] | _IdEntry | None] | None = None
    update_to: list[_Update | None] | None = msgspec.field(name="update-to", default=None)
    reference: list[_Reference | None] | None = None
    reference_count: int | None = msgspec.field(name="reference-count", default=None)
    references_count: int | None = msgspec.field(name="references-count", default=None)
    is_referenced_by_count: int | None = msgspec.field(name="is-referenced-by-count", default=None)


class _Envelope(msgspec.Struct, gc=False):
    """What tells a file's documents apart: a data file part, an API answer, or a work."""

    items: list[msgspec.Raw] | None = None
    message_type: str | None = msgspec.field(name="message-type", default=None)
    message: msgspec.Raw = msgspec.Raw(b"")  # (a Raw cannot be in a union with None)


class _ListMessage(msgspec.Struct, gc=False):
    items: list[msgspec.Raw] | None = None


_WORK_DECODER = msgspec.json.Decoder(_Work)
_ENVELOPE_DECODER = msgspec.json.Decoder(_Envelope)
_LIST_DECODER = msgspec.json.Decoder(_ListMessage)
_ARRAY_DECODER = msgspec.json.Decoder(list[msgspec.Raw])


# --- values --------------------------------------------------------------------------------------------


def _text(value: str | int | None) -> str | None:
    """A string field as text (Crossref writes some numbers either way), None when empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def clean_markup(text: str | None) -> str | None:
    """``text`` without markup (JATS, MathML, HTML tags) and with entities resolved; None when empty.

    Crossref titles carry inline markup (``<i>``, ``<sub>``) and entities (``&amp;``); searching and the
    other dialects want the words.
    """
    if not text:
        return None
    if "<" in text:
        text = _BLOCK_TAG_RE.sub(" ", text)
        text = _TAG_RE.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    text = _SPACES_RE.sub(" ", text).strip()
    return text or None


def abstract_text(jats: str | None) -> str | None:
    """The plain text of a JATS abstract: a leading "Abstract" heading dropped, paragraphs joined by spaces."""
    if not jats:
        return None
    return clean_markup(_ABSTRACT_HEADING_RE.sub("", jats, count=1))


def date_from_parts(date: _Date | None, issues: list[str], what: str) -> str | None:
    """An ISO date at the precision Crossref gives (``2019``, ``2019-04``, ``2019-04-30``), or None.

    Parts past the first invalid one are dropped (a month 13 leaves the year); a date without a usable
    year is noted in ``issues``.
    """
    if date is None or not date.date_parts:
        return None
    parts = date.date_parts[0]
    if not parts or parts[0] is None:
        return None
    if len(parts) == 3:  # the common case, checked without the general path's conversions
        y, m, d = parts
        if type(y) is int and type(m) is int and type(d) is int and 0 < y <= 9999 and 0 < m <= 12 and 0 < d <= 28:
            return f"{y:04d}-{m:02d}-{d:02d}"
    values: list[int] = []
    for part in parts[:3]:
        try:
            values.append(int(part))  # type: ignore[arg-type]  # None fails like a non-number
        except (TypeError, ValueError):
            break
    if not values or not 1 <= values[0] <= 9999:
        issues.append(f"unusable {what} date {parts!r}")
        return None
    out = f"{values[0]:04d}"
    if len(values) > 1 and 1 <= values[1] <= 12:
        out += f"-{values[1]:02d}"
        if len(values) > 2 and 1 <= values[2] <= _days_in(values[0], values[1]):
            out += f"-{values[2]:02d}"
    return out


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _full_day(date: str | None) -> str | None:
    """A partial date as its earliest day, the form OpenAlex's ``publication_date`` and our filters use."""
    if date is None:
        return None
    return date + ("-01-01" if len(date) == 4 else "-01" if len(date) == 7 else "")


@functools.lru_cache(maxsize=ID_CACHE_SIZE)
def _normalised(scheme: str, value: str) -> str | None:
    try:
        return ids.normalize(scheme, value)
    except ids.IdError:
        return None


def _id(scheme: str, value: str | None, issues: list[str], what: str) -> Id | None:
    """The canonical id of a secondary value, or None (an unusable one is noted in ``issues``)."""
    if not value:
        return None
    norm = _normalised(scheme, value)
    if norm is None:
        issues.append(f"unusable {what} {value[:100]!r}")
        return None
    return Id(scheme, norm)


def _person(p: _Person, role: str, issues: list[str]) -> Author:
    given, family = _text(p.given), _text(p.family)
    name = _text(p.name) or " ".join(x for x in (given, family) if x) or None  # a suffix (Jr., Ph.D) is not the name
    orcid = _id(ids.ORCID, p.ORCID, issues, "ORCID")
    affiliations = []
    for a in p.affiliation or ():
        if a is None:
            continue
        aff_ids = [i for i in (_id(RELATION_ID_SCHEMES[e.id_type.lower()], e.id, issues, "affiliation id")
                               for e in a.id or () if e is not None and e.id_type
                               and e.id_type.lower() in RELATION_ID_SCHEMES) if i is not None]
        name_a = _text(a.name)
        if name_a or aff_ids:
            affiliations.append(Affiliation(name=name_a, ids=aff_ids, raw=name_a))
    return Author(name=name, given=given, family=family, ids=[orcid] if orcid else [], affiliations=affiliations,
                  position=None if role != "author" else ("first" if p.sequence == FIRST_AUTHOR else "middle"),
                  role=role)


def _people(w: _Work, issues: list[str]) -> list[Author]:
    """Authors in byline order (the last one's position ``last``), then editors, chairs and translators."""
    out: list[Author] = []
    for key, role in CONTRIBUTOR_ROLES:
        listed = [_person(p, role, issues) for p in getattr(w, key) or () if p is not None]
        if role == "author" and len(listed) > 1 and listed[-1].position == "middle":
            listed[-1].position = "last"
        out.extend(listed)
    return out


def _issns(w: _Work, issues: list[str]) -> list[Id]:
    values = [v for v in w.ISSN or () if v]
    values += [t.value for t in w.issn_type or () if t is not None and t.value]
    out: list[Id] = []
    for v in values:
        i = _id(ids.ISSN, v, issues, "ISSN")
        if i is not None and i not in out:
            out.append(i)
    return out


def _isbns(w: _Work, issues: list[str]) -> list[str]:
    out: list[str] = []
    for v in w.ISBN or ():
        i = _id(ids.ISBN, v, issues, "ISBN")
        if i is not None and i.value not in out:
            out.append(i.value)
    return out


def _pages(page: str | None) -> tuple[str | None, str | None]:
    """First and last page of a ``page`` range (``"43-50"``, ``"e1234"``)."""
    if page is None:
        return None, None
    first, sep, last = page.replace("\u2013", "-").partition("-")
    return first.strip() or None, (last.strip() or None) if sep else None


def _funders(w: _Work, issues: list[str]) -> list[Funding]:
    out: list[Funding] = []
    for f in w.funder or ():
        if f is None:
            continue
        fid = _id(ids.DOI, f.DOI, issues, "funder DOI")
        name = _text(f.name)
        if fid is None and name is None:
            continue
        out.append(Funding(name=name, ids=[fid] if fid else [], awards=[a for a in f.award or () if a]))
    return out


def _relations(w: _Work, issues: list[str]) -> dict[str, list[Id]]:
    out: dict[str, list[Id]] = {}
    for kind, entries in (w.relation or {}).items():
        listed = entries if isinstance(entries, list) else [entries]
        found = []
        for e in listed:
            if e is None or not e.id_type:
                continue
            scheme = RELATION_ID_SCHEMES.get(e.id_type.lower())
            if scheme is not None:
                i = _id(scheme, e.id, issues, f"{kind} relation id")
                if i is not None:
                    found.append(i)
        if found:
            out[kind] = found
    return out


def _references(w: _Work, own: str, issues: list[str]) -> tuple[list[Reference], int, int]:
    """The reference list in order: entries with a DOI name the cited work; repeats and self-references
    are counted and dropped; entries without a usable DOI are kept, with their parts, for matching."""
    out: list[Reference] = []
    seen: set[str] = set()
    duplicates = selfs = 0
    doi_scheme = ids.DOI
    for r in w.reference or ():
        if r is None:
            continue
        if r.DOI:
            value = ids.bare_doi(r.DOI) or _normalised(doi_scheme, r.DOI)
            if value is not None:
                if value == own:
                    selfs += 1
                elif value in seen:
                    duplicates += 1
                else:
                    seen.add(value)
                    # the cited work is named; its printed parts stay in the stored record
                    out.append(Reference(ids=[Id(doi_scheme, value)], key=r.key))
                continue
            issues.append(f"unusable reference DOI {r.DOI[:100]!r}")
        out.append(Reference(
            key=r.key, unstructured=r.unstructured, title=r.article_title or r.volume_title or r.series_title,
            author=r.author, year=_text(r.year), venue=r.journal_title, volume=_text(r.volume),
            first_page=_text(r.first_page)))
    return out, duplicates, selfs


def stored_raw(raw: bytes) -> bytes:
    """The bytes kept for an item: compact JSON (a pretty-printed part file's indentation is not data)."""
    if b"\n" in raw:
        return msgspec.json.format(raw, indent=-1)
    return raw


def map_record(raw: bytes) -> Mapped:
    """Parse and map one Crossref work (an ``items`` entry, a JSON line or an API ``message``).

    Raises RecordError when the record is not a JSON object or has no usable DOI.
    """
    if raw.startswith(DAMAGED_MEMBER):
        raise RecordError(raw[1:].decode("utf-8", "replace") + "; the rest of that member is not loaded")
    w: _Work = decode_record(raw, _WORK_DECODER)
    if not w.DOI:
        raise RecordError("record has no DOI")
    own = _normalised(ids.DOI, w.DOI)
    if own is None:
        raise RecordError(f"DOI {w.DOI[:100]!r} is not a DOI")
    issues: list[str] = []
    references, duplicates, selfs = _references(w, own, issues)
    ctype = _text(w.type)
    issued = date_from_parts(w.issued, issues, "issued")
    published = date_from_parts(w.published, issues, "published") or issued
    dates = Dates(
        published=published, published_print=date_from_parts(w.published_print, issues, "published-print"),
        published_online=date_from_parts(w.published_online, issues, "published-online"), issued=issued,
        posted=date_from_parts(w.posted, issues, "posted"), accepted=date_from_parts(w.accepted, issues, "accepted"),
        created=date_from_parts(w.created, issues, "created"),
        deposited=date_from_parts(w.deposited, issues, "deposited"),
        indexed=date_from_parts(w.indexed, issues, "indexed"))
    publication = issued or published
    titles = [t for t in (clean_markup(x) for x in w.container_title or ()) if t]
    issns = _issns(w, issues)
    publisher = _text(w.publisher)
    venue = (Venue(name=titles[0] if titles else None, ids=issns, type=VENUE_TYPES.get(ctype or ""),
                   publisher=publisher) if titles or issns else None)
    first, last = _pages(_text(w.page))
    abstract = abstract_text(w.abstract)
    version = w.indexed.date_time if w.indexed is not None else None
    title = next((t for t in (clean_markup(x) for x in w.title or ()) if t), None)
    work = Work(
        ids=[Id(ids.DOI, own)], source=SOURCE, title=title,
        subtitle=[t for t in (clean_markup(x) for x in w.subtitle or ()) if t],
        original_title=next((t for t in (clean_markup(x) for x in w.original_title or ()) if t), None),
        abstract=abstract, type=CROSSREF_TO_OPENALEX_TYPE.get(ctype or "", "other") if ctype else None,
        type_source=ctype, language=_text(w.language), publication_date=_full_day(publication),
        publication_year=int(publication[:4]) if publication else None, dates=dates, authors=_people(w, issues),
        venue=venue, container_titles=titles, publisher=publisher, member=_text(w.member),
        prefix=_text(w.prefix) or own.split("/", 1)[0], isbn=_isbns(w, issues),
        biblio=Biblio(volume=_text(w.volume), issue=_text(w.issue), first_page=first, last_page=last,
                      article_number=_text(w.article_number)),
        licenses=[License(url=lic.URL, version=lic.content_version,
                          start=date_from_parts(lic.start, issues, "license start"))
                  for lic in w.license or () if lic is not None and lic.URL],
        links=[Link(url=k.URL, content_type=k.content_type, version=k.content_version, kind=k.intended_application)
               for k in w.link or () if k is not None and k.URL],
        concepts=[Concept(name=s, kind="subject") for s in dict.fromkeys(x for x in w.subject or () if x)],
        funders=_funders(w, issues), references=references, relations=_relations(w, issues),
        update_to=[i for i in (_id(ids.DOI, u.DOI, issues, "update-to DOI") for u in w.update_to or ()
                               if u is not None) if i is not None],
        reference_visibility="open" if w.reference else None,
        upstream=UpstreamCounts(cited_by_count=w.is_referenced_by_count,
                                referenced_works_count=w.references_count if w.references_count is not None
                                else w.reference_count),
        version=version)
    return Mapped(work=work, raw=stored_raw(raw), version=version, duplicate_refs=duplicates, self_refs=selfs,
                  issues=issues, has_abstract=abstract is not None)


# --- reading files -------------------------------------------------------------------------------------


def sniff(head: bytes) -> bool:
    """Whether the first bytes of a decompressed file look like Crossref works.

    True for a public data file part (``{"items": [`` followed by Crossref work keys, or empty), a tar whose
    first member is one, an API ``work``/``work-list`` answer, and works (JSON Lines or one object) with a
    ``"DOI"`` and at least two of the keys every Crossref record has.
    """
    if _is_tar(head):
        return _sniff_tar(head)
    text = head.lstrip(LEADING)
    if not text.startswith((b"{", b"[")):
        return False
    if _MESSAGE_TYPE_RE.match(text):
        return True
    items = _ITEMS_DOC_RE.match(text)
    if items is not None and text[items.end():].lstrip(LEADING).startswith(b"]"):
        return True  # an empty part
    if _DOI_KEY_RE.search(text) is None or len(set(_CROSSREF_KEYS_RE.findall(text))) < 2:
        return False
    # a DOI must be a work's own: a top-level key of the work (an item, an array element, the object)
    return _has_key_at_depth(text, b'"DOI"', 3 if items is not None else 2 if text.startswith(b"[") else 1)


def _has_key_at_depth(text: bytes, key: bytes, depth: int) -> bool:
    """Whether ``key`` (a JSON string) is a key of an object ``depth`` arrays and objects deep in ``text``."""
    level = 0
    for m in _SCAN_RE.finditer(text):
        token = m.group()
        if token in (b"[", b"{"):
            level += 1
        elif token in (b"]", b"}"):
            level -= 1
        elif level == depth and token == key and text[m.end():m.end() + 8].lstrip().startswith(b":"):
            return True
    return False


def _is_tar(head: bytes) -> bool:
    return head[TAR_MAGIC_OFFSET:TAR_MAGIC_OFFSET + 5] == b"ustar"


def _sniff_tar(head: bytes) -> bool:
    """Whether a tar's first data member (within ``head``) holds Crossref works."""
    offset = 0
    while offset + TAR_BLOCK <= len(head) and _is_tar(head[offset:]):
        name = head[offset:offset + 100].split(b"\0", 1)[0].decode("utf-8", "replace")
        size_field = head[offset + 124:offset + 136].split(b"\0", 1)[0].strip() or b"0"
        try:
            size = int(size_field, 8)
        except ValueError:
            return False
        body = head[offset + TAR_BLOCK:offset + TAR_BLOCK + size]
        if head[offset + 156:offset + 157] in (b"0", b"\0") and name.endswith(TAR_DATA_SUFFIXES) and body:
            if body[:2] == b"\x1f\x8b":
                try:
                    body = zlib.decompressobj(wbits=31).decompress(body, 64 * 1024)
                except zlib.error:
                    return False
            return sniff(body)
        offset += TAR_BLOCK + -(-size // TAR_BLOCK) * TAR_BLOCK
    return False


def _scan_values(doc: bytes) -> Iterator[bytes]:
    """The elements of the first JSON array in ``doc`` (an ``items`` list), found by bracket depth.

    Used when the document does not decode whole: each element comes back as its bytes, valid or not,
    so one corrupt item is rejected on its own and the items after it still load.
    """
    depth = 0
    begin = -1
    for m in _SCAN_RE.finditer(doc):
        token = m.group()
        if token[:1] == b'"':
            if depth == 1 and begin < 0:
                begin = m.start()  # a string item (not a work: the mapper says so)
            continue
        if token in (b"[", b"{"):
            depth += 1
            if depth == 2 and begin < 0:
                begin = m.start()
            continue
        depth -= 1
        if depth == 1 and begin >= 0:
            yield doc[begin:m.end()]
            begin = -1
        elif depth <= 0:
            if begin >= 0:
                yield doc[begin:m.start()]
            return
    if begin >= 0:
        yield doc[begin:]  # the document ends inside an item: it is rejected as invalid JSON


def _items_after(doc: bytes) -> bytes:
    """``doc`` from the opening bracket of its ``items`` list (the whole document if it has none)."""
    m = re.search(rb'"items"\s*:\s*\[', doc)
    return doc[m.end() - 1:] if m else doc


def document_items(doc: bytes) -> list[bytes] | None:
    """The works of one JSON document: a part's ``items``, an API answer's work(s), an array, or the work.

    None when ``doc`` is not JSON. A part or list page that does not decode whole is split item by item
    (see ``_scan_values``), so its good items still load.
    """
    body = doc.strip(LEADING)
    try:
        if body.startswith(b"["):
            return [bytes(r) for r in _ARRAY_DECODER.decode(body)]
        env = _ENVELOPE_DECODER.decode(body)
    except msgspec.ValidationError:
        return [body]  # valid JSON of another shape: one record, for the mapper to judge
    except msgspec.DecodeError:
        if _ITEMS_DOC_RE.match(body) or _MESSAGE_TYPE_RE.match(body) or body.startswith(b"["):
            return list(_scan_values(_items_after(body) if not body.startswith(b"[") else body))
        return None
    if env.items is not None:
        return [bytes(r) for r in env.items]
    message = bytes(env.message)
    if message and env.message_type == "work-list":
        try:
            listed = _LIST_DECODER.decode(message).items
        except msgspec.ValidationError:
            return [message]
        return [bytes(r) for r in listed or ()]
    if message and env.message_type == "work":
        return [message]
    return [body]


def _holds_many(line: bytes) -> bool:
    """Whether one JSON line is a container of works (a part, an API answer, an array), not a work."""
    text = line.lstrip(LEADING)
    return text.startswith(b"[") or bool(_ITEMS_DOC_RE.match(text)) or bool(_MESSAGE_TYPE_RE.match(text))


def _line_records(source: Iterator[bytes], start: int, containers: bool) -> Iterator[tuple[int, bytes]]:
    """Works of JSON Lines: position = line number, or, for lines that are containers, the item number
    counted across lines. Lines that are not JSON are yielded for the mapper to reject."""
    position = 0
    for line in source:
        record = line.strip()
        if not containers:
            if position >= start and record:
                yield position, record
            position += 1
            continue
        if not record:
            continue
        items = document_items(record)
        for item in items if items is not None else [record]:
            if position >= start:
                yield position, item
            position += 1


def _stream_records(stream: BinaryIO, start: int) -> Iterator[tuple[int, bytes]]:
    """The works of one decompressed data file (not a tar), numbered from 0."""
    opening = first_line(stream)
    if opening is None:
        return
    first, prefix = opening
    whole = first.strip(LEADING)
    if _holds_many(first) and len(whole) > 1 and whole.endswith((b"}", b"]")):
        # a part or API answer on one line (a part is one ~20 MB line): decoded once, into its items
        yield from _line_records(lines(prefix + first, stream), start, containers=True)
        return
    if not first.lstrip(LEADING).startswith((b"{", b"[")) or is_json_line(first):
        yield from _line_records(lines(prefix + first, stream), start, containers=False)
        return
    # not one JSON value per line: a pretty-printed part or answer, read whole within a bound
    second = stream.readline()
    if is_json_line(second.strip()) and not _holds_many(second):
        yield from _line_records(lines(prefix + first + second, stream), start, containers=False)
        return
    doc = read_bounded(first + second, stream)
    items = document_items(doc) if len(doc) <= DOCUMENT_MAX_BYTES else None
    if items is None:
        yield from _line_records(lines(prefix + doc, stream), start, containers=False)
        return
    for i, item in enumerate(items):
        if i >= start:
            yield i, item


def _tar_records(stream: BinaryIO, start: int) -> Iterator[tuple[int, bytes]]:
    """The works of every data member of a tar, in tar order, numbered per member (see TAR_MEMBER_STRIDE).

    A member that cannot be read to its end yields what it held up to there and then one DAMAGED_MEMBER
    record saying why (rejected like a corrupt item); the next members still load. A tar that ends early is
    an EOFError, which the loader reports as a damaged file, keeping what was read.
    """
    first_member, first_inner = divmod(start, TAR_MEMBER_STRIDE)
    number = -1
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if not member.isfile() or not member.name.endswith(TAR_DATA_SUFFIXES):
                    continue
                number += 1
                if number < first_member:
                    continue  # loaded already: read past, not decompressed
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                inner: Any = _GzipMember(handle) if member.name.endswith(".gz") else handle
                base = number * TAR_MEMBER_STRIDE
                begin = first_inner if number == first_member else 0
                position = begin - 1
                try:
                    for position, raw in _stream_records(inner, begin):
                        yield base + position, raw
                except (zlib.error, EOFError, OSError) as exc:
                    yield base + position + 1, DAMAGED_MEMBER + f"{member.name}: {exc}".encode()
    except tarfile.TarError as exc:
        raise EOFError(f"the tar ends early or is damaged: {exc}") from None


class _GzipMember:
    """A gzip stream read through ``read``/``readline`` (a tar member's file object is not seekable)."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self._inflate = zlib.decompressobj(wbits=31)
        self._buffer = b""
        self._eof = False

    def _fill(self, want: int) -> None:
        while len(self._buffer) < want and not self._eof:
            chunk = self._handle.read(1 << 20)
            if not chunk:
                self._buffer += self._inflate.flush()
                self._eof = True
                if not self._inflate.eof:
                    raise EOFError("compressed member ended before the end of its data")
                break
            self._buffer += self._inflate.decompress(chunk)
            while self._inflate.eof and self._inflate.unused_data:  # concatenated gzip members
                rest = self._inflate.unused_data
                self._inflate = zlib.decompressobj(wbits=31)
                self._buffer += self._inflate.decompress(rest)

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            self._fill(1 << 62)
            out, self._buffer = self._buffer, b""
            return out
        self._fill(size)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def readline(self) -> bytes:
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0 or self._eof:
                break
            self._fill(len(self._buffer) + (1 << 16))
        end = self._buffer.find(b"\n")
        cut = len(self._buffer) if end < 0 else end + 1
        out, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return out


def iter_raw(stream: BinaryIO, *, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """The works of one decompressed file as ``(position, raw JSON bytes)``, in order.

    A part or API answer yields its items numbered from 0; JSON Lines yield one work per line numbered by
    line (blank lines keep their numbers); a tar yields its members' works numbered per member. Records
    before ``start`` are skipped. Items that are not valid JSON are yielded too, for the mapper to reject.
    """
    block = stream.read(TAR_BLOCK)
    if not block:
        return
    whole: Any = _Prefixed(block, stream)
    yield from (_tar_records(whole, start) if _is_tar(block) else _stream_records(whole, start))


class _Prefixed:
    """A stream with some already-read bytes put back in front of it."""

    def __init__(self, first: bytes, stream: BinaryIO) -> None:
        self._first = first
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if self._first:
            if size < 0:
                out, self._first = self._first + self._stream.read(), b""
                return out
            out, self._first = self._first[:size], self._first[size:]
            if len(out) < size:
                out += self._stream.read(size - len(out))
            return out
        return self._stream.read(size)

    def readline(self) -> bytes:
        if self._first:
            end = self._first.find(b"\n")
            if end >= 0:
                out, self._first = self._first[:end + 1], self._first[end + 1:]
                return out
            out, self._first = self._first + self._stream.readline(), b""
            return out
        return self._stream.readline()
