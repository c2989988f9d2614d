"""Co-citation, coupling and related works over adjacency arrays, against plain set arithmetic."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from citegraph.metrics import related as rel
from citegraph.store.adjacency import Adjacency


def _graph(edges: list[tuple[int, int]], n: int) -> Adjacency:
    citing = np.array([e[0] for e in edges], dtype=np.int64)
    cited = np.array([e[1] for e in edges], dtype=np.int64)
    return Adjacency.from_edges(citing, cited, np.arange(n, dtype=np.int64))


def test_cocitation_and_coupling_of_a_small_graph() -> None:
    # 0 and 1 both cite 2 and 3; 4 cites 2 only; 5 cites 3 and 4
    a = _graph([(0, 2), (0, 3), (1, 2), (1, 3), (4, 2), (5, 3), (5, 4)], 6)
    keys, n = rel.cocitation(2, a.refs_ptr, a.refs, a.citers_ptr, a.citers)
    assert dict(zip(keys.tolist(), n.tolist(), strict=True)) == {3: 2}  # cited together by 0 and 1
    keys, n = rel.coupling(0, a.refs_ptr, a.refs, a.citers_ptr, a.citers)
    assert dict(zip(keys.tolist(), n.tolist(), strict=True)) == {1: 2, 4: 1, 5: 1}
    assert rel.pair_strengths(2, 3, a.refs_ptr, a.refs, a.citers_ptr, a.citers) == (2, 0)
    assert rel.pair_strengths(0, 1, a.refs_ptr, a.refs, a.citers_ptr, a.citers) == (0, 2)
    found = rel.related(0, a.refs_ptr, a.refs, a.citers_ptr, a.citers)
    assert found.keys.tolist()[0] == 1  # coupling 2 of 2 and 2 references each: cosine 1
    assert found.coupling_cosine[0] == pytest.approx(1.0)
    assert 0 not in found.keys.tolist()


def test_a_work_outside_the_arrays_has_nothing_related() -> None:
    a = _graph([(0, 1)], 2)
    assert len(rel.related(99, a.refs_ptr, a.refs, a.citers_ptr, a.citers)) == 0


@pytest.mark.parametrize(("seed", "n", "m"), [(7, 120, 900), (8, 120, 900), (9, 4000, 3000)])
def test_related_matches_set_arithmetic(seed: int, n: int, m: int) -> None:
    # a dense small graph (neighbours counted over every work) and a sparse big one (neighbours sorted)
    rng = random.Random(seed)
    edges = sorted({(rng.randrange(n), rng.randrange(n // 3)) for _ in range(m)})
    edges = [e for e in edges if e[0] != e[1]]
    a = _graph(edges, n)
    refs = {w: {c for x, c in edges if x == w} for w in range(n)}
    citers = {w: {x for x, c in edges if c == w} for w in range(n)}
    for x in range(0, n, 7 if n < 1000 else 97):
        expected = []
        for y in range(n):
            if y == x:
                continue
            co, cp = len(citers[x] & citers[y]), len(refs[x] & refs[y])
            if not co and not cp:
                continue
            co_cos = co / math.sqrt(len(citers[x]) * len(citers[y])) if co else 0.0
            cp_cos = cp / math.sqrt(len(refs[x]) * len(refs[y])) if cp else 0.0
            expected.append((-(co_cos + cp_cos), -(co + cp), y))
        expected.sort()
        found = rel.related(x, a.refs_ptr, a.refs, a.citers_ptr, a.citers, limit=10)
        assert found.keys.tolist() == [y for *_s, y in expected[:10]]
        for k, score in zip(found.keys.tolist(), found.score.tolist(), strict=True):
            assert score == pytest.approx(-next(s for s, _r, y in expected if y == k))


def test_gathered_is_what_a_query_gathers() -> None:
    rng = random.Random(3)
    n = 200
    edges = sorted({(rng.randrange(n), rng.randrange(n)) for _ in range(1500)} - {(i, i) for i in range(n)})
    a = _graph(edges, n)
    sizes = rel.gathered(a.refs_ptr, a.citers_ptr, a.citers)
    for x in range(n):
        co = rel.neighbours(a.refs_ptr, a.refs, rel.row(a.citers_ptr, a.citers, x))
        cp = rel.neighbours(a.citers_ptr, a.citers, rel.row(a.refs_ptr, a.refs, x))
        assert sizes[x] == len(co) + len(cp)
