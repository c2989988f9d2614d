"""Papers, citations and authors in Semantic Scholar's shape (spec/api-dialects.md §4.3).

A work S2 gave us is served from its S2 record; any other work from its canonical record, in S2's shape. Counts
are our graph's (``citationCount``, ``referenceCount``; ``influentialCitationCount`` counts the citations S2
called influential), so a count always equals what the same server lists.

A server run with ``--counts upstream`` (:class:`~citegraph.graph.counts.CountsMode`) serves instead the three
counts as the work's S2 record gives them; a count the record lacks (or gives as ``null``) is ours, and a work
without an S2 record is served our counts. Authors' ``citationCount`` and ``hIndex`` are sums over our graph in
both modes (no S2 author record is loaded), and lists, filters and sorts stay ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from citegraph import ids
from citegraph.dialects.s2.params import (
    AUTHOR_FIELDS,
    DEFAULT_AUTHOR_FIELDS,
    DEFAULT_PAPER_FIELDS,
    NESTED_LIST_MAX,
    Fields,
)
from citegraph.graph import WorkRow
from citegraph.graph.counts import CountsMode
from citegraph.model import IS_INFLUENTIAL, Work

if TYPE_CHECKING:
    from citegraph.graph import Graph

SOURCE = "s2"
#: The schemes a paperId is printed from when the work has no S2 sha, best first: S2's own path forms, then
#: ours (read back by the same server's id parser).
PAPER_ID_SCHEMES: tuple[str, ...] = (ids.CORPUSID, ids.DOI, ids.ARXIV, ids.MAG, ids.ACL, ids.PMID, ids.PMCID)
PAPER_URL = "https://www.semanticscholar.org/paper/"
AUTHOR_URL = "https://www.semanticscholar.org/author/"
#: Our work types as S2 ``publicationTypes`` (for works S2 did not give us).
S2_TYPE_OF: dict[str, str] = {
    "article": "JournalArticle", "review": "Review", "book": "Book", "book-chapter": "BookSection",
    "dataset": "Dataset", "editorial": "Editorial", "letter": "LettersAndComments",
}
#: Fields every paper object can be given from the works table alone (no S2 record decoded).
RECORDLESS_FIELDS = frozenset({"paperId", "corpusId", "title", "year", "referenceCount", "citationCount",
                               "publicationDate"})
#: The paper fields that are counts: ``--counts upstream`` reads them from the S2 record.
COUNT_FIELDS = frozenset({"citationCount", "referenceCount", "influentialCitationCount"})
#: The canonical ``Work`` fields each paper field is rendered from, for a work S2 did not give us (the graph maps
#: a source's record the lean way when that is all a request needs).
CANONICAL_FIELDS: dict[str, frozenset[str]] = {
    "abstract": frozenset({"abstract"}), "venue": frozenset({"venue", "container_titles"}),
    "publicationVenue": frozenset({"venue"}), "isOpenAccess": frozenset({"is_oa"}),
    "openAccessPdf": frozenset({"oa_url", "oa_status"}), "fieldsOfStudy": frozenset({"concepts"}),
    "s2FieldsOfStudy": frozenset({"concepts"}), "publicationTypes": frozenset({"type"}),
    "journal": frozenset({"venue", "container_titles", "biblio"}), "authors": frozenset({"authors"}),
}
_decode = msgspec.json.Decoder().decode


def paper_id(pairs: Sequence[tuple[str, str]]) -> str | None:
    """The paperId a work is served under: its S2 sha, else one of its ids in a form ``/paper/{id}`` reads back
    (``CorpusId:1``, ``DOI:10.x/y``, ``OPENALEX:W1``…); None for an entry S2 listed without linking it."""
    by = dict(pairs)
    if ids.S2 in by:
        return by[ids.S2]
    for scheme in PAPER_ID_SCHEMES:
        if scheme in by:
            return ids.format_id((scheme, by[scheme]), "s2_paper_id")
    for scheme, value in pairs:
        if scheme not in (ids.S2REF,):
            return f"{scheme.upper()}:{value}"
    return None


def external_ids(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """S2's ``externalIds`` from a work's ids (CorpusId a number, as S2 prints it)."""
    out: dict[str, Any] = {}
    for scheme, value in pairs:
        key = ids.S2_EXTERNAL_ID_KEYS.get(scheme)
        if key is not None and key not in out:
            out[key] = int(value) if scheme == ids.CORPUSID and value.isdigit() else ids.format_id(
                (scheme, value), "s2")
    return out


class PaperRenderer:
    """Builds paper objects for a set of works with one read per kind of data, whatever the page size."""

    def __init__(self, graph: Graph, counts: CountsMode = CountsMode.OURS) -> None:
        self.graph = graph
        self.store = graph.store
        self.counts = counts  # whose counts the papers carry (see the module docstring)
        # upstream's counts are in the S2 record, so a request for them reads it
        self.recordless = RECORDLESS_FIELDS if counts is CountsMode.OURS else RECORDLESS_FIELDS - COUNT_FIELDS

    def papers(self, keys: Sequence[int], fields: Fields, *, nested: bool = False) -> dict[int, dict[str, Any]]:
        """Each known work of ``keys`` as a paper object with ``fields`` (``paperId`` always first)."""
        keys = list(dict.fromkeys(keys))
        rows = self.store.work_rows(keys)
        names = fields.names
        records: dict[int, dict[str, Any]] = {}
        if any(n not in self.recordless for n in names):
            for key, served in self.store.served_works(keys, SOURCE, None).items():
                if served.record is not None:
                    try:
                        rec = _decode(served.record)
                    except msgspec.DecodeError:
                        continue
                    if isinstance(rec, dict):
                        records[key] = rec
        canon: dict[int, Work] = {}
        needed = {f for n in names for f in CANONICAL_FIELDS.get(n, ())}
        if needed:
            canon = self.graph.canonical_works(
                [k for k in keys if k in rows and k not in records and not rows[k].stub], needed)
        influential = (self.store.influential_counts(keys, SOURCE)
                       if "influentialCitationCount" in names else {})
        lists: dict[tuple[int, str], list[int]] = {}
        if not nested:
            for name in ("citations", "references"):
                if name in names:
                    for key in rows:
                        lists[(key, name)] = self.store.listed(key, SOURCE, name, limit=NESTED_LIST_MAX)
        nested_objs: dict[str, dict[int, dict[str, Any]]] = {}
        for name in ("citations", "references"):
            if name in names and not nested:
                sub = Fields(fields.sub.get(name) or list(DEFAULT_PAPER_FIELDS))
                wanted = [k for (key, n), ks in lists.items() if n == name for k in ks]
                nested_objs[name] = self.papers(wanted, sub, nested=True) if wanted else {}
        author_stats = self._author_stats(keys, rows, records, canon, fields)
        out: dict[int, dict[str, Any]] = {}
        for key in keys:
            row = rows.get(key)
            if row is None:
                continue
            rec = records.get(key)
            obj: dict[str, Any] = {"paperId": paper_id(row.ids)}
            for name in names:
                if name == "paperId":
                    continue
                if name in ("citations", "references"):
                    objs = nested_objs.get(name, {})
                    obj[name] = [objs[k] for k in lists.get((key, name), []) if k in objs]
                    continue
                obj[name] = self._value(name, row, rec, canon.get(key), fields, influential, author_stats)
            out[key] = obj
        return out

    def _value(self, name: str, row: WorkRow, rec: dict[str, Any] | None, work: Work | None, fields: Fields,
               influential: dict[int, int], author_stats: dict[str, dict[str, Any]]) -> Any:
        """One field of one paper: our graph's counts (or the S2 record's, ``--counts upstream``) and ids, else the
        S2 record's value, else the canonical record's in S2's shape."""
        if name in COUNT_FIELDS and rec is not None and self.counts is CountsMode.UPSTREAM:
            stated = rec.get(name)
            if isinstance(stated, int) and not isinstance(stated, bool):
                return stated
        if name == "citationCount":
            return row.cited_by_count
        if name == "referenceCount":
            return row.referenced_works_count
        if name == "influentialCitationCount":
            return influential.get(row.id, 0)
        if name == "corpusId":
            for scheme, value in row.ids:
                if scheme == ids.CORPUSID and value.isdigit():
                    return int(value)
            return rec.get("corpusId") if rec else None
        if name == "externalIds":
            own = rec.get("externalIds") if rec else None
            merged = external_ids(row.ids)
            if isinstance(own, dict):  # S2's own spelling of its ids wins (it prints DOIs as registered)
                merged.update({k: v for k, v in own.items() if v is not None})
            return merged
        if name == "url":
            if rec and rec.get("url"):
                return rec["url"]
            sha = dict(row.ids).get(ids.S2)
            return PAPER_URL + sha if sha else None
        if name == "authors":
            authors = self._authors(rec, work)
            sub = fields.sub.get("authors") or list(DEFAULT_AUTHOR_FIELDS)
            return [_project_author(a, sub, author_stats) for a in authors]
        if rec is not None and name in rec:
            return rec[name]
        if name == "title":
            return row.title
        if name == "year":
            return row.publication_year
        if name == "publicationDate":
            date = row.publication_date
            return date if date and len(date) == 10 else None
        return _from_canonical(name, work)

    @staticmethod
    def _authors(rec: dict[str, Any] | None, work: Work | None) -> list[dict[str, Any]]:
        if rec is not None and isinstance(rec.get("authors"), list):
            return [a for a in rec["authors"] if isinstance(a, dict)]
        if work is None:
            return []
        out = []
        for author in work.authors:
            if author.role != "author":
                continue
            s2 = next((i.value for i in author.ids if i.scheme == "s2author"), None)
            out.append({"authorId": s2, "name": author.name})
        return out

    def _author_stats(self, keys: Sequence[int], rows: dict[int, WorkRow], records: dict[int, dict[str, Any]],
                      canon: dict[int, Work], fields: Fields) -> dict[str, dict[str, Any]]:
        """paperCount, citationCount and hIndex of every author on these papers, when the request asks for them."""
        sub = fields.sub.get("authors") or []
        if not {"paperCount", "citationCount", "hIndex"} & set(sub):
            return {}
        wanted: set[str] = set()
        for key in keys:
            for a in self._authors(records.get(key), canon.get(key)):
                if isinstance(a.get("authorId"), str):
                    wanted.add(a["authorId"])
        return {a: author_summary(self.graph, a) for a in wanted}


def _project_author(author: dict[str, Any], sub: list[str], stats: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    aid = author.get("authorId")
    for name in sub:
        if name in ("paperCount", "citationCount", "hIndex"):
            out[name] = stats.get(aid, {}).get(name) if isinstance(aid, str) else None
        elif name == "url":
            out[name] = author.get("url") or (AUTHOR_URL + aid if isinstance(aid, str) else None)
        elif name in ("affiliations",):
            out[name] = author.get(name) or []
        else:
            out[name] = author.get(name)
    return out


def _from_canonical(name: str, work: Work | None) -> Any:
    """A field of a work S2 did not give us, from the canonical record (None where it has nothing)."""
    if work is None:
        return [] if name in ("s2FieldsOfStudy",) else None
    venue = work.venue
    if name == "abstract":
        return work.abstract
    if name == "venue":
        return (venue.name if venue and venue.name else work.container_titles[0] if work.container_titles else "")
    if name == "publicationVenue":
        if venue is None or not venue.name:
            return None
        issns = [i.value for i in venue.ids if i.scheme == ids.ISSN]
        out: dict[str, Any] = {"name": venue.name, "type": venue.type}
        if issns:
            out["issn"] = issns[0]
        return out
    if name == "isOpenAccess":
        return bool(work.is_oa)
    if name == "openAccessPdf":
        return {"url": work.oa_url, "status": (work.oa_status or "").upper() or None} if work.oa_url else None
    if name == "fieldsOfStudy":
        fields = [c.field for c in work.concepts if c.field]
        return list(dict.fromkeys(fields)) or None
    if name == "s2FieldsOfStudy":
        return [{"category": f, "source": "external"}
                for f in dict.fromkeys(c.field for c in work.concepts if c.field)]
    if name == "publicationTypes":
        kind = S2_TYPE_OF.get(work.type or "")
        return [kind] if kind else None
    if name == "journal":
        name_ = venue.name if venue and venue.name else (work.container_titles[0] if work.container_titles else None)
        if name_ is None:
            return None
        b = work.biblio
        pages = "-".join(p for p in (b.first_page, b.last_page) if p) or None
        out = {"name": name_}
        if b.volume:
            out["volume"] = b.volume
        if pages:
            out["pages"] = pages
        return out
    return None


def author_works(graph: Graph, author_id: str) -> list[int]:
    """Keys of the works whose byline holds this S2 author id."""
    from citegraph import query as q

    result = graph.find(q.Query(where=q.And((q.Eq(q.AUTHOR_ID, (("s2author", author_id),)),)),
                                sort=(q.Sort(q.CITED_BY_COUNT, descending=True),), page=q.Page(1, 10_000)))
    return [h.key for h in result.hits]


def h_index(counts: Sequence[int]) -> int:
    """The largest h such that h works have at least h citations each."""
    ranked = sorted(counts, reverse=True)
    return sum(1 for i, c in enumerate(ranked, start=1) if c >= i)


def author_summary(graph: Graph, author_id: str) -> dict[str, Any]:
    """paperCount, citationCount and hIndex of an S2 author, from our graph's works and counts."""
    keys = author_works(graph, author_id)
    rows = graph.store.work_rows(keys)
    counts = [r.cited_by_count for r in rows.values()]
    return {"paperCount": len(keys), "citationCount": sum(counts), "hIndex": h_index(counts)}


def citation_item(side: str, paper: dict[str, Any] | None, facts: tuple[int, bytes | None] | None,
                  citation_fields: Sequence[str]) -> dict[str, Any]:
    """One /citations (``side`` "citingPaper") or /references ("citedPaper") item."""
    item: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    flags = 0
    if facts is not None:
        flags = facts[0]
        if facts[1]:
            try:
                decoded = _decode(facts[1])
                extras = decoded if isinstance(decoded, dict) else {}
            except msgspec.DecodeError:
                extras = {}
    for name in citation_fields:
        if name == "isInfluential":
            item[name] = bool(flags & IS_INFLUENTIAL)
        else:
            item[name] = extras.get(name, [])
    item[side] = paper if paper is not None else {"paperId": None}
    return item


__all__ = ["AUTHOR_FIELDS", "PaperRenderer", "author_summary", "citation_item", "external_ids", "h_index",
           "paper_id"]
