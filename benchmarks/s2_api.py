"""Page through the citations of the most-cited work in the Semantic Scholar dialect, at offsets across the window.

    python benchmarks/s2_api.py DB [--requests 200] [--window 0]

Starts ``citegraph serve`` on 127.0.0.1 and asks ``/s2/graph/v1/paper/{id}/citations?offset=O&limit=100`` of the
most-cited work at one keep-alive connection, for offsets from 0 to the last page under S2's 10,000 cap (default
fields: paperId and title; and again with ``title,year,authors,citationCount,isInfluential``), plus the constant
5 KB endpoint in the same run as the floor. Reports p50/p90/p99 per offset and the ratio of the deepest page's p50
to the first's (the issue asks for no cost growing with offset). ``--window 0`` serves the list uncapped and adds
offsets past 10,000 when the work has that many citers.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import sqlite3
import sys
from pathlib import Path

from common import print_report
from http_api import latency, start_server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path)
    ap.add_argument("--requests", type=int, default=200, help="requests per offset")
    ap.add_argument("--window", type=int, default=None, help="S2 citation window (0: none)")
    args = ap.parse_args()
    conn = sqlite3.connect(args.db)
    key, cbc = conn.execute("SELECT id, cited_by_count FROM works ORDER BY cited_by_count DESC LIMIT 1").fetchone()
    key_id = conn.execute("SELECT key_id FROM works WHERE id = ?", (key,)).fetchone()[0]
    conn.close()
    scheme, _, value = key_id.partition(":")
    paper = value if scheme == "s2" else f"{scheme.upper()}:{value}"
    if args.window is not None:
        os.environ["CITEGRAPH_S2_CITATION_WINDOW"] = str(args.window)
    limit = 100
    cap = 10_000 if not args.window else args.window
    last = min(cbc - 1, cap - limit - 1) // limit * limit
    offsets = sorted({0, 100, 1000, 5000, last} & set(range(0, last + 1, limit)) | {last})
    if args.window == 0:
        offsets = sorted(set(offsets) | {o for o in (20_000, 100_000, (cbc - 1) // limit * limit) if o < cbc})
    server, port = start_server(args.db)
    report: dict[str, object] = {"db": str(args.db), "paper": paper, "citations": cbc, "limit": limit}
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        base = f"/s2/graph/v1/paper/{paper}/citations?limit={limit}"
        latency(client, [f"{base}&offset={o}" for o in offsets] * 5)  # warm the cache and the code paths
        report["constant_5kb"] = latency(client, ["/-/bench/constant"] * args.requests)
        for name, fields in (("default_fields", ""), ("rich_fields", "&fields=title,year,authors,citationCount,"
                                                                     "isInfluential")):
            per_offset = {}
            for o in offsets:
                per_offset[str(o)] = latency(client, [f"{base}{fields}&offset={o}"] * args.requests)
            first, deepest = per_offset[str(offsets[0])]["p50_us"], per_offset[str(offsets[-1])]["p50_us"]
            report[name] = {"per_offset_us": per_offset, "deepest_over_first_p50": round(deepest / first, 2)}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
    print_report(report)


if __name__ == "__main__":
    sys.exit(main())
