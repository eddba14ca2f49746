"""Cut a CSV byte stream into chunks of whole records, so a large file loads in bounded
memory.

A chunk ends right after a line break that ends a record: one with an even number of
quote characters before it in the file, the same rule csv_records uses to split a whole
file (a line break inside a quoted field has an odd number before it). Every chunk
boundary is such a line break, so the quote count before each chunk is even and each
chunk can be split on its own exactly as the whole file would have been. A record longer
than the chunk size makes its chunk longer; nothing is ever cut inside a record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from leerdata.ingest.csv_records import NEWLINE, QUOTE


@dataclass(frozen=True)
class Chunk:
    data: bytes
    lines_before: int  # line breaks in the file before this chunk


def _last_record_end(buf: bytes) -> int:
    """Offset just after the last line break outside quotes in buf, or 0 if none."""
    array = np.frombuffer(buf, dtype=np.uint8)
    newlines = np.flatnonzero(array == NEWLINE)
    quotes = np.flatnonzero(array == QUOTE)
    outside = newlines[(np.searchsorted(quotes, newlines) & 1) == 0]
    return int(outside[-1]) + 1 if outside.size else 0


def record_chunks(read: Callable[[int], bytes], chunk_bytes: int) -> Iterator[Chunk]:
    """Chunks of about chunk_bytes (whole records) until read() returns b""."""
    carry = b""
    lines_before = 0
    while True:
        block = read(chunk_bytes)
        if not block:
            if carry:
                yield Chunk(carry, lines_before)
            return
        buf = carry + block
        cut = _last_record_end(buf)
        if cut == 0:  # no record ends in it yet: read on
            carry = buf
            continue
        chunk, carry = buf[:cut], buf[cut:]
        yield Chunk(chunk, lines_before)
        lines_before += chunk.count(b"\n")
