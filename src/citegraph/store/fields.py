"""What the store indexes of a canonical Work for filters and group-bys: scalars, facets, names.

One place decides which parts of a Work become which query field, so every source's records are
filterable the same way.
"""

from __future__ import annotations

from citegraph import query as q
from citegraph.model import Id, Work
from citegraph.store.base import SCALAR_COLUMNS

#: Concept kinds and the query field their ids are filed under.
CONCEPT_FIELDS: dict[str, str] = {"topic": q.TOPIC_ID, "concept": q.CONCEPT_ID}


#: Crossref ``intended-application`` values of links to full text (a landing page is not full text).
FULL_TEXT_APPLICATIONS = frozenset({"text-mining", "similarity-checking", "unspecified", "syndication"})


#: Keyword facets whose display form (the case a source printed) is kept in the names table, under the field's
#: name as scheme, since the facet itself is stored lower case.
NAMED_KEYWORD_FIELDS = frozenset({q.CONTAINER_TITLE, q.FUNDER_NAME, q.AFFILIATION_NAME, q.PUBLISHER})


def _id(i: Id) -> str:
    return f"{i.scheme}:{i.value}"


def earliest_day(date: str | None) -> str | None:
    """A date at any precision as its earliest day (``2013`` → ``2013-01-01``): Crossref's filter rule."""
    if not date or len(date) < 4 or not date[:4].isdigit():
        return None
    if len(date) == 4:
        return date + "-01-01"
    if len(date) == 7:
        return date + "-01"
    return date[:10]


def doi_prefix(work: Work) -> str | None:
    """The prefix (``10.1234``) of the work's first DOI."""
    for i in work.ids:
        if i.scheme == "doi":
            return i.value.split("/", 1)[0]
    return None


def scalars_of(work: Work) -> tuple[str | int | bool | None, ...]:
    """The values of ``SCALAR_COLUMNS`` for a work, in that order."""
    values: dict[str, str | int | bool | None] = {
        "type_source": work.type_source,
        "language": work.language,
        "is_oa": work.is_oa,
        "oa_status": work.oa_status,
        "is_retracted": work.is_retracted,
        "is_paratext": work.is_paratext,
        "has_abstract": bool(work.abstract),
        "authors_count": len(work.authors) if work.authors else 0,
        "publisher": work.publisher or (work.venue.publisher if work.venue else None),
        # from the record, not the id table: an id another work already holds (a conflict) still counts
        "has_doi": any(i.scheme == "doi" for i in work.ids),
        "has_pmid": any(i.scheme == "pmid" for i in work.ids),
        "has_pmcid": any(i.scheme == "pmcid" for i in work.ids),
        "created_date": earliest_day(work.dates.created),
        "deposited_date": earliest_day(work.dates.deposited),
        "indexed_date": earliest_day(work.dates.indexed),
        "print_date": earliest_day(work.dates.published_print),
        "online_date": earliest_day(work.dates.published_online),
        "member": work.member,
        "doi_prefix": doi_prefix(work),
        "reference_visibility": work.reference_visibility,
    }
    return tuple(values[c] for c in SCALAR_COLUMNS)


#: Facet fields whose values are a work's author keys and venue keys: what the self-citation rule compares (per
#: citation object and over the whole graph alike).
AUTHOR_KEY_FIELDS = (q.AUTHOR_ID, q.AUTHOR_ORCID)
VENUE_KEY_FIELDS = (q.VENUE_ID, q.VENUE_ISSN)

#: Subject levels of ``impact_subject``, finest first: a work with several (from several sources) takes the finest.
SUBJECT_LEVELS = ("subfield", "field", "venue")


def impact_subject(work: Work) -> str | None:
    """The subject a work's citations are normalised within, as ``level:name``: its primary topic's subfield
    (OpenAlex), else a broad field (the primary topic's field, an S2 field of study, the first Crossref subject),
    else its venue (``venue:scheme:value``); None when it has none of these."""
    for c in work.concepts:
        if c.kind == "topic" and c.id is not None:  # the mapper lists the primary topic first
            if c.subfield:
                return f"subfield:{c.subfield}"
            if c.field:
                return f"field:{c.field}"
            break
    for c in work.concepts:
        if c.kind in ("field_of_study", "subject") and c.name:
            return f"field:{c.name}"
    if work.venue:
        for i in work.venue.ids:
            return f"venue:{_id(i)}"
    return None


def facets_of(work: Work) -> list[tuple[str, str]]:
    """(query field, stored value) pairs of a work's multi-valued fields; ids as ``scheme:value``."""
    out: set[tuple[str, str]] = set()
    for author in work.authors:
        for i in author.ids:
            out.add((q.AUTHOR_ORCID if i.scheme == "orcid" else q.AUTHOR_ID, _id(i)))
        for aff in author.affiliations:
            for i in aff.ids:
                out.add((q.INSTITUTION_ROR if i.scheme == "ror" else q.INSTITUTION_ID, _id(i)))
            if aff.country_code:
                out.add((q.COUNTRY_CODE, aff.country_code.lower()))
            # an affiliation known by an institution id is found by that id; only named ones need the name
            if aff.name and not any(i.scheme == "openalex" for i in aff.ids):
                out.add((q.AFFILIATION_NAME, aff.name.lower()))
    if work.venue:
        for i in work.venue.ids:
            out.add((q.VENUE_ISSN if i.scheme == "issn" else q.VENUE_ID, _id(i)))
    primary_done = False
    for c in work.concepts:
        broad = c.name if c.kind == "field_of_study" else c.field
        if broad:
            out.add((q.FIELD_OF_STUDY, broad.lower()))
        if c.kind == "keyword":
            out.add((q.KEYWORD, (c.id.value if c.id else c.name).lower()))
            continue
        field = CONCEPT_FIELDS.get(c.kind)
        if field is None or c.id is None:
            continue
        out.add((field, _id(c.id)))
        if c.kind == "topic" and not primary_done:
            out.add((q.PRIMARY_TOPIC_ID, _id(c.id)))  # the mapper lists the primary topic first
            primary_done = True
    for f in work.funders:
        for i in f.ids:
            out.add((q.FUNDER_ID, _id(i)))
        if not f.ids and f.name:
            out.add((q.FUNDER_NAME, f.name.lower()))
    for title in work.container_titles:
        out.add((q.CONTAINER_TITLE, title.lower()))
    for isbn in work.isbn:
        out.add((q.ISBN, f"isbn:{isbn}"))
    for lic in work.licenses:
        if lic.url:
            out.add((q.LICENSE_URL, lic.url.lower()))
    for link in work.links:
        if link.kind in FULL_TEXT_APPLICATIONS:
            out.add((q.FULL_TEXT_TYPE, (link.content_type or "unspecified").lower()))
    for i in work.update_to:
        out.add((q.UPDATE_OF, _id(i)))
    subject = impact_subject(work)
    if subject is not None:
        out.add((q.IMPACT_SUBJECT, subject))
    return sorted(out)


def names_of(work: Work) -> list[tuple[str, str, str]]:
    """(scheme, value, display name) of the entities a work names: authors, institutions, venue, topics."""
    out: dict[tuple[str, str], str] = {}
    for author in work.authors:
        if author.name:
            for i in author.ids:
                out.setdefault((i.scheme, i.value), author.name)
        for aff in author.affiliations:
            if aff.name:
                for i in aff.ids:
                    out.setdefault((i.scheme, i.value), aff.name)
    if work.venue and work.venue.name:
        for i in work.venue.ids:
            out.setdefault((i.scheme, i.value), work.venue.name)
    for c in work.concepts:
        if c.id is not None and c.name:
            out.setdefault((c.id.scheme, c.id.value), c.name)
    for f in work.funders:
        if f.name:
            for i in f.ids:
                out.setdefault((i.scheme, i.value), f.name)
            if not f.ids:
                out.setdefault((q.FUNDER_NAME, f.name.lower()), f.name)
    # keyword facets are stored lower case; the names table keeps the case a source printed
    publisher = work.publisher or (work.venue.publisher if work.venue else None)
    if publisher:
        out.setdefault((q.PUBLISHER, publisher.lower()), publisher)
    for title in work.container_titles:
        out.setdefault((q.CONTAINER_TITLE, title.lower()), title)
    for author in work.authors:
        for aff in author.affiliations:
            if aff.name and not any(i.scheme == "openalex" for i in aff.ids):
                out.setdefault((q.AFFILIATION_NAME, aff.name.lower()), aff.name)
    return [(s, v, n) for (s, v), n in out.items()]
