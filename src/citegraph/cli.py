"""The ``citegraph`` command: thin commands over the library.

Exit status: 0 success; 1 an error (unknown id, unusable database, bad input); 2 a usage error;
3 a load that finished but rejected records or files (see the rejects file).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

import citegraph
from citegraph.dialects import DIALECTS
from citegraph.graph import DB_ENV, CursorError, Progress, UnknownWorkError, default_db
from citegraph.graph.bibliometrics import MetricsNotBuiltError, NotFoundError
from citegraph.graph.counts import DEFAULT_COUNTS, CountsMode
from citegraph.graph.load import SOURCE_MODULES, LoadError, LoadReport
from citegraph.graph.metrics import MetricsCheckError
from citegraph.ids import IdError, format_id
from citegraph.store import CITATION_SORTS, SERVER_SCHEMES, StoreError

#: Exit status of a load that completed but set records or files aside.
EXIT_REJECTED = 3
#: How often the progress line is redrawn, in seconds: often enough to look alive, rarely enough to cost nothing.
PROGRESS_EVERY = 0.5


#: The bundled demo corpus's files: real OpenAlex works (CC0) and real Crossref works (facts; abstracts left out).
DEMO_FILES = ("openalex-works.jsonl.gz", "crossref-works.jsonl.gz")


def demo_corpus() -> list[Path]:
    """The bundled demo corpus's files, see citegraph/demo/PROVENANCE.md."""
    return [Path(str(resources.files("citegraph") / "demo" / name)) for name in DEMO_FILES]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="citegraph", description="A self-hosted scholarly citation index.")
    p.add_argument("--version", action="version", version=f"citegraph {citegraph.__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def with_db(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--db", default=None, help=f"database path (default ${DB_ENV} or ./citegraph.db)")
        sp.add_argument("--json", action="store_true", help="machine-readable JSON output")
        return sp

    sp = with_db(sub.add_parser("load", help="load source files into the database"))
    sp.add_argument("paths", nargs="*", help="files, directories or glob patterns")
    sp.add_argument("--demo", action="store_true", help="load the bundled demo corpus")
    sp.add_argument("--source", choices=list(SOURCE_MODULES), help="force the source instead of detecting it")
    sp.add_argument("--workers", type=int, default=None, help="parsing processes (default: one per core)")
    sp.add_argument("--rejects", default=None,
                    help="where rejected records are written (default: DB.rejects.jsonl; for PostgreSQL, in the"
                         " local folder, $CITEGRAPH_LOCAL_DIR)")
    sp.add_argument("--no-progress", action="store_true", help="no progress line even on a terminal")
    sp.add_argument("--batch-records", type=int, default=None, help=argparse.SUPPRESS)  # tests: many commits

    sp = with_db(sub.add_parser("work", help="show one work by any of its ids"))
    sp.add_argument("id")

    for name, what in (("citations", "works citing"), ("references", "works cited by")):
        sp = with_db(sub.add_parser(name, help=f"list the {what} a work"))
        sp.add_argument("id")
        sp.add_argument("--sort", default="cited_by_count:desc", choices=CITATION_SORTS)
        sp.add_argument("--year", type=int, default=None, help="only citing/cited works published that year")
        sp.add_argument("--limit", type=int, default=25)
        sp.add_argument("--cursor", default=None, help="continue from a previous page's next_cursor")

    sp = sub.add_parser("serve", help="serve the database over the upstream HTTP APIs")
    sp.add_argument("--db", default=None, help=f"database path (default ${DB_ENV} or ./citegraph.db)")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8000)
    sp.add_argument("--workers", type=int, default=1, help="server processes sharing the database")
    sp.add_argument("--root", choices=list(DIALECTS), default=None, help="also serve this dialect at /")
    sp.add_argument("--demo", action="store_true",
                    help="load the bundled demo corpus into a fresh database (temporary unless --db) and serve it")
    sp.add_argument("--s2-citation-window", type=int, default=None, metavar="N",
                    help="S2 dialect: serve citations and references while offset + limit < N (default 10000,"
                         " as upstream; 0: no cap)")
    sp.add_argument("--counts", choices=[m.value for m in CountsMode], default=DEFAULT_COUNTS.value,
                    help="citation counts served: 'ours' (default), our graph's, equal to what the same server lists;"
                         " 'upstream', each source's own asserted count in its own dialect (ours for a work the"
                         " source did not describe)")

    sp = with_db(sub.add_parser("metrics", help="a work's counts, impact and self-citation (ours beside upstream's)"))
    sp.add_argument("id")
    sp = with_db(sub.add_parser("related", help="works related to a work by co-citation and bibliographic coupling"))
    sp.add_argument("id")
    sp.add_argument("--limit", type=int, default=20)
    sp = with_db(sub.add_parser("cocitation", help="co-citation and coupling of every pair of a set of works"))
    sp.add_argument("ids", nargs="+")
    for name in ("author", "venue"):
        sp = with_db(sub.add_parser(name, help=f"an {name}'s works, citations, h-index and self-citation rate"
                                    if name == "author" else "a venue's works, citations, h-index and self-citation"
                                    " rate (a source id or an ISSN)"))
        sp.add_argument("id")

    with_db(sub.add_parser("migrate", help="upgrade a database made by an older citegraph, and bring this host's"
                                           " search index up to date"))
    with_db(sub.add_parser("stats", help="corpus-wide counts"))
    sp = with_db(sub.add_parser("conflicts", help="identity conflicts recorded while loading"))
    sp.add_argument("--limit", type=int, default=100)
    return p


def _print_json(obj: Any) -> None:
    sys.stdout.write(msgspec.json.encode(obj).decode() + "\n")


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    cells = [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out)


class _ProgressLine:
    """A one-line progress display on stderr: records, rate, ETA by bytes."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        rate = p.records / p.elapsed if p.elapsed > 0 else 0.0
        eta = ""
        # the first seconds include dictionary training and pool start-up: no estimate from those
        if p.bytes_done and p.bytes_total > p.bytes_done and p.elapsed > 2:
            secs = p.elapsed * (p.bytes_total - p.bytes_done) / p.bytes_done
            eta = f"  ETA {int(secs // 60)}:{int(secs % 60):02d}"
        sys.stderr.write(f"\r{p.records:,} records  {p.rejected:,} rejected  {rate:,.0f}/s{eta}   ")
        sys.stderr.flush()


def _summary(report: LoadReport) -> str:
    lines = [
        f"loaded    {report.loaded:,} records ({report.inserted:,} new, {report.merged:,} merged,"
        f" {report.updated:,} updated, {report.unchanged:,} unchanged)",
        f"rejected  {report.rejected:,} records, {report.rejected_files:,} files",
        f"issues    {report.issues:,} parts of loaded records left out (each with its reason in the rejects file)",
        f"edges     {report.edges:,} in the graph ({report.edges_added:+,}), {report.stubs_created:,} new stubs,"
        f" {report.self_loops:,} self-loops set aside",
        f"conflicts {report.conflicts:,}",
        f"elapsed   {report.elapsed:.1f} s (build {report.build_seconds:.1f} s,"
        f" metrics {report.metrics_seconds:.1f} s)",
    ]
    skipped = sum(1 for f in report.files if f.status == "skipped")
    if skipped:
        lines.append(f"skipped   {skipped:,} files already loaded")
    if not report.ok and report.rejects_path:
        lines.append(f"rejects   {report.rejects_path}")
    return "\n".join(lines)


def cmd_load(args: argparse.Namespace) -> int:
    paths = list(args.paths)
    if args.demo:
        paths.extend(str(p) for p in demo_corpus())
    if not paths:
        raise LoadError("nothing to load: give files, directories or globs, or --demo")
    db = args.db or default_db()
    show = not args.no_progress and not args.json and sys.stderr.isatty()
    with citegraph.open(db, create=True) as g:
        # beside a SQLite file; for a database server, beside the files this host keeps for it
        rejects = args.rejects or f"{g.store.path}.rejects.jsonl"
        options = {"batch_records": args.batch_records} if args.batch_records else {}
        report = g.load(paths, source=args.source, workers=args.workers, rejects_path=rejects,
                        progress=_ProgressLine() if show else None, **options)
    if show:
        sys.stderr.write("\n")
    if args.json:
        _print_json(report.as_dict())
    else:
        print(_summary(report))
    return 0 if report.ok else EXIT_REJECTED


def cmd_work(args: argparse.Namespace) -> int:
    with citegraph.open(args.db, readonly=True) as g:
        gw = g.work(args.id)
        counts = g.counts(gw.key)
        w = gw.work  # mapped from the stored records while the database is open
    if args.json:
        _print_json({"key": gw.key, "ids": [format_id((i.scheme, i.value), "canonical") for i in gw.ids],
                     "stub": gw.stub, "sources": gw.sources, "cited_by_count": gw.cited_by_count,
                     "referenced_works_count": gw.referenced_works_count,
                     "counts_by_year": counts.counts_by_year, "upstream": counts.upstream, "work": w})
        return 0
    rows: list[tuple[str, Any]] = [("title", w.title if w else "(stub: cited, but no record loaded)")]
    rows += [("ids", ", ".join(format_id((i.scheme, i.value), "canonical") for i in gw.ids))]
    if w:
        rows += [("published", w.publication_date or w.publication_year), ("type", w.type),
                 ("venue", w.venue.name if w.venue else None),
                 ("authors", "; ".join(a.name or "" for a in w.authors[:10]) + (" …" if len(w.authors) > 10 else ""))]
    rows += [("sources", ", ".join(gw.sources) or "-"), ("cited by", gw.cited_by_count),
             ("references", gw.referenced_works_count)]
    if counts.counts_by_year:
        rows.append(("by year", ", ".join(f"{y}: {n}" for y, n in sorted(counts.counts_by_year.items()))))
    for source, up in counts.upstream.items():
        if up.cited_by_count is not None:
            rows.append((f"{source} says", f"cited by {up.cited_by_count}"))
    width = max(len(k) for k, _ in rows)
    print("\n".join(f"{k.ljust(width)}  {'' if v is None else v}" for k, v in rows))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with citegraph.open(args.db, readonly=True) as g:
        fetch = g.citations if args.command == "citations" else g.references
        page = fetch(args.id, sort=args.sort, year=args.year, limit=args.limit, cursor=args.cursor)
        titles = {} if args.json else {it.key: _title(g, it.key) for it in page.items}
    if args.json:
        _print_json(page)
        return 0
    print(_table([(it.id, it.publication_date, it.cited_by_count, (titles.get(it.key) or "")[:70])
                  for it in page.items], ["id", "published", "cited by", "title"]))
    print(f"\n{len(page.items)} of {page.total}" + (f"; next: --cursor {page.next_cursor}" if page.next_cursor else ""))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from citegraph.server import serve
    from citegraph.server.app import ENV_S2_CITATION_WINDOW

    if args.s2_citation_window is not None:
        if args.s2_citation_window < 0:
            raise ValueError("--s2-citation-window is a whole number >= 0")
        os.environ[ENV_S2_CITATION_WINDOW] = str(args.s2_citation_window)  # read by every worker's app

    db = args.db
    if args.demo:
        if args.db_given:
            db = args.db
        else:
            db = os.path.join(tempfile.mkdtemp(prefix="citegraph-demo-"), "demo.db")
        with citegraph.open(db, create=True) as g:
            report = g.load(demo_corpus(), workers=0)
        sys.stderr.write(f"citegraph: demo corpus loaded into {db} ({report.loaded} records, {report.edges} edges)\n")
    else:
        with citegraph.open(db, readonly=True) as g:  # a missing, foreign or unreachable database fails here, clearly
            if str(db).startswith(SERVER_SCHEMES) and not g.search_index_current():
                # each API host keeps its own index of a server database: made here, from the database
                sys.stderr.write(f"citegraph: building the full-text index from {db} ...\n")
                sys.stderr.write(f"citegraph: indexed {g.ensure_search_index() or 0:,} works\n")
            if str(db).startswith(SERVER_SCHEMES) and g.ensure_columns():
                sys.stderr.write("citegraph: filter columns saved on this host\n")
            if g.ensure_adjacency():
                sys.stderr.write("citegraph: citation graph arrays saved on this host (related works)\n")
    sys.stderr.write(f"citegraph: serving {db} on http://{args.host}:{args.port}"
                     f" ({'; '.join(f'{name} API at /{name}' for name in DIALECTS)}; our own endpoints at /-/;"
                     f" provenance and metrics at /api; counts served: {args.counts})\n")
    serve(db, host=args.host, port=args.port, workers=args.workers, root=args.root, counts=args.counts)
    return 0


def _title(g: citegraph.Graph, key: int) -> str | None:
    row = g.store.work_row(key)
    return row.title if row is not None else None


def cmd_stats(args: argparse.Namespace) -> int:
    with citegraph.open(args.db, readonly=True) as g:
        stats = g.stats()
    if args.json:
        _print_json(stats)
    else:
        width = max(len(k) for k in stats)
        print("\n".join(f"{k.ljust(width)}  {v:,}" for k, v in stats.items()))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    if not str(args.db).startswith(SERVER_SCHEMES) and not Path(args.db).is_file():
        raise StoreError(f"no citegraph database at {args.db}")
    t0 = time.perf_counter()
    with citegraph.open(args.db, create=True) as g:  # opening for writing migrates the schema
        version = g.store.meta("schema_version")
        rebuilt = g.ensure_search_index()
        g.ensure_columns()
        g.ensure_metrics()
        served = g.ensure_served()
    result = {"db": str(args.db), "schema_version": int(version or 0), "search_index_rebuilt": rebuilt is not None,
              "indexed_works": rebuilt, "served_written": served, "seconds": round(time.perf_counter() - t0, 1)}
    if args.json:
        _print_json(result)
    else:
        index = f"; search index rebuilt ({rebuilt:,} works)" if rebuilt is not None else "; search index current"
        print(f"{args.db}: schema version {result['schema_version']}{index}")
    return 0


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def cmd_metrics(args: argparse.Namespace) -> int:
    with citegraph.open(args.db, readonly=True) as g:
        m = g.metrics(args.id)
    if args.json:
        _print_json(m)
        return 0
    rows: list[tuple[str, Any]] = [("id", m.id), ("ids", ", ".join(m.ids)), ("sources", ", ".join(m.sources) or "-"),
                                   ("cited by", m.cited_by_count), ("references", m.referenced_works_count)]
    for source, up in m.upstream.items():
        said = [f"cited by {up.cited_by_count}"] if up.cited_by_count is not None else []
        said += [f"fwci {up.fwci}"] if up.fwci is not None else []
        if said:
            rows.append((f"{source} says", ", ".join(said)))
    if m.counts_by_year:
        rows.append(("by year", ", ".join(f"{y}: {n}" for y, n in sorted(m.counts_by_year.items()))))
    if m.impact is not None:
        i = m.impact
        rows.append(("compared within", f"{i.subject}, {i.year}, {i.type or 'no type'}: {i.bin_works:,} works"
                                        + ("" if i.reliable else " (small: unreliable)")))
        for label, w in (("all years", i.open_window), ("3-year window", i.window_3y)):
            tops = [t for t, on in (("top 10%", w.is_in_top_10_percent), ("top 1%", w.is_in_top_1_percent)) if on]
            rows.append((label, f"{w.citations} citations, bin mean {w.bin_mean:.2f}, normalised score"
                                f" {_number(w.normalized_citation_score)}, percentile"
                                f" {_percent(w.citation_percentile)}" + (f" ({', '.join(tops)})" if tops else "")))
    elif not m.stub:
        rows.append(("impact", "- (no subject or publication year to compare it within)"))
    if m.self_citation is not None:
        sc = m.self_citation
        rows.append(("self-citations", f"author {sc.author_self_citations} ({_percent(sc.author_self_citation_rate)}),"
                                       f" journal {sc.journal_self_citations}"
                                       f" ({_percent(sc.journal_self_citation_rate)})"))
    width = max(len(k) for k, _ in rows)
    print("\n".join(f"{k.ljust(width)}  {v}" for k, v in rows))
    return 0


def cmd_related(args: argparse.Namespace) -> int:
    with citegraph.open(args.db, readonly=True) as g:
        found = g.related(args.id, args.limit)
        titles = {} if args.json else {r.key: _title(g, r.key) for r in found}
    if args.json:
        _print_json(found)
        return 0
    print(_table([(r.id, f"{r.score:.3f}", r.cocitation, r.coupling, (titles.get(r.key) or "")[:60]) for r in found],
                 ["id", "score", "co-cited", "coupled", "title"]))
    return 0


def cmd_cocitation(args: argparse.Namespace) -> int:
    with citegraph.open(args.db, readonly=True) as g:
        pairs = g.cocitation(args.ids)
    if args.json:
        _print_json(pairs)
    elif pairs:
        print(_table([(p.a, p.b, p.cocitation, f"{p.cocitation_cosine:.3f}", p.coupling, f"{p.coupling_cosine:.3f}")
                      for p in pairs], ["work", "work", "co-cited", "cosine", "coupled", "cosine"]))
    else:
        print("no two of these works are co-cited or coupled")
    return 0


def cmd_entity(args: argparse.Namespace) -> int:
    with citegraph.open(args.db, readonly=True) as g:
        summary = g.author(args.id) if args.command == "author" else g.venue(args.id)
    if args.json:
        _print_json(summary)
        return 0
    rows = [("id", summary.id), ("name", summary.display_name or "-"), ("works", f"{summary.works:,}"),
            ("cited by", f"{summary.cited_by_count:,}"), ("h-index", summary.h_index), ("i10-index", summary.i10_index),
            ("self-citations", f"{summary.self_citations:,} ({_percent(summary.self_citation_rate)})"),
            ("mean normalised score", _number(summary.mean_normalized_citation_score))]
    width = max(len(k) for k, _ in rows)
    print("\n".join(f"{k.ljust(width)}  {v}" for k, v in rows))
    return 0


def cmd_conflicts(args: argparse.Namespace) -> int:
    with citegraph.open(args.db, readonly=True) as g:
        rows = g.store.conflicts(args.limit)
    if args.json:
        _print_json(rows)
    elif rows:
        print(_table([[r[k] for k in ("source", "record_id", "scheme", "value", "kept_work", "other_work", "rule")]
                      for r in rows], ["source", "record", "scheme", "value", "kept", "other", "rule"]))
    else:
        print("no identity conflicts recorded")
    return 0


COMMANDS = {"load": cmd_load, "serve": cmd_serve, "work": cmd_work, "citations": cmd_list, "references": cmd_list,
            "stats": cmd_stats, "conflicts": cmd_conflicts, "migrate": cmd_migrate, "metrics": cmd_metrics,
            "related": cmd_related, "cocitation": cmd_cocitation, "author": cmd_entity, "venue": cmd_entity}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    args.db_given = getattr(args, "db", None) is not None
    if getattr(args, "db", None) is None:
        args.db = default_db()
    try:
        return COMMANDS[args.command](args)
    except (IdError, UnknownWorkError, StoreError, LoadError, CursorError, ValueError, NotFoundError,
            MetricsNotBuiltError, MetricsCheckError) as exc:
        sys.stderr.write(f"citegraph: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("citegraph: interrupted (a load re-run resumes where it stopped)\n")
        return 130
    except BrokenPipeError:
        os._exit(0)  # output piped into head: not an error


if __name__ == "__main__":
    sys.exit(main())

