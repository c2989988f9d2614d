"""HTTP latency and throughput of the OpenAlex dialect, against the HTTP stack's own cost in the same run.

    python benchmarks/http_api.py DB [--requests 2000] [--duration 4] [--rounds 5] [--connections 50] [--workers 1]

Starts ``citegraph serve`` on 127.0.0.1 (with the benchmark-only constant endpoint), then measures:
- p50/p90/p99 at one keep-alive connection for ``GET /openalex/works/{W id}`` over random works, for the
  constant 5 KB JSON endpoint (the floor: the stack alone), and for a 25-item
  ``filter=cites:<most-cited>&sort=cited_by_count:desc`` page, twice: with Python's stdlib client (its own
  reading and parsing of each answer included, and the server idle meanwhile) and with wrk at one connection
  (a C client: the server's and the loopback's time alone);
- requests/s at N connections (wrk, 127.0.0.1 only, bounded duration) for random work lookups and for
  the constant endpoint, and their ratio (the issue asks for at least 0.5).
The wrk figures are taken in alternating rounds; the report gives each round's and their medians. The
database's files are read once before the server starts (``common.warm_page_cache``: the host drops the page
cache when the machine idles).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

import citegraph

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import warm_page_cache  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path | str, workers: int = 1, src: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """``citegraph serve`` of ``db`` on a free 127.0.0.1 port, with the benchmark endpoints, once it answers;
    stop it with ``os.killpg(proc.pid, …)``. ``src``: serve the ``citegraph`` package under that directory (another
    version's ``src``) instead of the installed one."""
    port = free_port()
    env = {**os.environ, "CITEGRAPH_BENCH_ENDPOINTS": "1"}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    server = subprocess.Popen([sys.executable, "-m", "citegraph.cli", "serve", "--db", str(db), "--port",
                               str(port), "--workers", str(workers)], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/-/health")
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, port


def latency(client: http.client.HTTPConnection, urls: list[str]) -> dict[str, float]:
    """Percentiles of one request at a time over ``urls`` on one keep-alive connection, in microseconds.

    The stdlib client is used because it adds the least of its own time (httpx adds ~300 µs a request).
    """
    times = []
    for url in urls:
        t = time.perf_counter_ns()
        client.request("GET", url)
        r = client.getresponse()
        body = r.read()
        times.append((time.perf_counter_ns() - t) / 1000)
        if r.status != 200:
            raise RuntimeError(f"{url}: {r.status} {body[:200]!r}")
    times.sort()
    return {f"p{int(p * 100)}_us": round(times[min(len(times) - 1, int(p * len(times)))], 1)
            for p in (0.5, 0.9, 0.99)}


def run_wrk(url: str, connections: int, duration: int, paths: list[str] | None) -> str:
    """wrk's report (one thread; the server has the other core), over ``paths`` in random order if given."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
        if paths:
            script = Path(tmp) / "paths.lua"
            listing = ",".join(json.dumps(p) for p in paths)
            script.write_text("local paths = {" + listing + "}\n"
                              "math.randomseed(7)\n"
                              "request = function() return wrk.format('GET', paths[math.random(#paths)]) end\n")
            cmd += ["-s", str(script)]
        return subprocess.run([*cmd, url], capture_output=True, text=True, timeout=duration + 60).stdout


def wrk(url: str, connections: int, duration: int, paths: list[str] | None) -> float:
    """Requests per second from wrk."""
    out = run_wrk(url, connections, duration, paths)
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(f"wrk said: {out}")
    return float(match.group(1))


#: wrk's latency units, in microseconds.
_WRK_UNITS = {"us": 1.0, "ms": 1000.0, "s": 1_000_000.0}


def wrk_latency(url: str, duration: int, paths: list[str] | None) -> dict[str, float]:
    """p50/p90/p99 in microseconds at one connection, as wrk measures them: a C client sending each request
    as soon as the last answer is read, so the figure is the server's and the loopback's, not a Python
    client's own reading and parsing (which the stdlib figures include)."""
    out = run_wrk(url, 1, duration, paths)
    found = dict(re.findall(r"^\s+(50|90|99)%\s+([\d.]+\w+)", out, re.M))
    if len(found) != 3:
        raise RuntimeError(f"wrk said: {out}")
    report: dict[str, float] = {}
    for pct, text in found.items():
        number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
        report[f"p{pct}_us"] = round(float(number) * _WRK_UNITS[unit], 1)
    requests = re.search(r"(\d+) requests in", out)
    report["requests"] = float(requests.group(1)) if requests else 0.0
    return report


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def wrk_rounds(base: str, cites: str, work_urls: list[str], rounds: int, seconds: int,
               connections: int) -> dict[str, object]:
    """wrk's figures in ``rounds`` alternating rounds of ``seconds`` each, and the median of each over the rounds:
    this machine's speed swings by 2x from one ten-second stretch to the next, so each ratio is taken within one
    round (the work lookups against the constant endpoint measured right before them) and the rounds' median is
    reported beside every round's figures."""
    per_round: list[dict[str, float]] = []
    for _ in range(rounds):
        one = {
            "constant_5kb_p50_us": wrk_latency(f"{base}/-/bench/constant", seconds, None)["p50_us"],
            "work_by_id_p50_us": wrk_latency(base, seconds, work_urls)["p50_us"],
            "cites_most_cited_page_p50_us": wrk_latency(base + cites, seconds, None)["p50_us"],
            f"constant_5kb_rps_{connections}conn": round(wrk(f"{base}/-/bench/constant", connections, seconds, None)),
            f"work_by_id_rps_{connections}conn": round(wrk(base, connections, seconds, work_urls)),
        }
        one["ratio_work_to_constant"] = round(one[f"work_by_id_rps_{connections}conn"]
                                              / one[f"constant_5kb_rps_{connections}conn"], 2)
        per_round.append(one)
    medians = {key: _median([r[key] for r in per_round]) for key in per_round[0]}
    return {"wrk_1conn_and_rps_median_of_rounds": medians, "wrk_rounds": per_round}


#: Distinct works wrk's requests are drawn from (a few seconds of requests repeat few of them).
WRK_WORKS = 50_000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", help="a SQLite path or a postgresql:// URL")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--duration", type=int, default=4, help="seconds of each wrk measurement")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds of the wrk measurements")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    with citegraph.open(args.db, readonly=True) as g:
        conn = g.store.conn  # type: ignore[attr-defined]
        rng = random.Random(11)
        ids = [r[0] for r in conn.execute(
            "SELECT value FROM work_ids WHERE scheme='openalex' AND work_id IN"
            " (SELECT id FROM works WHERE stub=0 ORDER BY random() LIMIT ?)", (max(args.requests, WRK_WORKS),))]
        most = conn.execute("SELECT key_id FROM works ORDER BY cited_by_count DESC LIMIT 1").fetchone()[0]
    rng.shuffle(ids)
    wrk_urls = [f"/openalex/works/{w}" for w in ids]  # wrk draws from many works, so few repeat
    ids = ids[:args.requests]
    most_w = most.split(":", 1)[1]
    warmed = warm_page_cache(args.db)
    server, port = start_server(args.db, args.workers)
    base = f"http://127.0.0.1:{port}"
    report: dict[str, object] = {"db": str(args.db), "workers": args.workers, "most_cited": most_w,
                                 "page_cache_warmed": warmed}
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            work_urls = [f"/openalex/works/{w}" for w in ids]
            latency(client, work_urls[:200])  # warm the page cache and the code paths
            report["constant_5kb_1conn"] = latency(client, ["/-/bench/constant"] * args.requests)
            report["work_by_id_1conn"] = latency(client, work_urls)
            cites = f"/openalex/works?filter=cites:{most_w}&sort=cited_by_count:desc&per-page=25"
            report["cites_most_cited_page_1conn"] = latency(client, [cites] * 200)
            report["cites_most_cited_count"] = httpx.get(base + cites).json()["meta"]["count"]
        finally:
            client.close()
        if shutil.which("wrk"):
            report.update(wrk_rounds(base, cites, wrk_urls, args.rounds, args.duration, args.connections))
        else:
            report["wrk"] = "not installed (apt-get install wrk): throughput not measured"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
