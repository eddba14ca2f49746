"""Load one CSV landing file: good rows typed into its raw table, bad rows to quarantine.

Everything after parsing is set-based SQL over the parsed frame: one pass computes a
reason code per field, good rows are inserted with their casts, and each bad field
becomes one quarantine row. The caller owns the transaction.

Reading (read_csv_file) and validating (validate_and_insert) are two steps so that a
group of small files of one source is validated in one pass: DuckDB binds and plans the
validation statements in ~60 ms whatever their rows (one rijk HR export: ~200 ms for
28.5k rows, and ~440 ms for four of them at once; benchmarks/ingest_profile.py).

A large file is loaded chunk by chunk (load_csv_chunks), each chunk whole records, so
its bytes and parsed rows are never all in memory (DuckDB still holds the rows the
file's one transaction inserted until it commits). The chunked path only takes the
common case: UTF-8 (or ASCII) text whose quotes are where RFC 4180 puts them and whose
header has every contract column. Anything else (Windows-1252, undecodable bytes,
stray quotes, a missing column, no data rows) is rare and needs the whole file; the
rows loaded so far are deleted and the file is loaded whole, as a small one would be.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import duckdb
import numpy as np
import polars as pl

from leerdata.config import IngestSettings
from leerdata.contract import QUARANTINE_TABLE, CsvSource
from leerdata.duckdb_rows import scalar
from leerdata.ingest.csv_chunks import Chunk
from leerdata.ingest.csv_records import (
    LINE_COLUMN,
    MalformedRow,
    NeedsCsvModule,
    ParsedCsv,
    field_name,
    parse_csv,
    parse_csv_chunk,
)
from leerdata.ingest.csv_rules import (
    reason_expression,
    sql_literal,
    trimmed_projection,
    typed_expression,
)
from leerdata.ingest.encoding import UTF8_BOM, Undecodable, decode_to_utf8
from leerdata.ingest.store import FileContext, QuarantineRow, insert_quarantine


@dataclass(frozen=True)
class LoadOutcome:
    rows_read: int
    encoding: str | None = None
    delimiter: str | None = None
    notes: str | None = None
    file_reason: str | None = None  # set when the file as a whole was rejected


# What a quarantined oversized field keeps of itself (the steward sees how it starts).
SHOWN_OF_A_LARGE_FIELD = 200


@dataclass(frozen=True)
class ParsedFile:
    """A file's records of the right shape, parsed, waiting for validate_and_insert."""

    ctx: FileContext
    source: CsvSource
    parsed: ParsedCsv
    positions: dict[str, int]  # contract column → field index

    @property
    def shape(self) -> tuple[str, tuple[str, ...]]:
        """Files of one shape have the same columns: they are validated together."""
        return self.source.name, tuple(self.parsed.header)


def load_csv_file(
    con: duckdb.DuckDBPyConnection,
    ctx: FileContext,
    source: CsvSource,
    raw: bytes,
    max_field_bytes: int = IngestSettings().max_field_bytes,
) -> LoadOutcome:
    """Load one file: read_csv_file, then validate_and_insert its rows."""
    outcome, parsed = read_csv_file(con, ctx, source, csv_content(raw), max_field_bytes)
    if parsed is not None:
        validate_and_insert(con, [parsed], max_field_bytes)
    return outcome


@dataclass(frozen=True)
class CsvContent:
    """A CSV file's bytes decoded and parsed: what read_csv_file needs of them, made
    without the database, so that a thread can make it ahead (csv_read_ahead.py)."""

    blank: bool  # no bytes but white space
    encoding: str | None = None
    parsed: ParsedCsv | None = None  # None: blank, undecodable, or not even a header
    undecodable: Undecodable | None = None
    raw: bytes = b""  # kept only when undecodable: its lines are quarantined as they are


def csv_content(raw: bytes) -> CsvContent:
    """Decode and parse a file's bytes (no database: safe on any thread)."""
    if not raw.strip():
        return CsvContent(blank=True)
    decoded = decode_to_utf8(raw)
    if isinstance(decoded, Undecodable):
        return CsvContent(blank=False, undecodable=decoded, raw=raw)
    return CsvContent(False, decoded.encoding, parse_csv(decoded.utf8))


def read_csv_file(
    con: duckdb.DuckDBPyConnection,
    ctx: FileContext,
    source: CsvSource,
    content: CsvContent,
    max_field_bytes: int = IngestSettings().max_field_bytes,
) -> tuple[LoadOutcome, ParsedFile | None]:
    """Quarantine what is wrong with a decoded and parsed file as a whole or with a
    record's shape; the records left are returned for validate_and_insert (None when
    there are none to validate)."""
    if content.blank:
        insert_quarantine(con, ctx, [_file_level("EMPTY_FILE", "no bytes")])
        return LoadOutcome(0, file_reason="EMPTY_FILE"), None
    if content.undecodable is not None:
        return _reject_undecodable(con, ctx, content.raw, content.undecodable), None

    parsed = content.parsed
    if parsed is None or parsed.rows_read == 0:
        insert_quarantine(con, ctx, [_file_level("EMPTY_FILE", "header only")])
        delimiter = parsed.delimiter if parsed else None
        return LoadOutcome(0, content.encoding, delimiter, None, "EMPTY_FILE"), None

    positions, notes = _header_positions(source, parsed.header)
    missing = [c.name for c in source.columns if c.name not in positions]
    insert_quarantine(
        con, ctx, [_malformed(row, len(parsed.header), max_field_bytes) for row in parsed.malformed]
    )
    outcome = LoadOutcome(parsed.rows_read, content.encoding, parsed.delimiter, notes)
    if missing:
        _reject_missing_columns(con, ctx, parsed, missing, max_field_bytes)
        return replace(outcome, file_reason="MISSING_COLUMN"), None
    return outcome, ParsedFile(ctx, source, parsed, positions)


class _NeedsWholeFile(Exception):
    """This file is not the common case the chunked path takes."""


def _plain_utf8(body: bytes) -> bool:
    if b"\x00" in body:
        return False
    if body.isascii():
        return True
    try:
        body.decode("utf-8")  # a chunk ends at a line break: never inside a character
    except UnicodeDecodeError:
        return False
    return True


def load_csv_chunks(
    con: duckdb.DuckDBPyConnection,
    ctx: FileContext,
    source: CsvSource,
    chunks: Iterable[Chunk],
    whole_file: Callable[[], bytes],
    max_field_bytes: int = IngestSettings().max_field_bytes,
) -> LoadOutcome:
    """load_csv_file for a file given as record-aligned chunks (csv_chunks.py), with the
    same rows, quarantine rows and counts; `whole_file` reads it whole for the rare file
    the chunks cannot take."""
    try:
        return _load_chunks(con, ctx, source, chunks, max_field_bytes)
    except (_NeedsWholeFile, NeedsCsvModule):
        con.execute(f"delete from {source.table} where _batch_id = ?", [ctx.batch_id])
        con.execute(f"delete from {QUARANTINE_TABLE} where batch_id = ?", [ctx.batch_id])
        return load_csv_file(con, ctx, source, whole_file(), max_field_bytes)


def _load_chunks(
    con: duckdb.DuckDBPyConnection,
    ctx: FileContext,
    source: CsvSource,
    chunks: Iterable[Chunk],
    max_field_bytes: int,
) -> LoadOutcome:
    encoding, rows_read = "utf-8", 0
    first: ParsedCsv | None = None
    positions: dict[str, int] = {}
    notes: str | None = None
    for chunk in chunks:
        body = chunk.data
        if first is None and chunk.lines_before == 0 and body.startswith(UTF8_BOM):
            body, encoding = body[len(UTF8_BOM) :], "utf-8-sig"
        if not _plain_utf8(body):
            raise _NeedsWholeFile
        dialect = None if first is None else (first.delimiter, first.header)
        parsed = parse_csv_chunk(body, dialect, chunk.lines_before)
        if parsed is None:  # only blank lines so far
            raise _NeedsWholeFile
        if first is None:
            first = parsed
            positions, notes = _header_positions(source, parsed.header)
            if any(c.name not in positions for c in source.columns):
                raise _NeedsWholeFile
        insert_quarantine(
            con,
            ctx,
            [_malformed(row, len(parsed.header), max_field_bytes) for row in parsed.malformed],
        )
        validate_and_insert(con, [ParsedFile(ctx, source, parsed, positions)], max_field_bytes)
        rows_read += parsed.rows_read
    if first is None or rows_read == 0:  # empty or header only: load_csv_file says which
        raise _NeedsWholeFile
    return LoadOutcome(rows_read, encoding, first.delimiter, notes)


def _file_level(reason: str, detail: str) -> QuarantineRow:
    return QuarantineRow(0, None, detail, reason, None)


def _malformed(row: MalformedRow, expected: int, max_field_bytes: int) -> QuarantineRow:
    line = row.raw_line
    if len(line.encode()) > max_field_bytes:
        line = line[:SHOWN_OF_A_LARGE_FIELD] + f"… ({len(line.encode())} bytes)"
    return QuarantineRow(
        row.line_number,
        None,
        f"{row.field_count} fields, header has {expected}",
        "MALFORMED_ROW",
        {"raw_line": line},
    )


def _cut(field: str, max_field_bytes: int) -> str:
    """The field, or its start and its length when it is over the limit."""
    return (
        f"case when strlen({field}) > {max_field_bytes} "
        f"then left({field}, {SHOWN_OF_A_LARGE_FIELD}) || '… (' || strlen({field}) "
        f"|| ' bytes)' else {field} end"
    )


def _header_positions(source: CsvSource, header: list[str]) -> tuple[dict[str, int], str | None]:
    """Contract column → field index (first occurrence), and remarks for the manifest."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(name, index)
    contract_names = set(source.column_names)
    remarks = []
    ignored = [name for name in header if name not in contract_names]
    if ignored:
        remarks.append("ignored columns: " + ", ".join(ignored))
    duplicated = sorted(name for name, n in Counter(header).items() if n > 1)
    if duplicated:
        remarks.append("duplicate columns (first one used): " + ", ".join(duplicated))
    return {n: i for n, i in positions.items() if n in contract_names}, "; ".join(remarks) or None


def _record_json(header: list[str], max_field_bytes: int) -> str:
    """The whole row as a JSON object keyed by the file's own header (for the steward)."""
    keys: list[str] = []
    for name in header:
        key, suffix = name, 2
        while key in keys:
            key, suffix = f"{name}_{suffix}", suffix + 1
        keys.append(key)
    pairs = ", ".join(
        f"{sql_literal(k)}, {_cut(field_name(i), max_field_bytes)}" for i, k in enumerate(keys)
    )
    return f"json_object({pairs})"


def _reject_undecodable(
    con: duckdb.DuckDBPyConnection, ctx: FileContext, raw: bytes, bad: Undecodable
) -> LoadOutcome:
    lines = _data_lines(raw)
    if not lines:
        insert_quarantine(con, ctx, [_file_level("ENCODING_ERROR", bad.description)])
        return LoadOutcome(0, file_reason="ENCODING_ERROR")
    rows = [
        QuarantineRow(
            line,
            None,
            bad.description if start <= bad.byte_offset < end else None,
            "ENCODING_ERROR",
            {"raw_line": raw[start:end].decode("utf-8", errors="replace")},
        )
        for line, start, end in lines
    ]
    insert_quarantine(con, ctx, rows)
    return LoadOutcome(len(rows), file_reason="ENCODING_ERROR")


def _data_lines(raw: bytes) -> list[tuple[int, int, int]]:
    """(line number, start, end) of every non-blank line after the first one."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    breaks = np.flatnonzero(buf == 0x0A)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [buf.size]))
    found = [
        (i + 1, int(s), int(e))
        for i, (s, e) in enumerate(zip(starts, ends, strict=True))
        if raw[s:e].strip()
    ]
    return found[1:]


def _reject_missing_columns(
    con: duckdb.DuckDBPyConnection,
    ctx: FileContext,
    parsed: ParsedCsv,
    missing: list[str],
    max_field_bytes: int,
) -> None:
    record = _record_json(parsed.header, max_field_bytes)
    con.register("_ingest_rows", parsed.rows)
    try:
        con.execute(
            f"""
            insert into {QUARANTINE_TABLE}
            select ?, ?, ?, {LINE_COLUMN}, ?, null, 'MISSING_COLUMN', {record}, ?
            from _ingest_rows
            """,
            [ctx.batch_id, ctx.source, ctx.file_name, ", ".join(missing), ctx.started_at],
        )
    finally:
        con.unregister("_ingest_rows")


# The lineage columns each file's rows carry into validation: several files are
# validated in one statement, so what the file context says travels with its rows.
_LINEAGE: dict[str, pl.DataType] = {
    "_batch_id": pl.Int64(),
    "_file_name": pl.String(),
    "_file_date": pl.Date(),
    "_quarantined_at": pl.Datetime("us"),
}


def _with_lineage(file: ParsedFile) -> pl.DataFrame:
    ctx = file.ctx
    values = (ctx.batch_id, ctx.file_name, ctx.file_date, ctx.started_at)
    return file.parsed.rows.with_columns(
        pl.lit(value, dtype=dtype).alias(name)
        for (name, dtype), value in zip(_LINEAGE.items(), values, strict=True)
    )


def validate_and_insert(
    con: duckdb.DuckDBPyConnection, files: Sequence[ParsedFile], max_field_bytes: int
) -> None:
    """Check every field of the files' records against the contract: good rows are
    inserted typed, each bad field becomes a quarantine row. Files of one shape (same
    source and header) go through one pass, in the order given."""
    shapes: dict[tuple[str, tuple[str, ...]], list[ParsedFile]] = {}
    for file in files:
        shapes.setdefault(file.shape, []).append(file)
    for same_shape in shapes.values():
        first = same_shape[0]
        rows = pl.concat([_with_lineage(file) for file in same_shape], rechunk=False)
        _validate_and_insert(
            con, first.source, first.parsed.header, first.positions, rows, max_field_bytes
        )


def _validate_and_insert(
    con: duckdb.DuckDBPyConnection,
    source: CsvSource,
    header: list[str],
    positions: dict[str, int],
    parsed_rows: pl.DataFrame,
    max_field_bytes: int,
) -> None:
    columns = source.columns
    fields = {c.name: field_name(positions[c.name]) for c in columns}
    reasons = {c.name: f"_reason_{i}" for i, c in enumerate(columns)}
    # Any field of the row over the limit (a contract column or not) quarantines the row.
    too_large = " or ".join(
        f"coalesce(strlen({field_name(i)}), 0) > {max_field_bytes}" for i in range(len(header))
    )
    reason_list = ", ".join(
        f"case when coalesce(strlen({fields[c.name]}), 0) > {max_field_bytes} "
        f"then 'FIELD_TOO_LARGE' else {reason_expression(c, fields[c.name])} end "
        f"as {reasons[c.name]}"
        for c in columns
    )
    is_good = "not _row_too_large and " + " and ".join(f"{r} is null" for r in reasons.values())
    row_key = f"_batch_id, {LINE_COLUMN}"

    con.register("_ingest_rows", parsed_rows)
    try:
        trimmed = trimmed_projection({c: fields[c.name] for c in columns})
        rows = f"(select *{', ' if trimmed else ''}{trimmed} from _ingest_rows)"
        # Only the bad rows are kept, with their reasons: a copy of every row would stay
        # in memory until the commit (DuckDB keeps a dropped table for a rollback), and a
        # group of files commits once. Good rows are the others, so no check runs twice.
        con.execute(
            f"create or replace temp table _ingest_checked as select * from ("
            f"select *, {reason_list}, ({too_large}) as _row_too_large from {rows}"
            f") where not ({is_good})"
        )
        typed = ", ".join(f"{typed_expression(c, fields[c.name])}" for c in columns)
        target = ", ".join(f'"{c.name}"' for c in columns)
        con.execute(
            f"""
            insert into {source.table} ({target}, _batch_id, _file_name, _file_date, _line_number)
            select {typed}, _batch_id, _file_name, _file_date, {LINE_COLUMN} from {rows}
            anti join _ingest_checked using ({row_key})
            """
        )
        bad = scalar(con, "select count(*) from _ingest_checked")
        if not bad:  # most files: nothing to quarantine, nothing to bind
            return
        # The bad rows once, with their JSON record: one json_object in the SQL instead
        # of one per column keeps the statement small and fast to bind.
        con.execute(
            "create or replace temp table _ingest_bad as select *, "
            f"{_record_json(header, max_field_bytes)} as _record "
            "from _ingest_checked"
        )
        lineage = "_batch_id, _file_name, _quarantined_at"
        per_field = " union all ".join(
            f"select {lineage}, {LINE_COLUMN} as line_number, "
            f"{sql_literal(c.name)} as column_name, "
            f"{_cut(fields[c.name], max_field_bytes)} as raw_value, "
            f"{reasons[c.name]} as reason_code, _record as raw_record "
            f"from _ingest_bad where {reasons[c.name]} is not null"
            for c in columns
        )
        # A row whose only oversized field is outside the contract has no reason above.
        all_contract_fields_fine = " and ".join(f"{r} is null" for r in reasons.values())
        per_field += (
            f" union all select {lineage}, {LINE_COLUMN}, null, 'a field outside the contract', "
            f"'FIELD_TOO_LARGE', _record "
            f"from _ingest_bad where _row_too_large and {all_contract_fields_fine}"
        )
        con.execute(
            f"""
            insert into {QUARANTINE_TABLE}
            select _batch_id, ?, _file_name, line_number, column_name, raw_value, reason_code,
                raw_record, _quarantined_at
            from ({per_field}) order by _batch_id, line_number, column_name
            """,
            [source.name],
        )
    finally:
        con.execute("drop table if exists _ingest_checked")
        con.execute("drop table if exists _ingest_bad")
        con.unregister("_ingest_rows")
