"""The Semantic Scholar Academic Graph API dialect (``/s2/graph/v1``), spec/api-dialects.md §4."""
