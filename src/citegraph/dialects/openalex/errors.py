"""OpenAlex's errors: the status, the ``error`` class string and the ``message`` texts.

The strings are upstream's (``ourresearch/openalex-elastic-api`` @5a6505c, as catalogued in
``spec/api-dialects.md`` §1.2–1.9): clients and their users see these exact words. Messages for
requests this server cannot serve (upstream features we do not implement) are ours, in the
same style, and say so.
"""

from __future__ import annotations

#: Upstream's error classes (the ``error`` member of the body).
QUERY_PARAMS_ERROR = "Invalid query parameters error."
PAGINATION_ERROR = "Pagination error."
SEARCH_ERROR = "Search execution error."

#: Unknown ids and unmatched paths: upstream answers Flask's stock 404, whose name and
#: description we send as JSON (spec §1.8 asks for the JSON error shape).
NOT_FOUND_ERROR = "Not Found"
NOT_FOUND_MESSAGE = (
    "The requested URL was not found on the server. If you entered the URL manually please check "
    "your spelling and try again."
)


class OpenAlexError(Exception):
    """A request OpenAlex would refuse: HTTP ``status`` and the body ``{error, message}``."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message

    def body(self) -> dict[str, str]:
        """The JSON body upstream sends for this error."""
        return {"error": self.error, "message": self.message}

    def __repr__(self) -> str:
        return f"OpenAlexError({self.status!r}, {self.error!r}, {self.message!r})"


def params_error(message: str) -> OpenAlexError:
    """A 400 "Invalid query parameters error." with ``message``."""
    return OpenAlexError(400, QUERY_PARAMS_ERROR, message)


def pagination_error(message: str) -> OpenAlexError:
    """A 400 "Pagination error." with ``message``."""
    return OpenAlexError(400, PAGINATION_ERROR, message)


def not_found() -> OpenAlexError:
    """The 404 for an unknown work or an id form upstream does not route."""
    return OpenAlexError(404, NOT_FOUND_ERROR, NOT_FOUND_MESSAGE)


# --- message texts (upstream's wording; placeholders in braces) ----------------------------------
MSG_INVALID_PARAMETER = "{arg} is not a valid parameter. Valid parameters are: {valid}."
MSG_INVALID_SEARCH_PARAMETER = (
    "'{arg}' is not a valid search parameter. Valid search parameters are: {valid}."
)
MSG_SEMANTIC_PARAMETER = "The semantic=true parameter is deprecated. Use search.semantic=your+query instead."
MSG_DATA_VERSION_1 = (
    "data-version=1 is deprecated and no longer supported. "
    "Please remove the data-version parameter to use the current version of the API."
)
MSG_HOST_VENUE = (
    "host_venue and alternate_host_venues are deprecated in favor of locations. "
    "Read more here: https://groups.google.com/g/openalex-users/c/rRf34GRr-Oo"
)
MSG_ONE_FILTER = (
    "Only one filter parameter is allowed. "
    "Your URL contains filters like: /works?filter=publication_year:2020&filter=is_open_access:true. "
    "Combine and separate filters with a comma, like: "
    "/works?filter=publication_year:2020,is_open_access:true."
)
MSG_SELECT_WITH_GROUP_BY = "select does not work with group_by."
MSG_INVALID_SELECT = "{field} is not a valid select field. Valid fields for select are: {valid}."
MSG_SAMPLE_NOT_INT = "sample must be an integer."
MSG_SAMPLE_TOO_BIG = "Sample size must be less than or equal to 10,000."
MSG_SAMPLE_WITH_SORT = "sample does not work with sort."
MSG_SEED_WITHOUT_SAMPLE = "You must include the sample parameter when using a seed value."
MSG_SAMPLE_WITH_GROUP_BY = "sample does not work with group_by."
MSG_SAMPLE_PAGE_NEEDS_SEED = (
    "A seed value is required when paginating through samples of results. "
    "Without a seed value, you may receive duplicate results between pages. Add a seed value like this: "
    "/works?sample=100&seed=123&page=2"
)
MSG_SEARCH_SEMANTIC_COMBINED = (
    "search.semantic cannot be combined with other search parameters. Use search.semantic alone."
)
MSG_SEARCH_SCOPE_CLASH = (
    "Cannot use both stemmed and exact search on the same scope: '{first}' and '{second}'."
)
MSG_SEARCH_BANG = "The search parameter does not support the ! operator. Problem value: {value}"
MSG_SEARCH_PIPE = "The search parameter does not support the | operator. Problem value: {value}"
MSG_SEARCH_FILTER_BANG = "Search filters do not support the ! operator. Problem value: {value}"
MSG_VALID_FORMATS = "Valid formats are csv, json, xlsx"
MSG_NOT_A_NUMBER = "Param {param} must be a number."
MSG_PAGE_TOO_SMALL = "Page parameter must be greater than 0."
MSG_PER_PAGE_RANGE = "per-page parameter must be between 1 and {max}."
MSG_RESULT_WINDOW = (
    "Maximum results size of {max:,} records is exceeded. Cursor pagination is required for records "
    "beyond {max:,}. See: https://developers.openalex.org/guides/page-through-results"
)
MSG_GROUP_BY_PAGE = (
    "Unable to paginate beyond page 1. Group-by is limited to page 1 with up to 200 results at this time."
)
MSG_CURSOR_WITH_PAGE = "Cannot use page parameter with cursor."
MSG_CURSOR_NULL = "Cursor is null. Likely reached end of results."
MSG_CURSOR_INVALID = "Invalid cursor value"
MSG_CURSOR_MISMATCH = "Cursor value is invalid."  # a cursor whose values do not fit the sort
MSG_FILTER_SYNTAX = "Invalid query parameter in {part}."
MSG_FILTER_EMPTY = (
    "Invalid filter value for '{key}': value cannot be empty or '{value}'. "
    "Use a valid value like filter={key}:your_value"
)
MSG_INVALID_FIELD = (
    "{key} is not a valid field. Valid fields are underscore or hyphenated versions of: {valid}"
)
MSG_TOO_MANY_VALUES = (
    "Maximum number of values exceeded for {key}. Decrease values to {max} or below, or consider "
    "downloading the full dataset at https://developers.openalex.org/download/snapshot-format"
)
MSG_OR_BETWEEN_FILTERS = (
    "It looks like you're trying to do an OR query between filters and it's not supported. \n"
    "You can do this: institutions.country_code:fr|en, but not this: "
    "institutions.country_code:gb|host_venue.issn:0957-1558. \n"
    "Problem value: {value}"
)
MSG_BANG_NOT_FIRST = (
    "The ! operator can only be used at the beginning of an OR query, like "
    "/works?filter=concepts.id:!C144133560|C15744967, meaning NOT (C144133560 or C15744967). "
    "Problem value: {value}"
)
MSG_NOT_A_NUMBER_FILTER = "Value for param {key} must be a number."
MSG_INVALID_DATE = "Value for param {key} is an invalid date. Format is yyyy-mm-dd (e.g. 2020-05-17)."
MSG_BOOL_VALUES = "Value for {key} must be true, false null, or !null: not {value}."
MSG_BOOL_TRUE_FALSE = "Value for {key} must be true or false, not {value}."
MSG_INVALID_OPENALEX_ID = "'{value}' is not a valid OpenAlex ID."
MSG_CITED_BY_ID = "Invalid OpenAlex ID in cited_by or related_to filter."
MSG_RELEVANCE_WITHOUT_SEARCH = (
    "Must include a search query (such as ?search=example or /filter=fulltext.search:example) in order "
    "to sort by relevance_score."
)
MSG_RELEVANCE_ASC = "Sorting relevance score ascending is not allowed."
MSG_GROUP_BY_SORT = (
    "Valid sort params with group by are: key, count, or <numeric_field>.<metric> (mean/sum/min/max), "
    "e.g. cited_by_count.mean:desc"
)
MSG_GROUP_BY_SORT_BOOLEAN = "Cannot sort when grouping by external ID boolean field."
MSG_GROUP_BY_QUALIFIER = (
    "The only valid filters for a group_by param is 'include_unknown' or the deprecated value 'known'"
)
MSG_GROUP_BY_KIND = "Cannot group by date, number, or search fields."
MSG_GROUP_BY_REFERENCED_WORKS = "Group by referenced_works is not supported at this time."
MSG_GROUP_BY_FIELD = "Cannot group by {key}."
MSG_GROUP_BY_CURSOR_BOOLEAN = "Cannot use cursor pagination when grouping fields that return true or false."

# Ours: upstream features this server does not implement (400 rather than a silent wrong answer).
MSG_UNSUPPORTED = "{what} is not supported by this server."
# Ours: upstream passes a negative sample size on to its search engine; we refuse it.
MSG_SAMPLE_NEGATIVE = "Sample size must be greater than or equal to 0."
