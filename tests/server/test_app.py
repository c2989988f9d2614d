"""The ASGI app's own endpoints and middleware, through a real uvicorn server, and ``citegraph serve``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from tests.conftest import NewDb

import citegraph
from citegraph.server.app import MAX_BODY_BYTES, MAX_URL_BYTES, create_app

DATA = Path(__file__).resolve().parents[1] / "data" / "openalex"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base(new_db: NewDb) -> Iterator[str]:
    db = new_db("srv")
    with citegraph.open(db, create=True) as g:
        g.load([DATA / "works.jsonl.gz"], workers=0)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(citegraph.open(db, readonly=True), root="openalex"),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_own_endpoints(base: str) -> None:
    assert httpx.get(f"{base}/-/health").json() == {"status": "ok"}
    assert httpx.get(f"{base}/-/version").json()["version"] == citegraph.__version__
    stats = httpx.get(f"{base}/-/stats").json()
    assert stats["stats"]["works"] == 369 and stats["dialects"]["openalex"] == ["/openalex", "/"]
    spec = httpx.get(f"{base}/-/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/-/health" in spec["paths"]
    assert {"/openalex/works", "/crossref/works", "/opencitations/index/v2/citations/{id}",
            "/s2/graph/v1/paper/{paper_id}"} <= set(spec["paths"])  # every dialect, at a path it serves
    assert "openapi.json" in httpx.get(f"{base}/-/docs").text


def test_root_dialect_and_prefix_serve_the_same(base: str) -> None:
    a = httpx.get(f"{base}/openalex/works/W2741809807").json()
    b = httpx.get(f"{base}/works/W2741809807").json()
    assert a["id"] == b["id"] == "https://openalex.org/W2741809807"


def test_request_ids_and_cors(base: str) -> None:
    r = httpx.get(f"{base}/-/health", headers={"x-request-id": "abc-123", "origin": "https://example.org"})
    assert r.headers["x-request-id"] == "abc-123"
    assert r.headers["access-control-allow-origin"] == "*"
    fresh = httpx.get(f"{base}/-/health").headers["x-request-id"]
    assert len(fresh) == 32 and fresh != "abc-123"
    pre = httpx.options(f"{base}/openalex/works", headers={"origin": "https://example.org",
                                                          "access-control-request-method": "GET"})
    assert pre.status_code == 204 and "GET" in pre.headers["access-control-allow-methods"]


def test_oversized_requests_are_refused(base: str) -> None:
    assert httpx.get(f"{base}/openalex/works", params={"filter": "x" * MAX_URL_BYTES}).status_code == 414
    big = b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}"
    r = httpx.post(f"{base}/openalex/works/citations", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_server_is_read_only(base: str) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        assert httpx.request(method, f"{base}/openalex/works/W2741809807").status_code == 405


def test_cli_serve_demo_with_two_workers(tmp_path: Path) -> None:
    """The README's run command, as a real process: `citegraph serve --demo` (here with --workers 2)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "citegraph.cli", "serve", "--demo", "--port", str(port),
                             "--workers", "2", "--db", str(tmp_path / "demo.db")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        body = None
        for _ in range(300):
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/openalex/works", params={"filter": "cites:W3046863325"},
                                 timeout=2).json()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert body is not None, proc.stderr.read1().decode() if proc.stderr else ""
        assert body["meta"]["count"] == 5
        # the demo's Crossref records serve the Crossref dialect as Crossref wrote them
        work = httpx.get(f"http://127.0.0.1:{port}/crossref/works/10.1371/journal.pone.0033693", timeout=5).json()
        assert work["message"]["source"] == "Crossref" and len(work["message"]["reference"]) == 70
        assert work["message"]["reference-count"] == 65  # the entries that name a work by DOI (our graph's count)
        assert "abstract" not in work["message"]  # the demo leaves publishers' abstracts out
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def test_cli_serve_refuses_a_missing_database(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "citegraph.cli", "serve", "--db", str(tmp_path / "none.db")],
                          env=env, capture_output=True, timeout=60)
    assert done.returncode == 1
    assert b"no citegraph database" in done.stderr and b"Traceback" not in done.stderr


def test_cli_serve_counts_upstream_with_two_workers(tmp_path: Path) -> None:
    """``--counts upstream`` reaches every worker (they build their apps from the environment)."""
    db = tmp_path / "one.db"
    with citegraph.open(db, create=True) as g:
        g.load([DATA / "W2741809807.json"], workers=0)
    record = json.loads((DATA / "W2741809807.json").read_text())
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "citegraph.cli", "serve", "--db", str(db), "--port", str(port),
                             "--workers", "2", "--counts", "upstream"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        version = None
        for _ in range(300):
            try:
                version = httpx.get(f"http://127.0.0.1:{port}/-/version", timeout=2).json()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert version is not None, proc.stderr.read1().decode() if proc.stderr else ""
        assert version["counts"] == "upstream"
        for _ in range(4):  # more requests than workers, so more than one worker is likely asked
            work = httpx.get(f"http://127.0.0.1:{port}/openalex/works/W2741809807", timeout=5).json()
            assert work["cited_by_count"] == record["cited_by_count"] > 0  # OpenAlex's; our graph holds no citer
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def test_cli_serve_refuses_an_unknown_counts_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "citegraph.cli", "serve", "--db", str(tmp_path / "none.db"),
                           "--counts", "nonsense"], env=env, capture_output=True, timeout=60)
    assert done.returncode == 2
    assert b"invalid choice: 'nonsense'" in done.stderr and b"'upstream'" in done.stderr
    assert b"Traceback" not in done.stderr


def test_an_unknown_counts_mode_is_refused_by_the_app(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    citegraph.open(db, create=True).close()
    with citegraph.open(db, readonly=True) as graph, pytest.raises(ValueError, match="one of: ours, upstream"):
        create_app(graph, counts="nonsense")


def test_unmatched_paths_get_json_404(base: str) -> None:
    for path in ("/nothing/here", "/openalex/works/W1%0A/x", "/-/nope"):
        r = httpx.get(f"{base}{path}")
        assert r.status_code == 404 and r.json()["error"] == "Not Found"
