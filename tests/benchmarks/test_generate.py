"""benchmarks/generate.py writes a corpus that loaders and benchmarks can rely on.

Generates 2,000-work corpora (a second or so each) and checks layout, manifest, record shape against
real OpenAlex records, the citation graph's shape, record size and determinism.
"""

from __future__ import annotations

import gzip
import json
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
REAL_WORKS = Path(__file__).resolve().parents[1] / "data" / "openalex" / "works.jsonl.gz"
sys.path.insert(0, str(BENCHMARKS))

import generate  # noqa: E402

WORKS = 2_000
FILES = 3
SEED = 7
# Keys the benchmarks and loaders depend on; every generated record must carry them.
CORE_KEYS = (
    "id", "doi", "title", "display_name", "publication_year", "publication_date", "ids", "language",
    "primary_location", "type", "open_access", "authorships", "biblio", "primary_topic", "topics",
    "concepts", "keywords", "referenced_works", "related_works", "abstract_inverted_index",
    "counts_by_year", "cited_by_count", "updated_date", "created_date",
)


def read_records(paths: list[Path]) -> list[dict[str, Any]]:
    """Every record of the given part files, in file order."""
    records: list[dict[str, Any]] = []
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle)
    return records


def number(openalex_id: str) -> int:
    """The integer of an OpenAlex work id URL."""
    return int(openalex_id.rsplit("/W", 1)[1])


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot-layout corpus in three part files."""
    out = tmp_path_factory.mktemp("snapshot")
    generate.generate(WORKS, out, seed=SEED, files=FILES, snapshot=True, jobs=1)
    return out


@pytest.fixture(scope="module")
def parts(snapshot: Path) -> list[Path]:
    """The snapshot's part files in order."""
    return sorted((snapshot / "data" / "works" / f"updated_date={generate.SNAPSHOT_DATE}").glob("part_*.gz"))


@pytest.fixture(scope="module")
def records(parts: list[Path]) -> list[dict[str, Any]]:
    """All records of the snapshot corpus."""
    return read_records(parts)


@pytest.fixture(scope="module")
def corpus(snapshot: Path) -> dict[str, Any]:
    """The snapshot's corpus.json."""
    result: dict[str, Any] = json.loads((snapshot / "corpus.json").read_text())
    return result


def test_snapshot_layout_and_manifest_match_files(snapshot: Path, parts: list[Path]) -> None:
    manifest = json.loads((snapshot / "data" / "works" / "manifest").read_text())
    assert [p.name for p in parts] == ["part_000.gz", "part_001.gz", "part_002.gz"]
    assert len(manifest["entries"]) == FILES
    total_bytes = total_records = 0
    for entry, path in zip(manifest["entries"], parts, strict=True):
        assert entry["url"] == f"s3://openalex/data/works/updated_date={generate.SNAPSHOT_DATE}/{path.name}"
        assert entry["meta"]["content_length"] == path.stat().st_size
        with gzip.open(path, "rb") as handle:
            assert entry["meta"]["record_count"] == sum(1 for _ in handle)
        total_bytes += entry["meta"]["content_length"]
        total_records += entry["meta"]["record_count"]
    assert manifest["meta"] == {"content_length": total_bytes, "record_count": total_records}
    assert total_records == WORKS
    assert not list(snapshot.rglob("*.tmp"))


def test_every_work_once_in_id_order(records: list[dict[str, Any]]) -> None:
    assert [number(r["id"]) for r in records] == list(range(1, WORKS + 1))
    for record in records:
        n = number(record["id"])
        assert record["ids"]["openalex"] == record["id"]
        assert record["ids"]["mag"] == str(n)
        assert record["doi"] == generate.work_doi(n)
        assert record["ids"].get("doi") == record["doi"]
        for key in CORE_KEYS:
            assert key in record, (key, record["id"])


def test_publication_order_follows_ids(records: list[dict[str, Any]]) -> None:
    dates = [r["publication_date"] for r in records]
    assert dates == sorted(dates)
    years = Counter(r["publication_year"] for r in records)
    assert min(years) == generate.FIRST_YEAR and max(years) == generate.LAST_YEAR
    assert years[2020] > 5 * years[1955]  # volume grows over the span


def _walk(value: Any, path: str, keys: dict[str, set[str]], types: dict[str, set[str]]) -> None:
    """Record the keys of every object and the type of every value, by path ('[]' for list items)."""
    types.setdefault(path, set()).add(type(value).__name__)
    if isinstance(value, dict):
        if path.endswith("abstract_inverted_index"):  # its keys are words, not field names
            return
        keys.setdefault(path, set()).update(value)
        for key, item in value.items():
            _walk(item, f"{path}.{key}", keys, types)
    elif isinstance(value, list):
        for item in value:
            _walk(item, path + "[]", keys, types)


def test_shape_matches_real_openalex_records(records: list[dict[str, Any]]) -> None:
    if not REAL_WORKS.exists():
        pytest.skip(f"real OpenAlex records not present at {REAL_WORKS}")
    real_keys: dict[str, set[str]] = {}
    real_types: dict[str, set[str]] = {}
    with gzip.open(REAL_WORKS, "rt", encoding="utf-8") as handle:
        for line in handle:
            _walk(json.loads(line), "", real_keys, real_types)
    keys: dict[str, set[str]] = {}
    types: dict[str, set[str]] = {}
    for record in records:
        _walk(record, "", keys, types)
    unknown_keys = {path: found - real_keys.get(path, set()) for path, found in keys.items()}
    assert {path: extra for path, extra in unknown_keys.items() if extra} == {}
    unknown_types = {path: found - real_types.get(path, set()) for path, found in types.items()}
    assert {path: extra for path, extra in unknown_types.items() if extra} == {}
    # The nested parts the loaders read are really there, not just allowed.
    for path in (".primary_location.source", ".authorships[].author", ".authorships[].institutions[]",
                 ".topics[].field", ".concepts[]", ".keywords[]", ".counts_by_year[]"):
        assert path in keys, path
    assert {"issn_l", "issn", "display_name", "id"} <= keys[".primary_location.source"]
    assert {"id", "orcid", "display_name"} <= keys[".authorships[].author"]


def test_references_point_to_older_existing_works(records: list[dict[str, Any]],
                                                   corpus: dict[str, Any]) -> None:
    edges = self_refs = duplicates = without = 0
    for record in records:
        n = number(record["id"])
        refs = [number(r) for r in record["referenced_works"]]
        assert record["referenced_works_count"] == len(refs)
        for cited in refs:
            assert 1 <= cited < n or cited == n, (n, cited)
        self_refs += refs.count(n)
        duplicates += len(refs) - len(set(refs))
        edges += len(refs)
        without += not refs
        assert len(record["related_works"]) == 10
    assert edges == corpus["edges"]
    assert self_refs == corpus["self_refs"]
    assert duplicates == corpus["duplicate_refs"]
    assert without == corpus["works_without_refs"]
    assert 15 * WORKS <= edges <= 25 * WORKS  # mean 20 references, fewer for the oldest works
    assert records[0]["referenced_works"] == [] or records[0]["referenced_works"] == [records[0]["id"]]


def test_anomalies_are_planted_at_scale() -> None:
    """Self-references (1 in 10,000 works) and duplicates (1 in 1,000) appear at their rates."""
    works = 50_000
    params = generate.Params(works=works, seed=3, mean_refs=5.0, files=1, snapshot=False)
    writer = generate.PartWriter(generate.Model(params), 0)
    self_refs = duplicates = 0
    for n in range(1, works + 1):
        refs = writer.references(n)
        assert all(1 <= cited < n or cited == n for cited in refs)
        self_refs += refs.count(n)
        duplicates += len(refs) - len(set(refs))
    assert (self_refs, duplicates) == (writer.self_refs, writer.duplicate_refs)
    assert 1 <= self_refs <= 15  # expected 5
    assert 20 <= duplicates <= 90  # expected ~46 (works without references get none)


def test_in_degree_is_heavy_tailed(records: list[dict[str, Any]], corpus: dict[str, Any]) -> None:
    in_degree = Counter(number(r) for record in records for r in record["referenced_works"])
    degrees = [in_degree.get(n, 0) for n in range(1, WORKS + 1)]
    top_id, top_degree = in_degree.most_common(1)[0]
    median = statistics.median_low(degrees)
    assert top_degree >= 30 * max(median, 1)
    assert top_degree >= 0.005 * corpus["edges"]  # hubs take a share of all references
    assert corpus["most_cited_id"] == f"W{top_id}"
    assert corpus["most_cited_in_degree"] == top_degree
    assert corpus["median_in_degree"] == median
    assert in_degree.get(int(corpus["median_work_id"][1:]), 0) == median
    assert corpus["median_work_doi"] == generate.work_doi(int(corpus["median_work_id"][1:]))
    assert corpus["most_cited_doi"] is not None
    assert sum(1 for d in degrees if d == 0) < WORKS / 2  # most works are cited at least once


def test_mean_record_size(records: list[dict[str, Any]], parts: list[Path], corpus: dict[str, Any]) -> None:
    raw = sum(len(gzip.decompress(p.read_bytes())) for p in parts)
    assert corpus["mean_record_bytes"] == pytest.approx(raw / WORKS, abs=0.1)
    # 5-6 KB at 1M works; ids here are shorter, so allow a little below.
    assert 4_800 <= raw / WORKS <= 6_500


def test_same_seed_same_bytes_any_layout_and_jobs(tmp_path: Path, parts: list[Path]) -> None:
    again = tmp_path / "again"
    generate.generate(WORKS, again, seed=SEED, files=FILES, snapshot=False, jobs=2)
    plain = sorted(again.glob("part_*.jsonl.gz"))
    assert [p.read_bytes() for p in plain] == [p.read_bytes() for p in parts]
    other = tmp_path / "other"
    generate.generate(WORKS, other, seed=SEED + 1, files=FILES, jobs=1)
    assert (other / "part_000.jsonl.gz").read_bytes() != plain[0].read_bytes()


def test_cli_writes_plain_layout_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    assert generate.main(["--works", "500", "--out", str(out), "--seed", "2", "--jobs", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["works"] == 500
    assert printed["mean_record_bytes"] > 0
    assert sorted(p.name for p in out.iterdir()) == ["corpus.json", "part_000.jsonl.gz"]
    stored = json.loads((out / "corpus.json").read_text())
    assert {k: stored[k] for k in printed} == printed
    assert {"works", "edges", "most_cited_id", "most_cited_in_degree", "median_work_id",
            "mean_record_bytes", "seed"} <= set(stored)


# --- the same corpus in Crossref's shape ----------------------------------------------------------------------

REAL_CROSSREF = Path(__file__).resolve().parents[1] / "data" / "crossref" / "works.jsonl.gz"


@pytest.fixture(scope="module")
def crossref_dir(snapshot: Path) -> Path:
    """The snapshot corpus's works written again as Crossref public data file parts (and as JSON Lines)."""
    generate.generate(WORKS, snapshot, seed=SEED, files=FILES, snapshot=True, jobs=1, fmt="crossref")
    generate.generate(WORKS, snapshot, seed=SEED, files=FILES, snapshot=True, jobs=1, fmt="crossref-jsonl")
    return snapshot


def _crossref_items(folder: Path) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in sorted((folder / "crossref").glob("*.json.gz"), key=lambda p: int(p.name.split(".")[0])):
        with gzip.open(path) as handle:
            items.extend(json.load(handle)["items"])
    return items


def test_crossref_shape_is_the_same_corpus(crossref_dir: Path, records: list[dict[str, Any]]) -> None:
    items = _crossref_items(crossref_dir)
    with_doi = [r for r in records if r["doi"]]
    assert [i["DOI"] for i in items] == [r["doi"].removeprefix("https://doi.org/") for r in with_doi]
    by_doi = {i["DOI"]: i for i in items}
    for r in with_doi:
        item = by_doi[r["doi"].removeprefix("https://doi.org/")]
        cited = [f"10.5555/synth.{number(w)}" for w in r["referenced_works"] if generate.has_doi(number(w))]
        assert [e["DOI"] for e in item["reference"] if "DOI" in e] == cited
        assert len(item["reference"]) == len(r["referenced_works"]) == item["reference-count"]
        assert item["is-referenced-by-count"] == r["cited_by_count"] and item["title"] == [r["title"]]
        assert item["issued"]["date-parts"][0][0] == r["publication_year"]
    meta = json.loads((crossref_dir / "corpus-crossref.json").read_text())
    assert meta["records"] == len(items) and meta["layout"] == "crossref"
    lines = []
    for path in sorted((crossref_dir / "crossref-jsonl").glob("*.jsonl.gz")):
        with gzip.open(path) as handle:
            lines.extend(json.loads(line) for line in handle)
    assert lines == items  # the JSON Lines form holds the same items


def test_crossref_shape_matches_real_crossref_records(crossref_dir: Path) -> None:
    real_keys: dict[str, set[str]] = {}
    real_types: dict[str, set[str]] = {}
    with gzip.open(REAL_CROSSREF, "rt", encoding="utf-8") as handle:
        for line in handle:
            _walk(json.loads(line), "", real_keys, real_types)
    keys: dict[str, set[str]] = {}
    types: dict[str, set[str]] = {}
    for item in _crossref_items(crossref_dir):
        _walk(item, "", keys, types)
    unknown = {path: found - real_keys.get(path, set()) for path, found in keys.items()}
    # affiliation ids are newer than the fixtures' records (Crossref added them in 2023)
    assert {p: extra for p, extra in unknown.items() if extra and not p.startswith(".author[].affiliation[]")} == {}
    for path in (".author[]", ".reference[]", ".issued", ".indexed", ".license[]", ".funder[]", ".link[]"):
        assert path in keys, path


def test_the_corpus_loads_with_no_unusable_ids(crossref_dir: Path, parts: list[Path], tmp_path: Path) -> None:
    """Identifiers are well formed, check characters included (ISSN, ORCID, ROR), as in real records: a load
    reports no issue a real corpus would not have, and spends no time on them."""
    import citegraph

    crossref = sorted((crossref_dir / "crossref").glob("*.json.gz"))
    with citegraph.open(tmp_path / "g.db", create=True) as g:
        report = g.load([*parts, *crossref], workers=0, rejects_path=tmp_path / "rejects.jsonl")
    rejects = tmp_path / "rejects.jsonl"
    reasons = Counter(json.loads(line)["reason"].split(" '")[0]
                      for line in (rejects.read_text().splitlines() if rejects.exists() else []))
    assert report.loaded == WORKS + len(crossref and _crossref_items(crossref_dir)) and report.rejected == 0
    assert not {r for r in reasons if r.startswith("unusable")}, reasons
