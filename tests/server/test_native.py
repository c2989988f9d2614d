"""citegraph's own API under /api, through a real server on 127.0.0.1, on both engines."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from tests.conftest import NewDb, ServeDb

import citegraph
from citegraph.graph.citations import citation_objects

DATA = Path(__file__).resolve().parents[1] / "data"
#: Real OpenAlex and Crossref works, and real S2 citation pages (citation contexts, intents, influence).
INPUTS = [DATA / "openalex" / "works.jsonl.gz", DATA / "crossref" / "works.jsonl.gz"]
WORK = "W3046863325"


@pytest.fixture(scope="module")
def served(new_db: NewDb, serve_db: ServeDb) -> tuple[str, str]:
    db = new_db("native")
    with citegraph.open(db, create=True) as g:
        g.load(INPUTS, workers=0)
    return serve_db(db, None), db


def _get(base: str, path: str, **params: object) -> httpx.Response:
    return httpx.get(f"{base}/api{path}", params=params, timeout=30)


def test_a_work_with_provenance_counts_and_metrics(served: tuple[str, str]) -> None:
    base, db = served
    for form in (WORK, "doi:10.1145/3383583.3398584", "https://doi.org/10.1145/3383583.3398584",
                 f"https://openalex.org/{WORK}"):
        r = _get(base, f"/works/{form}")
        assert r.status_code == 200, (form, r.text)
        body = r.json()
        assert body["id"] == f"openalex:{WORK}"
    assert "doi:10.1145/3383583.3398584" in body["ids"] and body["sources"] == ["openalex"]
    assert body["records"][0]["source"] == "openalex" and body["records"][0]["version"]
    assert body["cited_by_count"] == 5 and sum(body["counts_by_year"].values()) == 5
    assert body["upstream"]["openalex"]["cited_by_count"] >= 5
    assert body["impact"]["subject"].startswith("subfield:")
    assert 0 <= body["impact"]["open_window"]["citation_percentile"] <= 1
    assert body["self_citation"]["author_self_citations"] >= 0
    with citegraph.open(db, readonly=True) as g:
        assert body["impact"]["open_window"]["normalized_citation_score"] == pytest.approx(
            g.metrics(WORK).impact.open_window.normalized_citation_score)  # type: ignore[union-attr]


def test_citations_as_objects_with_sources_walk_every_page(served: tuple[str, str]) -> None:
    base, db = served
    seen: list[dict] = []
    cursor = None
    while True:
        r = _get(base, f"/works/{WORK}/citations", limit=2, **({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200
        page = r.json()
        assert page["total"] == 5
        seen += page["results"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 and len({c["citing"] for c in seen}) == 5
    assert all(c["cited"] == f"openalex:{WORK}" and c["sources"] == ["openalex"] for c in seen)
    with citegraph.open(db, readonly=True) as g:
        expected = {o.citing: o for o in citation_objects(g, g.resolve(WORK), "citations")}
        by_id = {g.resolve(c["citing"]): c for c in seen}
        assert set(by_id) == set(expected)
        for key, c in by_id.items():
            assert (c["oci"], c["timespan"], c["author_sc"], c["journal_sc"]) == (
                expected[key].oci, expected[key].timespan, expected[key].author_sc, expected[key].journal_sc)
    refs = _get(base, f"/works/{WORK}/references", limit=1000).json()
    assert refs["total"] == len(refs["results"]) > 0 and refs["next_cursor"] is None


def test_counts_by_year_related_and_cocitation(served: tuple[str, str]) -> None:
    base, _db = served
    years = _get(base, f"/works/{WORK}/counts_by_year").json()
    assert sum(years["counts_by_year"].values()) == years["cited_by_count"] == 5
    assert "openalex" in years["upstream"]
    related = _get(base, f"/works/{WORK}/related", limit=5).json()["results"]
    assert 0 < len(related) <= 5 and related[0]["score"] >= related[-1]["score"]
    ids = ",".join([WORK] + [r["id"] for r in related[:3]])
    pairs = _get(base, "/cocitation", ids=ids).json()["results"]
    assert pairs and all(p["cocitation"] or p["coupling"] for p in pairs)


def test_author_and_venue_summaries(served: tuple[str, str]) -> None:
    base, _db = served
    venue = _get(base, "/venues/0012-9658").json()
    assert venue["works"] >= 1 and venue["display_name"] == "Ecology" and venue["kind"] == "venue"
    work = _get(base, f"/works/{WORK}").json()
    assert work["id"]
    r = _get(base, "/venues/issn:0012-9658")
    assert r.status_code == 200 and r.json()["works"] == venue["works"]


@pytest.mark.parametrize(("path", "params", "status", "message"), [
    ("/works/W1", {}, 404, "no work with id"),
    ("/works/not an id", {}, 400, "not an identifier"),
    (f"/works/{WORK}/citations", {"limit": "0"}, 400, "limit must be between 1 and 1000"),
    (f"/works/{WORK}/citations", {"limit": "x"}, 400, "limit must be an integer"),
    (f"/works/{WORK}/citations", {"cursor": "garbage"}, 400, "cursor"),
    (f"/works/{WORK}/related", {"limit": "201"}, 400, "limit must be between 1 and 200"),
    ("/cocitation", {"ids": WORK}, 400, "at least two"),
    ("/cocitation", {"ids": ",".join(f"W{i}" for i in range(1, 102))}, 400, "at most 100"),
    ("/authors/A1", {}, 404, "no works by author"),
    ("/venues/W12", {}, 400, "not an OpenAlex venue id"),
])
def test_bad_requests_get_json_errors(served: tuple[str, str], path: str, params: dict, status: int,
                                      message: str) -> None:
    r = _get(served[0], path, **params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    assert message in r.json()["message"]


def test_metrics_not_computed_is_503(tmp_path: Path, serve_db: ServeDb) -> None:
    db = str(tmp_path / "stale.db")
    with citegraph.open(db, create=True) as g:
        g.load([DATA / "openalex" / "works.jsonl.gz"], workers=0)
        g.store.conn.execute("DELETE FROM meta WHERE key = 'metrics_build'")
    base = serve_db(db, None)
    r = _get(base, f"/works/{WORK}")
    assert r.status_code == 503 and "citegraph load" in r.json()["message"]
    assert _get(base, f"/works/{WORK}/related").status_code == 200  # the graph itself needs no metrics


def test_the_openapi_document_lists_the_native_api(served: tuple[str, str]) -> None:
    doc = httpx.get(f"{served[0]}/-/openapi.json").json()
    for path in ("/api/works/{id}", "/api/works/{id}/citations", "/api/works/{id}/related", "/api/cocitation",
                 "/api/authors/{id}", "/api/venues/{id}"):
        assert path in doc["paths"]
