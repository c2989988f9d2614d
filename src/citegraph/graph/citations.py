"""Each citation as an object: its OCI, creation date, timespan, author and journal self-citation.

Whatever source asserted an edge, the object is made the same way:

- ``oci``: OpenCitations' own when it asserted the citation; else the DOI rule (``020`` prefix) when both works
  have DOIs; else the OMID rule when both have OMIDs; else none. The legacy COCI form prefers the DOI rule, as
  COCI did;
- ``creation``: what OpenCitations asserted, else the citing work's publication date (at its precision);
- ``timespan``: what OpenCitations asserted, else computed from the two dates by the rule asked for (the live
  API's, or the Index build's for COCI);
- ``author_sc``/``journal_sc``: what OpenCitations asserted, else whether the works share an author key or a venue
  key (never "yes" by absence).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import msgspec

from citegraph import ids
from citegraph.metrics.oci import DOI_PREFIXES, doi_oci, omid_oci
from citegraph.metrics.selfcite import author_self_citation, journal_self_citation
from citegraph.metrics.timespan import API, INDEX, DateError, timespan
from citegraph.model import IS_INFLUENTIAL, sources_of
from citegraph.store.base import AssertedRow, CitationFacts

if TYPE_CHECKING:
    from citegraph.graph.core import Graph

Direction = Literal["citations", "references"]
OciForm = Literal["current", "coci"]

#: Citers read per step while streaming a work's citations: bounded memory for a work with 275k citers.
STREAM_CHUNK: Final = 2000
#: The source whose per-citation assertions the objects carry.
ASSERTING_SOURCE: Final = "opencitations"
#: The source whose per-citation contexts, intents and influence the native API adds.
S2_SOURCE: Final = "s2"


class CitationObject(msgspec.Struct, gc=False):
    """One citation with the facts OpenCitations serves of it; the ids are each work's, OMID first."""

    citing: int
    cited: int
    citing_ids: list[tuple[str, str]]
    cited_ids: list[tuple[str, str]]
    oci: str | None
    creation: str | None
    timespan: str | None
    journal_sc: bool
    author_sc: bool


def _first(pairs: Sequence[tuple[str, str]], scheme: str) -> str | None:
    for s, v in pairs:
        if s == scheme:
            return v
    return None


def _oci(citing: Sequence[tuple[str, str]], cited: Sequence[tuple[str, str]], asserted: str | None,
         form: OciForm, asserted_omids: bool = False) -> str | None:
    omid_a, omid_b = _first(citing, ids.OMID), _first(cited, ids.OMID)
    by_omid = omid_oci(omid_a, omid_b) if omid_a and omid_b and omid_a.startswith("br/") and omid_b.startswith(
        "br/") else None
    if asserted_omids and by_omid is not None:
        asserted = by_omid  # what the source asserted, kept as "the OMID rule over these two works"
    doi_a, doi_b = _first(citing, ids.DOI), _first(cited, ids.DOI)
    by_doi = doi_oci(doi_a, doi_b) if doi_a and doi_b else None
    if form == "coci" and by_doi is not None and not (asserted and asserted[:3] in DOI_PREFIXES):
        return by_doi
    if asserted:
        return asserted
    if by_doi is not None:
        return by_doi
    return by_omid


def make_citation(citing: CitationFacts, cited: CitationFacts, citing_key: int, cited_key: int,
                  asserted: AssertedRow | None, form: OciForm = "current") -> CitationObject:
    """The citation object of one edge from the two works' facts and what OpenCitations asserted of it."""
    a = asserted
    creation = a.creation if a is not None and a.creation else citing.publication_date
    span = a.timespan if a is not None and a.timespan else None
    if span is None:
        try:
            span = timespan(creation, cited.publication_date, INDEX if form == "coci" else API)
        except DateError:
            span = None  # a stored date we cannot read gives no span rather than an error
    return CitationObject(
        citing=citing_key, cited=cited_key, citing_ids=citing.ids, cited_ids=cited.ids,
        oci=_oci(citing.ids, cited.ids, a.oci if a is not None else None, form,
                 a is not None and a.oci_from_omids),
        creation=creation, timespan=span,
        journal_sc=a.journal_sc if a is not None and a.journal_sc is not None else journal_self_citation(
            citing.venues, cited.venues),
        author_sc=a.author_sc if a is not None and a.author_sc is not None else author_self_citation(
            citing.authors, cited.authors))


def citation_objects(graph: Graph, key: int, direction: Direction, form: OciForm = "current",
                     chunk: int = STREAM_CHUNK) -> Iterator[CitationObject]:
    """Every citation of (``citations``) or by (``references``) the work ``key``, streamed in chunks."""
    store = graph.store
    me = store.citation_facts([key]).get(key)
    if me is None:
        return
    if direction == "references":
        others = graph.reference_keys(key)
        for i in range(0, len(others), chunk):
            yield from _chunk(graph, key, me, others[i:i + chunk], direction, form)
        return
    after: tuple | None = None
    while True:
        rows = store.citations(key, sort="cited_by_count:desc", year=None, after=after, limit=chunk)
        if not rows:
            return
        yield from _chunk(graph, key, me, [r.work_id for r in rows], direction, form)
        if len(rows) < chunk:
            return
        last = rows[-1]
        after = (last.cited_by_count, last.work_id)


def _chunk(graph: Graph, key: int, me: CitationFacts, others: list[int], direction: Direction,
           form: OciForm) -> Iterator[CitationObject]:
    store = graph.store
    facts = store.citation_facts(others)
    pairs = [(o, key) if direction == "citations" else (key, o) for o in others]
    asserted = store.asserted(pairs, ASSERTING_SOURCE)
    for (citing, cited), other in zip(pairs, others, strict=True):
        theirs = facts.get(other)
        if theirs is None:
            continue
        a, b = (theirs, me) if direction == "citations" else (me, theirs)
        yield make_citation(a, b, citing, cited, asserted.get((citing, cited)), form)


class ProvenancedCitation(msgspec.Struct, gc=False):
    """A citation object with its provenance: which sources assert the edge, and what S2 said of it."""

    citation: CitationObject
    sources: list[str]
    is_influential: bool | None  # S2's flag, None when S2 does not assert the citation
    s2: dict[str, Any] | None  # S2's contexts and intents of the citation, as S2 gave them


def citation_page(graph: Graph, key: int, direction: Direction, *, limit: int, cursor: str | None,
                  form: OciForm = "current") -> tuple[list[ProvenancedCitation], str | None, int]:
    """A page of the citations of (``citations``) or by (``references``) ``key`` as objects with provenance, most
    cited other end first: (objects, next cursor, total)."""
    page = (graph.citations if direction == "citations" else graph.references)(key, limit=limit, cursor=cursor)
    others = [item.key for item in page.items]
    store = graph.store
    me = store.citation_facts([key]).get(key)
    if me is None:
        return [], None, 0
    objects = list(_chunk(graph, key, me, others, direction, form))
    pairs = [(o.citing, o.cited) for o in objects]
    sources = store.edge_sources(pairs)
    s2 = store.listed_facts(pairs, S2_SOURCE)
    out = []
    for o, pair in zip(objects, pairs, strict=True):
        said = s2.get(pair)
        extras = None
        if said is not None and said[1]:
            decoded = msgspec.json.decode(said[1])
            extras = decoded if isinstance(decoded, dict) else None
        out.append(ProvenancedCitation(citation=o, sources=sources_of(sources.get(pair, 0)),
                                       is_influential=None if said is None else bool(said[0] & IS_INFLUENTIAL),
                                       s2=extras))
    return out, page.next_cursor, page.total


def citation_between(graph: Graph, citing: int, cited: int, form: OciForm = "current") -> CitationObject | None:
    """The citation object of one edge, or None when ``citing`` does not cite ``cited``."""
    if cited not in graph.reference_keys(citing):
        return None
    facts = graph.store.citation_facts([citing, cited])
    if citing not in facts or cited not in facts:
        return None
    asserted = graph.store.asserted([(citing, cited)], ASSERTING_SOURCE)
    return make_citation(facts[citing], facts[cited], citing, cited, asserted.get((citing, cited)), form)


__all__ = ["CitationObject", "ProvenancedCitation", "citation_between", "citation_objects", "citation_page",
           "make_citation"]
