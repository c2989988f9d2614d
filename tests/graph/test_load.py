"""The load pipeline and the Graph facade on the real OpenAlex fixtures, real SQLite files, real processes."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import NewDb

import citegraph
from citegraph.cli import main as cli_main
from citegraph.graph import CursorError, UnknownWorkError
from citegraph.ids import IdError
from citegraph.store.postgres import PGConnection

DATA = Path(__file__).resolve().parents[1] / "data" / "openalex"
WORKS = DATA / "works.jsonl.gz"


def real_works() -> list[dict]:
    with gzip.open(WORKS, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def graph(new_db: NewDb) -> Iterator[citegraph.Graph]:
    db = new_db("load")
    g = citegraph.open(db, create=True)
    report = g.load([WORKS], workers=0)
    assert report.ok and report.loaded == 369
    yield g
    g.close()


def short(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def test_every_work_is_found_by_every_id_it_carries(graph: citegraph.Graph) -> None:
    works = real_works()
    conflicts = {(c["scheme"], c["value"]) for c in graph.store.conflicts()}
    for rec in works:
        key = graph.resolve(rec["id"])
        assert graph.resolve(short(rec["id"])) == key
        assert graph.resolve(short(rec["id"]).lower()) == key  # lowercase w
        ids = rec.get("ids") or {}
        for form in filter(None, [rec.get("doi"), ids.get("doi")]):
            doi = form.removeprefix("https://doi.org/")
            if ("doi", doi.lower()) in conflicts:
                continue  # two OpenAlex works share this DOI: it names the first, recorded as a conflict
            assert graph.resolve(form) == key
            assert graph.resolve("doi:" + doi.upper()) == key
        if ids.get("pmid"):
            assert graph.resolve("pmid:" + short(ids["pmid"])) == key
        if ids.get("mag"):
            assert graph.resolve(f"mag:{ids['mag']}") == key
        gw = graph.work(rec["id"])
        assert gw.work is not None and gw.work.title == rec.get("title")
        assert not gw.stub and gw.sources == ["openalex"]


def test_edges_match_referenced_works(graph: citegraph.Graph) -> None:
    for rec in real_works():
        refs = {short(r) for r in rec.get("referenced_works") or [] if r}
        refs.discard(short(rec["id"]))
        key = graph.resolve(rec["id"])
        got = set(graph.ids_of(graph.reference_keys(key), "openalex").values())
        assert got == refs, rec["id"]
        assert graph.work(key).referenced_works_count == len(refs)


def test_snowball_cluster_citers_are_the_recorded_five(graph: citegraph.Graph) -> None:
    expected = json.loads((DATA / "snowball_expected.json").read_text())
    answer = next(a for a in expected["answers"] if "cites" in a["request"] and a["meta"]["per_page"] == 200)
    recorded = {short(i) for i in answer["ids"]}
    assert len(recorded) == 5
    page = graph.citations("W3046863325", limit=100)
    assert page.total == 5 and page.next_cursor is None
    assert {it.id.removeprefix("openalex:") for it in page.items if it.id} == recorded
    assert graph.work("W3046863325").cited_by_count == 5
    assert graph.counts("W3046863325").upstream["openalex"].cited_by_count == 5


def test_citation_pages_follow_cursors_to_the_end(graph: citegraph.Graph) -> None:
    most = max(real_works(), key=lambda r: len(r.get("referenced_works") or []))
    key = graph.resolve(most["id"])
    seen: list[int] = []
    cursor = None
    while True:
        page = graph.references(key, limit=7, cursor=cursor)
        seen += [it.key for it in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == graph.work(key).referenced_works_count
    counts = [graph.store.work_row(k).cited_by_count for k in seen]  # type: ignore[union-attr]
    assert counts == sorted(counts, reverse=True)
    with pytest.raises(CursorError):
        graph.references(key, limit=7, cursor="garbage!")
    first = graph.references(key, limit=7)
    with pytest.raises(CursorError):  # a cursor of another list
        graph.citations(key, limit=7, cursor=first.next_cursor)


def test_unknown_and_malformed_ids(graph: citegraph.Graph) -> None:
    with pytest.raises(UnknownWorkError):
        graph.work("W1")
    with pytest.raises(IdError):
        graph.work("not an id")


def test_all_input_layouts_load(tmp_path: Path) -> None:
    g = citegraph.open(tmp_path / "g.db", create=True)
    report = g.load([DATA / "snapshot" / "data" / "works", DATA / "W2741809807.json", DATA / "results_page_1.json",
                     DATA / "snapshot_works_part_test.jsonl.gz"], workers=0)
    assert report.ok, report.as_dict()
    snapshot_files = [f for f in report.files if "updated_date=" in f.path]
    assert len(snapshot_files) == 2  # chosen by the manifest
    assert g.work("W2741809807").work is not None
    assert g.stats()["works"] == report.inserted + report.merged
    again = g.load([DATA / "snapshot" / "data" / "works"], workers=0)
    assert all(f.status == "skipped" for f in again.files)
    g.close()


def test_bad_input_is_counted_reported_and_the_rest_loads(tmp_path: Path) -> None:
    good = [line for line in gzip.decompress(WORKS.read_bytes()).splitlines() if line.strip()][:40]
    folder = tmp_path / "in"
    folder.mkdir()
    bad_lines = [b"{not json", b"[]", b'{"title": "no id"}', b'{"id": "https://openalex.org/X12"}',
                 b'{"id": null}', b'{"id": "https://openalex.org/W3046863325", "doi": "nonsense", "title": 5']
    (folder / "mixed.jsonl").write_bytes(b"\n".join(good[:20] + bad_lines + good[20:30]) + b"\n")
    whole = gzip.compress(b"\n".join(good[30:40]) + b"\n")
    (folder / "truncated.jsonl.gz").write_bytes(whole[: len(whole) * 2 // 3])
    (folder / "notes.txt").write_text("this is not data\n")
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    db = tmp_path / "g.db"
    rejects = tmp_path / "rejects.jsonl"
    status = cli_main(["load", str(folder), "--db", str(db), "--rejects", str(rejects), "--json", "--workers", "0"])
    assert status == 3  # finished, with rejects
    entries = [json.loads(line) for line in rejects.read_text().splitlines()]
    reasons = " | ".join(e["reason"] for e in entries)
    assert sum(1 for e in entries if e["path"].endswith("mixed.jsonl")) == len(bad_lines)
    assert any(e["path"].endswith("truncated.jsonl.gz") and "damaged" in e["reason"] for e in entries)
    assert any(e["path"].endswith("notes.txt") for e in entries) and any(e["path"].endswith("image.png")
                                                                          for e in entries)
    assert "JSON" in reasons or "json" in reasons
    with citegraph.open(db) as g:
        works = g.stats()["works"]
        assert 30 <= works < 40  # the good lines of mixed.jsonl, and whatever the truncated file gave before it broke
        assert g.work("W3046863325") is not None if any(b"W3046863325" in x for x in good[:30]) else True
    # re-running changes nothing and still reports the damage that is there
    status = cli_main(["load", str(folder), "--db", str(db), "--rejects", str(rejects), "--workers", "0"])
    with citegraph.open(db) as g:
        assert g.stats()["works"] == works


def test_implausible_fields_are_left_out_and_reported(tmp_path: Path) -> None:
    lines = [line for line in gzip.decompress(WORKS.read_bytes()).splitlines() if line.strip()]
    record = json.loads(lines[0])
    record["publication_year"], record["publication_date"] = 2999, "2999-01-01"
    record["cited_by_count"] = -5
    record["counts_by_year"] = [{"year": 2020, "cited_by_count": -1}, {"year": 2021, "cited_by_count": 2}]
    record["referenced_works"] = [*record.get("referenced_works", []), record["id"]]  # a reference to itself
    path = tmp_path / "odd.jsonl"
    path.write_text(json.dumps(record) + "\n")
    rejects = tmp_path / "rejects.jsonl"
    db = tmp_path / "g.db"
    with citegraph.open(db, create=True) as g:
        report = g.load([path], workers=0, rejects_path=rejects)
        assert report.loaded == 1 and report.rejected == 0 and report.issues == 4
        work = g.work(record["id"])
        assert g.store.work_row(work.key).publication_year is None  # type: ignore[union-attr]
        canonical = work.work
        assert canonical is not None and canonical.publication_year is None and canonical.publication_date is None
        upstream = g.counts(work.key).upstream["openalex"]
        assert upstream.cited_by_count is None and upstream.counts_by_year == {2021: 2}
        assert work.key not in g.reference_keys(work.key)
    entries = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert {e["kind"] for e in entries} == {"issue"} and {e["record"] for e in entries} == {
        "openalex:" + record["id"].rsplit("/", 1)[1]}
    reasons = " | ".join(e["reason"] for e in entries)
    for said in ("publication date 2999-01-01 is in the future", "negative cited_by_count -5",
                 "negative counts by year {2020: -1}", "1 references to the work itself"):
        assert said in reasons


def test_worker_pool_gives_the_same_database(tmp_path: Path) -> None:
    inline = citegraph.open(tmp_path / "a.db", create=True)
    inline.load([WORKS], workers=0)
    pooled = citegraph.open(tmp_path / "b.db", create=True)
    pooled.load([WORKS], workers=2, pool_min_bytes=0, batch_records=50)
    assert dump(inline.store.conn) == dump(pooled.store.conn)
    inline.close()
    pooled.close()


def dump(conn: sqlite3.Connection | PGConnection) -> dict[str, object]:
    """The logical content of a database: what an interrupted and an uninterrupted load must agree on (facets by
    their field and value: PostgreSQL's numbering skips the numbers a rolled-back transaction took)."""
    out: dict[str, object] = {}
    for table, order in [("works", "id"), ("work_ids", "scheme, value"), ("edges", "citing, cited"),
                         ("citers", "cited, neg_cbc, citing"), ("counts_by_year", "work_id, year"),
                         ("self_loops", "work_id"), ("names", "scheme, value"),
                         ("stage", "citing, source"), ("asserted", "citing, cited, source")]:
        out[table] = conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    out["facets"] = conn.execute("SELECT v.field, v.value, f.work_id FROM facets f JOIN facet_values v"
                                 " ON v.id = f.value_id ORDER BY 1, 2, 3").fetchall()
    out["records"] = [(k, v, hashlib.sha256(zlibless(conn, k)).hexdigest(), d, s, f, sp)
                      for k, v, d, s, f, sp in conn.execute(
                          "SELECT key, version, duplicate_refs, self_refs, flags, spans FROM records ORDER BY key")]
    out["conflicts"] = conn.execute("SELECT source, record_id, scheme, value, kept_work, other_work, rule"
                                    " FROM conflicts ORDER BY source, record_id, scheme, value").fetchall()
    out["files"] = conn.execute("SELECT path, position, done, loaded, rejected FROM load_files ORDER BY path"
                                ).fetchall()
    return out


def zlibless(conn: sqlite3.Connection | PGConnection, key: int) -> bytes:
    from citegraph.store.codec import Codec

    dicts = dict(conn.execute("SELECT id, data FROM dictionaries").fetchall())
    dict_id, data = conn.execute("SELECT dict_id, data FROM records WHERE key=?", (key,)).fetchone()
    return Codec(dicts).decompress(data, dict_id)


# Runs the real CLI in a child process that SIGKILLs itself ``argv[1]`` seconds after its imports (0: never) and
# reports how long the load itself took, so kill points scale with the machine's speed, not its start-up time.
_KILLED_CLI = """
import os, signal, sys, threading, time
from citegraph.cli import main
delay = float(sys.argv[1])
if delay > 0:
    threading.Timer(delay, os.kill, (os.getpid(), signal.SIGKILL)).start()
began = time.monotonic()
code = main(sys.argv[2:])
sys.stderr.write(f"\\nload-seconds {time.monotonic() - began}\\n")
sys.exit(code)
"""

# Kill points as fractions of one clean load: early ones always land; later ones land while reruns still have work.
KILL_FRACTIONS = (0.05, 0.12, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _sigkill_then_rerun(new_db: NewDb, inputs: Path, clean_code: int) -> None:
    """Load ``inputs`` once cleanly with the real CLI; then kill a load of them at points spread over that load's
    duration, again and again, and let the last run finish: both databases must be the same. (On PostgreSQL the
    kill is also a connection lost mid-load.)"""
    args = ["load", str(inputs), "--workers", "0", "--batch-records", "5", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    clean = new_db("clean")
    done = subprocess.run([sys.executable, "-c", _KILLED_CLI, "0", *args, "--db", str(clean)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == clean_code, done.stderr
    load_seconds = float(done.stderr.rsplit("load-seconds ", 1)[1])
    killed_db = new_db("killed")
    kills = 0
    for fraction in KILL_FRACTIONS:
        run = subprocess.run([sys.executable, "-c", _KILLED_CLI, str(fraction * load_seconds), *args,
                              "--db", str(killed_db)], env=env, capture_output=True, timeout=120)
        kills += run.returncode == -signal.SIGKILL
    final = subprocess.run([sys.executable, "-c", _KILLED_CLI, "0", *args, "--db", str(killed_db)], env=env,
                           capture_output=True, timeout=120)
    assert final.returncode in (0, 3), final.stderr
    assert kills >= 3  # the test really interrupted loads
    with citegraph.open(clean, readonly=True) as a, citegraph.open(killed_db, readonly=True) as b:
        left, right = dump(a.store.conn), dump(b.store.conn)  # type: ignore[attr-defined]
        left["files"] = [f[1:] for f in left["files"]]  # type: ignore[index]
        right["files"] = [f[1:] for f in right["files"]]  # type: ignore[index]
        assert left == right


def test_sigkill_at_any_point_then_rerun_gives_the_same_database(tmp_path: Path, new_db: NewDb) -> None:
    """Kill the real CLI process mid-load, again and again, then let it finish: same database as one clean run."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(WORKS, inputs / "a.jsonl.gz")
    lines = gzip.decompress(WORKS.read_bytes()).splitlines()
    (inputs / "b.jsonl").write_bytes(b"\n".join(reversed(lines[:200])) + b"\n{broken\n")
    _sigkill_then_rerun(new_db, inputs, clean_code=3)


def test_s2_load_killed_at_any_point_then_rerun_gives_the_same_database(tmp_path: Path, new_db: NewDb) -> None:
    """The same for Semantic Scholar answers, whose records merge into what is stored and whose pages write
    records and citations in two steps."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("Paper.json.gz", "datasets_papers.jsonl", "datasets_abstracts.jsonl", "datasets_citations.jsonl",
                 "citations_CorpusID_14514057.jsonl", "search_turing.json"):
        shutil.copy(S2_DATA / name, inputs / name)
    entry = (S2_DATA / "Citation.json").read_text()
    (inputs / "page.json").write_text('{"paper": "CorpusID:14636783", "data": [' + entry + "]}")
    _sigkill_then_rerun(new_db, inputs, clean_code=3)


def test_progress_reports_bytes_read_within_a_file(tmp_path: Path) -> None:
    seen: list[citegraph.graph.Progress] = []
    with citegraph.open(tmp_path / "g.db", create=True) as g:
        g.load([WORKS], workers=0, batch_records=50, progress=seen.append)
    done = [p.bytes_done for p in seen]
    assert len(seen) >= 7 and done == sorted(done)
    assert 0 < done[0] < done[-1] <= seen[-1].bytes_total == WORKS.stat().st_size  # moves inside the one file
    assert seen[-1].records == 369


# --- Semantic Scholar: answers are partial views of one paper ---------------------------------------------------
S2_DATA = Path(__file__).resolve().parents[1] / "data" / "semanticscholar"
TURING_SHA = "2d5673caa9e6af3a7b82a43f19ee920992db07ad"


def _s2_record(g: citegraph.Graph, paper: str) -> dict:
    raw = g.record(paper, "s2")
    assert raw is not None
    return json.loads(raw)


@pytest.mark.parametrize("order", [("abstracts", "papers"), ("papers", "abstracts")])
def test_s2_views_of_one_paper_merge_in_any_order(tmp_path: Path, order: tuple[str, str]) -> None:
    with citegraph.open(tmp_path / "g.db", create=True) as g:
        for name in order:
            g.load([S2_DATA / f"datasets_{name}.jsonl"], workers=0)
        turing = _s2_record(g, "CorpusId:14636783")
        assert turing["paperId"] == TURING_SHA and turing["authors"] == [{"authorId": "2262347", "name": "A. Turing"}]
        assert turing["abstract"].startswith("I propose to consider the question")  # from the abstracts line
        assert g.work(TURING_SHA).key == g.resolve("CorpusId:14636783")  # one work, not two


def test_s2_narrower_answer_keeps_what_a_wider_one_said(tmp_path: Path) -> None:
    narrow = tmp_path / "title_only.json"  # what fields=title answers for the Turing paper
    narrow.write_text(json.dumps({"paperId": TURING_SHA, "title": "Computing Machinery and Intelligence"}))
    with citegraph.open(tmp_path / "g.db", create=True) as g:
        g.load([S2_DATA / "Paper.json.gz"], workers=0)
        wide = _s2_record(g, TURING_SHA)
        before = {k: v for k, v in g.stats().items() if k != "bytes"}
        report = g.load([narrow], workers=0)
        assert report.loaded == 1 and _s2_record(g, TURING_SHA) == wide
        copy = tmp_path / "again.json.gz"
        shutil.copy(S2_DATA / "Paper.json.gz", copy)
        g.load([copy], workers=0)  # the same answer again, from another file: nothing changes
        assert {k: v for k, v in g.stats().items() if k != "bytes"} == before
        assert _s2_record(g, TURING_SHA) == wide


def test_s2_embedded_papers_are_records_of_their_own(tmp_path: Path) -> None:
    paper = json.loads(gzip.decompress((S2_DATA / "Paper.json.gz").read_bytes()))
    citing = next(c for c in paper["citations"] if c.get("year") and c.get("authors"))
    with citegraph.open(tmp_path / "g.db", create=True) as g:
        report = g.load([S2_DATA / "Paper.json.gz"], workers=0)
        assert report.loaded == 1 + 1008  # the paper, its 1,000 citing papers and 8 linked references
        stored = _s2_record(g, citing["paperId"])
        assert stored["year"] == citing["year"] and stored["authors"] == citing["authors"]
        assert "citations" not in stored and "references" not in stored
        assert g.counts(TURING_SHA).cited_by_count == 1000


def test_s2_paper_joins_the_work_another_source_knows_by_doi(tmp_path: Path) -> None:
    s2 = tmp_path / "s2.json"  # made here: an S2 answer naming the OpenAlex fixture's DOI (sha invented)
    s2.write_text(json.dumps({"paperId": "ab" * 20, "externalIds": {"DOI": "10.7717/PEERJ.4375", "CorpusId": 1},
                              "corpusId": 1, "title": "The state of OA", "year": 2018}))
    with citegraph.open(tmp_path / "g.db", create=True) as g:
        g.load([DATA / "W2741809807.json"], workers=0)
        report = g.load([s2], workers=0)
        assert report.merged == 1
        work = g.work("ab" * 20)
        assert work.key == g.resolve("https://doi.org/10.7717/peerj.4375") == g.resolve("W2741809807")
        assert set(work.sources) == {"openalex", "s2"}
        assert {("corpusid", "1"), ("s2", "ab" * 20), ("openalex", "W2741809807")} <= {(i.scheme, i.value)
                                                                                      for i in work.ids}


def test_s2_page_entries_give_their_papers_whole(tmp_path: Path) -> None:
    entry = json.loads((S2_DATA / "Citation.json").read_text())  # a real citation entry with a rich citingPaper
    page = tmp_path / "page.json"  # the page a client would save, named by our "paper" key
    page.write_text(json.dumps({"paper": "CorpusID:14636783", "offset": 0, "data": [entry]}))
    with citegraph.open(tmp_path / "g.db", create=True) as g:
        report = g.load([page], workers=0)
        assert report.citations == 1
        citing = entry["citingPaper"]
        stored = _s2_record(g, citing["paperId"])
        assert stored["year"] == citing["year"] and stored["authors"] == citing["authors"]
        assert g.counts("CorpusId:14636783").cited_by_count == 1
        hits = g.find(citegraph.query.Query(text=citegraph.query.parse_search(citing["title"]),
                                            page=citegraph.query.Page(1, 5))).hits
        assert g.resolve(f"s2:{citing['paperId']}") in [h.key for h in hits]  # and it is searchable


def test_s2_worker_pool_gives_the_same_database(tmp_path: Path) -> None:
    files = [S2_DATA / n for n in ("Paper.json.gz", "datasets_papers.jsonl", "datasets_abstracts.jsonl",
                                   "search_turing.json", "citations_CorpusID_14514057.jsonl")]
    inline = citegraph.open(tmp_path / "a.db", create=True)
    inline.load(files, workers=0)
    pooled = citegraph.open(tmp_path / "b.db", create=True)
    pooled.load(files, workers=2, pool_min_bytes=0, batch_records=50)
    assert dump(inline.store.conn) == dump(pooled.store.conn)
    inline.close()
    pooled.close()


def test_lean_canonical_works_keep_the_fields_they_promise(tmp_path: Path) -> None:
    from citegraph.sources import openalex

    with citegraph.open(tmp_path / "g.db", create=True) as g:
        g.load([WORKS], workers=0)
        keys = [r[0] for r in g.store.conn.execute("SELECT id FROM works WHERE stub = 0")]  # type: ignore[attr-defined]
        full = g.canonical_works(keys)
        lean = g.canonical_works(keys, {"authors", "venue", "is_oa", "type", "concepts"})
        assert len(full) == len(lean) == 369
        for key in keys:
            a, b = full[key], lean[key]
            assert [(x.name, x.ids) for x in a.authors] == [(x.name, x.ids) for x in b.authors]
            assert (a.venue, a.is_oa, a.type) == (b.venue, b.is_oa, b.type)
            assert [(c.name, c.id, c.field) for c in a.concepts if c.kind != "mesh"] == [
                (c.name, c.id, c.field) for c in b.concepts]
            assert b.abstract is None  # (the lean way leaves it out; asking for it maps the full way)
        assert g.canonical_works(keys[:5], {"abstract"}) == {k: full[k] for k in keys[:5]}
        assert {"authors", "venue", "is_oa", "type", "concepts"} <= openalex.LEAN_FIELDS


def test_an_arxiv_id_and_its_datacite_doi_are_one_work(tmp_path: Path) -> None:
    # made here: an OpenCitations row citing an arXiv paper by its DataCite DOI, and an S2 answer naming that paper
    # by its arXiv id only (sha invented)
    index = tmp_path / "index.csv"
    index.write_text("oci,citing,cited,creation,timespan,journal_sc,author_sc\n"
                     ",omid:br/06101 doi:10.1000/citing,doi:10.48550/arXiv.2304.03271,2024,,no,no\n")
    s2 = tmp_path / "s2.json"
    s2.write_text(json.dumps({"paperId": "cd" * 20, "externalIds": {"ArXiv": "2304.03271"}, "title": "A preprint"}))
    with citegraph.open(tmp_path / "g.db", create=True) as g:
        g.load([index], workers=0)
        stub = g.work("doi:10.48550/arxiv.2304.03271")
        assert stub.stub and stub.cited_by_count == 1
        g.load([s2], workers=0)
        work = g.work("cd" * 20)
        assert work.key == stub.key == g.resolve("arxiv:2304.03271")
        assert work.cited_by_count == 1 and not work.stub


def test_equivalent_ids_go_both_ways() -> None:
    from citegraph import ids

    assert ids.equivalent_ids(("arxiv", "2007.14454")) == (("doi", "10.48550/arxiv.2007.14454"),)
    assert ids.equivalent_ids(("doi", "10.48550/arxiv.2007.14454")) == (("arxiv", "2007.14454"),)
    assert ids.equivalent_ids(("arxiv", "hep-th/9901001")) == (("doi", "10.48550/arxiv.hep-th/9901001"),)
    assert ids.equivalent_ids(("doi", "10.1145/3383583.3398584")) == ()
    assert ids.equivalent_ids(("doi", "10.48550/arxiv.not-an-id")) == ()


def test_an_unusable_id_a_record_gives_twice_is_reported_once(tmp_path: Path) -> None:
    crossref = Path(__file__).resolve().parents[1] / "data" / "crossref" / "crossref-2025.jsonl.gz"
    record = json.loads(gzip.decompress(crossref.read_bytes()).splitlines()[0])
    record["ISSN"] = ["1234-5678"]  # a wrong check digit, said again in issn-type as Crossref does
    record["issn-type"] = [{"type": "print", "value": "1234-5678"}]
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(record) + "\n")
    rejects = tmp_path / "rejects.jsonl"
    with citegraph.open(tmp_path / "g.db", create=True) as g:
        report = g.load([path], workers=0, rejects_path=rejects)
    entries = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert report.loaded == 1
    assert [e["reason"] for e in entries if "1234-5678" in e["reason"]] == ["unusable ISSN '1234-5678'"]
    assert report.issues == len(entries)
