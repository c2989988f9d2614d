"""The PostgreSQL store against the SQLite store, in the same run: loading a corpus and serving it over HTTP.

    python benchmarks/postgres.py CORPUS_DIR [--parts N] [--workers 2] [--requests 2000] [--skip-sqlite]
    python benchmarks/postgres.py CORPUS_DIR --serve DB   # serving figures of an existing database only

CORPUS_DIR is what benchmarks/generate.py wrote. Starts a throwaway PostgreSQL server (the machine's binaries,
tests/postgres.py) tuned for a bulk load but durable (fsync on, asynchronous commit), loads the corpus into it
with ``citegraph.open(url).load``, then into a SQLite file; then serves each with ``citegraph serve --workers N``
and measures, at one keep-alive connection, ``GET /openalex/works/{id}`` over random works and the 25 top citers of
the most-cited work (``filter=cites:…&sort=cited_by_count:desc``). Prints a JSON report: load and build seconds
per engine and their ratio, the build's steps, edges per second of the edge step and of the whole load, and the
latency percentiles per engine, also as wrk measures them at one connection (alternating rounds, with their
medians).
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
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.postgres import ThrowawayPostgres  # noqa: E402

import citegraph  # noqa: E402
from common import find_parts  # noqa: E402
from http_api import latency, start_server, wrk_latency  # noqa: E402

#: A server tuned for loading: large buffers and checkpoints far apart; commits asynchronous (a crash may lose the
#: last batches, which a re-run of the load writes again); fsync on, so the database itself is never at risk;
#: ``wal_level=minimal`` (no replicas while loading: PostgreSQL's own advice for populating a database), so tables
#: a build makes are written without WAL and synced once at commit.
BULK_SETTINGS = ("fsync=on", "synchronous_commit=off", "full_page_writes=on", "shared_buffers=2GB",
                 "max_wal_size=16GB", "checkpoint_timeout=30min", "maintenance_work_mem=1GB",
                 "max_connections=100", "listen_addresses=127.0.0.1", "wal_level=minimal", "max_wal_senders=0")


#: Alternating wrk rounds of the serving figures (this machine's speed swings from one stretch of seconds to the next).
WRK_ROUNDS = 5


def load(db: str, parts: list[Path]) -> dict[str, object]:
    """Load ``parts`` into ``db``; seconds, build steps and edge rates."""
    t = time.perf_counter()
    with citegraph.open(db, create=True) as g:
        report = g.load(parts)
        stats = g.stats()
    seconds = time.perf_counter() - t
    edge_step = report.build_steps.get("edges", 0.0)
    return {"seconds": round(seconds, 1), "build_seconds": round(report.build_seconds, 1),
            "ingest_seconds": round(seconds - report.build_seconds - report.index_seconds, 1),
            "records": report.loaded, "edges": report.edges, "build_steps": report.build_steps,
            "metrics_seconds": round(report.metrics_seconds, 1), "metrics_steps": report.metrics_steps,
            "edges_per_s_edge_step": round(report.edges / edge_step) if edge_step else None,
            "edges_per_s_whole_load": round(report.edges / seconds), "bytes": stats.get("bytes")}


def serve_latency(db: str, workers: int, requests: int) -> dict[str, object]:
    """Percentiles of a work by id and of the most-cited work's 25 top citers, over HTTP at one connection."""
    with citegraph.open(db, readonly=True) as g:
        conn = g.store.conn  # type: ignore[attr-defined]
        ids = [r[0] for r in conn.execute(
            "SELECT value FROM work_ids WHERE scheme='openalex' AND work_id IN"
            " (SELECT id FROM works WHERE stub=0 ORDER BY random() LIMIT ?)", (requests,))]
        most = conn.execute("SELECT key_id FROM works ORDER BY cited_by_count DESC LIMIT 1").fetchone()[0]
    random.Random(11).shuffle(ids)
    most_w = most.split(":", 1)[1]
    server, port = start_server(db, workers)
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            urls = [f"/openalex/works/{w}" for w in ids]
            latency(client, urls[:200])  # warm caches and code paths
            out: dict[str, object] = {"workers": workers, "most_cited": most_w}
            out["constant_5kb_1conn"] = latency(client, ["/-/bench/constant"] * requests)
            out["work_by_id_1conn"] = latency(client, urls)
            cites = f"/openalex/works?filter=cites:{most_w}&sort=cited_by_count:desc&per-page=25"
            latency(client, [cites] * 20)
            out["top25_citers_of_most_cited_1conn"] = latency(client, [cites] * 300)
            if shutil.which("wrk"):  # the server's time without the stdlib client's reading and parsing
                base = f"http://127.0.0.1:{port}"
                rounds = [{"constant_5kb_p50_us": wrk_latency(base + "/-/bench/constant", 3, None)["p50_us"],
                           "work_by_id_p50_us": wrk_latency(base, 3, urls)["p50_us"],
                           "top25_citers_p50_us": wrk_latency(base + cites, 3, None)["p50_us"]}
                          for _ in range(WRK_ROUNDS)]
                out["wrk_1conn_rounds"] = rounds
                out["wrk_1conn_median_of_rounds"] = {key: statistics.median(r[key] for r in rounds)
                                                     for key in rounds[0]}
            return out
        finally:
            client.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--parts", type=int, default=None, help="load only the first N parts")
    ap.add_argument("--workers", type=int, default=2, help="API workers of each server")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="where the SQLite file and local files go")
    ap.add_argument("--serve", metavar="DB", default=None,
                    help="only measure serving an existing database (a postgresql:// URL or a SQLite file)")
    args = ap.parse_args()
    if args.serve:
        print(json.dumps({"http": serve_latency(args.serve, args.workers, args.requests)}, indent=2))
        return
    parts = find_parts(args.corpus)[:args.parts]
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="citegraph-pg-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ["CITEGRAPH_LOCAL_DIR"] = str(out_dir / "pg-local")
    server = ThrowawayPostgres(settings=BULK_SETTINGS).start()
    report: dict[str, object] = {"parts": len(parts), "postgres_settings": list(BULK_SETTINGS)}
    try:
        url = server.create_database("bench")
        report["postgres_load"] = load(url, parts)
        print(json.dumps(report, indent=2), flush=True)
        if not args.skip_sqlite:
            sqlite_db = str(out_dir / "bench.db")
            report["sqlite_load"] = load(sqlite_db, parts)
            pg_s = report["postgres_load"]["seconds"]  # type: ignore[index]
            report["load_seconds_postgres_over_sqlite"] = round(pg_s / report["sqlite_load"]["seconds"], 2)  # type: ignore[index]
        print(json.dumps(report, indent=2), flush=True)
        report["postgres_http"] = serve_latency(url, args.workers, args.requests)
        if not args.skip_sqlite:
            report["sqlite_http"] = serve_latency(sqlite_db, args.workers, args.requests)
    finally:
        server.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
