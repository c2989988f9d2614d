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


def test_a_work_loaded_again_is_one_document_in_the_index(tmp_path: Path) -> None:
    """A regression: re-indexing a work deleted nothing (the delete-by-term of tantivy-py misses unsigned terms),
    so every earlier version stayed searchable and a NOT query found the work that the positive one found too."""
    import tantivy

    import citegraph
    from citegraph import query as q

    data = Path(__file__).parent.parent / "data" / "semanticscholar"
    db = tmp_path / "g.db"
    with citegraph.open(db, create=True) as g:
        g.load([data / "datasets_papers.jsonl"], workers=0)  # the Turing paper, with its abstract
        g.load([data / "Paper.json.gz"], workers=0)  # the same paper from the API: loaded again
        key = g.resolve("CorpusId:14636783")
        index = g.search_index
        assert index is not None
        found = index.searcher.search(tantivy.Query.term_query(index.index.schema, "key", key), count=True)
        assert found.count == 1

        def keys(text: str) -> set[int]:
            parsed = q.parse_search(text)
            assert parsed is not None
            return {h.key for h in g.find(q.Query(text=parsed, page=q.Page(1, 1000))).hits}

        every, with_word, without = keys("turing"), keys("turing AND machine"), keys("turing NOT machine")
        assert with_word and not with_word & without and with_word | without == every
