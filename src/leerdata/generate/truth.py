"""Ground truth for the invoice checks: docs/contract.md §2 and interpretations 7-18 applied
to the landing data as the warehouse will see it.

This is an independent reference implementation: it starts from the rows as written to
the landing files (newest catalogue file wins per key; newest updated_at wins per
enrolment), not from the generator's internal state or the faults it injected.
"""

from __future__ import annotations

import polars as pl

BILLABLE_STATUSES = ("completed", "no_show")
NOT_ENROLLED_STATUSES = ("requested", "approved", "rejected", "waitlisted")


def _newest(rows: pl.DataFrame, key: list[str], order: list[str]) -> pl.DataFrame:
    return (
        rows.with_row_index("_line")
        .sort([*order, "_line"])
        .group_by(key, maintain_order=True)
        .last()
        .drop("_line")
    )


def resolve_landing(files: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Upserts resolved per contract-interpretations item 2."""
    courses = _newest(files["courses"], ["course_id", "valid_from"], ["_file"]).with_columns(
        pl.col("price_eur").str.replace(".", "", literal=True).cast(pl.Int64).alias("price_cents"),
        pl.col("late_cancellation_fee_pct").cast(pl.Int64),
    )
    return {
        "suppliers": _newest(files["suppliers"], ["supplier_id"], ["_file"]),
        "courses": courses,
        "sessions": _newest(files["sessions"], ["session_id"], ["_file"]),
        "enrolments": _newest(files["enrolments"], ["enrolment_id"], ["updated_at", "_file"]),
    }


def _round_half_up_pct(cents: pl.Expr, pct: pl.Expr) -> pl.Expr:
    return (cents * pct + 50) // 100


def session_billing(landing: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per session: applicable price row, and whether it has a billable enrolment."""
    sessions = (
        landing["sessions"]
        .join(landing["courses"], on="course_id", how="left", maintain_order="left")
        .filter(
            pl.col("valid_from").is_null()
            | (
                (pl.col("valid_from") <= pl.col("start_date"))
                & (pl.col("valid_to").is_null() | (pl.col("start_date") <= pl.col("valid_to")))
            )
        )
    )
    enrolments = landing["enrolments"].join(
        sessions.select(
            "session_id",
            "start_date",
            pl.col("status").alias("session_status"),
            "free_cancellation_days",
        ),
        on="session_id",
        how="left",
        maintain_order="left",
    )
    lead = (pl.col("start_date") - pl.col("cancelled_at").dt.date()).dt.total_days()
    late = (
        (pl.col("status") == "cancelled")
        & pl.col("cancelled_at").is_not_null()
        & (lead < pl.col("free_cancellation_days"))
    )
    enrolments = enrolments.with_columns(
        late.fill_null(False).alias("is_late_cancel"),
        ((pl.col("status") == "cancelled") & ~late.fill_null(False)).alias("is_free_cancel"),
        (
            (pl.col("session_status") != "cancelled_by_supplier")
            & (pl.col("status").is_in(BILLABLE_STATUSES) | late.fill_null(False))
        )
        .fill_null(False)
        .alias("is_billable"),
    )
    has_billable = enrolments.group_by("session_id").agg(
        pl.col("is_billable").any().alias("has_billable")
    )
    sessions = sessions.join(
        has_billable, on="session_id", how="left", maintain_order="left"
    ).with_columns(pl.col("has_billable").fill_null(False))
    return sessions, enrolments


def expected_line_checks(
    landing: dict[str, pl.DataFrame], invoices: pl.DataFrame, lines: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """invoices: invoice_id, issue_date, supplier_company_id, header_total_cents.
    lines: invoice_id, line_id, order_line_ref, quantity, amount_cents, price_cents, vat_percent."""
    sessions, enrolments = session_billing(landing)
    suppliers = (
        landing["suppliers"]
        .filter(pl.col("kvk_number").is_not_null())
        .select(
            pl.col("kvk_number").alias("supplier_company_id"),
            pl.col("supplier_id").alias("invoice_supplier_id"),
        )
    )
    invoices = invoices.join(suppliers, on="supplier_company_id", how="left", maintain_order="left")
    session_cols = [
        "session_id",
        "start_date",
        pl.col("status").alias("session_status"),
        pl.col("supplier_id").alias("course_supplier_id"),
        "pricing_model",
        pl.col("price_cents").alias("catalogue_price_cents"),
        "vat_rate",
        "late_cancellation_fee_pct",
        "has_billable",
    ]
    by_enrolment = enrolments.select(
        pl.col("enrolment_id").alias("order_line_ref"),
        pl.col("session_id").alias("enr_session_id"),
        pl.col("status").alias("enrolment_status"),
        "is_late_cancel",
        "is_free_cancel",
        "is_billable",
    )
    checked = (
        lines.with_row_index("_row")
        .join(
            invoices.select("invoice_id", "issue_date", "invoice_supplier_id"),
            on="invoice_id",
            how="left",
            maintain_order="left",
        )
        .join(by_enrolment, on="order_line_ref", how="left", maintain_order="left")
        .with_columns(
            pl.col("enrolment_status").is_not_null().alias("is_enrolment_ref"),
            pl.coalesce("enr_session_id", "order_line_ref").alias("session_ref"),
        )
        .join(
            sessions.select(session_cols),
            left_on="session_ref",
            right_on="session_id",
            how="left",
            maintain_order="left",
        )
        .sort("_row")
    )
    resolved_enrolment = pl.col("is_enrolment_ref") & pl.col("start_date").is_not_null()
    resolved_session = ~pl.col("is_enrolment_ref") & pl.col("start_date").is_not_null()
    known = (resolved_enrolment & (pl.col("pricing_model") == "per_participant")) | (
        resolved_session & (pl.col("pricing_model") == "per_session")
    )
    checked = checked.with_columns(known.fill_null(False).alias("known"))
    k = pl.col("known")
    per_participant = k & pl.col("is_enrolment_ref")
    per_session = k & ~pl.col("is_enrolment_ref")
    billable = (per_participant & pl.col("is_billable")) | (
        per_session & pl.col("has_billable") & (pl.col("session_status") != "cancelled_by_supplier")
    )
    expected = (
        pl.when(billable & per_participant & pl.col("is_late_cancel"))
        .then(
            _round_half_up_pct(pl.col("catalogue_price_cents"), pl.col("late_cancellation_fee_pct"))
        )
        .when(billable)
        .then(pl.col("catalogue_price_cents"))
        .otherwise(0)
    )
    checked = checked.with_columns(
        billable.fill_null(False).alias("billable"), expected.alias("expected_cents")
    )
    # Duplicates: order by (issue date, invoice id, line id) as strings.
    checked = checked.with_columns(
        pl.when(pl.col("order_line_ref").is_not_null())
        .then(
            pl.struct("issue_date", "invoice_id", "line_id").rank("ordinal").over("order_line_ref")
        )
        .alias("_dup_rank")
    )
    codes = {
        "UNKNOWN_REFERENCE": ~k,
        "SUPPLIER_MISMATCH": k
        & pl.col("invoice_supplier_id").ne_missing(pl.col("course_supplier_id")),
        "NOT_ENROLLED": (per_participant & pl.col("enrolment_status").is_in(NOT_ENROLLED_STATUSES))
        | (
            per_session
            & ~pl.col("has_billable")
            & (pl.col("session_status") != "cancelled_by_supplier")
        ),
        "CANCELLED_IN_TIME": per_participant & pl.col("is_free_cancel"),
        "SESSION_CANCELLED": k & (pl.col("session_status") == "cancelled_by_supplier"),
        "DUPLICATE_LINE": pl.col("_dup_rank").fill_null(1) > 1,
        "QUANTITY_MISMATCH": pl.col("quantity") != 1,
        "ARITHMETIC_ERROR": pl.col("amount_cents") != pl.col("quantity") * pl.col("price_cents"),
        "PRICE_MISMATCH": pl.col("billable")
        & (pl.col("amount_cents") > pl.col("expected_cents") + 1),
        "VAT_MISMATCH": k & pl.col("vat_percent").ne_missing(pl.col("vat_rate").cast(pl.Int64)),
        "NOT_YET_DELIVERED": k
        & (
            (pl.col("issue_date") < pl.col("start_date"))
            | (per_participant & (pl.col("enrolment_status") == "enrolled"))
        ),
    }
    checked = checked.with_columns(
        pl.concat_list(
            [
                pl.when(cond.fill_null(False)).then(pl.lit(code))
                for code, cond in sorted(codes.items())
            ]
        )
        .list.drop_nulls()
        .list.sort()
        .list.join(",")
        .alias("expected_reason_codes")
    )
    line_truth = checked.select(
        "invoice_id",
        "line_id",
        "order_line_ref",
        "expected_reason_codes",
        "expected_cents",
        pl.col("amount_cents").alias("invoiced_cents"),
    )
    sums = lines.group_by("invoice_id").agg(pl.col("amount_cents").sum().alias("line_sum"))
    invoice_truth = invoices.join(sums, on="invoice_id", how="left", maintain_order="left").select(
        "invoice_id",
        pl.col("invoice_supplier_id").alias("supplier_id"),
        pl.when(pl.col("header_total_cents") != pl.col("line_sum").fill_null(0))
        .then(pl.lit("TOTAL_MISMATCH"))
        .otherwise(pl.lit(""))
        .alias("expected_reason_codes"),
    )
    return line_truth, invoice_truth.sort("invoice_id")
