"""A small update to a big database: the build after it, updating the derived tables of the works touched, against
a full rebuild of the same database in the same run.

    python benchmarks/incremental.py DB CORPUS_DIR [--records 1000] [--seed 11]

Takes ``--records`` OpenAlex records from the corpus the database was loaded from (benchmarks/generate.py), makes
each a newer version (``updated_date`` moved on; its first reference dropped, a reference to another work of the
corpus added), loads them (``citegraph load``: write, incremental build, metrics), then rebuilds every derived table
of the same database (the baseline). Prints one JSON object: both builds' seconds and steps, their ratio, and the
metrics build that follows a load. Changes the database: run it on a copy.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import tempfile
import time
from pathlib import Path

import citegraph


def newer_records(corpus: Path, count: int, seed: int = 11) -> list[dict]:
    """``count`` records of the corpus's first part in a newer version with one reference swapped (a later run with
    a larger ``seed`` makes versions newer still)."""
    part = sorted(corpus.rglob("*.gz"))[0]
    with gzip.open(part, "rt") as fh:
        records = [json.loads(line) for _, line in zip(range(count * 4), fh, strict=False)]
    rng = random.Random(seed)
    chosen = rng.sample([r for r in records if r.get("referenced_works")], count)
    others = [r["id"] for r in records]
    for r in chosen:
        r["updated_date"] = f"{2030 + seed:04d}-01-01T00:00:00.000000"
        r["referenced_works"] = r["referenced_works"][1:] + [rng.choice(others)]
    return chosen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db")
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=11, help="a larger seed than the last run's on the same database")
    args = ap.parse_args()
    out: dict[str, object] = {"db": args.db, "records": args.records}
    with tempfile.TemporaryDirectory() as tmp, citegraph.open(args.db, create=True) as g:
        path = Path(tmp) / "newer.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in newer_records(args.corpus, args.records, args.seed)))
        report = g.load([path], workers=0)
        out["update"] = {"updated": report.updated, "incremental": report.build_incremental,
                         "build_s": round(report.build_seconds, 2), "build_steps": report.build_steps,
                         "metrics_s": report.metrics_seconds, "elapsed_s": round(report.elapsed, 2)}
        g.store.set_meta("touched_all", "1")  # type: ignore[attr-defined]
        g.store.set_meta("dirty", "1")  # type: ignore[attr-defined]
        t = time.perf_counter()
        full = g.store.build()
        out["full_rebuild"] = {"build_s": round(time.perf_counter() - t, 2), "build_steps": full.steps}
        out["ratio_full_over_incremental"] = round(out["full_rebuild"]["build_s"]  # type: ignore[index]
                                                   / max(report.build_seconds, 1e-3), 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
