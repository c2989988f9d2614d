"""Consistency across dialects (issue 7): for every work, the library and the four dialects agree on its citation count,
its reference count, and the sets of works that cite it and that it cites.

One database holds every real fixture of ``tests/data`` the loader reads, of all four sources, so works merge where
the fixtures share ids (Crossref's and OpenAlex's PeerJ record; OpenCitations' citation rows between Crossref's works;
see ``test_the_fixtures_merge_across_sources``). The library is the reference: its counts are first checked against its
own citation and reference pages walked to the end. Each dialect is then asked over HTTP (a real server on
127.0.0.1), under the id forms it takes, and every work it lists is mapped back to the library's key by resolving the
id it printed (``Graph.resolve``), so a list that names the right number of works but the wrong ones fails.

Where a dialect cannot name a work, or a list entry, by its upstream's design, the code says so with the spec section
(``/work/shared/spec/api-dialects.md``) and counts it; every dialect must have been compared on a substantial number of
works, so the test cannot pass by skipping.

There are ~14,000 works: 2,902 with records of their own, the rest stubs (cited by a loaded work, not loaded).
Asking each one at a time on every route of four dialects would take minutes (a request costs about a millisecond,
an OpenCitations row list several), so each route takes the works it can answer at a bearable cost:

- the single-work routes (OpenAlex ``/works/{id}``, Crossref ``/works/{doi}``) every non-stub work and a share of
  the stubs (``asked_singly``);
- the routes that take many works at once every work they can name: S2's ``POST /paper/batch`` (500 papers with
  their nested citation and reference lists), OpenAlex's ``cites:`` filter (100 W ids a request, for stubs), COCI's
  ``metadata`` (200 DOIs);
- the list routes that take one work a request: OpenAlex ``cites:`` for every non-stub work with a W id, S2's
  ``/citations`` and ``/references`` walked for every non-stub work whose list is not empty (and every list longer
  than a nested one), OpenCitations v2 for the works its rows are most likely to get wrong (``oc_v2_works``).
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from tests.conftest import NewDb

import citegraph
from citegraph import ids
from citegraph.dialects.crossref.render import ADDED_REFERENCE_KEY
from citegraph.dialects.openalex.render import public_id
from citegraph.dialects.s2.params import CITATION_WINDOW, NESTED_LIST_MAX
from citegraph.dialects.s2.render import paper_id
from citegraph.model import SOURCES

DATA = Path(__file__).resolve().parents[1] / "data"
#: Files under tests/data that are not source data: answers recorded for other tests to compare with (the loader
#: rejects them as no source's records), and COCI's ``metadata`` answers, which no loader reads.
NOT_SOURCE_DATA = frozenset({
    "snowball_expected.json", "recorded_answers.json.gz", "batch_requests.json",
    "citations_CorpusID_14514057_expected.json", "references_10.2139_ssrn.2250500_expected.json",
    "coci_v1_metadata_from_api.jsonl", "manifest",
})
#: The recorded COCI v1 answers: one row per citation with the API path it came from, loaded as the COCI dump they
#: are rows of (as tests/dialects/test_opencitations.py does).
COCI_ANSWERS = DATA / "opencitations" / "coci_v1_citations_from_api.csv"
COCI_FIELDS = ("oci", "citing", "cited", "creation", "timespan", "journal_sc", "author_sc")
#: Records the loader sets aside, by file (each a documented property of the fixture, PROVENANCE.md): S2's
#: single citation and reference entries name no paper of their own, one Datasets abstract line and one citations
#: line are cut short, and one Datasets citation's cited paper S2 could not link (``citedcorpusid: null``).
EXPECTED_REJECTS = {"Citation.json": 1, "Reference.json": 1, "datasets_abstracts.jsonl": 1,
                    "datasets_citations.jsonl": 2}

#: OpenAlex: ids per ``|`` filter (upstream MAX_IDS_IN_FILTER, spec §1.4) and the largest page (spec §1.2).
OA_OR_MAX, OA_PER_PAGE = 100, 200
#: S2: papers per ``POST /paper/batch`` and nested citations + references one batch may embed (spec §4.1).
S2_BATCH, S2_BATCH_NESTED = 500, 9_999
#: COCI ``metadata``: DOIs asked at once (our Meta and COCI operations answer at most 200 ids a request).
COCI_META_BATCH = 200


# --- the database ------------------------------------------------------------------------------------------------
def fixture_files(folder: Path) -> list[Path]:
    """Every source-data file of the four sources under ``tests/data``, the COCI answers as a dump in ``folder``."""
    files = [p for sub in ("openalex", "crossref", "opencitations", "semanticscholar")
             for p in sorted((DATA / sub).rglob("*"))
             if p.is_file() and p.name not in NOT_SOURCE_DATA and p != COCI_ANSWERS]
    dump = folder / "coci_v1_dump.csv"
    with open(COCI_ANSWERS, encoding="utf-8", newline="") as fh, open(dump, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(COCI_FIELDS)
        for row in csv.DictReader(fh):
            # the two rows of COCI's /citation/{oci} answers carry OMID OCIs for pairs a DOI-OCI row already holds
            if row["oci"].startswith("020"):
                writer.writerow([row[k] for k in COCI_FIELDS])
    return [*files, dump]


@dataclasses.dataclass(frozen=True)
class Truth:
    """One work as the library knows it."""

    key: int
    stub: bool
    sources: tuple[str, ...]
    ids: dict[str, str]  # the first value of each scheme
    pairs: tuple[tuple[str, str], ...]
    cited_by_count: int
    referenced_works_count: int
    citers: frozenset[int]
    refs: frozenset[int]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    # SQLite only: the same ~25 s over PostgreSQL would double the suite's slowest test for a comparison of dialect
    # code the contract suite already runs on both engines (tests/dialects/test_*.py with the `engine` fixture)
    folder = tmp_path_factory.mktemp("consistency")
    path = str(folder / "all.db")
    with citegraph.open(path, create=True) as graph:
        report = graph.load(fixture_files(folder), workers=0)
    rejected = {Path(f.path).name: f.rejected for f in report.files if f.rejected}
    assert rejected == EXPECTED_REJECTS
    assert report.rejected_files == 0
    return path


@pytest.fixture(scope="module")
def graph(db: str) -> Iterator[citegraph.Graph]:
    with citegraph.open(db, readonly=True) as g:
        yield g


def _walk(page: Callable[..., citegraph.CitationPage], key: int) -> tuple[list[int], int]:
    """Every entry of a citation or reference list, its pages followed to the end, and the total it stated."""
    out: list[int] = []
    cursor: str | None = None
    while True:
        found = page(key, limit=1000, cursor=cursor)
        out += [item.key for item in found.items]
        cursor = found.next_cursor
        if cursor is None:
            return out, found.total


@pytest.fixture(scope="module")
def truth(graph: citegraph.Graph) -> dict[int, Truth]:
    """Every work of the database as the library answers it; its counts checked against its own pages first."""
    keys = [r[0] for r in graph.store.conn.execute("SELECT id FROM works ORDER BY id")]
    out: dict[int, Truth] = {}
    wrong: list[tuple[int, object]] = []
    for key in keys:
        work = graph.work(key)
        citers, cited_total = _walk(graph.citations, key)
        refs, refs_total = _walk(graph.references, key)
        if not (len(citers) == len(set(citers)) == cited_total == work.cited_by_count
                and len(refs) == len(set(refs)) == refs_total == work.referenced_works_count):
            wrong.append((key, (work.cited_by_count, cited_total, len(citers), work.referenced_works_count,
                                refs_total, len(refs))))
        pairs = tuple((i.scheme, i.value) for i in work.ids)
        first: dict[str, str] = {}
        for scheme, value in pairs:
            first.setdefault(scheme, value)
        out[key] = Truth(key, work.stub, tuple(work.sources), first, pairs, work.cited_by_count,
                         work.referenced_works_count, frozenset(citers), frozenset(refs))
    assert not wrong, f"library counts disagree with its own pages: {wrong[:5]}"
    return out


@pytest.fixture(scope="module")
def http(db: str, serve_db: Callable[..., str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=serve_db(db), timeout=60) as client:
        yield client


# --- comparing --------------------------------------------------------------------------------------------------
class Mismatches:
    """What one dialect said differently from the library, work by work; empty at the end of a passing test."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.found: list[str] = []

    def check(self, key: int, what: str, ours: object, theirs: object) -> None:
        if ours == theirs:
            return
        if isinstance(ours, (set, frozenset)) and isinstance(theirs, (set, frozenset)):
            self.found.append(f"{self.dialect} work {key} {what}: the dialect lacks {_short(ours - theirs)}"
                              f" and adds {_short(theirs - ours)}")
        else:
            self.found.append(f"{self.dialect} work {key} {what}: library {_short(ours)}, dialect {_short(theirs)}")

    def add(self, key: int, what: str) -> None:
        self.found.append(f"{self.dialect} work {key}: {what}")

    def assert_none(self) -> None:
        assert not self.found, f"{len(self.found)} disagreements, first ones:\n" + "\n".join(self.found[:40])


def _short(value: object) -> str:
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "…"


class Resolver:
    """Maps an id a dialect printed back to the library's key (None: it names no work we hold)."""

    def __init__(self, graph: citegraph.Graph) -> None:
        self.graph = graph
        self.cache: dict[str, int | None] = {}

    def __call__(self, printed: str) -> int | None:
        if printed not in self.cache:
            try:
                self.cache[printed] = self.graph.resolve(printed)
            except (citegraph.IdError, citegraph.UnknownWorkError):
                self.cache[printed] = None
        return self.cache[printed]


@pytest.fixture(scope="module")
def resolve(graph: citegraph.Graph) -> Resolver:
    return Resolver(graph)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _path(text: str) -> str:
    """An id as one URL path segment (DOIs hold ``#``, ``?``, ``;``…), its slashes kept as the routes take them."""
    return quote(text, safe="/:")


# --- what the fixtures hold -----------------------------------------------------------------------------------------
def test_the_fixtures_merge_across_sources(truth: dict[int, Truth], graph: citegraph.Graph) -> None:
    """The database is one graph of all four sources: works of every source, and works joined across them."""
    records = {s: sum(1 for t in truth.values() if s in t.sources) for s in SOURCES}
    assert records == {"openalex": 369, "crossref": 417, "opencitations": 5, "s2": 2112}
    assert sum(1 for t in truth.values() if not t.stub) == 2902 and len(truth) > 13_000
    # the fixtures share few ids: PeerJ's "The state of OA" is the one work in two sources' records (OpenAlex and
    # Crossref); more works are spoken of by several sources once citations count (a record of one source, a citation
    # another asserted: OpenCitations' rows between Crossref's works)
    merged = [t for t in truth.values() if len(t.sources) > 1]
    assert [t.ids.get("doi") for t in merged] == ["10.7717/peerj.4375"]
    about = {t.key: set(t.sources) for t in truth.values()}
    for citing, cited, bits in graph.store.conn.execute("SELECT citing, cited, sources FROM edges"):
        asserted = {s for i, s in enumerate(SOURCES) if bits >> i & 1}
        about[citing] |= asserted
        about[cited] |= asserted
    several = [k for k, sources in about.items() if len(sources) > 1]
    assert len(several) == 42 and sum(1 for k in several if not truth[k].stub) == 5


# --- OpenAlex -------------------------------------------------------------------------------------------------------
OA_URL = "https://openalex.org/"


def _oa_work(check: Mismatches, resolve: Resolver, t: Truth, w: dict[str, Any]) -> None:
    """One OpenAlex work object against the library: its id, counts and referenced_works."""
    check.check(t.key, "id", t.key, resolve(w["id"]))
    check.check(t.key, "cited_by_count", t.cited_by_count, w["cited_by_count"])
    check.check(t.key, "referenced_works_count", t.referenced_works_count, w["referenced_works_count"])
    listed = [resolve(r) for r in w["referenced_works"]]
    check.check(t.key, "referenced_works", t.refs, set(listed))
    check.check(t.key, "referenced_works repeats", len(listed), len(set(listed)))


#: Id schemes of Semantic Scholar's own (a paper S2 gave us by these alone is known to no other source).
S2_SCHEMES = frozenset({ids.S2, ids.CORPUSID, ids.S2REF})


def asked_singly(t: Truth) -> bool:
    """Whether a work is asked on the single-work routes (one request a work): every non-stub work; every stub with
    references of its own that a citation file made (an OpenCitations row's citing end); and every tenth other stub
    by key, so each route serves each kind of stub. The other stubs (~10,000 works cited by a loaded work, and S2's
    1,873 title-only citers of one paper) are compared through the routes that take many works at once, which asking
    them one by one would make take minutes."""
    return not t.stub or t.key % 10 == 0 or (t.referenced_works_count > 0 and not set(t.ids) <= S2_SCHEMES)


def test_openalex_agrees_with_the_library(truth: dict[int, Truth], http: httpx.Client, resolve: Resolver) -> None:
    check = Mismatches("openalex")
    # GET /works/{id} under the id OpenAlex prints for the work (its W URL, else a DOI URL or another id the route
    # reads back): stubs included, since lists of works (filters) hold loaded works only (test_openalex.py,
    # test_cited_by_returns_the_recorded_references_that_are_loaded)
    single = [t for t in truth.values() if asked_singly(t)]
    for t in single:
        shown = public_id(t.pairs)
        assert shown is not None, t
        r = http.get("/openalex/works/" + _path(shown.removeprefix(OA_URL)))
        if r.status_code != 200:
            check.add(t.key, f"GET /works/{shown}: {r.status_code}")
            continue
        _oa_work(check, resolve, t, r.json())
    # citing works: filter=cites:W…, walked with a cursor, for every work with an OpenAlex id. Lists hold loaded works
    # only, so a stub citing a W work (an OpenCitations row or an S2 page naming an OpenAlex work as cited) would be
    # counted in cited_by_count but not listed; no fixture has one, so no exception is made for it
    cited_single = cited_batched = 0
    with_w = [t for t in truth.values() if t.ids.get("openalex", "").startswith("W")]
    for t in with_w:
        if t.stub:
            continue
        got, count = _oa_walk(http, resolve, f"cites:{t.ids['openalex']}", "id")
        check.check(t.key, "cites: meta.count", t.cited_by_count, count)
        check.check(t.key, "cites:", t.citers, {k for k, _ in got})
        check.check(t.key, "cites: repeats", len(got), len({k for k, _ in got}))
        cited_single += 1
    # stubs 100 at a time (a | filter, spec §1.4): each citing work is attributed to the stubs its referenced_works
    # name, and the union must be exactly their citers
    for chunk in _chunks([t for t in with_w if t.stub], OA_OR_MAX):
        got, count = _oa_walk(http, resolve, "cites:" + "|".join(t.ids["openalex"] for t in chunk),
                              "id,referenced_works")
        union = frozenset().union(*(t.citers for t in chunk))
        check.check(chunk[0].key, f"cites: of {len(chunk)} meta.count", len(union), count)
        check.check(chunk[0].key, f"cites: of {len(chunk)}", union, {k for k, _ in got})
        for t in chunk:
            url = OA_URL + t.ids["openalex"]
            check.check(t.key, "cites: (attributed)", t.citers, {k for k, w in got if url in w["referenced_works"]})
            cited_batched += 1
    check.assert_none()
    # works without an OpenAlex W id cannot be asked with cites: (upstream's OpenAlexIDField takes W ids only,
    # spec §1.4); the works citing them are the works whose referenced_works name them, compared above
    assert len(single) >= 4000 and cited_single >= 350 and cited_batched >= 5000, (
        len(single), cited_single, cited_batched)


Listed = list[tuple[int | None, dict[str, Any]]]  # works a list gave, each with the key its id resolves to


def _oa_walk(http: httpx.Client, resolve: Resolver, filter_: str, select: str) -> tuple[Listed, int]:
    """Every result of a ``/works`` filter, cursor-paged to the end, with its key; and meta.count."""
    out: Listed = []
    cursor: str | None = "*"
    count = -1
    while cursor is not None:
        r = http.get("/openalex/works", params={"filter": filter_, "select": select, "per-page": str(OA_PER_PAGE),
                                                "cursor": cursor})
        assert r.status_code == 200, r.text
        body = r.json()
        count = body["meta"]["count"]
        out += [(resolve(w["id"]), w) for w in body["results"]]
        cursor = body["meta"]["next_cursor"] if body["results"] else None
    return out, count


# --- Crossref -------------------------------------------------------------------------------------------------------
def _usable_doi(text: object) -> str | None:
    """A reference's DOI as the Crossref loader reads it, or None when it is no DOI."""
    if not isinstance(text, str):
        return None
    try:
        return ids.normalize(ids.DOI, text)
    except ids.IdError:
        return None


def test_crossref_agrees_with_the_library(truth: dict[int, Truth], http: httpx.Client, resolve: Resolver) -> None:
    check = Mismatches("crossref")
    asked = 0
    for t in truth.values():
        doi = t.ids.get("doi")
        # Crossref names works by DOI only (spec §2.1), so a work without one cannot be asked
        if doi is None or not asked_singly(t):
            continue
        r = http.get("/crossref/works/" + _path(doi))
        if r.status_code != 200:
            check.add(t.key, f"GET /works/{doi}: {r.status_code}")
            continue
        asked += 1
        item = r.json()["message"]
        check.check(t.key, "DOI", t.key, resolve("doi:" + item["DOI"]))
        check.check(t.key, "is-referenced-by-count", t.cited_by_count, item["is-referenced-by-count"])
        check.check(t.key, "references-count", t.referenced_works_count, item["references-count"])
        listed: set[int | None] = set()
        for ref in item.get("reference") or []:
            if "DOI" in ref:
                value = _usable_doi(ref["DOI"])
                # A Crossref record is served as deposited (README, "The Crossref API"): a reference whose DOI is
                # not one, or is the work's own, is listed but is no citation (the loader keeps the first unlinked
                # and counts the second as a self-reference, set aside as every dialect sets self-citations aside)
                if value is None or resolve("doi:" + value) == t.key:
                    continue
                listed.add(resolve("doi:" + value))
            elif "unstructured" in ref and (item.get("source") == "citegraph"
                                            or ref["key"].startswith(ADDED_REFERENCE_KEY)):
                # a cited work without a DOI, named by another of its ids: in a work drawn from the canonical record,
                # or among the references another source gave a Crossref record (README, "The Crossref API")
                listed.add(resolve(ref["unstructured"]))
            # else: a deposited reference without a DOI (an unstructured citation), which no citation is made of
        check.check(t.key, "reference", t.refs, listed)
    check.assert_none()
    # no citing list: Crossref's API has only the count (is-referenced-by-count, spec §2.2)
    assert asked >= 2000, asked


# --- OpenCitations --------------------------------------------------------------------------------------------------
OC_V2 = "/opencitations/index/v2/"
#: The id schemes the v2 operations take, in the order a work is asked by them (spec §3.1: ``(omid|doi|pmid):``).
OC_V2_SCHEMES = ("omid", "doi", "pmid")
#: The schemes a v2 row prints in its ``citing``/``cited`` id lists (the ids OpenCitations Meta holds, spec §3.1).
OC_META_SCHEMES = ("omid", "doi", "pmid", "pmcid", "openalex", "wikidata", "arxiv", "isbn", "url")
COCI_META = "/opencitations/index/coci/api/v1/metadata/"


def _oc_v2_id(t: Truth) -> str | None:
    for scheme in OC_V2_SCHEMES:
        value = t.ids.get(scheme)
        if value is not None and (scheme != "omid" or value.startswith("br/")):
            return f"{scheme}:{value}"
    return None


def oc_v2_works(truth: dict[int, Truth], graph: citegraph.Graph) -> list[Truth]:
    """The works asked on the v2 operations, one request an operation: every work an OpenCitations row names (its rows
    carry what OpenCitations asserted, the rest are computed), every work with records from several sources, and every
    twentieth other non-stub work the v2 ids name. A row list is dear (each row reads both works' ids, dates, authors
    and venues), so the other works are compared through COCI's ``metadata``, which answers 200 DOIs at once."""
    bit = 1 << SOURCES.index("opencitations")
    asserted = {k for (k,) in graph.store.conn.execute(
        "SELECT citing FROM edges WHERE sources & ? UNION SELECT cited FROM edges WHERE sources & ?", (bit, bit))}
    return [t for t in truth.values() if _oc_v2_id(t) is not None and (
        t.key in asserted or len(t.sources) > 1 or (not t.stub and t.key % 20 == 0))]


def test_opencitations_agrees_with_the_library(truth: dict[int, Truth], graph: citegraph.Graph,
                                               http: httpx.Client, resolve: Resolver) -> None:
    check = Mismatches("opencitations")
    meta_less = {t.key for t in truth.values() if not any(s in t.ids for s in OC_META_SCHEMES)}
    v2 = oc_v2_works(truth, graph)
    for t in v2:
        oc_id = _path(_oc_v2_id(t) or "")
        for op, want in (("citation-count", t.cited_by_count), ("reference-count", t.referenced_works_count)):
            r = http.get(OC_V2 + op + "/" + oc_id)
            assert r.status_code == 200, (t, op, r.text)
            check.check(t.key, op, want, int(r.json()[0]["count"]))
        for op, side, others in (("citations", "citing", t.citers), ("references", "cited", t.refs)):
            r = http.get(OC_V2 + op + "/" + oc_id)
            assert r.status_code == 200, (t, op, r.text)
            rows = r.json()
            named = [resolve(row[side].split(" ")[0]) for row in rows if row[side]]
            # A row's id lists print the ids OpenCitations Meta holds (spec §3.1): a work with none of them (an S2
            # paper known by its S2 ids alone) is a row with an empty list, counted but not named
            unnamed = sum(1 for row in rows if not row[side])
            check.check(t.key, op, others - meta_less, set(named))
            check.check(t.key, f"{op} unnamed", len(others & meta_less), unnamed)
            check.check(t.key, f"{op} rows", len(others), len(rows))
            this = "cited" if side == "citing" else "citing"  # the work asked about, at the row's other end
            check.check(t.key, f"{op}: the work itself", {t.key} if rows else set(),
                        {resolve(row[this].split(" ")[0]) for row in rows})
    # COCI's metadata, 200 DOIs at a time: every work with a DOI, its citation count and the DOIs that cite it and
    # that it cites (COCI holds only works with DOIs, spec §3.2, so a citing or cited work without one is not listed)
    with_doi = [t for t in truth.values() if "doi" in t.ids and "__" not in t.ids["doi"]]  # (__ joins the DOIs)
    has_doi = {t.key for t in truth.values() if "doi" in t.ids}
    meta_rows = 0
    for chunk in _chunks(with_doi, COCI_META_BATCH):
        r = http.get(COCI_META + "__".join(_path(t.ids["doi"]) for t in chunk))
        assert r.status_code == 200, r.text
        rows = {resolve("doi:" + row["doi"]): row for row in r.json()}
        for t in chunk:
            row = rows.get(t.key)
            if row is None:
                check.add(t.key, "no COCI metadata row")
                continue
            meta_rows += 1
            check.check(t.key, "COCI citation_count", t.cited_by_count, int(row["citation_count"]))
            for field, others in (("citation", t.citers), ("reference", t.refs)):
                listed = {resolve("doi:" + d) for d in row[field].split("; ") if d}
                check.check(t.key, f"COCI {field}", others & has_doi, listed)
    check.assert_none()
    assert len(v2) >= 250 and meta_rows >= 5000, (len(v2), meta_rows)


# --- Semantic Scholar -----------------------------------------------------------------------------------------------
S2_PAPER = "/s2/graph/v1/paper/"
#: The page size lists are walked with (S2's default, so the longest lists take several pages).
S2_PAGE = 100


def _s2_named(resolve: Resolver, papers: Iterable[dict[str, Any] | None]) -> tuple[set[int | None], int]:
    """The works a list of S2 papers names, and how many it lists with ``paperId: null``."""
    named: set[int | None] = set()
    unnamed = 0
    for p in papers:
        if p is None or p.get("paperId") is None:
            unnamed += 1
        else:
            named.add(resolve(p["paperId"]))
    return named, unnamed


def test_s2_agrees_with_the_library(truth: dict[int, Truth], http: httpx.Client, resolve: Resolver) -> None:
    check = Mismatches("s2")
    # S2 lists a reference or citation it could not link with paperId null, and we keep it as a stub named by its
    # title alone (s2ref:…, README "Semantic Scholar"): such a work has no id S2 takes, so it is never asked, and
    # in a list it is an entry without a paperId
    unlinked = {t.key for t in truth.values() if set(t.ids) == {ids.S2REF}}
    nameable = [t for t in truth.values() if t.key not in unlinked]

    def compare_list(t: Truth, what: str, want: frozenset[int], papers: Sequence[dict[str, Any] | None]) -> None:
        named, unnamed = _s2_named(resolve, papers)
        check.check(t.key, what, want - unlinked, named)
        check.check(t.key, f"{what} with paperId null", len(want & unlinked), unnamed)
        check.check(t.key, f"{what} repeats", len(papers), len(named) + unnamed)

    # every work S2 can name, in POST /paper/batch: 500 a request, and at most 9,999 nested entries a request; a
    # nested list holds a paper's first 1,000 (spec §4.1), so a longer one is compared by walking it below
    batches: list[list[Truth]] = [[]]
    nested = 0
    for t in nameable:
        size = min(NESTED_LIST_MAX, t.cited_by_count) + min(NESTED_LIST_MAX, t.referenced_works_count)
        if len(batches[-1]) == S2_BATCH or nested + size > S2_BATCH_NESTED:
            batches.append([])
            nested = 0
        batches[-1].append(t)
        nested += size
    fields = "citationCount,referenceCount,citations.paperId,references.paperId"
    in_batch = 0
    for batch in batches:
        r = http.post(S2_PAPER + "batch", params={"fields": fields}, json={"ids": [paper_id(t.pairs) for t in batch]})
        assert r.status_code == 200, r.text
        for t, paper in zip(batch, r.json(), strict=True):
            if paper is None:
                check.add(t.key, f"batch: null for {paper_id(t.pairs)}")
                continue
            in_batch += 1
            check.check(t.key, "paperId", t.key, resolve(paper["paperId"]))
            check.check(t.key, "citationCount", t.cited_by_count, paper["citationCount"])
            check.check(t.key, "referenceCount", t.referenced_works_count, paper["referenceCount"])
            for what, want, count in (("citations", t.citers, t.cited_by_count),
                                      ("references", t.refs, t.referenced_works_count)):
                if count <= NESTED_LIST_MAX:
                    compare_list(t, f"nested {what}", want, paper[what])
                else:
                    check.check(t.key, f"nested {what} size", NESTED_LIST_MAX, len(paper[what]))
    # one at a time: GET /paper/{id}, and each of its lists walked to the end 100 at a time, for every non-stub work
    # whose list is not empty and every work whose list is longer than a nested one (an empty list was compared in
    # the batch, read by the same store query as these pages)
    walked = 0
    for t in nameable:
        long = max(t.cited_by_count, t.referenced_works_count) > NESTED_LIST_MAX
        if not (long or (not t.stub and (t.cited_by_count or t.referenced_works_count))):
            continue
        # S2 serves a list only while offset + limit < 10,000 (spec §4.1): no fixture work has that many
        assert max(t.cited_by_count, t.referenced_works_count) < CITATION_WINDOW - S2_PAGE, t.key
        pid = _path(paper_id(t.pairs) or "")
        r = http.get(S2_PAPER + pid, params={"fields": "citationCount,referenceCount"})
        assert r.status_code == 200, (t, r.text)
        paper = r.json()
        check.check(t.key, "GET citationCount", t.cited_by_count, paper["citationCount"])
        check.check(t.key, "GET referenceCount", t.referenced_works_count, paper["referenceCount"])
        for what, want, side in (("citations", t.citers, "citingPaper"), ("references", t.refs, "citedPaper")):
            if not want and not long:
                continue
            papers: list[dict[str, Any] | None] = []
            offset = 0
            while True:
                r = http.get(S2_PAPER + pid + "/" + what, params={"fields": "paperId", "limit": str(S2_PAGE),
                                                                  "offset": str(offset)})
                assert r.status_code == 200, (t, what, r.text)
                page = r.json()
                check.check(t.key, f"{what} offset", offset, page["offset"])
                papers += [d[side] for d in page["data"]]
                if "next" not in page:  # S2 leaves next out on the last page (spec §4.2)
                    break
                offset = page["next"]
            compare_list(t, what, want, papers)
        walked += 1
    check.assert_none()
    assert in_batch >= 13_000 and walked >= 1_000 and len(unlinked) > 0, (in_batch, walked, len(unlinked))


# --- a record's references and a citation file's ------------------------------------------------------------------
def test_openalex_lists_the_references_a_citation_file_adds_to_its_record(
        new_db: NewDb, serve_db: Callable[..., str]) -> None:
    """OpenCitations' rows give PeerJ's "The state of OA" two references its OpenAlex record does not list. In the
    database of every fixture its Crossref record makes it a two-source work, served from the graph; with its OpenAlex
    record and those rows alone, the record is its only one and must not be served as the whole list (a regression:
    the record was spliced as is, two references short of the referenced_works_count served beside it)."""
    db = new_db("oa-oc")  # both engines: what the store reads for serving is their shared SQL
    with citegraph.open(db, create=True) as graph:
        assert graph.load([DATA / "openalex" / "W2741809807.json", DATA / "opencitations" / "crossref_citations.csv"],
                          workers=0).ok
    check = Mismatches("openalex")
    with citegraph.open(db, readonly=True) as graph, httpx.Client(base_url=serve_db(db) + "/openalex",
                                                                  timeout=60) as http:
        resolve = Resolver(graph)
        peerj = graph.work("doi:10.7717/peerj.4375")
        assert peerj.sources == ["openalex"]
        added = {resolve("doi:10.1016/j.joi.2016.08.002"), resolve("doi:10.1002/leap.1021")}
        refs = set(graph.reference_keys(peerj.key))
        assert added <= refs and len(refs) == peerj.referenced_works_count
        single = http.get("/works/W2741809807").json()  # the hot path, which splices a record's bytes
        listed = http.get("/works", params={"filter": "openalex:W2741809807"}).json()["results"]
        assert len(listed) == 1
        for what, served in (("GET /works/{id}", single), ("filter=openalex:", listed[0])):
            check.check(peerj.key, f"{what} referenced_works", refs, {resolve(r) for r in served["referenced_works"]})
            check.check(peerj.key, f"{what} referenced_works_count", len(refs), served["referenced_works_count"])
    check.assert_none()
