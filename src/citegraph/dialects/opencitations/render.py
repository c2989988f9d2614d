"""OpenCitations rows: the seven fields as strings, id lists as OpenCitations prints them, JSON and CSV output, and
RAMOSE's post-processing parameters (``require``, ``filter``, ``sort``, ``format``)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final, Literal

from citegraph.graph.citations import CitationObject

Version = Literal["v2", "v1", "coci"]

#: The source whose citations ``--counts upstream`` counts (see the routes' docstring).
SOURCE: Final = "opencitations"
#: The row fields, in the order OpenCitations writes them.
FIELDS: Final = ("oci", "citing", "cited", "creation", "timespan", "journal_sc", "author_sc")
#: Id schemes OpenCitations Meta holds for a bibliographic resource, printed ``scheme:value`` in v2 id lists.
META_SCHEMES: Final = ("omid", "doi", "pmid", "pmcid", "openalex", "wikidata", "arxiv", "isbn", "url")
#: A RAMOSE ``sort`` value.
_SORT: Final = re.compile(r"(asc|desc)\((.+)\)")
#: A RAMOSE typed ``filter`` value: ``field:=value``, ``field:<value``, ``field:>value``.
_TYPED_FILTER: Final = re.compile(r"([=<>])(.*)", re.S)
#: A RAMOSE ``json`` value: ``array("sep", field)`` or ``dict("sep", field, key, …)``.
_JSON_SHAPE: Final = re.compile(r'(array|dict)\(\s*"((?:[^"\\]|\\.)*)"\s*,(.*)\)', re.S)
#: Longest regular expression a ``filter`` may carry (user regexes run on every row).
MAX_FILTER_CHARS: Final = 200


def pid_list(pairs: Sequence[tuple[str, str]], version: Version) -> str:
    """A work's ids as OpenCitations prints them: ``omid:br/… doi:… pmid:…`` (v2) or bare DOIs (v1, COCI)."""
    if version == "v2":
        return " ".join(f"{s}:{v}" for s, v in pairs if s in META_SCHEMES)
    return " ".join(v for s, v in pairs if s == "doi")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def row(c: CitationObject, version: Version) -> dict[str, str]:
    """One citation as an OpenCitations row: every value a string."""
    return {"oci": c.oci or "", "citing": pid_list(c.citing_ids, version), "cited": pid_list(c.cited_ids, version),
            "creation": c.creation or "", "timespan": c.timespan or "", "journal_sc": _yes(c.journal_sc),
            "author_sc": _yes(c.author_sc)}


class ParamError(ValueError):
    """A post-processing parameter that cannot be applied (a bad regular expression)."""


class PostProcess:
    """RAMOSE's row parameters, read from a request's query string; an unknown field is ignored, as upstream."""

    def __init__(self, params: Sequence[tuple[str, str]]) -> None:
        self.require = [v for k, v in params if k == "require"]
        self.exclude = [v for k, v in params if k == "exclude"]
        self.filters: list[tuple[str, str, object]] = []
        self.sorts: list[tuple[str, bool]] = []
        self.shapes: list[tuple[str, str, str, list[str]]] = []  # json=: (array|dict, separator, field, keys)
        for k, v in params:
            if k == "json":
                m = _JSON_SHAPE.fullmatch(v.strip())
                if m is None:
                    raise ParamError(f"json {v[:80]!r}: expected array(\"separator\", field) or"
                                     " dict(\"separator\", field, key, …)")
                names = [x.strip() for x in m[3].split(",") if x.strip()]
                if not names or (m[1] == "dict" and len(names) < 2):
                    raise ParamError(f"json {v[:80]!r}: a field{' and keys' if m[1] == 'dict' else ''} must follow")
                self.shapes.append((m[1], m[2], names[0], names[1:]))
            if k == "filter":
                field, sep, expr = v.partition(":")
                if not sep:
                    continue
                typed = _TYPED_FILTER.fullmatch(expr)
                if typed is not None:
                    self.filters.append((field, typed[1], typed[2]))
                else:
                    if len(expr) > MAX_FILTER_CHARS:
                        raise ParamError(f"filter expression longer than {MAX_FILTER_CHARS} characters")
                    try:
                        self.filters.append((field, "~", re.compile(expr)))
                    except re.error as exc:
                        raise ParamError(f"filter {v!r}: {exc}") from None
            elif k == "sort":
                m = _SORT.fullmatch(v)
                if m is not None:
                    self.sorts.append((m[2], m[1] == "desc"))

    @property
    def buffers(self) -> bool:
        """Must every row be read before the first is written (a sort)?"""
        return bool(self.sorts)

    def keep(self, r: dict[str, str]) -> bool:
        """Does a row pass ``require``, ``exclude`` and ``filter``?"""
        for field in self.require:
            if field in r and not r[field]:
                return False
        for field in self.exclude:
            if field in r and r[field]:
                return False
        for field, op, value in self.filters:
            if field not in r:
                continue  # RAMOSE ignores a filter on an unknown field
            have = r[field]
            if op == "~":
                assert isinstance(value, re.Pattern)
                if not value.search(have):
                    return False
            elif not _compare(have, op, str(value)):
                return False
        return True

    def shape(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """``json=`` in order, each on what the one before made: a field split into an array, or into an object
        with the keys given (an array's items each). JSON answers only."""
        for r in rows:
            for kind, sep, field, keys in self.shapes:
                if field in r:
                    r[field] = _reshaped(r[field], kind, sep, keys)
            yield r

    def apply(self, rows: Iterable[dict[str, str]]) -> Iterator[dict[str, str]]:
        """The rows that pass, sorted when asked (sorting reads them all)."""
        kept = (r for r in rows if self.keep(r))
        if not self.sorts:
            yield from kept
            return
        out = list(kept)
        for field, desc in reversed(self.sorts):
            if out and field in out[0]:
                out.sort(key=lambda r, f=field: _sort_key(r[f]), reverse=desc)  # type: ignore[misc]
        yield from out


def _reshaped(value: Any, kind: str, sep: str, keys: list[str]) -> Any:
    if isinstance(value, list):
        return [_reshaped(v, kind, sep, keys) for v in value]
    if not isinstance(value, str):
        return value
    if kind == "array":
        return value.split(sep) if sep else [value]
    return dict(zip(keys, value.split(sep) if sep else [value], strict=False))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _sort_key(text: str) -> tuple[int, float, str]:
    n = _number(text)
    return (0, n, "") if n is not None else (1, 0.0, text)


def _compare(have: str, op: str, want: str) -> bool:
    a, b = _number(have), _number(want)
    left: float | str = a if a is not None and b is not None else have
    right: float | str = b if a is not None and b is not None else want
    if op == "=":
        return left == right
    if op == "<":
        return left < right  # type: ignore[operator]
    return left > right  # type: ignore[operator]


def json_chunks(rows: Iterable[dict[str, str]]) -> Iterator[str]:
    """A JSON array of rows as OpenCitations writes it (4-space indent, non-ASCII kept), a piece per row."""
    first = True
    for r in rows:
        body = json.dumps(r, indent=4, ensure_ascii=False).replace("\n", "\n    ")
        yield ("[\n    " if first else ",\n    ") + body
        first = False
    yield "[]" if first else "\n]"


def csv_chunks(rows: Iterable[dict[str, str]], fields: Sequence[str]) -> Iterator[str]:
    """Rows as CSV with a header line, a piece per row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(fields)
    yield buf.getvalue()
    for r in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow([r.get(f, "") for f in fields])
        yield buf.getvalue()


__all__ = ["FIELDS", "SOURCE", "ParamError", "PostProcess", "csv_chunks", "json_chunks", "pid_list", "row"]
