"""Crossref's shapes: work items, the envelope, lists, facets and errors (spec/api-dialects.md §2.2, §2.5).

A work loaded from Crossref is served as its stored record with the graph's counts
(``is-referenced-by-count``, ``references-count``) put in; a work known only from other sources is
drawn in Crossref's shape from the canonical record.

A server run with ``--counts upstream`` (:class:`~citegraph.graph.counts.CountsMode`) leaves the record's own
counts as Crossref wrote them instead (``is-referenced-by-count``, ``references-count`` and the older
``reference-count``); a count the record lacks, or does not give as a number, is ours, and a work without a
Crossref record is served our counts. Lists, filters and sorts stay our graph's in both modes.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from citegraph import ids
from citegraph.dialects.crossref.params import crossref_type
from citegraph.graph.counts import CountsMode
from citegraph.model import Work

if TYPE_CHECKING:
    from citegraph.graph import Graph, ServedWork

SOURCE = "crossref"
MESSAGE_VERSION = "1.0.0"
#: Our counts, replacing what the record says (the whole world's counts, not our graph's).
COUNT_KEYS = ("is-referenced-by-count", "references-count", "reference-count")
_DECODE = msgspec.json.Decoder(dict[str, Any])
#: The ``score`` Crossref gives the work of a ``/works/{doi}`` answer (nothing was ranked).
SINGLE_WORK_SCORE = 1



def envelope(message_type: str, message: Any) -> dict[str, Any]:
    """Every JSON answer: ``{status, message-type, message-version, message}``."""
    return {"status": "ok", "message-type": message_type, "message-version": MESSAGE_VERSION, "message": message}


def failure_body(failures: Sequence[dict[str, object]], message_type: str = "validation-failure") -> dict[str, Any]:
    """A 400 (or cursor 404) body listing every failure."""
    return {"status": "failed", "message-type": message_type, "message": list(failures)}


ROUTE_NOT_FOUND = {"status": "error", "message-type": "route-not-found", "message-version": MESSAGE_VERSION,
                   "message": "Route not found"}
RESOURCE_NOT_FOUND = "Resource not found."


def date_parts(date: str | None) -> dict[str, Any] | None:
    """An ISO date at any precision as Crossref's ``{"date-parts": [[Y, M, D]]}``."""
    if not date or not date[:4].isdigit():
        return None
    return {"date-parts": [[int(p) for p in date[:10].split("-") if p.isdigit()]]}


def _timed(date: str | None) -> dict[str, Any] | None:
    parts = date_parts(date)
    if parts is None or date is None:
        return None
    day = date[:10] if len(date) >= 10 else (date + "-01-01")[:10]
    stamp = datetime.datetime.fromisoformat(day).replace(tzinfo=datetime.UTC)
    return parts | {"date-time": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), "timestamp": int(stamp.timestamp() * 1000)}


def canonical_item(work: Work, cited_by_count: int, referenced_works_count: int,
                   references: list[str]) -> dict[str, Any]:
    """A work no Crossref record describes, in Crossref's item shape (the fields the canonical record holds).

    ``references`` are the cited works as ``doi:<doi>`` where they have one, else another printed id.
    """
    doi = next((i.value for i in work.ids if i.scheme == ids.DOI), None)
    out: dict[str, Any] = {"DOI": doi, "URL": f"https://doi.org/{doi}" if doi else None}
    if work.title:
        out["title"] = [work.title]
    if work.subtitle:
        out["subtitle"] = list(work.subtitle)
    people: dict[str, list[dict[str, Any]]] = {"author": [], "editor": []}
    for i, a in enumerate(work.authors):
        person: dict[str, Any] = {}
        if a.given or a.family:
            person |= {k: v for k, v in (("given", a.given), ("family", a.family)) if v}
        elif a.name:
            given, _, family = a.name.rpartition(" ")
            person |= {"given": given, "family": family} if given else {"name": a.name}
        person["sequence"] = "first" if i == 0 else "additional"
        orcid = next((x.value for x in a.ids if x.scheme == ids.ORCID), None)
        if orcid:
            person["ORCID"] = f"https://orcid.org/{orcid}"
        person["affiliation"] = [{"name": af.name or af.raw} for af in a.affiliations if af.name or af.raw]
        people["editor" if a.role == "editor" else "author"].append(person)
    for role, listed in people.items():
        if listed:
            out[role] = listed
    titles = list(work.container_titles) or ([work.venue.name] if work.venue and work.venue.name else [])
    if titles:
        out["container-title"] = titles
    issns = [i.value for i in (work.venue.ids if work.venue else []) if i.scheme == ids.ISSN]
    if issns:
        out["ISSN"] = issns
    if work.isbn:
        out["ISBN"] = list(work.isbn)
    publisher = work.publisher or (work.venue.publisher if work.venue else None)
    if publisher:
        out["publisher"] = publisher
    out["type"] = crossref_type(work.type_source, work.type)
    for key, value in (("issued", work.dates.issued or work.publication_date),
                       ("published", work.dates.published or work.publication_date),
                       ("published-print", work.dates.published_print),
                       ("published-online", work.dates.published_online)):
        parts = date_parts(value)
        if parts:
            out[key] = parts
    for key, value in (("created", work.dates.created), ("deposited", work.dates.deposited),
                       ("indexed", work.dates.indexed)):
        timed = _timed(value)
        if timed:
            out[key] = timed
    b = work.biblio
    for key, value in (("volume", b.volume), ("issue", b.issue), ("article-number", b.article_number)):
        if value:
            out[key] = value
    if b.first_page:
        out["page"] = f"{b.first_page}-{b.last_page}" if b.last_page else b.first_page
    if work.abstract:
        out["abstract"] = work.abstract
    if work.member:
        out["member"] = work.member
    if doi:
        out["prefix"] = doi.split("/", 1)[0]
    subjects = [c.name for c in work.concepts if c.kind == "subject"]
    if subjects:
        out["subject"] = subjects
    if work.licenses:
        out["license"] = [{"URL": lic.url, "content-version": lic.version or "unspecified"}
                          for lic in work.licenses if lic.url]
    if work.funders:
        out["funder"] = [{"name": f.name, **({"DOI": f.ids[0].value} if f.ids and f.ids[0].scheme == ids.DOI
                                             else {}), "award": list(f.awards)} for f in work.funders]
    out["is-referenced-by-count"] = cited_by_count
    out["references-count"] = referenced_works_count
    out["reference-count"] = referenced_works_count
    if references:
        out["reference"] = reference_entries(references)
    out["source"] = "citegraph"
    return out


def reference_entries(references: Sequence[str], key: str = "ref") -> list[dict[str, str]]:
    """Cited works (as :func:`reference_names` names them) as Crossref ``reference`` entries keyed ``<key>1`` on.

    A reference whose work has no DOI is still one of the count: named by the id we know it by.
    """
    return [{"key": f"{key}{i}", "DOI": r[len("doi:"):], "doi-asserted-by": "crossref"} if r.startswith("doi:")
            else {"key": f"{key}{i}", "unstructured": r} for i, r in enumerate(references, 1)]


#: The key prefix of the references a Crossref record is served with beyond its own (another source gave them).
ADDED_REFERENCE_KEY = "citegraph-"


#: Id schemes a cited work without a DOI or an OpenAlex id is named by, in this order (then any id it has).
_NAMING_SCHEMES = (ids.PMID, ids.PMCID, ids.ARXIV, ids.S2, ids.CORPUSID, ids.MAG, ids.OMID)


def reference_names(graph: Graph, cited: Sequence[int]) -> list[str]:
    """Cited works as a drawn item lists them: ``doi:<doi>`` where the work has a DOI, else its OpenAlex URL, else
    another of its ids as ``scheme:value``; each a form the same server reads back (the OpenAlex route takes them)."""
    dois = graph.ids_of(list(cited), ids.DOI)
    rest = [k for k in cited if k not in dois]
    openalex = graph.ids_of(rest, ids.OPENALEX)
    names = sorted(f"doi:{d}" for d in dois.values()) + sorted(f"https://openalex.org/{v}" for v in openalex.values())
    rest = [k for k in rest if k not in openalex]
    rows = graph.store.work_rows(rest)
    for k in rest:
        pairs = rows[k].ids if k in rows else []
        by_scheme = dict(reversed(pairs))  # the first value of each scheme
        pair = next(((s, by_scheme[s]) for s in _NAMING_SCHEMES if s in by_scheme), pairs[0] if pairs else None)
        names.append(ids.format_id(pair, "canonical") if pair is not None else f"citegraph:{k}")
    return names


#: The count fields of a Crossref record (top-level keys with a number each) that serving replaces, quoted.
_COUNT_KEYS = (b'"is-referenced-by-count"', b'"references-count"', b'"reference-count"', b'"score"')
#: How the first three end: one pass over the record for this finds them all (a pass per key and another for its
#: repeat were 8 scans, ~12 µs of a 4 KB record).
_COUNT_TAIL = b'-count"'
_SCORE_KEY = _COUNT_KEYS[3]
_SPACE = b" \t\r\n"
#: After a count key: the colon and the number (group 1), with JSON's whitespace around the colon.
_NUMBER_VALUE = re.compile(rb"[ \t\r\n]*:[ \t\r\n]*([0-9.eE+-]+)")


def _count_key_ends(record: bytes) -> list[int] | None:
    """Where each of ``_COUNT_KEYS`` ends in ``record`` (-1: absent), or None when one occurs twice."""
    ends = [-1, -1, -1, -1]
    at = record.find(_COUNT_TAIL)
    while at >= 0:
        end = at + len(_COUNT_TAIL)
        for i in range(3):
            if record.startswith(_COUNT_KEYS[i], end - len(_COUNT_KEYS[i])):
                if ends[i] >= 0:
                    return None
                ends[i] = end
                break
        at = record.find(_COUNT_TAIL, end)
    at = record.find(_SCORE_KEY)
    if at >= 0:
        if record.find(_SCORE_KEY, at + len(_SCORE_KEY)) >= 0:
            return None
        ends[3] = at + len(_SCORE_KEY)
    return ends


def spliced_record(record: bytes, cited_by_count: int | None, referenced_works_count: int | None,
                   score: float) -> bytes | None:
    """A stored Crossref record with our counts and ``score`` put in, as bytes, without decoding it.

    Each key must occur at most once in the whole record, holding a number (a second occurrence, such as inside a
    title, would make a textual match ambiguous), and the first two must be there: otherwise None, and the caller
    decodes. ``score`` is appended when the record has none. ~5 µs where decoding and encoding take ~65. A count
    given as None keeps the record's own number (``--counts upstream``).
    """
    ends = _count_key_ends(record)
    if ends is None or ends[0] < 0 or ends[1] < 0:
        return None
    refs = None if referenced_works_count is None else str(referenced_works_count).encode()
    scored_as = repr(score).encode()
    values = (None if cited_by_count is None else str(cited_by_count).encode(), refs, refs, scored_as)
    cuts: list[tuple[int, int, bytes]] = []
    for end, value in zip(ends, values, strict=True):
        if end < 0:
            continue
        number = _NUMBER_VALUE.match(record, end)
        if number is None:
            return None  # not a number (null, a string): decode instead
        if value is not None:
            cuts.append((*number.span(1), value))
    scored = ends[3] >= 0  # the record has a score of its own
    cuts.sort()
    parts: list[bytes] = []
    last = 0
    for begin, end, value in cuts:
        parts += (record[last:begin], value)
        last = end
    tail = record[last:]
    if not scored:  # no score of its own: add one before the last brace
        tail = tail.rstrip(_SPACE)
        if not tail.endswith(b"}"):
            return None
        tail = tail[:-1] + b',"score":' + scored_as + b"}"
    parts.append(tail)
    return b"".join(parts)


class ItemRenderer:
    """Renders works of one graph as Crossref items."""

    def __init__(self, graph: Graph, counts: CountsMode = CountsMode.OURS) -> None:
        self.graph = graph
        self.counts = counts  # whose counts the items carry (see the module docstring)

    def items(self, keys: Sequence[int], *, select: Sequence[str] | None = None,
              scores: Sequence[float | None] | None = None) -> list[dict[str, Any] | msgspec.Raw]:
        """Works in order as list items (``score`` on each), projected by ``select``.

        A Crossref record is spliced as bytes when it can be (see ``spliced_record``); the rest are dicts.
        """
        served = self.graph.served_works(keys, SOURCE, None)
        out: list[dict[str, Any] | msgspec.Raw] = []
        for i, key in enumerate(keys):
            sw = served.get(key)
            if sw is None:
                continue
            # no query: nothing was scored (Crossref gives every item the same score)
            score = round(scores[i] or 0.0, 6) if scores is not None else 0.0
            if select is None and sw.record is not None and not sw.refs_beyond_record:
                if self.counts is CountsMode.UPSTREAM:  # the record's own numbers stay
                    spliced = spliced_record(sw.record, None, None, score)
                else:
                    spliced = spliced_record(sw.record, sw.cited_by_count, sw.referenced_works_count, score)
                if spliced is not None:
                    out.append(msgspec.Raw(spliced))
                    continue
            item = self._item(key, sw)
            item["score"] = score
            if select is not None:
                item = {k: item[k] for k in select if k in item}
            out.append(item)
        return out

    def item(self, key: int) -> dict[str, Any] | None:
        """One work as ``GET /works/{doi}`` serves it (no score), or None."""
        sw = self.graph.served_works([key], SOURCE, None).get(key)
        if sw is None:
            return None
        item = self._item(key, sw)
        item["score"] = SINGLE_WORK_SCORE
        return item

    def _item(self, key: int, sw: ServedWork) -> dict[str, Any]:
        if sw.record is not None:
            try:
                record = _DECODE.decode(sw.record)
            except msgspec.DecodeError:
                record = None
            if record is not None:
                if self.counts is CountsMode.UPSTREAM:  # Crossref's own numbers where the record gives them
                    record["is-referenced-by-count"] = _number(record.get("is-referenced-by-count"), sw.cited_by_count)
                    stated = _number(record.get("references-count"),
                                     _number(record.get("reference-count"), sw.referenced_works_count))
                    record["references-count"] = stated
                    if "reference-count" in record:
                        record["reference-count"] = _number(record["reference-count"], stated)
                    return record
                # our merged graph's counts, as every dialect serves by default: sorting and filtering by them agree
                # with what is shown (references without a DOI stay listed in the record but are not counted)
                record["is-referenced-by-count"] = sw.cited_by_count
                record["references-count"] = sw.referenced_works_count
                if "reference-count" in record:
                    record["reference-count"] = sw.referenced_works_count
                if sw.refs_beyond_record:
                    self._add_references(key, record)
                return record
        gw = self.graph.work(key)
        work = gw.work or Work(ids=list(gw.ids))
        # the graph's ids, not only the records': an id named by rule (an arXiv paper's DataCite DOI) is the work's
        # own, and the DOI this route found the work by must be the one the item shows
        extra = [i for i in gw.ids if i not in work.ids]
        if extra:
            work = msgspec.structs.replace(work, ids=[*work.ids, *extra])
        refs = reference_names(self.graph, self.graph.reference_keys(key))
        return canonical_item(work, sw.cited_by_count, sw.referenced_works_count, refs)

    def _add_references(self, key: int, record: dict[str, Any]) -> None:
        """Append to a record's ``reference`` list the works the graph says it cites that the list does not name by
        DOI (another source gave them: its OpenAlex record, an OpenCitations row), keyed ``citegraph-1`` on, so the
        list holds every citation ``references-count`` counts."""
        listed = record.get("reference")
        if not isinstance(listed, list):
            listed = []
        named: set[int | None] = set()
        for ref in listed:
            doi = ref.get("DOI") if isinstance(ref, dict) else None
            if isinstance(doi, str):
                with contextlib.suppress(ids.IdError):  # not a DOI: an unlinked reference, as the loader kept it
                    named.add(self.graph.key_of((ids.DOI, ids.normalize(ids.DOI, doi))))
        missing = [k for k in self.graph.reference_keys(key) if k not in named]
        if missing:
            record["reference"] = listed + reference_entries(reference_names(self.graph, missing), ADDED_REFERENCE_KEY)


def _number(value: Any, otherwise: int) -> int:
    """A count a record gives, when it is a whole number (not a bool, a string or ``null``); else ``otherwise``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else otherwise


def list_message(*, items: list[dict[str, Any] | msgspec.Raw], total: int, rows: int, offset: int,
                 search_terms: str | None, facets: dict[str, Any], next_cursor: str | None) -> dict[str, Any]:
    """A ``work-list`` message; ``next-cursor`` only when a cursor was asked for."""
    message: dict[str, Any] = {"facets": facets, "total-results": total, "items": items, "items-per-page": rows,
                               "query": {"start-index": offset, "search-terms": search_terms}}
    if next_cursor is not None:
        message["next-cursor"] = next_cursor
    return message
