"""Author and journal self-citation of one citation, from what the two works say of their authors and venues.

The rule (OpenCitations' documented definition, on every id we hold rather than one kind):

- **author self-citation**: the two works share an author, i.e. one author key on both: an ORCID or an author id
  of a source (OpenAlex ``A…``, an S2 author id, an OpenCitations ``ra`` OMID);
- **journal self-citation**: the two works share a venue, i.e. one venue key on both: an ISSN or a venue id.

A work with no author keys (or no venue keys) shares nothing: absence is never a match, so two works that both
lack authors are not an author self-citation (upstream's API can say "yes" there; see spec §3.7).
"""

from __future__ import annotations

from collections.abc import Collection


def shares_any(citing: Collection[str], cited: Collection[str]) -> bool:
    """Do the two sets of keys meet? Empty on either side is no."""
    if not citing or not cited:
        return False
    small, large = (citing, cited) if len(citing) <= len(cited) else (cited, citing)
    large_set = large if isinstance(large, (set, frozenset)) else set(large)
    return any(key in large_set for key in small if key)


def author_self_citation(citing_authors: Collection[str], cited_authors: Collection[str]) -> bool:
    """True when the works share an author key (``orcid:…``, ``openalex:A…``, …)."""
    return shares_any(citing_authors, cited_authors)


def journal_self_citation(citing_venues: Collection[str], cited_venues: Collection[str]) -> bool:
    """True when the works share a venue key (``issn:…``, ``openalex:S…``, …)."""
    return shares_any(citing_venues, cited_venues)


__all__ = ["author_self_citation", "journal_self_citation", "shares_any"]
