"""Orchestrates one generation run: people → catalogue → LMS → invoices → truth."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from leerdata.config import DataPaths
from leerdata.contract import (
    ATTENDANCE,
    COURSES,
    ENROLMENTS,
    EVALUATIONS,
    EXAM_RESULTS,
    HR,
    INVOICE_FOLDER,
    SESSIONS,
    SUPPLIERS,
)
from leerdata.generate.adjustments import add_adjustments
from leerdata.generate.billing import LINE_CODES, Billing, build_billing
from leerdata.generate.catalogue import build_catalogue
from leerdata.generate.frames import cents_to_text
from leerdata.generate.hr import hr_snapshots, simulate_people
from leerdata.generate.lms import build_lms
from leerdata.generate.org import build_organisation
from leerdata.generate.pools import build_pools
from leerdata.generate.scales import Calendar, scale_spec
from leerdata.generate.staging import StagedOutput, staged_output
from leerdata.generate.truth import expected_line_checks, resolve_landing
from leerdata.generate.ubl import render_invoices, tax_subtotals
from leerdata.generate.writer import export_file_name, split_by_file, write_csv

CSV_OUTPUTS = (
    ("catalogue", SUPPLIERS),
    ("catalogue", COURSES),
    ("catalogue", SESSIONS),
    ("lms", ENROLMENTS),
    ("lms", ATTENDANCE),
    ("lms", EXAM_RESULTS),
    ("lms", EVALUATIONS),
)


@dataclass
class GenerateSummary:
    scale: str
    seed: int
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    rows_by_source: dict[str, int] = field(default_factory=dict)
    invoice_lines: int = 0
    faulted_lines: int = 0


class TruthError(AssertionError):
    """The ground truth contradicts the faults that were injected: a generator bug."""


def _progress(show: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not show,
    )


def _check_truth(lines: pl.DataFrame, truth: pl.DataFrame) -> None:
    """Every injected fault shows in its line's truth; fault-free lines have no code."""
    joined = pl.concat(
        [lines.select("intended"), truth.select("expected_reason_codes")], how="horizontal"
    )
    codes = pl.col("expected_reason_codes").str.split(",")
    missing = joined.filter(
        (pl.col("intended").list.len() > 0)
        & (pl.col("intended").list.set_difference(codes).list.len() > 0)
    )
    spurious = joined.filter(
        (pl.col("intended").list.len() == 0) & (pl.col("expected_reason_codes") != "")
    )
    if missing.height or spurious.height:
        raise TruthError(
            f"truth disagrees with injected faults: {missing.head(5)} {spurious.head(5)}"
        )
    present = set(truth["expected_reason_codes"].str.split(",").explode().to_list())
    absent = set(LINE_CODES) - present
    if absent:
        raise TruthError(f"reason codes never raised: {sorted(absent)}")


def _subtotals_as_sent(billing: Billing, invoices: pl.DataFrame) -> pl.DataFrame:
    """The VAT breakdown as the UBL files carry it (a VAT fault on the first subtotal)."""
    sent = tax_subtotals(billing.lines, billing.invoices).join(
        invoices.select("invoice_idx", "invoice_id", "tax_delta_cents"),
        on="invoice_idx",
        maintain_order="left",
    )
    first = pl.int_range(pl.len()).over("invoice_idx") == 0
    return sent.select(
        "invoice_id",
        "vat_percent",
        "taxable",
        (pl.col("tax") + pl.when(first).then(pl.col("tax_delta_cents")).otherwise(0)).alias("tax"),
    )


def _check_invoice_truth(invoices: pl.DataFrame, truth: pl.DataFrame) -> None:
    """Every document-level finding that was meant shows in truth, and each code occurs."""
    joined = invoices.select("invoice_id", "intended_invoice").join(
        truth, on="invoice_id", how="left"
    )
    codes = pl.col("expected_reason_codes").str.split(",")
    missing = joined.filter(pl.col("intended_invoice").list.set_difference(codes).list.len() > 0)
    if missing.height:
        raise TruthError(f"truth disagrees with document-level faults: {missing.head(5)}")
    present = set(truth["expected_reason_codes"].str.split(",").explode().to_list())
    absent = {"TOTAL_MISMATCH", "CHARGE_NOT_AGREED", "VAT_TOTAL_MISMATCH"} - present
    if absent:
        raise TruthError(f"invoice reason codes never raised: {sorted(absent)}")


def run_generate(
    scale: str, seed: int, paths: DataPaths, show_progress: bool = True
) -> GenerateSummary:
    """Write the landing files and their truth under the write lock; they appear in
    landing/ and truth/ only once all of them are written (leerdata.generate.staging)."""
    from leerdata.steward import writing

    started = time.perf_counter()
    scale_spec(scale)  # an unknown scale fails before the lock is taken or a folder made
    with writing(paths, "generate", show_progress), staged_output(paths) as output:
        summary = _write(scale, seed, output, show_progress)
    summary.seconds = time.perf_counter() - started
    return summary


def _write(scale: str, seed: int, output: StagedOutput, show_progress: bool) -> GenerateSummary:
    spec = scale_spec(scale)
    cal = Calendar.for_years(spec.years)
    landing, truth_dir = output.landing, output.truth
    summary = GenerateSummary(scale=scale, seed=seed)
    rng_org, rng_people, rng_cat, rng_lms, rng_bill = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )

    def wrote(source: str, path: Path, size: int, rows: int) -> None:
        summary.files += 1
        summary.bytes += size
        summary.rows_by_source[source] = summary.rows_by_source.get(source, 0) + rows

    with _progress(show_progress) as progress:
        step = progress.add_task("model", total=4)
        pools = build_pools(seed)
        org = build_organisation(spec, rng_org)
        people = simulate_people(spec, cal, org, pools, rng_people)
        progress.advance(step)
        cat = build_catalogue(spec, cal, org, pools, rng_cat)
        progress.advance(step)
        lms = build_lms(cat, people, cal, rng_lms)
        progress.advance(step)
        billing = add_adjustments(
            build_billing(cat, lms.enrolments, people, cal, rng_bill), cal, rng_bill
        )
        progress.advance(step)

        n_hr = len(people.snapshot_months) * len(org.codes)
        task = progress.add_task("hr/", total=n_hr)
        for dept, export, frame in hr_snapshots(people, cal, org):
            path = landing / HR.folder / export_file_name(HR, export, dept)
            wrote(HR.name, path, write_csv(frame, HR, path), frame.height)
            progress.advance(task)

        files = {**cat.files, **lms.files}
        exports = cal.export_dates
        n_files = sum(files[source.name]["_file"].n_unique() for _, source in CSV_OUTPUTS)
        task = progress.add_task("catalogue/ + lms/", total=n_files)
        for source_folder, source in CSV_OUTPUTS:
            for k, part in split_by_file(files[source.name]):
                path = landing / source_folder / export_file_name(source, exports[k])
                wrote(source.name, path, write_csv(part, source, path), part.height)
                progress.advance(task)

        invoices = billing.invoices.join(
            billing.lines.group_by("invoice_idx").agg(
                pl.col("amount_cents").sum().alias("line_sum")
            ),
            on="invoice_idx",
            maintain_order="left",
        ).join(
            cat.suppliers.select("supplier_idx", "kvk_number"),
            on="supplier_idx",
            maintain_order="left",
        )
        task = progress.add_task("invoices/", total=invoices.height)
        folder = landing / INVOICE_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        for name, xml in render_invoices(billing.invoices, billing.lines, cat.suppliers):
            path = folder / name
            data = xml.encode("utf-8")
            path.write_bytes(data)
            wrote("invoices", path, len(data), 1)
            progress.advance(task)
        summary.rows_by_source["invoice_lines"] = billing.lines.height

        task = progress.add_task("truth/", total=1)
        lines = billing.lines.join(
            invoices.select("invoice_idx", "invoice_id"), on="invoice_idx", maintain_order="left"
        )
        line_truth, invoice_truth = expected_line_checks(
            resolve_landing(files),
            invoices.select(
                "invoice_id",
                "issue_date",
                pl.col("kvk_number").alias("supplier_company_id"),
                (pl.col("line_sum") + pl.col("total_delta_cents")).alias("header_total_cents"),
                "document_type",
                "corrected_invoice_id",
                "allowance_cents",
                "charge_cents",
                "charge_code",
            ),
            lines.select(
                "invoice_id",
                "line_id",
                "order_line_ref",
                "quantity",
                "amount_cents",
                "price_cents",
                "vat_percent",
            ),
            _subtotals_as_sent(billing, invoices),
        )
        _check_truth(lines, line_truth)
        _check_invoice_truth(invoices, invoice_truth)
        truth_dir.mkdir(parents=True, exist_ok=True)
        line_truth.select(
            "invoice_id",
            "line_id",
            "order_line_ref",
            "expected_reason_codes",
            cents_to_text(pl.col("expected_cents")).alias("expected_amount_eur"),
            cents_to_text(pl.col("invoiced_cents")).alias("invoiced_amount_eur"),
        ).write_csv(truth_dir / "invoice_lines.csv", separator=";", null_value="")
        invoice_truth.write_csv(truth_dir / "invoices.csv", separator=";", null_value="")
        summary.invoice_lines = billing.lines.height
        summary.faulted_lines = int((billing.lines["intended"].list.len() > 0).sum())
        counts = (
            line_truth["expected_reason_codes"].str.split(",").explode().value_counts(sort=True)
        )
        manifest = {
            "scale": scale,
            "seed": seed,
            "as_of": str(cal.as_of),
            "hr_snapshot_every_months": spec.snapshot_every_months,
            "files": summary.files,
            "rows_by_source": dict(sorted(summary.rows_by_source.items())),
            "invoices": invoices.height,
            "invoice_lines": billing.lines.height,
            "faulted_lines": summary.faulted_lines,
            "line_reason_code_counts": {
                code: n
                for code, n in sorted(
                    zip(counts[:, 0].to_list(), counts[:, 1].to_list(), strict=True)
                )
                if code
            },
            "invoices_with_total_mismatch": int(
                invoice_truth["expected_reason_codes"].str.contains("TOTAL_MISMATCH").sum()
            ),
            "documents_by_type": dict(
                sorted(
                    zip(
                        *invoices["document_type"].value_counts().to_dict(as_series=False).values(),
                        strict=True,
                    )
                )
            ),
            "invoice_reason_code_counts": {
                code: n
                for code, n in sorted(
                    invoice_truth["expected_reason_codes"]
                    .str.split(",")
                    .explode()
                    .value_counts()
                    .iter_rows()
                )
                if code
            },
        }
        (truth_dir / "manifest.json").write_text(
            json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
        )
        progress.advance(task)
    return summary
