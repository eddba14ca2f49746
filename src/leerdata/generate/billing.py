"""Supplier invoice lines: the correct bill per supplier and month, then injected faults.

Clean lines bill what the contract says is billable (docs/contract.md §2) at the applicable
price. About 3% of lines then get a fault, covering every line reason code (at least
once, even at tiny scale), some lines two faults, and a few invoices a header total
that is not the sum of their lines. Each faulted line records the code(s) it was meant
to trigger in `intended`; the truth module checks that the rules indeed raise them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from leerdata.generate.catalogue import Catalogue
from leerdata.generate.frames import MISSING, max_int
from leerdata.generate.hr import People
from leerdata.generate.scales import Calendar

FAULT_SHARE = 0.03
FAULT_CODES = (
    "UNKNOWN_REFERENCE",
    "SUPPLIER_MISMATCH",
    "NOT_ENROLLED",
    "CANCELLED_IN_TIME",
    "SESSION_CANCELLED",
    "DUPLICATE_LINE",
    "QUANTITY_MISMATCH",
    "ARITHMETIC_ERROR",
    "PRICE_MISMATCH",
    "VAT_MISMATCH",
    "NOT_YET_DELIVERED",
)
LINE_CODES = (*FAULT_CODES, "CREDIT_WITHOUT_REFERENCE")  # credit notes: generate.adjustments
MODIFIERS = (
    "PRICE_MISMATCH",
    "QUANTITY_MISMATCH",
    "ARITHMETIC_ERROR",
    "VAT_MISMATCH",
)  # applied in this order
# Which second fault can sit on a line with a given first fault and still show.
COMBINABLE = {
    "UNKNOWN_REFERENCE": ("QUANTITY_MISMATCH", "ARITHMETIC_ERROR"),
    "NOT_ENROLLED": ("VAT_MISMATCH", "ARITHMETIC_ERROR"),
    "CANCELLED_IN_TIME": ("VAT_MISMATCH", "QUANTITY_MISMATCH"),
    "SESSION_CANCELLED": ("VAT_MISMATCH", "ARITHMETIC_ERROR"),
    "SUPPLIER_MISMATCH": MODIFIERS,
    "NOT_YET_DELIVERED": MODIFIERS,
    "DUPLICATE_LINE": MODIFIERS,
    "PRICE_MISMATCH": ("QUANTITY_MISMATCH", "VAT_MISMATCH"),
    "QUANTITY_MISMATCH": ("PRICE_MISMATCH", "VAT_MISMATCH"),
    "ARITHMETIC_ERROR": ("VAT_MISMATCH",),
    "VAT_MISMATCH": ("PRICE_MISMATCH", "QUANTITY_MISMATCH", "ARITHMETIC_ERROR"),
}
LINE_SCHEMA = {
    "invoice_idx": pl.Int64,
    "order_line_ref": pl.String,
    "course_id": pl.String,
    "quantity": pl.Int64,
    "price_cents": pl.Int64,
    "amount_cents": pl.Int64,
    "vat_percent": pl.Int64,
    "item_name": pl.String,
    "session_start": pl.Date,
    "seq": pl.Float64,
    "intended": pl.List(pl.String),
}


@dataclass
class Billing:
    invoices: (
        pl.DataFrame
    )  # invoice_idx, invoice_id, supplier_idx, month, issue_date, total_delta_cents
    lines: pl.DataFrame  # LINE_SCHEMA + line_id


def session_facts(cat: Catalogue) -> pl.DataFrame:
    """Sessions with their course's applicable price row and supplier."""
    return (
        cat.sessions.join(cat.courses, on="course_idx", maintain_order="left")
        .join(cat.periods, on="course_idx", maintain_order="left")
        .filter(
            (pl.col("valid_from") <= pl.col("start_date"))
            & (pl.col("valid_to").is_null() | (pl.col("start_date") <= pl.col("valid_to")))
        )
        .sort("session_idx")
    )


def _person_names(people: People) -> pl.Series:
    return people.static.select(
        pl.concat_str(["initials", "name_prefix", "last_name"], separator=" ", ignore_nulls=True)
    ).to_series()


def enrolment_facts(cat: Catalogue, enrolments: pl.DataFrame, people: People) -> pl.DataFrame:
    names = _person_names(people).to_numpy()
    facts = session_facts(cat).select(
        "session_idx",
        "session_id",
        "start_date",
        "end_date",
        pl.col("status").alias("session_status"),
        "course_id",
        "title",
        "supplier_idx",
        "pricing_model",
        "is_internal",
        "price_cents",
        "vat_rate",
        "free_cancellation_days",
        "late_cancellation_fee_pct",
        "location",
    )
    enr = enrolments.select(
        "enrolment_idx", "enrolment_id", "session_idx", "person_idx", "status", "t_out"
    )
    enr = enr.join(facts, on="session_idx", maintain_order="left")
    lead = (pl.col("start_date") - pl.col("t_out").dt.date()).dt.total_days()
    late = (
        (pl.col("status") == "cancelled")
        & pl.col("t_out").is_not_null()
        & (lead < pl.col("free_cancellation_days"))
    )
    return enr.with_columns(
        pl.Series("person_name", names[enr["person_idx"].to_numpy()]),
        late.alias("is_late_cancel"),
        (
            (pl.col("session_status") == "held")
            & (pl.col("status").is_in(["completed", "no_show"]) | late)
        ).alias("is_billable"),
        ((pl.col("status") == "cancelled") & ~late).alias("is_free_cancel"),
    )


def _issue_dates(months: np.ndarray, cal: Calendar, rng: np.random.Generator) -> np.ndarray:
    raw = cal.month_start(months + 1) + rng.integers(3, 12, len(months)).astype("timedelta64[D]")
    return np.busday_offset(raw, 0, roll="forward")


def clean_lines(
    enr: pl.DataFrame, cat: Catalogue, cal: Calendar, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    external = ~pl.col("is_internal")
    fee = (pl.col("price_cents") * pl.col("late_cancellation_fee_pct") + 50) // 100
    # Some suppliers put the participant's name in the line text.
    enr = enr.with_columns(pl.Series("wn", rng.random(enr.height) < 0.6))
    name_part = (
        pl.when(pl.col("wn")).then(pl.format(" ({})", pl.col("person_name"))).otherwise(pl.lit(""))
    )
    participant = enr.filter(
        pl.col("is_billable") & external & (pl.col("pricing_model") == "per_participant")
    )
    participant = participant.select(
        "supplier_idx",
        pl.col("enrolment_id").alias("order_line_ref"),
        "course_id",
        pl.when(pl.col("is_late_cancel"))
        .then(fee)
        .otherwise(pl.col("price_cents"))
        .alias("price_cents"),
        "vat_rate",
        pl.when(pl.col("is_late_cancel"))
        .then(pl.format("Annuleringskosten {}", pl.col("title")) + name_part)
        .when(pl.col("status") == "no_show")
        .then(pl.format("No-show {}", pl.col("title")) + name_part)
        .otherwise(pl.col("title") + name_part)
        .alias("item_name"),
        pl.col("start_date").alias("session_start"),
        "end_date",
    )
    per_session = (
        enr.filter(pl.col("is_billable") & external & (pl.col("pricing_model") == "per_session"))
        .unique("session_idx", keep="first", maintain_order=True)
        .select(
            "supplier_idx",
            pl.col("session_id").alias("order_line_ref"),
            "course_id",
            "price_cents",
            "vat_rate",
            pl.format(
                "{}, sessie {} {}", pl.col("title"), pl.col("start_date"), pl.col("location")
            ).alias("item_name"),
            pl.col("start_date").alias("session_start"),
            "end_date",
        )
    )
    lines = pl.concat([participant, per_session]).with_columns(
        pl.col("session_start").dt.year().alias("y"), pl.col("session_start").dt.month().alias("mo")
    )
    first = np.datetime64(cal.first_month, "D").astype(object)
    lines = lines.with_columns(
        ((pl.col("y") - first.year) * 12 + pl.col("mo") - first.month).alias("month")
    )
    invoices = (
        lines.group_by("supplier_idx", "month")
        .agg(pl.col("end_date").max().alias("last_end"))
        .sort("supplier_idx", "month")
    )
    issue = _issue_dates(invoices["month"].to_numpy(), cal, rng)
    last_end = invoices["last_end"].to_numpy().astype("datetime64[D]")
    issue = np.maximum(
        issue, np.busday_offset(last_end + np.timedelta64(1, "D"), 0, roll="forward")
    )
    invoices = invoices.with_columns(pl.Series("issue_date", issue.astype("datetime64[D]")))
    invoices = invoices.filter(pl.col("issue_date") <= cal.as_of).join(
        cat.suppliers.select("supplier_idx", "supplier_id"),
        on="supplier_idx",
        maintain_order="left",
    )
    invoices = invoices.with_row_index("invoice_idx").with_columns(
        pl.col("invoice_idx").cast(pl.Int64),
        pl.format("{}-{}", pl.col("supplier_id"), pl.col("issue_date").dt.strftime("%Y%m")).alias(
            "invoice_id"
        ),
        pl.lit(0, dtype=pl.Int64).alias("total_delta_cents"),
    )
    lines = lines.join(
        invoices.select("invoice_idx", "supplier_idx", "month"),
        on=["supplier_idx", "month"],
        maintain_order="left",
    )
    lines = lines.sort("invoice_idx", "session_start", "order_line_ref").with_row_index("seq")
    lines = lines.select(
        "invoice_idx",
        "order_line_ref",
        "course_id",
        pl.lit(1, dtype=pl.Int64).alias("quantity"),
        "price_cents",
        pl.col("price_cents").alias("amount_cents"),
        pl.col("vat_rate").cast(pl.Int64).alias("vat_percent"),
        "item_name",
        "session_start",
        pl.col("seq").cast(pl.Float64),
        pl.lit([], dtype=pl.List(pl.String)).alias("intended"),
    )
    return invoices.drop("last_end"), lines


class FaultInjector:
    """Applies faults to the clean lines; every change is vectorised over the picked lines."""

    def __init__(
        self,
        lines: pl.DataFrame,
        invoices: pl.DataFrame,
        enr: pl.DataFrame,
        rng: np.random.Generator,
    ):
        self.lines = lines
        self.invoices = invoices
        self.enr = enr
        self.rng = rng
        self.per_code = max(1, round(FAULT_SHARE * lines.height / len(FAULT_CODES)))
        self.order = rng.permutation(lines.height)  # clean lines, each used for at most one fault
        self.cursor = 0
        self.added: list[pl.DataFrame] = []
        self.next_seq = 1e9

    def _take(self, n: int) -> np.ndarray:
        picked = self.order[self.cursor : self.cursor + n]
        self.cursor += n
        return picked

    def _mark(self, rows: np.ndarray, code: str) -> None:
        flag = np.zeros(self.lines.height, dtype=bool)
        flag[rows] = True
        self.lines = self.lines.with_columns(
            pl.when(pl.Series(flag))
            .then(pl.col("intended").list.concat(pl.lit([code])))
            .otherwise(pl.col("intended"))
            .alias("intended")
        )

    def _set(self, rows: np.ndarray, **values: np.ndarray) -> None:
        updates = []
        for column, new in values.items():
            dtype = self.lines.schema[column]
            series = self.lines[column].clone()
            series.scatter(
                rows, pl.Series(column, np.asarray(new, dtype=object).tolist(), dtype=dtype)
            )
            updates.append(series)
        self.lines = self.lines.with_columns(updates)

    def _rows_with(self, code: str) -> np.ndarray:
        return (
            self.lines.with_row_index("i")
            .filter(pl.col("intended").list.contains(code))["i"]
            .to_numpy()
            .astype(np.int64)
        )

    def _move_to_end(self, rows: np.ndarray) -> np.ndarray:
        seq = self.next_seq + np.arange(len(rows)) + self.rng.random(len(rows))
        self.next_seq += len(rows) + 1
        return seq

    # --- structural faults on existing lines -------------------------------------------------
    def unknown_reference(self) -> None:
        rows = self._take(self.per_code)
        refs = self.lines["order_line_ref"].to_numpy()[rows].astype(object)
        variant = self.rng.integers(0, 3, len(rows))
        variant[0] = 0
        # Wrong kind: the enrolment's session id on a per-participant line.
        session_of = (
            pl.DataFrame({"enrolment_id": pl.Series(refs.tolist(), dtype=pl.String)}).join(
                self.enr.select("enrolment_id", "session_id"),
                on="enrolment_id",
                how="left",
                maintain_order="left",
            )
        )["session_id"].to_numpy()
        is_enrolment = session_of != None  # noqa: E711 - elementwise on an object array
        new = np.where(
            variant == 0,
            np.array(
                [
                    f"ENR9{n:07d}"
                    for n in self.rng.choice(10_000_000, size=len(rows), replace=False)
                ],
                dtype=object,
            ),
            np.where(
                (variant == 2) & is_enrolment,
                session_of,
                MISSING,
            ),
        )
        self._set(rows, order_line_ref=new)
        self._mark(rows, "UNKNOWN_REFERENCE")

    def _retarget(
        self, rows: np.ndarray, strategy: Literal["backward", "forward"], other_supplier: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Find for each row an invoice (of the same or another supplier) by issue date."""
        lines = (
            self.lines[rows]
            .with_columns(pl.Series("row", rows))
            .join(
                self.invoices.select("invoice_idx", "supplier_idx", "issue_date"),
                on="invoice_idx",
                maintain_order="left",
            )
        )
        if other_supplier:
            n_sup = max_int(self.invoices["supplier_idx"])
            shift = self.rng.integers(1, max(n_sup, 2), len(rows))
            lines = lines.with_columns(
                (((pl.col("supplier_idx") - 1 + pl.Series(shift)) % n_sup) + 1).alias(
                    "target_supplier"
                )
            )
            key = pl.col("session_start") + pl.duration(days=1)
        else:
            lines = lines.with_columns(pl.col("supplier_idx").alias("target_supplier"))
            key = (
                (pl.col("session_start") - pl.duration(days=1))
                if strategy == "backward"
                else (pl.col("issue_date") + pl.duration(days=1))
            )
        lines = lines.with_columns(key.alias("key")).sort("key")
        targets = self.invoices.select(
            pl.col("invoice_idx").alias("target"),
            pl.col("supplier_idx").alias("target_supplier"),
            pl.col("issue_date").alias("key"),
        ).sort("key")
        found = (
            lines.join_asof(
                targets, on="key", by="target_supplier", strategy=strategy, check_sortedness=False
            )
            .filter(pl.col("target").is_not_null() & (pl.col("target") != pl.col("invoice_idx")))
            .sort("row")
        )
        return found["row"].to_numpy(), found["target"].to_numpy()

    def move(self, code: str) -> None:
        candidates = self._take(self.per_code * 8)
        if code == "SUPPLIER_MISMATCH":
            rows, target = self._retarget(candidates, "forward", other_supplier=True)
        else:  # NOT_YET_DELIVERED: onto an earlier invoice of the same supplier
            rows, target = self._retarget(candidates, "backward", other_supplier=False)
        rows, target = rows[: self.per_code], target[: self.per_code]
        if not len(rows):
            raise RuntimeError(f"no line could be given {code}")
        self._set(rows, invoice_idx=target, seq=self._move_to_end(rows))
        self._mark(rows, code)

    def duplicate(self) -> None:
        candidates = self._take(self.per_code * 8)
        rows, target = self._retarget(candidates, "forward", other_supplier=False)
        rows, target = rows[: self.per_code], target[: self.per_code]
        if not len(rows):
            raise RuntimeError("no line could be duplicated")
        copies = self.lines[rows].with_columns(
            pl.Series("invoice_idx", target),
            pl.Series("seq", self._move_to_end(rows)),
            pl.lit(["DUPLICATE_LINE"], dtype=pl.List(pl.String)).alias("intended"),
        )
        self.lines = pl.concat([self.lines, copies])

    def add_unbillable(self, code: str) -> None:
        e = self.enr.filter(~pl.col("is_internal"))
        if code == "NOT_ENROLLED":
            pool = e.filter(
                (pl.col("session_status") == "held")
                & pl.col("status").is_in(["requested", "approved", "rejected", "waitlisted"])
                & (pl.col("pricing_model") == "per_participant")
            ).with_columns(pl.col("enrolment_id").alias("ref"))
        elif code == "CANCELLED_IN_TIME":
            pool = e.filter(
                (pl.col("session_status") == "held")
                & pl.col("is_free_cancel")
                & (pl.col("pricing_model") == "per_participant")
            ).with_columns(pl.col("enrolment_id").alias("ref"))
        else:  # SESSION_CANCELLED: a participant line, or a whole-session line
            cancelled = e.filter(pl.col("session_status") == "cancelled_by_supplier")
            pool = pl.concat(
                [
                    cancelled.filter(pl.col("pricing_model") == "per_participant").with_columns(
                        pl.col("enrolment_id").alias("ref")
                    ),
                    cancelled.filter(pl.col("pricing_model") == "per_session")
                    .unique("session_idx", keep="first", maintain_order=True)
                    .with_columns(pl.col("session_id").alias("ref")),
                ]
            )
        pool = pool.sort("ref")
        if pool.height == 0:
            raise RuntimeError(f"no candidates for {code}")
        pick = self.rng.permutation(pool.height)[: self.per_code * 4]
        chosen = pool[np.sort(pick)].with_columns(pl.col("start_date").alias("key"))
        targets = self.invoices.select(
            pl.col("invoice_idx"),
            "supplier_idx",
            (pl.col("issue_date") - pl.duration(days=1)).alias("key"),
        ).sort("key")
        found = chosen.sort("key").join_asof(
            targets, on="key", by="supplier_idx", strategy="forward", check_sortedness=False
        )
        found = found.filter(pl.col("invoice_idx").is_not_null()).sort("ref").head(self.per_code)
        if found.height == 0:
            raise RuntimeError(f"no invoice to carry {code}")
        new = found.select(
            "invoice_idx",
            pl.col("ref").alias("order_line_ref"),
            "course_id",
            pl.lit(1, dtype=pl.Int64).alias("quantity"),
            "price_cents",
            pl.col("price_cents").alias("amount_cents"),
            pl.col("vat_rate").cast(pl.Int64).alias("vat_percent"),
            pl.format("{} ({})", pl.col("title"), pl.col("person_name")).alias("item_name"),
            pl.col("start_date").alias("session_start"),
            pl.Series("seq", self._move_to_end(np.arange(found.height))),
            pl.lit([code], dtype=pl.List(pl.String)).alias("intended"),
        )
        self.lines = pl.concat([self.lines, new])

    # --- value faults (modifiers) -------------------------------------------------------------
    def apply_modifiers(self) -> None:
        for code in MODIFIERS:
            rows = self._rows_with(code)
            if not len(rows):
                continue
            qty = self.lines["quantity"].to_numpy()[rows]
            price = self.lines["price_cents"].to_numpy()[rows]
            amount = self.lines["amount_cents"].to_numpy()[rows]
            if code == "PRICE_MISMATCH":
                new_price = np.maximum(
                    (np.round(price * self.rng.uniform(1.06, 1.25, len(rows)) / 500) * 500).astype(
                        np.int64
                    ),
                    price + 500,
                )
                self._set(rows, price_cents=new_price, amount_cents=qty * new_price)
            elif code == "QUANTITY_MISMATCH":
                new_qty = self.rng.choice([2, 3], size=len(rows))
                keep_amount = self.rng.random(len(rows)) < 0.2
                self._set(
                    rows,
                    quantity=new_qty,
                    amount_cents=np.where(keep_amount, amount, new_qty * price),
                )
            elif code == "ARITHMETIC_ERROR":
                delta = self.rng.choice([1000, -10, 10000, 99, -100], size=len(rows))
                self._set(rows, amount_cents=qty * price + delta)
            else:  # VAT_MISMATCH: the other rate, or no tax category at all
                vat = self.lines["vat_percent"].to_numpy()[rows]
                flipped = np.where(vat == 21, 0, 21).astype(object)
                missing = self.rng.random(len(rows)) < 0.2
                missing[0] = False
                flipped[missing] = None
                self._set(rows, vat_percent=flipped)

    def pick_value_faults(self) -> None:
        for code in MODIFIERS:
            rows = self._take(self.per_code)
            self._mark(rows, code)

    def combine(self) -> None:
        """A second fault on some faulted lines."""
        single = self.lines.with_row_index("i").filter(pl.col("intended").list.len() == 1)
        faulted = single["i"].to_numpy().astype(np.int64)
        n = max(2, round(0.1 * len(faulted)))
        picks = np.sort(self.rng.permutation(faulted)[:n])
        base_of = dict(
            zip(faulted.tolist(), single["intended"].list.first().to_list(), strict=True)
        )
        extras = []
        for row in picks.tolist():  # a few thousand at most: one choice each
            base = base_of[row]
            options = [c for c in COMBINABLE[base] if c != base]
            extras.append(options[int(self.rng.integers(0, len(options)))])
        extra = np.array(extras, dtype=object)
        for code in MODIFIERS:
            if (extra == code).any():
                self._mark(picks[extra == code], code)

    def total_mismatch(self) -> None:
        n = max(1, round(0.01 * self.invoices.height))
        rows = np.sort(self.rng.permutation(self.invoices.height)[:n])
        delta = np.zeros(self.invoices.height, dtype=np.int64)
        delta[rows] = self.rng.choice([1000, -2500, 1, 10000], size=n)
        self.invoices = self.invoices.with_columns(pl.Series("total_delta_cents", delta))

    def run(self) -> None:
        self.unknown_reference()
        self.move("SUPPLIER_MISMATCH")
        self.move("NOT_YET_DELIVERED")
        self.duplicate()
        self.pick_value_faults()
        for code in ("NOT_ENROLLED", "CANCELLED_IN_TIME", "SESSION_CANCELLED"):
            self.add_unbillable(code)
        self.combine()
        # The amount each line should have had, for credit notes that correct it later.
        self.lines = self.lines.with_columns(pl.col("amount_cents").alias("clean_cents"))
        self.apply_modifiers()
        self.total_mismatch()


def build_billing(
    cat: Catalogue,
    enrolments: pl.DataFrame,
    people: People,
    cal: Calendar,
    rng: np.random.Generator,
) -> Billing:
    enr = enrolment_facts(cat, enrolments, people)
    invoices, lines = clean_lines(enr, cat, cal, rng)
    injector = FaultInjector(lines, invoices, enr, rng)
    injector.run()
    lines = injector.lines.sort("invoice_idx", "seq").with_columns(
        (pl.int_range(pl.len()).over("invoice_idx") + 1).cast(pl.String).alias("line_id")
    )
    invoices = injector.invoices.filter(
        pl.col("invoice_idx").is_in(lines["invoice_idx"].unique().implode())
    )
    return Billing(invoices, lines)
