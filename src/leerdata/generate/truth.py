"""Ground truth for the invoice checks: docs/contract.md §2 and interpretations 7-18 applied
to the landing data as the warehouse will see it.

This is an independent reference implementation: it starts from the rows as written to
the landing files (newest catalogue file wins per key; newest updated_at wins per
enrolment), not from the generator's internal state or the faults it injected.
"""

from __future__ import annotations

import polars as pl

from leerdata.config import REPO_ROOT

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


def session_billing(landing: dict[str, pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
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


def agreed_charge_codes() -> set[str]:
    """The framework contract's agreed surcharges (interpretation #30)."""
    seed = pl.read_csv(REPO_ROOT / "seeds" / "agreed_charge_reasons.csv", infer_schema=False)
    return set(seed["reason_code"].to_list())


def expected_line_checks(
    landing: dict[str, pl.DataFrame],
    invoices: pl.DataFrame,
    lines: pl.DataFrame,
    subtotals: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """invoices: invoice_id, issue_date, supplier_company_id, header_total_cents, and
    optionally document_type, corrected_invoice_id, allowance_cents, charge_cents,
    charge_code. lines: invoice_id, line_id, order_line_ref, quantity, amount_cents,
    price_cents, vat_percent (as sent). subtotals (optional): invoice_id, vat_percent,
    taxable, tax as sent in the VAT breakdown."""
    defaults = {
        "document_type": pl.lit("invoice"),
        "corrected_invoice_id": pl.lit(None, dtype=pl.String),
        "allowance_cents": pl.lit(0, dtype=pl.Int64),
        "charge_cents": pl.lit(0, dtype=pl.Int64),
        "charge_code": pl.lit(None, dtype=pl.String),
    }
    invoices = invoices.with_columns(
        [e.alias(n) for n, e in defaults.items() if n not in invoices.columns]
    )
    lines = lines.join(
        invoices.select("invoice_id", "document_type", "corrected_invoice_id"),
        on="invoice_id",
        how="left",
        maintain_order="left",
    )
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
    # Duplicates: order by (issue date, invoice id, line id) as strings, among invoices
    # (credit notes and corrections reference an invoiced order line by design).
    adjustment = pl.col("document_type") != "invoice"
    checked = checked.with_columns(
        pl.when(pl.col("order_line_ref").is_not_null() & ~adjustment)
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
        # A session the supplier cancelled will not be delivered (interpretation #34).
        "NOT_YET_DELIVERED": k
        & (pl.col("session_status") != "cancelled_by_supplier")
        & (
            (pl.col("issue_date") < pl.col("start_date"))
            | (per_participant & (pl.col("enrolment_status") == "enrolled"))
        ),
    }
    # Credit notes and corrections are judged on their reference only (#28): usable when
    # the named invoice, of the same supplier, has a line for the same order line.
    originals = (
        checked.filter(~adjustment)
        .select(
            pl.col("invoice_id").alias("corrected_invoice_id"),
            "order_line_ref",
            pl.col("invoice_supplier_id").alias("_original_supplier"),
        )
        .unique()
    )
    checked = (
        checked.join(
            originals,
            on=["corrected_invoice_id", "order_line_ref"],
            how="left",
            maintain_order="left",
        )
        .with_columns(
            (
                pl.col("_original_supplier").is_not_null()
                & (pl.col("_original_supplier") == pl.col("invoice_supplier_id"))
            )
            .fill_null(False)
            .alias("_usable")
        )
        .unique("_row", keep="any", maintain_order=True)
        .sort("_row")
    )
    codes = {code: cond & ~adjustment for code, cond in codes.items()}
    codes["CREDIT_WITHOUT_REFERENCE"] = adjustment & ~pl.col("_usable")
    checked = checked.with_columns(
        pl.when(adjustment).then(0).otherwise(pl.col("expected_cents")).alias("expected_cents"),
        pl.when(pl.col("document_type") == "credit_note")
        .then(-pl.col("amount_cents"))
        .otherwise(pl.col("amount_cents"))
        .alias("signed_cents"),
    )
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
        pl.col("signed_cents").alias("invoiced_cents"),
    )
    sums = lines.group_by("invoice_id").agg(pl.col("amount_cents").sum().alias("line_sum"))
    invoices = invoices.join(sums, on="invoice_id", how="left", maintain_order="left")
    wrong_vat = _vat_breakdown_wrong(invoices, lines, subtotals)
    agreed = agreed_charge_codes()
    invoice_codes = {
        "CHARGE_NOT_AGREED": (pl.col("charge_cents") > 0)
        & ~pl.col("charge_code").is_in(list(agreed)).fill_null(False),
        "TOTAL_MISMATCH": pl.col("header_total_cents") != pl.col("line_sum").fill_null(0),
        "VAT_TOTAL_MISMATCH": pl.col("invoice_id").is_in(wrong_vat.implode()),
    }
    invoice_truth = invoices.select(
        "invoice_id",
        pl.col("invoice_supplier_id").alias("supplier_id"),
        pl.concat_list(
            [
                pl.when(c.fill_null(False)).then(pl.lit(code))
                for code, c in sorted(invoice_codes.items())
            ]
        )
        .list.drop_nulls()
        .list.join(",")
        .alias("expected_reason_codes"),
    )
    return line_truth, invoice_truth.sort("invoice_id")


def _vat_breakdown_wrong(
    invoices: pl.DataFrame, lines: pl.DataFrame, subtotals: pl.DataFrame | None
) -> pl.Series:
    """Invoices whose sent VAT subtotals differ from their lines (+ charges - allowances in
    the first taxed line's rate) taxed half-up per rate (interpretation #32)."""
    if subtotals is None:
        return pl.Series("invoice_id", [], dtype=pl.String)
    taxed = lines.filter(pl.col("vat_percent").is_not_null()).with_row_index("_order")
    first_rate = taxed.sort("_order").group_by("invoice_id", maintain_order=True).first()
    adjustments = invoices.select(
        "invoice_id", (pl.col("charge_cents") - pl.col("allowance_cents")).alias("amount_cents")
    ).join(first_rate.select("invoice_id", "vat_percent"), on="invoice_id")
    expected = (
        pl.concat(
            [
                taxed.select("invoice_id", "vat_percent", "amount_cents"),
                adjustments.select("invoice_id", "vat_percent", "amount_cents"),
            ]
        )
        .group_by("invoice_id", "vat_percent")
        .agg(pl.col("amount_cents").sum().alias("expected_taxable"))
    )
    compared = subtotals.join(expected, on=["invoice_id", "vat_percent"], how="full", coalesce=True)
    half_up = (
        (pl.col("taxable").abs() * pl.col("vat_percent") + 50) // 100 * pl.col("taxable").sign()
    )
    wrong = compared.filter(
        pl.col("taxable").is_null()
        | pl.col("expected_taxable").is_null()
        | (pl.col("taxable") != pl.col("expected_taxable"))
        | (pl.col("tax") != half_up)
    )
    return wrong["invoice_id"].unique()
