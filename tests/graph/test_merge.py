"""Merging across sources you can audit: the same work row and facets whatever order the sources come in, one
precedence table for every field, and a newer version of one source's record replacing only what that source gave."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from tests.conftest import NewDb

import citegraph
from citegraph.model import FIELD_PRECEDENCE

DATA = Path(__file__).resolve().parents[1] / "data"
OPENALEX = DATA / "openalex" / "works.jsonl.gz"
CROSSREF = DATA / "crossref" / "works.jsonl.gz"
#: A work both fixtures hold (OpenAlex W2741809807 is Crossref's 10.7717/peerj.4375); the two disagree on its type,
#: publisher and created date, so a row that depends on load order shows here.
MERGED_DOI = "10.7717/peerj.4375"


def _snapshot(db: str) -> dict[tuple[str, ...], tuple]:
    """Every work's row (without its internal key) and facets with their sources, keyed by its sorted ids."""
    with citegraph.open(db, readonly=True) as g:
        conn = g.store.conn
        by_work: dict[int, list[str]] = {}
        for scheme, value, work in conn.execute("SELECT scheme, value, work_id FROM work_ids"):
            by_work.setdefault(work, []).append(f"{scheme}:{value}")
        facets: dict[int, list[tuple]] = {}
        for work, field, value, sources in conn.execute(
                "SELECT f.work_id, v.field, v.value, f.sources FROM facets f JOIN facet_values v ON v.id = f.value_id"):
            facets.setdefault(work, []).append((field, value, sources))
        rows = conn.execute("SELECT * FROM works").fetchall()
        return {tuple(sorted(by_work.get(r[0], []))): (tuple(r[1:]), sorted(facets.get(r[0], []))) for r in rows}


def test_the_same_rows_and_facets_whatever_the_load_order(new_db: NewDb) -> None:
    first, second = new_db("oa_then_cr"), new_db("cr_then_oa")
    for db, order in ((first, [OPENALEX, CROSSREF]), (second, [CROSSREF, OPENALEX])):
        with citegraph.open(db, create=True) as g:
            for path in order:
                g.load([path], workers=0)
    a, b = _snapshot(first), _snapshot(second)
    assert set(a) == set(b) and len(a) > 9000
    assert {k for k in a if a[k] != b[k]} == set()
    merged = next(k for k in a if f"doi:{MERGED_DOI}" in k)
    with citegraph.open(first, readonly=True) as g:
        row = g.store.work_row(g.resolve(f"doi:{MERGED_DOI}"))
        assert row is not None and row.sources == ["openalex", "crossref"]
        assert row.key_id == "openalex:W2741809807"  # the first source in FIELD_PRECEDENCE names it
        canonical = g.work(row.id).work
        assert canonical is not None and canonical.type == row.type  # one table for the row and the record
    assert FIELD_PRECEDENCE[0] == "openalex" and merged


def _newer_crossref(tmp_path: Path) -> Path:
    """Crossref's record of the merged work, re-indexed later with its publisher renamed and one author fewer."""
    with gzip.open(CROSSREF, "rt") as fh:
        line = next(x for x in fh if f'"{MERGED_DOI}"' in x)
    record = json.loads(line)
    record["indexed"] = {"date-parts": [[2024, 1, 5]], "date-time": "2024-01-05T00:00:00Z",
                         "timestamp": 1704412800000}
    record["publisher"] = "PeerJ Renamed"
    record["author"] = record["author"][:-1]
    out = tmp_path / "newer.jsonl"
    out.write_text(json.dumps(record) + "\n")
    return out


def test_a_newer_version_replaces_only_what_its_source_gave(new_db: NewDb, tmp_path: Path) -> None:
    db = new_db("newer")
    with citegraph.open(db, create=True) as g:
        g.load([OPENALEX], workers=0)
        g.load([CROSSREF], workers=0)
    before = _snapshot(db)
    key = next(k for k in before if f"doi:{MERGED_DOI}" in k)
    row, facets = before[key]
    assert any(f[2] == 1 for f in facets) and any(f[2] == 3 for f in facets)  # OpenAlex's alone, and shared
    with citegraph.open(db, create=True) as g:
        report = g.load([_newer_crossref(tmp_path)], workers=0)
        assert report.updated == 1
        work = g.resolve(f"doi:{MERGED_DOI}")
        stored = g.store.conn.execute("SELECT publisher, indexed_date FROM works WHERE id = ?", (work,)).fetchone()
    after_facets = _snapshot(db)[key][1]
    openalex_bit, crossref_bit = 1, 2
    # the row: OpenAlex still names the publisher (it comes first); Crossref's own field takes its new value
    assert stored[0] == row[_column(db, "publisher")] != "PeerJ Renamed"
    assert stored[1] == "2024-01-05" != row[_column(db, "indexed_date")]
    # what OpenAlex gave stays, alone or shared; what only Crossref gave of the author it dropped goes
    assert [f for f in facets if f[2] & openalex_bit] == [f for f in after_facets if f[2] & openalex_bit]
    gone = [f for f in facets if f not in after_facets]
    assert gone == [("affiliation_name", "school of information studies, university of ottawa, ottawa, on, canada",
                     crossref_bit)]
    assert [f for f in after_facets if f not in facets] == []


def _column(db: str, name: str) -> int:
    """The place of a works column in ``_snapshot``'s rows (which leave out the key)."""
    with citegraph.open(db, readonly=True) as g:
        columns = [r[1] for r in g.store.conn.execute("PRAGMA table_info(works)")] if db.endswith(".db") else [
            r[0] for r in g.store.conn.execute("SELECT column_name FROM information_schema.columns"
                                               " WHERE table_name = 'works' AND table_schema = current_schema()"
                                               " ORDER BY ordinal_position")]
    return columns.index(name) - 1


@pytest.mark.parametrize("source", FIELD_PRECEDENCE)
def test_every_source_has_a_place_in_the_precedence_table(source: str) -> None:
    from citegraph.model import SOURCES, precedence

    assert source in SOURCES and 0 <= precedence(source) < len(SOURCES)
