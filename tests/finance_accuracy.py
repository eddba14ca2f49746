"""How well the warehouse's invoice checks reproduce the generator's truth/.

Per reason code a confusion count over invoice lines (and, for TOTAL_MISMATCH, over
invoices): a true positive is a line both sides give the code; a false positive one only
the warehouse gives it; a false negative one only truth gives it. A line missing from the
warehouse counts as a false negative for each of its true codes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

import duckdb

from leerdata.config import REPO_ROOT, DataPaths
from leerdata.duckdb_rows import one_row, scalar

LINE_TRUTH_FILE = "invoice_lines.csv"
INVOICE_TRUTH_FILE = "invoices.csv"
REASON_CODES_SEED = REPO_ROOT / "seeds" / "invoice_reason_codes.csv"


def reason_codes() -> list[str]:
    """Every reason code (line and invoice level), from the seed the marts label them with."""
    with REASON_CODES_SEED.open(encoding="utf-8") as handle:
        return sorted(row["reason_code"] for row in csv.DictReader(handle))


@dataclass(frozen=True)
class CodeScore:
    code: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float | None:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else None

    @property
    def recall(self) -> float | None:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else None

    @property
    def is_perfect(self) -> bool:
        return self.false_positives == 0 and self.false_negatives == 0


@dataclass
class AccuracyReport:
    scores: list[CodeScore]
    lines_compared: int
    lines_missing_in_warehouse: int
    lines_not_in_truth: int
    amount_mismatches: int
    examples: list[tuple] = field(default_factory=list)

    @property
    def is_perfect(self) -> bool:
        return (
            all(s.is_perfect for s in self.scores)
            and self.lines_missing_in_warehouse == 0
            and self.lines_not_in_truth == 0
            and self.amount_mismatches == 0
        )

    def table(self) -> str:
        def fmt(value: float | None) -> str:
            return "   -  " if value is None else f"{value:6.4f}"

        out = [f"{'code':<20} {'TP':>6} {'FP':>6} {'FN':>6} {'precision':>9} {'recall':>7}"]
        for s in self.scores:
            out.append(
                f"{s.code:<20} {s.true_positives:>6} {s.false_positives:>6} "
                f"{s.false_negatives:>6} {fmt(s.precision):>9} {fmt(s.recall):>7}"
            )
        out.append(
            f"lines compared {self.lines_compared}, missing in warehouse "
            f"{self.lines_missing_in_warehouse}, not in truth {self.lines_not_in_truth}, "
            f"expected-amount mismatches {self.amount_mismatches}"
        )
        out.extend(f"  e.g. {example}" for example in self.examples)
        return "\n".join(out)


def _read_truth(con: duckdb.DuckDBPyConnection, paths: DataPaths) -> None:
    for name, file in (("truth_lines", LINE_TRUTH_FILE), ("truth_invoices", INVOICE_TRUTH_FILE)):
        con.execute(
            f"create temp table {name} as select * from read_csv(?, delim=';', header=true, "
            "all_varchar=true, quote='\"')",
            [str(paths.truth / file)],
        )


def measure_accuracy(paths: DataPaths) -> AccuracyReport:
    """Compare fct_invoice_line_checks / fct_invoice_checks with truth/, code by code."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{paths.reporting_db}' as reporting (read_only)")
        _read_truth(con, paths)
        con.execute(
            """
            create temp table paired as
            select
                coalesce(t.invoice_id, w.invoice_id) as invoice_id,
                coalesce(t.line_id, w.line_id) as line_id,
                t.invoice_id is not null as in_truth,
                w.invoice_id is not null as in_warehouse,
                coalesce(t.expected_reason_codes, '') as truth_codes,
                coalesce(w.reason_codes, '') as warehouse_codes,
                cast(t.expected_amount_eur as decimal(18, 2)) as truth_expected,
                w.expected_amount_eur as warehouse_expected,
            from truth_lines as t
            full outer join reporting.fct_invoice_line_checks as w
                on t.invoice_id = w.invoice_id and t.line_id = w.line_id
            union all
            select
                coalesce(t.invoice_id, w.invoice_id),
                '<invoice>',
                t.invoice_id is not null,
                w.invoice_id is not null,
                coalesce(t.expected_reason_codes, ''),
                coalesce(w.reason_codes, ''),
                null,
                null,
            from truth_invoices as t
            full outer join reporting.fct_invoice_checks as w
                on t.invoice_id = w.invoice_id
            """
        )
        codes = reason_codes()
        scores = []
        for code in codes:
            tp, fp, fn = one_row(
                con,
                """
                select
                    count(*) filter (where has_truth and has_warehouse),
                    count(*) filter (where not has_truth and has_warehouse),
                    count(*) filter (where has_truth and not has_warehouse),
                from (
                    select
                        list_contains(string_split(truth_codes, ','), $code) as has_truth,
                        in_warehouse
                        and list_contains(string_split(warehouse_codes, ','), $code)
                            as has_warehouse,
                    from paired
                    where in_truth or in_warehouse
                )
                """,
                {"code": code},
            )
            scores.append(CodeScore(code, tp, fp, fn))
        missing, extra, amounts = one_row(
            con,
            """
            select
                count(*) filter (where in_truth and not in_warehouse),
                count(*) filter (where in_warehouse and not in_truth),
                count(*) filter (
                    where in_truth and in_warehouse and line_id <> '<invoice>'
                    and truth_expected <> warehouse_expected
                ),
            from paired
            """,
        )
        examples = con.execute(
            """
            select invoice_id, line_id, truth_codes, warehouse_codes, truth_expected,
                   warehouse_expected
            from paired
            where not (in_truth and in_warehouse)
               or truth_codes <> warehouse_codes
               or truth_expected <> warehouse_expected
            order by invoice_id, line_id
            limit 10
            """
        ).fetchall()
        compared = scalar(
            con,
            "select count(*) from paired "
            "where in_truth and in_warehouse and line_id <> '<invoice>'",
        )
    finally:
        con.close()
    return AccuracyReport(scores, compared, missing, extra, amounts, examples)
