"""The HTTP server: the ASGI app and how to run it."""

from __future__ import annotations

import os

from citegraph.server.app import ENV_DB, ENV_ROOT, app_from_env, create_app

__all__ = ["app_from_env", "create_app", "serve"]


def serve(db: str, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, root: str | None = None,
          log_level: str = "warning") -> None:
    """Serve the database at ``db`` over HTTP until interrupted (``workers`` processes share it)."""
    import uvicorn

    from citegraph.graph import open as open_graph

    if workers <= 1:
        app = create_app(open_graph(db, readonly=True), root=root)
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, loop="auto",
                    http="auto", server_header=False)
        return
    # several processes: each builds its own app (and database connection) from the environment
    os.environ[ENV_DB] = os.fspath(db)
    if root:
        os.environ[ENV_ROOT] = root
    open_graph(db, readonly=True).close()  # fail here, clearly, rather than in every worker
    uvicorn.run("citegraph.server.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=False, server_header=False)
