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
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO, Final, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from citegraph import ids
from citegraph.metrics.oci import DOI_PREFIXES, OciError, encode_doi, split_oci
from citegraph.metrics.timespan import DateError, is_timespan, parse_date
from citegraph.model import (
    AUTHOR_SC_NO,
    AUTHOR_SC_YES,
    JOURNAL_SC_NO,
    JOURNAL_SC_YES,
    OCI_FROM_OMIDS,
    AssertedCitation,
    CitationColumns,
    pack_date,
    pack_timespan,
)
from citegraph.sources import RecordError, opencitations_meta
from citegraph.sources.jsonio import LEADING
from citegraph.sources.opencitations_meta import iter_raw, map_record

SOURCE: Final = "opencitations"
#: The loader reads Index files as citations (``iter_citations``); Meta files are work records (``iter_raw``,
#: ``map_record`` of :mod:`.opencitations_meta`): ``file_kind`` tells them apart.
KIND: Final = "citations"

#: Every column an Index CSV may have; ``id`` is the current dumps' name for the OCI.
COLUMNS: Final = ("oci", "id", "citing", "cited", "creation", "timespan", "journal_sc", "author_sc")
#: Rows per yielded chunk at most: one store transaction each.
CHUNK_ROWS: Final = 200_000
#: Bytes read per block (about 90,000 rows of the current dumps): the unit read column-wise.
BLOCK_BYTES: Final = 8 << 20
#: Digits of an OMID the bulk reader takes as a 64-bit integer (longer ones go row by row).
OMID_DIGITS_MAX: Final = 18
#: Characters of a rejected row kept in the report.
REJECT_SNIPPET: Final = 300
#: The flag values a dump writes; empty means "not said".
FLAGS: Final = {"yes": True, "no": False, "": None}
#: Identifiers per end: the longest id lists Meta gives are a handful; more is a damaged row.
MAX_IDS_PER_END: Final = 32

#: The commonest end: one bibliographic-resource OMID, already in canonical form.
_OMID_BR: Final = re.compile(r"omid:br/06[1-9]*0[1-9][0-9]*")
#: A creation date as the bulk reader takes it (its calendar is checked apart).
_DATE_BULK: Final = re.compile(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?")
#: ``scheme:`` at the start of an id token (a bare DOI's suffix may hold a colon, so DOIs are tested first).
_PREFIX: Final = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):")
#: The prefixes an OpenCitations id list uses, and the scheme each names.
_KNOWN_PREFIXES: Final = frozenset({"doi", "pmid", "pmcid", "omid", "openalex", "wikidata", "arxiv", "isbn", "issn",
                                    "url", "jid", "orcid", "crossref", "viaf", "wikipedia"})


#: Dates already found valid (a dump repeats a few tens of thousands of dates millions of times).
_GOOD_DATES: set[str] = set()
#: Dates and timespans remembered packed, at most, each (about 100 bytes a value).
PACKED_MEMO_MAX: Final = 500_000
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
    """Does a decompressed file start with an OpenCitations Index or Meta CSV header?"""
    return file_kind(head) is not None


def file_kind(head: bytes) -> str | None:
    """``citations`` for an Index CSV, ``records`` for a Meta CSV (read by :mod:`.opencitations_meta`), else None."""
    if opencitations_meta.sniff_header(head):
        return "records"
    return "citations" if _is_index(head) else None


def _is_index(head: bytes) -> bool:
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
    """Rows read from a file: the citations with their positions, the rejects, and where to resume.

    ``columns`` holds the rows read in bulk (each end one OMID, every value well formed); ``citations`` the
    others, each with its position.
    """

    __slots__ = ("bulk_positions", "citations", "columns", "header", "next_position", "positions", "rejects")

    def __init__(self) -> None:
        self.citations: list[AssertedCitation] = []
        self.positions: list[int] = []
        self.rejects: list[tuple[int, str, str]] = []
        self.columns: CitationColumns | None = None
        self.bulk_positions = np.zeros(0, dtype=np.int64)  # the position of each row of ``columns``
        self.header: list[str] | None = None  # a header with other columns met here: in force after this chunk
        self.next_position = 0

    def __len__(self) -> int:
        """Rows this chunk holds (citations and rejects)."""
        return len(self.citations) + len(self.rejects) + (len(self.columns) if self.columns is not None else 0)

    def all_citations(self) -> list[AssertedCitation]:
        """Every citation of the chunk one by one, the bulk rows first."""
        return (self.columns.citations() if self.columns is not None else []) + self.citations

    def all_positions(self) -> list[int]:
        """The position of each of ``all_citations()``."""
        return self.bulk_positions.tolist() + self.positions


def _blocks(stream: BinaryIO, first: bytes, block_bytes: int, max_rows: int) -> Iterator[tuple[bytes, int]]:
    """The stream as blocks of whole lines (at most ``max_rows`` lines each) with their rows, cut the same way on
    every read.

    A block never ends inside a quoted field (its quotes balance), so a CSV row is never split between blocks.
    """
    pending = first
    eof = False

    def fill() -> None:
        nonlocal pending, eof
        data = stream.read(block_bytes)
        if data:
            pending += data
        else:
            eof = True

    while True:
        while not eof and (len(pending) < block_bytes or b"\n" not in pending):
            fill()
        if not pending:
            return
        cut = len(pending) if eof and len(pending) <= block_bytes else (
            pending.rfind(b"\n", 0, block_bytes) + 1 or pending.find(b"\n") + 1 or len(pending))
        lines = pending.count(b"\n", 0, cut)
        if lines > max_rows:
            ends = np.flatnonzero(np.frombuffer(pending, dtype=np.uint8, count=cut) == 10)
            cut = int(ends[max_rows - 1]) + 1
            lines = max_rows
        # a quoted field that goes on past the cut: take its lines too
        while pending.find(b'"', 0, cut) >= 0 and pending.count(b'"', 0, cut) % 2:
            nl = pending.find(b"\n", cut)
            if nl >= 0:
                cut = nl + 1
                lines += 1
            elif eof:
                cut = len(pending)
                break
            else:
                fill()
        block, pending = pending[:cut], pending[cut:]
        yield block, lines + (0 if block.endswith(b"\n") else 1)


class BlockTask(NamedTuple):
    """A block of lines to read (possibly in another process), with where its lines sit and the header in force."""

    block: bytes
    rows: int  # lines, each a position
    position: int  # of its first line
    start: int  # lines before this position are skipped (a resumed load)
    header: list[str]
    header_line: bytes  # the header as written: a line equal to it is that header again (a zip member's)
    threads: bool = True  # let the CSV reader use threads (not when several processes read blocks at once)


class CutState:
    """The header in force while a file is cut into blocks; a block that changes it says so (``Chunk.header``)."""

    def __init__(self) -> None:
        self.header: list[str] = []
        self.header_line = b""


def citation_tasks(stream: BinaryIO, *, start: int = 0, chunk_rows: int | None = None,
                   block_bytes: int | None = None, state: CutState | None = None) -> Iterator[Chunk | BlockTask]:
    """The file cut into blocks of lines, in order, as tasks for :func:`parse_block` (or one chunk rejecting a file
    without a header). Each line after the header is a position. See :func:`iter_citations`."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    block_bytes = block_bytes or BLOCK_BYTES
    state = state or CutState()
    head = stream.read(block_bytes)
    while head and not head.lstrip(LEADING) and len(head) < (64 << 20):
        more = stream.read(block_bytes)
        if not more:
            break
        head += more
    head = head.lstrip(LEADING)
    nl = head.find(b"\n")
    line = head if nl < 0 else head[:nl]
    header_bytes = line.rstrip(b"\r")
    try:
        cols = header_columns(header_bytes.decode("utf-8"))
    except UnicodeDecodeError:
        cols = None
    if cols is None:
        chunk = Chunk()
        chunk.rejects.append((0, "not an OpenCitations Index CSV: the first line is no header with citing and"
                                 " cited columns", header_bytes.decode("utf-8", "replace")[:REJECT_SNIPPET]))
        chunk.next_position = 1
        yield chunk
        return
    state.header, state.header_line = cols.header, header_bytes
    position = 0
    for block, n in _blocks(stream, b"" if nl < 0 else head[nl + 1:], block_bytes, chunk_rows):
        if position + n > start:
            yield BlockTask(block, n, position, start, state.header, state.header_line)
        position += n


def parse_block(task: BlockTask) -> Chunk:
    """A block's rows: column-wise where its lines are plain, else with Python's CSV reader; a row's position is
    its first line's. A line repeating the header is skipped; another header changes the columns (``header``)."""
    cols = Columns(list(task.header))
    block = task.block
    chunk: Chunk | None = None
    if b'"' not in block:
        kept = None
        if _mentions_citing(block):  # the header again, as a zip member starts: read around it
            lines = block.split(b"\n")[:task.rows]
            again = [i for i, x in enumerate(lines) if x.rstrip(b"\r") == task.header_line]
            if again:
                kept = np.delete(np.arange(task.rows), again)
                block = b"\n".join(x for i, x in enumerate(lines) if i not in set(again)) + b"\n"
        if not _mentions_citing(block) and block and not block.isspace():
            n = task.rows if kept is None else len(kept)
            chunk = _bulk_block(block, n, cols, task.position, task.start, task.threads, kept)
        elif kept is not None and not len(kept):
            chunk = Chunk()
    if chunk is None:
        chunk = Chunk()
        _csv_block(task, cols, chunk)
    chunk.next_position = task.position + task.rows
    return chunk


def _mentions_citing(block: bytes) -> bool:
    """Does ``citing`` occur in the block (a header line)? Data rows hold no ``g``: one byte scan settles most."""
    return b"g" in block and b"citing" in block


def iter_citations(stream: BinaryIO, *, start: int = 0, chunk_rows: int | None = None,
                   block_bytes: int | None = None) -> Iterator[Chunk]:
    """The file's data rows from position ``start`` on, in chunks; bad rows come back as rejects with reasons.

    Blocks of plain lines (no quotes, no blank lines, no header again) are read in bulk into ``Chunk.columns``
    where every value is well formed; any other row goes the row-by-row way with the same positions. A file
    whose first line is not an Index header yields one reject for the whole file at position 0. A load resumed
    after a chunk reads the same chunks after it (chunks are cut the same way on every read); ``chunk_rows`` and
    ``block_bytes`` default to :data:`CHUNK_ROWS` and :data:`BLOCK_BYTES` as they are when called.
    """
    state = CutState()
    for item in citation_tasks(stream, start=start, chunk_rows=chunk_rows, block_bytes=block_bytes, state=state):
        if isinstance(item, BlockTask):
            item = parse_block(item)
            if item.header is not None:
                state.header, state.header_line = item.header, ",".join(item.header).encode()
        yield item


def _csv_block(task: BlockTask, cols: Columns, chunk: Chunk) -> None:
    """A block's rows one by one with Python's CSV reader (quotes, blank lines, headers again, bad rows)."""
    reader = csv.reader(io.StringIO(task.block.decode("utf-8", errors="replace"), newline=""))
    while True:
        at = task.position + reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a field past csv's size limit, a NUL: that row only is set aside
            if at >= task.start:
                chunk.rejects.append((at, f"unreadable CSV row: {exc}", ""))
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line is no row (it keeps its place)
        if any(x.strip().lower() == "citing" for x in row):  # a header, in any column order
            found = header_columns(",".join(row))
            if found is not None:
                if found.header != cols.header:
                    chunk.header = found.header  # a zip member with other columns: the next blocks too
                cols = found
                continue
        if at >= task.start:
            try:
                chunk.citations.append(parse_row(row, cols))
                chunk.positions.append(at)
            except RecordError as exc:
                chunk.rejects.append((at, exc.reason, ",".join(row)[:REJECT_SNIPPET]))


def _bulk_block(block: bytes, n: int, cols: Columns, position: int, start: int, threads: bool,
                kept: np.ndarray | None = None) -> Chunk | None:
    """A block of plain lines read column-wise; None when it does not parse as the header says (then the block
    goes row by row)."""
    bad: list[object] = []

    def invalid(row: object) -> str:
        bad.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.py_buffer(block),
            read_options=pacsv.ReadOptions(column_names=cols.header, use_threads=threads),
            parse_options=pacsv.ParseOptions(quote_char=False, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in cols.header},
                                                 strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    if bad or table.num_rows != n:
        return None
    table = table.combine_chunks()
    col = [table.column(i).chunk(0) if table.column(i).num_chunks else pa.array([], pa.string())
           for i in range(cols.width)]
    citing_ok, citing_number, citing_digits = omid_numbers(col[cols.citing])
    cited_ok, cited_number, cited_digits = omid_numbers(col[cols.cited])
    good = citing_ok & cited_ok
    flags = np.zeros(n, dtype=np.uint8)
    if cols.oci >= 0:
        # the current dumps write oci:<citing digits>-<cited digits>; any other OCI goes row by row
        oci = col[cols.oci]
        given = _lengths(oci) > 0
        good &= ~given | _oci_of_omids(oci, citing_digits, cited_digits)
        flags |= given.astype(np.uint8) * OCI_FROM_OMIDS
    creation = (_CREATION_MEMO.packed(col[cols.creation]) if cols.creation >= 0
                else np.zeros(n, dtype=np.int64))
    timespan = packed_timespans(col[cols.timespan]) if cols.timespan >= 0 else np.zeros(n, dtype=np.int64)
    good &= (creation >= 0) & (timespan >= 0)
    for at, no, yes in ((cols.journal_sc, JOURNAL_SC_NO, JOURNAL_SC_YES), (cols.author_sc, AUTHOR_SC_NO,
                                                                            AUTHOR_SC_YES)):
        if at >= 0:
            said_yes = pc.equal(col[at], "yes").to_numpy(zero_copy_only=False)
            said_no = pc.equal(col[at], "no").to_numpy(zero_copy_only=False)
            good &= said_yes | said_no | pc.equal(pc.binary_length(col[at]), 0).to_numpy(zero_copy_only=False)
            flags |= said_yes.astype(np.uint8) * yes | said_no.astype(np.uint8) * no
    line = np.arange(n) if kept is None else kept  # each row's line in the block
    good &= line + position >= start
    keep = np.flatnonzero(good)
    chunk = Chunk()
    chunk.columns = CitationColumns(
        citing=citing_number[keep], cited=cited_number[keep],
        creation=creation[keep].astype(np.int32), timespan=timespan[keep].astype(np.int32), flags=flags[keep])
    chunk.bulk_positions = line[keep] + position
    others = np.flatnonzero(~good)
    if len(others):
        others = others[line[others] + position >= start]
        rows = table.take(pa.array(others)).to_pylist() if len(others) else []
        for i, row in zip(others.tolist(), rows, strict=True):
            fields = [row[name] or "" for name in cols.header]
            at = position + int(line[i])
            try:
                chunk.citations.append(parse_row(fields, cols))
                chunk.positions.append(at)
            except RecordError as exc:
                chunk.rejects.append((at, exc.reason, ",".join(fields)[:REJECT_SNIPPET]))
    return chunk


def _string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each value's start and end in the data bytes of a string array (no nulls), and those bytes."""
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=arr.offset + len(arr) + 1)[arr.offset:].astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None and bufs[2].size else np.zeros(1, np.uint8)
    return offsets[:-1], offsets[1:], data


def _lengths(arr: pa.Array) -> np.ndarray:
    """Each value's length in bytes."""
    starts, ends, _ = _string_buffers(arr)
    return ends - starts


#: What every canonical bibliographic-resource OMID starts with, and its digits after ``omid:br/``, at least
#: (``06``, the supplier's ``0`` terminator and one significant digit).
_OMID_BR_START: Final = "omid:br/06"
_OMID_MIN_DIGITS: Final = 4
_ZERO, _NINE = ord("0"), ord("9")


def omid_numbers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Which values are one canonical bibliographic-resource OMID (``omid:br/06[1-9]*0[1-9][0-9]*`` with at most
    OMID_DIGITS_MAX digits), each one's digits as an integer (the leading ``0`` implied; 0 where not) and the
    digits as written; read from the array's bytes (a regex per value costs several times as much)."""
    starts, ends, data = _string_buffers(arr)
    n = len(starts)
    count = ends - starts - len("omid:br/")
    ok = (count >= _OMID_MIN_DIGITS) & (count <= OMID_DIGITS_MAX)
    ok &= pc.starts_with(arr, _OMID_BR_START).to_numpy(zero_copy_only=False)
    # every byte after "omid:br/" a digit: the value's only non-digits are its 8 prefix bytes
    other = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum((data < _ZERO) | (data > _NINE), dtype=np.int32, out=other[1:])
    ok &= other[ends] - other[starts] == len("omid:br/")
    # after "06": nonzero digits, the supplier prefix's terminating 0, then a nonzero digit
    zeros = np.flatnonzero(data == _ZERO)
    first = zeros[np.minimum(np.searchsorted(zeros, starts + len(_OMID_BR_START)), max(len(zeros) - 1, 0))] if len(
        zeros) else np.full(n, -1)
    ok &= (first >= starts + len(_OMID_BR_START)) & (first < ends - 1)
    ok &= data[np.clip(first + 1, 0, len(data) - 1)] != _ZERO
    digits = pc.binary_slice(arr.cast(pa.binary()), len("omid:br/"), len("omid:br/") + OMID_DIGITS_MAX)
    if ok.all():
        number = pc.cast(digits.cast(pa.string()), pa.int64()).to_numpy(zero_copy_only=False)
    else:
        readable = pc.if_else(pa.array(ok), digits, pa.scalar(b"0", pa.binary()))
        number = pc.cast(readable.cast(pa.string()), pa.int64()).to_numpy(zero_copy_only=False)
    return ok, number.astype(np.int64), digits


def _oci_of_omids(oci: pa.Array, citing: pa.Array, cited: pa.Array) -> np.ndarray:
    """Is each OCI ``oci:<citing digits>-<cited digits>`` of its row's two OMIDs (their digits as written)?"""
    expected = pc.binary_join_element_wise(b"oci:", citing, b"-", cited, b"")
    return pc.equal(oci.cast(pa.binary()), expected).to_numpy(zero_copy_only=False)


class _PackedMemo:
    """Values packed once (a dump repeats a few tens of thousands of dates or timespans millions of times), then
    looked up column-wise; ``pack`` gives -1 for a value the bulk reader leaves to the row-by-row reader. Safe for
    reader threads: the known values and their packing are replaced together, under a lock."""

    def __init__(self, pack: Callable[[str], int]) -> None:
        self.pack = pack
        self.values: dict[str, int] = {}
        self._known: tuple[pa.Array, np.ndarray] = (pa.array([], pa.string()), np.zeros(0, dtype=np.int64))
        self._lock = threading.Lock()

    def packed(self, arr: pa.Array) -> np.ndarray:
        """Each value packed."""
        known, lut = self._known
        at = pc.index_in(arr, value_set=known)
        if at.null_count:
            new = pc.unique(arr.filter(at.is_null())).to_pylist()
            with self._lock:
                if len(self.values) + len(new) > PACKED_MEMO_MAX:  # memory full: packed for this block alone
                    extra = {v: self.pack(v) for v in new}
                    return np.fromiter((self.values.get(v, extra.get(v, -1)) for v in arr.to_pylist()),
                                       dtype=np.int64, count=len(arr))
                self.values.update((v, self.pack(v)) for v in new if v not in self.values)
                self._known = known, lut = (pa.array(list(self.values), pa.string()),
                                            np.fromiter(self.values.values(), dtype=np.int64, count=len(self.values)))
            at = pc.index_in(arr, value_set=known)
        if not len(arr):
            return np.zeros(0, dtype=np.int64)
        return lut[at.to_numpy(zero_copy_only=False)]


def _pack_creation(text: str) -> int:
    """A creation date packed (0: empty), -1 when it is not a real calendar date written ``YYYY[-MM[-DD]]``."""
    if not text:
        return 0
    if not _DATE_BULK.fullmatch(text) or not _good_date(text):
        return -1
    got = pack_date(text)
    return -1 if got is None else got


def _pack_timespan(text: str) -> int:
    """A timespan packed (0: empty), -1 when it does not pack."""
    got = pack_timespan(text) if text else 0
    return -1 if got is None else got


_CREATION_MEMO: Final = _PackedMemo(_pack_creation)
_TIMESPAN_MEMO: Final = _PackedMemo(_pack_timespan)


def packed_timespans(arr: pa.Array) -> np.ndarray:
    """:func:`~citegraph.model.pack_timespan` of each value, column-wise (``-1``: does not pack; 0: empty)."""
    return _TIMESPAN_MEMO.packed(arr)


def _good_date(v: str) -> bool:
    """A real calendar date (the pattern let through ``2021-02-30``)."""
    if v in _GOOD_DATES:
        return True
    try:
        parse_date(v)
    except DateError:
        return False
    if len(_GOOD_DATES) < GOOD_DATES_MAX:
        _GOOD_DATES.add(v)
    return True


__all__ = ["KIND", "SOURCE", "BlockTask", "Chunk", "Columns", "CutState", "citation_tasks", "file_kind",
           "header_columns", "iter_citations", "iter_raw", "map_record", "parse_block", "parse_end", "parse_row",
           "sniff"]
