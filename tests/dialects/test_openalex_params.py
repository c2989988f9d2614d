"""OpenAlex request parameters → query model, and the exact 4xx of every refused request.

Real request strings below are copied from ``shared/testdata``:

* ``clients/recorded_requests.json``: pyalex 0.21 and pyopenalex 0.4.0 driven against a logging
  server (request lines as logged; the ``/oa`` base-URL prefix removed);
* ``openalex/derived/responses_index.jsonl``: URIs and error bodies of real api.openalex.org
  answers recorded in ``rkrug/openalexPro`` (GPL-2+, commit 72a26c43f793) VCR cassettes
  ``tests/fixtures/vcr/{oa_snowball,pro_request_list_count,pro_snowball,opt_select_fields,
  opt_filter_names}.yml`` (OpenAlex data CC0).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citegraph import query as q
from citegraph.dialects.openalex import OpenAlexError, parse_select, parse_work_id_path, parse_works_request
from citegraph.dialects.openalex import errors as e
from citegraph.dialects.openalex.filters import FILTERS
from citegraph.dialects.openalex.params import VALID_PARAMETERS, WORK_ROOT_FIELDS
from citegraph.ids import parse_id

QP = e.QUERY_PARAMS_ERROR
PG = e.PAGINATION_ERROR


def parse(url: str) -> q.Query:
    """Parse the query string of ``url`` the way the ASGI stack hands it over."""
    return parse_works_request(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def where(url: str) -> tuple[q.Predicate, ...]:
    query = parse(url)
    assert query.where is not None
    return query.where.parts


W_A, W_B = parse_id("W3045921891"), parse_id("W3046863325")
BY_CITED_BY_COUNT = (q.Sort(q.CITED_BY_COUNT, True), q.Sort(q.WORK, False))
BY_RELEVANCE = (q.Sort(q.RELEVANCE, True), q.Sort(q.PUBLICATION_DATE, False), q.Sort(q.WORK, False))


# --- real requests -----------------------------------------------------------------------------
CLIENT_REQUESTS = [
    # pyalex 0.21
    "/works?filter=openalex_id:W3045921891%7CW3046863325&per-page=2",
    "/works?filter=cites:W3046863325",
    "/works?filter=cited_by:W3046863325&per-page=50",
    "/works?search=open+access&filter=publication_year:2020,is_oa:true&sort=cited_by_count:desc&per-page=10",
    "/works?filter=title.search:biodiversity&select=id,doi",
    "/works?filter=cites:W3046863325&cursor=%2A&per-page=25",
    "/works?filter=cites:W3046863325&page=1&per-page=25",
    "/works?filter=cites:W3046863325&page=2&per-page=25",
    "/works?filter=cites:W3046863325&per-page=1",
    # pyopenalex 0.4.0
    "/works?filter=openalex%3AW3045921891%7CW3046863325&per_page=2&api_key=TESTKEY",
    "/works?filter=cites%3AW3046863325&api_key=TESTKEY",
    "/works?search=open+access&sort=cited_by_count%3Adesc&per_page=10&filter=publication_year%3A2020&api_key=TESTKEY",
    "/works?per_page=100&filter=cited_by%3AW3046863325&cursor=%2A&api_key=TESTKEY",
    "/works?per_page=1&select=id&filter=cites%3AW3046863325&api_key=TESTKEY",
    # real api.openalex.org requests (openalexPro cassettes)
    "/works?filter=openalex%3AW3045921891%7CW3046863325&per-page=1&mailto=rainer%40krugs.de",
    "/works?filter=openalex%3AW3045921891%7CW3046863325&per-page=200&mailto=rainer%40krugs.de&cursor=%2A",
    "/works?filter=cites%3AW3046863325%7CW3045921891&per-page=1&mailto=rainer%40krugs.de",
    "/works?filter=cites%3AW3046863325%7CW3045921891&per-page=200&mailto=rainer%40krugs.de&cursor=%2A",
    "/works?filter=cited_by%3AW3046863325%7CW3045921891&per-page=1&mailto=rainer%40krugs.de",
    "/works?filter=cited_by%3AW3046863325%7CW3045921891&per-page=200&mailto=rainer%40krugs.de&cursor=%2A",
    "/works?filter=openalex%3AW3045921891%7CW3046863325&per_page=200&cursor=%2A&api_key=%3Capi-key%3E",
    "/works?filter=title_and_abstract.search%3Abiodiversity%2Cto_publication_date%3A2010-01-01"
    "&per_page=1&select=ids&page=1&api_key=%3Capi-key%3E",
    "/works?filter=title_and_abstract.search%3Afinance%2Cto_publication_date%3A2010-01-01"
    "&per_page=1&select=ids&page=1&api_key=%3Capi-key%3E",
    "/works?filter=title_and_abstract.search%3Abiodiversity+AND+finance%2Cto_publication_date%3A2010-01-01"
    "&per_page=200&cursor=%2A&api_key=%3Capi-key%3E",
]


@pytest.mark.parametrize("url", CLIENT_REQUESTS)
def test_real_requests_parse(url: str) -> None:
    assert isinstance(parse(url), q.Query)


def test_batch_by_openalex_id() -> None:
    for url in CLIENT_REQUESTS[0], CLIENT_REQUESTS[9]:
        query = parse(url)
        assert query.where == q.And((q.Eq(q.WORK_ID, (W_A, W_B)),))
        assert query.page == q.Page(1, 2) and query.sort == BY_CITED_BY_COUNT


def test_citation_filters_and_paging() -> None:
    assert where("/works?filter=cites:W3046863325") == (q.Eq(q.CITES, (W_B,)),)
    assert parse("/works?filter=cites:W3046863325").page == q.Page(1, 25)  # the server's default
    assert where(CLIENT_REQUESTS[17]) == (q.Eq(q.CITES, (W_B, W_A)),)
    cited_by = parse(CLIENT_REQUESTS[12])
    assert cited_by.where == q.And((q.Eq(q.CITED_BY, (W_B,)),))
    assert cited_by.page == q.Cursor(None, 100)
    assert parse(CLIENT_REQUESTS[7]).page == q.Page(2, 25)


def test_search_filter_sort_request() -> None:
    for url in CLIENT_REQUESTS[3], CLIENT_REQUESTS[11]:
        query = parse(url)
        assert query.text == q.TextAnd((q.Term("open"), q.Term("access")))
        assert query.sort == BY_CITED_BY_COUNT and query.page == q.Page(1, 10)
    assert where(CLIENT_REQUESTS[3]) == (q.Eq(q.PUBLICATION_YEAR, (2020,)), q.Eq(q.IS_OA, (True,)))


def test_search_filters_select_and_dates() -> None:
    query = parse(CLIENT_REQUESTS[4])
    assert query.where == q.And((q.Text(q.TITLE, q.Term("biodiversity")),))
    assert query.select == ("id", "doi") and query.sort == BY_RELEVANCE and query.is_search
    assert where(CLIENT_REQUESTS[23]) == (
        q.Text(q.TITLE_AND_ABSTRACT, q.TextAnd((q.Term("biodiversity"), q.Term("finance")))),
        q.Range(q.PUBLICATION_DATE, high="2010-01-01"),
    )
    assert parse(CLIENT_REQUESTS[13]).select == ("id",)


def test_foreign_cursors_are_refused() -> None:
    """A fake server's cursor (replayed by pyalex) and upstream's own are not ours to read."""
    for cursor in ("c25", "IlsnLUluZmluaXR5JywgMCwgJ2h0dHBzOi8vb3BlbmFsZXgub3JnL1czMDQ1OTIxODkxJ10i"):
        with pytest.raises(OpenAlexError) as err:
            parse(f"/works?filter=cites:W3046863325&cursor={cursor}&per-page=25")
        assert (err.value.status, err.value.error, err.value.message) == (400, PG, "Invalid cursor value")


def test_recorded_select_error_is_reproduced() -> None:
    """opt_select_fields.yml: /works/W1775749144?select=DOESNTEXIST, upstream's 400 body."""
    recorded = (
        "DOESNTEXIST is not a valid select field. Valid fields for select are: id, doi, title, "
        "display_name, relevance_score, publication_year, publication_date, ids, language, "
        "primary_location, sources, type, "
        "type_crossref, indexed_in, open_access, authorships, institution_assertions, institutions, "
        "countries_distinct_count, institutions_distinct_count, corresponding_author_ids, "
        "corresponding_institution_ids, apc_list, apc_paid, fwci, is_authors_truncated, has_fulltext, "
        "fulltext_origin, cited_by_count, citation_normalized_percentile, cited_by_percentile_year, biblio, "
        "is_retracted, is_paratext, is_xpac, primary_topic, topics, keywords, concepts, mesh, "
        "locations_count, "
        "locations, best_oa_location, sustainable_development_goals, awards, funders, datasets, versions, "
        "has_content, content_urls, referenced_works_count, referenced_works, related_works, "
        "abstract_inverted_index, cited_by_api_url, counts_by_year, updated_date, created_date."
    )
    for call in (lambda: parse_select("DOESNTEXIST"), lambda: parse("/works?select=DOESNTEXIST")):
        with pytest.raises(OpenAlexError) as err:
            call()
        assert err.value.body() == {"error": QP, "message": recorded} and err.value.status == 400


def test_recorded_unknown_filter_error_is_reproduced() -> None:
    """opt_filter_names.yml: /works?filter=DOESNTEXIST:1 (upstream lists its own longer field set)."""
    with pytest.raises(OpenAlexError) as err:
        parse("/works?filter=DOESNTEXIST%3A1")
    assert err.value.status == 400 and err.value.error == QP
    head = "DOESNTEXIST is not a valid field. Valid fields are underscore or hyphenated versions of: "
    assert err.value.message == head + ", ".join(sorted(FILTERS))


# --- the filter grammar ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("publication_year:2020", q.Eq(q.PUBLICATION_YEAR, (2020,))),
        ("publication_year:>2000", q.Range(q.PUBLICATION_YEAR, low=2000, low_inclusive=False)),
        ("publication_year:<2000", q.Range(q.PUBLICATION_YEAR, high=2000, high_inclusive=False)),
        ("publication_year:2000-", q.Range(q.PUBLICATION_YEAR, low=2000)),
        ("publication_year:-2000", q.Range(q.PUBLICATION_YEAR, high=2000)),
        ("publication_year:1990-2000", q.Range(q.PUBLICATION_YEAR, 1990, 2000)),
        ("publication_year:!2000", q.Eq(q.PUBLICATION_YEAR, (2000,), negate=True)),
        ("publication_year:!1990-2000", q.Range(q.PUBLICATION_YEAR, 1990, 2000, negate=True)),
        ("publication_year:null", q.IsNull(q.PUBLICATION_YEAR)),
        ("publication_year:!null", q.IsNull(q.PUBLICATION_YEAR, negate=True)),
        ("cited_by_count:>1.5", q.Range(q.CITED_BY_COUNT, low=1.5, low_inclusive=False)),
        ("Cited-By-Count:5", q.Eq(q.CITED_BY_COUNT, (5,))),  # keys: hyphens and case do not matter
        (
            "publication_year:2019|2020|>2022",
            q.Or(
                (
                    q.Eq(q.PUBLICATION_YEAR, (2019, 2020)),
                    q.Range(q.PUBLICATION_YEAR, low=2022, low_inclusive=False),
                )
            ),
        ),  # fmt: skip
        ("from_publication_date:2020-01-01", q.Range(q.PUBLICATION_DATE, low="2020-01-01")),
        ("to_publication_date:2020-01-01", q.Range(q.PUBLICATION_DATE, high="2020-01-01")),
        ("publication_date:2020-05-17", q.Eq(q.PUBLICATION_DATE, ("2020-05-17",))),
        ("publication_date:>2020-05-17", q.Range(q.PUBLICATION_DATE, low="2020-05-17", low_inclusive=False)),
        ("publication_date:null", q.IsNull(q.PUBLICATION_DATE)),
        ("is_oa:true", q.Eq(q.IS_OA, (True,))),
        ("open_access.is_oa:FALSE", q.Eq(q.IS_OA, (False,))),
        ("is_oa:null", q.IsNull(q.IS_OA)),
        ("is_retracted:!null", q.IsNull(q.IS_RETRACTED, negate=True)),
        ("has_doi:true", q.Eq(q.HAS_DOI, (True,))),
        ("has_references:false", q.Eq(q.HAS_REFERENCES, (False,))),
        ("type:article", q.Eq(q.TYPE, ("article",))),
        ("type:https://openalex.org/work-types/article", q.Eq(q.TYPE, ("article",))),
        ("type:!paratext", q.Eq(q.TYPE, ("paratext",), negate=True)),
        ('type:"book chapter"', q.Eq(q.TYPE, ("book chapter",))),  # quoted: the space is literal
        ("institutions.country_code:US|gb", q.Eq(q.COUNTRY_CODE, ("us", "gb"))),
        ("institutions.country_code:!us|gb", q.Eq(q.COUNTRY_CODE, ("us", "gb"), negate=True)),
        ("language:en|null", q.Or((q.Eq(q.LANGUAGE, ("en",)), q.IsNull(q.LANGUAGE)))),
        ("oa_status:gold", q.Eq(q.OA_STATUS, ("gold",))),
        ("cites:https://openalex.org/W3046863325", q.Eq(q.CITES, (W_B,))),
        ("cited_by:w3046863325", q.Eq(q.CITED_BY, (W_B,))),
        ("openalex:!W3046863325", q.Eq(q.WORK_ID, (W_B,), negate=True)),
        ("ids.openalex:null", q.IsNull(q.WORK_ID)),
        ("doi:10.7717/PEERJ.4375", q.Eq(q.WORK_ID, (parse_id("doi:10.7717/peerj.4375"),))),
        (
            "doi:https://doi.org/10.7717/peerj.4375|10.1145/3383583.3398584",
            q.Eq(q.WORK_ID, (parse_id("doi:10.7717/peerj.4375"), parse_id("doi:10.1145/3383583.3398584"))),
        ),
        ("doi:null", q.Eq(q.HAS_DOI, (False,))),
        ("pmid:!null", q.Eq(q.HAS_PMID, (True,))),
        ("ids.pmid:29456894", q.Eq(q.WORK_ID, (parse_id("pmid:29456894"),))),
        ("doi:not-a-doi", q.Eq(q.WORK_ID, (("doi", "not-a-doi"),))),  # matches nothing, as upstream
        ("raw_affiliation_strings.search:dept", q.Text(q.AFFILIATION, q.Term("dept"))),
        ("default.search:cats NOT dogs", q.Text(q.FULLTEXT_DEFAULT, q.parse_search("cats NOT dogs"))),  # type: ignore[arg-type]
        (
            "title.search:cats|dogs",
            q.Or((q.Text(q.TITLE, q.Term("cats")), q.Text(q.TITLE, q.Term("dogs")))),
        ),
    ],
)
def test_filter_values(filter_: str, expected: q.Predicate) -> None:
    assert where(f"/works?filter={filter_}") == (expected,)


def test_entity_ids_and_negated_or_lists() -> None:
    (author,) = where("/works?filter=authorships.author.id:https://openalex.org/A5023888391")
    assert isinstance(author, q.Eq) and author.field == q.AUTHOR_ID
    assert where("/works?filter=author.id:a5023888391") == (author,)
    assert author.values[0][1].endswith("A5023888391")
    # NOT (cats OR dogs) on a text field is two negated Text predicates
    assert where("/works?filter=title.search:!cats|dogs") == (
        q.Text(q.TITLE, q.Term("cats"), negate=True),
        q.Text(q.TITLE, q.Term("dogs"), negate=True),
    )


@pytest.mark.parametrize(
    "forms",
    [
        (
            "authorships.author.orcid:https://orcid.org/0000-0002-1825-0097",
            "author.orcid:0000-0002-1825-0097",
        ),
        ("authorships.institutions.ror:https://ror.org/02mhbdp94", "institutions.ror:02mhbdp94"),
        ("ids.pmcid:https://www.ncbi.nlm.nih.gov/pmc/articles/PMC5815332", "pmcid:PMC5815332"),
        ("ids.pmid:https://pubmed.ncbi.nlm.nih.gov/29456894", "pmid:29456894"),
        ("openalex:https://openalex.org/W2741809807", "ids.openalex:W2741809807", "openalex_id:w2741809807"),
        ("institutions.id:I27837315", "authorships.institutions.id:https://openalex.org/I27837315"),
    ],
)
def test_id_forms_and_aliases_agree(forms: tuple[str, ...]) -> None:
    """Every id form and key alias OpenAlex accepts reaches the same canonical predicate."""
    parsed = {where(f"/works?filter={form}") for form in forms}
    assert len(parsed) == 1
    ((pred,),) = parsed
    assert isinstance(pred, q.Eq) and isinstance(pred.values[0], tuple)
    assert pred.values[0][1] not in [form.split(":", 1)[1] for form in forms if "://" in form]


def test_and_within_a_key_and_quoted_commas() -> None:
    assert where("/works?filter=type:article+review") == (
        q.Eq(q.TYPE, ("article",)),
        q.Eq(q.TYPE, ("review",)),
    )
    assert where("/works?filter=institutions.country_code:fr,institutions.country_code:gb") == (
        q.Eq(q.COUNTRY_CODE, ("fr",)),
        q.Eq(q.COUNTRY_CODE, ("gb",)),
    )
    assert where('/works?filter=raw_affiliation_strings.search:"Dept of Chemistry, UCLA",type:article') == (
        q.Text(q.AFFILIATION, q.Phrase(("dept", "of", "chemistry,", "ucla"))),
        q.Eq(q.TYPE, ("article",)),
    )
    # include_xpac is accepted and ignored, like upstream; empty parts between commas are skipped
    assert where("/works?filter=include_xpac:true,,type:article,") == (q.Eq(q.TYPE, ("article",)),)


def test_search_parameters() -> None:
    assert parse("/works?search=").text is None and parse('/works?search=""').text is None
    assert parse("/works?search.exact=Cats").text == q.Term("cats")
    scoped = parse("/works?search.title=graphs&search=x")
    assert scoped.where == q.And((q.Text(q.TITLE, q.Term("graphs")),)) and scoped.text == q.Term("x")
    assert parse("/works?search=***").sort == BY_RELEVANCE  # a search, if an empty one


def test_sort_parameter() -> None:
    assert parse("/works").sort == BY_CITED_BY_COUNT
    assert parse("/works?sort=publication_year:desc,display_name").sort == (
        q.Sort(q.PUBLICATION_DATE, True),
        q.Sort(q.DISPLAY_NAME, False),
        q.Sort(q.WORK, False),
    )
    assert parse("/works?sort=cited-by-count:DESC").sort == BY_CITED_BY_COUNT
    assert parse("/works?search=x&sort=relevance_score:desc").sort == (
        q.Sort(q.RELEVANCE, True),
        q.Sort(q.WORK, False),
    )
    assert parse("/works?filter=title.search:x&sort=relevance_score:desc,cited_by_count").sort == (
        q.Sort(q.RELEVANCE, True),
        q.Sort(q.CITED_BY_COUNT, False),
        q.Sort(q.WORK, False),
    )
    assert parse("/works?sort=cited_by_count:sideways").sort == BY_CITED_BY_COUNT  # ignored, as upstream


def test_cursor_group_by_and_sample() -> None:
    after = q.encode_cursor((12, 345))
    assert parse(f"/works?cursor={after}&per-page=50").page == q.Cursor((12, 345), 50)
    grouped = parse("/works?group_by=authorships.author.id&filter=cites:W3046863325")
    assert (
        grouped.group_by == q.GroupBy(q.AUTHOR_ID) and grouped.page == q.Page(1, 200) and grouped.sort == ()
    )
    assert parse("/works?group-by=oa_status:include_unknown&sort=key:asc").group_by == q.GroupBy(
        q.OA_STATUS, include_unknown=True, order="key", descending=False
    )
    assert parse("/works?group_by=type&cursor=*").page == q.Cursor(None, 200)
    assert parse(f"/works?group_by=type&cursor={q.encode_cursor(('article',))}").page == q.Cursor(
        ("article",), 200
    )
    sampled = parse("/works?sample=50&seed=7&page=2&per-page=10")
    assert sampled.sample == q.Sample(50, "7") and sampled.sort == () and sampled.page == q.Page(2, 10)
    assert parse("/works?sample=50&cursor=*").page == q.Cursor(None, 25)
    assert parse("/works?mailto=x@y.org&api_key=k&api-key=k&q=ignored&format=json&warm=1").where is None


# --- every refusal: status, error class, message ------------------------------------------------
_VALID = ", ".join(VALID_PARAMETERS)
_SEARCHES = (
    "search, search.semantic, search.exact, search.title, search.title.exact, search.title_and_abstract, "
    "search.title_and_abstract.exact"
)
_SORTS = (
    "cited_by_count, display_name, publication_date, publication_year, referenced_works_count, "
    "relevance_score"
)
_TOO_MANY = (
    "Maximum number of values exceeded for cites. Decrease values to 100 or below, or consider downloading "
    "the full dataset at https://developers.openalex.org/download/snapshot-format"
)
_WINDOW = (
    "Maximum results size of 10,000 records is exceeded. Cursor pagination is required for records beyond "
    "10,000. See: https://developers.openalex.org/guides/page-through-results"
)
_HUNDRED_AND_ONE = "|".join(f"W{10 + i}" for i in range(101))

REFUSALS = [
    ("foo=1", 400, QP, f"foo is not a valid parameter. Valid parameters are: {_VALID}."),
    ("Filter=type:article", 400, QP, f"Filter is not a valid parameter. Valid parameters are: {_VALID}."),
    ("search.foo=x", 400, QP,
     f"'search.foo' is not a valid search parameter. Valid search parameters are: {_SEARCHES}."),
    ("semantic=true", 400, QP, e.MSG_SEMANTIC_PARAMETER),
    ("data-version=1", 400, QP, e.MSG_DATA_VERSION_1),
    ("filter=host_venue.id:S1", 400, QP, e.MSG_HOST_VENUE),
    ("filter=type:article&filter=is_oa:true", 400, QP, e.MSG_ONE_FILTER),
    ("group_by=type&select=id", 400, QP, "select does not work with group_by."),
    ("select=id,open_access.is_oa", 400, QP,
     "open_access.is_oa is not a valid select field. Valid fields for select are: "
     f"{', '.join(WORK_ROOT_FIELDS)}."),
    ("sample=ten", 400, QP, "sample must be an integer."),
    ("sample=10001", 400, QP, "Sample size must be less than or equal to 10,000."),
    ("sample=5&sort=cited_by_count", 400, QP, "sample does not work with sort."),
    ("seed=1", 400, QP, "You must include the sample parameter when using a seed value."),
    ("sample=5&group_by=type", 400, QP, "sample does not work with group_by."),
    ("sample=5&page=2", 400, QP, e.MSG_SAMPLE_PAGE_NEEDS_SEED),
    ("search.semantic=x&search=y", 400, QP, e.MSG_SEARCH_SEMANTIC_COMBINED),
    ("search=a&search.exact=b", 400, QP,
     "Cannot use both stemmed and exact search on the same scope: 'search' and 'search.exact'."),
    ("search=cats+!dogs", 400, QP,
     "The search parameter does not support the ! operator. Problem value: cats !dogs"),
    ("search=cats|dogs", 400, QP,
     "The search parameter does not support the | operator. Problem value: cats|dogs"),
    ("filter=title.search:!cats", 400, QP,
     "Search filters do not support the ! operator. Problem value: !cats"),
    ("page=two", 400, QP, "Param page must be a number."),
    ("per-page=ten", 400, QP, "Param per-page must be a number."),
    ("per_page=ten", 400, QP, "Param per-page must be a number."),
    ("page=0", 400, PG, "Page parameter must be greater than 0."),
    ("per-page=201", 400, PG, "per-page parameter must be between 1 and 200."),
    ("per_page=0", 400, PG, "per-page parameter must be between 1 and 200."),
    ("page=401&per-page=25", 400, PG, _WINDOW),
    ("page=51&per-page=200", 400, PG, _WINDOW),
    ("group_by=type&page=2", 400, PG, e.MSG_GROUP_BY_PAGE),
    ("cursor=*&page=2", 400, PG, "Cannot use page parameter with cursor."),
    ("cursor=null", 400, PG, "Cursor is null. Likely reached end of results."),
    ("cursor=None", 400, PG, "Cursor is null. Likely reached end of results."),
    ("cursor=not-a-cursor", 400, PG, "Invalid cursor value"),
    (f"cursor={q.encode_cursor((1,))}", 400, PG, "Cursor value is invalid."),
    ("filter=type", 400, QP, "Invalid query parameter in type."),
    ("filter=type:", 400, QP,
     "Invalid filter value for 'type': value cannot be empty or ''. "
     "Use a valid value like filter=type:your_value"),
    ("filter=is-oa:undefined", 400, QP,
     "Invalid filter value for 'is_oa': value cannot be empty or 'undefined'. Use a valid value like "
     "filter=is_oa:your_value"),
    (f"filter=cites:{_HUNDRED_AND_ONE}", 400, QP, _TOO_MANY),
    ("filter=type:article|is_oa:true", 400, QP, e.MSG_OR_BETWEEN_FILTERS.format(value="article|is_oa:true")),
    ("filter=type:article|!book", 400, QP, e.MSG_BANG_NOT_FIRST.format(value="!book")),
    ("filter=cited_by_count:>many", 400, QP, "Value for param cited_by_count must be a number."),
    ("filter=publication_year:1990-nan", 400, QP, "Value for param publication_year must be a number."),
    ("filter=from_publication_date:2020-13-45", 400, QP,
     "Value for param from_publication_date is an invalid date. Format is yyyy-mm-dd (e.g. 2020-05-17)."),
    ("filter=publication_date:!2020-01-01", 400, QP,
     "Value for param publication_date is an invalid date. Format is yyyy-mm-dd (e.g. 2020-05-17)."),
    ("filter=is_oa:maybe", 400, QP, "Value for is_oa must be true, false null, or !null: not maybe."),
    ("filter=has_doi:null", 400, QP, "Value for has_doi must be true or false, not null."),
    ("filter=cites:xyz", 400, QP, "'xyz' is not a valid OpenAlex ID."),
    ("filter=cites:!https://openalex.org/xyz", 400, QP, "'!xyz' is not a valid OpenAlex ID."),
    ("filter=cited_by:xyz", 400, QP, "Invalid OpenAlex ID in cited_by or related_to filter."),
    ("sort=relevance_score:desc", 400, QP, e.MSG_RELEVANCE_WITHOUT_SEARCH),
    ("search=x&sort=relevance_score:asc", 400, QP, "Sorting relevance score ascending is not allowed."),
    ("sort=Title", 400, QP,
     f"Title is not a valid field. Valid fields are underscore or hyphenated versions of: {_SORTS}"),
    ("sort=a:b:c", 400, QP, "Invalid query parameter in a:b:c."),
    ("group_by=type&sort=cited_by_count:desc", 400, QP, e.MSG_GROUP_BY_SORT),
    ("group_by=has_doi&sort=count:desc", 400, QP, "Cannot sort when grouping by external ID boolean field."),
    ("group_by=type:all", 400, QP, e.MSG_GROUP_BY_QUALIFIER),
    ("group_by=publication_date", 400, QP, "Cannot group by date, number, or search fields."),
    ("group_by=title.search", 400, QP, "Cannot group by date, number, or search fields."),
    ("group_by=referenced_works", 400, QP, "Group by referenced_works is not supported at this time."),
    ("group_by=doi", 400, QP, "Cannot group by doi."),
    ("group_by=is_oa&cursor=*", 400, QP,
     "Cannot use cursor pagination when grouping fields that return true or false."),
    ("group_by=nope", 400, QP,
     "nope is not a valid field. Valid fields are underscore or hyphenated versions of: "
     f"{', '.join(sorted(FILTERS))}"),
    ("format=xml", 400, QP, "Valid formats are csv, json, xlsx"),
    # ours: upstream features this server does not implement
    ("format=csv", 400, QP, "format=csv is not supported by this server."),
    ("group_bys=type", 400, QP, "group_bys is not supported by this server."),
    ("group_by=type,is_oa", 400, QP, "Multi-dimensional group_by is not supported by this server."),
    ("search.semantic=graphs", 400, QP, "search.semantic is not supported by this server."),
    ("sample=-1", 400, QP, "Sample size must be greater than or equal to 0."),
]  # fmt: skip


@pytest.mark.parametrize(("query_string", "status", "error", "message"), REFUSALS)
def test_refusals(query_string: str, status: int, error: str, message: str) -> None:
    with pytest.raises(OpenAlexError) as err:
        parse(f"/works?{query_string}")
    assert (err.value.status, err.value.error, err.value.message) == (status, error, message)
    assert err.value.body() == {"error": error, "message": message}


def test_first_error_in_upstream_order() -> None:
    """A bad select is reported before a bad parameter name, which is reported before a bad page."""
    with pytest.raises(OpenAlexError) as err:
        parse("/works?select=nope&foo=1&page=0")
    assert err.value.message.startswith("nope is not a valid select field.")
    with pytest.raises(OpenAlexError) as err:
        parse("/works?foo=1&page=0")
    assert err.value.message.startswith("foo is not a valid parameter.")


# --- GET /works/{id} ---------------------------------------------------------------------------
PEERJ = parse_id("doi:10.7717/peerj.4375")
W_PEERJ = parse_id("W2741809807")


@pytest.mark.parametrize(
    ("path_id", "expected"),
    [
        ("W2741809807", ("ok", W_PEERJ)),
        ("w2741809807", ("redirect", W_PEERJ)),
        ("https://openalex.org/W2741809807", ("redirect", W_PEERJ)),
        ("https:/openalex.org/W2741809807", ("redirect", W_PEERJ)),  # "//" collapsed by a proxy
        ("https%3A%2F%2Fopenalex.org%2FW2741809807", ("redirect", W_PEERJ)),
        ("openalex:W2741809807", ("redirect", W_PEERJ)),
        ("mag:2741809807", ("redirect", W_PEERJ)),
        ("doi:10.7717/peerj.4375", ("ok", PEERJ)),
        ("doi:10.7717/PEERJ.4375", ("ok", PEERJ)),
        ("https://doi.org/10.7717/peerj.4375", ("ok", PEERJ)),  # pyopenalex: raw, with "//"
        ("https%3A%2F%2Fdoi.org%2F10.7717%2Fpeerj.4375", ("ok", PEERJ)),  # pyalex: percent-encoded
        ("https:/doi.org/10.7717/peerj.4375", ("ok", PEERJ)),
        ("http://dx.doi.org/10.7717/peerj.4375", ("ok", PEERJ)),
        ("pmid:29456894", ("ok", parse_id("pmid:29456894"))),
    ],
)
def test_work_id_path(path_id: str, expected: tuple[str, tuple[str, str]]) -> None:
    assert parse_work_id_path(path_id) == expected


@pytest.mark.parametrize(
    "path_id",
    ["10.7717/peerj.4375", "A5023888391", "W1", "random-words", "mag:abc", "pmid:abc", "doi:nothing", ""],
)
def test_work_id_path_not_found(path_id: str) -> None:
    with pytest.raises(OpenAlexError) as err:
        parse_work_id_path(path_id)
    assert err.value.status == 404
    assert err.value.body() == {"error": e.NOT_FOUND_ERROR, "message": e.NOT_FOUND_MESSAGE}


# --- nothing but OpenAlexError, whatever arrives ---------------------------------------------------
_names = st.sampled_from(
    ["filter", "search", "sort", "page", "per-page", "per_page", "cursor", "select", "group_by", "group-by",
     "sample", "seed", "format", "search.title", "search.exact", "search.semantic", "mailto", "q", "x"]
)  # fmt: skip
_grammar = st.sampled_from(
    [*sorted(FILTERS)[:40:3], "cites", "publication_year", "doi", "type", "is_oa", "title.search",
     ":", ",", "|", "!", "+", " ", '"', "-", ">", "<", "null", "W3046863325", "10.1/x", "2020-01-01",
     "*", "true", "relevance_score", ":desc", "(", ")", "AND", "NOT", "0", "99999999999999999999", "1e400"]
)  # fmt: skip
_values = st.one_of(st.text(max_size=30), st.lists(_grammar, max_size=12).map("".join))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.one_of(_names, st.text(max_size=8)), _values), max_size=5))
def test_random_requests_raise_only_openalex_errors(params: list[tuple[str, str]]) -> None:
    try:
        result = parse_works_request(params)
    except OpenAlexError as err:
        assert err.status in (400, 404) and err.error and err.message
    else:
        assert isinstance(result, q.Query)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(_grammar, max_size=8).map("".join)))
def test_random_work_paths_raise_only_404(path_id: str) -> None:
    try:
        status, pair = parse_work_id_path(path_id)
    except OpenAlexError as err:
        assert err.status == 404
    else:
        assert status in ("ok", "redirect") and len(pair) == 2
