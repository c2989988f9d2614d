"""Reading JSON data files that any source may ship: JSON Lines, and documents read whole within a bound.

Shared by the source modules so each reads lines and documents the same way (and as fast).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import msgspec

from citegraph.sources import RecordError

#: Whitespace and a UTF-8 byte-order mark may precede the first JSON value of a file.
LEADING = b"\xef\xbb\xbf \t\r\n"
#: Bytes read at a time from a JSON Lines stream (lines are split from these blocks).
READ_BLOCK_BYTES = 1 << 20
#: A list page, JSON array or multi-line object is read whole only up to this size (API pages are
#: at most a few MB, a Crossref public-data file ~5 MB); anything larger is read as lines.
DOCUMENT_MAX_BYTES = 256 * 1024 * 1024


def is_json_line(line: bytes) -> bool:
    """Whether ``line`` is one whole JSON value."""
    try:
        msgspec.json.decode(line)
    except msgspec.DecodeError:
        return False
    return True


def first_line(stream: BinaryIO) -> tuple[bytes, bytes] | None:
    """The first non-blank line of ``stream`` (a byte-order mark removed) and, to put before it, one newline
    per blank line skipped, so that line numbers (resume positions) stay as in the file; None when empty."""
    blank = 0
    first = stream.readline()
    while first and not first.strip(LEADING):
        blank += 1
        first = stream.readline()
    if not first:
        return None
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    return first, b"\n" * blank


def lines(first: bytes, stream: BinaryIO) -> Iterator[bytes]:
    """``first`` (buffered bytes, possibly ending mid-line) followed by the stream, as lines."""
    parts = first.split(b"\n")
    tail = parts.pop()
    yield from parts
    if tail:
        yield tail + stream.readline()
    # whole blocks split in C: a gzip stream's own readline costs ~30 µs a line here
    rest = b""
    while True:
        block = stream.read(READ_BLOCK_BYTES)
        if not block:
            if rest:
                yield rest
            return
        parts = (rest + block).split(b"\n")
        rest = parts.pop()
        yield from parts


def read_bounded(head: bytes, stream: BinaryIO, limit: int = DOCUMENT_MAX_BYTES) -> bytes:
    """``head`` and the rest of the stream, reading no more than a little past ``limit`` bytes."""
    buf = bytearray(head)
    while len(buf) <= limit:
        chunk = stream.read(1 << 20)
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def decode_record(raw: bytes, decoder: msgspec.json.Decoder[Any]) -> Any:
    """``raw`` decoded by ``decoder``; a RecordError saying what is wrong when it cannot be (one reason per kind)."""
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:  # (a subclass of DecodeError: catch it first)
        text = str(exc)
        if text.startswith("Expected `object`"):
            raise RecordError(f"not a JSON object: {text}") from None
        raise RecordError(f"unexpected value type: {text}") from None
    except msgspec.DecodeError as exc:
        raise RecordError(f"invalid JSON: {exc}") from None
