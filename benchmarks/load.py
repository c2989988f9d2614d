"""Load throughput: citegraph's pipeline against the simplest honest baseline, in the same run.

    python benchmarks/load.py CORPUS_DIR [--out DIR] [--workers N] [--skip-baseline]

CORPUS_DIR is what benchmarks/generate.py wrote. The baseline is a single-process loop that
json.loads each line and inserts it into one SQLite table (benchmarks/baseline.py). Prints a JSON
report: works/s and edges/s for both, their ratio, build time, peak RSS, database size, bytes per
work (records, works, ids) and bytes per edge (edges and the citation indexes).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import citegraph  # noqa: E402
from citegraph.graph.load import expand_inputs  # noqa: E402

#: Tables (and their indexes) whose pages count as the per-work cost.
WORK_TABLES = ("works", "works_cbc", "work_ids", "work_ids_work", "records", "facets", "facet_values",
               "sqlite_autoindex_facet_values_1", "names")
#: Tables (and indexes) whose pages count as the per-edge cost.
EDGE_TABLES = ("edges", "citers", "citers_date", "refs_sorted", "refs_sorted_date", "counts_by_year")


def table_bytes(db: Path) -> dict[str, int]:
    """Bytes on disk per table and index, from SQLite's dbstat."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        return {name: size for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")}


def peak_rss_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its (waited-for) children, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self_mb": round(own, 1), "children_max_mb": round(kids, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    files, _ = expand_inputs([args.corpus])
    files = [f for f in files if f.name != "corpus.json"]
    report: dict[str, object] = {"corpus": str(args.corpus), "files": len(files),
                                 "input_bytes": sum(f.stat().st_size for f in files)}
    meta = args.corpus / "corpus.json"
    if meta.exists():
        report["corpus_meta"] = json.loads(meta.read_text())

    if not args.skip_baseline:
        from baseline import run_baseline  # type: ignore[import-not-found]

        base_db = args.out / "baseline.db"
        base_db.unlink(missing_ok=True)
        report["baseline"] = run_baseline(files, base_db)
        base_db.unlink(missing_ok=True)

    db = args.out / "citegraph.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(f"{db}.search", ignore_errors=True)
    t0 = time.perf_counter()
    with citegraph.open(db, create=True) as g:
        res = g.load(files, workers=args.workers, rejects_path=args.out / "rejects.jsonl")
        stats = g.stats()
    elapsed = time.perf_counter() - t0
    sizes = table_bytes(db)
    works = stats["works"]
    edges = stats["edges"]
    ours = {
        "works": works, "edges": edges, "stubs": stats["stubs"], "rejected": res.rejected,
        "seconds": round(elapsed, 2), "build_seconds": round(res.build_seconds, 2),
        "build_steps": res.build_steps, "search_index_seconds": round(res.index_seconds, 2),
        "works_per_s": round(works / elapsed), "edges_per_s": round(edges / elapsed),
        "db_bytes": db.stat().st_size,
        "bytes_per_work": round(sum(sizes.get(t, 0) for t in WORK_TABLES) / max(works, 1), 1),
        "record_bytes_per_work": round(sizes.get("records", 0) / max(works, 1), 1),
        "bytes_per_edge": round(sum(sizes.get(t, 0) for t in EDGE_TABLES) / max(edges, 1), 1),
        "table_bytes": sizes,
    }
    report["citegraph"] = ours
    report["rss"] = peak_rss_mb()
    report["lookup_hint"] = f"python benchmarks/lookup.py {db}"
    if isinstance(report.get("baseline"), dict):
        base = report["baseline"]
        report["ratio_works_per_s"] = round(ours["works_per_s"] / max(base["works_per_s"], 1), 2)  # type: ignore[index]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
