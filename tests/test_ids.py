"""Tests for citegraph.ids: every scheme and form, real ids from the four sources, and properties.

The literal ids below are copied from the shared test data (OpenAlex works.jsonl, Crossref works.jsonl,
Semantic Scholar papers.jsonl, OpenCitations articles/citations samples); no file is read at test time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citegraph import ids
from citegraph.ids import IdError, format_id, normalize, parse_id

# --- parse_id: what users and clients send ---------------------------------------------------------

PARSES = [
    # DOIs: bare, prefixed, URLs, percent-encoded, any case
    ("10.1145/3383583.3398584", ("doi", "10.1145/3383583.3398584")),
    ("doi:10.7717/peerj.4375", ("doi", "10.7717/peerj.4375")),
    ("DOI:10.1093/MIND/LIX.236.433", ("doi", "10.1093/mind/lix.236.433")),  # S2 path form, upper case
    ("https://doi.org/10.7717/peerj.4375", ("doi", "10.7717/peerj.4375")),
    ("http://dx.doi.org/10.1108/JD-12-2013-0166", ("doi", "10.1108/jd-12-2013-0166")),
    ("https://dx.doi.org/10.1108/jd-12-2013-0166", ("doi", "10.1108/jd-12-2013-0166")),
    ("doi.org/10.1108/jd-12-2013-0166", ("doi", "10.1108/jd-12-2013-0166")),
    ("https%3A%2F%2Fdoi.org%2F10.7717%2Fpeerj.4375", ("doi", "10.7717/peerj.4375")),  # pyalex path
    ("10.7717%2Fpeerj.4375", ("doi", "10.7717/peerj.4375")),
    ("doi%3A10.7717%2Fpeerj.4375", ("doi", "10.7717/peerj.4375")),
    ("https:/doi.org/10.7717/peerj.4375", ("doi", "10.7717/peerj.4375")),  # '//' merged by a proxy
    ("urn:doi:10.7717/peerj.4375", ("doi", "10.7717/peerj.4375")),
    ("info:doi/10.7717/peerj.4375", ("doi", "10.7717/peerj.4375")),
    ("  doi: 10.7717/peerj.4375 \n", ("doi", "10.7717/peerj.4375")),
    ("10.1000.10/ABC", ("doi", "10.1000.10/abc")),  # a sub-prefix
    ("10.123456789/x", ("doi", "10.123456789/x")),
    # real DOIs with awkward characters (OpenAlex ids.doi, Crossref reference DOIs)
    ("https://doi.org/10.1002/1522-239x(200205)113:1/2<152::aid-fedr152>3.0.co;2-1",
     ("doi", "10.1002/1522-239x(200205)113:1/2<152::aid-fedr152>3.0.co;2-1")),
    ("10.1002/(SICI)1097-4571(198909)40:5<342::AID-ASI7>3.0.CO;2-U",
     ("doi", "10.1002/(sici)1097-4571(198909)40:5<342::aid-asi7>3.0.co;2-u")),
    ("10.1890/0012-9623(2008)89[475:stdacc]2.0.co;2",
     ("doi", "10.1890/0012-9623(2008)89[475:stdacc]2.0.co;2")),
    ("10.1023/A:1005441608819", ("doi", "10.1023/a:1005441608819")),
    ("10.1111/2041\u2010210X.13692", ("doi", "10.1111/2041\u2010210x.13692")),  # U+2010 hyphen kept
    ("10.48550/arXiv.2402.13372", ("doi", "10.48550/arxiv.2402.13372")),
    ("https://dl.acm.org/doi/abs/10.1145/3383583.3398584", ("doi", "10.1145/3383583.3398584")),
    ("https://www.biorxiv.org/content/10.1101/2020.07.24.219386v1.full.pdf",
     ("doi", "10.1101/2020.07.24.219386")),
    ("https://api.openalex.org/works/https://doi.org/10.7717/peerj.4375", ("doi", "10.7717/peerj.4375")),
    ("https://api.openalex.org/works/doi:10.7717/peerj.4375", ("doi", "10.7717/peerj.4375")),
    # OpenAlex
    ("W3046863325", ("openalex", "W3046863325")),
    ("w3046863325", ("openalex", "W3046863325")),
    ("https://openalex.org/W3045921891", ("openalex", "W3045921891")),
    ("openalex.org/W3045921891", ("openalex", "W3045921891")),
    ("openalex:W3045921891", ("openalex", "W3045921891")),
    ("OpenAlex:w3045921891", ("openalex", "W3045921891")),
    ("https://api.openalex.org/works/W3045921891", ("openalex", "W3045921891")),
    ("https://openalex.org/works/W3045921891", ("openalex", "W3045921891")),
    ("W0123", ("openalex", "W123")),  # leading zeros dropped, as OpenAlex's integer ids have none
    ("A5023888391", ("openalex", "A5023888391")),
    ("https://openalex.org/S137773608", ("openalex", "S137773608")),
    ("I27837315", ("openalex", "I27837315")),
    ("https://openalex.org/T10841", ("openalex", "T10841")),
    ("C41008148", ("openalex", "C41008148")),
    ("https://openalex.org/F4320307875", ("openalex", "F4320307875")),
    ("https://openalex.org/P4310320503", ("openalex", "P4310320503")),
    # MAG, PubMed, PMC
    ("mag:2741809807", ("mag", "2741809807")),
    ("MAG:2145482038", ("mag", "2145482038")),
    ("pmid:29456894", ("pmid", "29456894")),
    ("PMID:29456894", ("pmid", "29456894")),
    ("pubmed:29456894", ("pmid", "29456894")),  # opencitations-client's prefix
    ("https://pubmed.ncbi.nlm.nih.gov/29456894/", ("pmid", "29456894")),
    ("https://pubmed.ncbi.nlm.nih.gov/11256597", ("pmid", "11256597")),  # OpenAlex ids.pmid
    ("https://www.ncbi.nlm.nih.gov/pubmed/11256597", ("pmid", "11256597")),
    ("https://europepmc.org/article/MED/11256597", ("pmid", "11256597")),
    ("pmcid:PMC1083739", ("pmcid", "PMC1083739")),
    ("PMC1083739", ("pmcid", "PMC1083739")),
    ("pmc1083739", ("pmcid", "PMC1083739")),
    ("PMCID:1083739", ("pmcid", "PMC1083739")),  # S2 path form: digits
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1083739/", ("pmcid", "PMC1083739")),
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/1083739", ("pmcid", "PMC1083739")),  # OpenAlex ids.pmcid
    ("https://pmc.ncbi.nlm.nih.gov/articles/PMC1083739/", ("pmcid", "PMC1083739")),
    ("https://europepmc.org/article/PMC/PMC1083739", ("pmcid", "PMC1083739")),
    # arXiv
    ("arxiv:2007.14454", ("arxiv", "2007.14454")),
    ("arXiv:2007.14454v3", ("arxiv", "2007.14454")),
    ("ARXIV:2402.13372", ("arxiv", "2402.13372")),
    ("2302.12039", ("arxiv", "2302.12039")),  # S2 externalIds.ArXiv
    ("0704.0001", ("arxiv", "0704.0001")),
    ("https://arxiv.org/abs/2007.14454v2", ("arxiv", "2007.14454")),
    ("https://arxiv.org/pdf/2007.14454.pdf", ("arxiv", "2007.14454")),
    ("arxiv.org/abs/hep-th/9901001", ("arxiv", "hep-th/9901001")),
    ("arXiv:HEP-TH/9901001v2", ("arxiv", "hep-th/9901001")),
    ("math.GT/0309136", ("arxiv", "math/0309136")),  # the subject class is not part of the id
    # Semantic Scholar
    ("2d5673caa9e6af3a7b82a43f19ee920992db07ad", ("s2", "2d5673caa9e6af3a7b82a43f19ee920992db07ad")),
    ("2D5673CAA9E6AF3A7B82A43F19EE920992DB07AD", ("s2", "2d5673caa9e6af3a7b82a43f19ee920992db07ad")),
    ("https://www.semanticscholar.org/paper/50835223301179408210593a45dd2022007958c4",
     ("s2", "50835223301179408210593a45dd2022007958c4")),
    ("https://www.semanticscholar.org/paper/Computing-Machinery-and-Intelligence-Turing/"
     "2d5673caa9e6af3a7b82a43f19ee920992db07ad", ("s2", "2d5673caa9e6af3a7b82a43f19ee920992db07ad")),
    ("CorpusId:14636783", ("corpusid", "14636783")),
    ("CorpusID:14514057", ("corpusid", "14514057")),
    ("corpusid:4698432", ("corpusid", "4698432")),
    ("https://api.semanticscholar.org/CorpusID:14636783", ("corpusid", "14636783")),
    ("URL:https://arxiv.org/abs/2007.14454", ("arxiv", "2007.14454")),
    ("URL:https://www.semanticscholar.org/paper/2d5673caa9e6af3a7b82a43f19ee920992db07ad",
     ("s2", "2d5673caa9e6af3a7b82a43f19ee920992db07ad")),
    ("url:https://dl.acm.org/doi/10.1145/3383583.3398584", ("doi", "10.1145/3383583.3398584")),
    # ACL Anthology and DBLP
    ("ACL:P19-1001", ("acl", "P19-1001")),
    ("acl:p19-1001", ("acl", "P19-1001")),
    ("P19-1001", ("acl", "P19-1001")),
    ("2024.lrec-main.592", ("acl", "2024.lrec-main.592")),  # S2 externalIds.ACL
    ("ACL:2022.coling-1.8", ("acl", "2022.coling-1.8")),
    ("https://aclanthology.org/P19-1001/", ("acl", "P19-1001")),
    ("https://www.aclweb.org/anthology/P19-1001.pdf", ("acl", "P19-1001")),
    ("DBLP:conf/coling/SunE24", ("dblp", "conf/coling/SunE24")),
    ("dblp:journals/x/Turing50", ("dblp", "journals/x/Turing50")),
    ("journals/corr/abs-2302-12039", ("dblp", "journals/corr/abs-2302-12039")),
    ("https://dblp.org/rec/conf/coling/SunE24.html", ("dblp", "conf/coling/SunE24")),
    # OpenCitations Meta ids (v2 PID lists, Index dump, Meta rows)
    ("omid:br/06101801781", ("omid", "br/06101801781")),
    ("omid:br/062402843420", ("omid", "br/062402843420")),
    ("OMID:BR/0634096228", ("omid", "br/0634096228")),
    ("omid:ra/0610116009", ("omid", "ra/0610116009")),
    ("br/06101801781", ("omid", "br/06101801781")),
    ("https://w3id.org/oc/meta/br/061103888040", ("omid", "br/061103888040")),
    # people, organisations, venues, books, Wikidata
    ("0000-0002-1825-0097", ("orcid", "0000-0002-1825-0097")),
    ("orcid:0000-0002-9370-6293", ("orcid", "0000-0002-9370-6293")),  # OC Meta author ids
    ("https://orcid.org/0000-0001-9994-376X", ("orcid", "0000-0001-9994-376X")),  # OpenAlex
    ("http://orcid.org/0000-0002-3684-9634", ("orcid", "0000-0002-3684-9634")),  # Crossref 2022
    ("https://orcid.org/0000-0002-1642-628x", ("orcid", "0000-0002-1642-628X")),
    ("orcid:0000000218250097", ("orcid", "0000-0002-1825-0097")),
    ("1554-527X", ("issn", "1554-527X")),  # Crossref ISSN
    ("1578-665x", ("issn", "1578-665X")),
    ("issn:1369-703X", ("issn", "1369-703X")),  # OC Meta venue ids
    ("ISSN:0736-0266", ("issn", "0736-0266")),
    ("issn:07360266", ("issn", "0736-0266")),
    ("1554527X", ("issn", "1554-527X")),
    ("http://id.crossref.org/issn/1469-185X", ("issn", "1469-185X")),  # Crossref reference ISSN
    ("https://portal.issn.org/resource/ISSN/2167-8359", ("issn", "2167-8359")),
    ("02gjn4306", ("ror", "02gjn4306")),
    ("https://ror.org/05ppvf150", ("ror", "05ppvf150")),  # OpenAlex institutions[].ror
    ("ror:02GJN4306", ("ror", "02gjn4306")),
    ("isbn:9783031305412", ("isbn", "9783031305412")),  # OC Meta venue ids
    ("ISBN:0-8213-3428-X", ("isbn", "9780821334287")),  # ISBN-10 becomes ISBN-13
    ("978-0-470-97936-5", ("isbn", "9780470979365")),
    ("urn:isbn:9780470748343", ("isbn", "9780470748343")),
    ("Q42", ("wikidata", "Q42")),
    ("wikidata:Q7600677", ("wikidata", "Q7600677")),
    ("https://www.wikidata.org/wiki/Q42", ("wikidata", "Q42")),
    ("http://www.wikidata.org/entity/Q42", ("wikidata", "Q42")),
]


@pytest.mark.parametrize(("text", "expected"), PARSES)
def test_parse_id_reads_every_form(text: str, expected: tuple[str, str]) -> None:
    assert parse_id(text) == expected


def test_bare_digits_take_the_default_scheme() -> None:
    assert parse_id("29456894", default="pmid") == ("pmid", "29456894")
    assert parse_id("14636783", default="corpusid") == ("corpusid", "14636783")
    assert parse_id("2741809807", default="mag") == ("mag", "2741809807")
    assert parse_id("1083739", default="pmcid") == ("pmcid", "PMC1083739")
    assert parse_id("07360266", default="issn") == ("issn", "0736-0266")
    assert parse_id("9780470979365", default="isbn") == ("isbn", "9780470979365")
    # an id whose shape says what it is ignores the default
    assert parse_id("W2741809807", default="pmid") == ("openalex", "W2741809807")
    assert parse_id("doi:10.7717/peerj.4375", default="pmid") == ("doi", "10.7717/peerj.4375")
    # a default also reads values with no recognisable shape
    assert parse_id("conf/x/y/z", default="dblp") == ("dblp", "conf/x/y/z")


def test_allowed_restricts_the_scheme() -> None:
    assert parse_id("pmid:1", allowed={"doi", "pmid"}) == ("pmid", "1")
    message = r"'W1' \(openalex\) is not an accepted identifier here; accepted: doi, pmid"
    with pytest.raises(IdError, match=message):
        parse_id("W1", allowed={"pmid", "doi"})
    with pytest.raises(IdError, match="accepted: omid, doi, pmid$"):
        parse_id("CorpusId:1", allowed=("omid", "doi", "pmid"))


REJECTS = [
    ("10.1234", "'10.1234' is not a DOI: no suffix after the prefix"),
    ("10.1234/", "no suffix after the prefix"),
    ("10.12/abc", "the prefix must be '10.' and 4 to 9 digits"),
    ("10.abcd/x", "the prefix must be"),
    ("doi:10.1126/science. 1109070", "contains whitespace"),  # a real Crossref reference DOI
    ("doi:11.1234/x", "a DOI starts with '10.'"),
    ("doi:10.1234/a\x01b", "control character"),
    ("http://dx.doi.org/10.1/x", "is not a DOI"),
    ("29456894", "ambiguous"),
    ("", "empty"),
    ("   ", "empty"),
    ("hello", "is not an identifier of any scheme"),
    ("W", "is not an identifier of any scheme"),
    ("X123", "is not an identifier of any scheme"),
    ("openalex:X123", "is not an OpenAlex id"),
    ("openalex:W12a", "is not an OpenAlex id: expected digits"),
    ("W\u0661\u0662", "is not an identifier"),  # Arabic-Indic digits are not ASCII digits
    ("mag:12a", "is not a MAG id"),
    ("pmid:", "is not a PubMed id (PMID): it is empty"),
    ("pmid:1234567890123456789", "more than 18 digits"),
    ("pmcid:PMCX1", "is not a PubMed Central id"),
    ("arxiv:2013.12345", "is not an arXiv id"),  # month 13
    ("arxiv:2007.123", "is not an arXiv id"),
    ("s2:2d5673caa9e6af3a7b82a43f19ee920992db07a", "40 hexadecimal"),
    ("corpusid:abc", "is not a Semantic Scholar CorpusId"),
    ("acl:P19-100", "is not an ACL Anthology id"),
    ("dblp:Conf/acl", "is not a DBLP key"),
    ("omid:br/06", "is not an OpenCitations Meta id"),
    ("omid:br/0600", "is not an OpenCitations Meta id"),
    ("omid:xx/06101801781", "is not an OpenCitations Meta id"),
    ("0000-0002-1825-0098", "is not an ORCID iD: the check digit is wrong"),
    ("orcid:0000-0002-1825", "is not an ORCID iD"),
    ("1234-5678", "is not an ISSN: the check digit is wrong"),
    ("0165-0209", "check digit"),  # a real (mistyped) ISSN in an OpenAlex source record
    ("issn:1234", "is not an ISSN"),
    ("02gjn4307", "is not a ROR id: the check digits are wrong"),
    ("ror:12gjn4306", "is not a ROR id"),
    ("https://ror.org/https://ror.org/01ppj9r51", "is not a ROR id"),  # doubled, as OpenAlex sometimes has
    ("isbn:9780470979366", "is not an ISBN: the check digit is wrong"),
    ("isbn:0-8213-3428-1", "check digit"),
    ("isbn:12345", "is not an ISBN"),
    ("wikidata:P31", "is not a Wikidata item id"),
    ("https://example.com/10.1234/x", "no identifier scheme is known for URLs on example.com"),
    ("https://arxiv.org/list/cs.AI", "no arXiv id"),
    ("https://pubmed.ncbi.nlm.nih.gov/", "no identifier in this URL"),
    ("https://openalex.org/keywords/biodiversity", "is not an identifier"),
    ("URL:ftp://x", "is not a URL"),
    ("doi:" * 20 + "10.1234/x", "is not a DOI"),  # nesting is bounded, not recursed without end
    ("10.1234/" + "x" * 3000, "longer than 2048 characters"),
]


@pytest.mark.parametrize(("text", "message"), REJECTS)
def test_parse_id_rejects_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(IdError) as info:
        parse_id(text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_default_scheme_is_an_error() -> None:
    with pytest.raises(IdError, match="unknown identifier scheme 'nope'"):
        parse_id("123", default="nope")


# --- normalize: values whose scheme is known, in the forms sources store ---------------------------

NORMALIZES = [
    ("doi", "https://doi.org/10.1016/s0140-6736(05)17953-7", "10.1016/s0140-6736(05)17953-7"),  # OpenAlex
    ("doi", "10.1093/MIND/LIX.236.433", "10.1093/mind/lix.236.433"),  # S2 externalIds.DOI
    ("doi", "doi:10.1016/j.bej.2023.108849", "10.1016/j.bej.2023.108849"),  # OC PID
    ("doi", "10.1002/(issn)2691-1078", "10.1002/(issn)2691-1078"),  # Crossref
    ("openalex", "https://openalex.org/W2741809807", "W2741809807"),
    ("openalex", "https://openalex.org/A5048491430", "A5048491430"),
    ("openalex", "openalex:W4319166369", "W4319166369"),
    ("mag", "2741809807", "2741809807"),
    ("mag", "0123", "123"),
    ("pmid", "https://pubmed.ncbi.nlm.nih.gov/15953397", "15953397"),
    ("pmid", "38688951", "38688951"),  # S2 externalIds.PubMed
    ("pmcid", "https://www.ncbi.nlm.nih.gov/pmc/articles/1156926", "PMC1156926"),  # OpenAlex
    ("pmcid", "11061136", "PMC11061136"),  # S2 externalIds.PubMedCentral
    ("pmcid", "PMC6422012", "PMC6422012"),
    ("arxiv", "2402.13372", "2402.13372"),
    ("arxiv", "arXiv:2402.13372v1", "2402.13372"),
    ("s2", "2D5673CAA9E6AF3A7B82A43F19EE920992DB07AD", "2d5673caa9e6af3a7b82a43f19ee920992db07ad"),
    ("corpusid", "269785218", "269785218"),
    ("acl", "2022.COLING-1.8", "2022.coling-1.8"),
    ("dblp", "conf/mm/0003XL00LW23", "conf/mm/0003XL00LW23"),
    ("dblp", "books/sbc/23/BazzanTPJSCLMSM23", "books/sbc/23/BazzanTPJSCLMSM23"),
    ("omid", "omid:br/062501278969", "br/062501278969"),
    ("orcid", "https://orcid.org/0000-0003-1613-5981", "0000-0003-1613-5981"),
    ("orcid", "0000000218250097", "0000-0002-1825-0097"),
    ("issn", "2167-8359", "2167-8359"),
    ("issn", "1942-7867", "1942-7867"),
    ("issn", "12345679", "1234-5679"),
    ("ror", "https://ror.org/02gjn4306", "02gjn4306"),
    ("ror", "https://ror.org/000h6jb29", "000h6jb29"),
    ("isbn", "9780470979365", "9780470979365"),
    ("isbn", "0 8213 3428 X", "9780821334287"),
    ("wikidata", "https://www.wikidata.org/wiki/Q7600677", "Q7600677"),
]


@pytest.mark.parametrize(("scheme", "value", "expected"), NORMALIZES)
def test_normalize(scheme: str, value: str, expected: str) -> None:
    assert normalize(scheme, value) == expected
    assert normalize(scheme, expected) == expected


def test_normalize_rejects_ids_of_another_scheme() -> None:
    with pytest.raises(IdError, match="is an OpenAlex id, not a DOI"):
        normalize("doi", "https://openalex.org/W2741809807")
    with pytest.raises(IdError, match="is not a PubMed id"):
        normalize("pmid", "PMC1156926")
    with pytest.raises(IdError, match="unknown identifier scheme"):
        normalize("isni", "0000000121032683")


def test_public_per_scheme_normalisers() -> None:
    assert ids.normalize_doi("https://doi.org/10.7717/PeerJ.4375") == "10.7717/peerj.4375"
    assert ids.normalize_openalex("https://openalex.org/w1") == "W1"
    assert ids.normalize_mag("007") == "7"
    assert ids.normalize_pmid("pmid:7") == "7"
    assert ids.normalize_pmcid("7") == "PMC7"
    assert ids.normalize_arxiv("hep-th/9901001v1") == "hep-th/9901001"
    assert ids.normalize_s2("A" * 40) == "a" * 40
    assert ids.normalize_corpusid("CorpusID:7") == "7"
    assert ids.normalize_acl("w19-5301") == "W19-5301"
    assert ids.normalize_dblp("conf/acl/SmithJ19") == "conf/acl/SmithJ19"
    assert ids.normalize_omid("BR/06101801781") == "br/06101801781"
    assert ids.normalize_orcid("0000-0002-1825-0097") == "0000-0002-1825-0097"
    assert ids.normalize_issn("0022-0418") == "0022-0418"
    assert ids.normalize_ror("02GJN4306") == "02gjn4306"
    assert ids.normalize_isbn("978-3-031-30540-5") == "9783031305405"
    assert ids.normalize_wikidata("q42") == "Q42"


def test_percent_decoding_never_changes_a_canonical_value_twice() -> None:
    # "%2541" decodes to "%41", which is itself an escape: kept as written, so normalising is stable
    assert normalize("doi", "10.1234/a%2541") == "10.1234/a%2541"
    assert normalize("doi", "10.1234/a%3Cb%3E") == "10.1234/a<b>"
    assert normalize("doi", "10.1234/100%") == "10.1234/100%"
    assert normalize("doi", "10.1234/%ff") == "10.1234/%ff"  # not UTF-8 once decoded: kept


# --- format_id: each service's printed form ---------------------------------------------------------

W = ("openalex", "W2741809807")
PEERJ = ("doi", "10.7717/peerj.4375")

FORMATS = [
    # canonical
    (PEERJ, "canonical", "doi:10.7717/peerj.4375"),
    (W, "canonical", "openalex:W2741809807"),
    (("pmid", "29456894"), "canonical", "pmid:29456894"),
    (("pmcid", "PMC1083739"), "canonical", "pmcid:PMC1083739"),
    (("corpusid", "14636783"), "canonical", "corpusid:14636783"),
    # OpenAlex work ids (W1788105650's ids object), authorships, institutions, sources
    (W, "openalex", "https://openalex.org/W2741809807"),
    (("doi", "10.1093/embo-reports/kvd069"), "openalex", "https://doi.org/10.1093/embo-reports/kvd069"),
    (("mag", "1788105650"), "openalex", "1788105650"),
    (("pmid", "11256597"), "openalex", "https://pubmed.ncbi.nlm.nih.gov/11256597"),
    (("pmcid", "PMC1083739"), "openalex", "https://www.ncbi.nlm.nih.gov/pmc/articles/1083739"),
    (("orcid", "0000-0003-1613-5981"), "openalex", "https://orcid.org/0000-0003-1613-5981"),
    (("ror", "05ppvf150"), "openalex", "https://ror.org/05ppvf150"),
    (("issn", "2167-8359"), "openalex", "2167-8359"),
    (("wikidata", "Q42"), "openalex", "https://www.wikidata.org/wiki/Q42"),
    # Crossref works (2025 records print ORCIDs with https)
    (("doi", "10.1108/jd-12-2013-0166"), "crossref", "10.1108/jd-12-2013-0166"),
    (("orcid", "0000-0002-1642-628X"), "crossref", "https://orcid.org/0000-0002-1642-628X"),
    (("issn", "1554-527X"), "crossref", "1554-527X"),
    (("isbn", "9780470979365"), "crossref", "9780470979365"),
    # OpenCitations PID lists ("omid:br/0634096228 openalex:W4319166369 doi:10.1016/j.bej.2023.108849")
    (("omid", "br/0634096228"), "opencitations", "omid:br/0634096228"),
    (("openalex", "W4319166369"), "opencitations", "openalex:W4319166369"),
    (("doi", "10.1016/j.bej.2023.108849"), "opencitations", "doi:10.1016/j.bej.2023.108849"),
    (("pmid", "33817056"), "opencitations", "pmid:33817056"),
    (("issn", "1369-703X"), "opencitations", "issn:1369-703X"),
    (("orcid", "0000-0002-9370-6293"), "opencitations", "orcid:0000-0002-9370-6293"),
    # Semantic Scholar externalIds {"PubMedCentral": "11061136", "DOI": …, "CorpusId": 269481987, …}
    (("pmcid", "PMC11061136"), "s2", "11061136"),
    (("doi", "10.1038/s41598-024-58087-7"), "s2", "10.1038/s41598-024-58087-7"),
    (("corpusid", "269481987"), "s2", "269481987"),
    (("pmid", "38688951"), "s2", "38688951"),
    (("arxiv", "2402.13372"), "s2", "2402.13372"),
    (("acl", "2024.lrec-main.592"), "s2", "2024.lrec-main.592"),
    (("dblp", "conf/coling/SunE24"), "s2", "conf/coling/SunE24"),
    (("mag", "2145482038"), "s2", "2145482038"),
    (("s2", "2d5673caa9e6af3a7b82a43f19ee920992db07ad"), "s2", "2d5673caa9e6af3a7b82a43f19ee920992db07ad"),
    # Semantic Scholar /paper/{paper_id}
    (("corpusid", "14514057"), "s2_paper_id", "CorpusId:14514057"),
    (("doi", "10.1093/mind/lix.236.433"), "s2_paper_id", "DOI:10.1093/mind/lix.236.433"),
    (("pmcid", "PMC2323736"), "s2_paper_id", "PMCID:2323736"),
    (("s2", "2d5673caa9e6af3a7b82a43f19ee920992db07ad"), "s2_paper_id",
     "2d5673caa9e6af3a7b82a43f19ee920992db07ad"),
    # web addresses
    (("arxiv", "2007.14454"), "url", "https://arxiv.org/abs/2007.14454"),
    (("omid", "br/06101801781"), "url", "https://w3id.org/oc/meta/br/06101801781"),
    (("corpusid", "14636783"), "url", "https://api.semanticscholar.org/CorpusID:14636783"),
]


@pytest.mark.parametrize(("pair", "form", "printed"), FORMATS)
def test_format_id(pair: tuple[str, str], form: str, printed: str) -> None:
    assert format_id(pair, form) == printed
    assert parse_id(printed, default=pair[0]) == pair


def test_s2_external_id_keys_match_the_data() -> None:
    record = {"DBLP": "journals/x/Turing50", "MAG": "2145482038", "DOI": "10.1093/MIND/LIX.236.433",
              "CorpusId": 14636783}
    pairs = [(ids.S2_EXTERNAL_ID_SCHEMES[k], normalize(ids.S2_EXTERNAL_ID_SCHEMES[k], str(v)))
             for k, v in record.items()]
    assert pairs == [("dblp", "journals/x/Turing50"), ("mag", "2145482038"),
                     ("doi", "10.1093/mind/lix.236.433"), ("corpusid", "14636783")]
    assert {ids.S2_EXTERNAL_ID_KEYS[s] for s, _ in pairs} == set(record)
    assert set(ids.S2_EXTERNAL_ID_KEYS.values()) == {"DOI", "ArXiv", "MAG", "ACL", "PubMed", "PubMedCentral",
                                                      "DBLP", "CorpusId"}


def test_format_id_errors() -> None:
    with pytest.raises(IdError, match="unknown identifier form 'bibtex'"):
        format_id(PEERJ, "bibtex")
    with pytest.raises(IdError, match="s2 ids have no crossref form"):
        format_id(("s2", "a" * 40), "crossref")
    with pytest.raises(ValueError, match="mag ids have no url form"):
        format_id(("mag", "1"), "url")


# --- helpers ---------------------------------------------------------------------------------------


def test_doi_prefix() -> None:
    assert ids.doi_prefix("10.1145/3383583.3398584") == "10.1145"
    assert ids.doi_prefix("https://doi.org/10.1000.10/X") == "10.1000.10"
    with pytest.raises(IdError):
        ids.doi_prefix("W1")


@pytest.mark.parametrize(("value", "entity"), [
    ("W3046863325", "work"), ("A5023888391", "author"), ("S137773608", "source"),
    ("I27837315", "institution"),
    ("T10841", "topic"), ("C41008148", "concept"), ("F4320307875", "funder"), ("P4310320503", "publisher"),
    ("https://openalex.org/G123", "award"), ("v12", "source"),
])
def test_openalex_entity(value: str, entity: str) -> None:
    assert ids.openalex_entity(value) == entity


def test_openalex_entity_rejects_other_ids() -> None:
    with pytest.raises(IdError):
        ids.openalex_entity("10.1145/3383583.3398584")


def test_is_work_id_and_scheme_lists() -> None:
    assert ids.is_work_id(("openalex", "W1")) and not ids.is_work_id(("openalex", "A1"))
    assert ids.is_work_id(("omid", "br/06101801781")) and not ids.is_work_id(("omid", "ra/0610116009"))
    assert ids.is_work_id(PEERJ) and not ids.is_work_id(("orcid", "0000-0002-1825-0097"))
    assert set(ids.WORK_SCHEMES) < set(ids.ALL_SCHEMES) == set(ids.SCHEME_NAMES)
    assert len(set(ids.ALL_SCHEMES)) == len(ids.ALL_SCHEMES) == 17


def test_arxiv_from_doi() -> None:
    assert ids.arxiv_from_doi("10.48550/arXiv.2402.13372") == "2402.13372"
    assert ids.arxiv_from_doi("https://doi.org/10.48550/arxiv.2007.14454") == "2007.14454"
    assert ids.arxiv_from_doi("10.7717/peerj.4375") is None


# --- properties ------------------------------------------------------------------------------------


def _completed(scheme: str, stem: str, checks: Iterable[str]) -> str:
    """``stem`` completed with the one check character of ``checks`` that ``scheme`` accepts."""
    valid = []
    for check in checks:
        with contextlib.suppress(IdError):
            valid.append(normalize(scheme, stem + check))
    assert len(valid) == 1, (stem, valid)  # exactly one check character fits: the checksum works
    return valid[0]


_digits = st.integers(min_value=0, max_value=10**15).map(str)
_DOI_SUFFIX_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-._;()/:<>[]#?+*'\u2010\u00e9\u00fc"
_crockford = st.sampled_from("0123456789abcdefghjkmnpqrstvwxyz")

CANONICAL: dict[str, st.SearchStrategy[str]] = {
    "doi": st.builds(
        lambda p, sub, s: f"10.{p}{sub}/{s}",
        st.from_regex(r"[0-9]{4,9}", fullmatch=True),
        st.sampled_from(["", ".10", ".1"]),
        st.text(_DOI_SUFFIX_CHARS, min_size=1, max_size=30),
    ),
    "openalex": st.builds(lambda c, n: f"{c}{n}", st.sampled_from("WASITCFPGV"),
                          st.integers(1, 10**12)),
    "mag": _digits,
    "pmid": _digits,
    "corpusid": _digits,
    "pmcid": st.integers(0, 10**9).map(lambda n: f"PMC{n}"),
    "arxiv": st.one_of(
        st.from_regex(r"(0[7-9]|1[0-4])(0[1-9]|1[0-2])\.[0-9]{4}", fullmatch=True),
        st.from_regex(r"(1[5-9]|2[0-9])(0[1-9]|1[0-2])\.[0-9]{5}", fullmatch=True),
        st.from_regex(r"(hep-th|math|cond-mat|astro-ph|q-bio|cs)/(9[1-9]|0[0-6])(0[1-9]|1[0-2])[0-9]{3}",
                      fullmatch=True),
    ),
    "s2": st.from_regex(r"[0-9a-f]{40}", fullmatch=True),
    "s2ref": st.from_regex(r"[0-9a-f]{40}", fullmatch=True),
    "acl": st.one_of(st.from_regex(r"[A-Z][0-9]{2}-[0-9]{4}", fullmatch=True),
                     st.from_regex(r"20[0-9]{2}\.[a-z]{2,8}(-[a-z0-9]{1,5})?\.[1-9][0-9]{0,3}",
                                   fullmatch=True)),
    "dblp": st.from_regex(r"(conf|journals|books)/[a-z][a-z0-9-]{0,8}/[A-Za-z0-9][A-Za-z0-9_-]{0,15}",
                          fullmatch=True),
    "omid": st.from_regex(r"(br|ra|re|id|ar)/06[1-9]{0,3}0[1-9][0-9]{0,10}", fullmatch=True),
    "orcid": st.from_regex(r"[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}", fullmatch=True).map(
        lambda stem: _completed("orcid", stem, "0123456789X")),
    "issn": st.from_regex(r"[0-9]{4}-[0-9]{3}", fullmatch=True).map(
        lambda stem: _completed("issn", stem, "0123456789X")),
    "ror": st.builds(lambda cs: "0" + "".join(cs), st.lists(_crockford, min_size=6, max_size=6)).map(
        lambda stem: _completed("ror", stem, [f"{n:02d}" for n in range(100)])),
    "isbn": st.from_regex(r"97[89][0-9]{9}", fullmatch=True).map(
        lambda stem: _completed("isbn", stem, "0123456789")),
    "wikidata": st.integers(1, 10**9).map(lambda n: f"Q{n}"),
}


def test_every_scheme_has_a_generator() -> None:
    assert set(CANONICAL) == set(ids.ALL_SCHEMES)


_pairs = st.sampled_from(sorted(CANONICAL)).flatmap(lambda s: CANONICAL[s].map(lambda v: (s, v)))


@settings(max_examples=250, deadline=None)
@given(_pairs)
def test_every_printed_form_parses_back(pair: tuple[str, str]) -> None:
    scheme, value = pair
    assert normalize(scheme, value) == value  # generated values are canonical
    printed = 0
    for form in ids.FORMS:
        try:
            text = format_id(pair, form)
        except IdError:
            continue
        printed += 1
        assert parse_id(text, default=scheme) == pair, (form, text)
        assert normalize(scheme, text) == value, (form, text)
    # at least the canonical form and one service's form; an entry S2 listed unlinked has no form of a service's
    assert printed >= (1 if scheme == ids.S2REF else 2)


@settings(max_examples=100, deadline=None)
@given(_pairs, st.sampled_from(["", " ", "\t", "\n "]))
def test_case_and_surrounding_space_do_not_matter(pair: tuple[str, str], space: str) -> None:
    scheme, value = pair
    text = format_id(pair, "canonical")
    assert parse_id(space + text + space) == pair
    if scheme != "dblp":  # DBLP keys are case-sensitive; every other value folds to one case
        assert parse_id(space + text.upper() + space) == pair
        assert parse_id(text.lower()) == pair


_id_like = st.one_of(
    st.text(),
    st.builds(lambda p, t: p + t,
              st.sampled_from(["doi:", "10.1234/", "https://doi.org/", "W", "PMC", "https://openalex.org/",
                               "omid:br/06", "arxiv:", "URL:https://", "https://api.openalex.org/works/",
                               "orcid:0000-", "%", "urn:", "info:doi/", "corpusid:", "isbn:978"]),
              st.text()),
    st.from_regex(r"[0-9A-Za-z./:%-]{1,40}", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(_id_like)
def test_parse_id_raises_only_iderror_and_its_results_are_canonical(text: str) -> None:
    try:
        pair = parse_id(text)
    except IdError:
        return
    scheme, value = pair
    assert scheme in ids.ALL_SCHEMES
    assert normalize(scheme, value) == value
    assert parse_id(format_id(pair, "canonical")) == pair


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ids.ALL_SCHEMES), _id_like)
def test_normalize_is_idempotent(scheme: str, text: str) -> None:
    try:
        value = normalize(scheme, text)
    except IdError:
        return
    assert normalize(scheme, value) == value
