"""In-process lookup latency on a loaded database.

    python benchmarks/lookup.py DB [--corpus CORPUS_DIR] [--n 5000]

Measures, each as p50/p90/p99 in microseconds over N calls on random works (or the most-cited one):
- ``work(id)``: resolve a W-id and read the work's ids, sources and counts (the record is mapped lazily);
- ``work(id).work``: the same, plus reading, decompressing and mapping the record to the canonical Work;
- ``work_row``: the stored scalars only (what a list page needs per item);
- ``citations top 25``: the 25 top citers by cited_by_count of the most-cited work, from the index;
- ``citations page 40``: the same list 1,000 items deep through cursors (keyset paging costs no more);
- ``counts``: a work's counts (O(1) reads);
- baseline: one primary-key SELECT on the works table, the floor of any lookup on this machine.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import citegraph


def measure(fn: Callable[[int], object], args: list[int]) -> dict[str, float]:
    """Time fn(a) for each a; percentiles in microseconds."""
    times = []
    for a in args:
        t = time.perf_counter_ns()
        fn(a)
        times.append((time.perf_counter_ns() - t) / 1000)
    times.sort()

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, int(p * len(times)))], 1)

    return {"p50_us": pct(0.5), "p90_us": pct(0.9), "p99_us": pct(0.99), "n": len(times)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path)
    ap.add_argument("--corpus", type=Path, default=None)
    ap.add_argument("--n", type=int, default=5000)
    args = ap.parse_args()
    g = citegraph.open(args.db, readonly=True)
    store = g.store
    conn = store.conn  # type: ignore[attr-defined]
    max_id = conn.execute("SELECT max(id) FROM works WHERE stub=0").fetchone()[0]
    most = conn.execute("SELECT id FROM works ORDER BY cited_by_count DESC LIMIT 1").fetchone()[0]
    rng = random.Random(7)
    keys = []
    while len(keys) < args.n:
        k = rng.randint(1, max_id)
        row = store.work_row(k)
        if row is not None and not row.stub:
            keys.append(k)
    wids = {k: dict(store.work_row(k).ids).get("openalex") for k in keys}  # type: ignore[union-attr]
    report: dict[str, object] = {"db": str(args.db), "most_cited_key": most,
                                 "most_cited_count": store.work_row(most).cited_by_count}  # type: ignore[union-attr]
    report["baseline_pk_select"] = measure(
        lambda k: conn.execute("SELECT id, title FROM works WHERE id=?", (k,)).fetchone(), keys)
    report["work_by_wid"] = measure(lambda k: g.work(wids[k] or k), keys)
    report["work_by_wid_canonical"] = measure(lambda k: g.work(wids[k] or k).work, keys)
    report["record_decompressed"] = measure(lambda k: store.record(k, "openalex"), keys)  # type: ignore[attr-defined]
    report["work_row"] = measure(store.work_row, keys)
    report["counts"] = measure(lambda k: (store.work_row(k), store.counts_by_year(k)), keys)
    report["store_top25_citers_most_cited"] = measure(
        lambda _k: store.citations(most, sort="cited_by_count:desc", year=None, after=None, limit=25),
        keys[:2000])
    report["graph_top25_citers_most_cited"] = measure(
        lambda _k: g.citations(most, sort="cited_by_count:desc", limit=25), keys[:2000])
    deep = g.citations(most, limit=1000)
    cursor = deep.next_cursor
    report["graph_citers_page_after_1000"] = measure(
        lambda _k: g.citations(most, limit=25, cursor=cursor), keys[:2000])
    report["graph_top25_by_date_most_cited"] = measure(
        lambda _k: g.citations(most, sort="publication_date:desc", limit=25), keys[:2000])
    print(json.dumps(report, indent=2))
    g.close()


if __name__ == "__main__":
    main()
