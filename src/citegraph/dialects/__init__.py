"""The upstream APIs citegraph speaks: one package per dialect (request parsing → query model,
rendering, errors, limits), each exact to the upstream service (spec/api-dialects.md)."""
