#!/usr/bin/env python3
"""The simplest honest load, to measure citegraph's loader against.

    python benchmarks/baseline.py CORPUS_DIR --db out.db

One process reads every part file of CORPUS_DIR (either layout benchmarks/generate.py writes) with
stdlib gzip, ``json.loads`` each line and inserts (id, line) into one SQLite table
``works(id TEXT PRIMARY KEY, record TEXT)``: ``executemany`` in batches of 10,000 rows, one
transaction per file. Prints ``{works, seconds, works_per_s}`` as JSON.

Other scripts import ``run_baseline`` from here (``from baseline import run_baseline``); it lives in
``common.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import find_parts, print_report, run_baseline  # noqa: E402

__all__ = ["run_baseline", "main"]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Baseline load: stdlib gzip, json.loads, one SQLite table.")
    parser.add_argument("corpus", type=Path, help="corpus directory written by benchmarks/generate.py")
    parser.add_argument("--db", type=Path, required=True, help="SQLite file to create (must not exist)")
    args = parser.parse_args(argv)
    parts = find_parts(args.corpus)
    if not parts:
        parser.error(f"no part files under {args.corpus}")
    if args.db.exists():
        parser.error(f"{args.db} exists; the baseline measures a load into an empty database")
    print_report(run_baseline(parts, args.db))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
