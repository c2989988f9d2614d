"""The metrics build and related-works latency on a loaded database.

    python benchmarks/metrics.py DB [--n 200] [--rebuild]

Measures, on a database loaded by ``citegraph load`` (e.g. the 1M-work synthetic corpus):

- the metrics build (``--rebuild``: computed again, with its self-checks, on a writer; each step's seconds),
  beside the same run's baseline: one ``SELECT count(*)`` over the edges, the floor of any pass over the graph;
- ``related`` (top 20 by co-citation + coupling cosine) for N random works whose citation count is the corpus
  median, and for the most-cited work, p50/p90/p99 in milliseconds;
- the same co-citation for the most-cited work answered by one SQL join (citers' references grouped), the way
  without adjacency arrays: the ratio is what the arrays buy;
- ``metrics(id)`` (a work's counts, impact and self-citation) for the same median works;
- a page of 100 citation objects of the most-cited work (``/api/works/{id}/citations``).

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import citegraph
from citegraph.graph.citations import citation_page
from citegraph.graph.metrics import build_metrics


def timed(fn: Callable[[int], object], args: list[int]) -> dict[str, float]:
    """Time fn(a) for each a; percentiles in milliseconds."""
    times = []
    for a in args:
        t = time.perf_counter()
        fn(a)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, int(p * len(times)))], 2)

    return {"p50_ms": pct(0.5), "p90_ms": pct(0.9), "p99_ms": pct(0.99), "n": len(times)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=str)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--rebuild", action="store_true", help="compute the metrics again and time it")
    args = ap.parse_args()
    out: dict[str, object] = {"db": args.db}
    if args.rebuild:
        with citegraph.open(args.db, create=True) as g:
            conn = g.store.conn  # type: ignore[attr-defined]
            t = time.perf_counter()
            edges = conn.execute("SELECT count(*) FROM edges").fetchone()[0]
            out["baseline_count_edges_s"] = round(time.perf_counter() - t, 3)
            conn.execute("DELETE FROM meta WHERE key = 'metrics_build'")
            # the adjacency arrays too: a build computes them from the database
            for folder in Path(str(g.store.path) + ".graph").glob("build-*"):
                for part in folder.iterdir():
                    part.unlink()
                folder.rmdir()
            report = build_metrics(g.store)
            out["edges"] = edges
            out["metrics_build"] = {"seconds": report.seconds, "steps": report.steps, "works": report.works,
                                    "binned": report.binned, "bins": report.bins,
                                    "reliable_bins": report.reliable_bins,
                                    "author_self_citations": report.author_self_citations,
                                    "journal_self_citations": report.journal_self_citations,
                                    "related_precomputed": report.related_precomputed}
    g = citegraph.open(args.db, readonly=True)
    conn = g.store.conn  # type: ignore[attr-defined]
    rng = random.Random(7)
    counts = sorted(r[0] for r in conn.execute("SELECT cited_by_count FROM works WHERE stub = 0").fetchall())
    median = counts[len(counts) // 2]
    pool = [r[0] for r in conn.execute("SELECT id FROM works WHERE stub = 0 AND cited_by_count = ?", (median,))]
    medians = [rng.choice(pool) for _ in range(args.n)]
    top, top_cbc = conn.execute("SELECT id, cited_by_count FROM works ORDER BY cited_by_count DESC LIMIT 1").fetchone()
    t = time.perf_counter()
    g.store.adjacency()
    out["adjacency_open_s"] = round(time.perf_counter() - t, 3)
    out["median_cited_by_count"] = median
    out["most_cited"] = {"key": top, "cited_by_count": top_cbc}
    out["related_median_work"] = timed(lambda k: g.related(k, 20), medians)
    out["related_most_cited"] = timed(lambda k: g.related(k, 20), [top] * max(5, args.n // 20))
    sql = ("SELECT e2.cited, count(*) AS n FROM edges e2 WHERE e2.citing IN (SELECT citing FROM citers WHERE cited = ?)"
           " AND e2.cited != ? GROUP BY e2.cited ORDER BY n DESC LIMIT 20")
    out["baseline_sql_cocitation_most_cited"] = timed(lambda k: conn.execute(sql, (k, k)).fetchall(), [top] * 3)
    sql_ms = out["baseline_sql_cocitation_most_cited"]["p50_ms"]  # type: ignore[index]
    ours_ms = out["related_most_cited"]["p50_ms"]  # type: ignore[index]
    out["ratio_sql_over_related_most_cited"] = round(sql_ms / ours_ms, 1) if ours_ms else None
    out["metrics_median_work"] = timed(g.metrics, medians)
    # a page of 100 citation objects (OCI, timespan, self-citation flags, sources), as /api/works/{id}/citations
    out["citation_objects_page_100_most_cited"] = timed(
        lambda k: citation_page(g, k, "citations", limit=100, cursor=None), [top] * 20)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
