"""Computing the corpus-wide metrics after a build, with their self-checks, and reading them per work.

After every build the writer computes, for every work, its field-normalised impact (open and 3-year windows) and
its author and journal self-citations received, from the store's arrays (``citegraph.metrics`` holds each rule),
stores them, and saves the adjacency arrays beside the database for the readers' related-works queries. Then it
checks what it built (as openalex-metrics does): every scored bin's mean normalised score is 1.0, percentiles lie
in [0, 1], every work's counts by year plus its undated citations sum to its citation count, every edge's two ends
are works. A failed check raises ``MetricsCheckError``: nothing of that computation is stored.
"""

from __future__ import annotations

import math
import time
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from citegraph.metrics import impact as im
from citegraph.metrics import related as rel
from citegraph.metrics.summary import sharing_edges
from citegraph.query import IMPACT_SUBJECT
from citegraph.store.base import Store
from citegraph.store.fields import AUTHOR_KEY_FIELDS, SUBJECT_LEVELS, VENUE_KEY_FIELDS

Ints = npt.NDArray[np.int64]


class MetricsCheckError(RuntimeError):
    """A self-check of the metrics build failed: the build's results contradict each other."""


class MetricsReport(msgspec.Struct):
    """What a metrics build computed and how long each step took."""

    works: int = 0  # works scored or not (stubs excluded)
    binned: int = 0  # works in a bin
    bins: int = 0
    reliable_bins: int = 0
    author_self_citations: int = 0
    journal_self_citations: int = 0
    related_precomputed: int = 0  # works whose related works the build computed (the heaviest to ask)
    seconds: float = 0.0
    steps: dict[str, float] = {}


def _float_or_none(values: npt.NDArray[np.float64]) -> list[float | None]:
    return [None if math.isnan(v) else v for v in values.tolist()]


def build_metrics(store: Store) -> MetricsReport:
    """Compute, check and store every work's metrics for the store's current build (the writer calls this)."""
    t0 = time.perf_counter()
    report = MetricsReport()
    steps: dict[str, float] = {}
    mark = [time.perf_counter()]

    def step(name: str) -> None:
        now = time.perf_counter()
        steps[name] = round(steps.get(name, 0.0) + now - mark[0], 3)
        mark[0] = now

    build = store.build_id()
    adjacency = store.adjacency(save=True)
    step("adjacency")
    works = store.work_arrays()
    size = max(len(works.present), adjacency.size)
    step("works")

    def fit(values: npt.NDArray[Any]) -> npt.NDArray[Any]:  # arrays by work id, all the same size
        return np.concatenate([values, np.zeros(size - len(values), dtype=values.dtype)])

    present, stub = fit(works.present), fit(works.stub)
    year, kind, cbc = fit(works.year), fit(works.kind), fit(works.cited_by_count)
    citing, cited = adjacency.edges()
    problems = _check_graph(store, adjacency.present, citing, cited, fit(works.dated), cbc, size)
    step("checks")

    # subjects: a work takes its finest subject (subfield before field before venue), then the smallest name
    names = store.facet_values(IMPACT_SUBJECT)
    ordered = sorted(names.items(), key=lambda item: (_level(item[1]), item[1]))
    code_of = {value_id: code for code, (value_id, _name) in enumerate(ordered)}
    subject = np.full(size, len(ordered), dtype=np.int64)
    pair_works, pair_values = store.facet_pairs([IMPACT_SUBJECT])
    if len(pair_works):
        codes = np.fromiter((code_of[v] for v in pair_values.tolist()), dtype=np.int64, count=len(pair_values))
        np.minimum.at(subject, pair_works, codes)
    subject[subject == len(ordered)] = -1
    scored = present & ~stub
    subject[~scored] = -1
    bins, keys = im.assign_bins(subject, year, kind)
    n_bins = len(keys)
    step("bins")

    cited_3y = im.window_counts(citing, cited, year, size)
    open_window = _Window.of(cbc, bins, n_bins)
    three_years = _Window.of(cited_3y, bins, n_bins)
    problems += open_window.problems + three_years.problems
    step("impact")

    author_w, author_v = store.facet_pairs(AUTHOR_KEY_FIELDS)
    venue_w, venue_v = store.facet_pairs(VENUE_KEY_FIELDS)
    author_edges = sharing_edges(citing, cited, author_w, author_v)
    journal_edges = sharing_edges(citing, cited, venue_w, venue_v)
    author_self = np.bincount(cited[author_edges], minlength=size)
    journal_self = np.bincount(cited[journal_edges], minlength=size)
    step("self_citations")

    # related works of the works whose query would gather millions of neighbours, ready for the readers
    related_rows: list[tuple[object, ...]] = []
    heavy = np.flatnonzero(rel.gathered(adjacency.refs_ptr, adjacency.citers_ptr, adjacency.citers)
                           > rel.PRECOMPUTE_GATHERED)
    for key in heavy.tolist():
        found = rel.related(key, adjacency.refs_ptr, adjacency.refs, adjacency.citers_ptr, adjacency.citers,
                            rel.PRECOMPUTED_LIMIT)
        related_rows += zip([key] * len(found), range(len(found)), found.keys.tolist(), found.cocitation.tolist(),
                            found.coupling.tolist(), found.cocitation_cosine.tolist(), found.coupling_cosine.tolist(),
                            strict=True)
    report.related_precomputed = len(heavy)
    step("related")

    if problems:
        raise MetricsCheckError("the metrics build failed its self-checks: " + "; ".join(problems))

    sizes = im.bin_sizes(bins, n_bins)
    bin_rows = [(i, ordered[s][1], y, works.kinds[k], n, m, m3) for i, ((s, y, k), n, m, m3) in enumerate(zip(
        keys.tolist(), sizes.tolist(), open_window.means.tolist(), three_years.means.tolist(), strict=True))]
    keys_scored = np.flatnonzero(scored)
    flags = (open_window.top10 * im.TOP_10 | open_window.top1 * im.TOP_1 | three_years.top10 * im.TOP_10_3Y
             | three_years.top1 * im.TOP_1_3Y)
    impact_rows = list(zip(
        keys_scored.tolist(), [None if x < 0 else x for x in bins[keys_scored].tolist()],
        cited_3y[keys_scored].tolist(),
        _float_or_none(open_window.scores[keys_scored]), _float_or_none(three_years.scores[keys_scored]),
        _float_or_none(open_window.percentiles[keys_scored]), _float_or_none(three_years.percentiles[keys_scored]),
        flags[keys_scored].tolist(), author_self[keys_scored].tolist(), journal_self[keys_scored].tolist(),
        strict=True))
    store.write_impact(bin_rows, impact_rows, build, related_rows)
    step("write")

    report.works = len(keys_scored)
    report.binned = int(np.count_nonzero(bins >= 0))
    report.bins = n_bins
    report.reliable_bins = int(np.count_nonzero(sizes >= im.MIN_RELIABLE_BIN))
    report.author_self_citations = int(np.count_nonzero(author_edges))
    report.journal_self_citations = int(np.count_nonzero(journal_edges))
    report.steps = steps
    report.seconds = round(time.perf_counter() - t0, 3)
    return report


class _Window(msgspec.Struct):
    """The impact metrics of every work in one citation window."""

    means: npt.NDArray[np.float64]  # per bin
    scores: npt.NDArray[np.float64]
    percentiles: npt.NDArray[np.float64]
    top10: Ints  # 0 or 1 per work
    top1: Ints
    problems: list[str]

    @classmethod
    def of(cls, counts: Ints, bins: Ints, n_bins: int) -> _Window:
        """Each rule of ``citegraph.metrics.impact`` over ``counts``, with its self-checks' findings."""
        means = im.bin_means(counts, bins, n_bins)
        scores = im.normalised_scores(counts, bins, means)
        pct = im.percentiles(counts, bins, n_bins)
        top10, top1 = im.top_flags(counts, bins, n_bins)
        return cls(means, scores, pct, top10.astype(np.int64), top1.astype(np.int64),
                   im.check_mean_scores(scores, bins, n_bins) + im.check_percentiles(pct))


def _level(subject: str) -> int:
    """The rank of a subject's level (finest first; unknown levels last)."""
    level = subject.partition(":")[0]
    return SUBJECT_LEVELS.index(level) if level in SUBJECT_LEVELS else len(SUBJECT_LEVELS)


def _check_graph(store: Store, present: npt.NDArray[np.bool_], citing: Ints, cited: Ints,
                 dated: npt.NDArray[np.bool_], cbc: Ints, size: int) -> list[str]:
    """The graph's self-checks: edge ends are works; counts by year plus undated citations are the citation count."""
    problems = []
    ends = np.concatenate([citing, cited])
    missing = int(np.count_nonzero(~present[ends])) if len(ends) else 0
    if missing:
        problems.append(f"{missing} edge ends are not works")
    in_graph = np.bincount(cited, minlength=size)
    if not np.array_equal(in_graph, cbc):
        bad = int(np.count_nonzero(in_graph != cbc))
        problems.append(f"{bad} works' citation counts differ from their citers in the graph")
    undated = np.bincount(cited[~dated[citing]], minlength=size)
    by_year = np.zeros(size, dtype=np.int64)
    works, sums = store.counts_by_year_sums()
    by_year[works] = sums
    off = int(np.count_nonzero(by_year + undated != cbc))
    if off:
        problems.append(f"{off} works' counts by year and undated citations do not sum to their citation count")
    return problems


__all__ = ["MetricsCheckError", "MetricsReport", "build_metrics"]
