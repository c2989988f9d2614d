"""OpenCitations Index dumps: CSV files of citations, read as :class:`~citegraph.model.AssertedCitation` rows.

Three shapes are read, told apart by their header (quoted or not, in any column order):

- the current Index: ``id`` (or ``oci``), ``citing``, ``cited``, ``creation``, ``timespan``, ``journal_sc``,
  ``author_sc``, the ends as ``omid:br/…`` or as space-separated id lists (``omid:br/06101801781
  doi:10.7717/peerj-cs.421 pmid:33817056``), the OCI with or without ``oci:``;
- the legacy COCI dumps: the same columns with bare DOIs at the ends and DOI OCIs;
- CROCI-style files without an ``oci`` column (and NOCI's bare PMIDs).

A zip of such files is read member after member (the loader presents it as one stream; a member's header line
is skipped wherever it recurs). Each data row is a position: a load resumes after the last committed one.

A row that cannot be used is rejected with its reason, never fatal: a wrong column count, an end without a
usable identifier (an unknown prefix, a non-work id), a malformed OCI or one naming other works than the row's
ends, a bad date or duration, a flag other than ``yes``/``no``/empty.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import BinaryIO, Final

from citegraph import ids
from citegraph.metrics.oci import DOI_PREFIXES, OciError, encode_doi, split_oci
from citegraph.metrics.timespan import DateError, is_timespan, parse_date
from citegraph.model import AssertedCitation
from citegraph.sources import RecordError
from citegraph.sources.jsonio import LEADING

SOURCE: Final = "opencitations"
#: The loader reads this module's files as citations (``iter_citations``), not as work records.
KIND: Final = "citations"

#: Every column an Index CSV may have; ``id`` is the current dumps' name for the OCI.
COLUMNS: Final = ("oci", "id", "citing", "cited", "creation", "timespan", "journal_sc", "author_sc")
#: Rows per yielded chunk: one store transaction each.
CHUNK_ROWS: Final = 50_000
#: Characters of a rejected row kept in the report.
REJECT_SNIPPET: Final = 300
#: The flag values a dump writes; empty means "not said".
FLAGS: Final = {"yes": True, "no": False, "": None}
#: Identifiers per end: the longest id lists Meta gives are a handful; more is a damaged row.
MAX_IDS_PER_END: Final = 32

#: The commonest end: one bibliographic-resource OMID, already in canonical form.
_OMID_BR: Final = re.compile(r"omid:br/06[1-9]*0[1-9][0-9]*")
#: ``scheme:`` at the start of an id token (a bare DOI's suffix may hold a colon, so DOIs are tested first).
_PREFIX: Final = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):")
#: The prefixes an OpenCitations id list uses, and the scheme each names.
_KNOWN_PREFIXES: Final = frozenset({"doi", "pmid", "pmcid", "omid", "openalex", "wikidata", "arxiv", "isbn", "issn",
                                    "url", "jid", "orcid", "crossref", "viaf", "wikipedia"})


#: Dates already found valid (a dump repeats a few tens of thousands of dates millions of times).
_GOOD_DATES: set[str] = set()
#: Dates remembered at most (about 60 bytes each).
GOOD_DATES_MAX: Final = 200_000


class Columns:
    """Where each known column sits in a file's rows."""

    def __init__(self, header: list[str]) -> None:
        names = [h.strip().strip('"').lower() for h in header]
        self.header = names
        self.width = len(names)
        self.index = {n: i for i, n in enumerate(names)}
        oci = self.index.get("oci", self.index.get("id", -1))
        self.oci = oci
        self.citing = self.index["citing"]
        self.cited = self.index["cited"]
        self.creation = self.index.get("creation", -1)
        self.timespan = self.index.get("timespan", -1)
        self.journal_sc = self.index.get("journal_sc", -1)
        self.author_sc = self.index.get("author_sc", -1)


def header_columns(line: str) -> Columns | None:
    """The columns of an Index CSV header line, or None when the line is not one."""
    names = [h.strip().strip('"').lower() for h in next(csv.reader([line]), [])]
    if "citing" not in names or "cited" not in names or not set(names) <= set(COLUMNS) or len(set(names)) != len(
            names):
        return None
    return Columns(names)


def sniff(head: bytes) -> bool:
    """Does a decompressed file start with an OpenCitations Index CSV header?"""
    text = head.lstrip(LEADING)
    first = text.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        return header_columns(first.decode("utf-8")) is not None
    except UnicodeDecodeError:
        return False


def parse_end(text: str, what: str) -> tuple[tuple[str, str], ...]:
    """The identifiers of one end (a space-separated id list, or one bare DOI/PMID); raises RecordError."""
    out: list[tuple[str, str]] = []
    tokens = text.split()
    if not tokens:
        raise RecordError(f"{what}: no identifier")
    if len(tokens) > MAX_IDS_PER_END:
        raise RecordError(f"{what}: {len(tokens)} identifiers, more than any work has ({MAX_IDS_PER_END})")
    for token in tokens:
        if _OMID_BR.fullmatch(token):
            pair = (ids.OMID, token[5:])  # the commonest form, already canonical
        else:
            m = _PREFIX.match(token)
            if m is not None and not token.startswith("10.") and m[1].lower() not in _KNOWN_PREFIXES:
                raise RecordError(f"{what}: {token[:80]!r} has no known identifier prefix (doi:, pmid:, omid:br/ …)")
            try:
                pair = ids.parse_id(token, default=ids.PMID)  # NOCI writes bare PMIDs
            except ids.IdError as exc:
                raise RecordError(f"{what}: {exc}") from None
            if not ids.is_work_id(pair):
                raise RecordError(f"{what}: {token[:80]!r} does not identify a work")
        if pair not in out:
            out.append(pair)
    return tuple(out)


def _check_oci(oci: str, citing: tuple[tuple[str, str], ...], cited: tuple[tuple[str, str], ...]) -> str:
    """The OCI without ``oci:``, checked against the row's ends where they can be compared; raises RecordError."""
    bare = oci[4:] if oci.startswith("oci:") else oci
    if citing[0][0] == ids.OMID and cited[0][0] == ids.OMID and bare == f"{citing[0][1][3:]}-{cited[0][1][3:]}":
        return bare  # the current dumps' form: the two OMIDs' digits (the commonest row, checked cheaply)
    try:
        left, right = split_oci(oci)
    except OciError as exc:
        raise RecordError(f"oci: {exc}") from None
    for side, end, what in ((left, citing, "citing"), (right, cited, "cited")):
        if side.startswith("06"):
            omids = [v for s, v in end if s == ids.OMID]
            if omids and f"br/{side}" not in omids:
                raise RecordError(f"oci: {oci[:80]!r} names another {what} work than br/{omids[0][3:]}")
        elif side[:3] in DOI_PREFIXES:
            dois = [v for s, v in end if s == ids.DOI]
            if dois and all(encode_doi(d) != side[3:] for d in dois):
                raise RecordError(f"oci: {oci[:80]!r} names another {what} work than doi:{dois[0]}")
    return f"{left}-{right}"


def _flag(row: list[str], at: int, what: str) -> bool | None:
    if at < 0:
        return None
    value = FLAGS.get(row[at].strip().lower(), ...)
    if value is ...:
        raise RecordError(f"{what}: {row[at][:40]!r} is not yes, no or empty")
    return value


def parse_row(row: list[str], cols: Columns) -> AssertedCitation:
    """One data row as a citation; raises RecordError with the reason when it cannot be used."""
    if len(row) != cols.width:
        raise RecordError(f"expected {cols.width} columns ({','.join(cols.header)}), got {len(row)}")
    citing = parse_end(row[cols.citing], "citing")
    cited = parse_end(row[cols.cited], "cited")
    oci = row[cols.oci].strip() if cols.oci >= 0 else ""
    creation = row[cols.creation].strip() if cols.creation >= 0 else ""
    if creation and creation not in _GOOD_DATES:
        try:
            parse_date(creation)
        except DateError as exc:
            raise RecordError(f"creation: {exc}") from None
        if len(_GOOD_DATES) < GOOD_DATES_MAX:
            _GOOD_DATES.add(creation)
    span = row[cols.timespan].strip() if cols.timespan >= 0 else ""
    if span and not is_timespan(span):
        raise RecordError(f"timespan: {span[:40]!r} is not a duration like P2Y9M6D")
    return AssertedCitation(
        citing=citing, cited=cited, oci=_check_oci(oci, citing, cited) if oci else None,
        creation=creation or None, timespan=span or None,
        journal_sc=_flag(row, cols.journal_sc, "journal_sc"), author_sc=_flag(row, cols.author_sc, "author_sc"))


class Chunk:
    """Rows read from a file: the citations with their positions, the rejects, and where to resume."""

    __slots__ = ("citations", "next_position", "positions", "rejects")

    def __init__(self) -> None:
        self.citations: list[AssertedCitation] = []
        self.positions: list[int] = []
        self.rejects: list[tuple[int, str, str]] = []
        self.next_position = 0


def iter_citations(stream: BinaryIO, *, start: int = 0, chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """The file's data rows from position ``start`` on, in chunks; bad rows come back as rejects with reasons.

    A file whose first line is not an Index header yields one reject for the whole file at position 0.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.reader(text)
    cols: Columns | None = None
    position = 0
    chunk = Chunk()
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a field past csv's size limit, a NUL: that row only is set aside
            if cols is not None and position >= start:
                chunk.rejects.append((position, f"unreadable CSV row: {exc}", ""))
            position += 1
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank lines
        if cols is None or (len(row) == cols.width and row[cols.citing].strip().lower() == "citing"):
            found = header_columns(",".join(row))
            if found is None:
                if cols is None:
                    chunk.rejects.append((0, "not an OpenCitations Index CSV: the first line is no header with"
                                             " citing and cited columns", ",".join(row)[:REJECT_SNIPPET]))
                    chunk.next_position = 1
                    yield chunk
                    return
            else:
                cols = found  # the header, or a zip member's header again
                continue
        assert cols is not None
        if position >= start:
            try:
                chunk.citations.append(parse_row(row, cols))
                chunk.positions.append(position)
            except RecordError as exc:
                chunk.rejects.append((position, exc.reason, ",".join(row)[:REJECT_SNIPPET]))
        position += 1
        if len(chunk.citations) + len(chunk.rejects) >= chunk_rows:
            chunk.next_position = position
            yield chunk
            chunk = Chunk()
    chunk.next_position = max(position, start)
    if chunk.citations or chunk.rejects:
        yield chunk


__all__ = ["KIND", "SOURCE", "Chunk", "Columns", "header_columns", "iter_citations", "parse_end", "parse_row",
           "sniff"]
