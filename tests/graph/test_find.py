"""Graph.find over the real OpenAlex fixtures: the store's query compilation, checked against plain Python."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import citegraph
from citegraph import query as q

WORKS = Path(__file__).resolve().parents[1] / "data" / "openalex" / "works.jsonl.gz"


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> citegraph.Graph:
    g = citegraph.open(tmp_path_factory.mktemp("find") / "g.db", create=True)
    g.load([WORKS], workers=0)
    yield g
    g.close()


@pytest.fixture(scope="module")
def records() -> list[dict]:
    with gzip.open(WORKS, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def ids_of(graph: citegraph.Graph, result: citegraph.graph.WorksResult) -> list[str]:
    found = graph.ids_of([h.key for h in result.hits], "openalex")
    return [found[h.key] for h in result.hits]


def everything(graph: citegraph.Graph, where: q.And | None, sort: tuple[q.Sort, ...], size: int = 7) -> list[str]:
    """Walk a query to the end with cursors."""
    out: list[str] = []
    after = None
    while True:
        res = graph.find(q.Query(where=where, sort=sort, page=q.Cursor(after, size)))
        out += ids_of(graph, res)
        if res.next_after is None:
            return out
        after = tuple(res.next_after)


def test_cursor_walk_equals_page_walk_for_mixed_directions(graph: citegraph.Graph) -> None:
    sort = (q.Sort(q.PUBLICATION_YEAR, True), q.Sort(q.DISPLAY_NAME), q.Sort(q.WORK))
    walked = everything(graph, None, sort)
    paged: list[str] = []
    for n in range(1, 100):
        res = graph.find(q.Query(sort=sort, page=q.Page(n, 25)))
        if not res.hits:
            break
        paged += ids_of(graph, res)
    assert walked == paged and len(walked) == len(set(walked)) == 369


def test_filters_agree_with_the_records(graph: citegraph.Graph, records: list[dict]) -> None:
    def count(*parts: q.Predicate) -> int:
        return graph.find(q.Query(where=q.And(parts), page=q.Page(1, 1))).count

    assert count(q.Eq(q.TYPE, ("article",))) == sum(r.get("type") == "article" for r in records)
    # plain NOT: works without a language are not English either
    assert count(q.Eq(q.LANGUAGE, ("en",), negate=True)) == sum(r.get("language") != "en" for r in records)
    assert count(q.Range(q.PUBLICATION_YEAR, 2015, 2020)) == sum(
        2015 <= (r.get("publication_year") or 0) <= 2020 for r in records)
    assert count(q.Eq(q.IS_OA, (True,))) == sum(bool((r.get("open_access") or {}).get("is_oa")) for r in records)
    assert count(q.Eq(q.HAS_DOI, (True,))) == sum(bool(r.get("doi") or (r.get("ids") or {}).get("doi"))
                                                  for r in records)
    author = "https://openalex.org/A5063410350"
    expected = sum(any((a.get("author") or {}).get("id") == author for a in r.get("authorships") or [])
                   for r in records)
    assert expected and count(q.Eq(q.AUTHOR_ID, (("openalex", "A5063410350"),))) == expected


def test_cites_fast_path_and_general_path_agree(graph: citegraph.Graph) -> None:
    cites = q.Eq(q.CITES, (("openalex", "W2741809807"),))
    sort = (q.Sort(q.CITED_BY_COUNT, True), q.Sort(q.WORK))
    fast = everything(graph, q.And((cites,)), sort, size=3)  # the citation index alone
    general = everything(graph, q.And((cites, q.Range(q.PUBLICATION_YEAR, 0))), sort, size=3)  # a join
    assert fast == general and len(fast) == graph.work("W2741809807").cited_by_count
    # pages too, in each order the index serves, and each with the work's count (read in the page's statement)
    for order in (sort, (q.Sort(q.PUBLICATION_DATE, True), q.Sort(q.WORK, True)),
                  (q.Sort(q.PUBLICATION_DATE, False), q.Sort(q.WORK))):
        for number in (1, 2, 50):  # the last is past the end: no hits, the count still the work's
            page = graph.find(q.Query(where=q.And((cites,)), sort=order, page=q.Page(number, 2)))
            slow = graph.find(q.Query(where=q.And((cites, q.Range(q.PUBLICATION_YEAR, 0))), sort=order,
                                      page=q.Page(number, 2)))
            assert (page.count, ids_of(graph, page)) == (slow.count, ids_of(graph, slow))
            assert page.count == len(fast) and (number < 50) == bool(page.hits)
    nobody = graph.find(q.Query(where=q.And((q.Eq(q.CITES, (("openalex", "W1"),)),)), sort=sort))
    assert nobody.count == 0 and nobody.hits == []


def test_group_by_and_sample(graph: citegraph.Graph, records: list[dict]) -> None:
    res = graph.find(q.Query(group_by=q.GroupBy(q.TYPE), page=q.Page(1, 200)))
    assert {g.key: g.count for g in res.groups or []} == {
        t: sum(r.get("type") == t for r in records) for t in {r.get("type") for r in records} if t}
    one = graph.find(q.Query(sample=q.Sample(10, seed="42"), page=q.Page(1, 10)))
    two = graph.find(q.Query(sample=q.Sample(10, seed="42"), page=q.Page(1, 10)))
    other = graph.find(q.Query(sample=q.Sample(10, seed="43"), page=q.Page(1, 10)))
    assert ids_of(graph, one) == ids_of(graph, two) != ids_of(graph, other)
    assert one.count == 10


def test_text_search_ranks_and_filters(graph: citegraph.Graph) -> None:
    text = q.parse_search("biodiversity finance")
    res = graph.find(q.Query(text=text, sort=(q.Sort(q.RELEVANCE, True), q.Sort(q.WORK)), page=q.Page(1, 50)))
    assert res.count > 0
    scores = [h.score or 0.0 for h in res.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    title = graph.work(res.hits[0].key).work
    assert title is not None


@pytest.mark.parametrize("text", [
    q.TextOr((q.Term("open"), q.Term("access"))), q.Term("citation"),
    q.TextOr((q.Term("snowball"), q.Term("research"), q.Term("trends"))), q.Term("zzzznotaword"), q.Term("the"),
    # the index lifts an AND's parts, and a lone OR's, to the top of its query: the meaning must stay
    q.TextAnd((q.Term("open"), q.TextNot(q.Term("access")))),
    q.TextAnd((q.TextOr((q.Term("open"), q.Term("citation"))), q.Term("data"))),
    q.TextOr((q.Phrase(("open", "access")), q.Term("zzzznotaword"), q.TextAnd((q.Term("research"), q.Term("data"))))),
], ids=repr)
def test_text_fast_path_and_general_path_agree(graph: citegraph.Graph, text: q.TextQuery) -> None:
    relevance = (q.Sort(q.RELEVANCE, True), q.Sort(q.WORK))
    for where in (q.And((q.Text(q.BIBLIOGRAPHIC, text),)),
                  q.And((q.Eq(q.HAS_DOI, (True,)), q.Text(q.BIBLIOGRAPHIC, text), q.Text(q.AUTHOR_NAME, q.Term("a")))),
                  q.And((q.Eq(q.HAS_DOI, (True,)), q.Text(q.BIBLIOGRAPHIC, text)))):
        for page in (q.Page(1, 5), q.Page(3, 4)):
            query = q.Query(where=where, sort=relevance, page=page)
            fast = graph._find_top_text(query)
            assert fast is not None  # the index answers it alone
            general = graph.store.find(query, graph._text)  # filters, scores and sorts in SQL
            assert fast.count == general.count
            assert [h.key for h in fast.hits] == [h.key for h in general.hits]
            assert [round(h.score or 0, 3) for h in fast.hits] == [round(h.score or 0, 3) for h in general.hits]
    # anything else the index cannot answer alone goes the general way
    other = q.Query(where=q.And((q.Text(q.TITLE, q.Term("open")), q.Eq(q.TYPE, ("article",)))), sort=relevance)
    assert graph._find_top_text(other) is None


def test_text_cursor_walk_by_the_index_equals_the_general_paths_pages(graph: citegraph.Graph) -> None:
    text = q.TextOr((q.Term("open"), q.Term("access"), q.Term("data"), q.Term("science")))
    where = q.And((q.Eq(q.HAS_DOI, (True,)), q.Text(q.BIBLIOGRAPHIC, text)))
    relevance = (q.Sort(q.RELEVANCE, True), q.Sort(q.WORK))
    general = graph.store.find(q.Query(where=where, sort=relevance, page=q.Page(1, 1000)), graph._text)
    walked: list[int] = []
    after = None
    while True:
        query = q.Query(where=where, sort=relevance, page=q.Cursor(after, 7))
        page = graph._find_top_text(query)
        assert page is not None and page.count == general.count
        walked += [h.key for h in page.hits]
        if page.next_after is None:
            break
        after = page.next_after
    assert general.count > 20 and walked == [h.key for h in general.hits]
