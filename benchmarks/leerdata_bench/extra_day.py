"""One realistic extra day of landing files, dated the day after the data ends.

What an LMS and a few suppliers deliver on an ordinary day, sized from the data itself
(a working day's share of the last monthly enrolment export):

- enrolments: new requests for scheduled sessions, approvals of open requests, a few
  cancellations (upserts: the newest `updated_at` wins);
- attendance: the last session day's registrations delivered again (corrections arrive
  like this; per key the newest file wins);
- evaluations: new responses for sessions held in the last month;
- invoices: one UBL invoice per supplier for completed / no-show enrolments of the last
  weeks that no invoice references yet, at the catalogue price (so they check clean).

It reads the restricted database (after `leerdata ingest`) for the current state and
writes only under landing/; nothing it reads is printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from leerdata.config import DataPaths
from leerdata.contract import ATTENDANCE, ENROLMENTS, EVALUATIONS, INVOICE_FOLDER, CsvSource
from leerdata.generate.ubl import render_invoices
from leerdata.generate.writer import export_file_name, write_csv

WORKING_DAYS_PER_MONTH = 21
MIN_DAY_ROWS = 5
MAX_INVOICES = 12

LATEST_ENROLMENTS = """
    select * exclude (_batch_id, _file_name, _file_date, _line_number)
    from raw_enrolments
    qualify row_number() over (
        partition by enrolment_id
        order by updated_at desc, _file_date desc, _batch_id desc, _line_number desc
    ) = 1
"""
LATEST_SESSIONS = """
    select * exclude (_batch_id, _file_name, _file_date, _line_number)
    from raw_sessions
    qualify row_number() over (
        partition by session_id order by _file_date desc, _batch_id desc, _line_number desc
    ) = 1
"""
LATEST_COURSES = """
    select * exclude (_batch_id, _file_name, _file_date, _line_number)
    from raw_courses
    qualify row_number() over (
        partition by course_id, valid_from
        order by _file_date desc, _batch_id desc, _line_number desc
    ) = 1
"""
LATEST_SUPPLIERS = """
    select * exclude (_batch_id, _file_name, _file_date, _line_number)
    from raw_suppliers
    qualify row_number() over (
        partition by supplier_id order by _file_date desc, _batch_id desc, _line_number desc
    ) = 1
"""


@dataclass
class ExtraDay:
    day: date
    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    bytes: int = 0


def _next_ids(con: duckdb.DuckDBPyConnection, table: str, column: str, n: int) -> list[str]:
    """n new ids after the highest existing one, same prefix and width (ENR00000327 → …28)."""
    ((sample,),) = con.execute(f"select max({column}) from {table}").fetchall()
    prefix = "".join(ch for ch in (sample or "X0") if not ch.isdigit()) or "X"
    width = max(len(sample or "") - len(prefix), 8)
    ((top,),) = con.execute(
        f"select max(try_cast(regexp_extract({column}, '\\d+$') as bigint)) from {table}"
    ).fetchall()
    start = int(top or 0) + 1
    return [f"{prefix}{i:0{width}d}" for i in range(start, start + n)]


def _at(day: date, minutes: np.ndarray) -> list[datetime]:
    base = datetime.combine(day, datetime.min.time()) + timedelta(hours=8)
    return [base + timedelta(minutes=int(m)) for m in minutes]


def _enrolments(
    con: duckdb.DuckDBPyConnection, day: date, n: int, rng: np.random.Generator
) -> pl.DataFrame:
    future = con.execute(
        f"select session_id from ({LATEST_SESSIONS}) "
        "where status = 'scheduled' and start_date > ? order by session_id",
        [day + timedelta(days=14)],
    ).fetchall()
    staff = con.execute(
        "select distinct employee_id from raw_hr "
        "where _file_date = (select max(_file_date) from raw_hr) and exit_date is null "
        "order by employee_id"
    ).fetchall()
    columns = list(ENROLMENTS.column_names)
    parts: list[pl.DataFrame] = []
    if future and staff:
        ids = _next_ids(con, "raw_enrolments", "enrolment_id", n)
        sessions = [future[i][0] for i in rng.integers(0, len(future), n)]
        people = [staff[i][0] for i in rng.integers(0, len(staff), n)]
        at = _at(day, np.sort(rng.integers(0, 600, n)))
        parts.append(
            pl.DataFrame(
                {
                    "enrolment_id": ids,
                    "employee_id": people,
                    "session_id": sessions,
                    "status": ["requested"] * n,
                    "requested_at": at,
                    "approved_at": [None] * n,
                    "cancelled_at": [None] * n,
                    "completed_at": [None] * n,
                    "payer_department_code": [None] * n,
                    "order_reference": [f"LOP-{day.year}-{i[-7:]}" for i in ids],
                    "updated_at": at,
                },
                schema_overrides={"approved_at": pl.Datetime, "cancelled_at": pl.Datetime},
            ).with_columns(
                pl.col("completed_at").cast(pl.Datetime),
                pl.col("payer_department_code").cast(pl.String),
            )
        )
    open_rows = con.sql(
        f"select e.* from ({LATEST_ENROLMENTS}) as e "
        f"inner join ({LATEST_SESSIONS}) as s using (session_id) "
        "where s.start_date > $day and s.status = 'scheduled' "
        "and e.status in ('requested', 'approved', 'enrolled') order by e.enrolment_id",
        params={"day": day + timedelta(days=7)},
    ).pl()
    if open_rows.height:
        picked = open_rows.sample(
            min(open_rows.height, max(1, n // 2)), seed=int(rng.integers(1 << 31))
        )
        stamp = pl.Series(_at(day, rng.integers(60, 540, picked.height)))
        cancel = pl.Series(rng.random(picked.height) < 0.15)
        changed = picked.with_columns(
            pl.when(cancel)
            .then(pl.lit("cancelled"))
            .when(pl.col("status") == "requested")
            .then(pl.lit("approved"))
            .otherwise(pl.lit("enrolled"))
            .alias("status"),
            pl.when(~cancel & (pl.col("status") == "requested"))
            .then(stamp)
            .otherwise(pl.col("approved_at"))
            .alias("approved_at"),
            pl.when(cancel).then(stamp).otherwise(pl.col("cancelled_at")).alias("cancelled_at"),
            stamp.alias("updated_at"),
        )
        parts.append(changed.select(columns))
    if not parts:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    return pl.concat([p.select(columns) for p in parts], how="vertical_relaxed")


def _attendance(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.sql(
        "select enrolment_id, session_date, present from raw_attendance "
        "where session_date = (select max(session_date) from raw_attendance) "
        "qualify row_number() over (partition by enrolment_id, session_date "
        "order by _file_date desc, _batch_id desc, _line_number desc) = 1 "
        "order by enrolment_id"
    ).pl()


def _evaluations(
    con: duckdb.DuckDBPyConnection, day: date, n: int, rng: np.random.Generator
) -> pl.DataFrame:
    candidates = con.sql(
        f"select e.enrolment_id, e.session_id from ({LATEST_ENROLMENTS}) as e "
        f"inner join ({LATEST_SESSIONS}) as s using (session_id) "
        "where e.status = 'completed' and s.end_date between $from and $to "
        "and e.enrolment_id not in ("
        "  select enrolment_id from raw_evaluations where enrolment_id is not null) "
        "order by e.enrolment_id",
        params={"from": day - timedelta(days=30), "to": day - timedelta(days=1)},
    ).pl()
    k = min(candidates.height, n)
    if k == 0:
        return pl.DataFrame(schema=dict.fromkeys(EVALUATIONS.column_names, pl.String))
    picked = candidates.sample(k, seed=int(rng.integers(1 << 31)))
    anonymous = pl.Series(rng.random(k) < 0.2)
    return pl.DataFrame(
        {
            "evaluation_id": _next_ids(con, "raw_evaluations", "evaluation_id", k),
            "enrolment_id": picked["enrolment_id"],
            "session_id": picked["session_id"],
            "submitted_at": _at(day, np.sort(rng.integers(0, 720, k))),
            "overall": rng.integers(5, 11, k),
            "content": rng.integers(2, 6, k),
            "trainer": rng.integers(2, 6, k),
            "relevance": rng.integers(2, 6, k),
            "recommend": rng.integers(3, 11, k),
            "comment": [None] * k,
        },
        schema_overrides={"comment": pl.String},
    ).with_columns(
        pl.when(anonymous).then(None).otherwise(pl.col("enrolment_id")).alias("enrolment_id")
    )


def _invoice_frames(
    con: duckdb.DuckDBPyConnection, day: date, max_invoices: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(invoices, lines, suppliers) in the shape leerdata.generate.ubl renders."""
    billable = con.sql(
        f"""
        with enrolments as ({LATEST_ENROLMENTS}),
        sessions as ({LATEST_SESSIONS}),
        courses as ({LATEST_COURSES}),
        suppliers as ({LATEST_SUPPLIERS})
        select
            c.supplier_id,
            e.enrolment_id as order_line_ref,
            c.course_id,
            c.title as item_name,
            cast(round(c.price_eur * 100) as bigint) as price_cents,
            cast(c.vat_rate as bigint) as vat_percent
        from enrolments as e
        inner join sessions as s using (session_id)
        inner join courses as c
            on c.course_id = s.course_id
            and s.start_date >= c.valid_from
            and s.start_date <= coalesce(c.valid_to, date '9999-12-31')
        inner join suppliers as p on p.supplier_id = c.supplier_id
        where e.status in ('completed', 'no_show')
            and s.status = 'held'
            and c.pricing_model = 'per_participant'
            and not p.is_internal
            and s.start_date between $from and $to
            and e.enrolment_id not in (
                select order_line_ref from raw_invoice_lines where order_line_ref is not null)
        order by c.supplier_id, e.enrolment_id
        """,
        params={"from": day - timedelta(days=45), "to": day - timedelta(days=1)},
    ).pl()
    chosen = billable["supplier_id"].unique(maintain_order=True).head(max_invoices)
    lines = (
        billable.filter(pl.col("supplier_id").is_in(chosen.implode()))
        .with_columns(
            pl.col("supplier_id").rank("dense").cast(pl.Int64).alias("invoice_idx"),
            pl.int_range(1, pl.len() + 1).over("supplier_id").alias("seq"),
        )
        .with_columns(
            pl.col("seq").cast(pl.String).alias("line_id"),
            pl.lit(1).alias("quantity"),
            pl.col("price_cents").alias("amount_cents"),
        )
    )
    suppliers = (
        con.sql(f"select supplier_id, name, kvk_number, vat_number from ({LATEST_SUPPLIERS})")
        .pl()
        .join(lines.select("supplier_id", "invoice_idx").unique(), on="supplier_id")
        .with_columns(
            pl.col("invoice_idx").alias("supplier_idx"),
            pl.format("NL00BNCH{}", pl.col("invoice_idx").cast(pl.String).str.zfill(10)).alias(
                "iban"
            ),
        )
    )
    invoices = suppliers.select(
        "invoice_idx",
        pl.format("{}-{}", pl.col("supplier_id"), pl.lit(day.strftime("%Y%m%d"))).alias(
            "invoice_id"
        ),
        pl.lit(day).alias("issue_date"),
        "supplier_idx",
        pl.lit(0).alias("total_delta_cents"),
    ).sort("invoice_idx")
    return invoices, lines, suppliers


def _write(extra: ExtraDay, source: CsvSource, frame: pl.DataFrame, landing: Path) -> None:
    extra.rows[source.name] = frame.height
    if frame.height == 0:
        return
    path = landing / source.folder / export_file_name(source, extra.day)
    extra.bytes += write_csv(frame.select(source.column_names), source, path)
    extra.files.append(str(path.relative_to(landing)))


def write_extra_day(paths: DataPaths, seed: int = 0) -> ExtraDay:
    """Write the day after the newest landing export; returns what was written."""
    rng = np.random.default_rng(seed)
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        ((last_export,),) = con.execute("select max(_file_date) from raw_enrolments").fetchall()
        ((last_file_rows,),) = con.execute(
            "select count(*) from raw_enrolments where _file_date = ?", [last_export]
        ).fetchall()
        day = last_export + timedelta(days=1)
        n = max(MIN_DAY_ROWS, round(last_file_rows / WORKING_DAYS_PER_MONTH))
        extra = ExtraDay(day=day)
        _write(extra, ENROLMENTS, _enrolments(con, day, n, rng), paths.landing)
        _write(extra, ATTENDANCE, _attendance(con), paths.landing)
        _write(extra, EVALUATIONS, _evaluations(con, day, max(1, n // 3), rng), paths.landing)
        invoices, lines, suppliers = _invoice_frames(con, day, MAX_INVOICES)
    folder = paths.landing / INVOICE_FOLDER
    for name, xml in render_invoices(invoices, lines, suppliers):
        data = xml.encode("utf-8")
        (folder / name).write_bytes(data)
        extra.bytes += len(data)
        extra.files.append(f"{INVOICE_FOLDER}/{name}")
    extra.rows["invoices"] = invoices.height
    extra.rows["invoice_lines"] = lines.height
    return extra


def main() -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Write one extra landing day (after ingest).")
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    extra = write_extra_day(DataPaths.of(args.data_dir), args.seed)
    summary = {
        "day": str(extra.day),
        "rows": extra.rows,
        "files": extra.files,
        "bytes": extra.bytes,
    }
    args.out.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
