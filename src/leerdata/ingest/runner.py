"""`leerdata ingest`: every new landing file into restricted.duckdb, one transaction each.

A file whose content hash is in the manifest is skipped. Every other file gets a batch
id, is loaded (good rows to its raw table, bad rows to quarantine) and has its row
conservation checked against what is actually in the database before it commits. A file
that fails — conservation or anything unexpected — is rolled back, recorded in the
manifest as `failed` (so the next run retries it) and reported; the other files go on.

UBL invoices are small and many (thousands at `rijk` scale), and a DuckDB commit costs
milliseconds, so consecutive invoices are written in groups that commit together. Small
CSV files are grouped the same way: a commit that pushes the write-ahead log past
DuckDB's checkpoint threshold checkpoints, and at rijk nearly every file's commit did
(40% of the statement time on a sample of 35 rijk HR and enrolment files, more than
validating the rows); the ingest connection also raises that threshold
(leerdata.ingest.store). The invoices are parsed in worker processes while the files
listed before them load (leerdata.ingest.invoice_prefetch), and the small CSV files are
read and parsed on a thread one group ahead of the one being validated
(leerdata.ingest.csv_read_ahead).
Each file in a group is still all-or-nothing (a CSV is loaded with one set of
statements, an invoice validated completely before anything is written) and is
conservation-checked on its own; if anything in a group fails, the group is rolled back
and redone file by file, each in its own transaction as above.
"""

from __future__ import annotations

import errno
import hashlib
import os
import time
import traceback
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import duckdb
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from leerdata.config import DataPaths, IngestSettings, load_settings
from leerdata.contract import MANIFEST_TABLE, RAW_INVOICE_LINES_TABLE
from leerdata.errors import LeerdataError
from leerdata.ingest.csv_loader import (
    CsvContent,
    LoadOutcome,
    ParsedFile,
    csv_content,
    load_csv_chunks,
    read_csv_file,
    validate_and_insert,
)
from leerdata.ingest.csv_read_ahead import CsvReadAhead
from leerdata.ingest.deliveries import delivered_before, record_unchanged
from leerdata.ingest.discovery import LandingFile, Rejection, discover
from leerdata.ingest.file_stats import KnownFiles
from leerdata.ingest.invoice_prefetch import InvoicePrefetch
from leerdata.ingest.landing_read import ChunkedLanding, grown, open_landing, read_landing
from leerdata.ingest.store import (
    FileContext,
    ManifestEntry,
    QuarantineRow,
    count_loaded,
    count_quarantined_lines,
    insert_manifest,
    insert_manifests,
    insert_quarantine,
    known_hashes,
    next_batch_id,
    open_restricted,
    rejected_before,
)
from leerdata.ingest.ubl import ParsedInvoice, parse_invoice
from leerdata.ingest.ubl_loader import InvoiceRows, load_invoice

INVOICE_GROUP_SIZE = 256  # invoices per group commit
# CSV files per group commit: bytes of the files together. A rijk HR export is ~5 MB,
# so a group holds about twelve of them (~300k rows). A transaction that inserts a full
# row group (122,880 rows) into a table has DuckDB write it to the database file as it
# goes, and its commit logs only where it went; a smaller one writes every row into the
# write-ahead log at commit and again at the next checkpoint. Alternating runs of
# `leerdata ingest` on one machine (stop 36): rijk, 16 MiB 123.5 and 132.7 s, 64 MiB
# 101.0 and 106.7 s (with the ingest's memory limit, store.py: peak RSS 3.0 GB, against
# 2.2 GB at 16 MiB); medium, 27.9 and 26.1 s against 23.4 and 21.9 s. The file keeps
# more free blocks (rijk 0.77 against 0.49 GB); later writes reuse them.
CSV_GROUP_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class FileResult:
    file_name: str
    source: str | None
    batch_id: int | None  # None when skipped
    status: str  # loaded | partially_quarantined | quarantined | empty | failed | skipped
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    file_reason: str | None = None
    error: str | None = None


@dataclass
class IngestSummary:
    files_loaded: int = 0  # new files processed (whatever their outcome except failed)
    files_skipped: int = 0  # content loaded before
    files_failed: int = 0  # rolled back; retried on the next run
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    seconds: float = 0.0
    files: list[FileResult] = field(default_factory=list)

    def add(self, result: FileResult) -> None:
        self.files.append(result)
        if result.status == "skipped":
            self.files_skipped += 1
            return
        if result.status == "failed":
            self.files_failed += 1
            return
        self.files_loaded += 1
        self.rows_read += result.rows_read
        self.rows_loaded += result.rows_loaded
        self.rows_quarantined += result.rows_quarantined


class ConservationError(RuntimeError):
    pass


@dataclass(frozen=True)
class _Read:
    """A new file's bytes and their hash; a CSV read ahead comes parsed instead."""

    sha: str
    size: int
    raw: bytes = b""  # empty for a CSV read ahead
    content: CsvContent | None = None  # a CSV read ahead, decoded and parsed

    def csv(self) -> CsvContent:
        return self.content if self.content is not None else csv_content(self.raw)


@dataclass(frozen=True)
class _CsvRead:
    """A CSV file of a group, read, its records not yet validated."""

    index: int  # its place in the group's results
    ctx: FileContext
    file: LandingFile
    sha: str
    size: int
    outcome: LoadOutcome
    parsed: ParsedFile | None  # None: nothing to validate (e.g. an empty file)
    seconds: float  # reading and parsing it


def _status(outcome: LoadOutcome, loaded: int, quarantined: int) -> str:
    if outcome.file_reason == "EMPTY_FILE":
        return "empty"
    if outcome.file_reason is not None or loaded == 0:
        return "quarantined"
    return "partially_quarantined" if quarantined else "loaded"


def _result(entry: ManifestEntry, outcome: LoadOutcome) -> FileResult:
    ctx = entry.context
    return FileResult(
        ctx.file_name, ctx.source, ctx.batch_id, entry.status, entry.rows_read,
        entry.rows_loaded, entry.rows_quarantined, outcome.file_reason,
    )  # fmt: skip


def _progress(show: bool) -> Progress:
    return Progress(
        TextColumn("[bold]ingest[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files"),
        TimeRemainingColumn(),
        disable=not show,
        transient=False,
    )


class _Ingestor:
    def __init__(self, con: duckdb.DuckDBPyConnection, limits: IngestSettings) -> None:
        self.con = con
        self.limits = limits
        self.seen = known_hashes(con)
        self.rejected = rejected_before(con)
        self.batch_id = next_batch_id(con)
        self.delivered = delivered_before(con, MANIFEST_TABLE)
        self.known = KnownFiles(con)  # hashes of files unchanged since they were read
        self.read_ahead: CsvReadAhead | None = None  # small CSV files read on a thread

    def _read(self, file: LandingFile) -> bytes | Rejection:
        if file.rejection is not None:
            return file.rejection
        try:
            return read_landing(file.path, self.limits.max_file_bytes)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # became a link after discovery
                return Rejection("NOT_A_REGULAR_FILE", "symbolic link", "link:swapped")
            raise

    def _read_hashed(self, file: LandingFile) -> _Read | Rejection:
        """The file read (or taken from the read-ahead) and its hash recorded."""
        ahead = self.read_ahead.take(file) if self.read_ahead is not None else None
        if ahead is not None:
            self.known.hashed(file, ahead.sha, ahead.read_started_ns)
            return _Read(ahead.sha, ahead.size, content=ahead.content)
        read_started_ns = self.known.now_ns()
        raw = self._read(file)
        if isinstance(raw, Rejection):
            return raw
        sha = hashlib.sha256(raw).hexdigest()
        self.known.hashed(file, sha, read_started_ns)
        return _Read(sha, len(raw), raw)

    def process(self, file: LandingFile, prefetch: InvoicePrefetch | None = None) -> FileResult:
        started = time.perf_counter()
        known = self._known_sha(file)
        if known is not None and (skipped := self._skip(file, known)) is not None:
            return skipped
        if _chunked(file, self.limits):
            return self._process_chunked(file, started)
        try:
            read = self._read_hashed(file)
        except OSError as exc:  # vanished or unreadable: report it, load the rest
            error = f"cannot read: {type(exc).__name__}"
            return FileResult(file.relative_name, file.source_name, None, "failed", error=error)
        if isinstance(read, Rejection):
            return self._reject_unread(file, read, started)
        sha = read.sha
        if (skipped := self._skip(file, sha)) is not None:
            return skipped
        ctx = self._context(file)
        con = self.con
        con.execute("begin transaction")
        try:
            parsed = prefetch.take(file.path, sha) if prefetch and file.is_invoice else None
            outcome = self._load(ctx, file, read, parsed)
            entry = self._checked_entry(
                ctx, file, sha, read.size, outcome, time.perf_counter() - started
            )
            insert_manifest(con, entry)
            con.execute("commit")
        except Exception as exc:  # one bad file must never stop the others
            con.execute("rollback")
            return self._record_failure(ctx, sha, read.size, started, exc)
        if file.unknown_reason is None:
            self.seen.add(sha)
        else:
            self.rejected.add((file.relative_name, sha))
        return _result(entry, outcome)

    def _known_sha(self, file: LandingFile) -> str | None:
        return self.known.sha(file) if file.rejection is None else None

    def _skip(self, file: LandingFile, sha: str) -> FileResult | None:
        """The result for a file whose content `sha` needs no load, else None."""
        if file.unknown_reason is not None:
            if (file.relative_name, sha) in self.rejected:
                return FileResult(file.relative_name, None, None, "skipped")
            return None
        if sha in self.seen:
            self._note_unchanged(file, sha)
            return FileResult(file.relative_name, file.source_name, None, "skipped")
        return None

    def _process_chunked(self, file: LandingFile, started: float) -> FileResult:
        """process() for a large CSV: the same transaction, read in chunks."""
        assert file.csv_source is not None
        try:
            fd = open_landing(file.path, self.limits.max_file_bytes)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # became a link after discovery
                rejection = Rejection("NOT_A_REGULAR_FILE", "symbolic link", "link:swapped")
                return self._reject_unread(file, rejection, started)
            error = f"cannot read: {type(exc).__name__}"
            return FileResult(file.relative_name, file.source_name, None, "failed", error=error)
        if isinstance(fd, Rejection):
            return self._reject_unread(file, fd, started)
        try:
            read_started_ns = self.known.now_ns()
            landing = ChunkedLanding(fd, self.limits.max_file_bytes)
            self.known.hashed(file, landing.sha, read_started_ns)
            if landing.size > self.limits.max_file_bytes:
                return self._reject_unread(file, grown(self.limits.max_file_bytes), started)
            if landing.sha in self.seen:
                self._note_unchanged(file, landing.sha)
                return FileResult(file.relative_name, file.source_name, None, "skipped")
            ctx = self._context(file)
            con = self.con
            con.execute("begin transaction")
            try:
                outcome = load_csv_chunks(
                    con, ctx, file.csv_source, landing.chunks(self.limits.csv_chunk_bytes),
                    landing.whole, self.limits.max_field_bytes,
                )  # fmt: skip
                if landing.changed:
                    raise ConservationError("the file changed while it was loaded")
                entry = self._checked_entry(
                    ctx, file, landing.sha, landing.size, outcome, time.perf_counter() - started
                )
                insert_manifest(con, entry)
                con.execute("commit")
            except Exception as exc:  # one bad file must never stop the others
                con.execute("rollback")
                return self._record_failure(ctx, landing.sha, landing.size, started, exc)
        finally:
            os.close(fd)
        self.seen.add(landing.sha)
        return _result(entry, outcome)

    def _checked_entry(
        self,
        ctx: FileContext,
        file: LandingFile,
        sha: str,
        size: int,
        outcome: LoadOutcome,
        seconds: float,
    ) -> ManifestEntry:
        """The file's manifest entry from what the database holds; raises unless
        rows read = loaded + quarantined."""
        table = file.csv_source.table if file.csv_source else RAW_INVOICE_LINES_TABLE
        con = self.con
        loaded = count_loaded(con, table, ctx.batch_id) if file.unknown_reason is None else 0
        quarantined = count_quarantined_lines(con, ctx.batch_id)
        if outcome.rows_read != loaded + quarantined:
            raise ConservationError(
                f"rows read {outcome.rows_read} != loaded {loaded} + quarantined {quarantined}"
            )
        return ManifestEntry(
            ctx, sha, size, outcome.encoding, outcome.delimiter, outcome.rows_read,
            loaded, quarantined, _status(outcome, loaded, quarantined),
            seconds, outcome.notes,
        )  # fmt: skip

    def _note_unchanged(self, file: LandingFile, sha: str) -> None:
        """A new delivery with known content: nothing to load, but it says the source is
        current (see deliveries.py). Recorded once per file name and content."""
        if file.source_name is None or (file.relative_name, sha) in self.delivered:
            return
        record_unchanged(
            self.con, file.relative_name, file.source_name, sha, file.file_date, datetime.now()
        )
        self.delivered.add((file.relative_name, sha))

    def _reject_unread(self, file: LandingFile, rejection: Rejection, started: float) -> FileResult:
        """Quarantine a link, pipe, device or oversized file without reading it."""
        sha = hashlib.sha256(rejection.fingerprint.encode()).hexdigest()
        if (file.relative_name, sha) in self.rejected:
            return FileResult(file.relative_name, None, None, "skipped")
        ctx = replace(self._context(file), source=None)
        row = QuarantineRow(
            0, None, rejection.detail, rejection.reason, {"file_name": ctx.file_name}
        )
        entry = ManifestEntry(
            ctx, sha, 0, None, None, 0, 0, 0, "quarantined",
            time.perf_counter() - started, f"not read: {rejection.reason}",
        )  # fmt: skip
        self.con.execute("begin transaction")
        insert_quarantine(self.con, ctx, [row])
        insert_manifest(self.con, entry)
        self.con.execute("commit")
        self.rejected.add((file.relative_name, sha))
        return FileResult(
            ctx.file_name, None, ctx.batch_id, "quarantined", file_reason=rejection.reason
        )

    def process_group(
        self, files: list[LandingFile], prefetch: InvoicePrefetch | None = None
    ) -> list[FileResult]:
        """Load many invoices, or many CSV files, in one transaction; on any failure,
        redo them one by one. The CSV files are read one by one and their records
        validated together (csv_loader.validate_and_insert)."""
        first_batch_id = self.batch_id
        new_hashes: set[str] = set()
        results: list[FileResult | None] = []
        pending: list[tuple[int, FileContext, str, int, LoadOutcome, float]] = []
        csv_read: list[_CsvRead] = []
        checked: list[tuple[int, ManifestEntry, LoadOutcome]] = []  # CSV: counted at once
        con = self.con
        rows = InvoiceRows()
        con.execute("begin transaction")
        try:
            for file in files:
                started = time.perf_counter()
                known = self._known_sha(file)
                if known is not None and known in self.seen:
                    self._note_unchanged(file, known)
                    results.append(
                        FileResult(file.relative_name, file.source_name, None, "skipped")
                    )
                    continue
                read = self._read_hashed(file)
                if isinstance(read, Rejection):
                    raise ConservationError("redo file by file")  # rare: changed since listing
                sha = read.sha
                if sha in self.seen or sha in new_hashes:
                    self._note_unchanged(file, sha)
                    results.append(
                        FileResult(file.relative_name, file.source_name, None, "skipped")
                    )
                    continue
                new_hashes.add(sha)
                ctx = self._context(file)
                if file.csv_source is not None:
                    outcome, parsed_file = read_csv_file(
                        con, ctx, file.csv_source, read.csv(), self.limits.max_field_bytes
                    )
                    own = time.perf_counter() - started
                    csv_read.append(
                        _CsvRead(len(results), ctx, file, sha, read.size, outcome, parsed_file, own)
                    )
                    results.append(None)
                    continue
                parsed = (prefetch and prefetch.take(file.path, sha)) or parse_invoice(read.raw)
                outcome = load_invoice(con, ctx, parsed, rows)
                elapsed = time.perf_counter() - started  # this file's own share of the group
                pending.append((len(results), ctx, sha, read.size, outcome, elapsed))
                results.append(None)
            rows.flush(con)
            checked = self._validated_csv_entries(csv_read)
            entries = self._checked_group_entries(pending)
            if entries or checked:
                insert_manifests(con, entries + [entry for _, entry, _ in checked])
            con.execute("commit")
        except Exception as exc:
            if os.environ.get("LEERDATA_DEBUG"):  # why the group is redone file by file
                traceback.print_exception(exc)
            con.execute("rollback")
            self.batch_id = first_batch_id
            self.delivered = delivered_before(con, MANIFEST_TABLE)  # its notes rolled back
            return [self.process(file, prefetch) for file in files]
        self.seen |= new_hashes
        for (index, _, _, _, outcome, _), entry in zip(pending, entries, strict=True):
            results[index] = _result(entry, outcome)
        for index, entry, outcome in checked:
            results[index] = _result(entry, outcome)
        return [r for r in results if r is not None]

    def _validated_csv_entries(
        self, files: list[_CsvRead]
    ) -> list[tuple[int, ManifestEntry, LoadOutcome]]:
        """Validate the group's CSV records in one pass, then check each file's counts.
        A file's seconds are its own reading plus its share (by records) of the pass."""
        started = time.perf_counter()
        parsed = [f.parsed for f in files if f.parsed is not None]
        validate_and_insert(self.con, parsed, self.limits.max_field_bytes)
        shared = time.perf_counter() - started
        records = sum(p.parsed.rows.height for p in parsed) or 1
        checked = []
        for f in files:
            share = shared * f.parsed.parsed.rows.height / records if f.parsed else 0.0
            entry = self._checked_entry(f.ctx, f.file, f.sha, f.size, f.outcome, f.seconds + share)
            checked.append((f.index, entry, f.outcome))
        return checked

    def _checked_group_entries(
        self, pending: list[tuple[int, FileContext, str, int, LoadOutcome, float]]
    ) -> list[ManifestEntry]:
        if not pending:
            return []
        low, high = pending[0][1].batch_id, pending[-1][1].batch_id
        loaded = dict(
            self.con.execute(
                f"select _batch_id, count(*) from {RAW_INVOICE_LINES_TABLE} "
                "where _batch_id between ? and ? group by 1",
                [low, high],
            ).fetchall()
        )
        quarantined = dict(
            self.con.execute(
                "select batch_id, count(distinct line_number) from quarantine "
                "where batch_id between ? and ? and line_number > 0 group by 1",
                [low, high],
            ).fetchall()
        )
        entries = []
        for _, ctx, sha, size, outcome, elapsed in pending:
            n_loaded, n_quarantined = loaded.get(ctx.batch_id, 0), quarantined.get(ctx.batch_id, 0)
            if outcome.rows_read != n_loaded + n_quarantined:
                raise ConservationError(ctx.file_name)
            entries.append(
                ManifestEntry(
                    ctx,
                    sha,
                    size,
                    outcome.encoding,
                    outcome.delimiter,
                    outcome.rows_read,
                    n_loaded,
                    n_quarantined,
                    _status(outcome, n_loaded, n_quarantined),
                    elapsed,
                    outcome.notes,
                )
            )
        return entries

    def _context(self, file: LandingFile) -> FileContext:
        ctx = FileContext(
            self.batch_id, file.source_name, file.relative_name, file.file_date, datetime.now()
        )
        self.batch_id += 1
        return ctx

    def _load(
        self, ctx: FileContext, file: LandingFile, read: _Read, parsed: ParsedInvoice | None
    ) -> LoadOutcome:
        if file.csv_source is not None:
            outcome, records = read_csv_file(
                self.con, ctx, file.csv_source, read.csv(), self.limits.max_field_bytes
            )
            if records is not None:
                validate_and_insert(self.con, [records], self.limits.max_field_bytes)
            return outcome
        if file.is_invoice:
            invoice = parsed if parsed is not None else parse_invoice(read.raw)
            return load_invoice(self.con, ctx, invoice)
        row = QuarantineRow(
            0, None, file.unknown_reason, "UNKNOWN_FILE", {"file_name": ctx.file_name}
        )
        insert_quarantine(self.con, ctx, [row])
        return LoadOutcome(0, file_reason="UNKNOWN_FILE")

    def _record_failure(
        self, ctx: FileContext, sha: str, size: int, started: float, exc: Exception
    ) -> FileResult:
        # The message names the exception type only (a database error can quote a row value,
        # which must not reach a log); LEERDATA_DEBUG=1 prints the traceback.
        if os.environ.get("LEERDATA_DEBUG"):
            traceback.print_exception(exc)
        error = (
            f"{type(exc).__name__}: {exc}"
            if isinstance(exc, ConservationError)
            else type(exc).__name__
        )
        entry = ManifestEntry(
            ctx, sha, size, None, None, 0, 0, 0, "failed",
            time.perf_counter() - started, f"rolled back: {error}",
        )  # fmt: skip
        self.con.execute("begin transaction")
        insert_manifest(self.con, entry)
        self.con.execute("commit")
        return FileResult(ctx.file_name, ctx.source, ctx.batch_id, "failed", error=error)


def _chunked(file: LandingFile, limits: IngestSettings) -> bool:
    return (
        file.csv_source is not None
        and file.rejection is None
        and file.size > limits.csv_chunk_bytes
    )


def _group_kind(file: LandingFile, limits: IngestSettings) -> str | None:
    if file.is_invoice:
        return "invoice"
    if file.csv_source is not None and file.size <= CSV_GROUP_BYTES and not _chunked(file, limits):
        return "csv"
    return None  # unknown, rejected or large: alone


def _groups(
    files: list[LandingFile], limits: IngestSettings | None = None
) -> Iterator[list[LandingFile]]:
    """Consecutive invoices in groups of INVOICE_GROUP_SIZE, consecutive small CSV files
    in groups of up to CSV_GROUP_BYTES; every other file (a chunked CSV too) alone."""
    limits = limits or IngestSettings()
    group: list[LandingFile] = []
    kind: str | None = None
    group_bytes = 0
    for file in files:
        file_kind = _group_kind(file, limits)
        full = (
            len(group) == INVOICE_GROUP_SIZE
            if kind == "invoice"
            else group_bytes + file.size > CSV_GROUP_BYTES
        )
        if group and (file_kind != kind or full):
            yield group
            group, group_bytes = [], 0
        if file_kind is None:
            yield [file]
            continue
        group.append(file)
        kind, group_bytes = file_kind, group_bytes + file.size
    if group:
        yield group


def _csv_read_ahead(
    files: list[LandingFile], ingestor: _Ingestor, limits: IngestSettings
) -> CsvReadAhead:
    """A thread reading the small CSV files that are new (not known unchanged and
    loaded), one group ahead of the main thread."""

    def new(file: LandingFile) -> bool:
        known = ingestor.known.sha(file)
        return known is None or known not in ingestor.seen

    ahead = [f for f in files if _group_kind(f, limits) == "csv" and new(f)]
    return CsvReadAhead(
        ahead,
        lambda path: read_landing(path, limits.max_file_bytes),
        ingestor.known.now_ns,
        CSV_GROUP_BYTES,
    )


def run_ingest(paths: DataPaths, show_progress: bool = True) -> IngestSummary:
    """Load every new landing file, under the data directory's write lock."""
    from leerdata.steward import writing

    if not paths.landing.is_dir():
        _missing_landing(paths.landing)
    with writing(paths, "ingest", show_progress):
        return _ingest(paths, show_progress)


def _missing_landing(landing: Path) -> None:
    raise LeerdataError(
        f"landing directory {landing} does not exist; "
        "put deliveries there or run `leerdata generate --data-dir ...` first"
    )


def _ingest(paths: DataPaths, show_progress: bool) -> IngestSummary:
    landing = paths.landing
    if not landing.is_dir():
        _missing_landing(landing)
    started = time.perf_counter()
    limits = load_settings(paths.root).ingest
    files = discover(landing, limits.max_file_bytes)
    summary = IngestSummary()
    try:
        con = open_restricted(paths.restricted_db)
    except duckdb.IOException as exc:
        raise LeerdataError(f"cannot open {paths.restricted_db}: {exc}") from exc
    try:
        ingestor = _Ingestor(con, limits)
        # the workers parse the invoices while the files listed before them load
        prefetch = InvoicePrefetch(files, ingestor.seen, ingestor.known.sha)
        ingestor.read_ahead = _csv_read_ahead(files, ingestor, limits)
        with prefetch, closing(ingestor.read_ahead), _progress(show_progress) as progress:
            task = progress.add_task("ingest", total=len(files))
            for group in _groups(files, limits):
                if len(group) > 1:
                    results = ingestor.process_group(group, prefetch)
                else:
                    results = [ingestor.process(group[0], prefetch)]
                for result in results:
                    summary.add(result)
                progress.advance(task, len(group))
        ingestor.known.save(con)
    finally:
        con.close()
    summary.seconds = time.perf_counter() - started
    _report_failures(summary)
    return summary


def _report_failures(summary: IngestSummary) -> None:
    failed = [f for f in summary.files if f.status == "failed"]
    if not failed:
        return
    console = Console(stderr=True)
    for result in failed:
        console.print(
            f"[bold red]ingest failed, rolled back:[/] {result.file_name} ({result.error})",
            highlight=False,
        )
