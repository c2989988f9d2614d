"""Source readers and mappers: one module per upstream source (``citegraph.sources.<name>``).

Each module offers the same small interface, which the loader drives:

- ``SOURCE``: the source's name (one of :data:`citegraph.model.SOURCES`);
- ``sniff(head) -> bool``: do the first bytes of a decompressed file look like this source?
- ``iter_raw(stream, *, start=0)``: the file's records as ``(position, raw bytes)``, in order;
- ``map_record(raw) -> Mapped``: one record parsed and mapped, or :class:`RecordError`;
- optionally ``serving_hints(raw) -> ServingHints``: what serving may skip for this record, checked
  once at load (see :class:`ServingHints`);
- optionally ``merge_records(stored, new) -> bytes``: for a source whose records are partial views of one
  record (S2 answers only the fields asked), the record to keep when ``new`` arrives for a work that has
  ``stored``; without it a new record replaces the stored one.
"""

from __future__ import annotations

import datetime

import msgspec

from citegraph.model import AssertedCitation, Work


class RecordError(ValueError):
    """One record cannot be used; ``reason`` says why (it is counted and set aside, never fatal)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Mapped(msgspec.Struct):
    """One source record mapped to the canonical model, with the bytes to store for it.

    ``raw`` is the record as it is stored and later served: the source's own bytes, normalised
    only where the source is known to deviate from its own API shape. ``duplicate_refs`` and
    ``self_refs`` count reference entries that were dropped from ``work.references`` (repeats,
    and references to the work itself). ``issues`` notes parts of a usable record that were left
    out (an unparsable secondary id, a malformed abstract), so they can be reported.
    ``has_abstract`` says whether the record has a non-empty abstract even when a lean mapping left
    ``work.abstract`` out; None when the mapper does not say (then read ``bool(work.abstract)``).
    ``citations`` are citations the record states with what the source says of each (S2's embedded
    ``citations``/``references`` with their list positions); they are written like a citation file's rows.
    ``nested`` are other records the record embeds whole (S2's embedded citing and cited papers), each a raw
    record ``map_record`` reads; they are written with it, each merged into what is stored (``merge_records``).
    """

    work: Work
    raw: bytes
    version: str | None = None
    duplicate_refs: int = 0
    self_refs: int = 0
    issues: list[str] = []
    has_abstract: bool | None = None
    citations: list[AssertedCitation] = []
    nested: list[bytes] = []


class ServingHints(msgspec.Struct):
    """What a source found, at load, that lets the server skip work for a stored record.

    ``client_clean``: the record needs no cleaning for strict clients; ``refs_exact``: its own reference
    list holds each reference exactly once, in the form served, with no nulls, repeats or
    self-references; ``spans``: where the fields a server of our graph replaces sit in its bytes (the
    source's own packing), so they can be spliced instead of decoded. The defaults promise nothing.
    """

    client_clean: bool = False
    refs_exact: bool = False
    spans: bytes | None = None


#: How far past today a publication date may lie: issues are dated a year ahead of their release, so a year ahead is
#: normal; a date further on (upstream holds works dated 2099 and 20201) is a data error, left out.
FUTURE_YEARS_ALLOWED = 1


def implausible(work: Work, today: datetime.date | None = None) -> list[str]:
    """Clear what no real record can hold from a mapped work, in place, and say what was cleared: a publication date
    more than ``FUTURE_YEARS_ALLOWED`` years ahead, negative counts a source asserted. Every source's records pass
    here (at load, and whenever a stored record is mapped), so the graph never holds such a value."""
    issues: list[str] = []
    last_year = (today or datetime.date.today()).year + FUTURE_YEARS_ALLOWED
    year = work.publication_year
    if work.publication_date and work.publication_date[:4].isdigit():
        year = max(year or 0, int(work.publication_date[:4]))
    if year is not None and year > last_year:
        issues.append(f"publication date {work.publication_date or year} is in the future (after {last_year}):"
                      " left out")
        work.publication_date = None
        work.publication_year = None
    up = work.upstream
    for name in ("cited_by_count", "referenced_works_count", "influential_citation_count"):
        value = getattr(up, name)
        if value is not None and value < 0:
            issues.append(f"negative {name} {value} asserted: left out")
            setattr(up, name, None)
    negative = {y: n for y, n in up.counts_by_year.items() if n < 0}
    if negative:
        issues.append(f"negative counts by year {negative} asserted: left out")
        up.counts_by_year = {y: n for y, n in up.counts_by_year.items() if n >= 0}
    if up.fwci is not None and up.fwci < 0:
        issues.append(f"negative fwci {up.fwci} asserted: left out")
        up.fwci = None
    return issues


__all__ = ["FUTURE_YEARS_ALLOWED", "Mapped", "RecordError", "ServingHints", "implausible"]
