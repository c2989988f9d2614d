"""The storage contract every store implements (SQLite now, PostgreSQL next), and the values it trades in.

Callers (the graph facade and the load pipeline) speak only this contract; nothing above the store
knows which engine holds the data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal, Protocol

import msgspec
import numpy as np
import numpy.typing as npt

from citegraph.model import AssertedCitation, CitationColumns
from citegraph.query import Query, Text
from citegraph.store.adjacency import Adjacency
from citegraph.store.codec import Codec

IdPair = tuple[str, str]
Ints = npt.NDArray[np.int64]

#: Sort orders a citation or reference list can be read in, each backed by a derived index.
#: Ties break by work id: ascending after "cited_by_count:desc", descending after the ascending sort, and in
#: the date's own direction for dates — each order is one scan of an index.
CitationSort = Literal["cited_by_count:desc", "cited_by_count:asc", "publication_date:desc", "publication_date:asc"]
CITATION_SORTS: tuple[str, ...] = ("cited_by_count:desc", "cited_by_count:asc", "publication_date:desc",
                                    "publication_date:asc")


#: Single-valued work fields a record may fill, in ``PreparedRecord.scalars`` order (filters and group-bys).
SCALAR_COLUMNS: tuple[str, ...] = ("type_source", "language", "is_oa", "oa_status", "is_retracted", "is_paratext",
                                   "has_abstract", "authors_count", "publisher", "has_doi", "has_pmid", "has_pmcid",
                                   "created_date", "deposited_date", "indexed_date", "print_date", "online_date",
                                   "member", "doi_prefix", "reference_visibility")


class StoreError(Exception):
    """The database cannot be used: missing, unreachable, wrong schema version, corrupt."""


class PreparedRecord(msgspec.Struct, array_like=True):
    """One mapped source record, ready for the writer: everything the store needs, nothing more.

    Built in worker processes (parse, map, compress), so the single writer only writes.
    """

    ids: list[IdPair]  # canonical (scheme, value); the first is the source's own primary id
    title: str | None
    publication_year: int | None
    publication_date: str | None
    type: str | None
    version: str | None  # the source's record version (OpenAlex updated_date …)
    dict_id: int  # compression dictionary used for ``data`` (0: none)
    data: bytes  # the compressed raw record
    refs: list[IdPair]  # cited works, deduplicated, self-references removed
    duplicate_refs: int  # references listed more than once in the record
    self_refs: int  # references to the record's own ids
    position: int  # 0-based index of the record in its file
    scalars: tuple[str | int | bool | None, ...] = ()  # values of the store's SCALAR_COLUMNS, in order
    facets: list[tuple[str, str]] = []  # (query field, value) pairs for filtering and grouping
    names: list[tuple[str, str, str]] = []  # (scheme, value, display name) of authors, venues, topics …
    text: dict[str, str] | None = None  # the work's searchable text per index field (kept out of the database)
    client_clean: bool = False  # ``data`` needs no cleaning before it is served (the source checked, at load)
    refs_exact: bool = False  # the record's own reference list is exactly ``refs``, in a form served as is
    spans: bytes | None = None  # where the fields a dialect replaces sit in the record (the source's, opaque here)
    asserted: list[AssertedCitation] = []  # citations the record states beyond its references (S2's lists)
    issues: list[str] = []  # what of the record was left out, and why (reported, never silently dropped)


class FileState(msgspec.Struct):
    """How far a load has got through one input file."""

    path: str
    size: int
    mtime_ns: int
    source: str
    position: int  # records committed (the next record to read)
    done: bool
    loaded: int
    rejected: int


class BatchResult(msgspec.Struct):
    """What one written batch did."""

    inserted: int = 0  # new works (or stubs filled in)
    merged: int = 0  # records that joined a work already known from another source
    updated: int = 0  # records that replaced an older version from the same source
    unchanged: int = 0  # the same version of a record loaded again
    conflicts: int = 0
    refs: int = 0
    citations: int = 0  # citations the records stated (S2's embedded lists), written as a citation file's rows
    written: list[tuple[int, int]] = []  # (index in the batch, work key) of every record written
    merged_keys: list[int] = []  # keys of works that now hold records from more than one source


class CitationBatchResult(msgspec.Struct):
    """What one written batch of asserted citations did."""

    edges: int = 0  # citations written (new edges, or a source added to an edge)
    self_loops: int = 0  # rows whose two ends are one work: counted and kept aside, never served
    stubs: int = 0  # works created for ends the store did not know
    conflicts: int = 0  # ends whose ids named different works (the lowest-numbered kept, the rest recorded)


class AssertedRow(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """What a source asserted about one citation, as stored: its OCI, creation date, timespan and flags."""

    citing: int
    cited: int
    oci: str | None
    creation: str | None
    timespan: str | None
    journal_sc: bool | None
    author_sc: bool | None
    oci_from_omids: bool = False  # the source's OCI is the OMID rule over the two works' OMIDs (kept as a bit)


class CitationFacts(msgspec.Struct, gc=False):
    """A work's facts a citation object is made of: its ids, its date, its author and venue keys."""

    ids: list[IdPair]
    publication_date: str | None
    authors: frozenset[str]
    venues: frozenset[str]


class BuildResult(msgspec.Struct):
    """What resolving staged references and rebuilding derived tables did."""

    edges_added: int = 0
    stubs_created: int = 0
    self_loops: int = 0
    edges: int = 0
    works: int = 0
    seconds: float = 0.0
    steps: dict[str, float] = {}  # seconds per build step
    incremental: bool = False  # the derived tables were updated for the works touched, not rebuilt


class WorkRow(msgspec.Struct):
    """The stored scalars of one work, without its records."""

    id: int
    stub: bool
    sources: list[str]
    ids: list[IdPair]
    title: str | None
    publication_year: int | None
    publication_date: str | None
    type: str | None
    cited_by_count: int
    referenced_works_count: int
    key_id: str | None = None  # the primary id of the first record loaded (or of the stub), "scheme:value"


class CitationRow(msgspec.Struct, array_like=True):
    """One entry of a citation or reference list: the other work and its sort keys."""

    work_id: int
    cited_by_count: int
    publication_date: str | None
    key_id: str | None = None  # the work's primary external id, "scheme:value"


class ServedWork(msgspec.Struct):
    """What serving one work needs, read at once: its counts, primary id, one source's record, counts by year."""

    id: int
    stub: bool
    sources: list[str]
    key_id: str | None  # the work's primary external id, "scheme:value"
    cited_by_count: int
    referenced_works_count: int
    record: bytes | None  # the asked source's raw record, decompressed (None: that source has none)
    record_client_clean: bool  # the record needs no cleaning before it is served (known from the load)
    record_refs_exact: bool  # the record's own reference list is exactly the references it gave (from the load)
    record_spans: bytes | None  # where the fields a dialect replaces sit in the record (from the load)
    #: citations received per citing year within the asked years, newest first, zero years left out, as
    #: compact JSON ``[{"year":Y,"cited_by_count":N},…]`` (written by the database: no Python per year); empty
    #: when no years were asked
    counts_by_year_json: bytes
    #: the work cites something its record does not (another source's record or citation file gave it), so the
    #: record's own reference list is not the graph's (False when the source has no record of the work)
    refs_beyond_record: bool = False


#: What a dialect serves works as: a source whose record it serves, and the span of years (first, last) of their
#: counts by year (None: none), as ``served_works`` takes them.
ServeSpec = tuple[str, tuple[int, int] | None]


class CitersPage(msgspec.Struct):
    """A page of a work's citers, the work's citation count (None when the page is empty: it could not be read with
    it) and, when asked for, what serving each citer needs, by key."""

    rows: list[CitationRow]
    count: int | None
    served: dict[int, ServedWork] | None = None


class StoredRecord(msgspec.Struct):
    """A source's raw record of a work, decompressed."""

    source: str
    version: str | None
    data: bytes
    duplicate_refs: int
    self_refs: int


class WorkArrays(msgspec.Struct):
    """Per-work fields as arrays indexed by work id (size: highest id + 1; rows that are not works hold zeros)."""

    present: npt.NDArray[np.bool_]  # a work row (a work or a stub)
    stub: npt.NDArray[np.bool_]
    year: Ints  # the year of the date lists sort by (pub_key), 0 when unknown
    dated: npt.NDArray[np.bool_]  # has a date lists sort by (pub_key > 0: what counts by year count)
    kind: Ints  # code into ``kinds`` of the work's type (0: none)
    kinds: list[str | None]
    cited_by_count: Ints
    referenced_works_count: Ints


class ImpactRow(msgspec.Struct):
    """A work's stored impact metrics (see ``citegraph.metrics.impact`` for each rule)."""

    work_id: int
    bin: int | None
    cited_3y: int
    score: float | None
    score_3y: float | None
    percentile: float | None
    percentile_3y: float | None
    flags: int
    author_self_cited_by: int
    journal_self_cited_by: int


class ImpactBin(msgspec.Struct):
    """One bin of works compared with each other: subject, year, type, size and mean citations."""

    id: int
    subject: str
    year: int
    type: str | None
    works: int
    mean: float
    mean_3y: float


class Store(Protocol):
    """The storage contract. One writer at a time; any number of concurrent readers."""

    url: str
    #: Where files that belong with this database live: the SQLite file itself, or for a database server a name
    #: in this host's local folder (``<path>.search``, ``<path>.columns``, ``<path>.rejects.jsonl`` beside it)
    path: Path

    # --- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Release connections."""

    # --- writing (CLI only; the server never calls these) -------------------------------------
    def dictionary(self, source: str) -> tuple[int, bytes] | None:
        """The compression dictionary records of ``source`` use, if one was trained."""

    def dictionaries(self) -> dict[int, bytes]:
        """Every compression dictionary, by id."""

    @property
    def codec(self) -> Codec:
        """A codec that knows every dictionary of this store."""

    def add_dictionary(self, source: str, data: bytes) -> int:
        """Store a newly trained dictionary for ``source``; returns its id."""

    def file_state(self, path: str) -> FileState | None:
        """The recorded progress of a load through ``path``."""

    def start_file(self, state: FileState) -> None:
        """Record that a load of ``state.path`` starts (or restarts from its position)."""

    def write_batch(self, source: str, records: Sequence[PreparedRecord], *, path: str | None,
                    next_position: int, rejected: int, done: bool) -> BatchResult:
        """Write one batch in one transaction, with the file's progress, so a re-run resumes after it."""

    def write_citations(self, source: str, citations: Sequence[AssertedCitation], *, path: str | None,
                        next_position: int, rejected: int, done: bool,
                        columns: CitationColumns | None = None) -> CitationBatchResult:
        """Write citations a source's citation file asserts, resolving each end's ids (unknown ends become stubs
        keyed by every id given), with the file's progress, in one transaction; ``columns`` are more of them,
        each end one OMID, written vectorised."""

    def record_file_rejects(self, path: str, *, next_position: int, rejected: int, done: bool) -> None:
        """Advance a file's progress without writing records (a batch of rejects, the file's end)."""

    def meta(self, key: str) -> str | None:
        """A value from the store's own key-value table (``dirty`` while a build is owed)."""

    def build(self) -> BuildResult:
        """Resolve staged references into edges (creating stubs) and rebuild the derived tables."""

    # --- reading -------------------------------------------------------------------------------
    def resolve(self, pair: IdPair) -> int | None:
        """The internal work id an external id names, or None."""

    def resolve_many(self, pairs: Iterable[IdPair]) -> dict[IdPair, int]:
        """Internal ids for many external ids at once (unknown ones are absent)."""

    def work_row(self, work_id: int) -> WorkRow | None:
        """A work's stored scalars and ids."""

    def work_rows(self, work_ids: Sequence[int]) -> dict[int, WorkRow]:
        """``work_row`` of many works at once (unknown keys are left out)."""

    def work_counts(self, work_id: int) -> tuple[int, int] | None:
        """(cited_by_count, referenced_works_count) of a work, from our graph."""

    def records(self, work_id: int) -> list[StoredRecord]:
        """Every source's raw record of a work."""

    def record(self, work_id: int, source: str) -> bytes | None:
        """One source's raw record of a work, decompressed, or None."""

    def served_works(self, work_ids: Sequence[int], source: str,
                     years: tuple[int, int] | None) -> dict[int, ServedWork]:
        """What serving each work needs (see ``ServedWork``; counts by year for ``years``, both ends
        included, or none for None), in as few reads as the store can; unknown keys are left out."""

    def served_work_named(self, pair: IdPair, source: str,
                          years: tuple[int, int] | None) -> ServedWork | None:
        """``served_works`` of the work a canonical external id names (None if none), in one read."""

    def citations(self, work_id: int, *, sort: str, year: int | None, after: tuple | None,
                  limit: int) -> list[CitationRow]:
        """Works citing ``work_id`` in ``sort`` order, after a keyset position."""

    def references(self, work_id: int, *, sort: str, year: int | None, after: tuple | None,
                   limit: int) -> list[CitationRow]:
        """Works ``work_id`` cites, in ``sort`` order, after a keyset position."""

    def counts_by_year(self, work_id: int, since: int | None = None) -> dict[int, int]:
        """Citations received per year of the citing work's publication (from ``since`` on, if given)."""

    def listed(self, work_id: int, source: str, direction: str, *, dates: tuple[int, int] | None = None,
               offset: int = 0, limit: int = 100) -> list[int]:
        """A work's citing or cited works in ``source``'s own list order, then the rest (see the SQLite store)."""

    def listed_facts(self, pairs: Sequence[tuple[int, int]],
                     source: str) -> dict[tuple[int, int], tuple[int, bytes | None]]:
        """The flags and extras ``source`` asserted of each (citing, cited) citation, where it did."""

    def influential_counts(self, keys: Sequence[int], source: str) -> dict[int, int]:
        """Citations of each work that ``source`` called influential."""

    def asserted_degrees(self, work_id: int, source: str) -> tuple[int, int]:
        """(citations, references) of a work among the edges ``source`` asserted."""

    def reference_keys(self, work_id: int) -> list[int]:
        """Every work ``work_id`` cites."""

    def ids_of(self, keys: Sequence[int], scheme: str) -> dict[int, str]:
        """The ``scheme`` id of each of ``keys`` that has one."""

    def citation_facts(self, keys: Sequence[int]) -> dict[int, CitationFacts]:
        """What a citation object needs of each work: every id, the publication date, author and venue keys."""

    def asserted(self, pairs: Sequence[tuple[int, int]], source: str) -> dict[tuple[int, int], AssertedRow]:
        """What ``source`` asserted about each of these (citing, cited) citations, where it did."""

    def citation_by_oci(self, oci: str) -> tuple[int, int] | None:
        """The (citing, cited) works of a citation whose OCI a source wrote as text, or None."""

    def venue_citation_count(self, issn: str) -> int:
        """Citations received by all works of the venue with this (canonical) ISSN."""

    def names(self, pairs: Iterable[IdPair]) -> dict[IdPair, str]:
        """Display names of entity ids that records gave."""

    def iter_records(self, batch: int = 5000) -> Iterator[tuple[int, str, bytes]]:
        """Every stored record as (work key, source, decompressed bytes), in key order."""

    def find(self, query: Query, resolve_text: Callable[[Text], dict[int, float]],
             serve: ServeSpec | None = None) -> FindResult:
        """Answer a query over works (text predicates answered by ``resolve_text``). With ``serve``, the store may
        read what serving each hit needs with the hits (``FindResult.served``), as ``served_works`` would."""

    def count(self, query: Query, resolve_text: Callable[[Text], dict[int, float]]) -> int:
        """How many works a query's filters and text select (its order, page and groups are ignored)."""

    def stats(self) -> dict[str, int]:
        """Corpus-wide counts: works, stubs, edges, ids, self-loops, conflicts, records per source."""

    def conflicts(self, limit: int = 1000) -> list[dict[str, object]]:
        """Recorded identity conflicts, newest first."""

    # --- metrics (citegraph.graph.metrics computes them; the store keeps the inputs and the results) ---
    def build_id(self) -> str:
        """The current build's id (every build gets a new one)."""

    def adjacency(self, *, save: bool = False) -> Adjacency:
        """The current build's graph as adjacency arrays (saved beside the database with ``save``)."""

    def adjacency_saved(self) -> bool:
        """Are the current build's adjacency arrays saved beside the database?"""

    def edge_arrays(self) -> tuple[Ints, Ints]:
        """Every edge as parallel (citing, cited) arrays."""

    def work_arrays(self) -> WorkArrays:
        """The fields the metrics need of every work, as arrays by work id."""

    def facet_pairs(self, fields: Iterable[str]) -> tuple[Ints, Ints]:
        """(work, facet value id) of every facet in ``fields``."""

    def facet_values(self, field: str) -> dict[int, str]:
        """Every value filed under a facet field, by value id."""

    def works_with(self, fields: Sequence[str], value: str) -> list[int]:
        """The works holding ``value`` under any of the facet ``fields``."""

    def counts_by_year_sums(self) -> tuple[Ints, Ints]:
        """(work, the sum of its counts by year) of every work with any."""

    def edge_sources(self, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], int]:
        """The sources bitmask of each (citing, cited) edge that exists."""

    def write_impact(self, bins: Sequence[tuple[object, ...]], rows: Sequence[tuple[object, ...]],
                     build: str, related: Sequence[tuple[object, ...]] = ()) -> None:
        """Replace the stored bins, per-work metrics and precomputed related works with build ``build``'s."""

    def related_top(self, work_id: int, limit: int) -> list[tuple[int, int, int, float, float]]:
        """The build's precomputed related works of a work (empty: not precomputed)."""

    def metrics_current(self) -> bool:
        """Were the stored metrics computed for the current build?"""

    def ensure_served(self) -> bool:
        """Write what serving reads precomputed (each work's counts by year for this year's span, the citations its
        records do not give) when the last build did not (a database migrated from an older version, or built in
        another year); True if it wrote them. Serving is right without them, only slower."""

    def impact(self, work_id: int) -> ImpactRow | None:
        """A work's stored impact metrics."""

    def impact_scores(self, work_ids: Sequence[int]) -> dict[int, float | None]:
        """The open-window normalised score of each work that has impact metrics."""

    def impact_bin(self, bin_id: int) -> ImpactBin | None:
        """One bin's description."""


class FoundWork(msgspec.Struct, array_like=True):
    """One work a query found, with its relevance when the query searched text."""

    key: int
    score: float | None = None


class FoundGroup(msgspec.Struct, array_like=True):
    """One bucket of a group-by: the stored value (None: works without one) and how many works."""

    value: str | int | None
    count: int


class FindResult(msgspec.Struct):
    """The answer to a query: the total, one page of works or groups, and where the next page starts."""

    count: int
    hits: list[FoundWork]
    next_after: tuple | None = None
    groups: list[FoundGroup] | None = None
    #: what serving each hit needs, by key, when the query asked for it and the store read it with the hits
    served: dict[int, ServedWork] | None = None
