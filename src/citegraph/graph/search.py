"""Full-text search: a tantivy index kept beside the database and rebuilt from it.

The index holds, per work, its title, abstract, author names, venue name and raw affiliation
strings, stemmed English (BM25 scoring). It is derived data: ``build_index`` rewrites it from the
store's records into a fresh folder and swaps it in, so an interrupted build leaves the old index
whole. Queries are built programmatically from the query model's TextQuery tree — user text never
goes through tantivy's query parser as syntax, only single quoted words and phrases do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import tantivy

from citegraph import query as q
from citegraph.model import Work

#: The analyser for every text field: lowercase, split on non-letters, English stemming.
TOKENIZER = "en_stem"
#: Search fields of the index.
TEXT_FIELDS = ("title", "abstract", "authors", "venue", "affiliations", "publisher", "funders", "year",
               "bibliographic")
#: A field of whole-token flags a text search may filter on without SQL (``has_doi``: Crossref's implicit filter).
FLAGS_FIELD = "flags"
#: The flag each indexed boolean query field is filed under, on the works where it is *false*: nearly every work
#: has a DOI, so excluding the few without one is cheap where requiring the many with one is not (1.7 ms of a
#: 3.2 ms query.bibliographic on 1M works).
INDEXED_FLAGS: dict[str, str] = {q.HAS_DOI: "no_doi"}
#: Bumped whenever TEXT_FIELDS, the flags or the analyser change: an index of another schema is rebuilt, never
#: queried.
INDEX_SCHEMA = 5
#: Which index fields each query text field searches.
FIELD_MAP: dict[str, tuple[str, ...]] = {
    q.TITLE: ("title",),
    q.ABSTRACT: ("abstract",),
    q.TITLE_AND_ABSTRACT: ("title", "abstract"),
    q.FULLTEXT_DEFAULT: ("title", "abstract", "authors", "venue"),
    q.AFFILIATION: ("affiliations",),
    q.AUTHOR_NAME: ("authors",),
    q.VENUE_NAME: ("venue",),
    q.PUBLISHER_TEXT: ("publisher",),
    q.FUNDER_TEXT: ("funders",),
    # a reference as cited: title, people, container and year (Crossref's query.bibliographic), as one field:
    # a 5-word query is 5 posting lists, not 20 (measured on 1M works: 3.4 ms → 1.3 ms with the count)
    q.BIBLIOGRAPHIC: ("bibliographic",),
}
#: Most matches one text predicate yields (by relevance); beyond this, filters see the best ones only.
MAX_TEXT_HITS = 200_000
#: Writer heap for builds: tantivy's minimum is 15 MB; 256 MB makes fewer, larger segments.
WRITER_HEAP = 256 * 1024 * 1024
#: The file inside the index folder that says which database build the index was made from.
STAMP = "citegraph-index.json"


def index_path(db_path: str | os.PathLike[str]) -> Path:
    """Where the search index of a database lives: beside it, as ``<db>.search``."""
    return Path(f"{os.fspath(db_path)}.search")


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("key", stored=False, indexed=True, fast=True)  # indexed: updates delete by key
    for name in TEXT_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name=TOKENIZER)
    sb.add_text_field(FLAGS_FIELD, stored=False, tokenizer_name="raw")
    return sb.build()


def document_text(work: Work) -> dict[str, str]:
    """The text of a work, per index field."""
    title = " ".join(t for t in [work.title or "", *work.subtitle] if t)
    authors = " ; ".join(a.name or " ".join(p for p in (a.given, a.family) if p) for a in work.authors)
    venue = " ; ".join(t for t in [work.venue.name if work.venue and work.venue.name else "",
                                   *work.container_titles] if t)
    year = str(work.publication_year) if work.publication_year else ""
    return {
        "title": title,
        "abstract": work.abstract or "",
        "authors": authors,
        "venue": venue,
        "affiliations": " ; ".join(af.raw or af.name or "" for a in work.authors for af in a.affiliations),
        "publisher": work.publisher or (work.venue.publisher if work.venue and work.venue.publisher else ""),
        "funders": " ; ".join(f.name for f in work.funders if f.name),
        "year": year,
        "bibliographic": " ; ".join(t for t in (title, authors, venue, year) if t),
        FLAGS_FIELD: "" if any(i.scheme == "doi" for i in work.ids) else INDEXED_FLAGS[q.HAS_DOI],
    }


def build_index(path: Path, works: Iterable[tuple[int, Work]], stamp: str) -> int:
    """Write a fresh index of ``works`` at ``path`` (atomically replacing any old one); returns docs written."""
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    index = tantivy.Index(_schema(), path=str(tmp))
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
    n = 0
    for key, work in works:
        writer.add_document(_document(key, document_text(work)))
        n += 1
    writer.commit()
    writer.wait_merging_threads()
    _write_stamp(tmp, stamp)
    old = path.with_name(path.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        path.rename(old)
    tmp.rename(path)
    shutil.rmtree(old, ignore_errors=True)
    return n


def _document(key: int, text: dict[str, str]) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_unsigned("key", key)
    for name, value in text.items():
        if name == FLAGS_FIELD:
            for flag in value.split():  # each flag one whole token
                doc.add_text(name, flag)
        elif value:
            doc.add_text(name, value)
    return doc


def _write_stamp(path: Path, stamp: str) -> None:
    tmp = path / (STAMP + ".tmp")
    tmp.write_text(json.dumps({"build": stamp, "schema": INDEX_SCHEMA}))
    tmp.replace(path / STAMP)


def empty_index(path: Path, stamp: str) -> None:
    """Create an empty index at ``path`` stamped ``stamp`` (for a new, empty database)."""
    build_index(path, [], stamp)


class IndexUpdater:
    """Adds and replaces documents in an existing index during a load; nothing is visible until commit.

    An interrupted load never commits, so the index keeps its old stamp and the next load rebuilds it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.index = tantivy.Index.open(str(path))
        self.writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
        self.schema = self.index.schema
        self.changed = 0

    def put(self, key: int, text: dict[str, str]) -> None:
        """Index (or re-index) one work."""
        # a term query: delete_documents_by_term does not match an unsigned field's terms (tantivy-py 0.22–0.27),
        # which left every older version of a re-indexed work in the index
        self.writer.delete_documents_by_query(tantivy.Query.term_query(self.schema, "key", key))
        self.writer.add_document(_document(key, text))
        self.changed += 1

    def commit(self, stamp: str) -> None:
        """Make the changes visible and mark the index as matching database build ``stamp``."""
        self.writer.commit()
        self.writer.wait_merging_threads()
        _write_stamp(self.path, stamp)


def index_stamp(path: Path) -> str | None:
    """The database build an index was made from, or None when there is no index (or one of an older schema,
    which must be rebuilt before use)."""
    try:
        stamp = json.loads((path / STAMP).read_text())
        if stamp.get("schema", 1) != INDEX_SCHEMA:
            return None
        return str(stamp["build"])
    except (OSError, ValueError, KeyError, AttributeError):
        return None


class SearchIndex:
    """A read-only view of the index: text predicates in, {work key: BM25 score} out."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.index = tantivy.Index.open(str(path))
        self.searcher = self.index.searcher()

    def _word(self, word: str, fields: tuple[str, ...], *, prefix: bool = False, fuzzy: int = 0,
              slop: int = 0) -> tantivy.Query | None:
        clean = word.replace('"', " ").replace("\\", " ").strip()
        if not clean:
            return None
        # the parser only sees one quoted phrase: it analyses it like indexed text, nothing more; a prefix is a
        # fuzzy match of no edits in prefix mode, on the analysed (stemmed) word
        if prefix or fuzzy:
            return self.index.parse_query(f'"{clean}"', list(fields),
                                          fuzzy_fields={f: (prefix, fuzzy, True) for f in fields})
        return self.index.parse_query(f'"{clean}"~{slop}' if slop else f'"{clean}"', list(fields))

    def _build(self, node: q.TextQuery, fields: tuple[str, ...]) -> tantivy.Query | None:
        if isinstance(node, q.Term):
            return self._word(node.text, fields, prefix=node.prefix, fuzzy=node.fuzzy)
        if isinstance(node, q.Phrase):
            return self._word(" ".join(node.words), fields, slop=node.slop)
        if isinstance(node, q.TextNot):
            inner = self._build(node.part, fields)
            if inner is None:
                return tantivy.Query.all_query()
            return tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.all_query()),
                                                (tantivy.Occur.MustNot, inner)])
        parts = [self._build(p, fields) for p in node.parts]
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        occur = tantivy.Occur.Must if isinstance(node, q.TextAnd) else tantivy.Occur.Should
        return tantivy.Query.boolean_query([(occur, p) for p in kept])

    def _top_clauses(self, text: q.TextQuery, fields: tuple[str, ...],
                     alone: bool) -> list[tuple[tantivy.Occur, tantivy.Query]] | None:
        """``text`` as clauses of the top-level boolean query ``top`` runs (None: no searchable word).

        Its parts are lifted to the top level where that keeps the meaning: an AND's always, an OR's when it is
        the only text (a boolean query without a Must clause needs one of its Should clauses, as the OR does). A
        nested boolean costs a scorer per level: lifting an OR of 5 words cuts its search by ~30% on 1M works,
        with the same matches and scores.
        """
        if isinstance(text, q.TextAnd) or (alone and isinstance(text, q.TextOr)):
            occur = tantivy.Occur.Must if isinstance(text, q.TextAnd) else tantivy.Occur.Should
            parts = [(occur, built) for built in (self._build(p, fields) for p in text.parts) if built is not None]
            return parts or None
        built = self._build(text, fields)
        return None if built is None else [(tantivy.Occur.Must, built)]

    def search(self, field: str, text: q.TextQuery, limit: int = MAX_TEXT_HITS) -> dict[int, float]:
        """Works matching ``text`` in the query field ``field``, with BM25 scores (best first)."""
        fields = FIELD_MAP.get(field)
        if fields is None:
            raise q.QueryError(f"{field} is not a searchable text field")
        query = self._build(text, fields)
        if query is None:
            return {}
        result = self.searcher.search(query, limit=limit, count=False)
        if not result.hits:
            return {}
        addresses = [addr for _score, addr in result.hits]
        keys = self.searcher.fast_field_values("key", addresses)
        return {int(k): float(score) for k, (score, _addr) in zip(keys, result.hits, strict=True) if k is not None}

    def top(self, texts: Sequence[tuple[str, q.TextQuery]], without: Sequence[str],
            limit: int) -> tuple[int, list[tuple[int, float]]]:
        """The ``limit`` best works matching every text (scores summed) and holding none of the flags ``without``,
        best first, and how many works match in all."""
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for field, text in texts:
            fields = FIELD_MAP.get(field)
            if fields is None:
                raise q.QueryError(f"{field} is not a searchable text field")
            own = self._top_clauses(text, fields, alone=len(texts) == 1)
            if own is None:
                return 0, []  # a text with no searchable word matches nothing (as in ``search``)
            clauses += own
        for flag in without:
            clauses.append((tantivy.Occur.MustNot, tantivy.Query.term_query(self.index.schema, FLAGS_FIELD, flag)))
        result = self.searcher.search(tantivy.Query.boolean_query(clauses), limit=limit, count=True)
        count = getattr(result, "count", None) or 0  # (count=True fills it; the type stubs omit it)
        if not result.hits:
            return count, []
        keys = self.searcher.fast_field_values("key", [addr for _score, addr in result.hits])
        return count, [(int(k), float(score)) for k, (score, _a) in zip(keys, result.hits, strict=True)
                       if k is not None]

    def prefix_titles(self, prefix: str, limit: int = 10) -> dict[int, float]:
        """Works whose titles hold every word of ``prefix``, the last one as a word prefix (autocomplete)."""
        words = [w for w in re.split(r"\W+", prefix.lower()) if w]
        if not words:
            return {}
        parts: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for word in words[:-1]:
            q_word = self._word(word, ("title",))
            if q_word is not None:
                parts.append((tantivy.Occur.Must, q_word))
        # the last word may be unfinished: indexed (stemmed) terms that start with it, or the word itself
        last: list[tuple[tantivy.Occur, tantivy.Query]] = [
            (tantivy.Occur.Should, tantivy.Query.regex_query(self.index.schema, "title", re.escape(words[-1]) + ".*"))]
        whole = self._word(words[-1], ("title",))
        if whole is not None:
            last.append((tantivy.Occur.Should, whole))
        parts.append((tantivy.Occur.Must, tantivy.Query.boolean_query(last)))
        result = self.searcher.search(tantivy.Query.boolean_query(parts), limit=limit, count=False)
        addresses = [addr for _score, addr in result.hits]
        if not addresses:
            return {}
        keys = self.searcher.fast_field_values("key", addresses)
        return {int(k): float(s) for k, (s, _a) in zip(keys, result.hits, strict=True) if k is not None}


TextSearch = Callable[[q.Text], dict[int, float]]
