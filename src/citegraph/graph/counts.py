"""Which citation counts a server serves: our merged graph's, or each source's own.

A loaded subset knows fewer citers than the whole world does: OpenAlex may say a work is cited 10,059 times where
our graph holds 1,000 citing works. Both are kept (every source's record is stored whole, and
:meth:`~citegraph.graph.Graph.counts` gives ours beside each source's ``UpstreamCounts``); a server serves one of
them, chosen once for the whole server by :class:`CountsMode`.

What "the source's own count" is depends on the source, and each dialect reads it where it lives:

- OpenAlex, Crossref and Semantic Scholar assert counts in their records (``cited_by_count``,
  ``is-referenced-by-count``, ``citationCount`` …), so their dialects serve the record's own value;
- OpenCitations asserts no count anywhere: its counts are counts of its own citation data. Its "own" count of a
  work is therefore the number of our edges that OpenCitations asserted (:func:`edge_counts`).

Whichever the source, a work it said nothing about is served our count: a count of 0 from a source that never
saw the work would be no one's assertion.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from citegraph.graph.core import Graph


class CountsMode(enum.StrEnum):
    """The counts a server serves in every dialect (``citegraph serve --counts``)."""

    #: Our merged graph's counts: a count always equals what the same server lists, sorts and filters by.
    OURS = "ours"
    #: Each source's own asserted count, in its own dialect: the whole world's numbers, for users who need them.
    UPSTREAM = "upstream"


#: Ours by default, so that a count and the list it counts never disagree.
DEFAULT_COUNTS = CountsMode.OURS


def counts_mode(value: str | CountsMode) -> CountsMode:
    """The mode named by ``value``; ValueError naming the choices when it names none."""
    try:
        return CountsMode(value)
    except ValueError:
        raise ValueError(f"unknown counts mode {value!r}; one of: {', '.join(m.value for m in CountsMode)}") from None


def edge_counts(graph: Graph, key: int, mode: CountsMode, source: str) -> tuple[int, int]:
    """(cited_by_count, referenced_works_count) of a work counted over citations: in ``OURS`` mode every edge of
    our graph; in ``UPSTREAM`` mode only the edges ``source`` asserted, when ``source`` knows the work (it gave a
    record of it, or asserted a citation to or from it), else ours again. (0, 0) for an unknown key."""
    ours = graph.store.work_counts(key) or (0, 0)
    if mode is CountsMode.OURS:
        return ours
    cited, citing = graph.store.asserted_degrees(key, source)
    if cited or citing:
        return cited, citing
    row = graph.store.work_row(key)
    if row is not None and source in row.sources:  # a record, but no citation of its own: it says 0 and 0
        return 0, 0
    return ours


__all__ = ["DEFAULT_COUNTS", "CountsMode", "counts_mode", "edge_counts"]
