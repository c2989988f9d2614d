"""The public facade: open a graph, load into it, ask it questions."""

from citegraph.graph.core import (
    DB_ENV,
    DEFAULT_DB,
    CitationItem,
    CitationPage,
    CursorError,
    Graph,
    GraphWork,
    Group,
    UnknownWorkError,
    WorkHit,
    WorksResult,
    default_db,
    merge_works,
    open,
)
from citegraph.graph.counts import CountsMode
from citegraph.graph.load import LoadError, LoadReport, Progress, load
from citegraph.store import ServedWork, ServeSpec, WorkRow

__all__ = [
    "DB_ENV",
    "DEFAULT_DB",
    "CitationItem",
    "CitationPage",
    "CountsMode",
    "CursorError",
    "Graph",
    "GraphWork",
    "Group",
    "LoadError",
    "LoadReport",
    "Progress",
    "ServeSpec",
    "ServedWork",
    "UnknownWorkError",
    "WorkHit",
    "WorkRow",
    "WorksResult",
    "default_db",
    "load",
    "merge_works",
    "open",
]
