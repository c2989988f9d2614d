"""The Crossref source: reading public data file parts, JSON Lines, tars and API answers; mapping works.

Real records throughout (tests/data/crossref, see tests/data/PROVENANCE.md); the corrupt and
container variants are built here from those records.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import msgspec
import pytest

import citegraph
from citegraph.graph.load import SOURCE_MODULES, detect_source
from citegraph.model import Id
from citegraph.sources import RecordError, crossref

DATA = Path(__file__).resolve().parent.parent / "data"
CROSSREF = DATA / "crossref"
PARTS = sorted(p for p in CROSSREF.glob("*.json.gz") if p.name != "recorded_answers.json.gz")
BJPS = "10.1016/j.bjps.2022.04.046"  # 1item.json.gz: 40 references, all with DOIs


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _items(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(_read(path))
    return list(doc["items"])


def _records(data: bytes, start: int = 0) -> list[tuple[int, bytes]]:
    return list(crossref.iter_raw(io.BytesIO(data), start=start))


def _mapped(path: Path) -> list[crossref.Mapped]:
    return [crossref.map_record(raw) for _pos, raw in _records(_read(path))]


def test_registered_as_a_source() -> None:
    assert SOURCE_MODULES["crossref"] is crossref


@pytest.mark.parametrize("path", [*PARTS, CROSSREF / "crossref_dump.json", CROSSREF / "works.jsonl.gz"],
                         ids=lambda p: p.name)
def test_every_real_file_is_recognised_read_and_mapped(path: Path) -> None:
    data = _read(path)
    assert crossref.sniff(data[:65536])
    assert detect_source(data[:65536]) == "crossref"
    records = _records(data)
    if path.name.endswith(".jsonl.gz"):
        expected = [json.loads(line)["DOI"] for line in data.splitlines() if line.strip()]
    else:
        expected = [item["DOI"] for item in json.loads(data)["items"]]
    assert [pos for pos, _raw in records] == list(range(len(expected)))
    mapped = [crossref.map_record(raw) for _pos, raw in records]
    assert [m.work.ids[0] for m in mapped] == [Id("doi", d.lower()) for d in expected]
    for m in mapped:
        assert m.work.source == "crossref"
        assert json.loads(m.raw)["DOI"].lower() == m.work.ids[0].value  # the item's own bytes are kept
        assert b"\n" not in m.raw  # compacted, even from a pretty-printed part


def test_a_work_mapped_field_by_field() -> None:
    item = _items(CROSSREF / "1item.json.gz")[0]
    m = crossref.map_record(json.dumps(item).encode())
    w = m.work
    assert w.ids == [Id("doi", BJPS)]
    assert w.title and w.title.startswith("Deep inferior epigastric perforator (DIEP) flap safety profile")
    assert w.type == "article" and w.type_source == "journal-article"
    # issued is [[2022, 4]]: the partial date kept, the publication date its earliest day
    assert w.dates.issued == "2022-04" and w.dates.published_print == "2022-04"
    assert w.publication_date == "2022-04-01" and w.publication_year == 2022
    assert w.dates.created == "2022-04-30" and w.dates.indexed == "2022-04-30"
    assert m.version == w.version == "2022-04-30T06:41:10Z"
    # the container title's entity is resolved for search; the stored record keeps Crossref's text
    assert w.container_titles == ["Journal of Plastic, Reconstructive & Aesthetic Surgery"]
    assert json.loads(m.raw)["container-title"] == ["Journal of Plastic, Reconstructive &amp; Aesthetic Surgery"]
    assert w.venue is not None and w.venue.ids == [Id("issn", "1748-6815")] and w.venue.type == "journal"
    assert w.publisher == item["publisher"] and w.member == "78" and w.prefix == "10.1016"
    assert [a.name for a in w.authors] == ["Michelle YL Tan", "James Onggo", "Saleh Serag", "Kevin Phan",
                                           "Joseph R Dusseldorp"]
    assert [a.position for a in w.authors] == ["first", "middle", "middle", "middle", "last"]
    assert w.authors[2].ids == [Id("orcid", "0000-0001-5435-8794")]
    assert [c.name for c in w.concepts] == ["Surgery"] and w.concepts[0].kind == "subject"
    assert w.licenses[0].url == "https://www.elsevier.com/tdm/userlicense/1.0/" and w.licenses[0].start == "2022-04-01"
    assert w.licenses[0].version == "tdm"
    # 40 references, each with a DOI: 40 citations, in the record's order
    assert len(w.references) == 40 and all(len(r.ids) == 1 for r in w.references)
    assert w.references[0].ids == [Id("doi", "10.7314/apjcp.2016.17.s3.43")]
    assert w.references[0].key == "10.1016/j.bjps.2022.04.046_bib0001"  # its printed parts stay in the record
    assert w.reference_visibility == "open"
    assert w.upstream.cited_by_count == 0 and w.upstream.referenced_works_count == 40
    assert m.duplicate_refs == 0 and m.self_refs == 0 and m.issues == []


def test_references_without_a_doi_are_kept_for_matching() -> None:
    items = _items(CROSSREF / "2item-references.json.gz")
    m = crossref.map_record(json.dumps(items[0]).encode())
    listed = items[0]["reference"]
    assert len(m.work.references) == len(listed) == 42
    with_doi = [r for r in m.work.references if r.ids]
    assert len(with_doi) == sum(1 for r in listed if "DOI" in r) == 34
    kept = [r for r in m.work.references if not r.ids]
    assert all(r.unstructured or r.title or r.author for r in kept)
    first_plain = next(r for r in listed if "DOI" not in r)
    assert kept[0].key == first_plain["key"]
    assert kept[0].unstructured == first_plain.get("unstructured")


def test_repeated_and_self_references_are_counted_and_dropped() -> None:
    item = _items(CROSSREF / "1item.json.gz")[0]
    refs = item["reference"]
    item["reference"] = [*refs, dict(refs[0], key="again"), {"key": "self", "DOI": BJPS.upper()},
                         {"key": "bad", "DOI": "10.1126/science. 1109070"}]
    m = crossref.map_record(json.dumps(item).encode())
    assert m.duplicate_refs == 1 and m.self_refs == 1
    assert len(m.work.references) == 41  # the 40, and the entry whose DOI is unusable (kept without an id)
    assert m.work.references[-1].ids == [] and m.work.references[-1].key == "bad"
    assert m.issues == ["unusable reference DOI '10.1126/science. 1109070'"]


def test_jats_abstract_becomes_text() -> None:
    items = _items(CROSSREF / "same-author.json.gz")
    m = crossref.map_record(json.dumps(items[0]).encode())
    assert items[0]["abstract"].startswith("<jats:p>")
    assert m.has_abstract and m.work.abstract is not None
    assert m.work.abstract.startswith("Financial literacy is defined by the OECD (2020)")
    assert "<" not in m.work.abstract and "  " not in m.work.abstract
    assert crossref.abstract_text("<jats:title>Abstract</jats:title><jats:p>One <jats:italic>two</jats:italic>"
                                  "</jats:p><jats:p>three &amp; four</jats:p>") == "One two three & four"
    assert crossref.abstract_text("<jats:p> </jats:p>") is None


def test_funders_affiliations_editors_and_isbns() -> None:
    funded = crossref.map_record(json.dumps(_items(CROSSREF / "funded.json.gz")[0]).encode()).work
    listed = _items(CROSSREF / "funded.json.gz")[0]["funder"]
    assert [f.name for f in funded.funders] == [f["name"] for f in listed]
    for f, raw in zip(funded.funders, listed, strict=True):
        assert f.ids == ([Id("doi", raw["DOI"].lower())] if "DOI" in raw else [])
        assert f.awards == raw.get("award", [])
    aff = crossref.map_record(json.dumps(_items(CROSSREF / "affiliations.json.gz")[0]).encode()).work
    names = [af.name for a in aff.authors for af in a.affiliations]
    assert names and all(names)
    raw_names = [af["name"] for a in _items(CROSSREF / "affiliations.json.gz")[0]["author"] for af in a["affiliation"]]
    assert names == raw_names
    book = _mapped(CROSSREF / "crossref-2025.jsonl.gz")[0].work
    assert book.type == "book" and book.isbn == ["9783031745348", "9783031745355"]
    assert [(a.name, a.role) for a in book.authors] == [("Abdul Karim Bangura", "editor"),
                                                        ("JP Afamefuna Ifedi", "editor")]
    assert book.publication_date == "2024-01-01" and book.dates.issued == "2024"
    assert book.venue is not None and {i.value for i in book.venue.ids} == {"2948-2399", "2948-2402"}


def test_dates_from_parts() -> None:
    def d(parts: Any) -> tuple[str | None, list[str]]:
        issues: list[str] = []
        date = msgspec.json.decode(json.dumps({"date-parts": parts}), type=crossref._Date)
        return crossref.date_from_parts(date, issues, "issued"), issues

    assert d([[2019, 4, 30]]) == ("2019-04-30", [])
    assert d([[2019, 4]]) == ("2019-04", [])
    assert d([[2019]]) == ("2019", [])
    assert d([["2019", "04"]]) == ("2019-04", [])  # some deposits write the parts as strings
    assert d([[None]]) == (None, [])  # Crossref's "no date"
    assert d([[2019, 13, 1]]) == ("2019", [])  # an impossible month leaves the year
    assert d([[2019, 2, 30]]) == ("2019-02", [])
    assert d([[2020, 2, 29]]) == ("2020-02-29", [])
    assert d([[0]]) == (None, ["unusable issued date [0]"])
    assert d([]) == (None, [])


def test_unusable_records_are_rejected_with_a_reason() -> None:
    item = _items(CROSSREF / "1item.json.gz")[0]
    for raw, reason in [(b'"a string"', "not a JSON object"), (b"{not json", "invalid JSON"),
                        (json.dumps({k: v for k, v in item.items() if k != "DOI"}).encode(), "record has no DOI"),
                        (json.dumps(dict(item, DOI="not-a-doi")).encode(), "is not a DOI"),
                        (json.dumps(dict(item, title="a string, not a list")).encode(), "unexpected value type")]:
        with pytest.raises(RecordError, match=reason):
            crossref.map_record(raw)


def test_a_corrupt_item_is_set_aside_and_the_rest_of_its_part_loads() -> None:
    items = _items(CROSSREF / "3items.json.gz")
    good = [json.dumps(i) for i in items]
    # the middle item is damaged inside (a bad escape and a stray byte): the part no longer decodes whole
    broken = good[1].replace('"DOI": "', '"DOI": "\\q', 1)[:-1] + ', \x01}'
    for text in ('{"items": [' + ", ".join([good[0], broken, good[2]]) + "]}",
                 '{\n  "items": [\n' + ",\n".join([good[0], broken, good[2]]) + "\n  ]\n}\n"):
        records = _records(text.encode())
        assert [pos for pos, _raw in records] == [0, 1, 2]
        outcome = []
        for _pos, raw in records:
            try:
                outcome.append(crossref.map_record(raw).work.ids[0].value)
            except RecordError as exc:
                outcome.append(exc.reason.split(":")[0])
        assert outcome == [items[0]["DOI"].lower(), "invalid JSON", items[2]["DOI"].lower()]


def test_resuming_skips_what_was_read() -> None:
    data = _read(CROSSREF / "3items.json.gz")
    assert [pos for pos, _raw in _records(data, start=2)] == [2]
    lines = _read(CROSSREF / "crossref-2025.jsonl.gz")
    assert [pos for pos, _raw in _records(b"\n" + lines, start=2)] == [2, 3]  # a blank line keeps its number


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_a_tar_of_parts_as_crossref_distributes_it() -> None:
    parts = [("April 2023 Public Data File from Crossref/0.json.gz", (CROSSREF / "3items.json.gz").read_bytes()),
             ("April 2023 Public Data File from Crossref/README.txt", b"not data"),
             ("April 2023 Public Data File from Crossref/1.json.gz", (CROSSREF / "1item.json.gz").read_bytes()),
             ("April 2023 Public Data File from Crossref/2.jsonl.gz",
              (CROSSREF / "crossref-2025.jsonl.gz").read_bytes())]
    data = _tar(parts)
    assert crossref.sniff(data[:65536]) and detect_source(data[:65536]) == "crossref"
    stride = crossref.TAR_MEMBER_STRIDE
    records = _records(data)
    assert [pos for pos, _raw in records] == [0, 1, 2, stride, 2 * stride, 2 * stride + 1, 2 * stride + 2]
    dois = [crossref.map_record(raw).work.ids[0].value for _pos, raw in records]
    assert dois[3] == BJPS
    # resuming inside the third member reads on from there; the first two are not decompressed
    assert [pos for pos, _raw in _records(data, start=2 * stride + 1)] == [2 * stride + 1, 2 * stride + 2]
    # a tar of something else is not Crossref
    assert not crossref.sniff(_tar([("x/0.json.gz", gzip.compress(b'{"id": "https://openalex.org/W1"}'))]))


def test_api_answers_arrays_and_bare_works() -> None:
    item = _items(CROSSREF / "1item.json.gz")[0]
    other = _items(CROSSREF / "orcid-work.json.gz")[0]
    single = json.dumps({"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": item})
    page = json.dumps({"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                       "message": {"facets": {}, "total-results": 2, "items": [item, other], "items-per-page": 2,
                                   "query": {"start-index": 0, "search-terms": None}}})
    for text, expected in [(single, [BJPS]), (page, [BJPS, other["DOI"].lower()]),
                           (page + "\n" + single + "\n", [BJPS, other["DOI"].lower(), BJPS]),
                           (json.dumps([item, other], indent=2), [BJPS, other["DOI"].lower()]),
                           (json.dumps(item, indent=2), [BJPS])]:
        assert crossref.sniff(text.encode()[:65536]), text[:80]
        records = _records(text.encode())
        assert [crossref.map_record(raw).work.ids[0].value for _pos, raw in records] == expected
        assert [pos for pos, _raw in records] == list(range(len(expected)))
    empty = b'{"status":"ok","message-type":"work-list","message":{"items":[],"total-results":0}}'
    assert crossref.sniff(empty) and _records(empty) == []
    assert crossref.sniff(b'{"items": []}') and _records(b'{"items": []}') == []


def test_sniff_refuses_other_sources_and_other_json() -> None:
    openalex = gzip.decompress((DATA / "openalex" / "works.jsonl.gz").read_bytes())[:65536]
    assert not crossref.sniff(openalex) and detect_source(openalex) == "openalex"
    # recorded answers kept as a list of our own objects: a DOI nested in them is not a work's
    recorded = gzip.decompress((CROSSREF / "recorded_answers.json.gz").read_bytes())[:65536]
    assert not crossref.sniff(recorded) and detect_source(recorded) is None
    assert not crossref.sniff(b'{"DOI": "10.1/x"}')  # a DOI alone does not make a Crossref record
    assert not crossref.sniff(b"DOI,title\n10.1/x,y\n")


def test_loading_merges_with_openalex_by_doi_and_reruns_to_the_same_result(tmp_path: Path) -> None:
    db = tmp_path / "cr.db"
    peerj = "10.7717/peerj.4375"  # in the OpenAlex fixtures and in crossref_dump.json
    inputs = [DATA / "openalex" / "works.jsonl.gz", CROSSREF / "crossref_dump.json", CROSSREF / "1item.json.gz"]
    with citegraph.open(db, create=True) as graph:
        report = graph.load(inputs)
        assert report.rejected == 0 and report.rejected_files == 0
        assert report.merged == 1
        work = graph.work(f"doi:{peerj}")
        assert sorted(work.sources) == ["crossref", "openalex"]
        assert graph.record(work.key, "crossref") is not None
        # the Peroni et al. record cites two works of the same file: edges from Crossref's reference list
        citing = graph.work("doi:10.1108/jd-12-2013-0166")
        assert citing.referenced_works_count == 38
        cited = graph.work("doi:10.1016/j.websem.2013.05.001")
        assert cited.cited_by_count >= 1 and not cited.stub
        bjps = graph.work(f"doi:{BJPS}")
        assert bjps.referenced_works_count == 40
        stats = graph.stats()
        stats.pop("bytes")  # the file's size on disk, not its content
    with citegraph.open(db) as graph:
        again = graph.load(inputs)
        assert again.loaded == 0 and all(f.status == "skipped" for f in again.files)
        assert {k: v for k, v in graph.stats().items() if k != "bytes"} == stats


def test_a_later_indexed_record_replaces_the_older_one(tmp_path: Path) -> None:
    item = _items(CROSSREF / "1item.json.gz")[0]
    newer = dict(item, indexed=dict(item["indexed"], **{"date-time": "2024-01-01T00:00:00Z"}),
                 reference=item["reference"][:10])
    older = dict(item, indexed=dict(item["indexed"], **{"date-time": "2020-01-01T00:00:00Z"}), reference=[])
    (tmp_path / "a.json").write_text(json.dumps({"items": [item]}))
    (tmp_path / "b.json").write_text(json.dumps({"items": [newer]}))
    (tmp_path / "c.json").write_text(json.dumps({"items": [older]}))
    with citegraph.open(tmp_path / "g.db", create=True) as graph:
        graph.load([tmp_path / "a.json"])
        assert graph.work(f"doi:{BJPS}").referenced_works_count == 40
        report = graph.load([tmp_path / "b.json"])
        assert report.updated == 1
        assert graph.work(f"doi:{BJPS}").referenced_works_count == 10  # references it no longer lists are gone
        report = graph.load([tmp_path / "c.json"])
        assert report.updated == 0  # an older version does not replace a newer one
        assert graph.work(f"doi:{BJPS}").referenced_works_count == 10


def test_a_damaged_member_is_set_aside_and_a_cut_tar_keeps_what_was_read(tmp_path: Path) -> None:
    good = (CROSSREF / "3items.json.gz").read_bytes()
    damaged = bytearray((CROSSREF / "2item-references.json.gz").read_bytes())
    damaged[len(damaged) // 2:len(damaged) // 2 + 64] = bytes(64)  # a run of zeros inside the deflate stream
    data = _tar([("p/0.json.gz", good), ("p/1.json.gz", bytes(damaged)), ("p/2.json.gz",
                                                                         (CROSSREF / "1item.json.gz").read_bytes())])
    (tmp_path / "parts.tar").write_bytes(data)
    with citegraph.open(tmp_path / "g.db", create=True) as graph:
        report = graph.load([tmp_path / "parts.tar"], rejects_path=tmp_path / "rejects.jsonl")
        assert report.loaded == 4 and report.rejected == 1  # 3 + 1 items; the damaged member set aside
        assert graph.work(f"doi:{BJPS}").referenced_works_count == 40
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert rejects[0]["position"] == crossref.TAR_MEMBER_STRIDE
    assert rejects[0]["reason"].startswith("damaged tar member p/1.json.gz")
    # a tar cut short: the first member loads, the file is reported damaged
    cut = _tar([("p/0.json.gz", good), ("p/1.json.gz", (CROSSREF / "1item.json.gz").read_bytes())])
    second = 512 + -(-len(good) // 512) * 512  # where the second member's header starts
    (tmp_path / "cut.tar").write_bytes(cut[:second + 512 + 1000])  # inside the second member's data
    with citegraph.open(tmp_path / "h.db", create=True) as graph:
        report = graph.load([tmp_path / "cut.tar"])
        assert report.loaded == 3 and report.rejected_files == 1
        assert report.files[0].status == "partial" and "tar" in (report.files[0].reason or "")
