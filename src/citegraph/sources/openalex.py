"""OpenAlex works: read snapshot files and API pages, map each work to the canonical model.

Inputs (already decompressed by the loader):

- snapshot part files and other JSON Lines, one work per line;
- API list pages ``{"meta": …, "results": [work, …]}`` (also one page per line);
- a single work object (an API ``/works/W…`` answer, possibly pretty-printed), or a JSON array of works.

The mapper decodes only the fields it needs into typed msgspec structs (unknown fields are skipped by
the decoder, which is what makes it fast) and keeps the record's own bytes as the stored raw record,
normalising them only for the known snapshot quirks (a string ``abstract_inverted_index`` and the
``@timestamp``/``@version`` keys), so the OpenAlex dialect can serve each work as OpenAlex wrote it.
"""

from __future__ import annotations

import functools
import itertools
import re
import struct
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Literal

import msgspec

from citegraph import ids
from citegraph.model import (
    Affiliation,
    Author,
    Biblio,
    Concept,
    Dates,
    Funding,
    Id,
    License,
    Link,
    Reference,
    UpstreamCounts,
    Venue,
    Work,
)
from citegraph.sources import Mapped, RecordError, ServingHints
from citegraph.sources.jsonio import (
    DOCUMENT_MAX_BYTES,
    LEADING,
    decode_record,
    first_line,
    is_json_line,
    lines,
    read_bounded,
)

SOURCE = "openalex"

#: The URL prefix of every OpenAlex entity id; stripped on the fast path of id parsing.
OPENALEX_URL = "https://openalex.org/"
_OPENALEX_URL_LEN = len(OPENALEX_URL)
#: A whole id list of work URLs in the one form real records use, checked in one regex pass.
_WORK_URL_LINES_RE = re.compile(r"(?:https://openalex\.org/W[0-9]+\n)*")
#: Keys the 2023-era snapshot adds to each record (Elasticsearch bookkeeping); never served.
SNAPSHOT_ONLY_KEYS = ("@timestamp", "@version")
#: A snapshot manifest is a small JSON index (hundreds of KB for all works); larger files are data.
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
#: Secondary-id cache size: ISSNs, RORs and institution ids repeat across millions of records.
ID_CACHE_SIZE = 1 << 16
#: How sure the bytes must be: a work's top-level id is the one OpenAlex URL under the key "id" with W.
_WORK_ID_RE = re.compile(rb'"id"\s*:\s*"https?://openalex\.org/[Ww]\d')
#: Every list page carries this meta key; an empty page has no work id to recognise it by.
_EMPTY_PAGE_RE = re.compile(
    rb'"db_response_time_ms".*"results"\s*:\s*\[\s*\]|"results"\s*:\s*\[\s*\].*"db_response_time_ms"',
    re.DOTALL)
#: The undecoded value of an absent abstract.
_JSON_NULL = msgspec.Raw(b"null")


# --- the decoded subset of a work -----------------------------------------------------------------------
# Every field is optional and nullable: OpenAlex omits and nulls fields freely across record vintages.


class _Source(msgspec.Struct, gc=False):
    id: str | None = None
    display_name: str | None = None
    issn_l: str | None = None
    issn: list[str | None] | None = None
    is_oa: bool | None = None
    is_in_doaj: bool | None = None
    host_organization_name: str | None = None
    publisher: str | None = None  # older snapshots name the publisher here
    type: str | None = None


class _Location(msgspec.Struct, gc=False):
    is_oa: bool | None = None
    landing_page_url: str | None = None
    pdf_url: str | None = None
    source: _Source | None = None
    license: str | None = None
    version: str | None = None


class _HostVenue(msgspec.Struct, gc=False):
    """The pre-2023 ``host_venue``: venue and location in one object."""

    id: str | None = None
    display_name: str | None = None
    issn_l: str | None = None
    issn: list[str | None] | None = None
    publisher: str | None = None
    type: str | None = None
    is_oa: bool | None = None
    is_in_doaj: bool | None = None
    url: str | None = None
    license: str | None = None
    version: str | None = None


class _OpenAccess(msgspec.Struct, gc=False):
    is_oa: bool | None = None
    oa_status: str | None = None
    oa_url: str | None = None


class _Person(msgspec.Struct, gc=False):
    id: str | None = None
    display_name: str | None = None
    orcid: str | None = None


class _Institution(msgspec.Struct, gc=False):
    id: str | None = None
    display_name: str | None = None
    ror: str | None = None
    country_code: str | None = None


class _AffiliationLink(msgspec.Struct, gc=False):
    raw_affiliation_string: str | None = None
    institution_ids: list[str | None] | None = None


class _Authorship(msgspec.Struct, gc=False):
    author_position: str | None = None
    author: _Person | None = None
    institutions: list[_Institution | None] | None = None
    is_corresponding: bool | None = None
    raw_author_name: str | None = None
    raw_affiliation_strings: list[str | None] | None = None
    raw_affiliation_string: str | None = None  # older snapshots: one string
    affiliations: list[_AffiliationLink | None] | None = None


class _Named(msgspec.Struct, gc=False):
    display_name: str | None = None


class _Topic(msgspec.Struct, gc=False):
    id: str | None = None
    display_name: str | None = None
    score: float | None = None
    subfield: _Named | None = None
    field: _Named | None = None
    domain: _Named | None = None


class _Keyword(msgspec.Struct, gc=False):
    id: str | None = None
    display_name: str | None = None
    keyword: str | None = None  # older form: {"keyword": …, "score": …}
    score: float | None = None


class _Mesh(msgspec.Struct, gc=False):
    descriptor_ui: str | None = None
    descriptor_name: str | None = None


class _Funder(msgspec.Struct, gc=False):
    id: str | None = None
    display_name: str | None = None
    ror: str | None = None


class _Grant(msgspec.Struct, gc=False):
    """An entry of the older ``grants`` list."""

    funder: str | None = None
    funder_display_name: str | None = None
    award_id: str | None = None


class _Award(msgspec.Struct, gc=False):
    """An entry of the newer ``awards`` list."""

    funder_id: str | None = None
    funder_display_name: str | None = None
    funder_award_id: str | None = None


class _Biblio(msgspec.Struct, gc=False):
    volume: str | int | None = None
    issue: str | int | None = None
    first_page: str | int | None = None
    last_page: str | int | None = None


class _YearCount(msgspec.Struct, gc=False):
    year: int | None = None
    cited_by_count: int | None = None


class _Ids(msgspec.Struct, gc=False):
    doi: str | None = None
    mag: str | int | None = None  # a string in the API, an integer in older snapshots
    pmid: str | None = None
    pmcid: str | None = None


class _WorkCore(msgspec.Struct, gc=False):
    """What the loader needs of a work (identity, citations, version), and the snapshot-quirk markers."""

    id: str | None = None
    doi: str | None = None
    title: str | None = None
    display_name: str | None = None
    publication_year: int | None = None
    publication_date: str | None = None
    ids: _Ids | None = None
    type: str | None = None
    referenced_works: list[str | None] | None = None
    updated_date: str | None = None
    at_timestamp: Any = msgspec.field(default=msgspec.UNSET, name="@timestamp")
    at_version: Any = msgspec.field(default=msgspec.UNSET, name="@version")


class _CoreRecord(_WorkCore, gc=False):
    """The core fields with the abstract left undecoded (only its form matters: object or string)."""

    abstract_inverted_index: msgspec.Raw = _JSON_NULL


class _Work(_WorkCore, gc=False):
    """The subset of a work the full mapping reads."""

    language: str | None = None
    type_crossref: str | None = None
    primary_location: _Location | None = None
    best_oa_location: _Location | None = None
    locations: list[_Location | None] | None = None
    host_venue: _HostVenue | None = None
    open_access: _OpenAccess | None = None
    authorships: list[_Authorship | None] | None = None
    is_authors_truncated: bool | None = None
    biblio: _Biblio | None = None
    is_retracted: bool | None = None
    is_paratext: bool | None = None
    primary_topic: _Topic | None = None
    topics: list[_Topic | None] | None = None
    concepts: list[_Topic | None] | None = None
    keywords: list[_Keyword | None] | None = None
    mesh: list[_Mesh | None] | None = None
    funders: list[_Funder | None] | None = None
    grants: list[_Grant | None] | None = None
    awards: list[_Award | None] | None = None
    referenced_works_count: int | None = None
    related_works: list[str | None] | None = None
    abstract_inverted_index: dict[str, list[int]] | str | None = None
    cited_by_count: int | None = None
    counts_by_year: list[_YearCount | None] | None = None
    fwci: float | None = None
    created_date: str | None = None


class _IndexTopic(msgspec.Struct, gc=False):
    id: str | None = None
    display_name: str | None = None
    subfield: _Named | None = None  # (the primary topic's is the subject citations are normalised within)
    field: _Named | None = None  # (the store files a topic's field as a field of study)


class _IndexKeyword(msgspec.Struct, gc=False):
    display_name: str | None = None
    keyword: str | None = None


class _IndexLocation(msgspec.Struct, gc=False):
    source: _Source | None = None


class _IndexOpenAccess(msgspec.Struct, gc=False):
    is_oa: bool | None = None
    oa_status: str | None = None


class _IndexAuthorship(msgspec.Struct, gc=False):
    author: _Person | None = None
    institutions: list[_Institution | None] | None = None
    raw_author_name: str | None = None


class _IndexWork(_WorkCore, gc=False):
    """What ``mode="index"`` reads: the core fields and what the store files for filters and names.

    No locations but the primary one, no abstract text (its bytes are only probed), no counts, MeSH,
    biblio, raw affiliation strings or topic hierarchy beyond a topic's field.
    """

    language: str | None = None
    type_crossref: str | None = None
    primary_location: _IndexLocation | None = None
    host_venue: _HostVenue | None = None
    open_access: _IndexOpenAccess | None = None
    authorships: list[_IndexAuthorship | None] | None = None
    is_retracted: bool | None = None
    is_paratext: bool | None = None
    primary_topic: _IndexTopic | None = None
    topics: list[_IndexTopic | None] | None = None
    concepts: list[_IndexTopic | None] | None = None
    keywords: list[_IndexKeyword | None] | None = None
    funders: list[_Funder | None] | None = None
    grants: list[_Grant | None] | None = None
    awards: list[_Award | None] | None = None
    related_works: list[str | None] | None = None
    created_date: str | None = None
    abstract_inverted_index: msgspec.Raw = _JSON_NULL


class _AbstractOnly(msgspec.Struct, gc=False):
    """A record's abstract alone, decoded in full: the exact (slow) answer when probing cannot tell."""

    abstract_inverted_index: dict[str, list[int]] | str | None = None


class _SnapshotAbstract(msgspec.Struct, gc=False):
    """The snapshot's string form of an abstract: ``{"IndexLength": N, "InvertedIndex": {…}}``."""

    InvertedIndex: dict[str, list[int]] | None = None  # noqa: N815 - OpenAlex's key


class _Probe(msgspec.Struct, gc=False):
    """Just enough of a JSON object to tell a list page from a work."""

    meta: Any = msgspec.UNSET
    results: list[msgspec.Raw] | None = None


class _ManifestEntry(msgspec.Struct, gc=False):
    url: str


class _Manifest(msgspec.Struct, gc=False):
    entries: list[_ManifestEntry]


_WORK_DECODER = msgspec.json.Decoder(_Work)
_CORE_DECODER = msgspec.json.Decoder(_CoreRecord)
_INDEX_DECODER = msgspec.json.Decoder(_IndexWork)
_ABSTRACT_ONLY_DECODER = msgspec.json.Decoder(_AbstractOnly)
_STR_DECODER = msgspec.json.Decoder(str)
_TOP_LEVEL_DECODER = msgspec.json.Decoder(dict[str, msgspec.Raw])
_PROBE_DECODER = msgspec.json.Decoder(_Probe)
_ARRAY_DECODER = msgspec.json.Decoder(list[msgspec.Raw])
_SNAPSHOT_ABSTRACT_DECODER = msgspec.json.Decoder(_SnapshotAbstract)
_INVERTED_INDEX_DECODER = msgspec.json.Decoder(dict[str, list[int]])
_ENCODER = msgspec.json.Encoder()


# --- identifiers ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=ID_CACHE_SIZE)
def _slow_openalex_key(value: str) -> str | None:
    try:
        return ids.normalize(ids.OPENALEX, value)
    except ids.IdError:
        return None


def _openalex_key(value: str | None, kind: str) -> str | None:
    """The canonical key ("W123") of an OpenAlex URL or key of entity ``kind``, or None if it is not one."""
    if not value:
        return None
    # fast path for the form every real record uses: https://openalex.org/W123
    if value.startswith(OPENALEX_URL):
        key = value[_OPENALEX_URL_LEN:]
        if len(key) > 1 and key[0] == kind and key.isascii() and key[1:].isdigit():
            return key
    slow = _slow_openalex_key(value)
    return slow if slow is not None and slow[:1] == kind else None


def _canonical_once(scheme: str, value: str) -> str | None:
    """``value`` normalised in ``scheme``, or None when it is not a valid id of that scheme."""
    try:
        return ids.normalize(scheme, value)
    except ids.IdError:
        pass
    # OpenAlex sometimes doubles a URL prefix ("https://ror.org/https://ror.org/01ppj9r51"): read the last URL
    last = value.rfind("http", 1)
    if last > 0:
        try:
            return ids.normalize(scheme, value[last:])
        except ids.IdError:
            pass
    return None


#: The same, cached: for ids that repeat across records (ISSNs, RORs, funders, ORCIDs off the fast path).
_canonical = functools.lru_cache(maxsize=ID_CACHE_SIZE)(_canonical_once)

# Fast paths for the one printed form OpenAlex uses per scheme. Each returns the canonical value, or None
# for anything else, which then takes the general (slow, exact) path through ids.normalize; the results
# are the same either way (tests/sources/test_openalex.py checks them against ids.normalize).

#: ``https://doi.org/`` and a DOI that needs no percent-decoding (ids' own common-shape rule).
_DOI_URL_RE = re.compile(r"https://doi\.org/(10\.[0-9]{4,9}(?:\.[0-9]+)*/[^\s\x00-\x1f\x7f%]+)")
#: ``https://orcid.org/`` and four hyphenated groups of digits, the last possibly X.
_ORCID_URL_RE = re.compile(r"https://orcid\.org/([0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3})([0-9X])")
#: 13 is 2 modulo 11, so reading ORCID's first 15 digits as a base-13 number gives, mod 11, the
#: ISO 7064 MOD 11-2 sum (each digit weighted by a power of 2) in one C call.
_MOD11_2_BASE = 13
#: Numeric ids longer than this go the slow way (ids caps stored numbers at 18 digits).
_FAST_DIGITS_MAX = 18
PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/"
PMC_URL = "https://www.ncbi.nlm.nih.gov/pmc/articles/"


def _fast_doi(value: str) -> str | None:
    m = _DOI_URL_RE.fullmatch(value)
    return m[1].lower() if m is not None and len(value) <= ids.MAX_ID_CHARS else None


def _fast_orcid(value: str) -> str | None:
    """An ORCID URL's canonical value if its check character is right; None sends it to the slow path
    (which rejects a wrong check character with the same verdict)."""
    m = _ORCID_URL_RE.fullmatch(value)
    if m is None:
        return None
    body = m[1]
    total = 2 * int(body.replace("-", ""), _MOD11_2_BASE)
    check = (12 - total % 11) % 11
    if m[2] != ("X" if check == 10 else str(check)):
        return None
    return body + m[2]


def _plain_digits(value: str) -> bool:
    """Digits as ids keeps them: no leading zero (it would be stripped), at most 18 of them."""
    return (0 < len(value) <= _FAST_DIGITS_MAX and value.isdigit() and value.isascii()
            and value[0] != "0")


def _fast_mag(value: str) -> str | None:
    return value if _plain_digits(value) else None


def _fast_pmid(value: str) -> str | None:
    if value.startswith(PUBMED_URL):
        digits = value[len(PUBMED_URL):]
        return digits if _plain_digits(digits) else None
    return None


def _fast_pmcid(value: str) -> str | None:
    if value.startswith(PMC_URL):
        digits = value[len(PMC_URL):]
        return "PMC" + digits if _plain_digits(digits) else None
    return None


#: The fast path of each scheme that has one.
_FAST_PATHS: dict[str, Callable[[str], str | None]] = {
    ids.DOI: _fast_doi, ids.ORCID: _fast_orcid, ids.MAG: _fast_mag, ids.PMID: _fast_pmid,
    ids.PMCID: _fast_pmcid,
}


def canonical_id(scheme: str, value: str, *, cache: bool = True) -> str | None:
    """``value`` (an id as OpenAlex prints it) normalised in ``scheme``, or None if it is not valid.

    The same as ``ids.normalize`` (plus reading the last URL of a doubled prefix), with a fast path
    for OpenAlex's own printed forms; ``cache=False`` skips the cache for ids unique to one work.
    """
    fast = _FAST_PATHS.get(scheme)
    if fast is not None:
        canon = fast(value)
        if canon is not None:
            return canon
    return _canonical(scheme, value) if cache else _canonical_once(scheme, value)


#: ``canonical_id`` for a scheme with no fast path (ISSN, ROR, …): straight to the cache.
_SLOW_ONLY = frozenset(ids.ALL_SCHEMES) - _FAST_PATHS.keys()


def _add_id(out: list[Id], scheme: str, value: str | int | None, issues: list[str], *,
            cache: bool = True) -> None:
    """Append the canonical (scheme, value) to ``out`` unless absent, invalid (noted) or already there.

    ``cache=False`` for ids unique to one work (DOI, PMID, …), which would only crowd the cache.
    """
    if value is None or value == "":
        return
    text = value if isinstance(value, str) else str(value)
    if cache and scheme in _SLOW_ONLY:
        canon = _canonical(scheme, text)
    else:
        canon = canonical_id(scheme, text, cache=cache)
    if canon is None:
        issues.append(f"unusable {scheme} id {value!r}")
        return
    new = Id(scheme, canon)
    if new not in out:
        out.append(new)


# --- abstracts -----------------------------------------------------------------------------------------


def _parse_abstract_string(text: str) -> dict[str, list[int]] | None:
    """The inverted index held in a snapshot's string ``abstract_inverted_index`` (raises ValueError)."""
    try:
        wrapped = _SNAPSHOT_ABSTRACT_DECODER.decode(text)
    except msgspec.ValidationError:
        wrapped = None
    except msgspec.DecodeError as exc:
        raise ValueError(f"abstract_inverted_index string is not JSON: {exc}") from exc
    if wrapped is not None and wrapped.InvertedIndex is not None:
        return wrapped.InvertedIndex
    try:  # a string holding the API's own object form
        return _INVERTED_INDEX_DECODER.decode(text)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ValueError(f"abstract_inverted_index string has an unknown shape: {exc}") from exc


#: Slots guessed per distinct word when rebuilding an abstract: real abstracts span 1.0-3.4 positions
#: per word (median 1.6), so one pass nearly always fits; a miss falls back to a measuring pass.
ABSTRACT_SLOTS_PER_WORD = 3
ABSTRACT_SLOTS_EXTRA = 64


def _text_from_index(inv: dict[str, list[int]]) -> str | None:
    slots: list[str | None] = [None] * (ABSTRACT_SLOTS_PER_WORD * len(inv) + ABSTRACT_SLOTS_EXTRA)
    try:
        for word, positions in inv.items():
            for p in positions:
                if p < 0:
                    raise IndexError(p)
                slots[p] = word
    except IndexError:
        return _text_from_index_measured(inv)
    return " ".join([w for w in slots if w is not None]) or None  # (gaps occur in real records)


def _text_from_index_measured(inv: dict[str, list[int]]) -> str | None:
    total = 0
    low = 0
    last = -1
    for positions in inv.values():
        total += len(positions)
        for p in positions:
            if p > last:
                last = p
            elif p < low:
                low = p
    if total == 0:
        return None
    if low == 0 and last < 2 * total + ABSTRACT_SLOTS_EXTRA:
        slots: list[str | None] = [None] * (last + 1)
        for word, positions in inv.items():
            for p in positions:
                slots[p] = word
        return " ".join([w for w in slots if w is not None]) or None
    # sparse or negative positions: a sort keeps memory bounded by the word count
    return " ".join([w for _, w in sorted((p, w) for w, positions in inv.items() for p in positions)])


def abstract_from_inverted_index(inv: dict[str, list[int]] | str | None) -> str | None:
    """The plain-text abstract from an OpenAlex ``abstract_inverted_index``.

    Accepts the API's object form ``{word: [positions]}``, the snapshot's JSON-string form
    ``'{"IndexLength": N, "InvertedIndex": {…}}'``, or None. Words are joined by single spaces in
    position order. Returns None for no or an empty index; raises ValueError for a malformed string.
    """
    if inv is None:
        return None
    if isinstance(inv, str):
        parsed = _parse_abstract_string(inv)
        return _text_from_index(parsed) if parsed else None
    return _text_from_index(inv) if inv else None


#: The last value of a stretch of an inverted index: a list of integers, then what ends the pair.
_LAST_LIST_RE = re.compile(rb"\[([0-9 \t\r\n,-]*)\][ \t\r\n]*")
#: Between a word and its list.
_COLON_RE = re.compile(rb"[ \t\r\n]*:[ \t\r\n]*")
#: Before a word: the object's start, or the comma after the previous pair.
_BEFORE_WORD_RE = re.compile(rb"[ \t\r\n]*([{,])[ \t\r\n]*")
#: Pairs probed before decoding the whole index instead (real abstracts are decided by the last two).
ABSTRACT_PROBE_PAIRS = 8
#: Positions outside a signed 64-bit integer are left to the decoder to judge.
_MAX_POSITION = 1 << 63


def _probe_abstract(text: bytes) -> bool | None:
    """Whether the JSON object ``text`` (an inverted index) rebuilds to a non-empty abstract, read from
    its last few pairs without decoding it; None when that does not tell (then decode it).

    Two distinct positions always give a non-empty text (at least two words joined by a space) whatever
    the rest holds. Pairs are read from the end because with duplicate keys the last one wins: a pair
    counts unless a later (already read) pair has the same word. Words are compared as written, so any
    word with an escape (which could spell another word's text) ends the probe.
    """
    end = len(text) - 1  # the closing "}"
    if text[end:] != b"}":
        return None
    words: set[bytes] = set()
    seen: set[int] = set()
    for _ in range(ABSTRACT_PROBE_PAIRS):
        start = text.rfind(b"[", 0, end)
        if start < 0:
            return None
        m = _LAST_LIST_RE.fullmatch(text, start, end)
        if m is None:
            return None  # not a list of integers
        word_end = text.rfind(b'"', 0, start)
        word_start = text.rfind(b'"', 0, word_end)
        if word_start < 1 or _COLON_RE.fullmatch(text, word_end + 1, start) is None:
            return None
        word = text[word_start + 1:word_end]
        if b"\\" in word or text[word_start - 1] == 0x5C:  # an escape, or a quote inside a word
            return None
        if word not in words:
            words.add(word)
            numbers = m[1]
            if numbers.strip():
                try:
                    positions = [int(n) for n in numbers.split(b",")]
                except ValueError:
                    return None
                for p in positions:
                    if not -_MAX_POSITION <= p < _MAX_POSITION:
                        return None
                seen.update(positions)
                if len(seen) >= 2:
                    return True
        before = text.rfind(b",", 0, word_start)
        if before < 0:
            return None  # the first pair: too few positions to tell here
        if _BEFORE_WORD_RE.fullmatch(text, before, word_start) is None:
            return None
        end = before
    return None


def _has_text(inv: dict[str, list[int]] | None) -> bool:
    """Whether an inverted index rebuilds to a non-empty abstract (the full rebuild decides)."""
    return bool(_text_from_index(inv)) if inv else False


#: What a lean mapping learns of an abstract: (non-empty, in string form, the index parsed from the string).
_AbstractFacts = tuple[bool, bool, dict[str, list[int]] | None]


def _abstract_facts(raw: bytes, value: msgspec.Raw, issues: list[str]) -> _AbstractFacts:
    """From an undecoded ``abstract_inverted_index``: (has a non-empty abstract, is in the snapshot's
    string form, the index parsed from that string). Raises RecordError when the value has a wrong type."""
    head = bytes(memoryview(value)[:1])
    if head == b"n":
        return False, False, None
    if head == b'"':
        inv = _abstract_index(_STR_DECODER.decode(value), issues)
        return _has_text(inv), True, inv
    if head == b"{":
        probed = _probe_abstract(bytes(value))
        if probed is not None:
            return probed, False, None
    # the exact answer, and for a value of a wrong type the same RecordError as the full mapping
    decoded: _AbstractOnly = decode_record(raw, _ABSTRACT_ONLY_DECODER)
    inv = _abstract_index(decoded.abstract_inverted_index, issues)
    return _has_text(inv), False, None


# --- the mapper ----------------------------------------------------------------------------------------


def _str(value: str | int | None) -> str | None:
    return None if value is None else str(value)


def _person(a: _Authorship | _IndexAuthorship, issues: list[str]) -> tuple[str | None, list[Id]]:
    """An author's name (the display name, else the name as printed) and ids (ORCID, then OpenAlex)."""
    person = a.author
    author_ids: list[Id] = []
    name = a.raw_author_name
    if person is not None:
        _add_id(author_ids, ids.ORCID, person.orcid, issues)
        key = _openalex_key(person.id, "A")
        if key is not None:
            author_ids.append(Id(ids.OPENALEX, key))
        if person.display_name:
            name = person.display_name
    return name, author_ids


def _authors(authorships: list[_Authorship | None], issues: list[str]) -> list[Author]:
    out: list[Author] = []
    for a in authorships:
        if a is None:
            continue
        name, author_ids = _person(a, issues)
        out.append(Author(name=name, ids=author_ids, affiliations=_affiliations(a, issues),
                          position=a.author_position, is_corresponding=a.is_corresponding))
    return out


def _index_authors(authorships: list[_IndexAuthorship | None], issues: list[str]) -> list[Author]:
    """Authors with names, ids and their institutions (name, ids, country) only: what the store files."""
    out: list[Author] = []
    for a in authorships:
        if a is None:
            continue
        name, author_ids = _person(a, issues)
        affiliations = [Affiliation(name=inst.display_name, ids=_institution_ids(inst, issues),
                                    country_code=inst.country_code)
                        for inst in a.institutions or () if inst is not None]
        out.append(Author(name=name, ids=author_ids, affiliations=affiliations))
    return out


def _institution_ids(inst: _Institution, issues: list[str]) -> list[Id]:
    inst_ids: list[Id] = []
    _add_id(inst_ids, ids.ROR, inst.ror, issues)
    key = _openalex_key(inst.id, "I")
    if key is not None:
        inst_ids.append(Id(ids.OPENALEX, key))
    return inst_ids


def _affiliations(a: _Authorship, issues: list[str]) -> list[Affiliation]:
    """One Affiliation per institution (with the raw string that names it), then unmatched raw strings."""
    raw_for: dict[str, str] = {}
    for link in a.affiliations or ():
        if link is not None and link.raw_affiliation_string:
            for iid in link.institution_ids or ():
                if iid:
                    raw_for.setdefault(iid, link.raw_affiliation_string)
    raws = [s for s in (a.raw_affiliation_strings or ()) if s]
    if not raws and a.raw_affiliation_string:
        raws = [a.raw_affiliation_string]
    institutions = [i for i in (a.institutions or ()) if i is not None]
    if not a.affiliations and len(institutions) == 1 and len(raws) == 1 and institutions[0].id:
        # without the affiliations links, one institution and one string can only belong together
        raw_for[institutions[0].id] = raws[0]
    out: list[Affiliation] = []
    used: set[str] = set()
    for inst in institutions:
        inst_ids = _institution_ids(inst, issues)
        raw = raw_for.get(inst.id) if inst.id else None
        if raw is None and not inst.id and len(institutions) == 1 and len(raws) == 1:
            raw = raws[0]  # an unidentified institution is named by its only string (2023 snapshot)
        if raw is not None:
            used.add(raw)
        out.append(Affiliation(name=inst.display_name, ids=inst_ids, country_code=inst.country_code, raw=raw))
    out.extend(Affiliation(raw=s) for s in raws if s not in used)
    return out


def _venue(w: _Work | _IndexWork, issues: list[str]) -> Venue | None:
    loc = w.primary_location
    src = loc.source if loc is not None else None
    if src is not None:
        kind = "S"
        sid, name, issn_l, issns = src.id, src.display_name, src.issn_l, src.issn
        publisher = src.host_organization_name or src.publisher
        vtype, is_oa, doaj = src.type, src.is_oa, src.is_in_doaj
    elif w.host_venue is not None and (w.host_venue.id or w.host_venue.display_name):
        hv = w.host_venue
        kind = "V" if hv.id and hv.id.startswith(OPENALEX_URL + "V") else "S"
        sid, name, issn_l, issns = hv.id, hv.display_name, hv.issn_l, hv.issn
        publisher, vtype, is_oa, doaj = hv.publisher, hv.type, hv.is_oa, hv.is_in_doaj
    else:
        return None
    venue_ids: list[Id] = []
    for issn in issns or ():
        _add_id(venue_ids, ids.ISSN, issn, issues)
    key = _openalex_key(sid, kind)
    if key is not None:
        venue_ids.append(Id(ids.OPENALEX, key))
    canon_issn_l = _canonical(ids.ISSN, issn_l) if issn_l else None
    if issn_l and canon_issn_l is None:
        issues.append(f"unusable issn_l {issn_l!r}")
    return Venue(name=name, ids=venue_ids, issn_l=canon_issn_l, type=vtype, publisher=publisher,
                 is_oa=is_oa, is_in_doaj=doaj)


def _locations(w: _Work) -> tuple[list[License], list[Link]]:
    """Licences and links from every location (best effort; OpenAlex locations repeat a lot)."""
    locs = w.locations if w.locations is not None else [w.primary_location, w.best_oa_location]
    licenses: list[License] = []
    seen_licenses: set[tuple[str, str | None]] = set()
    links: list[Link] = []
    seen_urls: set[str] = set()
    for loc in locs:
        if loc is None:
            continue
        if loc.license and (loc.license, loc.version) not in seen_licenses:
            seen_licenses.add((loc.license, loc.version))
            licenses.append(License(id=loc.license, version=loc.version))
        if loc.landing_page_url and loc.landing_page_url not in seen_urls:
            seen_urls.add(loc.landing_page_url)
            links.append(Link(url=loc.landing_page_url, is_oa=loc.is_oa, version=loc.version, kind="landing"))
        if loc.pdf_url and loc.pdf_url not in seen_urls:
            seen_urls.add(loc.pdf_url)
            links.append(Link(url=loc.pdf_url, content_type="application/pdf", is_oa=loc.is_oa,
                              version=loc.version, kind="pdf"))
    hv = w.host_venue
    if w.locations is None and hv is not None:
        if hv.license and (hv.license, hv.version) not in seen_licenses:
            licenses.append(License(id=hv.license, version=hv.version))
        if hv.url and hv.url not in seen_urls:
            links.append(Link(url=hv.url, is_oa=hv.is_oa, version=hv.version, kind="landing"))
    return licenses, links


def _topic(t: _Topic, kind: str) -> Concept | None:
    if not t.display_name:
        return None
    key = _openalex_key(t.id, "T" if kind == "topic" else "C")
    return Concept(name=t.display_name, id=Id(ids.OPENALEX, key) if key else None, score=t.score, kind=kind,
                   subfield=t.subfield.display_name if t.subfield else None,
                   field=t.field.display_name if t.field else None,
                   domain=t.domain.display_name if t.domain else None)


def _concepts(w: _Work) -> list[Concept]:
    """Primary topic first, then the other topics, concepts, keywords and MeSH descriptors."""
    out: list[Concept] = []
    primary = w.primary_topic
    if primary is not None:
        c = _topic(primary, "topic")
        if c is not None:
            out.append(c)
    for t in w.topics or ():
        if t is not None and not (primary is not None and t.id == primary.id):
            c = _topic(t, "topic")
            if c is not None:
                out.append(c)
    for t in w.concepts or ():
        if t is not None:
            c = _topic(t, "concept")
            if c is not None:
                out.append(c)
    for k in w.keywords or ():
        if k is not None and (k.display_name or k.keyword):
            out.append(Concept(name=k.display_name or k.keyword or "", score=k.score, kind="keyword"))
    seen_mesh: set[str] = set()
    for m in w.mesh or ():
        # one concept per descriptor: the qualifier rows repeat it
        if m is not None and m.descriptor_name and m.descriptor_name not in seen_mesh:
            seen_mesh.add(m.descriptor_name)
            out.append(Concept(name=m.descriptor_name, kind="mesh"))
    return out


def _index_concepts(w: _IndexWork) -> list[Concept]:
    """``_concepts`` with names, ids, kinds and a topic's field only, and no MeSH (the store files none of the
    rest)."""
    out: list[Concept] = []
    primary = w.primary_topic
    if primary is not None and primary.display_name:
        key = _openalex_key(primary.id, "T")
        out.append(Concept(name=primary.display_name, id=Id(ids.OPENALEX, key) if key else None,
                           subfield=primary.subfield.display_name if primary.subfield else None,
                           field=primary.field.display_name if primary.field else None))
    for t in w.topics or ():
        if t is not None and t.display_name and not (primary is not None and t.id == primary.id):
            key = _openalex_key(t.id, "T")
            out.append(Concept(name=t.display_name, id=Id(ids.OPENALEX, key) if key else None,
                               subfield=t.subfield.display_name if t.subfield else None,
                               field=t.field.display_name if t.field else None))
    for t in w.concepts or ():
        if t is not None and t.display_name:
            key = _openalex_key(t.id, "C")
            out.append(Concept(name=t.display_name, id=Id(ids.OPENALEX, key) if key else None,
                               kind="concept"))
    for k in w.keywords or ():
        if k is not None and (k.display_name or k.keyword):
            out.append(Concept(name=k.display_name or k.keyword or "", kind="keyword"))
    return out


def _funders(w: _Work | _IndexWork, issues: list[str]) -> list[Funding]:
    """Funders with their award numbers, from ``funders`` and the older ``grants`` / newer ``awards``."""
    by_key: dict[str, Funding] = {}

    def funding(fid: str | None, name: str | None) -> Funding | None:
        fkey = _openalex_key(fid, "F")
        key = fkey or name  # a funder without an OpenAlex id is known by its name
        if not key:
            return None
        f = by_key.get(key)
        if f is None:
            f = by_key[key] = Funding(name=name, ids=[Id(ids.OPENALEX, fkey)] if fkey else [])
        elif f.name is None:
            f.name = name
        return f

    for fu in w.funders or ():
        if fu is not None:
            f = funding(fu.id, fu.display_name)
            if f is not None:
                _add_id(f.ids, ids.ROR, fu.ror, issues)
    for g in w.grants or ():
        if g is not None:
            f = funding(g.funder, g.funder_display_name)
            if f is not None and g.award_id and g.award_id not in f.awards:
                f.awards.append(g.award_id)
    for a in w.awards or ():
        if a is not None:
            f = funding(a.funder_id, a.funder_display_name)
            if f is not None and a.funder_award_id and a.funder_award_id not in f.awards:
                f.awards.append(a.funder_award_id)
    return list(by_key.values())


def _work_keys(values: list[str | None] | None, issues: list[str], what: str) -> list[str]:
    """The canonical W keys of an id list, in order: nulls skipped, unusable entries noted in ``issues``."""
    if not values:
        return []
    if None not in values:
        # fast path: every entry is https://openalex.org/W<digits>, checked in one regex pass
        joined = "\n".join(values) + "\n"  # type: ignore[arg-type]  # no None, checked above
        if joined.count("\n") == len(values) and _WORK_URL_LINES_RE.fullmatch(joined):
            return [v[_OPENALEX_URL_LEN:] for v in values]  # type: ignore[index]
    keys: list[str] = []
    for value in values:
        if value is None:
            continue
        key = _openalex_key(value, "W")
        if key is None:
            issues.append(f"unusable {what} entry {value[:100]!r}")
        else:
            keys.append(key)
    return keys


def _references(w: _WorkCore, own: str, issues: list[str]) -> tuple[list[Reference], int, int]:
    """References from ``referenced_works``: nulls skipped; repeats and self-references counted, dropped."""
    keys = _work_keys(w.referenced_works, issues, "referenced_works")
    selfs = keys.count(own)
    unique = dict.fromkeys(keys)
    unique.pop(own, None)
    duplicates = len(keys) - selfs - len(unique)
    scheme = ids.OPENALEX
    return [Reference([Id(scheme, k)]) for k in unique], duplicates, selfs


def _related(w: _Work | _IndexWork, own: str, issues: list[str]) -> list[Id]:
    unique = dict.fromkeys(_work_keys(w.related_works, issues, "related_works"))
    unique.pop(own, None)  # a work is not related to itself (three real records say it is)
    scheme = ids.OPENALEX
    return [Id(scheme, k) for k in unique]


def _work_key(value: str | None) -> str:
    if value is None:
        raise RecordError("record has no id")
    key = _openalex_key(value, "W")
    if key is None:
        raise RecordError(f"id {value[:100]!r} is not an OpenAlex work id (https://openalex.org/W…)")
    return key


def _normalised_raw(raw: bytes, inverted: dict[str, list[int]] | None, fix_abstract: bool) -> bytes:
    """The record with its snapshot quirks removed; values other than the abstract keep their bytes."""
    top = _TOP_LEVEL_DECODER.decode(raw)
    for key in SNAPSHOT_ONLY_KEYS:
        top.pop(key, None)
    if fix_abstract:
        top["abstract_inverted_index"] = msgspec.Raw(_ENCODER.encode(inverted))
    return _ENCODER.encode(top)


def _work_ids(w: _WorkCore, own: str, issues: list[str]) -> list[Id]:
    """The work's ids: its W id first, then DOI (``doi``, and ``ids.doi`` when it differs), MAG, PMID,
    PMCID."""
    out = [Id(ids.OPENALEX, own)]
    x = w.ids
    doi = w.doi or (x.doi if x is not None else None)
    _add_id(out, ids.DOI, doi, issues, cache=False)
    if x is not None:
        # real records carry two DOIs (a published DOI, and a repository DOI in ids): both name the work;
        # the same string again would only be found already there (unless it was unusable: noted again)
        if x.doi != doi or len(out) == 1:
            _add_id(out, ids.DOI, x.doi, issues, cache=False)
        _add_id(out, ids.MAG, x.mag, issues, cache=False)
        _add_id(out, ids.PMID, x.pmid, issues, cache=False)
        _add_id(out, ids.PMCID, x.pmcid, issues, cache=False)
    return out


def _abstract_index(inv: dict[str, list[int]] | str | None, issues: list[str]) -> dict[str, list[int]] | None:
    """The inverted index in the API's object form (a snapshot string is parsed; a bad one noted, None)."""
    if isinstance(inv, str):
        try:
            return _parse_abstract_string(inv)
        except ValueError as exc:
            issues.append(str(exc))
            return None
    return inv


def _stored_raw(raw: bytes, w: _WorkCore, string_abstract: bool, inv: dict[str, list[int]] | None) -> bytes:
    """``raw`` itself, or re-encoded without the snapshot quirks when it has any."""
    if string_abstract or w.at_timestamp is not msgspec.UNSET or w.at_version is not msgspec.UNSET:
        return _normalised_raw(raw, inv or None, string_abstract)
    return raw


def _map_core(raw: bytes) -> Mapped:
    c: _CoreRecord = decode_record(raw, _CORE_DECODER)
    own = _work_key(c.id)
    issues: list[str] = []
    references, duplicates, selfs = _references(c, own, issues)
    work = Work(ids=_work_ids(c, own, issues), source=SOURCE,
                title=c.title if c.title is not None else c.display_name, type=c.type,
                publication_date=c.publication_date, publication_year=c.publication_year,
                references=references, version=c.updated_date)
    has_abstract, string_abstract, inv = _abstract_facts(raw, c.abstract_inverted_index, issues)
    return Mapped(work=work, raw=_stored_raw(raw, c, string_abstract, inv), version=c.updated_date,
                  duplicate_refs=duplicates, self_refs=selfs, issues=issues, has_abstract=has_abstract)


def _map_index(raw: bytes) -> Mapped:
    w: _IndexWork = decode_record(raw, _INDEX_DECODER)
    own = _work_key(w.id)
    issues: list[str] = []
    work_ids = _work_ids(w, own, issues)  # (issues are noted in the full mapping's order)
    has_abstract, string_abstract, inv = _abstract_facts(raw, w.abstract_inverted_index, issues)
    references, duplicates, selfs = _references(w, own, issues)
    oa = w.open_access
    venue = _venue(w, issues)
    work = Work(
        ids=work_ids, source=SOURCE, title=w.title if w.title is not None else w.display_name, type=w.type,
        type_source=w.type_crossref, language=w.language, publication_date=w.publication_date,
        publication_year=w.publication_year, dates=Dates(created=w.created_date),
        authors=_index_authors(w.authorships, issues) if w.authorships else [],
        venue=venue, publisher=venue.publisher if venue is not None else None,
        is_oa=oa.is_oa if oa is not None else None, oa_status=oa.oa_status if oa is not None else None,
        is_retracted=w.is_retracted, is_paratext=w.is_paratext, concepts=_index_concepts(w),
        funders=_funders(w, issues), references=references, related=_related(w, own, issues),
        version=w.updated_date)
    return Mapped(work=work, raw=_stored_raw(raw, w, string_abstract, inv), version=w.updated_date,
                  duplicate_refs=duplicates, self_refs=selfs, issues=issues, has_abstract=has_abstract)


#: How much of a record ``map_record`` maps.
Mode = Literal["full", "core", "index"]
MODES: tuple[Mode, ...] = ("full", "core", "index")
#: The lean mapping a reader may ask for, and the ``Work`` fields it fills as the full one does (the graph maps
#: this way when a caller needs no other field)
LEAN_MODE: Mode = "index"
#: (authors without raw affiliation strings, position or corresponding flag; concepts without scores or the
#: hierarchy beyond a topic's field)
LEAN_FIELDS = frozenset({
    "ids", "source", "title", "type", "type_source", "language", "publication_date", "publication_year", "authors",
    "venue", "publisher", "is_oa", "oa_status", "is_retracted", "is_paratext", "concepts", "funders", "references",
    "related", "version",
})


def map_record(raw: bytes, *, mode: Mode = "full", core_only: bool = False) -> Mapped:
    """Parse and map one OpenAlex work record; raises RecordError when it cannot be used.

    The returned ``raw`` is ``raw`` itself unless the record has snapshot quirks (a string
    ``abstract_inverted_index``, ``@timestamp``/``@version`` keys), which are normalised to the API shape;
    ``raw``, ``version``, ``duplicate_refs``, ``self_refs`` and ``has_abstract`` are the same in every mode.

    - ``mode="full"``: the whole ``Work``.
    - ``mode="index"``: what the store indexes, equal to the full mapping's: ids, title, type, type_source,
      language, publication year and date, created date, version, references, related; authors with names, ids and
      institution affiliations (name, ids, country code; no raw strings, position or corresponding flag);
      venue and publisher; is_oa and oa_status; is_retracted, is_paratext; topics, concepts and keywords
      with names, ids, kinds and a topic's field (no scores, the rest of the hierarchy or MeSH); funders with
      names and ids (and awards).
      The abstract is not rebuilt: ``work.abstract`` is None and ``Mapped.has_abstract`` says whether
      the full mapping has one. ``issues`` are those the full mapping notes. Fields it does not read are
      not type-checked, so a record the full mapping rejects for such a field is accepted.
    - ``mode="core"``: only what loading needs (ids, title, publication year and date, type, version,
      references), the rest of the ``Work`` left empty.

    ``core_only=True`` is the older spelling of ``mode="core"``.
    """
    if core_only or mode == "core":
        return _map_core(raw)
    if mode == "index":
        return _map_index(raw)
    if mode != "full":
        raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
    w: _Work = decode_record(raw, _WORK_DECODER)
    own = _work_key(w.id)
    issues: list[str] = []
    work_ids = _work_ids(w, own, issues)
    string_abstract = isinstance(w.abstract_inverted_index, str)
    inv = _abstract_index(w.abstract_inverted_index, issues)
    references, duplicates, selfs = _references(w, own, issues)
    licenses, links = _locations(w)
    oa = w.open_access
    b = w.biblio
    upstream = UpstreamCounts(
        cited_by_count=w.cited_by_count, referenced_works_count=w.referenced_works_count,
        counts_by_year={c.year: c.cited_by_count for c in (w.counts_by_year or ())
                        if c is not None and c.year is not None and c.cited_by_count is not None},
        fwci=w.fwci)
    venue = _venue(w, issues)
    work = Work(
        ids=work_ids, source=SOURCE, title=w.title if w.title is not None else w.display_name,
        abstract=_text_from_index(inv) if inv else None, type=w.type, type_source=w.type_crossref,
        language=w.language, publication_date=w.publication_date, publication_year=w.publication_year,
        dates=Dates(published=w.publication_date, created=w.created_date, updated=w.updated_date),
        authors=_authors(w.authorships, issues) if w.authorships else [],
        is_authors_truncated=bool(w.is_authors_truncated),
        venue=venue, publisher=venue.publisher if venue is not None else None,
        biblio=Biblio(volume=_str(b.volume), issue=_str(b.issue), first_page=_str(b.first_page),
                      last_page=_str(b.last_page)) if b is not None else Biblio(),
        is_oa=oa.is_oa if oa is not None else None, oa_status=oa.oa_status if oa is not None else None,
        oa_url=oa.oa_url if oa is not None else None, licenses=licenses, links=links,
        is_retracted=w.is_retracted, is_paratext=w.is_paratext, concepts=_concepts(w),
        funders=_funders(w, issues), references=references, related=_related(w, own, issues),
        upstream=upstream, version=w.updated_date)
    return Mapped(work=work, raw=_stored_raw(raw, w, string_abstract, inv), version=w.updated_date,
                  duplicate_refs=duplicates, self_refs=selfs, issues=issues, has_abstract=bool(work.abstract))


# --- cleaning for strict clients ---------------------------------------------------------------------------

#: Top-level id lists in which OpenAlex sometimes writes null; strict clients (pyopenalex) reject it.
CLEAN_TOP_LISTS = ("referenced_works", "related_works", "corresponding_author_ids",
                   "corresponding_institution_ids", "indexed_in")
#: Id lists inside an authorship.
CLEAN_AUTHORSHIP_LISTS = ("countries", "raw_affiliation_strings")
#: Location keys holding a location object.
LOCATION_KEYS = ("primary_location", "best_oa_location")


def _without_none(values: Any) -> Any:
    if isinstance(values, list) and None in values:
        return [v for v in values if v is not None]
    return values


def _clean_source(source: Any) -> Any:
    if not isinstance(source, dict):
        return source
    out = dict(source)
    for key, value in source.items():
        # host_organization_lineage, lineage, publisher_lineage, …, and issn
        if key.endswith("lineage") or key == "issn":
            out[key] = _without_none(value)
    return out


def _clean_location(loc: Any) -> Any:
    if not isinstance(loc, dict) or "source" not in loc:
        return loc
    out = dict(loc)
    out["source"] = _clean_source(loc["source"])
    return out


def _clean_authorship(a: Any) -> Any:
    if not isinstance(a, dict):
        return a
    out = dict(a)
    for key in CLEAN_AUTHORSHIP_LISTS:
        if key in a:
            out[key] = _without_none(a[key])
    insts = a.get("institutions")
    if isinstance(insts, list):
        out["institutions"] = [
            {**i, "lineage": _without_none(i["lineage"])} if "lineage" in i else i
            for i in insts if isinstance(i, dict) and i.get("id") is not None]
    affs = a.get("affiliations")
    if isinstance(affs, list):
        out["affiliations"] = [
            {**f, "institution_ids": _without_none(f["institution_ids"])}
            if isinstance(f, dict) and "institution_ids" in f else f
            for f in affs]
    return out


def clean_for_clients(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of an OpenAlex work dict that strict clients accept; ``obj`` itself is left unchanged.

    Drops null entries from id lists (``referenced_works``, ``related_works``, ``corresponding_*_ids``,
    ``indexed_in``, every ``*lineage`` in location sources, ``affiliations[].institution_ids``),
    drops ``authorships[].institutions[]`` entries without an id, turns a string
    ``abstract_inverted_index`` into the API's object (null if it cannot be parsed), and drops the
    snapshot's ``@timestamp``/``@version`` keys. Everything else is passed through as is.
    """
    out = {k: v for k, v in obj.items() if k not in SNAPSHOT_ONLY_KEYS}
    inv = out.get("abstract_inverted_index")
    if isinstance(inv, str):
        try:
            out["abstract_inverted_index"] = _parse_abstract_string(inv)
        except ValueError:
            out["abstract_inverted_index"] = None
    for key in CLEAN_TOP_LISTS:
        if key in out:
            out[key] = _without_none(out[key])
    for key in LOCATION_KEYS:
        if key in out:
            out[key] = _clean_location(out[key])
    if isinstance(out.get("locations"), list):
        out["locations"] = [_clean_location(loc) for loc in out["locations"]]
    if isinstance(out.get("authorships"), list):
        out["authorships"] = [_clean_authorship(a) for a in out["authorships"]]
    return out



# Strict shapes of the values ``clean_for_clients`` may change: a value that decodes into them has no
# null where the cleaning removes one, so it is served as stored. Typed decoding skips every other
# field, which makes this check several times cheaper than scanning the bytes.
class _ProbeSource(msgspec.Struct):
    host_organization_lineage: list[str] | None = None
    host_organization_lineage_names: list[str] | None = None
    publisher_lineage: list[str] | None = None
    lineage: list[str] | None = None
    issn: list[str] | None = None


class _ProbeLocation(msgspec.Struct):
    source: _ProbeSource | None = None


class _ProbeInstitution(msgspec.Struct):
    id: str
    lineage: list[str] | None = None


class _ProbeAffiliation(msgspec.Struct):
    institution_ids: list[str] | None = None


class _ProbeAuthorship(msgspec.Struct):
    countries: list[str] | None = None
    raw_affiliation_strings: list[str] | None = None
    institutions: list[_ProbeInstitution] | None = None
    affiliations: list[_ProbeAffiliation | None] | None = None


_ID_LIST_PROBE = msgspec.json.Decoder(list[str] | None)
_LOCATION_PROBE = msgspec.json.Decoder(_ProbeLocation | None)
#: A strict decoder per cleanable key; ValidationError means the value needs cleaning.
_PROBES: dict[str, msgspec.json.Decoder[Any]] = {
    **{key: _ID_LIST_PROBE for key in CLEAN_TOP_LISTS},
    **{key: _LOCATION_PROBE for key in LOCATION_KEYS},
    "locations": msgspec.json.Decoder(list[_ProbeLocation | None] | None),
    "authorships": msgspec.json.Decoder(list[_ProbeAuthorship | None] | None),
}
#: Per-element probes of the lists ``clean_for_clients`` cleans element by element.
_ELEMENT_PROBES: dict[str, msgspec.json.Decoder[Any]] = {
    "locations": _LOCATION_PROBE,
    "authorships": msgspec.json.Decoder(_ProbeAuthorship | None),
}
_RAW_LIST_DECODER = msgspec.json.Decoder(list[msgspec.Raw] | None)
_ANY_DECODER = msgspec.json.Decoder()
#: Top-level keys whose values ``clean_for_clients`` may change (besides the snapshot-only keys).
CLEANED_KEYS = frozenset((*_PROBES, "abstract_inverted_index"))


def _passes(probe: msgspec.json.Decoder[Any], value: msgspec.Raw) -> bool:
    try:
        probe.decode(value)
    except msgspec.ValidationError:
        return False
    return True


def value_needs_cleaning(key: str, value: msgspec.Raw) -> bool:
    """Whether ``clean_for_clients`` would change this top-level value (a null in an id list, a string abstract)."""
    if key == "abstract_inverted_index":
        return memoryview(value)[:1] == b'"'
    probe = _PROBES.get(key)
    return probe is not None and not _passes(probe, value)


def served_value(key: str, value: msgspec.Raw) -> Any:
    """A top-level record value as strict clients get it: cleaned when ``clean_for_clients`` would change
    it, else the stored bytes themselves.

    Lists of objects (authorships, locations) are cleaned element by element, so a work with one
    bad affiliation among a hundred authors decodes and re-encodes one authorship, not all.
    """
    if key not in CLEANED_KEYS or not value_needs_cleaning(key, value):
        return value
    element_probe = _ELEMENT_PROBES.get(key)
    if element_probe is not None:
        items = _RAW_LIST_DECODER.decode(value)
        if items is not None:
            return [item if _passes(element_probe, item) else
                    clean_for_clients({key: [_ANY_DECODER.decode(item)]})[key][0] for item in items]
    return clean_for_clients({key: _ANY_DECODER.decode(value)})[key]


_ID_DECODER = msgspec.json.Decoder(str | None)
#: A list of work URLs exactly as the graph prints them (canonical W ids: no leading zeros).
_CANONICAL_WORK_URL_LINES_RE = re.compile(r"(?:https://openalex\.org/W[1-9][0-9]*\n)*")
_REFERENCES_DECODER = msgspec.json.Decoder(list[str | None] | None)


def is_reference_list_exact(raw: bytes) -> bool:
    """Whether the record's ``referenced_works`` is exactly the references it gives: each a distinct
    ``https://openalex.org/W…`` URL of another work (so each makes one edge), no nulls, no repeats."""
    top = _top_level(raw)
    return top is not None and _references_exact(top)


def _references_exact(top: dict[str, msgspec.Raw]) -> bool:
    try:
        own = _ID_DECODER.decode(top["id"]) if "id" in top else None
        listed = _REFERENCES_DECODER.decode(top["referenced_works"]) if "referenced_works" in top else None
    except msgspec.DecodeError:
        return False
    if not listed:
        return True
    if None in listed or own in listed or len(set(listed)) != len(listed):
        return False
    # each entry exactly as the graph prints it: the URL of a canonical W id (no leading zeros); an
    # entry holding a newline would add a line, which the count rules out
    joined = "\n".join(x for x in listed if x is not None) + "\n"  # none is None: checked above
    return joined.count("\n") == len(listed) and _CANONICAL_WORK_URL_LINES_RE.fullmatch(joined) is not None


def _top_level(raw: bytes) -> dict[str, msgspec.Raw] | None:
    """The record's top level with undecoded values, or None when it is not a JSON object."""
    try:
        return _TOP_LEVEL_DECODER.decode(raw)
    except msgspec.DecodeError:
        return None


def serving_hints(raw: bytes) -> ServingHints:
    """All three load-time serving hints of a stored record, from one decode of its top level."""
    top = _top_level(raw)
    if top is None:
        return ServingHints()
    return ServingHints(client_clean=_client_clean(top), refs_exact=_references_exact(top),
                        spans=_graph_field_spans(raw, top))


# --- splicing the graph's own fields into a stored record -------------------------------------------------
#: The fields OpenAlex derives from its citation graph, in its schema order: a server of another graph
#: replaces their values (``referenced_works`` is served from the record when it is exact, see above).
GRAPH_FIELDS = ("cited_by_count", "referenced_works_count", "cited_by_api_url", "counts_by_year")
#: Top-level keys a record may hold that are never served (a score stored API search results carry).
UNSERVED_KEYS = ("relevance_score",)
#: Spans are 16-bit offsets in records under 64 KB (nearly all: 20 bytes a record), else 32-bit.
_SPANS_SHORT = struct.Struct("<" + "HH" * (len(GRAPH_FIELDS) + len(UNSERVED_KEYS)))
_SPANS_LONG = struct.Struct("<" + "II" * (len(GRAPH_FIELDS) + len(UNSERVED_KEYS)))
_MAX_SPLICED_BYTES = 1 << 32


def graph_field_spans(raw: bytes) -> bytes | None:
    """Where each of ``GRAPH_FIELDS`` and ``UNSERVED_KEYS`` sits in a record, so serving can replace
    (or drop) them by slicing bytes instead of decoding: packed ``(start, end)`` pairs in that order,
    ``(0, 0)`` for a key the record lacks; a graph field's span is its key and value, an unserved
    key's also takes one separating comma. None when a record cannot be served that way (not a JSON
    object, snapshot keys, too large, or no ``cited_by_count``).
    """
    top = _top_level(raw)
    return _graph_field_spans(raw, top) if top is not None else None


def _graph_field_spans(raw: bytes, top: dict[str, msgspec.Raw]) -> bytes | None:
    if len(raw) >= _MAX_SPLICED_BYTES:
        return None
    if any(key in top for key in SNAPSHOT_ONLY_KEYS) or "cited_by_count" not in top:
        return None
    order = _compact_spans(raw, top)
    if order is None:
        order = _spaced_spans(raw, top)
        if order is None:
            return None
    found = dict(zip(top, order, strict=True))
    for key in UNSERVED_KEYS:
        if key in found:
            i = order.index(found[key])
            if i + 1 < len(order):  # up to the next key: the key, its value and the comma after
                found[key] = (found[key][0], order[i + 1][0])
            elif i > 0:  # the last key: from the end of the value before, taking the comma before
                found[key] = (order[i - 1][1], found[key][1])
            else:  # the only key: nothing would be left to serve
                return None
    spans: list[int] = []
    for key in (*GRAPH_FIELDS, *UNSERVED_KEYS):
        spans += found.get(key, (0, 0))
    return (_SPANS_SHORT if len(raw) < 1 << 16 else _SPANS_LONG).pack(*spans)


def _encoded_key(key: str) -> bytes:
    name = _KEY_JSON.get(key)
    if name is None:
        name = msgspec.json.encode(key)
        if len(_KEY_JSON) < 4096:  # record keys are a fixed schema; bound the cache anyway
            _KEY_JSON[key] = name
    return name


_KEY_JSON: dict[str, bytes] = {}
_SPLICED_KEYS = frozenset((*GRAPH_FIELDS, *UNSERVED_KEYS))


def _compact_spans(raw: bytes, top: dict[str, msgspec.Raw]) -> list[tuple[int, int]] | None:
    """Each top-level (key start, value end) by arithmetic, for compact JSON (``{"k":v,"k":v}``, nearly
    every record); None when the lengths do not add up to the record, i.e. it is not written that way."""
    key_json = _KEY_JSON
    # each item is its name, a colon, its value and a comma (the last comma is the closing brace)
    sizes = [len(key_json.get(k) or _encoded_key(k)) + len(v) + 2 for k, v in top.items()]
    if not sizes or sum(sizes) + 1 != len(raw.rstrip()):
        return None
    starts = list(itertools.accumulate(sizes, initial=1))
    # whitespace or a longer escape anywhere would make the record longer than the sum, so the sums agree
    # only for compact JSON; the keys that matter are confirmed where they should be all the same
    keys = list(top)
    for key in _SPLICED_KEYS:
        if key in top:
            start, name = starts[keys.index(key)], key_json[key]
            if not raw.startswith(name, start) or raw[start + len(name)] != 58:  # 58: the colon
                return None
    return [(starts[i], starts[i + 1] - 1) for i in range(len(sizes))]


def _spaced_spans(raw: bytes, top: dict[str, msgspec.Raw]) -> list[tuple[int, int]] | None:
    """Each top-level (key start, value end) found by searching, for JSON with whitespace; None if a key or
    value is not where the decoded record says."""
    order: list[tuple[int, int]] = []
    pos = 1
    for key, value in top.items():  # in the record's order, so each search starts after the last value
        name = _encoded_key(key)
        value_bytes = bytes(value)
        start = raw.find(name, pos)
        at = raw.find(value_bytes, start + len(name)) if start >= 0 else -1
        # between the key and its value there may be only the colon and whitespace
        if start < 0 or at < 0 or raw[start + len(name):at].strip() != b":":
            return None
        pos = at + len(value_bytes)
        order.append((start, pos))
    return order


def splice_graph_fields(raw: bytes, spans: bytes, values: Sequence[bytes]) -> bytes:
    """``raw`` with each of ``GRAPH_FIELDS`` set to the JSON in ``values`` (same order) and the
    ``UNSERVED_KEYS`` left out: a field the record has is replaced where it stands; one it lacks is put
    before the next one (in schema order) that it has, or last. ``spans`` is what ``graph_field_spans``
    gave for these very bytes."""
    pairs = (_SPANS_SHORT if len(spans) == _SPANS_SHORT.size else _SPANS_LONG).unpack(spans)
    edits: list[tuple[int, int, bytes]] = []  # (start, end, bytes), sorted below; an insertion has end == start
    waiting = b""  # fields the record lacks, placed before the next field it has
    for i, head in enumerate(_FIELD_HEADS):
        start, end = pairs[2 * i], pairs[2 * i + 1]
        if end:
            edits.append((start, end, waiting + head + values[i]))
            waiting = b""
        else:
            waiting += head + values[i] + b","
    if waiting:
        close = raw.rstrip().rfind(b"}")
        edits.append((close, close, b"," + waiting[:-1]))
    for i in range(len(_FIELD_HEADS), len(pairs) // 2):
        if pairs[2 * i + 1]:
            edits.append((pairs[2 * i], pairs[2 * i + 1], b""))
    edits.sort()
    pieces: list[bytes] = []
    pos = 0
    for start, end, data in edits:
        pieces += (raw[pos:start], data)
        pos = end
    pieces.append(raw[pos:])
    return b"".join(pieces)


#: Each graph field's key as it is written before its value.
_FIELD_HEADS = tuple(b'"' + key.encode() + b'":' for key in GRAPH_FIELDS)


def graph_field_values(raw: bytes, spans: bytes) -> list[bytes | None]:
    """The JSON value the record itself gives each of ``GRAPH_FIELDS`` (None where it has none, or ``null``): what
    OpenAlex asserted, read by slicing as ``splice_graph_fields`` writes. ``spans`` is ``graph_field_spans(raw)``."""
    pairs = (_SPANS_SHORT if len(spans) == _SPANS_SHORT.size else _SPANS_LONG).unpack(spans)
    out: list[bytes | None] = []
    for i, key in enumerate(GRAPH_FIELDS):
        start, end = pairs[2 * i], pairs[2 * i + 1]
        if not end:
            out.append(None)
            continue
        # the span is the key, a colon (whitespace around it in spaced JSON) and the value
        value = raw[raw.index(b":", start + len(_encoded_key(key)), end) + 1:end].strip()
        out.append(value if value != b"null" else None)
    return out


def is_client_clean(raw: bytes) -> bool:
    """Whether a stored record is exactly what ``clean_for_clients`` makes of it (computed once, at load,
    so serving can skip the checks). False for anything that is not a JSON object."""
    top = _top_level(raw)
    return top is not None and _client_clean(top)


def _client_clean(top: dict[str, msgspec.Raw]) -> bool:
    if any(key in top for key in SNAPSHOT_ONLY_KEYS):
        return False
    return not any(value_needs_cleaning(key, top[key]) for key in CLEANED_KEYS if key in top)

# --- readers -----------------------------------------------------------------------------------------------


def sniff(head: bytes) -> bool:
    """Whether the first bytes of a decompressed file look like OpenAlex works.

    True for a JSON object or JSON Lines whose first bytes hold ``"id": "https://openalex.org/W…"`` (a
    work; other OpenAlex entities have A/S/I/… ids there), and for an empty OpenAlex list page.
    """
    text = head.lstrip(LEADING)
    if not text.startswith((b"{", b"[")):
        return False
    if _WORK_ID_RE.search(text):
        return True
    return _EMPTY_PAGE_RE.search(text) is not None


def _document_records(doc: bytes, start: int) -> Iterator[tuple[int, bytes]] | None:
    """The works in one JSON document (a list page's results, an array's elements, or the object itself).

    None when ``doc`` is not one JSON document.
    """
    try:
        if doc.lstrip(LEADING).startswith(b"["):
            items = _ARRAY_DECODER.decode(doc)
        else:
            probe = _PROBE_DECODER.decode(doc)
            if probe.results is None or probe.meta is msgspec.UNSET:
                return iter([(0, doc.strip(LEADING))] if start == 0 else [])
            items = probe.results
    except msgspec.ValidationError:
        # valid JSON of another shape ("results" not a list, …): one record, for the mapper to judge
        return iter([(0, doc.strip(LEADING))] if start == 0 else [])
    except msgspec.DecodeError:
        return None
    return ((i, bytes(item)) for i, item in enumerate(items) if i >= start)


def _holds_many(line: bytes) -> bool:
    """Whether one line of JSON holds several works: a list page (only ``meta`` and ``results`` are
    decoded to tell) or a JSON array."""
    if line.lstrip(LEADING).startswith(b"["):
        return True
    try:
        probe = _PROBE_DECODER.decode(line)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return False
    return probe.results is not None and probe.meta is not msgspec.UNSET


def _line_records(lines: Iterator[bytes], start: int, pages: bool) -> Iterator[tuple[int, bytes]]:
    """Records of JSON Lines: position = line number (blank lines count but yield nothing).

    With ``pages``, each line is a list page (or array) and its results are the records, numbered
    across lines; a line that is neither is yielded whole, for the mapper to reject or accept.
    """
    position = 0
    for line in lines:
        if not pages:
            if position >= start:
                record = line.strip()
                if record:
                    yield position, record
            position += 1
            continue
        record = line.strip()
        if not record:
            continue
        expanded = _document_records(record, 0)
        if expanded is None:
            expanded = iter([(0, record)])
        for _i, item in expanded:
            if position >= start:
                yield position, item
            position += 1


def iter_raw(stream: BinaryIO, *, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """The works of one decompressed file as ``(position, raw JSON bytes)``, in order.

    JSON Lines (snapshot parts): one work per line, position = 0-based line number (blank lines are
    skipped but keep their number, so positions are stable for resuming). A list page (or a JSON
    array), also one page per line, yields its results numbered from 0 (across pages); a single work
    object, possibly pretty-printed, is record 0. A line that is not valid JSON is still yielded, for
    the mapper to reject with a reason. Records before ``start`` are skipped without being parsed
    (list pages are parsed, but only into raw slices).
    """
    opening = first_line(stream)
    if opening is None:
        return
    first, prefix = opening
    head = first.lstrip(LEADING)
    if not head.startswith((b"{", b"[")) or is_json_line(first):
        yield from _line_records(lines(prefix + first, stream), start, pages=_holds_many(first))
        return
    # The first line is not JSON by itself. If the next line is, this is JSON Lines with a bad first
    # line; otherwise it is one document over many lines (pretty-printed), read whole within a bound.
    second = stream.readline()
    if is_json_line(second.strip()) and second.lstrip(LEADING).startswith(b"{"):
        yield from _line_records(lines(prefix + first + second, stream), start, pages=False)
        return
    doc = read_bounded(first + second, stream)
    records = _document_records(doc, start) if len(doc) <= DOCUMENT_MAX_BYTES else None
    if records is not None:
        yield from records
        return
    # not one document after all: lines, each judged by the mapper
    yield from _line_records(lines(prefix + doc, stream), start, pages=False)


# --- snapshots ---------------------------------------------------------------------------------------------


def _manifest_relpath(url: str, folder_name: str) -> Path | None:
    """Where a manifest entry's file lies relative to the manifest's folder, or None if unsafe/empty."""
    path = url.split("://", 1)[-1]
    parts = [p for p in path.split("/") if p]
    if folder_name in parts[:-1]:
        # s3://openalex/data/works/updated_date=…/part_000.gz with the manifest in …/works/
        idx = len(parts) - 1 - parts[::-1].index(folder_name)
        rel = parts[idx + 1:]
    else:
        rel = parts[-2:]  # the folder was renamed: keep updated_date=…/part_…
    if not rel or any(p in (".", "..") or "\\" in p for p in rel):
        return None
    return Path(*rel)


def manifest_files(path: Path) -> list[Path] | None:
    """The part files an OpenAlex snapshot ``manifest`` lists, as local paths, or None if not a manifest.

    Entries like ``s3://openalex/data/works/updated_date=2023-05-17/part_000.gz`` resolve relative to
    the manifest's folder (``…/works/updated_date=2023-05-17/part_000.gz``), in the manifest's order.
    Listed files are returned whether or not they exist, so the caller can report missing parts.
    """
    try:
        if path.stat().st_size > MANIFEST_MAX_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    try:
        manifest = msgspec.json.decode(data, type=_Manifest)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    folder = path.parent
    out: list[Path] = []
    for entry in manifest.entries:
        rel = _manifest_relpath(entry.url, folder.name)
        if rel is not None:
            out.append(folder / rel)
    return out


__all__ = [
    "MODES",
    "SOURCE",
    "Mode",
    "abstract_from_inverted_index",
    "canonical_id",
    "clean_for_clients",
    "iter_raw",
    "manifest_files",
    "map_record",
    "sniff",
]
