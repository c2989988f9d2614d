"""Citations as objects: what OpenCitations asserted wins, including OCIs the bulk reader keeps as a bit."""

from __future__ import annotations

from pathlib import Path

import citegraph
from citegraph.graph.citations import citation_between
from citegraph.graph.load import load
from citegraph.store import SQLiteStore

HEADER = "id,citing,cited,creation,timespan,journal_sc,author_sc\n"


def test_an_omid_oci_read_in_bulk_is_served_even_when_both_works_have_dois(tmp_path: Path) -> None:
    path = tmp_path / "index.csv"
    path.write_text(HEADER + "oci:06101-06201,omid:br/06101,omid:br/06201,2020-05,P3Y,yes,no\n"
                    # id lists go row by row: they give both works DOIs, so the DOI rule could name the citation
                    + "oci:06101-06301,omid:br/06101 doi:10.1234/a,omid:br/06301,2020-05,P1Y,no,no\n"
                    + "oci:06401-06201,omid:br/06401,omid:br/06201 doi:10.1234/b,2021,P4Y,no,no\n")
    store = SQLiteStore(tmp_path / "oc.db")
    report = load(store, [path], workers=0)
    assert report.ok and report.citations == 3
    g = citegraph.Graph(store)
    c = citation_between(g, g.resolve("doi:10.1234/a"), g.resolve("doi:10.1234/b"))
    assert c is not None
    assert (c.oci, c.creation, c.timespan, c.journal_sc, c.author_sc) == ("06101-06201", "2020-05", "P3Y", True,
                                                                         False)
    coci = citation_between(g, g.resolve("doi:10.1234/a"), g.resolve("doi:10.1234/b"), form="coci")
    assert coci is not None and coci.oci is not None and coci.oci.startswith("020")  # COCI prefers the DOI rule
