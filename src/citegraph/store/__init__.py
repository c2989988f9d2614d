"""Stores: the storage contract and its engines."""

from __future__ import annotations

import os

from citegraph.store.base import (
    CITATION_SORTS,
    BatchResult,
    BuildResult,
    CitationRow,
    FileState,
    PreparedRecord,
    ServedWork,
    ServeSpec,
    Store,
    StoredRecord,
    StoreError,
    WorkRow,
)
from citegraph.store.sqlite import SQLiteStore

#: URL schemes of database servers; anything else is a path to a SQLite file.
SERVER_SCHEMES = ("postgresql://", "postgres://")


def open_store(target: str | os.PathLike[str], *, create: bool = False, readonly: bool = False) -> Store:
    """Open the store at a SQLite path (or ``sqlite:///path``) or a database server URL."""
    text = os.fspath(target)
    if text.startswith(SERVER_SCHEMES):
        from citegraph.store.postgres import PostgresStore  # psycopg is imported only by those who use it

        return PostgresStore(text, create=create, readonly=readonly)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///"):]
    return SQLiteStore(text, create=create, readonly=readonly)


__all__ = [
    "CITATION_SORTS",
    "BatchResult",
    "BuildResult",
    "CitationRow",
    "FileState",
    "PreparedRecord",
    "SQLiteStore",
    "Store",
    "StoreError",
    "ServeSpec",
    "ServedWork",
    "StoredRecord",
    "WorkRow",
    "open_store",
]
