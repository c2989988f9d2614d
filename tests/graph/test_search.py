"""The search index beside a database: its stamp and schema."""

from __future__ import annotations

import json
from pathlib import Path

from citegraph.graph.search import INDEX_SCHEMA, STAMP, empty_index, index_stamp


def test_an_index_of_another_schema_counts_as_absent(tmp_path: Path) -> None:
    path = tmp_path / "g.db.search"
    empty_index(path, "7")
    assert index_stamp(path) == "7"
    (path / STAMP).write_text(json.dumps({"build": "7"}))  # what schema 1 wrote: no fields for Crossref queries
    assert INDEX_SCHEMA > 1 and index_stamp(path) is None  # so the next load rebuilds it, and nothing queries it
