"""The Crossref dialect over HTTP: a real server on 127.0.0.1, real records, habanero and crossrefapi.

The database holds the real OpenAlex fixtures: every work there is served in Crossref's shape from the
canonical record (the path for works no Crossref record describes).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import crossref.restful as cr
import httpx
import pytest
from habanero import Crossref
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import NewDb

import citegraph

DATA = Path(__file__).resolve().parent.parent / "data"
OPENALEX_WORKS = DATA / "openalex" / "works.jsonl.gz"
PEERJ_DOI = "10.7717/peerj.4375"  # in the OpenAlex fixtures (W2741809807)


def _dois() -> dict[str, dict[str, Any]]:
    with gzip.open(OPENALEX_WORKS) as fh:
        return {w["doi"].removeprefix("https://doi.org/").lower(): w for w in map(json.loads, fh) if w.get("doi")}


DOIS = _dois()
with gzip.open(OPENALEX_WORKS) as _fh:
    #: Works with a DOI: two fixture records claim a DOI another holds, and each is still a work with a DOI.
    WORKS_WITH_DOI = sum(1 for w in map(json.loads, _fh) if w.get("doi"))


@pytest.fixture(scope="module")
def root(new_db: NewDb, serve_db: Callable[..., str]) -> str:
    db = new_db("crossref-http")
    with citegraph.open(db, create=True) as graph:
        report = graph.load([OPENALEX_WORKS])
    assert report.rejected == 0
    return serve_db(db, "crossref")  # at /crossref and at /


@pytest.fixture(scope="module")
def base(root: str) -> str:
    return root + "/crossref"


@pytest.fixture(scope="module")
def http(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def works_api(base: str) -> Iterator[Any]:
    """crossrefapi pointed here by patching its URL builder (it has no base-URL option)."""
    original = cr.build_url_endpoint
    cr.build_url_endpoint = lambda endpoint, context=None: base + "/" + "/".join(i for i in [context, endpoint] if i)
    yield cr.Works(etiquette=cr.Etiquette("citegraph-tests", "0.1", "http://x", "me@example.org"), throttle=False)
    cr.build_url_endpoint = original


def test_a_work_by_doi_in_every_form(http: httpx.Client) -> None:
    for path in (PEERJ_DOI, PEERJ_DOI.upper(), PEERJ_DOI.replace("/", "%2F"), "https://doi.org/" + PEERJ_DOI,
                 "http://dx.doi.org/" + PEERJ_DOI):
        r = http.get(f"/works/{path}")
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        assert body["status"] == "ok" and body["message-type"] == "work" and body["message-version"] == "1.0.0"
        message = body["message"]
        assert message["DOI"] == PEERJ_DOI and message["title"] == [DOIS[PEERJ_DOI]["title"]]
        assert message["score"] == 1  # as in a real single-work answer
    assert http.get("/v1/works/" + PEERJ_DOI).json()["message"]["DOI"] == PEERJ_DOI


def test_counts_are_the_graphs_and_agree_with_the_lists(http: httpx.Client) -> None:
    for doi in sorted(DOIS)[:40]:
        message = http.get(f"/works/{doi}").json()["message"]
        citing = http.get("/works", params={"filter": f"doi:{doi}", "rows": 0}).json()["message"]
        assert citing["total-results"] == 1
        assert message["references-count"] == len(message.get("reference", []))
        assert message["is-referenced-by-count"] >= 0


def test_unknown_and_malformed_dois_are_a_text_404(http: httpx.Client) -> None:
    for path in ("10.1371/notarealdoi", "blblbl"):
        r = http.get(f"/works/{path}")
        assert r.status_code == 404 and r.text == "Resource not found."
    assert http.head("/works/10.1371/notarealdoi").status_code == 404
    assert http.head(f"/works/{PEERJ_DOI}").status_code == 200


def test_unknown_route_is_crossrefs_json_404(http: httpx.Client) -> None:
    r = http.get("/nothing/here")
    assert r.status_code == 404
    assert r.json() == {"status": "error", "message-type": "route-not-found", "message-version": "1.0.0",
                        "message": "Route not found"}


def test_agency(http: httpx.Client) -> None:
    body = http.get(f"/works/{PEERJ_DOI.upper()}/agency").json()
    assert body["message-type"] == "work-agency"
    assert body["message"] == {"DOI": PEERJ_DOI, "agency": {"id": "crossref", "label": "Crossref"}}


def test_every_failure_is_listed_in_one_400(http: httpx.Client) -> None:
    r = http.get("/works", params={"rows": "2000", "sort": "nonsense", "filter": "from-pub-date:2015-13,issn:abc,"
                                   "nope:1,has-references:maybe", "select": "DOI,bogus", "facet": "wat:5",
                                   "query.nowhere": "x", "colour": "red"})
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == "failed" and body["message-type"] == "validation-failure"
    types = sorted(f["type"] for f in body["message"])
    assert types == sorted(["integer-not-valid", "sort-field-not-valid", "date-not-legitimate", "issn-not-valid",
                            "filter-not-available", "boolean-not-valid", "select-not-available",
                            "facet-not-available", "field-query-not-available", "unknown-parameter"])
    sample = http.get("/works", params={"sample": "200"}).json()["message"]
    assert sample == [{"type": "integer-not-valid", "value": "200",
                       "message": "Integer specified as 200 but must be a positive integer less than or equal to "
                                  "100. "}]  # the recorded real answer (rcrossref cr_works_fails_well.yml)
    both = http.get("/works", params={"cursor": "*", "offset": "20"}).json()["message"]
    assert both[0]["type"] == "cursor-with-offset-or-sample"
    singleton = http.get(f"/works/{PEERJ_DOI}", params={"query.author": "carl boettiger"})
    assert singleton.status_code == 400 and singleton.json()["message"] == [  # recorded real answer (habanero)
        {"type": "parameter-not-allowed", "value": "query.*",
         "message": "This route does not support field query parameters"}]


def test_non_ascii_digits_are_an_invalid_integer(http: httpx.Client) -> None:
    r = http.get("/works", params={"rows": "\u00b9"})  # '¹' passes str.isdigit but is no number (was a 500)
    assert r.status_code == 400 and r.json()["message"][0]["type"] == "integer-not-valid"


def test_an_invalid_cursor_is_crossrefs_404(http: httpx.Client) -> None:
    r = http.get("/works", params={"query": "widget", "cursor": "thing"})
    assert r.status_code == 404
    assert r.json() == {"status": "failed", "message-type": "resource-failure", "message": [
        {"type": "cursor-invalid", "value": "thing", "message": "Cursor specified but it is invalid"}]}


def test_habanero_main_calls(root: str, base: str) -> None:
    client = Crossref(base_url=base, mailto="me@example.org")
    one = client.works(ids=PEERJ_DOI)
    assert one["message"]["DOI"] == PEERJ_DOI
    several = client.works(ids=sorted(DOIS)[:3])
    assert [w["message"]["DOI"] for w in several] == sorted(DOIS)[:3]
    assert client.works(ids="10.1371/notarealdoi", warn=True) is None
    assert client.registration_agency(PEERJ_DOI) == ["Crossref"]
    top = client.works(filter={"has_references": True, "from_pub_date": "2015"}, sort="is-referenced-by-count",
                       order="desc", limit=5)["message"]
    counts = [w["is-referenced-by-count"] for w in top["items"]]
    assert len(counts) == 5 and counts == sorted(counts, reverse=True)
    assert all(w["references-count"] > 0 and w["issued"]["date-parts"][0][0] >= 2015 for w in top["items"])
    picked = client.works(query_bibliographic="biodiversity", select=["DOI", "title"], limit=3, offset=1)
    assert picked["message"]["items"] and all(set(w) <= {"DOI", "title"} for w in picked["message"]["items"])
    walked = client.works(cursor="*", limit=50, cursor_max=10_000)
    total = walked[0]["message"]["total-results"]
    assert total == WORKS_WITH_DOI > len(DOIS)  # every work with a DOI, once
    seen = [w["DOI"] for page in walked for w in page["message"]["items"]]
    assert len(seen) == total and set(seen) == set(DOIS)
    faceted = client.works(facet="type-name:*,published:5", limit=0)["message"]["facets"]
    assert sum(faceted["type-name"]["values"].values()) == total
    assert faceted["published"]["value-count"] == 5
    assert len(client.works(sample=3)["message"]["items"]) == 3


def test_crossrefapi_main_calls(works_api: Any) -> None:
    assert works_api.doi(PEERJ_DOI)["DOI"] == PEERJ_DOI
    assert works_api.doi_exists(PEERJ_DOI) is True and works_api.doi_exists("10.1371/notarealdoi") is False
    query = works_api.filter(from_pub_date="2015").sort("published").order("desc")
    dated = list(query)  # cursor walk to the final empty page
    assert len(dated) == query.count() > 0
    dates = [w["issued"]["date-parts"][0] for w in dated]
    assert dates == sorted(dates, reverse=True)
    assert len(list(works_api.sample(4))) == 4


_PARAM_NAMES = st.sampled_from(["query", "query.author", "query.bibliographic", "filter", "sort", "order", "rows",
                                "offset", "cursor", "sample", "select", "facet", "mailto", "bogus"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_PARAM_NAMES, st.text(max_size=40)), max_size=5))
def test_random_parameters_never_get_a_5xx(http: httpx.Client, params: list[tuple[str, str]]) -> None:
    r = http.get("/works", params=params)
    assert r.status_code < 500, (params, r.text[:300])
    body = r.json()
    assert body["status"] == ("ok" if r.status_code == 200 else "failed")


# --- works loaded from Crossref's own records -----------------------------------------------------------------

CROSSREF_DATA = DATA / "crossref"
#: The real Crossref fixtures: the 417 works of the API recordings, and public data file parts.
CROSSREF_INPUTS = [CROSSREF_DATA / "works.jsonl.gz", CROSSREF_DATA / "crossref_dump.json",
                   *sorted(CROSSREF_DATA.glob("[0-9a-z]*item*.json.gz")), CROSSREF_DATA / "funded.json.gz",
                   CROSSREF_DATA / "crossref-2025.jsonl.gz"]


def _recorded() -> list[dict[str, Any]]:
    with gzip.open(CROSSREF_DATA / "recorded_answers.json.gz") as fh:
        return list(json.load(fh))


RECORDED = _recorded()


def _crossref_items() -> dict[str, dict[str, Any]]:
    with gzip.open(CROSSREF_DATA / "works.jsonl.gz") as fh:
        return {w["DOI"].lower(): w for w in map(json.loads, fh)}


CROSSREF_ITEMS = _crossref_items()


@pytest.fixture(scope="module")
def cr_graph_db(new_db: NewDb) -> str:
    db = new_db("crossref-records")
    with citegraph.open(db, create=True) as graph:
        report = graph.load([OPENALEX_WORKS, *CROSSREF_INPUTS])
    assert report.rejected == 0 and report.rejected_files == 0
    assert report.merged >= 1  # 10.7717/peerj.4375 is in both sources
    return db


@pytest.fixture(scope="module")
def cr_base(cr_graph_db: Path, serve_db: Callable[..., str]) -> str:
    return serve_db(cr_graph_db) + "/crossref"


@pytest.fixture(scope="module")
def cr_http(cr_base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cr_base, timeout=10) as client:
        yield client


def test_recorded_answers_are_reproduced(cr_http: httpx.Client, cr_graph_db: Path) -> None:
    checked = 0
    with citegraph.open(cr_graph_db) as graph:
        for rec in RECORDED:
            if rec["query"] == "query=adfaaf":
                continue  # a relevance search over all of Crossref: its hits are not loaded here
            r = cr_http.request(rec["method"], rec["path"], params=rec["query"] or None)
            assert r.status_code == rec["status"], rec["path"]
            if "text" in rec:
                assert r.text == rec["text"]
                continue
            body, expected = r.json(), rec["json"]
            if expected.get("message-type") != "work":
                assert body == expected  # Crossref's errors, word for word
                continue
            assert rec["same_as_derived"]  # the recorded item is the one loaded
            work = graph.work(f"doi:{expected['message']['DOI']}")
            counts = {"is-referenced-by-count": work.cited_by_count, "references-count": work.referenced_works_count,
                      "reference-count": work.referenced_works_count}
            # everything as recorded but the counts, which are our graph's: the works citing it that are loaded,
            # and the references that name a work by DOI (those without one stay listed, uncounted)
            assert body == dict(expected, message=dict(expected["message"], **counts)), rec["path"]
            listed = [r for r in expected["message"].get("reference", []) if "DOI" in r]
            assert work.referenced_works_count == len({r["DOI"].lower() for r in listed}), rec["path"]
            checked += 1
    assert checked >= 20


def test_crossref_record_counts_and_merged_work(cr_http: httpx.Client) -> None:
    peerj = cr_http.get(f"/works/{PEERJ_DOI}").json()["message"]
    assert peerj["source"] == "Crossref"  # the Crossref record wins over drawing it from OpenAlex's
    # the trimmed Crossref list (3 entries, 2 with a DOI) merged with OpenAlex's references of the same work: the
    # record's own entries first, then every reference only OpenAlex gave (keyed citegraph-N), so the list holds each
    # citation the count counts
    oa = httpx.get(str(cr_http.base_url).removesuffix("/crossref/") + f"/openalex/works/doi:{PEERJ_DOI}").json()
    assert peerj["references-count"] == oa["referenced_works_count"] > 3
    own, added = peerj["reference"][:3], peerj["reference"][3:]
    assert not any(r["key"].startswith("citegraph-") for r in own)
    assert [r["key"] for r in added] == [f"citegraph-{i}" for i in range(1, len(added) + 1)]
    assert len(added) == peerj["references-count"] - sum(1 for r in own if "DOI" in r)
    jd = cr_http.get("/works/10.1108/JD-12-2013-0166").json()["message"]
    assert len(jd["reference"]) == 40 and jd["references-count"] == 38  # two of its 40 entries carry no DOI
    cited = cr_http.get("/works/10.1016/j.websem.2013.05.001").json()["message"]
    assert cited["is-referenced-by-count"] >= 1  # cited by the Peroni et al. record loaded beside it


def test_habanero_over_crossref_records(cr_base: str) -> None:
    client = Crossref(base_url=cr_base, mailto="me@example.org")
    dois = ["10.1371/journal.pone.0033693", "10.1038/srep16696", "10.1016/j.bjps.2022.04.046"]
    several = client.works(ids=dois)
    assert [w["message"]["DOI"].lower() for w in several] == dois
    assert several[0]["message"]["title"] == CROSSREF_ITEMS[dois[0]]["title"]
    found = client.works(query="ecology", filter={"type": "journal-article", "from_pub_date": "2010"},
                         sort="published", order="asc", limit=10)["message"]
    assert found["total-results"] > 0 and all(w["type"] == "journal-article" for w in found["items"])
    years = [w["published"]["date-parts"][0][:1] for w in found["items"] if "published" in w]
    assert years == sorted(years)
    by_author = client.works(query_author="Boettiger", select=["DOI", "author"], limit=5, offset=0)["message"]
    assert by_author["items"] and all(set(w) <= {"DOI", "author"} for w in by_author["items"])
    assert all(any("Boettiger" in (a.get("family") or "") for a in w["author"]) for w in by_author["items"])
    funded = client.works(filter={"has_funder": True}, facet="funder-name:5", limit=0)["message"]
    assert funded["total-results"] > 0
    assert sum(funded["facets"]["funder-name"]["values"].values()) >= 1
    assert not any(v.startswith("https://") for v in funded["facets"]["funder-name"]["values"])
    walked = client.works(filter={"member": "78"}, cursor="*", limit=7, cursor_max=10_000)
    total = walked[0]["message"]["total-results"]
    seen = [w["DOI"] for page in walked for w in page["message"]["items"]]
    assert total > 7 and len(seen) == len(set(seen)) == total
    assert all(w["member"] == "78" for page in walked for w in page["message"]["items"])
    assert len(client.works(sample=5, filter={"has_abstract": True})["message"]["items"]) == 5
    assert client.registration_agency("10.1038/srep16696") == ["Crossref"]


def test_crossrefapi_over_crossref_records(cr_base: str) -> None:
    original = cr.build_url_endpoint
    cr.build_url_endpoint = lambda endpoint, context=None: cr_base + "/" + "/".join(i for i in [context, endpoint] if i)
    try:
        works = cr.Works(etiquette=cr.Etiquette("citegraph-tests", "0.1", "http://x", "me@example.org"),
                         throttle=False)
        doi = "10.1371/journal.pone.0033693"
        got = works.doi(doi)
        counts = {k: got[k] for k in ("is-referenced-by-count", "references-count", "reference-count")}
        assert got == dict(CROSSREF_ITEMS[doi], **counts)
        assert counts["references-count"] == 65  # the 65 of its 70 entries that name a work by DOI
        assert works.doi_exists(doi) is True and works.doi_exists("10.1371/notarealdoi") is False
        query = works.query(bibliographic="ecology").filter(has_references="true", from_pub_date="2010")
        found = list(query.sort("references-count").order("desc"))
        assert len(found) == query.count() > 0
        counts = [w["references-count"] for w in found]
        assert counts == sorted(counts, reverse=True)
        assert all(w["issued"]["date-parts"][0][0] >= 2010 for w in found)
        assert len(list(works.sample(3))) == 3
    finally:
        cr.build_url_endpoint = original


def test_list_items_spliced_from_records_equal_the_decoded_ones(cr_http: httpx.Client, cr_graph_db: Path) -> None:
    from citegraph.dialects.crossref.render import spliced_record

    listed = cr_http.get("/works", params={"query.bibliographic": "ecology species", "rows": 40}).json()["message"]
    assert listed["items"]
    with citegraph.open(cr_graph_db) as graph:
        for item in listed["items"]:
            one = cr_http.get(f"/works/{item['DOI']}").json()["message"]  # decoded, counts set, score 1
            assert item == dict(one, score=item["score"]) and item["score"] > 0
            work = graph.work(f"doi:{item['DOI']}")
            raw = graph.record(work.key, "crossref")
            if raw is not None:
                spliced = spliced_record(raw, 7, 8, 0.5)
                assert spliced is not None
                expected = dict(json.loads(raw), **{"is-referenced-by-count": 7, "references-count": 8, "score": 0.5})
                if "reference-count" in expected:
                    expected["reference-count"] = 8
                assert json.loads(spliced) == expected
    # a count key written twice (here inside a title) is ambiguous as text: no splice, the record is decoded
    assert spliced_record(b'{"title":["\\"score\\": 1"],"score":0,"references-count":1,'
                          b'"is-referenced-by-count":2,"x":{"score":3}}', 1, 1, 0.1) is None
