"""Shared helpers for the benchmark scripts: timing, percentiles, memory, reports, the baseline load.

The scripts in this folder are run directly (``python benchmarks/<script>.py``), so Python puts this
folder on ``sys.path`` and they import this module as ``common``.
"""

from __future__ import annotations

import gzip
import json
import math
import resource
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

# Rows per executemany call in the baseline load: large enough that the per-call overhead vanishes,
# small enough that a batch's parsed lines stay a few tens of MB.
BASELINE_BATCH_ROWS = 10_000

# ru_maxrss is reported in KiB on Linux (bytes on macOS); benchmarks run on Linux.
_RSS_UNIT_BYTES = 1024 if sys.platform != "darwin" else 1

# Part-file name patterns of the two corpus layouts (plain JSON Lines, and the OpenAlex snapshot).
_PART_GLOBS = ("part_*.jsonl.gz", "data/works/updated_date=*/part_*.gz")


def percentile(values: Sequence[float], p: float) -> float:
    """Return the p-th percentile (0..100) of ``values`` by linear interpolation between ranks."""
    if not values:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def measure(fn: Callable[[], object], n: int, warmup: int = 3) -> dict[str, float]:
    """Call ``fn`` ``n`` times (after ``warmup`` untimed calls) and return p50/p90/p99 in microseconds."""
    if n < 1:
        raise ValueError("n must be at least 1")
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(n):
        start = clock()
        fn()
        samples.append((clock() - start) / 1000)
    return {
        "p50_us": round(percentile(samples, 50), 1),
        "p90_us": round(percentile(samples, 90), 1),
        "p99_us": round(percentile(samples, 99), 1),
        "n": n,
    }


def peak_rss_mb() -> dict[str, float]:
    """Return the peak resident set size, in MiB, of this process and of its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _RSS_UNIT_BYTES
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * _RSS_UNIT_BYTES
    return {"self_mb": round(own / 2**20, 1), "children_mb": round(children / 2**20, 1)}


def print_report(report: dict[str, Any]) -> None:
    """Print a benchmark report as one JSON object on stdout (scripts only; library code never prints)."""
    print(json.dumps(report, indent=2, sort_keys=False))


def find_parts(corpus_dir: str | Path) -> list[Path]:
    """Return a corpus directory's part files (either layout) in name order."""
    root = Path(corpus_dir)
    found: list[Path] = []
    for pattern in _PART_GLOBS:
        found.extend(root.glob(pattern))
    return sorted(found)


def _rows(lines: Iterable[bytes]) -> Iterable[tuple[str, str]]:
    """Parse each JSON line with the stdlib and yield (work id, record text)."""
    for line in lines:
        text = line.decode("utf-8").strip()
        if not text:
            continue
        record = json.loads(text)
        yield record["id"], text


def run_baseline(paths: Iterable[str | Path], db: str | Path) -> dict[str, float]:
    """Load part files into one SQLite table the simplest honest way and return {works, seconds, works_per_s}.

    One process, stdlib gzip and ``json.loads``, ``executemany`` in batches of
    ``BASELINE_BATCH_ROWS``, one transaction per file, SQLite defaults otherwise. The record is stored
    as the source line (parsed once to prove it is JSON and to take its id).
    """
    start = time.perf_counter()
    works = 0
    con = sqlite3.connect(str(db), isolation_level=None)
    try:
        con.execute("CREATE TABLE IF NOT EXISTS works(id TEXT PRIMARY KEY, record TEXT)")
        for path in paths:
            con.execute("BEGIN")
            with gzip.open(path, "rb") as handle:
                batch: list[tuple[str, str]] = []
                for row in _rows(handle):
                    batch.append(row)
                    if len(batch) >= BASELINE_BATCH_ROWS:
                        con.executemany("INSERT OR REPLACE INTO works(id, record) VALUES (?, ?)", batch)
                        works += len(batch)
                        batch = []
                if batch:
                    con.executemany("INSERT OR REPLACE INTO works(id, record) VALUES (?, ?)", batch)
                    works += len(batch)
            con.execute("COMMIT")
    finally:
        con.close()
    seconds = time.perf_counter() - start
    return {
        "works": works,
        "seconds": round(seconds, 2),
        "works_per_s": round(works / seconds, 1) if seconds > 0 else 0.0,
    }


def warm_page_cache(db: str | Path) -> dict[str, float]:
    """Read a SQLite database and the files beside it (columns, search index, graph arrays) once, so the OS page
    cache holds them as it does on a server that has been answering for a while. This machine's host drops the
    page cache when the machine idles (``dmesg``: ``idle-reclaim: drop_caches``); without this, a benchmark that
    starts after a pause measures reads from disk. A ``postgresql://`` URL is left as it is."""
    text = str(db)
    if "://" in text:
        return {"bytes": 0, "seconds": 0.0}
    t = time.perf_counter()
    total = 0
    base = Path(text)
    paths = [p for p in base.parent.glob(base.name + "*") if p.is_file()]
    paths += [p for d in base.parent.glob(base.name + ".*") if d.is_dir() for p in d.rglob("*") if p.is_file()]
    for path in paths:
        with open(path, "rb") as fh:
            while chunk := fh.read(16 << 20):
                total += len(chunk)
    return {"bytes": total, "seconds": round(time.perf_counter() - t, 1)}
