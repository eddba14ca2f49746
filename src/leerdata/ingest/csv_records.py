"""Split a UTF-8 CSV into records, find its dialect, and parse the good records.

The record boundaries are found vectorised (numpy): a newline ends a record when an
even number of quote characters precede it, which is exactly RFC 4180 (doubled quotes
count twice). That gives every record its physical start line and field count without
a Python loop, so rows with the wrong field count are set aside with their line number
and polars parses the rest in bulk. If polars disagrees with the record count (a stray
quote inside an unquoted field is not RFC 4180), the file is re-read with Python's csv
module, which is slower but tracks physical lines itself.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass

import numpy as np
import polars as pl

NEWLINE, CARRIAGE_RETURN, QUOTE = 0x0A, 0x0D, 0x22
LINE_COLUMN = "_line_number"
csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class MalformedRow:
    line_number: int
    field_count: int
    raw_line: str


@dataclass(frozen=True)
class ParsedCsv:
    delimiter: str
    header: list[str]  # names as written (stripped), in file order
    rows: pl.DataFrame  # good rows: c0..cN as strings (null = empty) + _line_number
    malformed: list[MalformedRow]
    rows_read: int  # data records, blank lines not counted


def field_name(index: int) -> str:
    return f"c{index}"


def detect_delimiter(header_line: bytes) -> str:
    semicolons, commas = header_line.count(b";"), header_line.count(b",")
    return "," if commas > semicolons else ";"


def parse_header(header_line: bytes, delimiter: str) -> list[str]:
    text = header_line.decode("utf-8")
    return [name.strip() for name in next(csv.reader([text], delimiter=delimiter))]


@dataclass(frozen=True)
class _Records:
    starts: np.ndarray  # byte offset of each non-blank record
    ends: np.ndarray  # end offset without the line break
    breaks: np.ndarray  # offset of the '\n' that ends it (len(buf) for the last)
    lines: np.ndarray  # physical line the record starts on (1-based)


def _outside_quotes(positions: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    if quotes.size == 0:
        return positions
    return positions[(np.searchsorted(quotes, positions) & 1) == 0]


def _split_records(buf: np.ndarray, newlines: np.ndarray, quotes: np.ndarray) -> _Records:
    terminators = _outside_quotes(newlines, quotes)
    starts = np.concatenate(([0], terminators + 1)).astype(np.int64)
    breaks = np.concatenate((terminators, [buf.size])).astype(np.int64)
    ends = breaks.copy()
    has_cr = ends > starts
    has_cr[has_cr] = buf[ends[has_cr] - 1] == CARRIAGE_RETURN
    ends -= has_cr
    keep = ends > starts  # blank lines are not records
    starts, ends, breaks = starts[keep], ends[keep], breaks[keep]
    lines = np.searchsorted(newlines, starts) + 1
    return _Records(starts, ends, breaks, lines)


def _has_irregular_quotes(buf: np.ndarray, quotes: np.ndarray, delimiter: int) -> bool:
    """True when a quote is not where RFC 4180 puts one, so quote parity would mislead.

    By parity, even-numbered quotes open a field and odd ones close it. An opening quote
    follows a delimiter, a line break or the start (or another quote: an escaped pair);
    a closing quote precedes a delimiter, a line break, the end (or another quote).
    """
    if quotes.size == 0:
        return False
    opening, closing = quotes[0::2], quotes[1::2]
    # The start and the end of the file count as line breaks.
    before = np.where(opening > 0, buf[np.maximum(opening - 1, 0)], NEWLINE)
    after = np.where(closing + 1 < buf.size, buf[np.minimum(closing + 1, buf.size - 1)], NEWLINE)
    opens_ok = np.isin(before, (delimiter, NEWLINE, QUOTE))
    closes_ok = np.isin(after, (delimiter, NEWLINE, CARRIAGE_RETURN, QUOTE))
    return quotes.size % 2 == 1 or not (opens_ok.all() and closes_ok.all())


class NeedsCsvModule(Exception):
    """The vectorised split cannot be trusted here; Python's csv module must parse."""


def parse_csv(body: bytes) -> ParsedCsv | None:
    """Parse UTF-8 CSV bytes; None when there is no header at all (empty file)."""
    try:
        return parse_csv_chunk(body, None, 0)
    except NeedsCsvModule as needs:
        delimiter, header = needs.args
        return _parse_with_csv_module(body, delimiter, header)


def parse_csv_chunk(
    body: bytes, dialect: tuple[str, list[str]] | None, line_offset: int
) -> ParsedCsv | None:
    """Parse whole records, vectorised; raises NeedsCsvModule(delimiter, header) when
    only the csv module could.

    `dialect` is None for a file's start (its first record is the header; None is
    returned when there is none) and (delimiter, header) for a later chunk of the same
    file, which starts right after a record's line break: `line_offset` is the number
    of lines before it, so line numbers are the file's.
    """
    buf = np.frombuffer(body, dtype=np.uint8)
    newlines = np.flatnonzero(buf == NEWLINE)
    quotes = np.flatnonzero(buf == QUOTE)
    records = _split_records(buf, newlines, quotes)
    if dialect is None:
        if records.starts.size == 0:
            return None
        header_line = body[records.starts[0] : records.ends[0]]
        delimiter = detect_delimiter(header_line)
        header = parse_header(header_line, delimiter)
        data = slice(1, None)
    else:
        (delimiter, header), data = dialect, slice(0, None)

    if _has_irregular_quotes(buf, quotes, ord(delimiter)):
        raise NeedsCsvModule(delimiter, header)

    delimiters = _outside_quotes(np.flatnonzero(buf == ord(delimiter)), quotes)
    field_counts = (
        np.searchsorted(delimiters, records.ends) - np.searchsorted(delimiters, records.starts) + 1
    )
    starts, ends, breaks = records.starts[data], records.ends[data], records.breaks[data]
    lines, counts = records.lines[data] + line_offset, field_counts[data]
    good = counts == len(header)
    malformed = [
        MalformedRow(int(lines[i]), int(counts[i]), _text(body, starts[i], ends[i]))
        for i in np.flatnonzero(~good)
    ]
    rows = _parse_good_records(body, starts, ends, breaks, lines, good, delimiter, len(header))
    if rows is None:
        raise NeedsCsvModule(delimiter, header)
    return ParsedCsv(delimiter, header, rows, malformed, int(starts.size))


def _text(body: bytes, start: int, end: int) -> str:
    return body[start:end].decode("utf-8", errors="replace")


def _empty_rows(n_fields: int) -> pl.DataFrame:
    schema = {field_name(i): pl.String for i in range(n_fields)} | {LINE_COLUMN: pl.Int64}
    return pl.DataFrame(schema=schema)


def _parse_good_records(
    body: bytes,
    starts: np.ndarray,
    ends: np.ndarray,
    breaks: np.ndarray,
    lines: np.ndarray,
    good: np.ndarray,
    delimiter: str,
    n_fields: int,
) -> pl.DataFrame | None:
    """The good records parsed by polars, or None when polars sees a different count."""
    good_index = np.flatnonzero(good)
    if good_index.size == 0:
        return _empty_rows(n_fields)
    # Join byte ranges of adjacent good records (usually one range: the whole body).
    adjacent = starts[good_index[1:]] == breaks[good_index[:-1]] + 1
    run_end_at = np.flatnonzero(~adjacent)
    run_firsts = np.concatenate(([good_index[0]], good_index[run_end_at + 1]))
    run_lasts = np.concatenate((good_index[run_end_at], [good_index[-1]]))
    payload = b"\n".join(
        body[starts[first] : ends[last]] for first, last in zip(run_firsts, run_lasts, strict=True)
    )
    try:
        rows = pl.read_csv(
            io.BytesIO(payload),
            has_header=False,
            new_columns=[field_name(i) for i in range(n_fields)],
            separator=delimiter,
            quote_char='"',
            infer_schema=False,
            truncate_ragged_lines=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return None
    if rows.height != good_index.size or rows.width != n_fields:
        return None
    return rows.with_columns(pl.Series(LINE_COLUMN, lines[good_index], dtype=pl.Int64))


def _parse_with_csv_module(body: bytes, delimiter: str, header: list[str]) -> ParsedCsv:
    text = body.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    good_rows: list[list[str]] = []
    good_lines: list[int] = []
    malformed: list[MalformedRow] = []
    rows_read = 0
    seen_header = False
    previous_line = 0
    for fields in reader:
        start_line, previous_line = previous_line + 1, reader.line_num
        if not fields:
            continue
        if not seen_header:
            seen_header = True
            continue
        rows_read += 1
        if len(fields) == len(header):
            good_rows.append(fields)
            good_lines.append(start_line)
        else:
            raw = delimiter.join(fields)
            malformed.append(MalformedRow(start_line, len(fields), raw))
    columns = {
        field_name(i): pl.Series([row[i] or None for row in good_rows], dtype=pl.String)
        for i in range(len(header))
    }
    rows = pl.DataFrame(columns).with_columns(pl.Series(LINE_COLUMN, good_lines, dtype=pl.Int64))
    return ParsedCsv(delimiter, header, rows, malformed, rows_read)
