"""The Semantic Scholar dialect over a real server, driven by the real ``semanticscholar`` client.

The database holds the real S2 records of ``tests/data/semanticscholar`` (the Turing 1950 paper with its embedded
citations and references, the recorded citation and reference walks, batch and search answers, Datasets lines)
and one OpenAlex work, to check that a work S2 never gave us is served in S2's shape under an id it reads back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from semanticscholar import SemanticScholar
from semanticscholar.SemanticScholarException import BadQueryParametersException, ObjectNotFoundException
from tests.conftest import NewDb

import citegraph
from citegraph.dialects.s2.params import S2Error, parse_bulk_query
from citegraph.dialects.s2.routes import S2Dialect, parse_paper_id

DATA = Path(__file__).parent.parent / "data"
S2 = DATA / "semanticscholar"
TURING = "2d5673caa9e6af3a7b82a43f19ee920992db07ad"
TURING_DOI = "10.1093/mind/lix.236.433"
LOADED = ["Paper.json.gz", "citations_CorpusID_14514057.jsonl", "references_10.2139_ssrn.2250500.jsonl",
          "batch_authors.json", "batch_not_found.json", "search_turing.json", "bulk_kubernetes.json",
          "datasets_papers.jsonl", "datasets_citations.jsonl"]


@pytest.fixture(scope="module")
def s2_db(new_db: NewDb) -> str:
    db = new_db("s2")
    with citegraph.open(db, create=True) as g:
        report = g.load([S2 / name for name in LOADED] + [DATA / "openalex" / "W2741809807.json"], workers=0)
        assert report.rejected == 2  # the Datasets file's unlinked citation and its truncated line
    return db


@pytest.fixture(scope="module")
def root(s2_db: Path, serve_db: Callable[..., str]) -> str:
    return serve_db(s2_db) + "/s2"


@pytest.fixture(scope="module")
def sch(root: str) -> SemanticScholar:
    return SemanticScholar(api_url=root, retry=False)


def _get(root: str, path: str, **params: str) -> httpx.Response:
    return httpx.get(f"{root}/graph/v1{path}", params=params, timeout=30)


def _expected(name: str) -> dict:
    return json.loads((S2 / name).read_text())


# --- papers ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("paper_id", [TURING_DOI, f"DOI:{TURING_DOI}", "CorpusID:14636783", "corpusid:14636783",
                                      TURING, "MAG:2145482038", f"URL:https://www.semanticscholar.org/paper/{TURING}"])
def test_get_paper_by_every_id_form(sch: SemanticScholar, paper_id: str) -> None:
    paper = sch.get_paper(paper_id, fields=["title", "externalIds", "citationCount", "year"])
    assert paper.paperId == TURING
    assert paper.title == "Computing Machinery and Intelligence"
    assert paper.externalIds["CorpusId"] == 14636783
    assert paper.externalIds["DOI"] == "10.1093/MIND/LIX.236.433"  # as S2 printed it
    assert paper.year == 1950


def test_get_paper_default_fields_embed_citations_and_references(sch: SemanticScholar) -> None:
    paper = sch.get_paper(TURING_DOI)  # the client's long default field list, nested citations.* included
    assert len(paper.citations) == 1000 and len(paper.references) == 14
    # our graph's counts: what the same server lists (S2 itself said 10,059 of the whole world)
    assert paper.citationCount >= 1000 and paper.referenceCount == 14
    assert [a.name for a in paper.authors] == ["A. Turing"]
    assert paper.authors[0].paperCount >= 1 and paper.authors[0].hIndex >= 1
    assert all(c.paperId for c in paper.citations)
    unlinked = [r for r in paper.references if r.paperId is None]
    assert len(unlinked) == 6 and all(r.title for r in unlinked)  # S2 listed them by title only


def test_paper_without_fields_is_id_and_title(root: str) -> None:
    assert _get(root, f"/paper/{TURING}").json() == {"paperId": TURING,
                                                       "title": "Computing Machinery and Intelligence"}


def test_work_from_another_source_renders_in_s2_shape_under_an_id_it_reads_back(root: str) -> None:
    paper = _get(root, "/paper/DOI:10.7717/peerj.4375", fields="title,externalIds,year,authors,venue").json()
    assert paper["paperId"] == "DOI:10.7717/peerj.4375"
    assert paper["externalIds"]["DOI"] == "10.7717/peerj.4375" and paper["year"] == 2018
    assert paper["title"].startswith("The state of OA")
    assert paper["authors"] and all(a["authorId"] is None for a in paper["authors"])
    again = _get(root, f"/paper/{paper['paperId']}").json()
    assert again["paperId"] == paper["paperId"]


def test_batch_keeps_order_and_answers_null_for_unknown_ids(root: str, sch: SemanticScholar) -> None:
    wanted = ["CorpusID:14636783", "CorpusID:1", TURING_DOI, "no such id"]
    r = httpx.post(f"{root}/graph/v1/paper/batch", params={"fields": "title,corpusId"}, json={"ids": wanted})
    body = r.json()
    assert r.status_code == 200 and len(body) == 4
    assert body[0]["corpusId"] == 14636783 and body[1] is None and body[2]["paperId"] == TURING and body[3] is None
    papers = sch.get_papers(["CorpusID:14636783", TURING_DOI])
    assert [p.paperId for p in papers] == [TURING, TURING]


# --- citations and references ----------------------------------------------------------------------------
def test_recorded_citation_walk_is_reproduced_page_by_page(root: str) -> None:
    expected = _expected("citations_CorpusID_14514057_expected.json")
    assert len(expected["pages"]) == 19
    for page in expected["pages"]:
        got = _get(root, "/paper/CorpusID:14514057/citations", fields="title",
                   offset=str(page["request"]["offset"]), limit=str(page["request"]["limit"])).json()
        assert got["offset"] == page["offset"]
        assert got.get("next") == page["next"]  # absent on the last page, as upstream
        assert ("next" in got) == (page["next"] is not None)
        assert [d["citingPaper"]["paperId"] for d in got["data"]] == page["paperIds"]


def test_client_iterates_the_citation_walk_to_the_end(sch: SemanticScholar) -> None:
    expected = [i for page in _expected("citations_CorpusID_14514057_expected.json")["pages"]
                for i in page["paperIds"]]
    citations = sch.get_paper_citations("CorpusID:14514057", fields=["title"], limit=100)
    assert [c.paper.paperId for c in citations] == expected
    assert len(expected) == 1881


def test_recorded_reference_walk_is_reproduced(root: str, sch: SemanticScholar) -> None:
    expected = _expected("references_10.2139_ssrn.2250500_expected.json")
    for page in expected["pages"]:
        got = _get(root, "/paper/10.2139/ssrn.2250500/references", fields="title",
                   offset=str(page["request"]["offset"]), limit=str(page["request"]["limit"])).json()
        assert got.get("next") == page["next"]
        assert [d["citedPaper"]["paperId"] for d in got["data"]] == page["paperIds"]
    refs = sch.get_paper_references("10.2139/ssrn.2250500", fields=["title", "isInfluential"], limit=50)
    assert len(list(refs)) == sum(len(p["paperIds"]) for p in expected["pages"])


def test_citation_level_fields_come_from_s2(root: str) -> None:
    got = _get(root, "/paper/CorpusID:14636783/citations", fields="contexts,intents,isInfluential,title",
               limit="1000").json()
    by_id = {d["citingPaper"].get("paperId"): d for d in got["data"]}
    datasets = [json.loads(line) for line in (S2 / "datasets_citations.jsonl").read_text().splitlines()
                if line.startswith("{") and line.endswith("}")]
    line = next(d for d in datasets if d["citedcorpusid"] == 14636783 and d["contexts"])
    cited = _get(root, f"/paper/CorpusID:{line['citingcorpusid']}", fields="title").json()
    item = by_id[cited["paperId"]]
    assert item["contexts"] == line["contexts"] and item["isInfluential"] is line["isinfluential"]
    assert set(item) == {"contexts", "intents", "isInfluential", "citingPaper"}
    assert all(isinstance(d["contexts"], list) for d in got["data"])


def test_citation_count_equals_what_the_list_holds(root: str, sch: SemanticScholar) -> None:
    count = sch.get_paper("CorpusID:14514057", fields=["citationCount"]).citationCount
    listed = sch.get_paper_citations("CorpusID:14514057", fields=["paperId"], limit=1000)
    assert count == len(list(listed)) == 1881


def test_publication_date_or_year_filters_citations(root: str) -> None:
    every = _get(root, f"/paper/{TURING}/citations", fields="year,publicationDate", limit="1000").json()["data"]
    years = [d["citingPaper"]["year"] for d in every if d["citingPaper"].get("year")]
    pivot = sorted(years)[len(years) // 2]
    for spec, keep in ((f"{pivot}", lambda y: y == pivot), (f"{pivot}:", lambda y: y >= pivot),
                       (f":{pivot}-12-31", lambda y: y <= pivot), (f"{pivot}-01:{pivot}-12", lambda y: y == pivot)):
        got = _get(root, f"/paper/{TURING}/citations", fields="year", limit="1000",
                   publicationDateOrYear=spec).json()["data"]
        assert got and all(keep(d["citingPaper"]["year"]) for d in got), spec
        assert len(got) == sum(1 for y in years if keep(y)), spec


# --- search --------------------------------------------------------------------------------------------------
def test_relevance_search_pages_with_total_and_next(sch: SemanticScholar, root: str) -> None:
    first = _get(root, "/paper/search", query="turing", limit="10", fields="title").json()
    assert first["offset"] == 0 and first["next"] == 10 and len(first["data"]) == 10 and first["total"] > 10
    results = sch.search_paper("turing", limit=100, fields=["title"])
    titles = [p.title for p in results]
    assert len(titles) == first["total"]
    assert sum("turing" in (t or "").lower() for t in titles[:10]) >= 8  # the rest by an author named Turing


def test_search_filters_by_publication_date_or_year(root: str) -> None:
    def found(**params: str) -> dict[str, int]:
        out: dict[str, int] = {}
        token = None
        while True:  # every paper, by bulk search without a query, token after token
            page = _get(root, "/paper/search/bulk", fields="year", **params, **({"token": token} if token else {}))
            out.update({p["paperId"]: p["year"] for p in page.json()["data"]})
            token = page.json().get("token")
            if not token:
                return out

    every = found()
    dated = {p: y for p, y in every.items() if y}
    assert len(dated) >= 5 and dated[TURING] == 1950  # published 1950-10-01
    assert found(publicationDateOrYear="1950") == {p: y for p, y in dated.items() if y == 1950}
    assert found(publicationDateOrYear="1950-01-01:1950-12-31") == found(publicationDateOrYear="1950")
    assert TURING in found(publicationDateOrYear="1950-10") and TURING in found(publicationDateOrYear=":1950-10-01")
    assert TURING not in found(publicationDateOrYear="1950-10-02:")
    assert TURING not in found(publicationDateOrYear=":1950-09")
    later = found(publicationDateOrYear="2015:")
    assert later and later == {p: y for p, y in dated.items() if y >= 2015}
    assert found(year="2015-") == later and found(year="-1950") == {p: y for p, y in dated.items() if y <= 1950}


def test_search_filters_by_field_of_study(root: str) -> None:
    def found(**params: str) -> list[dict]:
        page = _get(root, "/paper/search/bulk", query="turing", fields="fieldsOfStudy,s2FieldsOfStudy", **params)
        return list(page.json()["data"])

    every = found()
    sociology = found(fieldsOfStudy="Sociology")  # Turing 1950's second field
    assert TURING in [p["paperId"] for p in sociology] and len(sociology) < len(every)
    assert all("Sociology" in (p["fieldsOfStudy"] or []) + [f["category"] for f in p["s2FieldsOfStudy"] or []]
               for p in sociology)
    either = found(fieldsOfStudy="Sociology,Computer Science")
    assert len(either) > len(sociology)
    # a work known only from OpenAlex is filed under its topics' fields
    oa = _get(root, "/paper/search/bulk", query="prevalence open access", fieldsOfStudy="Computer Science").json()
    assert "DOI:10.7717/peerj.4375" in [p["paperId"] for p in oa["data"]]
    assert not _get(root, "/paper/search/bulk", query="prevalence open access", fieldsOfStudy="Law").json()["data"]
    bad = _get(root, "/paper/search", query="turing", fieldsOfStudy="Alchemy")
    assert bad.status_code == 400 and "fieldsOfStudy=Alchemy" in bad.json()["error"]


def test_bulk_search_walks_tokens_in_sort_order(sch: SemanticScholar, root: str) -> None:
    results = sch.search_paper("turing", bulk=True, sort="citationCount:desc", fields=["title", "citationCount"])
    counts = [p.citationCount for p in results]
    assert counts == sorted(counts, reverse=True) and len(counts) == results.total
    page = _get(root, "/paper/search/bulk", query="kubernetes | turing", fields="title").json()
    assert page["total"] >= len(counts) and "token" not in page or page["data"]


def test_bulk_search_syntax(root: str) -> None:
    def total(query: str) -> int:
        return int(_get(root, "/paper/search/bulk", query=query).json()["total"])

    both, turing, machine = total("turing + machine"), total("turing"), total("machine")
    assert 0 < both <= min(turing, machine)
    assert total("turing | machine") >= max(turing, machine)
    assert total("turing -machine") == turing - both
    assert total('"computing machinery"') >= 1
    assert total("machin*") > machine  # a prefix of the stemmed word: machinery too
    assert total("mahcine") == 0 and total("mahcine~1") >= machine > 0  # within one edit (a transposition)
    assert total("mahcine~") >= total("mahcine~1")  # ~ alone: two edits
    assert total('"computing intelligence"') < total('"computing intelligence"~2')  # two words apart
    assert total("(turing | machine) -(turing + machine)") == turing + machine - 2 * both


def test_title_match_and_autocomplete(root: str, sch: SemanticScholar) -> None:
    match = _get(root, "/paper/search/match", query="Computing Machinery and Intelligence", fields="year").json()
    assert match["data"][0]["paperId"] == TURING and match["data"][0]["year"] == 1950
    assert match["data"][0]["matchScore"] > 0
    missing = _get(root, "/paper/search/match", query="zzqx wwvy")
    assert missing.status_code == 404 and missing.json() == {"error": "Title match not found"}
    matched = sch.search_paper("computing machinery and intelligence", match_title=True, fields=["title"])
    assert matched.paperId == TURING  # the client sends offset and limit along: accepted, ignored
    done = _get(root, "/paper/autocomplete", query="Computing Machin").json()
    assert any(m["id"] == TURING and m["authorsYear"] == "Turing, 1950" for m in done["matches"])


# --- authors -------------------------------------------------------------------------------------------------
def test_authors_computed_from_our_graph(sch: SemanticScholar, root: str) -> None:
    author = sch.get_author("2262347")
    assert author.name == "A. Turing"
    papers = sch.get_author_papers("2262347", fields=["title", "citationCount"])
    assert TURING in [p.paperId for p in papers]
    full = _get(root, "/author/2262347", fields="name,paperCount,citationCount,hIndex").json()
    assert full["paperCount"] == len(list(papers))
    assert full["citationCount"] == sum(p.citationCount for p in papers)
    byline = _get(root, f"/paper/{TURING}/authors", fields="name,url").json()
    assert byline["data"] == [{"authorId": "2262347", "name": "A. Turing",
                               "url": "https://www.semanticscholar.org/author/2262347"}]
    found = _get(root, "/author/search", query="turing").json()
    assert "2262347" in [a["authorId"] for a in found["data"]]
    assert [a.name for a in sch.get_paper_authors(TURING)] == ["A. Turing"]
    assert "2262347" in [a.authorId for a in sch.search_author("turing")]
    assert [a.name for a in sch.get_authors(["2262347"])] == ["A. Turing"]
    batch = httpx.post(f"{root}/graph/v1/author/batch", json={"ids": ["2262347", "0"]}).json()
    assert batch[0]["name"] == "A. Turing" and batch[1] is None


# --- errors --------------------------------------------------------------------------------------------------
def test_unknown_paper_is_s2s_404(root: str, sch: SemanticScholar) -> None:
    r = _get(root, "/paper/0", fields="title")
    assert r.status_code == 404 and r.json() == {"error": "Paper with id 0 not found"}
    with pytest.raises(ObjectNotFoundException):
        sch.get_paper("CorpusID:1")
    assert _get(root, "/author/0").status_code == 404


@pytest.mark.parametrize(("path", "params", "message"), [
    (f"/paper/{TURING}", {"fields": "title,bad1,authors.bad2"},
     "Unrecognized or unsupported fields: [bad1, authors.bad2]"),
    (f"/paper/{TURING}/citations", {"limit": "1001"}, "limit must be <= 1000"),
    (f"/paper/{TURING}/citations", {"offset": "9950", "limit": "50"}, "offset + limit must be < 10000"),
    (f"/paper/{TURING}/citations", {"limit": "ten"}, "Unacceptable query params: [limit=ten]"),
    (f"/paper/{TURING}/citations", {"publicationDateOrYear": "2020-13"}, "publicationDateOrYear=2020-13"),
    (f"/paper/{TURING}/citations", {"publicationDateOrYear": "2019-02-30"}, "publicationDateOrYear"),
    (f"/paper/{TURING}", {"frobnicate": "1"}, "Unacceptable query params: [frobnicate=1]"),
    ("/paper/search", {"query": "turing", "limit": "101"}, "limit must be <= 100"),
    ("/paper/search", {"query": "turing", "offset": "950", "limit": "100"}, "offset + limit must be <= 1000"),
    ("/paper/search", {"query": "turing", "year": "20x0"}, "year=20x0"),
    ("/paper/search/bulk", {"query": "turing", "sort": "title"}, "sort=title"),
    ("/paper/search/bulk", {"query": "turing", "token": "garbage"}, "token=garbage"),
])
def test_bad_parameters_are_s2s_400(root: str, path: str, params: dict[str, str], message: str) -> None:
    r = _get(root, path, **params)
    assert r.status_code == 400
    assert message in r.json()["error"]


def test_client_raises_on_400(sch: SemanticScholar) -> None:
    with pytest.raises(BadQueryParametersException):
        sch.get_paper(TURING, fields=["nope"])


@pytest.mark.parametrize("body", [b"not json", b'{"ids": "x"}', b'{"ids": [1, 2]}',
                                  json.dumps({"ids": ["CorpusID:1"] * 501}).encode()])
def test_bad_batches_are_400(root: str, body: bytes) -> None:
    r = httpx.post(f"{root}/graph/v1/paper/batch", content=body)
    assert r.status_code == 400 and "error" in r.json()


def test_batch_embedding_too_many_citations_is_400(root: str) -> None:
    one = httpx.post(f"{root}/graph/v1/paper/batch", params={"fields": "citations"}, json={"ids": [TURING]})
    assert one.status_code == 200 and len(one.json()[0]["citations"]) == 1000
    ten = httpx.post(f"{root}/graph/v1/paper/batch", params={"fields": "citations"}, json={"ids": [TURING] * 10})
    assert ten.status_code == 400 and "maximum size" in ten.json()["error"]


def test_api_key_is_accepted_never_required(root: str) -> None:
    with_key = httpx.get(f"{root}/graph/v1/paper/{TURING}", headers={"x-api-key": "anything"})
    assert with_key.status_code == 200 and with_key.json()["paperId"] == TURING


def test_citation_window_lifted_by_the_server_setting(s2_db: Path) -> None:
    with citegraph.open(s2_db, readonly=True) as g:
        capped, lifted = S2Dialect(g), S2Dialect(g, citation_window=None)
        with pytest.raises(S2Error):
            capped.citation_list(TURING, "citations", {"offset": "9950", "limit": "100"})
        assert lifted.citation_list(TURING, "citations", {"offset": "9950", "limit": "100"}) == {
            "offset": 9950, "data": []}
        page = lifted.citation_list(TURING, "citations", {"offset": "0", "limit": "999"})
        assert len(page["data"]) == 999 and page["next"] == 999


@pytest.mark.parametrize(("text", "pair"), [
    ("URL:https://arxiv.org/abs/2106.15928v1", ("arxiv", "2106.15928")),
    (f"URL:https://www.semanticscholar.org/paper/{TURING}", ("s2", TURING)),
    ("URL:https://www.aclweb.org/anthology/W12-3903", ("acl", "W12-3903")),
    ("URL:https://dl.acm.org/doi/10.1145/3383583.3398584", ("doi", "10.1145/3383583.3398584")),
    ("URL:https://www.biorxiv.org/content/10.1101/2020.01.01.123456v1", ("doi", "10.1101/2020.01.01.123456")),
    ("PMCID:2323736", ("pmcid", "PMC2323736")), ("ARXIV:2106.15928", ("arxiv", "2106.15928")),
    ("ACL:W12-3903", ("acl", "W12-3903")), ("MAG:112218234", ("mag", "112218234")),
    ("PMID:19872477", ("pmid", "19872477")), ("CorpusId:215416146", ("corpusid", "215416146")),
    ("DOI:10.18653/v1/N18-3011", ("doi", "10.18653/v1/n18-3011")), ("arxiv:2409.06820", ("arxiv", "2409.06820")),
    ("0", None), ("CorpusId:abc", None), ("", None),
])
def test_every_s2_paper_id_form_is_read(text: str, pair: tuple[str, str] | None) -> None:
    assert parse_paper_id(text) == pair


_junk = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=150, deadline=None)
@given(path=st.sampled_from(["/paper/{}", "/paper/{}/citations", "/paper/{}/references", "/paper/{}/authors",
                             "/paper/search", "/paper/search/bulk", "/paper/search/match", "/paper/autocomplete",
                             "/author/{}", "/author/{}/papers", "/author/search"]),
       paper=st.one_of(st.just(TURING), st.just("CorpusID:14514057"), _junk),
       params=st.dictionaries(st.sampled_from(["fields", "offset", "limit", "query", "publicationDateOrYear",
                                               "year", "sort", "token", "venue", "minCitationCount",
                                               "publicationTypes", "fieldsOfStudy"]), _junk, max_size=4))
def test_no_request_gets_a_5xx(root: str, path: str, paper: str, params: dict[str, str]) -> None:
    url = f"{root}/graph/v1" + path.format(quote(paper, safe="/:") or "x")
    r = httpx.get(url, params=params, timeout=30)
    assert r.status_code < 500, (url, params, r.text[:300])
    assert r.status_code == 200 or "error" in r.json()  # (a path with a newline never reaches the dialect)


@pytest.mark.parametrize(("text", "parsed"), [
    ("fish ladder", "fish AND ladder"), ("fish -ladder", "fish AND NOT ladder"), ("fish | ladder", "fish OR ladder"),
    ('"fish ladder"', '"fish ladder"'), ("(fish ladder) | outflow", "(fish AND ladder) OR outflow"),
    ("fish~", "fish~2"), ("fish~1", "fish~1"), ("fish~9", "fish~2"), ('"fish ladder"~3', '"fish ladder"~3'),
    ("comput*", "comput*"), ("+a +b -c", "a AND b AND NOT c"), ('"unclosed phrase', '"unclosed phrase"'),
    ("((a)", "a"), (")))a", "a"), ("a -", "a"), ("-(-a)", "NOT NOT a"), ("-", None), ("*", None), ('""', None),
])
def test_bulk_query_syntax_parses(text: str, parsed: str | None) -> None:
    result = parse_bulk_query(text)
    assert (str(result) if result is not None else None) == parsed


def test_bulk_query_nesting_is_bounded() -> None:
    with pytest.raises(S2Error):
        parse_bulk_query("(" * 100 + "a")
