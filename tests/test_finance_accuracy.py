"""The invoice checks against the generator's truth/: every reason code, line and invoice
level, must have precision and recall 1.0, and every expected amount must agree.

truth/ is an independent Python implementation of docs/contract.md section 2 and interpretations
7-18 (leerdata.generate.truth), so agreement here is two implementations agreeing. On a
mismatch the assertion message is the confusion table per code plus example lines.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from leerdata.config import DataPaths
from leerdata.duckdb_rows import one_row
from tests.finance_accuracy import AccuracyReport, measure_accuracy, reason_codes


def _assert_perfect(report: AccuracyReport) -> None:
    assert report.lines_compared > 0, "no invoice line compared"
    assert report.is_perfect, "\n" + report.table()
    for score in report.scores:
        if score.precision is not None:
            assert score.precision == 1.0, report.table()
        if score.recall is not None:
            assert score.recall == 1.0, report.table()


def test_invoice_checks_match_truth_on_tiny_data(tiny_warehouse: DataPaths) -> None:
    _assert_perfect(measure_accuracy(tiny_warehouse))


@pytest.mark.slow
def test_every_reason_code_has_precision_and_recall_one_on_small_data(
    small_warehouse: DataPaths,
) -> None:
    report = measure_accuracy(small_warehouse)
    print("\n" + report.table())
    # Small data exercises every code, so each precision and recall is defined (and 1.0).
    absent = [s.code for s in report.scores if s.true_positives == 0]
    assert not absent, f"codes the small data never raises: {absent}\n{report.table()}"
    _assert_perfect(report)


def test_the_measurement_sees_false_positives_and_negatives(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    """The comparison can fail: alter one line's codes in a copy and it is counted."""
    copy = DataPaths.of(tmp_path / "copy")
    shutil.copytree(tiny_warehouse.truth, copy.truth)
    copy.warehouse.mkdir(parents=True)
    shutil.copy(tiny_warehouse.reporting_db, copy.reporting_db)
    with duckdb.connect(str(copy.reporting_db)) as con:
        invoice_id, line_id, codes = one_row(
            con,
            "select invoice_id, line_id, reason_codes from fct_invoice_line_checks "
            "where reason_codes = '' order by invoice_id, line_id limit 1",
        )
        con.execute(
            "update fct_invoice_line_checks set reason_codes = 'VAT_MISMATCH' "
            "where invoice_id = ? and line_id = ?",
            [invoice_id, line_id],
        )
        flagged = one_row(
            con,
            "select invoice_id, line_id, reason_codes from fct_invoice_line_checks "
            "where reason_codes = 'DUPLICATE_LINE' limit 1",
        )
        con.execute(
            "update fct_invoice_line_checks set reason_codes = '' "
            "where invoice_id = ? and line_id = ?",
            [flagged[0], flagged[1]],
        )
        con.execute("update fct_invoice_checks set reason_codes = 'TOTAL_MISMATCH'")
    report = measure_accuracy(copy)
    by_code = {s.code: s for s in report.scores}
    assert codes == ""
    assert by_code["VAT_MISMATCH"].false_positives == 1
    assert by_code["DUPLICATE_LINE"].false_negatives == 1
    assert by_code["TOTAL_MISMATCH"].false_positives > 0
    assert not report.is_perfect
    assert "VAT_MISMATCH" in report.table()


def test_reason_codes_are_the_seed_codes() -> None:
    assert "TOTAL_MISMATCH" in reason_codes()
    assert len(reason_codes()) == 15
    assert {"VAT_TOTAL_MISMATCH", "CHARGE_NOT_AGREED", "CREDIT_WITHOUT_REFERENCE"} <= set(
        reason_codes()
    )
