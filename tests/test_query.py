"""The dialect-neutral query model: structure rules, search syntax, cursors."""

from __future__ import annotations

import base64
import contextlib

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citegraph import query as q


# --- fields and predicates ----------------------------------------------------------------------
def test_every_field_has_a_kind_and_sort_keys_are_known() -> None:
    assert set(q.FieldKind) == {"keyword", "id", "bool", "int", "date", "text"}
    assert all(isinstance(kind, q.FieldKind) for kind in q.FIELDS.values())
    for name in (q.CITES, q.CITED_BY, q.RELATED_TO, q.WORK_ID, q.AUTHOR_ID, q.VENUE_ISSN):
        assert q.FIELDS[name] is q.FieldKind.ID
    for name in (q.TITLE, q.ABSTRACT, q.TITLE_AND_ABSTRACT, q.FULLTEXT_DEFAULT, q.AFFILIATION):
        assert q.FIELDS[name] is q.FieldKind.TEXT
    assert {q.CITED_BY_COUNT, q.PUBLICATION_DATE, q.RELEVANCE, q.WORK} <= q.SORT_KEYS


def test_eq_normalises_keywords_and_dedupes() -> None:
    eq = q.Eq(q.COUNTRY_CODE, ("US", "us", "GB"))
    assert eq.values == ("us", "gb")
    assert q.Eq(q.CITES, (("openalex", "W1"), ("openalex", "W1"))).values == (("openalex", "W1"),)
    assert q.Eq(q.IS_OA, (True,)).values == (True,)


@pytest.mark.parametrize(
    ("build", "why"),
    [
        (lambda: q.Range(q.TYPE, low="a"), "range on a keyword field"),
        (lambda: q.Range(q.PUBLICATION_YEAR), "range without bounds"),
        (lambda: q.Range(q.PUBLICATION_DATE, low="2020-13-01"), "impossible date"),
        (lambda: q.Range(q.CITED_BY_COUNT, low=float("nan")), "NaN bound"),
        (lambda: q.Eq(q.TITLE, ("x",)), "Eq on a text field"),
        (lambda: q.Eq(q.TYPE, ()), "no values"),
        (lambda: q.Eq(q.CITES, ("W1",)), "id value that is not a pair"),
        (lambda: q.Eq(q.IS_OA, ("true",)), "bool given as a string"),
        (lambda: q.Eq(q.CITED_BY_COUNT, (True,)), "bool where a number belongs"),
        (lambda: q.Eq("nope", ("x",)), "unknown field"),
        (lambda: q.Text(q.TYPE, q.Term("x")), "Text on a keyword field"),
        (lambda: q.Text(q.TITLE, "x"), "Text without a TextQuery"),
        (lambda: q.IsNull(q.ABSTRACT), "IsNull on a text field"),
        (lambda: q.GroupBy(q.PUBLICATION_DATE), "group by a date"),
        (lambda: q.GroupBy(q.CITES), "group by a relation"),
        (lambda: q.Sort("title"), "unknown sort key"),
        (lambda: q.Page(0, 25), "page 0"),
        (lambda: q.Cursor(None, 0), "cursor size 0"),
        (lambda: q.Sample(-1), "negative sample"),
        (lambda: q.And((q.Term("x"),)), "And of a text node"),
        (lambda: q.Term("two words"), "term with a space"),
        (lambda: q.Phrase(("one",)), "one-word phrase"),
        (lambda: q.TextAnd((q.Term("a"),)), "TextAnd of one part"),
        (lambda: q.Query(sort=(q.Sort(q.WORK), q.Sort(q.WORK))), "repeated sort key"),
        (lambda: q.Query(sort=(q.Sort(q.CITED_BY_COUNT),), sample=q.Sample(5)), "sample with a sort"),
        (lambda: q.Query(group_by=q.GroupBy(q.TYPE), sample=q.Sample(5)), "sample with group_by"),
        (lambda: q.Query(sort=(q.Sort(q.WORK),), page=q.Cursor((1, 2), 25)), "cursor of the wrong length"),
        (lambda: q.Query(where=q.Eq(q.TYPE, ("x",))), "where that is not an And"),  # type: ignore[arg-type]
    ],
)
def test_malformed_structures_raise_query_error(build: object, why: str) -> None:
    with pytest.raises(q.QueryError):
        build()  # type: ignore[operator]


def test_query_reports_its_text() -> None:
    title = q.Text(q.TITLE, q.Term("x"))
    query = q.Query(where=q.And((q.Eq(q.TYPE, ("article",)), q.Or((title, q.IsNull(q.TYPE))))))
    assert query.is_search and query.text_predicates == (title,)
    negated = q.Query(where=q.And((q.Text(q.TITLE, q.Term("x"), negate=True),)))
    assert not negated.is_search
    assert q.Query(text=q.Term("x")).is_search and not q.Query().is_search
    assert list(q.walk(query.where))[0] is query.where  # type: ignore[arg-type]
    assert q.Page(3, 25).offset == 50


# --- search syntax ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("open access", q.TextAnd((q.Term("open"), q.Term("access")))),
        ("biodiversity AND finance", q.TextAnd((q.Term("biodiversity"), q.Term("finance")))),
        ("cats OR dogs", q.TextOr((q.Term("cats"), q.Term("dogs")))),
        ("cats NOT dogs", q.TextAnd((q.Term("cats"), q.TextNot(q.Term("dogs"))))),
        ('"machine learning" OR ai', q.TextOr((q.Phrase(("machine", "learning")), q.Term("ai")))),
        (
            "(elmo OR bert) AND nlp",
            q.TextAnd((q.TextOr((q.Term("elmo"), q.Term("bert"))), q.Term("nlp"))),
        ),
        ("a OR b c", q.TextOr((q.Term("a"), q.TextAnd((q.Term("b"), q.Term("c")))))),
        ("machin* wom?n fuzzy~2", q.TextAnd((q.Term("machin"), q.Term("womn"), q.Term("fuzzy2")))),
        ("cats and dogs", q.TextAnd((q.Term("cats"), q.Term("and"), q.Term("dogs")))),  # lowercase: a word
        ("Open", q.Term("open")),
        ('"single"', q.Term("single")),
        ("NOT NOT x", q.Term("x")),
        ("x OR", q.Term("x")),
        ('"unclosed phrase', q.Phrase(("unclosed", "phrase"))),
        (")a(", q.Term("a")),
    ],
)
def test_parse_search(text: str, expected: q.TextQuery) -> None:
    assert q.parse_search(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "***", "?~", "NOT", "AND OR", "((((", '""', "- & /"])
def test_parse_search_nothing_searchable(text: str) -> None:
    assert q.parse_search(text) is None


def test_parse_search_deep_nesting_is_bounded() -> None:
    parsed = q.parse_search("(" * 5000 + "x" + ")" * 5000)
    assert parsed == q.Term("x")


def test_text_terms_skip_negations() -> None:
    parsed = q.parse_search('a OR "b c" NOT d')
    assert parsed is not None
    assert list(q.text_terms(parsed)) == ["a", "b", "c"]


_search_chars = st.sampled_from(list('abcXYZ19 ()"*?~-') + ["AND", "OR", "NOT", " AND ", " OR ", " NOT "])


@settings(max_examples=300, deadline=None)
@given(st.lists(_search_chars, max_size=30).map("".join))
def test_parse_search_total_and_stable(text: str) -> None:
    """Any string parses; printing the tree and parsing it again gives the same tree."""
    parsed = q.parse_search(text)
    if parsed is not None:
        assert q.parse_search(str(parsed)) == parsed


# --- cursors -----------------------------------------------------------------------------------
_cursor_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
_cursor_values = st.one_of(_cursor_scalars, st.tuples(st.text(max_size=10), st.text(max_size=20)))


@settings(max_examples=300, deadline=None)
@given(st.lists(_cursor_values, max_size=6).map(tuple))
def test_cursor_round_trip(values: tuple[object, ...]) -> None:
    text = q.encode_cursor(values)
    assert text.isascii() and "=" not in text and "+" not in text and "/" not in text
    assert q.decode_cursor(text) == values


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_decode_cursor_raises_only_cursor_error(text: str) -> None:
    with contextlib.suppress(q.CursorError):
        q.decode_cursor(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "*",
        "null",
        "c25",  # a fake server's cursor, as pyalex replays it
        # upstream's own cursor (base64 of a JSON string), from the recorded oa_snowball answer
        "IlsnLUluZmluaXR5JywgMCwgJ2h0dHBzOi8vb3BlbmFsZXgub3JnL1czMDQ1OTIxODkxJ10i",
        base64.urlsafe_b64encode(bytes([99]) + msgspec.msgpack.encode([1])).decode().rstrip("="),  # version
        base64.urlsafe_b64encode(bytes([q.CURSOR_VERSION]) + msgspec.msgpack.encode({"a": 1})).decode(),
        base64.urlsafe_b64encode(bytes([q.CURSOR_VERSION]) + msgspec.msgpack.encode([b"raw"])).decode(),
        base64.urlsafe_b64encode(bytes([q.CURSOR_VERSION]) + msgspec.msgpack.encode([float("nan")])).decode(),
        base64.urlsafe_b64encode(bytes([q.CURSOR_VERSION]) + msgspec.msgpack.encode([[[1]]])).decode(),
        "A" * (q.MAX_CURSOR_LENGTH + 4),
    ],
)
def test_decode_cursor_refuses_foreign_strings(text: str) -> None:
    with pytest.raises(q.CursorError):
        q.decode_cursor(text)


def test_encode_cursor_refuses_unencodable_values() -> None:
    with pytest.raises(q.QueryError):
        q.encode_cursor((object(),))
    with pytest.raises(q.QueryError):
        q.encode_cursor((float("inf"),))


def test_negated_negation_collapses() -> None:
    """Found by hypothesis: ``NOT ( NOT a`` printed as ``NOT NOT a``, which parsed to a different tree."""
    parsed = q.parse_search(" NOT ( NOT a")
    assert parsed == q.Term("a")
    assert q.parse_search(str(parsed)) == parsed


def test_prefix_fuzzy_and_slop_are_bounded() -> None:
    assert str(q.Term("comput", prefix=True)) == "comput*" and str(q.Term("fish", fuzzy=2)) == "fish~2"
    assert str(q.Phrase(("fish", "ladder"), slop=3)) == '"fish ladder"~3'
    for bad in (lambda: q.Term("a", fuzzy=q.MAX_FUZZY_EDITS + 1), lambda: q.Term("a", fuzzy=-1),
                lambda: q.Term("a", prefix=True, fuzzy=1), lambda: q.Phrase(("a", "b"), slop=q.MAX_PHRASE_SLOP + 1)):
        with pytest.raises(q.QueryError):
            bad()
