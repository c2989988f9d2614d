"""Two versions of citegraph serving one database, in the same run: the latency of one URL, in alternating rounds.

    git worktree add /tmp/baseline <rev>
    python benchmarks/versions.py DB /tmp/baseline/src [--path URL] [--rounds 7] [--seconds 3] [--workers 2]

Starts ``citegraph serve --workers N`` of DB (a SQLite file or a ``postgresql://`` URL) twice: from the baseline's
``src`` and from this checkout. Then, in each round, wrk at one connection measures the constant 5 KB endpoint and
the URL on each server in turn. The default URL is the most-cited work's 25 top citers
(``filter=cites:…&sort=cited_by_count:desc``). This machine's speed swings from one stretch of seconds to the next,
so the report gives each round's p50 per version, their medians and the ratio of the medians (this version over the
baseline), with the constant endpoint beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import citegraph  # noqa: E402
from http_api import start_server, wrk_latency  # noqa: E402

#: This checkout's package directory (the version under test).
HERE_SRC = Path(__file__).resolve().parents[1] / "src"


def most_cited_page(db: str) -> str:
    """The 25 top citers of the database's most-cited work, as the OpenAlex dialect serves them."""
    with citegraph.open(db, readonly=True) as g:
        key_id = g.store.conn.execute(  # type: ignore[attr-defined]
            "SELECT key_id FROM works ORDER BY cited_by_count DESC LIMIT 1").fetchone()[0]
    return f"/openalex/works?filter=cites:{key_id.split(':', 1)[1]}&sort=cited_by_count:desc&per-page=25"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db")
    ap.add_argument("baseline_src", type=Path, help="the other version's src directory")
    ap.add_argument("--path", default=None, help="the URL path and query to measure (default: top citers)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    path = args.path or most_cited_page(args.db)
    servers = {name: start_server(args.db, args.workers, src)
               for name, src in (("baseline", args.baseline_src), ("this", HERE_SRC))}
    try:
        p50: dict[str, list[float]] = {name: [] for name in servers}
        constant: dict[str, list[float]] = {name: [] for name in servers}
        for _server, port in servers.values():
            wrk_latency(f"http://127.0.0.1:{port}{path}", 2, None)  # warm both
        for _ in range(args.rounds):
            for name, (_server, port) in servers.items():
                base = f"http://127.0.0.1:{port}"
                constant[name].append(wrk_latency(f"{base}/-/bench/constant", args.seconds, None)["p50_us"])
                p50[name].append(wrk_latency(base + path, args.seconds, None)["p50_us"])
        medians = {name: statistics.median(v) for name, v in p50.items()}
        print(json.dumps({"path": path, "workers": args.workers, "p50_us_rounds": p50,
                          "p50_us_median": medians, "constant_5kb_p50_us_median":
                              {name: statistics.median(v) for name, v in constant.items()},
                          "this_over_baseline": round(medians["this"] / medians["baseline"], 2)}, indent=2))
    finally:
        for server, _port in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)


if __name__ == "__main__":
    main()
