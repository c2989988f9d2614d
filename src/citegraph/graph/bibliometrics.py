"""What the graph answers beyond any one service: a work's metrics, related works, co-citation and coupling of a set,
and author and venue summaries. Each rule lives in ``citegraph.metrics``; this joins them to the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec
import numpy as np

from citegraph import ids as idlib
from citegraph.metrics import impact as im
from citegraph.metrics import related as rel
from citegraph.metrics.summary import h_index, rate, set_self_citations
from citegraph.model import UpstreamCounts
from citegraph.store.fields import AUTHOR_KEY_FIELDS, VENUE_KEY_FIELDS

if TYPE_CHECKING:
    from citegraph.graph.core import Graph

#: Most works a co-citation set may name: every pair is computed (100 works: 4,950 pairs).
MAX_SET = 100
#: Most related works one call returns (as many as the build keeps for the heaviest works).
MAX_RELATED = rel.PRECOMPUTED_LIMIT
#: Citation count a work needs to count towards the i10-index (Google Scholar's rule).
I10_CITATIONS = 10


class NotFoundError(LookupError):
    """Nothing in this database by that id (a work key, an author, a venue)."""


class MetricsNotBuiltError(LookupError):
    """The database's metrics are not computed for its current build (``citegraph load`` computes them)."""


class Window(msgspec.Struct):
    """A work's impact in one citation window (see ``citegraph.metrics.impact``)."""

    citations: int
    bin_mean: float
    normalized_citation_score: float | None
    citation_percentile: float | None
    is_in_top_10_percent: bool
    is_in_top_1_percent: bool


class Impact(msgspec.Struct):
    """A work's field-normalised impact within the loaded corpus, and the bin it is compared within."""

    subject: str
    year: int
    type: str | None
    bin_works: int
    reliable: bool  # the bin holds at least MIN_RELIABLE_BIN works
    open_window: Window
    window_3y: Window


class SelfCitation(msgspec.Struct):
    """Of a work's citations, how many come from works sharing an author (a venue) with it."""

    author_self_citations: int
    author_self_citation_rate: float | None
    journal_self_citations: int
    journal_self_citation_rate: float | None


class WorkMetrics(msgspec.Struct):
    """Everything citegraph computes of one work, beside what its sources asserted (``upstream``)."""

    key: int
    id: str  # the work's primary id, canonical form
    ids: list[str]
    sources: list[str]
    stub: bool
    cited_by_count: int
    referenced_works_count: int
    counts_by_year: dict[int, int]  # every year with citations, whole history
    upstream: dict[str, UpstreamCounts]  # per source: the counts (and OpenAlex's fwci) it asserted
    impact: Impact | None  # None: a stub, or a work in no bin (no subject or no year)
    self_citation: SelfCitation | None  # None: a stub


class RelatedWork(msgspec.Struct):
    """A work related to another by co-citation and bibliographic coupling."""

    key: int
    id: str | None
    cocitation: int
    coupling: int
    cocitation_cosine: float
    coupling_cosine: float
    score: float


class PairStrength(msgspec.Struct):
    """Co-citation and coupling between two works of a set."""

    a: str
    b: str
    cocitation: int
    coupling: int
    cocitation_cosine: float
    coupling_cosine: float


class EntitySummary(msgspec.Struct):
    """An author's or a venue's works and citations in the loaded corpus."""

    id: str
    kind: str  # author | venue
    display_name: str | None
    works: int
    cited_by_count: int
    h_index: int
    i10_index: int
    self_citations: int  # citations of its works by its own works
    self_citation_rate: float | None
    mean_normalized_citation_score: float | None  # over its works that have a score (MNCS)


def _key_id(graph: Graph, key: int) -> tuple[str, list[str], list[str], bool, int, int]:
    row = graph.store.work_row(key)
    if row is None:
        raise NotFoundError(f"no work with key {key}")
    printed = [idlib.format_id(p, "canonical") for p in row.ids]
    return (_primary(row.key_id, printed, key), printed, row.sources, row.stub, row.cited_by_count,
            row.referenced_works_count)


def _primary(key_id: str | None, printed: list[str], key: int) -> str:
    """A work's primary id: the one its first record (or its stub) was keyed by, else any, else its key."""
    if key_id is not None and key_id in printed:
        return key_id
    return printed[0] if printed else f"key:{key}"


def _require_metrics(graph: Graph) -> None:
    if not graph.store.metrics_current():
        raise MetricsNotBuiltError("this database's metrics are not computed for its current build;"
                                   " run `citegraph load` (any input, even none new) to compute them")


def work_metrics(graph: Graph, key: int) -> WorkMetrics:
    """Every metric of the work ``key`` (see :class:`WorkMetrics`)."""
    _require_metrics(graph)
    primary, printed, sources, stub, cbc, rwc = _key_id(graph, key)
    upstream = graph.counts(key).upstream
    stored = graph.store.impact(key)
    impact = None
    selfcite = None
    if stored is not None:
        selfcite = SelfCitation(author_self_citations=stored.author_self_cited_by,
                                author_self_citation_rate=rate(stored.author_self_cited_by, cbc),
                                journal_self_citations=stored.journal_self_cited_by,
                                journal_self_citation_rate=rate(stored.journal_self_cited_by, cbc))
        b = graph.store.impact_bin(stored.bin) if stored.bin is not None else None
        if b is not None:
            impact = Impact(
                subject=b.subject, year=b.year, type=b.type, bin_works=b.works,
                reliable=b.works >= im.MIN_RELIABLE_BIN,
                open_window=Window(citations=cbc, bin_mean=b.mean, normalized_citation_score=stored.score,
                                   citation_percentile=stored.percentile,
                                   is_in_top_10_percent=bool(stored.flags & im.TOP_10),
                                   is_in_top_1_percent=bool(stored.flags & im.TOP_1)),
                window_3y=Window(citations=stored.cited_3y, bin_mean=b.mean_3y,
                                 normalized_citation_score=stored.score_3y, citation_percentile=stored.percentile_3y,
                                 is_in_top_10_percent=bool(stored.flags & im.TOP_10_3Y),
                                 is_in_top_1_percent=bool(stored.flags & im.TOP_1_3Y)))
    return WorkMetrics(key=key, id=primary, ids=printed, sources=sources, stub=stub, cited_by_count=cbc,
                       referenced_works_count=rwc, counts_by_year=graph.counts_by_year(key), upstream=upstream,
                       impact=impact, self_citation=selfcite)


def primary_ids(graph: Graph, keys: Sequence[int]) -> dict[int, str]:
    """Each work's primary id (see ``_primary``), canonical form."""
    rows = graph.store.work_rows(list(keys))
    return {k: _primary(r.key_id, [idlib.format_id(p, "canonical") for p in r.ids], k) for k, r in rows.items()}


def related_works(graph: Graph, key: int, limit: int = rel.RELATED_LIMIT) -> list[RelatedWork]:
    """The works most related to ``key`` by co-citation and coupling (``citegraph.metrics.related``'s rule)."""
    if not 1 <= limit <= MAX_RELATED:
        raise ValueError(f"limit must be between 1 and {MAX_RELATED}")
    rows = graph.store.related_top(key, limit) if graph.store.metrics_current() else []
    if not rows:  # not one of the heaviest works: computed now from the adjacency arrays
        a = graph.store.adjacency()
        found = rel.related(key, a.refs_ptr, a.refs, a.citers_ptr, a.citers, limit)
        rows = list(zip(found.keys.tolist(), found.cocitation.tolist(), found.coupling.tolist(),
                        found.cocitation_cosine.tolist(), found.coupling_cosine.tolist(), strict=True))
    printed = primary_ids(graph, [r[0] for r in rows])
    return [RelatedWork(key=k, id=printed.get(k), cocitation=c, coupling=p, cocitation_cosine=cc, coupling_cosine=pc,
                        score=cc + pc) for k, c, p, cc, pc in rows]


def cocitation_matrix(graph: Graph, keys: Sequence[int]) -> list[PairStrength]:
    """Co-citation and coupling of every pair of ``keys`` (at most ``MAX_SET`` works), pairs with neither left
    out."""
    keys = list(dict.fromkeys(keys))
    if len(keys) > MAX_SET:
        raise ValueError(f"at most {MAX_SET} works at once")
    a = graph.store.adjacency()
    printed = primary_ids(graph, keys)
    out = []
    for i, x in enumerate(keys):
        for y in keys[i + 1:]:
            co, cp = rel.pair_strengths(x, y, a.refs_ptr, a.refs, a.citers_ptr, a.citers)
            if not co and not cp:
                continue
            deg = rel.degrees
            xs, ys = np.array([x]), np.array([y])
            co_cos = float(rel.salton(np.array([co]), int(deg(a.citers_ptr, xs)[0]), deg(a.citers_ptr, ys))[0])
            cp_cos = float(rel.salton(np.array([cp]), int(deg(a.refs_ptr, xs)[0]), deg(a.refs_ptr, ys))[0])
            out.append(PairStrength(a=printed.get(x, f"key:{x}"), b=printed.get(y, f"key:{y}"), cocitation=co,
                                    coupling=cp, cocitation_cosine=co_cos, coupling_cosine=cp_cos))
    return out


def parse_entity_id(text: str, kind: str) -> tuple[str, str]:
    """An author or venue id in any form (``A123``, an OpenAlex URL, ``orcid:…``, an ISSN, ``scheme:value``) as the
    canonical (scheme, value) the store files it under; IdError when it is none."""
    allowed = ("openalex", "orcid") if kind == "author" else ("openalex", "issn")
    try:
        pair = idlib.parse_id(text, allowed=allowed)
    except idlib.IdError:
        scheme, sep, value = text.partition(":")
        if not sep or not value or scheme in allowed:
            raise
        pair = (scheme, value)  # another source's own author or venue key (an S2 author id, an OMID …)
    if pair[0] == "openalex" and idlib.openalex_entity(pair[1]) != ("author" if kind == "author" else "source"):
        raise idlib.IdError(f"{text!r} is not an OpenAlex {kind} id")
    return pair


def entity_summary(graph: Graph, pair: tuple[str, str], kind: str) -> EntitySummary:
    """An author's (``kind="author"``) or a venue's summary: works, citations, h-index, self-citation rate."""
    _require_metrics(graph)
    value = f"{pair[0]}:{pair[1]}"
    fields = AUTHOR_KEY_FIELDS if kind == "author" else VENUE_KEY_FIELDS
    keys = graph.store.works_with(fields, value)
    if not keys:
        raise NotFoundError(f"no works by {kind} {value} in this database")
    a = graph.store.adjacency()
    cbcs = rel.degrees(a.citers_ptr, np.array(keys, dtype=np.int64))
    total, own = set_self_citations(np.array(keys, dtype=np.int64), a.citers_ptr, a.citers)
    scores = [s for s in graph.store.impact_scores(keys).values() if s is not None]
    name = graph.names([pair]).get(pair)
    return EntitySummary(
        id=value, kind=kind, display_name=name, works=len(keys), cited_by_count=int(cbcs.sum()),
        h_index=h_index(cbcs), i10_index=int(np.count_nonzero(cbcs >= I10_CITATIONS)), self_citations=own,
        self_citation_rate=rate(own, total),
        mean_normalized_citation_score=sum(scores) / len(scores) if scores else None)


__all__ = ["EntitySummary", "Impact", "MetricsNotBuiltError", "NotFoundError", "PairStrength", "RelatedWork",
           "SelfCitation", "Window", "WorkMetrics", "cocitation_matrix", "entity_summary", "parse_entity_id",
           "primary_ids", "related_works", "work_metrics"]
