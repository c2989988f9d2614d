"""Load a synthetic OpenCitations Index dump (the current CSV format) and measure edges per second.

    python benchmarks/opencitations_load.py --rows 20000000 --out /data/oc20m [--works 2000000] [--seed 1]

Writes ``OUT/index-v2-ROWS-WORKS-SEED.csv`` (once; reused by later runs), a dump of ``--rows`` citations among
``--works`` works known by OMIDs: citing works in order (about ten distinct references each, as the dumps group
them), one cited work in ten from a power law (so one work gathers hundreds of thousands of citers), one
creation date per citing work, timespans, flags.
Then, in the same run, on the same file:

- the baseline: Python's csv reader over the file doing nothing else (the floor of any CSV reader in Python);
- citegraph: ``citegraph.graph.load.load`` into a new SQLite database, the load itself and the build apart;
- a second load of the same file under another name: every edge again, and the count must not change.

Reports rows/s of each, their ratio, the build's seconds, and peak memory.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from common import peak_rss_mb, print_report

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from citegraph.graph.load import CITATION_READERS, CITATION_WORKERS, load  # noqa: E402
from citegraph.store import SQLiteStore  # noqa: E402

#: OMID numbers start here (a realistic 11-12 digit OMID with the 0610 supplier prefix).
OMID_BASE = 6_101_000_000


def generate(path: Path, rows: int, works: int, seed: int) -> None:
    """Write the synthetic dump: deterministic in (rows, works, seed).

    As in the real dumps: rows grouped by citing work, no row twice, one creation date per citing work (its
    publication date, at the precision known), the timespan to the cited work's date, mostly ``no`` flags.
    """
    rng = np.random.default_rng(seed)
    refs_per_work = max(1, rows // works)
    # cited works: one reference in ten from a Zipf head (the top work gets about 2% of all citations, hundreds
    # of thousands in a 20M-row dump), the rest uniform; a citing work's references are distinct
    ranks = np.minimum(rng.zipf(1.2, size=rows), works) - 1
    cited = np.where(rng.random(size=rows) < 0.1, rng.permutation(works)[ranks], rng.integers(0, works, size=rows))
    spare = rng.integers(0, works, size=rows)
    years = rng.integers(1950, 2025, size=works)
    months = rng.integers(1, 13, size=works)
    days = rng.integers(1, 29, size=works)
    precision = rng.random(size=works)
    flag_draw = rng.random(size=rows)
    written = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("id,citing,cited,creation,timespan,journal_sc,author_sc\n")
        citing = 0
        at = 0
        while written < rows:
            citing_work = citing % works
            chosen = set(cited[at:at + refs_per_work].tolist()) - {citing_work}
            extra = at
            while len(chosen) < refs_per_work and extra < at + 4 * refs_per_work:
                chosen.add(int(spare[extra % rows]))
                extra += 1
            refs = sorted(chosen - {citing_work})
            at = (at + refs_per_work) % rows
            citing += 1
            y, m, d, p = (int(years[citing_work]), int(months[citing_work]), int(days[citing_work]),
                          float(precision[citing_work]))
            creation = f"{y}" if p < 0.1 else f"{y}-{m:02d}" if p < 0.3 else f"{y}-{m:02d}-{d:02d}"
            a = OMID_BASE + citing_work
            lines = []
            for ref in refs:
                if written >= rows:
                    break
                span_y = y - int(years[ref])
                sign = "-" if span_y < 0 else ""
                span = f"{sign}P{abs(span_y)}Y" if p < 0.1 else f"{sign}P{abs(span_y)}Y{m % 12}M" if p < 0.3 else (
                    f"{sign}P{abs(span_y)}Y{m % 12}M{d % 28}D")
                f = flag_draw[written]
                jsc = "yes" if f > 0.97 else "no"
                asc = "yes" if f > 0.95 else "no"
                b = OMID_BASE + ref
                lines.append(f"oci:0{a}-0{b},omid:br/0{a},omid:br/0{b},{creation},{span},{jsc},{asc}\n")
                written += 1
            fh.write("".join(lines))


def baseline(path: Path) -> float:
    """Seconds for csv.reader to read every row of the file."""
    t = time.perf_counter()
    n = 0
    with open(path, encoding="utf-8", newline="") as fh:
        for _row in csv.reader(fh):
            n += 1
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--works", type=int, default=0, help="default: rows / 10")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--keep", action="store_true", help="keep the database")
    args = ap.parse_args()
    works = args.works or max(2, args.rows // 10)
    args.out.mkdir(parents=True, exist_ok=True)
    dump = args.out / f"index-v2-{args.rows}-{works}-{args.seed}.csv"  # v2: grouped, distinct (2026-12)
    if not dump.exists():
        t = time.perf_counter()
        generate(dump, args.rows, works, args.seed)
        print(f"generated {dump} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    base_s = baseline(dump)
    db = args.out / "oc.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    shutil.rmtree(Path(f"{db}.columns"), ignore_errors=True)
    store = SQLiteStore(db)
    t = time.perf_counter()
    report = load(store, [dump], build=False)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    built = store.build()
    build_s = time.perf_counter() - t
    edges = store.stats()["edges"]
    again = args.out / "again.csv"
    if again.exists():
        again.unlink()
    os.link(dump, again)
    t = time.perf_counter()
    load(store, [again], build=False)
    again_s = time.perf_counter() - t
    store.build()
    edges_again = store.stats()["edges"]
    again.unlink()
    store.close()
    size = db.stat().st_size
    if not args.keep:
        for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            p.unlink(missing_ok=True)
        shutil.rmtree(Path(f"{db}.columns"), ignore_errors=True)
    print_report({
        "rows": args.rows, "works": works, "readers": f"{CITATION_WORKERS} {CITATION_READERS}",
        "baseline_csv_reader_rows_per_s": round(args.rows / base_s),
        "load_rows_per_s": round(args.rows / load_s),
        "ratio_load_to_baseline": round(base_s / load_s, 3),
        "load_s": round(load_s, 1), "build_s": round(build_s, 1), "build_steps": built.steps,
        "load_and_build_rows_per_s": round(args.rows / (load_s + build_s)),
        "edges": edges, "self_loops": report.citation_self_loops, "rejected": report.rejected,
        "second_load_rows_per_s": round(args.rows / again_s), "edges_after_second_load": edges_again,
        "same_edges_twice_stay_one": edges_again == edges,
        "db_bytes_per_edge": round(size / max(edges, 1), 1),
        "peak_rss_mb": peak_rss_mb(),
    })


if __name__ == "__main__":
    main()
