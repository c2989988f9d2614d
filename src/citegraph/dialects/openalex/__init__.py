"""The OpenAlex dialect (spec/api-dialects.md §1): request parameters, ids and errors."""

from citegraph.dialects.openalex.errors import OpenAlexError
from citegraph.dialects.openalex.params import parse_select, parse_work_id_path, parse_works_request

__all__ = ["OpenAlexError", "parse_select", "parse_work_id_path", "parse_works_request"]
