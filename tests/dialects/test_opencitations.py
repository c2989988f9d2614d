"""The OpenCitations dialects over a real server: recorded COCI answers reproduced, v2 rows, counts, CSV, errors.

The database holds the rows the recorded COCI v1 answers (ropensci/citecorp cassettes) carry, loaded twice over:
once as a COCI dump with every field OpenCitations gave (served back as asserted), and once more as bare edges
with the citing date only, into a second database, where OCIs, timespans and flags are computed by our rules and
must still match what COCI served.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from tests.conftest import NewDb

import citegraph

DATA = Path(__file__).resolve().parents[1] / "data" / "opencitations"
JD = "10.1108/jd-12-2013-0166"
PGEN = "10.1371/journal.pgen.1005937"
COCI_FIELDS = ["oci", "citing", "cited", "creation", "timespan", "journal_sc", "author_sc"]


def _recorded() -> list[dict[str, str]]:
    with open(DATA / "coci_v1_citations_from_api.csv", encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["oci"].startswith("020")]


def _recorded_for(path: str) -> dict[str, dict[str, str]]:
    return {r["oci"]: {k: r[k] for k in COCI_FIELDS} for r in _recorded() if r["api_path"] == path}


@pytest.fixture(scope="module")
def asserted_root(tmp_path_factory: pytest.TempPathFactory, serve_db: Callable[..., str], new_db: NewDb) -> str:
    folder = tmp_path_factory.mktemp("oc-asserted")
    db = new_db("oc-asserted")
    dump = folder / "coci.csv"
    with open(dump, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(COCI_FIELDS)
        for r in _recorded():
            w.writerow([r[k] for k in COCI_FIELDS])
    sample = DATA / "citations_sample.csv"
    with citegraph.open(db, create=True) as graph:
        report = graph.load([dump, sample])
    assert report.ok and report.citations == len(_recorded()) + 10
    return serve_db(db)


@pytest.fixture(scope="module")
def computed_root(tmp_path_factory: pytest.TempPathFactory, serve_db: Callable[..., str], new_db: NewDb) -> str:
    folder = tmp_path_factory.mktemp("oc-computed")
    db = new_db("oc-computed")
    dump = folder / "edges.csv"
    with open(dump, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["citing", "cited", "creation"])
        for r in _recorded():
            w.writerow([r["citing"], r["cited"], r["creation"]])
    with citegraph.open(db, create=True) as graph:
        assert graph.load([dump]).ok
    return serve_db(db)


def _get(root: str, path: str, **params: str) -> httpx.Response:
    return httpx.get(root + "/opencitations" + path, params=params, timeout=20)


@pytest.mark.parametrize("doi", [JD, PGEN])
@pytest.mark.parametrize("kind", ["citations", "references"])
def test_recorded_coci_answers_are_reproduced_field_by_field(asserted_root: str, doi: str, kind: str) -> None:
    path = f"/index/coci/api/v1/{kind}/{doi}"
    want = _recorded_for(path)
    assert len(want) >= 18
    r = _get(asserted_root, path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    got = {row["oci"]: row for row in r.json()}
    assert got == want


def test_computed_ocis_timespans_and_flags_match_cocis(computed_root: str) -> None:
    # only edges and citing dates were loaded: the DOI OCI, the Index-build timespan (the cited work's date is the
    # creation of its own reference rows) and "no" flags (no author or venue known) are ours, and match COCI's
    path = f"/index/coci/api/v1/citations/{JD}"
    want = _recorded_for(path)
    got = {row["oci"]: row for row in _get(computed_root, path).json()}
    assert got.keys() == want.keys()
    for oci, row in want.items():
        assert got[oci]["timespan"] == row["timespan"], oci
        assert got[oci] == row


def test_v2_rows_counts_and_a_citation_by_oci(asserted_root: str) -> None:
    rows = _get(asserted_root, "/index/v2/references/omid:br/06801597168").json()
    assert {r["cited"] for r in rows} == {"omid:br/062402843420", "omid:br/062501437493", "omid:br/06602862275"}
    first = next(r for r in rows if r["cited"] == "omid:br/062402843420")
    assert first == {"oci": "06801597168-062402843420", "citing": "omid:br/06801597168",
                     "cited": "omid:br/062402843420", "creation": "2018-06-29", "timespan": "P124Y7M",
                     "journal_sc": "no", "author_sc": "no"}
    assert _get(asserted_root, "/index/v2/reference-count/omid:br/06801597168").json() == [{"count": "3"}]
    assert _get(asserted_root, "/index/v2/citation-count/OMID:BR/062402843420").json() == [{"count": "1"}]
    assert _get(asserted_root, f"/index/v2/citation-count/doi:{JD.upper()}").json() == [{"count": "20"}]
    assert _get(asserted_root, "/index/v2/citation/06801597168-062402843420").json() == [first]


def test_v2_prints_doi_lists_and_v1_bare_dois(asserted_root: str) -> None:
    v2 = _get(asserted_root, f"/index/v2/citations/doi:{JD}").json()
    assert len(v2) == 20 and all(r["cited"] == f"doi:{JD}" for r in v2)
    v1 = _get(asserted_root, f"/index/v1/citations/{JD}").json()
    assert len(v1) == 20 and all(r["cited"] == JD and r["citing"].startswith("10.") for r in v1)


def test_csv_by_accept_and_by_format(asserted_root: str) -> None:
    for r in (httpx.get(asserted_root + f"/opencitations/index/v2/citations/doi:{JD}",
                        headers={"Accept": "text/csv"}),
              _get(asserted_root, f"/index/v2/citations/doi:{JD}", format="csv")):
        assert r.headers["content-type"].startswith("text/csv")
        lines = list(csv.reader(r.text.splitlines()))
        assert lines[0] == COCI_FIELDS and len(lines) == 21


def test_ramose_require_filter_and_sort(asserted_root: str) -> None:
    path = f"/index/coci/api/v1/references/{JD}"
    every = _get(asserted_root, path).json()
    with_span = _get(asserted_root, path, require="timespan").json()
    assert 0 < len(with_span) <= len(every) and all(r["timespan"] for r in with_span)
    ordered = _get(asserted_root, path, sort="desc(creation)").json()
    assert [r["oci"] for r in ordered] != [] and len(ordered) == len(every)
    only = _get(asserted_root, path, filter="cited:^10\\.1016").json()
    assert only and all(r["cited"].startswith("10.1016") for r in only)
    assert _get(asserted_root, path, filter="cited:(").status_code == 400


def test_unknown_ids_are_empty_and_bad_paths_are_404(asserted_root: str) -> None:
    assert _get(asserted_root, "/index/v2/citations/doi:10.9999/nothing").json() == []
    assert _get(asserted_root, "/index/v2/citation-count/pmid:1").json() == [{"count": "0"}]
    r = _get(asserted_root, f"/index/v2/citations/{JD}")  # v2 wants doi:
    assert r.status_code == 404 and r.text == f"No API operation found at URL '/opencitations/index/v2/citations/{JD}'"
    assert _get(asserted_root, "/index/v2/citation/oci:0610-0620").status_code == 404
    assert _get(asserted_root, "/index/v2/nothing/doi:10.1/x").status_code == 404
    assert _get(asserted_root, "/index/v2/citation/0610-0620").json() == []  # well formed, not an OCI we hold


def test_the_v1_wrapper(asserted_root: str) -> None:
    r = _get(asserted_root, "/v1/citations", doi=JD, limit="5").json()
    assert r["success"] and r["status"] == "ok" and r["meta"]["request_id"]
    assert r["data"]["count"] == 5 and r["data"]["total"] == 20
    item = r["data"]["citations"][0]
    assert set(item) == {"doi", "oci", "creation", "timespan", "author_self_citation", "journal_self_citation"}
    assert isinstance(item["author_self_citation"], bool) and item["doi"].startswith("10.")
    refs = _get(asserted_root, "/v1/references", doi=JD).json()["data"]
    assert refs["direction"] == "outgoing" and refs["count"] == refs["total"] == 37
    count = _get(asserted_root, "/v1/count", doi=JD).json()["data"]
    assert count == {"doi": JD, "cited_by_count": 20, "reference_count": 37}
    for params in ({}, {"doi": "not a doi"}, {"doi": JD, "limit": "0"}, {"doi": JD, "limit": "201"},
                   {"doi": JD, "limit": "x"}):
        bad = _get(asserted_root, "/v1/citations", **params)
        assert bad.status_code == 400 and bad.json()["success"] is False and bad.json()["data"] is None
    assert _get(asserted_root, "/v1/meta").json()["data"]["endpoints"][0] == "/v1/citations"


def test_v1_and_coci_leave_out_citations_of_works_without_a_doi(tmp_path: Path, serve_db: Callable[..., str],
                                                                 new_db: NewDb) -> None:
    dump = tmp_path / "mixed.csv"
    dump.write_text("citing,cited,creation\ndoi:10.1234/a,pmid:17,2020\ndoi:10.1234/a,doi:10.1234/b,2020\n")
    db = new_db("mixed")
    with citegraph.open(db, create=True) as graph:
        assert graph.load([dump]).ok
    root = serve_db(db)
    assert len(_get(root, "/index/v2/references/doi:10.1234/a").json()) == 2
    for path in ("/index/v1/references/10.1234/a", "/index/coci/api/v1/references/10.1234/a"):
        assert [r["cited"] for r in _get(root, path).json()] == ["10.1234/b"]


def test_opencitations_client_reads_citations_as_objects_strings_and_references(
        asserted_root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import opencitations_client as occ
    import opencitations_client.json_api_client as ocj

    monkeypatch.setattr(ocj, "BASE_V2", asserted_root + "/opencitations/index/v2")  # the client's documented way
    recorded = _recorded_for(f"/index/coci/api/v1/citations/{JD}")
    incoming = occ.get_incoming_citations(f"doi:{JD}", token="any token", return_type="citation")
    assert len(incoming) == len(recorded) == 20
    for c in incoming:
        assert c.reference.prefix == "oci"
        want = recorded[c.reference.identifier]
        assert [r.curie for r in c.cited if r.prefix == "doi"] == [f"doi:{JD}"]
        assert f"doi:{want['citing']}" in [r.curie for r in c.citing]
        assert c.creation is not None and c.creation.isoformat().startswith(want["creation"])
        # the client drops falsy values, so our "no" comes back as None
        assert (bool(c.journal_self_citation), bool(c.author_self_citation)) == (want["journal_sc"] == "yes",
                                                                                 want["author_sc"] == "yes")
        assert c.timespan is not None and c.timespan.days >= 0
    as_str = occ.get_incoming_citations(f"doi:{JD}", token="t", return_type="str")
    assert sorted(as_str) == sorted(r["citing"] for r in recorded.values())
    outgoing = occ.get_outgoing_citations("omid:br/06801597168", token="t", return_type="reference")
    assert sorted(r.curie for r in outgoing) == ["omid:br/062402843420", "omid:br/062501437493",
                                                 "omid:br/06602862275"]


@pytest.fixture(scope="module")
def meta_root(serve_db: Callable[..., str], new_db: NewDb) -> str:
    db = new_db("oc-meta")
    records = Path(__file__).resolve().parents[1] / "data"
    with citegraph.open(db, create=True) as graph:
        assert graph.load([records / "openalex" / "W2741809807.json", records / "crossref" / "1item.json.gz",
                           DATA / "citations_sample.csv", DATA / "articles_sample.csv"]).ok
    return serve_db(db)


def test_meta_v1_rows_for_the_works_we_hold(meta_root: str) -> None:
    got = _get(meta_root, "/meta/v1/metadata/doi:10.7717/PEERJ.4375__doi:10.9999/none__doi:10.1016/j.bjps.2022.04.046"
                          "__doi:10.7717/peerj.4375").json()
    assert [r["id"].split()[0] for r in got] == ["doi:10.7717/peerj.4375", "doi:10.1016/j.bjps.2022.04.046"]
    oa, cr = got
    assert list(oa) == ["id", "title", "author", "pub_date", "issue", "volume", "venue", "page", "type", "publisher",
                        "editor"]
    assert "openalex:W2741809807" in oa["id"].split()
    assert oa["title"].startswith("The state of OA") and oa["pub_date"] == "2018-02-13"
    # OpenAlex gives display names only: printed whole (Meta's "Family, Given" needs the parts, which Crossref has)
    assert oa["author"].startswith("Heather Piwowar [orcid:0000-0003-1613-5981 openalex:A5048491430]; ")
    assert (oa["volume"], oa["page"], oa["type"]) == ("6", "e4375", "journal article")
    assert oa["venue"].startswith("PeerJ [issn:")
    assert cr["publisher"] == "Elsevier BV [crossref:78]" and cr["type"] == "journal article"
    assert "Serag, Saleh [orcid:0000-0001-5435-8794]" in cr["author"].split("; ")
    assert cr["venue"].startswith("Journal of Plastic, Reconstructive") and "issn:1748-6815" in cr["venue"]
    (meta,) = _get(meta_root, "/meta/v1/metadata/omid:br/0634096228").json()  # loaded from a Meta dump
    assert meta["id"] == "omid:br/0634096228 doi:10.1016/j.bej.2023.108849 openalex:W4319166369"
    assert meta["author"].split("; ")[:2] == ["Iwamoto, Eri [omid:ra/06340278658]",
                                              "Kadoi, Kenji [omid:ra/06340278659 orcid:0000-0002-9370-6293]"]
    assert meta["venue"] == "Biochemical Engineering Journal [omid:br/062505101 openalex:S168210271 issn:1369-703X]"
    assert (meta["pub_date"], meta["volume"], meta["page"], meta["type"], meta["publisher"]) == (
        "2023-03", "192", "108849", "journal article", "Elsevier Bv [crossref:78]")
    stub = _get(meta_root, "/meta/v1/metadata/omid:br/06801597168").json()
    assert stub == [{**dict.fromkeys(oa, ""), "id": "omid:br/06801597168"}]  # known by its ids only
    assert _get(meta_root, "/meta/v1/metadata/doi:10.9999/none").json() == []
    assert _get(meta_root, "/meta/v1/metadata/foo:1").status_code == 404
    assert _get(meta_root, "/meta/v1/metadata/doi:10.7717/peerj.4375", format="csv").text.startswith(
        "id,title,author,pub_date,issue,volume,venue,page,type,publisher,editor\r\n")


def test_opencitations_client_reads_meta(meta_root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import opencitations_client as occ
    import opencitations_client.json_api_client as ocj
    from curies import Reference

    monkeypatch.setattr(ocj, "META_V1", meta_root + "/opencitations/meta/v1")
    (work,) = occ.get_articles([Reference.from_curie("doi:10.7717/peerj.4375")], token="t")
    assert work.title.startswith("The state of OA")
    assert work.authors[0].name == "Heather Piwowar"
    assert [r.curie for r in work.authors[0].references] == ["orcid:0000-0003-1613-5981", "openalex:A5048491430"]
    assert work.venue is not None and work.venue.name == "PeerJ"
    assert work.pub_date is not None and work.pub_date.isoformat() == "2018-02-13"


def test_ramose_json_reshapes_fields_in_json_answers_only(meta_root: str) -> None:
    path = "/meta/v1/metadata/omid:br/0634096228"
    (r,) = _get(meta_root, path, json='array("; ", author)').json()
    assert r["author"][:2] == ["Iwamoto, Eri [omid:ra/06340278658]",
                               "Kadoi, Kenji [omid:ra/06340278659 orcid:0000-0002-9370-6293]"]
    got = httpx.get(meta_root + "/opencitations" + path, timeout=20, params=[
        ("json", 'array("; ", author)'), ("json", 'dict(", ", author, family, given)')]).json()
    assert got[0]["author"][0] == {"family": "Iwamoto", "given": "Eri [omid:ra/06340278658]"}
    rows = _get(meta_root, "/index/v2/references/omid:br/06801597168", json='array(" ", cited)').json()
    assert all(isinstance(x["cited"], list) and x["cited"][0].startswith("omid:br/") for x in rows)
    as_csv = _get(meta_root, path, json='array("; ", author)', format="csv").text
    assert "Iwamoto, Eri [omid:ra/06340278658]; Kadoi" in as_csv  # CSV: untouched
    bad = _get(meta_root, path, json="array(author)")
    assert bad.status_code == 400 and "json" in bad.text


def test_coci_metadata_lists_the_dois_cited_and_citing_as_coci_did(asserted_root: str) -> None:
    recorded = {}
    with open(DATA / "coci_v1_metadata_from_api.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            recorded[r["doi"]] = r
    got = _get(asserted_root, f"/index/coci/api/v1/metadata/{JD}__{PGEN}__10.9999/none").json()
    assert [r["doi"] for r in got] == [JD, PGEN]
    for r in got:
        want = recorded[r["doi"]]
        assert list(r) == ["author", "year", "title", "source_title", "source_id", "volume", "issue", "page", "doi",
                           "reference", "citation", "citation_count", "oa_link"]
        assert set(r["citation"].split("; ")) == set(want["citation"].split("; "))  # the citing DOIs loaded
        assert r["citation_count"] == want["citation_count"]
        # the references loaded (COCI's /references answers, each DOI once), all in COCI's own list
        refs = set(r["reference"].split("; "))
        assert len(refs) > 30 and refs <= set(want["reference"].split("; "))
    assert _get(asserted_root, "/index/coci/api/v1/metadata/doi:10.1/x").status_code == 404
    assert _get(asserted_root, f"/index/v1/metadata/{JD}").status_code == 404  # not in v1


def test_a_doi_oci_that_does_not_decode_is_found_by_what_the_dump_wrote(tmp_path: Path, serve_db: Callable[..., str],
                                                                       new_db: NewDb) -> None:
    from citegraph.metrics.oci import decode_oci, doi_oci

    citing, cited = "10.1234/vol.10.5", "10.5555/plain"  # the DOI rule drops the inner "10." too
    oci = doi_oci(citing, cited)
    assert decode_oci(oci)[0] != ("doi", citing)
    dump = tmp_path / "coci.csv"
    dump.write_text("oci,citing,cited,creation,timespan,journal_sc,author_sc\n"
                    f"{oci},{citing},{cited},2020-01-02,P1Y,no,no\n")
    db = new_db("oci-text")
    with citegraph.open(db, create=True) as graph:
        assert graph.load([dump]).ok
    root = serve_db(db)
    (got,) = _get(root, f"/index/coci/api/v1/citation/{oci}").json()
    assert (got["oci"], got["citing"], got["cited"], got["creation"]) == (oci, citing, cited, "2020-01-02")
    assert _get(root, f"/index/v2/citation/{oci}").json()[0]["citing"] == f"doi:{citing}"
