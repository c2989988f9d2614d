"""Summaries of sets of works (an author's, a venue's) and self-citation over the whole graph, vectorised.

The rules:

- **h-index** (Hirsch, 2005): the largest h such that h of the works are each cited at least h times.
- **a citation is an author (journal) self-citation** when the citing and the cited work share an author key
  (a venue key), exactly as :mod:`citegraph.metrics.selfcite` says for one citation; here for every edge at once.
- **a work's self-citation rate**: its author self-citations over its citations (None when it is uncited).
- **an author's (a venue's) self-citation rate**: of the citations its works receive, the share that come from its
  own works (a citing work by the same author, in the same venue); None when its works are uncited.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from citegraph.metrics.related import gather, neighbours

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

#: Edges checked for shared keys per pass: bounds the probe arrays (about 5 probes an edge, 8 bytes each).
SELF_CITATION_CHUNK = 2_000_000


def h_index(citation_counts: Ints) -> int:
    """The h-index of works with these citation counts."""
    ordered = np.sort(np.asarray(citation_counts, dtype=np.int64))[::-1]
    ranks = np.arange(1, len(ordered) + 1)
    return int(np.count_nonzero(ordered >= ranks))


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to take a share of."""
    return part / whole if whole > 0 else None


def sharing_edges(citing: Ints, cited: Ints, key_works: Ints, key_values: Ints) -> Bools:
    """Per edge: do its two works share a key? Keys are given as (work, key) pairs in parallel arrays."""
    if not len(key_works) or not len(citing):
        return np.zeros(len(citing), dtype=bool)
    # every (work, key) pair packed into one sortable integer: a probe is a binary search
    packed = np.unique((key_works.astype(np.int64) << 32) | key_values.astype(np.int64))
    order = np.argsort(key_works, kind="stable")
    works_sorted = key_works[order].astype(np.int64)
    values_sorted = key_values[order].astype(np.int64)
    n = int(max(int(works_sorted[-1]), int(citing.max()), int(cited.max()))) + 1
    ptr = np.searchsorted(works_sorted, np.arange(n + 1))
    out = np.zeros(len(citing), dtype=bool)
    for lo in range(0, len(citing), SELF_CITATION_CHUNK):
        src = citing[lo:lo + SELF_CITATION_CHUNK].astype(np.int64)
        dst = cited[lo:lo + SELF_CITATION_CHUNK].astype(np.int64)
        keys, edge = gather(ptr, values_sorted, dst)  # each cited work's keys, and the edge each is for
        if not len(keys):
            continue
        probes = (src[edge] << 32) | keys
        at = np.minimum(np.searchsorted(packed, probes), len(packed) - 1)
        hit = packed[at] == probes
        out[lo:lo + len(dst)] = np.bincount(edge[hit], minlength=len(dst)) > 0
    return out


def set_self_citations(works: Ints, citers_ptr: npt.NDArray[np.integer],
                       citers: npt.NDArray[np.integer]) -> tuple[int, int]:
    """(citations the set's works receive, of them from the set's own works): a set's self-citation counts."""
    works = np.unique(np.asarray(works, dtype=np.int64))
    found = neighbours(citers_ptr, citers, works)
    return len(found), int(np.count_nonzero(np.isin(found, works)))


__all__ = ["h_index", "rate", "set_self_citations", "sharing_edges"]
