"""The public API: what ``import citegraph`` promises."""

from __future__ import annotations

import citegraph


def test_all_names_exist_and_are_the_documented_set() -> None:
    assert sorted(citegraph.__all__) == sorted(set(citegraph.__all__))
    for name in citegraph.__all__:
        assert hasattr(citegraph, name), name
    assert {"open", "Graph", "GraphWork", "Work", "Id", "parse_id", "format_id", "IdError", "StoreError",
            "UnknownWorkError", "LoadReport", "CitationPage"} <= set(citegraph.__all__)
    assert callable(citegraph.open)
    assert citegraph.parse_id("https://doi.org/10.7717/PEERJ.4375") == ("doi", "10.7717/peerj.4375")
