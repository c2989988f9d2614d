"""The HTTP server: the ASGI app and how to run it."""

from __future__ import annotations

import os

from citegraph.graph.counts import DEFAULT_COUNTS, CountsMode, counts_mode
from citegraph.server.app import ENV_COUNTS, ENV_DB, ENV_ROOT, app_from_env, create_app

__all__ = ["app_from_env", "create_app", "serve"]


def serve(db: str, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, root: str | None = None,
          log_level: str = "warning", counts: CountsMode | str = DEFAULT_COUNTS) -> None:
    """Serve the database at ``db`` over HTTP until interrupted (``workers`` processes share it); every dialect
    serves ``counts`` (our graph's, or each source's own)."""
    import uvicorn

    from citegraph.graph import open as open_graph

    counts = counts_mode(counts)  # a bad value fails here, not in every worker
    if workers <= 1:
        app = create_app(open_graph(db, readonly=True), root=root, counts=counts)
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, loop="auto",
                    http="auto", server_header=False)
        return
    # several processes: each builds its own app (and database connection) from the environment
    os.environ[ENV_DB] = os.fspath(db)
    if root:
        os.environ[ENV_ROOT] = root
    os.environ[ENV_COUNTS] = counts.value
    open_graph(db, readonly=True).close()  # fail here, clearly, rather than in every worker
    uvicorn.run("citegraph.server.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=False, server_header=False)
