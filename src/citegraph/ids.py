"""Identifier schemes: read any id users or sources write, keep one canonical form, print each dialect's.

Every identifier inside citegraph is a ``(scheme, value)`` pair (:data:`IdPair`) whose value is the
scheme's canonical form: ``("doi", "10.1145/3383583.3398584")``, ``("openalex", "W3046863325")``,
``("pmcid", "PMC1156926")``. :func:`parse_id` reads the forms users and clients send (prefixes, URLs,
percent-encoding, any case); :func:`normalize` canonicalises a value whose scheme is already known
(the form sources store); :func:`format_id` prints a pair the way one upstream service prints it.

This module imports nothing of ours: :class:`citegraph.model.Id` is built from a pair as ``Id(*pair)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Final
from urllib.parse import unquote

#: A canonical identifier: (scheme, canonical value).
IdPair = tuple[str, str]

DOI: Final = "doi"
OPENALEX: Final = "openalex"
MAG: Final = "mag"
PMID: Final = "pmid"
PMCID: Final = "pmcid"
ARXIV: Final = "arxiv"
S2: Final = "s2"
CORPUSID: Final = "corpusid"
ACL: Final = "acl"
DBLP: Final = "dblp"
OMID: Final = "omid"
ORCID: Final = "orcid"
ISSN: Final = "issn"
ROR: Final = "ror"
ISBN: Final = "isbn"
WIKIDATA: Final = "wikidata"
#: A paper S2 lists in a citation or reference list without a paperId (it could not link it): its stub is keyed
#: by the SHA-1 of the title S2 gave, so loading the list again finds the same stub.
S2REF: Final = "s2ref"

#: Schemes whose ids can name a work (an OpenAlex or OMID id may also name an author, venue, …).
WORK_SCHEMES: Final = (DOI, OPENALEX, MAG, PMID, PMCID, ARXIV, S2, CORPUSID, ACL, DBLP, OMID, S2REF)
#: Every scheme this module knows.
ALL_SCHEMES: Final = (*WORK_SCHEMES, ORCID, ISSN, ROR, ISBN, WIKIDATA)

#: What each scheme's ids are called in error messages.
SCHEME_NAMES: Final = {
    DOI: "a DOI", OPENALEX: "an OpenAlex id", MAG: "a MAG id", PMID: "a PubMed id (PMID)",
    PMCID: "a PubMed Central id (PMCID)", ARXIV: "an arXiv id", S2: "a Semantic Scholar paper id",
    CORPUSID: "a Semantic Scholar CorpusId", ACL: "an ACL Anthology id", DBLP: "a DBLP key",
    OMID: "an OpenCitations Meta id (OMID)", ORCID: "an ORCID iD", ISSN: "an ISSN", ROR: "a ROR id",
    ISBN: "an ISBN", WIKIDATA: "a Wikidata item id", S2REF: "an unlinked Semantic Scholar list entry",
}

#: OpenAlex's entity letters (upstream accepts exactly these); V ids are legacy venues, now sources.
OPENALEX_ENTITIES: Final = {
    "W": "work", "A": "author", "S": "source", "I": "institution", "T": "topic", "C": "concept",
    "F": "funder", "P": "publisher", "G": "award", "V": "source",
}

#: Semantic Scholar's ``externalIds`` key for each of our schemes.
S2_EXTERNAL_ID_KEYS: Final = {
    DOI: "DOI", ARXIV: "ArXiv", MAG: "MAG", ACL: "ACL", PMID: "PubMed", PMCID: "PubMedCentral",
    DBLP: "DBLP", CORPUSID: "CorpusId",
}
#: Our scheme for each Semantic Scholar ``externalIds`` key.
S2_EXTERNAL_ID_SCHEMES: Final = {key: scheme for scheme, key in S2_EXTERNAL_ID_KEYS.items()}

#: No real identifier is this long; the cap bounds the work one request can cause.
MAX_ID_CHARS: Final = 2048
#: Numeric ids must fit a signed 64-bit integer wherever a store keeps them as numbers.
MAX_NUMBER_DIGITS: Final = 18
#: Nested forms ("URL:https://api.openalex.org/works/doi:…") are never deeper than this.
_MAX_DEPTH: Final = 3
#: A "scheme:" prefix is at most this long; a longer head before ':' is part of a value.
_MAX_PREFIX_CHARS: Final = 16
#: DataCite's DOI prefix for arXiv preprints ("10.48550/arxiv.2007.14454").
ARXIV_DOI_PREFIX: Final = "10.48550/arxiv."


class IdError(ValueError):
    """A string is not a valid identifier (of the scheme asked for, or of any scheme we know)."""


def _show(text: str) -> str:
    """``text`` quoted for an error message, shortened so a huge input cannot flood a log."""
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _fail(text: str, scheme: str, why: str) -> IdError:
    return IdError(f"{_show(text)} is not {SCHEME_NAMES[scheme]}: {why}")


# --- per-scheme normalisers of bare values ---------------------------------------------------------

#: The common DOI shape: a 10. prefix of 4-9 digits (sub-prefixes like 10.1000.10 allowed), a slash, a
#: suffix without whitespace, control characters or '%' (a '%' may be percent-encoding: the slow path).
_DOI_FAST = re.compile(r"10\.[0-9]{4,9}(?:\.[0-9]+)*/[^\s\x00-\x1f\x7f%]+")
_DOI_PREFIX = re.compile(r"10\.[0-9]{4,9}(?:\.[0-9]+)*")
_NOT_IN_DOI = re.compile(r"[\s\x00-\x1f\x7f]")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")


def _decode_percent(text: str) -> str:
    """``text`` with %XX escapes decoded, unless the result would still hold a '%' or is not UTF-8.

    Decoding only when it leaves no '%' keeps normalisation idempotent: a value with a literal
    "%25…" is kept as written rather than decoded differently on each pass.
    """
    if _PERCENT.search(text) is None:
        return text
    try:
        decoded = unquote(text, errors="strict")
    except UnicodeDecodeError:
        return text
    return text if "%" in decoded else decoded


def bare_doi(text: str) -> str | None:
    """The canonical form of ``text`` when it is a bare DOI in the common shape (no prefix, URL, escapes or
    spaces), else None: the fast path for the many DOIs sources write plainly (``normalize`` does the rest)."""
    return text.lower() if len(text) <= MAX_ID_CHARS and _DOI_FAST.fullmatch(text) else None


def _doi(text: str) -> str:
    s = _decode_percent(text) if "%" in text else text
    if _DOI_FAST.fullmatch(s):
        return s.lower()  # DOIs are case-insensitive; every service we mirror lowercases them
    if not s.startswith("10."):
        raise _fail(text, DOI, "a DOI starts with '10.'")
    prefix, _, suffix = s.partition("/")
    if not _DOI_PREFIX.fullmatch(prefix):
        raise _fail(text, DOI, "the prefix must be '10.' and 4 to 9 digits (like 10.1145)")
    if not suffix:
        raise _fail(text, DOI, "no suffix after the prefix")
    if _NOT_IN_DOI.search(suffix):
        raise _fail(text, DOI, "it contains whitespace or a control character")
    return s.lower()  # a suffix with a literal '%' that is not percent-encoding


def _digits(digits: str, text: str, scheme: str) -> str:
    """Canonical decimal digits (no leading zeros) of a numeric id."""
    if not (digits.isascii() and digits.isdigit()):
        raise _fail(text, scheme, "expected digits")
    value = digits.lstrip("0") or "0"
    if len(value) > MAX_NUMBER_DIGITS:
        raise _fail(text, scheme, f"more than {MAX_NUMBER_DIGITS} digits")
    return value


def _openalex(text: str) -> str:
    letter = text[:1].upper()
    if letter not in OPENALEX_ENTITIES or len(text) < 2:
        raise _fail(text, OPENALEX, f"expected one of the letters {''.join(OPENALEX_ENTITIES)} and digits")
    return letter + _digits(text[1:], text, OPENALEX)


def _mag(text: str) -> str:
    return _digits(text, text, MAG)


def _pmid(text: str) -> str:
    return _digits(text, text, PMID)


def _corpusid(text: str) -> str:
    return _digits(text, text, CORPUSID)


def _pmcid(text: str) -> str:
    # OpenAlex and S2 print PMCIDs as bare digits; the canonical form carries NCBI's "PMC"
    digits = text[3:] if text[:3].upper() == "PMC" else text
    return "PMC" + _digits(digits, text, PMCID)


def _wikidata(text: str) -> str:
    if text[:1] not in ("Q", "q"):
        raise _fail(text, WIKIDATA, "expected Q and digits")
    return "Q" + _digits(text[1:], text, WIKIDATA)


_ARXIV_NEW = re.compile(r"([0-9]{2}(?:0[1-9]|1[0-2])\.[0-9]{4,5})(?:v[0-9]+)?", re.IGNORECASE)
#: Pre-2007 ids: archive, an optional subject class (dropped: "math.GT/0309136" is "math/0309136"), number.
_ARXIV_OLD = re.compile(
    r"([a-z]+(?:-[a-z]+)?)(?:\.[a-z]{2}(?:-[a-z]{2})?)?/([0-9]{2}(?:0[1-9]|1[0-2])[0-9]{3})(?:v[0-9]+)?",
    re.IGNORECASE,
)


def _arxiv(text: str) -> str:
    m = _ARXIV_NEW.fullmatch(text)
    if m is not None:
        return m[1]  # the version names one revision of the same paper, so it is dropped
    m = _ARXIV_OLD.fullmatch(text)
    if m is not None:
        return f"{m[1].lower()}/{m[2]}"
    raise _fail(text, ARXIV, "expected YYMM.NNNNN or archive/YYMMNNN, optionally with a version vN")


_HEX40 = re.compile(r"[0-9a-fA-F]{40}")


def _s2(text: str) -> str:
    if _HEX40.fullmatch(text) is None:
        raise _fail(text, S2, "expected 40 hexadecimal characters")
    return text.lower()


_ACL_OLD = re.compile(r"[A-Za-z][0-9]{2}-[0-9]{4}")  # P19-1001: ACL writes the letter upper case
_ACL_NEW = re.compile(r"[0-9]{4}\.[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\.[0-9]+")  # 2022.coling-1.8: lower case


def _acl(text: str) -> str:
    if _ACL_OLD.fullmatch(text):
        return text.upper()
    if _ACL_NEW.fullmatch(text):
        return text.lower()
    raise _fail(text, ACL, "expected an id like P19-1001 or 2022.coling-1.8")


_DBLP = re.compile(r"[a-z]+(?:/[A-Za-z0-9][A-Za-z0-9_.'+-]*)+")
#: Key types that name publications; only these are recognised without a "dblp:" prefix.
_DBLP_WORK_TYPES: Final = frozenset({"conf", "journals", "books", "series", "phd", "reference", "tr", "ms"})


def _dblp(text: str) -> str:
    if _DBLP.fullmatch(text) is None:
        raise _fail(text, DBLP, "expected a key like conf/acl/SmithJ19")
    return text  # DBLP keys are case-sensitive


#: OpenCitations Meta ids: entity type, then the 06[1-9]*0 supplier prefix and a number.
_OMID = re.compile(r"(br|ra|re|id|ar)/(06[1-9]*0[1-9][0-9]*)", re.IGNORECASE)


def _omid(text: str) -> str:
    m = _OMID.fullmatch(text)
    if m is None:
        raise _fail(text, OMID, "expected an entity type and number like br/06101801781")
    return f"{m[1].lower()}/{m[2]}"


_ORCID = re.compile(r"([0-9]{4})-?([0-9]{4})-?([0-9]{4})-?([0-9]{3}[0-9Xx])")


def _mod11_2(digits: str) -> str:
    """The ISO 7064 MOD 11-2 check character of ``digits`` (ORCID)."""
    total = 0
    for d in digits:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _orcid(text: str) -> str:
    m = _ORCID.fullmatch(text)
    if m is None:
        raise _fail(text, ORCID, "expected 16 digits like 0000-0002-1825-0097")
    value = "-".join(m.groups()).upper()
    if _mod11_2(value.replace("-", "")[:15]) != value[-1]:
        raise _fail(text, ORCID, "the check digit is wrong")
    return value


_ISSN = re.compile(r"([0-9]{4})-?([0-9]{3}[0-9Xx])")


def _issn_check(digits: str) -> str:
    """The check character of an ISSN's first seven digits (weights 8..2, mod 11)."""
    check = -sum(int(d) * (8 - i) for i, d in enumerate(digits)) % 11
    return "X" if check == 10 else str(check)


def _issn(text: str) -> str:
    m = _ISSN.fullmatch(text)
    if m is None:
        raise _fail(text, ISSN, "expected 8 characters like 1234-567X")
    value = f"{m[1]}-{m[2].upper()}"
    if _issn_check(value[:4] + value[5:8]) != value[8]:
        raise _fail(text, ISSN, "the check digit is wrong")
    return value


#: Crockford base 32, the alphabet of ROR ids.
_CROCKFORD: Final = "0123456789abcdefghjkmnpqrstvwxyz"
_ROR = re.compile(r"0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}", re.IGNORECASE)


def _ror(text: str) -> str:
    if _ROR.fullmatch(text) is None:
        raise _fail(text, ROR, "expected 0, six base-32 characters and two check digits, like 02gjn4306")
    value = text.lower()
    number = 0
    for ch in value[1:7]:
        number = number * 32 + _CROCKFORD.index(ch)
    if 98 - number * 100 % 97 != int(value[7:]):  # ISO 7064 MOD 97-10
        raise _fail(text, ROR, "the check digits are wrong")
    return value


def _isbn13_check(digits: str) -> str:
    return str(-sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10)


def _isbn(text: str) -> str:
    s = text.replace("-", "").replace(" ", "").upper()
    if not s.isascii():
        raise _fail(text, ISBN, "expected 10 or 13 digits")
    if len(s) == 10 and s[:9].isdigit() and (s[9].isdigit() or s[9] == "X"):
        total = sum(int(d) * (10 - i) for i, d in enumerate(s[:9])) + (10 if s[9] == "X" else int(s[9]))
        if total % 11:
            raise _fail(text, ISBN, "the check digit is wrong")
        return "978" + s[:9] + _isbn13_check("978" + s[:9])  # one canonical form: ISBN-13
    if len(s) == 13 and s.isdigit() and s[:3] in ("978", "979"):
        if _isbn13_check(s[:12]) != s[12]:
            raise _fail(text, ISBN, "the check digit is wrong")
        return s
    raise _fail(text, ISBN, "expected 10 digits (or 9 and X) or 13 digits starting 978 or 979")


_NORMALISERS: Final[dict[str, Callable[[str], str]]] = {
    DOI: _doi, OPENALEX: _openalex, MAG: _mag, PMID: _pmid, PMCID: _pmcid, ARXIV: _arxiv, S2: _s2,
    CORPUSID: _corpusid, ACL: _acl, DBLP: _dblp, OMID: _omid, ORCID: _orcid, ISSN: _issn, ROR: _ror,
    ISBN: _isbn, WIKIDATA: _wikidata, S2REF: _s2,
}

#: URL prefixes that sources print before a bare value (OpenAlex records), stripped on a fast path.
_URL_PREFIXES: Final[dict[str, tuple[str, ...]]] = {
    DOI: ("https://doi.org/", "http://dx.doi.org/", "https://dx.doi.org/", "http://doi.org/"),
    OPENALEX: ("https://openalex.org/",),
    PMID: ("https://pubmed.ncbi.nlm.nih.gov/",),
    PMCID: ("https://www.ncbi.nlm.nih.gov/pmc/articles/",),
    ORCID: ("https://orcid.org/", "http://orcid.org/"),
    ROR: ("https://ror.org/",),
    WIKIDATA: ("https://www.wikidata.org/wiki/", "http://www.wikidata.org/entity/"),
}


def normalize(scheme: str, value: str) -> str:
    """The canonical form of ``value``, an id known to be of ``scheme``; raises IdError if it is not one.

    ``value`` may be bare ("10.1145/X"), prefixed ("doi:10.1145/X") or a URL ("https://doi.org/10.1145/X").
    """
    return _normalize(scheme, value, 0)


def _normalize(scheme: str, value: str, depth: int) -> str:
    fn = _NORMALISERS.get(scheme)
    if fn is None:
        raise IdError(f"unknown identifier scheme {scheme!r}; known: {', '.join(ALL_SCHEMES)}")
    s = value.strip()
    if "\0" in s:
        s = s.replace("\0", "").strip()  # NULs leak from some dumps; OpenAlex and OpenCitations drop them
    if not s:
        raise IdError(f"{_show(value)} is not {SCHEME_NAMES[scheme]}: it is empty")
    if len(s) > MAX_ID_CHARS:
        raise _fail(value, scheme, f"longer than {MAX_ID_CHARS} characters")
    for prefix in _URL_PREFIXES.get(scheme, ()):
        if s.startswith(prefix):
            try:
                return fn(s[len(prefix):])
            except IdError:
                break  # e.g. a trailing slash: the full URL reader below copes
    try:
        return fn(s)
    except IdError as exc:
        first = exc
    if depth >= _MAX_DEPTH or not (":" in s or "/" in s or "%" in s):
        raise first
    try:  # a prefixed, URL or percent-encoded form of the id
        pair = _parse(s, scheme, depth + 1)
    except IdError:
        raise first from None
    if pair[0] != scheme:
        raise IdError(f"{_show(value)} is {SCHEME_NAMES[pair[0]]}, not {SCHEME_NAMES[scheme]}")
    return pair[1]


def normalize_doi(text: str) -> str:
    """The canonical (lowercase, bare) DOI in ``text``: "10.1145/3383583.3398584"."""
    return normalize(DOI, text)


def normalize_openalex(text: str) -> str:
    """The canonical OpenAlex key in ``text``: "W3046863325"."""
    return normalize(OPENALEX, text)


def normalize_mag(text: str) -> str:
    """The canonical MAG id in ``text``: digits."""
    return normalize(MAG, text)


def normalize_pmid(text: str) -> str:
    """The canonical PubMed id in ``text``: digits."""
    return normalize(PMID, text)


def normalize_pmcid(text: str) -> str:
    """The canonical PubMed Central id in ``text``: "PMC1234567"."""
    return normalize(PMCID, text)


def normalize_arxiv(text: str) -> str:
    """The canonical arXiv id in ``text``, without version: "2007.14454", "hep-th/9901001"."""
    return normalize(ARXIV, text)


def normalize_s2(text: str) -> str:
    """The canonical Semantic Scholar paper id in ``text``: 40 lowercase hex digits."""
    return normalize(S2, text)


def normalize_corpusid(text: str) -> str:
    """The canonical Semantic Scholar CorpusId in ``text``: digits."""
    return normalize(CORPUSID, text)


def normalize_acl(text: str) -> str:
    """The canonical ACL Anthology id in ``text``: "P19-1001", "2022.coling-1.8"."""
    return normalize(ACL, text)


def normalize_dblp(text: str) -> str:
    """The DBLP key in ``text``, case kept: "conf/acl/SmithJ19"."""
    return normalize(DBLP, text)


def normalize_omid(text: str) -> str:
    """The canonical OpenCitations Meta id in ``text``: "br/06101801781"."""
    return normalize(OMID, text)


def normalize_orcid(text: str) -> str:
    """The canonical ORCID iD in ``text``, check digit verified: "0000-0002-1825-0097"."""
    return normalize(ORCID, text)


def normalize_issn(text: str) -> str:
    """The canonical ISSN in ``text``, check digit verified: "1234-567X"."""
    return normalize(ISSN, text)


def normalize_ror(text: str) -> str:
    """The canonical ROR id in ``text``, check digits verified: "02gjn4306"."""
    return normalize(ROR, text)


def normalize_isbn(text: str) -> str:
    """The canonical ISBN in ``text`` as 13 digits (an ISBN-10 is converted)."""
    return normalize(ISBN, text)


def normalize_wikidata(text: str) -> str:
    """The canonical Wikidata item id in ``text``: "Q42"."""
    return normalize(WIKIDATA, text)


# --- parsing any form -------------------------------------------------------------------------------

#: "scheme:" prefixes (lower case) and the scheme each names; S2 and OpenCitations spellings included.
_PREFIXES: Final = {
    "doi": DOI, "openalex": OPENALEX, "mag": MAG, "pmid": PMID, "pubmed": PMID, "pmcid": PMCID,
    "pmc": PMCID, "arxiv": ARXIV, "s2": S2, "corpusid": CORPUSID, "s2cid": CORPUSID, "acl": ACL,
    "dblp": DBLP, "omid": OMID, "orcid": ORCID, "issn": ISSN, "isbn": ISBN, "isbn-10": ISBN,
    "isbn-13": ISBN, "isbn10": ISBN, "isbn13": ISBN, "ror": ROR, "wikidata": WIKIDATA, "s2ref": S2REF,
}

#: Bare shapes recognised without a prefix, tried in order after the cheap checks in :func:`_bare`.
_BARE_SHAPES: Final = (
    (ORCID, re.compile(r"[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9Xx]")),
    (ISSN, re.compile(r"[0-9]{4}-[0-9]{3}[0-9Xx]|[0-9]{7}[Xx]")),
    (ARXIV, _ARXIV_NEW),
    (ARXIV, _ARXIV_OLD),
    (ACL, _ACL_OLD),
    (ACL, _ACL_NEW),
    (OMID, _OMID),
    (ROR, _ROR),
    (ISBN, re.compile(r"[0-9][0-9 -]{8,15}[0-9Xx]")),
)

_OPENALEX_LETTERS: Final = frozenset(OPENALEX_ENTITIES) | frozenset(k.lower() for k in OPENALEX_ENTITIES)


def parse_id(text: str, *, default: str | None = None, allowed: Collection[str] | None = None) -> IdPair:
    """The canonical ``(scheme, value)`` of any identifier a user or client writes; raises IdError.

    Reads bare ids ("10.1145/x", "W123", "PMC123", a 40-hex S2 id, an ORCID, ISSN, arXiv id, …),
    "scheme:" prefixes in any case ("doi:", "PMID:", "CorpusId:", "ARXIV:", "omid:br/…", "URL:<url>"),
    the URLs of doi.org, openalex.org, PubMed, PMC, arXiv, Semantic Scholar, ACL Anthology, DBLP,
    w3id.org/oc/meta, ORCID, ROR and Wikidata, and percent-encoded forms of all of these.
    Bare digits are ambiguous (PMID? MAG? CorpusId?): they take the scheme ``default``, or fail.
    ``allowed`` restricts the schemes accepted.
    """
    pair = _fast(text)
    if pair is None:
        pair = _parse(text, default, 0)
    if allowed is not None and pair[0] not in allowed:
        names = sorted(allowed) if isinstance(allowed, (set, frozenset)) else list(allowed)
        raise IdError(f"{_show(text)} ({pair[0]}) is not an accepted identifier here; "
                      f"accepted: {', '.join(names)}")
    return pair


def _fast(text: str) -> IdPair | None:
    """The pair for the commonest forms (bare DOI, W id, OpenAlex and doi.org URLs), or None."""
    if len(text) > MAX_ID_CHARS:
        return None
    if text.startswith("10."):
        return (DOI, text.lower()) if _DOI_FAST.fullmatch(text) else None
    if text.startswith("https://"):
        if text.startswith("https://openalex.org/"):
            text = text[21:]
        elif text.startswith("https://doi.org/"):
            rest = text[16:]
            return (DOI, rest.lower()) if _DOI_FAST.fullmatch(rest) else None
    if (1 < len(text) <= MAX_NUMBER_DIGITS + 1 and text[0] in _OPENALEX_LETTERS and text[1] != "0"
            and text.isascii() and text[1:].isdigit()):
        return OPENALEX, text[0].upper() + text[1:]
    return None


def _parse(text: str, default: str | None, depth: int) -> IdPair:
    s = text.strip()
    if "\0" in s:
        s = s.replace("\0", "").strip()  # NULs leak from some dumps; OpenAlex and OpenCitations drop them
    if not s:
        raise IdError("an empty string is not an identifier")
    if len(s) > MAX_ID_CHARS:
        raise IdError(f"{_show(s)} is longer than {MAX_ID_CHARS} characters, longer than any identifier")
    if "%" in s:
        s = _decode_percent(s)
    head, colon, rest = s.partition(":")
    if colon and 0 < len(head) <= _MAX_PREFIX_CHARS:
        head = head.lower()
        if head in ("http", "https"):
            return _parse_url(s, depth)
        scheme = _PREFIXES.get(head)
        if scheme is not None:
            return scheme, _normalize(scheme, rest, depth)
        if head == "url":  # Semantic Scholar's "URL:<url>"
            return _parse_url(rest.strip(), depth)
        if head in ("urn", "info"):  # urn:doi:10.x/y, urn:isbn:…, info:doi/10.x/y (OpenURL)
            sub, sep, value = rest.partition(":" if head == "urn" else "/")
            scheme = _PREFIXES.get(sub.lower())
            if sep and scheme is not None:
                return scheme, _normalize(scheme, value, depth)
    host = s.partition("/")[0].lower()
    if host.removeprefix("www.") in _HOSTS:  # a URL without its scheme: "doi.org/10.x/y"
        return _parse_url("https://" + s, depth)
    return _bare(s, default, depth)


def _bare(s: str, default: str | None, depth: int) -> IdPair:
    """The pair for an unprefixed id, recognised by its shape; ``default`` decides ambiguous ones."""
    if s.startswith("10."):
        return DOI, _doi(s)
    if len(s) == 40 and _HEX40.fullmatch(s):
        return S2, s.lower()
    if s.isascii():
        if s.isdigit():
            if default is None:
                raise IdError(f"{_show(s)} is ambiguous: bare digits could be a PMID, MAG id, CorpusId, …; "
                              "write it with a prefix such as 'pmid:'")
            return default, _normalize(default, s, depth)
        letter, tail = s[0].upper(), s[1:]
        if tail.isdigit():
            if letter in OPENALEX_ENTITIES:
                return OPENALEX, _openalex(s)
            if letter == "Q":
                return WIKIDATA, _wikidata(s)
        if s[:3].upper() == "PMC" and s[3:].isdigit():
            return PMCID, _pmcid(s)
        for scheme, shape in _BARE_SHAPES:
            if shape.fullmatch(s):
                return scheme, _NORMALISERS[scheme](s)
        if s.partition("/")[0] in _DBLP_WORK_TYPES and _DBLP.fullmatch(s):
            return DBLP, s
    if default is not None:
        return default, _normalize(default, s, depth)
    raise IdError(f"{_show(s)} is not an identifier of any scheme we know ({', '.join(ALL_SCHEMES)})")


# --- URLs -----------------------------------------------------------------------------------------

#: Some proxies merge the '//' of a URL sent inside a path ("https:/doi.org/…"), so one slash is enough.
_URL = re.compile(r"https?://?([^/?#\s]+)(.*)", re.IGNORECASE | re.DOTALL)
_UrlReader = Callable[[str, str, int], IdPair]


def _parse_url(url: str, depth: int) -> IdPair:
    m = _URL.fullmatch(url)
    if m is None:
        host = url.partition("/")[0].lower().removeprefix("www.")
        if host in _HOSTS:
            return _parse_url("https://" + url, depth)
        raise IdError(f"{_show(url)} is not a URL")
    host = m[1].lower().rpartition("@")[2].partition(":")[0].removeprefix("www.")
    reader = _HOSTS.get(host)
    if reader is None:
        raise IdError(f"{_show(url)}: no identifier scheme is known for URLs on {host}")
    try:
        return reader(url, m[2], depth)
    except IndexError:  # a path too short for its host's layout
        raise IdError(f"{_show(url)}: no identifier in this URL") from None


def _segments(rest: str) -> list[str]:
    """The non-empty path segments of a URL's remainder after the host (query and fragment dropped)."""
    path = rest.partition("?")[0].partition("#")[0]
    return [p for p in path.split("/") if p]


def _url_doi(url: str, rest: str, depth: int) -> IdPair:
    # doi.org URLs hold the DOI raw after the host, '?' and '#' included (OpenAlex prints them so)
    return DOI, _doi(rest.removeprefix("/"))


def _url_openalex(url: str, rest: str, depth: int) -> IdPair:
    path = rest.partition("?")[0].partition("#")[0].strip("/")
    first, _, tail = path.partition("/")
    if tail and depth < _MAX_DEPTH:  # /works/W123, /works/doi:10.x/y (api.openalex.org)
        pair = _fast(tail)
        return pair if pair is not None else _parse(tail, None, depth + 1)
    return OPENALEX, _openalex(first)


def _url_pubmed(url: str, rest: str, depth: int) -> IdPair:
    return PMID, _pmid(_segments(rest)[0])


def _url_ncbi(url: str, rest: str, depth: int) -> IdPair:
    seg = _segments(rest)
    if seg[0] == "pubmed":
        return PMID, _pmid(seg[1])
    if seg[0] == "pmc" and seg[1] == "articles":
        return PMCID, _pmcid(seg[2])
    raise IdError(f"{_show(url)}: no PubMed or PMC id in this URL")


def _url_pmc(url: str, rest: str, depth: int) -> IdPair:
    seg = _segments(rest)
    return PMCID, _pmcid(seg[1] if seg[0] == "articles" else seg[0])


def _url_europepmc(url: str, rest: str, depth: int) -> IdPair:
    seg = _segments(rest)
    kind = seg[1].upper()
    if seg[0] in ("article", "abstract") and kind in ("MED", "PMC"):
        return (PMID, _pmid(seg[2])) if kind == "MED" else (PMCID, _pmcid(seg[2]))
    raise IdError(f"{_show(url)}: no PubMed or PMC id in this URL")


def _url_arxiv(url: str, rest: str, depth: int) -> IdPair:
    seg = _segments(rest)
    if seg[0] not in ("abs", "pdf", "html", "format"):
        raise IdError(f"{_show(url)}: no arXiv id in this URL")
    return ARXIV, _arxiv("/".join(seg[1:]).removesuffix(".pdf"))


def _url_s2(url: str, rest: str, depth: int) -> IdPair:
    seg = _segments(rest)
    if seg[0] == "paper":  # /paper/<sha> or /paper/<title-slug>/<sha>
        return S2, _s2(seg[-1])
    if seg[0].lower().startswith("corpusid:"):  # api.semanticscholar.org/CorpusID:123
        return CORPUSID, _corpusid(seg[0][9:])
    if seg[:3] == ["graph", "v1", "paper"] and depth < _MAX_DEPTH:
        return _parse(rest.partition("/paper/")[2].partition("?")[0], None, depth + 1)
    raise IdError(f"{_show(url)}: no Semantic Scholar id in this URL")


def _url_acl(url: str, rest: str, depth: int) -> IdPair:
    last = _segments(rest)[-1]  # aclanthology.org/P19-1001/, aclweb.org/anthology/P19-1001.pdf
    return ACL, _acl(last.removesuffix(".pdf").removesuffix(".bib"))


_DBLP_SUFFIX = re.compile(r"\.(?:html|bib|xml|ris|nt|ttl|rdf)$")


def _url_dblp(url: str, rest: str, depth: int) -> IdPair:
    seg = _segments(rest)
    if seg[0] != "rec":
        raise IdError(f"{_show(url)}: no DBLP key in this URL")
    seg = seg[2:] if seg[1] in ("bibtex", "bib", "xml", "html") else seg[1:]
    return DBLP, _dblp(_DBLP_SUFFIX.sub("", "/".join(seg)))


def _url_w3id(url: str, rest: str, depth: int) -> IdPair:
    seg = _segments(rest)
    if seg[:2] != ["oc", "meta"]:
        raise IdError(f"{_show(url)}: no OpenCitations Meta id in this URL")
    return OMID, _omid("/".join(seg[2:]))


def _url_orcid(url: str, rest: str, depth: int) -> IdPair:
    return ORCID, _orcid(_segments(rest)[0])


def _url_ror(url: str, rest: str, depth: int) -> IdPair:
    return ROR, _ror(_segments(rest)[0])


def _url_wikidata(url: str, rest: str, depth: int) -> IdPair:
    seg = _segments(rest)
    if seg[0] not in ("wiki", "entity"):
        raise IdError(f"{_show(url)}: no Wikidata item in this URL")
    return WIKIDATA, _wikidata(seg[1])


def _url_issn(url: str, rest: str, depth: int) -> IdPair:
    return ISSN, _issn(_segments(rest)[-1])  # portal.issn.org/resource/ISSN/…, id.crossref.org/issn/…


def _url_acm(url: str, rest: str, depth: int) -> IdPair:
    seg = _segments(rest)
    if seg[0] != "doi":
        raise IdError(f"{_show(url)}: no DOI in this URL")
    seg = seg[2:] if seg[1] in ("abs", "pdf", "full", "epdf", "fullHtml") else seg[1:]
    return DOI, _doi("/".join(seg))


_PREPRINT_VERSION = re.compile(r"v[0-9]+$")


def _url_biorxiv(url: str, rest: str, depth: int) -> IdPair:
    seg = _segments(rest)
    if seg[0] != "content":
        raise IdError(f"{_show(url)}: no DOI in this URL")
    doi = "/".join(seg[1:3]).partition(".full")[0].partition(".abstract")[0].partition(".supplementary")[0]
    return DOI, _doi(_PREPRINT_VERSION.sub("", doi))


#: How to read a URL on each host (host lower case, without "www.").
_HOSTS: Final[dict[str, _UrlReader]] = {
    "doi.org": _url_doi, "dx.doi.org": _url_doi, "hdl.handle.net": _url_doi,
    "openalex.org": _url_openalex, "api.openalex.org": _url_openalex, "explore.openalex.org": _url_openalex,
    "pubmed.ncbi.nlm.nih.gov": _url_pubmed, "ncbi.nlm.nih.gov": _url_ncbi, "pmc.ncbi.nlm.nih.gov": _url_pmc,
    "europepmc.org": _url_europepmc, "arxiv.org": _url_arxiv, "export.arxiv.org": _url_arxiv,
    "semanticscholar.org": _url_s2, "api.semanticscholar.org": _url_s2,
    "aclanthology.org": _url_acl, "aclweb.org": _url_acl,
    "dblp.org": _url_dblp, "dblp.uni-trier.de": _url_dblp,
    "w3id.org": _url_w3id, "orcid.org": _url_orcid, "ror.org": _url_ror, "wikidata.org": _url_wikidata,
    "portal.issn.org": _url_issn, "id.crossref.org": _url_issn, "dl.acm.org": _url_acm,
    "biorxiv.org": _url_biorxiv, "medrxiv.org": _url_biorxiv,
}


# --- printing ---------------------------------------------------------------------------------------


def _before(prefix: str) -> Callable[[str], str]:
    return lambda value: prefix + value


def _pmc_digits(prefix: str) -> Callable[[str], str]:
    return lambda value: prefix + value[3:]  # OpenAlex and S2 print a PMCID without "PMC"


_SAME = _before("")

#: For each form, how each scheme that has one prints (from a canonical value).
_FORMATS: Final[dict[str, dict[str, Callable[[str], str]]]] = {
    # "scheme:value", read back by parse_id
    "canonical": {scheme: _before(scheme + ":") for scheme in ALL_SCHEMES},
    # as OpenAlex records print ids (work ids, authorships, institutions, sources)
    "openalex": {
        DOI: _before("https://doi.org/"), OPENALEX: _before("https://openalex.org/"),
        PMID: _before("https://pubmed.ncbi.nlm.nih.gov/"),
        PMCID: _pmc_digits("https://www.ncbi.nlm.nih.gov/pmc/articles/"), MAG: _SAME,
        ORCID: _before("https://orcid.org/"), ROR: _before("https://ror.org/"), ISSN: _SAME,
        WIKIDATA: _before("https://www.wikidata.org/wiki/"),
    },
    # as Crossref works print them (DOI, ORCID, ISSN, ISBN, affiliation ROR)
    "crossref": {
        DOI: _SAME, ORCID: _before("https://orcid.org/"), ISSN: _SAME, ISBN: _SAME,
        ROR: _before("https://ror.org/"),
    },
    # as OpenCitations v2 PID lists and Meta rows print them
    "opencitations": {
        scheme: _before(scheme + ":")
        for scheme in (DOI, PMID, PMCID, OMID, OPENALEX, ISSN, ISBN, ORCID, WIKIDATA, ARXIV, ROR)
    },
    # as Semantic Scholar's externalIds (and paperId) values
    "s2": {scheme: _SAME for scheme in (*S2_EXTERNAL_ID_KEYS, S2)} | {PMCID: _pmc_digits("")},
    # as a Semantic Scholar /paper/{paper_id} path segment
    "s2_paper_id": {
        S2: _SAME, CORPUSID: _before("CorpusId:"), DOI: _before("DOI:"), ARXIV: _before("ARXIV:"),
        MAG: _before("MAG:"), ACL: _before("ACL:"), PMID: _before("PMID:"), PMCID: _pmc_digits("PMCID:"),
    },
    # a resolvable web address
    "url": {
        DOI: _before("https://doi.org/"), OPENALEX: _before("https://openalex.org/"),
        PMID: _before("https://pubmed.ncbi.nlm.nih.gov/"),
        PMCID: _before("https://www.ncbi.nlm.nih.gov/pmc/articles/"),
        ARXIV: _before("https://arxiv.org/abs/"), S2: _before("https://www.semanticscholar.org/paper/"),
        CORPUSID: _before("https://api.semanticscholar.org/CorpusID:"),
        ACL: _before("https://aclanthology.org/"),
        DBLP: _before("https://dblp.org/rec/"), OMID: _before("https://w3id.org/oc/meta/"),
        ORCID: _before("https://orcid.org/"), ROR: _before("https://ror.org/"),
        ISSN: _before("https://portal.issn.org/resource/ISSN/"),
        WIKIDATA: _before("https://www.wikidata.org/wiki/"),
    },
}
#: The forms :func:`format_id` prints.
FORMS: Final = tuple(_FORMATS)


def format_id(pair: IdPair, form: str) -> str:
    """``pair`` (canonical) printed in ``form``: one of :data:`FORMS`; IdError if it has no such form.

    "canonical" gives "doi:10.x/y", "openalex:W123", which :func:`parse_id` reads back; "openalex",
    "crossref", "opencitations" and "s2" give the service's own form ("https://doi.org/10.x/y",
    "10.x/y", "doi:10.x/y", …); "s2_paper_id" a Semantic Scholar path id; "url" a web address.
    """
    printers = _FORMATS.get(form)
    if printers is None:
        raise IdError(f"unknown identifier form {form!r}; forms: {', '.join(FORMS)}")
    printer = printers.get(pair[0])
    if printer is None:
        raise IdError(f"{pair[0]} ids have no {form} form")
    return printer(pair[1])


# --- small helpers ------------------------------------------------------------------------------------


def doi_prefix(doi: str) -> str:
    """The registrant prefix of a DOI in any form: "10.1145" for "10.1145/3383583.3398584"."""
    return normalize(DOI, doi).partition("/")[0]


def openalex_entity(value: str) -> str:
    """The entity an OpenAlex id names ("work", "author", "source", …), from its letter."""
    pair = _fast(value)
    key = pair[1] if pair is not None and pair[0] == OPENALEX else normalize(OPENALEX, value)
    return OPENALEX_ENTITIES[key[0]]


def is_work_id(pair: IdPair) -> bool:
    """Whether ``pair`` names a work (not an author, venue or other entity)."""
    scheme, value = pair
    if scheme == OPENALEX:
        return value.startswith("W")
    if scheme == OMID:
        return value.startswith("br/")
    return scheme in WORK_SCHEMES


def equivalent_ids(pair: IdPair) -> tuple[IdPair, ...]:
    """Other canonical ids that name the same work by rule, not by a source's say: an arXiv id and its DataCite DOI
    (``arxiv:2007.14454`` and ``doi:10.48550/arxiv.2007.14454``, assigned to every arXiv paper since 2022), so a work
    one source knows by either joins the work another knows by the other."""
    scheme, value = pair
    if scheme == ARXIV:
        try:
            return ((DOI, normalize(DOI, ARXIV_DOI_PREFIX + value)),)
        except IdError:
            return ()
    if scheme == DOI and value.startswith(ARXIV_DOI_PREFIX):
        arxiv = arxiv_from_doi(value)
        return ((ARXIV, arxiv),) if arxiv is not None else ()
    return ()


def arxiv_from_doi(doi: str) -> str | None:
    """The arXiv id of an arXiv DataCite DOI ("10.48550/arxiv.2007.14454" -> "2007.14454"), else None."""
    canonical = normalize(DOI, doi)
    if not canonical.startswith(ARXIV_DOI_PREFIX):
        return None
    try:
        return _arxiv(canonical[len(ARXIV_DOI_PREFIX):])
    except IdError:
        return None
