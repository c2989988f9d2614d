"""Works in OpenAlex's shape (spec/api-dialects.md §1.6–1.7, §1.10).

A work loaded from OpenAlex is served as OpenAlex wrote it: its stored record, cleaned for strict
clients (``sources.openalex.clean_for_clients``), with the graph-derived fields replaced by ours
(``cited_by_count``, ``referenced_works``, ``referenced_works_count``, ``counts_by_year``,
``cited_by_api_url``). A work known only from other sources (or only as a cited stub) is drawn
from the canonical :class:`~citegraph.model.Work` into the same shape.

**Ids of works without an OpenAlex id.** Such a work has no ``https://openalex.org/W…`` and we
never invent one (it could collide with a real id later). Its ``id`` (and its entry in other
works' ``referenced_works``) is the first id form that ``GET /works/{id}`` of this same server
accepts back: ``https://doi.org/<doi>``, else ``pmid:<n>``, else ``pmcid:<PMC…>``, else
``<scheme>:<value>`` in our canonical form (the route resolves those too).

Speed: a work whose load-time hints say so (no cleaning needed, its own reference list exact, the
byte spans of the graph's fields known) is never decoded: our values are spliced into its stored
bytes (``_spliced``). Any other record is decoded only one level deep (values stay undecoded
``msgspec.Raw`` and are written back byte for byte); only values that can hold what the cleaning
removes (a ``null`` in an id list, a string abstract) are decoded and cleaned.

**Counts** (:class:`~citegraph.graph.counts.CountsMode`). By default ``cited_by_count``,
``referenced_works_count`` and ``counts_by_year`` are our graph's. A server run with ``--counts upstream`` serves
instead the values the work's OpenAlex record gives (upstream's ``counts_by_year`` as upstream windowed it), each
one the record lacks or leaves ``null`` being ours; a work without an OpenAlex record is served our counts.
``fwci`` and the percentiles are never ours to compute: every mode serves them as the record gives them.
``referenced_works`` and every list, filter and sort stay our graph's in both modes.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from citegraph.dialects.openalex.params import WORK_ROOT_FIELDS
from citegraph.graph.counts import CountsMode
from citegraph.graph.records import (
    CLEANED_KEYS,
    GRAPH_FIELDS,
    SNAPSHOT_ONLY_KEYS,
    abstract_from_inverted_index,
    graph_field_values,
    served_value,
    splice_graph_fields,
)
from citegraph.ids import IdError, format_id
from citegraph.model import Author, Concept, Work, counts_by_year_span

if TYPE_CHECKING:
    from citegraph.graph import Graph, ServedWork, ServeSpec, WorkRow

#: The prefix of every OpenAlex entity id.
OPENALEX_URL = "https://openalex.org/"
#: The source name of OpenAlex records in the store.
SOURCE = "openalex"
#: The fields we compute from our merged graph, whatever the record says.
DERIVED_FIELDS = (
    "cited_by_count",
    "referenced_works_count",
    "referenced_works",
    "cited_by_api_url",
    "counts_by_year",
)
#: Each schema field's position, for putting a field a record lacks where upstream would emit it.
_RANK: dict[str, int] = {name: i for i, name in enumerate(WORK_ROOT_FIELDS)}
#: Id schemes tried, in order, for the public id of a work that has no OpenAlex id.
FALLBACK_ID_SCHEMES = ("doi", "pmid", "pmcid")

_RECORD_DECODER = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ANY_DECODER = msgspec.json.Decoder()
_REFS_DECODER = msgspec.json.Decoder(list[Any])

IdPair = tuple[str, str]


# --- ids -------------------------------------------------------------------------------------------
def openalex_url(short: str) -> str:
    """``W123`` → ``https://openalex.org/W123`` (a value that is already a URL is kept)."""
    return short if short.startswith("http") else OPENALEX_URL + short


def fallback_id(pairs: Iterable[IdPair]) -> str | None:
    """The public id of a work without an OpenAlex id (see the module docstring), or None."""
    by_scheme: dict[str, str] = {}
    for scheme, value in pairs:
        by_scheme.setdefault(scheme, value)
    if "doi" in by_scheme:
        return "https://doi.org/" + by_scheme["doi"]
    for scheme in (*FALLBACK_ID_SCHEMES[1:], *by_scheme):
        if scheme in by_scheme:
            try:
                return format_id((scheme, by_scheme[scheme]), "canonical")
            except IdError:
                return f"{scheme}:{by_scheme[scheme]}"
    return None


def public_id(pairs: Iterable[IdPair]) -> str | None:
    """The id a work is served under: its OpenAlex URL, else its fallback id."""
    pairs = list(pairs)
    for scheme, value in pairs:
        if scheme == "openalex" and value[:1] in ("W", "w"):
            return openalex_url(value)
    return fallback_id(pairs)


def entity_url(pair: IdPair) -> str:
    """The form OpenAlex prints an id pair in (group keys, entity ids): its URL, or canonical text."""
    try:
        return format_id(pair, "openalex")
    except IdError:  # schemes OpenAlex does not print (s2, corpusid, …)
        return f"{pair[0]}:{pair[1]}"


def cited_by_api_url(base: str, work_id: str) -> str:
    """Our own URL listing the works that cite ``work_id`` (upstream points at its own API)."""
    short = work_id[len(OPENALEX_URL) :] if work_id.startswith(OPENALEX_URL) else work_id
    return f"{base}/works?filter=cites:{short}"


def counts_by_year_list(counts: dict[int, int], today: datetime.date | None = None, *,
                        this_year: int | None = None) -> list[dict[str, int]]:
    """Upstream's ``counts_by_year``: the last ten years to this one, newest first, zero years left out."""
    if this_year is None:
        this_year = (today or datetime.date.today()).year
    first, _last = counts_by_year_span(this_year)
    return [
        {"year": year, "cited_by_count": counts[year]}
        for year in sorted(counts, reverse=True)
        if first <= year <= this_year and counts[year]
    ]


def ordered_references(record_refs: Sequence[object], ours: Sequence[str]) -> list[str]:
    """Our reference list in the record's own order where it has one, then the references it lacks."""
    wanted = dict.fromkeys(ours)
    out: list[str] = []
    for ref in record_refs:
        if isinstance(ref, str) and ref in wanted:
            out.append(ref)
            del wanted[ref]
    out.extend(wanted)
    return out


def inverted_index(text: str | None) -> dict[str, list[int]] | None:
    """An OpenAlex ``abstract_inverted_index`` for plain text (words split on whitespace)."""
    if not text:
        return None
    index: dict[str, list[int]] = {}
    for position, word in enumerate(text.split()):
        index.setdefault(word, []).append(position)
    return index or None


# --- the renderer ----------------------------------------------------------------------------------
class Derived(msgspec.Struct):
    """One work's graph-derived fields, as served."""

    id: str
    cited_by_count: int
    referenced_works_count: int
    referenced_works: list[str] | None  # None when not asked for (select)
    counts_by_year: msgspec.Raw | list[dict[str, int]] | None  # Raw: the store's JSON, served as is
    cited_by_api_url: str
    refs_in_record_order: bool = False  # referenced_works came from the record itself, in its order


_REFS_DECODER_RAW = msgspec.json.Decoder(list[str | None] | None)
_STR_DECODER = msgspec.json.Decoder(str | None)
_WORK_URL = "https://openalex.org/W"


def _own_reference_list(top: dict[str, msgspec.Raw], served: ServedWork) -> msgspec.Raw | list[str] | None:
    """The record's own reference list when it is exactly our graph's (no SQL needed), else None.

    A work whose only record is this OpenAlex record has exactly the references that record lists
    (deduplicated, self-references removed), unless a citation file (OpenCitations, S2) says it cites
    more; the count check guards every other case (a reference merged by an identity conflict, a
    record from another source) by falling back to the graph.
    The common case returns the stored bytes themselves, served without re-encoding.
    """
    if served.sources != [SOURCE] or served.refs_beyond_record:
        return None
    value = top.get("referenced_works")
    if served.record_refs_exact:  # checked at load: each entry made one edge, and no other record adds any
        return value if value is not None and memoryview(value) != b"null" else []
    count = served.referenced_works_count
    if value is None:
        return [] if count == 0 else None
    try:
        listed = _REFS_DECODER_RAW.decode(value) or []
        own = _STR_DECODER.decode(top["id"]) if "id" in top else None
    except msgspec.DecodeError:
        return None
    # the common case, checked in C: no nulls, no repeats, no self-reference, the count matches
    if len(listed) == count and None not in listed and own not in listed and len(set(listed)) == count:
        # every entry made one edge (the count matches and no entry can make two), so each is a W id
        return value
    kept = list(dict.fromkeys(r for r in listed if r and r.startswith(_WORK_URL) and r != own))
    return kept if len(kept) == count else None


#: The graph fields that are counts: ``--counts upstream`` serves the record's own value of each.
COUNT_FIELDS = frozenset(("cited_by_count", "referenced_works_count", "counts_by_year"))


def _spliced(sw: ServedWork, base: str, counts: CountsMode = CountsMode.OURS) -> msgspec.Raw | None:
    """The work as served, spliced into its stored bytes, when the load found that possible: an
    OpenAlex-only work whose record needs no cleaning and lists exactly its references (and no citation
    file adds one). Else None."""
    if (sw.record is None or sw.record_spans is None or not sw.record_client_clean or not sw.record_refs_exact
            or sw.sources != [SOURCE] or sw.refs_beyond_record or sw.key_id is None
            or not sw.key_id.startswith("openalex:W")):
        return None
    own = OPENALEX_URL + sw.key_id[9:]
    ours = {
        "cited_by_count": b"%d" % sw.cited_by_count,
        "referenced_works_count": b"%d" % sw.referenced_works_count,
        "cited_by_api_url": _ENCODE(cited_by_api_url(base, own)),
        "counts_by_year": sw.counts_by_year_json,
    }
    values = [ours[f] for f in GRAPH_FIELDS]
    if counts is CountsMode.UPSTREAM:
        stated = graph_field_values(sw.record, sw.record_spans)
        values = [theirs if theirs is not None and f in COUNT_FIELDS else mine
                  for f, mine, theirs in zip(GRAPH_FIELDS, values, stated, strict=True)]
    return msgspec.Raw(splice_graph_fields(sw.record, sw.record_spans, values))


_INT_DECODER = msgspec.json.Decoder(int | None)


def _stated_count(top: dict[str, msgspec.Raw], key: str) -> int | None:
    """The count a decoded record states under ``key``, or None (absent, ``null`` or not a whole number)."""
    value = top.get(key)
    if value is None:
        return None
    try:
        return _INT_DECODER.decode(value)
    except msgspec.DecodeError:
        return None


def _stated_years(top: dict[str, msgspec.Raw]) -> msgspec.Raw | None:
    """The record's own ``counts_by_year`` (served as is), or None when it has none."""
    value = top.get("counts_by_year")
    return value if value is not None and memoryview(value) != b"null" else None


_ENCODE = msgspec.json.encode


class WorkRenderer:
    """Renders works of one graph in OpenAlex's shape."""

    def __init__(self, graph: Graph, counts: CountsMode = CountsMode.OURS) -> None:
        self.graph = graph
        self.counts = counts  # whose counts the works carry (see the module docstring)

    @staticmethod
    def serve_spec() -> ServeSpec:
        """What works are read for (``served_works``' source and years): to hand ``Graph.find`` for a page this
        renderer will render."""
        return SOURCE, counts_by_year_span(datetime.date.today().year)

    def work(self, key: int, *, base: str, select: Sequence[str] | None = None) -> dict[str, Any] | None:
        """One work as ``GET /works/{id}`` serves it (None if the key names no work)."""
        out = self.works([key], base=base, select=select)
        return out[0] if out else None

    def work_named(self, pair: tuple[str, str], *, base: str) -> Any | None:
        """The work a canonical id names, as ``GET /works/{id}`` serves it without parameters (possibly as
        ``msgspec.Raw``), looked up and read in one statement when it can be spliced; None if unknown."""
        sw = self.graph.served_work_named(pair, *self.serve_spec())
        if sw is None:
            return None
        done = _spliced(sw, base, self.counts)
        if done is not None:
            return done
        found = self.works([sw.id], base=base, raw_ok=True)
        return found[0] if found else None

    def works(
        self,
        keys: Sequence[int],
        *,
        base: str,
        select: Sequence[str] | None = None,
        scores: Sequence[float | None] | None = None,
        raw_ok: bool = False,
        served: dict[int, ServedWork] | None = None,
    ) -> list[Any]:
        """Many works in order, as list results (``scores``: relevance per work, for search results).

        ``base`` is this dialect's own URL root (``http://host/openalex``) for ``cited_by_api_url``.
        Values may be ``msgspec.Raw``: encode the result with msgspec. ``raw_ok``: a work may come back
        whole as ``msgspec.Raw`` (its stored bytes with our fields spliced in, never decoded). ``served``: what
        ``Graph.find`` read for these keys with ``serve_spec()`` (else it is read here).
        """
        graph = self.graph
        wanted = None if select is None else set(select)
        need_refs = wanted is None or "referenced_works" in wanted
        need_years = wanted is None or "counts_by_year" in wanted
        upstream = self.counts is CountsMode.UPSTREAM
        if served is None:
            served = graph.served_works(keys, *self.serve_spec())
        spliced: dict[int, msgspec.Raw] = {}
        if raw_ok and select is None and scores is None:
            for k, sw in served.items():
                done = _spliced(sw, base, self.counts)
                if done is not None:
                    spliced[k] = done
        tops: dict[int, dict[str, msgspec.Raw]] = {}
        for k, sw in served.items():
            if sw.record is not None and k not in spliced:
                # a record that is not a JSON object is never stored by our loader; drawn from the model then
                with contextlib.suppress(msgspec.DecodeError):
                    tops[k] = _RECORD_DECODER.decode(sw.record)
        ref_keys: dict[int, list[int]] = {}
        own_lists: dict[int, msgspec.Raw | list[str]] = {}
        if need_refs:
            for k, sw in served.items():
                if k in spliced:
                    continue
                top = tops.get(k)
                listed = _own_reference_list(top, sw) if top is not None else None
                if listed is not None:
                    own_lists[k] = listed
                else:
                    ref_keys[k] = graph.reference_keys(k)
        ref_ids = self._public_ids({r for refs in ref_keys.values() for r in refs})
        out: list[Any] = []
        for i, k in enumerate(keys):
            found = served.get(k)
            if found is None:
                continue
            if k in spliced:
                out.append(spliced[k])
                continue
            sw = found
            row: WorkRow | None = None
            if sw.key_id is not None and sw.key_id.startswith("openalex:W"):
                own = OPENALEX_URL + sw.key_id[9:]
            else:
                row = graph.store.work_row(k)
                own = (public_id(row.ids) if row is not None else None) or f"citegraph:{k}"
            top = tops.get(k)
            cited_by_count, referenced_works_count = sw.cited_by_count, sw.referenced_works_count
            years: msgspec.Raw | None = msgspec.Raw(sw.counts_by_year_json) if need_years else None
            if upstream and top is not None:  # what the OpenAlex record says, where it says it
                stated = _stated_count(top, "cited_by_count")
                cited_by_count = stated if stated is not None else cited_by_count
                stated = _stated_count(top, "referenced_works_count")
                referenced_works_count = stated if stated is not None else referenced_works_count
                stated_years = _stated_years(top) if need_years else None
                years = stated_years if stated_years is not None else years
            derived = Derived(
                id=own,
                cited_by_count=cited_by_count,
                referenced_works_count=referenced_works_count,
                referenced_works=(own_lists[k] if k in own_lists  # type: ignore[arg-type]  # Raw is served as is
                                  else [ref_ids[r] for r in ref_keys.get(k, ()) if r in ref_ids])
                if need_refs
                else None,
                counts_by_year=years,
                cited_by_api_url=cited_by_api_url(base, own),
                refs_in_record_order=k in own_lists,
            )
            score = scores[i] if scores is not None else None
            if top is not None:
                out.append(render_record(top, derived, select=select, score=score,
                                         client_clean=sw.record_client_clean))
                continue
            if row is None:
                row = graph.store.work_row(k)
                if row is None:
                    continue
            gw = graph.work(k)
            work = (
                gw.work
                if gw.work is not None
                else Work(
                    ids=[],
                    title=row.title,
                    publication_year=row.publication_year,
                    publication_date=row.publication_date,
                    type=row.type,
                )
            )
            out.append(render_model(work, row.ids, row.sources, derived, select=select, score=score))
        return out

    def _public_ids(self, keys: set[int]) -> dict[int, str]:
        """The served id of each work key: its OpenAlex URL, else its fallback id."""
        if not keys:
            return {}
        graph = self.graph
        # canonical OpenAlex work values are "W…" (ids normalises them); prefixing inline is the hot path
        found = {k: OPENALEX_URL + v for k, v in graph.ids_of(list(keys), "openalex").items() if v[:1] == "W"}
        missing = [k for k in keys if k not in found]
        if missing:
            for k, v in graph.ids_of(missing, "doi").items():
                found[k] = "https://doi.org/" + v
            for k in missing:
                if k not in found:
                    row = graph.store.work_row(k)
                    fid = fallback_id(row.ids) if row is not None else None
                    if fid is not None:
                        found[k] = fid
        return found


# --- from the stored OpenAlex record ---------------------------------------------------------------
#: Record keys never served: snapshot bookkeeping, and a score some stored search results carry.
_SKIPPED_KEYS = frozenset((*SNAPSHOT_ONLY_KEYS, "relevance_score"))


def render_record(
    raw: bytes | dict[str, msgspec.Raw],
    derived: Derived,
    *,
    select: Sequence[str] | None = None,
    score: float | None = None,
    client_clean: bool = False,
) -> dict[str, Any]:
    """A stored OpenAlex record, cleaned, with ``derived`` fields and ``relevance_score`` (search only).

    ``raw`` is the record's bytes or its top level already decoded; ``client_clean`` says the load found
    nothing to clean in it (the checks are then skipped). Fields keep the record's own order (``select``:
    the order asked); a derived field the record lacks is placed where upstream's schema puts it. Values
    stay undecoded where nothing changes.
    """
    top = _RECORD_DECODER.decode(raw) if isinstance(raw, bytes) else raw
    values: dict[str, Any] = {
        "cited_by_count": derived.cited_by_count,
        "referenced_works_count": derived.referenced_works_count,
        "referenced_works": derived.referenced_works,
        "counts_by_year": derived.counts_by_year,
        "cited_by_api_url": derived.cited_by_api_url,
    }
    if "id" not in top:
        values["id"] = derived.id
    if score is not None:
        values["relevance_score"] = score
    if select is not None:
        out: dict[str, Any] = {}
        for key in select:
            if key in values and values[key] is not None:
                out[key] = values[key] if derived.refs_in_record_order else _derived_value(key, values[key], top)
            elif key in top and key not in _SKIPPED_KEYS:
                out[key] = top[key] if client_clean else served_value(key, top[key])
        return out
    out = dict(top)  # a C-level copy that keeps the record's order; fixed up in place below
    for key in _SKIPPED_KEYS:
        if key in out and key not in values:
            del out[key]
    if not client_clean:
        for key in CLEANED_KEYS:
            if key in out:
                out[key] = served_value(key, out[key])
    for key, value in values.items():
        if value is None:
            continue
        if key in out:
            out[key] = value if derived.refs_in_record_order else _derived_value(key, value, top)
        else:
            _insert(out, key, value)
    return out


def _derived_value(key: str, value: Any, top: dict[str, msgspec.Raw]) -> Any:
    """A derived field's value; our references follow the record's own order where it has one."""
    if key == "referenced_works" and "referenced_works" in top:
        return ordered_references(_record_refs(top["referenced_works"]), value)
    return value





def _insert(out: dict[str, Any], key: str, value: Any) -> None:
    """Put ``key`` into ``out`` where upstream's schema order puts it (scanning back from the end)."""
    rank = _RANK.get(key, len(_RANK))
    keys = list(out)
    i = len(keys)
    while i > 0 and _RANK.get(keys[i - 1], -1) > rank:
        i -= 1
    out[key] = value
    for later in keys[i:]:
        out[later] = out.pop(later)



def _record_refs(value: msgspec.Raw) -> list[Any]:
    """The record's own ``referenced_works`` (for their order); anything unreadable counts as none."""
    try:
        return _REFS_DECODER.decode(value)
    except msgspec.DecodeError:
        return []


# --- from the canonical model ----------------------------------------------------------------------
def _ids_object(pairs: Sequence[IdPair]) -> dict[str, Any]:
    """The work's ``ids`` object: the schemes OpenAlex lists, in OpenAlex's printed forms."""
    out: dict[str, Any] = {}
    for scheme, value in pairs:
        if scheme in out or scheme not in IDS_OBJECT_SCHEMES:
            continue
        if scheme == "openalex" and value[:1] not in ("W", "w"):
            continue
        out[scheme] = entity_url((scheme, value))
    return out


#: The schemes of a work's ``ids`` object (upstream IDsSchema).
IDS_OBJECT_SCHEMES = ("openalex", "doi", "mag", "pmid", "pmcid")


def _first_id(pairs: Iterable[Any], scheme: str, prefix: str = "") -> str | None:
    for pair in pairs:
        s, v = (pair.scheme, pair.value) if hasattr(pair, "scheme") else pair
        if s == scheme:
            return v if v.startswith("http") else prefix + v
    return None


def _openalex_entity(pairs: Iterable[Any], letter: str) -> str | None:
    for pair in pairs:
        s, v = (pair.scheme, pair.value) if hasattr(pair, "scheme") else pair
        if s == "openalex" and v[:1].upper() == letter:
            return openalex_url(v)
    return None


def _authorship(author: Author, index: int, count: int) -> dict[str, Any]:
    institutions = []
    countries: list[str] = []
    raw_strings: list[str] = []
    affiliations = []
    for aff in author.affiliations:
        inst_id = _openalex_entity(aff.ids, "I")
        if inst_id is not None and aff.name:
            institutions.append(
                {
                    "id": inst_id,
                    "display_name": aff.name,
                    "ror": _first_id(aff.ids, "ror", "https://ror.org/"),
                    "country_code": aff.country_code,
                    "type": None,
                    "lineage": [inst_id],
                }
            )
        if aff.country_code and aff.country_code.upper() not in countries:
            countries.append(aff.country_code.upper())
        raw = aff.raw or aff.name
        if raw:
            raw_strings.append(raw)
            affiliations.append(
                {"raw_affiliation_string": raw, "institution_ids": [inst_id] if inst_id is not None else []}
            )
    position = author.position or ("first" if index == 0 else "last" if index == count - 1 else "middle")
    name = author.name or " ".join(p for p in (author.given, author.family) if p) or None
    return {
        "author_position": position,
        "author": {
            "id": _openalex_entity(author.ids, "A"),
            "display_name": name,
            "orcid": _first_id(author.ids, "orcid", "https://orcid.org/"),
        },
        "institutions": institutions,
        "countries": countries,
        "is_corresponding": bool(author.is_corresponding),
        "raw_author_name": name,
        "raw_affiliation_strings": raw_strings,
        "affiliations": affiliations,
    }


def _topic(c: Concept) -> dict[str, Any] | None:
    cid = _openalex_entity([c.id] if c.id is not None else [], "T")
    if cid is None:
        return None
    out: dict[str, Any] = {"id": cid, "display_name": c.name, "score": c.score}
    for level in ("subfield", "field", "domain"):
        name = getattr(c, level)
        if name:
            out[level] = {"display_name": name}
    return out


def _location(work: Work) -> dict[str, Any] | None:
    venue = work.venue
    landing = pdf = None
    version = None
    is_oa = work.is_oa
    for link in work.links:
        if link.kind == "pdf" or (link.content_type or "").endswith("pdf"):
            pdf = pdf or link.url
        else:
            landing = landing or link.url
        version = version or link.version
    if landing is None and work.ids:
        doi = _first_id(work.ids, "doi", "https://doi.org/")
        landing = doi
    source = None
    if venue is not None:
        sid = _openalex_entity(venue.ids, "S")
        if sid is not None and venue.name:
            issns = [i.value for i in venue.ids if i.scheme == "issn"]
            source = {
                "id": sid,
                "display_name": venue.name,
                "issn_l": venue.issn_l,
                "issn": issns or None,
                "is_oa": venue.is_oa,
                "is_in_doaj": venue.is_in_doaj,
                "is_core": None,
                "host_organization": None,
                "host_organization_name": venue.publisher,
                "host_organization_lineage": [],
                "type": venue.type,
            }
    if landing is None and pdf is None and source is None:
        return None
    lic = work.licenses[0] if work.licenses else None
    return {
        "is_oa": bool(is_oa),
        "landing_page_url": landing,
        "pdf_url": pdf,
        "source": source,
        "license": lic.id if lic is not None else None,
        "license_id": lic.id if lic is not None else None,
        "version": version,
        "is_accepted": None,
        "is_published": None,
    }


def render_model(
    work: Work,
    pairs: Sequence[IdPair],
    sources: Sequence[str],
    derived: Derived,
    *,
    select: Sequence[str] | None = None,
    score: float | None = None,
) -> dict[str, Any]:
    """A work known only from other sources (or as a stub), drawn into OpenAlex's work object.

    Only what the canonical model knows is filled; entity objects (sources, institutions, topics)
    appear only when they carry an OpenAlex id and a name, because strict clients require both.
    """
    all_pairs = list(pairs) or [(i.scheme, i.value) for i in work.ids]
    doi = _first_id(all_pairs, "doi", "https://doi.org/")
    authors = work.authors
    authorships = [_authorship(a, i, len(authors)) for i, a in enumerate(authors) if a.role == "author"]
    location = _location(work)
    topics = [t for t in (_topic(c) for c in work.concepts if c.kind == "topic") if t is not None]
    keywords = [
        {
            "id": OPENALEX_URL + "keywords/" + c.name.lower().replace(" ", "-"),
            "display_name": c.name,
            "score": c.score,
        }
        for c in work.concepts
        if c.kind == "keyword"
    ]
    concepts = [
        {"id": cid, "wikidata": None, "display_name": c.name, "level": None, "score": c.score}
        for c in work.concepts
        if c.kind == "concept"
        for cid in [_openalex_entity([c.id] if c.id is not None else [], "C")]
        if cid is not None
    ]
    funders = [
        {"id": fid, "display_name": f.name, "ror": _first_id(f.ids, "ror", "https://ror.org/")}
        for f in work.funders
        for fid in [_openalex_entity(f.ids, "F")]
        if fid is not None and f.name
    ]
    institution_ids = {i["id"] for a in authorships for i in a["institutions"]}
    country_codes = {c for a in authorships for c in a["countries"]}
    indexed_in = [s for s in ("crossref",) if s in sources]
    if any(p[0] == "pmid" for p in all_pairs):
        indexed_in.append("pubmed")
    b = work.biblio
    out: dict[str, Any] = {
        "id": derived.id,
        "doi": doi,
        "title": work.title,
        "display_name": work.title,
        "relevance_score": score,
        "publication_year": work.publication_year,
        "publication_date": work.publication_date,
        "ids": _ids_object(all_pairs),
        "language": work.language,
        "primary_location": location,
        "type": work.type,
        "type_crossref": work.type_source,
        "indexed_in": indexed_in,
        "open_access": None
        if work.is_oa is None
        else {
            "is_oa": work.is_oa,
            "oa_status": work.oa_status,
            "oa_url": work.oa_url,
            "any_repository_has_fulltext": None,
        },
        "authorships": authorships,
        "countries_distinct_count": len(country_codes),
        "institutions_distinct_count": len(institution_ids),
        "corresponding_author_ids": [
            a["author"]["id"] for a in authorships if a["is_corresponding"] and a["author"]["id"]
        ],
        "corresponding_institution_ids": [],
        "apc_list": None,
        "apc_paid": None,
        "fwci": work.upstream.fwci,
        "is_authors_truncated": work.is_authors_truncated,
        "has_fulltext": False,
        "cited_by_count": derived.cited_by_count,
        "citation_normalized_percentile": None,
        "cited_by_percentile_year": None,
        "biblio": {
            "volume": b.volume,
            "issue": b.issue,
            "first_page": b.first_page,
            "last_page": b.last_page,
        },
        "is_retracted": bool(work.is_retracted),
        "is_paratext": bool(work.is_paratext),
        "primary_topic": topics[0] if topics else None,
        "topics": topics,
        "keywords": keywords,
        "concepts": concepts,
        "mesh": [],
        "locations_count": 1 if location is not None else 0,
        "locations": [location] if location is not None else [],
        "best_oa_location": location if location is not None and work.is_oa else None,
        "sustainable_development_goals": [],
        "awards": [],
        "funders": funders,
        "referenced_works_count": derived.referenced_works_count,
        "referenced_works": derived.referenced_works if derived.referenced_works is not None else [],
        "related_works": [openalex_url(r.value) for r in work.related if r.scheme == "openalex"],
        "abstract_inverted_index": inverted_index(work.abstract),
        "cited_by_api_url": derived.cited_by_api_url,
        "counts_by_year": derived.counts_by_year if derived.counts_by_year is not None else [],
        "updated_date": work.version or work.dates.updated,
        "created_date": work.dates.created,
    }
    if score is None:
        del out["relevance_score"]
    if select is not None:
        return {k: out[k] for k in select if k in out}
    return out


# --- envelopes -------------------------------------------------------------------------------------
def list_meta(
    *,
    count: int,
    elapsed_ms: int,
    page: int | None,
    per_page: int,
    cursor_sent: bool,
    next_cursor: str | None,
    groups_count: int | None = None,
) -> dict[str, Any]:
    """``meta`` of a list answer in upstream's key order (``next_cursor`` only when a cursor was sent)."""
    meta: dict[str, Any] = {
        "count": count,
        "db_response_time_ms": elapsed_ms,
        "page": None if cursor_sent else page,
        "per_page": per_page,
    }
    if cursor_sent:
        meta["next_cursor"] = next_cursor
    meta["groups_count"] = groups_count
    return meta


def list_envelope(meta: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """A list answer: ``{meta, results, group_by: []}`` (the key order of recorded real answers)."""
    return {"meta": meta, "results": results, "group_by": []}


def group_envelope(meta: dict[str, Any], groups: list[dict[str, Any]]) -> dict[str, Any]:
    """A group-by answer: ``{meta, group_by}``, with no ``results`` (upstream format_response)."""
    return {"meta": meta, "group_by": groups}


#: Friendly short names of ISO 3166-1 alpha-2 country codes (group_by key_display_name, as upstream prints).
_COUNTRIES = (
    "AD Andorra|AE United Arab Emirates|AF Afghanistan|AG Antigua and Barbuda|AI Anguilla|AL Albania|"
    "AM Armenia|AO Angola|AQ Antarctica|AR Argentina|AS American Samoa|AT Austria|AU Australia|AW Aruba|"
    "AX Åland Islands|AZ Azerbaijan|BA Bosnia and Herzegovina|BB Barbados|BD Bangladesh|BE Belgium|"
    "BF Burkina Faso|BG Bulgaria|BH Bahrain|BI Burundi|BJ Benin|BL Saint Barthélemy|BM Bermuda|BN Brunei|"
    "BO Bolivia|BQ Caribbean Netherlands|BR Brazil|BS Bahamas|BT Bhutan|BV Bouvet Island|BW Botswana|"
    "BY Belarus|BZ Belize|CA Canada|CC Cocos (Keeling) Islands|CD Democratic Republic of the Congo|"
    "CF Central African Republic|CG Republic of the Congo|CH Switzerland|CI Ivory Coast|CK Cook Islands|"
    "CL Chile|CM Cameroon|CN China|CO Colombia|CR Costa Rica|CU Cuba|CV Cape Verde|CW Curaçao|"
    "CX Christmas Island|CY Cyprus|CZ Czechia|DE Germany|DJ Djibouti|DK Denmark|DM Dominica|"
    "DO Dominican Republic|DZ Algeria|EC Ecuador|EE Estonia|EG Egypt|EH Western Sahara|ER Eritrea|"
    "ES Spain|ET Ethiopia|FI Finland|FJ Fiji|FK Falkland Islands|FM Micronesia|FO Faroe Islands|"
    "FR France|GA Gabon|GB United Kingdom|GD Grenada|GE Georgia|GF French Guiana|GG Guernsey|GH Ghana|"
    "GI Gibraltar|GL Greenland|GM Gambia|GN Guinea|GP Guadeloupe|GQ Equatorial Guinea|GR Greece|"
    "GS South Georgia and the South Sandwich Islands|GT Guatemala|GU Guam|GW Guinea-Bissau|GY Guyana|"
    "HK Hong Kong|HM Heard Island and McDonald Islands|HN Honduras|HR Croatia|HT Haiti|HU Hungary|"
    "ID Indonesia|IE Ireland|IL Israel|IM Isle of Man|IN India|IO British Indian Ocean Territory|IQ Iraq|"
    "IR Iran|IS Iceland|IT Italy|JE Jersey|JM Jamaica|JO Jordan|JP Japan|KE Kenya|KG Kyrgyzstan|"
    "KH Cambodia|KI Kiribati|KM Comoros|KN Saint Kitts and Nevis|KP North Korea|KR South Korea|KW Kuwait|"
    "KY Cayman Islands|KZ Kazakhstan|LA Laos|LB Lebanon|LC Saint Lucia|LI Liechtenstein|LK Sri Lanka|"
    "LR Liberia|LS Lesotho|LT Lithuania|LU Luxembourg|LV Latvia|LY Libya|MA Morocco|MC Monaco|MD Moldova|"
    "ME Montenegro|MF Saint Martin|MG Madagascar|MH Marshall Islands|MK North Macedonia|ML Mali|"
    "MM Myanmar|MN Mongolia|MO Macao|MP Northern Mariana Islands|MQ Martinique|MR Mauritania|"
    "MS Montserrat|MT Malta|MU Mauritius|MV Maldives|MW Malawi|MX Mexico|MY Malaysia|MZ Mozambique|"
    "NA Namibia|NC New Caledonia|NE Niger|NF Norfolk Island|NG Nigeria|NI Nicaragua|NL Netherlands|"
    "NO Norway|NP Nepal|NR Nauru|NU Niue|NZ New Zealand|OM Oman|PA Panama|PE Peru|PF French Polynesia|"
    "PG Papua New Guinea|PH Philippines|PK Pakistan|PL Poland|PM Saint Pierre and Miquelon|"
    "PN Pitcairn Islands|PR Puerto Rico|PS Palestine|PT Portugal|PW Palau|PY Paraguay|QA Qatar|"
    "RE Réunion|RO Romania|RS Serbia|RU Russia|RW Rwanda|SA Saudi Arabia|SB Solomon Islands|"
    "SC Seychelles|SD Sudan|SE Sweden|SG Singapore|SH Saint Helena, Ascension and Tristan da Cunha|"
    "SI Slovenia|SJ Svalbard and Jan Mayen|SK Slovakia|SL Sierra Leone|SM San Marino|SN Senegal|"
    "SO Somalia|SR Suriname|SS South Sudan|ST São Tomé and Príncipe|SV El Salvador|SX Sint Maarten|"
    "SY Syria|SZ Eswatini|TC Turks and Caicos Islands|TD Chad|TF French Southern Territories|TG Togo|"
    "TH Thailand|TJ Tajikistan|TK Tokelau|TL Timor-Leste|TM Turkmenistan|TN Tunisia|TO Tonga|TR Turkey|"
    "TT Trinidad and Tobago|TV Tuvalu|TW Taiwan|TZ Tanzania|UA Ukraine|UG Uganda|"
    "UM United States Minor Outlying Islands|US United States|UY Uruguay|UZ Uzbekistan|VA Vatican City|"
    "VC Saint Vincent and the Grenadines|VE Venezuela|VG British Virgin Islands|VI U.S. Virgin Islands|"
    "VN Vietnam|VU Vanuatu|WF Wallis and Futuna|WS Samoa|XK Kosovo|YE Yemen|YT Mayotte|ZA South Africa|"
    "ZM Zambia|ZW Zimbabwe"
)
#: English names of ISO 639-1 language codes (OpenAlex's ``language`` values).
_LANGUAGES = (
    "aa Afar|ab Abkhazian|af Afrikaans|ak Akan|am Amharic|an Aragonese|ar Arabic|as Assamese|av Avaric|"
    "ay Aymara|az Azerbaijani|ba Bashkir|be Belarusian|bg Bulgarian|bi Bislama|bm Bambara|bn Bengali|"
    "bo Tibetan|br Breton|bs Bosnian|ca Catalan|ce Chechen|ch Chamorro|co Corsican|cr Cree|cs Czech|"
    "cu Church Slavic|cv Chuvash|cy Welsh|da Danish|de German|dv Dhivehi|dz Dzongkha|ee Ewe|el Greek|"
    "en English|eo Esperanto|es Spanish|et Estonian|eu Basque|fa Persian|ff Fulah|fi Finnish|fj Fijian|"
    "fo Faroese|fr French|fy Western Frisian|ga Irish|gd Scottish Gaelic|gl Galician|gn Guarani|"
    "gu Gujarati|gv Manx|ha Hausa|he Hebrew|hi Hindi|ho Hiri Motu|hr Croatian|ht Haitian|hu Hungarian|"
    "hy Armenian|hz Herero|ia Interlingua|id Indonesian|ie Interlingue|ig Igbo|ii Sichuan Yi|ik Inupiaq|"
    "io Ido|is Icelandic|it Italian|iu Inuktitut|ja Japanese|jv Javanese|ka Georgian|kg Kongo|ki Kikuyu|"
    "kj Kuanyama|kk Kazakh|kl Kalaallisut|km Khmer|kn Kannada|ko Korean|kr Kanuri|ks Kashmiri|ku Kurdish|"
    "kv Komi|kw Cornish|ky Kirghiz|la Latin|lb Luxembourgish|lg Ganda|li Limburgan|ln Lingala|lo Lao|"
    "lt Lithuanian|lu Luba-Katanga|lv Latvian|mg Malagasy|mh Marshallese|mi Maori|mk Macedonian|"
    "ml Malayalam|mn Mongolian|mr Marathi|ms Malay|mt Maltese|my Burmese|na Nauru|nb Norwegian Bokmål|"
    "nd North Ndebele|ne Nepali|ng Ndonga|nl Dutch|nn Norwegian Nynorsk|no Norwegian|nr South Ndebele|"
    "nv Navajo|ny Nyanja|oc Occitan|oj Ojibwa|om Oromo|or Oriya|os Ossetian|pa Panjabi|pi Pali|pl Polish|"
    "ps Pushto|pt Portuguese|qu Quechua|rm Romansh|rn Rundi|ro Romanian|ru Russian|rw Kinyarwanda|"
    "sa Sanskrit|sc Sardinian|sd Sindhi|se Northern Sami|sg Sango|si Sinhala|sk Slovak|sl Slovenian|"
    "sm Samoan|sn Shona|so Somali|sq Albanian|sr Serbian|ss Swati|st Southern Sotho|su Sundanese|"
    "sv Swedish|sw Swahili|ta Tamil|te Telugu|tg Tajik|th Thai|ti Tigrinya|tk Turkmen|tl Tagalog|"
    "tn Tswana|to Tonga|tr Turkish|ts Tsonga|tt Tatar|tw Twi|ty Tahitian|ug Uighur|uk Ukrainian|ur Urdu|"
    "uz Uzbek|ve Venda|vi Vietnamese|vo Volapük|wa Walloon|wo Wolof|xh Xhosa|yi Yiddish|yo Yoruba|"
    "za Zhuang|zh Chinese|zu Zulu"
)


def _table(text: str) -> dict[str, str]:
    return dict(item.split(" ", 1) for item in text.split("|"))


#: Country code → name; language code → name.
COUNTRY_NAMES: dict[str, str] = _table(_COUNTRIES)
LANGUAGE_NAMES: dict[str, str] = _table(_LANGUAGES)
#: Upstream names zh-cn "Chinese" as well (core/group_by display names).
LANGUAGE_NAMES["zh-cn"] = "Chinese"


#: Group keys of keyword fields that upstream prints as OpenAlex URLs (core/group_by format_key).
KEYWORD_GROUP_URLS: dict[str, str] = {
    "type": OPENALEX_URL + "types/",
    "language": OPENALEX_URL + "languages/",
    "country_code": OPENALEX_URL + "countries/",
}
#: Display names of keyword group keys (upstream: country and language names).
_KEYWORD_NAMES: dict[str, dict[str, str]] = {"country_code": COUNTRY_NAMES, "language": LANGUAGE_NAMES}
#: The key and name of the bucket of works without a value (``group_by=…:include_unknown``).
UNKNOWN_GROUP = "unknown"


def group_item(
    field: str, key: object, count: int, display_name: str | None, names: dict[IdPair, str]
) -> dict[str, Any]:
    """One ``group_by`` entry ``{key, key_display_name, count}``, keys printed as upstream prints them."""
    if key is None:
        return {"key": UNKNOWN_GROUP, "key_display_name": UNKNOWN_GROUP, "count": count}
    if isinstance(key, tuple) and len(key) == 2:
        pair = (str(key[0]), str(key[1]))
        url = entity_url(pair)
        name = display_name or names.get(pair) or url
        return {"key": url, "key_display_name": name, "count": count}
    if isinstance(key, bool):
        text = "true" if key else "false"
        return {"key": text, "key_display_name": display_name or text, "count": count}
    text = str(key)
    prefix = KEYWORD_GROUP_URLS.get(field)
    if prefix is not None:
        value = text.upper() if field == "country_code" else text
        names_of = _KEYWORD_NAMES.get(field, {})
        known = names_of.get(value.lower() if field == "language" else value)
        return {"key": prefix + value, "key_display_name": display_name or known or value, "count": count}
    return {"key": text, "key_display_name": display_name or text, "count": count}


# --- autocomplete ----------------------------------------------------------------------------------
#: Authors named in an autocomplete hint before "et al." (upstream build_author_string).
HINT_AUTHORS = 3


def autocomplete_item(work: dict[str, Any]) -> dict[str, Any]:
    """An ``/autocomplete/works`` result from a rendered work (upstream AutoCompleteSchema's keys)."""
    wid = work.get("id")
    names: list[str] = []
    for a in _plain(work.get("authorships")) or ():
        if len(names) >= HINT_AUTHORS:
            names.append("et al.")
            break
        author = a.get("author") if isinstance(a, dict) else None
        if isinstance(author, dict) and author.get("display_name"):
            names.append(author["display_name"])
    short = wid.rsplit("/", 1)[-1] if isinstance(wid, str) else None
    return {
        "id": wid,
        "short_id": f"works/{short}" if short else None,
        "display_name": work.get("display_name"),
        "hint": ", ".join(names) if names else "authors unknown",
        "cited_by_count": work.get("cited_by_count"),
        "works_count": None,
        "entity_type": "work",
        "external_id": work.get("doi"),
        "filter_key": "id",
    }


#: Fields an autocomplete result is drawn from (a select keeps rendering cheap).
AUTOCOMPLETE_FIELDS = ("id", "doi", "display_name", "authorships", "cited_by_count")


# --- the citations wrapper (upstream doc 000) ------------------------------------------------------
#: ``@type`` tags of the wrapper's objects. Work, location, source, biblio, percentile and topic are
#: in upstream doc 000; the others follow its naming of their schemas (OpenalexAuthorship → …) [INF].
TYPE_WORK = "@openalex_work"
TYPE_LOCATION = "@openalex_work_location"
TYPE_SOURCE = "@openalex_work_source"
TYPE_BIBLIO = "@openalex_biblio"
TYPE_PERCENTILE = "@openalex_citation_percentile"
TYPE_TOPIC = "@openalex_topic"
TYPE_AUTHORSHIP = "@openalex_authorship"
TYPE_KEYWORD = "@openalex_keyword"
TYPE_CONCEPT = "@openalex_concept"
TYPE_MESH = "@openalex_mesh_term"
TYPE_FUNDER = "@openalex_funder"
TYPE_SDG = "@openalex_sdg"
TYPE_COUNT_BY_YEAR = "@openalex_count_by_year"


def _plain(value: Any) -> Any:
    """A fully decoded value (rendered works may hold undecoded ``msgspec.Raw`` values)."""
    return _ANY_DECODER.decode(value) if isinstance(value, msgspec.Raw) else value


def _tagged(value: Any, tag: str) -> Any:
    return {"@type": tag, **value} if isinstance(value, dict) else value


def _tagged_list(value: Any, tag: str) -> list[Any]:
    return [_tagged(v, tag) for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _wrapper_location(loc: Any) -> Any:
    if not isinstance(loc, dict):
        return None
    src = loc.get("source")
    source = None
    if isinstance(src, dict):
        source = {
            "@type": TYPE_SOURCE,
            "id": src.get("id"),
            "display_name": src.get("display_name"),
            "issn_l": src.get("issn_l"),
            "type": src.get("type"),
            "is_oa": src.get("is_oa"),
            "is_in_doaj": src.get("is_in_doaj"),
            "host_organization_name": src.get("host_organization_name"),
        }
    return {
        "@type": TYPE_LOCATION,
        "is_oa": loc.get("is_oa"),
        "landing_page_url": loc.get("landing_page_url"),
        "pdf_url": loc.get("pdf_url"),
        "license": loc.get("license"),
        "version": loc.get("version"),
        "source": source,
    }


def _name_of(value: Any) -> Any:
    return value.get("display_name") if isinstance(value, dict) else value


def _wrapper_topic(topic: Any) -> Any:
    if not isinstance(topic, dict):
        return None
    return {
        "id": topic.get("id"),
        "@type": TYPE_TOPIC,
        "display_name": topic.get("display_name") or "",
        "score": topic.get("score"),
        "works_count": topic.get("works_count"),
        "topic_share": topic.get("topic_share"),
        "subfield": _name_of(topic.get("subfield")),
        "field": _name_of(topic.get("field")),
        "domain": _name_of(topic.get("domain")),
    }


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def citation_item(work: dict[str, Any]) -> dict[str, Any]:
    """One item of ``POST /works/citations``: a rendered work flattened as upstream doc 000 shows."""
    w = {k: _plain(v) for k, v in work.items()}
    ids = _dict(w.get("ids"))
    oa = _dict(w.get("open_access"))
    pct = w.get("citation_normalized_percentile")
    biblio = _dict(w.get("biblio"))
    try:
        abstract = abstract_from_inverted_index(w.get("abstract_inverted_index"))
    except ValueError:
        abstract = None
    mag = ids.get("mag")
    return {
        "id": w.get("id"),
        "@type": TYPE_WORK,
        "doi": w.get("doi"),
        "title": w.get("title") or "",
        "publication_year": w.get("publication_year"),
        "publication_date": w.get("publication_date"),
        "language": w.get("language"),
        "type": w.get("type"),
        "pmid": ids.get("pmid"),
        "mag_id": None if mag is None else str(mag),
        "cited_by_count": w.get("cited_by_count") or 0,
        "fwci": w.get("fwci"),
        "referenced_works_count": w.get("referenced_works_count") or 0,
        "is_retracted": bool(w.get("is_retracted")),
        "is_oa": oa.get("is_oa"),
        "oa_status": oa.get("oa_status"),
        "oa_url": oa.get("oa_url"),
        "indexed_in": w.get("indexed_in") or [],
        "citation_normalized_percentile": None
        if not isinstance(pct, dict)
        else {
            "@type": TYPE_PERCENTILE,
            "value": pct.get("value"),
            "is_in_top_1_percent": pct.get("is_in_top_1_percent"),
            "is_in_top_10_percent": pct.get("is_in_top_10_percent"),
        },
        "abstract": abstract,
        "primary_location": _wrapper_location(w.get("primary_location")),
        "best_oa_location": _wrapper_location(w.get("best_oa_location")),
        "biblio": {
            "@type": TYPE_BIBLIO,
            "volume": biblio.get("volume"),
            "issue": biblio.get("issue"),
            "first_page": biblio.get("first_page"),
            "last_page": biblio.get("last_page"),
        },
        "primary_topic": _wrapper_topic(w.get("primary_topic")),
        "authorships": _tagged_list(w.get("authorships"), TYPE_AUTHORSHIP),
        "corresponding_author_ids": w.get("corresponding_author_ids") or [],
        "topics": [_wrapper_topic(t) for t in (w.get("topics") or []) if isinstance(t, dict)],
        "keywords": _tagged_list(w.get("keywords"), TYPE_KEYWORD),
        "concepts": _tagged_list(w.get("concepts"), TYPE_CONCEPT),
        "mesh": _tagged_list(w.get("mesh"), TYPE_MESH),
        "funders": _tagged_list(w.get("funders"), TYPE_FUNDER),
        "sustainable_development_goals": _tagged_list(w.get("sustainable_development_goals"), TYPE_SDG),
        "referenced_works": w.get("referenced_works") or [],
        "related_works": w.get("related_works") or [],
        "counts_by_year": _tagged_list(w.get("counts_by_year"), TYPE_COUNT_BY_YEAR),
    }


__all__ = [
    "AUTOCOMPLETE_FIELDS",
    "DERIVED_FIELDS",
    "Derived",
    "WorkRenderer",
    "autocomplete_item",
    "citation_item",
    "cited_by_api_url",
    "counts_by_year_list",
    "entity_url",
    "fallback_id",
    "group_envelope",
    "group_item",
    "inverted_index",
    "list_envelope",
    "list_meta",
    "openalex_url",
    "ordered_references",
    "public_id",
    "render_model",
    "render_record",
]
