"""Stream every citation of the most-cited work through the OpenCitations v2 dialect; time to first byte and total.

    python benchmarks/opencitations_api.py DB

``DB`` is a database with OpenCitations edges (``opencitations_load.py --keep`` leaves ``OUT/oc.db``). Starts
``citegraph serve`` on 127.0.0.1, then asks ``/opencitations/index/v2/citations/omid:br/…`` of the most-cited work
(JSON and CSV) and, in the same run, the constant 5 KB endpoint as the baseline. Reports rows, bytes, time to the
first byte and to the last, rows/s, and the server's resident memory before and after (it must stay bounded).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

import httpx

from common import print_report
from http_api import start_server


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process and its children (uvicorn runs the app in a child), in MB: all of it
    (``VmRSS``, which counts the pages of the memory-mapped database read so far) or the private part
    (``RssAnon``: what the server itself holds)."""
    total = 0
    for p in [pid, *[int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]]:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


def timed(client: httpx.Client, url: str) -> dict[str, float]:
    t = time.perf_counter()
    first = None
    size = 0
    with client.stream("GET", url) as r:
        for chunk in r.iter_bytes():
            if first is None:
                first = time.perf_counter() - t
            size += len(chunk)
    return {"ttfb_ms": round((first or 0) * 1000, 1), "total_ms": round((time.perf_counter() - t) * 1000, 1),
            "bytes": size}


def main() -> None:
    db = Path(sys.argv[1])
    conn = sqlite3.connect(db)
    key, cbc = conn.execute("SELECT id, cited_by_count FROM works ORDER BY cited_by_count DESC LIMIT 1").fetchone()
    omid = conn.execute("SELECT value FROM work_ids WHERE work_id = ? AND scheme = 'omid'", (key,)).fetchone()[0]
    conn.close()
    server, port = start_server(db)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=600) as client:
            before, before_private = rss_mb(server.pid), rss_mb(server.pid, "RssAnon")
            constant = timed(client, "/-/bench/constant")
            url = f"/opencitations/index/v2/citations/omid:{omid}"
            as_json = timed(client, url)
            as_csv = timed(client, url + "?format=csv")
            after, after_private = rss_mb(server.pid), rss_mb(server.pid, "RssAnon")
        print_report({"work": f"omid:{omid}", "citations": cbc, "constant_endpoint": constant, "json": as_json,
                      "csv": as_csv, "json_rows_per_s": round(cbc / as_json["total_ms"] * 1000),
                      "server_rss_mb_before": before, "server_rss_mb_after": after,
                      "server_private_mb_before": before_private, "server_private_mb_after": after_private})
    finally:
        os.killpg(server.pid, signal.SIGTERM)


if __name__ == "__main__":
    main()
