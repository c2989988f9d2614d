"""citegraph: a self-hosted scholarly citation index.

Load OpenAlex, Crossref, OpenCitations and Semantic Scholar data into one citation graph and ask it
questions from Python, the command line, or the HTTP APIs of those services::

    import citegraph
    g = citegraph.open("citegraph.db")
    g.work("W2741809807").cited_by_count
    g.citations("doi:10.7717/peerj.4375", sort="cited_by_count:desc", limit=25)
"""

from citegraph.graph import (
    CitationItem,
    CitationPage,
    CursorError,
    Graph,
    GraphWork,
    LoadError,
    LoadReport,
    UnknownWorkError,
    open,
)
from citegraph.ids import IdError, format_id, parse_id
from citegraph.model import Author, Citation, Counts, Id, Venue, Work
from citegraph.store import StoreError

__version__ = "0.1.0"

__all__ = [
    "Author",
    "Citation",
    "CitationItem",
    "CitationPage",
    "Counts",
    "CursorError",
    "Graph",
    "GraphWork",
    "Id",
    "IdError",
    "LoadError",
    "LoadReport",
    "StoreError",
    "UnknownWorkError",
    "Venue",
    "Work",
    "__version__",
    "format_id",
    "parse_id",
    "open",
]
