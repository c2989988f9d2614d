"""``--counts upstream``: every dialect serves its own source's asserted count; ``ours`` (the default) our graph's.

One database holds real records of all four sources: the OpenAlex fixtures, the Crossref fixtures, S2's Turing
paper, and the rows the recorded COCI answers carry (as a COCI dump). The same database is served twice, once per
mode, over real HTTP. Each work below was picked because its source's count differs from our graph's (asserted
first, so a test that served the wrong one would fail):

- W1572136682 (doi:10.1038/493159a): OpenAlex says 405 citers, our graph holds 5; OpenCitations asserted 1;
- 10.1108/jd-12-2013-0166: Crossref says 22 citers and 40 references, our graph 20 and 38, OpenCitations 20 and 37;
- Turing 1950 (10.1093/mind/lix.236.433): S2 says 10,059 citers (530 influential), our graph holds 1,000.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import NewDb

import citegraph

DATA = Path(__file__).resolve().parents[1] / "data"
OPENALEX_WORKS = DATA / "openalex" / "works.jsonl.gz"
CROSSREF_WORKS = DATA / "crossref" / "works.jsonl.gz"
S2_PAPER = DATA / "semanticscholar" / "Paper.json.gz"
COCI_ANSWERS = DATA / "opencitations" / "coci_v1_citations_from_api.csv"
COCI_FIELDS = ["oci", "citing", "cited", "creation", "timespan", "journal_sc", "author_sc"]

OA_WORK = "W1572136682"
OA_DOI = "10.1038/493159a"
JD = "10.1108/jd-12-2013-0166"
TURING = "10.1093/mind/lix.236.433"


def _openalex_record(short: str) -> dict[str, Any]:
    with gzip.open(OPENALEX_WORKS) as fh:
        return next(w for w in map(json.loads, fh) if w["id"].endswith("/" + short))


def _crossref_record(doi: str) -> dict[str, Any]:
    with gzip.open(CROSSREF_WORKS) as fh:
        return next(w for w in map(json.loads, fh) if w["DOI"].lower() == doi)


def _s2_record() -> dict[str, Any]:
    with gzip.open(S2_PAPER) as fh:
        return dict(json.load(fh))


def _coci_rows() -> list[dict[str, str]]:
    """The recorded COCI rows, each citation once (several recorded answers repeat a row)."""
    with open(COCI_ANSWERS, encoding="utf-8", newline="") as fh:
        rows = {r["oci"]: r for r in csv.DictReader(fh) if r["oci"].startswith("020")}
    return list(rows.values())


def _coci_count(doi: str, end: str) -> int:
    """How many citations OpenCitations asserted with ``doi`` at ``end`` ("cited": its citers)."""
    return len({(r["citing"], r["cited"]) for r in _coci_rows() if r[end] == doi})


@pytest.fixture(scope="module")
def db(new_db: NewDb, tmp_path_factory: pytest.TempPathFactory) -> str:
    dump = tmp_path_factory.mktemp("upstream-counts") / "coci.csv"
    with open(dump, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(COCI_FIELDS)
        w.writerows([r[k] for k in COCI_FIELDS] for r in _coci_rows())
    path = new_db("upstream-counts")
    with citegraph.open(path, create=True) as graph:
        report = graph.load([OPENALEX_WORKS, CROSSREF_WORKS, S2_PAPER, dump], workers=0)
    assert report.ok
    return path


@pytest.fixture(scope="module")
def ours(db: str) -> dict[str, tuple[int, int]]:
    """Our graph's (cited_by_count, referenced_works_count) of each work, from the library."""
    with citegraph.open(db, readonly=True) as graph:
        return {name: (gw.cited_by_count, gw.referenced_works_count)
                for name, gw in ((n, graph.work(i)) for n, i in (
                    ("oa", f"openalex:{OA_WORK}"), ("jd", f"doi:{JD}"), ("turing", f"doi:{TURING}")))}


@pytest.fixture(scope="module")
def servers(db: str, serve_db: Callable[..., str]) -> dict[str, str]:
    """The same database served in each mode: ``{"ours": url, "upstream": url}``."""
    return {"ours": serve_db(db), "upstream": serve_db(db, None, "upstream")}


def _get(url: str, **params: str) -> Any:
    r = httpx.get(url, params=params, timeout=30)
    assert r.status_code == 200, r.text[:300]
    return r.json()


def test_the_fixtures_disagree_with_our_graph(ours: dict[str, tuple[int, int]]) -> None:
    """The premise: each source's count differs from ours, so every assertion below can fail."""
    oa, cr, s2 = _openalex_record(OA_WORK), _crossref_record(JD), _s2_record()
    assert oa["cited_by_count"] != ours["oa"][0]
    assert (cr["is-referenced-by-count"], cr["references-count"]) != ours["jd"]
    assert cr["is-referenced-by-count"] != ours["jd"][0] and cr["references-count"] != ours["jd"][1]
    assert s2["citationCount"] != ours["turing"][0]
    assert _coci_count(OA_DOI, "cited") != ours["oa"][0] and _coci_count(JD, "citing") != ours["jd"][1]


def test_the_server_says_whose_counts_it_serves(servers: dict[str, str]) -> None:
    for mode, url in servers.items():
        assert _get(f"{url}/-/version")["counts"] == mode
        assert _get(f"{url}/-/stats")["counts"] == mode


# --- OpenAlex --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [f"/works/{OA_WORK}", f"/works/https://doi.org/{OA_DOI}"])
def test_openalex_single_work(servers: dict[str, str], ours: dict[str, tuple[int, int]], path: str) -> None:
    # the first form is answered by the fast path (stored bytes spliced), the second by the full route
    record = _openalex_record(OA_WORK)
    theirs = _get(servers["upstream"] + "/openalex" + path)
    assert theirs["cited_by_count"] == record["cited_by_count"] == 405
    assert theirs["referenced_works_count"] == record["referenced_works_count"]
    assert theirs["counts_by_year"] == record["counts_by_year"]  # upstream's own, as upstream windowed it
    assert theirs["fwci"] == record["fwci"]
    mine = _get(servers["ours"] + "/openalex" + path)
    assert (mine["cited_by_count"], mine["referenced_works_count"]) == ours["oa"]
    assert sum(y["cited_by_count"] for y in mine["counts_by_year"]) <= ours["oa"][0]
    assert mine["counts_by_year"] != record["counts_by_year"]
    assert mine["fwci"] == record["fwci"]  # never ours to compute: as the record gives it in both modes


def test_openalex_lists_carry_the_counts_but_stay_ours(servers: dict[str, str],
                                                       ours: dict[str, tuple[int, int]]) -> None:
    record = _openalex_record(OA_WORK)
    for mode, expected in (("upstream", record["cited_by_count"]), ("ours", ours["oa"][0])):
        page = _get(servers[mode] + "/openalex/works", filter=f"openalex:{OA_WORK}",
                    select="id,cited_by_count,counts_by_year")
        assert page["results"][0]["cited_by_count"] == expected
        citers = _get(servers[mode] + "/openalex/works", filter=f"cites:{OA_WORK}")
        assert citers["meta"]["count"] == ours["oa"][0]  # the list is our graph's in both modes


def test_openalex_work_without_an_openalex_record_is_served_ours(servers: dict[str, str],
                                                                 ours: dict[str, tuple[int, int]]) -> None:
    theirs = _get(servers["upstream"] + f"/openalex/works/https://doi.org/{JD}")  # Crossref's only
    assert (theirs["cited_by_count"], theirs["referenced_works_count"]) == ours["jd"]


# --- Crossref --------------------------------------------------------------------------------------------------
def test_crossref_counts(servers: dict[str, str], ours: dict[str, tuple[int, int]]) -> None:
    record = _crossref_record(JD)
    single = _get(servers["upstream"] + f"/crossref/works/{JD}")["message"]
    listed = _get(servers["upstream"] + "/crossref/works", filter=f"doi:{JD}")["message"]["items"][0]
    for item in (single, listed):  # a single work is decoded; a list item is spliced as bytes
        assert item["is-referenced-by-count"] == record["is-referenced-by-count"] == 22
        assert item["references-count"] == record["references-count"] == 40
        assert item["reference-count"] == record["reference-count"]
    single = _get(servers["ours"] + f"/crossref/works/{JD}")["message"]
    listed = _get(servers["ours"] + "/crossref/works", filter=f"doi:{JD}")["message"]["items"][0]
    for item in (single, listed):
        assert (item["is-referenced-by-count"], item["references-count"]) == ours["jd"]


def test_crossref_work_without_a_crossref_record_is_served_ours(servers: dict[str, str],
                                                                ours: dict[str, tuple[int, int]]) -> None:
    theirs = _get(servers["upstream"] + f"/crossref/works/{TURING}")["message"]  # S2's only
    assert (theirs["is-referenced-by-count"], theirs["references-count"]) == ours["turing"]


# --- Semantic Scholar ------------------------------------------------------------------------------------------
def test_s2_counts(servers: dict[str, str], ours: dict[str, tuple[int, int]]) -> None:
    record = _s2_record()
    fields = "citationCount,referenceCount,influentialCitationCount"
    theirs = _get(servers["upstream"] + f"/s2/graph/v1/paper/DOI:{TURING}", fields=fields)
    assert theirs["citationCount"] == record["citationCount"] == 10059
    assert theirs["referenceCount"] == record["referenceCount"]
    assert theirs["influentialCitationCount"] == record["influentialCitationCount"] == 530
    mine = _get(servers["ours"] + f"/s2/graph/v1/paper/DOI:{TURING}", fields=fields)
    assert (mine["citationCount"], mine["referenceCount"]) == ours["turing"]
    assert mine["influentialCitationCount"] != record["influentialCitationCount"]
    # the citation list stays our graph's: S2's count is not a promise of 10,059 entries
    listed = _get(servers["upstream"] + f"/s2/graph/v1/paper/DOI:{TURING}/citations", limit="1000",
                  fields="title")
    assert len(listed["data"]) == ours["turing"][0]


def test_s2_work_without_an_s2_record_is_served_ours(servers: dict[str, str],
                                                    ours: dict[str, tuple[int, int]]) -> None:
    theirs = _get(servers["upstream"] + f"/s2/graph/v1/paper/DOI:{OA_DOI}", fields="citationCount,referenceCount")
    assert (theirs["citationCount"], theirs["referenceCount"]) == ours["oa"]


# --- OpenCitations ---------------------------------------------------------------------------------------------
def _oc_counts(url: str, doi: str) -> tuple[int, int]:
    cited = _get(f"{url}/opencitations/index/v2/citation-count/doi:{doi}")[0]["count"]
    citing = _get(f"{url}/opencitations/index/v2/reference-count/doi:{doi}")[0]["count"]
    wrapper = _get(f"{url}/opencitations/v1/count", doi=doi)["data"]
    assert (wrapper["cited_by_count"], wrapper["reference_count"]) == (int(cited), int(citing))
    return int(cited), int(citing)


def test_opencitations_counts_are_its_own_citations(servers: dict[str, str],
                                                    ours: dict[str, tuple[int, int]]) -> None:
    for doi, name in ((JD, "jd"), (OA_DOI, "oa")):
        asserted = (_coci_count(doi, "cited"), _coci_count(doi, "citing"))
        assert _oc_counts(servers["upstream"], doi) == asserted
        assert _oc_counts(servers["ours"], doi) == ours[name]
    assert _oc_counts(servers["upstream"], OA_DOI)[0] == 1 != ours["oa"][0]
    coci = _get(servers["upstream"] + f"/opencitations/index/coci/api/v1/metadata/{OA_DOI}")
    assert coci[0]["citation_count"] == "1"
    # the lists stay our graph's whole citations
    refs = _get(servers["upstream"] + f"/opencitations/index/v2/references/doi:{JD}")
    assert len(refs) == ours["jd"][1] != _coci_count(JD, "citing")


def test_opencitations_work_it_never_saw_is_served_ours(servers: dict[str, str],
                                                       ours: dict[str, tuple[int, int]]) -> None:
    assert _oc_counts(servers["upstream"], TURING) == ours["turing"]
