"""The numpy columns that answer group-bys and facets: the same answers as SQL, over real records.

Two graphs open the same database of the OpenAlex and Crossref fixtures: one answers group-bys and counts from
the columns, the other (``columnar=False``) by SQL alone. Every generated query must get the same count and the
same groups, in the same order, from both.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import citegraph
from citegraph import query as q
from citegraph.store import SQLiteStore
from citegraph.store.sqlite_columns import COLUMNS_SUFFIX, ascii_lower
from citegraph.store.sqlquery import COLUMN_FIELDS, FACET_FIELDS, FLAG_FACETS

DATA = Path(__file__).resolve().parents[1] / "data"
OPENALEX = DATA / "openalex" / "works.jsonl.gz"
CROSSREF = DATA / "crossref" / "works.jsonl.gz"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("columns") / "g.db"
    with citegraph.open(path, create=True) as g:
        g.load([OPENALEX, CROSSREF], workers=0)
    return path


@pytest.fixture(scope="module", params=["saved", "computed"])
def graphs(db: Path, request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[citegraph.Graph, citegraph.Graph]]:
    """(columns, SQL alone) over the fixtures: the columns mapped from the build's save, or computed by a
    reader of a copy that has none."""
    path = db
    if request.param == "computed":
        path = tmp_path_factory.mktemp("computed") / "g.db"
        shutil.copy(db, path)
        shutil.copytree(db.with_name(db.name + ".search"), path.with_name(path.name + ".search"))
    fast = citegraph.open(path, readonly=True)
    plain = citegraph.Graph(SQLiteStore(path, readonly=True, columnar=False))
    columns = fast.store.columns  # type: ignore[attr-defined]
    assert columns is not None and plain.store.columns is None  # type: ignore[attr-defined]
    fast.find(q.Query(group_by=q.GroupBy(q.TYPE)))
    assert (columns._saved is not None) == (request.param == "saved")
    yield fast, plain
    fast.close()
    plain.close()


@pytest.fixture(scope="module")
def pool(db: Path) -> list[q.Predicate]:
    """Leaf predicates over values the corpus really holds (and some it does not)."""
    store = SQLiteStore(db, readonly=True)
    conn = store.conn
    preds: list[q.Predicate] = []
    for name, col in COLUMN_FIELDS.items():
        kind = q.FIELDS[name]
        values = [r[0] for r in conn.execute(f"SELECT DISTINCT {col} FROM works w WHERE {col} IS NOT NULL"
                                             f" ORDER BY 1 LIMIT 4")]
        preds.append(q.IsNull(name))
        preds.append(q.IsNull(name, negate=True))
        if kind is q.FieldKind.KEYWORD:
            values = [str(v) for v in values] + ["no such value"]
            preds += [q.Eq(name, (v,)) for v in values] + [q.Eq(name, tuple(values[:3]), negate=True)]
        elif kind is q.FieldKind.BOOL:
            preds += [q.Eq(name, (True,)), q.Eq(name, (False,), negate=True)]
        elif kind is q.FieldKind.INT:
            ints = sorted(int(v) for v in values)
            preds += [q.Eq(name, (ints[0], ints[-1])), q.Eq(name, (float(ints[0]) + 0.5,)),
                      q.Range(name, low=ints[0], high=ints[-1]),
                      q.Range(name, low=ints[0], low_inclusive=False, negate=True),
                      q.Range(name, high=float(ints[-1]) - 0.5)]
        elif kind is q.FieldKind.DATE:
            dates = sorted(str(v) for v in values)
            preds += [q.Eq(name, (dates[0],)), q.Range(name, low=dates[0], high=dates[-1]),
                      q.Range(name, low="2000-01-01", high_inclusive=False, high="2015-06-30"),
                      q.Range(name, high="2010-01-01", high_inclusive=False, negate=True)]
    for name in sorted(FACET_FIELDS):
        rows = conn.execute("SELECT value FROM facet_values WHERE field = ? ORDER BY id LIMIT 3", (name,)).fetchall()
        values: list[object] = []
        for (raw,) in rows:
            if q.FIELDS[name] is q.FieldKind.ID:
                scheme, _, value = raw.partition(":")
                values.append((scheme, value))
            else:
                values.append(raw)
        preds += [q.IsNull(name), q.IsNull(name, negate=True)]
        if values:
            preds += [q.Eq(name, (values[0],)), q.Eq(name, tuple(values), negate=True)]
    for name in (*FLAG_FACETS, q.HAS_REFERENCES):
        preds += [q.Eq(name, (True,)), q.Eq(name, (False,)), q.Eq(name, (True, False)),
                  q.Eq(name, (True,), negate=True), q.IsNull(name)]
    cited = conn.execute("SELECT scheme, value FROM work_ids WHERE work_id ="
                         " (SELECT id FROM works ORDER BY cited_by_count DESC LIMIT 1)").fetchone()
    citing = conn.execute("SELECT scheme, value FROM work_ids WHERE work_id ="
                          " (SELECT id FROM works ORDER BY referenced_works_count DESC LIMIT 1)").fetchone()
    preds += [q.Eq(q.CITES, (tuple(cited),)), q.Eq(q.CITED_BY, (tuple(citing),), negate=True),
              q.IsNull(q.CITES), q.IsNull(q.CITED_BY, negate=True), q.Eq(q.WORK_ID, (tuple(cited), tuple(citing)))]
    preds += [q.Text(q.TITLE, q.parse_search("the")), q.Text(q.FULLTEXT_DEFAULT, q.parse_search("cell OR protein")),
              q.Text(q.TITLE, q.parse_search("study"), negate=True)]
    store.close()
    return preds


#: The fields grouped in the comparison: every groupable column, multi-valued field, the computed flag.
GROUP_FIELDS = sorted(f for f in {*COLUMN_FIELDS, *FACET_FIELDS, q.HAS_REFERENCES}
                      if q.FIELDS[f] in q.GROUP_KINDS and f not in q.UNGROUPABLE_FIELDS)


def _where(draw: st.DrawFn, pool: list[q.Predicate]) -> q.And:
    parts: list[q.Predicate] = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(pool)))
        else:
            parts.append(q.Or((draw(st.sampled_from(pool)), draw(st.sampled_from(pool)))))
    return q.And(tuple(parts))


@st.composite
def group_queries(draw: st.DrawFn, pool: list[q.Predicate]) -> q.Query:
    field = draw(st.sampled_from(GROUP_FIELDS))
    order = draw(st.sampled_from(["count", "key"]))
    group = q.GroupBy(field, include_unknown=draw(st.booleans()), order=order, descending=draw(st.booleans()))
    page: q.Page | q.Cursor = (q.Page(1, draw(st.sampled_from([1, 3, 200]))) if draw(st.booleans())
                               else q.Cursor(None, 4))
    text = q.parse_search("cell") if draw(st.integers(0, 5)) == 0 else None
    return q.Query(where=_where(draw, pool), text=text, group_by=group, page=page)


def test_every_group_by_equals_sql(graphs: tuple[citegraph.Graph, citegraph.Graph], pool: list[q.Predicate]) -> None:
    fast, plain = graphs

    @settings(max_examples=250, suppress_health_check=list(HealthCheck))
    @given(group_queries(pool))
    def check(query: q.Query) -> None:
        got, want = fast.find(query), plain.find(query)
        assert got.count == want.count
        assert [(g.key, g.count) for g in got.groups or []] == [(g.key, g.count) for g in want.groups or []]
        assert got.next_after == want.next_after

    check()


def test_the_comparison_sees_real_groups(graphs: tuple[citegraph.Graph, citegraph.Graph]) -> None:
    """The corpus gives the equality above something to compare: many values, ties, unknowns."""
    fast, _ = graphs
    for field, least in ((q.TYPE, 5), (q.CONTAINER_TITLE, 20), (q.PUBLICATION_YEAR, 20), (q.AUTHOR_ID, 200)):
        res = fast.find(q.Query(group_by=q.GroupBy(field, include_unknown=True), page=q.Page(1, 200)))
        assert len(res.groups or []) >= least, field
        assert any(g.key is None for g in res.groups or []), field
    years = fast.find(q.Query(where=q.And((q.Range(q.PUBLICATION_YEAR, low=2015, high=2019),)),
                              group_by=q.GroupBy(q.PUBLICATION_YEAR), page=q.Page(1, 200)))
    assert sorted(g.key for g in years.groups or []) == [2015, 2016, 2017, 2018, 2019]
    assert years.count == sum(g.count for g in years.groups or [])


def test_counts_equal_sql(graphs: tuple[citegraph.Graph, citegraph.Graph], pool: list[q.Predicate]) -> None:
    fast, plain = graphs

    @settings(max_examples=100, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data: st.DataObject) -> None:
        query = q.Query(where=data.draw(st.composite(lambda draw: _where(draw, pool))()))
        assert fast.count(query) == plain.count(query) == plain.find(query).count

    check()


def test_columns_follow_writes(tmp_path: Path) -> None:
    """A store's columns are dropped when the database changes (here: another connection loads more)."""
    path = tmp_path / "g.db"
    with citegraph.open(path, create=True) as g:
        g.load([OPENALEX], workers=0)
    reader = citegraph.open(path, readonly=True)
    by_type = q.Query(group_by=q.GroupBy(q.TYPE_SOURCE, include_unknown=True), page=q.Page(1, 200))
    before = {g.key: g.count for g in reader.find(by_type).groups or []}
    assert sum(before.values()) == 369
    with citegraph.open(path) as writer:
        writer.load([CROSSREF], workers=0)
    after = {g.key: g.count for g in reader.find(by_type).groups or []}
    with citegraph.Graph(SQLiteStore(path, readonly=True, columnar=False)) as plain:
        assert after == {g.key: g.count for g in plain.find(by_type).groups or []}
    assert sum(after.values()) > 369 and after["journal-article"] > before.get("journal-article", 0)
    reader.close()


def test_a_copy_of_the_database_reads_its_own_columns(db: Path, tmp_path: Path) -> None:
    """Columns belong to one connection's database: two stores never share them."""
    other = tmp_path / "copy.db"
    shutil.copy(db, other)
    a, b = citegraph.open(db, readonly=True), citegraph.open(other)
    query = q.Query(group_by=q.GroupBy(q.TYPE), page=q.Page(1, 50))
    assert [(g.key, g.count) for g in a.find(query).groups or []] == [
        (g.key, g.count) for g in b.find(query).groups or []]
    b.store.conn.execute("UPDATE works SET type = 'dataset' WHERE stub = 0")  # type: ignore[attr-defined]
    assert [(g.key, g.count) for g in b.find(query).groups or []] == [("dataset", b.count(q.Query()))]
    assert len(a.find(query).groups or []) > 1
    a.close()
    b.close()


@pytest.mark.parametrize(("text", "folded"), [("ABC", "abc"), ("Ünïcode É", "Ünïcode É"), ("MiXeD-9", "mixed-9")])
def test_keyword_columns_fold_as_sqlite_lower_does(text: str, folded: str) -> None:
    assert ascii_lower(text) == folded


def test_a_build_saves_its_columns_and_drops_older_ones(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    folder = path.with_name("g.db" + COLUMNS_SUFFIX)
    with citegraph.open(path, create=True) as g:
        g.load([OPENALEX], workers=0)
        first = sorted(p.name for p in folder.iterdir())
        g.load([CROSSREF], workers=0)
        second = sorted(p.name for p in folder.iterdir())
    assert len(first) == len(second) == 1 and first != second
    assert (folder / second[0] / f"{q.CONTAINER_TITLE}.values.json").exists()


def test_a_damaged_save_is_computed_again(db: Path, tmp_path: Path) -> None:
    """Saved columns that cannot be read are computed from the database: the answers do not change."""
    path = tmp_path / "g.db"
    shutil.copy(db, path)
    shutil.copytree(db.with_name(db.name + COLUMNS_SUFFIX), path.with_name(path.name + COLUMNS_SUFFIX))
    saved = next(path.with_name(path.name + COLUMNS_SUFFIX).iterdir())
    (saved / f"{q.TYPE}.codes.npy").write_bytes(b"not an array")
    (saved / f"{q.CONTAINER_TITLE}.values.json").unlink()
    query_type = q.Query(group_by=q.GroupBy(q.TYPE), page=q.Page(1, 50))
    query_title = q.Query(group_by=q.GroupBy(q.CONTAINER_TITLE), page=q.Page(1, 50))
    with citegraph.open(path, readonly=True) as damaged, citegraph.open(db, readonly=True) as whole:
        for query in (query_type, query_title):
            assert [(g.key, g.count) for g in damaged.find(query).groups or []] == [
                (g.key, g.count) for g in whole.find(query).groups or []]


def test_a_build_that_cannot_save_its_columns_still_loads(tmp_path: Path) -> None:
    """The save is derived data: a folder in its way does not fail the load, and readers compute the columns."""
    path = tmp_path / "g.db"
    path.with_name("g.db" + COLUMNS_SUFFIX).write_text("a file where the columns folder would go")
    with citegraph.open(path, create=True) as g:
        report = g.load([OPENALEX], workers=0)
        assert report.loaded == 369
    with citegraph.open(path, readonly=True) as g, citegraph.Graph(
            SQLiteStore(path, readonly=True, columnar=False)) as plain:
        query = q.Query(group_by=q.GroupBy(q.PUBLICATION_YEAR), page=q.Page(1, 200))
        assert [(x.key, x.count) for x in g.find(query).groups or []] == [
            (x.key, x.count) for x in plain.find(query).groups or []]


def test_an_interrupted_save_is_never_read_and_the_next_build_clears_it(tmp_path: Path) -> None:
    """A save cut short leaves only its temporary folder: readers compute instead, the next build replaces it."""
    path = tmp_path / "g.db"
    with citegraph.open(path, create=True) as g:
        g.load([OPENALEX], workers=0)
    folder = path.with_name("g.db" + COLUMNS_SUFFIX)
    (done,) = folder.iterdir()
    cut = done.with_name(done.name + ".tmp")
    done.rename(cut)  # as if the process died before the rename that publishes the save
    (cut / f"{q.TYPE}.codes.npy").write_bytes(b"half written")
    query = q.Query(group_by=q.GroupBy(q.TYPE), page=q.Page(1, 50))
    with citegraph.open(path, readonly=True) as reader, citegraph.Graph(
            SQLiteStore(path, readonly=True, columnar=False)) as plain:
        assert reader.find(query).count == 369
        assert reader.store.columns._saved is None  # type: ignore[attr-defined]
        assert [(x.key, x.count) for x in reader.find(query).groups or []] == [
            (x.key, x.count) for x in plain.find(query).groups or []]
    with citegraph.open(path) as g:
        g.load([CROSSREF], workers=0)
    assert [p.name.endswith(".tmp") for p in folder.iterdir()] == [False]
