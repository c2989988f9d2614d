"""Co-citation, bibliographic coupling and related works, over the citation graph as adjacency arrays.

The graph is given in compressed sparse row form twice: ``refs_ptr``/``refs`` (work ``w`` cites
``refs[refs_ptr[w]:refs_ptr[w+1]]``, sorted) and ``citers_ptr``/``citers`` (``w`` is cited by
``citers[citers_ptr[w]:citers_ptr[w+1]]``, sorted). The rules:

- **co-citation strength** of works A and B: how many works cite both (Small, 1973);
- **bibliographic coupling strength** of A and B: how many works both cite (Kessler, 1963);
- **Salton's cosine** of a strength: the strength over the square root of the product of the two works' degrees
  (citation counts for co-citation, reference counts for coupling), in [0, 1];
- **related works** of A: the works with the highest co-citation cosine plus coupling cosine with A, ties
  broken by the higher raw strength (co-citation plus coupling), then by the lower key. A itself is never
  related to itself.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Index = npt.NDArray[np.integer]

#: Gathered neighbours past which counting them by ``bincount`` over every work beats sorting them (``unique``).
BINCOUNT_SHARE = 8
#: Most related works returned by default: a page of a literature map.
RELATED_LIMIT = 20
#: A work whose query would gather more neighbours than this has its related works computed by the build (a query
#: gathering 2M costs ~100 ms; the most-cited work of a 20M-edge graph gathers ~9M, ~1 s).
PRECOMPUTE_GATHERED = 2_000_000
#: How many related works the build keeps for such a work (the most one query may ask).
PRECOMPUTED_LIMIT = 200


def _rows(ptr: Index, keys: Ints) -> tuple[Ints, Ints]:
    """(start, length) in a CSR array of each of ``keys``; keys outside it have empty rows."""
    inside = (keys >= 0) & (keys < len(ptr) - 1)
    starts = np.zeros(len(keys), dtype=np.int64)
    ends = np.zeros(len(keys), dtype=np.int64)
    starts[inside] = np.asarray(ptr[keys[inside]], dtype=np.int64)
    ends[inside] = np.asarray(ptr[keys[inside] + 1], dtype=np.int64)
    return starts, ends - starts


def _take(values: Index, starts: Ints, lengths: Ints, total: int) -> Ints:
    """The values of the rows given by starts and lengths, concatenated."""
    # one index per gathered value: the row's start plus the value's place within its row
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.asarray(values[offsets + np.arange(total)], dtype=np.int64)


def neighbours(ptr: Index, values: Index, keys: Index) -> Ints:
    """Every value of the rows ``keys`` of a CSR array, concatenated (repeats kept)."""
    starts, lengths = _rows(ptr, np.asarray(keys, dtype=np.int64))
    total = int(lengths.sum())
    return _take(values, starts, lengths, total) if total else np.zeros(0, dtype=np.int64)


def gather(ptr: Index, values: Index, keys: Index) -> tuple[Ints, Ints]:
    """``neighbours``, and for each value the place in ``keys`` of the row it came from."""
    starts, lengths = _rows(ptr, np.asarray(keys, dtype=np.int64))
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return _take(values, starts, lengths, total), np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)


def row(ptr: Index, values: Index, key: int) -> Ints:
    """One row of a CSR array (empty for a key outside it)."""
    if key < 0 or key >= len(ptr) - 1:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(values[int(ptr[key]):int(ptr[key + 1])], dtype=np.int64)


def _tally(found: Ints, n_works: int) -> tuple[Ints, Ints]:
    """(distinct values, how often each occurs), values ascending."""
    if len(found) * BINCOUNT_SHARE > n_works:
        counts = np.bincount(found, minlength=n_works)
        keys = np.flatnonzero(counts)
        return keys.astype(np.int64), counts[keys].astype(np.int64)
    keys, counts = np.unique(found, return_counts=True)
    return keys.astype(np.int64), counts.astype(np.int64)


def cocitation(key: int, refs_ptr: Index, refs: Index, citers_ptr: Index, citers: Index) -> tuple[Ints, Ints]:
    """(works co-cited with ``key``, co-citation strength of each), works ascending."""
    found = neighbours(refs_ptr, refs, row(citers_ptr, citers, key))
    keys, counts = _tally(found, len(refs_ptr) - 1)
    keep = keys != key
    return keys[keep], counts[keep]


def coupling(key: int, refs_ptr: Index, refs: Index, citers_ptr: Index, citers: Index) -> tuple[Ints, Ints]:
    """(works bibliographically coupled with ``key``, coupling strength of each), works ascending."""
    found = neighbours(citers_ptr, citers, row(refs_ptr, refs, key))
    keys, counts = _tally(found, len(citers_ptr) - 1)
    keep = keys != key
    return keys[keep], counts[keep]


def salton(strength: Ints, degree: int, other_degrees: Ints) -> Floats:
    """Salton's cosine of strengths between one work (``degree``) and others: strength / sqrt(d1 * d2)."""
    denominator = np.sqrt(float(degree) * other_degrees.astype(np.float64))
    return np.divide(strength.astype(np.float64), denominator, out=np.zeros(len(strength)), where=denominator > 0)


def degrees(ptr: Index, keys: Ints) -> Ints:
    """Row lengths of ``keys`` in a CSR array (a work's citation or reference count in the graph)."""
    return np.asarray(ptr[keys + 1], dtype=np.int64) - np.asarray(ptr[keys], dtype=np.int64)


class Relatedness:
    """The works related to one work, with both strengths and both cosines, best first."""

    def __init__(self, keys: Ints, cocited: Ints, coupled: Ints, cocitation_cosine: Floats,
                 coupling_cosine: Floats) -> None:
        self.keys = keys
        self.cocitation = cocited
        self.coupling = coupled
        self.cocitation_cosine = cocitation_cosine
        self.coupling_cosine = coupling_cosine

    @property
    def score(self) -> Floats:
        """The ranking score: co-citation cosine plus coupling cosine."""
        return self.cocitation_cosine + self.coupling_cosine

    def __len__(self) -> int:
        return len(self.keys)


def related(key: int, refs_ptr: Index, refs: Index, citers_ptr: Index, citers: Index,
            limit: int = RELATED_LIMIT) -> Relatedness:
    """The ``limit`` works most related to ``key`` by co-citation and coupling cosines (see the module's rule)."""
    n_works = len(refs_ptr) - 1
    mine_citers = row(citers_ptr, citers, key)
    mine_refs = row(refs_ptr, refs, key)
    co_found = neighbours(refs_ptr, refs, mine_citers)
    cp_found = neighbours(citers_ptr, citers, mine_refs)
    if (len(co_found) + len(cp_found)) * BINCOUNT_SHARE > n_works:
        # many neighbours: count them in arrays over every work (no sort of millions of values)
        co_all = np.bincount(co_found, minlength=n_works)
        cp_all = np.bincount(cp_found, minlength=n_works)
        co_all[key] = cp_all[key] = 0
        keys = np.flatnonzero(co_all | cp_all).astype(np.int64)
        cocited, coupled = co_all[keys].astype(np.int64), cp_all[keys].astype(np.int64)
    else:
        co_keys, co_n = _tally(co_found, n_works)
        cp_keys, cp_n = _tally(cp_found, n_works)
        keys = np.union1d(co_keys[co_keys != key], cp_keys[cp_keys != key])
        cocited = np.zeros(len(keys), dtype=np.int64)
        coupled = np.zeros(len(keys), dtype=np.int64)
        keep = co_keys != key
        cocited[np.searchsorted(keys, co_keys[keep])] = co_n[keep]
        keep = cp_keys != key
        coupled[np.searchsorted(keys, cp_keys[keep])] = cp_n[keep]
    co_cos = salton(cocited, len(mine_citers), degrees(citers_ptr, keys))
    cp_cos = salton(coupled, len(mine_refs), degrees(refs_ptr, keys))
    score = co_cos + cp_cos
    raw = cocited + coupled
    if len(keys) > limit:
        # the candidates that could make the top ``limit``: everything scoring at least the limit-th best score
        cut = np.partition(score, len(score) - limit)[len(score) - limit]
        near = np.flatnonzero(score >= cut)
    else:
        near = np.arange(len(keys))
    order = near[np.lexsort((keys[near], -raw[near], -score[near]))][:limit]
    return Relatedness(keys[order], cocited[order], coupled[order], co_cos[order], cp_cos[order])


def gathered(refs_ptr: Index, citers_ptr: Index, citers: Index) -> Ints:
    """Per work, how many neighbours ``related`` gathers for it: its citers' references plus its references' citers
    (what a query of it costs, known before it is asked)."""
    ref_ptr = np.asarray(refs_ptr, dtype=np.int64)
    cite_ptr = np.asarray(citers_ptr, dtype=np.int64)
    ref_counts = ref_ptr[1:] - ref_ptr[:-1]
    cite_counts = cite_ptr[1:] - cite_ptr[:-1]
    n = len(ref_counts)
    cited = np.repeat(np.arange(n, dtype=np.int64), cite_counts)
    citing = np.asarray(citers, dtype=np.int64)
    co = np.bincount(cited, weights=ref_counts[citing], minlength=n)  # each citer's references, per cited work
    cp = np.bincount(citing, weights=cite_counts[cited], minlength=n)  # each reference's citers, per citing work
    return (co + cp).astype(np.int64)


def pair_strengths(a: int, b: int, refs_ptr: Index, refs: Index, citers_ptr: Index,
                   citers: Index) -> tuple[int, int]:
    """(co-citation strength, coupling strength) of two works: shared citers, shared references."""
    shared_citers = np.intersect1d(row(citers_ptr, citers, a), row(citers_ptr, citers, b), assume_unique=True)
    shared_refs = np.intersect1d(row(refs_ptr, refs, a), row(refs_ptr, refs, b), assume_unique=True)
    return len(shared_citers), len(shared_refs)


__all__ = [
    "PRECOMPUTED_LIMIT",
    "PRECOMPUTE_GATHERED",
    "RELATED_LIMIT",
    "Relatedness",
    "cocitation",
    "coupling",
    "degrees",
    "gather",
    "gathered",
    "neighbours",
    "pair_strengths",
    "related",
    "row",
    "salton",
]
