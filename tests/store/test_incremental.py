"""A build after a small load updates the derived tables of the works it touched, and ends exactly where a full
rebuild would: the same counts, citation index, marks and counts by year, on both engines."""

from __future__ import annotations

import datetime
import gzip
import json
from pathlib import Path

import pytest
from tests.conftest import NewDb

import citegraph
from citegraph.model import counts_by_year_span
from citegraph.store import sqlite as sqlite_store

DATA = Path(__file__).resolve().parents[1] / "data"
OPENALEX = DATA / "openalex" / "works.jsonl.gz"


def _derived(g: citegraph.Graph) -> dict[str, list[tuple]]:
    conn = g.store.conn
    return {
        "counts": [tuple(r) for r in conn.execute(
            "SELECT id, cited_by_count, referenced_works_count FROM works ORDER BY id").fetchall()],
        "citers": [tuple(r) for r in conn.execute(
            "SELECT cited, neg_cbc, citing, pub_key FROM citers ORDER BY cited, neg_cbc, citing").fetchall()],
        "marks": [tuple(r) for r in conn.execute("SELECT * FROM citer_marks ORDER BY cited, rank").fetchall()],
        "by_year": [tuple(r) for r in conn.execute(
            "SELECT work_id, year, n FROM counts_by_year ORDER BY work_id, year").fetchall()],
        "served_years": [tuple(r) for r in conn.execute("SELECT * FROM served_years ORDER BY work_id").fetchall()],
        "refs_beyond": [tuple(r) for r in conn.execute("SELECT * FROM refs_beyond ORDER BY work_id").fetchall()],
    }


def _served_as_read_live(g: citegraph.Graph) -> tuple[int, int]:
    """Asserts that what serving reads from the build's tables (counts by year, citations beyond a record) is what it
    reads live without them, for every work and source; returns how many works have each (so the check has data)."""
    store = g.store
    keys = [r[0] for r in store.conn.execute("SELECT id FROM works ORDER BY id").fetchall()]
    span = counts_by_year_span(datetime.date.today().year)
    saved = {key: store.meta(key) for key in (sqlite_store.SERVED_YEARS_META, sqlite_store.REFS_BEYOND_META)}
    assert None not in saved.values()
    years = beyond = 0
    for source in ("openalex", "crossref"):
        built = store.served_works(keys, source, span)
        for key in saved:
            store.conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        live = store.served_works(keys, source, span)
        for key, value in saved.items():
            store.set_meta(key, str(value))
        assert {k: (w.counts_by_year_json, w.refs_beyond_record) for k, w in built.items()} == {
            k: (w.counts_by_year_json, w.refs_beyond_record) for k, w in live.items()}
        years += sum(w.counts_by_year_json != b"[]" for w in built.values())
        beyond += sum(w.refs_beyond_record for w in built.values())
    return years, beyond


def _rebuilt(g: citegraph.Graph) -> dict[str, list[tuple]]:
    """The derived tables as a full rebuild writes them (the same database, every derived row written again)."""
    g.store.set_meta("touched_all", "1")
    g.store.set_meta("dirty", "1")
    assert not g.store.build().incremental
    return _derived(g)


def _newer_openalex(tmp_path: Path) -> Path:
    """Two real OpenAlex records in newer versions: one drops two references and cites two works it did not (one
    loaded, one nobody loaded: a new stub); the most-cited work now cites one more, so its citers move in lists."""
    lines = [json.loads(x) for x in gzip.decompress(OPENALEX.read_bytes()).splitlines() if x.strip()]
    with_refs = [r for r in lines if len(r.get("referenced_works") or []) > 5]
    first = with_refs[0]
    first["updated_date"] = "2030-01-01T00:00:00"
    first["referenced_works"] = first["referenced_works"][2:] + [lines[-1]["id"], "https://openalex.org/W1999999999"]
    first["publication_date"], first["publication_year"] = "2015-06-01", 2015  # its citers' counts by year move
    second = max(with_refs[1:], key=lambda r: r.get("cited_by_count") or 0)
    second["updated_date"] = "2030-01-01T00:00:00"
    second["referenced_works"] = second["referenced_works"] + [lines[3]["id"]]
    out = tmp_path / "newer.jsonl"
    out.write_text("\n".join(json.dumps(r) for r in (first, second)) + "\n")
    return out


def test_small_loads_update_the_derived_tables_as_a_rebuild_would(new_db: NewDb, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # the Crossref file adds 417 works to ~5,900: "small" here, as a few thousand records are to a million
    monkeypatch.setattr(sqlite_store, "INCREMENTAL_MAX_SHARE", 0.1)
    db = new_db("incremental")
    with citegraph.open(db, create=True) as g:
        assert not g.load([OPENALEX], workers=0).build_incremental  # a first load builds everything
        steps = [
            ([_newer_openalex(tmp_path)], 2),  # newer versions: references replaced, a date moved
            ([DATA / "crossref" / "works.jsonl.gz"], 417),  # another source: merges, new works and edges
            ([DATA / "opencitations" / "crossref_citations.csv"], None),  # citation rows between DOIs
        ]
        seen_beyond = False
        for paths, loaded in steps:
            report = g.load(paths, workers=0)
            assert report.build_incremental
            if loaded is not None:
                assert report.loaded == loaded
            assert g.store.metrics_current()  # the metrics' self-checks passed on the updated tables
            updated = _derived(g)
            assert updated == _rebuilt(g)
            with_years, beyond = _served_as_read_live(g)
            assert with_years > 100
            seen_beyond = seen_beyond or beyond > 0
        assert seen_beyond  # Crossref's references of works OpenAlex also lists, and OpenCitations' citations
        assert g.store.conn.execute("SELECT count(*) FROM touched").fetchone()[0] == 0


def test_counts_by_year_built_for_another_year_are_read_live_and_written_whole_again(
        new_db: NewDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The served counts by year are the last ten years': once the year turns, the build's JSON is for other years,
    so serving reads live until the next build, which writes every work's again (not only the touched ones')."""
    monkeypatch.setattr(sqlite_store, "INCREMENTAL_MAX_SHARE", 0.1)
    with citegraph.open(new_db("rollover"), create=True) as g:
        g.load([OPENALEX], workers=0)
        built = _derived(g)["served_years"]
        g.store.set_meta(sqlite_store.SERVED_YEARS_META, "1990-1999")  # as a build of 1999 left it
        g.store.conn.execute("UPDATE served_years SET json = '[{\"year\":1999,\"cited_by_count\":1}]'")
        keys = [r[0] for r in g.store.conn.execute("SELECT work_id FROM served_years").fetchall()]
        span = counts_by_year_span(datetime.date.today().year)
        served = g.store.served_works(keys, "openalex", span)
        assert len(served) > 100 and not any(b"1999" in w.counts_by_year_json for w in served.values())
        with_years, _beyond = _served_as_read_live(g)  # not that stale JSON: the live read
        assert with_years > 100
        assert g.load([_newer_openalex(tmp_path)], workers=0).build_incremental
        assert g.store.meta(sqlite_store.SERVED_YEARS_META) == f"{span[0]}-{span[1]}"
        rewritten = dict(_derived(g)["served_years"])
        assert len(rewritten) > 100 and "1999" not in "".join(rewritten.values())
        assert _derived(g) == _rebuilt(g) and len(built) > 100
