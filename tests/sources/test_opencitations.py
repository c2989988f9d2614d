"""OpenCitations Index dumps: the three CSV shapes, bad rows set aside with reasons, zips, and loading as edges."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import citegraph
from citegraph.graph.citations import citation_between
from citegraph.graph.load import load, read_rejects
from citegraph.sources import opencitations as oc
from citegraph.store import SQLiteStore

DATA = Path(__file__).resolve().parents[1] / "data" / "opencitations"
HEADER = "id,citing,cited,creation,timespan,journal_sc,author_sc\n"


def _read(text: str) -> oc.Chunk:
    chunks = list(oc.iter_citations(io.BytesIO(text.encode())))
    out = oc.Chunk()
    for c in chunks:
        out.citations += c.all_citations()
        out.positions += c.all_positions()
        out.rejects += c.rejects
        out.next_position = c.next_position
    return out


@pytest.mark.parametrize(("name", "rows"), [("citations_sample.csv", 10), ("citations_data.csv", 6),
                                            ("croci_citations.csv", 13), ("crossref_citations.csv", 40),
                                            ("noci_citations.csv", 10)])
def test_every_shape_is_read(name: str, rows: int) -> None:
    data = (DATA / name).read_bytes()
    assert oc.sniff(data[:4096])
    got = _read(data.decode())
    assert len(got.citations) == rows and not got.rejects


def test_current_rows_keep_what_opencitations_asserted() -> None:
    first = _read((DATA / "citations_sample.csv").read_text()).citations[0]
    assert first.citing == (("omid", "br/06801597168"),)
    assert first.cited == (("omid", "br/062402843420"),)
    assert (first.oci, first.creation, first.timespan) == ("06801597168-062402843420", "2018-06-29", "P124Y7M")
    assert (first.journal_sc, first.author_sc) == (False, False)


def test_id_lists_and_legacy_dois() -> None:
    got = _read(HEADER + "oci:06101801781-06180334099,omid:br/06101801781 doi:10.7717/PEERJ-CS.421 pmid:33817056,"
                "omid:br/06180334099,2021-03-09,P3Y,yes,no\n")
    (c,) = got.citations
    assert c.citing == (("omid", "br/06101801781"), ("doi", "10.7717/peerj-cs.421"), ("pmid", "33817056"))
    assert (c.journal_sc, c.author_sc) == (True, False)
    coci = _read((DATA / "citations_data.csv").read_text()).citations[0]
    assert coci.citing == (("doi", "10.1038/sj.cdd.4401289"),)
    assert coci.oci is not None and coci.oci.startswith("020")


@pytest.mark.parametrize(("row", "reason"), [
    ("oci:061-062,omid:br/061,omid:br/062,2020\n", "expected 7 columns"),
    ("oci:06101-06201,omid:br/06101,foo:123,2020,P1Y,no,no\n", "no known identifier prefix"),
    ("oci:06101-06201,omid:br/06101,issn:1234-5679,2020,P1Y,no,no\n", "does not identify a work"),
    ("oci:06101-06201,omid:br/06101,,2020,P1Y,no,no\n", "cited: no identifier"),
    ("oci:06x-06201,omid:br/06101,omid:br/06201,2020,P1Y,no,no\n", "oci:"),
    ("oci:06102-06201,omid:br/06101,omid:br/06201,2020,P1Y,no,no\n", "names another citing work"),
    ("oci:06101-06201,omid:br/06101,omid:br/06201,2020-13,P1Y,no,no\n", "creation:"),
    ("oci:06101-06201,omid:br/06101,omid:br/06201,2021-02-30,P1Y,no,no\n", "creation:"),
    ("oci:06101-06201,omid:br/06101,omid:br/06201,2020,1 year,no,no\n", "timespan:"),
    ("oci:06101-06201,omid:br/06101,omid:br/06201,2020,P1Y,maybe,no\n", "journal_sc:"),
    ("oci:06101-06201,omid:br/06101,omid:br/06201,2020,P1Y,no,TRUE\n", "author_sc:"),
])
def test_bad_rows_are_set_aside_with_their_reason(row: str, reason: str) -> None:
    good = "oci:06102-06202,omid:br/06102,omid:br/06202,2020,P1Y,no,no\n"
    got = _read(HEADER + good + row + good.replace("06202", "06203"))
    assert len(got.citations) == 2
    assert [r[0] for r in got.rejects] == [1]
    assert reason in got.rejects[0][1]
    assert sorted(got.positions) == [0, 2]


def test_a_doi_oci_must_name_the_rows_dois() -> None:
    head = '"oci","citing","cited","creation","timespan","journal_sc","author_sc"\n'
    row = ('"02001000002361927283705040000-02001000002361927283705030002","10.1002/jrs.5400","10.1002/jrs.9999",'
           '"2018-06","P0Y6M","yes","yes"\n')
    assert "names another cited work" in _read(head + row).rejects[0][1]


def test_a_file_without_a_header_is_one_reject() -> None:
    got = _read("omid:br/06101,omid:br/06201\n")
    assert not got.citations and "no header" in got.rejects[0][1]
    assert not oc.sniff(b"omid:br/06101,omid:br/06201\n")


def test_a_resumed_read_starts_after_the_position() -> None:
    text = (DATA / "citations_sample.csv").read_text()
    assert [c.oci for c in _read(text).citations[4:]] == [
        c.oci for chunk in oc.iter_citations(io.BytesIO(text.encode()), start=4) for c in chunk.all_citations()]


def _store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "oc.db")


def test_loading_makes_edges_stubs_and_dates(tmp_path: Path) -> None:
    store = _store(tmp_path)
    report = load(store, [DATA / "citations_sample.csv"], workers=0)
    assert report.ok and report.citations == 10
    g = citegraph.Graph(store)
    row = store.work_row(g.resolve("omid:br/06801597168"))
    assert row is not None and row.stub and row.publication_date == "2018-06-29"
    assert g.counts("omid:br/06801597168").referenced_works_count == 3
    assert g.counts("omid:br/062502266813").cited_by_count == 1
    assert store.stats()["edges"] == 10


def test_the_same_edges_loaded_twice_stay_one_edge(tmp_path: Path) -> None:
    store = _store(tmp_path)
    load(store, [DATA / "citations_sample.csv"], workers=0)
    copy = tmp_path / "copy.csv"
    copy.write_bytes((DATA / "citations_sample.csv").read_bytes())
    load(store, [copy], workers=0)
    assert store.stats()["edges"] == 10


def test_an_end_known_by_any_of_its_ids_joins_that_work(tmp_path: Path) -> None:
    store = _store(tmp_path)
    path = tmp_path / "a.csv"
    path.write_text(HEADER + "oci:06101-06201,omid:br/06101 doi:10.1234/a,omid:br/06201,2020,,no,no\n"
                    + "oci:06301-06201,omid:br/06301,omid:br/06201 pmid:42,2020,,no,no\n"
                    + ",doi:10.1234/A,pmid:42,2020,,no,no\n")
    load(store, [path], workers=0)
    g = citegraph.Graph(store)
    assert g.resolve("doi:10.1234/a") == g.resolve("omid:br/06101")
    assert g.resolve("pmid:42") == g.resolve("omid:br/06201")
    assert g.counts("pmid:42").cited_by_count == 2  # the third row is the first one again


def test_self_loops_are_counted_not_served(tmp_path: Path) -> None:
    store = _store(tmp_path)
    path = tmp_path / "loops.csv"
    path.write_text(HEADER + "oci:06101-06101,omid:br/06101,omid:br/06101,2020,P0Y,yes,yes\n"
                    + "oci:06101-06201,omid:br/06101 doi:10.1/x,omid:br/06201 doi:10.1/X,2020,P0Y,yes,yes\n"
                    + "oci:06101-06301,omid:br/06101,omid:br/06301,2020,P0Y,no,no\n")
    report = load(store, [path], workers=0)
    assert report.citation_self_loops == 1 and report.citations == 1  # the second row's ends share a DOI: rejected
    assert report.rejected == 1
    assert store.stats()["self_loops"] == 1
    assert citegraph.Graph(store).counts("omid:br/06101").referenced_works_count == 1


def test_a_zip_of_dumps_is_read_member_by_member(tmp_path: Path) -> None:
    path = tmp_path / "dump.zip"
    sample = (DATA / "citations_sample.csv").read_text().splitlines()
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("part1.csv", "\n".join(sample[:6]))  # no newline at the end: the reader adds one
        z.writestr("part2.csv", "\n".join([sample[0], *sample[6:]]) + "\n")
    store = _store(tmp_path)
    report = load(store, [path], workers=0)
    assert report.ok and report.citations == 10 and report.files[0].source == "opencitations"


def test_bad_rows_are_reported_and_the_rest_loads(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "oci:06101-06201,omid:br/06101,omid:br/06201,2020,P1Y,no,no\n"
                    + "oci:06101-06301,omid:br/06101,omid:br/06301,2020-02-31,P1Y,no,no\n")
    store = _store(tmp_path)
    report = load(store, [path], workers=0, rejects_path=tmp_path / "rejects.jsonl")
    assert report.citations == 1 and report.rejected == 1
    (entry,) = read_rejects(tmp_path / "rejects.jsonl")
    assert entry["position"] == 1 and "creation" in entry["reason"]


def test_an_interrupted_load_resumes_to_the_same_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oc, "CHUNK_ROWS", 100)  # three chunks, as a big file has many: interrupted after the first
    rows = [f"oci:0610{i}-0620{i % 7},omid:br/0610{i},omid:br/0620{i % 7},2020,P1Y,no,no" for i in range(1, 301)]
    path = tmp_path / "many.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    whole = _store(tmp_path / "whole")
    load(whole, [path], workers=0)
    part = _store(tmp_path / "part")
    stream = oc.iter_citations(open(path, "rb"))  # noqa: SIM115
    first = next(stream)
    part.start_file(citegraph.store.base.FileState(path=str(path.resolve()), size=path.stat().st_size,
                                                   mtime_ns=path.stat().st_mtime_ns, source="opencitations",
                                                   position=0, done=False, loaded=0, rejected=0))
    assert first.columns is not None and len(first) == 100  # omid:br/06200 is not canonical: read row by row
    part.write_citations("opencitations", first.citations, columns=first.columns, path=str(path.resolve()),
                         next_position=first.next_position, rejected=0, done=False)
    load(part, [path], workers=0)  # resumes after the first chunk
    q = "SELECT w.key_id, count(*) FROM edges e JOIN works w ON w.id = e.cited GROUP BY 1 ORDER BY 1"
    assert part.conn.execute(q).fetchall() == whole.conn.execute(q).fetchall()
    assert part.conn.execute("SELECT id, key_id FROM works ORDER BY id").fetchall() == whole.conn.execute(
        "SELECT id, key_id FROM works ORDER BY id").fetchall()


def test_blocks_cut_anywhere_read_the_same_rows_at_the_same_positions() -> None:
    rows = [f"oci:0610{i}-0620{i % 7 + 1},omid:br/0610{i},omid:br/0620{i % 7 + 1},2020-0{i % 9 + 1},P1Y,no,no"
            for i in range(1, 40)]
    rows[5] = '"oci:06105-06206","omid:br/06105","omid:br/06206","2020","P1Y","no","no"'  # quoted: row by row
    rows[9] = "oci:06109-06203,omid:br/06109 doi:10.1234/x,omid:br/06203,2020,P1Y,no,no"  # an id list
    rows[12] = "oci:06112-06206,omid:br/06112,omid:br/06206,2020-13,P1Y,no,no"  # a bad date: rejected
    rows[20] = ""  # a blank line is no row, but keeps its place
    text = (HEADER + "\n".join(rows) + "\n").encode()
    whole = list(oc.iter_citations(io.BytesIO(text)))
    assert len(whole) == 1 and whole[0].columns is None  # a quote in the block: read row by row
    expect = sorted(zip(whole[0].all_positions(), whole[0].all_citations(), strict=True))
    assert len(expect) == 37 and [r[0] for r in whole[0].rejects] == [12]
    for block_bytes in (97, 256, 1000):
        chunks = list(oc.iter_citations(io.BytesIO(text), block_bytes=block_bytes))
        assert any(c.columns is not None and len(c.columns) for c in chunks)  # most blocks are read in bulk
        got = sorted((p, c) for ch in chunks for p, c in zip(ch.all_positions(), ch.all_citations(), strict=True))
        assert got == expect
        assert [r[0] for ch in chunks for r in ch.rejects] == [12]
        assert chunks[-1].next_position == 39
        resumed = [(p, c) for ch in oc.iter_citations(io.BytesIO(text), start=17, block_bytes=block_bytes)
                   for p, c in zip(ch.all_positions(), ch.all_citations(), strict=True)]
        assert sorted(resumed) == [e for e in expect if e[0] >= 17]


@pytest.mark.parametrize("values", [
    ["P2Y9M6D", "-P0Y7M0D", "P15Y", "P0Y6M", "", "P4095Y63M127D", "P4096Y", "P1Y64M", "P1Y1M128D", "P01Y",
     "1 year", "P1Y2D", "-P3Y", "P1Y0M", "P0Y0M0D", "P10Y11M30D", "p1y"],
])
def test_timespans_are_packed_in_bulk_as_one_by_one(values: list[str]) -> None:
    import pyarrow as pa

    from citegraph.model import pack_timespan, unpack_timespan
    got = oc.packed_timespans(pa.array(values * 2)).tolist()
    want = [0 if v == "" else -1 if pack_timespan(v) is None else pack_timespan(v) for v in values] * 2
    assert got == want
    assert [unpack_timespan(p) for p in got if p > 0] == [v for v, p in zip(values * 2, got, strict=True) if p > 0]


def test_block_readers_read_zip_members_with_other_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oc, "CHUNK_ROWS", 4)  # many blocks in flight when the other header comes: read again
    path = tmp_path / "dump.zip"
    rows = [f"oci:0610{i}-0620{i % 5 + 1},omid:br/0610{i},omid:br/0620{i % 5 + 1},2020-0{i % 9 + 1},P1Y,no,yes"
            for i in range(1, 31)]
    other = "citing,cited,oci,creation,timespan,journal_sc,author_sc\n" + "".join(
        f"omid:br/0630{i},omid:br/0610{i},oci:0630{i}-0610{i},2021,P0Y,yes,no\n" for i in range(1, 11))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.csv", HEADER + "\n".join(rows[:15]) + "\n")
        z.writestr("b.csv", HEADER + "\n".join(rows[15:]) + "\n")  # the same header again
        z.writestr("c.csv", other)  # columns in another order
    store = _store(tmp_path)
    report = load(store, [path], workers=2, pool_min_bytes=0)  # blocks read by reader threads
    assert report.ok and report.rejected == 0 and report.citations == 40
    g = citegraph.Graph(store)
    assert g.counts("omid:br/06303").referenced_works_count == 1
    c = citation_between(g, g.resolve("omid:br/06303"), g.resolve("omid:br/06103"))
    assert c is not None and (c.oci, c.creation, c.timespan, c.journal_sc, c.author_sc) == (
        "06303-06103", "2021", "P0Y", True, False)
    c = citation_between(g, g.resolve("omid:br/06107"), g.resolve("omid:br/06203"))
    assert c is not None and (c.creation, c.journal_sc, c.author_sc) == ("2020-08", False, True)


def test_a_stub_first_cited_takes_its_citing_date_and_a_later_file_says_it_again(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oc, "CHUNK_ROWS", 1)  # every row its own chunk: the cited stub is staged before it cites
    first = tmp_path / "first.csv"
    first.write_text(HEADER + "oci:06101-06201,omid:br/06101,omid:br/06201,2020-05,P1Y,no,no\n"
                     + "oci:06201-06301,omid:br/06201,omid:br/06301,2019-03-02,P9Y,no,no\n")
    store = _store(tmp_path)
    load(store, [first], workers=0)
    g = citegraph.Graph(store)
    row = store.work_row(g.resolve("omid:br/06201"))
    assert row is not None and row.stub and row.publication_date == "2019-03-02"
    again = tmp_path / "again.csv"
    again.write_text(HEADER + "oci:06201-06301,omid:br/06201,omid:br/06301,2019-03-02,P8Y,yes,no\n")
    load(store, [again], workers=0)
    assert store.stats()["edges"] == 2
    c = citation_between(g, g.resolve("omid:br/06201"), g.resolve("omid:br/06301"))
    assert c is not None and (c.timespan, c.journal_sc) == ("P8Y", True)  # the later file's word
    assert store.conn.execute("SELECT count(*) FROM asserted_runs").fetchone()[0] == 2
    assert store.stats()["pending_citations"] == 0


def test_meta_rows_fill_in_the_stubs_an_index_dump_made(tmp_path: Path) -> None:
    meta = DATA / "articles_sample.csv"
    assert oc.sniff(meta.read_bytes()[:4096]) and oc.file_kind(meta.read_bytes()[:4096]) == "records"
    index = tmp_path / "index.csv"
    index.write_text(HEADER + "oci:0634096228-0634096859,omid:br/0634096228,omid:br/0634096859,2023-03,P0Y3M,no,no\n")
    bad = tmp_path / "meta-bad.csv"
    lines = meta.read_text().splitlines()
    bad.write_text("\n".join([lines[0], "omid:br/0699,too,few,columns", lines[1]]) + "\n")
    store = _store(tmp_path)
    assert load(store, [index], workers=0).ok
    report = load(store, [bad, meta], workers=0, rejects_path=tmp_path / "rejects.jsonl")
    assert report.rejected == 1 and "expected 11 columns" in read_rejects(tmp_path / "rejects.jsonl")[0]["reason"]
    g = citegraph.Graph(store)
    key = g.resolve("doi:10.1016/j.bej.2023.108849")
    assert key == g.resolve("omid:br/0634096228") == g.resolve("openalex:W4319166369")  # the stub, filled in
    work = g.work(key)
    assert not work.stub and work.work is not None
    w = work.work
    assert w.title is not None and w.title.startswith("Fabrication And Characterization")
    assert (w.publication_date, w.type, w.type_source, w.biblio.volume, w.biblio.first_page) == (
        "2023-03", "article", "journal article", "192", "108849")
    assert [(a.family, a.given, [i.value for i in a.ids]) for a in w.authors][1] == (
        "Kadoi", "Kenji", ["ra/06340278659", "0000-0002-9370-6293"])
    assert w.venue is not None and w.venue.name == "Biochemical Engineering Journal"
    assert (w.publisher, w.member) == ("Elsevier Bv", "78")
    assert g.counts(key).referenced_works_count == 1


_OMID_LIKE = st.text(alphabet="omid:br/0123456789x-", max_size=30) | st.builds(
    lambda supplier, sep, number, tail: f"omid:br/06{supplier}{sep}{number}{tail}",
    st.text(alphabet="0123456789", max_size=4), st.sampled_from(["0", "00", ""]),
    st.text(alphabet="0123456789", max_size=16), st.sampled_from(["", "x", " ", "-1"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_OMID_LIKE, max_size=40))
def test_omids_are_read_in_bulk_as_the_row_reader_reads_them(values: list[str]) -> None:
    import pyarrow as pa

    ok, number, digits = oc.omid_numbers(pa.array(values, pa.string()))
    want = [bool(oc._OMID_BR.fullmatch(v)) and len(v) <= len("omid:br/") + oc.OMID_DIGITS_MAX for v in values]
    assert ok.tolist() == want
    assert [n for n, w in zip(number.tolist(), want, strict=True) if w] == [int(v[8:]) for v, w in
                                                                            zip(values, want, strict=True) if w]
    assert [d for d, w in zip(digits.to_pylist(), want, strict=True) if w] == [v[8:].encode() for v, w in
                                                                              zip(values, want, strict=True) if w]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["2020", "2020-02", "2020-02-29", "2021-02-29", "2020-13", "20201", "", "2020-1-01",
                                 "1999-12-31", "0000", "2020-02-30 ", "x"]), max_size=30))
def test_creation_dates_are_packed_in_bulk_as_one_by_one(values: list[str]) -> None:
    import pyarrow as pa

    from citegraph.metrics.timespan import DateError, parse_date
    from citegraph.model import pack_date

    def one(v: str) -> int:
        if not v:
            return 0
        try:
            parse_date(v)
        except DateError:
            return -1
        packed = pack_date(v)
        return -1 if packed is None else packed

    assert oc._CREATION_MEMO.packed(pa.array(values, pa.string())).tolist() == [one(v) for v in values]


@pytest.mark.parametrize(("name", "in_python"), [("citations_sample.csv", False), ("crossref_citations.csv", True)])
def test_blocks_read_row_by_row_send_the_rest_of_the_file_to_processes(name: str, in_python: bool) -> None:
    from citegraph.graph.load import read_in_python

    chunks = list(oc.iter_citations(io.BytesIO((DATA / name).read_bytes())))
    assert [read_in_python(c) for c in chunks] == [in_python]


def test_a_legacy_dump_read_by_processes_loads_as_inline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oc, "CHUNK_ROWS", 5)  # several blocks: the first, read row by row, sends the rest to processes
    edges = []
    for where, pool_min_bytes in (("inline", 1 << 40), ("pool", 0)):
        store = SQLiteStore(tmp_path / f"{where}.db")
        report = load(store, [DATA / "crossref_citations.csv"], workers=2, pool_min_bytes=pool_min_bytes)
        assert report.ok and report.citations == 40
        edges.append(sorted(store.conn.execute(
            "SELECT a.value, b.value FROM edges e JOIN work_ids a ON a.work_id = e.citing AND a.scheme = 'doi'"
            " JOIN work_ids b ON b.work_id = e.cited AND b.scheme = 'doi'").fetchall()))
        store.close()
    assert edges[0] == edges[1] and len(edges[0]) == 40


def test_bad_rows_read_by_reader_threads_are_as_inline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oc, "CHUNK_ROWS", 4)  # several blocks in flight, good and bad rows in each
    rows = []
    for i in range(1, 25):
        cited = f"omid:br/0620{i % 7 + 1}"
        good = (f"2021-0{i % 9 + 1}", "P2Y")
        bad = {3: ("2020-02-31", "P1Y"), 8: ("2020", "1 year"), 13: ("2020", "P1Y")}.get(i, good)
        citing = "omid:br/0610" + ("x" if i == 13 else str(i))
        rows.append(f"oci:0610{i}-0620{i % 7 + 1},{citing},{cited},{bad[0]},{bad[1]},no,yes")
    path = tmp_path / "mixed.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    got = []
    for where, pool_min_bytes in (("inline", 1 << 40), ("readers", 0)):
        report = load(SQLiteStore(tmp_path / f"{where}.db"), [path], workers=2, pool_min_bytes=pool_min_bytes,
                      rejects_path=tmp_path / f"{where}.jsonl")
        rejects = sorted((e["position"], e["reason"]) for e in read_rejects(tmp_path / f"{where}.jsonl"))
        got.append((report.citations, report.rejected, rejects))
    assert got[0] == got[1] and got[0][1] == 3 and got[0][0] == 21
