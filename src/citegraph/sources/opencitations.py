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
    PACKABLE_TIMESPAN,
    AssertedCitation,
    CitationColumns,
    pack_date,
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
#: The bulk reader's patterns (RE2 syntax): a canonical br OMID, a date as written (its calendar is checked
#: apart).
_DATE_BULK: Final = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
_OMID_BR_BULK: Final = "^omid:br/06[1-9]*0[1-9][0-9]*$"
#: ``scheme:`` at the start of an id token (a bare DOI's suffix may hold a colon, so DOIs are tested first).
_PREFIX: Final = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):")
#: The prefixes an OpenCitations id list uses, and the scheme each names.
_KNOWN_PREFIXES: Final = frozenset({"doi", "pmid", "pmcid", "omid", "openalex", "wikidata", "arxiv", "isbn", "issn",
                                    "url", "jid", "orcid", "crossref", "viaf", "wikipedia"})


#: Dates already found valid (a dump repeats a few tens of thousands of dates millions of times).
_GOOD_DATES: set[str] = set()
#: Dates and timespans remembered packed, at most (about 100 bytes each).
PACKED_MEMO_MAX: Final = 500_000
_PACKED_DATES: dict[str, int] = {}
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
        if b"citing" in block:  # the header again, as a zip member starts: read around it
            lines = block.split(b"\n")[:task.rows]
            again = [i for i, x in enumerate(lines) if x.rstrip(b"\r") == task.header_line]
            if again:
                kept = np.delete(np.arange(task.rows), again)
                block = b"\n".join(x for i, x in enumerate(lines) if i not in set(again)) + b"\n"
        if b"citing" not in block and block and not block.isspace():
            n = task.rows if kept is None else len(kept)
            chunk = _bulk_block(block, n, cols, task.position, task.start, task.threads, kept)
        elif kept is not None and not len(kept):
            chunk = Chunk()
    if chunk is None:
        chunk = Chunk()
        _csv_block(task, cols, chunk)
    chunk.next_position = task.position + task.rows
    return chunk


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
    citing, cited = col[cols.citing], col[cols.cited]
    citing_digits, cited_digits = pc.utf8_slice_codeunits(citing, 8), pc.utf8_slice_codeunits(cited, 8)
    ok = pc.and_(_is_omid_br_distinct(citing), _is_omid_br(cited))
    flags = np.zeros(n, dtype=np.uint8)
    if cols.oci >= 0:
        # the current dumps write oci:<citing digits>-<cited digits>; any other OCI goes row by row
        oci = col[cols.oci]
        given = pc.greater(pc.binary_length(oci), 0)
        same = pc.equal(oci, pc.binary_join_element_wise("oci:", citing_digits, "-", cited_digits, ""))
        ok = pc.and_(ok, pc.or_(pc.invert(given), same))
        flags |= given.to_numpy(zero_copy_only=False).astype(np.uint8) * OCI_FROM_OMIDS
    good = ok.to_numpy(zero_copy_only=False)
    creation = _packed(col[cols.creation] if cols.creation >= 0 else None, n, _DATE_BULK, _PACKED_DATES, pack_date,
                       _good_date)
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
        citing=_digits(citing_digits, keep), cited=_digits(cited_digits, keep),
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


def _is_omid_br(arr: pa.Array) -> pa.Array:
    """Is each value one canonical bibliographic-resource OMID whose digits fit a 64-bit integer?"""
    return pc.and_(pc.match_substring_regex(arr, _OMID_BR_BULK),
                   pc.less_equal(pc.binary_length(arr), len("omid:br/") + OMID_DIGITS_MAX))


def _is_omid_br_distinct(arr: pa.Array) -> pa.Array:
    """:func:`_is_omid_br` checked once per distinct value (a citing work's rows come together)."""
    enc = pc.dictionary_encode(arr)
    return pc.take(_is_omid_br(enc.dictionary), enc.indices)


def _digits(arr: pa.Array, keep: np.ndarray) -> np.ndarray:
    taken = arr.take(pa.array(keep)) if len(keep) != len(arr) else arr
    return pc.cast(taken, pa.int64()).to_numpy(zero_copy_only=False).astype(np.int64)


def _packed(arr: pa.Array | None, n: int, pattern: str, memo: dict[str, int], pack: Callable[[str | None], int | None],
            check: Callable[[str], bool] | None = None) -> np.ndarray:
    """Each row's value packed (0: empty), ``-1`` where it does not match ``pattern``, fails ``check`` or does not
    pack (those rows go row by row). Distinct values are packed once per block, then remembered."""
    if arr is None:
        return np.zeros(n, dtype=np.int64)
    enc = pc.dictionary_encode(arr)
    distinct = enc.dictionary
    ok = pc.match_substring_regex(distinct, pattern).to_numpy(zero_copy_only=False)
    values = distinct.to_pylist()
    packed = [memo.get(v, -2) for v in values]
    for i, v in enumerate(values):
        if packed[i] != -2:
            continue
        got = pack(v or None) if (ok[i] or not v) and (check is None or not v or check(v)) else None
        packed[i] = -1 if got is None else got
        if len(memo) < PACKED_MEMO_MAX:
            memo[v] = packed[i]
    if not packed:
        return np.zeros(n, dtype=np.int64)
    return np.array(packed, dtype=np.int64)[enc.indices.to_numpy(zero_copy_only=False)]


def packed_timespans(arr: pa.Array) -> np.ndarray:
    """:func:`~citegraph.model.pack_timespan` of each value, vectorised (``-1``: does not pack; 0: empty)."""
    enc = pc.dictionary_encode(arr)
    parts = pc.extract_regex(enc.dictionary, "^" + PACKABLE_TIMESPAN + "$")
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    empty = pc.equal(pc.binary_length(enc.dictionary), 0).to_numpy(zero_copy_only=False)

    def number(name: str) -> tuple[np.ndarray, np.ndarray]:
        text = pc.fill_null(pc.struct_field(parts, name), "")
        given = pc.greater(pc.binary_length(text), 0)
        return (pc.cast(pc.if_else(given, text, "0"), pa.int64()).to_numpy(zero_copy_only=False),
                given.to_numpy(zero_copy_only=False))

    y, _ = number("y")
    mo, has_mo = number("mo")
    dd, has_dd = number("dd")
    neg = pc.equal(pc.fill_null(pc.struct_field(parts, "neg"), ""), "-").to_numpy(zero_copy_only=False)
    form = 1 + has_mo.astype(np.int64) + has_dd.astype(np.int64)
    packed = form | neg.astype(np.int64) << 2 | y << 3 | mo << 15 | dd << 21
    fits = matched & (y < 1 << 12) & (mo < 1 << 6) & (dd < 1 << 7)
    lut = np.where(empty, 0, np.where(fits, packed, -1))
    if not len(lut):
        return np.zeros(len(arr), dtype=np.int64)
    return lut[enc.indices.to_numpy(zero_copy_only=False)]


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
