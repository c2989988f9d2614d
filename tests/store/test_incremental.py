"""A build after a small load updates the derived tables of the works it touched, and ends exactly where a full
rebuild would: the same counts, citation index, marks and counts by year, on both engines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from tests.conftest import NewDb

import citegraph
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
    }


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
        for paths, loaded in steps:
            report = g.load(paths, workers=0)
            assert report.build_incremental
            if loaded is not None:
                assert report.loaded == loaded
            assert g.store.metrics_current()  # the metrics' self-checks passed on the updated tables
            updated = _derived(g)
            assert updated == _rebuilt(g)
        assert g.store.conn.execute("SELECT count(*) FROM touched").fetchone()[0] == 0
