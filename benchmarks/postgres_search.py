"""Full-text search for a PostgreSQL database: PostgreSQL's own (a GIN index of titles) against the tantivy index
each API host keeps, over the same works, in the same run.

    python benchmarks/postgres_search.py URL [--queries 200]

URL names a database loaded by citegraph whose search index is current on this host (``citegraph migrate --db
URL`` makes it). Queries are 2–3 words drawn from random titles, as an AND and as an OR, top 25 in relevance
order: PostgreSQL ranks by ``ts_rank`` over an expression index it builds for the run (and drops after); citegraph
answers through ``Graph.find``. Prints p50/p90 in milliseconds for each. The GIN index covers titles only, so
PostgreSQL is given the smaller task.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable

import psycopg

import citegraph
from citegraph import query as q

#: The text PostgreSQL indexes (titles only: the smallest fair index).
TSV = "to_tsvector('english', coalesce(title, ''))"


def percentiles(fn: Callable[[list[str]], object], queries: list[list[str]]) -> dict[str, float]:
    """p50 and p90 of ``fn`` over ``queries`` in milliseconds, after a warm-up."""
    for words in queries[:20]:
        fn(words)
    times = []
    for words in queries:
        t = time.perf_counter()
        fn(words)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"p50_ms": round(times[len(times) // 2], 2), "p90_ms": round(times[int(len(times) * 0.9)], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    graph = citegraph.open(args.url, readonly=True)
    if not graph.search_index_current():
        raise SystemExit("no current search index on this host: run `citegraph migrate --db URL` first")
    conn = psycopg.connect(args.url, autocommit=True)
    t = time.perf_counter()
    conn.execute(f"CREATE INDEX bench_title_fts ON works USING gin ({TSV})")
    report: dict[str, object] = {"gin_index_build_s": round(time.perf_counter() - t, 1)}
    try:
        rng = random.Random(3)
        titles = [r[0] for r in conn.execute("SELECT title FROM works WHERE stub = 0 AND title IS NOT NULL"
                                             " ORDER BY random() LIMIT %s", (args.queries * 3,))]
        queries = []
        for title in titles:
            words = [w for w in title.lower().split() if w.isalpha() and len(w) > 3]
            if len(words) >= 3:
                queries.append(rng.sample(words, rng.choice([2, 3])))
        queries = queries[:args.queries]
        relevance = (q.Sort(q.RELEVANCE, descending=True),)
        for op, node in (("and", q.TextAnd), ("or", q.TextOr)):
            joiner = " & " if op == "and" else " | "

            def postgres(words: list[str], joiner: str = joiner) -> object:
                text = joiner.join(words)
                return conn.execute(f"SELECT count(*) OVER (), id FROM works WHERE {TSV} @@ to_tsquery('english', %s)"
                                    f" ORDER BY ts_rank({TSV}, to_tsquery('english', %s)) DESC LIMIT 25",
                                    (text, text)).fetchall()

            def tantivy(words: list[str], node: type = node) -> object:
                text = node(tuple(q.Term(w) for w in words))
                return graph.find(q.Query(text=text, page=q.Page(1, 25), sort=relevance))

            report[f"{op}_postgres_gin"] = percentiles(postgres, queries)
            report[f"{op}_tantivy_per_host"] = percentiles(tantivy, queries)
    finally:
        conn.execute("DROP INDEX bench_title_fts")
        conn.close()
        graph.close()
    report["queries"] = len(queries)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
