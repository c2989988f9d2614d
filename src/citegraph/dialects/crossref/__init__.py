"""The Crossref REST API dialect (spec/api-dialects.md §2): routes, parameters and item rendering."""
