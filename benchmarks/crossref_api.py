"""Crossref dialect latency over HTTP: ``query.bibliographic`` top 20, and facets over a ~100k-work filtered set.

    python benchmarks/crossref_api.py DB [--queries 300] [--facet-requests 60] [--target 100000] [--build-index]

Starts ``citegraph serve`` on 127.0.0.1 (with the benchmark-only constant endpoint) and measures, at one
keep-alive connection, p50/p90/p99 of:
- ``GET /crossref/works?query.bibliographic=…&rows=20`` over varied queries, each three or four words of a
  real title of the corpus plus an author's family name (what a reference matcher sends);
- ``GET /crossref/works?filter=from-pub-date:Y1,until-pub-date:Y2&rows=0&facet=F`` over year windows of about
  ``--target`` works each (several windows, so no answer is a repeat of the one before), one facet per request,
  cycling through the facets a dashboard asks (type-name, publisher-name, container-title, funder-name,
  published, license, issn): p50 over all, and per facet;
- the same with all seven facets in one request; and the very first facet request of the server (it reads the
  fields it needs from the database into memory: a one-off cost per server process);
- the constant 5 KB endpoint (the HTTP stack alone) in the same run, and each figure's ratio to it;
- ``query.bibliographic`` and the constant endpoint again with wrk at one connection (a C client sending the
  next request as soon as an answer is read: the server's time without a Python client's own; the queries
  drawn at random from the same list).
The issue's targets: query.bibliographic p50 ≤ 5 ms on the 1M corpus, facets over 100k works p50 ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import citegraph  # noqa: E402
from common import warm_page_cache  # noqa: E402
from http_api import latency, start_server, wrk_latency  # noqa: E402

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


#: Year windows of the facet benchmark, and how far from the target size a window's works may be.
WINDOWS, WINDOW_TOLERANCE = 6, 0.25


def year_ranges(graph: citegraph.Graph, target: int) -> list[tuple[int, int, int]]:
    """Up to WINDOWS publication-year windows [first, last] of about ``target`` works, and their sizes."""
    conn = graph.store.conn  # type: ignore[attr-defined]
    per_year = dict(conn.execute("SELECT publication_year, count(*) FROM works WHERE stub=0 AND publication_year"
                                 " IS NOT NULL GROUP BY publication_year").fetchall())
    years = sorted(per_year)
    found: list[tuple[int, int, int]] = []
    for i, first in enumerate(years):
        best: tuple[int, int, int] | None = None
        total = 0
        for last in years[i:]:
            total += per_year[last]
            if best is None or abs(total - target) < abs(best[2] - target):
                best = (first, last, total)
            if total > target:
                break
        if best is not None and abs(best[2] - target) <= WINDOW_TOLERANCE * target:
            found.append(best)
    if not found:  # a small corpus: its one closest window
        found = [min((w for w in (year_window(per_year, years, i, target) for i in range(len(years)))),
                     key=lambda w: abs(w[2] - target))]
    step = max(1, len(found) // WINDOWS)
    return found[::step][:WINDOWS]


def year_window(per_year: dict[int, int], years: list[int], i: int, target: int) -> tuple[int, int, int]:
    """The window from ``years[i]`` whose size is closest to ``target``."""
    best = (years[i], years[i], per_year[years[i]])
    total = 0
    for last in years[i:]:
        total += per_year[last]
        if abs(total - target) < abs(best[2] - target):
            best = (years[i], last, total)
    return best


def facet_url(window: tuple[int, int, int], facets: str) -> str:
    """A rows=0 facet request over one year window."""
    return (f"/crossref/works?filter=from-pub-date:{window[0]},until-pub-date:{window[1]}&rows=0&"
            f"{urlencode({'facet': facets})}")


def facet_latency(client: http.client.HTTPConnection, base: str, windows: list[tuple[int, int, int]],
                  requests: int) -> dict[str, object]:
    """The facet figures: the first request, one facet per request (overall and per facet), all in one."""
    names = FACETS.split(",")
    # on the benchmark's own connection (a slow first answer outlasts another connection's keep-alive)
    cold = latency(client, [facet_url(windows[0], FACETS)])["p50_us"]
    out: dict[str, object] = {"facets_first_request_ms": round(cold / 1000, 1)}
    first = httpx.get(base + facet_url(windows[0], FACETS), timeout=900).json()["message"]
    single = [facet_url(windows[i % len(windows)], names[(i // len(windows)) % len(names)])
              for i in range(max(requests, len(names) * len(windows)))]
    out["facets_one_per_request_1conn"] = latency(client, single)
    out["facets_per_facet_p50_us"] = {
        name.split(":")[0]: latency(client, [facet_url(w, name) for w in windows] * 3)["p50_us"] for name in names}
    out["facets_all_in_one_1conn"] = latency(client, [facet_url(windows[i % len(windows)], FACETS)
                                                      for i in range(max(requests // 2, len(windows)))])
    out["facets_windows"] = [{"years": [w[0], w[1]], "works": w[2]} for w in windows]
    out["facets_example"] = {"total_results": first["total-results"], "facets": sorted(first["facets"])}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--facet-requests", type=int, default=60)
    ap.add_argument("--target", type=int, default=100_000)
    ap.add_argument("--wrk-seconds", type=int, default=4, help="duration of each wrk measurement")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds of the wrk measurements")
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
        windows = year_ranges(graph, args.target)
    warmed = warm_page_cache(args.db)
    server, port = start_server(args.db)
    base = f"http://127.0.0.1:{port}"
    report: dict[str, object] = {"db": str(args.db), "page_cache_warmed": warmed}
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        try:
            bib = [f"/crossref/works?{urlencode({'query.bibliographic': q, 'rows': 20})}" for q in queries]
            latency(client, bib[:30])  # warm the code paths and the index's pages
            constant = latency(client, ["/-/bench/constant"] * 1000)
            report["constant_5kb_1conn"] = constant
            report["bibliographic_top20_1conn"] = latency(client, bib)
            if shutil.which("wrk"):  # alternating rounds (this machine's speed swings from one stretch to the next)
                rounds = [{"bibliographic_top20_p50_us": wrk_latency(base, args.wrk_seconds, bib)["p50_us"],
                           "constant_5kb_p50_us": wrk_latency(base + "/-/bench/constant", args.wrk_seconds,
                                                              None)["p50_us"]} for _ in range(args.rounds)]
                report["wrk_1conn_rounds"] = rounds
                report["wrk_1conn_median_of_rounds"] = {key: statistics.median(r[key] for r in rounds)
                                                        for key in rounds[0]}
                client.close()  # idle past the server's keep-alive meanwhile: the next request opens it again
            hits = httpx.get(base + bib[0], timeout=60).json()["message"]
            report["bibliographic_example"] = {"query": queries[0], "total_results": hits["total-results"],
                                               "items": len(hits["items"])}
            if args.facet_requests:  # 0 skips the facets
                report.update(facet_latency(client, base, windows, args.facet_requests))
            for key in ("bibliographic_top20_1conn", "facets_one_per_request_1conn", "facets_all_in_one_1conn"):
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
