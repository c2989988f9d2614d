"""The metrics build on real records, on both engines: each stored figure against the rule read plainly, the
self-checks, and the library calls (metrics, related, cocitation, author, venue)."""

from __future__ import annotations

import gzip
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import NewDb

import citegraph
from citegraph.graph.bibliometrics import MetricsNotBuiltError, NotFoundError
from citegraph.graph.citations import citation_objects
from citegraph.graph.metrics import MetricsCheckError, build_metrics
from citegraph.metrics.summary import h_index

DATA = Path(__file__).resolve().parents[1] / "data"
#: Real OpenAlex works (with topics, authors and venues) and real Crossref works, some of them the same works.
INPUTS = [DATA / "openalex" / "works.jsonl.gz", DATA / "crossref" / "works.jsonl.gz"]


@pytest.fixture(scope="module")
def db(new_db: NewDb) -> str:
    path = new_db("metrics")
    with citegraph.open(path, create=True) as g:
        report = g.load(INPUTS, workers=0)
    assert report.metrics_seconds > 0
    return path


def _all(g: citegraph.Graph, sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
    return [tuple(r) for r in g.store.conn.execute(sql, params).fetchall()]


def test_every_work_is_scored_by_the_rule_read_plainly(db: str) -> None:
    with citegraph.open(db, readonly=True) as g:
        assert g.store.metrics_current()
        rows = _all(g, "SELECT i.work_id, i.bin, i.score, i.percentile, i.flags, w.cited_by_count FROM impact i"
                       " JOIN works w ON w.id = i.work_id")
        assert len(rows) == _all(g, "SELECT count(*) FROM works WHERE stub = 0")[0][0]
        peers: dict[int, list[int]] = defaultdict(list)
        for _w, b, _s, _p, _f, cbc in rows:
            if b is not None:
                peers[b].append(cbc)
        assert len(peers) > 50 and max(len(p) for p in peers.values()) >= 5  # real bins, some of several works
        checked = 0
        for _w, b, score, pct, flags, cbc in rows:
            if b is None:
                assert score is None and pct is None
                continue
            mine = peers[b]
            mean = sum(mine) / len(mine)
            assert (score is None) if mean == 0 else score == pytest.approx(cbc / mean)
            assert pct == pytest.approx(sum(c < cbc for c in mine) / len(mine))
            above = sum(c > cbc for c in mine)
            assert bool(flags & 1) == (cbc > 0 and above * 10 < len(mine))
            checked += 1
        assert checked > 300
        # the self-check's rule, read back from the database: every scored bin's mean score is 1
        for _b, mean_score in _all(g, "SELECT bin, avg(score) FROM impact WHERE score IS NOT NULL GROUP BY bin"):
            assert mean_score == pytest.approx(1.0)


def test_bins_take_the_finest_subject(db: str) -> None:
    with citegraph.open(db, readonly=True) as g:
        subjects = {s.split(":", 1)[0] for (s,) in _all(g, "SELECT DISTINCT subject FROM impact_bins")}
        assert "subfield" in subjects  # OpenAlex works: their primary topic's subfield
        m = g.metrics("W3046863325")
        assert m.impact is not None and m.impact.subject.startswith("subfield:")
        assert m.impact.year == 2020 and m.impact.type == "article"


def test_self_citations_agree_with_the_citation_objects(db: str) -> None:
    with citegraph.open(db, readonly=True) as g:
        cited = [k for (k,) in _all(g, "SELECT work_id FROM impact WHERE author_self_cited_by > 0"
                                        " OR journal_self_cited_by > 0 ORDER BY work_id LIMIT 40")]
        cited += [k for (k,) in _all(g, "SELECT w.id FROM works w JOIN impact i ON i.work_id = w.id"
                                        " WHERE w.cited_by_count > 3 ORDER BY w.id LIMIT 20")]
        assert len(cited) > 20
        seen_self = 0
        for key in cited:
            objects = list(citation_objects(g, key, "citations"))
            stored = g.store.impact(key)
            assert stored is not None
            assert stored.author_self_cited_by == sum(o.author_sc for o in objects)
            assert stored.journal_self_cited_by == sum(o.journal_sc for o in objects)
            seen_self += stored.author_self_cited_by
        assert seen_self > 0


def test_counts_and_windows_in_the_work_metrics(db: str) -> None:
    with citegraph.open(db, readonly=True) as g:
        m = g.metrics("doi:10.1145/3383583.3398584")
        assert m.id == "openalex:W3046863325" and "doi:10.1145/3383583.3398584" in m.ids
        assert m.cited_by_count == 5 == sum(m.counts_by_year.values())
        assert m.upstream["openalex"].cited_by_count is not None
        assert m.impact is not None and m.self_citation is not None
        citers = g.citations("W3046863325", limit=50).items
        in_window = sum(1 for c in citers if c.publication_date and 2020 <= int(c.publication_date[:4]) <= 2022)
        assert m.impact.window_3y.citations == in_window


def test_related_works_match_the_sets_of_citers_and_references(db: str) -> None:
    with citegraph.open(db, readonly=True) as g:
        def citers(k: int) -> set[int]:
            return {i.key for i in g.citations(k, limit=200).items} if g.work(k).cited_by_count <= 200 else set()

        def refs(k: int) -> set[int]:
            return set(g.reference_keys(k))

        key = g.resolve("W3046863325")
        found = g.related(key, limit=10)
        assert found and key not in [r.key for r in found]
        for r in found:
            co = len(citers(key) & citers(r.key))
            cp = len(refs(key) & refs(r.key))
            assert (r.cocitation, r.coupling) == (co, cp)
            expected = (co / math.sqrt(len(citers(key)) * len(citers(r.key))) if co else 0.0) + (
                cp / math.sqrt(len(refs(key)) * len(refs(r.key))) if cp else 0.0)
            assert r.score == pytest.approx(expected)
        assert [r.score for r in found] == sorted((r.score for r in found), reverse=True)
        pairs = g.cocitation([key] + [r.key for r in found[:3]])
        assert pairs and all(p.cocitation or p.coupling for p in pairs)
        with pytest.raises(ValueError, match="at most"):
            g.cocitation(list(range(1, 102)))


def test_author_and_venue_summaries(db: str) -> None:
    with citegraph.open(db, readonly=True) as g:
        author = _all(g, "SELECT v.value FROM facet_values v JOIN facets f ON f.value_id = v.id JOIN works w"
                         " ON w.id = f.work_id WHERE v.field = 'author_id' GROUP BY v.value"
                         " ORDER BY sum(w.cited_by_count) DESC, v.value LIMIT 1")[0][0]
        summary = g.author(author)
        keys = [k for (k,) in _all(g, "SELECT f.work_id FROM facet_values v JOIN facets f ON f.value_id = v.id"
                                      " WHERE v.field = 'author_id' AND v.value = ?", (author,))]
        counts = [g.work(k).cited_by_count for k in keys]
        assert summary.works == len(keys) and summary.cited_by_count == sum(counts) > 0
        assert summary.h_index == h_index(np.array(counts))
        assert summary.display_name
        assert g.author(author.replace("openalex:", "https://openalex.org/")).works == summary.works
        venue = g.venue("issn:0012-9658")
        assert venue.works >= 1 and venue.display_name
        with pytest.raises(NotFoundError):
            g.author("A1")


def test_loading_again_changes_no_metric(db: str, tmp_path: Path) -> None:
    with citegraph.open(db, readonly=True) as g:
        before = _all(g, "SELECT * FROM impact ORDER BY work_id")
    with citegraph.open(db, create=True) as g:
        g.load(INPUTS, workers=0)
    with citegraph.open(db, readonly=True) as g:
        assert _all(g, "SELECT * FROM impact ORDER BY work_id") == before


def test_a_failed_self_check_stores_nothing(new_db: NewDb) -> None:
    path = new_db("broken")
    with citegraph.open(path, create=True) as g:
        g.load(INPUTS[:1], workers=0)
        before = _all(g, "SELECT * FROM impact ORDER BY work_id")
        build = g.store.build_id()
        # a citation count that contradicts the graph (as a bug in the build would leave it)
        g.store.conn.execute("UPDATE works SET cited_by_count = cited_by_count + 1 WHERE id ="
                             " (SELECT min(id) FROM works WHERE stub = 0)")
        g.store.conn.execute("UPDATE meta SET value = 'stale' WHERE key = 'metrics_build'")
        with pytest.raises(MetricsCheckError, match="citation counts differ"):
            build_metrics(g.store)
        assert _all(g, "SELECT * FROM impact ORDER BY work_id") == before
        assert g.store.build_id() == build and not g.store.metrics_current()
        with pytest.raises(MetricsNotBuiltError):
            g.metrics(g.store.conn.execute("SELECT min(id) FROM works WHERE stub = 0").fetchone()[0])


def test_the_heaviest_works_related_are_precomputed_and_the_same(new_db: NewDb,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from citegraph.metrics import related as rel

    path = new_db("precomputed")
    monkeypatch.setattr(rel, "PRECOMPUTE_GATHERED", 300)  # this small corpus's heaviest works count as heavy
    with citegraph.open(path, create=True) as g:
        g.load(INPUTS[:1], workers=0)
    with citegraph.open(path, readonly=True) as g:
        heavy = [k for (k,) in _all(g, "SELECT DISTINCT work_id FROM related_top ORDER BY 1")]
        assert 0 < len(heavy) < 2000
        a = g.store.adjacency()
        for key in heavy[:25]:
            live = rel.related(key, a.refs_ptr, a.refs, a.citers_ptr, a.citers, 30)
            served = g.related(key, limit=30)
            assert [r.key for r in served] == live.keys.tolist()
            assert [r.cocitation for r in served] == live.cocitation.tolist()


def test_a_citer_dated_in_year_zero_passes_the_counts_check(tmp_path: Path) -> None:
    # pub_key 501 (a date in year 0): dated for counts by year (year 0), so not an undated citation either
    lines = [json.loads(x) for x in gzip.decompress(INPUTS[0].read_bytes()).splitlines() if x.strip()]
    citer = next(r for r in lines if r.get("referenced_works"))
    citer["publication_date"], citer["publication_year"] = "0000-05-01", 0
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    with citegraph.open(str(tmp_path / "g.db"), create=True) as g:
        report = g.load([path], workers=0)
        assert report.metrics_seconds > 0 and g.store.metrics_current()


def test_a_load_interrupted_before_its_metrics_computes_them_when_run_again(tmp_path: Path) -> None:
    db = str(tmp_path / "g.db")
    with citegraph.open(db, create=True) as g:
        g.load(INPUTS[:1], workers=0)
        before = _all(g, "SELECT * FROM impact ORDER BY work_id")
        # as if the process died after the build committed and before the metrics did
        g.store.conn.execute("DELETE FROM impact")
        g.store.conn.execute("DELETE FROM meta WHERE key = 'metrics_build'")
        report = g.load(INPUTS[:1], workers=0)  # every file already loaded: nothing to build, metrics owed
        assert report.loaded == 0 and report.metrics_seconds > 0 and g.store.metrics_current()
        assert _all(g, "SELECT * FROM impact ORDER BY work_id") == before
