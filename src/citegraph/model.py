"""The canonical model: one typed shape for what the four sources say about a work.

Each source's mapper (``citegraph.sources.<name>``) turns its own record into a :class:`Work`;
the store keeps that source's raw record beside it, so a dialect can render a work exactly as
its source wrote it and fall back to the canonical ``Work`` for works from other sources.

Identifiers inside the model are always canonical ``(scheme, value)`` pairs from
:mod:`citegraph.ids` (``("doi", "10.1145/3383583.3398584")``, ``("openalex", "W3046863325")``).
Dates are ISO strings at the precision known (``"2020"``, ``"2020-08"``, ``"2020-08-01"``).
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec
import numpy as np

SourceName = Literal["openalex", "crossref", "opencitations", "s2"]

#: Every source the store knows, in a fixed order; the position is the source's bit in edge and
#: record bitmasks, so the order must never change (append only).
SOURCES: tuple[SourceName, ...] = ("openalex", "crossref", "opencitations", "s2")


#: Which source's value wins for a canonical field when several sources describe one work (the first that has it):
#: OpenAlex is the broadest and most normalised, Crossref is the registrant's own deposit, S2 and OpenCitations'
#: metadata come after. One table for the canonical record and the stored work row alike.
FIELD_PRECEDENCE: tuple[SourceName, ...] = ("openalex", "crossref", "s2", "opencitations")


def precedence(source: str) -> int:
    """A source's place in ``FIELD_PRECEDENCE`` (0 first); sources not in it come after every one that is."""
    return FIELD_PRECEDENCE.index(source) if source in FIELD_PRECEDENCE else len(FIELD_PRECEDENCE)


def source_bit(source: str) -> int:
    """The bit that stands for ``source`` in a provenance bitmask."""
    return 1 << SOURCES.index(source)


def sources_of(mask: int) -> list[str]:
    """The source names whose bits are set in ``mask`` (a new list: callers may change it)."""
    names = _SOURCE_SETS.get(mask)
    if names is None:
        names = [name for i, name in enumerate(SOURCES) if mask & (1 << i)]
        if 0 <= mask < 1 << len(SOURCES):
            _SOURCE_SETS[mask] = names
    return list(names)


#: Every mask's names, filled as they are met (there are 2**len(SOURCES) of them).
_SOURCE_SETS: dict[int, list[str]] = {}

#: How many years of counts by year a work is served with, counting back from the current year (OpenAlex's
#: ``counts_by_year``: the last ten, this one included). The build precomputes them for this span.
COUNTS_BY_YEAR_YEARS = 10


def counts_by_year_span(this_year: int) -> tuple[int, int]:
    """The years a work's served counts by year cover, first and last, in ``this_year``."""
    return this_year - COUNTS_BY_YEAR_YEARS + 1, this_year


class Id(msgspec.Struct, frozen=True, array_like=True):
    """A canonical identifier: a scheme from :mod:`citegraph.ids` and its normalised value."""

    scheme: str
    value: str


class Affiliation(msgspec.Struct, omit_defaults=True):
    """An institution an author was affiliated with on a work."""

    name: str | None = None
    ids: list[Id] = []  # ROR, OpenAlex institution id, …
    country_code: str | None = None
    raw: str | None = None  # the affiliation string as printed


class Author(msgspec.Struct, omit_defaults=True):
    """A person on a work's byline, in byline order."""

    name: str | None = None
    given: str | None = None
    family: str | None = None
    ids: list[Id] = []  # ORCID, OpenAlex author id, S2 author id
    affiliations: list[Affiliation] = []
    position: str | None = None  # first | middle | last
    is_corresponding: bool | None = None
    role: str = "author"  # author | editor | contributor …


class Venue(msgspec.Struct, omit_defaults=True):
    """Where a work was published: a journal, proceedings, repository or book series."""

    name: str | None = None
    ids: list[Id] = []  # ISSN(s), OpenAlex source id, S2 venue id
    issn_l: str | None = None
    type: str | None = None
    publisher: str | None = None
    is_oa: bool | None = None
    is_in_doaj: bool | None = None


class Concept(msgspec.Struct, omit_defaults=True):
    """A subject label (OpenAlex topic/concept/keyword, Crossref subject, S2 field of study)."""

    name: str
    id: Id | None = None
    score: float | None = None
    kind: str = "topic"  # topic | concept | keyword | subject | field_of_study | mesh
    subfield: str | None = None
    field: str | None = None
    domain: str | None = None


class Funding(msgspec.Struct, omit_defaults=True):
    """A funder named on a work, with award numbers."""

    name: str | None = None
    ids: list[Id] = []
    awards: list[str] = []


class License(msgspec.Struct, omit_defaults=True):
    """A licence statement (URL, and what version of the text it covers)."""

    url: str | None = None
    id: str | None = None
    version: str | None = None
    start: str | None = None


class Link(msgspec.Struct, omit_defaults=True):
    """A URL where the work or its full text lives."""

    url: str
    content_type: str | None = None
    is_oa: bool | None = None
    version: str | None = None
    kind: str | None = None  # landing | pdf | full-text


class Reference(msgspec.Struct, omit_defaults=True):
    """One entry of a work's reference list.

    ``ids`` holds every identifier the source gave for the cited work; a reference without any
    (an unstructured string) is kept for later matching and makes no edge.
    """

    ids: list[Id] = []
    key: str | None = None
    unstructured: str | None = None
    title: str | None = None
    author: str | None = None
    year: str | None = None
    venue: str | None = None
    volume: str | None = None
    first_page: str | None = None


class Dates(msgspec.Struct, omit_defaults=True):
    """The dates a source gives, each at the precision known."""

    published: str | None = None
    published_print: str | None = None
    published_online: str | None = None
    issued: str | None = None
    posted: str | None = None
    accepted: str | None = None
    created: str | None = None
    deposited: str | None = None
    indexed: str | None = None
    updated: str | None = None


class Biblio(msgspec.Struct, omit_defaults=True):
    """Volume, issue and pages."""

    volume: str | None = None
    issue: str | None = None
    first_page: str | None = None
    last_page: str | None = None
    article_number: str | None = None


class UpstreamCounts(msgspec.Struct, omit_defaults=True):
    """Counts a source asserted about the whole world (ours are computed from our graph)."""

    cited_by_count: int | None = None
    referenced_works_count: int | None = None
    influential_citation_count: int | None = None
    counts_by_year: dict[int, int] = {}
    fwci: float | None = None


class Work(msgspec.Struct, omit_defaults=True):
    """A scholarly work as the union of what OpenAlex, Crossref, OpenCitations and S2 carry.

    ``ids`` lists every identifier known for the work; the first is the source's own primary id.
    """

    ids: list[Id]
    source: str | None = None  # the source this view was mapped from (None once merged)
    title: str | None = None
    subtitle: list[str] = []
    original_title: str | None = None
    abstract: str | None = None
    type: str | None = None  # OpenAlex work type vocabulary (article, book-chapter, …)
    type_source: str | None = None  # the source's own type string (Crossref type, S2 types)
    language: str | None = None
    publication_date: str | None = None
    publication_year: int | None = None
    dates: Dates = msgspec.field(default_factory=Dates)
    authors: list[Author] = []
    is_authors_truncated: bool = False
    venue: Venue | None = None
    container_titles: list[str] = []
    publisher: str | None = None
    member: str | None = None
    prefix: str | None = None
    isbn: list[str] = []
    biblio: Biblio = msgspec.field(default_factory=Biblio)
    is_oa: bool | None = None
    oa_status: str | None = None
    oa_url: str | None = None
    licenses: list[License] = []
    links: list[Link] = []
    is_retracted: bool | None = None
    is_paratext: bool | None = None
    concepts: list[Concept] = []
    funders: list[Funding] = []
    references: list[Reference] = []
    related: list[Id] = []
    relations: dict[str, list[Id]] = {}
    update_to: list[Id] = []
    reference_visibility: str | None = None  # Crossref: open | limited | closed (who may see the list)
    upstream: UpstreamCounts = msgspec.field(default_factory=UpstreamCounts)
    version: str | None = None  # the source's record version (OpenAlex updated_date, Crossref indexed)


class Citation(msgspec.Struct, omit_defaults=True):
    """A citation: the citing work refers to the cited work, asserted by one or more sources.

    ``citing`` and ``cited`` are internal integer work ids; the extras carry what a source said
    about this one citation (OpenCitations' OCI and flags, S2 contexts and intents).
    """

    citing: int
    cited: int
    sources: list[str] = []
    oci: str | None = None
    creation: str | None = None
    timespan: str | None = None
    author_sc: bool | None = None
    journal_sc: bool | None = None
    is_influential: bool | None = None
    contexts: list[str] = []
    intents: list[str] = []


class AssertedCitation(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """A citation as a source file states it, before identity resolution: each end as every id the source gave.

    ``journal_sc``/``author_sc`` are the source's own flags (None when it left them empty); ``creation`` is the
    citing work's publication date at the precision given; ``oci`` and ``timespan`` as the source wrote them.
    """

    citing: tuple[tuple[str, str], ...]
    cited: tuple[tuple[str, str], ...]
    oci: str | None = None
    creation: str | None = None
    timespan: str | None = None
    journal_sc: bool | None = None
    author_sc: bool | None = None
    is_influential: bool | None = None  # S2: the citation is influential
    extras: bytes | None = None  # S2: the citation's contexts, intents, contextsWithIntent as a JSON object
    citing_pos: int | None = None  # where the source listed it among the citing work's references (0-based)
    cited_pos: int | None = None  # where the source listed it among the cited work's citations (0-based)
    citing_title: str | None = None  # the title the source gave the citing work (a stub keeps it)
    cited_title: str | None = None  # the title the source gave the cited work


#: Bits of a citation's asserted flags: each self-citation flag as said (a flag not said has neither bit of its
#: pair), and whether the source's OCI is the OMID rule over the OMIDs its row named (kept as this bit, not text).
JOURNAL_SC_NO, JOURNAL_SC_YES, AUTHOR_SC_NO, AUTHOR_SC_YES, OCI_FROM_OMIDS = 1, 2, 4, 8, 16
#: Bit of an asserted citation the source called influential (S2's ``isInfluential``).
IS_INFLUENTIAL = 32


_PACKABLE_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
#: A timespan that packs: years, months, days without leading zeros and within the bits :func:`pack_timespan`
#: gives them (years < 4096, months < 64, days < 128 are checked apart).
PACKABLE_TIMESPAN = r"(?P<neg>-?)P(?P<y>0|[1-9][0-9]{0,3})Y(?:(?P<mo>0|[1-9][0-9]?)M(?:(?P<dd>0|[1-9][0-9]{0,2})D)?)?"
_PACKABLE_SPAN = re.compile(PACKABLE_TIMESPAN)


def pack_date(text: str | None) -> int | None:
    """``2018``, ``2018-06``, ``2018-06-29`` as the integer ``YYYYMMDD`` with zeros for the parts not given (so it
    sorts like the date); 0 for None; None when the text would not come back the same from :func:`unpack_date`."""
    if text is None:
        return 0
    m = _PACKABLE_DATE.fullmatch(text)
    if m is None:
        return None
    v = int(m[1]) * 10000 + (int(m[2]) * 100 if m[2] else 0) + (int(m[3]) if m[3] else 0)
    return v if v and unpack_date(v) == text else None


def unpack_date(v: int) -> str | None:
    """The text :func:`pack_date` packed."""
    if not v:
        return None
    y, m, d = v // 10000, v // 100 % 100, v % 100
    return f"{y:04d}" if not m else f"{y:04d}-{m:02d}" if not d else f"{y:04d}-{m:02d}-{d:02d}"


def pack_timespan(text: str | None) -> int | None:
    """``-P2Y9M6D`` and its shorter forms (``P2Y``, ``P2Y9M``) in 28 bits: form 2, sign 1, years 12, months 6,
    days 7; 0 for None; None when it does not fit or would not come back the same (leading zeros)."""
    if text is None:
        return 0
    m = _PACKABLE_SPAN.fullmatch(text)
    if m is None:
        return None
    form = 3 if m["dd"] else 2 if m["mo"] else 1
    y, mo, d = int(m["y"]), int(m["mo"] or 0), int(m["dd"] or 0)
    if y >= 1 << 12 or mo >= 1 << 6 or d >= 1 << 7:
        return None
    return form | (1 if m["neg"] else 0) << 2 | y << 3 | mo << 15 | d << 21


def unpack_timespan(v: int) -> str | None:
    """The text :func:`pack_timespan` packed."""
    form = v & 3
    if not form:
        return None
    sign = "-" if v >> 2 & 1 else ""
    y, mo, d = v >> 3 & 0xFFF, v >> 15 & 0x3F, v >> 21 & 0x7F
    return f"{sign}P{y}Y" + (f"{mo}M" if form >= 2 else "") + (f"{d}D" if form == 3 else "")


class CitationColumns:
    """Citations whose two ends are each one bibliographic-resource OMID, as columns: the bulk of an Index dump.

    ``citing``/``cited`` hold each OMID's digits as an integer (``br/06101801781`` → 6101801781; every such OMID
    starts with ``06``, so the leading zero is implied); ``creation`` is packed by :func:`pack_date`,
    ``timespan`` by :func:`pack_timespan` (0: not given); ``flags`` holds the bits above.
    """

    __slots__ = ("cited", "citing", "creation", "flags", "timespan")

    def __init__(self, citing: np.ndarray, cited: np.ndarray, creation: np.ndarray, timespan: np.ndarray,
                 flags: np.ndarray) -> None:
        self.citing, self.cited = citing, cited
        self.creation, self.timespan = creation, timespan
        self.flags = flags

    def __len__(self) -> int:
        return len(self.citing)

    def citations(self) -> list[AssertedCitation]:
        """The rows one by one (for tests and small files; the store writes the columns as they are)."""
        out = []
        for a, b, c, t, f in zip(self.citing.tolist(), self.cited.tolist(), self.creation.tolist(),
                                 self.timespan.tolist(), self.flags.tolist(), strict=True):
            out.append(AssertedCitation(
                citing=(("omid", f"br/0{a}"),), cited=(("omid", f"br/0{b}"),),
                oci=f"0{a}-0{b}" if f & OCI_FROM_OMIDS else None,
                creation=unpack_date(c), timespan=unpack_timespan(t),
                journal_sc=None if not f & (JOURNAL_SC_NO | JOURNAL_SC_YES) else bool(f & JOURNAL_SC_YES),
                author_sc=None if not f & (AUTHOR_SC_NO | AUTHOR_SC_YES) else bool(f & AUTHOR_SC_YES)))
        return out


class Counts(msgspec.Struct):
    """A work's counts from our merged graph, beside what its sources asserted."""

    cited_by_count: int
    referenced_works_count: int
    counts_by_year: dict[int, int]
    upstream: dict[str, UpstreamCounts] = {}


__all__ = [
    "AUTHOR_SC_NO",
    "AUTHOR_SC_YES",
    "IS_INFLUENTIAL",
    "JOURNAL_SC_NO",
    "JOURNAL_SC_YES",
    "OCI_FROM_OMIDS",
    "PACKABLE_TIMESPAN",
    "SOURCES",
    "Affiliation",
    "AssertedCitation",
    "Author",
    "Biblio",
    "Citation",
    "CitationColumns",
    "Concept",
    "Counts",
    "Dates",
    "FIELD_PRECEDENCE",
    "Funding",
    "Id",
    "License",
    "Link",
    "Reference",
    "SourceName",
    "UpstreamCounts",
    "pack_date",
    "pack_timespan",
    "precedence",
    "unpack_date",
    "unpack_timespan",
    "Venue",
    "Work",
    "source_bit",
    "sources_of",
]
