"""h-index, self-citation over every edge at once, and a set's self-citations."""

from __future__ import annotations

import random

import numpy as np

from citegraph.metrics.selfcite import author_self_citation
from citegraph.metrics.summary import h_index, rate, set_self_citations, sharing_edges
from citegraph.store.adjacency import Adjacency


def test_h_index() -> None:
    assert h_index(np.array([10, 8, 5, 4, 3])) == 4
    assert h_index(np.array([25, 8, 5, 3, 3])) == 3
    assert h_index(np.array([0, 0])) == 0
    assert h_index(np.array([], dtype=np.int64)) == 0
    assert h_index(np.array([1])) == 1


def test_rate_of_nothing_is_none() -> None:
    assert rate(0, 0) is None
    assert rate(1, 4) == 0.25


def test_sharing_edges_agrees_with_the_one_citation_rule() -> None:
    rng = random.Random(5)
    n = 200
    keys = {w: {rng.randrange(60) for _ in range(rng.randrange(0, 4))} for w in range(n)}
    pairs = [(w, k) for w, ks in keys.items() for k in ks]
    edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(3000)]
    citing = np.array([e[0] for e in edges], dtype=np.int64)
    cited = np.array([e[1] for e in edges], dtype=np.int64)
    shared = sharing_edges(citing, cited, np.array([p[0] for p in pairs], dtype=np.int64),
                           np.array([p[1] for p in pairs], dtype=np.int64))
    expected = [author_self_citation({str(k) for k in keys[a]}, {str(k) for k in keys[b]}) for a, b in edges]
    assert shared.tolist() == expected
    assert any(expected) and not all(expected)


def test_a_sets_self_citations() -> None:
    # works 0,1 are the author's; 1 cites 0, 2 cites 0, 2 cites 1
    a = Adjacency.from_edges(np.array([1, 2, 2]), np.array([0, 0, 1]), np.arange(3))
    assert set_self_citations(np.array([0, 1]), a.citers_ptr, a.citers) == (3, 1)
    assert set_self_citations(np.array([2]), a.citers_ptr, a.citers) == (0, 0)
