"""The upstream APIs citegraph speaks: one package per dialect (request parsing → query model,
rendering, errors, limits), each exact to the upstream service (spec/api-dialects.md)."""

#: Every dialect served, by name; each is mounted at ``/<name>`` (the server's DIALECT_PREFIXES).
DIALECTS: tuple[str, ...] = ("openalex", "crossref", "opencitations", "s2")
