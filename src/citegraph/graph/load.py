"""The load pipeline: files → source records → canonical works → one writer → store → build.

Parsing, mapping and compression run in worker processes; the calling process reads the files
and is the single writer. Each batch is one transaction that also records how far its file has
got, so a load killed at any moment re-runs to the same database: finished files are skipped,
a file part-way through resumes after its last committed batch, and the build (one transaction)
runs again if it did not finish.
"""

from __future__ import annotations

import collections
import concurrent.futures
import glob
import io
import json
import multiprocessing
import multiprocessing.pool
import os
import queue
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, Any, TypeVar

import msgspec
from isal import igzip

from citegraph import ids
from citegraph.graph.metrics import build_metrics
from citegraph.graph.search import IndexUpdater, document_text
from citegraph.model import AssertedCitation
from citegraph.sources import (
    Mapped,
    RecordError,
    ServingHints,
    crossref,
    implausible,
    openalex,
    opencitations,
    semanticscholar,
)
from citegraph.store.base import BatchResult, FileState, IdPair, PreparedRecord, Store
from citegraph.store.codec import DICT_SAMPLE_RECORDS, NO_DICT, Codec, train_dictionary
from citegraph.store.fields import facets_of, names_of, scalars_of

#: Every source module the loader can read, by name.
SOURCE_MODULES: dict[str, ModuleType] = {"openalex": openalex, "crossref": crossref, "opencitations": opencitations,
                                         "s2": semanticscholar}

#: Records per batch: one transaction and one worker task; large enough to amortise both.
BATCH_RECORDS = 2000
#: Chunks queued per worker: enough to keep every worker busy while the writer writes, and no more.
IN_FLIGHT_PER_WORKER = 3
#: Below this much input a worker pool costs more than it saves.
POOL_MIN_BYTES = 8 * 1024 * 1024
#: How much of a file is read to detect its source.
SNIFF_BYTES = 64 * 1024
#: Characters of a rejected record kept in the rejects file, enough to find it again.
REJECT_SNIPPET = 300
#: File names never taken for data (snapshot bookkeeping, checksums, notes).
IGNORED_NAMES = frozenset({"manifest", "LICENSE", "README", "README.md", "RELEASE_NOTES.txt"})


#: What reading a damaged file raises (a truncated gzip or tar, undecodable bytes): the file is reported as
#: damaged and what was read before stays loaded.
DAMAGE_ERRORS = (OSError, EOFError, msgspec.DecodeError, ValueError)
_T = TypeVar("_T")
#: Readers of a big citation file's blocks (this process cuts them and writes what they read): one per core.
CITATION_WORKERS = max(2, os.cpu_count() or 2)
#: Chunks of a citation file read ahead by a thread while the store writes the one before (both release the GIL).
PREFETCH_CHUNKS = 2


def prefetched(items: Iterator[_T], depth: int) -> Iterator[_T]:
    """``items`` produced by a background thread, at most ``depth`` ahead; its exceptions re-raised here."""
    q: queue.Queue[tuple[int, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((0, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((1, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            q.put((2, exc))

    thread = threading.Thread(target=produce, name="citegraph-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == 1:
                return
            if kind == 2:
                raise value
            yield value
    finally:
        stop.set()
        thread.join(timeout=5)


class LoadError(Exception):
    """A load could not run at all (no inputs, unknown forced source)."""


@dataclass
class FileReport:
    """What a load did with one input file."""

    path: str
    source: str | None
    status: str  # loaded | skipped (already loaded) | rejected (unreadable, unknown content) | partial
    records: int = 0
    rejected: int = 0
    reason: str | None = None


@dataclass
class LoadReport:
    """The summary of one ``load`` call."""

    files: list[FileReport] = field(default_factory=list)
    loaded: int = 0
    inserted: int = 0
    merged: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejected_files: int = 0
    issues: int = 0  # parts of loaded records left out (a future date, a negative count, …), in the rejects file
    conflicts: int = 0
    refs: int = 0
    citations: int = 0  # rows of citation files written as edges (self-loops not included)
    citation_self_loops: int = 0  # rows of citation files whose two ends are one work
    edges: int = 0
    edges_added: int = 0
    stubs_created: int = 0
    self_loops: int = 0
    build_seconds: float = 0.0
    build_steps: dict[str, float] = field(default_factory=dict)
    build_incremental: bool = False  # derived tables updated for the works touched, not rebuilt
    metrics_seconds: float = 0.0
    metrics_steps: dict[str, float] = field(default_factory=dict)
    index_seconds: float = 0.0
    elapsed: float = 0.0
    rejects_path: str | None = None
    merged_keys: list[int] = field(default_factory=list)  # works that now hold several sources' records

    @property
    def ok(self) -> bool:
        """True when nothing was rejected."""
        return self.rejected == 0 and self.rejected_files == 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able form."""
        out = dict(self.__dict__)
        out.pop("merged_keys")
        out["files"] = [f.__dict__ for f in self.files]
        out["ok"] = self.ok
        return out


@dataclass
class Progress:
    """Passed to the progress callback after every batch."""

    records: int
    rejected: int
    bytes_done: int
    bytes_total: int
    elapsed: float
    current: str


ProgressCallback = Callable[[Progress], None]


# --- inputs ---------------------------------------------------------------------------------------


def expand_inputs(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[FileReport]]:
    """Files to read from files, directories (recursively) and glob patterns, in a stable order.

    A directory holding an OpenAlex snapshot ``manifest`` contributes the files the manifest lists.
    Paths that match nothing come back as rejected reports.
    """
    files: list[Path] = []
    missing: list[FileReport] = []
    for raw in paths:
        text = os.fspath(raw)
        matches = [Path(p) for p in sorted(glob.glob(text, recursive=True))] if glob.has_magic(text) else [
            Path(text)]
        if not matches or not any(m.exists() for m in matches):
            missing.append(FileReport(text, None, "rejected", reason="no such file or directory"))
            continue
        for m in matches:
            if m.is_dir():
                files.extend(_walk(m))
            elif m.is_file():
                listed = openalex.manifest_files(m) if m.name == "manifest" else None
                files.extend(listed if listed is not None else [m])
    seen: set[Path] = set()
    out = []
    for f in files:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            out.append(r)
    return out, missing


def _walk(folder: Path) -> list[Path]:
    """Data files below ``folder``, sorted; a folder holding an OpenAlex ``manifest`` contributes what it lists."""
    manifest = folder / "manifest"
    if manifest.is_file():
        listed = openalex.manifest_files(manifest)
        if listed is not None:
            return listed
    out: list[Path] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED_NAMES:
            continue
        if entry.is_dir():
            out.extend(_walk(entry))
        elif entry.is_file():
            out.append(entry)
    return out


class InputFile:
    """A data file open for reading, gzip decompressed transparently; ``consumed`` is bytes of the file read."""

    def __init__(self, path: Path) -> None:
        self.raw = open(path, "rb")  # noqa: SIM115 - closed by close()/__exit__
        magic = self.raw.read(4)
        self.raw.seek(0)
        self.stream: IO[bytes]
        if magic[:2] == b"\x1f\x8b":
            self.stream = igzip.IGzipFile(fileobj=self.raw, mode="rb")  # type: ignore[assignment]
        elif magic == ZIP_MAGIC:
            self.stream = ZipMembers(self.raw)  # type: ignore[assignment]
        else:
            self.stream = self.raw

    @property
    def consumed(self) -> int:
        """How far into the file (compressed bytes) reading has got: what progress and ETA count."""
        return self.raw.tell()

    def close(self) -> None:
        """Close the decompressor and the file under it."""
        self.stream.close()
        self.raw.close()

    def __enter__(self) -> InputFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: The first bytes of a zip archive (OpenCitations distributes its dumps as zips of CSV files).
ZIP_MAGIC = b"PK\x03\x04"


class ZipMembers(io.RawIOBase):
    """The files of a zip archive read as one stream, in name order; a member not ending in a newline gets one.

    Readers of line-based files (CSV, JSON Lines) then see one file; a member's header line that recurs is theirs
    to skip.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._zip = zipfile.ZipFile(raw)
        self._names = sorted(i.filename for i in self._zip.infolist() if not i.is_dir())
        self._current: IO[bytes] | None = None
        self._last = b"\n"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            if self._current is None:
                if not self._names:
                    return 0
                self._current = self._zip.open(self._names.pop(0))
            data = self._current.read(len(view))
            if data:
                view[:len(data)] = data
                self._last = data[-1:]
                return len(data)
            self._current.close()
            self._current = None
            if self._last != b"\n":
                view[:1] = b"\n"
                self._last = b"\n"
                return 1

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
        self._zip.close()
        super().close()


def open_input(path: Path) -> InputFile:
    """Open a data file for reading (``.stream``), decompressing gzip transparently."""
    return InputFile(path)


def detect_source(head: bytes) -> str | None:
    """The source whose records ``head`` (the first bytes of a decompressed file) look like."""
    for name, module in SOURCE_MODULES.items():
        if module.sniff(head):
            return name
    return None


def _read_head(path: Path) -> bytes:
    with open_input(path) as fh:
        return fh.stream.read(SNIFF_BYTES)


# --- workers -----------------------------------------------------------------------------------------

_worker_codec: Codec | None = None


def _init_worker(dicts: dict[int, bytes]) -> None:
    global _worker_codec
    _worker_codec = Codec(dicts)


def prepare_record(module: ModuleType, raw: bytes, position: int, codec: Codec, dict_id: int) -> PreparedRecord:
    """Parse, map and compress one raw record for the writer; raises RecordError when it is unusable."""
    return _prepared(module, module.map_record(raw), position, codec, dict_id)


def prepare_records(module: ModuleType, raw: bytes, position: int, codec: Codec,
                    dict_id: int) -> list[PreparedRecord]:
    """A raw record and the records it embeds whole (``Mapped.nested``), prepared; the embedded ones come first
    and share its position. An embedded record that cannot be used is left out (the record itself still loads)."""
    mapped = module.map_record(raw)
    out = []
    for inner in mapped.nested:
        try:
            out.append(prepare_record(module, inner, position, codec, dict_id))
        except RecordError:
            continue
    out.append(_prepared(module, mapped, position, codec, dict_id))
    return out


def _prepared(module: ModuleType, mapped: Mapped, position: int, codec: Codec, dict_id: int) -> PreparedRecord:
    work = mapped.work
    if not work.ids:
        raise RecordError("record has no identifier")
    issues = [*mapped.issues, *implausible(work)]
    if mapped.self_refs:
        issues.append(f"{mapped.self_refs} references to the work itself: left out (a work never cites itself)")
    refs = [(r.ids[0].scheme, r.ids[0].value) for r in work.references if r.ids]
    hints = _serving_hints(module, mapped.raw)
    return PreparedRecord(
        ids=with_equivalents([(i.scheme, i.value) for i in work.ids]), title=work.title,
        publication_year=work.publication_year, publication_date=work.publication_date, type=work.type,
        version=mapped.version, dict_id=dict_id, data=codec.compress(mapped.raw, dict_id), refs=refs,
        duplicate_refs=mapped.duplicate_refs, self_refs=mapped.self_refs, position=position,
        scalars=scalars_of(work), facets=facets_of(work), names=names_of(work), text=document_text(work),
        client_clean=hints.client_clean, refs_exact=hints.refs_exact, spans=hints.spans,
        asserted=[c if not _has_equivalents(c) else msgspec.structs.replace(
            c, citing=tuple(with_equivalents(list(c.citing))), cited=tuple(with_equivalents(list(c.cited))))
            for c in mapped.citations], issues=issues)


def with_equivalents(pairs: list[IdPair]) -> list[IdPair]:
    """A record's ids, then the ids that name the same work by rule (``ids.equivalent_ids``) that it lacks."""
    more = [e for p in pairs if p[0] in _EQUIVALENT_SCHEMES for e in ids.equivalent_ids(p)]
    return pairs + [e for e in dict.fromkeys(more) if e not in pairs] if more else pairs


#: Schemes ``ids.equivalent_ids`` has a rule for (checked first: most ids have none).
_EQUIVALENT_SCHEMES = frozenset({ids.ARXIV, ids.DOI})


def _has_equivalents(c: AssertedCitation) -> bool:
    return any(e for end in (c.citing, c.cited) for p in end if p[0] in _EQUIVALENT_SCHEMES
               for e in ids.equivalent_ids(p))


def _serving_hints(module: ModuleType, raw: bytes) -> ServingHints:
    """The source's load-time serving hints for a record (a source without them promises nothing)."""
    hints = getattr(module, "serving_hints", None)
    return hints(raw) if hints is not None else ServingHints()


ChunkResult = tuple[list[PreparedRecord], list[tuple[int, str, str]]]


def _prepare_chunk(task: tuple[str, int, list[tuple[int, bytes]]]) -> ChunkResult:
    source, dict_id, chunk = task
    codec = _worker_codec
    assert codec is not None
    return prepare_chunk(SOURCE_MODULES[source], chunk, codec, dict_id)


def _bounded_imap(pool: Any, tasks: Iterator[tuple[str, int, list[tuple[int, bytes]]]],
                  window: int) -> Iterator[ChunkResult]:
    """Results of ``_prepare_chunk`` over ``tasks``, in order, with at most ``window`` chunks in flight.

    ``Pool.imap`` reads its whole input ahead, holding a file in memory; this keeps memory bounded.
    """
    pending: collections.deque[Any] = collections.deque()
    try:
        for task in tasks:
            pending.append(pool.apply_async(_prepare_chunk, (task,)))
            if len(pending) >= window:
                yield pending.popleft().get()
    except DAMAGE_ERRORS:
        while pending:  # the chunks read before the damage are still written
            yield pending.popleft().get()
        raise
    while pending:
        yield pending.popleft().get()


def prepare_chunk(module: ModuleType, chunk: list[tuple[int, bytes]], codec: Codec, dict_id: int) -> ChunkResult:
    """Prepare a chunk of raw records; rejected ones come back as (position, reason, snippet)."""
    out: list[PreparedRecord] = []
    rejects: list[tuple[int, str, str]] = []
    for position, raw in chunk:
        try:
            out.extend(prepare_records(module, raw, position, codec, dict_id))
        except RecordError as exc:
            rejects.append((position, str(exc), raw[:REJECT_SNIPPET].decode("utf-8", "replace")))
        except Exception as exc:  # a mapper bug must not abort a long load: reject and report it
            rejects.append((position, f"unexpected {type(exc).__name__}: {exc}",
                            raw[:REJECT_SNIPPET].decode("utf-8", "replace")))
    return out, rejects


def merged_with_stored(store: Store, module: ModuleType, source: str, prepared: list[PreparedRecord],
                       codec: Codec, dict_id: int) -> list[PreparedRecord]:
    """A batch of a source whose records are partial views (``merge_records``): the records of one work (sharing
    an id, in the batch or with a work stored) become one, merged in order into the record stored for it."""
    parent = list(range(len(prepared)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str], int] = {}
    for i, rec in enumerate(prepared):
        for pair in rec.ids:
            j = first.setdefault(pair, i)
            if j != i:
                parent[find(i)] = find(j)
    known = store.resolve_many({pair for rec in prepared for pair in rec.ids})
    groups: dict[int, list[int]] = {}
    for i in range(len(prepared)):
        groups.setdefault(find(i), []).append(i)
    if len(groups) == len(prepared) and not known:
        return prepared  # nothing to merge: every record is new and alone (a fresh load's common case)
    out: list[PreparedRecord] = []
    for members in groups.values():
        work = next((known[p] for i in members for p in prepared[i].ids if p in known), None)
        stored = store.record(work, source) if work is not None else None
        if stored is None and len(members) == 1:
            out.append(prepared[members[0]])
            continue
        raw = stored
        for i in members:
            new = codec.decompress(prepared[i].data, prepared[i].dict_id)
            raw = new if raw is None else module.merge_records(raw, new)
        assert raw is not None
        last = prepared[members[-1]]
        try:
            rec = prepare_record(module, raw, last.position, codec, dict_id)
        except RecordError:
            rec = last  # the merge made something unusable: the new record as it came
        rec.asserted = [c for i in members for c in prepared[i].asserted]
        out.append(rec)
    return out


# --- the pipeline --------------------------------------------------------------------------------------


class _Rejects:
    """The rejects file: one JSON line per rejected record or file, opened on first use."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def write(self, entry: dict[str, Any]) -> None:
        if self.path is None:
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._fh.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def _chunks(records: Iterator[tuple[int, bytes]], size: int) -> Iterator[list[tuple[int, bytes]]]:
    """``records`` in lists of ``size``; when reading fails, the records read before it come first."""
    chunk: list[tuple[int, bytes]] = []
    try:
        for item in records:
            chunk.append(item)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    except DAMAGE_ERRORS:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def _ensure_dictionary(store: Store, source: str, module: ModuleType, path: Path) -> int:
    have = store.dictionary(source)
    if have is not None:
        return have[0]
    samples: list[bytes] = []
    try:
        with open_input(path) as fh:
            for _pos, raw in module.iter_raw(fh.stream):
                samples.append(raw)
                if len(samples) >= DICT_SAMPLE_RECORDS:
                    break
    except (OSError, EOFError):
        pass  # a damaged file trains no dictionary; the load itself reports the damage
    trained = train_dictionary(samples)
    if trained is None:
        return NO_DICT
    return store.add_dictionary(source, trained)


def load(store: Store, paths: Iterable[str | os.PathLike[str]], *, source: str | None = None,
         workers: int | None = None, batch_records: int = BATCH_RECORDS,
         rejects_path: str | os.PathLike[str] | None = None, progress: ProgressCallback | None = None,
         build: bool = True, pool_min_bytes: int = POOL_MIN_BYTES,
         index: IndexUpdater | None = None) -> LoadReport:
    """Load every record in ``paths`` into ``store`` and rebuild the derived tables.

    ``source`` forces a source instead of detecting it from each file's content. ``workers`` is the
    number of parsing processes (default: one per core; 0 parses in this process). ``index``, when
    given, receives the text of every record written (the caller commits it after the build).
    """
    t0 = time.perf_counter()
    if source is not None and source not in SOURCE_MODULES:
        raise LoadError(f"unknown source {source!r}; known: {', '.join(SOURCE_MODULES)}")
    files, missing = expand_inputs(paths)
    report = LoadReport(rejects_path=os.fspath(rejects_path) if rejects_path else None)
    rejects = _Rejects(Path(rejects_path) if rejects_path else None)
    for m in missing:
        report.files.append(m)
        report.rejected_files += 1
        rejects.write({"path": m.path, "reason": m.reason})
    if not files and not missing:
        raise LoadError("no input files")
    total_bytes = sum(f.stat().st_size for f in files)
    if workers is None:
        workers = os.cpu_count() or 1
    use_pool = workers > 0 and total_bytes >= pool_min_bytes
    pool_state: dict[str, Any] = {"pool": None, "key": None}  # one pool, reused while source and dict hold
    done_bytes = 0
    try:
        for path in files:
            fr = _load_file(store, path, source, report, rejects, use_pool, workers, batch_records,
                            progress, t0, done_bytes, total_bytes, pool_state, index)
            report.files.append(fr)
            done_bytes += path.stat().st_size
    finally:
        if pool_state["pool"] is not None:
            pool_state["pool"].terminate()
        rejects.close()
    if build and _dirty(store):
        res = store.build()
        report.edges_added, report.stubs_created = res.edges_added, res.stubs_created
        report.build_seconds = res.seconds
        report.build_steps = res.steps
        report.build_incremental = res.incremental
        report.edges, report.self_loops = res.edges, res.self_loops
    else:
        stats = store.stats()
        report.edges, report.self_loops = stats["edges"], stats["self_loops"]
    if build and not store.metrics_current():
        # after every build (and once on a database built before metrics existed); a failed self-check raises
        metrics = build_metrics(store)
        report.metrics_seconds, report.metrics_steps = metrics.seconds, metrics.steps
    report.elapsed = time.perf_counter() - t0
    return report


def _dirty(store: Store) -> bool:
    return bool(store.meta("dirty"))


def _load_file(store: Store, path: Path, forced: str | None, report: LoadReport, rejects: _Rejects,
               use_pool: bool, workers: int, batch_records: int, progress: ProgressCallback | None, t0: float,
               done_bytes: int, total_bytes: int, pool_state: dict[str, Any],
               index: IndexUpdater | None) -> FileReport:
    key = os.fspath(path)
    st = path.stat()
    try:
        head = _read_head(path)
    except (OSError, EOFError) as exc:
        report.rejected_files += 1
        rejects.write({"path": key, "reason": f"unreadable: {exc}"})
        return FileReport(key, None, "rejected", reason=f"unreadable: {exc}")
    name = forced or detect_source(head)
    if name is None:
        report.rejected_files += 1
        reason = "not a recognised data file (no known source's records)"
        rejects.write({"path": key, "reason": reason})
        return FileReport(key, None, "rejected", reason=reason)
    module = SOURCE_MODULES[name]
    kind = module.file_kind(head) if hasattr(module, "file_kind") else getattr(module, "KIND", "records")
    if kind == "citations":
        return _load_citation_file(store, path, name, module, report, rejects, progress, t0, done_bytes,
                                   total_bytes, use_pool, index)
    start = _resume_position(store, key, name, st)
    if start is None:
        return _skipped(store, key, name)
    dict_id = _ensure_dictionary(store, name, module, path)
    codec = store.codec
    fr = FileReport(key, name, "loaded")
    position = start
    merge = getattr(module, "merge_records", None)
    try:
        with open_input(path) as fh:
            chunks = _chunks(module.iter_raw(fh.stream, start=start), batch_records)
            results: Iterator[ChunkResult]
            if use_pool:
                pool = pool_state["pool"]
                if pool is None or pool_state["key"] != (name, dict_id):
                    if pool is not None:
                        pool.terminate()
                    ctx = multiprocessing.get_context("spawn")
                    pool = ctx.Pool(workers, initializer=_init_worker, initargs=(store.dictionaries(),))
                    pool_state["pool"], pool_state["key"] = pool, (name, dict_id)
                results = _bounded_imap(pool, ((name, dict_id, c) for c in chunks), IN_FLIGHT_PER_WORKER * workers)
            else:
                results = (prepare_chunk(module, c, codec, dict_id) for c in chunks)
            for prepared, rejected in results:
                last = max([r.position for r in prepared] + [r[0] for r in rejected])
                position = last + 1
                for pos, reason, snippet in rejected:
                    rejects.write({"path": key, "position": pos, "reason": reason, "record": snippet})
                if prepared and merge is not None:
                    prepared = merged_with_stored(store, module, name, prepared, codec, dict_id)
                if prepared:
                    res = store.write_batch(name, prepared, path=key, next_position=position,
                                            rejected=len(rejected), done=False)
                    _count_written(report, res, prepared, index)
                    _report_issues(report, rejects, key, prepared)
                else:
                    store.record_file_rejects(key, next_position=position, rejected=len(rejected), done=False)
                report.loaded += len(prepared)
                report.rejected += len(rejected)
                fr.records += len(prepared)
                fr.rejected += len(rejected)
                if progress is not None:
                    progress(Progress(report.loaded, report.rejected, done_bytes + fh.consumed, total_bytes,
                                      time.perf_counter() - t0, key))
    except DAMAGE_ERRORS as exc:
        # truncated gzip, an unreadable tail: what was read stays loaded, the file is reported
        reason = f"file damaged after record {position}: {type(exc).__name__}: {exc}"
        rejects.write({"path": key, "position": position, "reason": reason})
        report.rejected_files += 1
        fr.status, fr.reason = "partial", reason
    store.record_file_rejects(key, next_position=position, rejected=0, done=True)
    return fr


def _parse_in_pool(fh: InputFile, module: ModuleType, start: int, workers: int) -> Iterator[tuple[Any, int]]:
    """A citation file's chunks in order: this process cuts the blocks, ``workers`` readers read them. A block
    that brings a header with other columns has the blocks after it read again with those columns.

    The readers are threads while blocks are read column-wise (the CSV reader and the column arithmetic release
    the GIL, and a block is not copied to another process); once a block is read mostly row by row in Python
    (a legacy COCI dump of DOIs, id lists), the blocks after it go to processes instead.
    """
    threads = concurrent.futures.ThreadPoolExecutor(workers)
    processes: concurrent.futures.ProcessPoolExecutor | None = None
    state = module.CutState()
    in_flight: collections.deque[tuple[Any, Any, int]] = collections.deque()  # (task, its result, bytes read)

    def submit(item: Any) -> Any:
        if not isinstance(item, module.BlockTask):
            return item
        pool = processes or threads  # each reader reads its block on one thread: they run at once
        return pool.submit(module.parse_block, item._replace(threads=False))

    def next_chunk() -> tuple[Any, int]:
        nonlocal processes
        item, result, consumed = in_flight.popleft()
        chunk = result.result() if isinstance(result, concurrent.futures.Future) else result
        if processes is None and read_in_python(chunk):
            processes = concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        if getattr(chunk, "header", None) is not None:
            state.header, state.header_line = chunk.header, ",".join(chunk.header).encode()
            for i, (later, _, was) in enumerate(in_flight):
                if isinstance(later, module.BlockTask):
                    later = later._replace(header=state.header, header_line=state.header_line)
                    in_flight[i] = (later, submit(later), was)
        return chunk, consumed

    try:
        for item in module.citation_tasks(fh.stream, start=start, state=state):
            in_flight.append((item, submit(item), fh.consumed))
            while len(in_flight) > IN_FLIGHT_PER_WORKER * workers or (
                    in_flight and not isinstance(in_flight[0][1], concurrent.futures.Future)):
                yield next_chunk()
        while in_flight:
            yield next_chunk()
    finally:
        threads.shutdown(wait=True, cancel_futures=True)
        if processes is not None:
            processes.shutdown(wait=True, cancel_futures=True)


def read_in_python(chunk: Any) -> bool:
    """Was most of a chunk read row by row (Python holding the GIL), not column-wise?"""
    columns = getattr(chunk, "columns", None)
    return len(getattr(chunk, "citations", ())) > (len(columns) if columns is not None else 0)


def _resume_position(store: Store, key: str, name: str, st: os.stat_result) -> int | None:
    """Where a file's load resumes: None when it is loaded already; 0 (recorded as started) when new or changed."""
    state = store.file_state(key)
    if state is not None and state.size == st.st_size and state.mtime_ns == st.st_mtime_ns:
        return None if state.done else state.position
    store.start_file(FileState(path=key, size=st.st_size, mtime_ns=st.st_mtime_ns, source=name, position=0,
                               done=False, loaded=0, rejected=0))
    return 0


def _skipped(store: Store, key: str, name: str) -> FileReport:
    """The report of a file a previous load finished."""
    state = store.file_state(key)
    assert state is not None
    return FileReport(key, name, "skipped", records=state.loaded, rejected=state.rejected, reason="already loaded")


def _write_listed_papers(store: Store, module: ModuleType, source: str, papers: list[bytes], position: int,
                         report: LoadReport, index: IndexUpdater | None) -> None:
    """Papers a citation file's rows give whole (S2 page entries), written as records merged into what is stored."""
    have = store.dictionary(source)
    dict_id = have[0] if have is not None else NO_DICT  # (a page file trains no dictionary of its own)
    codec = store.codec
    prepared = []
    for raw in papers:
        try:
            prepared.append(prepare_record(module, raw, position, codec, dict_id))
        except RecordError:
            continue  # the citation itself still loads; its paper keeps the id and title the row gave
    if getattr(module, "merge_records", None) is not None:
        prepared = merged_with_stored(store, module, source, prepared, codec, dict_id)
    if not prepared:
        return
    res = store.write_batch(source, prepared, path=None, next_position=position, rejected=0, done=False)
    _count_written(report, res, prepared, index)


def _report_issues(report: LoadReport, rejects: _Rejects, key: str, prepared: list[PreparedRecord]) -> None:
    """What was left out of records that loaded, one line each in the rejects file (``"kind": "issue"``)."""
    for rec in prepared:
        for issue in dict.fromkeys(rec.issues):  # once each: a record may give one id twice (ISSN, issn-type)
            report.issues += 1
            rejects.write({"path": key, "position": rec.position, "kind": "issue", "record": f"{rec.ids[0][0]}:"
                           f"{rec.ids[0][1]}", "reason": issue})


def _count_written(report: LoadReport, res: BatchResult, prepared: list[PreparedRecord],
                   index: IndexUpdater | None) -> None:
    """Add a written batch to the report, and its works' text to the search index being updated."""
    report.inserted += res.inserted
    report.merged += res.merged
    report.updated += res.updated
    report.unchanged += res.unchanged
    report.conflicts += res.conflicts
    report.refs += res.refs
    report.citations += res.citations
    report.merged_keys.extend(res.merged_keys)
    if index is not None:
        for i, work_key in res.written:
            text = prepared[i].text
            if text is not None:
                index.put(work_key, text)


def _load_citation_file(store: Store, path: Path, name: str, module: ModuleType, report: LoadReport,
                        rejects: _Rejects, progress: ProgressCallback | None, t0: float, done_bytes: int,
                        total_bytes: int, use_process: bool, index: IndexUpdater | None = None) -> FileReport:
    """Load a file of citations (an OpenCitations Index dump): rows become edges, each chunk one transaction.

    This process cuts the file into blocks and writes; for a big load (``use_process``) worker processes read the
    blocks column-wise meanwhile, else a thread reads ahead.
    """
    key = os.fspath(path)
    st = path.stat()
    start = _resume_position(store, key, name, st)
    if start is None:
        return _skipped(store, key, name)
    fr = FileReport(key, name, "loaded")
    position = start
    try:
        with open_input(path) as fh:
            in_pool = use_process and hasattr(module, "citation_tasks")  # a source that cuts blocks for workers
            chunks = (_parse_in_pool(fh, module, start, CITATION_WORKERS) if in_pool else
                      ((c, fh.consumed) for c in prefetched(module.iter_citations(fh.stream, start=start),
                                                             PREFETCH_CHUNKS)))
            for chunk, consumed in chunks:
                position = chunk.next_position
                for pos, reason, snippet in chunk.rejects:
                    rejects.write({"path": key, "position": pos, "reason": reason, "record": snippet})
                rows = len(chunk) - len(chunk.rejects)
                papers = getattr(chunk, "records", None)
                if papers:  # papers the rows give whole: written first, so a re-run after a crash writes them again
                    _write_listed_papers(store, module, name, papers, position, report, index)
                if rows:
                    res = store.write_citations(module.SOURCE, chunk.citations, columns=chunk.columns, path=key,
                                                next_position=position, rejected=len(chunk.rejects), done=False)
                    report.citations += res.edges
                    report.citation_self_loops += res.self_loops
                    report.conflicts += res.conflicts
                else:
                    store.record_file_rejects(key, next_position=position, rejected=len(chunk.rejects), done=False)
                report.loaded += rows
                report.rejected += len(chunk.rejects)
                fr.records += rows
                fr.rejected += len(chunk.rejects)
                if progress is not None:
                    progress(Progress(report.loaded, report.rejected, done_bytes + consumed, total_bytes,
                                      time.perf_counter() - t0, key))
    except DAMAGE_ERRORS as exc:
        reason = f"file damaged after row {position}: {type(exc).__name__}: {exc}"
        rejects.write({"path": key, "position": position, "reason": reason})
        report.rejected_files += 1
        fr.status, fr.reason = "partial", reason
    store.record_file_rejects(key, next_position=position, rejected=0, done=True)
    return fr


def read_rejects(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The entries of a rejects file."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in io.StringIO(fh.read()) if line.strip()]
