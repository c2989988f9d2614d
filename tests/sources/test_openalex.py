"""The OpenAlex reader and mapper, on real OpenAlex records (tests/data/openalex, see PROVENANCE.md)."""

from __future__ import annotations

import copy
import gzip
import io
import json
import os
import sys
from pathlib import Path
from typing import Any, BinaryIO, cast

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pyopenalex.models.works import Work as PyOpenAlexWork

from citegraph import ids
from citegraph.model import Id, Work
from citegraph.sources import Mapped, RecordError
from citegraph.sources import openalex as oa
from citegraph.store.base import SCALAR_COLUMNS
from citegraph.store.fields import facets_of, names_of, scalars_of

DATA = Path(__file__).resolve().parent.parent / "data" / "openalex"
OA = "https://openalex.org/"


def _lines(name: str) -> list[bytes]:
    data = gzip.decompress((DATA / name).read_bytes())
    return [line for line in data.split(b"\n") if line.strip()]


WORKS = _lines("works.jsonl.gz")  # 369 distinct real works from API answers and the snapshot
SNAPSHOT = _lines("snapshot_works_part_test.jsonl.gz")  # 29 lines of a 2023 snapshot part
SINGLE_FILES = ["W2741809807.json", "W-api-response.json"]
PAGE_FILE = "results_page_1.json"


def _all_records() -> list[bytes]:
    out = WORKS + SNAPSHOT + [(DATA / f).read_bytes() for f in SINGLE_FILES]
    page = msgspec.json.decode((DATA / PAGE_FILE).read_bytes(), type=dict[str, msgspec.Raw])
    return out + [bytes(r) for r in msgspec.json.decode(page["results"], type=list[msgspec.Raw])]


ALL = _all_records()


@pytest.fixture(scope="module")
def mapped_all() -> list[tuple[dict[str, Any], Mapped]]:
    return [(json.loads(raw), oa.map_record(raw)) for raw in ALL]


def _work_ids(work: Work) -> list[Id]:
    out = list(work.ids) + list(work.related)
    for a in work.authors:
        out += a.ids
        for f in a.affiliations:
            out += f.ids
    if work.venue is not None:
        out += work.venue.ids
    out += [c.id for c in work.concepts if c.id is not None]
    for fu in work.funders:
        out += fu.ids
    for r in work.references:
        out += r.ids
    return out


# --- mapping real records ------------------------------------------------------------------------------


def test_data_is_what_provenance_says() -> None:
    assert len(WORKS) == 369
    assert len(SNAPSHOT) == 29
    assert len({json.loads(r)["id"] for r in WORKS}) == 369


def test_every_real_record_maps(mapped_all: list[tuple[dict[str, Any], Mapped]]) -> None:
    assert len(mapped_all) == 369 + 29 + 2 + 2
    issues: list[str] = []
    for obj, m in mapped_all:
        w = m.work
        assert w.source == "openalex"
        assert w.ids[0] == Id("openalex", obj["id"].removeprefix(OA))
        assert m.version == obj["updated_date"] == w.version
        assert w.title == (obj["title"] if obj.get("title") is not None else obj.get("display_name"))
        assert w.publication_year == obj.get("publication_year")
        assert len(w.authors) == len(obj["authorships"])
        assert w.upstream.cited_by_count == obj.get("cited_by_count")
        by_year = {c["year"]: c["cited_by_count"] for c in obj.get("counts_by_year", [])}
        assert w.upstream.counts_by_year == by_year
        assert w.is_oa == obj["open_access"]["is_oa"]
        issues += m.issues
    # the one unusable id in real data: an ISSN with a wrong check digit, dropped and noted
    assert issues == ["unusable issn id '0165-0209'"]


def test_core_only_agrees_with_the_full_mapping(mapped_all: list[tuple[dict[str, Any], Mapped]]) -> None:
    for raw, (_obj, full) in zip(ALL, mapped_all, strict=True):
        core = oa.map_record(raw, core_only=True)
        f, c = full.work, core.work
        assert (c.ids, c.title, c.type, c.publication_date, c.publication_year, c.references, c.version) == (
            f.ids, f.title, f.type, f.publication_date, f.publication_year, f.references, f.version)
        assert (core.raw, core.version, core.duplicate_refs, core.self_refs) == (
            full.raw, full.version, full.duplicate_refs, full.self_refs)
        assert c.authors == [] and c.abstract is None  # the rest is left out


# --- mode="index": what the store files, equal to the full mapping's --------------------------------------

#: Synthetic records checked against the full mapping (benchmarks/generate.py; more via the environment).
SYNTH_WORKS = int(os.environ.get("CITEGRAPH_OA_SYNTH_WORKS", "600"))
_HAS_ABSTRACT = SCALAR_COLUMNS.index("has_abstract")


def _store_view(m: Mapped) -> tuple[Any, ...]:
    """What the loader derives from a mapped record (graph/load.py prepare_record), with the
    ``has_abstract`` scalar taken from ``Mapped.has_abstract``, as the loader is to take it."""
    w = m.work
    scalars = list(scalars_of(w))
    assert m.has_abstract is not None
    scalars[_HAS_ABSTRACT] = m.has_abstract
    return (w.ids, w.title, w.publication_year, w.publication_date, w.type, w.version, w.references,
            w.related, m.version, m.raw, m.duplicate_refs, m.self_refs, m.issues,
            tuple(scalars), facets_of(w), names_of(w))


def _assert_index_agrees(raw: bytes) -> Mapped:
    full = oa.map_record(raw)
    index = oa.map_record(raw, mode="index")
    assert full.has_abstract == bool(full.work.abstract)
    assert _store_view(index) == _store_view(full)
    assert index.work.abstract is None  # never rebuilt
    core = oa.map_record(raw, mode="core")
    assert core.has_abstract == full.has_abstract
    assert oa.map_record(raw, core_only=True) == core
    return full


def test_index_mode_agrees_with_the_full_mapping() -> None:
    facets = 0
    for raw in ALL:
        full = _assert_index_agrees(raw)
        facets += len(facets_of(full.work))
        # the stored record of a snapshot line maps the same again
        if full.raw is not raw:
            _assert_index_agrees(full.raw)
    assert facets > 10_000  # the comparison covers authors, institutions, venues, topics, funders


def test_index_mode_agrees_on_synthetic_records(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import generate

    generate.generate(SYNTH_WORKS, tmp_path, seed=7, files=1, jobs=1)
    with gzip.open(tmp_path / "part_000.jsonl.gz", "rb") as fh:
        records = [line for line in fh if line.strip()]
    assert len(records) == SYNTH_WORKS
    with_abstract = sum(_assert_index_agrees(raw).has_abstract is True for raw in records)
    assert 0 < with_abstract < SYNTH_WORKS


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        oa.map_record(ALL[0], mode="fast")  # type: ignore[arg-type]


def _with_abstract(text: str) -> bytes:
    """The PeerJ record with its abstract_inverted_index replaced by the JSON ``text``."""
    raw = (DATA / "W2741809807.json").read_bytes()
    top = msgspec.json.decode(raw, type=dict[str, msgspec.Raw])
    top["abstract_inverted_index"] = msgspec.Raw(text.encode())
    return msgspec.json.encode(top)


@pytest.mark.parametrize("text", [
    "null", "{}", '{"a": []}', '{"": [0]}', '{"a": [0]}', '{"": [0, 1]}', '{"a": [0], "b": [0]}',
    '{"a": [0], "": [0]}', '{"a": [0, 1], "a": []}', '{"a": [0], "b": [1], "a": [], "b": []}',
    '{"b": [3], "x": [-1]}', '{"a": [5000000000]}', '{"a": [0], "b": [4000000000]}',
    r'{"a": [0], "\u0061": []}', r'{"a/": [0, 1], "a\/": []}', r'{"\u00e9": [0, 1], "\u00e9": []}',
    r'{"é": [0, 1], "\u00e9": []}', r'{"x\"": [0], "y": [1]}', r'{"a": [ 0 , 2 ] , "b" : [1]}',
    r'"{\"IndexLength\": 2, \"InvertedIndex\": {\"a\": [0], \"b\": [1]}}"', r'"{\"a\": [0]}"',
    '"not json"',
])
def test_has_abstract_is_what_the_rebuild_gives(text: str) -> None:
    """Duplicate keys, escapes, shared positions and empty words cannot fool the abstract probe."""
    _assert_index_agrees(_with_abstract(text))


_WORDS = st.sampled_from(["", "a", "b", "é", "a/b", 'q"', "\\", "\u0000", "x y"])
_INDEXES = st.lists(st.tuples(_WORDS, st.lists(st.integers(-3, 12), max_size=3)), max_size=5)


@settings(max_examples=300, deadline=None)
@given(pairs=_INDEXES, ascii_only=st.booleans(), escape_slash=st.booleans())
def test_has_abstract_on_generated_indexes(pairs: list[tuple[str, list[int]]], ascii_only: bool,
                                           escape_slash: bool) -> None:
    # written key by key so that duplicate keys and each escaping style reach the mapper
    body = ", ".join(f"{json.dumps(w, ensure_ascii=ascii_only)}: {json.dumps(ps)}" for w, ps in pairs)
    if escape_slash:
        body = body.replace("/", "\\/")
    _assert_index_agrees(_with_abstract("{" + body + "}"))


@pytest.mark.parametrize(("scheme", "value"), [
    (ids.DOI, "https://doi.org/10.7717/PeerJ.4375"), (ids.DOI, "https://doi.org/10.1000/a%20b"),
    (ids.DOI, "https://doi.org/10.1000/a b"), (ids.DOI, "https://doi.org/10.1000/"),
    (ids.DOI, " https://doi.org/10.1000/x"), (ids.DOI, "https://doi.org/10.1000/x\n"),
    (ids.ORCID, "https://orcid.org/0000-0003-1613-5981"), (ids.ORCID, "https://orcid.org/0000-0002-1694-233X"),
    (ids.ORCID, "https://orcid.org/0000-0002-1694-233x"), (ids.ORCID, "https://orcid.org/0000-0003-1613-5982"),
    (ids.ORCID, "https://orcid.org/0000000316135981"), (ids.ORCID, "http://orcid.org/0000-0003-1613-5981"),
    (ids.ORCID, "https://orcid.org/０000-0003-1613-5981"),
    (ids.MAG, "2741809807"), (ids.MAG, "02741809807"), (ids.MAG, "0"), (ids.MAG, "1234567890123456789"),
    (ids.MAG, "²"), (ids.PMID, "https://pubmed.ncbi.nlm.nih.gov/29456894"),
    (ids.PMID, "https://pubmed.ncbi.nlm.nih.gov/029456894"), (ids.PMID, "https://pubmed.ncbi.nlm.nih.gov/"),
    (ids.PMCID, "https://www.ncbi.nlm.nih.gov/pmc/articles/5815332"),
    (ids.PMCID, "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC5815332"),
    (ids.ROR, "https://ror.org/https://ror.org/01ppj9r51"), (ids.ISSN, "2167-8359"), (ids.ISSN, "0165-0209"),
])
def test_canonical_id_fast_paths_agree_with_ids(scheme: str, value: str) -> None:
    try:
        expected: str | None = ids.normalize(scheme, value)
    except ids.IdError:
        expected = oa._canonical_once(scheme, value)  # (a doubled URL prefix is read by its last URL)
    assert oa.canonical_id(scheme, value) == oa.canonical_id(scheme, value, cache=False) == expected


@settings(max_examples=500, deadline=None)
@given(digits=st.text("0123456789", min_size=15, max_size=15), check=st.sampled_from("0123456789Xx"),
       hyphens=st.booleans())
def test_orcid_fast_path_keeps_the_check_digit(digits: str, check: str, hyphens: bool) -> None:
    body = digits + check
    if hyphens:
        body = "-".join(body[i:i + 4] for i in range(0, 16, 4))
    value = "https://orcid.org/" + body
    try:
        expected: str | None = ids.normalize(ids.ORCID, value)
    except ids.IdError:
        expected = None
    assert oa.canonical_id(ids.ORCID, value, cache=False) == expected


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(
    st.integers(0, 10**20).map(lambda n: f"https://openalex.org/W{n}"),
    st.sampled_from(["https://openalex.org/W", "https://openalex.org/A1", "https://openalex.org/W1\n",
                     "https://openalex.org/W1https://openalex.org/W2", "https://openalex.org/W１", "W12",
                     "https://openalex.org/w5", "", "\nhttps://openalex.org/W3"])), max_size=6))
def test_work_id_lists_fast_path_agrees_with_the_slow_one(values: list[str | None]) -> None:
    fast_issues: list[str] = []
    slow = [k for k in (oa._openalex_key(v, "W") for v in values) if k is not None]
    slow_issues = [v for v in values if oa._openalex_key(v, "W") is None]
    assert oa._work_keys(values, fast_issues, "x") == slow
    assert len(fast_issues) == len(slow_issues)


def test_ids_are_canonical(mapped_all: list[tuple[dict[str, Any], Mapped]]) -> None:
    schemes: set[str] = set()
    for obj, m in mapped_all:
        for i in _work_ids(m.work):
            assert ids.normalize(i.scheme, i.value) == i.value, (obj["id"], i)
            schemes.add(i.scheme)
        # W id first, then doi (two when `doi` and `ids.doi` differ), mag, pmid, pmcid
        order = [i.scheme for i in m.work.ids]
        assert order == sorted(order, key=("openalex", "doi", "mag", "pmid", "pmcid").index)
        assert len(order) - len(set(order)) == (order.count("doi") - 1 if "doi" in order else 0)
        for doi in filter(None, [obj.get("doi"), (obj.get("ids") or {}).get("doi")]):
            assert Id("doi", doi.removeprefix("https://doi.org/").lower()) in m.work.ids
    assert {"openalex", "doi", "mag", "pmid", "pmcid", "orcid", "issn", "ror"} <= schemes


def test_state_of_oa_in_detail() -> None:
    raw = (DATA / "W2741809807.json").read_bytes()
    m = oa.map_record(raw)
    w = m.work
    assert m.raw is raw  # API records are stored byte for byte
    assert w.ids == [Id("openalex", "W2741809807"), Id("doi", "10.7717/peerj.4375"), Id("mag", "2741809807"),
                     Id("pmid", "29456894"), Id("pmcid", "PMC5815332")]
    assert w.type == "article" and w.type_source == "journal-article" and w.language == "en"
    assert w.publication_date == "2018-02-13" and w.dates.created == "2017-08-08"
    assert w.venue is not None
    assert w.venue.name == "PeerJ" and w.venue.issn_l == "2167-8359" and w.venue.publisher == "PeerJ, Inc."
    assert w.venue.ids == [Id("issn", "2167-8359"), Id("openalex", "S1983995261")]
    assert (w.venue.is_oa, w.venue.is_in_doaj, w.venue.type) == (True, True, "journal")
    assert (w.biblio.volume, w.biblio.issue, w.biblio.first_page) == ("6", None, "e4375")
    assert (w.is_oa, w.oa_status, w.oa_url) == (True, "gold", "https://peerj.com/articles/4375.pdf")
    first = w.authors[0]
    assert first.name == "Heather Piwowar" and first.position == "first" and first.is_corresponding is False
    assert first.ids == [Id("orcid", "0000-0003-1613-5981"), Id("openalex", "A5048491430")]
    aff = first.affiliations[0]
    assert aff.ids == [Id("ror", "05ppvf150"), Id("openalex", "I4210166736")]
    assert (aff.country_code, aff.raw) == ("US", "Impactstory, Sanford, NC, USA")
    assert w.concepts[0].kind == "topic" and w.concepts[0].id == Id("openalex", "T10102")
    assert w.concepts[0].subfield == "Statistics, Probability and Uncertainty"
    assert {c.kind for c in w.concepts} == {"topic", "concept", "keyword"}
    assert [c.kind for c in w.concepts] == sorted((c.kind for c in w.concepts),
                                                  key=["topic", "concept", "keyword", "mesh"].index)
    assert any(lic.id == "cc-by" for lic in w.licenses)
    assert any(link.kind == "pdf" and link.url == "https://peerj.com/articles/4375.pdf" for link in w.links)
    assert w.abstract is not None and w.abstract.startswith("Despite growing interest in Open Access (OA)")
    assert len(w.references) == 45 and len(w.related) == 10
    assert w.upstream.referenced_works_count == 45 and w.upstream.fwci == 76.282
    assert w.upstream.counts_by_year[2018] > 0


def test_doubled_url_prefix_is_read() -> None:
    raw = next(r for r in WORKS if b"https://ror.org/https://ror.org/01ppj9r51" in r)
    affiliations = [f for a in oa.map_record(raw).work.authors for f in a.affiliations]
    assert any(Id("ror", "01ppj9r51") in f.ids for f in affiliations)


def test_funders_with_awards() -> None:
    with_grants = [r for r in SNAPSHOT if json.loads(r).get("grants")]
    assert with_grants
    for raw in with_grants:
        obj = json.loads(raw)
        w = oa.map_record(raw).work
        for g in obj["grants"]:
            f = next(f for f in w.funders if Id("openalex", g["funder"].removeprefix(OA)) in f.ids)
            assert f.name == g["funder_display_name"]
            if g["award_id"]:
                assert g["award_id"] in f.awards


# --- references ----------------------------------------------------------------------------------------


def test_references_follow_referenced_works(mapped_all: list[tuple[dict[str, Any], Mapped]]) -> None:
    self_cites = 0
    self_related: set[str] = set()
    for obj, m in mapped_all:
        own = obj["id"].removeprefix(OA)
        expected: list[str] = []
        for url in obj["referenced_works"]:
            key = url.removeprefix(OA)
            if key != own and key not in expected:
                expected.append(key)
        assert [r.ids for r in m.work.references] == [[Id("openalex", k)] for k in expected]
        assert m.self_refs == sum(url == obj["id"] for url in obj["referenced_works"])
        assert m.duplicate_refs == 0
        self_cites += m.self_refs
        related = [u.removeprefix(OA) for u in obj["related_works"] if u != obj["id"]]
        assert [i.value for i in m.work.related] == related
        if obj["id"] in obj["related_works"]:
            self_related.add(obj["id"])
    assert self_cites == 2  # two real records list themselves as references
    assert len(self_related) == 4  # and four as related works (dropped: a work is not related to itself)


def test_null_duplicate_and_self_references_are_dropped_and_counted() -> None:
    obj = json.loads((DATA / "W2741809807.json").read_bytes())
    refs = obj["referenced_works"]
    obj["referenced_works"] = [None, refs[0], obj["id"], refs[1], refs[0], None, refs[2], obj["id"], refs[1]]
    obj["related_works"] = [None, refs[3]]
    m = oa.map_record(json.dumps(obj).encode())
    assert [r.ids[0].value for r in m.work.references] == [u.removeprefix(OA) for u in refs[:3]]
    assert (m.duplicate_refs, m.self_refs) == (2, 2)
    assert m.work.related == [Id("openalex", refs[3].removeprefix(OA))]


def test_unusable_secondary_ids_are_noted_not_fatal() -> None:
    obj = json.loads((DATA / "W2741809807.json").read_bytes())
    obj["ids"]["pmid"] = "not a pmid"
    obj["referenced_works"] = ["https://openalex.org/A5048491430", obj["referenced_works"][0]]
    m = oa.map_record(json.dumps(obj).encode())
    assert [i.scheme for i in m.work.ids] == ["openalex", "doi", "mag", "pmcid"]
    assert len(m.work.references) == 1
    assert len(m.issues) == 2 and "pmid" in m.issues[0] and "referenced_works" in m.issues[1]


def test_snowball_cluster_matches_recorded_answers() -> None:
    expected = json.loads((DATA / "snowball_expected.json").read_bytes())
    by_id = {json.loads(r)["id"].removeprefix(OA): r for r in WORKS}
    refs = {k: [r.ids[0].value for r in oa.map_record(by_id[k]).work.references]
            for k in expected["key_works"]}
    assert refs == expected["key_works_referenced_works"]
    answers = {a["request"]: a for a in expected["answers"]}
    cites = answers["/works?filter=cites%3AW3046863325%7CW3045921891&per-page=200&cursor=%2A"]
    cited_by = answers["/works?filter=cited_by%3AW3046863325%7CW3045921891&per-page=200&cursor=%2A"]
    assert cites["meta"]["count"] == len(cites["ids"]) == 5
    assert cited_by["meta"]["count"] == len(cited_by["ids"]) == 38
    for citer in cites["ids"]:  # every recorded citer's own reference list names a key work
        cited = {r.ids[0].value for r in oa.map_record(by_id[citer]).work.references}
        assert set(cites["cites_which"][citer]) == cited & set(expected["key_works"])
    assert set(cited_by["ids"]) <= set(refs["W3045921891"]) | set(refs["W3046863325"])


# --- abstracts and the snapshot quirks -----------------------------------------------------------------


def test_string_and_object_abstracts_agree() -> None:
    string_form = [r for r in SNAPSHOT if isinstance(json.loads(r)["abstract_inverted_index"], str)]
    assert len(string_form) == 11
    for raw in string_form:
        text = json.loads(raw)["abstract_inverted_index"]
        as_object = json.loads(text)["InvertedIndex"]
        abstract = oa.abstract_from_inverted_index(text)
        assert abstract is not None and abstract == oa.abstract_from_inverted_index(as_object)
        positions = sorted(p for ps in as_object.values() for p in ps)
        assert len(abstract.split(" ")) == len(positions) <= json.loads(text)["IndexLength"]  # (one has gaps)
        m = oa.map_record(raw)
        assert m.work.abstract == abstract
        stored = json.loads(m.raw)
        assert stored["abstract_inverted_index"] == as_object
        # the stored record round-trips: mapping it again gives the same work and leaves it alone
        again = oa.map_record(m.raw)
        assert again.work == m.work and again.raw is m.raw


def test_abstracts_match_pyopenalex(mapped_all: list[tuple[dict[str, Any], Mapped]]) -> None:
    """pyopenalex rebuilds abstracts on the client side; ours must read the same."""
    checked = 0
    for obj, m in mapped_all:
        client = PyOpenAlexWork.model_validate(oa.clean_for_clients(obj))
        assert m.work.abstract == client.abstract
        checked += client.abstract is not None
    assert checked > 290


def test_abstract_edge_cases() -> None:
    assert oa.abstract_from_inverted_index(None) is None
    assert oa.abstract_from_inverted_index({}) is None
    assert oa.abstract_from_inverted_index({"b": [1], "a": [0, 2]}) == "a b a"
    # sparse positions do not allocate a huge list; long and odd ones still come out in order
    assert oa.abstract_from_inverted_index({"far": [10**9], "near": [0]}) == "near far"
    assert oa.abstract_from_inverted_index({"a": list(range(0, 400, 2)), "b": list(range(1, 400, 2))}) == (
        "a b " * 200).strip()
    assert oa.abstract_from_inverted_index({"x": [-1], "y": [0]}) == "x y"
    assert oa.abstract_from_inverted_index('{"b": [1], "a": [0]}') == "a b"  # a string of the object form
    with pytest.raises(ValueError, match="not JSON"):
        oa.abstract_from_inverted_index('{"IndexLength": 3, "InvertedIndex": {"a": [0]')


def test_snapshot_records_are_stored_in_api_shape() -> None:
    changed = 0
    for raw in SNAPSHOT:
        original = json.loads(raw)
        m = oa.map_record(raw)
        stored = json.loads(m.raw)
        quirky = "@timestamp" in original or isinstance(original["abstract_inverted_index"], str)
        if not quirky:
            assert m.raw is raw
            continue
        changed += 1
        assert "@timestamp" not in stored and "@version" not in stored
        assert not isinstance(stored["abstract_inverted_index"], str)
        dropped = ("@timestamp", "@version", "abstract_inverted_index")
        rest = {k: v for k, v in original.items() if k not in dropped}
        assert {k: v for k, v in stored.items() if k != "abstract_inverted_index"} == rest
        assert [k for k in stored if k in rest] == list(rest)  # key order kept
    assert changed == 23  # 19 with @timestamp/@version, 4 more with a string abstract


def test_api_records_pass_through_untouched() -> None:
    for raw in WORKS:
        if b'"@timestamp"' not in raw and b'"abstract_inverted_index": "' not in raw:
            assert oa.map_record(raw).raw is raw


# --- clean_for_clients ---------------------------------------------------------------------------------


def _fails_pyopenalex(obj: dict[str, Any]) -> bool:
    try:
        PyOpenAlexWork.model_validate(obj)
    except ValidationError:
        return True
    return False


def test_cleaned_records_validate_with_pyopenalex() -> None:
    records = [json.loads(r) for r in WORKS + SNAPSHOT]
    # the test can fail: uncleaned, the known 34 of 369 (and 13 of the 29 snapshot lines) are rejected
    assert sum(_fails_pyopenalex(o) for o in records[:369]) == 34
    assert sum(_fails_pyopenalex(o) for o in records[369:]) == 13
    for obj in records:
        before = copy.deepcopy(obj)
        cleaned = oa.clean_for_clients(obj)
        assert obj == before  # pure: the input is not changed
        PyOpenAlexWork.model_validate(cleaned)
        assert "@timestamp" not in cleaned and "@version" not in cleaned


def test_stored_records_validate_after_cleaning() -> None:
    for raw in WORKS + SNAPSHOT:
        PyOpenAlexWork.model_validate(oa.clean_for_clients(json.loads(oa.map_record(raw).raw)))


def test_clean_for_clients_drops_only_nulls() -> None:
    obj = {"id": OA + "W1", "referenced_works": [None, OA + "W2"], "related_works": [OA + "W3", None],
           "indexed_in": ["crossref", None], "corresponding_author_ids": [None],
           "primary_location": {"source": {"id": OA + "S1", "display_name": "J",
                                           "host_organization_lineage": [None, OA + "P1"]}},
           "authorships": [{"author": {"id": OA + "A1"},
                            "institutions": [
                                {"id": None, "display_name": "x"},
                                {"id": OA + "I1", "display_name": "y", "lineage": [None, OA + "I1"]}],
                            "affiliations": [{"raw_affiliation_string": "x", "institution_ids": [None]}]}],
           "abstract_inverted_index": '{"IndexLength": 1, "InvertedIndex": {"a": [0]}}', "@version": 1}
    out = oa.clean_for_clients(obj)
    assert out["referenced_works"] == [OA + "W2"] and out["related_works"] == [OA + "W3"]
    assert out["indexed_in"] == ["crossref"] and out["corresponding_author_ids"] == []
    assert out["primary_location"]["source"]["host_organization_lineage"] == [OA + "P1"]
    a = out["authorships"][0]
    assert a["institutions"] == [{"id": OA + "I1", "display_name": "y", "lineage": [OA + "I1"]}]
    assert a["affiliations"] == [{"raw_affiliation_string": "x", "institution_ids": []}]
    assert out["abstract_inverted_index"] == {"a": [0]} and "@version" not in out


# --- malformed input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "reason"), [
    (b'{"id": "https://openalex.org/W1", "title": ', "invalid JSON"),
    (b"not json at all", "invalid JSON"),
    (b"", "invalid JSON"),
    (b"[]", "not a JSON object"),
    (b'"https://openalex.org/W1"', "not a JSON object"),
    (b"{}", "no id"),
    (b'{"id": null}', "no id"),
    (b'{"id": "https://openalex.org/X12"}', "not an OpenAlex work id"),
    (b'{"id": "https://openalex.org/A5048491430"}', "not an OpenAlex work id"),
    (b'{"id": 12}', "unexpected value type"),
    (b'{"id": "https://openalex.org/W1", "authorships": "none"}', "authorships"),
])
def test_malformed_records_are_rejected_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(RecordError, match=reason) as info:
        oa.map_record(raw)
    assert reason in info.value.reason
    with pytest.raises(RecordError, match=reason):
        oa.map_record(raw, mode="index")
    if reason != "authorships":  # core_only does not read authorships
        with pytest.raises(RecordError, match=reason):
            oa.map_record(raw, core_only=True)


def test_truncated_real_line_is_rejected() -> None:
    with pytest.raises(RecordError, match="invalid JSON"):
        oa.map_record(WORKS[0][: len(WORKS[0]) // 2])


# --- readers -------------------------------------------------------------------------------------------


def _read(data: bytes, start: int = 0) -> list[tuple[int, bytes]]:
    return list(oa.iter_raw(io.BytesIO(data), start=start))


def test_iter_raw_json_lines_with_blank_and_bad_lines() -> None:
    bad = WORKS[3][:100]
    data = b"\n" + WORKS[0] + b"\n\n" + WORKS[1] + b"\n" + bad + b"\n   \n" + WORKS[2] + b"\n"
    got = _read(data)
    assert got == [(1, WORKS[0]), (3, WORKS[1]), (4, bad), (6, WORKS[2])]
    assert _read(data, start=4) == got[2:]
    assert _read(data, start=5) == got[3:]
    assert _read(data, start=7) == []
    with pytest.raises(RecordError):
        oa.map_record(got[2][1])


def test_iter_raw_bad_first_line() -> None:
    data = WORKS[0][:50] + b"\n" + WORKS[1] + b"\n" + WORKS[2]
    assert _read(data) == [(0, WORKS[0][:50]), (1, WORKS[1]), (2, WORKS[2])]


def test_iter_raw_snapshot_part_without_final_newline() -> None:
    data = gzip.decompress((DATA / "snapshot_works_part_test.jsonl.gz").read_bytes())
    assert not data.endswith(b"\n")
    got = _read(data)
    assert [p for p, _ in got] == list(range(29))
    assert [r for _, r in got] == SNAPSHOT
    assert _read(data, start=27) == got[27:]


def test_iter_raw_api_page() -> None:
    data = (DATA / PAGE_FILE).read_bytes()
    got = _read(data)
    results = json.loads(data)["results"]
    assert [p for p, _ in got] == [0, 1]
    assert [json.loads(r) for _, r in got] == results
    assert got[0][1] in data  # the result's own bytes, not a re-encoding
    assert _read(data, start=1) == got[1:]
    assert [oa.map_record(r).work.ids[0].value for _, r in got] == [r["id"].removeprefix(OA) for r in results]
    # one page per line, as a crawler might save them
    two = data.strip() + b"\n" + data.strip() + b"\n"
    assert [p for p, _ in _read(two)] == [0, 1, 2, 3]
    assert _read(two, start=3) == [(3, got[1][1])]


def test_iter_raw_single_objects() -> None:
    pretty = (DATA / "W-api-response.json").read_bytes()
    assert pretty.count(b"\n") > 10
    got = _read(pretty)
    assert len(got) == 1 and got[0][0] == 0 and json.loads(got[0][1]) == json.loads(pretty)
    assert oa.map_record(got[0][1]).work.ids[0] == Id("openalex", "W2755950973")
    assert _read(pretty, start=1) == []
    compact = (DATA / "W2741809807.json").read_bytes()
    assert _read(compact) == [(0, compact.strip())]


def test_iter_raw_json_array_and_empty_inputs() -> None:
    array = b"[\n" + b",\n".join(WORKS[:3]) + b"\n]\n"
    assert _read(array) == [(0, WORKS[0]), (1, WORKS[1]), (2, WORKS[2])]
    one_line = b"[" + b",".join(WORKS[:3]) + b"]"
    assert _read(one_line) == _read(array)
    assert _read(one_line + b"\n" + one_line, start=4) == [(4, WORKS[1]), (5, WORKS[2])]
    assert _read(b"") == [] and _read(b"\n\n  \n") == []
    assert _read(b'{"meta": {"count": 0, "db_response_time_ms": 1}, "results": []}') == []


def test_sniff() -> None:
    works_head = gzip.decompress((DATA / "works.jsonl.gz").read_bytes())[:65536]
    snapshot_head = gzip.decompress((DATA / "snapshot_works_part_test.jsonl.gz").read_bytes())[:65536]
    assert oa.sniff(works_head)
    assert oa.sniff(snapshot_head)  # the id comes late in snapshot lines
    assert oa.sniff((DATA / PAGE_FILE).read_bytes()[:65536])
    assert oa.sniff((DATA / "W-api-response.json").read_bytes())
    assert oa.sniff(b'{"meta":{"count":0,"db_response_time_ms":3,"page":null},"results":[],"group_by":[]}')
    assert not oa.sniff(b'{"id": "https://openalex.org/A5023888391", "display_name": "x"}')  # an author
    assert not oa.sniff(b'{"status":"ok","message-type":"work","message":{"DOI":"10.7717/peerj.4375"}}')
    assert not oa.sniff(b'{"paperId": "2d5673caa9e6af3a7b82a43f19ee920992db07ad", "title": "x"}')
    assert not oa.sniff(b"oci,citing,cited\n06101,10.1/a,10.1/b\n")
    assert not oa.sniff(b"")


# --- snapshot manifests --------------------------------------------------------------------------------


def test_manifest_files_lists_the_parts() -> None:
    manifest = DATA / "snapshot" / "data" / "works" / "manifest"
    parts = oa.manifest_files(manifest)
    assert parts == [manifest.parent / "updated_date=2023-05-17" / "part_000.gz",
                     manifest.parent / "updated_date=2023-05-18" / "part_000.gz"]
    records = []
    for part in parts:
        with gzip.open(part, "rb") as fh:
            head = fh.read(65536)
        assert oa.sniff(head)
        with gzip.open(part, "rb") as fh:
            records += [oa.map_record(raw) for _, raw in oa.iter_raw(cast(BinaryIO, fh))]
    listed = json.loads(manifest.read_bytes())
    assert len(records) == sum(e["meta"]["record_count"] for e in listed["entries"]) == 5


def test_manifest_files_rejects_other_files(tmp_path: Path) -> None:
    assert oa.manifest_files(DATA / PAGE_FILE) is None
    assert oa.manifest_files(DATA / "works.jsonl.gz") is None
    assert oa.manifest_files(tmp_path / "missing") is None
    entries = {"entries": [{"url": "s3://openalex/data/works/updated_date=2024-01-01/part_001.gz"},
                           {"url": "s3://openalex/data/works/../../etc/passwd"}]}
    for name in ("works", "renamed"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "manifest").write_text(json.dumps(entries))
        # a renamed folder still finds updated_date=…/part_…; nothing resolves outside the folder
        listed = oa.manifest_files(folder / "manifest")
        assert listed is not None and listed[0] == folder / "updated_date=2024-01-01" / "part_001.gz"
        assert all(p.resolve().is_relative_to(folder.resolve()) for p in listed)
    assert oa.manifest_files(tmp_path / "works" / "manifest") == [
        tmp_path / "works" / "updated_date=2024-01-01" / "part_001.gz"]


def test_is_client_clean_says_exactly_whether_cleaning_changes_a_record() -> None:
    """The load-time flag the server trusts: True only when ``clean_for_clients`` leaves the record as is."""
    verdicts = set()
    for line in WORKS + SNAPSHOT:
        stored = oa.map_record(line).raw
        record = json.loads(stored)
        unchanged = oa.clean_for_clients(record) == record
        assert oa.is_client_clean(stored) is unchanged, json.loads(line)["id"]
        verdicts.add(unchanged)
    assert verdicts == {True, False}  # the real data has both kinds
    assert oa.is_client_clean(b"[1, 2]") is False and oa.is_client_clean(b"{not json") is False
    assert oa.is_client_clean(b'{"id": "W1", "@version": "1"}') is False


def test_an_exact_reference_list_is_the_mapped_references() -> None:
    """The load-time flag that lets the server serve a record's own list: True only when that list is
    exactly the references the mapping makes, each printed as the graph prints it."""
    verdicts = set()
    for line in WORKS + SNAPSHOT:
        mapped = oa.map_record(line)
        exact = oa.is_reference_list_exact(mapped.raw)
        listed = json.loads(mapped.raw).get("referenced_works") or []
        ours = [OA + r.ids[0].value for r in mapped.work.references]
        if exact:
            assert listed == ours and mapped.duplicate_refs == mapped.self_refs == 0
        verdicts.add(exact)
    assert verdicts == {True, False}
    own = '{"id": "https://openalex.org/W10", "referenced_works": [%s]}'
    assert oa.is_reference_list_exact((own % '"https://openalex.org/W11"').encode())
    for bad in ('"https://openalex.org/W11", "https://openalex.org/W11"', '"https://openalex.org/W10"', "null",
                '"https://openalex.org/W011"', '"W11"', '"https://openalex.org/W11\\nhttps://openalex.org/W12"'):
        assert not oa.is_reference_list_exact((own % bad).encode()), bad


def test_graph_fields_are_spliced_exactly_where_a_decode_would_put_them() -> None:
    """Serving splices our counts into the stored bytes; the result must be the record with those
    fields replaced (and a missing one placed in schema order), on every real record."""
    ours = [b"7", b"3", b'"http://x/works?filter=cites:W1"', b'[{"year":2024,"cited_by_count":7}]']
    values = [json.loads(v) for v in ours]
    spliced = 0
    for line in WORKS + SNAPSHOT + [json.dumps(json.loads(WORKS[0]), indent=1).encode()]:
        stored = oa.map_record(line).raw
        spans = oa.graph_field_spans(stored)
        record = json.loads(stored)
        if spans is None:
            assert "cited_by_count" not in record
            continue
        out = json.loads(oa.splice_graph_fields(stored, spans, ours))
        expected = {k: v for k, v in record.items() if k not in oa.UNSERVED_KEYS}
        for key, value in zip(oa.GRAPH_FIELDS, values, strict=True):
            expected[key] = value
        assert out == expected
        keys = [k for k in out if k not in oa.GRAPH_FIELDS]
        assert keys == [k for k in record if k not in (*oa.GRAPH_FIELDS, *oa.UNSERVED_KEYS)]  # the rest in place
        if "cited_by_api_url" not in record and "counts_by_year" in record:
            assert list(out).index("cited_by_api_url") == list(out).index("counts_by_year") - 1
        spliced += 1
    assert spliced > 300
    assert oa.graph_field_spans(b"[1]") is None and oa.graph_field_spans(b'{"id": "x"}') is None
    every = dict(zip(oa.GRAPH_FIELDS, values, strict=True))
    for minimal in (b'{"id": "W1", "cited_by_count": 2}', b'{"relevance_score": 1.5, "id": "W1", "cited_by_count": 2}',
                    b'{"id": "W1", "cited_by_count": 2, "relevance_score": 1.5}',
                    b'{"id": "W1", "relevance_score": 1.5 , "cited_by_count": 2 }'):
        spans = oa.graph_field_spans(minimal)
        assert spans is not None
        assert json.loads(oa.splice_graph_fields(minimal, spans, ours)) == {"id": "W1", **every}, minimal


def test_spans_of_records_over_64_kb_use_wide_offsets() -> None:
    record = json.loads(WORKS[0])
    record["abstract_inverted_index"] = {f"w{i}": [i] for i in range(9000)}  # > 64 KB
    raw = json.dumps(record).encode()
    assert len(raw) > 1 << 16
    spans = oa.graph_field_spans(raw)
    assert spans is not None and len(spans) == 40
    assert len(oa.graph_field_spans(json.dumps(json.loads(WORKS[0])).encode()) or b"") == 20
    out = json.loads(oa.splice_graph_fields(raw, spans, [b"1", b"2", b'"u"', b"[]"]))
    assert out["cited_by_count"] == 1 and out["counts_by_year"] == [] and out["abstract_inverted_index"] == record[
        "abstract_inverted_index"]


def test_serving_hints_are_the_three_checks_from_one_decode() -> None:
    from citegraph.sources import ServingHints

    for line in WORKS + SNAPSHOT:
        raw = oa.map_record(line).raw
        assert oa.serving_hints(raw) == ServingHints(client_clean=oa.is_client_clean(raw),
                                                     refs_exact=oa.is_reference_list_exact(raw),
                                                     spans=oa.graph_field_spans(raw))
    for bad in (b"", b"{not json", b"[1, 2]", b'{"id": 5, "referenced_works": ["https://openalex.org/W11"]}'):
        hints = oa.serving_hints(bad)
        assert not hints.refs_exact and hints.spans is None, bad
