"""Credit notes, corrective invoices, document allowances and charges, VAT categories.

Applied to the faulted bill (billing.build_billing): real suppliers credit an overcharge
or a line billed twice, send a corrective invoice (384) that lowers a line, sometimes a
credit note that names an invoice nobody knows, give volume discounts and add charges
(agreed ones like shipping of course material, and ones nobody agreed to), and invoice
training exempt from VAT (category E). Every document records what it was meant to
trigger in `intended` (lines) or `intended_invoice` (documents); truth checks it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from leerdata.generate.billing import Billing
from leerdata.generate.frames import max_int
from leerdata.generate.scales import Calendar

AGREED_CHARGE = ("FC", "Verzendkosten lesmateriaal", 2500)  # in seeds/agreed_charge_reasons
UNAGREED_CHARGE = ("ABK", "Administratiekosten", 1500)
ALLOWANCE_REASON = ("95", "Volumekorting")
ALLOWANCE_SHARE = 0.04  # of invoices
AGREED_CHARGE_SHARE = 0.02
UNAGREED_CHARGE_SHARE = 0.01
VAT_FAULT_SHARE = 0.01
CREDIT_DELAY_DAYS = 7


def _pick(rng: np.random.Generator, n: int, share: float, at_least: int = 1) -> np.ndarray:
    count = min(n, max(at_least, round(share * n)))
    return np.sort(rng.permutation(n)[:count])


def _document_columns(invoices: pl.DataFrame) -> pl.DataFrame:
    return invoices.with_columns(
        pl.lit("invoice").alias("document_type"),
        pl.lit(None, dtype=pl.String).alias("corrected_invoice_id"),
        pl.lit(0, dtype=pl.Int64).alias("allowance_cents"),
        pl.lit(0, dtype=pl.Int64).alias("charge_cents"),
        pl.lit(None, dtype=pl.String).alias("charge_code"),
        pl.lit(None, dtype=pl.String).alias("charge_reason"),
        pl.lit(0, dtype=pl.Int64).alias("tax_delta_cents"),
        pl.lit([], dtype=pl.List(pl.String)).alias("intended_invoice"),
    )


def _adjustment_documents(
    invoices: pl.DataFrame,
    lines: pl.DataFrame,
    rows: np.ndarray,
    document_type: str,
    prefix: str,
    amount: pl.Expr,
    intended: list[str],
    reference_suffix: str = "",
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One credit note / corrective invoice per original invoice for the picked lines."""
    picked = lines[rows.tolist()] if len(rows) else lines.clear()
    if picked.is_empty():
        return invoices.clear(), lines.clear()
    originals = (
        invoices.filter(pl.col("invoice_idx").is_in(picked["invoice_idx"].unique().implode()))
        .sort("invoice_idx")
        .with_row_index("k")
    )
    start = max_int(invoices["invoice_idx"]) + 1
    documents = originals.with_columns(
        (pl.col("k").cast(pl.Int64) + start).alias("new_idx"),
        pl.format("{}{}", pl.lit(prefix), pl.col("invoice_id")).alias("new_id"),
        (pl.col("invoice_id") + pl.lit(reference_suffix)).alias("reference"),
        (pl.col("issue_date") + pl.duration(days=CREDIT_DELAY_DAYS)).alias("new_issue"),
    )
    mapping = documents.select("invoice_idx", "new_idx")
    new_docs = documents.with_columns(
        pl.col("new_idx").alias("invoice_idx"),
        pl.col("new_id").alias("invoice_id"),
        pl.col("new_issue").alias("issue_date"),
        pl.lit(0, dtype=pl.Int64).alias("total_delta_cents"),
        pl.lit(document_type).alias("document_type"),
        pl.col("reference").alias("corrected_invoice_id"),
    )
    new_lines = (
        picked.join(mapping, on="invoice_idx", maintain_order="left")
        .with_columns(
            pl.col("new_idx").alias("invoice_idx"),
            amount.alias("amount_cents"),
            pl.lit(1, dtype=pl.Int64).alias("quantity"),
            pl.lit(intended, dtype=pl.List(pl.String)).alias("intended"),
        )
        .with_columns(pl.col("amount_cents").alias("price_cents"))
        .drop("new_idx")
    )
    return new_docs.select(invoices.columns), new_lines.select(lines.columns)


def add_adjustments(billing: Billing, cal: Calendar, rng: np.random.Generator) -> Billing:
    invoices = _document_columns(billing.invoices)
    lines = billing.lines.with_row_index("_row")
    only = pl.col("intended").list.len() == 1
    price_only = lines.filter(only & (pl.col("intended").list.first() == "PRICE_MISMATCH"))
    duplicate_only = lines.filter(only & (pl.col("intended").list.first() == "DUPLICATE_LINE"))
    clean = lines.filter((pl.col("intended").list.len() == 0) & (pl.col("amount_cents") > 1000))
    lines = lines.drop("_row")

    def rows_of(frame: pl.DataFrame, share: float) -> np.ndarray:
        chosen = frame[_pick(rng, frame.height, share).tolist()] if frame.height else frame
        return chosen["_row"].to_numpy()

    n_small = max(1, round(0.002 * lines.height))
    batches = [
        # The supplier credits an overcharge: what was invoiced above the agreed amount.
        (
            rows_of(price_only, 0.5),
            "credit_note",
            "CN-",
            pl.col("amount_cents") - pl.col("clean_cents"),
            [],
            "",
        ),
        # ...or a line billed twice, in full.
        (rows_of(duplicate_only, 0.5), "credit_note", "CND-", pl.col("amount_cents"), [], ""),
        # A corrective invoice takes 10 % off a line that was right (a goodwill discount).
        (
            rows_of(clean, n_small / max(clean.height, 1)),
            "corrective_invoice",
            "COR-",
            -((pl.col("amount_cents") + 5) // 10),
            [],
            "",
        ),
        # A credit note naming an invoice that does not exist.
        (
            rows_of(clean, n_small / max(clean.height, 1)),
            "credit_note",
            "CNX-",
            (pl.col("amount_cents") + 2) // 4,
            ["CREDIT_WITHOUT_REFERENCE"],
            "-X",
        ),
    ]  # fmt: skip
    # Each batch has its own number prefix: document numbers are unique per supplier.
    for rows, document_type, prefix, amount, intended, suffix in batches:
        new_docs, new_lines = _adjustment_documents(
            invoices, lines, rows, document_type, prefix, amount, intended, suffix
        )
        invoices = pl.concat([invoices, new_docs])
        lines = pl.concat([lines, new_lines])
    if invoices["invoice_id"].n_unique() != invoices.height:
        raise ValueError("two generated documents share a number")
    invoices = invoices.filter(pl.col("issue_date") <= cal.as_of)
    lines = lines.filter(pl.col("invoice_idx").is_in(invoices["invoice_idx"].implode()))
    invoices = _document_allowances_and_charges(invoices, lines, rng)
    lines = _line_categories(lines, invoices)
    lines = lines.sort("invoice_idx", "seq").with_columns(
        (pl.int_range(pl.len()).over("invoice_idx") + 1).cast(pl.String).alias("line_id")
    )
    return Billing(invoices, lines)


def _document_allowances_and_charges(
    invoices: pl.DataFrame, lines: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    """Volume discounts, agreed and unagreed charges, and a wrong VAT subtotal now and then,
    on invoices (not on credit notes) that have a taxed line to put them in."""
    taxed = lines.filter(pl.col("vat_percent").is_not_null())["invoice_idx"].unique()
    eligible = invoices.with_row_index("_i").filter(
        (pl.col("document_type") == "invoice") & pl.col("invoice_idx").is_in(taxed.implode())
    )
    sums = lines.group_by("invoice_idx").agg(pl.col("amount_cents").sum().alias("_sum"))
    eligible = eligible.join(sums, on="invoice_idx", maintain_order="left").filter(
        pl.col("_sum") > 10_000
    )
    n = invoices.height
    allowance = np.zeros(n, dtype=np.int64)
    charge = np.zeros(n, dtype=np.int64)
    code = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)
    tax_delta = np.zeros(n, dtype=np.int64)
    intended: list[list[Any]] = [[] for _ in range(n)]
    index = eligible["_i"].to_numpy()
    line_sum = eligible["_sum"].to_numpy()
    for k in _pick(rng, len(index), ALLOWANCE_SHARE):
        allowance[index[k]] = max(1, line_sum[k] * 2 // 100)  # 2 % volume discount
    # Charges go to invoices without an allowance: one document-level finding at a time.
    free = [k for k in range(len(index)) if allowance[index[k]] == 0]
    order = rng.permutation(len(free))
    n_agreed = max(1, round(AGREED_CHARGE_SHARE * len(index)))
    n_unagreed = max(1, round(UNAGREED_CHARGE_SHARE * len(index)))
    n_vat = max(1, round(VAT_FAULT_SHARE * len(index)))
    for position, k in enumerate(order[: n_agreed + n_unagreed + n_vat]):
        i = index[free[k]]
        if position < n_agreed:
            code[i], reason[i], charge[i] = AGREED_CHARGE
        elif position < n_agreed + n_unagreed:
            code[i], reason[i], charge[i] = UNAGREED_CHARGE
            intended[i] = ["CHARGE_NOT_AGREED"]
        else:
            tax_delta[i] = int(rng.choice([1, -100, 250]))
            intended[i] = ["VAT_TOTAL_MISMATCH"]
    return invoices.with_columns(
        pl.Series("allowance_cents", allowance),
        pl.Series("charge_cents", charge),
        pl.Series("charge_code", code.tolist(), dtype=pl.String),
        pl.Series("charge_reason", reason.tolist(), dtype=pl.String),
        pl.Series("tax_delta_cents", tax_delta),
        pl.Series("intended_invoice", intended, dtype=pl.List(pl.String)),
    )


def _line_categories(lines: pl.DataFrame, invoices: pl.DataFrame) -> pl.DataFrame:
    """S above 0 %; at 0 % half of the suppliers say E (exempt education), the others Z."""
    exempt = invoices.select("invoice_idx", (pl.col("supplier_idx") % 2 == 0).alias("_exempt"))
    return (
        lines.join(exempt, on="invoice_idx", how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("vat_percent").is_null())
            .then(pl.lit(None, dtype=pl.String))
            .when(pl.col("vat_percent") > 0)
            .then(pl.lit("S"))
            .when(pl.col("_exempt"))
            .then(pl.lit("E"))
            .otherwise(pl.lit("Z"))
            .alias("vat_category")
        )
        .drop("_exempt")
    )
