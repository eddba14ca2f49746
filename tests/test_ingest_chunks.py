"""A CSV larger than [ingest] csv_chunk_bytes loads in chunks with the same result.

Each landing below is ingested twice, into two data directories: once whole (the
default chunk size is far above these files) and once with a chunk size of a few
hundred bytes, so almost every record, the bad ones included, sits at a chunk border.
Raw rows, quarantine rows and manifest counts must be identical.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leerdata.config import DataPaths
from leerdata.ingest import csv_loader, run_ingest
from leerdata.ingest.csv_chunks import record_chunks
from tests.ingest_cases.builders import FILE_NAMES, csv_text, valid_rows, write_bytes
from tests.ingest_cases.queries import assert_conserved, dicts, query

HR_FILE = FILE_NAMES["hr"]


def _hr_with_bad_rows(n: int = 40) -> bytes:
    """Good rows with, every few lines, a bad value, a wrong field count, a quoted
    field holding line breaks and delimiters, and a blank line."""
    rows = valid_rows("hr", n)
    header = list(rows[0])
    for i, row in enumerate(rows):
        if i % 7 == 1:
            row["gender"] = "?"
        if i % 5 == 2:
            row["birth_date"] = "1980-02-30"
        if i % 6 == 3:
            row["first_names"] = 'Jan\n"Piet";\nKlaas'  # quoted: three physical lines
        if i % 9 == 4:
            row["salary_scale"] = "19"
    text = csv_text(rows, header).splitlines(keepends=True)
    # A short row and a blank line between records (line numbers must stay physical).
    text.insert(11, "E9;VWS;too few fields\n")
    text.insert(20, "\n")
    return "".join(text).encode()


def _ingest(root: Path, content: bytes, chunk_bytes: int | None) -> DataPaths:
    paths = DataPaths.of(root)
    paths.landing.mkdir(parents=True)
    write_bytes(paths.landing, HR_FILE, content)
    if chunk_bytes is not None:
        (root / "leerdata.toml").write_text(f"[ingest]\ncsv_chunk_bytes = {chunk_bytes}\n")
    run_ingest(paths, show_progress=False)
    return paths


def _stored(paths: DataPaths) -> dict[str, list]:
    manifest_columns = (
        "batch_id, source, file_name, content_sha256, file_bytes, encoding, delimiter, "
        "rows_read, rows_loaded, rows_quarantined, is_conserved, status, notes"
    )
    return {
        "raw": query(paths, "select * from raw_hr order by all"),
        "quarantine": query(
            paths, "select * exclude (quarantined_at) from quarantine order by all"
        ),
        "manifest": query(paths, f"select {manifest_columns} from load_manifest order by all"),
    }


def _whole_and_chunked(tmp_path: Path, content: bytes, chunk_bytes: int) -> tuple[dict, dict]:
    whole = _stored(_ingest(tmp_path / "whole", content, None))
    chunked = _stored(_ingest(tmp_path / f"chunked-{chunk_bytes}", content, chunk_bytes))
    return whole, chunked


@pytest.mark.parametrize("chunk_bytes", [64, 300, 457, 1000, 1400])
def test_a_chunked_file_loads_exactly_as_the_whole_file(
    tmp_path: Path, chunk_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = _hr_with_bad_rows()
    assert len(content) > 4 * chunk_bytes
    whole = _stored(_ingest(tmp_path / "whole", content, None))
    # The chunked run must not fall back to reading the file whole.
    whole_reads: list[str] = []
    real_load = csv_loader.load_csv_file

    def spy(con, ctx, *rest):
        whole_reads.append(ctx.file_name)
        return real_load(con, ctx, *rest)

    monkeypatch.setattr(csv_loader, "load_csv_file", spy)
    chunked = _stored(_ingest(tmp_path / "chunked", content, chunk_bytes))
    assert whole_reads == []
    assert chunked == whole
    [entry] = dicts(DataPaths.of(tmp_path / "chunked"), "select * from load_manifest")
    assert_conserved(entry)
    assert entry["rows_quarantined"] > 10 and entry["rows_loaded"] > 10


def _cp1252() -> bytes:
    return _hr_with_bad_rows().decode().replace("Jansen", "Jansén").encode("cp1252")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\xef\xbb\xbf" + _hr_with_bad_rows(), id="utf-8 with BOM"),
        pytest.param(_cp1252(), id="windows-1252"),
        pytest.param(_hr_with_bad_rows().replace(b"Dhr.", b'Dh"r.', 3), id="stray quotes"),
        pytest.param(_hr_with_bad_rows() + b"E1;\x81;x\n", id="undecodable byte at the end"),
        pytest.param(_hr_with_bad_rows().replace(b";salary_scale", b"", 1), id="missing column"),
        pytest.param(
            _hr_with_bad_rows()[:400].split(b"\n")[0] + b"\n" + b"\n" * 500, id="header only"
        ),
        pytest.param(b"\n" * 300 + _hr_with_bad_rows(), id="blank lines first"),
        pytest.param(_hr_with_bad_rows().replace(b";", b","), id="comma delimiter"),
        pytest.param(_hr_with_bad_rows().replace(b"\n", b"\r\n"), id="CRLF"),
    ],
)
def test_files_the_chunks_cannot_take_load_as_the_whole_file(
    tmp_path: Path, content: bytes
) -> None:
    whole, chunked = _whole_and_chunked(tmp_path, content, 128)
    assert chunked == whole
    assert whole["manifest"] and whole["manifest"][0][11] != "failed"


def test_chunks_end_only_where_a_record_ends() -> None:
    data = b'h1;h2\na;"x\ny"\n"p;\n\nq";b\nc;d\n'
    stream = iter([data[i : i + 3] for i in range(0, len(data), 3)] + [b""])
    chunks = list(record_chunks(lambda n: next(stream), 3))
    assert b"".join(c.data for c in chunks) == data
    assert [c.data for c in chunks] == [b"h1;h2\n", b'a;"x\ny"\n', b'"p;\n\nq";b\n', b"c;d\n"]
    assert [c.lines_before for c in chunks] == [0, 1, 3, 6]


def test_a_file_rewritten_while_it_loads_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leerdata.ingest import landing_read

    paths = DataPaths.of(tmp_path / "data")
    paths.landing.mkdir(parents=True)
    path = write_bytes(paths.landing, HR_FILE, _hr_with_bad_rows())
    (paths.root / "leerdata.toml").write_text("[ingest]\ncsv_chunk_bytes = 256\n")
    real_chunks = landing_read.ChunkedLanding.chunks

    def rewritten_after_hashing(self, chunk_bytes):
        path.write_bytes(_hr_with_bad_rows().replace(b"Jansen", b"Pietersen"))
        return real_chunks(self, chunk_bytes)

    monkeypatch.setattr(landing_read.ChunkedLanding, "chunks", rewritten_after_hashing)
    summary = run_ingest(paths, show_progress=False)
    assert [r.status for r in summary.files] == ["failed"]
    assert query(paths, "select count(*) from raw_hr") == [(0,)]
    monkeypatch.undo()
    shutil.rmtree(paths.root / "warehouse")
    assert run_ingest(paths, show_progress=False).files_loaded == 1
