"""Loading Crossref's format against loading OpenAlex's, per record, the same corpus in the same run.

    python benchmarks/generate.py --works 100000 --out DIR                      # OpenAlex parts
    python benchmarks/generate.py --works 100000 --out DIR --format crossref    # the same works, Crossref parts
    python benchmarks/crossref_load.py DIR [--out OUT] [--workers N] [--rounds 2]

Each round loads DIR's OpenAlex parts and DIR/crossref/ into fresh databases (alternating which goes first, so
neither always meets a warmer cache) and times the whole load (parse, map, write, build, search index). The
figure is microseconds per record loaded; the issue asks that Crossref's be no higher than OpenAlex's
(``ratio`` = Crossref µs per record / OpenAlex µs per record, ≤ 1). Crossref's parts hold only the works with
a DOI (92 %) and list references without a DOI as unstructured entries, so both loads write the same graph
between works with DOIs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import citegraph
from citegraph.graph.load import SOURCE_MODULES


def _fresh(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".rejects.jsonl"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(f"{db}.search", ignore_errors=True)


def load_once(files: list[Path], db: Path, workers: int | None) -> dict[str, float]:
    """Load ``files`` into a fresh database at ``db``; the timing and the resulting counts."""
    _fresh(db)
    t0 = time.perf_counter()
    with citegraph.open(db, create=True) as graph:
        report = graph.load(files, workers=workers)
        stats = graph.stats()
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "records": report.loaded, "rejected": report.rejected,
            "works": stats["works"], "edges": stats["edges"],
            "us_per_record": round(seconds / max(report.loaded, 1) * 1e6, 1),
            "input_bytes": sum(f.stat().st_size for f in files)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    if "crossref" not in SOURCE_MODULES:
        print("this citegraph has no Crossref source", file=sys.stderr)
        return 1
    openalex_files = sorted(args.corpus.glob("part_*.jsonl.gz")) or sorted(
        args.corpus.glob("data/works/updated_date=*/part_*.gz"))
    crossref_files = sorted((args.corpus / "crossref").glob("*.json.gz"))
    if not openalex_files or not crossref_files:
        print(f"{args.corpus} needs OpenAlex parts and crossref/*.json.gz (see the usage above)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[dict[str, float]]] = {"openalex": [], "crossref": []}
    for i in range(args.rounds):
        order = ["openalex", "crossref"] if i % 2 == 0 else ["crossref", "openalex"]
        for name in order:
            files = openalex_files if name == "openalex" else crossref_files
            runs[name].append(load_once(files, args.out / f"{name}.db", args.workers))
            print(f"round {i + 1} {name}: {runs[name][-1]}", file=sys.stderr)
    best = {name: min(r["us_per_record"] for r in rs) for name, rs in runs.items()}
    report = {
        "corpus": str(args.corpus), "workers": args.workers, "rounds": runs,
        "us_per_record_best": best,
        "us_per_record_median": {name: statistics.median(r["us_per_record"] for r in rs) for name, rs in runs.items()},
        "ratio_crossref_to_openalex": round(best["crossref"] / best["openalex"], 3),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
