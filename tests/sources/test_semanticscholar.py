"""The Semantic Scholar source: API answers and Datasets dumps read as papers and as citations.

Real records throughout (tests/data/semanticscholar, see tests/data/PROVENANCE.md): the Turing 1950 paper with its
embedded lists, recorded citation/reference page walks, batch and search answers, and Datasets lines crafted
from those records. Damaged variants are built here from them. Also: records merged (``merge_records``), embedded
papers kept as records of their own (``Mapped.nested``), and Datasets ``abstracts`` lines.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from citegraph.model import AssertedCitation, Id
from citegraph.sources import Mapped, RecordError
from citegraph.sources import semanticscholar as s2

DATA = Path(__file__).resolve().parent.parent / "data"
S2 = DATA / "semanticscholar"
TURING_SHA = "2d5673caa9e6af3a7b82a43f19ee920992db07ad"
TURING = (("s2", TURING_SHA), ("corpusid", "14636783"), ("dblp", "journals/x/Turing50"), ("mag", "2145482038"),
          ("doi", "10.1093/mind/lix.236.433"))
CITATION_PAGES = "citations_CorpusID_14514057.jsonl"
REFERENCE_PAGES = "references_10.2139_ssrn.2250500.jsonl"


def _read(name: str) -> bytes:
    data = (S2 / name).read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _records(data: bytes, start: int = 0) -> list[tuple[int, bytes]]:
    return list(s2.iter_raw(io.BytesIO(data), start=start))


class _Rows:
    """Every chunk of a citation file read into one list each."""

    def __init__(self, data: bytes, start: int = 0) -> None:
        self.chunks = list(s2.iter_citations(io.BytesIO(data), start=start))
        self.citations: list[AssertedCitation] = [c for ch in self.chunks for c in ch.citations]
        self.positions: list[int] = [p for ch in self.chunks for p in ch.positions]
        self.rejects: list[tuple[int, str, str]] = [r for ch in self.chunks for r in ch.rejects]
        self.next_position = self.chunks[-1].next_position if self.chunks else start


def _turing() -> Mapped:
    ((position, raw),) = _records(_read("Paper.json.gz"))
    assert position == 0
    return s2.map_record(raw)


def _page(items: list[Any], **top: Any) -> bytes:
    return json.dumps({"offset": 0, "data": items, **top}).encode()


def _item(name: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(_read(name))
    return out


# --- telling files apart ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), [
    ("Paper.json.gz", "records"), ("PaperWithNullValues.json", "records"), ("batch_authors.json", "records"),
    ("batch_not_found.json", "records"), ("search_turing.json", "records"), ("bulk_kubernetes.json", "records"),
    ("datasets_papers.jsonl", "records"), ("datasets_abstracts.jsonl", "records"), (CITATION_PAGES, "citations"),
    (REFERENCE_PAGES, "citations"),
    ("datasets_citations.jsonl", "citations"), ("Citation.json", "citations"), ("Reference.json", "citations"),
])
def test_every_s2_file_is_recognised_with_its_kind(name: str, kind: str) -> None:
    head = _read(name)[:64 * 1024]
    assert s2.sniff(head)
    assert s2.file_kind(head) == kind
    if not name[0].isupper() or name.startswith("Paper"):  # (a lone entry names its paper after its contexts)
        assert s2.file_kind(head[:300]) == kind  # cut mid-record, as the loader's head may be


@pytest.mark.parametrize("path", [
    "openalex/W-api-response.json", "openalex/W2741809807.json", "openalex/results_page_1.json",
    "openalex/works.jsonl.gz", "openalex/snapshot_works_part_test.jsonl.gz", "crossref/1item.json.gz",
    "crossref/crossref-2025.jsonl.gz", "crossref/crossref_dump.json", "crossref/works.jsonl.gz",
    "opencitations/citations_sample.csv", "opencitations/articles_sample.csv",
    "opencitations/coci_v1_metadata_from_api.jsonl", "semanticscholar/citations_CorpusID_14514057_expected.json",
])
def test_other_sources_files_are_not_s2(path: str) -> None:
    data = (DATA / path).read_bytes()
    head = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)[:64 * 1024]
    assert not s2.sniff(head)
    assert s2.file_kind(head) is None


def test_pretty_printed_answers_are_recognised() -> None:
    paper = json.loads(_read("Paper.json.gz"))
    del paper["citations"]
    assert s2.file_kind(json.dumps(paper, indent=2).encode()[:2000]) == "records"
    pages = _read(CITATION_PAGES).splitlines()
    assert s2.file_kind(json.dumps(json.loads(pages[0]), indent=2).encode()) == "citations"
    assert s2.file_kind(json.dumps(json.loads(_read("batch_not_found.json")), indent=4).encode()) == "records"


# --- mapping papers ----------------------------------------------------------------------------------------


def test_turing_paper_maps_to_the_1950_work() -> None:
    m = _turing()
    w = m.work
    assert w.source == "s2"
    assert [(i.scheme, i.value) for i in w.ids] == list(TURING)  # paperId first, the DOI lower-cased
    assert w.title == "Computing Machinery and Intelligence"
    assert (w.publication_date, w.publication_year) == ("1950-10-01", 1950)
    assert (w.type, w.type_source) == ("review", "JournalArticle,Review")
    assert w.abstract is not None and w.abstract.startswith("I propose to consider the question")
    assert m.has_abstract is True
    assert [(a.name, a.ids, a.position) for a in w.authors] == [("A. Turing", [Id("s2author", "2262347")], "first")]
    assert w.venue is not None and w.venue.name == "The Philosophy of Artificial Intelligence" and not w.venue.ids
    assert w.container_titles == ["Mind"]
    assert (w.biblio.volume, w.biblio.first_page, w.biblio.last_page) == ("LIX", "433", "460")
    assert [(c.name, c.kind) for c in w.concepts] == [("Computer Science", "field_of_study"),
                                                       ("Sociology", "field_of_study")]
    assert (w.is_oa, w.oa_url) == (False, None)
    up = w.upstream
    assert (up.cited_by_count, up.referenced_works_count, up.influential_citation_count) == (10059, 14, 530)
    assert w.references == [] and m.issues == []


def test_turing_embedded_lists_become_citations_with_their_places() -> None:
    m = _turing()
    original = json.loads(_read("Paper.json.gz"))
    stored = json.loads(m.raw)
    assert "citations" not in stored and "references" not in stored
    assert stored == {k: v for k, v in original.items() if k not in ("citations", "references")}
    refs = [c for c in m.citations if c.citing_pos is not None]
    cites = [c for c in m.citations if c.cited_pos is not None]
    assert len(refs) == 14 and len(cites) == 1000 and len(m.citations) == 1014
    assert [c.citing_pos for c in refs] == list(range(14))
    assert [c.cited_pos for c in cites] == list(range(1000))
    assert all(c.citing == TURING for c in refs) and all(c.cited == TURING for c in cites)
    assert refs[0].cited == (("s2", "348f436fd9a3965f5ff17db031a9f43426f89b8e"), ("corpusid", "58879058"),
                             ("mag", "1490170747"), ("doi", "10.2307/3610576"))
    assert refs[0].cited_title == "Calculating Instruments and Machines" and refs[0].citing_title is None
    unlinked = [(c.citing_pos, c.cited, c.cited_title) for c in refs if c.cited[0][0] == "s2ref"]
    assert [pos for pos, _, _ in unlinked] == [5, 8, 9, 10, 11, 12]
    for _, cited, title in unlinked:
        assert title is not None
        assert cited == (("s2ref", hashlib.sha1(title.strip().lower().encode()).hexdigest()),)
    first = original["citations"][0]
    assert cites[0].citing == (("s2", first["paperId"]), ("corpusid", str(first["corpusId"])),
                               ("doi", first["externalIds"]["DOI"]))
    assert cites[0].citing_title == first["title"]


def test_null_lists_are_dropped_from_the_stored_record() -> None:
    ((_, raw),) = _records(_read("PaperWithNullValues.json"))
    m = s2.map_record(raw)
    assert json.loads(m.raw) == {"paperId": TURING_SHA, "authors": None}
    assert [(i.scheme, i.value) for i in m.work.ids] == [("s2", TURING_SHA)]
    assert m.citations == [] and m.work.authors == []


def test_a_paper_with_a_venue_and_open_access() -> None:
    raw = json.dumps(_item("Citation.json")["citingPaper"]).encode()
    w = s2.map_record(raw).work
    assert w.venue is not None
    assert w.venue.name == "IEEE Robotics and Automation Letters"
    assert w.venue.ids == [Id("s2venue", "93c335b7-edf4-45f5-8ddc-7c5835154945"), Id("issn", "2377-3766")]
    assert w.venue.type is None  # this publicationVenue has no type
    conference = s2.map_record(json.dumps(_item("Reference.json")["citedPaper"]).encode()).work
    assert conference.venue is not None and conference.venue.type == "conference"
    assert (conference.type, conference.type_source) == ("article", "JournalArticle,Conference")
    assert (conference.biblio.first_page, conference.biblio.last_page) == ("1791", "1799")
    assert [(i.scheme, i.value) for i in conference.ids][-1] == ("arxiv", "1402.0030")
    oa = s2.map_record(json.dumps(json.loads(_read("Paper.json.gz"))["citations"][0]).encode()).work
    assert (oa.is_oa, oa.oa_url) == (True, "https://ieeexplore.ieee.org/ielx7/6570654/10539265/10539310.pdf")
    assert oa.venue is not None and oa.venue.type == "journal" and Id("issn", "2329-9266") in oa.venue.ids


def test_whitespace_in_pages_and_types_outside_the_table() -> None:
    editorial = json.loads(_read("Paper.json.gz"))["citations"][25]  # journal.pages "\n   487-488\n  "
    w = s2.map_record(json.dumps(editorial).encode()).work
    assert (w.biblio.volume, w.biblio.first_page, w.biblio.last_page) == ("92 5", "487", "488")
    assert (w.type, w.type_source) == ("editorial", "JournalArticle,Editorial")
    other = s2.map_record(json.dumps({"paperId": TURING_SHA, "publicationTypes": ["CaseReport"]}).encode()).work
    assert (other.type, other.type_source) == ("article", "CaseReport")


def test_batch_answers_keep_positions_and_skip_unknown_ids() -> None:
    found = _records(_read("batch_not_found.json"))
    requests = json.loads(_read("batch_requests.json"))["batch_not_found.json"]["ids"]
    assert len(requests) == 4 and [p for p, _ in found] == [1, 2, 3]  # null for CorpusId:211530585
    ids_ = [s2.map_record(raw).work.ids for _, raw in found]
    assert Id("corpusid", "470667") in ids_[0] and Id("doi", "10.2139/ssrn.2250500") in ids_[1]
    assert ids_[2][0] == Id("s2", "0f40b1f08821e22e859c6050916cec3667778613")
    authors = [s2.map_record(r).work.authors for _, r in _records(_read("batch_authors.json"))]
    assert [len(a) for a in authors] == [3, 4, 3]
    assert [(a.name, a.ids, a.position) for a in authors[0]] == [
        ("Marianne Bertrand", [Id("s2author", "81141608")], "first"),
        ("E. Duflo", [Id("s2author", "2259683")], "middle"),
        ("S. Mullainathan", [Id("s2author", "2062143")], "last")]


@pytest.mark.parametrize(("name", "count"), [("search_turing.json", 100), ("bulk_kubernetes.json", 1000)])
def test_search_pages_yield_their_papers(name: str, count: int) -> None:
    page = json.loads(_read(name))
    got = _records(_read(name))
    assert [p for p, _ in got] == list(range(count))
    assert [s2.map_record(r).work.ids[0] for _, r in got] == [Id("s2", d["paperId"]) for d in page["data"]]
    assert s2.map_record(got[0][1]).work.title == page["data"][0]["title"]


# --- Datasets papers --------------------------------------------------------------------------------------


def test_datasets_papers_are_stored_in_the_api_shape() -> None:
    lines = _read("datasets_papers.jsonl").splitlines()
    got = _records(_read("datasets_papers.jsonl"))
    assert [p for p, _ in got] == [0, 1, 2, 3, 4]
    mapped = [s2.map_record(raw) for _, raw in got]
    turing = mapped[0]
    stored = json.loads(turing.raw)
    assert list(stored) == ["paperId", "externalIds", "corpusId", "publicationVenue", "url", "title", "venue", "year",
                            "referenceCount", "citationCount", "influentialCitationCount", "isOpenAccess",
                            "s2FieldsOfStudy", "publicationTypes", "publicationDate", "journal", "authors"]
    assert stored["externalIds"] == {"DBLP": "journals/x/Turing50", "MAG": "2145482038", "CorpusId": 14636783,
                                     "DOI": "10.1093/MIND/LIX.236.433"}
    assert stored["publicationVenue"] is None and stored["corpusId"] == 14636783
    api = _turing().work
    w = turing.work
    assert w.ids == api.ids and w.title == api.title and w.type == api.type and w.upstream == api.upstream
    assert (w.publication_date, w.biblio, w.concepts, w.authors) == (api.publication_date, api.biblio,
                                                                     api.concepts, api.authors)
    line = json.loads(lines[1])
    venue = json.loads(mapped[1].raw)["publicationVenue"]
    assert venue == {"id": line["publicationvenueid"]}
    assert mapped[1].work.venue is not None and mapped[1].work.venue.ids == [Id("s2venue", venue["id"])]
    assert Id("arxiv", "2405.19561") in mapped[2].work.ids
    pmc = mapped[3].work.ids
    assert Id("pmcid", "PMC11130558") in pmc and Id("pmid", "38807956") in pmc


def test_a_datasets_line_without_url_is_named_by_its_corpus_id() -> None:
    line = json.loads(_read("datasets_papers.jsonl").splitlines()[3])
    del line["url"]
    line["externalids"]["CorpusId"] = None
    line["authors"] = [{"authorid": "1", "name": "X"}]
    line["updated"] = "2022-01-27T02:09:51.713Z"
    m = s2.map_record(json.dumps(line).encode())
    assert m.work.ids[0] == Id("corpusid", str(line["corpusid"]))
    stored = json.loads(m.raw)
    assert "paperId" not in stored and stored["externalIds"]["CorpusId"] == line["corpusid"]
    assert stored["authors"] == [{"authorId": "1", "name": "X"}] and "updated" not in stored
    assert m.version == m.work.version == "2022-01-27T02:09:51.713Z"


# --- citation pages -----------------------------------------------------------------------------------------


def test_citation_page_walk_yields_every_citer_in_order() -> None:
    expected = json.loads(_read("citations_CorpusID_14514057_expected.json"))
    rows = _Rows(_read(CITATION_PAGES))
    assert not rows.rejects and len(rows.citations) == 1881
    assert rows.positions == list(range(1881)) and rows.next_position == 1881
    assert [c.cited_pos for c in rows.citations] == list(range(1881))
    assert all(c.cited == (("corpusid", "14514057"),) and c.citing_pos is None for c in rows.citations)
    listed = [pid for page in expected["pages"] for pid in page["paperIds"]]
    assert [c.citing[0][1] if c.citing[0][0] == "s2" else None for c in rows.citations] == listed
    unlinked = [c for c in rows.citations if c.citing[0][0] == "s2ref"]
    assert len(unlinked) == 8 and listed.count(None) == 8
    for c in unlinked:
        assert c.citing_title
        assert c.citing == (("s2ref", hashlib.sha1(c.citing_title.strip().lower().encode()).hexdigest()),)
    assert [p["offset"] for p in expected["pages"]] == list(range(0, 1900, 100))
    assert expected["pages"][-1]["next"] is None and len(expected["pages"][-1]["paperIds"]) == 81


def test_reference_pages_name_the_page_paper_as_citing() -> None:
    expected = json.loads(_read("references_10.2139_ssrn.2250500_expected.json"))
    rows = _Rows(_read(REFERENCE_PAGES))
    assert not rows.rejects and len(rows.citations) == 67
    assert all(c.citing == (("doi", "10.2139/ssrn.2250500"),) for c in rows.citations)
    assert [c.citing_pos for c in rows.citations] == list(range(67))
    listed = [pid for page in expected["pages"] for pid in page["paperIds"]]
    assert [c.cited[0][1] if c.cited[0][0] == "s2" else None for c in rows.citations] == listed
    assert sum(1 for c in rows.citations if c.cited[0][0] == "s2") == 44
    assert all(c.cited_title for c in rows.citations)


def test_page_entries_keep_what_s2_said_of_each_citation() -> None:
    citation, reference = _item("Citation.json"), _item("Reference.json")
    rows = _Rows(_page([citation], paper="DOI:10.1109/LRA.2020.2985387", offset=40) + b"\n"
                 + _page([reference], paper="CorpusId:1981188"))
    first, second = rows.citations
    assert first.citing[0] == ("s2", "bdcbc589c8d1e4dd0c6572630f8511557406ad2f")
    assert first.cited == (("doi", "10.1109/lra.2020.2985387"),)
    assert (first.cited_pos, first.is_influential) == (40, True)
    assert first.citing_title == "Learning to Throw With a Handful of Samples Using Decision Transformers"
    assert first.extras is not None
    assert json.loads(first.extras) == {k: citation[k] for k in ("contexts", "intents", "contextsWithIntent")}
    assert list(json.loads(first.extras)) == ["contexts", "intents", "contextsWithIntent"]
    assert second.citing == (("corpusid", "1981188"),) and second.citing_pos == 0
    assert second.cited[:2] == (("s2", "331f0fb3b6176c6e463e0401025b04f6ace9ccd3"), ("corpusid", "1981188"))
    assert second.is_influential is False and second.extras is not None
    assert json.loads(second.extras)["intents"] == ["background"]
    assert rows.positions == [0, 1]


@pytest.mark.parametrize(("paper", "end"), [
    ("CorpusID:14514057", ("corpusid", "14514057")), ("corpusid:14514057", ("corpusid", "14514057")),
    ("14514057", ("corpusid", "14514057")), (14514057, ("corpusid", "14514057")),
    ("DOI:10.2139/SSRN.2250500", ("doi", "10.2139/ssrn.2250500")),
    ("10.2139/ssrn.2250500", ("doi", "10.2139/ssrn.2250500")),
    (TURING_SHA.upper(), ("s2", TURING_SHA)), ("ARXIV:1402.0030", ("arxiv", "1402.0030")),
    ("PMID:18153422", ("pmid", "18153422")), ("MAG:2145482038", ("mag", "2145482038")),
    (f"URL:https://www.semanticscholar.org/paper/{TURING_SHA}", ("s2", TURING_SHA)),
])
def test_the_page_paper_takes_every_s2_id_form(paper: Any, end: tuple[str, str]) -> None:
    rows = _Rows(_page([{"citingPaper": {"paperId": TURING_SHA}}], paper=paper))
    assert [c.cited for c in rows.citations] == [(end,)]


@pytest.mark.parametrize(("page", "reason"), [
    (_page([{"citingPaper": {"paperId": TURING_SHA}}] * 2), 'add "paper"'),
    (_page([{"citingPaper": {"paperId": TURING_SHA}}] * 2, paper="issn:2377-3766"), "does not name a paper"),
    (_page([{"citingPaper": {"paperId": TURING_SHA}}] * 2, paper="not an id"), '"paper":'),
    (_page([{"citingPaper": {"paperId": TURING_SHA}}] * 2, paper=["x"]), "is not an id"),
    (_page([{"citingPaper": {"paperId": TURING_SHA}}] * 2, paper="CorpusID:1", offset=-5), "not a list offset"),
    (_page([{"citingPaper": {"paperId": TURING_SHA}}] * 2, paper="CorpusID:1", offset="10"), "not a list offset"),
])
def test_every_entry_of_an_unusable_page_is_rejected(page: bytes, reason: str) -> None:
    rows = _Rows(page + b"\n" + _page([{"citedPaper": {"paperId": TURING_SHA}}], paper="CorpusID:1"))
    assert [r[0] for r in rows.rejects] == [0, 1]
    assert all(reason in r[1] for r in rows.rejects)
    assert rows.rejects[0][2].startswith('{"citingPaper"')
    assert rows.positions == [2] and rows.citations[0].citing == (("corpusid", "1"),)


@pytest.mark.parametrize(("entry", "reason"), [
    ({"citingPaper": {"paperId": None}}, "no usable id and no title"),
    ({"citingPaper": {"paperId": "nothex", "title": ""}}, "unusable s2 id"),
    ({"citingPaper": None}, "citingPaper is null"),
    ({"contexts": []}, "neither citingPaper nor citedPaper"),
    ({"citingPaper": {"paperId": TURING_SHA}, "citedPaper": {"paperId": TURING_SHA}}, "both"),
    ({"citingPaper": "x"}, "unexpected value type"),
    ({"citingPaper": {"paperId": TURING_SHA}, "contexts": "x"}, "unexpected value type"),
    ({"citingPaper": {"paperId": TURING_SHA}, "isInfluential": "yes"}, "unexpected value type"),
    ("a string", "unexpected value type"),
])
def test_unusable_page_entries_are_rejected_with_their_reason(entry: Any, reason: str) -> None:
    good = {"citingPaper": {"paperId": TURING_SHA}}
    rows = _Rows(_page([good, entry, good], paper="CorpusID:1"))
    assert [r[0] for r in rows.rejects] == [1] and reason in rows.rejects[0][1]
    assert rows.positions == [0, 2] and [c.cited_pos for c in rows.citations] == [0, 2]


def test_lines_that_are_no_page_are_rejected_and_counted() -> None:
    page = _page([{"citingPaper": {"paperId": TURING_SHA}}], paper="CorpusID:1")
    rows = _Rows(page + b"\n\n{not json\n" + b'{"data": 5}\n' + b'{"offset": 0}\n'
                 + json.dumps(_item("Citation.json")).encode() + b"\n" + page)
    assert [(p, r.split(":")[0]) for p, r, _ in rows.rejects] == [
        (1, "not a citation page"), (2, "not a citation page"), (3, "a page without a data list"),
        (4, "a citation entry outside a page")]
    assert rows.positions == [0, 5]


def test_a_pretty_printed_page_is_one_document() -> None:
    rows = _Rows(json.dumps(json.loads(_read(REFERENCE_PAGES).splitlines()[1]), indent=2).encode())
    assert len(rows.citations) == 17 and [c.citing_pos for c in rows.citations] == list(range(50, 67))


# --- Datasets citations -------------------------------------------------------------------------------------


def test_datasets_citation_lines() -> None:
    rows = _Rows(_read("datasets_citations.jsonl"))
    assert rows.positions == [0, 1, 2, 3, 4, 5, 6, 7, 8, 10] and rows.next_position == 12
    assert [(p, r) for p, r, _ in rows.rejects] == [
        (9, "citedcorpusid is null: S2 could not link the cited paper"),
        (11, "invalid JSON: Input data was truncated")]
    assert rows.rejects[0][2].startswith('{"citationid":9000000010')
    first = rows.citations[0]
    assert (first.citing, first.cited) == ((("corpusid", "270079115"),), (("corpusid", "14636783"),))
    assert first.is_influential is True and first.citing_pos is None and first.cited_pos is None
    citation = _item("Citation.json")
    assert first.extras is not None
    assert json.loads(first.extras) == {
        "contexts": [c["context"] for c in citation["contextsWithIntent"]],
        "intents": ["methodology", "result", "background"],  # flattened, in order, each once
        "contextsWithIntent": citation["contextsWithIntent"]}
    assert rows.citations[1].extras is None and rows.citations[1].is_influential is False
    old = rows.citations[-1]  # the 2022 shape: ids as strings, one flat intents list
    assert (old.citing, old.cited) == ((("corpusid", "268757493"),), (("corpusid", "14636783"),))
    assert old.extras is not None
    assert json.loads(old.extras) == {"contexts": citation["contexts"][:2], "intents": ["methodology"]}


@pytest.mark.parametrize(("line", "reason"), [
    (b'{"citingcorpusid": 1}', "citedcorpusid is null"),
    (b'{"citedcorpusid": 1}', "citingcorpusid is missing"),
    (b'{"citingcorpusid": "abc", "citedcorpusid": 2}', "citingcorpusid 'abc' is not a CorpusId"),
    (b'{"citingcorpusid": 1, "citedcorpusid": -2}', "citedcorpusid -2 is not a CorpusId"),
    (b'{"citingcorpusid": 1, "citedcorpusid": 123456789012345678901234567890}', "is not a CorpusId"),
    (b'{"citingcorpusid": 1, "citedcorpusid": 2, "contexts": "x"}', "unexpected value type"),
    (b'{"citingcorpusid": 1, "citedcorpusid": 2, "intents": 5}', "unexpected value type"),
    (b'{"citingcorpusid": 1, "citedcorpusid": 2, "isinfluential": "yes"}', "unexpected value type"),
    (b'{"citingcorpusid": 1.5, "citedcorpusid": 2}', "unexpected value type"),
    (b"[1, 2]", "unexpected value type"),
    (b"\xff\xfe", "invalid JSON"),
])
def test_unusable_datasets_lines_are_rejected(line: bytes, reason: str) -> None:
    good = b'{"citationid":1,"citingcorpusid":1,"citedcorpusid":2,"isinfluential":false}'
    rows = _Rows(good + b"\n" + line + b"\n" + good + b"\n")
    assert [r[0] for r in rows.rejects] == [1] and reason in rows.rejects[0][1]
    assert rows.positions == [0, 2]


def test_datasets_intents_pair_with_contexts_only_when_given_per_context() -> None:
    line = {"citingcorpusid": 1, "citedcorpusid": 2, "contexts": ["a", "b"], "intents": [["x", "y"], None]}
    rows = _Rows(json.dumps(line).encode())
    assert rows.citations[0].extras is not None
    assert json.loads(rows.citations[0].extras) == {
        "contexts": ["a", "b"], "intents": ["x", "y"],
        "contextsWithIntent": [{"context": "a", "intents": ["x", "y"]}, {"context": "b", "intents": []}]}
    line["intents"] = [["x"]]  # not one list per context: nothing to pair
    extras = _Rows(json.dumps(line).encode()).citations[0].extras
    assert extras is not None and json.loads(extras) == {"contexts": ["a", "b"], "intents": ["x"]}


# --- resuming and chunks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [CITATION_PAGES, REFERENCE_PAGES, "datasets_citations.jsonl"])
@pytest.mark.parametrize("start", [0, 1, 9, 10, 50, 101, 1880, 5000])
def test_a_resumed_citation_read_gives_exactly_the_rows_from_there(name: str, start: int) -> None:
    data = _read(name)
    whole = _Rows(data)
    rows = _Rows(data, start)
    keep = [i for i, p in enumerate(whole.positions) if p >= start]
    assert rows.positions == [whole.positions[i] for i in keep]
    assert rows.citations == [whole.citations[i] for i in keep]
    assert rows.rejects == [r for r in whole.rejects if r[0] >= start]


@pytest.mark.parametrize("name", ["Paper.json.gz", "batch_not_found.json", "search_turing.json",
                                  "bulk_kubernetes.json", "datasets_papers.jsonl"])
@pytest.mark.parametrize("start", [0, 1, 2, 3, 99, 999, 1000])
def test_a_resumed_record_read_gives_exactly_the_records_from_there(name: str, start: int) -> None:
    data = _read(name)
    assert _records(data, start) == [(p, r) for p, r in _records(data) if p >= start]


def test_chunks_are_bounded_and_say_where_to_resume(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s2, "CHUNK_ROWS", 400)
    data = _read(CITATION_PAGES)
    chunks = list(s2.iter_citations(io.BytesIO(data)))
    assert [len(c) for c in chunks] == [400, 400, 400, 400, 281]
    assert [c.next_position for c in chunks] == [400, 800, 1200, 1600, 1881]
    assert all(c.columns is None and c.header is None for c in chunks)
    assert all(c.all_positions() == c.positions and c.all_citations() == c.citations for c in chunks)
    resumed = list(s2.iter_citations(io.BytesIO(data), start=chunks[1].next_position))
    assert [c.positions[0] for c in resumed] == [800, 1200, 1600]
    assert [c for ch in resumed for c in ch.citations] == [c for ch in chunks[2:] for c in ch.citations]


def test_an_empty_or_blank_file_has_no_rows() -> None:
    assert list(s2.iter_citations(io.BytesIO(b""))) == []
    assert list(s2.iter_citations(io.BytesIO(b"\n\n  \n"))) == []
    assert _records(b"") == [] and _records(b"\n \n") == []


# --- reading record files -------------------------------------------------------------------------------------


def test_json_lines_keep_line_numbers_and_malformed_lines_do_not_stop_the_file() -> None:
    lines = _read("datasets_papers.jsonl").splitlines()
    data = b"\xef\xbb\xbf" + lines[0] + b"\n\n" + lines[1][:40] + b"\n" + lines[2] + b"\n\n" + lines[3] + b"\n"
    got = _records(data)
    assert [p for p, _ in got] == [0, 2, 3, 5]
    with pytest.raises(RecordError, match="invalid JSON"):
        s2.map_record(got[1][1])
    assert [s2.map_record(r).work.ids[1].value for p, r in got if p != 2] == [
        json.loads(lines[i])["externalids"]["CorpusId"] for i in (0, 2, 3)]
    broken_first = lines[0][:30] + b"\n" + lines[1] + b"\n"  # JSON Lines whose first line is damaged
    assert [p for p, _ in _records(broken_first)] == [0, 1]


def test_pages_on_lines_are_numbered_across_pages() -> None:
    search = json.loads(_read("search_turing.json"))
    first = json.dumps({**search, "data": search["data"][:3]}).encode()
    second = json.dumps({**search, "offset": 3, "data": search["data"][3:5]}).encode()
    got = _records(first + b"\n\n" + second + b"\n")
    assert [p for p, _ in got] == [0, 1, 2, 3, 4]
    batch = _read("batch_not_found.json").strip()
    assert [p for p, _ in _records(batch + b"\n" + batch + b"\n")] == [1, 2, 3, 5, 6, 7]


def test_pretty_printed_documents_are_compacted_when_stored() -> None:
    batch = json.loads(_read("batch_not_found.json"))
    got = _records(json.dumps(batch, indent=2).encode())
    assert [p for p, _ in got] == [1, 2, 3]
    stored = s2.map_record(got[0][1]).raw
    assert b"\n" not in stored and json.loads(stored) == batch[1]


def test_a_damaged_document_still_yields_its_good_items() -> None:
    search = _read("search_turing.json")
    cut = search[:search.index(b'"paperId"', 3000) + 30]  # ends inside an item
    got = _records(cut)
    good = [p for p, r in got if _maps(r)]
    assert good == list(range(len(got) - 1)) and len(got) > 10
    batch = _read("batch_not_found.json")
    got = _records(batch[:-200])
    assert [p for p, _ in got] == [1, 2, 3] and [_maps(r) for _, r in got] == [True, True, False]
    ((position, raw),) = _records(_read("Paper.json.gz")[:5000])
    assert position == 0 and not _maps(raw)


def _maps(raw: bytes) -> bool:
    try:
        s2.map_record(raw)
    except RecordError:
        return False
    return True


# --- bad records ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "invalid JSON"), (b"not json", "invalid JSON"), (b'{"paperId": "2d56', "invalid JSON"),
    (b"[1, 2]", "not a JSON object"), (b'"x"', "not a JSON object"), (b"null", "not a JSON object"),
    (b"{}", "names no paper"), (b'{"paperId": null, "title": "T"}', "names no paper"),
    (b'{"paperId": "nothex"}', "unusable s2 id"), (b'{"paperId": 5, "externalIds": [1]}', "names no paper"),
    (b'{"paperId": "' + TURING_SHA.encode() + b'", "year": "1950"}', "unexpected value type"),
    (b'{"paperId": "' + TURING_SHA.encode() + b'", "year": 1e400}', "unexpected value type"),
    (b'{"paperId": "' + TURING_SHA.encode() + b'", "citations": "x"}', "unexpected value type"),
    (b'{"paperId": "' + TURING_SHA.encode() + b'", "authors": [{"name": 5}]}', "unexpected value type"),
    (b'{"corpusid": "x", "externalids": {"DOI": "nope"}}', "names no paper"),
])
def test_unusable_records_raise_record_error(raw: bytes, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        s2.map_record(raw)


def test_bad_secondary_values_are_noted_not_fatal() -> None:
    record = {"paperId": TURING_SHA, "corpusId": -1, "externalIds": {"DOI": "nope", "MAG": True, "Medline": "x",
                                                                      "PubMed": None, "ArXiv": "1402.0030v2"},
              "year": 10 ** 30, "citationCount": 10 ** 30, "publicationDate": "1950-13-45",
              "publicationVenue": {"id": "v", "issn": "1234-5678"},
              "references": [None, 5, {"paperId": None}, {"paperId": None, "title": " T "}, {"paperId": "bad"}]}
    m = s2.map_record(json.dumps(record).encode())
    assert [(i.scheme, i.value) for i in m.work.ids] == [("s2", TURING_SHA), ("arxiv", "1402.0030")]
    assert (m.work.publication_year, m.work.publication_date, m.work.upstream.cited_by_count) == (None, None, None)
    assert m.work.venue is not None and m.work.venue.ids == [Id("s2venue", "v")]
    text = " | ".join(m.issues)
    for part in ("unusable corpusid id -1", "unusable doi id 'nope'", "unusable mag id True", "is not a year",
                 "is not a count", "is not a date", "unusable issn id", "references[1]: not a paper",
                 "references[2]: no id and no title", "references[4]: unusable s2 id"):
        assert part in text, part
    assert [(c.citing_pos, c.cited) for c in m.citations] == [(3, (("s2ref", hashlib.sha1(b"t").hexdigest()),))]


def test_datasets_paper_to_api_keeps_only_api_fields() -> None:
    line = {"corpusid": "12", "externalids": {"DOI": None, "CorpusId": "12"}, "publicationvenue": {"id": "v"},
            "updated": "x", "isopenaccess": True, "authors": [{"authorid": "3", "name": "N"}, None]}
    assert s2.datasets_paper_to_api(line) == {
        "externalIds": {"CorpusId": 12}, "corpusId": 12, "publicationVenue": {"id": "v"}, "isOpenAccess": True,
        "authors": [{"authorId": "3", "name": "N"}, None]}


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                         st.sampled_from(["paperId", "corpusId", "externalIds", "title", "year", "citations",
                                          "references", "data", "paper", "offset", "citingPaper", "citedPaper",
                                          "contexts", "intents", "citingcorpusid", "citedcorpusid", "corpusid",
                                          "DOI", "CorpusId", "authors", "journal", "pages", "name",
                                          "openaccessinfo", "abstract", "url"]),
                         inner, max_size=6), max_leaves=20)


@given(value=_JSON)
def test_any_json_value_maps_or_is_rejected_never_raises(value: Any) -> None:
    raw = msgspec.json.encode(value)
    _maps(raw)  # maps, or raises RecordError (any other exception fails the test)
    for data in (raw, raw + b"\n" + raw, json.dumps(value, indent=1).encode()):
        rows = _Rows(data)
        assert len(rows.positions) + len(rows.rejects) == len(set(rows.positions) | {r[0] for r in rows.rejects})
        for _, item in _records(data):
            _maps(item)


@given(data=st.binary(max_size=200))
def test_any_bytes_are_read_without_raising(data: bytes) -> None:
    _Rows(data)
    for _, item in _records(data):
        _maps(item)
    s2.file_kind(data)


# --- embedded papers as records of their own (Mapped.nested) ------------------------------------------------


def test_turing_embedded_papers_are_nested_records() -> None:
    original = json.loads(_read("Paper.json.gz"))
    m = _turing()
    linked_refs = [r for r in original["references"] if r["paperId"] is not None]
    assert len(linked_refs) == 8 and all(c["paperId"] is not None for c in original["citations"])
    assert len(m.nested) == 8 + 1000  # every linked entry is a full paper (21 fields), the 6 unlinked are not nested
    entries = linked_refs + original["citations"]  # (references first, as in Mapped.citations)
    assert [json.loads(n) for n in m.nested] == entries
    for raw, entry in zip(m.nested, entries, strict=True):
        assert msgspec.json.format(raw, indent=-1) == raw  # compact
        nested = s2.map_record(raw)
        assert nested.work.ids[0] == Id("s2", entry["paperId"])
        assert nested.raw == raw and nested.nested == [] and nested.citations == []
    assert s2.map_record(m.nested[8]).work.title == original["citations"][0]["title"]


def test_only_rich_linked_entries_are_nested() -> None:
    shas = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(6)]
    record = {"paperId": TURING_SHA, "title": "T", "citations": [
        {"paperId": shas[0], "title": "title only"},
        {"paperId": shas[1]},
        {"paperId": None, "title": "unlinked", "year": 2020},
        {"paperId": "nothex", "title": "bad id", "year": 2020, "corpusId": 5},
        {"paperId": shas[2], "title": "lists only", "citations": [{"paperId": shas[5], "year": 1}]},
        {"paperId": TURING_SHA, "title": "T", "year": 1950},  # itself
    ], "references": [
        {"paperId": shas[3], "year": 1936, "references": [{"paperId": shas[5], "title": "deeper", "year": 1}]},
        {"paperId": shas[4], "title": "with nulls", "abstract": None},
    ]}
    m = s2.map_record(json.dumps(record, indent=2).encode())
    assert [json.loads(n) for n in m.nested] == [{"paperId": shas[3], "year": 1936},
                                                 {"paperId": shas[4], "title": "with nulls", "abstract": None}]
    assert m.nested[0] == b'{"paperId":"%s","year":1936}' % shas[3].encode()
    assert len(m.citations) == 8  # every entry is still a citation, nested or not
    assert json.loads(m.raw) == {"paperId": TURING_SHA, "title": "T"}


def test_datasets_and_page_records_nest_nothing() -> None:
    assert all(s2.map_record(r).nested == [] for _, r in _records(_read("datasets_papers.jsonl")))
    assert all(s2.map_record(r).nested == [] for _, r in _records(_read("search_turing.json")))


# --- merging records -------------------------------------------------------------------------------------------


def _merge(stored: Any, new: Any) -> Any:
    return json.loads(s2.merge_records(msgspec.json.encode(stored), msgspec.json.encode(new)))


def test_null_does_not_erase_and_new_values_win() -> None:
    stored = {"paperId": TURING_SHA, "title": "Old", "abstract": "A", "year": None, "venue": "V"}
    new = {"paperId": TURING_SHA, "abstract": None, "year": 1950, "title": "New", "citationCount": None}
    merged = _merge(stored, new)
    assert merged == {"paperId": TURING_SHA, "title": "New", "abstract": "A", "year": 1950, "venue": "V",
                      "citationCount": None}
    assert list(merged) == ["paperId", "title", "abstract", "year", "venue", "citationCount"]  # stored's, then new's


def test_external_ids_merge_id_by_id() -> None:
    stored = {"paperId": TURING_SHA, "externalIds": {"DOI": "10.1/a", "MAG": "1", "CorpusId": 7}}
    new = {"externalIds": {"MAG": None, "ArXiv": "1402.0030", "DOI": "10.1/b"}, "corpusId": 7}
    merged = _merge(stored, new)
    assert merged["externalIds"] == {"DOI": "10.1/b", "MAG": "1", "CorpusId": 7, "ArXiv": "1402.0030"}
    assert list(merged["externalIds"]) == ["DOI", "MAG", "CorpusId", "ArXiv"]
    assert _merge(stored, {"externalIds": None}) == stored
    assert _merge({"externalIds": None}, stored) == stored
    assert _merge({"externalIds": {"DOI": "x"}}, {"externalIds": ["y"]}) == {"externalIds": ["y"]}
    assert _merge({"journal": {"name": "M", "pages": "1"}}, {"journal": {"name": "N"}}) == {"journal": {"name": "N"}}


def test_a_new_paper_id_wins() -> None:
    assert _merge({"paperId": TURING_SHA, "title": "T"}, {"paperId": "a" * 40})["paperId"] == "a" * 40
    assert _merge({"paperId": TURING_SHA}, {"paperId": None, "title": "T"}) == {"paperId": TURING_SHA, "title": "T"}


def test_merging_is_idempotent_and_keeps_stored_bytes_when_nothing_changes() -> None:
    m = _turing()
    stored = m.raw
    assert s2.merge_records(stored, stored) is stored
    title_only = msgspec.json.encode({"paperId": TURING_SHA, "title": "Computing Machinery and Intelligence"})
    assert s2.merge_records(stored, title_only) is stored
    nulls = json.dumps({"paperId": TURING_SHA, "abstract": None, "externalIds": {"DOI": None}}).encode()
    assert s2.merge_records(stored, nulls) is stored
    lean = msgspec.json.encode({"paperId": TURING_SHA, "abstract": None, "year": 1951, "tldr": None})
    once = s2.merge_records(stored, lean)
    assert json.loads(once) == {**json.loads(stored), "year": 1951}
    assert s2.merge_records(once, lean) == once
    back = json.loads(s2.merge_records(lean, stored))  # lean's keys first, each with the full record's value
    assert back == json.loads(stored) and list(back)[:5] == ["paperId", "abstract", "year", "tldr", "externalIds"]
    for nested in m.nested[:50]:
        entry = json.loads(nested)
        assert s2.merge_records(nested, nested) is nested
        assert s2.merge_records(nested, msgspec.json.encode({k: entry[k] for k in ("paperId", "title")})) is nested


def test_merged_records_are_compact_and_keep_escapes() -> None:
    merged = s2.merge_records(b'{"paperId": "x",\n "title": "A \\u2019 B"}', b'{ "year" : [ 1 , 2 ] }')
    assert merged == b'{"paperId":"x","title":"A \\u2019 B","year":[1,2]}'
    assert s2.merge_records(merged, b'{"year": [1, 2]}') == merged


@pytest.mark.parametrize(("stored", "new", "kept"), [
    (b'{"paperId": "x"}', b'{"paperId": "x', "stored"), (b'{"paperId": "x"}', b"", "stored"),
    (b'{"paperId": "x"}', b"null", "stored"), (b'{"paperId": "x"}', b"[1]", "stored"),
    (b'{"paperId": "x', b'{"paperId": "y"}', "new"), (b"[]", b'{"paperId": "y"}', "new"),
    (b"not json", b"nor this", "stored"),
])
def test_invalid_records_are_not_merged(stored: bytes, new: bytes, kept: str) -> None:
    assert s2.merge_records(stored, new) == (stored if kept == "stored" else new)


def test_numbers_out_of_range_merge_as_written() -> None:
    assert s2.merge_records(b'{"a":1e400,"b":1}', b'{"a":1e400}') == b'{"a":1e400,"b":1}'
    assert s2.merge_records(b'{"a":1e400}', b'{"a":2e400}') == b'{"a":2e400}'
    assert s2.merge_records(b'{"a":1}', b'{"a":1.0,"b":true}') == b'{"a":1.0,"b":true}'  # (1.0 is not 1)


@given(stored=_JSON | st.binary(max_size=40), new=_JSON | st.binary(max_size=40))
def test_merging_anything_never_raises(stored: Any, new: Any) -> None:
    a = stored if isinstance(stored, bytes) else msgspec.json.encode(stored)
    b = new if isinstance(new, bytes) else msgspec.json.encode(new)
    merged = s2.merge_records(a, b)
    assert s2.merge_records(merged, b) == merged


def _merge_model(stored: dict[str, Any], new: dict[str, Any], top: bool = True) -> dict[str, Any]:
    out = dict(stored)
    for key, value in new.items():
        if key in stored and value is None:
            continue
        if top and key == "externalIds" and isinstance(stored.get(key), dict) and isinstance(value, dict):
            value = _merge_model(stored[key], value, top=False)
        out[key] = value
    return out


_PAPER_KEYS = st.sampled_from(["paperId", "title", "abstract", "year", "externalIds", "DOI", "MAG", "authors"])
_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=4),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_PAPER_KEYS, inner, max_size=3),
                       max_leaves=8)
_OBJECTS = st.dictionaries(_PAPER_KEYS, _VALUES | st.dictionaries(st.sampled_from(["DOI", "MAG", "CorpusId"]),
                                                                  st.none() | st.text(max_size=3)), max_size=6)


@given(a=_OBJECTS, b=_OBJECTS)
def test_merge_follows_its_rules_on_any_records(a: dict[str, Any], b: dict[str, Any]) -> None:
    ra, rb = msgspec.json.encode(a), msgspec.json.encode(b)
    merged = s2.merge_records(ra, rb)
    expected = _merge_model(a, b)
    assert merged == msgspec.json.encode(expected)  # the rules, key order included; compact
    assert s2.merge_records(merged, rb) == merged
    assert s2.merge_records(ra, ra) == ra
    pretty = json.dumps(a, indent=1).encode()
    spaced = s2.merge_records(pretty, json.dumps(b).encode())  # stored itself when nothing changes, else compact
    assert json.loads(spaced) == expected  # (json escapes what msgspec does not: escapes are kept)
    assert spaced == pretty or msgspec.json.format(spaced, indent=-1) == spaced


# --- Datasets abstracts --------------------------------------------------------------------------------------


def test_datasets_abstracts_lines_map_to_abstract_projections() -> None:
    paper = json.loads(_read("Paper.json.gz"))
    api = {p["corpusId"]: p for p in [paper, *paper["citations"]]}
    lines = [json.loads(line) for line in _read("datasets_abstracts.jsonl").splitlines()[:5]]
    got = _records(_read("datasets_abstracts.jsonl"))
    assert [p for p, _ in got] == [0, 1, 2, 3, 4, 5]
    with pytest.raises(RecordError, match="invalid JSON"):
        s2.map_record(got[5][1])
    mapped = [s2.map_record(raw) for _, raw in got[:5]]
    for m, line in zip(mapped, lines, strict=True):
        corpus = line["corpusid"]
        assert m.work.ids == [Id("corpusid", str(corpus))] and m.work.source == "s2"
        assert m.work.abstract == api[corpus]["abstract"].strip() and m.has_abstract is True
        assert m.issues == [] and m.citations == [] and m.nested == []
        assert m.work.title is None and m.work.authors == []
    turing = mapped[0]
    assert turing.raw == msgspec.json.encode({"corpusId": 14636783, "abstract": paper["abstract"]})
    assert (turing.work.is_oa, turing.work.oa_url, turing.version) == (None, None, None)
    assert mapped[1].version == mapped[1].work.version == "2023-01-13T13:55:41.381Z"
    oa = json.loads(mapped[2].raw)
    assert list(oa) == ["corpusId", "abstract", "isOpenAccess", "openAccessPdf"]
    pdf_url = paper["citations"][14]["openAccessPdf"]["url"]
    assert oa["openAccessPdf"] == {"url": pdf_url, "status": None, "license": None}
    assert (mapped[2].work.is_oa, mapped[2].work.oa_url) == (True, pdf_url)
    papers = {json.loads(line)["corpusid"] for line in _read("datasets_papers.jsonl").splitlines()}
    assert [line["corpusid"] in papers for line in lines] == [True, True, True, True, False]
    assert mapped[4].work.is_oa is True


def test_an_abstracts_line_completes_the_papers_line_in_either_order() -> None:
    paper = s2.map_record(_read("datasets_papers.jsonl").splitlines()[3]).raw
    abstract = s2.map_record(_read("datasets_abstracts.jsonl").splitlines()[2]).raw
    for merged in (s2.merge_records(paper, abstract), s2.merge_records(abstract, paper)):
        record = json.loads(merged)
        assert record["abstract"].startswith("The computational significance of consciousness")
        assert record["title"] == json.loads(paper)["title"] and record["isOpenAccess"] is True
        assert record["openAccessPdf"]["url"].startswith("https://www.frontiersin.org/")
        m = s2.map_record(merged)
        assert m.work.ids[:2] == [Id("s2", "c22dd72b4acf93d1b3304f12d2cdcb6cb0cbc163"), Id("corpusid", "269794707")]
        assert m.work.abstract is not None and m.work.title is not None


def test_abstracts_line_open_access_values_are_kept() -> None:
    line = json.loads(_read("datasets_abstracts.jsonl").splitlines()[4])
    line["openaccessinfo"].update(license="CCBY", status="GOLD")
    line["corpusid"] = str(line["corpusid"])
    stored = json.loads(s2.map_record(json.dumps(line).encode()).raw)
    assert stored["corpusId"] == 270039025
    assert stored["openAccessPdf"] == {"url": line["openaccessinfo"]["url"], "status": "GOLD", "license": "CCBY"}
    line["openaccessinfo"] = {"url": 5}
    m = s2.map_record(json.dumps(line).encode())
    assert "openAccessPdf" not in json.loads(m.raw) and "openaccessinfo.url is not a URL: 5" in m.issues
    line["openaccessinfo"] = None
    assert json.loads(s2.map_record(json.dumps(line).encode()).raw) == {"corpusId": 270039025,
                                                                       "abstract": line["abstract"]}


_DROP = object()  # (the key is left out of the line)


@pytest.mark.parametrize(("change", "reason"), [
    ({"corpusid": None}, "without corpusid"), ({"corpusid": _DROP}, "without corpusid"),
    ({"abstract": 5}, "unexpected value type"), ({"abstract": ["x"]}, "unexpected value type"),
    ({"abstract": None}, "abstract is not a string"), ({"abstract": _DROP}, "abstract is not a string"),
    ({"corpusid": "x"}, "names no paper"), ({"corpusid": -3}, "names no paper"),
    ({"corpusid": True}, "names no paper"),
])
def test_unusable_abstracts_lines_raise_record_error(change: dict[str, Any], reason: str) -> None:
    line = json.loads(_read("datasets_abstracts.jsonl").splitlines()[0])
    for key, value in change.items():
        if value is _DROP:
            del line[key]
        else:
            line[key] = value
    with pytest.raises(RecordError, match=reason):
        s2.map_record(json.dumps(line).encode())


def test_datasets_abstract_to_api() -> None:
    line = {"corpusid": "12", "abstract": "A", "updated": "x",
            "openaccessinfo": {"externalids": {"DOI": "10.1/x"}, "license": None, "url": " ", "status": None}}
    assert s2.datasets_abstract_to_api(line) == {"corpusId": 12, "abstract": "A"}


def test_page_entries_keep_papers_richer_than_an_id_and_a_title() -> None:
    entry = json.loads(_read("Citation.json"))
    rich = json.dumps({"paper": "CorpusID:14636783", "data": [entry]}).encode()
    [chunk] = list(s2.iter_citations(io.BytesIO(rich)))
    assert len(chunk.records) == 1 and json.loads(chunk.records[0])["paperId"] == entry["citingPaper"]["paperId"]
    assert s2.map_record(chunk.records[0]).work.ids[0] == Id("s2", entry["citingPaper"]["paperId"])
    walk = _read(CITATION_PAGES)  # fields=title: nothing beyond id and title
    assert sum(len(c.records) for c in s2.iter_citations(io.BytesIO(walk))) == 0
