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
def root(tmp_path_factory: pytest.TempPathFactory, serve_db: Callable[..., str]) -> str:
    db = tmp_path_factory.mktemp("crossref-http") / "works.db"
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
        assert "score" not in message
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
