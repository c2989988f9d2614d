"""Open Citation Identifiers (OCIs): ``<citing>-<cited>``, each side a supplier prefix and an identifier.

Two kinds matter here:

- **OMID OCIs** (the current OpenCitations Index, API v1 and v2): each side is the digits of the work's
  OpenCitations Meta id, which already starts with its ``06…0`` prefix: ``omid:br/06101801781`` → ``06101801781``.
- **DOI OCIs** (legacy COCI, supplier ``020`` Crossref; ``040`` Dryad, ``050`` CROCI, ``080`` DataCite use the same
  encoding): the DOI lower-cased, every ``10.`` removed (OpenCitations' code removes each occurrence, not just the
  leading one; reproduced for byte-compatible OCIs), each character replaced by its code from OpenCitations'
  lookup table, and the supplier prefix put in front. Codes are self-delimiting (``00``–``89``, ``900``–``989``,
  ``9900``…), so an OCI decodes back to its DOIs.

A DOI holding a character the bundled table lacks has no OCI here: OpenCitations extends its table at run time,
so such a code would depend on the order its service met characters in.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from importlib import resources
from typing import Final

from citegraph import ids

#: Crossref's supplier prefix: the one COCI's DOI-to-DOI OCIs carry.
CROSSREF_PREFIX: Final = "020"
#: Supplier prefixes whose identifiers are DOIs encoded with the lookup table.
DOI_PREFIXES: Final = frozenset({"020", "040", "050", "080"})
#: The supplier prefix of PubMed (POCI): the PMID's digits follow it unencoded.
PMID_PREFIX: Final = "0160"
#: One side of an OCI: a prefix "a short numerical string delimited by zeros", then the identifier.
_SIDE: Final = re.compile(r"(0[1-9]+0)([0-9]+)")
#: A whole OCI, with or without OpenCitations' ``oci:`` scheme prefix.
_OCI: Final = re.compile(r"(?:oci:)?(0[1-9]+0[0-9]+)-(0[1-9]+0[0-9]+)", re.IGNORECASE)
#: One character's code in a DOI OCI: any number of 9s, then two digits not starting with 9.
_CODE: Final = re.compile(r"9*[0-8][0-9]")
#: Longest OCI accepted (a DOI OCI takes ~2.5 digits a character; DOIs here are ≤ 1,000 characters).
MAX_OCI_CHARS: Final = 6000


class OciError(ValueError):
    """Text that is not an OCI, or one whose identifiers cannot be read."""


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    """(character → code, code → character) from the bundled lookup table; a later row wins, as upstream."""
    encode: dict[str, str] = {}
    decode: dict[str, str] = {}
    text = resources.files("citegraph").joinpath("data/oci_lookup.csv").read_bytes().decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)  # "c","code"
    for char, code in reader:
        encode[char] = code
        decode[code] = char
    return encode, decode


def _doi_for_oci(doi: str) -> str:
    """The DOI as OpenCitations encodes it: from the first ``10.``, no whitespace, lower case, every ``10.`` gone."""
    text = "".join(doi.split()).replace("\0", "").lower()
    start = text.find("10.")
    if start < 0:
        raise OciError(f"{doi!r} is not a DOI")
    return text[start:].replace("10.", "")


def encode_doi(doi: str) -> str | None:
    """The digits a DOI becomes inside an OCI, or None when it holds a character the table lacks."""
    table = _tables()[0]
    out = []
    for char in _doi_for_oci(doi):
        code = table.get(char)
        if code is None:
            return None
        out.append(code)
    return "".join(out)


def doi_oci(citing_doi: str, cited_doi: str, prefix: str = CROSSREF_PREFIX) -> str | None:
    """The DOI OCI of a citation (no ``oci:`` scheme prefix), or None when a DOI cannot be encoded."""
    citing, cited = encode_doi(citing_doi), encode_doi(cited_doi)
    if citing is None or cited is None:
        return None
    return f"{prefix}{citing}-{prefix}{cited}"


def omid_digits(omid: str) -> str:
    """The digits of a bibliographic-resource OMID (``br/06101801781`` or ``omid:br/…``) as they sit in an OCI."""
    scheme, value = ids.parse_id(omid, default=ids.OMID) if ":" in omid else (ids.OMID, ids.normalize_omid(omid))
    if scheme != ids.OMID or not value.startswith("br/"):
        raise OciError(f"{omid!r} is not the OMID of a bibliographic resource (omid:br/…)")
    return value[3:]


def omid_oci(citing_omid: str, cited_omid: str) -> str:
    """The OCI of a citation between two works known by their OMIDs, as the current Index writes it."""
    return f"{omid_digits(citing_omid)}-{omid_digits(cited_omid)}"


def split_oci(text: str) -> tuple[str, str]:
    """The two sides of an OCI (``oci:`` prefix optional); raises OciError when ``text`` is not one."""
    if len(text) > MAX_OCI_CHARS:
        raise OciError(f"an OCI of {len(text)} characters is longer than any OCI ({MAX_OCI_CHARS})")
    m = _OCI.fullmatch(text.strip())
    if m is None:
        raise OciError(f"{text[:80]!r} is not an OCI: expected two parts like 06101801781-06180334099, each a "
                       "supplier prefix (0, digits 1-9, 0) and digits")
    return m[1], m[2]


def decode_side(side: str) -> ids.IdPair:
    """The identifier one side of an OCI names: a DOI, an OMID, a PMID or a Wikidata item."""
    m = _SIDE.fullmatch(side)
    if m is None:
        raise OciError(f"{side!r} is not one side of an OCI")
    prefix, digits = m[1], m[2]
    if prefix.startswith("06"):
        return ids.OMID, f"br/{side}"  # the OMID carries its own prefix
    if prefix in DOI_PREFIXES:
        codes = _CODE.findall(digits)
        if "".join(codes) != digits:
            raise OciError(f"{side!r} does not decode: its digits are not a sequence of lookup codes")
        table = _tables()[1]
        try:
            return ids.DOI, "10." + "".join(table[c] for c in codes)
        except KeyError as exc:
            raise OciError(f"{side!r} holds code {exc.args[0]}, not in the lookup table") from None
    if prefix == PMID_PREFIX:
        return ids.PMID, str(int(digits))
    if prefix == "010":
        return ids.WIKIDATA, f"Q{digits}"
    raise OciError(f"OCI supplier prefix {prefix} is not one this index reads (DOI, OMID, PubMed, Wikidata)")


def decode_oci(text: str) -> tuple[ids.IdPair, ids.IdPair]:
    """The (citing, cited) identifiers an OCI names; raises OciError for malformed or unreadable OCIs."""
    citing, cited = split_oci(text)
    return decode_side(citing), decode_side(cited)


__all__ = ["CROSSREF_PREFIX", "OciError", "decode_oci", "decode_side", "doi_oci", "encode_doi", "omid_digits",
           "omid_oci", "split_oci"]
