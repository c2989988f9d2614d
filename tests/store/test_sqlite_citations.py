"""The bulk citation writer's in-memory parts: the integer map OMIDs are looked up in."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from citegraph.store.sqlite_citations import IntMap

_keys = st.integers(min_value=0, max_value=2**62)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(_keys, st.integers(min_value=0, max_value=2**40), max_size=300), max_size=6),
       st.lists(_keys, max_size=100))
def test_the_map_answers_as_a_dict_does(batches: list[dict[int, int]], probes: list[int]) -> None:
    got, want = IntMap(bits=2), {}
    for batch in batches:  # later batches overwrite keys earlier ones set, and grow the map past its start
        got.put(np.array(list(batch), dtype=np.int64), np.array(list(batch.values()), dtype=np.int64))
        want.update(batch)
    asked = [*want, *probes]
    assert got.get(np.array(asked, dtype=np.int64)).tolist() == [want.get(k, -1) for k in asked]
    assert got.size == len(want)


def test_keys_that_share_their_hash_slots_are_all_found() -> None:
    m = IntMap(bits=4)
    keys = np.arange(0, 64 * 1024, 1024, dtype=np.int64)  # few distinct slots in a small table: long probes
    m.put(keys, keys + 1)
    assert (m.get(keys) == keys + 1).all()
    assert (m.get(keys + 1) == -1).all()
