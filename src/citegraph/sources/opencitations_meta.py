"""OpenCitations Meta CSV dumps: bibliographic resources as work records (source ``opencitations``).

A Meta CSV has the columns ``id, title, author, issue, volume, venue, page, pub_date, type, publisher, editor``
(in any order, quoted or not). ``id`` is a space-separated id list (``omid:br/… doi:… openalex:W…``); people
and organisations are ``Name [ids]`` joined by ``; `` (``Family, Given [orcid:… omid:ra/…]``); the venue is
``Name [issn:… omid:br/…]``; pages are ``first-last``. Each row is stored as a JSON object of its columns and
mapped to the canonical :class:`~citegraph.model.Work`, its OMID first, so a work first known as a stub from an
Index dump is filled in by its Meta row.

The reader is used through :mod:`citegraph.sources.opencitations`, which tells Meta files from Index files by
their header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO, Final

import msgspec

from citegraph import ids
from citegraph.model import Author, Biblio, Id, Venue, Work
from citegraph.sources import Mapped, RecordError
from citegraph.sources.jsonio import LEADING

SOURCE: Final = "opencitations"
#: The columns of a Meta CSV.
META_COLUMNS: Final = ("id", "title", "author", "issue", "volume", "venue", "page", "pub_date", "type",
                       "publisher", "editor")
#: The columns whose presence marks a Meta CSV header.
META_MARK: Final = frozenset({"id", "title", "author", "pub_date", "venue"})
#: Meta's type words as OpenAlex's work types (the canonical vocabulary); Meta's own word is kept beside it.
OPENALEX_TYPE_OF_META: Final = {
    "journal article": "article", "proceedings article": "article", "book chapter": "book-chapter",
    "book part": "book-chapter", "book section": "book-chapter", "book": "book", "edited book": "book",
    "reference book": "book", "reference entry": "reference-entry", "dataset": "dataset", "data file": "dataset",
    "dissertation": "dissertation", "report": "report", "standard": "standard", "peer review": "peer-review",
    "web content": "other", "computer program": "other"}
#: Ids of people (and venues) Meta gives that we keep: its own OMIDs (``omid:ra/…``, ``omid:br/…``) too.
PERSON_ID_SCHEMES: Final = (ids.OMID, ids.ORCID)
VENUE_ID_SCHEMES: Final = (ids.OMID, ids.ISSN, ids.OPENALEX)
#: Longest field kept (a title, an author list); longer ones are a damaged row.
MAX_FIELD_CHARS: Final = 100_000

_ROW = msgspec.json.Decoder(dict[str, str])
_encode = msgspec.json.encode


def is_meta_header(names: list[str]) -> bool:
    """Do these header names make a Meta CSV?"""
    return set(names) >= META_MARK and set(names) <= set(META_COLUMNS)


def _header(line: str) -> list[str]:
    return [h.strip().strip('"').lower() for h in next(csv.reader([line]), [])]


def iter_raw(stream: BinaryIO, *, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """The rows of a Meta CSV as ``(position, JSON object of the row)``; a row with a wrong column count comes
    as ``{"": reason}`` for the mapper to reject."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.reader(text)
    header: list[str] | None = None
    position = 0
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header is None:
            header = [h.strip().lower() for h in row]
            continue
        if position >= start:
            if len(row) != len(header):
                yield position, _encode({"": f"expected {len(header)} columns ({','.join(header)}), got {len(row)}"})
            else:
                yield position, _encode(dict(zip(header, row, strict=True)))
        position += 1


def _tagged(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """``Name [ids]; Name [ids]`` as (name, id pairs); an id that does not parse is left out."""
    out = []
    for part in text.split("; "):
        part = part.strip()
        if not part:
            continue
        name, ids_text = part, ""
        if part.endswith("]") and "[" in part:
            name, _, rest = part.rpartition("[")
            ids_text = rest[:-1]
        pairs = []
        for token in ids_text.split():
            scheme, _, value = token.partition(":")
            pairs.append((scheme.lower(), value))
        out.append((name.strip(), pairs))
    return out


def _kept_ids(pairs: list[tuple[str, str]], schemes: tuple[str, ...]) -> list[Id]:
    """The ids of these schemes, normalised; one that does not parse is left out."""
    kept = []
    for scheme, value in pairs:
        if scheme in schemes:
            try:
                kept.append(Id(scheme, ids.normalize(scheme, value)))
            except ids.IdError:
                continue
    return kept


def _people(text: str, role: str) -> list[Author]:
    people = []
    for name, pairs in _tagged(text):
        family, _, given = name.partition(", ")
        people.append(Author(name=f"{given} {family}".strip() if given else family.rstrip(","),
                             family=family.rstrip(",") or None, given=given or None,
                             ids=_kept_ids(pairs, PERSON_ID_SCHEMES), role=role))
    return people


def map_record(raw: bytes) -> Mapped:
    """One Meta row as a canonical work; raises RecordError when it cannot be used."""
    try:
        row = _ROW.decode(raw)
    except msgspec.DecodeError as exc:
        raise RecordError(f"not a Meta row: {exc}") from None
    if "" in row:
        raise RecordError(row[""])
    if any(len(v) > MAX_FIELD_CHARS for v in row.values()):
        raise RecordError(f"a field longer than {MAX_FIELD_CHARS} characters")
    work_ids: list[Id] = []
    for token in row.get("id", "").split():
        try:
            scheme, value = ids.parse_id(token)
        except ids.IdError:
            continue
        if ids.is_work_id((scheme, value)) and Id(scheme, value) not in work_ids:
            work_ids.append(Id(scheme, value))
    if not work_ids:
        raise RecordError(f"id: {row.get('id', '')[:80]!r} names no work")
    work_ids.sort(key=lambda i: i.scheme != ids.OMID)  # the OMID first: it names the work in Meta
    pub_date = row.get("pub_date", "").strip() or None
    year = int(pub_date[:4]) if pub_date and pub_date[:4].isdigit() else None
    venue = None
    for name, pairs in _tagged(row.get("venue", ""))[:1]:
        venue = Venue(name=name, ids=_kept_ids(pairs, VENUE_ID_SCHEMES))
    publisher, member = None, None
    for name, pairs in _tagged(row.get("publisher", ""))[:1]:
        publisher = name
        member = next((v for s, v in pairs if s == "crossref"), None)
    first, _, last = row.get("page", "").partition("-")
    meta_type = row.get("type", "").strip() or None
    work = Work(
        ids=work_ids, source=SOURCE, title=row.get("title") or None, publication_date=pub_date,
        publication_year=year, authors=_people(row.get("author", ""), "author") + _people(row.get("editor", ""),
                                                                                      "editor"),
        venue=venue, publisher=publisher, member=member,
        biblio=Biblio(volume=row.get("volume") or None, issue=row.get("issue") or None, first_page=first or None,
                      last_page=last or first or None),
        type=OPENALEX_TYPE_OF_META.get(meta_type or "", "other" if meta_type else None), type_source=meta_type)
    return Mapped(work=work, raw=raw)


def sniff_header(head: bytes) -> bool:
    """Does a decompressed file start with a Meta CSV header?"""
    first = head.lstrip(LEADING).split(b"\n", 1)[0].rstrip(b"\r")
    try:
        return is_meta_header(_header(first.decode("utf-8")))
    except UnicodeDecodeError:
        return False


__all__ = ["META_COLUMNS", "SOURCE", "is_meta_header", "iter_raw", "map_record", "sniff_header"]
