"""The storage contract on both engines (a SQLite file, a PostgreSQL schema): identity, edges, stubs, the build,
versions, reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import NewDb

from citegraph import query as q
from citegraph.model import AssertedCitation
from citegraph.store import PreparedRecord, Store, open_store
from citegraph.store.base import FileState
from citegraph.store.codec import Codec
from citegraph.store.sqlite import MARK_EVERY, key_date, pub_key


def rec(ids: list[tuple[str, str]], refs: list[tuple[str, str]] = (), *, date: str | None = "2020-01-01",
        version: str | None = "2024-01-01", title: str | None = None, pos: int = 0) -> PreparedRecord:
    year = int(date[:4]) if date else None
    return PreparedRecord(ids=list(ids), title=title or ids[0][1], publication_year=year, publication_date=date,
                          type="article", version=version, dict_id=0, data=b"{}", refs=list(refs),
                          duplicate_refs=0, self_refs=0, position=pos)


def W(n: int) -> tuple[str, str]:
    return ("openalex", f"W{n}")


@pytest.fixture
def store(new_db: NewDb) -> Iterator[Store]:
    s = open_store(new_db("store"), create=True)
    yield s
    s.close()


def write(store: Store, records: list[PreparedRecord], source: str = "openalex"):
    return store.write_batch(source, records, path=None, next_position=0, rejected=0, done=False)


def test_edges_stubs_and_counts(store: Store) -> None:
    write(store, [rec([W(1)], date="2001-05-01"),
                  rec([W(2)], [W(1)], date="2005-01-01"),
                  rec([W(3)], [W(1), W(2), W(99)], date="2010-03"),
                  rec([W(4)], [W(1), W(4)], date="2011")])
    res = store.build()
    assert res.stubs_created == 1  # W99 is cited, never loaded
    assert res.self_loops == 1  # W4 cites itself
    stats = store.stats()
    assert stats["works"] == 4 and stats["stubs"] == 1 and stats["edges"] == 5
    w1 = store.resolve(W(1))
    assert w1 is not None
    row = store.work_row(w1)
    assert row is not None and row.cited_by_count == 3 and row.referenced_works_count == 0
    assert store.counts_by_year(w1) == {2005: 1, 2010: 1, 2011: 1}
    stub = store.work_row(store.resolve(W(99)) or -1)
    assert stub is not None and stub.stub and stub.cited_by_count == 1


def test_citation_index_orders_and_pages(store: Store) -> None:
    # W1 is cited by W2..W6; W2 is itself cited by the most, then W3 …
    records = [rec([W(1)], date="2000-01-01")]
    records += [rec([W(n)], [W(1)], date=f"20{n:02d}-01-01") for n in range(2, 7)]
    records += [rec([W(100 + i)], [W(2)] + ([W(3)] if i < 3 else []), date="2020-01-01") for i in range(5)]
    write(store, records)
    store.build()
    w1 = store.resolve(W(1))
    assert w1 is not None
    top = store.citations(w1, sort="cited_by_count:desc", year=None, after=None, limit=2)
    assert [r.key_id for r in top] == ["openalex:W2", "openalex:W3"]
    assert [r.cited_by_count for r in top] == [5, 3]
    rest = store.citations(w1, sort="cited_by_count:desc", year=None, after=(top[-1].cited_by_count,
                                                                             top[-1].work_id), limit=10)
    assert [r.key_id for r in rest] == ["openalex:W4", "openalex:W5", "openalex:W6"]  # ties: lowest id first
    newest = store.citations(w1, sort="publication_date:desc", year=None, after=None, limit=2)
    assert [r.publication_date for r in newest] == ["2006-01-01", "2005-01-01"]
    in_2003 = store.citations(w1, sort="cited_by_count:desc", year=2003, after=None, limit=10)
    assert [r.key_id for r in in_2003] == ["openalex:W3"]
    refs = store.references(store.resolve(W(100)) or -1, sort="cited_by_count:desc", year=None, after=None,
                            limit=10)
    assert [r.key_id for r in refs] == ["openalex:W2", "openalex:W3"]


def test_identity_joins_by_any_id_and_records_conflicts(store: Store) -> None:
    write(store, [rec([W(1), ("doi", "10.1/a")]), rec([W(2), ("doi", "10.1/b")])])
    # a record from another source joins W1 through its DOI
    r = write(store, [rec([("doi", "10.1/a"), ("pmid", "123")])], source="crossref")
    assert r.merged == 1 and r.inserted == 0
    assert store.resolve(("pmid", "123")) == store.resolve(W(1))
    # a record whose ids name two different works: primary id wins, the other claim is recorded
    r = write(store, [rec([("doi", "10.1/b"), ("pmid", "123")])], source="crossref")
    assert r.conflicts == 1
    conflicts = store.conflicts()
    assert conflicts[0]["scheme"] == "pmid" and conflicts[0]["kept_work"] == store.resolve(W(2))
    assert store.resolve(("pmid", "123")) == store.resolve(W(1))  # never silently reassigned


def test_reference_fills_stub_when_record_arrives(store: Store) -> None:
    write(store, [rec([W(2)], [W(1)])])
    store.build()
    stub_key = store.resolve(W(1))
    write(store, [rec([W(1)], date="1999")])
    store.build()
    assert store.resolve(W(1)) == stub_key
    row = store.work_row(stub_key or -1)
    assert row is not None and not row.stub and row.cited_by_count == 1 and row.publication_year == 1999


def test_newer_version_replaces_references_and_same_version_changes_nothing(store: Store) -> None:
    write(store, [rec([W(1)]), rec([W(2)]), rec([W(3)], [W(1), W(2)], version="2024-01-01")])
    store.build()
    again = write(store, [rec([W(3)], [W(1), W(2)], version="2024-01-01")])
    assert again.unchanged == 1
    older = write(store, [rec([W(3)], [W(1)], version="2023-01-01")])
    assert older.unchanged == 1
    newer = write(store, [rec([W(3)], [W(2)], version="2025-01-01")])
    assert newer.updated == 1
    store.build()
    w3 = store.resolve(W(3)) or -1
    assert [r.key_id for r in store.references(w3, sort="publication_date:asc", year=None, after=None, limit=10)] == [
        "openalex:W2"]
    assert store.work_row(store.resolve(W(1)) or -1).cited_by_count == 0  # type: ignore[union-attr]


def test_edges_from_two_sources_are_one_edge(store: Store) -> None:
    write(store, [rec([W(1), ("doi", "10.1/a")]), rec([W(2), ("doi", "10.1/b")], [W(1)])])
    write(store, [rec([("doi", "10.1/b")], [("doi", "10.1/a")])], source="crossref")
    store.build()
    assert store.stats()["edges"] == 1
    sources = store.conn.execute("SELECT sources FROM edges").fetchone()[0]
    assert sources == 0b11


def test_file_progress_is_part_of_the_batch(store: Store) -> None:
    store.start_file(FileState(path="/x", size=1, mtime_ns=1, source="openalex", position=0, done=False,
                               loaded=0, rejected=0))
    store.write_batch("openalex", [rec([W(1)])], path="/x", next_position=7, rejected=2, done=False)
    state = store.file_state("/x")
    assert state is not None and state.position == 7 and state.loaded == 1 and state.rejected == 2


@pytest.mark.parametrize(("date", "year", "key", "back"), [
    ("2020-05-17", 2020, 20200517, "2020-05-17"), ("2020-05", 2020, 20200500, "2020-05"),
    ("2020", 2020, 20200000, "2020"), (None, 1999, 19990000, "1999"), (None, None, 0, None)])
def test_pub_key_round_trip(date: str | None, year: int | None, key: int, back: str | None) -> None:
    assert pub_key(date, year) == key
    assert key_date(key) == back


def test_served_works_reads_counts_record_flag_and_recent_years(store: Store) -> None:
    records = [rec([W(1)], date="2001-05-01"), rec([W(2)], [W(1)], date="2021-03-01"),
               rec([W(3)], [W(1)], date="2015-01-01")]
    for r in records:
        r.data = Codec({}).compress(b"{}", 0)
    records[1].client_clean = True
    write(store, records)
    store.build()
    w1, w2 = store.resolve(W(1)) or -1, store.resolve(W(2)) or -1
    served = store.served_works([w1, w2, 10_000], "openalex", (2016, 2030))
    assert set(served) == {w1, w2}  # unknown keys are left out
    assert served[w1].cited_by_count == 2
    assert served[w1].counts_by_year_json == b'[{"year":2021,"cited_by_count":1}]'  # 2015 is before 2016
    assert served[w1].key_id == "openalex:W1" and served[w1].record == b"{}"
    assert not served[w1].record_client_clean and served[w2].record_client_clean
    assert served[w2].referenced_works_count == 1 and served[w2].sources == ["openalex"]
    assert store.served_works([w1], "crossref", (0, 9999))[w1].record is None  # no record from that source
    assert store.served_work_named(W(1), "openalex", (2016, 2030)) == served[w1]  # resolved in the same read
    assert store.served_work_named(W(99), "openalex", (2016, 2030)) is None


def test_a_citer_page_found_with_serve_carries_what_served_works_reads(store: Store) -> None:
    # W1 is cited by W2..W8 (W2, W3 themselves cited), with dates and counts to order by
    records = [rec([W(1)], date="2000-01-01")]
    records += [rec([W(n)], [W(1)], date=f"20{n:02d}-0{n % 9 + 1}-01") for n in range(2, 9)]
    records += [rec([W(100 + i)], [W(2)] + ([W(3)] if i < 2 else []), date="2021-01-01") for i in range(3)]
    for r in records:
        r.data = Codec({}).compress(json.dumps({"id": r.ids[0][1]}).encode(), 0)
    write(store, records)
    store.build()
    serve = ("openalex", (2016, 2030))
    cites = q.Eq(q.CITES, (W(1),))
    orders = [(q.Sort(q.CITED_BY_COUNT, True), q.Sort(q.WORK)),
              (q.Sort(q.PUBLICATION_DATE, True), q.Sort(q.WORK, True)),
              (q.Sort(q.PUBLICATION_DATE, False), q.Sort(q.WORK))]

    def no_text(_text: object) -> dict[int, float]:
        return {}

    for order in orders:
        pages: list[q.Page | q.Cursor] = [q.Page(n, 3) for n in (1, 2, 3, 9)]  # 3 and 9: short and past the end
        for page in pages:
            query = q.Query(where=q.And((cites,)), sort=order, page=page)
            plain, served = store.find(query, no_text), store.find(query, no_text, serve)
            assert (served.count, served.hits) == (plain.count, plain.hits) and plain.count == 7
            keys = [h.key for h in plain.hits]
            assert served.served is not None and {k: served.served[k] for k in keys} == store.served_works(keys, *serve)
            assert (page.number < 4) == bool(keys)
        # a cursor walk: the same works, pages and next positions with serve as without
        after: tuple | None = None
        walked: list[int] = []
        for _ in range(5):  # 7 citers, 3 a page
            query = q.Query(where=q.And((cites,)), sort=order, page=q.Cursor(after, 3))
            plain, served = store.find(query, no_text), store.find(query, no_text, serve)
            assert (served.hits, served.next_after) == (plain.hits, plain.next_after)
            keys = [h.key for h in plain.hits]
            assert served.served is not None and {k: served.served[k] for k in keys} == store.served_works(keys, *serve)
            walked += keys
            after = plain.next_after
            if after is None:
                break
        assert after is None and len(walked) == len(set(walked)) == 7
    unknown = store.find(q.Query(where=q.And((q.Eq(q.CITES, (W(404),)),))), no_text, serve)
    assert (unknown.count, unknown.hits) == (0, [])
    # a cursor whose values are not of its sort keys' kinds (a forged one): a clear refusal on both engines
    for order, after in ((orders[0], ("5", 3)), (orders[1], (20050101, 3)), (orders[1], ("2005-06-01", "3")),
                         (orders[0], (True, 3))):
        with pytest.raises(q.CursorSortError, match="cursor does not fit"):
            store.find(q.Query(where=q.And((cites,)), sort=order, page=q.Cursor(after, 3)), no_text, serve)


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.integers(1990, 2032), st.integers(1, 3), max_size=12), st.integers(1995, 2030))
def test_counts_by_year_json_is_newest_first_within_the_years(new_db: NewDb, counts: dict[int, int],
                                                               last: int) -> None:
    """The database writes the JSON, ordered by its subquery: pin the order, the window and the exact bytes."""
    store = open_store(new_db("by-year"), create=True)
    citers = [rec([W(100 + i)], [W(1)], date=f"{year}-06-01")
              for i, year in enumerate(y for y, n in counts.items() for _ in range(n))]
    records = [rec([W(1)], date="1980-01-01"), *citers]
    for r in records:
        r.data = Codec({}).compress(b"{}", 0)
    write(store, records)
    store.build()
    first = last - 9
    served = store.served_works([store.resolve(W(1)) or -1], "openalex", (first, last))
    expected = [{"year": y, "cited_by_count": counts[y]}
                for y in sorted(counts, reverse=True) if first <= y <= last]
    assert next(iter(served.values())).counts_by_year_json == json.dumps(expected, separators=(",", ":")).encode()
    store.close()


def test_remembered_counts_follow_writes_from_this_and_other_connections(new_db: NewDb) -> None:
    import citegraph
    from citegraph import query as q

    works = Path(__file__).resolve().parents[1] / "data" / "openalex" / "works.jsonl.gz"
    crossref_file = Path(__file__).resolve().parents[1] / "data" / "crossref" / "1item.json.gz"
    db = new_db("remembered")
    everything = q.Query(where=q.And((q.Eq(q.HAS_DOI, (True,)),)), page=q.Page(1, 1))
    with citegraph.open(db, create=True) as graph, citegraph.open(db, create=True) as other:
        graph.load([works], workers=0)
        before = graph.find(everything).count
        assert graph.find(everything).count == before  # (now remembered)
        other.load([crossref_file], workers=0)  # another connection commits one more work with a DOI
        assert graph.find(everything).count == before + 1
        graph.load([crossref_file.with_name("3items.json.gz")], workers=0)  # this connection writes three more
        assert graph.find(everything).count == before + 4


def _cite(citing: int, cited: int, **extra: object) -> AssertedCitation:
    return AssertedCitation(citing=(("omid", f"br/06{citing}"),), cited=(("omid", f"br/06{cited}"),),
                            **extra)  # type: ignore[arg-type]


def test_listed_order_puts_what_s2_listed_first_and_any_offset_matches_a_plain_scan(new_db: NewDb) -> None:
    s = open_store(new_db("listed"), create=True)
    n = 2 * MARK_EVERY + 500
    s.write_citations("opencitations", [_cite(1000 + i, 1) for i in range(n)], path=None, next_position=n,
                      rejected=0, done=True)
    s.build()
    cited = s.resolve(("omid", "br/061")) or -1
    assert s.conn.execute("SELECT count(*) FROM citer_marks WHERE cited = ?", (cited,)).fetchone()[0] == 2
    everyone = [r[0] for r in s.conn.execute("SELECT citing FROM citers WHERE cited = ? ORDER BY neg_cbc, citing",
                                             (cited,))]
    for offset in (0, MARK_EVERY - 1, MARK_EVERY, MARK_EVERY + 1, 2 * MARK_EVERY + 7, n - 3, n + 5):
        assert s.listed(cited, "s2", "citations", offset=offset, limit=10) == everyone[offset:offset + 10]
    # S2 lists three of them, in its own order: those come first, then every other, each once
    listed = [_cite(1000 + i, 1, cited_pos=p, extras=b'{"contexts":["c"]}', is_influential=p == 0)
              for p, i in enumerate((7, 2499, 3))]
    s.write_citations("s2", listed, path=None, next_position=3, rejected=0, done=True)
    s.build()
    first = [s.resolve(("omid", f"br/06{1000 + i}")) for i in (7, 2499, 3)]
    order = s.listed(cited, "s2", "citations", offset=0, limit=n + 10)
    assert order[:3] == first and sorted(order) == sorted(everyone)
    assert s.listed(cited, "s2", "citations", offset=MARK_EVERY + 1, limit=5) == order[MARK_EVERY + 1:MARK_EVERY + 6]
    facts = s.listed_facts([(first[0], cited), (first[1], cited), (everyone[-1], cited)], "s2")
    assert facts[(first[0], cited)][1] == b'{"contexts":["c"]}' and len(facts) == 2
    assert s.influential_counts([cited], "s2") == {cited: 1}
    # a later S2 row without a place (a Datasets line) keeps the place an API page gave
    s.write_citations("s2", [_cite(1007, 1)], path=None, next_position=1, rejected=0, done=True)
    assert s.listed(cited, "s2", "citations", offset=0, limit=3) == first
    s.close()


def test_a_first_load_resolved_at_load_sets_its_self_references_aside(store: Store) -> None:
    """Every reference known when it is written (the works before it): a database server writes the edges whole
    from the stage, and must set the self-reference aside as the row-by-row path does."""
    write(store, [rec([W(1)], date="2001-05-01"), rec([W(2)], [W(1)], date="2005-01-01")])
    write(store, [rec([W(3)], [W(1), W(2)], date="2010-03"), rec([W(4)], [W(1), W(4)], date="2011")])
    in_order = getattr(store, "_staged_in_order", None)
    assert in_order is None or in_order()  # (PostgreSQL's whole-table path is the one under test there)
    res = store.build()
    assert res.self_loops == 1 and res.edges == 4 and res.stubs_created == 0
    assert store.stats()["edges"] == 4
    w4 = store.resolve(W(4))
    assert w4 is not None and store.reference_keys(w4) == [store.resolve(W(1))]
    row = store.work_row(w4)
    assert row is not None and row.referenced_works_count == 1
