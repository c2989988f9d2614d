"""OpenCitations Meta v1 (``/meta/v1/metadata/{ids joined by __}``) for the works we hold, from their canonical
records: one row per work, every value a string, in Meta's field order.

People and organisations print as Meta prints them, ``Family, Given [orcid:… openalex:A…]`` joined by ``; ``;
the venue as ``Name [issn:… openalex:S…]``. Meta names every person and venue by its own ``omid:ra/…`` or
``omid:br/…`` id; we print the ids we hold, in brackets that are empty when we hold none. Types are Meta's
words for the source's type.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Final

from citegraph import ids
from citegraph.dialects.opencitations.render import META_SCHEMES, SOURCE
from citegraph.graph.counts import CountsMode, edge_counts
from citegraph.model import Author, Work

if TYPE_CHECKING:
    from citegraph.graph import Graph

#: The fields of a Meta row, in the order the Meta API declares them.
META_FIELDS: Final = ("id", "title", "author", "pub_date", "issue", "volume", "venue", "page", "type", "publisher",
                      "editor")
#: The ``ids`` parameter as Meta's operation declares it (matched after lower-casing, as upstream does).
META_IDS: Final = re.compile(r"(doi|issn|isbn|omid|openalex|pmid|pmcid):.+?(__(doi|issn|isbn|omid|openalex|pmid|pmcid)"
                             r":.+?)*")
#: Ids asked for at once at most: each is a lookup (Meta's own limit is the URL's length).
MAX_META_IDS: Final = 200
#: Meta's type for a Crossref type (the type a Crossref record states).
META_TYPE_OF_CROSSREF: Final = {
    "journal-article": "journal article", "proceedings-article": "proceedings article",
    "book-chapter": "book chapter", "book-part": "book part", "book-section": "book section", "book": "book",
    "monograph": "book", "edited-book": "edited book", "reference-book": "reference book",
    "reference-entry": "reference entry", "book-series": "book series", "book-set": "book set",
    "journal": "journal", "journal-issue": "journal issue", "journal-volume": "journal volume",
    "proceedings": "proceedings", "proceedings-series": "proceedings series", "dataset": "dataset",
    "dissertation": "dissertation", "report": "report", "report-series": "report series", "standard": "standard",
    "posted-content": "web content", "peer-review": "peer review"}
#: Meta's type for an OpenAlex type (when no Crossref type is known).
META_TYPE_OF_OPENALEX: Final = {
    "article": "journal article", "review": "journal article", "letter": "journal article",
    "editorial": "journal article", "erratum": "journal article", "book-chapter": "book chapter", "book": "book",
    "dataset": "dataset", "dissertation": "dissertation", "report": "report", "standard": "standard",
    "preprint": "web content", "peer-review": "peer review", "reference-entry": "reference entry"}
_META_TYPES: Final = frozenset(META_TYPE_OF_CROSSREF.values())
#: The ids printed in a person's brackets, and in a venue's.
PERSON_SCHEMES: Final = (ids.OMID, ids.ORCID, ids.OPENALEX)
VENUE_SCHEMES: Final = (ids.OMID, ids.ISSN, ids.OPENALEX)


def _bracketed(name: str, pairs: Sequence[tuple[str, str]], schemes: Sequence[str]) -> str:
    """``Name [ids]``, the brackets always there (empty when we hold no id), as readers of Meta expect them."""
    return f"{name} [{' '.join(f'{s}:{v}' for s, v in pairs if s in schemes)}]"


def _person(a: Author) -> str:
    name = f"{a.family}, {a.given}" if a.family and a.given else (f"{a.family}," if a.family else a.name or "")
    return _bracketed(name, [(i.scheme, i.value) for i in a.ids], PERSON_SCHEMES)


def _meta_type(work: Work) -> str:
    if work.type_source and work.type_source in _META_TYPES:  # a Meta row's own word
        return work.type_source
    if work.type_source and work.type_source in META_TYPE_OF_CROSSREF:
        return META_TYPE_OF_CROSSREF[work.type_source]
    return META_TYPE_OF_OPENALEX.get(work.type or "", "")


def meta_row(work_ids: Sequence[tuple[str, str]], work: Work | None) -> dict[str, str]:
    """One work as a Meta row (a work known only by its ids has only ``id``)."""
    out = dict.fromkeys(META_FIELDS, "")
    out["id"] = " ".join(f"{s}:{v}" for s, v in work_ids if s in META_SCHEMES)
    if work is None:
        return out
    out["title"] = work.title or ""
    out["author"] = "; ".join(_person(a) for a in work.authors if a.role == "author")
    out["editor"] = "; ".join(_person(a) for a in work.authors if a.role == "editor")
    out["pub_date"] = work.publication_date or (str(work.publication_year) if work.publication_year else "")
    out["issue"], out["volume"] = work.biblio.issue or "", work.biblio.volume or ""
    first, last = work.biblio.first_page, work.biblio.last_page
    out["page"] = "" if not first else first if not last or last == first else f"{first}-{last}"
    if work.venue is not None and work.venue.name:
        out["venue"] = _bracketed(work.venue.name, [(i.scheme, i.value) for i in work.venue.ids], VENUE_SCHEMES)
    out["type"] = _meta_type(work)
    if work.publisher:
        out["publisher"] = _bracketed(work.publisher, [("crossref", work.member)] if work.member else [],
                                      ("crossref",))  # Meta names a publisher by its Crossref member id
    return out


#: The fields of a legacy COCI ``metadata`` row, in COCI's order.
COCI_META_FIELDS: Final = ("author", "year", "title", "source_title", "source_id", "volume", "issue", "page", "doi",
                           "reference", "citation", "citation_count", "oa_link")
#: COCI's ``metadata`` takes bare DOIs joined by ``__``.
COCI_DOIS: Final = re.compile(r"10\..+?(__10\..+?)*")
#: Citers read at once while listing a work's citing DOIs.
CITERS_STEP: Final = 10_000


def _works_asked(graph: Graph, asked: list[str], default: str | None) -> Iterator[tuple[ids.IdPair, int]]:
    """Each id asked (at most :data:`MAX_META_IDS`) with the work it names, each work once, in the order asked;
    ids we do not hold, or that are no ids, are left out."""
    seen: set[int] = set()
    for one in asked[:MAX_META_IDS]:
        try:
            pair = ids.parse_id(one, default=default) if default else ids.parse_id(one)
        except ids.IdError:
            continue
        key = graph.key_of(pair)
        if key is not None and key not in seen:
            seen.add(key)
            yield pair, key


def _all_citers(graph: Graph, key: int) -> list[int]:
    out: list[int] = []
    after: tuple | None = None
    while True:
        rows = graph.store.citations(key, sort="cited_by_count:desc", year=None, after=after, limit=CITERS_STEP)
        out += [r.work_id for r in rows]
        if len(rows) < CITERS_STEP:
            return out
        after = (rows[-1].cited_by_count, rows[-1].work_id)


def coci_metadata(graph: Graph, text: str,
                  counts: CountsMode = CountsMode.OURS) -> Iterator[dict[str, str]] | None:
    """COCI's ``metadata`` rows for bare DOIs joined by ``__`` (None when the path is not of that form): each
    work's bibliographic fields, the DOIs it cites and that cite it (``; ``-joined) and its citation count
    (``counts``: see :func:`~citegraph.graph.counts.edge_counts`)."""
    if not COCI_DOIS.fullmatch(text):
        return None

    def rows() -> Iterator[dict[str, str]]:
        for pair, key in _works_asked(graph, text.split("__"), ids.DOI):
            found = graph.work(key)
            w = found.work
            cites = graph.reference_keys(key)
            citers = _all_citers(graph, key)
            dois = graph.ids_of(cites + citers, ids.DOI)
            out = dict.fromkeys(COCI_META_FIELDS, "")
            out["doi"] = pair[1]
            out["reference"] = "; ".join(dois[k] for k in cites if k in dois)
            out["citation"] = "; ".join(dois[k] for k in citers if k in dois)
            out["citation_count"] = str(edge_counts(graph, key, counts, SOURCE)[0])
            if w is not None:
                out["author"] = "; ".join(
                    f"{a.family}, {a.given}" if a.family and a.given else a.name or a.family or ""
                    for a in w.authors if a.role == "author")
                out["year"] = str(w.publication_year or "")
                out["title"] = w.title or ""
                if w.venue is not None:
                    out["source_title"] = w.venue.name or ""
                    out["source_id"] = " ".join(f"issn:{i.value}" for i in w.venue.ids if i.scheme == ids.ISSN)
                out["volume"], out["issue"] = w.biblio.volume or "", w.biblio.issue or ""
                first, last = w.biblio.first_page, w.biblio.last_page
                out["page"] = "" if not first else first if not last or last == first else f"{first}-{last}"
                out["oa_link"] = w.oa_url or ""
            yield out

    return rows()


def metadata(graph: Graph, text: str) -> Iterator[dict[str, str]] | None:
    """The rows for a path's ids (``doi:…__omid:br/…``), each work once, in the order asked; None when the path
    is not of Meta's form. Ids we do not hold give no row."""
    lowered = text.lower()
    if not META_IDS.fullmatch(lowered):
        return None
    wanted = lowered.split("__")

    def rows() -> Iterator[dict[str, str]]:
        for _pair, key in _works_asked(graph, wanted, None):
            found = graph.work(key)
            facts = graph.store.citation_facts([key]).get(key)
            yield meta_row(facts.ids if facts is not None else [(i.scheme, i.value) for i in found.ids], found.work)

    return rows()


__all__ = ["COCI_META_FIELDS", "META_FIELDS", "META_IDS", "coci_metadata", "meta_row", "metadata"]
