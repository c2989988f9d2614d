"""Crossref dialect latency over HTTP: ``query.bibliographic`` top 20, and facets over a ~100k-work filtered set.

    python benchmarks/crossref_api.py DB [--queries 300] [--facet-requests 60] [--target 100000] [--build-index]

Starts ``citegraph serve`` on 127.0.0.1 (with the benchmark-only constant endpoint) and measures, at one
keep-alive connection, p50/p90/p99 of:
- ``GET /crossref/works?query.bibliographic=…&rows=20`` over varied queries, each three or four words of a
  real title of the corpus plus an author's family name (what a reference matcher sends);
- ``GET /crossref/works?filter=from-pub-date:Y1,until-pub-date:Y2&rows=0&facet=…`` with the years chosen so the
  filtered set is the closest to ``--target`` works, asking the facets a dashboard asks (type-name,
  publisher-name, container-title, funder-name, published, license, issn);
- the constant 5 KB endpoint (the HTTP stack alone) in the same run, and each figure's ratio to it.
The issue's targets: query.bibliographic p50 ≤ 5 ms on the 1M corpus, facets over 100k works p50 ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import citegraph  # noqa: E402
from http_api import latency, start_server  # noqa: E402

#: The facets of the facet benchmark.
FACETS = "type-name:*,publisher-name:20,container-title:20,funder-name:20,published:*,license:10,issn:20"


def bibliographic_queries(graph: citegraph.Graph, n: int, seed: int) -> list[str]:
    """``n`` query strings: words of real titles of the corpus and an author's family name."""
    conn = graph.store.conn  # type: ignore[attr-defined]
    rng = random.Random(seed)
    # works spread evenly over the key range: the same queries in every run, so runs compare
    total = conn.execute("SELECT max(id) FROM works").fetchone()[0] or 1
    step = max(1, total // (n * 2))
    keys = [r[0] for r in conn.execute("SELECT id FROM works WHERE stub=0 AND id % ? = 0 LIMIT ?", (step, n * 2))]
    out: list[str] = []
    for key in keys:
        work = graph.work(key).work
        if work is None or not work.title:
            continue
        words = [w for w in work.title.split() if len(w) > 3]
        picked = rng.sample(words, min(len(words), rng.randint(3, 4)))
        family = next((a.family or (a.name or "").split()[-1] for a in work.authors if a.family or a.name), "")
        out.append(" ".join([*picked, family]).strip())
        if len(out) >= n:
            break
    return out


def year_range(graph: citegraph.Graph, target: int) -> tuple[int, int, int]:
    """The publication years [first, last] whose works number closest to ``target``, and that number."""
    conn = graph.store.conn  # type: ignore[attr-defined]
    per_year = dict(conn.execute("SELECT publication_year, count(*) FROM works WHERE stub=0 AND publication_year"
                                 " IS NOT NULL GROUP BY publication_year").fetchall())
    years = sorted(per_year)
    best = (years[-1], years[-1], per_year[years[-1]])
    for i, first in enumerate(years):
        total = 0
        for last in years[i:]:
            total += per_year[last]
            if abs(total - target) < abs(best[2] - target):
                best = (first, last, total)
            if total > target:
                break
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--facet-requests", type=int, default=60)
    ap.add_argument("--target", type=int, default=100_000)
    ap.add_argument("--build-index", action="store_true",
                    help="(re)build the search index first (an older database's index is of an older schema)")
    args = ap.parse_args()
    if args.build_index:
        with citegraph.open(args.db, create=True) as graph:  # (create: an older schema is migrated first)
            t0 = time.perf_counter()
            docs = graph.rebuild_search_index()
            print(f"search index: {docs} documents in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    with citegraph.open(args.db, readonly=True) as graph:
        if graph.search_index is None:
            print("no current search index beside the database: run with --build-index", file=sys.stderr)
            return 1
        queries = bibliographic_queries(graph, args.queries, seed=5)
        first, last, expected = year_range(graph, args.target)
    server, port = start_server(args.db)
    base = f"http://127.0.0.1:{port}"
    report: dict[str, object] = {"db": str(args.db)}
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        try:
            bib = [f"/crossref/works?{urlencode({'query.bibliographic': q, 'rows': 20})}" for q in queries]
            latency(client, bib[:30])  # warm the code paths and the index's pages
            constant = latency(client, ["/-/bench/constant"] * 1000)
            report["constant_5kb_1conn"] = constant
            report["bibliographic_top20_1conn"] = latency(client, bib)
            hits = httpx.get(base + bib[0], timeout=60).json()["message"]
            report["bibliographic_example"] = {"query": queries[0], "total_results": hits["total-results"],
                                               "items": len(hits["items"])}
            facet = (f"/crossref/works?filter=from-pub-date:{first},until-pub-date:{last}&rows=0&"
                     f"{urlencode({'facet': FACETS})}")
            if args.facet_requests:  # 0 skips the facets (minutes a request until they have their own engine)
                latency(client, [facet] * min(1, args.facet_requests))
                report["facets_1conn"] = latency(client, [facet] * args.facet_requests)
                answer = httpx.get(base + facet, timeout=600).json()["message"]
                report["facets_filtered_set"] = {"years": [first, last], "total_results": answer["total-results"],
                                                 "expected": expected, "facets": sorted(answer["facets"])}
            for key in ("bibliographic_top20_1conn", "facets_1conn"):
                if key not in report:
                    continue
                p50 = report[key]["p50_us"]  # type: ignore[index]
                report[f"{key}_p50_ratio_to_constant"] = round(p50 / constant["p50_us"], 1)
        finally:
            client.close()
    finally:
        os.killpg(server.pid, signal.SIGKILL)  # (a facet request may still be running: no graceful wait)
        server.wait(20)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
