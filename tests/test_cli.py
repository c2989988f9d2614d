"""The command line, on a real database: output, JSON, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import citegraph
from citegraph.cli import main

WORKS = Path(__file__).resolve().parent / "data" / "openalex" / "works.jsonl.gz"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("cli") / "g.db")
    assert main(["load", str(WORKS), "--db", path, "--workers", "0"]) == 0
    return path


def test_work_json_and_table(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["work", "https://doi.org/10.1145/3383583.3398584", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "openalex:W3046863325" in out["ids"] and out["cited_by_count"] == 5
    assert out["upstream"]["openalex"]["cited_by_count"] == 5
    assert main(["work", "W3046863325", "--db", db]) == 0
    text = capsys.readouterr().out
    assert "Trends of Publications" in text and "cited by" in text


def test_citations_pages_with_cursor(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["citations", "W3046863325", "--db", db, "--json", "--limit", "3"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["total"] == 5 and len(first["items"]) == 3 and first["next_cursor"]
    assert main(["citations", "W3046863325", "--db", db, "--json", "--limit", "3",
                 "--cursor", first["next_cursor"]]) == 0
    second = json.loads(capsys.readouterr().out)
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    assert {i["key"] for i in first["items"]}.isdisjoint(i["key"] for i in second["items"])


def test_stats_and_conflicts(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--db", db, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["works"] == 369 and stats["edges"] > 5000 and stats["conflicts"] == 2
    assert main(["conflicts", "--db", db]) == 0
    assert "same-source-primary-ids-differ" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["work", "W1"], "no work with id openalex:W1"),
    (["work", "nonsense id"], "not an identifier"),
    (["citations", "W3046863325", "--cursor", "garbage"], "invalid cursor"),
    (["citations", "W3046863325", "--limit", "0"], "limit must be between"),
])
def test_errors_are_one_line_with_status_1(db: str, capsys: pytest.CaptureFixture[str], args: list[str],
                                           message: str) -> None:
    assert main([*args, "--db", db]) == 1
    err = capsys.readouterr().err
    assert err.startswith("citegraph: error:") and message in err and err.count("\n") == 1


def test_missing_database_and_nothing_to_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--db", str(tmp_path / "none.db")]) == 1
    assert "no citegraph database" in capsys.readouterr().err
    assert main(["load", "--db", str(tmp_path / "x.db")]) == 1
    assert "nothing to load" in capsys.readouterr().err


def test_load_demo_reads_both_bundled_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "demo.db")
    assert main(["load", "--demo", "--db", path, "--workers", "0", "--json", "--no-progress"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [f["source"] for f in report["files"]] == ["openalex", "crossref"]
    assert report["loaded"] == 369 + 417 and report["rejected"] == 0
    assert report["merged"] >= 1  # 10.7717/peerj.4375 is in both
    assert main(["stats", "--db", path, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["records_openalex"] == 369 and stats["records_crossref"] == 417


def test_migrate_upgrades_an_older_database_and_its_search_index(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    import sqlite3

    import citegraph
    from citegraph import query as q

    path = tmp_path / "old.db"
    assert main(["load", str(WORKS), "--db", str(path), "--workers", "0", "--no-progress"]) == 0
    capsys.readouterr()
    with sqlite3.connect(path) as conn:  # what schema version 2 had: no Crossref date/member columns
        for column in ("created_date", "deposited_date", "indexed_date", "print_date", "online_date", "member",
                       "doi_prefix", "reference_visibility"):
            conn.execute(f"ALTER TABLE works DROP COLUMN {column}")
        conn.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
        conn.execute("DROP TABLE served_years")  # and none of schema 9's served tables
        conn.execute("DROP TABLE refs_beyond")
        conn.execute("DELETE FROM meta WHERE key IN ('served_years', 'refs_beyond')")
    shutil.rmtree(f"{path}.search")  # an index of an older schema is never queried: as if there were none
    assert main(["stats", "--db", str(path)]) == 1
    assert "citegraph migrate" in capsys.readouterr().err
    assert main(["migrate", "--db", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["schema_version"] >= 3 and result["search_index_rebuilt"] and result["indexed_works"] == 369
    assert result["served_written"]  # the served counts by year written, not left to a read per work
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM served_years").fetchone()[0] > 100
    with citegraph.open(path, readonly=True) as graph:
        hits = graph.find(q.Query(text=q.Term("publications"), page=q.Page(1, 5)))
        assert hits.count > 0 and hits.hits[0].score
    assert main(["migrate", "--db", str(path)]) == 0
    assert "search index current" in capsys.readouterr().out
    assert main(["migrate", "--db", str(tmp_path / "missing.db")]) == 1


def test_serve_refuses_a_negative_s2_citation_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--db", str(tmp_path / "x.db"), "--s2-citation-window", "-1"]) == 1
    assert "--s2-citation-window" in capsys.readouterr().err


def test_metrics_related_cocitation_author_venue(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", "W3046863325", "--db", db, "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["id"] == "openalex:W3046863325" and m["cited_by_count"] == 5
    assert m["impact"]["subject"].startswith("subfield:") and "fwci" in m["upstream"]["openalex"]
    assert main(["metrics", "W3046863325", "--db", db]) == 0
    text = capsys.readouterr().out
    assert "compared within" in text and "3-year window" in text and "openalex says" in text
    assert main(["related", "W3046863325", "--db", db, "--json", "--limit", "3"]) == 0
    related = json.loads(capsys.readouterr().out)
    assert 0 < len(related) <= 3
    assert main(["cocitation", "W3046863325", related[0]["id"], "--db", db]) == 0
    assert "co-cited" in capsys.readouterr().out
    with citegraph.open(db, readonly=True) as g:
        source, works = g.store.conn.execute(
            "SELECT v.value, count(*) FROM facet_values v JOIN facets f ON f.value_id = v.id"
            " WHERE v.field = 'venue_id' GROUP BY v.value ORDER BY 2 DESC, 1 LIMIT 1").fetchone()
    assert main(["venue", source.replace("openalex:", "https://openalex.org/"), "--db", db, "--json"]) == 0
    venue = json.loads(capsys.readouterr().out)
    assert venue["works"] == works > 1 and venue["display_name"]
    assert main(["author", "A1", "--db", db]) == 1
    assert "no works by author openalex:A1" in capsys.readouterr().err


def test_serve_refuses_an_unknown_counts_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:  # argparse's usage error: exit status 2, nothing served
        main(["serve", "--db", str(tmp_path / "x.db"), "--counts", "nonsense"])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert "--counts" in err and "'nonsense'" in err and "'ours'" in err and "'upstream'" in err
    assert "Traceback" not in err
