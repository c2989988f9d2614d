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


def neighbours(ptr: Index, values: Index, keys: Index) -> Ints:
    """Every value of the rows ``keys`` of a CSR array, concatenated (repeats kept)."""
    keys = np.asarray(keys, dtype=np.int64)
    keys = keys[(keys >= 0) & (keys < len(ptr) - 1)]
    starts = np.asarray(ptr[keys], dtype=np.int64)
    lengths = np.asarray(ptr[keys + 1], dtype=np.int64) - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    # one index per gathered value: the row's start plus the value's place within its row
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.asarray(values[offsets + np.arange(total)], dtype=np.int64)


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
    co_keys, co_n = cocitation(key, refs_ptr, refs, citers_ptr, citers)
    cp_keys, cp_n = coupling(key, refs_ptr, refs, citers_ptr, citers)
    keys = np.union1d(co_keys, cp_keys)
    cocited = np.zeros(len(keys), dtype=np.int64)
    coupled = np.zeros(len(keys), dtype=np.int64)
    cocited[np.searchsorted(keys, co_keys)] = co_n
    coupled[np.searchsorted(keys, cp_keys)] = cp_n
    co_cos = salton(cocited, len(row(citers_ptr, citers, key)), degrees(citers_ptr, keys))
    cp_cos = salton(coupled, len(row(refs_ptr, refs, key)), degrees(refs_ptr, keys))
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


def pair_strengths(a: int, b: int, refs_ptr: Index, refs: Index, citers_ptr: Index,
                   citers: Index) -> tuple[int, int]:
    """(co-citation strength, coupling strength) of two works: shared citers, shared references."""
    shared_citers = np.intersect1d(row(citers_ptr, citers, a), row(citers_ptr, citers, b), assume_unique=True)
    shared_refs = np.intersect1d(row(refs_ptr, refs, a), row(refs_ptr, refs, b), assume_unique=True)
    return len(shared_citers), len(shared_refs)


__all__ = [
    "RELATED_LIMIT",
    "Relatedness",
    "cocitation",
    "coupling",
    "degrees",
    "neighbours",
    "pair_strengths",
    "related",
    "row",
    "salton",
]
